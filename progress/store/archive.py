"""Client exports (:meth:`progress.store.Store.export_client`) and imports (part of :class:`progress.store.Store`).

An export is a zip file with the photos (GPS, XMP and IPTC location removed by
:func:`progress.location.strip_location`), ``client.json`` (everything, for the import), ``metrics.csv`` and
``notes.txt``. An import checks the whole zip first (:mod:`progress.archive_schema`, imported when an export or
import runs: it reads analysis results) and writes nothing unless all of it is right.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as _Transaction

from progress.errors import ArchiveError, DuplicatePhotoError
from progress.location import strip_location
from progress.store.core import StoreCore
from progress.store.engine import _first_line
from progress.store.records import ClientRecord, _client_not_found, _imported_primary_metrics
from progress.store.schema import (
    _AnalysisRow,
    _client_record,
    _ClientRow,
    _from_json,
    _PhotoRow,
    _SessionRow,
    _split_result,
)

if TYPE_CHECKING:
    from progress.archive_schema import ClientExport, ExportedPhoto

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class Archive(StoreCore):
    """Writing a client to a zip file and restoring one from it."""

    def export_client(self, client_id: int) -> bytes:
        """A client as a zip file: photos (location removed), ``client.json``, ``metrics.csv``, ``notes.txt``.

        The same records always give the same bytes. See :meth:`write_client_export` to write a large client
        straight to a file.

        Raises:
            NotFoundError: No such client.
            StoredPhotoError: A stored photo is missing or damaged.
        """
        output = io.BytesIO()
        self.write_client_export(client_id, output)
        return output.getvalue()

    def write_client_export(self, client_id: int, destination: IO[bytes]) -> None:
        """Write :meth:`export_client`'s zip to an open binary file, one photo in memory at a time."""
        document = self._export_document(client_id)
        with zipfile.ZipFile(destination, "w") as archive:
            for photo in (photo for session in document["sessions"] for photo in session["photos"]):
                data = strip_location(self.photo_bytes(photo.pop("photo_id")))
                photo["sha256"] = hashlib.sha256(data).hexdigest()
                _write_member(archive, photo["file"], data, compress=False)
            _write_member(archive, "client.json", _json_bytes(document))
            _write_member(archive, "metrics.csv", _metrics_csv(document).encode())
            _write_member(archive, "notes.txt", _notes_text(document).encode())

    def import_client(self, data: bytes | IO[bytes]) -> ClientRecord:
        """Restore a client from :meth:`export_client`'s zip, as a new client (all or nothing).

        The whole zip is checked first (:func:`progress.archive_schema.open_export`: its structure and sizes,
        ``client.json`` against the export schema, every photo's hash and pixels); nothing is written unless all
        of it is right.

        Raises:
            ArchiveError: Not a client export, or made by a newer version of progress.
            UnsafeArchiveError: A zip built as no export is (encrypted, a size bomb, unsafe names or links).
            InvalidExportError: ``client.json`` holds a wrong, missing or out-of-range value, or a photo is damaged
                (does not match its recorded hash) or not a picture.
        """
        from progress.archive_schema import open_export  # reads analysis results: the analysis layers

        archive, export = open_export(data)
        written: set[str] = set()
        try:
            with archive, self._writing() as transaction:
                client = self._import_export(transaction, archive, export, written)
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            OverflowError,
            zipfile.BadZipFile,
            EOFError,
            SQLAlchemyError,
        ) as error:
            self._remove_unreferenced_files(written)
            raise ArchiveError(f"This client export is damaged or incomplete ({_first_line(error)}).") from error
        except BaseException:
            self._remove_unreferenced_files(written)
            raise
        return _client_record(client)

    def _export_document(self, client_id: int) -> dict[str, Any]:
        from progress.archive_schema import EXPORT_FORMAT, EXPORT_VERSION

        with self._reading() as transaction:
            client = transaction.get(_ClientRow, client_id)
            if client is None:
                raise _client_not_found(client_id)
            sessions = transaction.scalars(
                select(_SessionRow)
                .where(_SessionRow.client_id == client_id)
                .order_by(_SessionRow.day, _SessionRow.number, _SessionRow.id)
            ).all()
            exported = []
            for position, session in enumerate(sessions, start=1):
                photos = transaction.scalars(
                    select(_PhotoRow).where(_PhotoRow.session_id == session.id).order_by(_PhotoRow.id)
                ).all()
                entries = []
                for index, photo in enumerate(photos, start=1):
                    analyses = transaction.scalars(
                        select(_AnalysisRow).where(_AnalysisRow.photo_id == photo.id).order_by(_AnalysisRow.id)
                    ).all()
                    name = f"photos/session-{position:03d}/{index:02d}-{_safe_file_name(photo.filename)}"
                    documents = [
                        _analysis_document(row, geometry=index == len(analyses) - 1)
                        for index, row in enumerate(analyses)
                    ]
                    entries.append(_photo_document(photo, name, documents))
                exported.append(_session_document(session, entries))
            return {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "client": _client_document(client),
                "sessions": exported,
            }

    def _import_export(
        self, transaction: _Transaction, archive: zipfile.ZipFile, export: ClientExport, written: set[str]
    ) -> _ClientRow:
        fields = export.client
        client = _ClientRow(
            name=fields.name,
            birth_year=fields.birth_year,
            skin_notes=fields.skin_notes,
            consent_clinical=fields.consent_clinical,
            consent_marketing=fields.consent_marketing,
            created_at=fields.created_at,
            primary_metrics=_imported_primary_metrics(list(fields.primary_metrics)),
            baseline_sessions=fields.baseline_sessions,
        )
        transaction.add(client)
        transaction.flush()
        for entry in export.sessions:
            session = _SessionRow(
                client_id=client.id,
                day=entry.day,
                number=entry.number,
                treatment_notes=entry.treatment_notes,
                capture_notes=entry.capture_notes,
            )
            transaction.add(session)
            transaction.flush()
            for photo in entry.photos:
                self._import_photo(transaction, archive, session.id, photo, written)
        return client

    def _import_photo(
        self,
        transaction: _Transaction,
        archive: zipfile.ZipFile,
        session_id: int,
        photo: ExportedPhoto,
        written: set[str],
    ) -> None:
        from progress.archive_schema import read_photo

        data = read_photo(archive, photo)
        written.add(photo.sha256)
        try:
            row = self._insert_photo(
                transaction,
                session_id,
                data,
                photo.sha256,
                filename=photo.filename,
                view=photo.view,
                captured_at=photo.captured_at,
                excluded=photo.excluded,
                excluded_reason=photo.excluded_reason,
                checks=[dict(check) for check in photo.checks],
                created_at=photo.created_at,
            )
            photo_id = row.id
        except DuplicatePhotoError as duplicate:  # two photos that differed only in their location
            photo_id = duplicate.photo_id
        for analysis in photo.analyses:
            transaction.add(
                _AnalysisRow(
                    photo_id=photo_id,
                    algorithm_version=analysis.algorithm_version,
                    created_at=analysis.created_at,
                    landmarks=analysis.landmarks,
                    transform=None if analysis.transform is None else list(analysis.transform),
                    **_split_result(analysis.result),
                )
            )
        transaction.flush()


# ---------------------------------------------------------------------------------------------------------------
# Export documents


def _client_document(row: _ClientRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "birth_year": row.birth_year,
        "skin_notes": row.skin_notes,
        "consent_clinical": row.consent_clinical,
        "consent_marketing": row.consent_marketing,
        "created_at": row.created_at.isoformat(),
        "primary_metrics": list(row.primary_metrics),
        "baseline_sessions": row.baseline_sessions,
    }


def _session_document(row: _SessionRow, photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "number": row.number,
        "treatment_notes": row.treatment_notes,
        "capture_notes": row.capture_notes,
        "photos": photos,
    }


def _photo_document(row: _PhotoRow, name: str, analyses: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "photo_id": row.id,
        "file": name,
        "sha256": "",
        "filename": row.filename,
        "captured_at": None if row.captured_at is None else row.captured_at.isoformat(),
        "view": row.view,
        "excluded": row.excluded,
        "excluded_reason": row.excluded_reason,
        "checks": row.checks,
        "created_at": row.created_at.isoformat(),
        "analyses": analyses,
    }


def _analysis_document(row: _AnalysisRow, *, geometry: bool) -> dict[str, Any]:
    """One analysis; with ``geometry`` (the photo's latest analysis) also its face's stored landmarks (base64 of
    the 478×3 little-endian float32 bytes) and transform, so an imported client's before/after, time-lapse and
    report need no landmark search either."""
    result = row.details | {"metrics": row.metrics, "checks": row.checks}  # non-finite floats stay encoded
    document = {"algorithm_version": row.algorithm_version, "result": result, "created_at": row.created_at.isoformat()}
    if geometry and row.landmarks is not None and row.transform is not None:
        document["geometry"] = {
            "landmarks": base64.b64encode(row.landmarks).decode("ascii"),
            "transform": list(row.transform),
        }
    return document


def _safe_file_name(filename: str) -> str:
    """A zip member name from the original file name.

    Examples:
        >>> _safe_file_name("C:\\\\photos\\\\Séance 1 (front).JPG")
        'S_ance_1_front_.JPG'
        >>> _safe_file_name("")
        'photo'
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")
    return cleaned[-80:] or "photo"


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False).encode() + b"\n"


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes, *, compress: bool = True) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    archive.writestr(info, data)


def _metrics_csv(document: Mapping[str, Any]) -> str:
    """One row per photo: where it is, and its newest analysis's metrics (empty where not measured)."""
    rows = []
    for position, session in enumerate(document["sessions"], start=1):
        for photo in session["photos"]:
            latest: dict[str, Any] = (
                photo["analyses"][-1] if photo["analyses"] else {"algorithm_version": "", "result": {}}
            )
            error = latest["result"].get("error") or {}
            rows.append(
                (
                    {
                        "session": position,
                        "session_day": session["day"],
                        "session_number": session["number"],
                        "photo": photo["file"],
                        "filename": photo["filename"],
                        "view": photo["view"],
                        "captured_at": photo["captured_at"] or "",
                        "excluded": photo["excluded"],
                        "excluded_reason": photo["excluded_reason"],
                        "algorithm_version": latest["algorithm_version"],
                        "error": error.get("type", ""),
                    },
                    _from_json(latest["result"].get("metrics", {})),
                )
            )
    metric_names = sorted({name for _fields, metrics in rows for name in metrics})
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    fixed = [
        "session",
        "session_day",
        "session_number",
        "photo",
        "filename",
        "view",
        "captured_at",
        "excluded",
        "excluded_reason",
        "algorithm_version",
        "error",
    ]
    writer.writerow(fixed + metric_names)
    for fields, metrics in rows:
        values = [metrics.get(name) for name in metric_names]
        writer.writerow([fields[key] for key in fixed] + [_csv_number(value) for value in values])
    return output.getvalue()


def _csv_number(value: float | None) -> str:
    """Examples:
    >>> [_csv_number(value) for value in (0.1, 3, float("nan"), None)]
    ['0.1', '3', '', '']
    """
    return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else repr(value)


def _notes_text(document: Mapping[str, Any]) -> str:
    client = document["client"]
    lines = [
        f"Client: {client['name']}",
        f"Birth year: {client['birth_year'] or 'not given'}",
        f"Skin notes: {client['skin_notes'] or '-'}",
        f"Consent, clinical use: {'yes' if client['consent_clinical'] else 'no'}; "
        f"shown to others: {'yes' if client['consent_marketing'] else 'no'}",
        f"Primary metrics: {', '.join(client['primary_metrics']) or '-'}",
        f"Record created: {client['created_at']}",
    ]
    for position, session in enumerate(document["sessions"], start=1):
        excluded = [photo for photo in session["photos"] if photo["excluded"]]
        lines += [
            "",
            f"Session {position} (number {session['number']}), {session['day']}",
            f"Treatment: {session['treatment_notes'] or '-'}",
            f"Capture: {session['capture_notes'] or '-'}",
            f"Photos: {len(session['photos'])}, excluded: {len(excluded)}",
        ]
        lines += [f"  {photo['file']} excluded: {photo['excluded_reason'] or 'no reason given'}" for photo in excluded]
    return "\n".join(lines) + "\n"
