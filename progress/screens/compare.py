"""Before / after: two sessions side by side (each by the photo that represents it), a blend slider, redness and
evenness difference heatmaps, jawline and brow contours, and a time-lapse of every session."""

from __future__ import annotations

import numpy as np
import streamlit as st

from progress.align import AlignedFace
from progress.practice import comparison_warnings, session_faces
from progress.render import blend, contours_overlay, difference_heatmap, stamp, timelapse_gif
from progress.screens.common import aligned, prepared_download, revision
from progress.store import ClientRecord, Store


@st.cache_data(max_entries=32, show_spinner=False)
def _comparison(
    _before: AlignedFace, _after: AlignedFace, url: str, before: tuple[int, str], after: tuple[int, str]
) -> dict[str, np.ndarray]:
    """The before/after pictures of two photos (keyed by photo id and content: they never change)."""
    return {
        "redness": difference_heatmap(_before, _after, "redness"),
        "evenness": difference_heatmap(_before, _after, "evenness"),
        "contours": contours_overlay(_before, _after),
    }


def show(store: Store, client: ClientRecord) -> None:
    """The Before / after screen of ``client``."""
    usable = session_faces(store, client.id)
    if len(usable) < 2:
        st.info("Before/after needs usable photos from two sessions.")
        return
    labels = [f"Session {record.number} — {record.day:%d %B %Y}" for record, _ in usable]
    first = st.selectbox("Before", range(len(usable)), format_func=labels.__getitem__, index=0, key="before")
    last = st.selectbox("After", range(len(usable)), format_func=labels.__getitem__, index=len(usable) - 1, key="after")
    first, last = min(first, len(usable) - 1), min(last, len(usable) - 1)
    before_photo, after_photo = usable[first][1], usable[last][1]
    before, after = aligned(store, before_photo.id), aligned(store, after_photo.id)
    if before is None or after is None:
        st.error("No face could be found in one of these photos.")
    else:
        warnings = comparison_warnings(store, client.id, before_photo.id, after_photo.id)
        for warning in warnings:
            st.warning(warning)
        left, right = st.columns(2)
        left.image(before.image, caption=labels[first])
        right.image(after.image, caption=labels[last])
        amount = st.slider("Blend before → after", 0.0, 1.0, 0.5, key="blend")
        st.image(stamp(blend(before, after, amount), warnings), caption="blend")
        pictures = _comparison(
            before, after, str(store.url), (before_photo.id, before_photo.sha256), (after_photo.id, after_photo.sha256)
        )
        red, even, lines = st.columns(3)
        red.image(stamp(pictures["redness"], warnings), caption="redness: red = redder, blue = less red")
        even.image(stamp(pictures["evenness"], warnings), caption="evenness: red = less even")
        lines.image(stamp(pictures["contours"], warnings), caption="jawline and brows: orange before, green after")

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
        token=(client.id, revision()),
    )
