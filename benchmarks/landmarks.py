"""Repeatability against time of the landmark measuring plans, on repeat frames of real sittings (issue 13).

Usage: ``python benchmarks/landmarks.py [--frames N] [--clips all|NAME...] [--ignore CHECK...] [--plans PART...]``
(run with the package importable; ``--plans default``: the default plan against the legacy one only).
Reads ``../shared/captures/repeat_sittings/*.mp4`` (real recordings; never copied into the project) and exits
0 with a note when they are absent. From each clip N frames evenly spread over the sitting are taken; every
frame goes through every plan (:class:`progress.landmarks.MeasuringPlan`), the plans' order rotated frame by
frame, so load from other processes falls on all plans alike.

A frame counts as *neutral* when, under every plan, its expression checks (``progress.quality.expression_checks``)
all pass, as for a guided photo (the Capture screen's shutter fires only when every live check is green), and its
pose checks (``pose_checks``) do not fail: within 10°, not 5°, because the clips were filmed from slightly above
or beside (W015's pitch is 5–8° throughout), and ``--strict`` (pass, within 5°) leaves too few frames.
``--ignore`` leaves the named checks out of that decision, to show what a gate changes (``--ignore
expression_lips_apart expression_frown``: the figures before those gates). Printed per plan:

- the time of ``FaceLandmarker.detect`` per frame (median over all frames) and its ratio to the legacy plan;
- per clip, the median over the lift and width metrics (every ``lift.*`` and ``contour.*`` metric in IPD
  units) of their SD over the clip's neutral frames, in mm (IPD × 63 mm), and the median over clips;
- the same for *reframed* copies of the neutral frames (each of up to 4 neutral frames a clip rotated ±3°,
  scaled 0.9×/1.1× and shifted: the same face, only framed differently): the plans' own repeatability, free of
  the face's movement between frames, which no plan can remove;
- the landmark spread across passes (``Face.spread_px`` in mm) over the neutral frames: median, 95th
  percentile and maximum — what the ``landmark_stability`` check's limit is set from;
- the median, 95th percentile and maximum over neutral frames of every expression check's value (the gates'
  scores, default plan).

The script reports, it does not gate: it always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SITTINGS = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "repeat_sittings"
DEFAULT_CLIPS = (
    "spectre__W015_level_1_neutral_030",
    "spectre__M003_level_1_disgusted_015",
    "spectre__W040_level_3_happy_029",
    "EDTalk__uncrop_Obama",
)
"""The clips with neutral frames (``../shared/captures/MANIFEST.md``: neutral share 0.36–0.50; the others 0–0.04)."""
MM_PER_IPD = 63.0
LEGACY_NAME = "legacy 8 frames @0.5, mean"
DEFAULT_NAME = "mirror refined + 2 frames @0.35, robust (default)"


def plans() -> dict[str, Any]:
    """The compared plans by name: the legacy one, the chosen default and measured alternatives."""
    from progress.landmarks import DEFAULT_PLAN, LEGACY_PLAN, Averaging, MeasuringPlan

    pair = ((2.0, 1.0, (0.25, 0.25)), (-2.0, 1.0, (-0.25, 0.25)))
    four = tuple((sign * 2.0, zoom, (sign * 0.25, 0.25)) for zoom in (0.97, 1.03) for sign in (1.0, -1.0))
    return {
        LEGACY_NAME: LEGACY_PLAN,
        "mirror 2 frames @0.35, median": MeasuringPlan(zoom=0.35, variants=pair, averaging=Averaging.MEDIAN),
        "mirror refined + 1 frame @0.35, robust": MeasuringPlan(
            zoom=0.35, variants=((0.0, 1.0, (0.0, 0.0)),), refine=True
        ),
        DEFAULT_NAME: DEFAULT_PLAN,
        "mirror refined + 2 frames @0.35, median": MeasuringPlan(
            zoom=0.35, variants=pair, refine=True, averaging=Averaging.MEDIAN
        ),
        "mirror 4 frames @0.35, robust": MeasuringPlan(zoom=0.35, variants=four),
    }


def read_frames(path: Path, count: int) -> list[np.ndarray]:
    """``count`` RGB frames evenly spread over the clip."""
    from progress.captures import frame_count
    from progress.captures import read_frames as frames_of

    total = frame_count(path)
    picks = np.linspace(0, total - 1, min(count, total)).round().astype(int)
    return [np.ascontiguousarray(frame[:, :, ::-1]) for _, frame in frames_of(path, picks)]


Row = dict[str, tuple[dict[str, float], float, bool, dict[str, float]]]
"""Per plan: (metrics, landmark spread in mm, neutral?, expression checks' values by name) of one frame."""


def measure_frame(
    landmarker: Any,
    frame: np.ndarray,
    compared: dict[str, Any],
    order: list[str],
    strict: bool,
    times: dict[str, list[float]],
    ignore: frozenset[str] = frozenset(),
) -> Row | None:
    """One frame through every plan in ``order``; each plan's detect time appended to ``times``; checks named in
    ``ignore`` are left out of the neutral decision."""
    from progress.align import align_face, head_pose
    from progress.contour import contour_metrics
    from progress.quality import Status, expression_checks, pose_checks

    row: Row = {}
    for name in order:
        start = time.perf_counter()
        face = landmarker.detect(frame, plan=compared[name]).face
        times[name].append(time.perf_counter() - start)
        if face is None:
            return None
        pose = [c for c in pose_checks(head_pose(face.landmarks)) if c.name not in ignore]
        expression = [c for c in expression_checks(face.blendshapes) if c.name not in ignore]
        neutral = all(c.status is Status.PASS for c in expression) and all(
            c.status is Status.PASS or (c.status is Status.WARN and not strict) for c in pose
        )
        metrics = contour_metrics(align_face(frame, face.landmarks).landmarks)
        scores = {c.name: c.value for c in expression}
        row[name] = (metrics, face.spread_px / face.inter_pupillary_distance_px * MM_PER_IPD, neutral, scores)
    return row


REFRAMINGS = ((3.0, 1.0, (11.0, -7.0)), (-3.0, 1.0, (-9.0, 5.0)), (0.0, 0.9, (5.0, 13.0)), (1.0, 1.1, (-13.0, -3.0)))
"""(rotation °, scale, shift px) of the reframed copies of a frame."""


def reframed_sd(
    landmarker: Any, frame: np.ndarray, compared: dict[str, Any], lengths: list[str], times: dict[str, list[float]]
) -> dict[str, float] | None:
    """Per plan: median over the lift and width metrics of their SD (mm) across reframed copies of ``frame``."""
    import cv2

    height, width = frame.shape[:2]
    copies = []
    for rotation, scale, (dx, dy) in REFRAMINGS:
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rotation, scale)
        matrix[:, 2] += np.array([dx, dy])
        copies.append(
            cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        )
    rows = [
        measure_frame(landmarker, copy, compared, _rotated(list(compared), n), False, times)
        for n, copy in enumerate(copies)
    ]
    if any(row is None for row in rows):
        return None
    return {
        name: statistics.median(
            float(np.std([row[name][0][m] for row in rows if row], ddof=1)) * MM_PER_IPD for m in lengths
        )
        for name in compared
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100, help="frames per clip (default 100)")
    parser.add_argument("--strict", action="store_true", help="neutral frames must pass the pose checks too")
    parser.add_argument("--clips", nargs="*", default=list(DEFAULT_CLIPS), help="clip names, or 'all'")
    parser.add_argument("--ignore", nargs="*", default=[], help="checks left out of the neutral decision")
    parser.add_argument(
        "--plans", nargs="*", default=[], help="only the plans whose names contain one of these (the legacy one stays)"
    )
    arguments = parser.parse_args()
    ignore = frozenset(arguments.ignore)
    if not SITTINGS.is_dir():
        print(f"No repeat sittings at {SITTINGS}: nothing to measure.")
        return 0
    from progress.contour import CONTOUR_METRICS
    from progress.landmarks import FaceLandmarker

    names = sorted(p.stem for p in SITTINGS.glob("*.mp4")) if arguments.clips == ["all"] else arguments.clips
    lengths = [s.name for s in CONTOUR_METRICS if s.unit == "IPD" and s.family in ("lift", "contour")]
    compared = {
        name: plan
        for name, plan in plans().items()
        if name == LEGACY_NAME or not arguments.plans or any(part in name for part in arguments.plans)
    }
    times: dict[str, list[float]] = {name: [] for name in compared}
    sd_by_clip: dict[str, dict[str, float]] = {name: {} for name in compared}
    spreads: dict[str, list[float]] = {name: [] for name in compared}
    scores: dict[str, list[float]] = {}
    reframed: dict[str, list[float]] = {name: [] for name in compared}
    with FaceLandmarker() as landmarker:
        for clip in names:
            frames = read_frames(SITTINGS / f"{clip}.mp4", arguments.frames)
            landmarker.detect(frames[0])  # warm-up
            rows = [
                measure_frame(
                    landmarker, frame, compared, _rotated(list(compared), number), arguments.strict, times, ignore
                )
                for number, frame in enumerate(frames)
            ]
            neutral_rows = [row for row in rows if row is not None and all(entry[2] for entry in row.values())]
            print(f"{clip}: {len(frames)} frames, {len(neutral_rows)} neutral under every plan", flush=True)
            for row in neutral_rows:
                for check, value in row[DEFAULT_NAME][3].items():
                    scores.setdefault(check, []).append(value)
            picks = [frames[i] for i, row in enumerate(rows) if row is not None and all(e[2] for e in row.values())]
            for frame in picks[:: max(1, len(picks) // 4)][:4]:
                sds = reframed_sd(landmarker, frame, compared, lengths, times)
                for name in compared:
                    reframed[name] += [sds[name]] if sds else []
            if len(neutral_rows) < 3:
                continue
            for name in compared:
                metric_sds = [
                    float(np.std([row[name][0][metric] for row in neutral_rows], ddof=1)) * MM_PER_IPD
                    for metric in lengths
                ]
                sd_by_clip[name][clip] = statistics.median(metric_sds)
                spreads[name] += [row[name][1] for row in neutral_rows]
    report(compared, names, times, sd_by_clip, spreads, scores)
    print("\nmedian SD of lift & width metrics across reframed copies of neutral frames, mm:")
    for name, values in reframed.items():
        print(f"  {name:50} {statistics.median(values) if values else float('nan'):.3f}  ({len(values)} frames)")
    return 0


def _rotated(names: list[str], number: int) -> list[str]:
    """The plans in an order that starts one later with every frame."""
    return names[number % len(names) :] + names[: number % len(names)]


def report(
    compared: dict[str, Any],
    names: list[str],
    times: dict[str, list[float]],
    sd_by_clip: dict[str, dict[str, float]],
    spreads: dict[str, list[float]],
    scores: dict[str, list[float]],
) -> None:
    """Print the table of plans and the blendshape percentiles."""
    legacy = statistics.median(times[LEGACY_NAME])
    print(
        f"\n{'plan':50} {'runs':>4} {'ms/photo':>9} {'ratio':>6}  median SD of lift & width metrics, mm "
        "(per clip; median)   spread mm (median / p95 / max)"
    )
    for name, plan in compared.items():
        median_time = statistics.median(times[name])
        per_clip = " ".join(f"{sd_by_clip[name].get(clip, float('nan')):.3f}" for clip in names)
        overall = statistics.median(sd_by_clip[name].values()) if sd_by_clip[name] else float("nan")
        spread = np.array(spreads[name]) if spreads[name] else np.array([np.nan])
        print(
            f"{name:50} {plan.network_runs:>4} {median_time * 1000:9.1f} {median_time / legacy:6.2f}  "
            f"{per_clip}  ({overall:.3f})   {np.median(spread):.2f} / {np.percentile(spread, 95):.2f} / "
            f"{spread.max():.2f}"
        )
    print("\nexpression checks' values over neutral frames (default plan): median / p95 / max")
    for check, values in scores.items():
        print(f"  {check:26} {np.median(values):.3f} / {np.percentile(values, 95):.3f} / {max(values):.3f}")


if __name__ == "__main__":
    sys.exit(main())
