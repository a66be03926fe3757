"""Pictures for the practitioner and the client: landmarks and regions drawn on the aligned face, a ghost of the
baseline for framing, before/after blends, difference heatmaps, contours of two sessions, and a time-lapse.

Pure functions on aligned faces (:class:`progress.align.AlignedFace`, canonical frame): every one returns a new
uint8 RGB array (or bytes) and leaves its inputs unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from enum import StrEnum

import cv2
import numpy as np
from PIL import Image

from progress.align import AlignedFace
from progress.colour import srgb_to_lab
from progress.regions import FACE_OVAL, LEFT_BROW, RIGHT_BROW
from progress.skin import PIXELS_PER_MM, region_masks

__all__ = [
    "HEATMAP_RANGE",
    "Heatmap",
    "blend",
    "contours_overlay",
    "difference_heatmap",
    "ghost_overlay",
    "heatmap_of_signals",
    "jpeg",
    "landmarks_and_regions",
    "skin_signal",
    "skin_signals",
    "timelapse_gif",
]


class Heatmap(StrEnum):
    """What a difference heatmap shows."""

    REDNESS = "redness"
    EVENNESS = "evenness"


HEATMAP_RANGE = {Heatmap.REDNESS: 6.0, Heatmap.EVENNESS: 6.0}
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


def difference_heatmap(before: AlignedFace, after: AlignedFace, kind: Heatmap = Heatmap.REDNESS) -> np.ndarray:
    """Where the skin changed between two sessions, in colour over a grey copy of ``after``.

    ``redness``: a* after − a* before (red = redder, blue = less red). ``evenness``: local contrast of L*
    (SD over 2 mm, above the 9 mm shading) after − before (red = less even). Only the face's skin is coloured;
    the scale is fixed (``HEATMAP_RANGE``). Both faces are in the canonical frame, so pixels correspond.
    """
    return heatmap_of_signals(after, skin_signal(before, kind), skin_signal(after, kind), kind)


def heatmap_of_signals(
    after: AlignedFace,
    before_signal: np.ndarray,
    after_signal: np.ndarray,
    kind: Heatmap,
    *,
    skin: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`difference_heatmap` from the two faces' :func:`skin_signal` (which an app may keep per photo), with
    ``after``'s face mask when it is at hand (else it is drawn from its landmarks)."""
    if skin is None:
        skin = region_masks(after.landmarks, after.image.shape[:2])["face"]
    grey = cv2.cvtColor(cv2.cvtColor(after.image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    rows, columns = np.flatnonzero(skin.any(axis=1)), np.flatnonzero(skin.any(axis=0))
    if rows.size == 0:
        return np.asarray(grey)
    box = slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)  # only the face is coloured
    difference = np.subtract(after_signal[box], before_signal[box], dtype=np.float32)
    scaled = np.clip(difference * np.float32(_HEATMAP_STEPS / HEATMAP_RANGE[kind]), -_HEATMAP_STEPS, _HEATMAP_STEPS)
    steps = np.rint(scaled).astype(np.int16) + _HEATMAP_STEPS
    tinted = cv2.addWeighted(grey[box], 0.45, _HEATMAP_COLOURS[steps], 0.55, 0.0)
    np.copyto(grey[box], tinted, where=skin[box][..., None])
    return np.asarray(grey)


def _diverging_colours(steps: int) -> np.ndarray:
    """uint8 (2·steps + 1, 3): the heatmap's scale from −1 to +1: white at no change (the middle), towards red
    (255, 0, 0) for +, towards blue (0, 0, 255) for −."""
    scaled = np.linspace(-1.0, 1.0, 2 * steps + 1)
    fade = 255.0 * (1.0 - np.abs(scaled))
    colours = np.stack([np.where(scaled > 0, 255.0, fade), fade, np.where(scaled < 0, 255.0, fade)], axis=-1)
    return np.round(colours).astype(np.uint8)


_HEATMAP_STEPS = 255
_HEATMAP_COLOURS = _diverging_colours(_HEATMAP_STEPS)


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


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """``image`` (uint8 RGB) as JPEG bytes: what the app shows, made once and kept (a browser shows bytes as they
    are, where an array would be encoded again on every rerun)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


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


def skin_signal(face: AlignedFace, kind: Heatmap) -> np.ndarray:
    """float32 (H, W): what :func:`difference_heatmap` compares, per pixel of ``face``: a* (smoothed over 0.5 mm)
    for ``redness``, the local contrast of L* (SD over 2 mm, above the 9 mm shading) for ``evenness``."""
    return skin_signals(face, (kind,))[kind]


def skin_signals(face: AlignedFace, kinds: Sequence[Heatmap] = tuple(Heatmap)) -> dict[Heatmap, np.ndarray]:
    """:func:`skin_signal` of each of ``kinds`` (every heatmap's by default), from one conversion to CIELAB."""
    lab = srgb_to_lab(face.image)
    signals: dict[Heatmap, np.ndarray] = {}
    if Heatmap.REDNESS in kinds:
        signals[Heatmap.REDNESS] = np.asarray(cv2.GaussianBlur(lab[..., 1], (0, 0), 0.5 * PIXELS_PER_MM))
    if Heatmap.EVENNESS in kinds:
        lightness = lab[..., 0] - _wide_blur(lab[..., 0], 9 * PIXELS_PER_MM)
        local_mean = cv2.GaussianBlur(lightness, (0, 0), 2 * PIXELS_PER_MM)
        local_square = cv2.GaussianBlur(lightness**2, (0, 0), 2 * PIXELS_PER_MM)
        signals[Heatmap.EVENNESS] = np.asarray(np.sqrt(np.maximum(local_square - local_mean**2, 0)))
    unknown = set(kinds) - set(signals)
    if unknown:
        raise KeyError(f"No heatmap of {', '.join(sorted(unknown))}.")
    return signals


def _wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a wide ``sigma`` (float32 H×W), made on a quarter-size copy and enlarged again: to the
    eye the same as at full size (it keeps nothing finer than ``sigma``), at a twentieth of the cost."""
    height, width = image.shape
    small = cv2.resize(image, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma * small.shape[1] / width)
    return np.asarray(cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR))
