"""Face landmarks, expression and the largest face: the only module that imports mediapipe.

Coordinate convention (the package's one convention for photo coordinates): landmarks are a float32 array of
shape (478, 3) in pixels of the upright photo, x = column (to the right), y = row (downward), z = depth in the
same pixel scale as x, smaller = nearer the camera (MediaPipe's z scaled by the photo width).

MediaPipe reports "no face" as an empty result; :class:`FaceLandmarker` turns that into ``faces_found == 0``
and leaves raising to the caller.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python import vision as mp_vision

from progress.align import CANONICAL_INTER_PUPILLARY_PX, CANONICAL_SIZE, canonical_transform, warp_into
from progress.model import read_model
from progress.regions import IRIS_CENTER_LEFT, IRIS_CENTER_RIGHT

__all__ = ["LOOPBACK", "UPLOAD_BLACKHOLE", "Detection", "Face", "FaceLandmarker", "block_usage_upload"]

UPLOAD_BLACKHOLE = "http://127.0.0.1:9"
"""A proxy address where nothing listens (port 9, discard): connections to it are refused at once."""
LOOPBACK = "localhost,127.0.0.1,::1"

_MAX_FACES = 5
_DETECTION_LONG_SIDE = 1024
"""Photos larger than this are searched for faces at this size (INTER_AREA downscale)."""
_FRAME_VARIANTS = tuple(
    (rotation, zoom, shift)
    for rotation, zoom in ((-2.0, 0.97), (2.0, 0.97), (-2.0, 1.03), (2.0, 1.03))
    for shift in ((-0.25, -0.25), (0.25, 0.25))
)
"""(rotation °, zoom, (x, y) shift in frame pixels) of the detection frames whose landmarks are averaged.
MediaPipe's landmarks jitter with the exact placement of the face in its input (face-oval points by up to
2 canonical px); averaging eight slightly different placements keeps repeat photos within about 1 px."""
_FRAME_ZOOM = 0.5
_FRAME_SIZE = (round(CANONICAL_SIZE[0] * _FRAME_ZOOM), round(CANONICAL_SIZE[1] * _FRAME_ZOOM))
"""The measuring pass's frame: the canonical frame at half size (450×550 px, 150 px between the eyes), which
holds the whole face with a margin at a size above the landmark network's 256 px input."""


def block_usage_upload() -> None:
    """Stop MediaPipe's usage statistics from leaving the machine.

    MediaPipe Tasks 1.2 posts usage statistics (library and Python version, task, call counts and latency; no
    image data) to Google from its C++ core through libcurl, with no setting to turn it off (see
    google-ai-edge/mediapipe#6291). libcurl honours the proxy environment variables, read at each upload, so
    pointing them at a closed local port makes every upload fail locally, without a DNS lookup. Client photos
    are health data: this package makes no network connection of its own, so nothing else is affected.
    Verified with ``strace -f -e trace=network``: with this set, the only connection attempted is to
    127.0.0.1:9. Loopback addresses are exempt (``NO_PROXY``), so local clients in the same process still reach
    local servers. Re-check after every MediaPipe upgrade.
    """
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ[name] = UPLOAD_BLACKHOLE
    for name in ("NO_PROXY", "no_proxy"):  # this machine's own services (the app's server) stay reachable
        os.environ[name] = LOOPBACK


@dataclass(frozen=True, slots=True)
class Face:
    """One face as MediaPipe sees it, in photo pixels.

    Attributes:
        landmarks: float32 (478, 3), the package's photo coordinate convention (see module docstring).
        blendshapes: The 52 ARKit-style expression scores in [0, 1], by MediaPipe's category name.
        transformation_matrix: float64 (4, 4), MediaPipe's canonical-face-to-camera matrix (centimetres).
            Kept for reference only: it weights jaw and cheek points, so nothing measures with it.
    """

    landmarks: np.ndarray
    blendshapes: dict[str, float] = field(default_factory=dict)
    transformation_matrix: np.ndarray = field(default_factory=lambda: np.eye(4))

    @property
    def inter_pupillary_distance_px(self) -> float:
        """Distance in pixels between the iris centres (landmarks 468 and 473), in the image plane."""
        return float(np.linalg.norm(self.landmarks[IRIS_CENTER_RIGHT, :2] - self.landmarks[IRIS_CENTER_LEFT, :2]))

    @property
    def box_area_px(self) -> float:
        """Area in square pixels of the landmarks' bounding box (how the largest face is chosen)."""
        extent = self.landmarks[:, :2].max(axis=0) - self.landmarks[:, :2].min(axis=0)
        return float(extent[0] * extent[1])


@dataclass(frozen=True, slots=True)
class Detection:
    """What the landmarker found in one photo.

    Attributes:
        face: The client's face (the largest found), or None when there is none.
        faces_found: How many faces were found in the photo.
    """

    face: Face | None
    faces_found: int


class FaceLandmarker:
    """MediaPipe FaceLandmarker in IMAGE mode, safe to share across threads.

    MediaPipe does not document its task objects as thread-safe, and Streamlit serves each browser session
    on its own thread, so every call holds one lock. Use as a context manager or call :meth:`close`.

    Args:
        model_path: A ``.task`` file to use instead of the bundled model.
        expected_sha256: Digest the chosen file must match (the bundled model is always verified).
    """

    def __init__(self, model_path: Path | str | None = None, *, expected_sha256: str | None = None) -> None:
        model = read_model(Path(model_path) if model_path else None, expected_sha256=expected_sha256)
        block_usage_upload()
        options = mp_vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=mp_vision.RunningMode.IMAGE,
            num_faces=_MAX_FACES,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._landmarker = mp_vision.FaceLandmarker.create_from_options(options)
        self._lock = threading.Lock()
        self._closed = False

    def detect(self, image: np.ndarray) -> Detection:
        """Find faces and return the largest, with its landmarks in full-resolution pixels.

        Two passes. The search pass runs on the photo reduced to a long side of 1024 px and counts the faces.
        The measuring pass warps the largest face from the full-resolution photo into a fixed detection frame
        (the canonical frame at half size: upright, 150 px between the eyes) and runs the landmarker there,
        then maps the landmarks back. The network so always sees the face at the same size and angle,
        whatever the photo's resolution, framing or roll, which makes the landmarks (and everything measured
        from them) far less sensitive to how the photo was taken.

        Args:
            image: uint8 array of shape (H, W, 3), RGB.

        Returns:
            The largest face (or None) and the number of faces found.
        """
        faces = self._search(image, (0, 0, image.shape[1], image.shape[0]))
        if not faces:  # MediaPipe's short-range detector misses faces under ~1/8 of the frame: look closer
            tiles = [self._search(image, window) for window in _tiles(image.shape[1], image.shape[0])]
            faces = _distinct([face for found in tiles for face in found])
        if not faces:
            return Detection(face=None, faces_found=0)
        largest = max(faces, key=lambda face: face.box_area_px)
        window = _face_window(image, largest)
        placed = self._measure_in_frame(window, largest)
        repeats = [self._measure_in_frame(window, placed, variant) for variant in _FRAME_VARIANTS]
        measured = Face(
            landmarks=np.stack([face.landmarks for face in repeats]).mean(axis=0, dtype=np.float64).astype(np.float32),
            blendshapes={name: float(np.mean([f.blendshapes[name] for f in repeats])) for name in placed.blendshapes},
            transformation_matrix=placed.transformation_matrix,
        )
        return Detection(face=measured, faces_found=len(faces))

    def _search(self, image: np.ndarray, window: tuple[int, int, int, int]) -> list[Face]:
        """Faces in the (x0, y0, x1, y1) window of ``image``, searched at a long side of at most 1024 px.

        The reduction is by a whole factor (1/2, 1/3, ...): OpenCV's area resize is several times faster then.
        """
        x0, y0, x1, y1 = window
        crop = image[y0:y1, x0:x1]
        scale = 1.0 / math.ceil(max(crop.shape[:2]) / _DETECTION_LONG_SIDE)
        reduced = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return self._detect_all(reduced, np.array([[1 / scale, 0.0, x0], [0.0, 1 / scale, y0]]))

    def close(self) -> None:
        """Release MediaPipe's graph; further calls to :meth:`detect` raise RuntimeError."""
        with self._lock:
            if not self._closed:
                self._landmarker.close()
                self._closed = True

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _measure_in_frame(
        self,
        window: tuple[np.ndarray, np.ndarray],
        face: Face,
        variant: tuple[float, float, tuple[float, float]] = (0.0, 1.0, (0.0, 0.0)),
    ) -> Face:
        """Run the landmarker on ``face`` warped into the detection frame; keep ``face`` if that finds nothing.

        Args:
            window: (face window image, its (2, 3) map to photo pixels) from :func:`_face_window`.
            face: The face, in photo pixels, whose rigid basis places the frame.
            variant: (rotation in degrees, zoom, (x, y) shift in pixels) perturbing the frame about its centre.
        """
        rotation, zoom, shift = variant
        centre = (_FRAME_SIZE[0] / 2, _FRAME_SIZE[1] / 2)
        perturbation = np.vstack([cv2.getRotationMatrix2D(centre, rotation, zoom), (0.0, 0.0, 1.0)])
        perturbation[:2, 2] += shift
        photo_to_frame = perturbation @ _homogeneous(canonical_transform(face.landmarks, zoom=_FRAME_ZOOM))
        window_image, window_to_photo = window
        frame = warp_into(window_image, (photo_to_frame @ _homogeneous(window_to_photo))[:2], _FRAME_SIZE)
        found = self._detect_all(frame, cv2.invertAffineTransform(photo_to_frame[:2]))
        centre = face.landmarks[:, :2].mean(axis=0)
        return min(found, key=lambda f: float(np.linalg.norm(f.landmarks[:, :2].mean(axis=0) - centre)), default=face)

    def _detect_all(self, image: np.ndarray, to_photo: np.ndarray) -> list[Face]:
        """Run MediaPipe on ``image`` and map every face into photo pixels by the (2, 3) similarity ``to_photo``."""
        rgb = np.ascontiguousarray(image)
        with self._lock:
            if self._closed:
                raise RuntimeError("This FaceLandmarker is closed.")
            result = self._landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        height, width = rgb.shape[:2]
        faces = []
        for index, points in enumerate(result.face_landmarks):
            normalised = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64)
            pixels = normalised * (width, height, width)
            pixels[:, :2] = pixels[:, :2] @ to_photo[:, :2].T + to_photo[:, 2]
            pixels[:, 2] *= float(np.hypot(*to_photo[:, 0]))
            blendshapes = {c.category_name: float(c.score) for c in result.face_blendshapes[index]}
            matrix = np.asarray(result.facial_transformation_matrixes[index], dtype=np.float64)
            faces.append(Face(pixels.astype(np.float32), blendshapes, matrix))
        return faces


def _tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """A 3×3 grid of overlapping windows, each 45 % of the photo's width and height (stride 27.5 %).

    A face up to 17.5 % of the photo's size lies wholly inside one window, where it is at least twice as
    large, relative to the search input, as in the whole photo.
    """
    tile_w, tile_h = round(width * 0.45), round(height * 0.45)
    xs = np.linspace(0, width - tile_w, 3).round().astype(int)
    ys = np.linspace(0, height - tile_h, 3).round().astype(int)
    return [(int(x), int(y), int(x) + tile_w, int(y) + tile_h) for y in ys for x in xs]


def _distinct(faces: list[Face]) -> list[Face]:
    """Drop repeats of a face found in overlapping windows (centres closer than half the face's size)."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.box_area_px):
        centre = face.landmarks[:, :2].mean(axis=0)
        size = np.sqrt(face.box_area_px)
        if all(np.linalg.norm(k.landmarks[:, :2].mean(axis=0) - centre) > size / 2 for k in kept):
            kept.append(face)
    return kept


def _face_window(image: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray]:
    """The face's surroundings, reduced once so the pupils are at most 300 px apart (twice the frame's).

    Every measuring pass then warps from this small image instead of the full photo.

    Returns:
        (uint8 window image, float64 (2, 3) map from window pixels to photo pixels).
    """
    low, high = face.landmarks[:, :2].min(axis=0), face.landmarks[:, :2].max(axis=0)
    margin = 0.6 * float((high - low).max())
    x0, y0 = (int(v) for v in np.maximum(np.floor(low - margin), 0))
    x1, y1 = (int(v) for v in np.minimum(np.ceil(high + margin), (image.shape[1], image.shape[0])))
    crop = image[y0:y1, x0:x1]
    scale = min(1.0, 2 * _FRAME_ZOOM * CANONICAL_INTER_PUPILLARY_PX / max(face.inter_pupillary_distance_px, 1.0))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    factor_x, factor_y = crop.shape[1] / (x1 - x0), crop.shape[0] / (y1 - y0)
    # cv2.resize maps pixel centres: photo = (window + 0.5) / factor - 0.5 + origin
    to_photo = np.array(
        [[1 / factor_x, 0.0, 0.5 / factor_x - 0.5 + x0], [0.0, 1 / factor_y, 0.5 / factor_y - 0.5 + y0]]
    )
    return np.ascontiguousarray(crop), to_photo


def _homogeneous(affine: np.ndarray) -> np.ndarray:
    """(2, 3) affine matrix -> (3, 3)."""
    return np.vstack([affine, (0.0, 0.0, 1.0)])
