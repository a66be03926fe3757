"""The Capture screen end to end: Debian's headless Chromium with its fake camera playing a face video, driven by
Playwright, against a tiny Streamlit script that opens the store and calls ``progress.screens.capture.show``.

The face video is made at test time in a temporary folder (Y4M, the format Chromium's fake camera plays): from
the real recording ``../shared/captures/repeat_sittings/spectre__W015_level_1_neutral_030.mp4`` when it is
there (never copied into the project), else from the astronaut portrait the other tests use. The real clip's
frames are cropped (the eyes where the framing guide wants them) and 0.7× exposed (its forehead is clipped
otherwise); frame 37 is the one whose every server check passes, so the video holds it for two seconds (the
client sitting still) and then plays frames 84–103 (the client talking: checks go red), over and over.

Screenshots go to ``PROGRESS_TEST_ARTIFACTS`` (default ``.artifacts/`` in the checkout).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest
from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, require_chromium, streamlit_server

from progress.colour import scale_light
from progress.landmarks import FaceLandmarker
from progress.practice import store_and_analyze
from progress.quality import Status
from progress.store import PhotoRecord, Store

if TYPE_CHECKING:  # playwright is imported where the browser tests run, as in their own functions
    from playwright.sync_api import Browser, Page, Playwright

CLIP = ROOT.parent / "shared" / "captures" / "repeat_sittings" / "spectre__W015_level_1_neutral_030.mp4"
STILL_FRAME = 37
"""The frame of the clip whose every server check passes (0.7× exposed): pitch 4.8°, jawOpen and pucker low."""
MOVING_FRAMES = range(84, 104)
"""Frames where the client talks (jaw open, chin up): the checks go red, as when the client steps away."""
CROP = (720, 960)
"""Portrait frame (width, height), like a tablet held upright."""
EYE_TARGET = (0.5, 0.42)
FAKE_CAMERA_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
STORED_WITHIN_S = 60.0
"""The issue's bound: photos stored by the automatic shutter within a minute of opening the screen."""
SCRIPT = """
import streamlit as st
from progress.screens.capture import show
from progress.screens.common import get_store

st.set_page_config(page_title="capture", layout="wide")
store = get_store()
show(store, store.client(int(st.query_params["client"])))
"""

OVERLAY_COVERAGE = """() => {
  const canvas = document.getElementById("overlay");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn += 1;
  return drawn / (pixels.length / 4);
}"""
"""Share of the overlay's pixels drawn on: the face outline and a framing guide are thin lines (a few %), the
ghost is a whole face."""
SHUTTER_TAKEN = """() => document.getElementById("status").textContent.includes("Saving the photo")
  || (window.captureStats && window.captureStats.shots > 0)"""
"""The component took a shot: it is saving it (its live checks pause meanwhile), or has counted it."""


def _write_y4m(frames: list[np.ndarray], path: Path, fps: int = 25) -> Path:
    """BGR frames as an uncompressed 4:2:0 Y4M file (what --use-file-for-fake-video-capture plays)."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def _crop_at_eyes(image: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """A CROP-sized window with the eyes' midpoint at EYE_TARGET (padded with black where it leaves the image)."""
    width, height = CROP
    x0, y0 = round(eye[0] - EYE_TARGET[0] * width), round(eye[1] - EYE_TARGET[1] * height)
    padded = cv2.copyMakeBorder(image, height, height, width, width, cv2.BORDER_CONSTANT)
    return np.ascontiguousarray(padded[y0 + height : y0 + 2 * height, x0 + width : x0 + 2 * width])


def _eyes(landmarker: FaceLandmarker, rgb: np.ndarray) -> np.ndarray:
    face = landmarker.detect(rgb).face
    assert face is not None
    return np.asarray(face.landmarks[[33, 133, 362, 263], :2].mean(axis=0))


@pytest.fixture(scope="module")
def real_video(tmp_path_factory: pytest.TempPathFactory, landmarker: FaceLandmarker) -> tuple[Path, bytes]:
    """(Y4M of the real sitting, the held frame as a JPEG) — skipped when ../shared is not beside the checkout."""
    if not CLIP.exists():
        pytest.skip(f"{CLIP} is absent (../shared/captures beside the checkout): no real face video")
    capture = cv2.VideoCapture(str(CLIP))
    frames: list[np.ndarray] = []
    while len(frames) <= max(STILL_FRAME, *MOVING_FRAMES):  # the frames the video plays, not the whole clip
        ok, frame = capture.read()
        assert ok, f"{CLIP} ends at frame {len(frames)}"
        frames.append(frame)
    capture.release()
    # 0.7× exposure is a function of each value alone: a table of its 256 answers, applied after cropping
    exposure = scale_light(np.repeat(np.arange(256, dtype=np.uint8)[:, None, None], 3, axis=2), 0.7)[:, 0, 0]

    eye = _eyes(landmarker, cv2.cvtColor(exposure[frames[STILL_FRAME]], cv2.COLOR_BGR2RGB))
    still = exposure[_crop_at_eyes(frames[STILL_FRAME], eye)]
    moving = [exposure[_crop_at_eyes(frames[i], eye)] for i in MOVING_FRAMES]
    folder = tmp_path_factory.mktemp("fake_camera")
    video = _write_y4m([still] * 50 + moving, folder / "sitting.y4m")
    ok, jpeg = cv2.imencode(".jpg", still, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return video, jpeg.tobytes()


@pytest.fixture(scope="module")
def synthetic_video(tmp_path_factory: pytest.TempPathFactory, portrait: np.ndarray, landmarker: FaceLandmarker) -> Path:
    """Y4M of the astronaut portrait (a real face that smiles), a little sensor noise on every frame."""
    eye = _eyes(landmarker, portrait)
    still = cv2.cvtColor(_crop_at_eyes(portrait, eye), cv2.COLOR_RGB2BGR)
    generator = np.random.default_rng(0)
    frames = [np.clip(still + generator.normal(0, 2, still.shape), 0, 255).astype(np.uint8) for _ in range(10)]
    return _write_y4m(frames, tmp_path_factory.mktemp("fake_camera") / "portrait.y4m")


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """(URL of a Streamlit server running the capture script, the store it writes to)."""
    require_chromium()
    folder = tmp_path_factory.mktemp("capture_practice")
    script = folder / "capture_app.py"
    script.write_text(SCRIPT)
    with streamlit_server(
        script,
        data_folder=folder / "data",
        log=ARTIFACTS / "capture-server.log",
        cwd=folder,
        extra_args=("--server.fileWatcherType", "none"),
    ) as url:
        store = Store(data_folder=folder / "data")
        try:
            yield url, store
        finally:
            store.close()


def _photos(store: Store, client_id: int) -> list[PhotoRecord]:
    return [photo for session in store.sessions(client_id) for photo in store.photos(session.id)]


def _wait_for_photos(store: Store, client_id: int, count: int, before: int, timeout_s: float) -> list[PhotoRecord]:
    """Poll the store (not the page) until ``count`` photos beyond ``before`` are stored, or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        photos = _photos(store, client_id)
        if len(photos) - before >= count:
            return photos
        time.sleep(0.2)
    return _photos(store, client_id)


def _is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:")):
        return True
    return urlparse(url).hostname in {"127.0.0.1", "localhost"}


def _open(playwright: Playwright, video: Path, url: str) -> tuple[Browser, Page, list[str]]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(90_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    return browser, page, requests


@pytest.mark.model  # the browser runs the face model (and the stored photos are analysed)
def test_a_new_clients_photos_are_stored_by_the_automatic_shutter(
    practice: tuple[str, Store], real_video: tuple[Path, bytes]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = practice
    client = store.create_client("Capture, first session", consent_clinical=True)
    with sync_playwright() as playwright:
        browser, page, requests = _open(playwright, real_video[0], f"{url}/?client={client.id}")
        camera = page.frame_locator("iframe[title*='capture']").first
        expect(camera.locator("#checks li").first).to_be_visible(timeout=90_000)  # live checks are running
        photos = _wait_for_photos(store, client.id, 1, 0, STORED_WITHIN_S)
        assert photos, "the automatic shutter stored no photo within a minute"
        expect(page.get_by_text("stored in today's session").first).to_be_visible(timeout=90_000)
        # the client steps away and comes back (the video's talking frames, then the still one again): once is
        # enough here, the shutter's rearming after every shot is tests/js's "automatic shutter" case
        photos = _wait_for_photos(store, client.id, 2, 0, STORED_WITHIN_S)
        assert len(photos) >= 2, "no second photo after the client stepped away and came back"
        expect(page.get_by_text(re.compile(r"[23] photo\(s\) stored in today's session")).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "capture-first-session.png"), full_page=True)
        rate = camera.locator("#stats").text_content()
        frame = page.locator("iframe[title*='capture']").first.element_handle().content_frame()
        assert frame is not None
        stats = frame.evaluate("window.captureStats")
        browser.close()
    print(f"\n{rate}; photos stored: {len(photos)}; shutter → stored (ms): {stats.get('shutterToStoredMs')}")
    session = store.sessions(client.id)[0]
    assert "Guided capture" in session.capture_notes
    first = photos[0]
    assert first.captured_at is not None  # from the EXIF the screen writes
    assert first.filename.startswith("capture-")
    assert store.photo_bytes(first.id)[:4] in (b"\xff\xd8\xff\xe1", b"\x89PNG")  # JPEG with EXIF, or PNG
    analyses = store.latest_analyses(client.id)
    assert analyses[first.id].error is None
    outside = sorted({request for request in requests if not _is_local(request)})
    assert not outside, f"the page asked for something outside this machine: {outside[:5]}"


def test_with_a_baseline_the_ghost_shows_and_stored_photos_pass_their_checks(
    practice: tuple[str, Store], real_video: tuple[Path, bytes], landmarker: FaceLandmarker
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = practice
    client = store.create_client("Capture, later session", consent_clinical=True)
    first = store.add_session(client.id)
    outcome = store_and_analyze(store, landmarker, first.id, [("IMG_20260101_100000.jpg", real_video[1])])[0]
    assert outcome.result.ok
    before = len(_photos(store, client.id))
    with sync_playwright() as playwright:
        browser, page, requests = _open(playwright, real_video[0], f"{url}/?client={client.id}")
        camera = page.frame_locator("iframe[title*='capture']").first
        expect(camera.locator("#ghost-row")).to_be_visible(timeout=90_000)  # the ghost and its opacity
        expect(camera.locator("#checks li[data-check=distance_change]")).to_be_visible(timeout=90_000)
        photos = _wait_for_photos(store, client.id, 1, before, STORED_WITHIN_S)
        assert len(photos) > before, "no photo stored within a minute"
        expect(page.get_by_text("stored in today's session").first).to_be_visible(timeout=90_000)
        frame = page.locator("iframe[title*='capture']").first.element_handle().content_frame()
        assert frame is not None
        covered = frame.evaluate(OVERLAY_COVERAGE)
        assert covered > 0.05, f"the ghost covers {covered:.1%} of the preview: it is not drawn"
        camera.locator("#opacity").fill("70")  # the practitioner turns the ghost up
        page.wait_for_timeout(300)  # a few frames of the overlay, for the screenshot
        page.screenshot(path=str(ARTIFACTS / "capture-with-ghost.png"), full_page=True)
        browser.close()
    analyses = store.latest_analyses(client.id)
    captured = [photo for photo in photos[before:]]
    checks = {check["name"]: check["status"] for check in analyses[captured[0].id].checks}
    assert checks["camera_distance_change"] == Status.PASS
    failing = {name: status for name, status in checks.items() if status != Status.PASS}
    assert not failing, f"the automatic shutter stored a photo whose checks do not pass: {failing}"
    assert all(_is_local(request) for request in requests)


def _keep_page_state(page: Page, stem: Path) -> None:
    """A screenshot, the page's and the component's text and the component's own numbers, as ``stem``.png and
    ``stem``.txt (for finding why a shot was not stored or shown)."""
    page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
    handle = page.locator("iframe[title*='capture']").first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    stats = frame.evaluate("window.captureStats") if frame is not None else None
    component = frame.evaluate("document.body.innerText") if frame is not None else "(no component)"
    running = page.locator("[data-testid=stStatusWidgetRunningIcon]").count()
    stale = page.locator("[data-stale=true]").count()
    stem.with_suffix(".txt").write_text(
        f"{time.strftime('%Y-%m-%dT%H:%M:%S')}\nrunning icon: {running}, stale elements: {stale}\n"
        f"captureStats: {stats}\n\n--- page ---\n{page.locator('body').inner_text()}\n"
        f"\n--- component ---\n{component}\n"
    )


@pytest.mark.model  # the browser runs the face model (and the stored photo is analysed)
def test_the_manual_shutter_stores_a_photo_and_the_page_stays_on_this_machine(
    practice: tuple[str, Store], synthetic_video: Path
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect, sync_playwright

    url, store = practice
    client = store.create_client("Capture, manual", consent_clinical=True)
    with sync_playwright() as playwright:
        browser, page, requests = _open(playwright, synthetic_video, f"{url}/?client={client.id}")
        camera = page.frame_locator("iframe[title*='capture']").first
        expect(camera.locator("#checks li[data-check=smile]")).to_be_visible(timeout=90_000)
        expect(camera.locator("#checks li[data-check=smile]")).to_contain_text("Relax your mouth")  # he smiles
        # The button sits under the live checks, whose hints come and go with every frame: it moves, and on a
        # loaded machine a click can land where it was a moment before (seen: shots 0, nothing stored, no error).
        # A click is retried until the component says it is saving (SHUTTER_TAKEN), at most three times.
        frame = page.locator("iframe[title*='capture']").first.element_handle().content_frame()
        assert frame is not None
        for _ in range(3):
            camera.get_by_role("button", name="Take the photo now").click()
            try:
                frame.wait_for_function(SHUTTER_TAKEN, timeout=5_000)
                break
            except PlaywrightTimeoutError:
                continue
        photos = _wait_for_photos(store, client.id, 1, 0, STORED_WITHIN_S)
        if not photos:
            _keep_page_state(page, ARTIFACTS / "capture-manual-not-stored")
        assert photos, "the manual shot was not stored within a minute (.artifacts/capture-manual-not-stored.*)"
        shown = page.get_by_text("stored in today's session").first
        try:
            expect(shown).to_be_visible(timeout=30_000)
        except AssertionError:
            # Kept from the CI rehearsals where the page seemed not to re-render after this shot. Those runs did
            # not check that the photo was stored (it is asserted above now), and the same failure seen here
            # was a click that missed the moving button (handled above). Should the page really not re-render,
            # the screen reads today's capture session from the records, so a reload must show the photo and
            # its checks; what the page showed is kept in .artifacts/capture-manual-not-rerendered.*.
            _keep_page_state(page, ARTIFACTS / "capture-manual-not-rerendered")
            page.reload()
            expect(shown).to_be_visible(timeout=90_000)
        expect(page.get_by_text("relax the mouth").first).to_be_visible(timeout=90_000)  # its checks
        page.screenshot(path=str(ARTIFACTS / "capture-manual.png"), full_page=True)
        browser.close()
    assert len(photos) == 1
    assert requests
    outside = sorted({request for request in requests if not _is_local(request)})
    assert not outside, f"the page asked for something outside this machine: {outside[:5]}"
    assert any("face_landmarker.task" in request for request in requests)  # the package's own model file


def test_the_live_checks_javascript_decides_as_python_does() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"PROGRESS_PYTHON": sys.executable},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_a_still_from_the_camera_is_checked_and_stamped_with_its_time_and_device(client_photo: np.ndarray) -> None:
    import base64
    from datetime import datetime

    from progress import ingest
    from progress.live_checks import CaptureError, decode_capture

    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(client_photo, cv2.COLOR_RGB2BGR))
    assert ok
    value = {
        "shot": 2,
        "image": "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode(),
        "captured_at": "2026-06-01T10:20:30.123",
        "device": "FaceTime HD Camera",
        "method": "takePhoto",
        "width": client_photo.shape[1],
        "height": client_photo.shape[0],
    }
    photo = decode_capture(value)
    assert (photo.shot, photo.device, photo.method) == (2, "FaceTime HD Camera", "takePhoto")
    read = ingest.read_photo(photo.data)
    assert read.captured_at == datetime(2026, 6, 1, 10, 20, 30)
    assert read.captured_at_source == "exif"
    assert np.array_equal(read.image, ingest.read_photo(jpeg.tobytes()).image)  # pixels untouched
    for broken in (
        None,
        {},
        value | {"image": "data:text/plain;base64,aGVsbG8="},
        value | {"image": "data:image/jpeg;base64,@@"},
        value | {"captured_at": "yesterday"},
        value | {"image": "data:image/png;base64,aGVsbG8="},
    ):
        with pytest.raises(CaptureError):
            decode_capture(broken)


def test_a_certificate_for_the_practice_network(tmp_path: Path) -> None:
    from progress.https import local_names, make_certificate, serve_command

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    names = local_names()
    assert names[:2] == ("localhost", "127.0.0.1")
    made = make_certificate(tmp_path / "tls", (*names, "192.168.1.20"))
    text = subprocess.run(
        ["openssl", "x509", "-in", str(made.certificate), "-noout", "-text"], capture_output=True, text=True, check=True
    ).stdout
    assert "DNS:localhost" in text and "IP Address:192.168.1.20" in text
    assert made.key.stat().st_mode & 0o077 == 0
    assert "--server.sslCertFile" in serve_command(made) and "--server.address 0.0.0.0" in serve_command(made)
