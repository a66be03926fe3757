"""Location removal beyond the EXIF GPS block (issue 12, item 5): XMP without its ``x:xmpmeta`` wrapper, XMP in a
compressed PNG chunk, extended XMP in a JPEG, and IPTC location records, in JPEG, PNG, WebP and TIFF files made
with Pillow. Every cleaned copy keeps its length, its pixels and its other metadata."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, IptcImagePlugin, PngImagePlugin

from progress.location import IPTC_LOCATION_DATASETS, has_location, strip_location

PLACE = (
    b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:GPSLatitude="48,51.408N" '
    b'exif:GPSLongitude="2,21.054E" photoshop:City="Paris"/>'
)
RDF = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + PLACE + b"</rdf:RDF>"
PACKET_WITHOUT_XMPMETA = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>' + RDF + b'<?xpacket end="w"?>'
LOCATION_WORDS = (b"GPSLatitude", b"GPSLongitude", b"Paris", b"Montmartre", b"Ile-de-France", b"FRA", b"France")
IPTC_LOCATION = {90: b"Paris", 92: b"Montmartre", 95: b"Ile-de-France", 100: b"FRA", 101: b"France", 27: b"Sacre-Coeur"}
IPTC_KEPT = {120: b"Session 3, front view", 80: b"Practitioner"}


def noise() -> Image.Image:
    return Image.fromarray(np.random.default_rng(4).integers(0, 256, (32, 48, 3), dtype=np.uint8))


def encoded(format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    noise().save(buffer, format=format, **options)
    return buffer.getvalue()


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def iim(datasets: dict[int, bytes]) -> bytes:
    """IPTC IIM record 2 datasets (the record version first)."""
    records = [(0, b"\x00\x04"), *datasets.items()]
    return b"".join(b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value for number, value in records)


def with_app13(jpeg: bytes, records: bytes) -> bytes:
    """The JPEG with a Photoshop APP13 segment holding an IPTC resource, right after its SOI marker."""
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(records)) + records + b"\x00" * (len(records) & 1)
    payload = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    return jpeg[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def iptc_of(data: bytes) -> dict[int, bytes]:
    with Image.open(io.BytesIO(data)) as picture:
        info = IptcImagePlugin.getiptcinfo(picture) or {}
    return {dataset: value for (record, dataset), value in info.items() if record == 2 and isinstance(value, bytes)}


def assert_cleaned_in_place(original: bytes) -> bytes:
    """Location gone, same length, same pixels, stable; returns the cleaned copy."""
    assert has_location(original)
    cleaned = strip_location(original)
    assert not has_location(cleaned) and len(cleaned) == len(original)
    assert [word for word in LOCATION_WORDS if word in cleaned] == []
    assert np.array_equal(pixels(cleaned), pixels(original)) and strip_location(cleaned) == cleaned
    return cleaned


@pytest.mark.parametrize("packet", [PACKET_WITHOUT_XMPMETA, RDF], ids=["xpacket-without-xmpmeta", "bare-rdf"])
@pytest.mark.parametrize("format", ["JPEG", "WEBP", "PNG", "TIFF"])
def test_xmp_without_its_xmpmeta_wrapper_is_blanked(format: str, packet: bytes) -> None:
    options: dict[str, object] = {"xmp": packet} if format in ("JPEG", "WEBP") else {}
    if format == "WEBP":
        options["lossless"] = True
    if format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode())
        options["pnginfo"] = info
    if format == "TIFF":
        options["tiffinfo"] = {700: packet}
    original = encoded(format, **options)
    assert packet in original
    assert_cleaned_in_place(original)


def test_xmp_without_any_marker_in_a_jpeg_segment_and_extended_xmp_are_blanked() -> None:
    base = encoded("JPEG", quality=90)
    plain = with_segment(base, 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + PLACE)
    extended = with_segment(
        base, 0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32 + struct.pack(">II", 4000, 2000) + PLACE[40:]
    )
    for original in (plain, extended):
        cleaned = assert_cleaned_in_place(original)
        assert cleaned.startswith(original[: 2 + 4 + 29])  # the segment and its header stay


@pytest.mark.parametrize("chunk", ["iTXt-compressed", "iTXt", "zTXt-raw-profile", "tEXt-raw-profile"])
def test_xmp_in_a_compressed_png_chunk_is_blanked_and_the_png_stays_valid(chunk: str) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "keep me")
    packet = PACKET_WITHOUT_XMPMETA.decode()
    if chunk.startswith("iTXt"):
        info.add_itxt("XML:com.adobe.xmp", packet, lang="en", zip=chunk == "iTXt-compressed")
    else:  # ImageMagick's hex-encoded profile
        info.add_text(
            "Raw profile type xmp", f"\nxmp\n{len(packet)}\n{packet.encode().hex()}\n", zip=chunk.startswith("zTXt")
        )
    original = encoded("PNG", pnginfo=info)
    if chunk == "iTXt-compressed":
        assert b"GPSLatitude" not in original and b"iTXt" in original
    cleaned = assert_cleaned_in_place(original)
    with Image.open(io.BytesIO(cleaned)) as picture:
        picture.load()  # the chunk checksums are right
        assert isinstance(picture, PngImagePlugin.PngImageFile)
        assert picture.text["Comment"] == "keep me"
        assert {key: value.strip() for key, value in picture.text.items() if key != "Comment"} == {
            key: "" for key in picture.text if key != "Comment"
        }


def test_iptc_location_records_in_a_jpeg_are_blanked_and_the_others_kept() -> None:
    original = with_app13(encoded("JPEG", quality=90), iim(IPTC_LOCATION | IPTC_KEPT))
    assert iptc_of(original) == {0: b"\x00\x04"} | IPTC_LOCATION | IPTC_KEPT
    cleaned = assert_cleaned_in_place(original)
    assert iptc_of(cleaned) == {0: b"\x00\x04"} | IPTC_KEPT | {
        dataset: b" " * len(value) for dataset, value in IPTC_LOCATION.items()
    }
    assert set(IPTC_LOCATION) <= IPTC_LOCATION_DATASETS


def test_iptc_location_records_in_a_tiff_tag_are_blanked() -> None:
    original = encoded("TIFF", tiffinfo={33723: iim(IPTC_LOCATION | IPTC_KEPT)})
    cleaned = assert_cleaned_in_place(original)
    assert b"Session 3, front view" in cleaned and b"Practitioner" in cleaned


def test_iptc_without_a_place_is_not_location_and_is_left_alone() -> None:
    original = with_app13(encoded("JPEG", quality=90), iim(IPTC_KEPT))
    assert not has_location(original) and strip_location(original) == original


def test_a_photoshop_blocks_exif_gps_and_xmp_are_removed() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.5), 3: "E", 4: (2.0, 21.0, 3.25)})
    tiff = exif.tobytes()[6:]  # without "Exif\0\0": a Photoshop block holds the TIFF structure alone
    resources = b"".join(
        b"8BIM"
        + struct.pack(">H", resource)
        + b"\x00\x00"
        + struct.pack(">I", len(data))
        + data
        + b"\x00" * (len(data) & 1)
        for resource, data in ((0x0422, tiff), (0x0424, PLACE))
    )
    payload = b"Photoshop 3.0\x00" + resources
    original = with_segment(encoded("JPEG", quality=90), 0xED, payload)
    cleaned = assert_cleaned_in_place(original)
    block = cleaned.index(b"8BIM\x04\x22") + 12
    kept = Image.Exif()
    kept.load(b"Exif\x00\x00" + cleaned[block : block + len(tiff)])
    assert kept[0x010F] == "PhoneMaker" and kept.get_ifd(0x8825) == {}


SHARED_FACES = Path(__file__).resolve().parents[2] / "shared" / "faces"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


@pytest.mark.slow
def test_real_photos_lose_their_place_and_keep_every_pixel() -> None:
    """The public photos in ../shared/faces (press photos among them carry IPTC city, state and country)."""
    photos = sorted(path for path in SHARED_FACES.rglob("*") if path.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        pytest.skip(f"no photos under {SHARED_FACES}")
    with_iptc_place = 0
    for path in photos:
        original = path.read_bytes()
        cleaned = strip_location(original)
        with_iptc_place += any(iptc_of(original).get(dataset, b"").strip() for dataset in IPTC_LOCATION_DATASETS)
        assert not has_location(cleaned) and len(cleaned) == len(original), path.name
        assert np.array_equal(pixels(cleaned), pixels(original)), path.name
        assert not any(iptc_of(cleaned).get(dataset, b"").strip() for dataset in IPTC_LOCATION_DATASETS), path.name
    if (SHARED_FACES / "face_recognition_examples" / "biden.jpg").exists():
        assert with_iptc_place >= 1
