"""Default measurement noise per metric, measured on real faces: within a sitting and between sessions.

``default_noise.json`` holds, per metric (``docs/noise.md`` has the figures and their story):

- ``noise``: σ_w, the within-sitting SD of one photo. Measured by this module (``python -m progress.noise``) on
  the real recordings in ``../shared/captures/repeat_sittings`` (one person, one sitting each): every few
  frames of each clip are analysed like photos (:mod:`progress.captures`), frames where a pose or expression
  check fails are dropped, and so are frames failing a check the metric itself depends on; σ_w is the SD pooled
  over the clips, √[Σ_c Σ_f (y_cf − ȳ_c)² / Σ_c (n_c − 1)]. It is floored by the SD the same metric showed under
  simulated capture nuisances (``synthetic``: the astronaut portrait re-photographed 16 times with exposure,
  white balance, rotation, scale, shift and JPEG quality drawn at random — the previous default), since the
  recordings hold the light and camera still, and, where both are zero (a count that never left zero), by the
  median σ_w of the same measure in the other regions, else by ``MIN_RELATIVE_NOISE`` of the metric's typical
  size. No default is zero.
- ``day``: σ_day, the day-to-day SD a session adds on top. Repeat photos of one sitting underestimate the scatter
  between sessions by a factor measured at 1.3–1.7 on a real untreated daily-selfie series (issue 14); we take
  ``BETWEEN_SESSION_INFLATION`` = 1.5, so one photo on another day scatters by 1.5·σ_w and
  σ_day = σ_w · √(1.5² − 1).

These are floors: :mod:`progress.series` uses a series' own repeats and session scatter when they are larger.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from progress.colour import scale_light

__all__ = [
    "BETWEEN_SESSION_INFLATION",
    "DEFAULT_NOISE_PATH",
    "MIN_RELATIVE_NOISE",
    "default_day_noise",
    "default_noise",
    "repeat_photos",
]

DEFAULT_NOISE_PATH = Path(__file__).parent / "default_noise.json"
BETWEEN_SESSION_INFLATION = 1.5
"""SD of one photo on another day ÷ SD of one photo within a sitting (measured 1.3–1.7; see the module docstring)."""
MIN_RELATIVE_NOISE = 0.01
"""Last-resort floor on σ_w: 1 % of the metric's median absolute value over the recordings."""
FRAMES_PER_CLIP = 40
"""Frames analysed per recording, evenly spaced (every 3rd frame of a 5 s clip at 25 fps)."""


@cache
def _table() -> Mapping[str, Mapping[str, float]]:
    data: dict[str, dict[str, float]] = json.loads(DEFAULT_NOISE_PATH.read_text())
    return data


def default_noise(name: str) -> float:
    """σ_w: the measured within-sitting SD of one photo for metric ``name`` (module docstring); NaN if unknown."""
    return float(_table()["noise"].get(name, math.nan))


def default_day_noise(name: str) -> float:
    """σ_day: the day-to-day SD a session adds for metric ``name``, σ_w · √(inflation² − 1); NaN if unknown."""
    return float(_table()["day"].get(name, math.nan))


def noise_table(
    measured: Mapping[str, tuple[float, int, float]], synthetic: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """The defaults from measurements: σ_w = max(real, synthetic), never zero, and σ_day.

    Args:
        measured: Per metric, (pooled SD over the real recordings, its degrees of freedom, median |value|).
        synthetic: Per metric, the SD under simulated capture nuisances.

    Returns:
        ``{"noise": {name: σ_w}, "day": {name: σ_day}}``, names sorted.

    Examples:
        >>> table = noise_table({"lines.x.forehead": (0.0, 9, 0.1), "lines.x.chin": (0.02, 9, 0.1),
        ...                      "tone.y.face": (0.5, 9, 3.0)}, {"tone.y.face": 0.7})
        >>> table["noise"]
        {'lines.x.chin': 0.02, 'lines.x.forehead': 0.02, 'tone.y.face': 0.7}
        >>> round(table["day"]["tone.y.face"], 4)  # 0.7·√(1.5² − 1)
        0.7826
    """
    names = sorted(set(measured) | set(synthetic))
    missing = (math.nan, 0, math.nan)
    raw = {name: max(_finite(measured.get(name, missing)[0]), _finite(synthetic.get(name))) for name in names}
    within = {}
    for name in names:
        value = raw[name]
        if value <= 0:
            measure = name.rsplit(".", 1)[0] if name.count(".") >= 2 else name
            others = [v for n, v in raw.items() if n != name and n.startswith(measure + ".") and v > 0]
            typical = _finite(measured.get(name, missing)[2])
            value = float(np.median(others)) if others else MIN_RELATIVE_NOISE * typical
        within[name] = value if value > 0 else 1e-6
    factor = math.sqrt(BETWEEN_SESSION_INFLATION**2 - 1)
    return {"noise": within, "day": {name: value * factor for name, value in within.items()}}


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


def repeat_photos(image: np.ndarray, rng: np.random.Generator, count: int) -> Iterator[np.ndarray]:
    """``count`` re-takes of ``image`` with random capture nuisances (exposure, white balance, framing).

    Args:
        image: uint8 (H, W, 3) RGB photo.
        rng: Source of randomness.
        count: How many.

    Yields:
        uint8 RGB photos of the same size (JPEG compression is left to the caller).
    """
    height, width = image.shape[:2]
    for _ in range(count):
        photo = scale_light(image, rng.uniform(0.92, 1.08) * rng.uniform(0.97, 1.03, size=3))
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-3, 3), rng.uniform(0.95, 1.05))
        matrix[:, 2] = matrix[:, 2] + rng.uniform(-20, 20, size=2)
        yield cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def measure_recordings(frames_per_clip: int = FRAMES_PER_CLIP) -> dict[str, tuple[float, int, float]]:
    """Per metric: (σ_w pooled over the recordings, degrees of freedom, median |value|); empty without them.

    Frames where a pose or expression check fails are dropped, and per metric the frames failing a check it
    depends on (as :func:`progress.series_noise.exclusion` would drop them in a series).
    """
    from progress.captures import clip_results, clips, frame_count, pose_and_expression_pass
    from progress.catalogue import catalogue
    from progress.series_noise import exclusion, pooled_within_session_sd

    per_clip = []
    for video in clips():
        count = frame_count(video)
        step = max(1, count // frames_per_clip)
        per_clip.append([p for p in clip_results(video, range(0, count, step)) if pose_and_expression_pass(p)])
    measured = {}
    for spec in catalogue():
        groups = [[p.metrics[spec.name] for p in photos if exclusion(p, spec) is None] for photos in per_clip]
        sd, degrees = pooled_within_session_sd(groups)  # clips as the groups
        typical = float(np.median(np.abs(np.concatenate([np.asarray(g, float) for g in groups]))))
        measured[spec.name] = (sd, degrees, typical)
    return measured


def main(arguments: Sequence[str] = ()) -> int:  # pragma: no cover - the generator of default_noise.json
    """Measure the defaults again and rewrite ``default_noise.json`` (keeps its ``synthetic`` table)."""
    current = json.loads(DEFAULT_NOISE_PATH.read_text())
    synthetic = current.get("synthetic", current["noise"])
    measured = measure_recordings()
    if not measured or not any(degrees for _, degrees, _ in measured.values()):
        print("no recordings in ../shared/captures/repeat_sittings: nothing measured", file=sys.stderr)
        return 1
    table = noise_table(measured, synthetic)
    document = {
        "how": " ".join(__doc__.split("\n\n", 1)[1].split()) if __doc__ else "",
        "between_session_inflation": BETWEEN_SESSION_INFLATION,
        "noise": table["noise"],
        "day": table["day"],
        "recordings": {
            name: {"sd": sd if math.isfinite(sd) else None, "df": degrees}
            for name, (sd, degrees, _) in sorted(measured.items())
        },
        "synthetic": synthetic,
    }
    DEFAULT_NOISE_PATH.write_text(json.dumps(document, indent=1) + "\n")
    ratios = [table["noise"][n] / synthetic[n] for n in table["noise"] if synthetic.get(n)]
    print(
        f"wrote {len(table['noise'])} defaults to {DEFAULT_NOISE_PATH}; median σ_w / previous default "
        f"{np.median(ratios):.1f}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
