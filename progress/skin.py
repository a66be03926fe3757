"""Skin metrics per facial region, measured on the aligned face.

Regions are landmark polygons in the canonical frame (:mod:`progress.align`), with eyes, brows, lips and nose
cut out (each grown by 2 mm), eroded 2 mm from their edges, and per photo stripped of specular pixels (a channel
at 250 or more, or L* above the region's 99th percentile) and deep shadows (L* below its 2nd percentile).
All spatial scales are in millimetres: the canonical frame has 300 px between the eye centres, taken as 63 mm,
so 1 mm = 4.76 px whatever the photo's resolution.

Structure (line, spot) detection runs on log-luminance, ``LOG_LIGHTNESS_SCALE · ln Y``, which equals L* units
for a skin of L* ≈ 65 and makes every threshold independent of exposure (a gain adds a constant to ln Y, and the
filters ignore constants). Colour runs on float CIELAB (D65) and linear RGB; nothing is contrast-stretched or
normalised per image before measuring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from progress.align import CANONICAL_INTER_PUPILLARY_PX
from progress.colour import delta_e_2000, individual_typology_angle, srgb_to_linear
from progress.regions import (
    CHIN,
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    NOSE,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
    ROI_POLYGONS,
    Region,
)
from progress.ridges import frangi, skeleton_length_px

__all__ = [
    "PIXELS_PER_MM",
    "SkinReference",
    "measure_skin",
    "region_masks",
    "skin_metrics",
    "skin_reference",
]

PIXELS_PER_MM = CANONICAL_INTER_PUPILLARY_PX / 63.0
"""Canonical-frame pixels per millimetre (inter-pupillary distance taken as 63 mm, the adult mean)."""
LOG_LIGHTNESS_SCALE = 27.0
"""dL*/d(ln Y) at L* = 65 ((L* + 16) / 3): log-luminance times this reads as L* units on typical skin."""
SHADING_SIGMA_MM = 9.0
"""Gaussian removing the smooth shading over the curved face before evenness is measured (``docs/metrics.md``,
"Tone")."""
EVENNESS_DETAIL_MM = 0.5
"""Gaussian applied before evenness is measured, so it describes blotches (0.5–9 mm), not pixel noise, JPEG
blocks or the photo's resolution."""
TEXTURE_BANDS_MM = {"fine": (0.2, 0.6), "coarse": (0.6, 2.0)}
"""Band-pass bands for texture energy (``docs/metrics.md``, "Texture")."""
SPOT_SIGMAS_MM = (0.35, 0.6, 1.0, 1.77)
"""LoG scales for dark spots 1–5 mm across (σ = radius/√2)."""
SPOT_CONTRAST = 2.0
"""Scale-normalised LoG response (L* units) a spot must exceed: a Gaussian spot of depth 4 L* matched in scale."""
LINE_SIGMAS_MM = (0.35, 0.7)
"""Hessian scales for fine lines about 0.7–1.4 mm wide."""
FOLD_SIGMA_MM = 1.5
"""A ridge answering more strongly at this scale than at the line scales is a fold or a shadow edge, not a fine
line (the nasolabial fold of a smile, a blurred photo), and is not counted."""
LINE_BETA = 0.5
LINE_GAMMA = 1.5
"""Frangi's β and a fixed γ (L* units): never the per-image default of half the maximum Hessian norm."""
LINE_THRESHOLD = 0.25
"""Frangi vesselness above which a pixel is part of a line."""
LINE_ANGLE_DEG = 30.0
"""A line counts when its direction is within this angle of the region's expected line direction."""
RED_AREA_MARGIN = 4.0
"""Red-area threshold: the baseline photo's median a* in the region plus this many a* units (≈ 2 within-cheek SD)."""

NON_SKIN_LIGHTNESS = 25.0
NON_SKIN_CHROMA = 15.0
"""Distances from a region's own median colour beyond which a pixel is not skin (hair, brows, fabric, shadow)."""

_EXCLUSION_GROWTH_MM = 2.0
_EROSION_MM = 2.0
_POLYGONS: dict[str, tuple[int, ...]] = {
    region: {**ROI_POLYGONS, Region.CHIN: CHIN, Region.FACE: FACE_OVAL}[region] for region in Region
}
COLOUR_REGIONS = (Region.FOREHEAD, Region.CHEEK_LEFT, Region.CHEEK_RIGHT, Region.CHIN, Region.FACE)
LINE_REGIONS = (
    Region.FOREHEAD,
    Region.GLABELLA,
    Region.CROWS_FEET_LEFT,
    Region.CROWS_FEET_RIGHT,
    Region.UNDEREYE_LEFT,
    Region.UNDEREYE_RIGHT,
    Region.NASOLABIAL_LEFT,
    Region.NASOLABIAL_RIGHT,
)


@dataclass(frozen=True, slots=True)
class SkinReference:
    """Per-client constants fixed once, at the baseline photo, and never re-estimated.

    Attributes:
        red_thresholds: a* above which a pixel counts as red, per region.
    """

    red_thresholds: dict[str, float]


def region_masks(landmarks: np.ndarray, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Skin masks of every region on the aligned face.

    Args:
        landmarks: (478, 3) landmarks in canonical-frame pixels.
        shape: (height, width) of the aligned image.

    Returns:
        Region name → bool (height, width) mask.
    """
    masks = {name: np.zeros(shape, bool) for name in _POLYGONS}
    for name, region in _regions(landmarks, shape).items():
        masks[name][region.box] = region.mask
    return masks


class _Region(NamedTuple):
    """A region's pixels in an image: ``mask`` (bool, of the box's shape) within ``box`` (row and column slices).

    Every pixel of the region is in the box, so ``values[box][mask]`` lists the same pixels in the same order as
    a whole-image mask would: the statistics are the same, computed on the box only.
    """

    box: tuple[slice, slice]
    mask: np.ndarray

    def of(self, values: np.ndarray) -> np.ndarray:
        """The region's pixels of ``values`` (H, W, ...), in row-major order: (N, ...)."""
        return np.asarray(values[self.box][self.mask])


def _regions(landmarks: np.ndarray, shape: tuple[int, int]) -> dict[str, _Region]:
    """:func:`region_masks` as :class:`_Region` boxes (regions whose polygon misses the image left out)."""
    points = np.round(np.asarray(landmarks)[:, :2]).astype(np.int32)
    features = np.zeros(shape, np.uint8)
    for feature in (RIGHT_EYE, LEFT_EYE, RIGHT_BROW, LEFT_BROW, OUTER_LIPS):
        cv2.fillPoly(features, [points[list(feature)]], 1)
    cv2.fillConvexPoly(features, cv2.convexHull(points[list(NOSE)]), 1)
    kept = 1 - np.asarray(cv2.dilate(features, _disc(_EXCLUSION_GROWTH_MM)), dtype=np.uint8)
    erosion = _disc(_EROSION_MM)
    regions = {}
    for name, polygon in _POLYGONS.items():
        corners = points[list(polygon)]
        x0, y0 = np.maximum(corners.min(axis=0) - 1, 0)
        x1, y1 = np.minimum(corners.max(axis=0) + 2, (shape[1], shape[0]))
        if x1 <= x0 or y1 <= y0:
            continue
        region = np.zeros((y1 - y0, x1 - x0), np.uint8)  # work in the polygon's box only
        cv2.fillPoly(region, [corners - (x0, y0)], 1)
        box = np.s_[y0:y1, x0:x1]
        regions[name] = _Region(box, cv2.erode(region & kept[box], erosion).astype(bool))
    return regions


def skin_reference(image: np.ndarray, landmarks: np.ndarray) -> SkinReference:
    """Fix the per-client thresholds from the baseline photo.

    Args:
        image: uint8 (H, W, 3) aligned face (canonical frame).
        landmarks: (478, 3) canonical-frame landmarks.
    """
    return _reference(_prepare(image, landmarks))


def skin_metrics(
    image: np.ndarray, landmarks: np.ndarray, *, reference: SkinReference | None = None
) -> dict[str, float]:
    """Every skin metric of one aligned face.

    Args:
        image: uint8 (H, W, 3) aligned face (canonical frame, RGB).
        landmarks: (478, 3) canonical-frame landmarks.
        reference: The client's baseline constants; None makes this photo its own baseline.

    Returns:
        Metric name (``family.measure.region``) → value; a region with no usable pixels is left out.
    """
    return measure_skin(image, landmarks, reference=reference)[0]


def measure_skin(
    image: np.ndarray, landmarks: np.ndarray, *, reference: SkinReference | None = None
) -> tuple[dict[str, float], SkinReference]:
    """:func:`skin_metrics`, and the reference used (this photo's own when none was given)."""
    face = _prepare(image, landmarks)
    reference = reference or _reference(face)
    log_lightness = LOG_LIGHTNESS_SCALE * np.log(np.maximum(face.luminance, 1e-4))
    metrics: dict[str, float] = {}
    metrics |= _colour_metrics(face, reference)
    metrics |= _evenness_metrics(face)
    metrics |= _texture_metrics(face.luminance, face.masks)
    metrics |= _spot_metrics(log_lightness, face.masks)
    metrics |= _line_metrics(log_lightness, face.masks, face.landmarks)
    return metrics, reference


@dataclass(frozen=True, slots=True)
class _Face:
    """The face's bounding box of the aligned image, ready for measuring.

    Structure (texture, spots, lines) is measured at full resolution (4.76 px/mm) on ``luminance`` and
    ``masks``; colour and evenness, which are millimetre-scale, at half resolution (2.38 px/mm) on ``lab``,
    ``linear`` and ``colour_masks``: the same values at a quarter of the cost. A region with no usable pixels
    has no mask.
    """

    luminance: np.ndarray
    masks: dict[str, _Region]
    lab: np.ndarray
    linear: np.ndarray
    colour_masks: dict[str, _Region]
    landmarks: np.ndarray


_HALF_PIXELS_PER_MM = PIXELS_PER_MM / 2
_COARSE_MM = 1.0
"""Scales from this σ up are filtered at half resolution (2.38 px/mm, still ≥ 2.4 px per σ)."""
_LUMINANCE_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
"""Rec. 709 / sRGB luminance Y from linear RGB."""
_LUMINANCE_TABLES = srgb_to_linear(np.arange(256, dtype=np.uint8)[:, None].repeat(3, 1)).T * _LUMINANCE_WEIGHTS[:, None]
"""(3, 256): each channel's contribution to Y for every 8-bit code value."""
_LUMINANCE_LUT = np.ascontiguousarray(_LUMINANCE_TABLES.T[None])
"""The same as a (1, 256, 3) ``cv2.LUT`` table."""


def _prepare(image: np.ndarray, landmarks: np.ndarray) -> _Face:
    """Crop to the face oval (plus a 5 mm margin for the filters) and compute colour and region masks."""
    margin = 5.0 * PIXELS_PER_MM
    oval = np.asarray(landmarks)[list(FACE_OVAL), :2]
    x0, y0 = (max(0, int(v - margin)) // 2 * 2 for v in oval.min(axis=0))  # even: the half-resolution grid
    x1, y1 = (min(limit, int(v + margin) + 1) for v, limit in zip(oval.max(axis=0), image.shape[1::-1], strict=True))
    x1, y1 = x0 + (x1 - x0) // 2 * 2, y0 + (y1 - y0) // 2 * 2  # even sides: an exact 2× reduction below
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])  # keeps to the canonical frame's 2×2 blocks
    shifted = np.asarray(landmarks, dtype=np.float64) - (x0, y0, 0.0)
    height, width = crop.shape[:2]
    half = cv2.resize(crop, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    contributions = cv2.LUT(crop, _LUMINANCE_LUT)  # float32 (H, W, 3): each channel's part of Y
    luminance = contributions[..., 0] + contributions[..., 1]
    luminance += contributions[..., 2]
    linear = srgb_to_linear(half)
    lab = np.asarray(cv2.cvtColor(linear, cv2.COLOR_LRGB2Lab))  # srgb_to_lab(half), linearised once
    regions = _regions(shifted, crop.shape[:2])
    half_regions = {name: _half(region) for name, region in regions.items()}
    specular = np.maximum(np.maximum(crop[..., 0], crop[..., 1]), crop[..., 2]) >= 250
    skin_like = _skin_like(lab, half_regions, specular[::2, ::2])
    return _Face(
        luminance=luminance,
        masks=_trimmed(
            {name: _Region(r.box, r.mask & _doubled(skin_like[name], r.box)) for name, r in regions.items()},
            ~specular,
            luminance,
        ),
        lab=lab,
        linear=linear,
        colour_masks=_trimmed(
            {name: _Region(r.box, r.mask & skin_like[name][r.box]) for name, r in half_regions.items()},
            ~specular[::2, ::2],
            linear @ _LUMINANCE_WEIGHTS,
        ),
        landmarks=shifted,
    )


def _half(region: _Region) -> _Region:
    """The region's pixels at even rows and columns, in the half-resolution grid (``mask[::2, ::2]`` of the whole
    image's mask)."""
    rows, columns = region.box
    box = np.s_[-(-rows.start // 2) : -(-rows.stop // 2), -(-columns.start // 2) : -(-columns.stop // 2)]
    return _Region(box, region.mask[rows.start % 2 :: 2, columns.start % 2 :: 2])


def _doubled(half: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """The half-resolution mask ``half`` brought to full resolution (each pixel a 2×2 block, as a nearest-neighbour
    2× resize), over the full-resolution ``box`` only."""
    rows, columns = box
    window = half[rows.start // 2 : (rows.stop + 1) // 2, columns.start // 2 : (columns.stop + 1) // 2]
    doubled = window.repeat(2, axis=0).repeat(2, axis=1)
    return doubled[rows.start % 2 :, columns.start % 2 :][: rows.stop - rows.start, : columns.stop - columns.start]


def _reference(face: _Face) -> SkinReference:
    return SkinReference(
        red_thresholds={
            name: float(np.median(face.colour_masks[name].of(face.lab[..., 1]))) + RED_AREA_MARGIN
            for name in COLOUR_REGIONS
            if name in face.colour_masks
        }
    )


def _colour_metrics(face: _Face, reference: SkinReference) -> dict[str, float]:
    """a*, erythema index, red area, L*, ITA° per region; cheek-minus-forehead EI; under-eye contrast."""
    lab, linear, masks = face.lab, face.linear, face.colour_masks
    metrics: dict[str, float] = {}
    wanted = (*COLOUR_REGIONS, "undereye_left", "undereye_right")
    medians = {name: np.median(masks[name].of(lab), axis=0) for name in wanted if name in masks}
    erythema: dict[str, float] = {}
    for name in COLOUR_REGIONS:
        if name not in medians:
            continue
        red, green = masks[name].of(linear[..., 0]).mean(), masks[name].of(linear[..., 1]).mean()
        erythema[name] = 100.0 * math.log10(max(float(red), 1e-6) / max(float(green), 1e-6))
        lightness, a_star, b_star = (float(v) for v in medians[name])
        metrics[f"redness.a_star.{name}"] = a_star
        metrics[f"redness.erythema_index.{name}"] = erythema[name]
        threshold = reference.red_thresholds.get(name)
        if threshold is not None:
            metrics[f"redness.red_area.{name}"] = float((masks[name].of(lab[..., 1]) > threshold).mean())
        metrics[f"brightness.lightness.{name}"] = lightness
        metrics[f"brightness.ita.{name}"] = individual_typology_angle(lightness, b_star)
    for side in ("left", "right"):
        if f"cheek_{side}" in erythema and "forehead" in erythema:
            metrics[f"redness.cheek_contrast.cheek_{side}"] = erythema[f"cheek_{side}"] - erythema["forehead"]
        if f"undereye_{side}" in medians and f"cheek_{side}" in medians:
            under, cheek = medians[f"undereye_{side}"], medians[f"cheek_{side}"]
            metrics[f"undereye.darkness.undereye_{side}"] = float(cheek[0] - under[0])
            metrics[f"undereye.delta_e.undereye_{side}"] = float(delta_e_2000(under, cheek))
    return metrics


def _evenness_metrics(face: _Face) -> dict[str, float]:
    """SD of L*, a*, b* in the 0.5–9 mm band and mean ΔE00 of each pixel to the region median."""
    lab, masks = face.lab, face.colour_masks
    detail = cv2.GaussianBlur(lab, (0, 0), EVENNESS_DETAIL_MM * _HALF_PIXELS_PER_MM)
    metrics: dict[str, float] = {}
    for name in COLOUR_REGIONS:
        if name not in masks:
            continue
        region = masks[name]
        # the shading is estimated from the region's own pixels: another region's colour never reaches it
        shading = _masked_blur(lab, region, SHADING_SIGMA_MM * _HALF_PIXELS_PER_MM)
        spread = _sample((detail[region.box] - shading[region.box])[region.mask]).std(axis=0)
        metrics[f"tone.sd_lightness.{name}"] = float(spread[0])
        metrics[f"tone.sd_redness.{name}"] = float(spread[1])
        metrics[f"tone.sd_yellowness.{name}"] = float(spread[2])
        pixels = _sample(region.of(lab))
        metrics[f"tone.delta_e.{name}"] = float(delta_e_2000(pixels, np.median(pixels, axis=0)).mean())
    return metrics


def _texture_metrics(luminance: np.ndarray, masks: dict[str, _Region]) -> dict[str, float]:
    """Band-pass energy / mean² of linear luminance, per band and region (exposure-invariant)."""
    sigmas = sorted({s for band in TEXTURE_BANDS_MM.values() for s in band})
    blurred = {s: _blur(luminance, s) for s in sigmas}
    metrics: dict[str, float] = {}
    for band, (low, high) in TEXTURE_BANDS_MM.items():
        energy = (blurred[low] - blurred[high]) ** 2
        for name in COLOUR_REGIONS:
            if name in masks:
                region = masks[name]
                metrics[f"texture.{band}.{name}"] = float(
                    region.of(energy).mean() / region.of(luminance).mean() ** 2 * 1e4
                )
    return metrics


def _spot_metrics(log_lightness: np.ndarray, masks: dict[str, _Region]) -> dict[str, float]:
    """Dark blobs 1–5 mm across: count per cm² and area fraction, from the scale-normalised LoG.

    A peak's scale is the first σ at which its response is strongest (``argmax`` over the scales), looked up
    at the peaks only."""
    half = cv2.resize(log_lightness, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    responses = [_normalised_laplacian(log_lightness, half, sigma) for sigma in SPOT_SIGMAS_MM]
    strongest = responses[0].copy()
    for response in responses[1:]:
        np.maximum(strongest, response, out=strongest)  # finite responses: the greater, ties either way alike
    neighbourhood = _disc(SPOT_SIGMAS_MM[0] * 2)
    peaks = (strongest >= cv2.dilate(strongest, neighbourhood)) & (strongest > SPOT_CONTRAST)
    metrics: dict[str, float] = {}
    for name in COLOUR_REGIONS:
        if name not in masks:
            continue
        box, mask = masks[name]
        found = peaks[box] & mask
        scale_index = np.argmax([response[box][found] for response in responses], axis=0)
        radii_mm = np.sqrt(2) * np.asarray(SPOT_SIGMAS_MM)[scale_index]
        area_mm2 = mask.sum() / PIXELS_PER_MM**2
        metrics[f"spots.count_per_cm2.{name}"] = float(found.sum() / (area_mm2 / 100.0))
        metrics[f"spots.area_fraction.{name}"] = float(min(1.0, (np.pi * radii_mm**2).sum() / area_mm2))
    return metrics


def _line_metrics(log_lightness: np.ndarray, masks: dict[str, _Region], landmarks: np.ndarray) -> dict[str, float]:
    """Frangi dark-ridge response with fixed γ, kept where the ridge runs the region's expected way."""
    union = np.zeros(log_lightness.shape, bool)
    for name in LINE_REGIONS:
        if name in masks:
            union[masks[name].box] |= masks[name].mask
    rows, columns = np.nonzero(union)
    if len(rows) == 0:
        return {}
    vesselness, direction = _frangi(log_lightness, LINE_SIGMAS_MM, rows, columns, PIXELS_PER_MM)
    half = cv2.resize(log_lightness, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    fold, _ = _frangi(half, (FOLD_SIGMA_MM,), rows // 2, columns // 2, _HALF_PIXELS_PER_MM)
    on_ridge = (vesselness > LINE_THRESHOLD) & (vesselness >= fold)
    metrics: dict[str, float] = {}
    for name in LINE_REGIONS:
        at = _pixels_in(masks[name], rows, columns) if name in masks else np.zeros(0, np.intp)
        if len(at) == 0:
            continue
        region_rows, region_columns = rows[at], columns[at]
        expected_x, expected_y = _expected_direction(name, landmarks, region_columns, region_rows)
        alignment = np.abs(np.cos(direction[at]) * expected_x + np.sin(direction[at]) * expected_y)
        on_line = on_ridge[at] & (alignment >= math.cos(math.radians(LINE_ANGLE_DEG)))
        area_cm2 = len(region_rows) / PIXELS_PER_MM**2 / 100.0
        metrics[f"lines.area_fraction.{name}"] = float(on_line.mean())
        length_mm = _skeleton_length_mm(region_rows[on_line], region_columns[on_line])
        metrics[f"lines.length_per_cm2.{name}"] = length_mm / area_cm2
    return metrics


def _pixels_in(region: _Region, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Ascending indices of the pixels (rows, columns) — row-major order, as ``np.nonzero`` lists them — that are
    in ``region``: the pixels of the box's rows are one run of the list."""
    row_box, column_box = region.box
    start, stop = np.searchsorted(rows, (row_box.start, row_box.stop))
    run_rows, run_columns = rows[start:stop] - row_box.start, columns[start:stop] - column_box.start
    inside = np.flatnonzero((run_columns >= 0) & (run_columns < column_box.stop - column_box.start))
    return np.asarray(start + inside[region.mask[run_rows[inside], run_columns[inside]]], dtype=np.intp)


def _skeleton_length_mm(rows: np.ndarray, columns: np.ndarray) -> float:
    """Length in mm of the one-pixel skeleton of the pixel set (rows, columns), along the skeleton
    (:func:`progress.ridges.skeleton_length_px`)."""
    return skeleton_length_px(rows, columns) / PIXELS_PER_MM


def _frangi(
    image: np.ndarray, sigmas_mm: tuple[float, ...], rows: np.ndarray, columns: np.ndarray, pixels_per_mm: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`progress.ridges.frangi` with the line constants ``LINE_BETA`` and ``LINE_GAMMA``."""
    return frangi(image, sigmas_mm, rows, columns, pixels_per_mm, beta=LINE_BETA, gamma=LINE_GAMMA)


def _expected_direction(
    name: str, landmarks: np.ndarray, columns: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Unit vector (x, y) of the lines expected in a region, at the pixels (rows, columns)."""
    points = np.asarray(landmarks, dtype=np.float64)
    if name.startswith("crows_feet"):
        corner = points[263 if name.endswith("left") else 33, :2]
        dx, dy = columns - corner[0], rows - corner[1]
        length = np.maximum(np.hypot(dx, dy), 1e-6)
        return dx / length, dy / length  # radial from the outer eye corner
    if name.startswith("nasolabial"):
        alar, corner = (points[358], points[291]) if name.endswith("left") else (points[129], points[61])
        vector = corner[:2] - alar[:2]
        return float(vector[0] / np.hypot(*vector)), float(vector[1] / np.hypot(*vector))
    if name == "glabella":
        return 0.0, 1.0  # vertical "11" lines
    return 1.0, 0.0  # forehead and under-eye lines run across the face


def _skin_like(lab: np.ndarray, regions: dict[str, _Region], specular: np.ndarray) -> dict[str, np.ndarray]:
    """Per region, where the colour is skin: within 25 L* and 15 chroma units (√(Δa*² + Δb*²)) of the region's
    own median colour (its non-specular pixels).

    Hair, brows, fabric and deep shadow fall outside as long as they cover less than half of the region, and a
    treatment changes skin colour by far less than these bounds. Each region is judged by its own colour only,
    so one region's mask never moves when another region's colour changes (redder cheeks leave the forehead's
    pixels, and so its metrics, alone).

    Returns:
        Region name → bool mask of the whole (half-resolution) image.
    """
    opening = _disc(1.0)
    masks = {}
    for name, region in regions.items():
        masks[name] = np.zeros(specular.shape, bool)
        sample = region.mask & ~specular[region.box]
        if sample.sum() < 50:
            masks[name][region.box] = region.mask
            continue
        colour = np.median(lab[region.box][sample], axis=0)
        box, mask = _tight(region)  # the opening below sees the region's bounding box, no more
        near = (np.abs(lab[box][..., 0] - colour[0]) <= NON_SKIN_LIGHTNESS) & (
            np.hypot(lab[box][..., 1] - colour[1], lab[box][..., 2] - colour[2]) <= NON_SKIN_CHROMA
        )
        opened = np.asarray(cv2.morphologyEx(near.astype(np.uint8), cv2.MORPH_OPEN, opening))
        masks[name][box] = mask & opened.astype(bool)
    return masks


def _tight(region: _Region) -> _Region:
    """The region in its pixels' bounding box (a region with at least one pixel)."""
    rows, columns = np.flatnonzero(region.mask.any(axis=1)), np.flatnonzero(region.mask.any(axis=0))
    top, left = region.box[0].start, region.box[1].start
    box = np.s_[top + rows[0] : top + rows[-1] + 1, left + columns[0] : left + columns[-1] + 1]
    return _Region(box, region.mask[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])


def _trimmed(regions: dict[str, _Region], usable: np.ndarray, luminance: np.ndarray) -> dict[str, _Region]:
    """Each region's usable pixels without its darkest 2 % and brightest 1 % (deep shadow, specular sheen;
    ``docs/metrics.md``, "Conventions"). Luminance orders pixels as L* does, so the cut is the same as on L*.
    Regions with fewer than 50 usable pixels are left out."""
    trimmed = {}
    for name, (box, region) in regions.items():
        kept = region & usable[box]
        if kept.sum() < 50:
            continue
        values = luminance[box]
        low, high = np.percentile(values[kept][::4], (2, 99))  # a quarter of the pixels fix the cut
        mask = kept & (values >= low) & (values <= high)
        if mask.any():
            trimmed[name] = _Region(box, mask)
    return trimmed


def _normalised_laplacian(image: np.ndarray, half: np.ndarray, sigma_mm: float) -> np.ndarray:
    """σ²∇²(Gσ ∗ image) at full resolution; σ²∇² is scale-free, so from 1 mm up it is computed on ``half`` (the
    image at half resolution) and brought back."""
    if sigma_mm < _COARSE_MM:
        sigma = sigma_mm * PIXELS_PER_MM
        return np.asarray(sigma**2 * cv2.Laplacian(cv2.GaussianBlur(image, (0, 0), sigma), cv2.CV_32F))
    sigma = sigma_mm * _HALF_PIXELS_PER_MM
    response = sigma**2 * cv2.Laplacian(cv2.GaussianBlur(half, (0, 0), sigma), cv2.CV_32F)
    return np.asarray(cv2.resize(response, image.shape[::-1], interpolation=cv2.INTER_LINEAR))


def _blur(image: np.ndarray, sigma_mm: float) -> np.ndarray:
    """Gaussian blur of σ mm; from 1 mm up, done at half resolution and brought back (a quarter of the work,
    and the result is smooth at that scale)."""
    if sigma_mm < _COARSE_MM:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma_mm * PIXELS_PER_MM))
    half = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(half, (0, 0), sigma_mm * _HALF_PIXELS_PER_MM)
    return np.asarray(cv2.resize(blurred, image.shape[1::-1], interpolation=cv2.INTER_LINEAR))


def _sample(pixels: np.ndarray, most: int = 20_000) -> np.ndarray:
    """Every k-th pixel so that at most ``most`` remain: the whole face's statistics from 20 000 evenly spread
    pixels differ from all of them by far less than their session-to-session noise."""
    return pixels[:: max(1, -(-len(pixels) // most))]


def _masked_blur(values: np.ndarray, region: _Region, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` using only pixels inside ``region`` (normalised convolution), at ¼ size."""
    weights = np.zeros(values.shape[:2], np.float32)
    weights[region.box] = region.mask
    small_values = cv2.resize(values * weights[..., None], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    small_weights = cv2.resize(weights, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    blurred_values = cv2.GaussianBlur(small_values, (0, 0), sigma / 4)
    blurred_weights = cv2.GaussianBlur(small_weights, (0, 0), sigma / 4)
    smooth = blurred_values / np.maximum(blurred_weights, 1e-6)[..., None]
    return cv2.resize(smooth, (values.shape[1], values.shape[0]), interpolation=cv2.INTER_LINEAR)


def _disc(diameter_mm: float) -> np.ndarray:
    size = max(3, round(diameter_mm * PIXELS_PER_MM) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
