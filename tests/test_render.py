"""Pictures: shapes and purity, and a heatmap that shows an injected change where it was made."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from helpers import encode
from PIL import GifImagePlugin, Image

from progress import AlignedFace, FaceLandmarker, analyze_photo
from progress.colour import srgb_to_lab
from progress.render import (
    Heatmap,
    blend,
    contours_overlay,
    difference_heatmap,
    ghost_overlay,
    heatmap_of_signals,
    jpeg,
    landmarks_and_regions,
    skin_signal,
    skin_signals,
    stamp,
    timelapse_gif,
)
from progress.skin import region_masks


@pytest.fixture(scope="module")
def aligned(client_photo: np.ndarray, landmarker: FaceLandmarker) -> AlignedFace:
    result = analyze_photo(encode(client_photo), landmarker)
    assert result.aligned is not None
    return result.aligned


def _redder_left_cheek(aligned: AlignedFace) -> AlignedFace:
    cheek = region_masks(aligned.landmarks, aligned.image.shape[:2])["cheek_left"]
    lab = srgb_to_lab(aligned.image)
    lab[..., 1][cheek] += 8
    image = np.clip(np.round(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255), 0, 255).astype(np.uint8)
    return AlignedFace(image, aligned.landmarks, aligned.transform, aligned.scale, aligned.residual_px)


def test_every_picture_is_a_new_rgb_image_and_leaves_its_inputs_alone(aligned: AlignedFace) -> None:
    before = aligned.image.copy()
    other = _redder_left_cheek(aligned)
    for picture in (
        landmarks_and_regions(aligned),
        ghost_overlay(aligned, other),
        blend(aligned, other, 0.5),
        difference_heatmap(aligned, other),
        difference_heatmap(aligned, other, Heatmap.EVENNESS),
        contours_overlay(aligned, other),
    ):
        assert picture.shape == aligned.image.shape and picture.dtype == np.uint8
        assert picture is not aligned.image
    np.testing.assert_array_equal(aligned.image, before)


def test_blend_ends_are_the_two_sessions(aligned: AlignedFace) -> None:
    other = _redder_left_cheek(aligned)
    np.testing.assert_array_equal(blend(aligned, other, 0.0), aligned.image)
    np.testing.assert_array_equal(blend(aligned, other, 1.0), other.image)


def test_the_redness_heatmap_is_red_on_the_cheek_that_reddened_and_neutral_elsewhere(aligned: AlignedFace) -> None:
    heatmap = difference_heatmap(aligned, _redder_left_cheek(aligned)).astype(int)
    masks = region_masks(aligned.landmarks, aligned.image.shape[:2])
    redness = heatmap[..., 0] - heatmap[..., 2]  # red minus blue
    inner = cv2.erode(masks["cheek_left"].astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert np.median(redness[inner]) > 60
    assert abs(np.median(redness[masks["cheek_right"]])) < 5
    assert abs(np.median(redness[masks["forehead"]])) < 5


@pytest.mark.parametrize("kind", list(Heatmap))
def test_a_heatmap_from_kept_signals_is_the_heatmap(aligned: AlignedFace, kind: Heatmap) -> None:
    """What the app keeps per photo (one CIELAB conversion for every kind) gives exactly the direct heatmap."""
    other = _redder_left_cheek(aligned)
    kept_before, kept_after = skin_signals(aligned), skin_signals(other)
    np.testing.assert_array_equal(kept_after[kind], skin_signal(other, kind))
    np.testing.assert_array_equal(
        heatmap_of_signals(other, kept_before[kind], kept_after[kind], kind), difference_heatmap(aligned, other, kind)
    )


def test_jpeg_bytes_decode_to_the_picture(aligned: AlignedFace) -> None:
    decoded = np.asarray(Image.open(io.BytesIO(jpeg(aligned.image))))
    assert decoded.shape == aligned.image.shape
    assert float(np.abs(decoded.astype(int) - aligned.image).mean()) < 2.0  # quality 90: about one level


def test_the_timelapse_is_a_looping_gif_with_a_frame_per_session(aligned: AlignedFace) -> None:
    gif = timelapse_gif([aligned.image, _redder_left_cheek(aligned).image, aligned.image])
    animation = Image.open(io.BytesIO(gif))
    assert isinstance(animation, GifImagePlugin.GifImageFile)
    assert animation.format == "GIF" and animation.n_frames == 3 and animation.info.get("loop") == 0
    with pytest.raises(ValueError, match="at least one"):
        timelapse_gif([])


def test_a_stamp_writes_its_lines_on_a_band_at_the_top_and_nothing_else() -> None:
    image = np.full((400, 300, 3), 200, np.uint8)
    stamped = stamp(image, ["Lighting differs: colour differences are not skin changes."])
    assert stamped.shape == image.shape and stamped.dtype == np.uint8
    assert stamp(image, []) is image  # no warning: the picture as it was
    changed = np.any(stamped != image, axis=-1)
    rows = np.flatnonzero(changed.any(axis=1))
    assert rows.min() == 0 and rows.max() < 60  # one line: a band at the top only
    assert np.array_equal(stamped[60:], image[60:])
    band = stamped[:60].astype(int)
    yellow = (band[..., 0] > 180) & (band[..., 1] > 150) & (band[..., 2] < 100)
    assert yellow.sum() > 50  # the text, in yellow on the darkened band


def test_the_timelapse_carries_each_session_date_on_its_frame() -> None:
    faces = [np.full((440, 360, 3), level, np.uint8) for level in (80, 160)]
    plain = Image.open(io.BytesIO(timelapse_gif(faces)))
    dated = Image.open(io.BytesIO(timelapse_gif(faces, labels=["05 Jan 2026", "13 Apr 2026"])))
    assert isinstance(plain, GifImagePlugin.GifImageFile) and isinstance(dated, GifImagePlugin.GifImageFile)
    assert dated.n_frames == plain.n_frames == 2
    for index in range(2):
        plain.seek(index)
        dated.seek(index)
        top = np.asarray(dated.convert("RGB"))[:40]
        assert not np.array_equal(top, np.asarray(plain.convert("RGB"))[:40])  # the date is on the frame
