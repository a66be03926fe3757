"""Read a client export safely, all of it, before anything is written.

:func:`open_export` checks, in this order, and refuses with a typed :class:`~progress.errors.ArchiveError` at the
first problem:

1. the zip directory: at most :data:`MAX_MEMBERS` members, unique safe names (no absolute paths, ``..``,
   backslashes or drive letters), no links, no encryption, only the stored and deflated compression methods,
   plausible sizes, and at most :data:`MAX_TOTAL_BYTES` unpacked in all and :data:`MAX_EXPANSION` times the
   zip's own size (a 51 KB file cannot expand into gigabytes);
2. ``client.json`` (at most :data:`MAX_JSON_BYTES`): strict UTF-8 JSON without NaN or Infinity, then every field
   against the export schema: types, lengths, ranges, dates, the vocabulary of views and check statuses, and
   each saved analysis reads back as a :class:`~progress.analysis.PhotoResult` (and its optional stored
   geometry, landmarks and transform, has the right size and finite numbers);
3. every photo: present in the zip, matching its recorded SHA-256, and a picture that decodes.

Sizes are checked from the zip directory and again while reading, since a member's header can lie. The result
is a tree of small frozen records (:class:`ClientExport`), which :meth:`progress.store.Store.import_client`
writes in one transaction, reading each photo again with :func:`read_photo`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import IO, Any, Final, NoReturn

import numpy as np
from PIL import Image, UnidentifiedImageError

from progress.analysis import FaceSummary, PhotoResult
from progress.archive_fields import (
    FieldError,
    decoded,
    first_line,
    flag_field,
    iso_field,
    json_field,
    list_field,
    mapping_field,
    moment_field,
    number_field,
    text_field,
)
from progress.errors import ArchiveError, InvalidExportError, InvalidRecordError, UnsafeArchiveError
from progress.ingest import MAX_FILE_BYTES, MAX_PIXELS
from progress.pictures import open_picture
from progress.quality import Status
from progress.record_fields import (
    MAX_ALGORITHM_VERSION_LENGTH,
    MAX_FILENAME_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    View,
    checked_baseline_sessions,
    checked_day,
    checked_session_number,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "MAX_EXPANSION",
    "MAX_JSON_BYTES",
    "MAX_MEMBERS",
    "MAX_TOTAL_BYTES",
    "ClientExport",
    "ExportedAnalysis",
    "ExportedClient",
    "ExportedPhoto",
    "ExportedSession",
    "open_export",
    "read_photo",
]

EXPORT_FORMAT: Final = "progress-client-export"
EXPORT_VERSION: Final = 1
MAX_MEMBERS: Final = 20_000
"""Members in a zip (a client with 100 sessions of 10 photos has 1,003)."""
MAX_TOTAL_BYTES: Final = 8 * 1024**3
"""Unpacked bytes in all (160 photos at the 50 MB limit)."""
MAX_EXPANSION: Final = 20
"""Unpacked bytes per packed byte, over the whole zip (photos are stored as they are: about 1)."""
MAX_JSON_BYTES: Final = 32 * 1024 * 1024
"""Size of ``client.json`` (a client with 100 sessions of 10 photos analysed 5 times is about 10 MB)."""
MAX_SESSIONS: Final = 10_000
MAX_ANALYSES: Final = 1_000
"""Analyses per photo."""

_SLACK_BYTES = 1024 * 1024
_LANDMARK_BYTES = 478 * 3 * 4
_MAX_DEFLATE_RATIO = 1032  # the most deflate can shrink anything
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_PHOTO_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "TIFF", "HEIF"})
_FACE_FIELDS = frozenset(field.name for field in fields(FaceSummary))
_CHECK_KEYS = frozenset({"name", "status", "value", "limit", "unit", "fix"})
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    struct.error,
    OverflowError,
)


@dataclass(frozen=True, slots=True)
class ExportedClient:
    """The client's fields, checked (``created_at`` aware UTC; unknown primary metrics are dropped by the store)."""

    name: str
    birth_year: int | None
    skin_notes: str
    consent_clinical: bool
    consent_marketing: bool
    created_at: datetime
    primary_metrics: tuple[str, ...]
    baseline_sessions: int = 1


@dataclass(frozen=True, slots=True)
class ExportedAnalysis:
    """One saved analysis: ``result`` as exported (non-finite numbers still ``{"$float": …}``)."""

    algorithm_version: str
    result: Mapping[str, Any]
    created_at: datetime
    landmarks: bytes | None = None
    """The face's canonical-frame landmarks as stored: 478×3 little-endian float32 (5,736 bytes), or None."""
    transform: tuple[float, ...] | None = None
    """The six numbers of the photo-to-canonical similarity, row by row, or None."""


@dataclass(frozen=True, slots=True)
class ExportedPhoto:
    """One photo: where its bytes are in the zip, their SHA-256, and its record."""

    file: str
    sha256: str
    filename: str
    captured_at: datetime | None
    view: View
    excluded: bool
    excluded_reason: str
    checks: tuple[Mapping[str, Any], ...]
    created_at: datetime
    analyses: tuple[ExportedAnalysis, ...]


@dataclass(frozen=True, slots=True)
class ExportedSession:
    """One session with its photos."""

    day: date
    number: int
    treatment_notes: str
    capture_notes: str
    photos: tuple[ExportedPhoto, ...]


@dataclass(frozen=True, slots=True)
class ClientExport:
    """A whole checked export."""

    client: ExportedClient
    sessions: tuple[ExportedSession, ...]


def open_export(data: bytes | IO[bytes]) -> tuple[zipfile.ZipFile, ClientExport]:
    """Open a client export and check all of it (directory, ``client.json``, every photo).

    Args:
        data: The zip's bytes, or an open binary file.

    Returns:
        The open zip (the caller closes it) and its checked contents.

    Raises:
        ArchiveError: Not a zip, not a client export, or from a newer version.
        UnsafeArchiveError: A zip built as no export is (see the module's description).
        InvalidExportError: ``client.json`` or a photo is not what progress writes.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        size = source.seek(0, io.SEEK_END)
        source.seek(0)
        archive = zipfile.ZipFile(source)
    except (*_ZIP_ERRORS, TypeError) as error:
        raise ArchiveError("This file is not a client export of progress (it is not a zip file).") from error
    try:
        infos = _checked_directory(archive, size)
        if "client.json" not in infos:
            raise ArchiveError("This zip file is not a client export of progress (it has no client.json).")
        document = _parsed_json(_read(archive, infos["client.json"], MAX_JSON_BYTES))
        export = _export(document)
        _check_photos(archive, infos, export)
    except BaseException:
        archive.close()
        raise
    return archive, export


def read_photo(archive: zipfile.ZipFile, photo: ExportedPhoto) -> bytes:
    """A photo's bytes from an export :func:`open_export` checked, checked again against their SHA-256.

    Raises:
        UnsafeArchiveError: The member is larger than its directory entry says.
        InvalidExportError: The bytes do not match their recorded SHA-256.
    """
    data = _read(archive, archive.getinfo(photo.file), MAX_FILE_BYTES)
    if hashlib.sha256(data).hexdigest() != photo.sha256:
        raise InvalidExportError(
            f"This client export is damaged: {photo.file} does not match its recorded hash. Nothing was imported."
        )
    return data


# ---------------------------------------------------------------------------------------------------------------
# The zip


def _unsafe(problem: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        f"This zip file cannot be imported: {problem}. A client export made by progress never "
        "looks like this; nothing was imported."
    )


def _checked_directory(archive: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after checking every directory entry (nothing is unpacked)."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _unsafe(f"it has {len(infos):,} files (at most {MAX_MEMBERS:,})")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in by_name:
            raise _unsafe(f"the name {name!r:.80} appears twice")
        if (
            not name
            or len(name) > 1024
            or name.startswith("/")
            or "\\" in name
            or "\x00" in name
            or _DRIVE.match(name)
            or ".." in name.split("/")
        ):
            raise _unsafe(f"the name {name!r:.80} points outside the export")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _unsafe(f"{name!r:.80} is a link")
        if info.flag_bits & 0x1:
            raise _unsafe(f"{name!r:.80} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unsafe(f"{name!r:.80} is compressed with method {info.compress_type}")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _unsafe(f"the sizes recorded for {name!r:.80} do not agree")
        if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 64:
            raise _unsafe(f"{name!r:.80} claims to unpack to more than deflate can produce")
        by_name[name] = info
        total += info.file_size
    limit = min(MAX_TOTAL_BYTES, MAX_EXPANSION * size + _SLACK_BYTES)
    if total > limit:
        raise _unsafe(f"it would unpack to {total:,} bytes from {size:,} (at most {limit:,})")
    return by_name


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, refusing more than ``limit`` or more than its directory entry says, while reading."""
    if info.file_size > limit:
        raise _unsafe(f"{info.filename!r:.80} is {info.file_size:,} bytes (at most {limit:,})")
    chunks: list[bytes] = []
    read = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(min(_CHUNK, info.file_size + 1 - read)):
                read += len(chunk)
                if read > info.file_size:
                    raise _unsafe(f"{info.filename!r:.80} holds more than its directory entry says")
                chunks.append(chunk)
    except _ZIP_ERRORS as error:
        raise ArchiveError(
            f"This client export is damaged and cannot be read ({info.filename!r:.80}: "
            f"{first_line(error)}). Nothing was imported."
        ) from error
    if read != info.file_size:
        raise _unsafe(f"{info.filename!r:.80} holds less than its directory entry says")
    return b"".join(chunks)


def _check_photos(archive: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo], export: ClientExport) -> None:
    seen: set[str] = set()
    for photo in (photo for session in export.sessions for photo in session.photos):
        if photo.file not in infos or photo.file in seen:
            raise InvalidExportError(
                f"This client export is incomplete: {photo.file!r:.80} is "
                f"{'used twice' if photo.file in seen else 'missing'}. Nothing was imported."
            )
        seen.add(photo.file)
        _check_picture(read_photo(archive, photo), photo.file)


def _check_picture(data: bytes, where: str) -> None:
    """Refuse bytes that are not a picture of a supported format, or do not decode (JPEG at 1/8 scale)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with open_picture(data, None) as picture:
                width, height = picture.size
                readable = picture.format in _PHOTO_FORMATS and width * height <= MAX_PIXELS
                if readable:
                    if picture.format in ("JPEG", "MPO"):
                        picture.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    picture.load()
        except (
            UnidentifiedImageError,
            OSError,
            ValueError,
            SyntaxError,
            EOFError,
            struct.error,
            TypeError,
            IndexError,
            OverflowError,
            Image.DecompressionBombError,
            MemoryError,
            zlib.error,
        ):
            readable = False
    if not readable:
        raise InvalidExportError(
            f"This client export cannot be imported: {where!r:.80} is not a photo that can be "
            "read (JPEG, PNG, HEIC, WebP or TIFF). Nothing was imported."
        )


# ---------------------------------------------------------------------------------------------------------------
# client.json


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")


def _parsed_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        problem = "nested too deeply" if isinstance(error, RecursionError) else first_line(error)
        raise InvalidExportError(
            f"This client export is damaged: its client.json is not valid JSON ({problem}). Nothing was imported."
        ) from error


def _export(document: Any) -> ClientExport:
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ArchiveError("This zip file is not a client export of progress.")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidExportError(
            "This client export cannot be imported: its version is not a whole number. Nothing was imported."
        )
    if version > EXPORT_VERSION:
        raise ArchiveError("This client export was made by a newer version of progress; update progress to import it.")
    try:
        client = _client(mapping_field(document.get("client"), "client"))
        sessions = list_field(document.get("sessions"), "sessions", MAX_SESSIONS)
        return ClientExport(
            client=client,
            sessions=tuple(
                _session(mapping_field(entry, f"sessions[{index}]"), f"sessions[{index}]")
                for index, entry in enumerate(sessions)
            ),
        )
    except FieldError as error:
        raise InvalidExportError(
            f"This client export cannot be imported: in client.json, {error}. Nothing was imported."
        ) from None


def _client(entry: Mapping[str, Any]) -> ExportedClient:
    birth_year = entry.get("birth_year")
    if birth_year is not None and (
        isinstance(birth_year, bool) or not isinstance(birth_year, int) or not 1900 <= birth_year <= date.today().year
    ):
        raise FieldError(
            "client.birth_year", f"it must be empty or a year from 1900 to this year (got {birth_year!r:.40})"
        )
    metrics = list_field(entry.get("primary_metrics", []), "client.primary_metrics", 5)
    try:
        baseline_sessions = checked_baseline_sessions(entry.get("baseline_sessions", 1))  # older exports: 1
    except InvalidRecordError as error:
        raise FieldError("client.baseline_sessions", str(error)) from None
    return ExportedClient(
        name=text_field(entry, "name", "client", MAX_NAME_LENGTH, required=True).strip(),
        birth_year=birth_year,
        skin_notes=text_field(entry, "skin_notes", "client", MAX_NOTES_LENGTH),
        consent_clinical=flag_field(entry, "consent_clinical", "client"),
        consent_marketing=flag_field(entry, "consent_marketing", "client"),
        created_at=moment_field(entry.get("created_at"), "client.created_at", aware=True),
        primary_metrics=tuple(
            text_field({"metric": name}, "metric", f"client.primary_metrics[{index}]", 200)
            for index, name in enumerate(metrics)
        ),
        baseline_sessions=baseline_sessions,
    )


def _session(entry: Mapping[str, Any], where: str) -> ExportedSession:
    try:
        day = checked_day(iso_field(entry.get("day"), f"{where}.day", date.fromisoformat), "the date")
    except InvalidRecordError as error:
        raise FieldError(f"{where}.day", str(error)) from None
    try:
        number = checked_session_number(entry.get("number"))
    except InvalidRecordError as error:
        raise FieldError(f"{where}.number", str(error)) from None
    photos = list_field(entry.get("photos"), f"{where}.photos", MAX_MEMBERS)
    return ExportedSession(
        day=day,
        number=number,
        treatment_notes=text_field(entry, "treatment_notes", where, MAX_NOTES_LENGTH),
        capture_notes=text_field(entry, "capture_notes", where, MAX_NOTES_LENGTH),
        photos=tuple(
            _photo(mapping_field(photo, f"{where}.photos[{index}]"), f"{where}.photos[{index}]")
            for index, photo in enumerate(photos)
        ),
    )


def _photo(entry: Mapping[str, Any], where: str) -> ExportedPhoto:
    sha256 = entry.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise FieldError(f"{where}.sha256", "it must be 64 lowercase hexadecimal digits")
    view = entry.get("view")
    if view not in tuple(View):
        raise FieldError(f"{where}.view", f"it must be one of {', '.join(View)} (got {view!r:.40})")
    captured_at = entry.get("captured_at")
    analyses = list_field(entry.get("analyses"), f"{where}.analyses", MAX_ANALYSES)
    return ExportedPhoto(
        file=text_field(entry, "file", where, 1024, required=True),
        sha256=sha256,
        filename=text_field(entry, "filename", where, MAX_FILENAME_LENGTH),
        captured_at=None if captured_at is None else moment_field(captured_at, f"{where}.captured_at", aware=False),
        view=View(view),
        excluded=flag_field(entry, "excluded", where),
        excluded_reason=text_field(entry, "excluded_reason", where, MAX_NOTES_LENGTH),
        checks=_checks(entry.get("checks"), f"{where}.checks"),
        created_at=moment_field(entry.get("created_at"), f"{where}.created_at", aware=True),
        analyses=tuple(
            _analysis(mapping_field(analysis, f"{where}.analyses[{index}]"), f"{where}.analyses[{index}]")
            for index, analysis in enumerate(analyses)
        ),
    )


def _analysis(entry: Mapping[str, Any], where: str) -> ExportedAnalysis:
    landmarks, transform = _geometry(entry.get("geometry"), f"{where}.geometry")
    return ExportedAnalysis(
        algorithm_version=text_field(entry, "algorithm_version", where, MAX_ALGORITHM_VERSION_LENGTH),
        result=_result(mapping_field(entry.get("result"), f"{where}.result"), f"{where}.result"),
        created_at=moment_field(entry.get("created_at"), f"{where}.created_at", aware=True),
        landmarks=landmarks,
        transform=transform,
    )


def _geometry(value: Any, where: str) -> tuple[bytes | None, tuple[float, ...] | None]:
    """The optional stored geometry of an analysis (exports before it was added have none): ``landmarks``,
    base64 of exactly 478×3 finite little-endian float32 numbers within ±10⁶, and ``transform``, six finite
    numbers."""
    if value is None:
        return None, None
    geometry = mapping_field(value, where)
    if set(geometry) != {"landmarks", "transform"}:
        raise FieldError(where, "it must hold exactly landmarks and transform")
    encoded = geometry["landmarks"]
    if not isinstance(encoded, str) or len(encoded) > 2 * _LANDMARK_BYTES:
        raise FieldError(f"{where}.landmarks", "it must be base64 text of the landmarks")
    try:
        landmarks = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise FieldError(f"{where}.landmarks", "it is not valid base64") from None
    points = np.frombuffer(landmarks, dtype="<f4") if len(landmarks) == _LANDMARK_BYTES else None
    if points is None or not np.isfinite(points).all() or np.abs(points).max() > 1e6:
        raise FieldError(f"{where}.landmarks", "it must be 478×3 finite numbers")
    numbers = list_field(geometry["transform"], f"{where}.transform", 6)
    if len(numbers) != 6:
        raise FieldError(f"{where}.transform", "it must be six numbers")
    for index, number in enumerate(numbers):
        if isinstance(number, bool) or not isinstance(number, int | float) or not abs(number) < 1e300:
            raise FieldError(f"{where}.transform[{index}]", f"it must be a finite number (got {number!r:.40})")
    return landmarks, tuple(float(number) for number in numbers)


def _result(result: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """A saved analysis: the known fields typed, everything else bounded JSON; and it must read back."""
    for key, value in result.items():
        json_field(value, f"{where}.{key}", 1)
    _result_header(result, where)
    _result_numbers(result, where)
    try:
        PhotoResult.from_dict(decoded(result))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as error:
        raise FieldError(where, f"it is not an analysis this version can read ({first_line(error)})") from None
    return dict(result)


def _result_numbers(result: Mapping[str, Any], where: str) -> None:
    """``face``, ``checks`` and ``metrics`` of a saved analysis."""
    face = result.get("face")
    if face is not None:
        face = mapping_field(face, f"{where}.face")
        if not face.keys() <= _FACE_FIELDS:
            raise FieldError(f"{where}.face", f"it may only have the fields {', '.join(sorted(_FACE_FIELDS))}")
        for key, value in face.items():
            if value is not None:  # a measure this analysis did not take
                number_field(value, f"{where}.face.{key}")
    _checks(result.get("checks", []), f"{where}.checks")
    for key, value in mapping_field(result.get("metrics", {}), f"{where}.metrics").items():
        number_field(value, f"{where}.metrics.{key}")


def _result_header(result: Mapping[str, Any], where: str) -> None:
    """``ok``, ``error``, ``path``, ``captured_at`` and ``captured_at_source`` of a saved analysis."""
    if not isinstance(result.get("ok", True), bool):
        raise FieldError(f"{where}.ok", "it must be true or false")
    failure = result.get("error")
    if failure is not None:
        failure = mapping_field(failure, f"{where}.error")
        for key in ("type", "message"):
            text_field(failure, key, f"{where}.error", 10_000, required=True)
    for key in ("path", "captured_at_source"):
        if result.get(key) is not None:
            text_field(result, key, where, 4096)
    if result.get("captured_at") is not None:
        moment_field(result["captured_at"], f"{where}.captured_at", aware=None)


def _checks(value: Any, where: str) -> tuple[Mapping[str, Any], ...]:
    checks = []
    for index, entry in enumerate(list_field(value, where, 1_000)):
        check = mapping_field(entry, f"{where}[{index}]")
        for key, item in check.items():
            json_field(item, f"{where}[{index}].{key}", 2)
        if not check.keys() >= _CHECK_KEYS:
            raise FieldError(f"{where}[{index}]", f"it must have the fields {', '.join(sorted(_CHECK_KEYS))}")
        if check["status"] not in tuple(Status):
            raise FieldError(
                f"{where}[{index}].status", f"it must be one of {', '.join(Status)} (got {check['status']!r:.40})"
            )
        for key in ("name", "unit", "fix"):
            text_field(check, key, f"{where}[{index}]", 10_000)
        for key in ("value", "limit"):
            if check[key] is not None:
                number_field(check[key], f"{where}[{index}].{key}")
        checks.append(dict(check))
    return tuple(checks)
