"""Golden landmark files for the model layer: the landmarks, face count and blendshapes that the bundled model
and the measuring plan give on the bundled sample photos, kept in ``tests/golden/landmarks.npz``.

A change of MediaPipe, OpenCV, the model, the measuring plan or the decoder shows up here first, by name, before
it moves a metric. The tolerances are measured: the same photos with ±1 level of seeded noise added to every
pixel (what a different JPEG decoder build can do) moved the landmarks by at most 0.089 mm RMS, 0.24 mm for any
one landmark in the image plane, 0.31 mm in depth, and the blendshapes by 0.015 (4 photos × 5 draws, taking the
inter-pupillary distance as 63 mm). Each limit is that spread with a margin of about 2×.

When a change is intended, rewrite the file with ``PROGRESS_UPDATE_GOLDEN=1 python -m pytest
tests/test_golden_landmarks.py`` and say why in the commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from progress import FaceLandmarker
from progress.ingest import read_photo

GOLDEN = Path(__file__).parent / "golden" / "landmarks.npz"
SAMPLES = Path(__file__).parents[1] / "sample_images"
PHOTOS = {
    "demo_session_01": SAMPLES.parent / "progress" / "demo_client" / "session_01_2026-01-05.jpg",
    "rotated_exif": SAMPLES / "checks" / "rotated_exif.jpg",
    "heic": SAMPLES / "checks" / "session_heic.heic",
    "two_faces": SAMPLES / "checks" / "two_faces.jpg",
}
RMS_TOLERANCE_MM = 0.2
"""RMS over the 478 landmarks of the image-plane distance to the golden ones (measured spread 0.089 mm)."""
LANDMARK_TOLERANCE_MM = 0.5
"""Largest image-plane distance of any one landmark (measured 0.24 mm)."""
DEPTH_TOLERANCE_MM = 0.6
"""Largest depth difference of any one landmark (measured 0.31 mm)."""
BLENDSHAPE_TOLERANCE = 0.03
"""Largest difference of any blendshape score (measured 0.015)."""
MM_PER_IPD = 63.0


def _measure(landmarker: FaceLandmarker) -> dict[str, np.ndarray]:
    """Per photo: ``<name>.landmarks`` float32 (478, 3) photo pixels, ``<name>.faces`` (1,) int, and
    ``<name>.blendshapes`` float32 (52,) in ``blendshape_names`` order."""
    arrays: dict[str, np.ndarray] = {}
    names: list[str] = []
    for name, path in PHOTOS.items():
        detection = landmarker.detect(read_photo(path).image)
        assert detection.face is not None, f"{path.name}: no face"
        names = sorted(detection.face.blendshapes)
        arrays[f"{name}.landmarks"] = detection.face.landmarks.astype(np.float32)
        arrays[f"{name}.faces"] = np.array([detection.faces_found])
        arrays[f"{name}.blendshapes"] = np.array([detection.face.blendshapes[n] for n in names], dtype=np.float32)
    arrays["blendshape_names"] = np.array(names)
    return arrays


@pytest.fixture(scope="module")
def measured(landmarker: FaceLandmarker) -> dict[str, np.ndarray]:
    arrays = _measure(landmarker)
    if os.environ.get("PROGRESS_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        np.savez_compressed(GOLDEN, **arrays)  # type: ignore[arg-type]
    return arrays


@pytest.mark.parametrize("name", list(PHOTOS))
def test_the_model_layer_gives_the_golden_landmarks(measured: dict[str, np.ndarray], name: str) -> None:
    with np.load(GOLDEN) as golden:
        expected = golden[f"{name}.landmarks"]
        assert golden["blendshape_names"].tolist() == measured["blendshape_names"].tolist()
        assert int(measured[f"{name}.faces"][0]) == int(golden[f"{name}.faces"][0]), "faces found"
        blendshapes = np.abs(measured[f"{name}.blendshapes"] - golden[f"{name}.blendshapes"]).max()
    got = measured[f"{name}.landmarks"]
    mm_per_px = MM_PER_IPD / float(np.linalg.norm(expected[473, :2] - expected[468, :2]))
    plane = np.linalg.norm(got[:, :2] - expected[:, :2], axis=1) * mm_per_px
    depth = np.abs(got[:, 2] - expected[:, 2]) * mm_per_px
    assert float(np.sqrt((plane**2).mean())) <= RMS_TOLERANCE_MM
    assert float(plane.max()) <= LANDMARK_TOLERANCE_MM, f"landmark {int(plane.argmax())}"
    assert float(depth.max()) <= DEPTH_TOLERANCE_MM, f"landmark {int(depth.argmax())}"
    assert float(blendshapes) <= BLENDSHAPE_TOLERANCE
