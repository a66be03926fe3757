"""Capture: guided photos of a session from the device camera, checked live and stored like uploads.

The component (``progress/capture/frontend``) runs in the browser: the camera, MediaPipe's face landmarks, the
live checks with :mod:`progress.quality`'s thresholds (:func:`progress.live_checks.component_settings`), the
ghost of the client's baseline face and the shutter. Each still comes back here and goes through
:func:`progress.practice.store_and_analyze`, into a session of today, and its checks show at once.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from progress.capture import FRONTEND, MODEL_FILE, MODELS
from progress.errors import ProgressError
from progress.live_checks import (
    SHOTS_PER_SESSION,
    CapturedPhoto,
    CaptureError,
    GhostPlacement,
    baseline_photo_id,
    component_settings,
    decode_capture,
    ghost_image,
    ghost_placement,
    photo_size,
)
from progress.practice import baseline_result, store_and_analyze
from progress.screens.common import aligned, get_landmarker, plain, wrote
from progress.screens.sessions import ICON
from progress.store import ClientRecord, PhotoRecord, Store

_camera = components.declare_component("camera", path=str(FRONTEND))
_models = components.declare_component("models", path=str(MODELS))
"""Never drawn: it serves the package's own model folder, so the browser loads the bundled face_landmarker.task
from where it is installed (no copy among the web assets)."""
MODEL_URL = f"../{_models.name}/{MODEL_FILE}"
"""The model's address relative to the component's page (``/component/<name>/index.html``)."""
GHOST_OPACITY = 0.35


def show(store: Store, client: ClientRecord) -> None:
    """The Capture screen of ``client``."""
    if not client.consent_clinical:
        st.warning(
            "This client has not consented to photos for their treatment: record the consent in "
            "'Client details' before taking photos."
        )
        return
    state = _state(client.id)
    baseline = baseline_result(store, client.id)
    ghost = _ghost(store, client.id)
    if baseline is None:
        st.caption(
            "First photos of this client: line the face up with the dashed guide. Later sessions show a "
            "ghost of these first photos to match."
        )
    else:
        st.caption(
            "Match the ghost of the client's first photo: same pose, distance and framing. "
            "Use the same place, light and camera as then."
        )
    settings = component_settings(baseline, ghost[1] if ghost else None)
    stored = len(_captured(store, client, state))
    value = _camera(
        settings=settings,
        ghost_image=ghost[0] if ghost else None,
        ghost_opacity=GHOST_OPACITY,
        model_url=MODEL_URL,
        shots_stored=stored,
        acknowledged=state["acknowledged"],
        key=f"camera_{client.id}",
        default=None,
    )
    if isinstance(value, dict) and _shot_key(value) not in state["done"]:
        _store_shot(store, client, value, state)
    _show_results(store, client, state)


def _state(client_id: int) -> dict[str, Any]:
    """This browser session's capture of this client: the session photos go to, shots done, and how each stored
    photo was taken (by photo id). What was stored is read back from the records, never only kept here: a run
    interrupted after the photo was stored (a rerun asked for meanwhile) still shows it."""
    key = f"capture_{client_id}"
    if key not in st.session_state:
        st.session_state[key] = {"session_id": None, "done": set(), "taken": {}, "acknowledged": "", "errors": []}
    state: dict[str, Any] = st.session_state[key]
    return state


def _shot_key(value: dict[str, Any]) -> str:
    return f"{value.get('page', '')}:{value.get('shot', '')}"


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_ghost(_store: Store, url: str, photo_id: int, sha256: str) -> tuple[str, GhostPlacement] | None:
    face = aligned(_store, photo_id)
    if face is None:
        return None
    try:
        size = photo_size(_store.photo_bytes(photo_id))
    except (ProgressError, OSError):
        return None
    image = "data:image/png;base64," + base64.b64encode(ghost_image(face)).decode()
    return image, ghost_placement(face.transform, size)


def _ghost(store: Store, client_id: int) -> tuple[str, GhostPlacement] | None:
    """The baseline's ghost image (data URL) and where it sat in its photo, or None on a first session."""
    photo_id = baseline_photo_id(store, client_id)
    if photo_id is None:
        return None
    return _cached_ghost(store, str(store.url), photo_id, store.photo(photo_id).sha256)


def _store_shot(store: Store, client: ClientRecord, value: dict[str, Any], state: dict[str, Any]) -> None:
    state["done"].add(_shot_key(value))
    state["acknowledged"] = _shot_key(value)  # the component frees its shutter when it sees its shot here
    try:
        photo = decode_capture(value)
    except CaptureError as error:
        state["errors"].append(str(error))
        st.rerun()
    with st.spinner("Analysing the photo…"):
        session_id = _session(store, client, photo)
        extension = "png" if photo.data.startswith(b"\x89PNG") else "jpg"
        filename = f"capture-{photo.captured_at:%Y%m%d-%H%M%S}-{photo.shot}.{extension}"
        baseline = baseline_result(store, client.id)
        outcomes = store_and_analyze(store, get_landmarker(), session_id, [(filename, photo.data)], baseline=baseline)
    state["taken"] |= {outcome.photo_id: (photo.method, photo.width, photo.height) for outcome in outcomes}
    wrote(client.id)
    st.rerun()  # the component learns the photo is stored; every screen sees the new photo


CAPTURE_NOTES = "Guided capture in the browser"
"""How the capture notes of a session this screen made begin: that is how the screen finds today's session again."""


def _todays_session(store: Store, client_id: int, day: date) -> int | None:
    """The session of ``day`` that this screen made for the client, from the records (None before the first
    photo). Read from the records, not from this browser session: a reload, or a browser that reconnected while
    a photo was being analysed, carries on with the same session and sees its photos."""
    for record in reversed(store.sessions(client_id)):
        if record.day == day and record.capture_notes.startswith(CAPTURE_NOTES):
            return int(record.id)
    return None


def _session(store: Store, client: ClientRecord, photo: CapturedPhoto) -> int:
    """The session the client's captures of the photo's day go to: made with the first photo of that day."""
    state = _state(client.id)
    day = photo.captured_at.date()
    existing = _todays_session(store, client.id, day)
    if existing is not None:
        state["session_id"] = existing
        return existing
    camera = photo.device or "the browser's camera"
    session = store.add_session(client.id, day=day, capture_notes=f"{CAPTURE_NOTES}, camera: {camera}.")
    state["session_id"] = session.id
    return int(session.id)


def _captured(store: Store, client: ClientRecord, state: dict[str, Any]) -> list[PhotoRecord]:
    """The photos stored in today's capture session, from the records (empty before the first)."""
    session_id = state["session_id"] or _todays_session(store, client.id, date.today())
    if session_id is None:
        return []
    try:
        return store.photos(session_id)
    except ProgressError:  # the session was deleted meanwhile
        state["session_id"] = None
        return []


def _show_results(store: Store, client: ClientRecord, state: dict[str, Any]) -> None:
    for error in state["errors"]:
        st.error(plain(error))
    photos = _captured(store, client, state)
    if not photos:
        return
    analyses = store.latest_analyses(client.id)
    results = {photo.id: analysis.to_photo_result() for photo in photos if (analysis := analyses.get(photo.id))}
    usable = sum(result.ok for result in results.values())
    st.success(
        f"{len(photos)} photo(s) stored in today's session, {usable} usable"
        + (f" (a session needs {SHOTS_PER_SESSION})." if len(photos) < SHOTS_PER_SESSION else ".")
    )
    columns = st.columns(max(len(photos), SHOTS_PER_SESSION))
    for number, (column, photo) in enumerate(zip(columns, photos, strict=False), 1):
        with column:
            method, width, height = state["taken"].get(photo.id, ("", 0, 0))
            st.markdown(
                f"**Photo {number}**"
                + (f" · {width}×{height} px" if width else "")
                + (" (video frame)" if method == "video-frame" else "")
            )
            result = results.get(photo.id)
            if result is None:
                st.caption("Not analysed yet.")
                continue
            if result.error is not None:
                st.error(plain(str(result.error)))
                continue
            face = aligned(store, photo.id)
            if face is not None:
                st.image(face.image, width=220)
            failing = [check for check in result.checks if check.fix]
            if not failing:
                st.markdown("✅ All capture checks pass.")
            for check in failing:
                st.markdown(f"{ICON[check.status]} **{check.name.replace('_', ' ')}**: {check.fix}")
