"""Remove where a photo was taken from a copy of its file, before the copy leaves the program.

Phones and photo apps record the place of a photo in three ways: the EXIF GPS block (IFD 0x8825), an XMP
packet (which can repeat the GPS position and add city and place names) and IPTC records (city, sublocation,
province or state, country and its code, content location). :func:`strip_location` removes all three in place:

- the GPS block's entries and values become zero bytes (IFD0 keeps a pointer to an empty block), in every EXIF
  block of the file, the embedded preview, multi-picture images and a Photoshop block's EXIF included;
- every XMP packet is blanked with spaces, which the XMP standard allows as padding: a packet found by its
  ``x:xmpmeta``, ``rdf:RDF`` or ``<?xpacket`` markers, a JPEG XMP or extended-XMP segment, a WebP ``XMP``
  chunk, a TIFF XMP tag, and a PNG XMP or raw-profile text chunk, compressed ones included (a compressed
  chunk becomes an uncompressed one of blanks of the same length);
- the IPTC location records (in a Photoshop ``8BIM`` block or a TIFF IPTC tag) keep their length and become
  spaces.

Nothing moves: the copy has the same length as the original, the compressed pixels and every other metadata byte
(orientation, colour profile, camera, capture time, caption, maker notes) stay identical. This works for JPEG,
PNG (its chunk checksums are recomputed), WebP, HEIC and TIFF alike.

A file whose GPS block cannot be located this way (damaged EXIF) is re-encoded by Pillow without GPS and
XMP, as the last resort: the location goes, and only then can the pixels change.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib

from PIL import Image, UnidentifiedImageError

from progress.pictures import open_picture

__all__ = ["GPS_IFD_TAG", "IPTC_LOCATION_DATASETS", "has_location", "strip_location"]

GPS_IFD_TAG = 0x8825
"""EXIF tag of the pointer from IFD0 to the GPS block."""

_EXIF_MARKER = b"Exif\x00\x00"
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
_XMP_MARKERS = (
    (b"<?xpacket begin", b"<?xpacket end"),
    (b"<x:xmpmeta", b"</x:xmpmeta>"),
    (b"<x:xapmeta", b"</x:xapmeta>"),
    (b"<rdf:RDF", b"</rdf:RDF>"),
)
"""Start and end of an XMP packet, with or without its ``xpacket`` and ``x:xmpmeta`` wrappers."""
_XPACKET = re.compile(rb"<\?xpacket[^>]*\?>")
_JPEG_XMP_HEADERS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_PNG_LOCATION_KEYWORDS = (
    b"XML:com.adobe.xmp",
    b"Raw profile type xmp",
    b"Raw profile type iptc",
    b"Raw profile type 8bim",
    b"Raw profile type APP1",
)
_IRB_SIGNATURE = b"8BIM"
_PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
_IRB_IPTC, _IRB_EXIF, _IRB_XMP = 0x0404, 0x0422, 0x0424
_TIFF_XMP_TAG, _TIFF_IPTC_TAG, _TIFF_PHOTOSHOP_TAG = 700, 33723, 34377
IPTC_LOCATION_DATASETS = frozenset({26, 27, 90, 92, 95, 100, 101})
"""IPTC IIM record 2 datasets that say where: content location code and name, city, sublocation,
province/state, country code, country name."""
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
    _clean_photoshop_blocks(buffer)
    _blank_container_xmp(buffer)
    _blank_xmp(buffer)
    if buffer.startswith(_PNG_SIGNATURE):
        _clean_png_text(buffer)
        _fix_png_checksums(buffer)
    cleaned = bytes(buffer)
    return cleaned if not has_location(cleaned) else _reencode_without_location(cleaned)


def has_location(data: bytes) -> bool:
    """True when Pillow finds a non-empty GPS block in the photo, the file holds an XMP packet with content (in the
    clear, or in a compressed PNG chunk), or an IPTC location record that is not blank.

    Examples:
        >>> has_location(b"not a photo")
        False
    """
    buffer = bytearray(data)
    if (
        any(_has_content(data[begin:end]) for begin, end in _xmp_spans(data))
        or _container_xmp_has_content(buffer)
        or _iptc_location(buffer)
        or _photoshop_gps(buffer)
    ):
        return True
    if buffer.startswith(_PNG_SIGNATURE) and _png_location_chunks(buffer):
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
            return open_picture(data, None)
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
            if buffer[candidate : candidate + 4] in _TIFF_HEADERS:
                starts.append(candidate)
            position = buffer.find(marker, position + 1)
    return sorted(set(starts))


def _empty_gps_block(buffer: bytearray, start: int) -> None:
    """Zero the GPS IFD of the TIFF structure at ``start``: its entry count, entries and out-of-line values."""
    order = "<" if buffer[start : start + 2] == b"II" else ">"
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
            buffer[start + value : start + value + size] = bytes(size)
    block_size = 2 + 12 * len(entries) + 4
    _check_range(buffer, start + gps_offset, block_size)
    buffer[start + gps_offset : start + gps_offset + block_size] = bytes(block_size)


def _entries(buffer: bytearray, start: int, ifd_offset: int, order: str) -> list[tuple[int, int, int, int]]:
    count = _unpack(buffer, start + ifd_offset, order + "H")
    _check_range(buffer, start + ifd_offset, 2 + 12 * count)
    entries = []
    for index in range(count):
        base = start + ifd_offset + 2 + 12 * index
        tag, field_type, value_count = struct.unpack_from(order + "HHI", buffer, base)
        inline = buffer[base + 8 : base + 12]
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
    """Where XMP packets are, by their markers: each wrapper level separately (they may be nested or missing)."""
    spans = []
    for start_marker, end_marker in _XMP_MARKERS:
        position = data.find(start_marker)
        while position >= 0:
            end = data.find(end_marker, position)
            if end < 0:
                break
            close = data.find(b"?>", end) + 2 if end_marker.startswith(b"<?") else end + len(end_marker)
            if close < 2:
                break
            spans.append((position, close))
            position = data.find(start_marker, close)
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
        struct.pack_into(">I", buffer, end, zlib.crc32(buffer[position + 4 : end]))
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


# ---------------------------------------------------------------------------------------------------------------
# XMP in its containers, IPTC records, PNG text chunks


def _jpeg_segments(buffer: bytearray) -> list[tuple[int, int, int]]:
    """(marker, payload start, payload end) of a JPEG's segments before its first scan."""
    segments: list[tuple[int, int, int]] = []
    if not buffer.startswith(b"\xff\xd8"):
        return segments
    position = 2
    while position + 4 <= len(buffer) and buffer[position] == 0xFF:
        marker = buffer[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        if marker in (0xDA, 0xD9):
            break
        length = struct.unpack_from(">H", buffer, position + 2)[0]
        end = position + 2 + length
        if length < 2 or end > len(buffer):
            break
        segments.append((marker, position + 4, end))
        position = end
    return segments


def _riff_chunks(buffer: bytearray) -> list[tuple[bytes, int, int]]:
    """(four-character code, data start, data end) of a WebP file's chunks."""
    chunks: list[tuple[bytes, int, int]] = []
    if not (buffer.startswith(b"RIFF") and buffer[8:12] == b"WEBP"):
        return chunks
    position = 12
    while position + 8 <= len(buffer):
        size = struct.unpack_from("<I", buffer, position + 4)[0]
        end = position + 8 + size
        if end > len(buffer):
            break
        chunks.append((bytes(buffer[position : position + 4]), position + 8, end))
        position = end + (size & 1)
    return chunks


def _tiff_field_spans(buffer: bytearray, tags: frozenset[int]) -> list[tuple[int, int, int]]:
    """(tag, value start, value end) of the given tags in a TIFF file's first IFD."""
    if buffer[:4] not in _TIFF_HEADERS:
        return []
    order = "<" if buffer[:2] == b"II" else ">"
    spans = []
    try:
        first_ifd = _unpack(buffer, 4, order + "I")
        for index, (tag, field_type, count, value) in enumerate(_entries(buffer, 0, first_ifd, order)):
            if tag not in tags:
                continue
            size = count * _TYPE_SIZES.get(field_type, 1)
            begin = first_ifd + 2 + 12 * index + 8 if size <= 4 else value
            _check_range(buffer, begin, size)
            spans.append((tag, begin, begin + size))
    except _MalformedExifError:
        return spans
    return spans


def _container_xmp_payloads(buffer: bytearray) -> list[tuple[int, int]]:
    """Where XMP is by its container, whatever its markers: JPEG XMP and extended-XMP segments, a WebP ``XMP``
    chunk, a TIFF XMP tag, a Photoshop block's XMP resource."""
    payloads = []
    for marker, begin, end in _jpeg_segments(buffer):
        for header in _JPEG_XMP_HEADERS if marker == 0xE1 else ():
            if buffer.startswith(header, begin):
                skip = len(header) + (40 if header == _JPEG_XMP_HEADERS[1] else 0)  # GUID, length, offset
                payloads.append((min(begin + skip, end), end))
    payloads += [(begin, end) for code, begin, end in _riff_chunks(buffer) if code == b"XMP "]
    payloads += [(begin, end) for resource, begin, end in _photoshop_resources(buffer) if resource == _IRB_XMP]
    payloads += [(begin, end) for _tag, begin, end in _tiff_field_spans(buffer, frozenset({_TIFF_XMP_TAG}))]
    return payloads


def _blank_container_xmp(buffer: bytearray) -> None:
    for begin, end in _container_xmp_payloads(buffer):
        buffer[begin:end] = b" " * (end - begin)


def _container_xmp_has_content(buffer: bytearray) -> bool:
    return any(_has_content(buffer[begin:end]) for begin, end in _container_xmp_payloads(buffer))


def _has_content(packet: bytes | bytearray) -> bool:
    """True when an XMP packet holds more than blanks and its ``<?xpacket …?>`` wrapper (an empty packet, or one
    another program blanked, says nothing).

    Examples:
        >>> _has_content(b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>   <?xpacket end="w"?>')
        False
    """
    return bool(_XPACKET.sub(b"", bytes(packet)).strip(b" \t\r\n\x00"))


def _photoshop_resources(buffer: bytearray) -> list[tuple[int, int, int]]:
    """(resource id, data start, data end) of the Photoshop image resources ("8BIM" blocks) of a JPEG's APP13
    segments and a TIFF's Photoshop tag, walked in order (never searched for in pixel data)."""
    regions = [
        (begin + len(_PHOTOSHOP_HEADER), end)
        for marker, begin, end in _jpeg_segments(buffer)
        if marker == 0xED and buffer.startswith(_PHOTOSHOP_HEADER, begin)
    ]
    regions += [(begin, end) for _tag, begin, end in _tiff_field_spans(buffer, frozenset({_TIFF_PHOTOSHOP_TAG}))]
    resources = []
    for position, region_end in regions:
        while position + 12 <= region_end and buffer.startswith(_IRB_SIGNATURE, position):
            resource = struct.unpack_from(">H", buffer, position + 4)[0]
            name_length = buffer[position + 6] + 1
            size_at = position + 6 + name_length + (name_length & 1)
            if size_at + 4 > region_end:
                break
            size = struct.unpack_from(">I", buffer, size_at)[0]
            data_end = size_at + 4 + size
            if data_end > region_end:
                break
            resources.append((resource, size_at + 4, data_end))
            position = data_end + (size & 1)
    return resources


def _iim_location_spans(buffer: bytearray, begin: int, end: int) -> list[tuple[int, int]]:
    """The values of the IPTC IIM location datasets (record 2) between ``begin`` and ``end``."""
    spans = []
    position = begin
    while position + 5 <= end and buffer[position] == 0x1C:
        record, dataset = buffer[position + 1], buffer[position + 2]
        length = struct.unpack_from(">H", buffer, position + 3)[0]
        header = 5
        if length & 0x8000:  # extended dataset: the next (length & 0x7FFF) bytes hold the length
            width = length & 0x7FFF
            length = int.from_bytes(buffer[position + 5 : position + 5 + width], "big")
            header += width
        value = position + header
        if value + length > end:
            break
        if record == 2 and dataset in IPTC_LOCATION_DATASETS:
            spans.append((value, value + length))
        position = value + length
    return spans


def _iptc_spans(buffer: bytearray) -> list[tuple[int, int]]:
    spans = []
    for resource, begin, end in _photoshop_resources(buffer):
        if resource == _IRB_IPTC:
            spans += _iim_location_spans(buffer, begin, end)
    for _tag, begin, end in _tiff_field_spans(buffer, frozenset({_TIFF_IPTC_TAG})):
        spans += _iim_location_spans(buffer, begin, end)
    return spans


def _iptc_location(buffer: bytearray) -> bool:
    return any(bytes(buffer[begin:end]).strip(b" \x00") for begin, end in _iptc_spans(buffer))


def _clean_photoshop_blocks(buffer: bytearray) -> None:
    """Blank the IPTC location records of Photoshop blocks and empty the GPS of their EXIF (their XMP is blanked
    by :func:`_blank_container_xmp`)."""
    for begin, end in _iptc_spans(buffer):
        buffer[begin:end] = b" " * (end - begin)
    for resource, begin, _end in _photoshop_resources(buffer):
        if resource == _IRB_EXIF and buffer[begin : begin + 4] in _TIFF_HEADERS:
            try:
                _empty_gps_block(buffer, begin)
            except _MalformedExifError:
                continue


def _photoshop_gps(buffer: bytearray) -> bool:
    """True when a Photoshop block's EXIF has a GPS block with entries (or cannot be read: assume the worst)."""
    for resource, begin, _end in _photoshop_resources(buffer):
        if resource != _IRB_EXIF or buffer[begin : begin + 4] not in _TIFF_HEADERS:
            continue
        order = "<" if buffer[begin : begin + 2] == b"II" else ">"
        try:
            for tag, _type, _count, value in _entries(buffer, begin, _unpack(buffer, begin + 4, order + "I"), order):
                if tag == GPS_IFD_TAG and _unpack(buffer, begin + value, order + "H"):
                    return True
        except _MalformedExifError:
            return True
    return False


def _png_location_chunks(buffer: bytearray) -> list[tuple[int, int, int]]:
    """(type offset, text start, data end) of PNG text chunks holding XMP or a raw IPTC/XMP/8BIM profile with
    content (a compressed one always counts)."""
    found = []
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(buffer):
        length = struct.unpack_from(">I", buffer, position)[0]
        kind = bytes(buffer[position + 4 : position + 8])
        begin, end = position + 8, position + 8 + length
        if end + 4 > len(buffer):
            break
        if kind in _PNG_TEXT_CHUNKS:
            separator = buffer.find(b"\x00", begin, end)
            keyword = bytes(buffer[begin:separator]).lower() if separator >= 0 else b""
            if keyword in {known.lower() for known in _PNG_LOCATION_KEYWORDS}:
                text = bytes(buffer[separator + 1 : end])
                compressed = kind == b"zTXt" or (kind == b"iTXt" and text[:1] == b"\x01")
                if kind == b"iTXt":  # after the flag, the method, the language and the translated keyword
                    text = text[2:].split(b"\x00", 2)[-1]
                if compressed or _has_content(text):
                    found.append((position + 4, separator + 1, end))
        position = end + 4
    return found


def _clean_png_text(buffer: bytearray) -> None:
    """Blank PNG XMP and raw-profile text chunks: ``tEXt`` text becomes spaces, a ``zTXt`` becomes a ``tEXt`` of
    spaces, an ``iTXt`` becomes an uncompressed one of spaces (with no language), all of the same length."""
    for kind_at, text, end in _png_location_chunks(buffer):
        kind = bytes(buffer[kind_at : kind_at + 4])
        if kind == b"zTXt":
            buffer[kind_at : kind_at + 4] = b"tEXt"
        if kind == b"iTXt" and end - text >= 4:
            buffer[text : text + 4] = bytes(4)  # not compressed, method 0, no language, no translated keyword
            text += 4
        buffer[text:end] = b" " * (end - text)
