"""New session: drop the session's photos, check the date (from the usable photos), the number (from the
records) and the notes, save; every photo is stored and analysed against the client's baseline.

The form belongs to one client and one fresh form id: after a save, and for any other client, the uploader and
the notes are empty, so a photo can never be filed twice or in the wrong client's record.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from progress.practice import (
    UploadOutcome,
    baseline_result,
    next_session_number,
    session_faces,
    store_and_analyze,
    stored_elsewhere,
    upload_dates,
)
from progress.render import ghost_overlay, landmarks_and_regions
from progress.screens.common import aligned, get_landmarker, plain, wrote
from progress.screens.sessions import ICON
from progress.store import ClientRecord, Store

PHOTO_TYPES = ["jpg", "jpeg", "png", "heic", "heif", "webp", "tif", "tiff"]
_SAVED = "last_upload"


def form_id(client_id: int) -> str:
    """The suffix of this client's form widgets' keys: a new one after every save."""
    return f"{client_id}_{st.session_state.get(f'form_{client_id}', 0)}"


def show(store: Store, client: ClientRecord) -> None:
    """The New session screen of ``client``."""
    suffix = form_id(client.id)
    uploads = st.file_uploader(
        "Photos of this session (JPEG, PNG, HEIC)",
        accept_multiple_files=True,
        type=PHOTO_TYPES,
        key=f"uploads_{suffix}",
    )
    files = [(upload.name, upload.getvalue()) for upload in uploads or []]
    dates = upload_dates(files)
    day_key = f"session_day_{suffix}"
    if st.session_state.get(f"dated_from_{suffix}", "unset") != dates.day:  # new photos: the date from them
        st.session_state[f"dated_from_{suffix}"] = dates.day
        st.session_state[day_key] = dates.day or date.today()
    if dates.differ:
        st.warning(
            "These photos were taken on different days: "
            + ", ".join(f"{day:%d %B %Y}" for day in dates.days)
            + ". A session's photos should come from one day; check the date below."
        )
    if dates.refused:
        st.warning(
            f"{len(dates.refused)} file(s) cannot be used as photos (not a picture, or under 200 pixels); "
            "their dates are not used:"
        )
        st.text("\n".join(dates.refused))
    already = stored_elsewhere(store, client.id, files)
    if already:
        st.warning("Already in this client's records, so not saved again:")
        st.text("\n".join(f"{name} (session {number})" for name, number in already.items()))
    new_files = [(name, data) for name, data in files if name not in already]
    number_default = next_session_number(store, client.id)
    with st.form(f"new_session_{suffix}"):
        day = st.date_input("Date", key=day_key)
        number = st.number_input(
            "Session number", min_value=1, value=number_default, key=f"session_number_{suffix}_{number_default}"
        )
        treatment = st.text_area("Treatment notes (points, technique, reactions)", key=f"treatment_notes_{suffix}")
        capture = st.text_area("Capture notes (make-up, light, camera)", key=f"capture_notes_{suffix}")
        save = st.form_submit_button("Save the session and analyse its photos", disabled=not new_files)
    if save and new_files:
        _save(store, client, new_files, day=day, number=int(number), treatment=treatment, capture=capture)
    _show_saved(store, client)


def _save(
    store: Store,
    client: ClientRecord,
    files: list[tuple[str, bytes]],
    *,
    day: date,
    number: int,
    treatment: str,
    capture: str,
) -> None:
    session = store.add_session(client.id, day=day, number=number, treatment_notes=treatment, capture_notes=capture)
    baseline = baseline_result(store, client.id)
    bar = st.progress(0.0, text="Analysing…")
    outcomes: list[UploadOutcome] = []
    for index, upload in enumerate(files):
        outcomes += store_and_analyze(store, get_landmarker(), session.id, [upload], baseline=baseline)
        bar.progress((index + 1) / len(files), text=f"Analysed {index + 1} of {len(files)}")
    stored = [outcome for outcome in outcomes if outcome.photo_id is not None and not outcome.duplicate]
    if not stored:
        store.delete_session(session.id)
    st.session_state[_SAVED] = (client.id, number if stored else None, outcomes)
    st.session_state[f"form_{client.id}"] = st.session_state.get(f"form_{client.id}", 0) + 1  # an empty form
    wrote(client.id)
    st.rerun()  # every view, the progress too, now includes the new session


def _show_saved(store: Store, client: ClientRecord) -> None:
    saved_for, number, outcomes = st.session_state.get(_SAVED, (None, None, []))
    if saved_for != client.id:
        return
    if number is None:
        st.error("Nothing was saved: none of these files could be stored as a photo.")
    else:
        usable = sum(outcome.result.ok for outcome in outcomes)
        st.success(f"Session {number} saved: {len(outcomes)} file(s), {usable} usable photo(s).")
    faces = session_faces(store, client.id)
    reference = aligned(store, faces[0][1].id) if faces else None
    for outcome in outcomes:
        st.text(outcome.filename)
        if outcome.duplicate:
            st.warning("This photo is already in this session: it was not stored twice.")
        if outcome.result.error is not None:
            st.error(plain(str(outcome.result.error)))
            continue
        face, checks = st.columns([1, 1])
        if outcome.result.aligned is not None:
            face.image(landmarks_and_regions(outcome.result.aligned), caption="aligned, landmarks and regions")
            if reference is not None:
                face.image(ghost_overlay(outcome.result.aligned, reference), caption="baseline ghost (framing)")
        for check in outcome.result.checks:
            checks.markdown(
                f"{ICON[check.status]} **{check.name.replace('_', ' ')}** {check.value:.3g} {check.unit} {check.fix}"
            )
