"""Importing hostile or damaged client exports: each is imported well-formed or refused with a typed error, and a
refusal leaves no row and no file. On SQLite always, on PostgreSQL when ``PROGRESS_TEST_POSTGRES_URL`` is set.

Every hostile zip is made from one real export (two sessions, three photos, a failed and two successful
analyses) by changing one thing: the zip's structure (encryption, compression method, links, names, sizes,
duplicates, member count, expansion) or one value of ``client.json``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import math
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy
from helpers import postgres_url, stored_result
from PIL import Image

from progress.analysis import PhotoResult
from progress.archive_schema import MAX_JSON_BYTES, MAX_MEMBERS
from progress.errors import ArchiveError, InvalidExportError, NoFaceError, ProgressError, UnsafeArchiveError
from progress.quality import Status
from progress.store import Store, View

POSTGRES_URL = postgres_url()
TABLES = ("analyses", "photos", "photo_contents", "sessions", "clients")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            POSTGRES_URL is None,
            reason="PROGRESS_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against (.ci/run starts one)",
        ),
    ),
]
Document = dict[str, Any]


# ---------------------------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store with photos in files (so that a refusal's leftover files would show)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    with Store(url, data_folder=tmp_path / "data", photos_in_database=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real export: two sessions, three photos, analyses that succeeded and one that failed."""
    folder = tmp_path_factory.mktemp("source")
    with Store(f"sqlite:///{folder / 'source.sqlite3'}", data_folder=folder) as source:
        client = source.create_client("A-017", birth_year=1975, skin_notes="dry", consent_clinical=True)
        first = source.add_session(client.id, day=date(2024, 1, 5), treatment_notes="ST6")
        second = source.add_session(client.id, day=date(2024, 2, 9))
        photos = [
            source.add_photo(first.id, jpeg(1), filename="IMG_1.jpg"),
            source.add_photo(first.id, jpeg(2), filename="IMG_2.jpg", captured_at=datetime(2024, 1, 5, 9)),
            source.add_photo(second.id, jpeg(3), filename="IMG_3.jpg", view=View.LEFT),
        ]
        source.save_analysis(photos[0].id, stored_result(0.5), "1.0")
        source.save_analysis(photos[1].id, PhotoResult(path="x.jpg", error=NoFaceError("No face found.")), "1.0")
        source.save_analysis(photos[2].id, stored_result(0.25), "1.0")
        return source.export_client(client.id)


def jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def members(archive_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def document_of(archive_bytes: bytes) -> Document:
    loaded: Document = json.loads(members(archive_bytes)["client.json"])
    return loaded


def rebuilt(contents: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``contents``; photos stored as they are (as exports do), the rest compressed with ``compression``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data, zipfile.ZIP_STORED if name.startswith("photos/") else compression)
    return buffer.getvalue()


def with_document(archive_bytes: bytes, document: Document | bytes) -> bytes:
    contents = members(archive_bytes)
    contents["client.json"] = document if isinstance(document, bytes) else json.dumps(document).encode()
    return rebuilt(contents)


def patched(archive_bytes: bytes, name: str, **fields: int) -> bytes:
    """The zip with raw header fields of one member changed, in its local header and its directory entry:
    ``flags``, ``method``, ``compressed``, ``size``, ``external`` (directory only)."""
    data = bytearray(archive_bytes)
    encoded = name.encode()
    local_layout = {"flags": (6, "<H"), "method": (8, "<H"), "compressed": (18, "<I"), "size": (22, "<I")}
    central_layout = {
        "flags": (8, "<H"),
        "method": (10, "<H"),
        "compressed": (20, "<I"),
        "size": (24, "<I"),
        "external": (38, "<I"),
    }
    for signature, layout, name_at in ((b"PK\x03\x04", local_layout, 30), (b"PK\x01\x02", central_layout, 46)):
        position = data.find(signature)
        while position >= 0:
            length = struct.unpack_from("<H", data, position + name_at - (4 if signature == b"PK\x03\x04" else 18))[0]
            if data[position + name_at : position + name_at + length] == encoded:
                for field, value in fields.items():
                    if field in layout:
                        offset, form = layout[field]
                        struct.pack_into(form, data, position + offset, value)
            position = data.find(signature, position + 1)
    return bytes(data)


@functools.lru_cache(maxsize=2)
def engine_of(url: str) -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)


def nothing_stored(store: Store) -> bool:
    with engine_of(store.url).connect() as connection:
        counts = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() for table in TABLES]
    files = [path for path in (store.data_folder / "photos").rglob("*") if path.is_file()]
    return counts == [0] * len(TABLES) and files == []


def import_or_refuse(store: Store, archive_bytes: bytes) -> ProgressError | None:
    """Import; a success must read back whole (every analysis as a PhotoResult, an export again) and is then
    deleted; a refusal must be an ArchiveError and leave nothing. Returns the refusal, or None."""
    try:
        client = store.import_client(archive_bytes)
    except ArchiveError as error:
        assert nothing_stored(store), f"a refused import left rows or files: {error}"
        assert "Traceback" not in str(error) and str(error)
        return error
    read_back(store, client.id)
    store.delete_client(client.id)
    assert nothing_stored(store)
    return None


def read_back(store: Store, client_id: int) -> None:
    client = store.client(client_id)
    assert isinstance(client.consent_marketing, bool) and isinstance(client.consent_clinical, bool)
    for session in store.sessions(client_id):
        assert isinstance(session.number, int) and isinstance(session.day, date)
        for photo in store.photos(session.id):
            assert store.photo_bytes(photo.id)
            assert all(check["status"] in tuple(Status) for check in photo.checks)
            for analysis in store.analyses(photo.id):
                analysis.to_photo_result()
    assert store.export_client(client_id)


# ---------------------------------------------------------------------------------------------------------------
# The zip's structure


def duplicated(export: bytes) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        for name, data in members(export).items():
            archive.writestr(name, data)
        archive.writestr("client.json", b"{}")
    return buffer.getvalue()


def with_member(export: bytes, name: str, data: bytes = b"x") -> bytes:
    return rebuilt(members(export) | {name: data})


def bomb(_export: bytes) -> bytes:
    """51 KB that would unpack into 50 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("client.json", b"{}")
        archive.writestr("photos/session-001/01-bomb.jpg", bytes(50 * 1024 * 1024))
    assert len(buffer.getvalue()) < 60_000
    return buffer.getvalue()


def many_members(export: bytes) -> bytes:
    return rebuilt(
        members(export) | {f"extra/{index}": b"" for index in range(MAX_MEMBERS + 1)}, compression=zipfile.ZIP_STORED
    )


def huge_json(export: bytes) -> bytes:
    """A client.json over the limit: valid JSON followed by spaces."""
    return with_document(export, members(export)["client.json"] + b" " * (MAX_JSON_BYTES + 1))


def flipped_deflate(export: bytes) -> bytes:
    """client.json's compressed bytes damaged (zlib.error or a bad CRC while reading)."""
    data = bytearray(export)
    with zipfile.ZipFile(io.BytesIO(export)) as archive:
        info = archive.getinfo("client.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start, start + min(info.compress_size, 40)):
        data[offset] ^= 0x5A
    return bytes(data)


def first_photo(export: bytes) -> str:
    return str(document_of(export)["sessions"][0]["photos"][0]["file"])


def stored_size(export: bytes, name: str) -> int:
    with zipfile.ZipFile(io.BytesIO(export)) as archive:
        return archive.getinfo(name).file_size


STRUCTURES: dict[str, tuple[Callable[[bytes], bytes], type[ArchiveError]]] = {
    "not a zip": (lambda export: b"plain bytes, not a zip", ArchiveError),
    "truncated zip": (lambda export: export[: len(export) // 2], ArchiveError),
    "no client.json": (lambda export: rebuilt({"readme.txt": b"hello"}), ArchiveError),
    "client.json damaged (zlib)": (flipped_deflate, ArchiveError),
    "encrypted member": (lambda export: patched(export, "client.json", flags=0x1), UnsafeArchiveError),
    "compression method 99": (lambda export: patched(export, "client.json", method=99), UnsafeArchiveError),
    "lzma member": (lambda export: patched(export, "client.json", method=zipfile.ZIP_LZMA), UnsafeArchiveError),
    "symlink member": (
        lambda export: patched(export, first_photo(export), external=0o120777 << 16),
        UnsafeArchiveError,
    ),
    "zip-slip ../": (lambda export: with_member(export, "../../etc/evil.jpg"), UnsafeArchiveError),
    "zip-slip absolute": (lambda export: with_member(export, "/etc/evil.jpg"), UnsafeArchiveError),
    "zip-slip backslash": (lambda export: with_member(export, "..\\..\\evil.jpg"), UnsafeArchiveError),
    "zip-slip drive": (lambda export: with_member(export, "C:/evil.jpg"), UnsafeArchiveError),
    "duplicate member": (duplicated, UnsafeArchiveError),
    "size bomb": (bomb, UnsafeArchiveError),
    "too many members": (many_members, UnsafeArchiveError),
    "huge client.json": (huge_json, UnsafeArchiveError),
    "photo smaller than its directory says": (
        lambda export: patched(
            export,
            first_photo(export),
            size=stored_size(export, first_photo(export)) - 7,
            compressed=stored_size(export, first_photo(export)) - 7,
        ),
        ArchiveError,
    ),
    "stored photo whose sizes disagree": (
        lambda export: patched(export, first_photo(export), size=stored_size(export, first_photo(export)) + 7),
        UnsafeArchiveError,
    ),
    "deflated size beyond what deflate can make": (
        lambda export: patched(export, "client.json", size=2**31),
        UnsafeArchiveError,
    ),
    "deep nesting": (
        lambda export: with_document(
            export,
            b'{"format": "progress-client-export", "version": 1, "client": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ),
        InvalidExportError,
    ),
    "not UTF-8": (lambda export: with_document(export, b'{"format": "\xff"}'), InvalidExportError),
}


@pytest.mark.parametrize("family", list(STRUCTURES))
def test_hostile_zip_structures_are_refused_typed_and_store_nothing(family: str, export: bytes, tmp_path: Path) -> None:
    build, expected = STRUCTURES[family]
    with Store(f"sqlite:///{tmp_path / 'records.sqlite3'}", data_folder=tmp_path / "data") as store:
        refusal = import_or_refuse(store, build(export))
    assert isinstance(refusal, expected), f"{family}: {refusal!r}"


def test_the_unchanged_export_imports_and_reads_back(store: Store, export: bytes) -> None:
    assert import_or_refuse(store, export) is None


# ---------------------------------------------------------------------------------------------------------------
# client.json's values


def at(document: Document, path: tuple[str | int, ...]) -> Any:
    node: Any = document
    for key in path:
        node = node[key]
    return node


def changed(export: bytes, path: tuple[str | int, ...], value: Any) -> bytes:
    document = copy.deepcopy(document_of(export))
    at(document, path[:-1])[path[-1]] = value
    return with_document(export, json.dumps(document, allow_nan=True).encode())


PHOTO = ("sessions", 0, "photos", 0)
FAILED = ("sessions", 0, "photos", 1, "analyses", 0, "result")
RESULT = (*PHOTO, "analyses", 0, "result")
NAMED_CASES: dict[str, tuple[tuple[str | int, ...], Any]] = {
    "checks as a string": ((*PHOTO, "checks"), "pass"),
    "a check with an unknown status": ((*PHOTO, "checks", 0, "status"), "fine"),
    "an analysis's check with an unknown status": ((*RESULT, "checks", 0, "status"), "fine"),
    "a result as a list": ((*PHOTO, "analyses", 0, "result"), []),
    "a metric {$float: x}": ((*RESULT, "metrics", "skin.redness.cheek_left"), {"$float": "x"}),
    "an error without a message": ((*FAILED, "error"), {"type": "no_face"}),
    "consent_marketing 'false'": (("client", "consent_marketing"), "false"),
    "a session day in year 1": (("sessions", 0, "day"), "0001-01-01"),
    "a session day in year 9999": (("sessions", 0, "day"), "9999-12-31"),
    "a created_at in year 1": (("client", "created_at"), "0001-01-01T00:00:00+00:00"),
    "a created_at in year 9999": (("client", "created_at"), "9999-12-31T23:59:59-12:00"),
    "a session number of Infinity": (("sessions", 0, "number"), math.inf),
    "a session number of NaN": (("sessions", 0, "number"), math.nan),
    "a session number of 2**40": (("sessions", 0, "number"), 2**40),
    "a name over 200 characters": (("client", "name"), "N" * 201),
    "a NUL in the notes": (("client", "skin_notes"), "dry\x00"),
    "a file name over 255 characters": ((*PHOTO, "filename"), "x" * 256 + ".jpg"),
    "an unknown view": ((*PHOTO, "view"), "top"),
    "a photo file outside the zip": ((*PHOTO, "file"), "../client.json"),
    "a photo file used twice": ((*PHOTO, "file"), "photos/session-001/02-IMG_2.jpg"),
    "a wrong hash": ((*PHOTO, "sha256"), "0" * 64),
    "an aware capture time": ((*PHOTO, "captured_at"), "2024-01-05T09:00:00+02:00"),
    "a face with an extra field": ((*RESULT, "face", "extra"), 1),
    "nesting too deep in a result": ((*RESULT, "colour_correction"), json.loads("[" * 40 + "]" * 40)),
    "a newer version": (("version",), 2),
    "a version as text": (("version",), "1"),
}


def test_the_issues_hostile_values_are_refused_and_store_nothing(store: Store, export: bytes) -> None:
    for case, (path, value) in NAMED_CASES.items():
        refusal = import_or_refuse(store, changed(export, path, value))
        assert isinstance(refusal, ArchiveError), f"{case} was imported"


def test_a_photo_that_is_not_an_image_is_refused(store: Store, export: bytes) -> None:
    document = document_of(export)
    name = document["sessions"][0]["photos"][0]["file"]
    fake = b"MZ\x90\x00 this is a program, not a photo" * 10
    document["sessions"][0]["photos"][0]["sha256"] = hashlib.sha256(fake).hexdigest()
    contents = members(export) | {name: fake, "client.json": json.dumps(document).encode()}
    refusal = import_or_refuse(store, rebuilt(contents))
    assert isinstance(refusal, InvalidExportError) and "not a photo" in str(refusal)


HOSTILE_VALUES: list[Any] = [
    None,
    "",
    "x" * 300,
    "a\x00b",
    "false",
    -1,
    2**70,
    1.5,
    True,
    [],
    {"a": 1},
    {"$float": "nan"},
    "9999-12-31T23:59:59",
]


def fields_of(document: Document) -> list[tuple[str | int, ...]]:
    """Every field's path in the document (objects and lists too): the first entry of every list, and the first
    two photos (the second one's analysis failed)."""
    paths: list[tuple[str | int, ...]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if path:
            paths.append(path)
        if isinstance(node, dict):
            for key, item in node.items():
                walk(item, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node[: 2 if path[-1:] == ("photos",) else 1]):
                walk(item, (*path, index))

    walk(document, ())
    return paths


@pytest.mark.slow
def test_a_wrong_value_in_any_field_is_imported_well_formed_or_refused(store: Store, export: bytes) -> None:
    """Each field gets four of the hostile values in turn (every value meets about 30 fields)."""
    document = document_of(export)
    outcomes = {"imported": 0, "refused": 0}
    for number, path in enumerate(fields_of(document)):
        for value in (HOSTILE_VALUES * 2)[number % len(HOSTILE_VALUES) :][:4]:
            refusal = import_or_refuse(store, changed(export, path, value))
            outcomes["refused" if refusal else "imported"] += 1
    assert outcomes["refused"] > outcomes["imported"] > 0, outcomes
