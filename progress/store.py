"""Practice records: clients, their sessions, photos and analyses, kept across restarts, upgrades and crashes.

A :class:`Store` is opened from a SQLAlchemy URL: by default ``PROGRESS_DATABASE_URL``, else the SQLite file
``progress.sqlite3`` in the data folder (``PROGRESS_DATA_FOLDER``, else ``~/.local/share/progress``). SQLite runs
in WAL mode with foreign keys on and takes its write lock at the start of every writing transaction, so several
windows or processes can write at once without losing anything. A practice with several seats points every
instance at one PostgreSQL server through the same URL. The schema is versioned with Alembic; opening a store
upgrades it to the newest version.

Records are health data. Every value is checked before it is written (:mod:`progress.record_fields`: the same
lengths and refusals on SQLite and PostgreSQL, as an :class:`~progress.errors.InvalidRecordError`). The data
folder, the database with its write-ahead log, and the photo files are private to the user (0700 folders, 0600
files; :mod:`progress.private_files`; an existing folder open to others is tightened, with a logged warning).
SQLite zeroes deleted content (``secure_delete``) and every deletion ends with a truncating checkpoint, so a
deleted client's name, notes and photo hashes are at once gone from the database, its ``-wal`` and ``-shm``.

Photos are kept byte for byte as they came (GPS included), content-addressed by their SHA-256:

- in files under ``<data folder>/photos/ab/abcdef….bin``, written to a temporary file in the same folder,
  flushed to disk and renamed before the row that refers to them is committed (SQLite's default), or
- in the database itself (``photos_in_database=True``; PostgreSQL's default, so that instances on other
  machines can read them).

The same bytes added to two sessions or clients are stored once. A crash between writing a file and committing
its row leaves a file no row refers to: the app never sees it, and :meth:`Store.cleanup_orphans` removes it
(safe while other instances work: it takes the same per-photo lock as a writer).

Every method opens its own short transaction, so one store can be shared by threads. Results are small frozen
records (:class:`ClientRecord`, :class:`SessionRecord`, :class:`PhotoRecord`, :class:`AnalysisRecord`), never
database objects. Analyses are never overwritten: a re-analysis adds rows in one transaction, and readers take
the newest, so the old results stay in use until the new ones are complete.

Practice-wide settings the app keeps (:meth:`Store.setting`, :meth:`Store.set_setting`; bytes such as a logo with
:meth:`Store.setting_bytes`) are JSON values by key, shared by every instance; they are not part of a client export.

Exports (:meth:`Store.export_client`) are zip files with the photos (GPS, XMP and IPTC location removed by
:func:`progress.location.strip_location`), ``client.json`` (everything, for :meth:`Store.import_client`),
``metrics.csv`` and ``notes.txt``. An import checks the whole zip first (:mod:`progress.archive_schema`) and
writes nothing unless all of it is right.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm import Session as _Transaction
from sqlalchemy.types import TypeDecorator

from progress.analysis import PhotoResult
from progress.archive_schema import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ClientExport,
    ExportedPhoto,
    open_export,
    read_photo,
)
from progress.catalogue import catalogue
from progress.errors import (
    ArchiveError,
    DuplicatePhotoError,
    InvalidRecordError,
    NotFoundError,
    StoredPhotoError,
    StoreError,
    StoreOpenError,
)
from progress.location import strip_location
from progress.private_files import private_folder, private_sqlite_file, private_tree
from progress.record_fields import (
    MAX_ALGORITHM_VERSION_LENGTH,
    MAX_FILENAME_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    View,
    checked_bool,
    checked_day,
    checked_json_text,
    checked_session_number,
    checked_text,
)
from progress.series import MAX_PRIMARY_METRICS

__all__ = [
    "DATABASE_FILE_NAME",
    "DATABASE_URL_VARIABLE",
    "DATA_FOLDER_VARIABLE",
    "UNSET",
    "AnalysisRecord",
    "CleanupReport",
    "ClientRecord",
    "PhotoRecord",
    "SessionRecord",
    "Store",
    "View",
    "default_data_folder",
    "default_database_url",
]

DATABASE_URL_VARIABLE = "PROGRESS_DATABASE_URL"
DATA_FOLDER_VARIABLE = "PROGRESS_DATA_FOLDER"
DATABASE_FILE_NAME = "progress.sqlite3"

_MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"
_MIGRATION_LOCK_KEY = 0x70726F67  # "prog": one PostgreSQL advisory lock so that two instances never migrate at once
_WRITE_OPTION = "progress_write"
_SQLITE_BUSY_TIMEOUT_S = 30.0
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_NAN = float("nan")
_BYTES_KEY = "$base64"  # a setting holding bytes: {"$base64": "…"}
_CONTENT_FILE = re.compile(r"^([0-9a-f]{64})(?:\.bin|\.[A-Za-z0-9_]+\.tmp)$")


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
"""Default of the ``update_*`` methods' arguments: "leave as it is" (None can be a real value)."""


# ---------------------------------------------------------------------------------------------------------------
# Records returned to callers


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A client.

    Attributes:
        id: The store's id.
        name: Name or code, as the practitioner chose.
        birth_year: Year of birth, or None.
        skin_notes: Free text (skin type, conditions, ...).
        consent_clinical: The client agreed to photos being taken and used for their treatment.
        consent_marketing: The client agreed to their photos being shown to others (marketing, teaching).
        created_at: When the record was made (UTC).
        primary_metrics: Up to five metric names (:func:`progress.catalogue.catalogue`) the practitioner chose as
            this client's primary metrics, in their order (for :func:`progress.series.analyze_series`).
    """

    id: int
    name: str
    birth_year: int | None
    skin_notes: str
    consent_clinical: bool
    consent_marketing: bool
    created_at: datetime
    primary_metrics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A treatment session.

    Attributes:
        id: The store's id.
        client_id: Whose session it is.
        day: The session's date.
        number: The session's number in the course (1 for the first).
        treatment_notes: Free text (points used, technique, reactions).
        capture_notes: Free text about the photos (make-up, lighting, camera).
    """

    id: int
    client_id: int
    day: date
    number: int
    treatment_notes: str
    capture_notes: str


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    """A stored photo (its bytes come from :meth:`Store.photo_bytes`).

    Attributes:
        id: The store's id.
        session_id: The session it belongs to.
        sha256: SHA-256 of the original bytes (hex).
        size_bytes: Size of the original file.
        filename: The file's original name ("" when unknown).
        captured_at: Capture time as the camera recorded it (naive local time), or None.
        view: Front, left or right.
        excluded: The practitioner left it out of the series.
        excluded_reason: Why, in their words ("" when not excluded, or when kept despite a warning and noted).
        checks: The capture checks of its newest analysis (``PhotoResult.to_dict()["checks"]`` entries).
        created_at: When it was stored (UTC).
    """

    id: int
    session_id: int
    sha256: str
    size_bytes: int
    filename: str
    captured_at: datetime | None
    view: View
    excluded: bool
    excluded_reason: str
    checks: tuple[Mapping[str, Any], ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    """One analysis of a photo by one version of the algorithm.

    Attributes:
        id: The store's id (newer analyses have larger ids).
        photo_id: The photo analysed.
        algorithm_version: The version string given when it was saved.
        result: ``PhotoResult.to_dict()`` as it was saved (NaN and infinities included).
        created_at: When it was saved (UTC).
        landmarks: float32 (478, 3), the face's landmarks in the canonical frame (``AlignedFace.landmarks``), or
            None (no face, or saved before revision 0003).
        transform: float64 (2, 3), the similarity from photo pixels to the canonical frame, or None likewise.
    """

    id: int
    photo_id: int
    algorithm_version: str
    result: Mapping[str, Any]
    created_at: datetime
    landmarks: np.ndarray | None = field(default=None, compare=False)
    transform: np.ndarray | None = field(default=None, compare=False)

    @property
    def metrics(self) -> Mapping[str, float]:
        """Metric values by name (NaN where a metric could not be measured)."""
        metrics: Mapping[str, float] = self.result.get("metrics", {})
        return metrics

    @property
    def checks(self) -> list[dict[str, Any]]:
        """Capture checks: ``name``, ``status``, ``value``, ``limit``, ``unit``, ``fix``."""
        checks: list[dict[str, Any]] = self.result.get("checks", [])
        return checks

    @property
    def face(self) -> Mapping[str, Any] | None:
        """Face position and pose (the fields of :class:`~progress.analysis.FaceSummary`), or None."""
        face: Mapping[str, Any] | None = self.result.get("face")
        return face

    @property
    def error(self) -> Mapping[str, str] | None:
        """``{"type": code, "message": sentence}`` when the photo could not be analysed, else None."""
        error: Mapping[str, str] | None = self.result.get("error")
        return error

    @property
    def ok(self) -> bool:
        """True when the photo could be analysed."""
        return self.error is None

    def to_photo_result(self, *, path: str | None = None, captured_at: datetime | None = None) -> PhotoResult:
        """The analysis back as a :class:`~progress.analysis.PhotoResult` (:meth:`PhotoResult.from_dict`), for
        :mod:`progress.series` without analysing the photo again.

        Args:
            path: A label to use instead of the saved one (e.g. the photo's file name).
            captured_at: A capture time to use instead of the saved one (e.g. the photo record's).
        """
        result = PhotoResult.from_dict(self.result)
        if path is not None:
            result = replace(result, path=path)
        return result if captured_at is None else replace(result, captured_at=captured_at)


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What :meth:`Store.cleanup_orphans` removed.

    Attributes:
        removed_files: Photo files and unfinished temporary files no record referred to.
        freed_bytes: Their total size.
    """

    removed_files: tuple[Path, ...]
    freed_bytes: int


# ---------------------------------------------------------------------------------------------------------------
# Tables (private: callers only ever see the records above). The first migration creates the same schema.

_metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class _UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive (the same on SQLite and PostgreSQL)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")


class _Base(DeclarativeBase):
    metadata = _metadata


class _ClientRow(_Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    skin_notes: Mapped[str] = mapped_column(Text)
    consent_clinical: Mapped[bool] = mapped_column(Boolean)
    consent_marketing: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    primary_metrics: Mapped[list[str]] = mapped_column(_JSON, server_default="[]")  # revision 0002


class _SessionRow(_Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    treatment_notes: Mapped[str] = mapped_column(Text)
    capture_notes: Mapped[str] = mapped_column(Text)


class _ContentRow(_Base):
    """One photo's bytes, shared by every photo row with the same hash; ``data`` is None when they are in a file."""

    __tablename__ = "photo_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    in_database: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class _PhotoRow(_Base):
    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("session_id", "sha256"),
        CheckConstraint("view IN ('front', 'left', 'right')", name="view"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("photo_contents.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    view: Mapped[str] = mapped_column(String(5))
    excluded: Mapped[bool] = mapped_column(Boolean)
    excluded_reason: Mapped[str] = mapped_column(Text)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(_JSON)
    created_at: Mapped[datetime] = mapped_column(_UtcDateTime)


class _AnalysisRow(_Base):
    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    algorithm_version: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(_JSON)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(_JSON)
    details: Mapped[dict[str, Any]] = mapped_column(_JSON)
    created_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    landmarks: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # revision 0003
    transform: Mapped[list[float] | None] = mapped_column(_JSON, nullable=True)


class _SettingRow(_Base):
    """A practice-wide setting (revision 0002): a JSON value by key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(_JSON)


_PHOTO_QUERY = select(_PhotoRow, _ContentRow.size_bytes).join(_ContentRow, _ContentRow.sha256 == _PhotoRow.sha256)
"""Photo rows with their size (never the bytes)."""


# ---------------------------------------------------------------------------------------------------------------
# Where the records are


def default_data_folder() -> Path:
    """``PROGRESS_DATA_FOLDER``, else ``~/.local/share/progress``."""
    configured = os.environ.get(DATA_FOLDER_VARIABLE)
    return Path(configured).expanduser() if configured else Path.home() / ".local" / "share" / "progress"


def default_database_url(data_folder: Path | None = None) -> str:
    """``PROGRESS_DATABASE_URL``, else the SQLite file ``progress.sqlite3`` in ``data_folder`` (default
    :func:`default_data_folder`)."""
    configured = os.environ.get(DATABASE_URL_VARIABLE)
    if configured:
        return configured
    folder = data_folder if data_folder is not None else default_data_folder()
    return f"sqlite:///{folder.expanduser().absolute() / DATABASE_FILE_NAME}"


class Store:
    """A practice's records: open once, share between threads, close at the end (or use ``with``).

    Args:
        url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://user@host/db``); default
            :func:`default_database_url`.
        data_folder: Where the SQLite file (by default) and photo files go; default :func:`default_data_folder`.
        photos_in_database: Keep photo bytes in the database instead of files. Default: files with SQLite, the
            database with PostgreSQL (whose instances may run on other machines). Photos stored either way stay
            readable whatever this is set to.

    Raises:
        StoreOpenError: The database cannot be reached, is not SQLite or PostgreSQL, or was upgraded by a newer
            version of progress.
    """

    def __init__(self, url: str | None = None, *, data_folder: str | Path | None = None,
                 photos_in_database: bool | None = None) -> None:
        self.data_folder = Path(data_folder).expanduser() if data_folder is not None else default_data_folder()
        self.url = url or default_database_url(self.data_folder)
        self._engine = _open_engine(self.url)
        self._writer = self._engine.execution_options(**{_WRITE_OPTION: True})
        self.backend: str = self._engine.dialect.name
        self.photos_in_database = self.backend != "sqlite" if photos_in_database is None else photos_in_database
        try:
            if self.data_folder.is_dir():  # made before this version, or by hand: tighten it
                private_folder(self.data_folder)
                private_tree(self._photos_folder)
        except OSError as error:
            self._engine.dispose()
            raise StoreOpenError(f"The data folder {self.data_folder} cannot be used: "
                                 f"{error.strerror or error}.") from error
        try:
            self._migrate()
        except SQLAlchemyError as error:
            self._engine.dispose()
            raise StoreOpenError(f"The practice records at {_safe_url(self.url)} cannot be opened: "
                                 f"{_first_line(error)}") from error
        except StoreOpenError:
            self._engine.dispose()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_safe_url(self.url)!r}, photos_in_database={self.photos_in_database})"

    def close(self) -> None:
        """Close the database connections (the store can be opened again later)."""
        self._engine.dispose()

    # -- clients -------------------------------------------------------------------------------------------------

    def create_client(self, name: str, *, birth_year: int | None = None, skin_notes: str = "",
                      consent_clinical: bool = False, consent_marketing: bool = False,
                      primary_metrics: Sequence[str] = ()) -> ClientRecord:
        """Add a client.

        Raises:
            InvalidRecordError: ``name`` is blank or over 200 characters, a text holds a NUL character,
                ``birth_year`` is not a plausible year, or a consent is not True or False (a ValueError too).
            ValueError: ``primary_metrics`` has more than five names, a name twice or a name not in the catalogue.
        """
        row = _ClientRow(name=_checked_name(name), birth_year=_checked_birth_year(birth_year),
                         skin_notes=_checked_notes(skin_notes, "the skin notes"),
                         consent_clinical=checked_bool(consent_clinical, "the consent for clinical use"),
                         consent_marketing=checked_bool(consent_marketing, "the consent to show photos"),
                         created_at=_now(), primary_metrics=_checked_primary_metrics(primary_metrics))
        with self._writing() as transaction:
            transaction.add(row)
        return _client_record(row)

    def update_client(self, client_id: int, *, name: str | _Unset = UNSET, birth_year: int | _Unset | None = UNSET,
                      skin_notes: str | _Unset = UNSET, consent_clinical: bool | _Unset = UNSET,
                      consent_marketing: bool | _Unset = UNSET,
                      primary_metrics: Sequence[str] | _Unset = UNSET) -> ClientRecord:
        """Change the given fields of a client (the others stay as they are).

        Raises:
            NotFoundError: No such client.
            ValueError: As :meth:`create_client` (nothing is changed).
        """
        metrics = UNSET if primary_metrics is UNSET else _checked_primary_metrics(primary_metrics)
        with self._writing() as transaction:
            row = self._lock_client(transaction, client_id, exclusive=True)
            if name is not UNSET:
                row.name = _checked_name(name)
            if birth_year is not UNSET:
                row.birth_year = _checked_birth_year(birth_year)
            if skin_notes is not UNSET:
                row.skin_notes = _checked_notes(skin_notes, "the skin notes")
            if consent_clinical is not UNSET:
                row.consent_clinical = checked_bool(consent_clinical, "the consent for clinical use")
            if consent_marketing is not UNSET:
                row.consent_marketing = checked_bool(consent_marketing, "the consent to show photos")
            if metrics is not UNSET:
                row.primary_metrics = metrics
        return _client_record(row)

    def client(self, client_id: int) -> ClientRecord:
        """One client.

        Raises:
            NotFoundError: No such client.
        """
        with self._reading() as transaction:
            row = transaction.get(_ClientRow, client_id)
            if row is None:
                raise _client_not_found(client_id)
            return _client_record(row)

    def list_clients(self, search: str = "") -> list[ClientRecord]:
        """Clients whose name contains ``search`` (case-insensitive, any alphabet), sorted by name."""
        with self._reading() as transaction:
            rows = transaction.scalars(select(_ClientRow).order_by(_ClientRow.id)).all()
            records = [_client_record(row) for row in rows]
        wanted = search.strip().casefold()
        return sorted((record for record in records if wanted in record.name.casefold()),
                      key=lambda record: (record.name.casefold(), record.id))

    def delete_client(self, client_id: int) -> None:
        """Delete a client with all their sessions, photos (and the photo files no other record uses) and analyses.

        Raises:
            NotFoundError: No such client.
        """
        with self._writing() as transaction:
            self._lock_client(transaction, client_id, exclusive=True)
            hashes = set(transaction.scalars(
                select(_PhotoRow.sha256).join(_SessionRow).where(_SessionRow.client_id == client_id)))
            transaction.execute(delete(_ClientRow).where(_ClientRow.id == client_id))
            released = self._release_contents(transaction, hashes)
        self._remove_unreferenced_files(released)
        self._forget_deleted()

    # -- sessions ------------------------------------------------------------------------------------------------

    def add_session(self, client_id: int, *, day: date | None = None, number: int | None = None,
                    treatment_notes: str = "", capture_notes: str = "") -> SessionRecord:
        """Add a session to a client.

        Args:
            client_id: The client.
            day: The session's date; default today.
            number: Its number in the course; default one more than the client's highest.
            treatment_notes: Points used, technique, reactions.
            capture_notes: Make-up, lighting, camera.

        Raises:
            NotFoundError: No such client.
            InvalidRecordError: A date outside 1900–2199, a number outside 0–100,000, or notes with a NUL.
        """
        day = checked_day(day or date.today(), "the session's date")
        number = None if number is None else checked_session_number(number)
        treatment_notes = _checked_notes(treatment_notes, "the treatment notes")
        capture_notes = _checked_notes(capture_notes, "the capture notes")
        with self._writing() as transaction:
            self._lock_client(transaction, client_id, exclusive=True)
            if number is None:
                highest = transaction.scalar(select(func.max(_SessionRow.number))
                                             .where(_SessionRow.client_id == client_id))
                number = (highest or 0) + 1
            row = _SessionRow(client_id=client_id, day=day, number=number,
                              treatment_notes=treatment_notes, capture_notes=capture_notes)
            transaction.add(row)
        return _session_record(row)

    def update_session(self, session_id: int, *, day: date | _Unset = UNSET, number: int | _Unset = UNSET,
                       treatment_notes: str | _Unset = UNSET, capture_notes: str | _Unset = UNSET) -> SessionRecord:
        """Change the given fields of a session.

        Raises:
            NotFoundError: No such session.
            InvalidRecordError: As :meth:`add_session` (nothing is changed).
        """
        day = day if day is UNSET else checked_day(day, "the session's date")
        number = number if number is UNSET else checked_session_number(number)
        treatment_notes = (treatment_notes if treatment_notes is UNSET
                           else _checked_notes(treatment_notes, "the treatment notes"))
        capture_notes = capture_notes if capture_notes is UNSET else _checked_notes(capture_notes, "the capture notes")
        with self._writing() as transaction:
            row = self._lock_session(transaction, session_id, exclusive=True)
            if day is not UNSET:
                row.day = day
            if number is not UNSET:
                row.number = number
            if treatment_notes is not UNSET:
                row.treatment_notes = treatment_notes
            if capture_notes is not UNSET:
                row.capture_notes = capture_notes
        return _session_record(row)

    def session(self, session_id: int) -> SessionRecord:
        """One session.

        Raises:
            NotFoundError: No such session.
        """
        with self._reading() as transaction:
            row = transaction.get(_SessionRow, session_id)
            if row is None:
                raise _session_not_found(session_id)
            return _session_record(row)

    def sessions(self, client_id: int) -> list[SessionRecord]:
        """A client's sessions by date (then number).

        Raises:
            NotFoundError: No such client.
        """
        with self._reading() as transaction:
            if transaction.get(_ClientRow, client_id) is None:
                raise _client_not_found(client_id)
            rows = transaction.scalars(select(_SessionRow).where(_SessionRow.client_id == client_id)
                                       .order_by(_SessionRow.day, _SessionRow.number, _SessionRow.id))
            return [_session_record(row) for row in rows]

    def delete_session(self, session_id: int) -> None:
        """Delete a session with its photos (and the files no other record uses) and analyses.

        Raises:
            NotFoundError: No such session.
        """
        with self._writing() as transaction:
            self._lock_session(transaction, session_id, exclusive=True)
            hashes = set(transaction.scalars(select(_PhotoRow.sha256).where(_PhotoRow.session_id == session_id)))
            transaction.execute(delete(_SessionRow).where(_SessionRow.id == session_id))
            released = self._release_contents(transaction, hashes)
        self._remove_unreferenced_files(released)
        self._forget_deleted()

    # -- photos --------------------------------------------------------------------------------------------------

    def add_photo(self, session_id: int, data: bytes, *, filename: str = "", view: View | str = View.FRONT,
                  captured_at: datetime | None = None) -> PhotoRecord:
        """Store a photo's original bytes in a session.

        The bytes are kept unchanged (GPS included; exports remove it). Its file (or row) is complete on disk
        before the record is committed.

        Args:
            session_id: The session.
            data: The photo file's bytes, as uploaded.
            filename: Its original name.
            view: Front, left or right.
            captured_at: Capture time as the camera recorded it (naive; e.g. ``PhotoResult.captured_at``).

        Raises:
            NotFoundError: No such session.
            DuplicatePhotoError: The same bytes are already in this session (``error.photo_id`` is that photo);
                nothing was stored.
            InvalidRecordError: Empty data, an unknown view, a file name over 255 characters or with a NUL, or an
                aware ``captured_at`` (a ValueError too).
        """
        view = _checked_photo(data, view, captured_at, filename)
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            with self._writing() as transaction:
                self._lock_session(transaction, session_id, exclusive=False)
                row = self._insert_photo(transaction, session_id, data, sha256, filename=filename, view=view,
                                         captured_at=captured_at)
                size = len(data)
        except IntegrityError:
            existing = self._photo_id_by_hash(session_id, sha256)
            if existing is None:
                raise
            raise _duplicate(existing) from None
        return _photo_record(row, size)

    def photo(self, photo_id: int) -> PhotoRecord:
        """One photo's record.

        Raises:
            NotFoundError: No such photo.
        """
        with self._reading() as transaction:
            found = transaction.execute(_PHOTO_QUERY.where(_PhotoRow.id == photo_id)).one_or_none()
            if found is None:
                raise _photo_not_found(photo_id)
            return _photo_record(found[0], found[1])

    def photos(self, session_id: int) -> list[PhotoRecord]:
        """A session's photos in the order they were added.

        Raises:
            NotFoundError: No such session.
        """
        with self._reading() as transaction:
            if transaction.get(_SessionRow, session_id) is None:
                raise _session_not_found(session_id)
            found = transaction.execute(_PHOTO_QUERY.where(_PhotoRow.session_id == session_id)
                                        .order_by(_PhotoRow.id)).all()
            return [_photo_record(row, size) for row, size in found]

    def photo_bytes(self, photo_id: int) -> bytes:
        """The photo's original bytes, exactly as they were added.

        Raises:
            NotFoundError: No such photo.
            StoredPhotoError: Its file is missing or its bytes no longer match their hash.
        """
        with self._reading() as transaction:
            found = transaction.execute(
                select(_ContentRow.sha256, _ContentRow.in_database, _ContentRow.data)
                .join(_PhotoRow, _PhotoRow.sha256 == _ContentRow.sha256).where(_PhotoRow.id == photo_id)
            ).one_or_none()
        if found is None:
            raise _photo_not_found(photo_id)
        sha256, in_database, stored = found
        data = stored if in_database else self._read_content_file(sha256)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            raise StoredPhotoError(f"The stored copy of photo {photo_id} no longer matches the photo that was added "
                                   "(damaged disk or edited file); restore it from a backup or an export.")
        return bytes(data)

    def set_photo_excluded(self, photo_id: int, excluded: bool, reason: str = "") -> PhotoRecord:
        """Leave a photo out of the series (or take it back in), with the practitioner's reason.

        ``reason`` is kept either way, e.g. why a photo was kept despite a warning.

        Raises:
            NotFoundError: No such photo.
            InvalidRecordError: A reason with a NUL character or over 100,000 characters.
        """
        excluded = checked_bool(excluded, "whether the photo is left out")
        reason = _checked_notes(reason, "the reason")
        with self._writing() as transaction:
            row = self._lock_photo(transaction, photo_id)
            row.excluded, row.excluded_reason = excluded, reason
            size = transaction.scalar(select(_ContentRow.size_bytes).where(_ContentRow.sha256 == row.sha256))
        return _photo_record(row, size or 0)

    def set_photo_view(self, photo_id: int, view: View | str) -> PhotoRecord:
        """Correct which side of the face a photo shows.

        Raises:
            NotFoundError: No such photo.
            ValueError: An unknown view.
        """
        checked = View(view)
        with self._writing() as transaction:
            row = self._lock_photo(transaction, photo_id)
            row.view = str(checked)
            size = transaction.scalar(select(_ContentRow.size_bytes).where(_ContentRow.sha256 == row.sha256))
        return _photo_record(row, size or 0)

    def delete_photo(self, photo_id: int) -> None:
        """Delete a photo and its analyses (and its file, when no other record uses the same bytes).

        Raises:
            NotFoundError: No such photo.
        """
        with self._writing() as transaction:
            client_id = transaction.scalar(select(_SessionRow.client_id).join(_PhotoRow)
                                           .where(_PhotoRow.id == photo_id))
            if client_id is None:
                raise _photo_not_found(photo_id)
            self._lock_client(transaction, client_id, exclusive=True)
            row = self._lock_photo(transaction, photo_id)
            transaction.delete(row)
            transaction.flush()
            released = self._release_contents(transaction, {row.sha256})
        self._remove_unreferenced_files(released)
        self._forget_deleted()

    # -- analyses ------------------------------------------------------------------------------------------------

    def save_analysis(self, photo_id: int, result: PhotoResult, algorithm_version: str) -> AnalysisRecord:
        """Save one photo's analysis (older analyses of it are kept; readers take the newest).

        Stores ``result.to_dict()``'s metrics, checks, face, colour correction and error, and makes the checks
        the photo's current ones.

        Raises:
            NotFoundError: No such photo.
        """
        return self.save_analyses([(photo_id, result)], algorithm_version)[0]

    def save_analyses(self, results: Iterable[tuple[int, PhotoResult]], algorithm_version: str) -> list[AnalysisRecord]:
        """Save several analyses in one transaction: all become visible together, or none (a re-analysis of a
        client with a new algorithm leaves the old results in use until every photo is done).

        Args:
            results: (photo id, result) pairs.
            algorithm_version: The analysing code's version.

        Returns:
            The saved analyses, in the order given.

        Raises:
            NotFoundError: A photo does not exist (nothing is saved).
            InvalidRecordError: ``algorithm_version`` is over 64 characters or holds a NUL, or a result's text
                does (nothing is saved).
        """
        checked_text(algorithm_version, "the algorithm version", MAX_ALGORITHM_VERSION_LENGTH)
        pairs = list(results)
        with self._writing() as transaction:
            wanted = sorted({photo_id for photo_id, _result in pairs})
            photos = {row.id: row for row in transaction.scalars(
                select(_PhotoRow).where(_PhotoRow.id.in_(wanted)).order_by(_PhotoRow.id).with_for_update())}
            missing = [photo_id for photo_id in wanted if photo_id not in photos]
            if missing:
                raise _photo_not_found(missing[0])
            now = _now()
            rows = [_AnalysisRow(photo_id=photo_id, algorithm_version=algorithm_version, created_at=now,
                                 **_split_result(result.to_dict()), **_geometry(result)) for photo_id, result in pairs]
            for row in rows:
                checked_json_text([row.metrics, row.checks, row.details], "the analysis")
            for row in rows:
                photos[row.photo_id].checks = row.checks
            transaction.add_all(rows)
        return [_analysis_record(row) for row in rows]

    def latest_analysis(self, photo_id: int, *, algorithm_version: str | None = None) -> AnalysisRecord | None:
        """The photo's newest analysis (of that algorithm version, if given), or None.

        Raises:
            NotFoundError: No such photo.
        """
        with self._reading() as transaction:
            if transaction.get(_PhotoRow, photo_id) is None:
                raise _photo_not_found(photo_id)
            query = select(_AnalysisRow).where(_AnalysisRow.photo_id == photo_id)
            if algorithm_version is not None:
                query = query.where(_AnalysisRow.algorithm_version == algorithm_version)
            row = transaction.scalars(query.order_by(_AnalysisRow.id.desc()).limit(1)).one_or_none()
            return None if row is None else _analysis_record(row)

    def latest_analyses(self, client_id: int) -> dict[int, AnalysisRecord]:
        """The newest analysis of every analysed photo of a client, by photo id (one query, for series views).

        Raises:
            NotFoundError: No such client.
        """
        with self._reading() as transaction:
            if transaction.get(_ClientRow, client_id) is None:
                raise _client_not_found(client_id)
            newest = (select(func.max(_AnalysisRow.id)).join(_PhotoRow).join(_SessionRow)
                      .where(_SessionRow.client_id == client_id).group_by(_AnalysisRow.photo_id))
            rows = transaction.scalars(select(_AnalysisRow).where(_AnalysisRow.id.in_(newest)))
            return {row.photo_id: _analysis_record(row) for row in rows}

    def analyses(self, photo_id: int) -> list[AnalysisRecord]:
        """Every analysis of a photo, oldest first.

        Raises:
            NotFoundError: No such photo.
        """
        with self._reading() as transaction:
            if transaction.get(_PhotoRow, photo_id) is None:
                raise _photo_not_found(photo_id)
            rows = transaction.scalars(select(_AnalysisRow).where(_AnalysisRow.photo_id == photo_id)
                                       .order_by(_AnalysisRow.id))
            return [_analysis_record(row) for row in rows]

    # -- export and import ---------------------------------------------------------------------------------------

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
        archive, export = open_export(data)
        written: set[str] = set()
        try:
            with archive, self._writing() as transaction:
                client = self._import_export(transaction, archive, export, written)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, zipfile.BadZipFile, EOFError,
                SQLAlchemyError) as error:
            self._remove_unreferenced_files(written)
            raise ArchiveError(f"This client export is damaged or incomplete ({_first_line(error)}).") from error
        except BaseException:
            self._remove_unreferenced_files(written)
            raise
        return _client_record(client)

    # -- settings ------------------------------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        """A practice-wide setting's value (as JSON gives it back: tuples come back as lists), or ``default``."""
        with self._reading() as transaction:
            row = transaction.get(_SettingRow, _checked_setting_key(key))
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        """Set a practice-wide setting (None removes it: :meth:`setting` then gives its default).

        Raises:
            ValueError: A blank key, or a value JSON cannot hold (NaN, infinity, bytes, objects); for bytes use
                :meth:`set_setting_bytes`.
        """
        key = _checked_setting_key(key)
        with self._writing() as transaction:
            if value is None:
                transaction.execute(delete(_SettingRow).where(_SettingRow.key == key))
            else:
                transaction.execute(self._upsert_setting(key, _checked_setting_value(key, value)))

    def setting_bytes(self, key: str) -> bytes | None:
        """A setting set with :meth:`set_setting_bytes` (a logo, say), or None when it is not set.

        Raises:
            ValueError: The setting holds something other than bytes.
        """
        value = self.setting(key)
        if value is None:
            return None
        if not isinstance(value, dict) or value.keys() != {_BYTES_KEY} or not isinstance(value[_BYTES_KEY], str):
            raise ValueError(f"The setting {key!r} does not hold bytes.")
        try:
            return base64.b64decode(value[_BYTES_KEY], validate=True)
        except binascii.Error as error:
            raise ValueError(f"The setting {key!r} does not hold bytes.") from error

    def set_setting_bytes(self, key: str, data: bytes | None) -> None:
        """Set a setting to bytes (kept as base64 in the JSON value); None removes it."""
        if data is not None and not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"Expected bytes for the setting {key!r}, got {type(data).__name__}.")
        self.set_setting(key, None if data is None else {_BYTES_KEY: base64.b64encode(data).decode("ascii")})

    # -- maintenance ---------------------------------------------------------------------------------------------

    def cleanup_orphans(self) -> CleanupReport:
        """Remove photo files no record refers to, and temporary files a crash left behind.

        Safe while other instances add and delete photos: each file is removed only while holding the lock a
        writer of the same bytes takes, after checking no record refers to them.
        """
        candidates: dict[str, list[Path]] = {}
        for path in sorted(self._photos_folder.glob("??/*")):
            match = _CONTENT_FILE.match(path.name)
            if match and path.parent.name == match.group(1)[:2]:
                candidates.setdefault(match.group(1), []).append(path)
        if not candidates:
            return CleanupReport(removed_files=(), freed_bytes=0)
        with self._reading() as transaction:
            known = set(transaction.scalars(select(_ContentRow.sha256)))
        removed: list[Path] = []
        freed = 0
        for sha256, paths in candidates.items():
            if sha256 in known and all(path.suffix == ".bin" for path in paths):
                continue
            for path, size in self._remove_if_unreferenced(sha256):
                removed.append(path)
                freed += size
        return CleanupReport(removed_files=tuple(removed), freed_bytes=freed)

    # -- internals -----------------------------------------------------------------------------------------------

    @property
    def _photos_folder(self) -> Path:
        return self.data_folder / "photos"

    @contextmanager
    def _writing(self) -> Iterator[_Transaction]:
        """A writing transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing)."""
        with _Transaction(self._writer, expire_on_commit=False) as transaction, transaction.begin():
            yield transaction

    @contextmanager
    def _reading(self) -> Iterator[_Transaction]:
        with _Transaction(self._engine) as transaction, transaction.begin():
            yield transaction

    def _migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS_FOLDER))
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        with self._writer.begin() as connection:
            if self.backend == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current not in known:
                raise StoreOpenError(f"The practice records at {_safe_url(self.url)} were upgraded by a newer "
                                     f"version of progress (schema {current}); update progress to open them.")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _lock_client(self, transaction: _Transaction, client_id: int, *, exclusive: bool) -> _ClientRow:
        """Lock a client's row: shared by photo writers, exclusive for deletions (PostgreSQL; SQLite's write
        transactions are serial anyway)."""
        row = transaction.scalars(select(_ClientRow).where(_ClientRow.id == client_id)
                                  .with_for_update(read=not exclusive)).one_or_none()
        if row is None:
            raise _client_not_found(client_id)
        return row

    def _lock_session(self, transaction: _Transaction, session_id: int, *, exclusive: bool) -> _SessionRow:
        client_id = transaction.scalar(select(_SessionRow.client_id).where(_SessionRow.id == session_id))
        if client_id is None:
            raise _session_not_found(session_id)
        self._lock_client(transaction, client_id, exclusive=exclusive)
        row = transaction.scalars(select(_SessionRow).where(_SessionRow.id == session_id)
                                  .with_for_update(read=not exclusive)).one_or_none()
        if row is None:  # deleted between the two statements
            raise _session_not_found(session_id)
        return row

    def _lock_photo(self, transaction: _Transaction, photo_id: int) -> _PhotoRow:
        row = transaction.scalars(select(_PhotoRow).where(_PhotoRow.id == photo_id).with_for_update()).one_or_none()
        if row is None:
            raise _photo_not_found(photo_id)
        return row

    def _photo_id_by_hash(self, session_id: int, sha256: str) -> int | None:
        with self._reading() as transaction:
            return transaction.scalar(select(_PhotoRow.id).where(_PhotoRow.session_id == session_id,
                                                                 _PhotoRow.sha256 == sha256))

    def _insert_photo(self, transaction: _Transaction, session_id: int, data: bytes, sha256: str, *, filename: str,
                      view: View, captured_at: datetime | None, excluded: bool = False, excluded_reason: str = "",
                      checks: list[dict[str, Any]] | None = None, created_at: datetime | None = None) -> _PhotoRow:
        content = self._lock_content(transaction, sha256, len(data))
        existing = transaction.scalar(select(_PhotoRow.id).where(_PhotoRow.session_id == session_id,
                                                                 _PhotoRow.sha256 == sha256))
        if existing is not None:
            raise _duplicate(existing)
        if self.photos_in_database and not content.in_database:
            content.in_database, content.data = True, data
        elif not content.in_database:
            self._write_content_file(sha256, data)
        row = _PhotoRow(session_id=session_id, sha256=sha256, filename=filename, captured_at=captured_at,
                        view=str(view), excluded=excluded, excluded_reason=excluded_reason, checks=checks or [],
                        created_at=created_at or _now())
        transaction.add(row)
        transaction.flush()
        return row

    def _lock_content(self, transaction: _Transaction, sha256: str, size: int) -> _ContentRow:
        """Make sure the content row exists and lock it until the transaction ends (a concurrent deletion may
        remove it between the two statements: then try again)."""
        for _attempt in range(5):
            transaction.execute(self._insert_if_absent(sha256, size))
            row = transaction.scalars(select(_ContentRow).where(_ContentRow.sha256 == sha256)
                                      .with_for_update()).one_or_none()
            if row is not None:
                return row
        raise StoreError("The photo could not be stored because it was being deleted at the same time; try again.")

    def _insert_if_absent(self, sha256: str, size: int) -> postgresql.Insert | sqlite.Insert:
        values = {"sha256": sha256, "size_bytes": size, "in_database": False}
        if self.backend == "postgresql":
            return postgresql.insert(_ContentRow).values(values).on_conflict_do_nothing(index_elements=["sha256"])
        return sqlite.insert(_ContentRow).values(values).on_conflict_do_nothing(index_elements=["sha256"])

    def _upsert_setting(self, key: str, value: Any) -> postgresql.Insert | sqlite.Insert:
        if self.backend == "postgresql":
            upsert = postgresql.insert(_SettingRow).values(key=key, value=value)
            return upsert.on_conflict_do_update(index_elements=["key"], set_={"value": upsert.excluded["value"]})
        lite = sqlite.insert(_SettingRow).values(key=key, value=value)
        return lite.on_conflict_do_update(index_elements=["key"], set_={"value": lite.excluded["value"]})

    def _release_contents(self, transaction: _Transaction, hashes: Iterable[str]) -> list[str]:
        """Delete the content rows no photo refers to any more; returns their hashes (their files go after commit)."""
        released = []
        for sha256 in sorted(hashes):
            content = transaction.scalars(select(_ContentRow).where(_ContentRow.sha256 == sha256)
                                          .with_for_update()).one_or_none()
            still_used = transaction.scalar(select(func.count()).select_from(_PhotoRow)
                                            .where(_PhotoRow.sha256 == sha256))
            if content is not None and not still_used:
                transaction.delete(content)
                released.append(sha256)
        transaction.flush()
        return released

    def _forget_deleted(self) -> None:
        """After a deletion, copy SQLite's write-ahead log into the database and empty it (the deleted rows'
        bytes are zeroed there by ``secure_delete``), so that nothing deleted stays readable in the files."""
        if self.backend != "sqlite":
            return
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            connection.close()

    def _remove_unreferenced_files(self, hashes: Iterable[str]) -> None:
        for sha256 in sorted(hashes):
            if self._content_path(sha256).exists():
                self._remove_if_unreferenced(sha256)

    def _remove_if_unreferenced(self, sha256: str) -> list[tuple[Path, int]]:
        """Remove the file of ``sha256`` if no record refers to it, and its leftover temporary files.

        Holds the content row's lock while doing so: a writer of the same bytes (who writes the file while holding
        it) either has committed its row, and the file stays, or waits until the file is gone and writes it again.
        """
        removed = []
        with self._writer.connect() as connection, connection.begin() as transaction:
            claimed = connection.execute(self._insert_if_absent(sha256, 0).returning(_ContentRow.sha256)).first()
            if claimed is None:  # in use: wait for any writer holding it, then only its temporary files can go
                connection.execute(select(_ContentRow.sha256).where(_ContentRow.sha256 == sha256).with_for_update())
            folder = self._content_path(sha256).parent
            paths = sorted(folder.glob(f"{sha256}.*.tmp")) + ([self._content_path(sha256)] if claimed else [])
            for path in paths:
                size = _remove_file(path)
                if size is not None:
                    removed.append((path, size))
            transaction.rollback()
        return removed

    def _content_path(self, sha256: str) -> Path:
        return self._photos_folder / sha256[:2] / f"{sha256}.bin"

    def _write_content_file(self, sha256: str, data: bytes) -> None:
        """Write the bytes to their content-addressed file (temporary file, fsync, rename, fsync the folder)."""
        path = self._content_path(sha256)
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return
        private_folder(self.data_folder)
        private_folder(self._photos_folder)
        private_folder(path.parent)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{sha256}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(path.parent)

    def _read_content_file(self, sha256: str) -> bytes | None:
        try:
            return self._content_path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def _export_document(self, client_id: int) -> dict[str, Any]:
        with self._reading() as transaction:
            client = transaction.get(_ClientRow, client_id)
            if client is None:
                raise _client_not_found(client_id)
            sessions = transaction.scalars(select(_SessionRow).where(_SessionRow.client_id == client_id)
                                           .order_by(_SessionRow.day, _SessionRow.number, _SessionRow.id)).all()
            exported = []
            for position, session in enumerate(sessions, start=1):
                photos = transaction.scalars(select(_PhotoRow).where(_PhotoRow.session_id == session.id)
                                             .order_by(_PhotoRow.id)).all()
                entries = []
                for index, photo in enumerate(photos, start=1):
                    analyses = transaction.scalars(select(_AnalysisRow).where(_AnalysisRow.photo_id == photo.id)
                                                   .order_by(_AnalysisRow.id)).all()
                    name = f"photos/session-{position:03d}/{index:02d}-{_safe_file_name(photo.filename)}"
                    entries.append(_photo_document(photo, name, [_analysis_document(row) for row in analyses]))
                exported.append(_session_document(session, entries))
            return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "client": _client_document(client),
                    "sessions": exported}

    def _import_export(self, transaction: _Transaction, archive: zipfile.ZipFile, export: ClientExport,
                       written: set[str]) -> _ClientRow:
        fields = export.client
        client = _ClientRow(name=fields.name, birth_year=fields.birth_year, skin_notes=fields.skin_notes,
                            consent_clinical=fields.consent_clinical, consent_marketing=fields.consent_marketing,
                            created_at=fields.created_at,
                            primary_metrics=_imported_primary_metrics(list(fields.primary_metrics)))
        transaction.add(client)
        transaction.flush()
        for entry in export.sessions:
            session = _SessionRow(client_id=client.id, day=entry.day, number=entry.number,
                                  treatment_notes=entry.treatment_notes, capture_notes=entry.capture_notes)
            transaction.add(session)
            transaction.flush()
            for photo in entry.photos:
                self._import_photo(transaction, archive, session.id, photo, written)
        return client

    def _import_photo(self, transaction: _Transaction, archive: zipfile.ZipFile, session_id: int,
                      photo: ExportedPhoto, written: set[str]) -> None:
        data = read_photo(archive, photo)
        written.add(photo.sha256)
        try:
            row = self._insert_photo(
                transaction, session_id, data, photo.sha256, filename=photo.filename, view=photo.view,
                captured_at=photo.captured_at, excluded=photo.excluded, excluded_reason=photo.excluded_reason,
                checks=[dict(check) for check in photo.checks], created_at=photo.created_at)
            photo_id = row.id
        except DuplicatePhotoError as duplicate:  # two photos that differed only in their location
            photo_id = duplicate.photo_id
        for analysis in photo.analyses:
            transaction.add(_AnalysisRow(photo_id=photo_id, algorithm_version=analysis.algorithm_version,
                                         created_at=analysis.created_at, **_split_result(analysis.result)))
        transaction.flush()


# ---------------------------------------------------------------------------------------------------------------
# Engine


def _open_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreOpenError(f"{url!r} is not a database URL (expected e.g. sqlite:///path/progress.sqlite3 "
                             "or postgresql+psycopg://user@host/database).") from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                private_sqlite_file(Path(parsed.database).expanduser())
            except OSError as error:
                raise StoreOpenError(f"The practice records at {_safe_url(url)} cannot be opened: "
                                     f"{error.strerror or error}.") from error
        engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    if backend == "postgresql":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ImportError as error:
            raise StoreOpenError("PostgreSQL needs its driver: pip install 'progress[postgres]'.") from error
    raise StoreOpenError(f"Practice records can be kept in SQLite or PostgreSQL, not {backend!r}.")


def _configure_sqlite_connection(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # transactions are begun by _begin_sqlite_transaction, not by the driver
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL", "secure_delete=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(invalid URL)"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _remove_file(path: Path) -> int | None:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return None
    return size


# ---------------------------------------------------------------------------------------------------------------
# Rows ↔ records, validation


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_name(name: str) -> str:
    return checked_text(name, "the client's name or code", MAX_NAME_LENGTH, required=True).strip()


def _checked_notes(notes: str, field: str) -> str:
    return checked_text(notes, field, MAX_NOTES_LENGTH)


def _checked_birth_year(year: int | None) -> int | None:
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not 1900 <= year <= date.today().year):
        raise InvalidRecordError(f"Expected a birth year between 1900 and this year, got {year!r:.40}.")
    return year


def _checked_primary_metrics(names: Sequence[str]) -> list[str]:
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"Expected a list of metric names for the primary metrics, got {names!r}.")
    chosen = list(names)
    if len(chosen) > MAX_PRIMARY_METRICS:
        raise ValueError(f"Choose at most {MAX_PRIMARY_METRICS} primary metrics, got {len(chosen)}: {chosen}.")
    unknown = [name for name in chosen if name not in _metric_names()]
    if unknown:
        raise ValueError(f"Primary metrics must be metrics of the catalogue; unknown: {', '.join(unknown)}.")
    repeated = sorted({name for name in chosen if chosen.count(name) > 1})
    if repeated:
        raise ValueError(f"Each primary metric can be chosen once; repeated: {', '.join(repeated)}.")
    return chosen


def _imported_primary_metrics(names: Any) -> list[str]:
    """An export's primary metrics, without the names this version no longer measures (renamed or retired)."""
    if not isinstance(names, list):
        raise ValueError(f"primary_metrics is {names!r}, not a list")
    return _checked_primary_metrics([name for name in names if not isinstance(name, str) or name in _metric_names()])


@cache
def _metric_names() -> frozenset[str]:
    return frozenset(spec.name for spec in catalogue())


def _checked_setting_key(key: str) -> str:
    return checked_text(key, "the setting name", MAX_NAME_LENGTH, required=True)


def _checked_setting_value(key: str, value: Any) -> Any:
    """The value as JSON gives it back (the same on SQLite and PostgreSQL)."""
    try:
        kept = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidRecordError(f"The setting {key!r} must be a JSON value (text, numbers, true/false, lists, "
                                 f"string-keyed objects; no NaN or bytes): {error}") from error
    checked_json_text(kept, f"the setting {key!r}")
    return kept


def _checked_photo(data: bytes, view: View | str, captured_at: datetime | None, filename: str) -> View:
    if not data:
        raise InvalidRecordError("Expected the photo's bytes, got an empty file.")
    checked_text(filename, "the photo's file name", MAX_FILENAME_LENGTH)
    if captured_at is not None and (not isinstance(captured_at, datetime) or captured_at.tzinfo is not None):
        raise InvalidRecordError(f"Expected captured_at as the camera's naive local time, got {captured_at!r}.")
    if view not in tuple(View):
        raise InvalidRecordError(f"A photo's view is one of {', '.join(View)}, not {view!r:.40}.")
    return View(view)


def _client_not_found(client_id: int) -> NotFoundError:
    return NotFoundError(f"There is no client with id {client_id} (it may have just been deleted).")


def _session_not_found(session_id: int) -> NotFoundError:
    return NotFoundError(f"There is no session with id {session_id} (it may have just been deleted).")


def _photo_not_found(photo_id: int) -> NotFoundError:
    return NotFoundError(f"There is no photo with id {photo_id} (it may have just been deleted).")


def _duplicate(photo_id: int) -> DuplicatePhotoError:
    return DuplicatePhotoError(f"This photo is already in this session (photo {photo_id}); it was not added again.",
                               photo_id=photo_id)


def _client_record(row: _ClientRow) -> ClientRecord:
    return ClientRecord(id=row.id, name=row.name, birth_year=row.birth_year, skin_notes=row.skin_notes,
                        consent_clinical=row.consent_clinical, consent_marketing=row.consent_marketing,
                        created_at=row.created_at, primary_metrics=tuple(row.primary_metrics))


def _session_record(row: _SessionRow) -> SessionRecord:
    return SessionRecord(id=row.id, client_id=row.client_id, day=row.day, number=row.number,
                         treatment_notes=row.treatment_notes, capture_notes=row.capture_notes)


def _photo_record(row: _PhotoRow, size: int) -> PhotoRecord:
    return PhotoRecord(id=row.id, session_id=row.session_id, sha256=row.sha256, size_bytes=size,
                       filename=row.filename, captured_at=row.captured_at, view=View(row.view), excluded=row.excluded,
                       excluded_reason=row.excluded_reason, checks=tuple(_from_json(row.checks)),
                       created_at=row.created_at)


def _analysis_record(row: _AnalysisRow) -> AnalysisRecord:
    result = _from_json(row.details) | {"metrics": _from_json(row.metrics), "checks": _from_json(row.checks)}
    landmarks = None if row.landmarks is None else np.frombuffer(row.landmarks, dtype="<f4").reshape(478, 3)
    transform = None if row.transform is None else np.array(row.transform, dtype=np.float64).reshape(2, 3)
    return AnalysisRecord(id=row.id, photo_id=row.photo_id, algorithm_version=row.algorithm_version, result=result,
                          created_at=row.created_at, landmarks=landmarks, transform=transform)


def _geometry(result: PhotoResult) -> dict[str, Any]:
    """The aligned landmarks (478×3 little-endian float32 bytes) and transform (six numbers) of a result's face,
    for the analysis row's ``landmarks`` and ``transform`` columns (None without a face)."""
    if result.aligned is None:
        return {"landmarks": None, "transform": None}
    return {"landmarks": np.ascontiguousarray(result.aligned.landmarks, dtype="<f4").tobytes(),
            "transform": [float(v) for v in np.asarray(result.aligned.transform, dtype=np.float64).ravel()]}


def _split_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """A ``PhotoResult.to_dict()`` (or an exported one) as the analysis row's three JSON columns."""
    encoded = _to_json(dict(result))
    return {"metrics": encoded.pop("metrics", {}), "checks": encoded.pop("checks", []), "details": encoded}


def _to_json(value: Any) -> Any:
    """JSON has no NaN or infinity (PostgreSQL refuses them): they are stored as ``{"$float": "nan"}``.

    Examples:
        >>> _to_json({"a": [1.5, float("nan"), -float("inf")]})
        {'a': [1.5, {'$float': 'nan'}, {'$float': '-inf'}]}
        >>> _from_json(_to_json([float("inf"), "x"]))
        [inf, 'x']
    """
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if value.keys() == {"$float"}:
            number = float(value["$float"])
            return _NAN if math.isnan(number) else number  # one NaN object: equal records compare equal
        return {key: _from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Export documents


def _client_document(row: _ClientRow) -> dict[str, Any]:
    return {"name": row.name, "birth_year": row.birth_year, "skin_notes": row.skin_notes,
            "consent_clinical": row.consent_clinical, "consent_marketing": row.consent_marketing,
            "created_at": row.created_at.isoformat(), "primary_metrics": list(row.primary_metrics)}


def _session_document(row: _SessionRow, photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "number": row.number, "treatment_notes": row.treatment_notes,
            "capture_notes": row.capture_notes, "photos": photos}


def _photo_document(row: _PhotoRow, name: str, analyses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"photo_id": row.id, "file": name, "sha256": "", "filename": row.filename,
            "captured_at": None if row.captured_at is None else row.captured_at.isoformat(), "view": row.view,
            "excluded": row.excluded, "excluded_reason": row.excluded_reason, "checks": row.checks,
            "created_at": row.created_at.isoformat(), "analyses": analyses}


def _analysis_document(row: _AnalysisRow) -> dict[str, Any]:
    result = row.details | {"metrics": row.metrics, "checks": row.checks}  # non-finite floats stay encoded
    return {"algorithm_version": row.algorithm_version, "result": result, "created_at": row.created_at.isoformat()}


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
            latest: dict[str, Any] = photo["analyses"][-1] if photo["analyses"] else {"algorithm_version": "",
                                                                                       "result": {}}
            error = latest["result"].get("error") or {}
            rows.append(({"session": position, "session_day": session["day"], "session_number": session["number"],
                          "photo": photo["file"], "filename": photo["filename"], "view": photo["view"],
                          "captured_at": photo["captured_at"] or "", "excluded": photo["excluded"],
                          "excluded_reason": photo["excluded_reason"],
                          "algorithm_version": latest["algorithm_version"], "error": error.get("type", "")},
                         _from_json(latest["result"].get("metrics", {}))))
    metric_names = sorted({name for _fields, metrics in rows for name in metrics})
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    fixed = ["session", "session_day", "session_number", "photo", "filename", "view", "captured_at", "excluded",
             "excluded_reason", "algorithm_version", "error"]
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

