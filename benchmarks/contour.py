"""Benchmark of the contour, lift and symmetry metrics for one face.

Usage: ``python benchmarks/contour.py [--repeats N]`` (run with the package importable, e.g. ``PYTHONPATH=.``).
The face is MediaPipe's canonical face in the canonical frame (``progress.align.canonical_landmarks``) with
iris points added at the eye-contour centres, turned 8° and jittered by half a pixel, so the input has the
shape and type of ``AlignedFace.landmarks``: the computation does not depend on the values, only on their count.

Printed: the median wall time of ``contour_metrics`` (and of its frontalisation step) over the repeats, after
one warm-up call, against the target of 5 ms. The script always exits 0: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

TARGET_MS = 5.0


def synthetic_landmarks() -> np.ndarray:
    """float32 (478, 3) landmarks in the canonical frame: the canonical face, irises added, turned and jittered."""
    from progress.align import canonical_landmarks
    from progress.regions import LEFT_EYE, RIGHT_EYE

    face = np.array(canonical_landmarks())
    irises = [np.repeat(face[list(eye)].mean(axis=0, keepdims=True), 5, axis=0) for eye in (RIGHT_EYE, LEFT_EYE)]
    for iris in irises:
        iris[1:, :2] += np.array([[20.0, 0.0], [0.0, -20.0], [-20.0, 0.0], [0.0, 20.0]])
    points = np.vstack([face, *irises])
    angle = math.radians(8.0)
    rotation = np.array(
        [[math.cos(angle), 0.0, math.sin(angle)], [0.0, 1.0, 0.0], [-math.sin(angle), 0.0, math.cos(angle)]]
    )
    centre = points.mean(axis=0)
    turned = (points - centre) @ rotation.T + centre
    jitter = np.random.default_rng(0).normal(scale=0.5, size=turned.shape)
    return np.asarray(turned + jitter, dtype=np.float32)


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time in milliseconds of ``action`` over ``repeats`` calls, after one warm-up call."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Measure and print; always 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed calls (default 200)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's ``progress`` package
    from progress.contour import contour_metrics, frontalise

    landmarks = synthetic_landmarks()
    repeats = max(1, args.repeats)
    whole = median_ms(lambda: contour_metrics(landmarks), repeats)
    step = median_ms(lambda: frontalise(landmarks), repeats)
    count = len(contour_metrics(landmarks))
    verdict = "PASS" if whole <= TARGET_MS else "OVER"
    print(f"Contour metrics benchmark: one face (478 landmarks), median of {repeats} after 1 warm-up")
    print(f"  contour_metrics ({count} values) {whole:8.3f} ms (target ≤ {TARGET_MS:g} ms) {verdict}")
    print(f"    of which frontalise          {step:8.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
