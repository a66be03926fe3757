"""Remove where a photo was taken from a copy of its file, before the copy leaves the program.

Phones record the place of every photo: the EXIF GPS block (IFD 0x8825) and, often, an XMP packet (which can
repeat the GPS position and add city and place names). :func:`strip_location` empties the GPS block in place
(its entries and values become zero bytes, and IFD0 keeps a pointer to an empty block) and blanks every XMP
packet with spaces, which the XMP standard allows as padding. Nothing moves: the copy has the same length as the
original, the compressed pixels and every other metadata byte (orientation, colour profile, camera, capture
time, maker notes) stay identical. This works for every EXIF block in the file, the embedded preview and
multi-picture images of a JPEG included, and for JPEG, PNG (its chunk checksums are recomputed), WebP, HEIC and
TIFF alike.

A file whose GPS block cannot be located this way (damaged EXIF) is re-encoded by Pillow without GPS and
XMP, as the last resort: the location goes, and only then can the pixels change.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

from PIL import Image, UnidentifiedImageError

__all__ = ["GPS_IFD_TAG", "has_location", "strip_location"]

GPS_IFD_TAG = 0x8825
"""EXIF tag of the pointer from IFD0 to the GPS block."""

_EXIF_MARKER = b"Exif\x00\x00"
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
_XMP_START = b"<x:xmpmeta"
_XMP_END = b"</x:xmpmeta>"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
"""Bytes per value of each TIFF field type."""


class _MalformedExifError(ValueError):
    """An EXIF block whose offsets point outside it."""


def strip_location(data: bytes) -> bytes:
    """A copy of a photo file without GPS EXIF and XMP, pixels and other metadata byte-identical.

    Args:
        data: The photo file's bytes.

    Returns:
        The cleaned copy (the same bytes when there was nothing to remove). Bytes that are not an image are
        returned unchanged.

    Examples:
        >>> strip_location(b"not a photo")
        b'not a photo'
    """
    buffer = bytearray(data)
    for start in _tiff_starts(buffer):
        try:
            _empty_gps_block(buffer, start)
        except _MalformedExifError:
            continue  # a chance match inside pixel data, or damaged EXIF: the check below decides
    _blank_xmp(buffer)
    if buffer.startswith(_PNG_SIGNATURE):
        _fix_png_checksums(buffer)
    cleaned = bytes(buffer)
    return cleaned if not has_location(cleaned) else _reencode_without_location(cleaned)


def has_location(data: bytes) -> bool:
    """True when Pillow finds a non-empty GPS block in the photo, or the file holds an XMP packet with content.

    Examples:
        >>> has_location(b"not a photo")
        False
    """
    if _xmp_spans(data):
        return True
    picture = _open(data)
    if picture is None:
        return False
    with picture:
        try:
            return bool(picture.getexif().get_ifd(GPS_IFD_TAG))
        except (OSError, ValueError, SyntaxError, struct.error):
            return True  # unreadable EXIF: assume the worst


def _open(data: bytes) -> Image.Image | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None


def _tiff_starts(buffer: bytearray) -> list[int]:
    """Offsets of TIFF headers that begin an EXIF block: after each "Exif\\0\\0", in PNG eXIf and WebP EXIF
    chunks, and at the start of a TIFF file."""
    starts = [0] if buffer[:4] in _TIFF_HEADERS else []
    for marker, skip in ((_EXIF_MARKER, 6), (b"eXIf", 4), (b"EXIF", 8)):
        position = buffer.find(marker)
        while position >= 0:
            candidate = position + skip
            if buffer[candidate:candidate + 4] in _TIFF_HEADERS:
                starts.append(candidate)
            position = buffer.find(marker, position + 1)
    return sorted(set(starts))


def _empty_gps_block(buffer: bytearray, start: int) -> None:
    """Zero the GPS IFD of the TIFF structure at ``start``: its entry count, entries and out-of-line values."""
    order = "<" if buffer[start:start + 2] == b"II" else ">"
    first_ifd = _unpack(buffer, start + 4, order + "I")
    gps_offset = None
    for tag, _type, _count, value in _entries(buffer, start, first_ifd, order):
        if tag == GPS_IFD_TAG:
            gps_offset = value
    if gps_offset is None:
        return
    entries = list(_entries(buffer, start, gps_offset, order))
    for _tag, field_type, count, value in entries:
        size = count * _TYPE_SIZES.get(field_type, 1)
        if size > 4:
            _check_range(buffer, start + value, size)
            buffer[start + value:start + value + size] = bytes(size)
    block_size = 2 + 12 * len(entries) + 4
    _check_range(buffer, start + gps_offset, block_size)
    buffer[start + gps_offset:start + gps_offset + block_size] = bytes(block_size)


def _entries(buffer: bytearray, start: int, ifd_offset: int, order: str) -> list[tuple[int, int, int, int]]:
    count = _unpack(buffer, start + ifd_offset, order + "H")
    _check_range(buffer, start + ifd_offset, 2 + 12 * count)
    entries = []
    for index in range(count):
        base = start + ifd_offset + 2 + 12 * index
        tag, field_type, value_count = struct.unpack_from(order + "HHI", buffer, base)
        inline = buffer[base + 8:base + 12]
        value = struct.unpack(order + "I", inline)[0]
        entries.append((tag, field_type, value_count, value))
    return entries


def _unpack(buffer: bytearray, offset: int, layout: str) -> int:
    _check_range(buffer, offset, struct.calcsize(layout))
    value: int = struct.unpack_from(layout, buffer, offset)[0]
    return value


def _check_range(buffer: bytearray, offset: int, size: int) -> None:
    if offset < 0 or size < 0 or offset + size > len(buffer):
        raise _MalformedExifError(f"EXIF offset {offset}+{size} outside the {len(buffer)}-byte file")


def _xmp_spans(data: bytes | bytearray) -> list[tuple[int, int]]:
    spans = []
    position = data.find(_XMP_START)
    while position >= 0:
        end = data.find(_XMP_END, position)
        if end < 0:
            break
        spans.append((position, end + len(_XMP_END)))
        position = data.find(_XMP_START, end)
    return spans


def _blank_xmp(buffer: bytearray) -> None:
    for begin, end in _xmp_spans(buffer):
        buffer[begin:end] = b" " * (end - begin)


def _fix_png_checksums(buffer: bytearray) -> None:
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(buffer):
        length = struct.unpack_from(">I", buffer, position)[0]
        end = position + 8 + length
        if end + 4 > len(buffer):
            return
        struct.pack_into(">I", buffer, end, zlib.crc32(buffer[position + 4:end]))
        position = end + 4


def _reencode_without_location(data: bytes) -> bytes:
    picture = _open(data)
    if picture is None:
        return data
    with picture:
        exif = picture.getexif()
        exif.pop(GPS_IFD_TAG, None)
        output = io.BytesIO()
        options: dict[str, object] = {"exif": exif.tobytes()}
        if picture.format == "JPEG":
            options |= {"quality": "keep", "subsampling": "keep", "qtables": "keep"}
        icc = picture.info.get("icc_profile")
        if icc:
            options["icc_profile"] = icc
        picture.save(output, format=picture.format or "PNG", **options)
    return output.getvalue()
