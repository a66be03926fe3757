"""Before / after: two sessions side by side (each by the photo that represents it), a blend slider, redness and
evenness difference heatmaps, jawline and brow contours, and a time-lapse of every session.

Every picture is made once per photo (or pair of photos) and kept as JPEG; moving the blend slider reruns only
the blend (a fragment)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from progress.align import AlignedFace
from progress.practice import comparison_warnings, session_faces
from progress.render import (
    HEATMAP_RANGE,
    Heatmap,
    blend,
    contours_overlay,
    heatmap_of_signals,
    jpeg,
    stamp,
    timelapse_gif,
)
from progress.screens.common import aligned, face_picture, prepared_download, revision, skin_signals
from progress.store import ClientRecord, PhotoRecord, SessionRecord, Store


@st.cache_data(max_entries=32, show_spinner=False)
def _comparison(
    _store: Store, url: str, before: tuple[int, str], after: tuple[int, str], warnings: tuple[str, ...]
) -> dict[str, bytes] | None:
    """The heatmaps and contours of two photos as JPEG (keyed by photo id and content: they never change), made
    from each photo's kept skin signals."""
    before_face, after_face = aligned(_store, before[0]), aligned(_store, after[0])
    before_skin, after_skin = skin_signals(_store, before[0]), skin_signals(_store, after[0])
    if before_face is None or after_face is None or before_skin is None or after_skin is None:
        return None
    pictures: dict[str, np.ndarray] = {
        kind: heatmap_of_signals(
            after_face,
            before_skin[kind],
            after_skin[kind],
            kind,
            skin=after_skin["skin"],
        )
        for kind in HEATMAP_RANGE
    }
    pictures["contours"] = contours_overlay(before_face, after_face)
    return {name: jpeg(stamp(picture, warnings)) for name, picture in pictures.items()}


@st.fragment
def _blend(before: AlignedFace, after: AlignedFace, warnings: tuple[str, ...]) -> None:
    """The blend slider and its picture: a step reruns only this."""
    amount = st.slider("Blend before → after", 0.0, 1.0, 0.5, key="blend")
    st.image(jpeg(stamp(blend(before, after, amount), warnings)), caption="blend")


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _usable(_store: Store, url: str, client_id: int, revision: int) -> list[tuple[SessionRecord, PhotoRecord]]:
    """:func:`progress.practice.session_faces`, cached until the app writes (as the series are)."""
    return session_faces(_store, client_id)


def show(store: Store, client: ClientRecord) -> None:
    """The Before / after screen of ``client``."""
    usable = _usable(store, str(store.url), client.id, revision(client.id))
    if len(usable) < 2:
        st.info("Before/after needs usable photos from two sessions.")
        return
    labels = [f"Session {record.number} — {record.day:%d %B %Y}" for record, _ in usable]
    first = st.selectbox("Before", range(len(usable)), format_func=labels.__getitem__, index=0, key="before")
    last = st.selectbox("After", range(len(usable)), format_func=labels.__getitem__, index=len(usable) - 1, key="after")
    first, last = min(first, len(usable) - 1), min(last, len(usable) - 1)
    _pair(store, client, usable[first][1], usable[last][1], labels[first], labels[last])

    def timelapse() -> bytes:
        shown = [(record, face) for record, photo in usable if (face := aligned(store, photo.id)) is not None]
        return timelapse_gif(
            [face.image for _, face in shown], labels=[f"{record.day:%d %b %Y}" for record, _ in shown]
        )

    prepared_download(
        "Time-lapse of every session (GIF)",
        "timelapse",
        timelapse,
        file_name="timelapse.gif",
        mime="image/gif",
        token=(client.id, revision(client.id)),
    )


def _pair(
    store: Store, client: ClientRecord, before_photo: PhotoRecord, after_photo: PhotoRecord, first: str, last: str
) -> None:
    """The two photos, their blend, heatmaps and contours."""
    before, after = aligned(store, before_photo.id), aligned(store, after_photo.id)
    before_picture, after_picture = face_picture(store, before_photo.id), face_picture(store, after_photo.id)
    if before is None or after is None or before_picture is None or after_picture is None:
        st.error("No face could be found in one of these photos.")
        return
    warnings = comparison_warnings(store, client.id, before_photo.id, after_photo.id)
    for warning in warnings:
        st.warning(warning)
    left, right = st.columns(2)
    left.image(before_picture, caption=first)
    right.image(after_picture, caption=last)
    _blend(before, after, warnings)
    pictures = _comparison(
        store, str(store.url), (before_photo.id, before_photo.sha256), (after_photo.id, after_photo.sha256), warnings
    )
    if pictures is None:
        st.error("No face could be found in one of these photos.")
        return
    red, even, lines = st.columns(3)
    red.image(pictures[Heatmap.REDNESS], caption="redness: red = redder, blue = less red")
    even.image(pictures[Heatmap.EVENNESS], caption="evenness: red = less even")
    lines.image(pictures["contours"], caption="jawline and brows: orange before, green after")
