"""The practice password: scrypt hashes, the old SHA-256 with a warning, the per-server backoff, and no records
for other computers when no password is set."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress.password import Backoff, PasswordFormatError, hash_password, is_loopback, main, verify_password

APP = str(Path(__file__).parents[1] / "app.py")


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Path]:
    from streamlit import config

    previous, address = os.environ.get("PROGRESS_DATA_FOLDER"), config.get_option("server.address")
    os.environ["PROGRESS_DATA_FOLDER"] = str(tmp_path)
    config.set_option("server.address", "localhost")
    yield tmp_path
    config.set_option("server.address", address)
    if previous is None:
        os.environ.pop("PROGRESS_DATA_FOLDER", None)
    else:
        os.environ["PROGRESS_DATA_FOLDER"] = previous


def test_a_scrypt_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("needle"), hash_password("needle")
    assert first.startswith("scrypt$16384$8$1$") and first != second  # a fresh salt each time
    assert verify_password("needle", password_hash=first)
    assert not verify_password("needles", password_hash=first)
    assert verify_password("needle", legacy_sha256=hashlib.sha256(b"needle").hexdigest().upper())
    assert not verify_password("needle")  # nothing set: nothing opens
    with pytest.raises(PasswordFormatError):
        verify_password("needle", password_hash="sha256$abc")


def test_wrong_guesses_back_off_per_server() -> None:
    now = [100.0]
    backoff = Backoff(free=2, base=1.0, ceiling=8.0, clock=lambda: now[0])
    assert backoff.failed() == 0 and backoff.failed() == 0 and backoff.wait() == 0  # typos cost nothing
    assert backoff.failed() == 1.0 and backoff.wait() == 1.0
    assert backoff.failed() == 2.0
    assert [backoff.failed() for _ in range(4)] == [4.0, 8.0, 8.0, 8.0]  # capped
    now[0] += 8.0
    assert backoff.wait() == 0
    backoff.succeeded()
    assert backoff.failed() == 0


def test_only_loopback_addresses_count_as_this_computer() -> None:
    assert is_loopback("localhost") and is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback(None) and not is_loopback("") and not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.20") and not is_loopback("practice.local")


def test_the_command_prints_the_secrets_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "needle")
    assert main([]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith('password_hash = "scrypt$')
    assert verify_password("needle", password_hash=line.split('"')[1])


def test_a_password_keeps_records_closed(practice: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.secrets["password_hash"] = hash_password("needle")
    app.run()
    assert "protected" in app.info[0].value and not app.selectbox
    app.text_input(key="password").set_value("wrong").run()
    assert "Wrong password" in app.error[0].value and not app.selectbox
    app.text_input(key="password").set_value("needle").run()
    assert not app.exception and app.selectbox(key="client_id")
    assert not app.warning  # a scrypt hash needs no upgrade


def test_the_old_sha256_still_opens_with_a_warning(practice: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.secrets["password_sha256"] = hashlib.sha256(b"needle").hexdigest()
    app.run()
    app.text_input(key="password").set_value("needle").run()
    assert not app.exception and app.selectbox(key="client_id")
    assert "python -m progress.password" in app.warning[0].value


def test_no_record_is_shown_beyond_localhost_without_a_password(practice: Path) -> None:
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception and not app.selectbox
    assert "no practice password is set" in app.error[0].value
    assert "python -m progress.password" in app.error[0].value
