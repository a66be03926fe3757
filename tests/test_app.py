"""The Streamlit app through Streamlit's AppTest: every flow, on a real SQLite store and the real model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import encode
from streamlit.testing.v1 import AppTest

from progress.practice import DEMO_CLIENT_NAME
from progress.store import Store

APP = str(Path(__file__).parents[1] / "app.py")
TIMEOUT = 240


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One practice for the module (the demo client is analysed once), in a folder of its own."""
    folder = tmp_path_factory.mktemp("practice")
    previous = os.environ.get("PROGRESS_DATA_FOLDER")
    os.environ["PROGRESS_DATA_FOLDER"] = str(folder)
    os.environ.pop("PROGRESS_DATABASE_URL", None)
    yield folder
    if previous is None:
        os.environ.pop("PROGRESS_DATA_FOLDER", None)
    else:
        os.environ["PROGRESS_DATA_FOLDER"] = previous


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _open(app: AppTest, client_name: str) -> AppTest:
    box = app.selectbox(key="client_id")
    with Store(data_folder=os.environ["PROGRESS_DATA_FOLDER"]) as store:
        client_id = next(c.id for c in store.list_clients() if c.name == client_name)
    return box.set_value(client_id).run()


def _texts(app: AppTest) -> str:
    return "\n".join(str(element.value) for kind in ("markdown", "info", "error", "warning", "subheader", "header",
                                                     "caption") for element in getattr(app, kind))


def test_first_run_offers_the_demo_client_and_opens_it(data_folder: Path) -> None:
    app = _app().run()
    assert not app.exception
    assert "open the demo client" in app.info[0].value
    app.button(key="demo").click().run()
    assert not app.exception
    assert app.header[0].value == DEMO_CLIENT_NAME
    assert len(app.expander) >= 8  # one per session (the settings expander too)
    texts = _texts(app)
    assert "redness.cheek_contrast.cheek_left** — improved" in texts  # the simulated fading redness
    assert "± " in texts


def test_progress_shows_charts_and_primary_metrics_first(data_folder: Path) -> None:
    app = _open(_app().run(), DEMO_CLIENT_NAME)
    app.multiselect(key="primary").set_value(["contour.jaw_to_cheek_ratio"]).run()
    assert not app.exception
    assert len(app.get("vega_lite_chart")) >= 5  # a chart per primary metric, per changed metric, per family
    first = next(m.value for m in app.markdown if m.value.startswith(("🟢", "🔴", "⚪", "⚫", "🟠", "🟣")))
    assert "contour.jaw_to_cheek_ratio" in first and "(primary)" in first and "not enough data" in first
    with Store(data_folder=data_folder) as store:
        client = next(c for c in store.list_clients() if c.name == DEMO_CLIENT_NAME)
        assert client.primary_metrics == ("contour.jaw_to_cheek_ratio",)


def test_before_after_shows_both_sessions_blend_heatmaps_and_contours(data_folder: Path) -> None:
    app = _open(_app().run(), DEMO_CLIENT_NAME)
    assert not app.exception
    assert app.slider(key="blend").value == 0.5
    assert len(app.get("image")) >= 6  # before, after, blend, two heatmaps, contours
    app.slider(key="blend").set_value(1.0).run()
    assert not app.exception
    assert "Time-lapse of every session (GIF)" in [button.proto.label for button in app.get("download_button")]


def test_create_a_client_upload_photos_and_see_their_checks(data_folder: Path, client_photo: np.ndarray) -> None:
    app = _app().run()
    app.text_input(key="new_name").set_value("A-017")
    app.form_submit_button[0].click().run()  # "Create client"
    assert not app.exception and app.header[0].value == "A-017"
    app.file_uploader(key="uploads").set_value([
        ("IMG_20260105_100000.jpg", encode(client_photo), "image/jpeg"),
        ("notes.jpg", b"not a photo at all", "image/jpeg"),
    ]).run()
    assert str(app.date_input(key="session_day").value) == "2026-01-05"  # from the photo's file name
    next(button for button in app.form_submit_button if "analyse" in button.label).click().run()
    assert not app.exception
    texts = _texts(app)
    assert "This file is not an image" in texts  # the bad file says why, next to its name
    assert "face size" in texts and "expression smile" in texts  # the good photo's checks
    with Store(data_folder=data_folder) as store:
        client = next(c for c in store.list_clients() if c.name == "A-017")
        (session,) = store.sessions(client.id)
        assert [p.filename for p in store.photos(session.id)] == ["IMG_20260105_100000.jpg"]


def test_a_photo_without_a_face_says_so_in_the_sessions(data_folder: Path, cat: np.ndarray) -> None:
    app = _open(_app().run(), "A-017")
    app.file_uploader(key="uploads").set_value([("cat.jpg", encode(cat), "image/jpeg")]).run()
    next(button for button in app.form_submit_button if "analyse" in button.label).click().run()
    assert not app.exception
    assert "No face found" in _texts(app)  # next to the upload, and in the session's list of photos
    sessions_list = [m.value for m in app.markdown if m.value.startswith("**cat.jpg**")]
    assert sessions_list and "No face found" in sessions_list[0]


def test_a_photo_can_be_left_out(data_folder: Path) -> None:
    app = _open(_app().run(), "A-017")
    with Store(data_folder=data_folder) as store:
        client = next(c for c in store.list_clients() if c.name == "A-017")
        photo = store.photos(store.sessions(client.id)[0].id)[0]
    app.checkbox(key=f"exclude_{photo.id}").check().run()
    assert not app.exception
    with Store(data_folder=data_folder) as store:
        assert store.photo(photo.id).excluded


def test_export_offers_csv_zip_and_report_and_delete_needs_confirmation(data_folder: Path) -> None:
    app = _open(_app().run(), DEMO_CLIENT_NAME)
    labels = [button.proto.label for button in app.get("download_button")]
    expected = {"Metrics (CSV)", "Everything about this client (zip)", "Progress report for the client (PDF)"}
    assert expected <= set(labels)
    app = _open(_app().run(), "A-017")
    assert app.button(key="delete").disabled
    app.checkbox(key="delete_sure").check().run()
    app.button(key="delete").click().run()
    assert not app.exception
    with Store(data_folder=data_folder) as store:
        assert "A-017" not in [c.name for c in store.list_clients()]


def test_a_password_keeps_records_closed(data_folder: Path) -> None:
    import hashlib

    app = _app()
    app.secrets["password_sha256"] = hashlib.sha256(b"needle").hexdigest()
    app.run()
    assert "protected" in app.info[0].value and not app.selectbox
    app.text_input(key="password").set_value("wrong").run()
    assert "protected" in app.info[0].value
    app.text_input(key="password").set_value("needle").run()
    assert not app.exception and app.selectbox(key="client_id")
