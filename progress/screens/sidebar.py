"""The sidebar: find, choose and create clients, open the demo client, and the practice's settings.

The chosen client is kept in the ``client`` query parameter (its id, never its name), so a reload keeps it.
"""

from __future__ import annotations

import streamlit as st

from progress.errors import ProgressError
from progress.practice import DEMO_CLIENT_FOLDER, open_demo_client
from progress.screens.common import get_landmarker, plain, wrote
from progress.store import ClientRecord, Store

CLIENT_PARAMETER = "client"


def open_client(client_id: int | None) -> None:
    """Choose ``client_id`` on the next run (None: no client); call before :func:`choose_client`, then rerun."""
    st.session_state.pending_client = client_id


def choose_client(store: Store) -> ClientRecord | None:
    """Draw the sidebar; returns the chosen client (None when none is)."""
    _restore_choice(store)
    with st.sidebar:
        st.title("progress")
        search = st.text_input("Search clients", key="search")
        clients = store.list_clients(search)
        names = {client.id: client.name for client in clients}
        current = st.session_state.get("client_id")
        if current is not None and current not in names:
            try:  # the chosen client stays choosable while a search hides it
                names[current] = store.client(current).name
            except ProgressError:  # deleted meanwhile
                st.session_state.client_id = current = None
        if current is not None and st.session_state.get("client_label") != names.get(current):
            st.session_state.client_id = current  # renamed: set it again, so the box shows the new name
        chosen = st.selectbox(
            "Client",
            list(names),
            format_func=lambda client_id: names.get(client_id, "?"),
            index=None,
            key="client_id",
            placeholder="Choose a client",
        )
        st.session_state.client_label = names.get(chosen) if chosen is not None else None
        _new_client_form(store)
        if st.button("Open the demo client", key="demo"):
            with st.spinner("Analysing the demo client's photos (once)…"):
                demo = open_demo_client(store, get_landmarker(), DEMO_CLIENT_FOLDER).id
            open_client(demo)
            wrote(demo)
            st.rerun()
        _settings(store)
    if chosen is None:
        st.query_params.pop(CLIENT_PARAMETER, None)
        return None
    st.query_params[CLIENT_PARAMETER] = str(chosen)
    return store.client(chosen)


def _restore_choice(store: Store) -> None:
    """A client just made, opened or deleted, else the one in the URL (a reload): set before the selectbox."""
    if "pending_client" in st.session_state:
        st.session_state.client_id = st.session_state.pop("pending_client")
        return
    if "client_id" in st.session_state:
        return
    wanted = st.query_params.get(CLIENT_PARAMETER)
    if wanted and wanted.isdigit():
        try:
            st.session_state.client_id = store.client(int(wanted)).id
        except ProgressError:  # deleted, or another practice's link
            st.query_params.pop(CLIENT_PARAMETER, None)


def _new_client_form(store: Store) -> None:
    with st.form("new_client", clear_on_submit=True):
        st.caption("New client")
        name = st.text_input("Name or code", key="new_name")
        clinical = st.checkbox("Consents to photos for their treatment", value=True, key="new_clinical")
        marketing = st.checkbox("May be shown to others (marketing, teaching)", key="new_marketing")
        if st.form_submit_button("Create client") and name.strip():
            try:
                created = store.create_client(name.strip(), consent_clinical=clinical, consent_marketing=marketing)
            except (ValueError, ProgressError) as error:
                st.error(plain(str(error)))
                return
            open_client(created.id)
            wrote(created.id)
            st.rerun()


def _settings(store: Store) -> None:
    with st.expander("Settings"):
        st.text(f"Records: {store}")
        st.caption(
            "Change with PROGRESS_DATABASE_URL / PROGRESS_DATA_FOLDER, or database_url / data_folder in "
            ".streamlit/secrets.toml. A password: run `python -m progress.password` and put its line there."
        )
        saved = store.setting("practice_name", "")
        practice = st.text_input("Practice name (on reports)", value=saved, key="practice_name")
        if practice != saved:
            store.set_setting("practice_name", practice)
        saved_contact = store.setting("practice_contact", "")
        contact = st.text_input(
            "Contact line (on reports: address, phone, e-mail)", value=saved_contact, key="practice_contact"
        )
        if contact != saved_contact:
            store.set_setting("practice_contact", contact)
        logo = st.file_uploader("Practice logo (on reports)", type=["png", "jpg", "jpeg"], key="logo")
        if logo is not None:
            store.set_setting_bytes("practice_logo", logo.getvalue())
