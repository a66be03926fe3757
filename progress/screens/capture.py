"""Capture: guided photos from the device camera for a session of ``client`` (being built)."""

from __future__ import annotations

import streamlit as st

from progress.store import ClientRecord, Store


def show(store: Store, client: ClientRecord) -> None:
    """The Capture screen of ``client``."""
    st.info("Guided capture is not available yet: upload photos in 'New session'.")
