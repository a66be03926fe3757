"""Read a practitioner's photo: any common phone format, upright, in sRGB, 8-bit RGB.

Decoding is by content, never by file extension, and only by the decoders of the supported photo formats
(JPEG, PNG, HEIC/HEIF, WebP, TIFF, AVIF), all in-process: no other Pillow plugin ever sees the bytes, so a
PostScript file named ``.jpg`` is refused instead of being handed to Ghostscript. Limits are checked from the
header, before the pixels are decoded, so a decompression bomb costs nothing. Whatever a damaged file makes a
decoder raise is turned into a typed :class:`~progress.errors.ProgressError`. The result is the one place where
the photo's pixels enter the package: an ``(H, W, 3)`` uint8 RGB array in sRGB, rows top to bottom, the way the
scene was upright. For display, a JPEG can be decoded at a reduced DCT scale (``read_photo(at_least=...)``).
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from progress.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    ProgressError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from progress.pictures import open_picture

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SHORT_SIDE",
    "SUPPORTED_FORMATS",
    "Photo",
    "capture_date",
    "capture_time_from_name",
    "photo_size",
    "read_photo",
]

MAX_PIXELS = 60_000_000
"""Refuse photos over 60 megapixels: phones top out near 50 MP; anything larger is a scan or a bomb."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""Refuse files over 50 MB: a 50 MP JPEG at top quality is about 25 MB."""
MIN_SHORT_SIDE = 200
"""Refuse photos whose shorter side is under 200 px: too few pixels for a face to be measured."""
SUPPORTED_FORMATS = ("JPEG", "PNG", "HEIF", "WEBP", "TIFF", "AVIF")
"""The Pillow decoders a photo may be read with (JPEG includes the multi-picture MPO variant phones write).
Every other Pillow plugin is refused: PostScript/EPS would run Ghostscript, and GIF, BMP, PSD, ICO, PCX and the
rest are never what a phone or camera saves a photo as (GIF has at most 256 colours, BMP no capture date)."""

_SUPPORTED_NAMES = "JPEG, PNG, HEIC, WebP, TIFF or AVIF"
_DAMAGED = "The photo file is damaged or incomplete (was the copy or upload interrupted?)."
_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_EXIF_IFD = 0x8769
_EXIF_DATETIME_ORIGINAL = 36867
_EXIF_ORIENTATION = 0x0112
_TIFF_BITS_PER_SAMPLE = 258
_TIFF_SAMPLE_FORMAT = 339
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation → the turn that makes the stored pixels upright (the EXIF 2.3 table, as Pillow applies it)."""
_UPRIGHT_AXES = {
    1: ((0, False), (1, False)), 2: ((0, True), (1, False)), 3: ((0, True), (1, True)), 4: ((0, False), (1, True)),
    5: ((1, False), (0, False)), 6: ((1, True), (0, False)), 7: ((1, True), (0, True)), 8: ((1, False), (0, True)),
}  # fmt: skip
"""EXIF orientation → for the upright x then y axis: the stored axis it comes from (0 x, 1 y) and whether it runs
against it, under :data:`_TRANSPOSE`."""
_ORIENTATION_NAMES = {
    "horizontal (normal)": 1, "mirror horizontal": 2, "rotate 180": 3, "mirror vertical": 4,
    "mirror horizontal and rotate 270 cw": 5, "rotate 90 cw": 6, "mirror horizontal and rotate 90 cw": 7,
    "rotate 270 cw": 8,
}  # fmt: skip
"""The orientations as exiftool writes them in words, which some tools store as the tag's text."""
_GREYSCALE_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_HIGH_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_COLOUR_MODES = {"P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr"}
_OTHER_FORMATS = (
    (b"%!", "PostScript"),
    (b"\xc5\xd0\xd3\xc6", "EPS (PostScript)"),
    (b"%PDF", "PDF"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"\x00\x00\x01\x00", "icon (ICO)"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"DDS ", "DDS texture"),
    (b"qoif", "QOI"),
    (b"icns", "Apple icon (ICNS)"),
    (b"\x59\xa6\x6a\x95", "Sun raster"),
    (b"\x01\xda", "SGI"),
)
"""Leading bytes of picture formats that are not supported photo formats, to name them in the refusal. They are
recognised here, never by their Pillow plugins (which are never run)."""
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
        reduction: k, the JPEG DCT scale it was decoded at (1, 2, 4 or 8; ``read_photo(at_least=...)``): each
            decoded pixel stands for a k × k block of the full-resolution photo.
        reduction_offset: (oₓ, oᵧ) in full-resolution pixels: decoded pixel (x, y) is centred on full-resolution
            pixel (k·x + oₓ, k·y + oᵧ), both upright, pixel centres at integer coordinates; (0, 0) when k = 1.
    """

    image: np.ndarray
    format: str
    captured_at: datetime | None
    captured_at_source: str | None
    exif_orientation: int
    colour_profile: str | None
    greyscale: bool
    reduction: int = 1
    reduction_offset: tuple[float, float] = (0.0, 0.0)

    @property
    def width(self) -> int:
        """Width in pixels of the upright photo (as decoded: ⌈full width / :attr:`reduction`⌉)."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels of the upright photo (as decoded: ⌈full height / :attr:`reduction`⌉)."""
        return int(self.image.shape[0])

    def decoded_transform(self, transform: np.ndarray) -> np.ndarray:
        """``transform``, an affine map (2, 3) from full-resolution upright photo pixels (where the landmarks and
        the stored transforms are), re-expressed on this photo's decoded pixels: with full = k·q + o
        (:attr:`reduction`, :attr:`reduction_offset`), T'·q = A·(k·q + o) + b, so A' = k·A and b' = b + A·o.
        float64 (2, 3); the same transform when the photo was decoded in full."""
        matrix = np.asarray(transform, dtype=np.float64).reshape(2, 3)
        if self.reduction == 1:
            return matrix.copy()
        reduced = np.empty_like(matrix)
        reduced[:, :2] = matrix[:, :2] * self.reduction
        reduced[:, 2] = matrix[:, 2] + matrix[:, :2] @ np.asarray(self.reduction_offset, dtype=np.float64)
        return reduced


def read_photo(source: str | Path | bytes, *, name: str | None = None, at_least: float = 1.0) -> Photo:
    """Decode a photo from a path or from its bytes.

    Args:
        source: A file path (a regular file: pipes and devices are refused without being read), or the file's
            bytes (an upload).
        name: The original file name, used to find a capture date when EXIF has none. Defaults to the
            path's name.
        at_least: The fraction of the full resolution (per side, 0 < ``at_least`` ≤ 1) the caller needs. A JPEG
            is then decoded at the smallest DCT scale 1/k (k = 2, 4 or 8, libjpeg's scaled IDCT through Pillow's
            draft mode) with 1/k ≥ ``at_least``: about k² times fewer pixels to make. Other formats, and 1.0,
            decode in full. The limits, the checks and the orientation and colour handling are the same either
            way (the size limits are judged on the full size); :attr:`Photo.reduction` says what was done.

    Returns:
        The upright sRGB photo with its capture metadata.

    Raises:
        NotAnImageError: Empty, unreadable, not a regular file, or not an image.
        UnsupportedFormatError: A picture in a format that is not a supported photo format (PostScript, PDF,
            GIF, BMP, PSD, ICO, ...); it is not decoded.
        TruncatedImageError: The file is damaged or ends before the picture does.
        ImageTooLargeError: Over ``MAX_PIXELS`` or ``MAX_FILE_BYTES``.
        ImageTooSmallError: Shorter side under ``MIN_SHORT_SIDE``.
    """
    data, name = _read_bytes(source, name)
    with _quiet_decoders():
        picture = _open(data)
        with picture:
            _check_dimensions(*picture.size)
            with _decoder_failures_are_damage():
                exif = picture.getexif()
                orientation = _orientation(exif)
                reduction, offset = _draft(picture, at_least, orientation)
                picture.load()
                upright = picture.transpose(_TRANSPOSE[orientation]) if orientation != 1 else picture
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
                reduction=reduction,
                reduction_offset=offset,
            )


def capture_date(source: bytes | str | Path, *, name: str | None = None) -> date | None:
    """The day a photo was taken, from its EXIF (header only: nothing is decoded) or its name; None if unknown.

    ``source`` is the file's bytes or its path (then ``name`` defaults to the path's name, and a pipe, a device or
    an unreadable file is not read: the date comes from the name). Bytes that are not a readable photo in a
    supported format fall back to the name too.
    """
    exif = Image.Exif()
    with _quiet_decoders():
        try:
            data, name = _read_bytes(source, name)
            with _open(data) as picture, _decoder_failures_are_damage():
                exif = picture.getexif()
        except ProgressError:
            name = name or (None if isinstance(source, bytes | bytearray | memoryview) else Path(source).name)
    taken, _source = _capture_time(exif, name)
    return taken.date() if taken else None


def photo_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels as stored, from the header of a photo in a supported format (nothing is
    decoded, no other decoder is tried), or None when the bytes are not one."""
    with _quiet_decoders():
        try:
            with _open(data) as picture, _decoder_failures_are_damage():
                width, height = picture.size
        except ProgressError:
            return None
    return int(width), int(height)


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
        data = _read_regular_file(path)
    if not data:
        raise NotAnImageError("This file is empty (0 bytes): it is not an image.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLargeError(_too_large_message(len(data)))
    return data, name


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, at most ``MAX_FILE_BYTES`` + 1 of them.

    The file is opened without blocking and checked on the open descriptor, so a pipe (which would wait for a
    writer forever), a device such as ``/dev/zero`` (which never ends) or a socket is refused before any read,
    even when a link points to it or it replaced a photo after the name was checked.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError as error:
        raise NotAnImageError(f"{path} is a folder, not a photo.") from error
    except OSError as error:
        raise NotAnImageError(f"The file {path} cannot be read ({error.strerror}).") from error
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise NotAnImageError(f"{path} is a folder, not a photo.")
        if not stat.S_ISREG(status.st_mode):
            raise NotAnImageError(f"{path} is not a photo file (it is a device, a pipe or a socket).")
        if status.st_size > MAX_FILE_BYTES:
            raise ImageTooLargeError(_too_large_message(status.st_size))
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read(MAX_FILE_BYTES + 1)  # a file that grew since: the caller sees it is too large
    except OSError as error:
        raise NotAnImageError(f"The file {path} cannot be read ({error.strerror}).") from error
    finally:
        os.close(descriptor)


def _open(data: bytes) -> Image.Image:
    """Identify ``data`` by content with the supported decoders only; read the header, not the pixels."""
    try:
        return open_picture(data, SUPPORTED_FORMATS)
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(_too_large_message(None)) from error
    except UnidentifiedImageError as error:
        other = _other_format(data)
        if other is not None:
            raise UnsupportedFormatError(
                f"This file is in {other} format, which is not a supported photo format ({_SUPPORTED_NAMES} are). "
                "Send the photo as the phone or camera saved it."
            ) from error
        raise NotAnImageError(
            f"This file is not an image that can be read ({_SUPPORTED_NAMES} are supported)."
        ) from error
    except Exception as error:  # a supported decoder's header parser failed on damaged bytes (see below)
        raise TruncatedImageError(_DAMAGED) from error


def _other_format(data: bytes) -> str | None:
    """The name of a picture format that is not supported, recognised from its leading bytes, or None."""
    for signature, name in _OTHER_FORMATS:
        if data.startswith(signature):
            if name == "BMP" and data[14:15] not in (b"\x0c", b"\x28", b"\x34", b"\x38", b"\x40", b"\x6c", b"\x7c"):
                continue  # "BM" starts many texts: a bitmap also has a known header size at byte 14
            return name
    if data.endswith(b"TRUEVISION-XFILE.\x00"):
        return "TGA"
    if len(data) > 3 and data[0] == 0x0A and data[1] in (0, 2, 3, 4, 5) and data[2] == 1:
        return "PCX"
    return None


@contextmanager
def _decoder_failures_are_damage() -> Iterator[None]:
    """Turn whatever a decoder raises on damaged bytes into :class:`TruncatedImageError`.

    Pillow's and libheif's parsers meet bytes an attacker or a broken transfer chose, and raise whatever their
    code hits (``OSError``, ``EOFError``, ``SyntaxError``, ``struct.error``, ``IndexError``, ``ZeroDivisionError``,
    ...): a photo that cannot be decoded must never stop a batch with an untyped error. The cause stays chained.
    """
    try:
        yield
    except ProgressError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(_too_large_message(None)) from error
    except Exception as error:
        raise TruncatedImageError(_DAMAGED) from error


@contextmanager
def _quiet_decoders() -> Iterator[None]:
    """Silence decoder warnings (corrupt EXIF, decompression-bomb size, ...): the limits here decide, and a
    warning about a client's photo means nothing to the practitioner."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _draft(picture: Image.Image, at_least: float, orientation: int) -> tuple[int, tuple[float, float]]:
    """Ask a JPEG's decoder for the smallest DCT scale 1/k with 1/k ≥ ``at_least`` (before ``load``); return k
    and the offset of :attr:`Photo.reduction_offset`.

    libjpeg makes ⌈N/k⌉ pixels of a side of N, decoded pixel i covering stored pixels [k·i, k·i + k): centred on
    k·i + (k − 1)/2. The orientation turn comes after, on the reduced pixels: along an upright axis that runs
    against its stored axis, the turn maps decoded i to ⌈N/k⌉ − 1 − i but full-resolution x to N − 1 − x, so the
    centre moves by N − k·⌈N/k⌉ (0 when k divides N: the last, partial block is the one that moves).
    """
    wanted = 1 if not 0.0 < at_least < 1.0 else max((k for k in (1, 2, 4, 8) if 1.0 / k >= at_least), default=1)
    if wanted == 1 or picture.format not in ("JPEG", "MPO"):
        return 1, (0.0, 0.0)
    stored = picture.size
    picture.draft(None, (stored[0] // wanted, stored[1] // wanted))  # Pillow picks the largest k it allows
    sizes = {k: ((stored[0] + k - 1) // k, (stored[1] + k - 1) // k) for k in (8, 4, 2)}
    reduction = next((k for k, size in sizes.items() if picture.size == size), 1)
    if reduction == 1:
        return 1, (0.0, 0.0)
    offsets = []
    for axis, against in _UPRIGHT_AXES[orientation]:
        length = stored[axis]
        shift = length - reduction * ((length + reduction - 1) // reduction) if against else 0
        offsets.append((reduction - 1) / 2 + shift)
    return reduction, (offsets[0], offsets[1])


def _orientation(exif: Image.Exif) -> int:
    """The EXIF orientation 1–8, from a number or a text naming it ("6", or exiftool's "Rotate 90 CW"); 1 (use
    the pixels as stored) when the tag is absent or holds anything else (NaN, other text, ...)."""
    value: object = exif.get(_EXIF_ORIENTATION, 1)
    if isinstance(value, tuple | list):
        value = value[0] if value else 1
    if isinstance(value, bytes):  # UNDEFINED: one byte holding the number, or the number as text
        value = value[0] if len(value) == 1 else value.decode("ascii", "ignore")
    if isinstance(value, str):
        value = value.strip("\x00 ")
        value = _ORIENTATION_NAMES.get(value.lower(), value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return 1
    return int(number) if number.is_integer() and 1 <= number <= 8 else 1


def _too_large_message(size_bytes: int | None, pixels: int | None = None) -> str:
    if pixels is not None:
        return (
            f"The photo is too large: {pixels / 1e6:.0f} megapixels (the limit is {MAX_PIXELS / 1e6:.0f}). "
            "Send the camera's original photo, not a scan or a montage."
        )
    if size_bytes is not None:
        return f"The file is too large: {size_bytes / 2**20:.0f} MB (the limit is {MAX_FILE_BYTES / 2**20:.0f} MB)."
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
    """Convert any supported Pillow mode to (read-only uint8 sRGB RGB array, profile description, greyscale).

    Pillow already reduces 16-bit RGB to 8 bits; high-bit greyscale is scaled here (:func:`_grey_to_eight_bits`).
    """
    mode = picture.mode
    if mode in _HIGH_BIT_MODES:
        grey = _grey_to_eight_bits(picture)
        return np.repeat(grey[:, :, None], 3, axis=2), None, True
    if mode not in _GREYSCALE_MODES | _COLOUR_MODES:
        raise UnsupportedFormatError(
            f"The photo stores its colours in a way that is not supported ({mode}). Save it as an ordinary "
            "RGB JPEG, PNG or TIFF."
        )
    greyscale = mode in _GREYSCALE_MODES
    icc = picture.info.get("icc_profile")
    profile = None
    if icc and mode in {"RGB", "RGBA", "CMYK"}:
        picture, profile = _convert_profile(picture, icc)
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    image = _rgb_pixels(picture)
    return image, profile, greyscale or _looks_greyscale(image)


def _rgb_pixels(picture: Image.Image) -> np.ndarray:
    """The pixels of an RGB picture as a read-only uint8 (H, W, 3) array, copied out of Pillow once.

    ``np.asarray(picture)`` goes through ``Image.tobytes``, which packs Pillow's 4-byte pixels in row-sized chunks
    and then joins them: two passes and two 3-byte copies of the photo alive at once (≈ 45 ms and 72 MB for
    12 MP). Packing the whole picture in one chunk makes the one copy the array wraps (≈ 23 ms, 36 MB). When
    Pillow's raw encoder is not there or does not finish in one chunk, the ordinary route is taken.
    """
    width, height = picture.size
    try:
        encoder = Image._getencoder("RGB", "raw", "RGB")
    except (AttributeError, OSError):
        return np.asarray(picture)
    try:
        encoder.setimage(picture.im, (0, 0, width, height))
        _, status, packed = encoder.encode(width * height * 3)
    finally:
        encoder.cleanup()
    if status != 1 or len(packed) != width * height * 3:  # 1: finished in this one chunk
        return np.asarray(picture)
    return np.frombuffer(packed, dtype=np.uint8).reshape(height, width, 3)  # read-only: it wraps bytes


def _grey_to_eight_bits(picture: Image.Image) -> np.ndarray:
    """A high-bit greyscale picture as uint8 (H, W), full scale to full scale.

    Pillow gives 16-bit grey as ``I;16*`` (0–65535) and 32-bit grey as ``I`` (int32, with unsigned values over
    2³¹ wrapped negative) or ``F`` (float32). Integers are scaled by their full scale — the TIFF's
    BitsPerSample (16 when a format does not say) and SampleFormat (unsigned unless it says signed, whose
    negative values are black) — and floats are taken as 0.0 black to 1.0 white, the convention of float TIFFs.
    """
    values = np.asarray(picture)
    if picture.mode == "F":
        full_scale = 1.0
    else:
        tags = getattr(picture, "tag_v2", {})
        bits = _first_int(tags.get(_TIFF_BITS_PER_SAMPLE), 16) if picture.mode == "I" else 16
        signed = picture.mode == "I" and _first_int(tags.get(_TIFF_SAMPLE_FORMAT), 1) == 2
        if bits == 32 and not signed:
            values = values.view(np.uint32)
        full_scale = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
    # in place on one float32 copy (exact to 1/1000 of a level): a 60 MP photo needs no further 240 MB buffers
    scaled = values.astype(np.float32)
    del values
    np.nan_to_num(scaled, copy=False, nan=0.0, posinf=full_scale, neginf=0.0)
    scaled *= np.float32(255.0 / max(full_scale, 1e-30))
    np.clip(np.rint(scaled, out=scaled), 0, 255, out=scaled)
    grey: np.ndarray = scaled.astype(np.uint8)
    return grey


def _first_int(value: object, default: int) -> int:
    """An integer TIFF tag's value (the first one when it holds one per channel), or ``default``."""
    if isinstance(value, tuple | list):
        value = value[0] if value else default
    return value if isinstance(value, int) and 1 <= value <= 64 else default


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
    try:
        raw = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    except Exception:  # a damaged EXIF block is no reason to refuse the photo: the date falls back to the name
        raw = None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "ignore")
    if isinstance(raw, str):
        try:
            return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S"), "exif"
        except ValueError:
            pass
    from_name = capture_time_from_name(name) if name else None
    return (from_name, "file_name") if from_name else (None, None)
