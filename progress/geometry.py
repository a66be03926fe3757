"""The canonical frame and the geometry every layer shares: rigid fits, the frontal fit and the warp.

Coordinate convention (the one used throughout the package): landmarks and images are in *photo
coordinates*, x = column, y = row (downward), z in the same pixel scale (smaller z nearer the camera), as
MediaPipe gives them scaled to the photo.

Canonical frame: an image of ``CANONICAL_SIZE`` = (900 wide, 1100 high) pixels in which MediaPipe's canonical
face (read from the bundled model) is drawn frontally at ``CANONICAL_INTER_PUPILLARY_PX`` = 300 pixels between
its eye centres (the midpoints of the eye corners; 63.0 mm on the canonical face, so 1 px ≈ 0.21 mm), eye line
at row 440, face midline at column 450, in the same photo convention.

Frontal frame (:func:`frontal_fit`): canonical-face centimetres, right-handed, x toward the client's left, y up,
z toward the viewer: the photo convention with y and z negated, placed on the canonical face by a 3-D
similarity fitted on the rigid basis (``regions.RIGID_BASIS``).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from progress.model import canonical_face_vertices
from progress.regions import LATERAL_CANTHUS, MEDIAL_CANTHUS, RIGID_BASIS, Side

__all__ = [
    "CANONICAL_INTER_PUPILLARY_MM",
    "CANONICAL_INTER_PUPILLARY_PX",
    "CANONICAL_SIZE",
    "TO_RIGHT_HANDED",
    "canonical_landmarks",
    "canonical_transform",
    "frontal_fit",
    "umeyama",
    "warp_into",
]

CANONICAL_INTER_PUPILLARY_PX = 300.0
CANONICAL_INTER_PUPILLARY_MM = 63.0
"""The canonical face's distance between the eye centres (6.30 cm): how pixel and IPD lengths are read as mm."""
CANONICAL_SIZE = (900, 1100)
"""(width, height) of the aligned image in pixels."""
_EYE_LINE_ROW = 440.0
_MIDLINE_COLUMN = 450.0
TO_RIGHT_HANDED = np.array([1.0, -1.0, -1.0])
"""Multiplies photo-convention points (x right, y down, z away) into right-handed ones (x right, y up, z toward
the camera), the axes of the canonical face's vertices."""
_BASIS = list(RIGID_BASIS)


def umeyama(source: np.ndarray, target: np.ndarray, *, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares similarity transform mapping ``source`` points onto ``target`` points.

    Minimises Σ wᵢ‖s·R·xᵢ + t − yᵢ‖² over rotation R (det +1), scale s > 0 and translation t
    (Umeyama 1991, IEEE TPAMI 13:376–380): with weighted means μx, μy, Σ = Σ wᵢ(yᵢ−μy)(xᵢ−μx)ᵀ / Σw,
    Σ = U D Vᵀ, S = diag(1, …, sign det(U Vᵀ)): R = U S Vᵀ, s = tr(D S) / σx², t = μy − s R μx.

    Args:
        source: (N, D) points.
        target: (N, D) points, same order.
        weights: Optional (N,) non-negative weights.

    Returns:
        (D + 1, D + 1) homogeneous matrix whose top-left block is s·R and last column t.

    Examples:
        >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        >>> moved = 2 * square[:, ::-1] * [1, -1] + [3, 4]  # rotate -90°, scale 2, shift (3, 4)
        >>> np.round(umeyama(square, moved), 6)
        array([[ 0.,  2.,  3.],
               [-2.,  0.,  4.],
               [ 0.,  0.,  1.]])
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2 or source.shape[0] < source.shape[1]:
        raise ValueError(f"Expected two (N, D) point sets with N ≥ D, got {source.shape} and {target.shape}.")
    w = np.ones(len(source)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mean_source, mean_target = w @ source, w @ target
    centred_source, centred_target = source - mean_source, target - mean_target
    covariance = (centred_target * w[:, None]).T @ centred_source
    u, d, vt = np.linalg.svd(covariance)
    sign = np.ones(len(d))
    sign[-1] = np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0
    rotation = u @ np.diag(sign) @ vt
    variance = float(w @ (centred_source**2).sum(axis=1))
    if variance <= 0:
        raise ValueError("The source points coincide: no transform can be fitted.")
    scale = float((d * sign).sum() / variance)
    matrix = np.eye(source.shape[1] + 1)
    matrix[:-1, :-1] = scale * rotation
    matrix[:-1, -1] = mean_target - scale * rotation @ mean_source
    return matrix


@lru_cache(maxsize=1)
def canonical_landmarks() -> np.ndarray:
    """The canonical face's 468 vertices in the canonical frame (pixels; x column, y row, z toward camera < 0).

    Returns:
        float64 (468, 3), read-only.
    """
    vertices = canonical_face_vertices()
    right_eye = vertices[[LATERAL_CANTHUS[Side.RIGHT], MEDIAL_CANTHUS[Side.RIGHT]]].mean(axis=0)
    left_eye = vertices[[MEDIAL_CANTHUS[Side.LEFT], LATERAL_CANTHUS[Side.LEFT]]].mean(axis=0)
    pixels_per_cm = CANONICAL_INTER_PUPILLARY_PX / float(np.linalg.norm(left_eye - right_eye))
    eye_line = (right_eye[1] + left_eye[1]) / 2
    frame = np.empty_like(vertices)
    frame[:, 0] = _MIDLINE_COLUMN + pixels_per_cm * vertices[:, 0]
    frame[:, 1] = _EYE_LINE_ROW - pixels_per_cm * (vertices[:, 1] - eye_line)
    frame[:, 2] = -pixels_per_cm * vertices[:, 2]
    frame.flags.writeable = False
    return frame


def canonical_transform(landmarks: np.ndarray, *, zoom: float = 1.0) -> np.ndarray:
    """Similarity from photo pixels to the canonical frame, fitted on the rigid basis.

    Args:
        landmarks: (478, 3) or (468, 3) landmarks in photo pixels.
        zoom: Scale of the target frame relative to the canonical one (0.5 gives a half-size frame).

    Returns:
        float64 (2, 3) affine matrix.
    """
    template = canonical_landmarks()[list(RIGID_BASIS), :2] * zoom
    basis = np.asarray(landmarks, dtype=np.float64)[list(RIGID_BASIS), :2]
    return umeyama(basis, template)[:2]


def frontal_fit(landmarks: np.ndarray) -> np.ndarray:
    """The 3-D similarity taking a face's rigid basis onto the canonical face's (Umeyama 1991).

    X = (x, −y, −z) for every landmark (:data:`TO_RIGHT_HANDED`); (s, R, t) minimise Σ‖s·R·Xᵢ + t − Cᵢ‖² over
    the rigid-basis points i, with C the canonical face's vertices in centimetres. Head pose reads R; the
    frontalised landmarks are s·R·X + t.

    Args:
        landmarks: (478, 3) or (468, 3) landmarks in photo convention (photo or canonical pixels).

    Returns:
        float64 (4, 4) homogeneous matrix: top-left block s·R, last column t (centimetres).
    """
    points = np.asarray(landmarks, dtype=np.float64)[_BASIS] * TO_RIGHT_HANDED
    return umeyama(points, canonical_face_vertices()[_BASIS])


def warp_into(image: np.ndarray, transform: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Warp ``image`` by a similarity into a (width, height) canvas without aliasing.

    When the warp shrinks the photo, only the part that lands in the canvas is reduced first with area
    averaging, so the remaining warp has unit scale and a 12 MP photo costs no more than its face.

    Args:
        image: uint8 (H, W, 3).
        transform: float64 (2, 3) similarity from photo pixels to canvas pixels.
        size: (width, height) of the canvas.

    Returns:
        uint8 (height, width, 3); black where the photo does not reach.
    """
    width, height = size
    scale = float(np.hypot(*transform[:, 0]))
    if scale >= 1.0:
        return cv2.warpAffine(image, transform, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    inverse = cv2.invertAffineTransform(transform)
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=np.float64)
    source = corners @ inverse[:, :2].T + inverse[:, 2]
    x0, y0 = np.clip(np.floor(source.min(axis=0)) - 2, 0, None).astype(int)
    x1, y1 = np.minimum(np.ceil(source.max(axis=0)) + 2, (image.shape[1], image.shape[0])).astype(int)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((height, width, 3), dtype=np.uint8)
    crop = image[y0:y1, x0:x1]
    reduced = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # cv2.resize maps pixel centres by the factor it was given, f = scale (not by the ratio of the rounded sizes):
    # p = (q + 0.5) / f - 0.5 + (x0, y0) for a pixel q of the reduced crop, so the remaining warp, reduced crop ->
    # canvas, is A·q / f + A·((0.5/f - 0.5) + (x0, y0)) + b.
    rest = transform.copy()
    rest[:, :2] = transform[:, :2] / scale
    rest[:, 2] = transform[:, 2] + transform[:, :2] @ (0.5 / scale - 0.5 + np.array([x0, y0]))
    return cv2.warpAffine(reduced, rest, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
