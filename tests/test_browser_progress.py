"""The Progress screen in a real browser: Debian's headless Chromium, driven by Playwright, against
``streamlit run app.py``. Opens the demo client, goes to Progress and finds the concern summary above the first
chart, in plain words; saves a screenshot (``PROGRESS_TEST_ARTIFACTS``, default ``.artifacts/`` in the checkout).

The demo client is made in the server's records before the browser opens, by the app's own ``open_demo_client``
with the analyses this test process remembers (``helpers.remembered_analyses``), so the button finds it made: the
first opening, which analyses the photos, is tested in ``test_app.py`` (``test_first_run_offers_the_demo_client...``).
The server is the one ``test_browser.py`` uses too (the ``app_server`` fixture).
"""

from __future__ import annotations

import re

import pytest
from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, AppServer, remembered_analyses

from progress import FaceLandmarker

pytestmark = pytest.mark.model  # the demo client is analysed (or its remembered analyses used)

WAIT_MS = 180_000
"""Analysing the demo client takes seconds on a slow machine: wait for it, not for a fixed delay."""
IDENTIFIER = re.compile(r"\b(tone|redness|brightness|spots|texture|lines|undereye|contour|lift|symmetry)\.[a-z_0-9]+")


@pytest.fixture
def server(app_server: AppServer, landmarker: FaceLandmarker) -> str:
    """The app, with the demo client in its records (made by the app's own ``open_demo_client``)."""
    from progress.practice import open_demo_client
    from progress.store import Store

    with remembered_analyses(), Store(data_folder=app_server.data_folder) as store:
        open_demo_client(store, landmarker)
    return app_server.url


def test_the_demo_clients_progress_opens_with_the_concern_summary_above_the_first_chart(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(server)
            page.locator(".st-key-demo button").click()
            expect(page.get_by_text("Demo client (astronaut)").filter(visible=True).first).to_be_visible(
                timeout=WAIT_MS
            )
            screen = (
                page.get_by_role("tab", name="Progress", exact=True)
                .or_(page.get_by_role("link", name="Progress", exact=True))
                .or_(page.get_by_text("Progress", exact=True))
            )
            screen.filter(visible=True).first.click()
            summary = page.get_by_text("Summary by concern", exact=True).filter(visible=True).first
            expect(summary).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("Redness", exact=True).filter(visible=True).first).to_be_visible()
            chart = page.locator(".vega-embed").filter(visible=True).first
            expect(chart).to_be_visible(timeout=WAIT_MS)
            summary_box, chart_box = summary.bounding_box(), chart.bounding_box()
            assert summary_box is not None and chart_box is not None
            assert summary_box["y"] < chart_box["y"]  # the summary comes first
            main = page.locator('[data-testid="stMain"]').first
            outside_expert = main.inner_text()
            assert "Improved" in outside_expert and "Can't tell yet" in outside_expert
            assert not IDENTIFIER.search(outside_expert), IDENTIFIER.search(outside_expert)
            height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1400, "height": max(1000, min(int(height) + 100, 8000))})
            expect(page.locator(".vega-embed").filter(visible=True).last).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "browser-progress-summary.png"), full_page=True)
        finally:
            browser.close()
