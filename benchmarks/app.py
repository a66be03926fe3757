"""Benchmark: reopening a client with 12 sessions × 3 photos in the app, after the first analysis, and saving a
session of 1 and of 3 photos (save → results shown).

Usage: ``python benchmarks/app.py [--repeats N]``. Builds a practice in a temporary folder: one client, 12
sessions of 3 photos each (the demo portraits re-photographed with capture nuisances), analysed and stored once.
Then, with Streamlit's AppTest, opens the app and the client N times on its Sessions screen (thumbnails of every
photo) and its Progress screen, each time as a new browser session, and prints the median time to render it (the
first opening, which fills the caches, is reported apart). Target: under 1 s. Always exits 0.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0
SESSIONS, PHOTOS_PER_SESSION = 12, 3


def build_practice(folder: Path) -> int:
    """Store and analyse the 12 × 3 photos; return the client's id."""
    import numpy as np
    from PIL import Image

    from progress.ingest import read_photo
    from progress.landmarks import FaceLandmarker
    from progress.noise import repeat_photos
    from progress.practice import baseline_result, store_and_analyze
    from progress.store import Store

    demo = sorted((ROOT / "sample_images" / "demo_client").glob("*.jpg"))
    rng = np.random.default_rng(12)
    with Store(data_folder=folder) as store, FaceLandmarker() as landmarker:
        client = store.create_client("Benchmark client", consent_clinical=True)
        baseline = None
        for number in range(SESSIONS):
            session = store.add_session(
                client.id, day=date(2026, 1, 5) + timedelta(days=14 * number), number=number + 1
            )
            portrait = read_photo(demo[number % len(demo)]).image
            uploads = []
            for index, photo in enumerate(repeat_photos(portrait, rng, PHOTOS_PER_SESSION)):
                buffer = io.BytesIO()
                Image.fromarray(photo).save(buffer, "JPEG", quality=90)
                uploads.append((f"s{number + 1:02d}_{index + 1}.jpg", buffer.getvalue()))
            store_and_analyze(store, landmarker, session.id, uploads, baseline=baseline)
            baseline = baseline or baseline_result(store, client.id)
        return client.id


def open_client(client_id: int, screen: str = "Sessions") -> float:
    """Seconds to render the app with the client chosen (from the URL, as a reload) on ``screen``, as a fresh
    browser session."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.query_params["client"] = str(client_id)
    app.session_state["screen"] = screen
    started = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"The app failed: {app.exception}")
    return elapsed


def save_session(client_id: int, count: int) -> float:
    """Seconds from clicking Save in New session with ``count`` photos to the results being shown."""
    from PIL import Image
    from streamlit.testing.v1 import AppTest

    from progress.ingest import read_photo

    portrait = read_photo(sorted((ROOT / "sample_images" / "demo_client").glob("*.jpg"))[0]).image
    uploads = []
    for index in range(count):
        buffer = io.BytesIO()
        Image.fromarray(portrait).save(buffer, "JPEG", quality=80 + index + 3 * count)
        uploads.append((f"IMG_20270101_10000{index}.jpg", buffer.getvalue(), "image/jpeg"))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.query_params["client"] = str(client_id)
    app.session_state["screen"] = "New session"
    app.run()
    next(w for w in app.get("file_uploader") if w.key.startswith("uploads_")).set_value(uploads).run()
    button = next(b for b in app.form_submit_button if "analyse" in b.label)
    started = time.perf_counter()
    button.click().run()
    elapsed = time.perf_counter() - started
    if app.exception or not any("saved" in str(s.value) for s in app.success):
        raise SystemExit(f"The save failed: {app.exception}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Build the practice, time the openings, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="progress-app-bench-") as folder:
        os.environ["PROGRESS_DATA_FOLDER"] = folder
        os.environ.pop("PROGRESS_DATABASE_URL", None)
        started = time.perf_counter()
        client_id = build_practice(Path(folder))
        print(
            f"built and analysed {SESSIONS} sessions × {PHOTOS_PER_SESSION} photos in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for screen in ("Sessions", "Progress"):
            first = open_client(client_id, screen)
            again = [open_client(client_id, screen) for _ in range(max(1, arguments.repeats))]
            median = statistics.median(again)
            verdict = "PASS" if median < TARGET_SECONDS else "OVER"
            print(f"{screen}: first opening (fills the caches): {first:.2f} s")
            print(
                f"{screen}: reopening, median of {len(again)}: {median:.2f} s (target < {TARGET_SECONDS:.0f} s) "
                f"{verdict}"
            )
        for count in (1, 3):
            print(f"save a session of {count} photo(s) → results shown: {save_session(client_id, count):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
