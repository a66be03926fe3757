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
    "BIZYGOMATIC",
    "BROW_TAIL",
    "BROW_UPPER",
    "CANTHI",
    "CHEEK_APEX",
    "CHIN",
    "FACE_OVAL",
    "GONION",
    "IRIS_CENTER_LEFT",
    "IRIS_CENTER_RIGHT",
    "JOWL",
    "LANDMARK_COUNT",
    "LATERAL_CANTHUS",
    "LATERAL_MALAR",
    "LEFT_BROW",
    "LEFT_EYE",
    "LID_LOWER",
    "LID_UPPER",
    "LIP_MIDLINE",
    "MEDIAL_CANTHUS",
    "MENTON",
    "MIDLINE",
    "MIRROR_PAIRS",
    "MIRROR_PERMUTATION",
    "MOUTH_CORNER",
    "NOSE",
    "OUTER_LIPS",
    "PUPIL",
    "RIGHT_BROW",
    "RIGHT_EYE",
    "RIGID_BASIS",
    "ROI_POLYGONS",
    "SYMMETRY_GROUPS",
    "ZYGION",
    "Region",
    "Side",
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


# --- landmarks the contour, lift and symmetry metrics read (``docs/metrics.md``, "Contour" and "Lift") ----------


class Side(StrEnum):
    """The client's own side (MediaPipe's naming): the client's right is on the image's left."""

    RIGHT = "right"
    LEFT = "left"


BIZYGOMATIC = (234, 454)
GONION = {Side.RIGHT: 172, Side.LEFT: 397}
ZYGION = {Side.RIGHT: 234, Side.LEFT: 454}
MENTON = 152
JOWL = {Side.RIGHT: (136, 150, 149, 176, 148), Side.LEFT: (365, 379, 378, 400, 377)}
PUPIL = {Side.RIGHT: IRIS_CENTER_RIGHT, Side.LEFT: IRIS_CENTER_LEFT}
BROW_UPPER = {Side.RIGHT: (70, 63, 105, 66, 107), Side.LEFT: (300, 293, 334, 296, 336)}
LID_UPPER = {Side.RIGHT: (246, 161, 160, 159, 158, 157, 173), Side.LEFT: (466, 388, 387, 386, 385, 384, 398)}
LID_LOWER = {Side.RIGHT: (7, 163, 144, 145, 153, 154, 155), Side.LEFT: (249, 390, 373, 374, 380, 381, 382)}
LATERAL_CANTHUS = {Side.RIGHT: 33, Side.LEFT: 263}
MEDIAL_CANTHUS = {Side.RIGHT: 133, Side.LEFT: 362}
BROW_TAIL = {Side.RIGHT: 70, Side.LEFT: 300}
LATERAL_MALAR = {Side.RIGHT: 116, Side.LEFT: 345}
CHEEK_APEX = {Side.RIGHT: 50, Side.LEFT: 280}
MOUTH_CORNER = {Side.RIGHT: 61, Side.LEFT: 291}
LIP_MIDLINE = (13, 14)
CANTHI = (33, 133, 362, 263)
MIDLINE = (
    0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 94, 151, 152, 164, 168, 175, 195, 197, 199, 200,
)  # fmt: skip
"""The 28 vertices on the canonical face's plane of symmetry (``docs/metrics.md``, "Symmetry")."""

SYMMETRY_GROUPS: dict[str, tuple[int, ...]] = {
    "brow": RIGHT_BROW,
    "eye": (*RIGHT_EYE, 468, 469, 470, 471, 472),
    "cheek": (*ROI_POLYGONS[Region.CHEEK_RIGHT], 116, 50, 205, 101),
    "mouth": (61, 185, 40, 39, 37, 146, 91, 181, 84, 78, 191, 80, 81, 82, 95, 88, 178, 87),
    "jaw": (132, 58, 172, 136, 150, 149, 176, 148),
}
"""Regional subsets of the mirror pairs, named by the client's-right member of each pair."""

# --- landmarks the skin regions are cut with ---------------------------------------------------------------------
CHIN = (18, 313, 421, 418, 262, 369, 396, 175, 171, 140, 32, 194, 201, 83)
"""The chin's skin polygon (below the lower lip, inside the face oval)."""
NOSE = (168, 6, 197, 195, 5, 4, 1, 2, 98, 327, 129, 358, 64, 294, 48, 278, 115, 344, 220, 440, 114, 343, 217,
        437, 198, 420, 131, 360, 49, 279)  # fmt: skip
"""The nose's points, whose hull is cut out of the skin regions."""
