"""Reading photos: formats by content, orientation, colour profiles, bit depth, dates and every refusal."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import encode
from icc import DISPLAY_P3_COLORANTS_D50, expected_srgb, rgb_profile
from PIL import Image

from progress import (
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    ProgressError,
    TruncatedImageError,
    read_photo,
)
from progress.ingest import MIN_SHORT_SIDE


@pytest.mark.parametrize(
    ("format", "params", "tolerance"),
    [("PNG", {}, 0), ("TIFF", {}, 0), ("WEBP", {"lossless": True}, 0), ("JPEG", {"quality": 95}, 12),
     ("HEIF", {"quality": 95}, 16)],
)
def test_each_format_decodes_to_the_same_pixels(astronaut: np.ndarray, format: str, params: dict[str, object],
                                                tolerance: int) -> None:
    photo = read_photo(encode(astronaut, format, **params))
    assert photo.format == format
    assert photo.image.shape == astronaut.shape and photo.image.dtype == np.uint8
    assert np.percentile(np.abs(photo.image.astype(int) - astronaut), 99) <= tolerance
    assert not photo.greyscale


def test_content_decides_not_the_extension(astronaut: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.jpg"
    path.write_bytes(encode(astronaut, "PNG"))
    assert read_photo(path).format == "PNG"


@pytest.mark.parametrize(("orientation", "stored"), [(3, np.rot90(np.eye(2), 2)), (6, np.rot90(np.eye(2), 1)),
                                                     (8, np.rot90(np.eye(2), -1))])
def test_exif_orientation_makes_the_photo_upright(orientation: int, stored: np.ndarray) -> None:
    upright = np.zeros((300, 400, 3), np.uint8)
    upright[:100, :100] = (255, 0, 0)  # a red block in the top-left corner of the scene
    turns = {3: 2, 6: 1, 8: -1}[orientation]  # how the camera stored the pixels
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(np.ascontiguousarray(np.rot90(upright, turns)), "PNG", exif=exif)
    photo = read_photo(data)
    assert photo.exif_orientation == orientation
    assert photo.image.shape == upright.shape
    np.testing.assert_array_equal(photo.image, upright)


def test_display_p3_profile_is_converted_to_srgb() -> None:
    colours = np.array([[200, 100, 90], [60, 170, 80], [90, 110, 200], [128, 128, 128]], dtype=np.uint8)
    image = np.repeat(np.repeat(colours[None], 200, axis=0), 60, axis=1)  # 200×240, four bands
    profile = rgb_profile("Display P3 (test)", DISPLAY_P3_COLORANTS_D50, gamma=2.2)
    photo = read_photo(encode(image, "PNG", icc_profile=profile))
    assert photo.colour_profile == "Display P3 (test)"
    measured = photo.image[100, 30::60].astype(float)
    np.testing.assert_allclose(measured, expected_srgb(colours, DISPLAY_P3_COLORANTS_D50, 2.2), atol=3.0)
    assert measured[0, 0] > colours[0, 0] + 10  # P3 red is more saturated than sRGB red: the value must move


def test_alpha_is_dropped(astronaut: np.ndarray) -> None:
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 128, np.uint8)])
    photo = read_photo(encode(rgba, "PNG"))
    assert photo.image.shape == astronaut.shape
    np.testing.assert_array_equal(photo.image, astronaut)


def test_sixteen_bit_colour_is_reduced_to_eight(astronaut: np.ndarray) -> None:
    sixteen = astronaut.astype(np.uint16) * 257
    ok, data = cv2.imencode(".png", cv2.cvtColor(sixteen, cv2.COLOR_RGB2BGR))
    assert ok
    photo = read_photo(data.tobytes())
    np.testing.assert_array_equal(photo.image, astronaut)


def test_sixteen_bit_greyscale_is_reduced_and_reported(astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    photo = read_photo(encode((grey.astype(np.uint16) * 257), "PNG"))
    assert photo.greyscale
    np.testing.assert_array_equal(photo.image[..., 0], grey)
    np.testing.assert_array_equal(photo.image[..., 2], grey)


def test_greyscale_photos_are_reported(astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    assert read_photo(encode(grey, "JPEG")).greyscale
    assert read_photo(encode(np.dstack([grey] * 3), "JPEG")).greyscale  # colour file, no colour in it


def test_capture_time_comes_from_exif_first(astronaut: np.ndarray, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:03:14 09:26:53"
    path = tmp_path / "IMG_20250101_120000.jpg"
    path.write_bytes(encode(astronaut, "JPEG", exif=exif))
    photo = read_photo(path)
    assert (photo.captured_at, photo.captured_at_source) == (datetime(2026, 3, 14, 9, 26, 53), "exif")


def test_capture_time_falls_back_to_the_file_name_then_to_none(astronaut: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "IMG_20250101_120000.jpg"
    path.write_bytes(encode(astronaut))
    photo = read_photo(path)
    assert (photo.captured_at, photo.captured_at_source) == (datetime(2025, 1, 1, 12, 0, 0), "file_name")
    named_upload = read_photo(encode(astronaut), name="client 2025-02-03.jpg")
    assert named_upload.captured_at == datetime(2025, 2, 3)
    undated = tmp_path / "photo.jpg"
    undated.write_bytes(encode(astronaut))
    assert (read_photo(undated).captured_at, read_photo(undated).captured_at_source) == (None, None)


def test_zero_bytes_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(NotAnImageError, match="empty"):
        read_photo(tmp_path / "empty.jpg")


def test_text_is_not_an_image() -> None:
    with pytest.raises(NotAnImageError, match="not an image"):
        read_photo(b"Client notes: session 3, points ST3, LI20.\n" * 20)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotAnImageError, match="cannot be read"):
        read_photo(tmp_path / "nowhere.jpg")
    with pytest.raises(NotAnImageError, match="folder"):
        read_photo(tmp_path)


@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_truncated_file_is_refused(astronaut: np.ndarray, format: str) -> None:
    data = encode(astronaut, format)
    with pytest.raises(TruncatedImageError, match="incomplete"):
        read_photo(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding() -> None:
    buffer = io.BytesIO()
    Image.new("1", (9000, 7000)).save(buffer, "PNG")  # 63 MP in a file of a few kB
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ImageTooLargeError, match="63 megapixels"):
        read_photo(buffer.getvalue())


def test_pillow_scale_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("1", (20000, 10000)).save(buffer, "PNG")  # 200 MP: beyond Pillow's own bomb limit
    with pytest.raises(ImageTooLargeError):
        read_photo(buffer.getvalue())


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(ImageTooLargeError, match="51 MB"):
        read_photo(path)


def test_too_small_photo_is_refused(astronaut: np.ndarray) -> None:
    thumbnail = cv2.resize(astronaut, (MIN_SHORT_SIDE - 1, 400))
    with pytest.raises(ImageTooSmallError, match="too small: 199×400"):
        read_photo(encode(thumbnail))


def test_every_refusal_is_a_progress_error_with_a_code() -> None:
    with pytest.raises(ProgressError) as caught:
        read_photo(b"\x00")
    assert caught.value.code == "not_an_image"
