"""Colour maths on float arrays: sRGB linearisation, CIELAB (D65), CIEDE2000, ITA°.

OpenCV's 8-bit Lab is scaled (L·255/100, a+128, b+128); everything here converts from float input, so L* is in
[0, 100] and a*, b* are the true CIE values.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "decode_srgb",
    "delta_e_2000",
    "encode_srgb",
    "individual_typology_angle",
    "scale_light",
    "srgb_to_lab",
    "srgb_to_linear",
]


def decode_srgb(encoded: np.ndarray) -> np.ndarray:
    """sRGB values in [0, 1] to linear light (float64): c / 12.92 up to 0.04045, else ((c + 0.055) / 1.055)^2.4."""
    encoded = np.asarray(encoded, dtype=np.float64)
    return np.asarray(np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4))


def encode_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] to sRGB values in [0, 1] (float64), the inverse of :func:`decode_srgb`."""
    linear = np.clip(np.asarray(linear, dtype=np.float64), 0.0, None)
    return np.asarray(np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055))


def scale_light(image: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
    """The photo as if it had received ``factor`` times the light: a scalar for exposure, per-channel gains
    (shape (3,)) for a white-balance or light-colour change, or an (H, W, 1) map for light from one side.

    Args:
        image: uint8 (H, W, 3) sRGB.
        factor: Multiplier of linear light.

    Returns:
        uint8 (H, W, 3) sRGB, clipped where the light saturates.

    Examples:
        >>> scale_light(np.array([[[128, 128, 128]]], dtype=np.uint8), 2.0).tolist()  # one stop brighter
        [[[176, 176, 176]]]
    """
    linear = np.clip(decode_srgb(image / 255.0) * factor, 0.0, 1.0)
    return np.asarray(np.round(encode_srgb(linear) * 255.0), dtype=np.uint8)


def srgb_to_linear(image: np.ndarray) -> np.ndarray:
    """Undo the sRGB transfer curve.

    c_lin = c / 12.92 for c ≤ 0.04045, else ((c + 0.055) / 1.055)^2.4, with c = value / 255.

    Args:
        image: uint8 (..., 3) sRGB.

    Returns:
        float32 (..., 3) linear RGB in [0, 1].

    Examples:
        >>> srgb_to_linear(np.array([[0, 128, 255]], dtype=np.uint8)).round(4)
        array([[0.    , 0.2159, 1.    ]], dtype=float32)
    """
    table = np.arange(256, dtype=np.float64) / 255.0
    table = np.where(table <= 0.04045, table / 12.92, ((table + 0.055) / 1.055) ** 2.4).astype(np.float32)
    return np.asarray(table[image])


def srgb_to_lab(image: np.ndarray) -> np.ndarray:
    """CIELAB (D65 white, 2° observer) of an sRGB image.

    Linearised exactly (:func:`srgb_to_linear`) before OpenCV's linear-RGB conversion: OpenCV's own sRGB curve
    in ``COLOR_RGB2Lab`` is an approximation that is off by up to 0.06 L*.

    Args:
        image: uint8 (H, W, 3) RGB.

    Returns:
        float32 (H, W, 3): L* in [0, 100], a*, b* in about ±110.

    Examples:
        >>> srgb_to_lab(np.full((1, 1, 3), 255, np.uint8)).round(2).tolist()
        [[[100.0, 0.0, 0.0]]]
    """
    return np.asarray(cv2.cvtColor(srgb_to_linear(image), cv2.COLOR_LRGB2Lab))


def delta_e_2000(lab: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1.

    Args:
        lab: (..., 3) CIELAB.
        reference: (..., 3) CIELAB, broadcastable against ``lab``.

    Returns:
        (...) ΔE00, float32 for float32 input, else float64.

    Examples:
        >>> round(float(delta_e_2000(np.array([50.0, 2.6772, -79.7751]), np.array([50.0, 0.0, -82.7485]))), 4)
        2.0425
    """
    precision = np.result_type(np.asarray(lab).dtype, np.float32)  # float32 images stay float32: half the time
    lab = np.asarray(lab, dtype=precision)
    reference = np.asarray(reference, dtype=precision)
    l1, a1, b1 = np.moveaxis(lab, -1, 0)
    l2, a2, b2 = np.moveaxis(reference, -1, 0)
    mean_chroma = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(mean_chroma**7 / (mean_chroma**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    delta_l = l2 - l1
    delta_c = c2p - c1p
    delta_h_angle = h2p - h1p
    delta_h_angle = np.where(delta_h_angle > 180, delta_h_angle - 360, delta_h_angle)
    delta_h_angle = np.where(delta_h_angle < -180, delta_h_angle + 360, delta_h_angle)
    delta_h_angle = np.where(c1p * c2p == 0, 0.0, delta_h_angle)
    delta_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(delta_h_angle) / 2)
    mean_l = (l1 + l2) / 2
    mean_cp = (c1p + c2p) / 2
    hue_sum = h1p + h2p
    mean_hp = np.where(np.abs(h1p - h2p) > 180, np.where(hue_sum < 360, hue_sum + 360, hue_sum - 360), hue_sum) / 2
    mean_hp = np.where(c1p * c2p == 0, hue_sum, mean_hp)
    t = (
        1
        - 0.17 * np.cos(np.radians(mean_hp - 30))
        + 0.24 * np.cos(np.radians(2 * mean_hp))
        + 0.32 * np.cos(np.radians(3 * mean_hp + 6))
        - 0.20 * np.cos(np.radians(4 * mean_hp - 63))
    )
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / np.sqrt(20 + (mean_l - 50) ** 2)
    s_c = 1 + 0.045 * mean_cp
    s_h = 1 + 0.015 * mean_cp * t
    rotation = (
        -2
        * np.sqrt(mean_cp**7 / (mean_cp**7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((mean_hp - 275) / 25) ** 2))))
    )
    return np.asarray(
        np.sqrt(
            (delta_l / s_l) ** 2
            + (delta_c / s_c) ** 2
            + (delta_h / s_h) ** 2
            + rotation * (delta_c / s_c) * (delta_h / s_h)
        )
    )


def individual_typology_angle(lightness: float, b_star: float) -> float:
    """ITA° = atan2(L* − 50, b*) in degrees (Chardon et al. 1991): > 55 very light … < −30 dark.

    Examples:
        >>> round(individual_typology_angle(65.0, 15.0), 1)
        45.0
    """
    return float(np.degrees(np.arctan2(lightness - 50.0, b_star)))
