"""Named MediaPipe FaceLandmarker indices (478 points), read once from ``landmark_indices.json``.

"Right" and "left" are the client's own (MediaPipe's naming): the client's right eye (33…133) appears on the
image's left in a non-mirrored photo. The JSON is the project's checked copy of
``shared/reference/landmarks.json`` (verified against MediaPipe's source).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "FACE_OVAL",
    "IRIS_CENTER_LEFT",
    "IRIS_CENTER_RIGHT",
    "LANDMARK_COUNT",
    "LEFT_BROW",
    "LEFT_EYE",
    "MIRROR_PAIRS",
    "MIRROR_PERMUTATION",
    "OUTER_LIPS",
    "RIGHT_BROW",
    "RIGHT_EYE",
    "RIGID_BASIS",
    "ROI_POLYGONS",
    "Region",
]

_INDICES: dict[str, Any] = json.loads((Path(__file__).parent / "landmark_indices.json").read_text())

LANDMARK_COUNT = 478
IRIS_CENTER_RIGHT: int = _INDICES["iris_center"]["R"]
IRIS_CENTER_LEFT: int = _INDICES["iris_center"]["L"]

RIGID_BASIS: tuple[int, ...] = tuple(_INDICES["recommended_rigid_basis"])
"""Points treatment does not move: eye corners, nasal dorsum, upper forehead. Alignment uses only these."""

FACE_OVAL: tuple[int, ...] = tuple(_INDICES["face_oval_ordered"])
RIGHT_EYE: tuple[int, ...] = (33, *_INDICES["eye_upper_lid"]["R"], 133, *reversed(_INDICES["eye_lower_lid"]["R"]))
LEFT_EYE: tuple[int, ...] = (263, *_INDICES["eye_upper_lid"]["L"], 362, *reversed(_INDICES["eye_lower_lid"]["L"]))
RIGHT_BROW: tuple[int, ...] = (*_INDICES["brow_upper"]["R"], *reversed(_INDICES["brow_lower"]["R"]))
LEFT_BROW: tuple[int, ...] = (*_INDICES["brow_upper"]["L"], *reversed(_INDICES["brow_lower"]["L"]))
OUTER_LIPS: tuple[int, ...] = (
    61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
)  # fmt: skip
"""MediaPipe FACEMESH_LIPS outer contour, in order around the mouth."""


class Region(StrEnum):
    """The facial regions skin is measured in, one spelling everywhere (metric names end in them:
    ``redness.a_star.cheek_left``). Sides are the client's own."""

    FOREHEAD = "forehead"
    GLABELLA = "glabella"
    CHEEK_LEFT = "cheek_left"
    CHEEK_RIGHT = "cheek_right"
    UNDEREYE_LEFT = "undereye_left"
    UNDEREYE_RIGHT = "undereye_right"
    CROWS_FEET_LEFT = "crows_feet_left"
    CROWS_FEET_RIGHT = "crows_feet_right"
    NASOLABIAL_LEFT = "nasolabial_left"
    NASOLABIAL_RIGHT = "nasolabial_right"
    CHIN = "chin"
    FACE = "face"


_REFERENCE_NAMES = {
    "forehead": Region.FOREHEAD,
    "glabella": Region.GLABELLA,
    "cheek_L": Region.CHEEK_LEFT,
    "cheek_R": Region.CHEEK_RIGHT,
    "undereye_L": Region.UNDEREYE_LEFT,
    "undereye_R": Region.UNDEREYE_RIGHT,
    "crowsfeet_L": Region.CROWS_FEET_LEFT,
    "crowsfeet_R": Region.CROWS_FEET_RIGHT,
    "nasolabial_L": Region.NASOLABIAL_LEFT,
    "nasolabial_R": Region.NASOLABIAL_RIGHT,
}
"""The reference file's spelling of its region polygons (``landmarks.json`` ``rois``) → :class:`Region`."""
_BY_REGION = {_REFERENCE_NAMES[name]: tuple(points) for name, points in _INDICES["rois"].items()}
ROI_POLYGONS: dict[str, tuple[int, ...]] = {region: _BY_REGION[region] for region in Region if region in _BY_REGION}
"""The landmark polygon of every region but the chin and the whole face (:mod:`progress.skin` adds those)."""
MIRROR_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (right, left) for right, left in _INDICES["mirror_pairs_468"] + _INDICES["mirror_pairs_iris"]
)
"""(client's right index, client's left index) for every bilateral landmark, irises included."""

MIRROR_PERMUTATION: tuple[int, ...] = tuple(
    {**{right: left for right, left in MIRROR_PAIRS}, **{left: right for right, left in MIRROR_PAIRS}}.get(i, i)
    for i in range(LANDMARK_COUNT)
)
"""Index of each landmark's partner on the other side of the face (midline points are their own partner): the
landmarks of a horizontally mirrored photo, taken in this order, are the original face's, point for point."""
