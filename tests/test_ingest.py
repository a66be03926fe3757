"""Reading photos: formats by content, orientation, colour profiles, bit depth, dates and every refusal."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import address_space_headroom, encode, fifo_released, grey_tiff, psd
from icc import DISPLAY_P3_COLORANTS_D50, expected_srgb, rgb_profile
from PIL import Image, features

from progress import (
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    ProgressError,
    TruncatedImageError,
    read_photo,
)
from progress.errors import UnsupportedFormatError
from progress.ingest import MIN_SHORT_SIDE, capture_date, photo_size


@pytest.mark.parametrize(
    ("format", "params", "tolerance"),
    [
        ("PNG", {}, 0),
        ("TIFF", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("JPEG", {"quality": 95}, 12),
        ("HEIF", {"quality": 95}, 16),
    ],
)
def test_each_format_decodes_to_the_same_pixels(
    astronaut: np.ndarray, format: str, params: dict[str, object], tolerance: int
) -> None:
    photo = read_photo(encode(astronaut, format, **params))
    assert photo.format == format
    assert photo.image.shape == astronaut.shape and photo.image.dtype == np.uint8
    assert np.percentile(np.abs(photo.image.astype(int) - astronaut), 99) <= tolerance
    assert not photo.greyscale


def test_content_decides_not_the_extension(astronaut: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.jpg"
    path.write_bytes(encode(astronaut, "PNG"))
    assert read_photo(path).format == "PNG"


@pytest.mark.parametrize(
    ("orientation", "stored"), [(3, np.rot90(np.eye(2), 2)), (6, np.rot90(np.eye(2), 1)), (8, np.rot90(np.eye(2), -1))]
)
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


# --- only the supported formats, decoded in-process (issue 12, item 1) ---------------------------------------

EPS_LOOP = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 400 400\n{ } loop\n"
"""An EPS file that never ends: Ghostscript would run it at 100 % CPU forever."""
EPS_ERROR = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 400 400\n/nosuchcommand cvx exec\n"
"""An EPS file with a PostScript error: Ghostscript would fail with an untyped CalledProcessError."""


class _NoProcess:
    """Stands in for subprocess.Popen: starting any program (Ghostscript) fails the test."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"read_photo started a process: {args[0] if args else kwargs}")


@pytest.mark.parametrize(
    "content",
    [EPS_LOOP, EPS_ERROR, b"%!PS\n{ } loop\n", b"%!PS-Adobe-3.0\nshowpage\n"],
    ids=["eps loop", "eps error", "ps loop", "ps"],
)
def test_postscript_named_jpg_is_refused_without_starting_a_process(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormatError, match="PostScript format, which is not a supported photo format"):
        read_photo(path)
    with pytest.raises(UnsupportedFormatError):
        read_photo(content)
    assert capture_date(content, name=path.name) is None  # the date reader does not start it either


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("Photoshop (PSD)", psd),
        ("GIF", lambda image: encode(image, "GIF")),  # at most 256 colours: colour metrics would be meaningless
        ("BMP", lambda image: encode(image, "BMP")),  # no phone saves photos so; carries no capture date
        ("icon (ICO)", lambda image: encode(image[:256, :256], "ICO", sizes=[(256, 256)])),
        ("PCX", lambda image: encode(image, "PCX")),
        ("TGA", lambda image: encode(image, "TGA")),
        ("JPEG 2000", lambda image: encode(image, "JPEG2000")),
    ],
)
def test_pictures_in_other_formats_are_refused_as_unsupported(
    astronaut: np.ndarray, name: str, make: Callable[[np.ndarray], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make(astronaut)
    assert Image.open(io.BytesIO(data)).size[0] >= 256  # Pillow itself would read it
    monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    with pytest.raises(UnsupportedFormatError, match=f"in {re.escape(name)} format, which is not a supported") as e:
        read_photo(data)
    assert e.value.code == "unsupported_format"
    assert isinstance(e.value, NotAnImageError)  # callers that refuse every non-photo catch it as before


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow was built without AVIF")
def test_avif_is_read(astronaut: np.ndarray) -> None:
    photo = read_photo(encode(astronaut, "AVIF", quality=95))
    assert photo.format == "AVIF"
    # AVIF at quality 95 is lossy like HEIF: 99th percentile of the error measured 11 levels here (HEIF 12);
    # the HEIF test's 16 leaves a margin of 5 levels for the encoder's arithmetic on other CPUs
    assert np.percentile(np.abs(photo.image.astype(int) - astronaut), 99) <= 16


# --- damaged files and odd metadata never escape as untyped errors (issue 12, item 2) ------------------------


def _overlong_heic(astronaut: np.ndarray) -> bytes:
    """A HEIC whose picture data claims more bytes than the file holds (its first NAL unit's length, the first
    4 bytes of the ``mdat`` box's payload, is 1000 too large): libheif fails with EOFError on decoding."""
    data = bytearray(encode(astronaut, "HEIF", quality=90))
    payload = data.index(b"mdat") + 4
    length = int.from_bytes(data[payload : payload + 4], "big")
    data[payload : payload + 4] = (length + 1000).to_bytes(4, "big")
    return bytes(data)


def test_a_damaged_heic_is_a_typed_refusal(astronaut: np.ndarray) -> None:
    with pytest.raises(TruncatedImageError, match="damaged or incomplete") as caught:
        read_photo(_overlong_heic(astronaut))
    assert isinstance(caught.value.__cause__, EOFError)  # what used to escape untyped


def exif_with_orientation(kind: int, value: bytes) -> bytes:
    """A raw EXIF block (``Exif\\0\\0`` + little-endian TIFF) holding only the Orientation tag, of any TIFF type
    (2 ASCII, 5 RATIONAL, 7 UNDEFINED, 3 SHORT) and raw value, as some editors write it."""
    count = {2: len(value), 5: 1, 7: len(value), 3: 1}[kind]
    inline = len(value) <= 4
    field = value.ljust(4, b"\x00") if inline else struct.pack("<I", 8 + 2 + 12 + 4)
    return (
        b"Exif\x00\x00II*\x00"
        + struct.pack("<IH", 8, 1)
        + struct.pack("<HHI", 0x0112, kind, count)
        + field
        + struct.pack("<I", 0)
        + (b"" if inline else value)
    )


@pytest.mark.parametrize(
    ("kind", "value", "applied"),
    [
        (2, b"6\x00", 6),
        (2, b"Rotate 90 CW\x00", 6),
        (2, b"upright\x00", 1),
        (7, b"\x06", 6),
        (5, struct.pack("<II", 0, 0), 1),
        (5, struct.pack("<II", 12, 2), 6),
        (3, struct.pack("<H", 9), 1),
    ],
    ids=["text 6", "exiftool words", "other text", "bytes", "NaN", "rational 6", "out of range"],
)
@pytest.mark.parametrize("format", ["JPEG", "PNG"])  # HEIF keeps orientation in its own boxes, not in EXIF
def test_exif_orientation_of_any_type_is_read_or_ignored(format: str, kind: int, value: bytes, applied: int) -> None:
    upright = np.zeros((300, 400, 3), np.uint8)
    upright[:100, :100] = (255, 0, 0)  # a red block in the top-left corner of the scene
    stored = np.ascontiguousarray(np.rot90(upright, 1)) if applied == 6 else upright  # what the camera wrote
    photo = read_photo(encode(stored, format, exif=exif_with_orientation(kind, value)))
    assert photo.exif_orientation == applied
    assert photo.image.shape == upright.shape
    inside, elsewhere = photo.image[10:90, 10:90].astype(int), photo.image[10:90, -90:-10].astype(int)
    assert inside[..., 0].min() > 200 and inside[..., 1:].max() < 60  # JPEG: a few levels of error
    assert elsewhere.max() < 60  # the block is in the top-left corner, not the top-right one


@pytest.mark.parametrize(
    ("dtype", "sample_format", "full_scale"),
    [
        (np.uint32, 1, 2**32 - 1),
        (np.int32, 2, 2**31 - 1),
        (np.float32, 3, 1.0),
        (np.uint16, 1, 2**16 - 1),
        (np.int16, 2, 2**15 - 1),
    ],
)
def test_high_bit_greyscale_tiffs_keep_their_tones(dtype: type, sample_format: int, full_scale: float) -> None:
    levels = np.arange(256, dtype=np.float64)
    values = np.tile(np.repeat(levels, 2), (200, 1)) * (full_scale / 255)  # 200×512, every grey level
    if sample_format == 2:
        values[:, :4] = -full_scale  # negative: below black
    photo = read_photo(
        grey_tiff(np.round(values).astype(dtype) if sample_format != 3 else values.astype(dtype), sample_format)
    )
    assert photo.greyscale and photo.format == "TIFF"
    expected = np.repeat(levels, 2).astype(np.uint8)
    expected[:4] = 0 if sample_format == 2 else expected[:4]
    np.testing.assert_array_equal(photo.image[0, :, 0], expected)
    np.testing.assert_array_equal(photo.image[..., 1], photo.image[..., 0])


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    with fifo_released(fifo), pytest.raises(NotAnImageError, match="device, a pipe or a socket"):
        read_photo(fifo)  # used to wait forever for a writer


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_devices_are_refused_without_reading_them(tmp_path: Path) -> None:
    link = tmp_path / "IMG_0002.jpg"
    link.symlink_to("/dev/zero")
    with address_space_headroom(2 * 2**30):  # reading zeros without end stops at 2 GB, not at the machine's end
        with pytest.raises(NotAnImageError, match="not a photo file"):
            read_photo("/dev/zero")
        with pytest.raises(NotAnImageError, match="not a photo file"):
            read_photo(link)


def test_photo_size_reads_supported_headers_only(astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    assert photo_size(encode(astronaut[:300], "WEBP")) == (512, 300)
    assert photo_size(EPS_LOOP) is None
    assert photo_size(encode(astronaut, "GIF")) is None
    assert photo_size(b"") is None


def test_capture_date_from_a_path_never_reads_a_pipe(astronaut: np.ndarray, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:03:14 09:26:53"
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(astronaut, "JPEG", exif=exif))
    assert capture_date(photo) == datetime(2026, 3, 14).date()
    fifo = tmp_path / "IMG_20250101_120000.jpg"
    os.mkfifo(fifo)
    with fifo_released(fifo):
        assert capture_date(fifo) == datetime(2025, 1, 1).date()  # from the name; the pipe is not read
    assert capture_date(tmp_path / "IMG_20250102_120000.jpg") == datetime(2025, 1, 2).date()  # missing file
