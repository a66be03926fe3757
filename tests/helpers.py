"""Small helpers shared by the tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encode(image: np.ndarray, format: str = "JPEG", **params: object) -> bytes:
    """Encode an RGB array with Pillow and return the file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format, **params)
    return buffer.getvalue()


def scale_exposure(image: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
    """Multiply linear-light intensity by ``factor`` (a scalar, or per-channel gains for a white-balance shift)."""
    encoded = image.astype(np.float64) / 255.0
    linear = np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4) * factor
    linear = np.clip(linear, 0.0, 1.0)
    out = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.asarray(np.round(out * 255.0), dtype=np.uint8)
