"""progress: the practitioner's app. A thin frame — password gate, store, client picker, navigation — around the
screens in ``progress/screens/`` (one module a screen); every computation lives in ``progress/``.

Run with ``streamlit run app.py``. Records go to ``PROGRESS_DATABASE_URL`` (or ``database_url`` in Streamlit's
secrets), else a SQLite file in ``PROGRESS_DATA_FOLDER`` (else ``~/.local/share/progress``). A password:
``python -m progress.password`` prints the ``password_hash`` line for ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from progress.screens import capture, compare, details, export, new_session, progress_screen, sessions
from progress.screens.common import get_store, heading
from progress.screens.gate import admit
from progress.screens.sidebar import choose_client
from progress.store import ClientRecord, Store

# Only the chosen screen runs: a widget on one screen never recomputes the others.
SCREENS: dict[str, Callable[[Store, ClientRecord], None]] = {
    "Sessions": sessions.show,
    "New session": new_session.show,
    "Capture": capture.show,
    "Progress": progress_screen.show,
    "Before / after": compare.show,
    "Export": export.show,
    "Client details": details.show,
}

st.set_page_config(page_title="progress", page_icon="📈", layout="wide")
admit()
store = get_store()
client = choose_client(store)
if client is None:
    st.header("Photo progress")
    st.info(
        "Choose a client on the left, create one, or open the demo client to see how it works. "
        "Photos stay on this computer."
    )
    st.stop()
heading(client.name)
screen = st.radio("Screen", list(SCREENS), horizontal=True, key="screen", label_visibility="collapsed")
SCREENS[screen or "Sessions"](store, client)
