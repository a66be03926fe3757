"""Default measurement noise per metric, for a series without repeat photos.

The defaults in ``default_noise.json`` were measured by this module (``python -m progress.noise``, needs the
``test`` extra): the public-domain astronaut portrait (scikit-image), at 214 px between the pupils and exposed
with headroom, photographed again 16 times with the nuisances of a careful practitioner's repeat photos drawn
at random — exposure ×0.92–1.08, white balance ±3 % per channel, rotation ±3°, scale ±5 %, a shift of up to
20 px, JPEG quality 80–95 — and analysed like any photo. The default for each metric is the SD of its 16 values.

This is a floor, not the whole noise: it leaves out what a re-photographed real face adds (3-D head turns,
expression, skin that changes from day to day, a different room). A series with three photos a session
measures its own noise instead (:mod:`progress.series`), which is why the capture protocol asks for them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from progress.colour import scale_light

__all__ = ["DEFAULT_NOISE_PATH", "default_noise", "repeat_photos"]

DEFAULT_NOISE_PATH = Path(__file__).parent / "default_noise.json"
_SEED = 20261123
_REPEATS = 16


@cache
def _table() -> dict[str, float]:
    data: dict[str, float] = json.loads(DEFAULT_NOISE_PATH.read_text())["noise"]
    return data


def default_noise(name: str) -> float:
    """The project's measured SEM of one photo for metric ``name`` (see the module docstring); NaN if unknown."""
    return _table().get(name, math.nan)


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


def _measure() -> dict[str, float]:  # pragma: no cover - the generator of default_noise.json
    import io

    import skimage.data
    from PIL import Image

    from progress.analysis import analyze_photo
    from progress.landmarks import FaceLandmarker

    rng = np.random.default_rng(_SEED)
    portrait = cv2.resize(skimage.data.astronaut(), None, fx=5, fy=5, interpolation=cv2.INTER_LANCZOS4)  # type: ignore[no-untyped-call]
    base = scale_light(portrait, 0.75)
    values: dict[str, list[float]] = {}
    with FaceLandmarker() as landmarker:
        for photo in repeat_photos(base, rng, _REPEATS):
            buffer = io.BytesIO()
            Image.fromarray(photo).save(buffer, "JPEG", quality=int(rng.integers(80, 96)))
            for name, value in analyze_photo(buffer.getvalue(), landmarker).metrics.items():
                values.setdefault(name, []).append(value)
    return {name: float(np.std(v, ddof=1)) for name, v in sorted(values.items())}


if __name__ == "__main__":  # pragma: no cover
    table = {"how": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "", "noise": _measure()}
    DEFAULT_NOISE_PATH.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {len(table['noise'])} defaults to {DEFAULT_NOISE_PATH}")
