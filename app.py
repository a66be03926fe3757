"""progress: the practitioner's app. Thin: every computation lives in ``progress/``; this file only draws.

Run with ``streamlit run app.py``. Records go to ``PROGRESS_DATABASE_URL`` (or ``database_url`` in Streamlit's
secrets), else a SQLite file in ``PROGRESS_DATA_FOLDER`` (else ``~/.local/share/progress``). An optional
password: put ``password_sha256 = "<hex sha256 of the password>"`` in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date
from pathlib import Path

import streamlit as st

from progress import AlignedFace, FaceLandmarker, ProgressError, Status, ingest
from progress.practice import (
    aligned_photo,
    baseline_result,
    client_series,
    open_demo_client,
    store_and_analyze,
)
from progress.render import (
    blend,
    contours_overlay,
    difference_heatmap,
    ghost_overlay,
    landmarks_and_regions,
    timelapse_gif,
)
from progress.report import ReportOptions, client_report
from progress.screens import progress_screen
from progress.series import SeriesResult
from progress.store import Store
from progress.summary import series_csv

DEMO_FOLDER = Path(__file__).parent / "sample_images" / "demo_client"
ICON = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌"}

def _secret(name: str) -> str | None:
    try:
        return str(st.secrets[name]) if name in st.secrets else None
    except FileNotFoundError:  # no secrets file at all
        return None


@st.cache_resource
def get_store(url: str | None, data_folder: str | None) -> Store:
    """One store for every browser session (its connections are pooled and thread-safe)."""
    return Store(url, data_folder=data_folder)


@st.cache_resource
def get_landmarker() -> FaceLandmarker:
    """One landmarker for every browser session: it holds a lock around each MediaPipe call."""
    return FaceLandmarker()


@st.cache_data(ttl=60, show_spinner=False)
def cached_series(_store: Store, url: str, client_id: int, primary: tuple[str, ...], revision: int) -> SeriesResult:
    """The client's series from stored analyses; ``revision`` changes whenever this session writes."""
    return client_series(_store, client_id, primary=primary)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_aligned(_store: Store, url: str, photo_id: int) -> AlignedFace | None:
    return aligned_photo(_store, get_landmarker(), photo_id)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_comparison(_before: AlignedFace, _after: AlignedFace, url: str, before_id: int, after_id: int) -> dict:
    """The before/after pictures of two photos (they do not change once both are stored)."""
    return {"redness": difference_heatmap(_before, _after, "redness"),
            "evenness": difference_heatmap(_before, _after, "evenness"),
            "contours": contours_overlay(_before, _after)}


def wrote() -> None:
    """Something was stored: the cached series of this browser session are stale."""
    st.session_state.revision = st.session_state.get("revision", 0) + 1


st.set_page_config(page_title="progress", page_icon="📈", layout="wide")
expected = _secret("password_sha256")
if expected and not st.session_state.get("unlocked"):
    password = st.text_input("Password", type="password", key="password")
    if password and hmac.compare_digest(hashlib.sha256(password.encode()).hexdigest(), expected.lower()):
        st.session_state.unlocked = True
        st.rerun()
    st.info("Client records are protected: enter the practice password.")
    st.stop()

url = os.environ.get("PROGRESS_DATABASE_URL") or _secret("database_url")
folder = os.environ.get("PROGRESS_DATA_FOLDER") or _secret("data_folder")
store = get_store(url, folder)
landmarker = get_landmarker()
revision = st.session_state.get("revision", 0)
if "pending_client" in st.session_state:  # a client just made, opened or deleted: set before the selectbox exists
    st.session_state.client_id = st.session_state.pop("pending_client")

# --- sidebar: clients and settings ---------------------------------------------------------------------------
with st.sidebar:
    st.title("progress")
    search = st.text_input("Search clients", key="search")
    clients = store.list_clients(search)
    names = {client.id: client.name for client in clients}
    chosen = st.selectbox("Client", list(names), format_func=names.get, index=None, key="client_id",
                          placeholder="Choose a client")
    with st.form("new_client", clear_on_submit=True):
        st.caption("New client")
        new_name = st.text_input("Name or code", key="new_name")
        new_clinical = st.checkbox("Consents to photos for their treatment", value=True, key="new_clinical")
        new_marketing = st.checkbox("May be shown to others (marketing, teaching)", key="new_marketing")
        if st.form_submit_button("Create client") and new_name.strip():
            created = store.create_client(new_name.strip(), consent_clinical=new_clinical,
                                          consent_marketing=new_marketing)
            st.session_state.pending_client = created.id
            st.rerun()
    if st.button("Open the demo client", key="demo"):
        with st.spinner("Analysing the demo client's photos (once)…"):
            st.session_state.pending_client = open_demo_client(store, landmarker, DEMO_FOLDER).id
        wrote()
        st.rerun()
    with st.expander("Settings"):
        st.text(f"Records: {store}")
        st.caption("Change with PROGRESS_DATABASE_URL / PROGRESS_DATA_FOLDER, or database_url / data_folder "
                   "in .streamlit/secrets.toml. A password: password_sha256 there.")
        practice = st.text_input("Practice name (on reports)", value=store.setting("practice_name", ""),
                                 key="practice_name")
        if practice != store.setting("practice_name", ""):
            store.set_setting("practice_name", practice)
        logo = st.file_uploader("Practice logo (on reports)", type=["png", "jpg", "jpeg"], key="logo")
        if logo is not None:
            store.set_setting_bytes("practice_logo", logo.getvalue())

if chosen is None:
    st.header("Photo progress")
    st.info("Choose a client on the left, create one, or open the demo client to see how it works. "
            "Photos stay on this computer.")
    st.stop()

client = store.client(chosen)
primary = tuple(client.primary_metrics)
series = cached_series(store, str(store.url), client.id, primary, revision)
st.header(client.name)
sessions_tab, new_tab, progress_tab, compare_tab, export_tab, details_tab = st.tabs(
    ["Sessions", "New session", "Progress", "Before / after", "Export", "Client details"])

# --- sessions: timeline, checks, exclude ----------------------------------------------------------------------
with sessions_tab:
    records = store.sessions(client.id)
    analyses = store.latest_analyses(client.id)
    if not records:
        st.info("No sessions yet: add one in 'New session'.")
    for record in reversed(records):
        with st.expander(f"Session {record.number} — {record.day:%d %B %Y}", expanded=record == records[-1]):
            if record.treatment_notes or record.capture_notes:
                st.caption(f"Treatment: {record.treatment_notes or '–'} · Capture: {record.capture_notes or '–'}")
            for photo in store.photos(record.id):
                analysis = analyses.get(photo.id)
                checks = [c for c in photo.checks if c["status"] != "pass"]
                line = " ".join(f"{ICON[Status(c['status'])]} {c['fix']}" for c in checks) or "✅ all checks pass"
                if analysis is None:
                    line = "not analysed yet"
                elif analysis.error is not None:
                    line = f"❌ {analysis.error['message']}"
                left, right = st.columns([3, 1])
                left.markdown(f"**{photo.filename or photo.id}** — {line}")
                excluded = right.checkbox("Leave out", value=photo.excluded, key=f"exclude_{photo.id}",
                                          help="Leave this photo out of the progress (a warning alone keeps it in)")
                if excluded != photo.excluded:
                    store.set_photo_excluded(photo.id, excluded, "left out in the app" if excluded else "")
                    wrote()
                    st.rerun()

# --- new session: upload, analyse, show checks -------------------------------------------------------------------
with new_tab:
    uploads = st.file_uploader("Photos of this session (JPEG, PNG, HEIC)", accept_multiple_files=True,
                               type=["jpg", "jpeg", "png", "heic", "heif", "webp", "tif", "tiff"], key="uploads")
    files = [(upload.name, upload.getvalue()) for upload in uploads or []]
    exif_day = next((day for name, data in files if (day := ingest.capture_date(data, name=name))), None)
    if st.session_state.get("dated_from") != exif_day:  # new photos: pre-fill the date from them
        st.session_state.dated_from = exif_day
        st.session_state.session_day = exif_day or date.today()
    with st.form("new_session"):
        day = st.date_input("Date", key="session_day")
        number = st.number_input("Session number", min_value=1, value=len(store.sessions(client.id)) + 1,
                                 key="session_number")
        treatment = st.text_area("Treatment notes (points, technique, reactions)", key="treatment_notes")
        capture = st.text_area("Capture notes (make-up, light, camera)", key="capture_notes")
        save = st.form_submit_button("Save the session and analyse its photos", disabled=not files)
    if save and files:
        session = store.add_session(client.id, day=day, number=int(number), treatment_notes=treatment,
                                    capture_notes=capture)
        baseline = baseline_result(store, client.id)
        bar = st.progress(0.0, text="Analysing…")
        outcomes = []
        for index, upload in enumerate(files):
            outcomes += store_and_analyze(store, landmarker, session.id, [upload], baseline=baseline)
            bar.progress((index + 1) / len(files), text=f"Analysed {upload[0]}")
        st.session_state.last_upload = (client.id, outcomes)
        wrote()
        st.rerun()  # every view, the progress too, now includes the new session
    first_photos = store.photos(records[0].id) if records else []
    reference = cached_aligned(store, str(store.url), first_photos[0].id) if first_photos else None
    uploaded_for, outcomes = st.session_state.get("last_upload", (None, []))
    for outcome in outcomes if uploaded_for == client.id else []:
        st.subheader(outcome.filename)
        if outcome.duplicate:
            st.warning("This photo is already in this session: it was not stored twice.")
        if outcome.result.error is not None:
            st.error(str(outcome.result.error))
            continue
        face, checks = st.columns([1, 1])
        assert outcome.result.aligned is not None
        face.image(landmarks_and_regions(outcome.result.aligned), caption="aligned, landmarks and regions")
        if reference is not None:
            face.image(ghost_overlay(outcome.result.aligned, reference), caption="baseline ghost (framing)")
        for check in outcome.result.checks:
            checks.markdown(f"{ICON[check.status]} **{check.name.replace('_', ' ')}** "
                            f"{check.value:.3g} {check.unit} {check.fix}")

# --- progress ------------------------------------------------------------------------------------------------------
with progress_tab:
    progress_screen.show(store, client)

# --- before / after -------------------------------------------------------------------------------------------------
with compare_tab:
    usable = [(record, photo) for record in store.sessions(client.id) for photo in store.photos(record.id)[:1]
              if not photo.excluded]
    if len(usable) < 2:
        st.info("Before/after needs photos from two sessions.")
    else:
        labels = [f"Session {record.number} — {record.day:%d %B %Y}" for record, _ in usable]
        first = st.selectbox("Before", range(len(usable)), format_func=labels.__getitem__, index=0, key="before")
        last = st.selectbox("After", range(len(usable)), format_func=labels.__getitem__, index=len(usable) - 1,
                            key="after")
        before = cached_aligned(store, str(store.url), usable[first][1].id)
        after = cached_aligned(store, str(store.url), usable[last][1].id)
        if before is None or after is None:
            st.error("No face could be found in one of these photos.")
        else:
            left, right = st.columns(2)
            left.image(before.image, caption=labels[first])
            right.image(after.image, caption=labels[last])
            amount = st.slider("Blend before → after", 0.0, 1.0, 0.5, key="blend")
            st.image(blend(before, after, amount), caption="blend")
            pictures = cached_comparison(before, after, str(store.url), usable[first][1].id, usable[last][1].id)
            red, even, lines = st.columns(3)
            red.image(pictures["redness"], caption="redness: red = redder, blue = less red")
            even.image(pictures["evenness"], caption="evenness: red = less even")
            lines.image(pictures["contours"], caption="jawline and brows: orange before, green after")

        def timelapse() -> bytes:
            faces = [face.image for _, photo in usable if (face := aligned_photo(store, landmarker, photo.id))]
            return timelapse_gif(faces)

        st.download_button("Time-lapse of every session (GIF)", timelapse, file_name=f"{client.name}-timelapse.gif",
                           mime="image/gif", key="timelapse")

# --- export ---------------------------------------------------------------------------------------------------------
with export_tab:
    # Files are made when their button is clicked (on another thread), never on every rerun.
    st.download_button("Metrics (CSV)", lambda: series_csv(series), file_name=f"{client.name}-metrics.csv",
                       mime="text/csv", key="csv")
    st.download_button("Everything about this client (zip)", lambda: store.export_client(client.id),
                       file_name=f"{client.name}.zip", mime="application/zip", key="zip")

    def report() -> bytes:
        ends = [aligned_photo(store, landmarker, photo.id) for _, photo in (usable[0], usable[-1])] if usable else []
        faces = (ends[0], ends[1]) if len(ends) == 2 and ends[0] is not None and ends[1] is not None else None
        options = ReportOptions(client=client.name, practice=store.setting("practice_name", ""),
                                logo=store.setting_bytes("practice_logo"), include_photos=client.consent_clinical,
                                faces=faces)
        return client_report(series, options)

    st.download_button("Progress report for the client (PDF)", report, file_name=f"{client.name}.pdf",
                       mime="application/pdf", key="report", disabled=len(series.sessions) < 2)
    st.divider()
    sure = st.checkbox(f"I want to delete {client.name} and every photo and note of theirs", key="delete_sure")
    if st.button("Delete this client", disabled=not sure, type="primary", key="delete"):
        store.delete_client(client.id)
        wrote()
        st.session_state.pending_client = None
        st.rerun()

# --- client details -------------------------------------------------------------------------------------------------
with details_tab, st.form("client_details"):
    name = st.text_input("Name or code", value=client.name, key="edit_name")
    notes = st.text_area("Skin notes", value=client.skin_notes, key="edit_notes")
    clinical = st.checkbox("Consents to photos for their treatment (and on their own report)",
                           value=client.consent_clinical, key="edit_clinical")
    marketing = st.checkbox("May be shown to others (marketing, teaching)", value=client.consent_marketing,
                            key="edit_marketing")
    if st.form_submit_button("Save"):
        try:
            store.update_client(client.id, name=name, skin_notes=notes, consent_clinical=clinical,
                                consent_marketing=marketing)
        except (ValueError, ProgressError) as error:
            st.error(str(error))
        else:
            wrote()
            st.rerun()
