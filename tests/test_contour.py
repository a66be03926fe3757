"""Contour, lift and symmetry metrics: known answers on MediaPipe's canonical face, pose and scale invariance,
recovered jaw and brow changes, mirror symmetry, and the same on a real photo.

Synthetic faces are MediaPipe's canonical mesh (centimetres) with iris points added, turned by a known head
rotation and photographed through a pinhole camera, then aligned exactly as a photo is (``align_face``).
Tolerances are stated per kind of metric (see :func:`_kind`), in the spirit of "within 1 %":

- shape (widths, ratios, areas, the jawline angle): relative to the value;
- height (lift heights, jowl index, in IPD): absolute, in IPD (0.01 IPD ≈ 0.6 mm), since several are near 0;
- tilt (canthal tilt, degrees): absolute;
- symmetry (IPD): absolute (the canonical face's value is 0).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from helpers import encode

from progress import FaceLandmarker, read_photo
from progress.align import align_face
from progress.catalogue import FAMILIES, SIDES, Better
from progress.contour import CONTOUR_METRICS, contour_metrics, frontalise
from progress.model import canonical_face_vertices
from progress.regions import LEFT_EYE, MIRROR_PAIRS, RIGHT_BROW, RIGHT_EYE

POSE_TOLERANCE = {"shape": 0.01, "height": 0.01, "tilt": 1.0, "symmetry": 0.01}
"""The issue's "within 1 %": 1 % of the value for shapes, 1 % of the IPD for heights and symmetry, 1° of canthal
tilt (the lateral canthus moving ≈ 0.007 IPD). Met with margin under weak perspective (frontalisation is exact
there), and on the real photo (measured over 12 half-resolution, ±10°-rotated, shifted JPEG re-saves of the
portrait: shape ≤ 0.91 %, height ≤ 0.0088 IPD, tilt ≤ 0.45°, symmetry ≤ 0.0038 IPD)."""
PERSPECTIVE_TOLERANCE = {"shape": 0.035, "height": 0.01, "tilt": 1.0, "symmetry": 0.04}
"""At 1 m (f = 1500 px) perspective, which no frontalisation removes, moves metrics with head rotation. Measured
worst case over the ``POSES`` (up to 10° on every axis) with the head on the optical axis or 8 cm off it: shape
3.0 % (oval area below the eyes; lowest widths 2.4 %, jaw-to-cheek ratio 1.4 %, cheekbone width 1.2 %), height
0.0083 IPD, tilt 0.66°, symmetry 0.035 IPD (2.2 mm of apparent jaw asymmetry: the nearer side is magnified).
Within the pose checks' pass limits (|yaw|, |pitch| ≤ 5°) they roughly halve: shape 1.7 %, height 0.0048 IPD,
tilt 0.40°, symmetry 0.020 IPD; only the widths, the area and the symmetry indices then exceed 1 %."""
MIRROR_TOLERANCE = {"shape": 1e-4, "height": 1e-4, "tilt": 0.01, "symmetry": 1e-4}
"""MediaPipe is not mirror-equivariant (its landmarks of a mirrored photo differ from the mirrored landmarks by
0.9 mm RMS), but the landmarker measures every frame mirrored too and maps it back (issue 13), so a mirrored
photo gives the mirrored landmarks. Measured on the mirrored portrait: shape 3·10⁻⁷, height and symmetry
≤ 10⁻⁷ IPD, tilt 2·10⁻⁶°; tolerance 10⁻⁴ (6 µm on the face), 0.01°: float32 rounding with a wide margin."""
ROUNDING = 1e-5
"""What is exact in theory holds to this (relative or absolute): aligned landmarks are float32."""
EXACT_TOLERANCE = {"shape": ROUNDING, "height": ROUNDING, "tilt": 1e-3, "symmetry": ROUNDING}
JAW_NARROWING = 0.03
JAW_RECOVERY_TOLERANCE = 0.005
"""Narrowing the lower face by 3 % is recovered as 3 ± 0.5 %."""
BROW_RAISE_CM = 0.2
BROW_RECOVERY_TOLERANCE_CM = 0.01
"""A 2 mm brow raise is recovered within ±0.1 mm at 1 m (measured 1.96–2.04 mm: brows sit nearer the camera than
the irises, so perspective magnifies them by ~1 %); the other side moves by less than 0.001 mm."""

FOCAL_PX = 1500.0
DISTANCE_CM = 100.0
IRIS_RADIUS_CM = 0.585
"""Half of the 11.7 mm mean human iris diameter (metrics.md §3.1)."""
POSES = [
    (10, 0, 0),
    (-10, 0, 0),
    (0, 10, 0),
    (0, -10, 0),
    (0, 0, 10),
    (10, 10, 10),
    (-10, -10, -10),
    (10, -10, 10),
    (-10, 10, -10),
]
"""(yaw, pitch, roll) in degrees, each axis alone and combined, up to 10°."""
FRAMINGS = [(1.0, 0.0, (0.0, 0.0), (0.0, 0.0)), (0.4, 25.0, (-300.0, 200.0), (7.0, -4.0))]
"""(photo scale, in-plane rotation in degrees, shift in pixels, head off the optical axis in cm)."""
REFRAMED = (0.4, 25.0, (-300.0, 200.0), (0.0, 0.0))
"""The same camera position as the first framing, photo scaled, rotated and cropped differently."""


# --- synthetic faces --------------------------------------------------------------------------------------------
def _canonical_face() -> np.ndarray:
    """The canonical mesh (468, 3; cm, x right, y up, z toward the viewer) with iris centre and ring (468–477).

    Iris centre = mean of the eye contour; ring = centre ± the iris radius, in the order MediaPipe uses
    (edge toward +x, top, edge toward −x, bottom): 469/474 +x, 470/475 top, 471/476 −x, 472/477 bottom.
    """
    vertices = canonical_face_vertices()
    irises = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        centre = vertices[list(eye)].mean(axis=0)
        offsets = IRIS_RADIUS_CM * np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]])
        irises.append(centre + offsets)
    return np.vstack([vertices, *irises])


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Head rotation: yaw about y (toward the image's right), pitch about x (chin up), roll about z."""

    def about(axis: int, degrees: float) -> np.ndarray:
        c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        i, j = [(1, 2), (2, 0), (0, 1)][axis]
        matrix = np.eye(3)
        matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
        return matrix

    rotation: np.ndarray = about(1, yaw) @ about(0, -pitch) @ about(2, roll)
    return rotation


def _photograph(
    face: np.ndarray,
    pose: tuple[float, float, float] = (0, 0, 0),
    *,
    distance: float = DISTANCE_CM,
    framing: tuple[float, float, tuple[float, float], tuple[float, float]] = FRAMINGS[0],
    weak_perspective: bool = False,
) -> np.ndarray:
    """Landmarks (478, 3) in photo pixels of ``face`` (cm) turned by ``pose`` and photographed.

    Pinhole camera at the origin looking down −z, focal length ``FOCAL_PX``, head centre at ``distance`` cm
    (moved off the axis by the framing's offset). z is what a landmark network sees in its crop: depth along
    the ray to the head centre, in pixels at the head's scale, positive away from the camera. With
    ``weak_perspective`` every point is projected at the head centre's scale instead, and z is depth along the
    optical axis (an exact similarity of the face). The photo is then
    scaled, rotated and shifted in its plane (another camera position, zoom or crop).
    """
    scale, angle, shift, offset = framing
    centre = np.array([offset[0], offset[1], -distance])
    camera = face @ _rotation(*pose).T + centre
    depth = np.full(len(face), np.linalg.norm(centre)) if weak_perspective else -camera[:, 2]
    image = FOCAL_PX * camera[:, :2] / depth[:, None] * (1.0, -1.0)
    line_of_sight = np.array([0.0, 0.0, -1.0]) if weak_perspective else centre / np.linalg.norm(centre)
    z = FOCAL_PX * ((camera - centre) @ line_of_sight) / np.linalg.norm(centre)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    image = image @ (scale * np.array([[c, -s], [s, c]])).T + np.array([2000.0, 1500.0]) + shift
    return np.column_stack([image, z * scale])


def _metrics(photo_landmarks: np.ndarray) -> dict[str, float]:
    """Align as the pipeline does, then measure."""
    return contour_metrics(align_face(np.zeros((8, 8, 3), np.uint8), photo_landmarks).landmarks)


def _mirrored_landmarks(landmarks: np.ndarray, width: float) -> np.ndarray:
    """What a landmarker reports on the mirrored photo: x flipped, left and right landmarks exchanged."""
    order = np.arange(len(landmarks))
    for right, left in MIRROR_PAIRS:
        order[right], order[left] = left, right
    mirrored = landmarks[order].copy()
    mirrored[:, 0] = width - mirrored[:, 0]
    return mirrored


def _other_side(name: str) -> str:
    """The same metric on the other side (whole-face metrics are their own)."""
    stem, _, side = name.rpartition(".")
    if side not in SIDES:
        return name
    return f"{stem}.{'right' if side == 'left' else 'left'}"


def _kind(name: str) -> str:
    """Tolerance class of a metric: shape, height, tilt or symmetry (see the module docstring)."""
    if name.startswith("symmetry."):
        return "symmetry"
    if ".canthal_tilt." in name:
        return "tilt"
    if name.startswith("lift.") or ".jowl_index." in name:
        return "height"
    return "shape"


def _differences(
    values: dict[str, float], reference: dict[str, float], tolerance: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """Metrics that differ from ``reference`` by more than ``tolerance``: name → (difference, allowed)."""
    failures = {}
    for name, expected in reference.items():
        kind = _kind(name)
        allowed = tolerance[kind] * (abs(expected) if kind == "shape" else 1.0)
        if not abs(values[name] - expected) <= allowed:
            failures[name] = (values[name] - expected, allowed)
    return failures


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return _canonical_face()


@pytest.fixture(scope="module")
def inter_pupillary_cm(face: np.ndarray) -> float:
    return float(np.linalg.norm(face[468, :2] - face[473, :2]))


# --- catalogue ---------------------------------------------------------------------------------------------------
def test_catalogue_entries_match_the_values_and_follow_the_naming_rules(face: np.ndarray) -> None:
    values = _metrics(_photograph(face))
    assert [spec.name for spec in CONTOUR_METRICS] == list(values)
    for spec in CONTOUR_METRICS:
        assert spec.family in ("contour", "lift", "symmetry") and spec.family in FAMILIES
        assert spec.name.startswith(f"{spec.family}.")
        last = spec.name.rsplit(".", 1)[1]
        assert spec.region == (last if last in SIDES else None)
        assert {"head_yaw", "head_pitch"} <= set(spec.depends_on)
        if spec.region is not None:
            assert _other_side(spec.name) in values
    controls = {spec.name for spec in CONTOUR_METRICS if "negative control" in spec.description}
    assert controls == {"contour.bizygomatic_width", "lift.canthal_tilt.left", "lift.canthal_tilt.right"}
    assert all(spec.better is Better.NEITHER for spec in CONTOUR_METRICS if spec.name in controls)
    specs = {spec.name: spec for spec in CONTOUR_METRICS}
    assert {"expression_smile", "expression_jaw_open"} <= set(specs["lift.mouth_corner_height.left"].depends_on)
    assert "expression_brows_raised" in specs["lift.brow_height.right"].depends_on


# --- known answers on the canonical face ----------------------------------------------------------------------------
def test_canonical_face_gives_the_values_computed_by_hand(face: np.ndarray) -> None:
    values = _metrics(_photograph(face, weak_perspective=True))
    ipd = float(np.linalg.norm(face[468] - face[473]))

    def vertical(top: int, bottom: int) -> float:
        return float(face[top, 1] - face[bottom, 1]) / ipd

    assert values["contour.jaw_to_cheek_ratio"] == pytest.approx(
        np.linalg.norm(face[172] - face[397]) / np.linalg.norm(face[234] - face[454]), rel=ROUNDING
    )
    assert values["contour.jaw_to_cheek_ratio"] == pytest.approx(0.775, abs=5e-4)  # metrics.md §3.2 G4
    assert values["contour.bizygomatic_width"] == pytest.approx(abs(face[454, 0] - face[234, 0]) / ipd, rel=ROUNDING)
    assert values["lift.brow_tail_height.right"] == pytest.approx(vertical(70, 33), rel=ROUNDING)
    assert values["lift.mouth_corner_height.left"] == pytest.approx(
        (face[291, 1] - (face[13, 1] + face[14, 1]) / 2) / ipd, rel=ROUNDING
    )
    tilt = math.degrees(math.atan2(face[33, 1] - face[133, 1], abs(face[33, 0] - face[133, 0])))
    assert values["lift.canthal_tilt.right"] == pytest.approx(tilt, rel=ROUNDING)
    assert values["lift.canthal_tilt.right"] == pytest.approx(1.74, abs=0.01)  # metrics.md §3.2 G10
    eye_line = face[[33, 133, 263, 362], 1].mean()  # the eyes are level here: the line through their centres
    brow = face[[300, 293, 334, 296, 336], 1].mean()
    assert values["lift.brow_height.left"] == pytest.approx((brow - eye_line) / ipd, rel=ROUNDING)
    assert values["lift.brow_height.left"] == pytest.approx(0.353, abs=1e-3)  # metrics.md §3.2 G8 (at the pupil): 0.388

    def at_pupil_x(curve: list[int], pupil: int) -> float:  # curves run lateral → medial
        xs, ys = face[curve, 0], face[curve, 1]
        order = np.argsort(xs)
        return float(np.interp(face[pupil, 0], xs[order], ys[order]))

    fissure = at_pupil_x([246, 161, 160, 159, 158, 157, 173], 468) - at_pupil_x([7, 163, 144, 145, 153, 154, 155], 468)
    assert values["lift.palpebral_fissure_height.right"] == pytest.approx(fissure / ipd, rel=ROUNDING)
    assert values["lift.malar_height.right"] == pytest.approx((face[116, 1] - eye_line) / ipd, rel=ROUNDING)
    assert values["lift.malar_height.right"] == pytest.approx(-0.267, abs=5e-3)  # metrics.md §3.2 G11
    along = (face[152, :2] - face[172, :2]) / np.linalg.norm(face[152, :2] - face[172, :2])
    outward = np.array([along[1], -along[0]])  # for the right jaw (x < 0): down and to the image's left
    bulge = np.mean([(face[i, :2] - face[172, :2]) @ outward for i in (136, 150, 149, 176, 148)]) / ipd
    assert values["contour.jowl_index.right"] == pytest.approx(bulge, rel=ROUNDING) and bulge > 0
    assert values["contour.width_profile_05"] > values["contour.width_profile_55"] > values["contour.width_profile_95"]
    for name, value in values.items():
        if name.endswith(".right"):
            assert value == pytest.approx(values[_other_side(name)], rel=ROUNDING, abs=ROUNDING)
        if name.startswith("symmetry."):
            assert value == pytest.approx(0.0, abs=ROUNDING)  # the canonical face is exactly symmetric


# --- pose, scale and translation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("pose", POSES)
def test_weak_perspective_pose_scale_and_shift_leave_every_metric_within_one_percent(
    face: np.ndarray, pose: tuple[float, float, float]
) -> None:
    reference = _metrics(_photograph(face, weak_perspective=True))
    for framing in FRAMINGS:
        values = _metrics(_photograph(face, pose, framing=framing, weak_perspective=True))
        assert _differences(values, reference, POSE_TOLERANCE) == {}
        assert _differences(values, reference, EXACT_TOLERANCE) == {}  # in fact exact


def test_a_naive_two_dimensional_measure_would_fail_the_pose_tolerance(face: np.ndarray) -> None:
    """The pose test has teeth: without 3-D frontalisation, 10° of pitch moves brow height far beyond 1 %."""

    def naive_brow_height(landmarks: np.ndarray) -> float:
        aligned = align_face(np.zeros((8, 8, 3), np.uint8), landmarks).landmarks.astype(np.float64)
        ipd = float(np.linalg.norm(aligned[468, :2] - aligned[473, :2]))
        return float(aligned[468, 1] - aligned[105, 1]) / ipd

    frontal = naive_brow_height(_photograph(face, weak_perspective=True))
    pitched = naive_brow_height(_photograph(face, (0, 10, 0), weak_perspective=True))
    assert abs(pitched - frontal) > 1.5 * POSE_TOLERANCE["height"]


@pytest.mark.parametrize("pose", POSES)
def test_pinhole_at_one_metre_keeps_every_metric_within_the_perspective_tolerance(
    face: np.ndarray, pose: tuple[float, float, float]
) -> None:
    reference = _metrics(_photograph(face))
    for framing in FRAMINGS:
        values = _metrics(_photograph(face, pose, framing=framing))
        assert _differences(values, reference, PERSPECTIVE_TOLERANCE) == {}


def test_landmarks_of_the_wrong_shape_or_with_nan_are_refused(face: np.ndarray) -> None:
    landmarks = align_face(np.zeros((8, 8, 3), np.uint8), _photograph(face)).landmarks
    with pytest.raises(ValueError, match=r"\(478, 3\)"):
        contour_metrics(landmarks[:468])
    broken = landmarks.copy()
    broken[200, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        contour_metrics(broken)
    blind = landmarks.copy()
    blind[473] = blind[468]
    with pytest.raises(ValueError, match="iris centres coincide"):
        contour_metrics(blind)
    assert frontalise(landmarks).shape == (478, 3)


# --- known changes ------------------------------------------------------------------------------------------------
def _narrowed_jaw(face: np.ndarray) -> np.ndarray:
    """Every point below the mouth corners moved 3 % toward the midline: a slimmer lower face."""
    narrowed = face.copy()
    lower = narrowed[:, 1] < face[61, 1]
    narrowed[lower, 0] *= 1 - JAW_NARROWING
    return narrowed


@pytest.mark.parametrize("pose", [(0, 0, 0), *POSES])
def test_a_three_percent_narrower_jaw_is_recovered(face: np.ndarray, pose: tuple[float, float, float]) -> None:
    # Before and after photographed alike at 1 m: perspective cancels; the rigid basis keeps the jaw out of the fit.
    before, after = _metrics(_photograph(face, pose)), _metrics(_photograph(_narrowed_jaw(face), pose))
    change = after["contour.jaw_to_cheek_ratio"] / before["contour.jaw_to_cheek_ratio"] - 1
    assert change == pytest.approx(-JAW_NARROWING, abs=JAW_RECOVERY_TOLERANCE)
    index_change = after["contour.lower_face_width_index"] / before["contour.lower_face_width_index"] - 1
    assert index_change == pytest.approx(-JAW_NARROWING, abs=JAW_RECOVERY_TOLERANCE)
    assert after["contour.jowl_index.left"] < before["contour.jowl_index.left"]
    # Nothing above the mouth moves: no leak of the jaw change into the alignment.
    unchanged = [
        name
        for name in before
        if name.startswith(("lift.brow", "lift.palpebral", "lift.canthal", "lift.malar", "contour.bizygomatic"))
    ]
    assert unchanged and all(after[name] == pytest.approx(before[name], abs=ROUNDING) for name in unchanged)
    # Under weak perspective the change is recovered even when the two photos differ in pose.
    turned = _metrics(_photograph(_narrowed_jaw(face), pose, weak_perspective=True))
    frontal = _metrics(_photograph(face, weak_perspective=True))
    change = turned["contour.jaw_to_cheek_ratio"] / frontal["contour.jaw_to_cheek_ratio"] - 1
    assert change == pytest.approx(-JAW_NARROWING, abs=JAW_RECOVERY_TOLERANCE)


def _raised_right_brow(face: np.ndarray) -> np.ndarray:
    raised = face.copy()
    raised[list(RIGHT_BROW), 1] += BROW_RAISE_CM
    return raised


@pytest.mark.parametrize("pose", [(0, 0, 0), *POSES])
def test_a_two_millimetre_brow_raise_is_recovered_on_that_side_only(
    face: np.ndarray, inter_pupillary_cm: float, pose: tuple[float, float, float]
) -> None:
    before = _metrics(_photograph(face, pose))
    after = _metrics(_photograph(_raised_right_brow(face), pose, framing=REFRAMED))
    for measure in ("brow_height", "brow_tail_height"):
        raised = (after[f"lift.{measure}.right"] - before[f"lift.{measure}.right"]) * inter_pupillary_cm
        assert raised == pytest.approx(BROW_RAISE_CM, abs=BROW_RECOVERY_TOLERANCE_CM)
        unmoved = (after[f"lift.{measure}.left"] - before[f"lift.{measure}.left"]) * inter_pupillary_cm
        assert unmoved == pytest.approx(0.0, abs=1e-4)
    assert after["symmetry.mouth_asymmetry"] == pytest.approx(before["symmetry.mouth_asymmetry"], abs=ROUNDING)


GAZE_DROP_CM = 0.1
"""The irises 1 mm lower: the eyes looking down (or lids lowered over the iris centre)."""


def test_looking_down_moves_no_height(face: np.ndarray) -> None:
    # Heights are measured from the line through the canthi, which gaze does not move, not from the iris centres
    # (docs/metrics.md). Known answer: none of them moves (to float rounding); the eye opening, measured at the
    # pupil's x along lids that stay put, does not either.
    lowered = face.copy()
    lowered[468:, 1] -= GAZE_DROP_CM
    before, after = _metrics(_photograph(face)), _metrics(_photograph(lowered))
    for side in ("left", "right"):
        for measure in ("brow_height", "brow_tail_height", "malar_height", "cheek_apex_height", "mouth_corner_height"):
            assert after[f"lift.{measure}.{side}"] == pytest.approx(before[f"lift.{measure}.{side}"], abs=ROUNDING)


def test_a_raised_brow_gives_the_asymmetry_computed_by_hand(face: np.ndarray, inter_pupillary_cm: float) -> None:
    # Each of the 10 brow pairs is 2 mm apart after reflection; the midline points do not move.
    values = _metrics(_photograph(_raised_right_brow(face), weak_perspective=True))
    assert values["symmetry.brow_asymmetry"] == pytest.approx(BROW_RAISE_CM / inter_pupillary_cm, rel=ROUNDING)
    pairs = len(MIRROR_PAIRS)
    expected = math.sqrt(len(RIGHT_BROW) / pairs) * BROW_RAISE_CM / inter_pupillary_cm
    assert values["symmetry.landmark_asymmetry"] == pytest.approx(expected, rel=ROUNDING)
    assert values["symmetry.eye_asymmetry"] == pytest.approx(0.0, abs=ROUNDING)


def test_mirroring_the_photo_swaps_sides_and_keeps_the_symmetry_indices(face: np.ndarray) -> None:
    asymmetric = _raised_right_brow(_narrowed_jaw(face))
    asymmetric[291, 1] -= 0.1  # left mouth corner 1 mm lower
    photo = _photograph(asymmetric, (7, -4, 6), framing=FRAMINGS[1])
    values, mirrored = _metrics(photo), _metrics(_mirrored_landmarks(photo, width=4000.0))
    assert values["lift.brow_height.right"] > values["lift.brow_height.left"] + 0.02  # a real asymmetry to swap
    for name, value in values.items():
        assert mirrored[_other_side(name)] == pytest.approx(value, rel=ROUNDING, abs=ROUNDING)
    assert values["symmetry.brow_asymmetry"] > 0.02


def test_camera_distance_moves_the_width_ratios(face: np.ndarray) -> None:
    """metrics.md §3.1: perspective at 50 cm narrows the face edges against the centre (~6 % on the cheekbone
    width); frontalisation cannot undo it, so these metrics depend on the camera-distance check."""
    far, near = _metrics(_photograph(face, distance=100.0)), _metrics(_photograph(face, distance=50.0))
    assert near["contour.bizygomatic_width"] / far["contour.bizygomatic_width"] - 1 == pytest.approx(-0.06, abs=0.01)
    assert near["contour.jaw_to_cheek_ratio"] / far["contour.jaw_to_cheek_ratio"] - 1 > POSE_TOLERANCE["shape"]
    moved = _differences(near, far, POSE_TOLERANCE)
    declared = {spec.name for spec in CONTOUR_METRICS if "camera_distance_change" in spec.depends_on}
    assert set(moved) <= declared  # every metric the distance moves beyond its tolerance declares the check
    assert {name for name in declared if name.startswith("contour.")} == {
        spec.name for spec in CONTOUR_METRICS if spec.family == "contour"
    }


# --- a real photo ---------------------------------------------------------------------------------------------------
def _photo_metrics(landmarker: FaceLandmarker, image: np.ndarray) -> dict[str, float]:
    face = landmarker.detect(image).face
    assert face is not None
    return contour_metrics(align_face(image, face.landmarks).landmarks)


def _reframed(image: np.ndarray, angle: float, scale: float, shift: tuple[int, int]) -> np.ndarray:
    """The photo rotated (degrees), scaled and shifted into a grey canvas, re-saved as JPEG quality 85."""
    height, width = image.shape[:2]
    size = (int(width * max(scale, 1) * 1.3), int(height * max(scale, 1) * 1.3))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[:, 2] += (size[0] / 2 - width / 2 + shift[0], size[1] / 2 - height / 2 + shift[1])
    moved = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_AREA, borderValue=(120, 120, 120))
    return read_photo(encode(moved, quality=85)).image


@pytest.fixture(scope="module")
def portrait_metrics(landmarker: FaceLandmarker, portrait: np.ndarray) -> dict[str, float]:
    return _photo_metrics(landmarker, portrait)


@pytest.mark.parametrize(("angle", "shift"), [(10, (13, -9)), (-10, (-20, 7))])
def test_real_photo_at_half_resolution_rotated_shifted_and_resaved_gives_the_same_values(
    landmarker: FaceLandmarker,
    portrait: np.ndarray,
    portrait_metrics: dict[str, float],
    angle: float,
    shift: tuple[int, int],
) -> None:
    values = _photo_metrics(landmarker, _reframed(portrait, angle, 0.5, shift))
    assert _differences(values, portrait_metrics, POSE_TOLERANCE) == {}


def test_real_photo_mirrored_swaps_sides(
    landmarker: FaceLandmarker, portrait: np.ndarray, portrait_metrics: dict[str, float]
) -> None:
    mirrored = _photo_metrics(landmarker, np.ascontiguousarray(portrait[:, ::-1]))
    swapped = {name: mirrored[_other_side(name)] for name in mirrored}
    assert _differences(swapped, portrait_metrics, MIRROR_TOLERANCE) == {}

    # The astronaut's clearest asymmetry, his left mouth corner ~1 mm higher (smiling), changes side.
    def corner_difference(values: dict[str, float]) -> float:
        return values["lift.mouth_corner_height.left"] - values["lift.mouth_corner_height.right"]

    assert corner_difference(portrait_metrics) > 0.01 and corner_difference(mirrored) < 0
