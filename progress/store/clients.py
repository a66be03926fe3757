"""The store's clients and their sessions (part of :class:`progress.store.Store`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select

from progress.record_fields import checked_baseline_sessions, checked_bool, checked_day, checked_session_number
from progress.store.core import StoreCore
from progress.store.records import (
    UNSET,
    ClientRecord,
    SessionRecord,
    _checked_birth_year,
    _checked_name,
    _checked_notes,
    _checked_primary_metrics,
    _client_not_found,
    _now,
    _session_not_found,
    _Unset,
)
from progress.store.schema import _client_record, _ClientRow, _PhotoRow, _session_record, _SessionRow


class ClientsAndSessions(StoreCore):
    """Adding, changing, reading and deleting clients and sessions."""

    # -- clients -------------------------------------------------------------------------------------------------

    def create_client(
        self,
        name: str,
        *,
        birth_year: int | None = None,
        skin_notes: str = "",
        consent_clinical: bool = False,
        consent_marketing: bool = False,
        primary_metrics: Sequence[str] = (),
        baseline_sessions: int = 1,
    ) -> ClientRecord:
        """Add a client.

        Raises:
            InvalidRecordError: ``name`` is blank or over 200 characters, a text holds a NUL character,
                ``birth_year`` is not a plausible year, a consent is not True or False, or ``baseline_sessions``
                (sessions before the first treatment) is not a whole number from 1 to 20 (a ValueError too).
            ValueError: ``primary_metrics`` has more than five names, a name twice or a name not in the catalogue.
        """
        row = _ClientRow(
            name=_checked_name(name),
            birth_year=_checked_birth_year(birth_year),
            skin_notes=_checked_notes(skin_notes, "the skin notes"),
            consent_clinical=checked_bool(consent_clinical, "the consent for clinical use"),
            consent_marketing=checked_bool(consent_marketing, "the consent to show photos"),
            created_at=_now(),
            primary_metrics=_checked_primary_metrics(primary_metrics),
            baseline_sessions=checked_baseline_sessions(baseline_sessions),
        )
        with self._writing() as transaction:
            transaction.add(row)
        return _client_record(row)

    def update_client(
        self,
        client_id: int,
        *,
        name: str | _Unset = UNSET,
        birth_year: int | _Unset | None = UNSET,
        skin_notes: str | _Unset = UNSET,
        consent_clinical: bool | _Unset = UNSET,
        consent_marketing: bool | _Unset = UNSET,
        primary_metrics: Sequence[str] | _Unset = UNSET,
        baseline_sessions: int | _Unset = UNSET,
    ) -> ClientRecord:
        """Change the given fields of a client (the others stay as they are).

        Raises:
            NotFoundError: No such client.
            ValueError: As :meth:`create_client` (nothing is changed).
        """
        metrics = UNSET if primary_metrics is UNSET else _checked_primary_metrics(primary_metrics)
        baseline = UNSET if baseline_sessions is UNSET else checked_baseline_sessions(baseline_sessions)
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
            if baseline is not UNSET:
                row.baseline_sessions = baseline
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
        return sorted(
            (record for record in records if wanted in record.name.casefold()),
            key=lambda record: (record.name.casefold(), record.id),
        )

    def delete_client(self, client_id: int) -> None:
        """Delete a client with all their sessions, photos (and the photo files no other record uses) and analyses.

        Raises:
            NotFoundError: No such client.
        """
        with self._writing() as transaction:
            self._lock_client(transaction, client_id, exclusive=True)
            hashes = set(
                transaction.scalars(
                    select(_PhotoRow.sha256).join(_SessionRow).where(_SessionRow.client_id == client_id)
                )
            )
            transaction.execute(delete(_ClientRow).where(_ClientRow.id == client_id))
            released = self._release_contents(transaction, hashes)
        self._remove_unreferenced_files(released)
        self._forget_deleted()

    # -- sessions ------------------------------------------------------------------------------------------------

    def add_session(
        self,
        client_id: int,
        *,
        day: date | None = None,
        number: int | None = None,
        treatment_notes: str = "",
        capture_notes: str = "",
    ) -> SessionRecord:
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
                highest = transaction.scalar(
                    select(func.max(_SessionRow.number)).where(_SessionRow.client_id == client_id)
                )
                number = (highest or 0) + 1
            row = _SessionRow(
                client_id=client_id,
                day=day,
                number=number,
                treatment_notes=treatment_notes,
                capture_notes=capture_notes,
            )
            transaction.add(row)
        return _session_record(row)

    def update_session(
        self,
        session_id: int,
        *,
        day: date | _Unset = UNSET,
        number: int | _Unset = UNSET,
        treatment_notes: str | _Unset = UNSET,
        capture_notes: str | _Unset = UNSET,
    ) -> SessionRecord:
        """Change the given fields of a session.

        Raises:
            NotFoundError: No such session.
            InvalidRecordError: As :meth:`add_session` (nothing is changed).
        """
        day = day if day is UNSET else checked_day(day, "the session's date")
        number = number if number is UNSET else checked_session_number(number)
        treatment_notes = (
            treatment_notes if treatment_notes is UNSET else _checked_notes(treatment_notes, "the treatment notes")
        )
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
            rows = transaction.scalars(
                select(_SessionRow)
                .where(_SessionRow.client_id == client_id)
                .order_by(_SessionRow.day, _SessionRow.number, _SessionRow.id)
            )
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
