"""Benchmark of ``progress analyze one.jpg`` as a whole process (cold start) against a floor script.

Usage: ``python benchmarks/cli.py [--repeats N]`` (run from the checkout, with the package installed or
``PYTHONPATH=.``).

Both are fresh interpreters on the same realistic 12-megapixel JPEG that ``benchmarks/pipeline.py`` makes (a real
face from ``../shared/faces/`` when present, else the astronaut, on a textured background; written to a temporary
folder). The floor script does only what any tool must: import MediaPipe, load the bundled model into a
FaceLandmarker, decode the JPEG at 1/4 scale and detect once; it does not import ``progress``. The command is
``python -m progress analyze PHOTO``; for comparison, the same command after importing every module the command
line imported eagerly before issue 16 (records, statistics, PDF report, charts). Each round runs all three,
starting one further along (one untimed run of each first warms the file cache); the medians of the wall time
and of the children's CPU time are printed, and their ratios. Target (issue 16): command ≤ 1.5× the floor script.
The script always exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "progress" / "models" / "face_landmarker.task"
TARGET = 1.5
"""The command within 1.5× the floor script (wall time of the whole process)."""

FLOOR_SCRIPT = """
import os, sys
for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
    os.environ[name] = "http://127.0.0.1:9"  # as progress does: MediaPipe's usage upload fails locally
import numpy as np
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from PIL import Image
options = vision.FaceLandmarkerOptions(
    base_options=BaseOptions(model_asset_buffer=open(sys.argv[1], "rb").read()),
    running_mode=vision.RunningMode.IMAGE, num_faces=5, output_face_blendshapes=True,
    output_facial_transformation_matrixes=True)
with vision.FaceLandmarker.create_from_options(options) as landmarker:
    with Image.open(sys.argv[2]) as picture:
        picture.draft("RGB", (picture.width // 4, picture.height // 4))
        pixels = np.asarray(picture.convert("RGB"))
    found = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=pixels))
    print(len(found.face_landmarks), "face(s)")
"""

EAGER_SCRIPT = """
import sys
import progress.analysis, progress.catalogue, progress.ingest, progress.landmarks, progress.plot, progress.practice
import progress.private_files, progress.report, progress.series, progress.store, progress.summary
from progress.cli import main
sys.exit(main(["analyze", sys.argv[1]]))
"""
"""``progress analyze`` with the imports the command line made before it imported lazily (issue 16)."""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, children's CPU ms) of one run of ``command``; it must succeed (exit 0 or 1)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = (time.perf_counter() - start) * 1000.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed ({completed.returncode}):\n{completed.stderr}")
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000.0
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Make the photo, time both processes alternately, print the medians and ratios; always 0."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each (default 7, at least 5)")
    args = parser.parse_args(argv)
    repeats = max(5, args.repeats)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from pipeline import build_photos

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="progress-bench-") as folder:
        photo, _, described = build_photos(Path(folder))
        commands = {
            "floor script": [sys.executable, "-c", FLOOR_SCRIPT, str(MODEL), str(photo)],
            "progress analyze": [sys.executable, "-m", "progress", "analyze", str(photo)],
            "eager imports": [sys.executable, "-c", EAGER_SCRIPT, str(photo)],
        }
        for command in commands.values():
            timed(command, env)  # warm the file cache
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_index in range(repeats):
            shift = round_index % len(commands)
            names = list(commands)[shift:] + list(commands)[:shift]
            for name in names:
                runs[name].append(timed(commands[name], env))
    print(f"CLI cold start on a 12 MP JPEG ({described}), medians of {repeats} alternating runs")
    medians = {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in runs.items()
    }
    for name, (wall, cpu) in medians.items():
        print(f"  {name:<18} wall {wall:8.0f} ms   CPU {cpu:8.0f} ms")
    (floor_wall, floor_cpu), (wall, cpu) = medians["floor script"], medians["progress analyze"]
    verdict = "PASS" if wall / floor_wall <= TARGET else "OVER"
    print(
        f"progress analyze / floor script: wall {wall / floor_wall:.2f}, CPU {cpu / floor_cpu:.2f} "
        f"(target ≤ {TARGET:g}) {verdict}"
    )
    eager_wall, eager_cpu = medians["eager imports"]
    print(
        f"with the former eager imports / floor script: wall {eager_wall / floor_wall:.2f}, "
        f"CPU {eager_cpu / floor_cpu:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
