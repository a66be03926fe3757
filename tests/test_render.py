"""Pictures: shapes and purity, and a heatmap that shows an injected change where it was made."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from helpers import encode
from PIL import Image

from progress import AlignedFace, FaceLandmarker, analyze_photo
from progress.colour import srgb_to_lab
from progress.render import (
    blend,
    contours_overlay,
    difference_heatmap,
    ghost_overlay,
    landmarks_and_regions,
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
    for picture in (landmarks_and_regions(aligned), ghost_overlay(aligned, other), blend(aligned, other, 0.5),
                    difference_heatmap(aligned, other), difference_heatmap(aligned, other, "evenness"),
                    contours_overlay(aligned, other)):
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


def test_the_timelapse_is_a_looping_gif_with_a_frame_per_session(aligned: AlignedFace) -> None:
    gif = timelapse_gif([aligned.image, _redder_left_cheek(aligned).image, aligned.image])
    animation = Image.open(io.BytesIO(gif))
    assert animation.format == "GIF" and animation.n_frames == 3 and animation.info.get("loop") == 0
    with pytest.raises(ValueError, match="at least one"):
        timelapse_gif([])
