"""Alignment of a photo to the canonical frame (:mod:`progress.geometry`, which documents the frame and the
coordinate convention), and head pose, from landmarks treatment does not move: a similarity transform
(rotation, uniform scale, translation) fitted by least squares on the rigid basis only (eye corners
33/133/362/263, nasal dorsum 168/6/197/195/5/4, forehead 10/151/9/108/337/109/338). MediaPipe's own pose matrix
is not used: it weights jaw and cheek points and would absorb the contour changes we measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from progress.geometry import (
    CANONICAL_INTER_PUPILLARY_MM,
    CANONICAL_INTER_PUPILLARY_PX,
    CANONICAL_SIZE,
    canonical_landmarks,
    canonical_transform,
    frontal_fit,
    umeyama,
    warp_into,
)
from progress.regions import RIGID_BASIS

__all__ = [
    "CANONICAL_INTER_PUPILLARY_MM",
    "CANONICAL_INTER_PUPILLARY_PX",
    "CANONICAL_SIZE",
    "AlignedFace",
    "HeadPose",
    "align_face",
    "aligned_from_stored",
    "canonical_landmarks",
    "canonical_transform",
    "head_pose",
    "umeyama",
    "warp_into",
]


@dataclass(frozen=True, slots=True)
class AlignedFace:
    """A photo mapped into the canonical frame.

    Attributes:
        image: uint8 (1100, 900, 3) RGB, the face at the canonical scale.
        landmarks: float32 (478, 3) in canonical pixels (x = column, y = row, z scaled alike).
        transform: float64 (2, 3), the similarity from photo pixels to canonical pixels.
        scale: Canonical pixels per photo pixel.
        residual_px: RMS distance in canonical pixels between the aligned rigid-basis points and the canonical
            face's: how far this face's rigid shape (and pose) differs from the template.
    """

    image: np.ndarray
    landmarks: np.ndarray
    transform: np.ndarray
    scale: float
    residual_px: float


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Head rotation relative to facing the camera, in degrees.

    Attributes:
        yaw_deg: Positive when the face turns toward the image's right (the client's own left).
        pitch_deg: Positive when the chin is raised.
        roll_deg: Positive when the head tilts counter-clockwise as seen in the photo.
    """

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


def align_face(image: np.ndarray, landmarks: np.ndarray) -> AlignedFace:
    """Map a photo and its landmarks into the canonical frame.

    Args:
        image: uint8 (H, W, 3) RGB photo.
        landmarks: (478, 3) landmarks in that photo's pixels.

    Returns:
        The aligned face.
    """
    transform = canonical_transform(landmarks)
    scale = float(np.hypot(*transform[:, 0]))
    aligned_landmarks = np.asarray(landmarks, dtype=np.float64).copy()
    aligned_landmarks[:, :2] = aligned_landmarks[:, :2] @ transform[:, :2].T + transform[:, 2]
    aligned_landmarks[:, 2] *= scale
    return aligned_from_stored(image, aligned_landmarks, transform)


def aligned_from_stored(image: np.ndarray, aligned_landmarks: np.ndarray, transform: np.ndarray) -> AlignedFace:
    """A photo mapped into the canonical frame by a known transform, with its landmarks already there (as stored
    with an analysis): the photo is warped, no landmark is searched for.

    Args:
        image: uint8 (H, W, 3) RGB photo.
        aligned_landmarks: (478, 3) landmarks in canonical pixels (``AlignedFace.landmarks``).
        transform: (2, 3) similarity from photo pixels to canonical pixels (``AlignedFace.transform``).

    Returns:
        The aligned face; its residual is recomputed from the landmarks.
    """
    transform = np.asarray(transform, dtype=np.float64).reshape(2, 3)
    points = np.asarray(aligned_landmarks, dtype=np.float64)
    template = canonical_landmarks()[list(RIGID_BASIS), :2]
    residual = float(np.sqrt(((points[list(RIGID_BASIS), :2] - template) ** 2).sum(axis=1).mean()))
    return AlignedFace(
        image=warp_into(image, transform, CANONICAL_SIZE),
        landmarks=points.astype(np.float32),
        transform=transform,
        scale=float(np.hypot(*transform[:, 0])),
        residual_px=residual,
    )


def head_pose(landmarks: np.ndarray) -> HeadPose:
    """Head yaw, pitch and roll from a 3-D similarity fit of the rigid basis onto the canonical face.

    The similarity of :func:`~progress.geometry.frontal_fit` (rigid basis onto the canonical vertices, right-handed
    axes), and the head's rotation H = Rᵀ is read as yaw about the vertical axis,
    then pitch, then roll: yaw = atan2(H₀₂, H₂₂), pitch = asin(H₁₂), roll = atan2(H₁₀, H₀₀).

    Args:
        landmarks: (478, 3) or (468, 3) landmarks in photo pixels.

    Returns:
        The head pose in degrees.
    """
    matrix = frontal_fit(landmarks)
    rotation = matrix[:3, :3] / np.cbrt(np.linalg.det(matrix[:3, :3]))
    head = rotation.T
    return HeadPose(
        yaw_deg=math.degrees(math.atan2(head[0, 2], head[2, 2])),
        pitch_deg=math.degrees(math.asin(float(np.clip(head[1, 2], -1.0, 1.0)))),
        roll_deg=math.degrees(math.atan2(head[1, 0], head[0, 0])),
    )
