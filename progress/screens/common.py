"""What every screen shares: the store and landmarker (one per server), cached series, aligned faces and their
pictures (by photo id and content), and the revision counter that tells the caches the app wrote something."""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Callable

import numpy as np
import streamlit as st

from progress.align import AlignedFace
from progress.errors import ProgressError
from progress.landmarks import FaceLandmarker
from progress.password import Backoff
from progress.practice import aligned_photo, aligned_thumbnail, client_series
from progress.render import jpeg
from progress.render import skin_signals as skin_signals_of
from progress.series import SeriesResult
from progress.skin import region_masks
from progress.store import Store


def secret(name: str) -> str | None:
    """A value of ``.streamlit/secrets.toml``, or None when it (or the file) is absent."""
    try:
        return str(st.secrets[name]) if name in st.secrets else None
    except FileNotFoundError:  # no secrets file at all
        return None


@st.cache_resource
def _store(url: str | None, data_folder: str | None) -> Store:
    """One store for every browser session (its connections are pooled and thread-safe)."""
    return Store(url, data_folder=data_folder)


def get_store() -> Store:
    """The practice's records: ``PROGRESS_DATABASE_URL`` / ``database_url``, else SQLite in the data folder."""
    url = os.environ.get("PROGRESS_DATABASE_URL") or secret("database_url")
    folder = os.environ.get("PROGRESS_DATA_FOLDER") or secret("data_folder")
    return _store(url, folder)


@st.cache_resource
def get_landmarker() -> FaceLandmarker:
    """One landmarker for every browser session: it holds a lock around each MediaPipe call."""
    return FaceLandmarker()


@st.cache_resource
def _writes() -> dict[int | None, int]:
    """How many times the app wrote to each client's records (None: to records of no one client, or of any)
    since the server started, from every browser session."""
    return {}


_WRITING = threading.Lock()


def revision(client_id: int) -> int:
    """Changes whenever any browser session writes to the client's records, so a cache keyed by it is never stale
    to another browser session (a reload, a second tab); writes from outside the app wait for the caches' ttl."""
    writes = _writes()
    return writes.get(None, 0) + writes.get(client_id, 0)


def wrote(client_id: int | None = None) -> None:
    """Something was stored for ``client_id`` (None: for no client, or for any): its cached series, lists and
    prepared downloads are stale in every browser session."""
    with _WRITING:
        writes = _writes()
        writes[client_id] = writes.get(client_id, 0) + 1


@st.cache_data(ttl=60, show_spinner=False)
def _cached_series(_store: Store, url: str, client_id: int, primary: tuple[str, ...], revision: int) -> SeriesResult:
    return client_series(_store, client_id, primary=primary)


def series_of(store: Store, client_id: int, primary: tuple[str, ...]) -> SeriesResult:
    """The client's series from stored analyses, cached until the app writes to the records."""
    return _cached_series(store, str(store.url), client_id, primary, revision(client_id))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_aligned(_store: Store, url: str, photo_id: int, sha256: str) -> AlignedFace | None:
    try:
        return aligned_photo(_store, get_landmarker(), photo_id)
    except ProgressError:  # too small, not a photo, damaged copy: the caller shows it as unusable
        return None


def _content(store: Store, photo_id: int) -> str | None:
    """The photo's SHA-256 (part of every cache key: SQLite may give a deleted photo's id to a new one)."""
    try:
        return store.photo(photo_id).sha256
    except ProgressError:
        return None


def aligned(store: Store, photo_id: int) -> AlignedFace | None:
    """A stored photo aligned to the canonical frame (cached by photo), or None when it cannot be (no face, too
    small, not a photo, deleted)."""
    sha256 = _content(store, photo_id)
    return None if sha256 is None else _cached_aligned(store, str(store.url), photo_id, sha256)


THUMBNAIL_PX = 120
"""Width of the Sessions screen's faces, as shown (a wider picture would be decoded and shrunk on every rerun)."""


@st.cache_data(max_entries=2048, show_spinner=False)
def _cached_thumbnail(_store: Store, url: str, photo_id: int, sha256: str) -> bytes | None:
    try:
        picture = aligned_thumbnail(_store, get_landmarker(), photo_id, THUMBNAIL_PX)
    except ProgressError:  # too small, not a photo, damaged copy: the caller shows it as unusable
        return None
    return None if picture is None else jpeg(picture, 85)


def thumbnail(store: Store, photo_id: int, sha256: str) -> bytes | None:
    """A small aligned face of a stored photo as JPEG (cached by photo and content), or None without a usable
    face."""
    return _cached_thumbnail(store, str(store.url), photo_id, sha256)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_face_picture(_store: Store, url: str, photo_id: int, sha256: str) -> bytes | None:
    face = _cached_aligned(_store, url, photo_id, sha256)
    return None if face is None else jpeg(face.image)


def face_picture(store: Store, photo_id: int) -> bytes | None:
    """A stored photo's aligned face as JPEG (cached by photo and content), or None without a usable face."""
    sha256 = _content(store, photo_id)
    return None if sha256 is None else _cached_face_picture(store, str(store.url), photo_id, sha256)


@st.cache_data(max_entries=32, show_spinner=False)
def _cached_skin(_store: Store, url: str, photo_id: int, sha256: str) -> dict[str, np.ndarray] | None:
    face = _cached_aligned(_store, url, photo_id, sha256)
    if face is None:
        return None
    signals = {kind: signal.astype(np.float16) for kind, signal in skin_signals_of(face).items()}  # 2 MB each
    return signals | {"skin": region_masks(face.landmarks, face.image.shape[:2])["face"]}


def skin_signals(store: Store, photo_id: int) -> dict[str, np.ndarray] | None:
    """A stored photo's :func:`progress.render.skin_signal` of every heatmap kind (float16) and its face mask
    (``"skin"``), cached by photo and content; None without a usable face."""
    sha256 = _content(store, photo_id)
    return None if sha256 is None else _cached_skin(store, str(store.url), photo_id, sha256)


@st.cache_resource
def password_backoff() -> Backoff:
    """One backoff for the whole server: wrong guesses from any browser slow the next guess."""
    return Backoff()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=\"'^%@/])")


def plain(text: str) -> str:
    """``text`` escaped for Streamlit's Markdown so it shows as typed: no link, image, HTML, colour, icon,
    formula or heading can come out of it (every ASCII punctuation mark is backslash-escaped, line breaks kept).
    Use it where Streamlit only takes Markdown (st.error, st.warning, ...); elsewhere prefer st.text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def heading(text: str, level: int = 2) -> None:
    """A heading holding user text (a client's name) as text: HTML-escaped, never Markdown."""
    st.html(f"<h{level} style='margin:0.2em 0 0.4em 0'>{html.escape(text)}</h{level}>")


def prepared_download(
    label: str, key: str, make: Callable[[], bytes], *, file_name: str, mime: str, token: object, disabled: bool = False
) -> None:
    """A file made on an explicit "Prepare" click, then served from memory by a plain download button.

    The bytes are held in this browser session until ``token`` changes (another client, or the records
    changed), so a download never depends on a file Streamlit makes on another thread (which other downloads can
    remove first) and clicking it does not rerun the app.
    """
    holder = f"prepared_{key}"
    held = st.session_state.get(holder)
    if held is not None and held[0] != token:
        st.session_state.pop(holder, None)
        held = None
    if held is not None:
        st.download_button(
            label,
            held[1],
            file_name=file_name,
            mime=mime,
            key=key,
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )
        return
    if st.button(f"Prepare: {label}", key=f"prepare_{key}", disabled=disabled):
        with st.spinner(f"Preparing {label}…"):
            data = make()
        st.session_state[holder] = (token, data)
        st.rerun()
