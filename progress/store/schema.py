"""The practice records' tables (private: callers only ever see :mod:`progress.store.records`), and rows ↔ records.

The first migration (``progress/migrations/versions``) creates the same schema; ``progress/migrations/env.py``
compares the migrations with :data:`_metadata`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
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
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from progress.record_fields import View
from progress.store.records import AnalysisRecord, ClientRecord, PhotoRecord, SessionRecord

if TYPE_CHECKING:
    from progress.analysis import PhotoResult

_NAN = float("nan")


_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


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
    baseline_sessions: Mapped[int] = mapped_column(Integer, server_default="1")  # revision 0004


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


def _insert_content_if_absent(backend: str, sha256: str, size: int) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of an empty content row for ``sha256`` that does nothing when the row exists."""
    values = {"sha256": sha256, "size_bytes": size, "in_database": False}
    if backend == "postgresql":
        return postgresql.insert(_ContentRow).values(values).on_conflict_do_nothing(index_elements=["sha256"])
    return sqlite.insert(_ContentRow).values(values).on_conflict_do_nothing(index_elements=["sha256"])


def _upsert_setting(backend: str, key: str, value: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of a setting that replaces its value when the key exists."""
    if backend == "postgresql":
        upsert = postgresql.insert(_SettingRow).values(key=key, value=value)
        return upsert.on_conflict_do_update(index_elements=["key"], set_={"value": upsert.excluded["value"]})
    lite = sqlite.insert(_SettingRow).values(key=key, value=value)
    return lite.on_conflict_do_update(index_elements=["key"], set_={"value": lite.excluded["value"]})


# ---------------------------------------------------------------------------------------------------------------
# Rows → records, results ↔ JSON columns


def _client_record(row: _ClientRow) -> ClientRecord:
    return ClientRecord(
        id=row.id,
        name=row.name,
        birth_year=row.birth_year,
        skin_notes=row.skin_notes,
        consent_clinical=row.consent_clinical,
        consent_marketing=row.consent_marketing,
        created_at=row.created_at,
        primary_metrics=tuple(row.primary_metrics),
        baseline_sessions=row.baseline_sessions,
    )


def _session_record(row: _SessionRow) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        client_id=row.client_id,
        day=row.day,
        number=row.number,
        treatment_notes=row.treatment_notes,
        capture_notes=row.capture_notes,
    )


def _photo_record(row: _PhotoRow, size: int) -> PhotoRecord:
    return PhotoRecord(
        id=row.id,
        session_id=row.session_id,
        sha256=row.sha256,
        size_bytes=size,
        filename=row.filename,
        captured_at=row.captured_at,
        view=View(row.view),
        excluded=row.excluded,
        excluded_reason=row.excluded_reason,
        checks=tuple(_from_json(row.checks)),
        created_at=row.created_at,
    )


def _analysis_record(row: _AnalysisRow) -> AnalysisRecord:
    result = _from_json(row.details) | {"metrics": _from_json(row.metrics), "checks": _from_json(row.checks)}
    landmarks = None if row.landmarks is None else np.frombuffer(row.landmarks, dtype="<f4").reshape(478, 3)
    transform = None if row.transform is None else np.array(row.transform, dtype=np.float64).reshape(2, 3)
    return AnalysisRecord(
        id=row.id,
        photo_id=row.photo_id,
        algorithm_version=row.algorithm_version,
        result=result,
        created_at=row.created_at,
        landmarks=landmarks,
        transform=transform,
    )


def _geometry(result: PhotoResult) -> dict[str, Any]:
    """The aligned landmarks (478×3 little-endian float32 bytes) and transform (six numbers) of a result's face,
    for the analysis row's ``landmarks`` and ``transform`` columns (None without a face)."""
    if result.aligned is None:
        return {"landmarks": None, "transform": None}
    return {
        "landmarks": np.ascontiguousarray(result.aligned.landmarks, dtype="<f4").tobytes(),
        "transform": [float(v) for v in np.asarray(result.aligned.transform, dtype=np.float64).ravel()],
    }


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
