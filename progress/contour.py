"""Contour, lift and symmetry metrics from the 478 landmarks, frontalised in 3-D.

Frontalisation (``docs/metrics.md``, "Contour, lift and symmetry"): the aligned landmarks (canonical frame: x
column, y row downward, z in the same pixel scale, smaller z nearer the camera) are turned into a right-handed
frame, X = (x, −y, −z), with y up and z toward the viewer. A similarity (rotation, uniform scale, translation;
Umeyama 1991) is fitted from the rigid basis (``regions.RIGID_BASIS``: eye corners, nasal dorsum, upper
forehead) of X onto the same vertices of MediaPipe's canonical face (``model.canonical_face_vertices()``,
centimetres) and applied to all 478 points: F = s·R·X + t. Residual yaw, pitch and roll are removed, and the
jaw, cheeks and brows, which treatment may move, play no part in the fit. MediaPipe's own transformation matrix
is never used: it is fitted on jaw and cheek points too and would absorb the very changes measured here.

Every measure is taken in the frontal x–y plane of F: "horizontal" is F's x axis (the canonical face's
inter-pupillary line), "vertical" its y axis (up), "height" a difference of y. Lengths are divided by the
inter-pupillary distance IPD = |F468 − F473| (iris centres), so values are free of scale; areas by IPD².
"Right" and "left" are the client's own: the right side has negative x in F.

What frontalisation cannot remove (``docs/metrics.md``, "Common ground"): perspective (a closer camera enlarges
the centre of the face relative to its edges, so widths and ratios of widths move ~6 % between 1 m and 50 cm;
hence every width-based metric depends on the ``camera_distance_change`` check), expression (gated by the
blendshape checks each metric names). Heights are taken from the eye line through each eye's canthal
midpoint, not from the iris centres, which move with gaze and with a lowered lid.
"""

from __future__ import annotations

import math

import numpy as np

from progress.geometry import TO_RIGHT_HANDED, frontal_fit
from progress.metric_spec import Better, MetricSpec
from progress.regions import (
    BIZYGOMATIC,
    BROW_TAIL,
    BROW_UPPER,
    CANTHI,
    CHEEK_APEX,
    FACE_OVAL,
    GONION,
    IRIS_CENTER_LEFT,
    IRIS_CENTER_RIGHT,
    JOWL,
    LANDMARK_COUNT,
    LATERAL_CANTHUS,
    LATERAL_MALAR,
    LID_LOWER,
    LID_UPPER,
    LIP_MIDLINE,
    MEDIAL_CANTHUS,
    MENTON,
    MIDLINE,
    MIRROR_PAIRS,
    MOUTH_CORNER,
    PUPIL,
    SYMMETRY_GROUPS,
    ZYGION,
    Side,
)

__all__ = [
    "CONTOUR_METRICS",
    "WIDTH_PROFILE_LEVELS",
    "contour_metrics",
    "frontalise",
    "polygon_area_below",
    "polygon_widths",
]

WIDTH_PROFILE_LEVELS: tuple[float, ...] = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)
"""Heights of the face-width profile as fractions of the way from the cheekbone level (mean height of 234 and
454) down to the menton (152): the centres of ten equal bands, so neither end (where the oval runs
horizontally at the chin) is sampled. Levels ≥ 0.5 lie below the mouth on a typical face (mouth corners at
0.50 on the canonical face) and make up the lower half."""

_LOWER_HALF = tuple(index for index, level in enumerate(WIDTH_PROFILE_LEVELS) if level > 0.5)

_PAIRS = np.array(MIRROR_PAIRS, dtype=np.intp)
_GROUP_PAIRS = {name: _PAIRS[np.isin(_PAIRS[:, 0], members)] for name, members in SYMMETRY_GROUPS.items()}
_OVAL = np.array(FACE_OVAL, dtype=np.intp)

# --- catalogue ------------------------------------------------------------------------------------------------
_POSE = ("face_size", "head_yaw", "head_pitch", "landmark_stability")
"""Every landmark metric needs a frontal, large enough face whose landmarks held still across the passes."""
_DISTANCE = ("camera_distance_change",)
_MOUTH_SHAPE = ("expression_mouth_sideways", "expression_pucker", "expression_cheek_puff", "expression_lips_apart")
"""A mouth pulled sideways, pursed lips and puffed cheeks move the lower face's landmarks (issue 13: a sideways
mouth moved them 8.6 mm out of symmetry)."""
_LOWER_FACE_EXPRESSION = ("expression_jaw_open", "expression_smile", *_MOUTH_SHAPE)
_WIDTH_NUISANCES = ("camera distance (perspective)", "hair, beard or side light on the face silhouette")


def _paired(
    family: str,
    measure: str,
    unit: str,
    better: Better,
    checks: tuple[str, ...],
    description: str,
    not_invariant_to: tuple[str, ...],
    *,
    negative_control: bool = False,
) -> tuple[MetricSpec, MetricSpec]:
    def spec(side: str) -> MetricSpec:
        name = f"{family}.{measure}.{side}"
        return MetricSpec(
            name, family, side, unit, better, checks, description, not_invariant_to, negative_control=negative_control
        )

    return spec(Side.LEFT), spec(Side.RIGHT)


def _specs() -> tuple[MetricSpec, ...]:
    width_checks = (*_POSE, *_DISTANCE, *_LOWER_FACE_EXPRESSION)
    profile = tuple(
        MetricSpec(
            f"contour.width_profile_{round(level * 100):02d}",
            "contour",
            None,
            "IPD",
            Better.LOWER if level > 0.5 else Better.NEITHER,
            width_checks,
            f"horizontal width of the face oval {level:.0%} of the way from cheekbone level to menton, / IPD"
            + ("" if level > 0.5 else " (mid-face: no treatment claim either way)"),
            _WIDTH_NUISANCES,
        )
        for level in WIDTH_PROFILE_LEVELS
    )
    asymmetry = (
        (
            "landmark",
            "all 225 mirror pairs",
            (
                "expression_smile",
                "expression_jaw_open",
                "expression_brows_raised",
                "expression_squint",
                "eyes_open",
                "expression_frown",
                *_MOUTH_SHAPE,
            ),
        ),
        ("brow", "brow contour pairs", ("expression_brows_raised", "expression_squint", "expression_frown")),
        ("eye", "lid, canthus and iris pairs", ("eyes_open", "expression_squint", "expression_smile")),
        ("cheek", "cheek and malar pairs", ("expression_smile", "expression_squint", *_MOUTH_SHAPE)),
        ("mouth", "lip pairs", ("expression_smile", "expression_jaw_open", *_MOUTH_SHAPE)),
        ("jaw", "lower face-oval pairs", ("expression_jaw_open", "expression_smile", *_MOUTH_SHAPE)),
    )
    return (
        MetricSpec(
            "contour.jaw_to_cheek_ratio",
            "contour",
            None,
            "ratio",
            Better.LOWER,
            width_checks,
            "jaw-to-cheek width ratio |172–397| / |234–454| (bigonial / bizygomatic); lower = slimmer jaw",
            _WIDTH_NUISANCES,
        ),
        *profile,
        MetricSpec(
            "contour.lower_face_width_index",
            "contour",
            None,
            "ratio",
            Better.LOWER,
            width_checks,
            "mean face-oval width over the lower half of the profile (mouth to chin) / |234–454|",
            _WIDTH_NUISANCES,
        ),
        *_paired(
            "contour",
            "jawline_angle",
            "degrees",
            Better.NEITHER,
            width_checks,
            "angle at the gonion proxy 172/397 between the zygion 234/454 and the menton 152 "
            "(descriptive: no treatment claim either way)",
            _WIDTH_NUISANCES,
        ),
        *_paired(
            "contour",
            "jowl_index",
            "IPD",
            Better.LOWER,
            width_checks,
            "mean outward bulge of the jaw-line points 136, 150, 149, 176, 148 (365, 379, 378, 400, 377) "
            "beyond the line gonion→menton, / IPD",
            _WIDTH_NUISANCES,
        ),
        MetricSpec(
            "contour.lower_face_area",
            "contour",
            None,
            "IPD²",
            Better.LOWER,
            width_checks,
            "area of the face oval below the eye line (mean height of the four canthi), / IPD²",
            _WIDTH_NUISANCES,
        ),
        MetricSpec(
            "contour.bizygomatic_width",
            "contour",
            None,
            "IPD",
            Better.NEITHER,
            (*_POSE, *_DISTANCE),
            "negative control: cheekbone width |234–454| / IPD is skeletal and should not change with "
            "treatment; a change means a measurement problem (camera distance, hair, pose)",
            _WIDTH_NUISANCES,
            negative_control=True,
        ),
        *_paired(
            "lift",
            "brow_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, *_DISTANCE, "expression_brows_raised", "expression_squint", "expression_frown"),
            "mean height of the upper brow contour (70, 63, 105, 66, 107 / 300, 293, 334, 296, 336) above the eye "
            "line, / IPD",
            ("camera distance (perspective: 2 % from 1 m to 50 cm)",),
        ),
        *_paired(
            "lift",
            "brow_tail_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, "expression_brows_raised", "expression_squint", "expression_frown"),
            "height of the brow tail 70/300 above the lateral canthus 33/263, / IPD",
            (),
        ),
        *_paired(
            "lift",
            "palpebral_fissure_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, "eyes_open", "expression_squint", "expression_smile", "expression_brows_raised"),
            "upper-lid to lower-lid distance at the pupil's x (MRD1 + MRD2), / IPD",
            (),
        ),
        *_paired(
            "lift",
            "malar_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, "expression_smile", "expression_squint", *_MOUTH_SHAPE),
            "height of the lateral malar point 116/345 relative to the eye line (through each eye's canthal "
            "midpoint), / IPD (negative: below)",
            (),
        ),
        *_paired(
            "lift",
            "cheek_apex_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, "expression_smile", "expression_squint", "expression_jaw_open", *_MOUTH_SHAPE),
            "height of the cheek apex 50/280 relative to the eye line (through each eye's canthal midpoint), "
            "/ IPD (negative: below)",
            (),
        ),
        *_paired(
            "lift",
            "mouth_corner_height",
            "IPD",
            Better.HIGHER,
            (*_POSE, *_LOWER_FACE_EXPRESSION),
            "height of the mouth corner 61/291 above the lip midline (mean of 13, 14), / IPD",
            (),
        ),
        *_paired(
            "lift",
            "canthal_tilt",
            "degrees",
            Better.NEITHER,
            (*_POSE, "expression_squint", "expression_smile"),
            "negative control: angle of the lateral canthus above the medial one (33→133, 263→362); "
            "largely skeletal, a change means a measurement problem",
            (),
            negative_control=True,
        ),
        *(
            MetricSpec(
                f"symmetry.{name}_asymmetry",
                "symmetry",
                None,
                "IPD",
                Better.LOWER,
                (*_POSE, *checks),
                f"RMS distance between each point and its mirrored partner about the fitted midline, {what}, / IPD",
                ("residual yaw at close range (perspective)",),
            )
            for name, what, checks in asymmetry
        ),
    )


CONTOUR_METRICS: tuple[MetricSpec, ...] = _specs()
"""Catalogue entries of every value :func:`contour_metrics` returns, in the same order."""
_NAMES = tuple(spec.name for spec in CONTOUR_METRICS)


# --- geometry helpers -----------------------------------------------------------------------------------------
def frontalise(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks turned frontal in 3-D by a similarity fitted on the rigid basis (``docs/metrics.md``, "Common ground").

    X = (x, −y, −z); F = s·R·X + t with (s, R, t) the least-squares similarity taking X's rigid-basis points
    onto the canonical face's (:func:`~progress.geometry.frontal_fit`, Umeyama 1991).

    Args:
        landmarks: (478, 3) landmarks in the canonical frame (x column, y row downward, z in the same pixel
            scale, smaller z nearer the camera), e.g. ``AlignedFace.landmarks``; photo pixels work alike.

    Returns:
        float64 (478, 3) in canonical-face centimetres: x toward the client's left, y up, z toward the viewer.

    Raises:
        ValueError: The array is not (478, 3) or holds non-finite values.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (LANDMARK_COUNT, 3):
        raise ValueError(f"Expected landmarks of shape ({LANDMARK_COUNT}, 3), got {points.shape}.")
    if not np.isfinite(points).all():
        raise ValueError("Expected finite landmarks, got NaN or infinity.")
    matrix = frontal_fit(points)
    frontal: np.ndarray = (points * TO_RIGHT_HANDED) @ matrix[:3, :3].T + matrix[:3, 3]
    return frontal


def polygon_widths(polygon: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Horizontal extent of a closed polygon at each of several heights.

    Width at height h = max − min of x over the points where the polygon's edges cross y = h.

    Args:
        polygon: (N, 2) vertices (x, y) in order; the last joins the first.
        heights: (K,) y values.

    Returns:
        float64 (K,) widths; NaN where the polygon does not reach a height.

    Examples:
        >>> square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]])
        >>> polygon_widths(square, np.array([0.5, 3.0]))
        array([ 2., nan])
    """
    start = np.asarray(polygon, dtype=np.float64)
    end = np.roll(start, -1, axis=0)
    levels = np.asarray(heights, dtype=np.float64)[:, None]
    dy = end[:, 1] - start[:, 1]
    crosses = ((start[:, 1] - levels) * (end[:, 1] - levels) <= 0) & (dy != 0)
    fraction = (levels - start[:, 1]) / np.where(dy == 0, 1.0, dy)
    x = start[:, 0] + fraction * (end[:, 0] - start[:, 0])
    right = np.where(crosses, x, -np.inf).max(axis=1)
    left = np.where(crosses, x, np.inf).min(axis=1)
    widths: np.ndarray = np.where(crosses.any(axis=1), right - left, np.nan)
    return widths


def polygon_area_below(polygon: np.ndarray, height: float) -> float:
    """Area of the part of a closed polygon at or below y = ``height`` (y up).

    The polygon is clipped against the half-plane y ≤ height (one Sutherland–Hodgman pass) and the clipped
    polygon's area taken by the shoelace formula, A = ½|Σ xₖ yₖ₊₁ − xₖ₊₁ yₖ|.

    Args:
        polygon: (N, 2) vertices (x, y) in order; the last joins the first.
        height: The clipping line's y.

    Returns:
        The area, in the square of the coordinates' unit.

    Examples:
        >>> square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]])
        >>> polygon_area_below(square, 0.25)
        0.5
    """
    start = np.asarray(polygon, dtype=np.float64)
    end = np.roll(start, -1, axis=0)
    inside_start, inside_end = start[:, 1] <= height, end[:, 1] <= height
    crossing = inside_start != inside_end
    dy = np.where(crossing, end[:, 1] - start[:, 1], 1.0)
    crossing_point = start + ((height - start[:, 1]) / dy)[:, None] * (end - start)
    # For each edge emit its start (if inside), then its crossing (if any): the clipped polygon in order.
    candidates = np.stack([start, crossing_point], axis=1).reshape(-1, 2)
    clipped = candidates[np.stack([inside_start, crossing], axis=1).reshape(-1)]
    if len(clipped) < 3:
        return 0.0
    following = np.roll(clipped, -1, axis=0)
    return float(abs((clipped[:, 0] * following[:, 1] - following[:, 0] * clipped[:, 1]).sum()) / 2)


def _height_on_curve(curve: np.ndarray, x: float) -> float:
    """y of the polyline through ``curve`` (K, 2) (a function of x) at ``x``; held at the ends beyond them."""
    order = np.argsort(curve[:, 0])
    return float(np.interp(x, curve[order, 0], curve[order, 1]))


def _angle_deg(first: np.ndarray, second: np.ndarray) -> float:
    """Angle in degrees between two 2-D vectors."""
    cross = first[0] * second[1] - first[1] * second[0]
    return math.degrees(math.atan2(abs(float(cross)), float(first @ second)))


def _mirror_rms(points: np.ndarray, pairs: np.ndarray, centre: np.ndarray, normal: np.ndarray) -> float:
    """RMS over pairs (i, j) of |Pᵢ − M(Pⱼ)|, M the reflection about the line through ``centre`` ⟂ ``normal``."""
    partner = points[pairs[:, 1]]
    reflected = partner - 2 * ((partner - centre) @ normal)[:, None] * normal
    return float(np.sqrt(((points[pairs[:, 0]] - reflected) ** 2).sum(axis=1).mean()))


# --- the metrics ----------------------------------------------------------------------------------------------
def contour_metrics(landmarks: np.ndarray) -> dict[str, float]:
    """Every contour, lift and symmetry metric of one face (the names of ``CONTOUR_METRICS``).

    Args:
        landmarks: float (478, 3) landmarks in the canonical frame (``AlignedFace.landmarks``: x column, y row
            downward, z in the same pixel scale).

    Returns:
        Values by metric name. Lengths are in IPD (inter-pupillary distance, |F468 − F473| in the frontal
        plane), areas in IPD², angles in degrees; see ``docs/metrics.md`` for each formula.

    Raises:
        ValueError: Wrong shape, non-finite values, or coincident iris centres.
    """
    frontal = frontalise(landmarks)[:, :2]
    ipd = float(np.linalg.norm(frontal[IRIS_CENTER_LEFT] - frontal[IRIS_CENTER_RIGHT]))
    if not ipd > 0:
        raise ValueError("The iris centres coincide: no inter-pupillary distance to scale by.")
    values = _contour(frontal, ipd) | _lift(frontal, ipd) | _symmetry(frontal, ipd)
    return {name: float(values[name]) for name in _NAMES}


def _contour(frontal: np.ndarray, ipd: float) -> dict[str, float]:
    """Contour family plus the bizygomatic control, from frontal (478, 2) points."""
    bizygomatic = float(np.linalg.norm(frontal[BIZYGOMATIC[1]] - frontal[BIZYGOMATIC[0]]))
    bigonial = float(np.linalg.norm(frontal[GONION[Side.LEFT]] - frontal[GONION[Side.RIGHT]]))
    oval = frontal[_OVAL]
    top = (frontal[BIZYGOMATIC[0], 1] + frontal[BIZYGOMATIC[1], 1]) / 2
    heights = top + np.array(WIDTH_PROFILE_LEVELS) * (frontal[MENTON, 1] - top)
    widths = polygon_widths(oval, heights)
    eye_line = float(frontal[list(CANTHI), 1].mean())
    values = {
        "contour.jaw_to_cheek_ratio": bigonial / bizygomatic,
        **{
            f"contour.width_profile_{round(level * 100):02d}": float(width) / ipd
            for level, width in zip(WIDTH_PROFILE_LEVELS, widths, strict=True)
        },
        "contour.lower_face_width_index": float(widths[list(_LOWER_HALF)].mean()) / bizygomatic,
        "contour.lower_face_area": polygon_area_below(oval, eye_line) / ipd**2,
        "contour.bizygomatic_width": bizygomatic / ipd,
    }
    for side, outward in ((Side.RIGHT, 1.0), (Side.LEFT, -1.0)):
        gonion, menton = frontal[GONION[side]], frontal[MENTON]
        values[f"contour.jawline_angle.{side}"] = _angle_deg(frontal[ZYGION[side]] - gonion, menton - gonion)
        direction = (menton - gonion) / np.linalg.norm(menton - gonion)
        normal = outward * np.array([direction[1], -direction[0]])  # points away from the face on both sides
        values[f"contour.jowl_index.{side}"] = float(((frontal[list(JOWL[side])] - gonion) @ normal).mean()) / ipd
    return values


def _lift(frontal: np.ndarray, ipd: float) -> dict[str, float]:
    """Lift family plus the canthal-tilt control, from frontal (478, 2) points."""
    right_eye, left_eye = (
        (frontal[LATERAL_CANTHUS[side]] + frontal[MEDIAL_CANTHUS[side]]) / 2 for side in (Side.RIGHT, Side.LEFT)
    )
    slope = (left_eye[1] - right_eye[1]) / (left_eye[0] - right_eye[0])

    def above_eye_line(point: np.ndarray) -> float:
        return float(point[1] - (right_eye[1] + slope * (point[0] - right_eye[0]))) / ipd

    lip_midline = float(frontal[list(LIP_MIDLINE), 1].mean())
    values: dict[str, float] = {}
    for side in (Side.LEFT, Side.RIGHT):
        pupil = frontal[PUPIL[side]]
        upper_lid = _height_on_curve(frontal[list(LID_UPPER[side])], pupil[0])
        lower_lid = _height_on_curve(frontal[list(LID_LOWER[side])], pupil[0])
        lateral, medial = frontal[LATERAL_CANTHUS[side]], frontal[MEDIAL_CANTHUS[side]]
        values |= {
            f"lift.brow_height.{side}": above_eye_line(frontal[list(BROW_UPPER[side])].mean(axis=0)),
            f"lift.brow_tail_height.{side}": float(frontal[BROW_TAIL[side], 1] - lateral[1]) / ipd,
            f"lift.palpebral_fissure_height.{side}": (upper_lid - lower_lid) / ipd,
            f"lift.malar_height.{side}": above_eye_line(frontal[LATERAL_MALAR[side]]),
            f"lift.cheek_apex_height.{side}": above_eye_line(frontal[CHEEK_APEX[side]]),
            f"lift.mouth_corner_height.{side}": float(frontal[MOUTH_CORNER[side], 1] - lip_midline) / ipd,
            f"lift.canthal_tilt.{side}": math.degrees(
                math.atan2(float(lateral[1] - medial[1]), abs(float(lateral[0] - medial[0])))
            ),
        }
    return values


def _symmetry(frontal: np.ndarray, ipd: float) -> dict[str, float]:
    """Symmetry family: mirror-pair RMS about the least-squares midline, from frontal (478, 2) points."""
    midline = frontal[list(MIDLINE)]
    centre = midline.mean(axis=0)
    _, _, axes = np.linalg.svd(midline - centre, full_matrices=False)
    normal = axes[1]  # the midline runs along the first principal axis; its normal is the second
    values = {"symmetry.landmark_asymmetry": _mirror_rms(frontal, _PAIRS, centre, normal) / ipd}
    for name, pairs in _GROUP_PAIRS.items():
        values[f"symmetry.{name}_asymmetry"] = _mirror_rms(frontal, pairs, centre, normal) / ipd
    return values
