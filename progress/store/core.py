"""The store's core: opening the records, short transactions, row locks, and photo bytes kept once per content.

:class:`StoreCore` is the part every group of :class:`progress.store.Store`'s methods (clients and sessions,
photos and analyses, export and import, settings and maintenance) builds on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as _Transaction

from progress.errors import StoredPhotoError, StoreError, StoreOpenError
from progress.private_files import private_folder, private_tree
from progress.record_fields import View
from progress.store.blobs import (
    _content_path,
    _read_content_file,
    _remove_file,
    _write_content_file,
)
from progress.store.engine import (
    _WRITE_OPTION,
    _first_line,
    _migrate,
    _open_engine,
    _safe_url,
    default_data_folder,
    default_database_url,
)
from progress.store.records import _client_not_found, _duplicate, _now, _photo_not_found, _session_not_found
from progress.store.schema import (
    _ClientRow,
    _ContentRow,
    _insert_content_if_absent,
    _PhotoRow,
    _SessionRow,
)


class StoreCore:
    """What every part of :class:`progress.store.Store` shares (see there for the arguments and errors)."""

    def __init__(
        self, url: str | None = None, *, data_folder: str | Path | None = None, photos_in_database: bool | None = None
    ) -> None:
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
            raise StoreOpenError(
                f"The data folder {self.data_folder} cannot be used: {error.strerror or error}."
            ) from error
        try:
            _migrate(self._writer, self.backend, self.url)
        except SQLAlchemyError as error:
            self._engine.dispose()
            raise StoreOpenError(
                f"The practice records at {_safe_url(self.url)} cannot be opened: {_first_line(error)}"
            ) from error
        except StoreOpenError:
            self._engine.dispose()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_safe_url(self.url)!r}, photos_in_database={self.photos_in_database})"

    def close(self) -> None:
        """Close the database connections (the store can be opened again later)."""
        self._engine.dispose()

    def photo_bytes(self, photo_id: int) -> bytes:
        """The photo's original bytes, exactly as they were added.

        Raises:
            NotFoundError: No such photo.
            StoredPhotoError: Its file is missing or its bytes no longer match their hash.
        """
        with self._reading() as transaction:
            found = transaction.execute(
                select(_ContentRow.sha256, _ContentRow.in_database, _ContentRow.data)
                .join(_PhotoRow, _PhotoRow.sha256 == _ContentRow.sha256)
                .where(_PhotoRow.id == photo_id)
            ).one_or_none()
        if found is None:
            raise _photo_not_found(photo_id)
        sha256, in_database, stored = found
        data = stored if in_database else self._read_content_file(sha256)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            raise StoredPhotoError(
                f"The stored copy of photo {photo_id} no longer matches the photo that was added "
                "(damaged disk or edited file); restore it from a backup or an export."
            )
        return bytes(data)

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

    def _lock_client(self, transaction: _Transaction, client_id: int, *, exclusive: bool) -> _ClientRow:
        """Lock a client's row: shared by photo writers, exclusive for deletions (PostgreSQL; SQLite's write
        transactions are serial anyway)."""
        row = transaction.scalars(
            select(_ClientRow).where(_ClientRow.id == client_id).with_for_update(read=not exclusive)
        ).one_or_none()
        if row is None:
            raise _client_not_found(client_id)
        return row

    def _lock_session(self, transaction: _Transaction, session_id: int, *, exclusive: bool) -> _SessionRow:
        client_id = transaction.scalar(select(_SessionRow.client_id).where(_SessionRow.id == session_id))
        if client_id is None:
            raise _session_not_found(session_id)
        self._lock_client(transaction, client_id, exclusive=exclusive)
        row = transaction.scalars(
            select(_SessionRow).where(_SessionRow.id == session_id).with_for_update(read=not exclusive)
        ).one_or_none()
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
            return transaction.scalar(
                select(_PhotoRow.id).where(_PhotoRow.session_id == session_id, _PhotoRow.sha256 == sha256)
            )

    def _insert_photo(
        self,
        transaction: _Transaction,
        session_id: int,
        data: bytes,
        sha256: str,
        *,
        filename: str,
        view: View,
        captured_at: datetime | None,
        excluded: bool = False,
        excluded_reason: str = "",
        checks: list[dict[str, Any]] | None = None,
        created_at: datetime | None = None,
    ) -> _PhotoRow:
        content = self._lock_content(transaction, sha256, len(data))
        existing = transaction.scalar(
            select(_PhotoRow.id).where(_PhotoRow.session_id == session_id, _PhotoRow.sha256 == sha256)
        )
        if existing is not None:
            raise _duplicate(existing)
        if self.photos_in_database and not content.in_database:
            content.in_database, content.data = True, data
        elif not content.in_database:
            self._write_content_file(sha256, data)
        row = _PhotoRow(
            session_id=session_id,
            sha256=sha256,
            filename=filename,
            captured_at=captured_at,
            view=str(view),
            excluded=excluded,
            excluded_reason=excluded_reason,
            checks=checks or [],
            created_at=created_at or _now(),
        )
        transaction.add(row)
        transaction.flush()
        return row

    def _lock_content(self, transaction: _Transaction, sha256: str, size: int) -> _ContentRow:
        """Make sure the content row exists and lock it until the transaction ends (a concurrent deletion may
        remove it between the two statements: then try again)."""
        for _attempt in range(5):
            transaction.execute(self._insert_if_absent(sha256, size))
            row = transaction.scalars(
                select(_ContentRow).where(_ContentRow.sha256 == sha256).with_for_update()
            ).one_or_none()
            if row is not None:
                return row
        raise StoreError("The photo could not be stored because it was being deleted at the same time; try again.")

    def _insert_if_absent(self, sha256: str, size: int) -> postgresql.Insert | sqlite.Insert:
        return _insert_content_if_absent(self.backend, sha256, size)

    def _release_contents(self, transaction: _Transaction, hashes: Iterable[str]) -> list[str]:
        """Delete the content rows no photo refers to any more; returns their hashes (their files go after commit)."""
        released = []
        for sha256 in sorted(hashes):
            content = transaction.scalars(
                select(_ContentRow).where(_ContentRow.sha256 == sha256).with_for_update()
            ).one_or_none()
            still_used = transaction.scalar(
                select(func.count()).select_from(_PhotoRow).where(_PhotoRow.sha256 == sha256)
            )
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
        return _content_path(self._photos_folder, sha256)

    def _write_content_file(self, sha256: str, data: bytes) -> None:
        _write_content_file(self.data_folder, self._photos_folder, sha256, data)

    def _read_content_file(self, sha256: str) -> bytes | None:
        return _read_content_file(self._photos_folder, sha256)
