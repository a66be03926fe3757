"""The door: no record is shown until the practice password is given (when one is set), and never to other
computers when none is set.

The password is ``password_hash`` (scrypt, from ``python -m progress.password``) in ``.streamlit/secrets.toml``;
the old ``password_sha256`` still opens, with a warning to upgrade. Wrong guesses slow the next ones down for
the whole server (:class:`progress.password.Backoff`).
"""

from __future__ import annotations

import math

import streamlit as st

from progress.password import PasswordFormatError, is_loopback, verify_password
from progress.screens.common import password_backoff, secret

NO_PASSWORD_BEYOND_LOCALHOST = (
    "This app is reachable from other computers (server.address is {address}) and no practice password is set, "
    "so no client record is shown. Set a password: run `python -m progress.password`, put the line it prints "
    'in .streamlit/secrets.toml and restart — or serve on this computer only (server.address = "localhost" '
    "in .streamlit/config.toml)."
)


def admit() -> None:
    """Return when the records may be shown; otherwise draw the password field (or the refusal) and stop."""
    password_hash, legacy = secret("password_hash"), secret("password_sha256")
    if not password_hash and not legacy:
        address = st.get_option("server.address")
        if not is_loopback(address):
            st.error(
                NO_PASSWORD_BEYOND_LOCALHOST.format(
                    address=f"'{address}'" if address else "unset: every network interface"
                )
            )
            st.stop()
        return
    if st.session_state.get("unlocked"):
        if legacy and not password_hash:
            st.warning(
                "The practice password is stored as an unsalted SHA-256 (password_sha256), which is quick to "
                "guess from a copy of secrets.toml. Run `python -m progress.password` and replace that line "
                "with the password_hash line it prints."
            )
        return
    st.text_input("Password", type="password", key="password", on_change=_check, args=(password_hash, legacy))
    message = st.session_state.get("gate_message")
    if message:
        st.error(message)
    st.info("Client records are protected: enter the practice password.")
    st.stop()


def _check(password_hash: str | None, legacy: str | None) -> None:
    """The password field changed: check it (unless the server is backing off) and empty the field."""
    password = str(st.session_state.get("password") or "")
    st.session_state.password = ""
    if not password:
        return
    backoff = password_backoff()
    wait = backoff.wait()
    if wait > 0:
        st.session_state.gate_message = (
            f"Too many wrong passwords: try again in {math.ceil(wait)} s (the password was not checked)."
        )
        return
    try:
        right = verify_password(password, password_hash=password_hash, legacy_sha256=legacy)
    except PasswordFormatError as error:
        st.session_state.gate_message = str(error)
        return
    if right:
        backoff.succeeded()
        st.session_state.unlocked = True
        st.session_state.pop("gate_message", None)
        return
    delay = backoff.failed()
    st.session_state.gate_message = (
        f"Wrong password. The next try is possible in {math.ceil(delay)} s." if delay > 0 else "Wrong password."
    )
