"""The Streamlit app through Streamlit's AppTest: every screen, on a real SQLite store and the real model.

Every test makes its own practice in its own folder (``practice``), so each passes alone and in any order.
Photos are stored with one analysis made once per test run (``analysed``), so only the app's own work is timed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import encode
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button, FileUploader

from progress import FaceLandmarker
from progress.analysis import PhotoResult, analyze_photo
from progress.practice import ALGORITHM_VERSION, DEMO_CLIENT_NAME, store_and_analyze
from progress.screens.sessions import SESSION_KEY
from progress.store import Store

APP = str(Path(__file__).parents[1] / "app.py")
TIMEOUT = 240
SCREENS = ["Sessions", "New session", "Capture", "Progress", "Before / after", "Export", "Client details"]
MARKDOWN_NAME = "![x](http://example.invalid/p.png)"


@dataclass(frozen=True)
class Analysed:
    """A real photo's bytes and its analysis (made once), to fill practices without running the model."""

    data: bytes
    result: PhotoResult


@pytest.fixture(scope="module")
def analysed(landmarker: FaceLandmarker, client_photo: np.ndarray) -> Analysed:
    data = encode(client_photo)
    return Analysed(data, analyze_photo(data, landmarker, name="IMG_20260105_100000.jpg"))


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Path]:
    """An empty practice of this test's own (PROGRESS_DATA_FOLDER), on a localhost-only server."""
    from streamlit import config

    previous = os.environ.get("PROGRESS_DATA_FOLDER"), os.environ.pop("PROGRESS_DATABASE_URL", None)
    address = config.get_option("server.address")
    os.environ["PROGRESS_DATA_FOLDER"] = str(tmp_path)
    config.set_option("server.address", "localhost")
    yield tmp_path
    config.set_option("server.address", address)
    for name, value in zip(("PROGRESS_DATA_FOLDER", "PROGRESS_DATABASE_URL"), previous, strict=True):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _client(folder: Path, name: str, analysed: Analysed | None = None, sessions: int = 0) -> int:
    """A client with ``sessions`` sessions of one photo each (the analysed photo); returns its id."""
    with Store(data_folder=folder) as store:
        client = store.create_client(name, consent_clinical=True)
        for number in range(1, sessions + 1):
            session = store.add_session(
                client.id, day=date(2026, 1, number), number=number, treatment_notes=f"notes {number}"
            )
            assert analysed is not None
            photo = store.add_photo(session.id, analysed.data, filename=f"s{number}.jpg")
            store.save_analysis(photo.id, analysed.result, ALGORITHM_VERSION)
        return client.id


def _app(client_id: int | None = None, screen: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if client_id is not None:
        app.query_params["client"] = str(client_id)
    app.run()
    assert not app.exception, app.exception
    if screen is not None:
        app.radio(key="screen").set_value(screen).run()
        assert not app.exception, app.exception
    return app


def _open_session(app: AppTest, session_id: int) -> None:
    """Open an earlier session on the Sessions screen (the latest is open; the others are drawn once opened)."""
    app.session_state[f"{SESSION_KEY}{session_id}"] = True
    app.run()
    assert not app.exception, app.exception


def _uploader(app: AppTest) -> FileUploader:
    return next(widget for widget in app.file_uploader if (widget.key or "").startswith("uploads_"))


def _save_button(app: AppTest) -> Button:
    return next(button for button in app.form_submit_button if "analyse" in button.label)


def _texts(app: AppTest) -> str:
    kinds = ("markdown", "info", "error", "warning", "success", "subheader", "header", "caption", "text")
    return "\n".join(str(element.value) for kind in kinds for element in getattr(app, kind))


def _sessions(folder: Path, client_id: int) -> list[tuple[int, int]]:
    """(number, photo count) of each of the client's sessions."""
    with Store(data_folder=folder) as store:
        return [(s.number, len(store.photos(s.id))) for s in store.sessions(client_id)]


@pytest.mark.model  # the app analyses the demo client
def test_first_run_offers_the_demo_client_and_opens_it(practice: Path) -> None:
    app = _app()
    assert "open the demo client" in app.info[0].value
    app.button(key="demo").click().run()
    assert not app.exception
    assert DEMO_CLIENT_NAME in str(app.get("html")[0].proto.body)
    assert len(app.expander) >= 8  # one per session (the settings expander too)
    assert app.query_params["client"]  # the choice is in the URL: a reload keeps it


@pytest.mark.model  # the saved photo is analysed
def test_a_saved_session_empties_the_form_and_numbers_follow_the_records(
    practice: Path, client_photo: np.ndarray
) -> None:
    client_id = _client(practice, "A-017")
    app = _app(client_id, "New session")
    _uploader(app).set_value(
        [
            ("IMG_20260105_100000.jpg", encode(client_photo), "image/jpeg"),
            ("notes.jpg", b"not a photo at all", "image/jpeg"),
        ]
    ).run()
    assert str(app.date_input[0].value) == "2026-01-05"  # from the usable photo's name
    assert "notes.jpg" in _texts(app)  # named as not usable, its date ignored
    app.text_area[0].set_value("ST6, ST7").run()
    _save_button(app).click().run()
    assert not app.exception
    texts = _texts(app)
    assert "Session 1 saved" in texts
    assert "This file is not an image" in texts  # the bad file says why, next to its name
    assert "face size" in texts  # the good photo's checks
    assert not _uploader(app).value and not app.text_area[0].value  # a fresh, empty form
    assert _save_button(app).disabled
    assert app.number_input[0].value == 2  # the next number, from the records
    assert _sessions(practice, client_id) == [(1, 1)]
    # the same file again: refused before anything is stored
    _uploader(app).set_value([("again.jpg", encode(client_photo), "image/jpeg")]).run()
    assert "Already in this client's records" in _texts(app) and _save_button(app).disabled
    _uploader(app).set_value([("IMG_20260112_100000.jpg", encode(client_photo, quality=85), "image/jpeg")]).run()
    _save_button(app).click().run()
    assert "Session 2 saved" in _texts(app)
    assert _sessions(practice, client_id) == [(1, 1), (2, 1)]


def test_another_client_gets_an_empty_form(practice: Path, client_photo: np.ndarray) -> None:
    x, y = _client(practice, "X"), _client(practice, "Y")
    app = _app(x, "New session")
    _uploader(app).set_value([("x.jpg", encode(client_photo), "image/jpeg")]).run()
    app.text_area[0].set_value("X's treatment").run()
    assert not _save_button(app).disabled
    app.selectbox(key="client_id").set_value(y).run()
    assert not app.exception
    assert not _uploader(app).value and not app.text_area[0].value
    assert _save_button(app).disabled
    assert _sessions(practice, y) == []


def test_dates_that_differ_are_named(practice: Path, client_photo: np.ndarray) -> None:
    app = _app(_client(practice, "A-018"), "New session")
    _uploader(app).set_value(
        [(f"IMG_2026010{day}_100000.jpg", encode(client_photo, quality=80 + day), "image/jpeg") for day in (5, 6, 7)]
    ).run()
    warning = next(w.value for w in app.warning if "different days" in w.value)
    assert "05 January 2026" in warning and "06 January 2026" in warning and "07 January 2026" in warning


def test_an_unusable_first_photo_breaks_no_screen_and_can_be_deleted(
    practice: Path, analysed: Analysed, landmarker: FaceLandmarker, client_photo: np.ndarray
) -> None:
    client_id = _client(practice, "A-019")
    with Store(data_folder=practice) as store:
        first = store.add_session(client_id, day=date(2025, 12, 1), number=1)
        tiny = encode(cv2.resize(client_photo, (150, 150), interpolation=cv2.INTER_AREA))
        (outcome,) = store_and_analyze(store, landmarker, first.id, [("tiny.jpg", tiny)])
        junk = store.add_photo(first.id, b"imported, not a photo", filename="junk.jpg").id  # as an import can
        for number in (2, 3):
            session = store.add_session(client_id, day=date(2026, 1, number), number=number)
            photo = store.add_photo(session.id, analysed.data, filename=f"s{number}.jpg")
            store.save_analysis(photo.id, analysed.result, ALGORITHM_VERSION)
    assert outcome.photo_id is not None and outcome.result.error is not None
    app = _app(client_id)
    for screen in SCREENS:
        app.radio(key="screen").set_value(screen).run()
        assert not app.exception, (screen, app.exception)
    app.radio(key="screen").set_value("Sessions").run()
    _open_session(app, first.id)
    assert "too small" in _texts(app)
    app.button(key=f"delete_photo_{outcome.photo_id}").click().run()
    warning = next(w.value for w in app.warning if "Delete the photo" in w.value)
    assert "tiny" in warning and "analysis" in warning  # names what goes
    app.button(key="confirm_delete").click().run()
    assert not app.exception
    app.button(key=f"delete_photo_{junk}").click().run()
    app.button(key="confirm_delete_session").click().run()  # the session's last photo: the session can go too
    assert not app.exception
    assert _sessions(practice, client_id) == [(2, 1), (3, 1)]


def test_sessions_can_be_edited_and_deleted(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, "A-020", analysed, sessions=2)
    with Store(data_folder=practice) as store:
        first, second = store.sessions(client_id)
        photo = store.photos(second.id)[0]
    app = _app(client_id)
    assert len(app.get("image")) >= 1  # the aligned face's thumbnail
    assert f"edit_day_{first.id}" not in {widget.key for widget in app.date_input}  # drawn once opened
    _open_session(app, first.id)
    app.date_input(key=f"edit_day_{first.id}").set_value(date(2025, 12, 24))
    app.text_area(key=f"edit_treatment_{first.id}").set_value("LI20, ST3")
    next(b for b in app.form_submit_button if b.proto.form_id.endswith(f"edit_session_{first.id}")).click().run()
    assert not app.exception
    with Store(data_folder=practice) as store:
        edited = store.session(first.id)
        assert edited.day == date(2025, 12, 24) and edited.treatment_notes == "LI20, ST3"
    app.selectbox(key=f"view_{photo.id}").set_value("left").run()
    with Store(data_folder=practice) as store:
        assert store.photo(photo.id).view == "left"
    app.button(key=f"delete_session_{second.id}").click().run()
    assert any("Delete session 2" in w.value and "1 photo file" in w.value for w in app.warning)
    app.button(key="cancel_delete").click().run()
    assert _sessions(practice, client_id) == [(1, 1), (2, 1)]
    app.button(key=f"delete_session_{second.id}").click().run()
    app.button(key="confirm_delete").click().run()
    assert not app.exception
    assert _sessions(practice, client_id) == [(1, 1)]
    assert "Session 2 deleted" in _texts(app)


def test_a_photo_can_be_left_out(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, "A-021", analysed, sessions=1)
    with Store(data_folder=practice) as store:
        photo = store.photos(store.sessions(client_id)[0].id)[0]
    app = _app(client_id)
    app.checkbox(key=f"exclude_{photo.id}").check().run()
    assert not app.exception
    with Store(data_folder=practice) as store:
        assert store.photo(photo.id).excluded


def test_progress_screen_opens(practice: Path, analysed: Analysed) -> None:
    app = _app(_client(practice, "A-022", analysed, sessions=3), "Progress")
    assert not app.exception


def test_photos_measured_by_another_version_are_flagged_and_measured_again(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, "V-1", analysed, sessions=2)
    with Store(data_folder=practice) as store:
        first = store.photos(store.sessions(client_id)[0].id)[0]
        store.save_analysis(first.id, analysed.result, "progress 0.0.1")  # as an older version left it
    app = _app(client_id, "Progress")
    assert any("1 of this client's photos were measured by another version" in w.value for w in app.warning)
    app.button(key="measure_again").click().run()
    assert not app.exception
    assert not any("another version" in w.value for w in app.warning)
    with Store(data_folder=practice) as store:
        analyses = store.latest_analyses(client_id)
        assert {a.algorithm_version for a in analyses.values()} == {ALGORITHM_VERSION} and len(analyses) == 2


def test_capture_screen_opens(practice: Path) -> None:
    app = _app(_client(practice, "A-023"), "Capture")
    assert not app.exception


def test_before_after_shows_both_sessions_blend_heatmaps_and_a_timelapse(practice: Path, analysed: Analysed) -> None:
    app = _app(_client(practice, "A-024", analysed, sessions=2), "Before / after")
    assert app.slider(key="blend").value == 0.5
    assert len(app.get("image")) >= 6  # before, after, blend, two heatmaps, contours
    app.slider(key="blend").set_value(1.0).run()
    assert not app.exception
    app.button(key="prepare_timelapse").click().run()
    assert not app.exception
    assert [b for b in app.get("download_button") if b.proto.label.startswith("Time-lapse")]


def test_before_after_follows_a_photo_left_out_in_another_browser(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, "A-027", analysed, sessions=3)
    with Store(data_folder=practice) as store:
        last = store.photos(store.sessions(client_id)[-1].id)[0]
    compare = _app(client_id, "Before / after")
    assert len(compare.selectbox(key="after").options) == 3
    compare.selectbox(key="after").set_value(1).run()  # another pair: its pictures are made
    assert not compare.exception and len(compare.get("image")) >= 6
    _app(client_id).checkbox(key=f"exclude_{last.id}").check().run()  # a second browser leaves a photo out
    compare.run()
    assert not compare.exception
    assert len(compare.selectbox(key="after").options) == 2  # the cached list of usable photos is not stale


def test_export_prepares_the_files_and_delete_needs_confirmation(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, "A-025", analysed, sessions=2)
    app = _app(client_id, "Export")
    assert [b.proto.label for b in app.get("download_button")] == ["Metrics (CSV)"]  # the rest on request
    app.button(key="prepare_report").click().run()
    app.button(key="prepare_zip").click().run()
    assert not app.exception
    labels = {b.proto.label for b in app.get("download_button")}
    assert labels == {"Metrics (CSV)", "Everything about this client (zip)", "Progress report for the client (PDF)"}
    assert app.button(key="delete").disabled
    app.checkbox(key="delete_sure").check().run()
    app.button(key="delete").click().run()
    assert not app.exception
    with Store(data_folder=practice) as store:
        assert [c.id for c in store.list_clients()] == []
    assert "client" not in app.query_params


def test_a_rename_shows_at_once(practice: Path) -> None:
    client_id = _client(practice, "Old name")
    app = _app(client_id, "Client details")
    app.text_input(key=f"edit_name_{client_id}").set_value("New name")
    next(b for b in app.form_submit_button if b.label == "Save").click().run()
    assert not app.exception
    assert "New name" in str(app.get("html")[0].proto.body)
    assert "New name" in app.selectbox(key="client_id").options


def test_the_sessions_before_the_first_treatment_are_set_in_the_details(practice: Path) -> None:
    client_id = _client(practice, "B-2")
    app = _app(client_id, "Client details")
    app.number_input(key=f"edit_baseline_{client_id}").set_value(3)
    next(b for b in app.form_submit_button if b.label == "Save").click().run()
    assert not app.exception
    with Store(data_folder=practice) as store:
        assert store.client(client_id).baseline_sessions == 3


def test_the_chosen_client_survives_a_reload(practice: Path) -> None:
    client_id = _client(practice, "A-026")
    app = _app()
    app.selectbox(key="client_id").set_value(client_id).run()
    assert app.query_params["client"] == [str(client_id)] or app.query_params["client"] == str(client_id)
    reloaded = _app(client_id)  # a new browser session with the same URL
    assert reloaded.selectbox(key="client_id").value == client_id
    assert "A-026" in str(reloaded.get("html")[0].proto.body)


def test_markdown_in_user_text_is_shown_as_text(practice: Path, analysed: Analysed) -> None:
    client_id = _client(practice, MARKDOWN_NAME, analysed, sessions=2)
    with Store(data_folder=practice) as store:
        for record in store.sessions(client_id):
            store.update_session(
                record.id, treatment_notes=MARKDOWN_NAME, capture_notes="[link](http://example.invalid)"
            )
    app = _app(client_id)
    for screen in SCREENS:
        app.radio(key="screen").set_value(screen).run()
        assert not app.exception
        for kind in ("markdown", "info", "error", "warning", "success", "caption", "header", "subheader"):
            for element in getattr(app, kind):
                body = str(element.value)
                assert "](http" not in body and "![" not in body, (screen, kind, body)
        for html in app.get("html"):
            assert "<img" not in html.proto.body and "&lt;" not in MARKDOWN_NAME
    assert any(MARKDOWN_NAME in str(t.value) for t in _app(client_id).text)  # shown, as typed
