"""The store's photos and their analyses (part of :class:`progress.store.Store`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from progress.record_fields import MAX_ALGORITHM_VERSION_LENGTH, View, checked_bool, checked_json_text, checked_text
from progress.store.core import StoreCore
from progress.store.records import (
    AnalysisRecord,
    PhotoRecord,
    _checked_notes,
    _checked_photo,
    _client_not_found,
    _duplicate,
    _now,
    _photo_not_found,
    _session_not_found,
)
from progress.store.schema import (
    _PHOTO_QUERY,
    _analysis_record,
    _AnalysisRow,
    _ClientRow,
    _ContentRow,
    _geometry,
    _photo_record,
    _PhotoRow,
    _SessionRow,
    _split_result,
)

if TYPE_CHECKING:
    from progress.analysis import PhotoResult


class PhotosAndAnalyses(StoreCore):
    """Adding, reading, correcting and deleting photos; saving and reading their analyses."""

    # -- photos --------------------------------------------------------------------------------------------------

    def add_photo(
        self,
        session_id: int,
        data: bytes,
        *,
        filename: str = "",
        view: View | str = View.FRONT,
        captured_at: datetime | None = None,
    ) -> PhotoRecord:
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
                row = self._insert_photo(
                    transaction, session_id, data, sha256, filename=filename, view=view, captured_at=captured_at
                )
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
            found = transaction.execute(
                _PHOTO_QUERY.where(_PhotoRow.session_id == session_id).order_by(_PhotoRow.id)
            ).all()
            return [_photo_record(row, size) for row, size in found]

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
            client_id = transaction.scalar(
                select(_SessionRow.client_id).join(_PhotoRow).where(_PhotoRow.id == photo_id)
            )
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
            photos = {
                row.id: row
                for row in transaction.scalars(
                    select(_PhotoRow).where(_PhotoRow.id.in_(wanted)).order_by(_PhotoRow.id).with_for_update()
                )
            }
            missing = [photo_id for photo_id in wanted if photo_id not in photos]
            if missing:
                raise _photo_not_found(missing[0])
            now = _now()
            rows = [
                _AnalysisRow(
                    photo_id=photo_id,
                    algorithm_version=algorithm_version,
                    created_at=now,
                    **_split_result(result.to_dict()),
                    **_geometry(result),
                )
                for photo_id, result in pairs
            ]
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
            newest = (
                select(func.max(_AnalysisRow.id))
                .join(_PhotoRow)
                .join(_SessionRow)
                .where(_SessionRow.client_id == client_id)
                .group_by(_AnalysisRow.photo_id)
            )
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
            rows = transaction.scalars(
                select(_AnalysisRow).where(_AnalysisRow.photo_id == photo_id).order_by(_AnalysisRow.id)
            )
            return [_analysis_record(row) for row in rows]
