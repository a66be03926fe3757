"""The face landmarker on real pixels: one face, several faces, none, thread safety, the model file."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from progress import FaceLandmarker, ModelFileError
from progress.landmarks import UPLOAD_BLACKHOLE
from progress.model import BUNDLED_MODEL_PATH, BUNDLED_MODEL_SHA256, canonical_face_vertices


def test_the_bundled_model_is_the_published_file() -> None:
    data = BUNDLED_MODEL_PATH.read_bytes()
    assert len(data) == 3_758_596
    assert hashlib.sha256(data).hexdigest() == BUNDLED_MODEL_SHA256


def test_canonical_face_is_read_from_the_model() -> None:
    vertices = canonical_face_vertices()
    assert vertices.shape == (468, 3)
    right_eye, left_eye = vertices[[33, 133]].mean(axis=0), vertices[[362, 263]].mean(axis=0)
    assert np.linalg.norm(left_eye - right_eye) == pytest.approx(6.30, abs=0.01)  # centimetres
    assert right_eye[0] < 0 < left_eye[0]  # the client's right eye is on the viewer's left


def test_one_face_gives_478_landmarks_on_the_face(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    detection = landmarker.detect(astronaut)
    assert detection.faces_found == 1 and detection.face is not None
    landmarks = detection.face.landmarks
    assert landmarks.shape == (478, 3) and landmarks.dtype == np.float32
    # The astronaut's pupils, located by hand in the 512×512 image: right (client's) ~(204, 101), left ~(247, 104)
    np.testing.assert_allclose(landmarks[468, :2], (204, 101), atol=4)
    np.testing.assert_allclose(landmarks[473, :2], (247, 104), atol=4)
    assert len(detection.face.blendshapes) == 52
    assert detection.face.blendshapes["mouthSmileLeft"] > 0.5  # she smiles


def test_no_face_is_an_empty_detection(landmarker: FaceLandmarker, cat: np.ndarray) -> None:
    detection = landmarker.detect(cat)
    assert (detection.face, detection.faces_found) == (None, 0)


def test_the_largest_of_several_faces_is_chosen(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    small = cv2.resize(astronaut, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    group = np.full((512, 512 + 410, 3), 128, np.uint8)
    group[:410, :410] = small
    group[:, 410:] = astronaut
    detection = landmarker.detect(group)
    assert detection.faces_found == 2 and detection.face is not None
    assert detection.face.landmarks[468, 0] == pytest.approx(410 + 204, abs=5)  # the full-size face


def test_a_face_small_in_a_large_frame_is_still_found(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    frame = np.full((3000, 4000, 3), 128, np.uint8)  # a 12 MP photo from ~1.5 m: the face is 1/9 of its width
    frame[1000:2280, 2400:3680] = cv2.resize(astronaut, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    detection = landmarker.detect(frame)
    assert detection.face is not None
    expected = (2400 + 2.5 * 204.5 - 0.5, 1000 + 2.5 * 101.5 - 0.5)
    np.testing.assert_allclose(detection.face.landmarks[468, :2], expected, atol=8)


def test_landmarks_map_back_to_full_resolution(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    large = cv2.resize(astronaut, None, fx=6, fy=6, interpolation=cv2.INTER_CUBIC)  # 3072 px: searched reduced
    small_face, large_face = landmarker.detect(astronaut).face, landmarker.detect(large).face
    assert small_face is not None and large_face is not None
    # pixel centres: x_large = 6·(x_small + 0.5) − 0.5
    expected = 6 * (small_face.landmarks[:, :2] + 0.5) - 0.5
    error = np.linalg.norm(large_face.landmarks[:, :2] - expected, axis=1)
    assert np.sqrt((error**2).mean()) < 0.02 * large_face.inter_pupillary_distance_px


def test_the_landmarker_is_safe_to_share_across_threads(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    expected = landmarker.detect(astronaut).face
    assert expected is not None
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: landmarker.detect(astronaut).face, range(8)))
    for face in results:
        assert face is not None
        np.testing.assert_allclose(face.landmarks, expected.landmarks, atol=1e-3)


@pytest.mark.model  # builds its own landmarker
def test_a_closed_landmarker_refuses_work(astronaut: np.ndarray) -> None:
    with FaceLandmarker() as landmarker:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        landmarker.detect(astronaut)


@pytest.mark.model  # builds its own landmarker
def test_another_model_file_can_be_chosen_and_is_verified(tmp_path: Path, astronaut: np.ndarray) -> None:
    copy = tmp_path / "my_model.task"
    copy.write_bytes(BUNDLED_MODEL_PATH.read_bytes())
    with FaceLandmarker(copy, expected_sha256=BUNDLED_MODEL_SHA256) as landmarker:
        assert landmarker.detect(astronaut).faces_found == 1
    with pytest.raises(ModelFileError, match="checksum"):
        FaceLandmarker(copy, expected_sha256="0" * 64)
    with pytest.raises(ModelFileError, match="cannot be read"):
        FaceLandmarker(tmp_path / "missing.task")


def test_usage_statistics_cannot_leave_the_machine(landmarker: FaceLandmarker, astronaut: np.ndarray) -> None:
    # MediaPipe's C++ core uploads usage statistics through libcurl; the landmarker points libcurl's proxy
    # variables at a closed local port (see progress.landmarks.block_usage_upload) before it builds MediaPipe's
    # graph, on its first detection.
    landmarker.detect(astronaut)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        assert os.environ[name] == UPLOAD_BLACKHOLE
    assert os.environ["NO_PROXY"] == os.environ["no_proxy"] == "localhost,127.0.0.1,::1"  # only loopback bypasses


def test_each_face_says_how_far_its_measuring_passes_disagreed(
    landmarker: FaceLandmarker, astronaut: np.ndarray
) -> None:
    from progress.landmarks import LEGACY_PLAN

    face = landmarker.detect(astronaut).face
    legacy = landmarker.detect(astronaut, plan=LEGACY_PLAN).face
    assert face is not None and legacy is not None
    # Measured on the astronaut (43 px between the pupils): spread 0.30 px (0.44 mm), 0.15 px with the legacy plan
    # (no mirrored passes: the network's own left-right disagreement is not in it); margin ×2.
    assert 0.1 < face.spread_px < 0.6 and 0.05 < legacy.spread_px < 0.3
    # The two plans agree on where the face is: measured 0.31 px RMS; margin ×2.
    assert np.sqrt(((face.landmarks[:, :2] - legacy.landmarks[:, :2]) ** 2).sum(axis=1).mean()) < 0.62
