"""Sessions: every session with its photos (aligned face, capture checks or why it cannot be used), and the
corrections: edit a session (date, number, notes, the photo that represents it), a photo's view, leave a photo
out, delete a photo or a session after a confirmation that names what goes."""

from __future__ import annotations

from typing import Any

import streamlit as st

from progress.errors import ProgressError
from progress.practice import photo_problem, representative_key, set_representative
from progress.quality import Status
from progress.screens.common import THUMBNAIL_PX, plain, thumbnail, wrote
from progress.store import AnalysisRecord, ClientRecord, PhotoRecord, SessionRecord, Store, View

ICON = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌"}
_TEXT_ICON = {Status.PASS: "✓", Status.WARN: "⚠", Status.FAIL: "✗"}
"""For plain text (st.text's monospace font has no emoji)."""
_PENDING = "pending_delete"
_FLASH = "sessions_flash"
SESSION_KEY = "session_open_"
"""With a session's id: whether an earlier session is open (the latest always is)."""
_OPENED = "sessions_opened"


def show(store: Store, client: ClientRecord) -> None:
    """The Sessions screen of ``client``."""
    if flash := st.session_state.pop(_FLASH, None):
        st.success(plain(flash))
    records = store.sessions(client.id)
    if not records:
        st.info("No sessions yet: add one in 'New session'.")
        return
    _confirm_delete(store, client)
    analyses = store.latest_analyses(client.id)
    for record in reversed(records):
        _session(store, record, analyses, latest=record == records[-1])


@st.fragment
def _session(store: Store, record: SessionRecord, analyses: dict[int, AnalysisRecord], *, latest: bool) -> None:
    """One session with its photos and controls: the latest open, the others drawn only once opened. A fragment:
    opening it, "Leave out" or a view reruns only this session (its photos are read again; the analyses do not
    change with them); a deletion or an edit reruns the page."""
    photos = store.photos(record.id)
    label = f"Session {record.number} — {record.day:%d %B %Y} · {len(photos)} photo{'s' * (len(photos) != 1)}"
    opened: set[int] = st.session_state.setdefault(_OPENED, set())
    if latest:
        box = st.expander(label, expanded=True)
    else:  # opened stays open when its label changes (a photo deleted, a date corrected): that is a new expander
        box = st.expander(label, expanded=record.id in opened, key=f"{SESSION_KEY}{record.id}", on_change="rerun")
        (opened.add if box.open else opened.discard)(record.id)
    with box:
        if box.open is False:
            return
        if record.treatment_notes or record.capture_notes:
            st.text(f"Treatment: {record.treatment_notes or '–'}\nCapture: {record.capture_notes or '–'}")
        if not photos:
            st.text("No photo in this session.")
        for photo in photos:
            _photo_row(store, photo, analyses.get(photo.id), record.client_id)
        _session_controls(store, record, photos, analyses)


def _photo_row(store: Store, photo: PhotoRecord, analysis: AnalysisRecord | None, client_id: int) -> None:
    problem = photo_problem(photo, analysis)
    face, text, controls = st.columns([1, 3, 1.2])
    picture = None if analysis is None or analysis.error is not None else thumbnail(store, photo.id, photo.sha256)
    if picture is not None:
        face.image(picture, width=THUMBNAIL_PX)
    else:
        face.text("(no face picture)")
    text.text(f"{photo.filename or f'photo {photo.id}'} · {photo.view}")
    if problem is not None and not photo.excluded:
        text.text(f"✗ cannot be used: {problem}")
    else:
        failing = [check for check in photo.checks if check["status"] != "pass"]
        text.text("\n".join(f"{_TEXT_ICON[Status(c['status'])]} {c['fix']}" for c in failing) or "✓ all checks pass")
    controls.checkbox(
        "Leave out",
        value=photo.excluded,
        key=f"exclude_{photo.id}",
        help="Leave this photo out of the progress (a warning alone keeps it in)",
        on_change=_leave_out,
        args=(store, photo.id, client_id),
    )
    views = list(View)
    controls.selectbox(
        "View",
        views,
        index=views.index(photo.view),
        key=f"view_{photo.id}",
        format_func=lambda v: str(v),
        on_change=_set_view,
        args=(store, photo.id, client_id),
    )
    if controls.button("Delete photo", key=f"delete_photo_{photo.id}"):
        st.session_state[_PENDING] = ("photo", photo.id)
        st.rerun()


def _leave_out(store: Store, photo_id: int, client_id: int) -> None:
    """The "Leave out" box changed: stored before the rerun draws the session (so no second rerun)."""
    excluded = bool(st.session_state[f"exclude_{photo_id}"])
    try:
        store.set_photo_excluded(photo_id, excluded, "left out in the app" if excluded else "")
    except ProgressError:  # deleted meanwhile: the rerun shows what is left
        return
    wrote(client_id)


def _set_view(store: Store, photo_id: int, client_id: int) -> None:
    """The view changed: stored before the rerun."""
    try:
        store.set_photo_view(photo_id, st.session_state[f"view_{photo_id}"])
    except ProgressError:
        return
    wrote(client_id)


def _session_controls(
    store: Store, record: SessionRecord, photos: list[PhotoRecord], analyses: dict[int, AnalysisRecord]
) -> None:
    usable = [photo for photo in photos if photo_problem(photo, analyses.get(photo.id)) is None]
    wanted = store.setting(representative_key(record.id))
    current = next((photo.id for photo in usable if photo.id == wanted), usable[0].id if usable else None)
    names: dict[int, str] = {photo.id: photo.filename or f"photo {photo.id}" for photo in usable}
    options = list(names)
    with st.form(f"edit_session_{record.id}"):
        st.caption("Edit this session")
        left, right = st.columns(2)
        day = left.date_input("Date", value=record.day, key=f"edit_day_{record.id}")
        number = right.number_input("Session number", min_value=1, value=record.number, key=f"edit_number_{record.id}")
        treatment = st.text_area("Treatment notes", value=record.treatment_notes, key=f"edit_treatment_{record.id}")
        capture = st.text_area("Capture notes", value=record.capture_notes, key=f"edit_capture_{record.id}")
        represents = st.selectbox(
            "Photo that represents this session (before/after, time-lapse, report)",
            options,
            index=options.index(current) if current in names else None,
            format_func=lambda photo_id: names.get(photo_id, "?"),
            key=f"represents_{record.id}",
            placeholder="no usable photo",
            disabled=not names,
        )
        if st.form_submit_button("Save changes"):
            try:
                store.update_session(
                    record.id, day=day, number=int(number), treatment_notes=treatment, capture_notes=capture
                )
            except (ValueError, ProgressError) as error:
                st.error(plain(str(error)))
            else:
                if represents is not None and represents != current:
                    set_representative(store, record.id, represents)
                st.session_state[_FLASH] = f"Session {int(number)} saved."
                wrote(record.client_id)
                st.rerun()
    if st.button("Delete this session", key=f"delete_session_{record.id}"):
        st.session_state[_PENDING] = ("session", record.id)
        st.rerun()


def _confirm_delete(store: Store, client: ClientRecord) -> None:
    """The pending deletion, named in full, with its confirm and cancel buttons."""
    pending: Any = st.session_state.get(_PENDING)
    if not pending:
        return
    kind, target = pending
    try:
        if kind == "photo":
            photo = store.photo(target)
            record = store.session(photo.session_id)
        else:
            record = store.session(target)
    except ProgressError:  # deleted meanwhile
        st.session_state.pop(_PENDING, None)
        return
    if record.client_id != client.id:  # chosen for another client: forget it
        st.session_state.pop(_PENDING, None)
        return
    siblings = store.photos(record.id)
    with st.container(border=True):
        if kind == "photo":
            count = len(store.analyses(photo.id))
            name = photo.filename or f"photo {photo.id}"
            st.warning(
                f"Delete the photo {plain(name)} of session {record.number} ({record.day:%d %B %Y})? This "
                f"removes the photo file from the records and its {count} analys{'es' if count != 1 else 'is'}. "
                "It cannot be undone (an export keeps a copy)."
            )
            last = len(siblings) == 1
            if st.button("Yes, delete the photo", key="confirm_delete", type="primary"):
                _delete_photo(store, photo, record, with_session=False)
            if last and st.button(
                f"Delete the photo and session {record.number} (it has no other photo)", key="confirm_delete_session"
            ):
                _delete_photo(store, photo, record, with_session=True)
        else:
            count = sum(len(store.analyses(p.id)) for p in siblings)
            st.warning(
                f"Delete session {record.number} ({record.day:%d %B %Y})? This removes its notes, its "
                f"{len(siblings)} photo file{'s' * (len(siblings) != 1)} from the records and their {count} "
                "analyses. It cannot be undone (an export keeps a copy)."
            )
            if st.button("Yes, delete the session", key="confirm_delete", type="primary"):
                store.delete_session(record.id)
                set_representative(store, record.id, None)
                _done(f"Session {record.number} deleted with its photos.", record.client_id)
        if st.button("Cancel", key="cancel_delete"):
            st.session_state.pop(_PENDING, None)
            st.rerun()


def _delete_photo(store: Store, photo: PhotoRecord, record: SessionRecord, *, with_session: bool) -> None:
    store.delete_photo(photo.id)
    if with_session:
        store.delete_session(record.id)
        set_representative(store, record.id, None)
        _done(f"Photo {photo.filename or photo.id} and session {record.number} deleted.", record.client_id)
    else:
        _done(f"Photo {photo.filename or photo.id} deleted.", record.client_id)


def _done(message: str, client_id: int) -> None:
    st.session_state.pop(_PENDING, None)
    st.session_state[_FLASH] = message
    wrote(client_id)
    st.rerun()
