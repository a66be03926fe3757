"""Which expressions move the lift and width metrics, and what relaxed faces score on them (issue 13).

Usage: ``python benchmarks/expression.py [--step N] [--clips all|NAME...]`` (run with the package importable).
Reads ``../shared/captures/repeat_sittings/*.mp4`` (real recordings; never copied into the project) and exits 0
with a note when they are absent. Every N-th frame of each clip (default: every frame) is measured with the
default plan; frames with |yaw| or |pitch| over 10° are left out. Per frame: the blendshapes, every expression
check (``progress.quality.expression_checks``) and the lift and width metrics (``lift.*`` and ``contour.*`` in
IPD units, shown in mm as IPD × 63 mm). Printed:

- per score (each expression check's value, and the blendshape groups no check reads), per clip: its median /
  95th percentile / maximum over the clip's *neutral* frames (every expression check passes, as for a guided
  photo) — what a relaxed face scores, from which a limit is set;
- per score and group of metrics, per clip: the least-squares slope b of the group's mean value (mm) on the score
  over all frames, y = a + b·s, given as mm per +0.1 of score, with Pearson's r — how far that expression moves
  the landmarks. One score at a time, so a score that rises with another (speech moves several at once) shares
  its slope; compare the signs and sizes across clips before calling one causal.

The script reports, it does not gate: it always exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from landmarks import DEFAULT_CLIPS, MM_PER_IPD, SITTINGS, read_frames


def _max(*names: str) -> Callable[[Mapping[str, float]], float]:
    return lambda scores: max(scores.get(name, 0.0) for name in names)


UNGATED: dict[str, Callable[[Mapping[str, float]], float]] = {
    "noseSneer": _max("noseSneerLeft", "noseSneerRight"),
    "mouthPress": _max("mouthPressLeft", "mouthPressRight"),
    "mouthShrug": _max("mouthShrugLower", "mouthShrugUpper"),
    "mouthRoll": _max("mouthRollLower", "mouthRollUpper"),
    "mouthStretch": _max("mouthStretchLeft", "mouthStretchRight"),
    "mouthDimple": _max("mouthDimpleLeft", "mouthDimpleRight"),
    "mouthFrown": _max("mouthFrownLeft", "mouthFrownRight"),
    "eyeWide": _max("eyeWideLeft", "eyeWideRight"),
    "gaze up": _max("eyeLookUpLeft", "eyeLookUpRight"),
    "gaze down": _max("eyeLookDownLeft", "eyeLookDownRight"),
    "gaze in": _max("eyeLookInLeft", "eyeLookInRight"),
    "gaze out": _max("eyeLookOutLeft", "eyeLookOutRight"),
}
"""Blendshape groups no expression check reads (max of the two sides)."""
GROUPS = {
    "brow height": ("lift.brow_height.",),
    "brow tail": ("lift.brow_tail_height.",),
    "palpebral": ("lift.palpebral_fissure_height.",),
    "malar+apex": ("lift.malar_height.", "lift.cheek_apex_height."),
    "mouth corner": ("lift.mouth_corner_height.",),
    "lower widths": tuple(f"contour.width_profile_{level}" for level in ("55", "65", "75", "85", "95")),
    "bizygomatic": ("contour.bizygomatic_width",),
}
"""Metric groups (name prefixes) whose mean value is regressed on each score."""


def measure(landmarker: Any, frame: np.ndarray) -> tuple[dict[str, float], bool, dict[str, float]] | None:
    """(scores by name, neutral?, metrics in mm) of one frame; None without a face or beyond 10° of pose."""
    from progress.align import align_face, head_pose
    from progress.contour import contour_metrics
    from progress.quality import Status, expression_checks

    face = landmarker.detect(frame).face
    if face is None:
        return None
    pose = head_pose(face.landmarks)
    if abs(pose.yaw_deg) > 10 or abs(pose.pitch_deg) > 10:
        return None
    checks = expression_checks(face.blendshapes)
    scores = {c.name: c.value for c in checks} | {name: f(face.blendshapes) for name, f in UNGATED.items()}
    metrics = contour_metrics(align_face(frame, face.landmarks).landmarks)
    lengths = {name: value * MM_PER_IPD for name, value in metrics.items() if name.startswith(("lift.", "contour."))}
    return scores, all(c.status is Status.PASS for c in checks), lengths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=1, help="every N-th frame (default 1: all)")
    parser.add_argument("--clips", nargs="*", default=list(DEFAULT_CLIPS), help="clip names, or 'all'")
    arguments = parser.parse_args()
    if not SITTINGS.is_dir():
        print(f"No repeat sittings at {SITTINGS}: nothing to measure.")
        return 0
    from progress.landmarks import FaceLandmarker

    names = sorted(p.stem for p in SITTINGS.glob("*.mp4")) if arguments.clips == ["all"] else arguments.clips
    rows: dict[str, list[tuple[dict[str, float], bool, dict[str, float]]]] = {}
    with FaceLandmarker() as landmarker:
        for clip in names:
            frames = read_frames(SITTINGS / f"{clip}.mp4", 10**6)[:: arguments.step]
            rows[clip] = [row for frame in frames if (row := measure(landmarker, frame)) is not None]
            neutral = sum(row[1] for row in rows[clip])
            print(f"{clip}: {len(frames)} frames, {len(rows[clip])} within 10° of pose, {neutral} neutral", flush=True)
    score_names = list(next(iter(rows.values()))[0][0]) if any(rows.values()) else []
    print("\nscores over neutral frames: median / p95 / max, per clip")
    for score in score_names:
        cells = []
        for clip in names:
            values = [row[0][score] for row in rows[clip] if row[1]]
            cells.append(
                f"{np.median(values):.3f}/{np.percentile(values, 95):.3f}/{max(values):.3f}" if values else "–"
            )
        print(f"  {score:26} " + "  ".join(f"{cell:>17}" for cell in cells))
    print("\nslope, mm per +0.1 of score (r), all frames within 10° of pose, per clip")
    for score in score_names:
        print(f"  {score}")
        for group, prefixes in GROUPS.items():
            cells = []
            for clip in names:
                x = np.array([row[0][score] for row in rows[clip]])
                y = np.array([np.mean([v for k, v in row[2].items() if k.startswith(prefixes)]) for row in rows[clip]])
                if len(x) < 5 or np.ptp(x) < 0.02:
                    cells.append("–")
                    continue
                slope = float(np.polyfit(x, y, 1)[0])
                cells.append(f"{slope * 0.1:+.2f} ({np.corrcoef(x, y)[0, 1]:+.2f})")
            print(f"    {group:14} " + "  ".join(f"{cell:>14}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
