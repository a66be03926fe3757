"""Small helpers shared by the tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from progress.colour import scale_light


def encode(image: np.ndarray, format: str = "JPEG", **params: object) -> bytes:
    """Encode an RGB array with Pillow and return the file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format, **params)
    return buffer.getvalue()


def scale_exposure(image: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
    """Multiply linear-light intensity by ``factor`` (a scalar, or per-channel gains for a white-balance shift)."""
    return scale_light(image, factor)
