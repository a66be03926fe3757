"""Colour correction from an X-Rite ColorChecker Classic in the frame (``docs/colour_chart.md``).

:func:`find_colour_chart` looks for the 24-patch chart with OpenCV's ``mcc`` detector and, when it finds one, fits
a :class:`ColourCorrection`: a 3×3 matrix on linear sRGB that maps the measured patch colours onto the chart's
published sRGB (D65) values. A fit whose corrected patches still miss their references by more than
``MAX_FIT_DELTA_E`` on average is refused: a misread chart must never silently distort a photo's colour.

Why a linear 3×3 matrix on linearised RGB (OpenCV ``ccm``'s ``CCM_LINEAR``): a change of light colour or camera
white balance is, to first order, a per-channel gain in linear light (von Kries), and a camera's primaries differ
from sRGB's by a linear mix; a 3×3 matrix models both exactly. It has no offset, so it scales with exposure and
leaves black black, and 9 parameters are well determined by 18–24 patches. An affine (4×3) fit adds an offset
that lifts or crushes shadows when the chart's black patch is noisy, and polynomial fits bend colours away from
the 24 patches, where skin is poorly represented (Kang & Kim). The matrix is fitted by
``cv2.ccm`` to minimise CIEDE2000 on the patches (least-squares start, then Nelder–Mead); the fit error reported
is recomputed here in numpy, as the mean ΔE00 of the usable patches after correction.

The photo convention of the package holds: uint8 (H, W, 3) RGB sRGB arrays in and out; OpenCV's BGR appears
only inside this module, on the copy handed to the detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from progress.colour import decode_srgb, delta_e_2000, encode_srgb

__all__ = [
    "CHART_REFERENCE_SRGB",
    "CLIPPED_LEVEL",
    "CRUSHED_LEVEL",
    "DETECTION_LONG_SIDE",
    "MAX_FIT_DELTA_E",
    "MIN_PATCHES",
    "PRETEST_LONG_SIDE",
    "ColourCorrection",
    "find_colour_chart",
    "fit_colour_correction",
    "might_hold_chart",
    "search_copy",
]

CHART_REFERENCE_SRGB = np.array(
    [
        [115, 82, 68],
        [194, 150, 130],
        [98, 122, 157],
        [87, 108, 67],
        [133, 128, 177],
        [103, 189, 170],
        [214, 126, 44],
        [80, 91, 166],
        [193, 90, 99],
        [94, 60, 108],
        [157, 188, 64],
        [224, 163, 46],
        [56, 61, 150],
        [70, 148, 73],
        [175, 54, 60],
        [231, 199, 31],
        [187, 86, 149],
        [8, 133, 161],
        [243, 243, 242],
        [200, 200, 200],
        [160, 160, 160],
        [122, 122, 121],
        [85, 85, 85],
        [52, 52, 52],
    ],
    dtype=np.uint8,
)
"""uint8 (24, 3) RGB: X-Rite's published sRGB (D65) values of the ColorChecker Classic, row by row from dark skin
(top left, brown) to black (bottom right), as listed by X-Rite and in the ColorChecker article of Wikipedia.
The colours the ``mcc`` detector itself reports as reference (``getRefColors``) differ from these by up to 56 code
values (the blue patch) and are not used."""
CHART_REFERENCE_SRGB.setflags(write=False)

MAX_FIT_DELTA_E = 5.0
"""Refuse a correction whose corrected patches miss their references by more than this mean ΔE00 (published practice
suggests 3–5). Every misread chart tried (patch order shuffled, reversed, mirrored) leaves 22–29; a synthetic
chart under a white-balance cast, blur, noise, perspective and JPEG 85 leaves 0.1–0.3. A genuine chart in a phone
JPEG will leave more, since a 3×3 matrix cannot undo a tone curve or a saturation boost: not yet measured (no real
photo with a chart in the development set), so this limit is to be set again on real photos."""
MIN_PATCHES = 18
"""At least 18 of the 24 patches must be neither clipped nor crushed for the fit to be trusted."""
CLIPPED_LEVEL = 250.0
"""A patch whose mean reaches 250 of 255 in any channel is clipped (same level as the capture checks)."""
CRUSHED_LEVEL = 5.0
"""A patch whose mean is 5 of 255 or less in any channel is in the noise floor."""
DETECTION_LONG_SIDE = 1600
"""Detect on a copy reduced (area averaging, by the smallest whole factor) to this long side or less, e.g. by 3
for a 4000×3000 photo (1333 px). On one core, ``mcc`` takes 0.75–0.9 s on a full 12 MP (4032×3024) photo, and
the whole search about 0.15 s on the reduced copy; its working memory is about 40 bytes per pixel of the copy
(≈ 80 MB at 1600 px, ≈ 130 MB at 2000 px). Patch means are unchanged by area averaging; the detector needs
patches of about 20 px or more, so the chart must span about an eighth of the photo's long side."""
PRETEST_LONG_SIDE = 640
""":func:`might_hold_chart` looks at a copy reduced by the whole factor ``long side // 640`` (640–1279 px long):
a chart spanning a tenth of the long side has patches of about 8 px there."""

_PRETEST_UNIFORM_RANGE = 12
"""A pixel is inside a uniform patch when no channel varies by more than 12 levels over its 3×3 neighbourhood of
the reduced copy (the tests' sensor noise, σ 3 levels at full resolution, stays under it)."""
_PRETEST_MIN_AREA = 12
"""Smallest patch, in pixels of the reduced copy, after the 3×3 test has eaten its edges (a 6 px patch leaves 16)."""
_PRETEST_MAX_AREA_FRACTION = 1 / 60
"""Largest patch, as a fraction of the reduced copy: a chart filling half the frame has patches of about 1/100."""
_PRETEST_MIN_FILL = 0.6
"""A patch fills at least 60 % of its bounding box (a square tilted by 30° fills 68 %)."""
_PRETEST_MAX_ASPECT = 2.0
"""Bounding-box aspect of a patch, either way (perspective and tilt included)."""
_PRETEST_NEIGHBOUR_DISTANCE = 2.5
"""Two patches are grid neighbours when their centres are within 2.5 patch sides and their areas within 2×."""
_PRETEST_MIN_GRIDDED = MIN_PATCHES
"""At least this many patches with two grid neighbours or more: fewer than ``MIN_PATCHES`` visible patches could
not be fitted anyway. The chart scenes of the tests show 24–25; of 57 real face photos without a chart, one
shows 24 (none of them chromatic: the count below refuses it), the others 9 or fewer."""
_PRETEST_CHROMA = 40
"""A patch is chromatic when its centre's channels spread by more than 40 levels (14 of the chart's 18 colour
patches spread by 59–200 levels in sRGB, the other 4 by 41–49)."""
_PRETEST_MIN_CHROMATIC = 8
"""At least 8 of the gridded patches are chromatic (the chart has 18 colour patches; the test scenes show 15–17,
after a cast or underexposure too; face photos without a chart 0–3)."""
_PRETEST_MAX_CANDIDATES = 2000
"""Past this many patch-like blobs (fine texture) the pre-test does not decide, and the detector looks."""

_CHART_PATCHES = 24


@dataclass(frozen=True, slots=True)
class ColourCorrection:
    """A fitted colour correction: linearise sRGB, multiply by ``matrix``, clip to [0, 1], re-encode.

    Attributes:
        matrix: float64 (3, 3), read-only, acting on column vectors of linear RGB:
            ``corrected = matrix @ [r, g, b]``. The identity means the photo's colours already match the chart.
        fit_delta_e: Mean CIEDE2000 between the corrected patches and their references, over the patches used.
        patches_used: How many of the 24 patches entered the fit (clipped and crushed ones are left out).

    Examples:
        >>> identity = ColourCorrection(np.eye(3), fit_delta_e=0.0, patches_used=24)
        >>> pixel = np.array([[[200, 120, 90]]], dtype=np.uint8)
        >>> identity.apply(pixel).tolist()
        [[[200, 120, 90]]]
        >>> ColourCorrection(np.diag([1.0, 1.0, 0.0]), 0.0, 24).apply(pixel).tolist()
        [[[200, 120, 0]]]
    """

    matrix: np.ndarray
    fit_delta_e: float
    patches_used: int

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Return a colour-corrected copy of an sRGB photo; the input is left untouched.

        Args:
            image: uint8 (H, W, 3) RGB, sRGB.

        Returns:
            uint8 (H, W, 3) RGB, sRGB. Colours the matrix pushes out of the sRGB gamut are clipped per channel.

        Raises:
            ValueError: If ``image`` is not a uint8 (H, W, 3) array.
        """
        _check_image(image)
        linear = cv2.LUT(image, _DECODE_TABLE)  # uint16 linear light, 0–65535
        corrected = cv2.transform(linear, np.asarray(self.matrix, dtype=np.float64))  # rounds and clips to 0–65535
        encoded: np.ndarray = _ENCODE_TABLE[corrected]
        return encoded


def find_colour_chart(image: np.ndarray) -> ColourCorrection | None:
    """Find a ColorChecker Classic in a photo and fit the correction that restores its published colours.

    The chart may be anywhere and at any rotation, but must be lit like the face, face the camera, and
    span about a tenth of the photo's long side or more (see ``DETECTION_LONG_SIDE``).

    Args:
        image: uint8 (H, W, 3) RGB, sRGB, upright (as :func:`progress.ingest.read_photo` returns it).

    Returns:
        The correction, or None when no chart is found, fewer than ``MIN_PATCHES`` patches are usable, or the
        fit's mean ΔE00 exceeds ``MAX_FIT_DELTA_E``.

    Raises:
        ValueError: If ``image`` is not a uint8 (H, W, 3) array.
    """
    _check_image(image)
    if not might_hold_chart(image):
        return None
    measured = _measure_chart(image)
    if measured is None:
        return None
    return fit_colour_correction(measured)


def might_hold_chart(image: np.ndarray) -> bool:
    """A cheap pre-test (about 6 ms on a 12 MP photo, one core): False when the photo shows no grid of small, square,
    uniform patches with several saturated ones, so no ColorChecker can be found and the detector need not run.

    It looks at a copy reduced by a whole factor to 640–1279 px (``PRETEST_LONG_SIDE``; 2×2 averaging), marks
    pixels whose 3×3 neighbourhood is uniform, and counts the connected uniform blobs that are patch-sized,
    square-ish and have at least two neighbours of similar size nearby. It errs on the side of True: a tiled wall
    or a check shirt may pass and only costs the detector's time.

    Args:
        image: uint8 (H, W, 3) RGB.

    Returns:
        True when a chart may be in the photo.

    Raises:
        ValueError: If ``image`` is not a uint8 (H, W, 3) array.
    """
    _check_image(image)
    factor = max(1, max(image.shape[:2]) // PRETEST_LONG_SIDE)
    small = (
        image if factor == 1 else cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_LINEAR)
    )  # 2×2 mean at even factors
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.subtract(cv2.dilate(small, kernel), cv2.erode(small, kernel))
    widest = cv2.max(cv2.max(spread[:, :, 0], spread[:, :, 1]), spread[:, :, 2])  # numpy's max(axis=2) is 20× slower
    uniform = (widest <= _PRETEST_UNIFORM_RANGE).astype(np.uint8)
    _, _, stats, centres = cv2.connectedComponentsWithStats(uniform, connectivity=4)
    width, height, area = (
        stats[1:, column].astype(np.float64) for column in (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA)
    )
    patch = (
        (area >= _PRETEST_MIN_AREA)
        & (area <= _PRETEST_MAX_AREA_FRACTION * uniform.size)
        & (area >= _PRETEST_MIN_FILL * width * height)
        & (width <= _PRETEST_MAX_ASPECT * height)
        & (height <= _PRETEST_MAX_ASPECT * width)
    )
    count = int(patch.sum())
    if count > _PRETEST_MAX_CANDIDATES:
        return True
    if count < _PRETEST_MIN_GRIDDED:
        return False
    centre, size = centres[1:][patch], area[patch]
    distance = np.linalg.norm(centre[:, None, :] - centre[None, :, :], axis=2)
    ratio = size[:, None] / size[None, :]
    neighbour = (
        (distance > 0)
        & (distance <= _PRETEST_NEIGHBOUR_DISTANCE * np.sqrt(size)[:, None])
        & (ratio >= 0.5)
        & (ratio <= 2.0)
    )
    gridded = neighbour.sum(axis=1) >= 2
    if int(gridded.sum()) < _PRETEST_MIN_GRIDDED:
        return False
    columns, rows = np.rint(centre[gridded]).astype(np.intp).T
    colours = small[rows, columns].astype(np.int16)
    chroma = colours.max(axis=1) - colours.min(axis=1)
    return int((chroma > _PRETEST_CHROMA).sum()) >= _PRETEST_MIN_CHROMATIC


def fit_colour_correction(measured: np.ndarray) -> ColourCorrection | None:
    """Fit the 3×3 linear-light matrix taking measured chart patches to the published ones.

    Args:
        measured: float (24, 3) mean sRGB values, 0–255, of the chart's patches in ``CHART_REFERENCE_SRGB`` order.

    Returns:
        The correction, or None when fewer than ``MIN_PATCHES`` patches are neither clipped nor crushed, or the
        corrected patches' mean ΔE00 exceeds ``MAX_FIT_DELTA_E``.

    Raises:
        ValueError: If ``measured`` is not of shape (24, 3).

    Examples:
        >>> reference = CHART_REFERENCE_SRGB.astype(float)
        >>> correction = fit_colour_correction(reference)
        >>> np.allclose(correction.matrix, np.eye(3), atol=1e-3), correction.patches_used
        (True, 24)
    """
    measured = np.asarray(measured, dtype=np.float64)
    if measured.shape != (_CHART_PATCHES, 3):
        raise ValueError(f"expected measured patch colours of shape (24, 3), got {measured.shape}")
    usable = np.all((measured > CRUSHED_LEVEL) & (measured < CLIPPED_LEVEL), axis=1)
    if int(usable.sum()) < MIN_PATCHES:
        return None
    source = decode_srgb(measured[usable] / 255.0)
    target = CHART_REFERENCE_SRGB[usable].astype(np.float64) / 255.0
    matrix = _fit_matrix(source, target)
    if matrix is None:
        return None
    corrected = np.clip(source @ matrix.T, 0.0, 1.0)
    fit_delta_e = float(np.mean(delta_e_2000(_lab(encode_srgb(corrected)), _lab(target))))
    if not fit_delta_e <= MAX_FIT_DELTA_E:  # also refuses NaN
        return None
    matrix.setflags(write=False)
    return ColourCorrection(matrix=matrix, fit_delta_e=fit_delta_e, patches_used=int(usable.sum()))


def search_copy(image: np.ndarray) -> np.ndarray:
    """The photo reduced (area averaging) by the smallest whole factor that brings its long side to
    ``DETECTION_LONG_SIDE`` or less, or itself when it is no larger.

    :func:`find_colour_chart` makes this copy itself; a caller that holds a large photo can make it first and
    let the photo go, so the detector's working memory and the full photo are never held together.

    Args:
        image: uint8 (H, W, 3) RGB.

    Returns:
        uint8 (round(H / k), round(W / k), 3) RGB with k = ceil(long side / ``DETECTION_LONG_SIDE``), or ``image``.
    """
    factor = -(-max(image.shape[:2]) // DETECTION_LONG_SIDE)
    if factor <= 1:
        return image
    return cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def _measure_chart(image: np.ndarray) -> np.ndarray | None:
    """Mean sRGB (24, 3) of the best MCC24 chart found in a reduced BGR copy, or None."""
    image = search_copy(image)
    detector = cv2.mcc.CCheckerDetector.create()
    detector.setColorChartType(cv2.mcc.MCC24)
    if not detector.process(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), 1):
        return None
    patches = np.asarray(detector.getBestColorChecker().getChartsRGB(False), dtype=np.float64)
    return patches.reshape(_CHART_PATCHES, 3)  # getChartsRGB is RGB-ordered even on a BGR image


def _fit_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """Column-vector 3×3 matrix minimising ΔE00 from linear ``source`` (N, 3) to sRGB ``target`` (N, 3)."""
    model = cv2.ccm.ColorCorrectionModel(source.reshape(-1, 1, 3), target.reshape(-1, 1, 3), cv2.ccm.COLOR_SPACE_SRGB)
    model.setLinearization(cv2.ccm.LINEARIZATION_IDENTITY)  # source is already linear
    model.setCcmType(cv2.ccm.CCM_LINEAR)
    model.setDistance(cv2.ccm.DISTANCE_CIE2000)
    model.setSaturatedThreshold(0.0, 1.0)  # clipped patches are already left out
    try:
        row_matrix = np.asarray(model.compute(), dtype=np.float64)
    except cv2.error:
        return None
    if row_matrix.shape != (3, 3) or not np.all(np.isfinite(row_matrix)):
        return None
    return np.ascontiguousarray(row_matrix.T)  # OpenCV multiplies row vectors: rgb @ row_matrix


def _lab(encoded: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB values in [0, 1], shape (N, 3) in and out."""
    rgb = np.asarray(encoded, dtype=np.float32).reshape(-1, 1, 3)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)


_LINEAR_LEVELS = 65535
_DECODE_TABLE = np.round(decode_srgb(np.arange(256) / 255.0) * _LINEAR_LEVELS).astype(np.uint16)
"""Linear light in 1/65535 steps for each sRGB code value (code 1 is linear level 20)."""
_ENCODE_TABLE = np.round(encode_srgb(np.arange(_LINEAR_LEVELS + 1) / _LINEAR_LEVELS) * 255.0).astype(np.uint8)
"""sRGB code value for each linear level. Applying a matrix through the two tables differs from the float
computation by at most 1 code value (0.2 % of values on random pixels), and the identity returns every code value
unchanged; it is twice as fast (12 MP in ~0.15 s on one core)."""


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"expected a uint8 (H, W, 3) RGB image, got {got}")
