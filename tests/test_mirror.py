"""Mirror equivariance (issue 13): a photo and its left-right mirror give the same symmetry measures, and each
sided measure of one is the other side's of the other, on real faces (the astronaut, and the development photos
in ``../shared/faces`` when present; never copied into the project)."""

from __future__ import annotations

import statistics
from pathlib import Path

import cv2
import numpy as np
import pytest

from progress import FaceLandmarker
from progress.align import CANONICAL_INTER_PUPILLARY_MM, align_face
from progress.contour import contour_metrics
from progress.ingest import read_photo
from progress.landmarks import DEFAULT_PLAN, LEGACY_PLAN, MeasuringPlan, mirror_face
from progress.regions import LANDMARK_COUNT, MIRROR_PAIRS, MIRROR_PERMUTATION

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
FRONTAL_FACES = (
    "fairface_test/test_race_Asian.jpg",
    "fairface_test/test_race_Black.jpg",
    "fairface_test/test_race_Latino.jpg",
    "fairface_test/test_race_Middle_Eastern.jpg",
    "face_recognition_examples/obama-1080p.jpg",
    "face_recognition_examples/biden.jpg",
    "dlib_examples_faces/Tom_Cruise_avp_2014_4.jpg",
)
"""Real frontal development photos, 300–4406 px wide, 61–463 px between the pupils."""
TARGET_MM = 0.05
"""Issue 13's target: symmetry measures equal, sided measures swapped, within 0.05 mm."""
LARGEST_MM = 0.1
"""Per photo. Measured on FRONTAL_FACES (worst of symmetry and sided lengths): five photos < 10⁻⁴ mm, 0.040 mm
(test_race_Asian) and 0.020 mm (Tom_Cruise): the one reduction not exact under mirroring is OpenCV's area resize
of the face window at a fractional scale, and the network magnifies its rare one-grey-level differences;
margin ×2.5."""


def _other_side(name: str) -> str:
    return name.replace(".left", ".X").replace(".right", ".left").replace(".X", ".right")


def _mirror_differences(landmarker: FaceLandmarker, image: np.ndarray) -> tuple[float, float, float]:
    """(symmetry, sided lengths in mm, sided angles in degrees): the largest difference between the photo's and
    the mirrored photo's measures (sided ones compared with the other side's)."""
    mirrored = np.ascontiguousarray(image[:, ::-1])
    face, flipped = landmarker.detect(image).face, landmarker.detect(mirrored).face
    assert face is not None and flipped is not None
    values = contour_metrics(align_face(image, face.landmarks).landmarks)
    other = contour_metrics(align_face(mirrored, flipped.landmarks).landmarks)
    symmetry = max(abs(values[n] - other[n]) for n in values if n.startswith("symmetry."))
    sided = [n for n in values if n.endswith((".left", ".right"))]
    lengths = max(abs(values[n] - other[_other_side(n)]) for n in sided if "angle" not in n and "tilt" not in n)
    angles = max(abs(values[n] - other[_other_side(n)]) for n in sided if "angle" in n or "tilt" in n)
    return symmetry * CANONICAL_INTER_PUPILLARY_MM, lengths * CANONICAL_INTER_PUPILLARY_MM, angles


def test_the_mirror_permutation_pairs_every_landmark_and_fixes_the_midline() -> None:
    permutation = np.array(MIRROR_PERMUTATION)
    assert sorted(permutation) == list(range(LANDMARK_COUNT))
    assert (permutation[permutation] == np.arange(LANDMARK_COUNT)).all()  # an involution
    assert all(permutation[right] == left for right, left in MIRROR_PAIRS)
    assert {int(i) for i in np.flatnonzero(permutation == np.arange(LANDMARK_COUNT))} >= {1, 4, 6, 9, 10, 13, 14, 152}


def test_a_mirrored_plan_must_look_at_mirrored_frames() -> None:
    with pytest.raises(ValueError, match="closed under mirroring"):
        MeasuringPlan(zoom=0.35, variants=((2.0, 1.0, (0.25, 0.25)),))
    assert MeasuringPlan(zoom=0.35, variants=((2.0, 1.0, (0.25, 0.25)),), mirror=False).network_runs == 2
    assert (DEFAULT_PLAN.network_runs, LEGACY_PLAN.network_runs) == (8, 10)


def test_a_mirrored_photo_gives_the_mirrored_face(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    face = landmarker.detect(astronaut).face
    flipped = landmarker.detect(np.ascontiguousarray(astronaut[:, ::-1])).face
    assert face is not None and flipped is not None
    expected = mirror_face(face, astronaut.shape[1])
    # Measured: 3·10⁻⁵ px largest difference (43 px between the pupils; float32 rounding); tolerance 2·10⁻³ px.
    np.testing.assert_allclose(flipped.landmarks, expected.landmarks, atol=2e-3)
    assert flipped.blendshapes.keys() == expected.blendshapes.keys()
    for name, score in expected.blendshapes.items():
        assert flipped.blendshapes[name] == pytest.approx(score, abs=1e-4), name  # measured: equal
    assert flipped.spread_px == pytest.approx(face.spread_px, abs=1e-3)
    assert mirror_face(expected, astronaut.shape[1]).landmarks == pytest.approx(face.landmarks, abs=1e-4)


@pytest.mark.parametrize("upscale", [1.0, 2.5])
def test_symmetry_is_mirror_invariant_and_sides_swap_on_the_astronaut(
    landmarker: FaceLandmarker, astronaut: np.ndarray, upscale: float
) -> None:
    image = cv2.resize(astronaut, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_LANCZOS4)
    symmetry, lengths, angles = _mirror_differences(landmarker, image)
    # Measured at 1× and 2.5×: ≤ 2·10⁻⁵ mm and ≤ 4·10⁻⁵°; the target 0.05 mm is the tolerance.
    assert symmetry <= TARGET_MM and lengths <= TARGET_MM
    assert angles <= 0.05


@pytest.mark.skipif(not FACES.is_dir(), reason="the development photos (../shared/faces) are not on this machine")
def test_symmetry_is_mirror_invariant_and_sides_swap_on_real_photos(landmarker: FaceLandmarker) -> None:
    differences = [_mirror_differences(landmarker, read_photo(FACES / name).image) for name in FRONTAL_FACES]
    worst_per_photo = [max(symmetry, lengths) for symmetry, lengths, _ in differences]
    assert statistics.median(worst_per_photo) <= TARGET_MM
    assert max(worst_per_photo) <= LARGEST_MM
    assert max(angles for _, _, angles in differences) <= 0.15  # degrees; measured ≤ 0.069° (Tom_Cruise)
