"""Pictures for the practitioner and the client: landmarks and regions drawn on the aligned face, a ghost of the
baseline for framing, before/after blends, difference heatmaps, contours of two sessions, and a time-lapse.

Pure functions on aligned faces (:class:`progress.align.AlignedFace`, canonical frame): every one returns a new
uint8 RGB array (or bytes) and leaves its inputs unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from progress.align import AlignedFace
from progress.colour import srgb_to_lab
from progress.regions import FACE_OVAL, LEFT_BROW, RIGHT_BROW
from progress.skin import PIXELS_PER_MM, region_masks

__all__ = [
    "HEATMAP_RANGE",
    "blend",
    "contours_overlay",
    "difference_heatmap",
    "ghost_overlay",
    "landmarks_and_regions",
    "timelapse_gif",
]

HEATMAP_RANGE = {"redness": 6.0, "evenness": 6.0}
"""Colour-scale limits (±) of the difference heatmaps: a* units for redness, L* units of local contrast for
evenness. Fixed, so two heatmaps of the same client can be compared by eye."""
_REGION_COLOURS = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                   (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128))  # fmt: skip
_JAWLINE = FACE_OVAL[9:28]
"""The face oval from the client's left cheekbone (454) round the chin to the right one (234)."""


def landmarks_and_regions(aligned: AlignedFace) -> np.ndarray:
    """The aligned face with its 478 landmarks as dots and every measured region outlined."""
    canvas = aligned.image.copy()
    regions = [mask for name, mask in region_masks(aligned.landmarks, canvas.shape[:2]).items() if name != "face"]
    for mask, colour in zip(regions, _REGION_COLOURS, strict=False):
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(canvas, contours, -1, colour, 2, lineType=cv2.LINE_AA)
    for x, y in np.round(aligned.landmarks[:, :2]).astype(int):
        cv2.circle(canvas, (int(x), int(y)), 1, (255, 255, 255), -1, lineType=cv2.LINE_AA)
    return canvas


def ghost_overlay(aligned: AlignedFace, baseline: AlignedFace, *, strength: float = 0.4) -> np.ndarray:
    """The face with the baseline's edges laid over it in cyan, to check the framing matches."""
    edge_map = cv2.Canny(cv2.cvtColor(baseline.image, cv2.COLOR_RGB2GRAY), 40, 120)
    edges = np.asarray(cv2.dilate(edge_map, np.ones((2, 2), np.uint8))) > 0
    canvas = aligned.image.astype(np.float32)
    canvas[edges] = (1 - strength) * canvas[edges] + strength * np.array([0, 255, 255], np.float32)
    return np.round(canvas).astype(np.uint8)


def blend(before: AlignedFace, after: AlignedFace, amount: float) -> np.ndarray:
    """``amount`` = 0 shows ``before``, 1 shows ``after``, in between a cross-fade (the slider)."""
    weight = float(np.clip(amount, 0.0, 1.0))
    return np.asarray(cv2.addWeighted(before.image, 1 - weight, after.image, weight, 0.0))


def difference_heatmap(before: AlignedFace, after: AlignedFace, kind: str = "redness") -> np.ndarray:
    """Where the skin changed between two sessions, in colour over a grey copy of ``after``.

    ``redness``: a* after − a* before (red = redder, blue = less red). ``evenness``: local contrast of L*
    (SD over 2 mm, above the 9 mm shading) after − before (red = less even). Only the face's skin is coloured;
    the scale is fixed (``HEATMAP_RANGE``). Both faces are in the canonical frame, so pixels correspond.
    """
    limit = HEATMAP_RANGE[kind]
    skin = region_masks(after.landmarks, after.image.shape[:2])["face"]
    difference = _skin_signal(after, kind) - _skin_signal(before, kind)
    scaled = np.clip(difference / limit, -1.0, 1.0)
    grey = cv2.cvtColor(cv2.cvtColor(after.image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB).astype(np.float32)
    # diverging scale: white at no change, towards red (255, 0, 0) for +, towards blue (0, 0, 255) for −
    fade = 1.0 - np.abs(scaled)
    colour = np.stack(
        [np.where(scaled > 0, 255.0, 255 * fade), 255 * fade, np.where(scaled < 0, 255.0, 255 * fade)], axis=-1
    )
    tinted = 0.45 * grey + 0.55 * colour
    canvas = np.where(skin[..., None], tinted, grey)
    return np.round(np.clip(canvas, 0, 255)).astype(np.uint8)


def contours_overlay(before: AlignedFace, after: AlignedFace) -> np.ndarray:
    """Jawline and brows of both sessions over ``after``: the first session in orange, the latest in green."""
    canvas = after.image.copy()
    for face, colour in ((before, (255, 140, 0)), (after, (0, 200, 83))):
        points = np.round(face.landmarks[:, :2]).astype(np.int32)
        cv2.polylines(canvas, [points[list(_JAWLINE)]], False, colour, 3, lineType=cv2.LINE_AA)
        for brow in (RIGHT_BROW, LEFT_BROW):
            cv2.polylines(canvas, [points[list(brow)]], True, colour, 2, lineType=cv2.LINE_AA)
    return canvas


def stamp(image: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """``image`` (uint8 RGB, H×W×3) with ``lines`` of text on a dark band across its top, so that a warning
    travels with the picture (a screenshot or a saved image keeps it). No lines: the image unchanged."""
    if not lines:
        return image
    canvas = image.copy()
    scale = max(0.45, canvas.shape[1] / 900)
    line_height = round(28 * scale)
    band = line_height * len(lines) + round(10 * scale)
    canvas[:band] = (0.25 * canvas[:band]).astype(np.uint8)
    for index, line in enumerate(lines):
        origin = (round(10 * scale), round((index + 1) * line_height))
        cv2.putText(
            canvas,
            line,
            origin,
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8 * scale,
            (255, 214, 0),
            max(1, round(2 * scale)),
            cv2.LINE_AA,
        )
    return canvas


def timelapse_gif(
    faces: Sequence[np.ndarray], *, frame_ms: int = 700, width: int = 360, labels: Sequence[str] = ()
) -> bytes:
    """An animated GIF of aligned faces (uint8 RGB arrays, one per session), looping; ``labels`` (e.g. the
    sessions' dates, one per face) are stamped on their frames."""
    if not faces:
        raise ValueError("A time-lapse needs at least one photo.")
    frames = []
    for index, face in enumerate(faces):
        height = round(face.shape[0] * width / face.shape[1])
        small = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
        if index < len(labels):
            small = stamp(small, [labels[index]])
        frames.append(Image.fromarray(small))
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buffer.getvalue()


def _skin_signal(face: AlignedFace, kind: str) -> np.ndarray:
    lab = srgb_to_lab(face.image)
    if kind == "redness":
        return np.asarray(cv2.GaussianBlur(lab[..., 1], (0, 0), 0.5 * PIXELS_PER_MM))
    lightness = lab[..., 0] - cv2.GaussianBlur(lab[..., 0], (0, 0), 9 * PIXELS_PER_MM)
    local_mean = cv2.GaussianBlur(lightness, (0, 0), 2 * PIXELS_PER_MM)
    local_square = cv2.GaussianBlur(lightness**2, (0, 0), 2 * PIXELS_PER_MM)
    return np.asarray(np.sqrt(np.maximum(local_square - local_mean**2, 0)))
