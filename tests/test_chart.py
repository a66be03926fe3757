"""Colour correction from a ColorChecker Classic: a synthetic chart held beside the astronaut's face.

The chart is drawn with the 24 published sRGB values (4×6 grid, black frame and gaps, on a mid-grey card),
slightly tilted in perspective, blurred like a lens does and with sensor noise, then pasted into the photo. A
colour cast is applied to the whole photo afterwards, as a different light or white balance would.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import encode, scale_exposure

from progress import FaceLandmarker, ProgressError, analyze_photo
from progress.chart import (
    CHART_REFERENCE_SRGB,
    DETECTION_LONG_SIDE,
    MAX_FIT_DELTA_E,
    MIN_PATCHES,
    ColourCorrection,
    find_colour_chart,
    fit_colour_correction,
    might_hold_chart,
    search_copy,
)
from progress.ingest import read_photo
from progress.skin import skin_metrics

CAST_GAINS = np.array([1.2, 1.0, 0.8])
"""Per-channel gains in linear light: a warm (reddish) light, or a camera white balance set too cool."""
CHEEK = (slice(285, 325), slice(610, 650))
"""40×40 px of the client's left cheek in the 1280×1280 portrait, below the eye and clear of the smile line."""
CHART_TOP_LEFT = (200, 830)
"""Where the chart card goes: right of the face, at cheek height, over the studio background."""

RECOVERED_SKIN_DELTA_E76 = 2.0
"""After correction, the cheek's median CIELAB is within this ΔE76 of the uncast photo's (measured: 0.02)."""
CAST_SKIN_DELTA_E76 = 8.0
"""The cast itself moves the cheek by more than this (measured: 11.6), so the recovery test can fail."""
IDENTITY_MATRIX_TOLERANCE = 0.02
"""Largest element of |matrix − I| for a chart photographed without a cast (measured: 0.0006)."""
IDENTITY_FIT_DELTA_E = 0.5
"""Mean ΔE00 of the patches when chart and photo agree (measured: 0.06, from blur and noise)."""
GAIN_TOLERANCE = 0.02
"""Recovered inverse gains on the photographed chart are within this of 1/gain (measured: < 0.001)."""


def _decode(encoded: np.ndarray) -> np.ndarray:
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def _encode(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.clip(linear, 0, None) ** (1 / 2.4) - 0.055)


def _render_chart(
    patches: np.ndarray, *, patch: int = 48, gap: int = 10, frame: int = 14, card: int = 30
) -> np.ndarray:
    """uint8 RGB ColorChecker: 4×6 patches with black gaps and frame, on a mid-grey card, tilted in perspective."""
    chart_height, chart_width = 4 * patch + 3 * gap + 2 * frame, 6 * patch + 5 * gap + 2 * frame
    image = np.full((chart_height + 2 * card, chart_width + 2 * card, 3), 128, np.uint8)
    image[card : card + chart_height, card : card + chart_width] = 20  # the chart's black (not 0: matte paint)
    for index, colour in enumerate(patches):
        row, column = divmod(index, 6)
        top, left = card + frame + row * (patch + gap), card + frame + column * (patch + gap)
        image[top : top + patch, left : left + patch] = colour
    height, width = image.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    tilted = np.array(
        [[0.1 * width, 0.05 * width], [0.97 * width, 0], [width, height - 0.04 * width], [0.06 * width, height]],
        np.float32,
    )
    warp = cv2.getPerspectiveTransform(corners, tilted)
    return cv2.warpPerspective(image, warp, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def _with_chart(photo: np.ndarray, patches: np.ndarray = CHART_REFERENCE_SRGB) -> np.ndarray:
    """The photo with the chart held beside the face, seen through a slightly soft lens and a noisy sensor."""
    chart = _render_chart(patches)
    top, left = CHART_TOP_LEFT
    scene = photo.copy()
    scene[top : top + chart.shape[0], left : left + chart.shape[1]] = chart
    scene = cv2.GaussianBlur(scene, (0, 0), 1.0)
    noise = np.random.default_rng(0).normal(0.0, 3.0, scene.shape)
    return np.clip(np.rint(scene + noise), 0, 255).astype(np.uint8)


def _cheek_lab(image: np.ndarray) -> np.ndarray:
    """Median CIELAB (D65) of the cheek patch, from float input so that L* is in [0, 100]."""
    lab = cv2.cvtColor(image[CHEEK].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return np.asarray(np.median(lab.reshape(-1, 3), axis=0), dtype=np.float64)


@pytest.fixture(scope="module")
def scene(client_photo: np.ndarray) -> np.ndarray:
    return _with_chart(client_photo)


def test_rendered_chart_is_found_and_needs_no_correction(scene: np.ndarray) -> None:
    correction = find_colour_chart(scene)
    assert correction is not None
    assert correction.patches_used == 24
    assert correction.fit_delta_e <= IDENTITY_FIT_DELTA_E
    assert np.abs(correction.matrix - np.eye(3)).max() <= IDENTITY_MATRIX_TOLERANCE


def test_colour_cast_is_undone_on_the_skin(scene: np.ndarray) -> None:
    cast = scale_exposure(scene, CAST_GAINS)
    correction = find_colour_chart(cast)
    assert correction is not None
    corrected = correction.apply(cast)

    assert np.linalg.norm(_cheek_lab(cast) - _cheek_lab(scene)) > CAST_SKIN_DELTA_E76
    assert np.linalg.norm(_cheek_lab(corrected) - _cheek_lab(scene)) <= RECOVERED_SKIN_DELTA_E76
    np.testing.assert_allclose(np.diag(correction.matrix), 1.0 / CAST_GAINS, atol=GAIN_TOLERANCE)
    assert MIN_PATCHES <= correction.patches_used <= 23  # the white patch's red clips at ×1.2 and is left out


def test_chart_is_found_in_a_large_photo(scene: np.ndarray) -> None:
    """A 3200×3200 photo is searched on a copy reduced to DETECTION_LONG_SIDE; the correction still holds."""
    large = cv2.resize(scale_exposure(scene, CAST_GAINS), None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    assert max(large.shape[:2]) > DETECTION_LONG_SIDE
    correction = find_colour_chart(large)
    assert correction is not None
    np.testing.assert_allclose(np.diag(correction.matrix), 1.0 / CAST_GAINS, atol=GAIN_TOLERANCE)


def test_photo_without_a_chart_gives_none(client_photo: np.ndarray, cat: np.ndarray) -> None:
    assert find_colour_chart(client_photo) is None
    assert find_colour_chart(cat) is None


def test_chart_with_wrong_colours_is_refused(client_photo: np.ndarray) -> None:
    """A chart-shaped object whose patches are not where the ColorChecker has them must not recolour the photo."""
    shuffled = CHART_REFERENCE_SRGB[np.random.default_rng(3).permutation(24)]
    assert find_colour_chart(_with_chart(client_photo, shuffled)) is None


@pytest.mark.parametrize("gains", [(1.2, 1.0, 0.8), (0.7, 0.9, 1.1), (0.5, 0.5, 0.5)])
def test_fit_inverts_known_gains(gains: tuple[float, float, float]) -> None:
    measured = 255.0 * _encode(_decode(CHART_REFERENCE_SRGB / 255.0) * np.array(gains))
    correction = fit_colour_correction(measured)
    assert correction is not None
    np.testing.assert_allclose(correction.matrix, np.diag(1.0 / np.array(gains)), atol=2e-3)
    assert correction.fit_delta_e < 0.1


def test_fit_inverts_a_channel_mix() -> None:
    mix = np.array([[0.85, 0.12, 0.03], [0.06, 0.88, 0.06], [0.02, 0.10, 0.80]])  # camera primaries ≠ sRGB's
    measured = 255.0 * _encode(_decode(CHART_REFERENCE_SRGB / 255.0) @ mix.T)
    correction = fit_colour_correction(measured)
    assert correction is not None
    np.testing.assert_allclose(correction.matrix, np.linalg.inv(mix), atol=2e-3)


def test_fit_refuses_misread_patches() -> None:
    reference = CHART_REFERENCE_SRGB.astype(np.float64)
    assert fit_colour_correction(reference[::-1]) is None  # chart read upside down
    assert fit_colour_correction(reference[np.random.default_rng(0).permutation(24)]) is None
    assert MAX_FIT_DELTA_E < 10.0  # the limit is meaningful: misread charts leave 22–29 (module docstring)


def test_fit_refuses_an_overexposed_chart() -> None:
    measured = 255.0 * _encode(np.clip(_decode(CHART_REFERENCE_SRGB / 255.0) * 3.0, 0.0, 1.0))
    assert fit_colour_correction(measured) is None  # 16 of the 24 patches clip: fewer than MIN_PATCHES usable


def test_fit_checks_its_input() -> None:
    with pytest.raises(ValueError, match=r"expected measured patch colours of shape \(24, 3\)"):
        fit_colour_correction(np.zeros((18, 3)))


def test_apply_works_in_linear_light() -> None:
    white = np.full((2, 2, 3), 255, np.uint8)
    halved = ColourCorrection(np.eye(3) * 0.5, fit_delta_e=0.0, patches_used=24).apply(white)
    assert halved.tolist() == np.full((2, 2, 3), 188).tolist()  # 255 · (1.055 · 0.5^(1/2.4) − 0.055) = 187.5


def test_apply_is_pure(portrait: np.ndarray) -> None:
    before = portrait.copy()
    identity = ColourCorrection(np.eye(3), fit_delta_e=0.0, patches_used=24).apply(portrait)
    assert identity is not portrait
    assert identity.dtype == np.uint8 and identity.shape == portrait.shape
    np.testing.assert_array_equal(identity, portrait)  # every code value survives the round trip
    np.testing.assert_array_equal(portrait, before)


def test_apply_checks_its_input() -> None:
    identity = ColourCorrection(np.eye(3), fit_delta_e=0.0, patches_used=24)
    with pytest.raises(ValueError, match="expected a uint8"):
        identity.apply(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="expected a uint8"):
        find_colour_chart(np.zeros((4, 4), np.uint8))


def test_the_pipeline_measures_skin_through_the_chart(scene: np.ndarray, landmarker: FaceLandmarker) -> None:
    plain = analyze_photo(encode(scene, quality=95), landmarker)
    cast = analyze_photo(encode(scale_exposure(scene, CAST_GAINS), quality=95), landmarker)
    assert (plain.colour_correction, cast.colour_correction) == ("chart", "chart")
    assert cast.colour_chart is not None and cast.colour_chart.fit_delta_e < 1.0
    assert cast.aligned is not None
    uncorrected = skin_metrics(cast.aligned.image, cast.aligned.landmarks)["redness.a_star.cheek_left"]
    assert abs(uncorrected - plain.metrics["redness.a_star.cheek_left"]) > 3  # the cast alone moves redness
    assert cast.metrics["redness.a_star.cheek_left"] == pytest.approx(
        plain.metrics["redness.a_star.cheek_left"], abs=1.0
    )
    assert cast.to_dict()["colour_correction"] == "chart"


FACE_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "faces"
"""Real face photos for development (never in the repository); the test below uses them when present."""


def test_pre_test_accepts_the_chart_photos(scene: np.ndarray) -> None:
    cast = scale_exposure(scene, CAST_GAINS)
    for photo in (
        scene,
        cast,
        scale_exposure(scene, 0.5),
        cv2.resize(cast, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC),
        cv2.resize(scene, (4000, 3000), interpolation=cv2.INTER_CUBIC),
    ):
        assert might_hold_chart(photo)


def test_pre_test_rejects_face_photos_without_a_chart(
    astronaut: np.ndarray, client_photo: np.ndarray, cat: np.ndarray
) -> None:
    assert not might_hold_chart(astronaut)
    assert not might_hold_chart(client_photo)
    assert not might_hold_chart(cat)
    assert not might_hold_chart(cv2.resize(client_photo, (4000, 3000), interpolation=cv2.INTER_CUBIC))


def test_pre_test_rejects_real_face_photos() -> None:
    """Every decodable photo in ../shared/faces (62 at the time of writing: portraits, groups, clinical close-ups);
    none holds a chart."""
    paths = (
        sorted(
            p for p in FACE_PHOTOS.rglob("*") if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}
        )
        if FACE_PHOTOS.is_dir()
        else []
    )
    if not paths:
        pytest.skip("no real face photos in ../shared/faces")
    accepted = []
    for path in paths:
        try:
            image = read_photo(path).image
        except ProgressError:
            continue
        if might_hold_chart(image):
            accepted.append(path.name)
    assert accepted == []


def test_search_copy_reduces_by_a_whole_factor() -> None:
    photo = np.zeros((3000, 4000, 3), np.uint8)
    assert search_copy(photo).shape == (1000, 1333, 3)  # factor 3: the long side is 1333 ≤ DETECTION_LONG_SIDE
    small = np.zeros((1200, 1600, 3), np.uint8)
    assert search_copy(small) is small
