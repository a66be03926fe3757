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

The package's modules: :mod:`~progress.store.records` (the frozen records and the checks of every value),
:mod:`~progress.store.schema` (the tables), :mod:`~progress.store.engine` (where the records are, the engine,
migrations), :mod:`~progress.store.blobs` (photo files), :mod:`~progress.store.core`,
:mod:`~progress.store.clients`, :mod:`~progress.store.photos` and :mod:`~progress.store.archive` (the parts of
:class:`Store`).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from progress.record_fields import View
from progress.store.archive import Archive
from progress.store.blobs import _content_files
from progress.store.clients import ClientsAndSessions
from progress.store.engine import (
    DATA_FOLDER_VARIABLE,
    DATABASE_FILE_NAME,
    DATABASE_URL_VARIABLE,
    default_data_folder,
    default_database_url,
)
from progress.store.photos import PhotosAndAnalyses
from progress.store.records import (
    UNSET,
    AnalysisRecord,
    CleanupReport,
    ClientRecord,
    PhotoRecord,
    SessionRecord,
    _checked_setting_key,
    _checked_setting_value,
)
from progress.store.schema import _ContentRow, _SettingRow, _upsert_setting
from progress.store.schema import _metadata as _metadata  # the tables, for tests/test_store.py

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


_BYTES_KEY = "$base64"  # a setting holding bytes: {"$base64": "…"}


class Store(ClientsAndSessions, PhotosAndAnalyses, Archive):
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
                transaction.execute(_upsert_setting(self.backend, key, _checked_setting_value(key, value)))

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
        candidates = _content_files(self._photos_folder)
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
