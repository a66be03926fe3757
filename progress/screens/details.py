"""Client details: name or code, skin notes, consents, sessions before the first treatment. A rename shows
everywhere at once (the app reruns)."""

from __future__ import annotations

import streamlit as st

from progress.errors import ProgressError
from progress.record_fields import MAX_BASELINE_SESSIONS
from progress.screens.common import plain, wrote
from progress.store import ClientRecord, Store


def show(store: Store, client: ClientRecord) -> None:
    """The Client details screen of ``client``."""
    with st.form(f"client_details_{client.id}"):
        name = st.text_input("Name or code", value=client.name, key=f"edit_name_{client.id}")
        notes = st.text_area("Skin notes", value=client.skin_notes, key=f"edit_notes_{client.id}")
        clinical = st.checkbox(
            "Consents to photos for their treatment (and on their own report)",
            value=client.consent_clinical,
            key=f"edit_clinical_{client.id}",
        )
        marketing = st.checkbox(
            "May be shown to others (marketing, teaching)",
            value=client.consent_marketing,
            key=f"edit_marketing_{client.id}",
        )
        baseline = st.number_input(
            "Sessions before the first treatment",
            min_value=1,
            max_value=MAX_BASELINE_SESSIONS,
            value=client.baseline_sessions,
            step=1,
            key=f"edit_baseline_{client.id}",
            help="Photos taken at these first sessions, before any treatment, are the starting point: their "
            "average is what later sessions are compared with, and with two or more, how much they differ from "
            "each other is this client's own day-to-day variation, which a change must exceed.",
        )
        saved = st.form_submit_button("Save")
    if saved:
        try:
            store.update_client(
                client.id,
                name=name,
                skin_notes=notes,
                consent_clinical=clinical,
                consent_marketing=marketing,
                baseline_sessions=int(baseline),
            )
        except (ValueError, ProgressError) as error:
            st.error(plain(str(error)))
        else:
            wrote(client.id)
            st.rerun()
