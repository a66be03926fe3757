"""End to end in a real browser: Debian's headless Chromium, driven by Playwright, against ``streamlit run app.py``.

A practitioner creates two clients, saves sessions, switches client with photos in the form, corrects and deletes
records, downloads every file in quick succession and reloads; a client named with Markdown fetches nothing.
Screenshots go to ``PROGRESS_TEST_ARTIFACTS`` (default ``.artifacts/`` in the checkout).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, AppServer, encode
from playwright.sync_api import Page, expect, sync_playwright

from progress.store import Store

pytestmark = pytest.mark.model  # the browser uploads photos the app analyses

WAIT_MS = 180_000
"""Analysing the demo client takes seconds on a slow machine: wait for it, not for a fixed delay."""


@pytest.fixture
def server(app_server: AppServer) -> AppServer:
    return app_server


MARKDOWN_NAME = "![x](http://example.invalid/p.png)"


SAVE = "Save the session and analyse its photos"


def _idle(page: Page) -> None:
    """Wait until the app's run has finished: while it runs, the previous run's elements are still shown."""
    page.wait_for_timeout(300)  # let a run that was just asked for begin
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidgetRunningIcon], "
        "[data-testid=stStatusWidgetRunningManIcon], [data-stale=true]')",
        timeout=WAIT_MS,
    )


def _choose_screen(page: Page, name: str) -> None:
    _idle(page)
    radio = page.get_by_role("radio", name=name, exact=True)
    page.locator('[data-testid="stRadio"] label').filter(has_text=name).first.click()
    expect(radio).to_be_checked(timeout=WAIT_MS)
    _idle(page)


def _create_client(page: Page, name: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Name or code").fill(name)
    sidebar.get_by_role("button", name="Create client").click()


def _choose_client(page: Page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name, exact=True).click()
    _idle(page)


def _client_id(folder: Path, name: str) -> int:
    with Store(data_folder=folder) as store:
        return next(client.id for client in store.list_clients() if client.name == name)


def _sessions(folder: Path, client_id: int) -> list[tuple[int, int]]:
    with Store(data_folder=folder) as store:
        return [(record.number, len(store.photos(record.id))) for record in store.sessions(client_id)]


def _save_session(page: Page, photo: Path, number: int) -> None:
    expect(page.get_by_role("button", name=SAVE)).to_have_count(1, timeout=WAIT_MS)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Photos of this session")
    uploader.locator("input[type=file]").set_input_files(str(photo))
    save = page.get_by_role("button", name=SAVE)
    expect(save).to_be_enabled(timeout=WAIT_MS)
    save.click()
    expect(page.get_by_text(f"Session {number} saved")).to_be_visible(timeout=WAIT_MS)
    _form_is_empty(page)


def _form_is_empty(page: Page) -> None:
    _idle(page)
    expect(page.get_by_role("button", name=SAVE)).to_have_count(1, timeout=WAIT_MS)  # the previous form is gone
    expect(page.locator('[data-testid="stFileChip"]')).to_have_count(0)
    for area in page.locator("textarea").all():
        expect(area).to_have_value("")
    expect(page.get_by_role("button", name=SAVE)).to_be_disabled()


def test_a_practitioner_keeps_two_clients_apart_corrects_records_and_downloads(
    server: AppServer, client_photo: np.ndarray, tmp_path: Path
) -> None:
    first, second = tmp_path / "IMG_20260105_100000.jpg", tmp_path / "IMG_20260119_100000.jpg"
    first.write_bytes(encode(client_photo))
    second.write_bytes(encode(client_photo, quality=85))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(60_000)
        page.goto(server.url)
        _create_client(page, "Y")
        expect(page.get_by_role("heading", name="Y")).to_be_visible(timeout=WAIT_MS)
        _create_client(page, "X")
        expect(page.get_by_role("heading", name="X")).to_be_visible(timeout=WAIT_MS)
        x, y = _client_id(server.data_folder, "X"), _client_id(server.data_folder, "Y")

        # two sessions for X: numbered from the records, the form emptied after each save
        _choose_screen(page, "New session")
        _save_session(page, first, 1)  # ends by checking that the form is empty
        page.screenshot(path=str(ARTIFACTS / "browser-session-saved.png"), full_page=True)
        _save_session(page, second, 2)
        assert _sessions(server.data_folder, x) == [(1, 1), (2, 1)]

        # a photo in X's form, then client Y: Y's form is empty and nothing is filed for Y
        page.locator('[data-testid="stFileUploader"]').filter(has_text="Photos of this session").locator(
            "input[type=file]"
        ).set_input_files(str(first))
        expect(page.locator('[data-testid="stFileChip"]')).to_have_count(1)
        page.locator("textarea").first.fill("X's treatment")
        _choose_client(page, "Y")
        expect(page.get_by_role("heading", name="Y")).to_be_visible(timeout=WAIT_MS)
        _choose_screen(page, "New session")
        _form_is_empty(page)
        page.screenshot(path=str(ARTIFACTS / "browser-other-client-empty-form.png"), full_page=True)
        assert _sessions(server.data_folder, y) == []

        # a rename shows at once, in the heading and the sidebar
        _choose_screen(page, "Client details")
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_label("Name or code").fill("Y renamed")
        main.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("heading", name="Y renamed")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_role("combobox", name="Client")).to_have_value("Y renamed")

        # every download of X, clicked in quick succession
        _choose_client(page, "X")
        _choose_screen(page, "Export")
        page.get_by_role("button", name="Prepare: Progress report for the client (PDF)").click()
        pdf = page.get_by_role("button", name="Progress report for the client (PDF)", exact=True)
        expect(pdf).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name="Prepare: Everything about this client (zip)").click()
        zipped = page.get_by_role("button", name="Everything about this client (zip)", exact=True)
        expect(zipped).to_be_visible(timeout=WAIT_MS)
        downloads = []
        for button in (page.get_by_role("button", name="Metrics (CSV)"), pdf, zipped):
            with page.expect_download(timeout=WAIT_MS) as download:
                button.click()
            downloads.append(download.value)
        files = {d.suggested_filename: Path(d.path()).read_bytes() for d in downloads}
        page.screenshot(path=str(ARTIFACTS / "browser-export.png"), full_page=True)
        _choose_screen(page, "Before / after")
        page.get_by_role("button", name="Prepare: Time-lapse of every session (GIF)").click()
        with page.expect_download(timeout=WAIT_MS) as gif:
            page.get_by_role("button", name="Time-lapse of every session (GIF)", exact=True).click()
        files[gif.value.suggested_filename] = Path(gif.value.path()).read_bytes()

        # delete session 2's photo, then the emptied session, through the confirmations
        with Store(data_folder=server.data_folder) as store:
            session_two = store.sessions(x)[1]
            (photo,) = store.photos(session_two.id)
        _choose_screen(page, "Sessions")
        expect(page.locator('[data-testid="stImage"]').first).to_be_visible(timeout=WAIT_MS)  # thumbnails
        page.screenshot(path=str(ARTIFACTS / "browser-sessions.png"), full_page=True)
        page.get_by_role("button", name="Delete photo").first.click()
        expect(page.get_by_text("removes the photo file")).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "browser-delete-confirmation.png"), full_page=True)
        page.get_by_role("button", name="Yes, delete the photo").click()
        expect(page.get_by_text("deleted.")).to_be_visible(timeout=WAIT_MS)
        assert _sessions(server.data_folder, x) == [(1, 1), (2, 0)]
        assert not [path for path in (server.data_folder / "photos").rglob("*") if photo.sha256 in path.name]
        page.get_by_role("button", name="Delete this session").first.click()
        page.get_by_role("button", name="Yes, delete the session").click()
        expect(page.get_by_text("Session 2 deleted")).to_be_visible(timeout=WAIT_MS)
        assert _sessions(server.data_folder, x) == [(1, 1)]

        # correct session 1's date
        _idle(page)
        expect(page.locator("[data-testid=stDateInput] input")).to_have_count(1, timeout=WAIT_MS)
        page.locator("[data-testid=stDateInput] input").fill("2026-01-03")
        page.get_by_role("button", name="Save changes").first.click()
        expect(page.get_by_text("Session 1 saved.").first).to_be_visible(timeout=WAIT_MS)
        _idle(page)
        with Store(data_folder=server.data_folder) as store:
            assert store.sessions(x)[0].day.isoformat() == "2026-01-03"

        # a reload keeps the chosen client
        page.reload()
        expect(page.get_by_role("heading", name="X")).to_be_visible(timeout=WAIT_MS)
        assert f"client={x}" in page.url
        page.screenshot(path=str(ARTIFACTS / "browser-reloaded.png"), full_page=True)
        browser.close()
    assert files[f"client-{x}-report.pdf"][:5] == b"%PDF-"
    assert files[f"client-{x}.zip"][:2] == b"PK"
    assert b"," in files[f"client-{x}-metrics.csv"]
    assert files["timelapse.gif"][:3] == b"GIF"


def test_a_client_named_in_markdown_fetches_nothing(
    server: AppServer, client_photo: np.ndarray, tmp_path: Path
) -> None:
    photo = tmp_path / "![y](http:__example.invalid_q.png).jpg"
    photo.write_bytes(encode(client_photo, quality=80))
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.on("request", lambda request: requests.append(request.url))
        page.goto(server.url)
        _create_client(page, MARKDOWN_NAME)
        expect(page.get_by_role("heading", name=MARKDOWN_NAME)).to_be_visible(timeout=WAIT_MS)
        _choose_screen(page, "New session")
        page.locator("textarea").first.fill("[a link](http://example.invalid/notes)")
        _save_session(page, photo, 1)
        for screen in ("Export", "Client details", "Sessions"):
            _choose_screen(page, screen)
            page.wait_for_load_state("networkidle")
        expect(page.get_by_text(MARKDOWN_NAME).first).to_be_visible()
        expect(page.locator('[data-testid="stImage"]').first).to_be_visible(timeout=WAIT_MS)  # the thumbnail
        page.screenshot(path=str(ARTIFACTS / "browser-markdown-name.png"), full_page=True)
        links = page.locator("a[href*='example.invalid'], img[src*='example.invalid']").count()
        browser.close()
    outside = [url for url in requests if not url.startswith((server.url, "data:", "blob:"))]
    assert outside == [] and links == 0
