"""Read a practitioner's photo: any common phone format, upright, in sRGB, 8-bit RGB.

Decoding is by content, never by file extension. Limits are checked from the header, before the pixels are
decoded, so a decompression bomb costs nothing. The result is the one place where the photo's pixels enter
the package: an ``(H, W, 3)`` uint8 RGB array in sRGB, rows top to bottom, the way the scene was upright.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from progress.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    TruncatedImageError,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SHORT_SIDE",
    "Photo",
    "capture_date",
    "capture_time_from_name",
    "read_photo",
]

pillow_heif.register_heif_opener()

MAX_PIXELS = 60_000_000
"""Refuse photos over 60 megapixels: phones top out near 50 MP; anything larger is a scan or a bomb."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""Refuse files over 50 MB: a 50 MP JPEG at top quality is about 25 MB."""
MIN_SHORT_SIDE = 200
"""Refuse photos whose shorter side is under 200 px: too few pixels for a face to be measured."""

_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_EXIF_IFD = 0x8769
_EXIF_DATETIME_ORIGINAL = 36867
_EXIF_ORIENTATION = 0x0112
_GREYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_HIGH_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_NAME_DATE = re.compile(
    r"(?<!\d)(?P<year>20\d\d|19\d\d)[-_.]?(?P<month>[01]\d)[-_.]?(?P<day>[0-3]\d)"
    r"(?:[-_ T]?(?P<hour>[0-2]\d)[-_.:]?(?P<minute>[0-5]\d)[-_.:]?(?P<second>[0-5]\d))?(?!\d)"
)


@dataclass(frozen=True, slots=True)
class Photo:
    """A decoded photo, upright and in sRGB.

    Attributes:
        image: uint8 array of shape (H, W, 3), RGB, sRGB, rows top to bottom.
        format: The decoder that recognised the content ("JPEG", "PNG", "HEIF", "WEBP", "TIFF", ...).
        captured_at: Capture time, naive local time as the camera recorded it, or None when unknown.
        captured_at_source: "exif" (DateTimeOriginal), "file_name", or None.
        exif_orientation: The EXIF orientation tag that was applied (1 = already upright).
        colour_profile: Description of the embedded ICC profile converted to sRGB, or None if there was none.
        greyscale: True for a black-and-white photo (colour metrics cannot be measured on it).
    """

    image: np.ndarray
    format: str
    captured_at: datetime | None
    captured_at_source: str | None
    exif_orientation: int
    colour_profile: str | None
    greyscale: bool

    @property
    def width(self) -> int:
        """Width in pixels of the upright photo."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels of the upright photo."""
        return int(self.image.shape[0])


def read_photo(source: str | Path | bytes, *, name: str | None = None) -> Photo:
    """Decode a photo from a path or from its bytes.

    Args:
        source: A file path, or the file's bytes (an upload).
        name: The original file name, used to find a capture date when EXIF has none. Defaults to the
            path's name.

    Returns:
        The upright sRGB photo with its capture metadata.

    Raises:
        NotAnImageError: Empty, unreadable or not a supported image.
        TruncatedImageError: The file ends before the picture does.
        ImageTooLargeError: Over ``MAX_PIXELS`` or ``MAX_FILE_BYTES``.
        ImageTooSmallError: Shorter side under ``MIN_SHORT_SIDE``.
    """
    data, name = _read_bytes(source, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            picture = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            raise ImageTooLargeError(_too_large_message(None)) from error
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            raise NotAnImageError(
                "This file is not an image that can be read (JPEG, PNG, HEIC, WebP or TIFF are supported)."
            ) from error
    with picture:
        _check_dimensions(*picture.size)
        try:
            exif = picture.getexif()
            picture.load()
        except (OSError, ValueError, SyntaxError) as error:
            raise TruncatedImageError(
                "The photo file is damaged or incomplete (was the copy or upload interrupted?)."
            ) from error
        orientation = int(exif.get(_EXIF_ORIENTATION, 1) or 1)
        upright = ImageOps.exif_transpose(picture) if orientation != 1 else picture
        image, profile, greyscale = _to_srgb_array(upright)
        captured_at, captured_source = _capture_time(exif, name)
        return Photo(
            image=image,
            format=str(picture.format or "unknown"),
            captured_at=captured_at,
            captured_at_source=captured_source,
            exif_orientation=orientation,
            colour_profile=profile,
            greyscale=greyscale,
        )


def capture_date(data: bytes, *, name: str | None = None) -> date | None:
    """The day a photo was taken, from its EXIF (header only: nothing is decoded) or its name; None if unknown
    or if the bytes are not a readable image."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            exif = picture.getexif()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        exif = Image.Exif()
    taken, _source = _capture_time(exif, name)
    return taken.date() if taken else None


def capture_time_from_name(name: str) -> datetime | None:
    """Find a capture date (and time, if present) in a file name.

    Recognises the usual camera and messenger patterns: ``IMG_20240105_134501``, ``2024-01-05 13.45.01``,
    ``session_2024-01-05``, ``PXL_20240105_134501123``.

    Examples:
        >>> capture_time_from_name("IMG_20240105_134501.jpg")
        datetime.datetime(2024, 1, 5, 13, 45, 1)
        >>> capture_time_from_name("session 2024-03-09.heic")
        datetime.datetime(2024, 3, 9, 0, 0)
        >>> capture_time_from_name("photo.jpg") is None
        True
    """
    for match in _NAME_DATE.finditer(Path(name).name):
        parts = {key: int(value) for key, value in match.groupdict().items() if value is not None}
        try:
            return datetime(**parts)  # type: ignore[arg-type]
        except ValueError:
            continue
    return None


def _read_bytes(source: str | Path | bytes, name: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImageTooLargeError(_too_large_message(size))
            data = path.read_bytes()
        except IsADirectoryError as error:
            raise NotAnImageError(f"{path} is a folder, not a photo.") from error
        except OSError as error:
            raise NotAnImageError(f"The file {path} cannot be read ({error.strerror}).") from error
    if not data:
        raise NotAnImageError("This file is empty (0 bytes): it is not an image.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLargeError(_too_large_message(len(data)))
    return data, name


def _too_large_message(size_bytes: int | None, pixels: int | None = None) -> str:
    if pixels is not None:
        return (
            f"The photo is too large: {pixels / 1e6:.0f} megapixels (the limit is {MAX_PIXELS / 1e6:.0f}). "
            "Send the camera's original photo, not a scan or a montage."
        )
    if size_bytes is not None:
        return (
            f"The file is too large: {size_bytes / 2**20:.0f} MB (the limit is {MAX_FILE_BYTES / 2**20:.0f} MB)."
        )
    return f"The photo is too large (over {MAX_PIXELS / 1e6:.0f} megapixels)."


def _check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageTooLargeError(_too_large_message(None, width * height))
    if min(width, height) < MIN_SHORT_SIDE:
        raise ImageTooSmallError(
            f"The photo is too small: {width}×{height} pixels (at least {MIN_SHORT_SIDE} pixels on the "
            "shorter side are needed). Send the original photo rather than a thumbnail."
        )


def _to_srgb_array(picture: Image.Image) -> tuple[np.ndarray, str | None, bool]:
    """Convert any Pillow mode to (read-only uint8 sRGB RGB array, profile description, greyscale).

    Pillow already reduces 16-bit RGB to 8 bits; 16-bit greyscale ("I;16", "I") is scaled here.
    """
    mode = picture.mode
    if mode in _HIGH_BIT_MODES:
        values = np.asarray(picture, dtype=np.float32)
        grey = np.clip(np.rint(values / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2), None, True
    greyscale = mode in _GREYSCALE_MODES
    icc = picture.info.get("icc_profile")
    profile = None
    if icc and mode in {"RGB", "RGBA", "CMYK"}:
        picture, profile = _convert_profile(picture, icc)
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    image = np.asarray(picture)  # read-only view of Pillow's buffer: no second copy of a 12 MP photo
    return image, profile, greyscale or _looks_greyscale(image)


def _convert_profile(picture: Image.Image, icc: bytes) -> tuple[Image.Image, str | None]:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(source).strip()
    except (OSError, ImageCms.PyCMSError):
        return picture, None  # an unreadable profile: keep the pixels as sRGB, as browsers do
    if "srgb" in description.lower():
        return picture, description
    if picture.mode == "RGBA":
        picture = picture.convert("RGB")
    try:
        converted = ImageCms.profileToProfile(picture, source, _SRGB_PROFILE, outputMode="RGB")
    except ImageCms.PyCMSError:
        return picture, None
    assert converted is not None
    return converted, description


def _looks_greyscale(image: np.ndarray) -> bool:
    """True when a colour-mode photo carries no colour (max channel spread ≤ 3 levels on 99 % of pixels)."""
    sample = image[:: max(1, image.shape[0] // 128), :: max(1, image.shape[1] // 128)].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return bool(np.percentile(spread, 99) <= 3)


def _capture_time(exif: Image.Exif, name: str | None) -> tuple[datetime | None, str | None]:
    raw = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "ignore")
    if isinstance(raw, str):
        try:
            return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S"), "exif"
        except ValueError:
            pass
    from_name = capture_time_from_name(name) if name else None
    return (from_name, "file_name") if from_name else (None, None)
