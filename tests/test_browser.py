"""End to end in a real browser: Debian's headless Chromium, driven by Playwright, against ``streamlit run app.py``.

Opens the demo client, uploads a photo as a practitioner would, sees its capture checks and the progress chart,
and saves a screenshot (``PROGRESS_TEST_ARTIFACTS``, default ``.artifacts/`` in the checkout).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import encode

ROOT = Path(__file__).parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PROGRESS_TEST_ARTIFACTS", ROOT / ".artifacts"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
"""No background connections: the machine has no network, and a practice's browser should not phone home."""
WAIT_MS = 180_000
"""Analysing the demo client takes seconds on a slow machine: wait for it, not for a fixed delay."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium (Debian's chromium package) must be installed by .ci/run")
        pytest.skip("Chromium is not installed on this machine (apt-get install chromium)")
    port = _free_port()
    environment = os.environ | {"PROGRESS_DATA_FOLDER": str(tmp_path_factory.mktemp("practice"))}
    environment.pop("PROGRESS_DATABASE_URL", None)
    log = ARTIFACTS / "streamlit-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if process.poll() is not None:
                pytest.fail(f"streamlit run app.py stopped (exit {process.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"streamlit run app.py did not come up within 120 s:\n{log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_practitioner_opens_the_demo_uploads_a_photo_and_sees_checks_and_progress(
    server: str, client_photo: np.ndarray, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    photo = tmp_path / "IMG_20260601_100000.jpg"
    photo.write_bytes(encode(client_photo))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(server)
        page.get_by_role("button", name="Open the demo client").click()
        expect(page.get_by_role("heading", name="Demo client (astronaut)")).to_be_visible(timeout=WAIT_MS)

        page.get_by_role("tab", name="New session").click()
        uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Photos of this session")
        uploader.locator("input[type=file]").set_input_files(str(photo))
        save = page.get_by_role("button", name="Save the session and analyse its photos")
        expect(save).to_be_enabled(timeout=WAIT_MS)
        expect(page.locator("[data-testid=stDateInput] input").first).to_have_value("2026-06-01")  # from its name
        save.click()
        expect(page.get_by_text("face size").filter(visible=True).first).to_be_visible(timeout=WAIT_MS)
        fix = page.get_by_text("Ask the client to relax the mouth").filter(visible=True).first
        expect(fix).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "browser-new-session.png"), full_page=True)

        page.get_by_role("tab", name="Progress").click()
        expect(page.get_by_text("redness.cheek_contrast.cheek_left").filter(visible=True).first).to_be_visible(timeout=WAIT_MS)
        expect(page.locator(".vega-embed").filter(visible=True).first).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "browser-progress.png"), full_page=True)

        page.get_by_role("tab", name="Export").click()
        with page.expect_download(timeout=WAIT_MS) as download:
            page.get_by_role("button", name="Progress report for the client (PDF)").click()
        report = ARTIFACTS / "browser-report.pdf"
        download.value.save_as(report)
        browser.close()
    assert report.read_bytes()[:5] == b"%PDF-"
    assert (ARTIFACTS / "browser-progress.png").stat().st_size > 10_000
