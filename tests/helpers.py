"""Small helpers shared by the tests."""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from progress.analysis import FaceSummary, PhotoResult
from progress.analysis import analyze_photo as _analyze_photo
from progress.colour import scale_light
from progress.landmarks import FaceLandmarker
from progress.quality import Check, Status


def encode(image: np.ndarray, format: str = "JPEG", **params: object) -> bytes:
    """Encode an RGB array with Pillow and return the file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format, **params)
    return buffer.getvalue()


def scale_exposure(image: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
    """Multiply linear-light intensity by ``factor`` (a scalar, or per-channel gains for a white-balance shift)."""
    return scale_light(image, factor)


def grey_tiff(values: np.ndarray, sample_format: int) -> bytes:
    """An uncompressed little-endian greyscale TIFF of a 2-D array, written out by hand (Pillow cannot write
    unsigned 32-bit or every sample format).

    Args:
        values: (H, W) array of 8, 16 or 32-bit integers or 32-bit floats.
        sample_format: The TIFF SampleFormat tag: 1 unsigned integer, 2 signed integer, 3 floating point.
    """
    height, width = values.shape
    pixels = np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<")).tobytes()
    pixel_offset = 8 + 2 + 12 * 10 + 4  # header, then one IFD of ten entries, then the pixels
    entries = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, values.dtype.itemsize * 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, pixel_offset),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, len(pixels)),
        (339, 3, sample_format),
    ]
    out = bytearray(b"II*\x00" + struct.pack("<IH", 8, len(entries)))
    for tag, kind, value in entries:  # kind 3 = SHORT, 4 = LONG; one value each, left-justified in 4 bytes
        out += struct.pack("<HHI", tag, kind, 1) + struct.pack(
            "<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else (value,))
        )
    return bytes(out + struct.pack("<I", 0)) + pixels


def psd(image: np.ndarray) -> bytes:
    """A minimal, valid Photoshop (PSD) file of an RGB uint8 (H, W, 3) array: raw planar channels, no layers."""
    height, width = image.shape[:2]
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour-mode data, image resources, layers: all empty
    planes = np.ascontiguousarray(np.moveaxis(image, 2, 0)).tobytes()
    return header + sections + struct.pack(">H", 0) + planes


@contextmanager
def fifo_released(fifo: Path) -> Iterator[None]:
    """Keep releasing ``fifo`` while the block runs: whenever a reader is blocked opening it, a writer is
    attached and closed at once, so the reader sees an empty file instead of waiting forever.

    A hang guard, not a time limit: code that refuses a FIFO never waits on it and is not affected; code that
    opens it for reading gets an empty file (and the test's assertion on the refusal's wording fails) instead of
    hanging the test run. Polls every 0.2 s; the thread stops when the block ends.
    """
    done = threading.Event()

    def release() -> None:
        while not done.wait(0.2):
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO unless a reader is there
            except OSError:
                continue

    guard = threading.Thread(target=release, daemon=True)
    guard.start()
    try:
        yield
    finally:
        done.set()
        guard.join()


@contextmanager
def address_space_headroom(headroom_bytes: int) -> Iterator[None]:
    """Cap this process's address space at its present size plus ``headroom_bytes`` while the block runs, so
    code that reads or allocates without bound raises MemoryError instead of exhausting the machine.

    Linux only (reads ``/proc/self/status``); elsewhere it does nothing. The previous limit is restored after.
    """
    status = Path("/proc/self/status")
    if not status.exists():
        yield
        return
    size_kb = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size_kb * 1024 + headroom_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium: Playwright drives it and never downloads a browser of its own."""
ARTIFACTS = Path(os.environ.get("PROGRESS_TEST_ARTIFACTS", ROOT / ".artifacts"))
"""Where browser tests leave screenshots and server logs to look at (``.artifacts/`` is not committed)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""No background connections: the machine has no network, and a practice's browser should not phone home."""


def require_chromium() -> None:
    """Skip (fail under CI, whose .ci/run installs it) when Debian's Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium (Debian's chromium package) must be installed by .ci/run")
        pytest.skip("Chromium is not installed on this machine (apt-get install chromium)")


@contextmanager
def streamlit_server(
    script: Path, *, data_folder: Path, log: Path, cwd: Path = ROOT, extra_args: Sequence[str] = ()
) -> Iterator[str]:
    """``streamlit run script`` on a free loopback port with its records in ``data_folder``; yields its URL and
    stops it afterwards. Fails with the server's log if it stops or does not answer within 120 s."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    environment = os.environ | {"PROGRESS_DATA_FOLDER": str(data_folder)}
    environment.pop("PROGRESS_DATABASE_URL", None)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *extra_args,
            ],
            cwd=cwd,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if process.poll() is not None:
                pytest.fail(f"streamlit run {script.name} stopped (exit {process.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"streamlit run {script.name} did not come up within 120 s:\n{log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class AppServer:
    """``streamlit run app.py`` for the browser tests: its URL and the data folder its records are in."""

    url: str
    data_folder: Path


def cheeks_shifted(image: np.ndarray, landmarks: np.ndarray, a_star: float) -> np.ndarray:
    """``image`` (uint8 RGB) with CIELAB a* shifted by ``a_star`` on both cheeks, feathered over about 2 mm of the
    canonical frame (the cheek polygons of :data:`progress.regions.ROI_POLYGONS`, dilated 21 px, blurred σ 4 px)."""
    import cv2

    from progress.regions import ROI_POLYGONS

    mask: np.ndarray = np.zeros(image.shape[:2], np.float32)
    for name in ("cheek_left", "cheek_right"):
        cv2.fillPoly(mask, [np.round(landmarks[list(ROI_POLYGONS[name]), :2]).astype(np.int32)], 1.0)
    mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((21, 21), np.uint8)), (0, 0), 4)
    lab: np.ndarray = cv2.cvtColor(image.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    lab[..., 1] += a_star * mask
    return np.asarray(np.clip(np.round(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255), 0, 255), dtype=np.uint8)


DEMO_CLIENT = sorted((ROOT / "progress" / "demo_client").glob("*.jpg"))
"""The demo client's eight photos (one a session), in session order."""
_AnalysisKey = tuple[str, str, object]
"""(SHA-256 of the photo's bytes, its file name, the baseline's own key or None)."""
_ANALYSES: dict[tuple[_AnalysisKey, str | None], PhotoResult] = {}
"""Results :func:`analysed` handed out, by (key, the path the caller gave)."""
_KEYS: dict[int, tuple[PhotoResult, _AnalysisKey]] = {}
"""id() of each of those results → (the result, kept here so that its id is never reused; its key)."""


def analysed(
    source: str | Path | bytes,
    landmarker: FaceLandmarker,
    *,
    name: str | None = None,
    baseline: PhotoResult | None = None,
) -> PhotoResult:
    """:func:`progress.analysis.analyze_photo`, remembered for the whole test process: the same photo bytes under
    the same file name (a capture date may come from it), against the same remembered baseline, are analysed
    once. A test run alone analyses for itself; a full run analyses the bundled photos once, not in every test.

    For tests that need an analysis, not for tests of the analysis (whose repeats it would make identical): a
    baseline this function did not hand out, or a refusal, is never remembered. The results are shared: frozen
    dataclasses, but do not change their arrays in place.
    """
    if baseline is not None and (id(baseline) not in _KEYS or _KEYS[id(baseline)][0] is not baseline):
        return _analyze_photo(source, landmarker, name=name, baseline=baseline)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    label = name or (None if isinstance(source, bytes) else str(source))
    key = (
        hashlib.sha256(data).hexdigest(),
        Path(label).name if label else "",
        None if baseline is None else _KEYS[id(baseline)][1],
    )
    if (key, label) not in _ANALYSES:
        same = next((result for (known, _), result in _ANALYSES.items() if known == key), None)
        if same is None:
            same = _analyze_photo(source, landmarker, name=name, baseline=baseline)
        result = same if same.path == label else replace(same, path=label)
        _ANALYSES[key, label] = result
        _KEYS[id(result)] = (result, key)
    return _ANALYSES[key, label]


def analysed_demo_client(landmarker: FaceLandmarker) -> list[PhotoResult]:
    """The demo client's photos analysed as the app and ``progress report`` do: the first one, then the others
    against it as the baseline (remembered by :func:`analysed`)."""
    first = analysed(DEMO_CLIENT[0], landmarker)
    return [first, *(analysed(path, landmarker, baseline=first) for path in DEMO_CLIENT[1:])]


@contextmanager
def remembered_analyses() -> Iterator[None]:
    """While the block runs, the product's analyses (``analyze_photo`` as :mod:`progress.analysis`,
    :mod:`progress.practice` and the command line call it) go through :func:`analysed`."""
    import progress.analysis
    import progress.practice

    with pytest.MonkeyPatch.context() as patch:
        for module in (progress.analysis, progress.practice):
            patch.setattr(module, "analyze_photo", analysed)
        yield


@functools.cache
def postgres_url() -> str | None:
    """The PostgreSQL test database (``PROGRESS_TEST_POSTGRES_URL``), or None. Under pytest-xdist each worker gets a
    database of its own (``<name>_gw0``, ``<name>_gw1``, made on first use), since the store tests drop the schema."""
    import sqlalchemy

    base = os.environ.get("PROGRESS_TEST_POSTGRES_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if base is None or worker is None:
        return base
    server, name = base.rsplit("/", 1)
    own = f"{name}_{worker}"
    engine = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        known = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": own})
        if known.first() is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{own}"')
    engine.dispose()
    return f"{server}/{own}"


def stored_result(redness: float) -> PhotoResult:
    """An analysed photo as the pipeline returns it, for the records tests (no model needed)."""
    return PhotoResult(
        path="front.jpg",
        captured_at=datetime(2024, 1, 5, 13, 45, 1),
        face=FaceSummary(
            faces_found=1,
            inter_pupillary_distance_px=120.5,
            yaw_deg=1.5,
            pitch_deg=-2.0,
            roll_deg=0.25,
            alignment_residual_px=0.75,
        ),
        checks=(
            Check("head_yaw", Status.PASS, 1.5, 5.0, "°", ""),
            Check("sharpness", Status.WARN, math.nan, 100.0, "", "Hold the phone still."),
        ),
        metrics={"skin.redness.cheek_left": redness, "contour.jaw_angle": math.nan, "skin.spots.forehead": 3},
    )
