"""Build a minimal ICC v2 RGB display profile (matrix + gamma curves) for colour-management tests.

No ICC files ship with the test environment, so the test writes one: header, a description, the D50 white
point, the three D50-adapted colorants and three gamma curves. Layout per ICC.1:2001-04 §6.
"""

from __future__ import annotations

import struct

import numpy as np

DISPLAY_P3_COLORANTS_D50 = np.array([[0.5151, 0.2412, -0.0011], [0.2919, 0.6922, 0.0419], [0.1572, 0.0666, 0.7841]])
"""Rows: red, green, blue colorant XYZ (D50-adapted), as in Apple's Display P3 profile."""
SRGB_COLORANTS_D50 = np.array([[0.4361, 0.2225, 0.0139], [0.3851, 0.7169, 0.0971], [0.1431, 0.0606, 0.7141]])
_D50 = (0.9642, 1.0, 0.8249)


def _s15fixed16(values: tuple[float, ...] | np.ndarray) -> bytes:
    return b"".join(struct.pack(">i", round(float(v) * 65536)) for v in values)


def _xyz_tag(xyz: tuple[float, ...] | np.ndarray) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15fixed16(xyz)


def _curve_tag(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _description_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text
    body += b"\0" * 8 + b"\0\0" + b"\0" + b"\0" * 67  # empty Unicode and ScriptCode descriptions
    return body + b"\0" * (-len(body) % 4)


def rgb_profile(description: str, colorants: np.ndarray, gamma: float) -> bytes:
    """ICC v2 monitor profile bytes for an RGB space with the given D50 colorants and a pure gamma curve."""
    tags = [
        (b"desc", _description_tag(description)),
        (b"wtpt", _xyz_tag(_D50)),
        (b"rXYZ", _xyz_tag(colorants[0])),
        (b"gXYZ", _xyz_tag(colorants[1])),
        (b"bXYZ", _xyz_tag(colorants[2])),
        (b"rTRC", _curve_tag(gamma)),
        (b"gTRC", _curve_tag(gamma)),
        (b"bTRC", _curve_tag(gamma)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
    header += struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
    header += _s15fixed16(_D50) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def expected_srgb(rgb: np.ndarray, colorants: np.ndarray, gamma: float) -> np.ndarray:
    """What a colour-managed conversion from the profile's space to sRGB should give (0–255 floats)."""
    linear = (np.asarray(rgb, dtype=np.float64) / 255.0) ** gamma
    xyz = linear @ colorants
    srgb_linear = np.clip(xyz @ np.linalg.inv(SRGB_COLORANTS_D50), 0.0, 1.0)
    encoded = np.where(srgb_linear <= 0.0031308, 12.92 * srgb_linear, 1.055 * srgb_linear ** (1 / 2.4) - 0.055)
    return np.asarray(encoded * 255.0)
