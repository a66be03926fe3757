"""What every screen shares: the store and landmarker (one per server), cached series and aligned faces, and the
revision counter that tells the caches a screen wrote something."""

from __future__ import annotations

import os

import streamlit as st

from progress.align import AlignedFace
from progress.landmarks import FaceLandmarker
from progress.practice import aligned_photo, client_series
from progress.series import SeriesResult
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


def revision() -> int:
    """Changes whenever this browser session writes to the records."""
    return int(st.session_state.get("revision", 0))


def wrote() -> None:
    """Something was stored: the cached series of this browser session are stale."""
    st.session_state.revision = revision() + 1


@st.cache_data(ttl=60, show_spinner=False)
def _cached_series(_store: Store, url: str, client_id: int, primary: tuple[str, ...], revision: int) -> SeriesResult:
    return client_series(_store, client_id, primary=primary)


def series_of(store: Store, client_id: int, primary: tuple[str, ...]) -> SeriesResult:
    """The client's series from stored analyses, cached until this session writes."""
    return _cached_series(store, str(store.url), client_id, primary, revision())


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_aligned(_store: Store, url: str, photo_id: int) -> AlignedFace | None:
    return aligned_photo(_store, get_landmarker(), photo_id)


def aligned(store: Store, photo_id: int) -> AlignedFace | None:
    """A stored photo aligned to the canonical frame (cached by photo id)."""
    return _cached_aligned(store, str(store.url), photo_id)
