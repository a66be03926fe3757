"""The practice records' frozen results (:class:`ClientRecord`, :class:`SessionRecord`, :class:`PhotoRecord`,
:class:`AnalysisRecord`, :class:`CleanupReport`) and the checks every value passes before it is written.

Callers only ever see these records, never database objects. Nothing here imports the analysis layers at module
level: :meth:`AnalysisRecord.to_photo_result` imports :class:`progress.analysis.PhotoResult` when it is called,
and the primary-metric checks import the metric catalogue (:mod:`progress.catalogue`) and the series' limit
(:data:`progress.series.MAX_PRIMARY_METRICS`) when they first run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from progress.errors import DuplicatePhotoError, InvalidRecordError, NotFoundError
from progress.record_fields import (
    MAX_FILENAME_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    View,
    checked_json_text,
    checked_text,
)

if TYPE_CHECKING:
    from progress.analysis import PhotoResult

__all__ = ["UNSET", "AnalysisRecord", "CleanupReport", "ClientRecord", "PhotoRecord", "SessionRecord", "View"]


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
        baseline_sessions: How many of the client's first sessions came before the first treatment (at least 1):
            the baseline is their mean, and with two or more their scatter is the client's own day-to-day noise.
    """

    id: int
    name: str
    birth_year: int | None
    skin_notes: str
    consent_clinical: bool
    consent_marketing: bool
    created_at: datetime
    primary_metrics: tuple[str, ...] = ()
    baseline_sessions: int = 1


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
        from progress.analysis import PhotoResult  # the analysis layer, only when a result is rebuilt

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
# Validation


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_name(name: str) -> str:
    return checked_text(name, "the client's name or code", MAX_NAME_LENGTH, required=True).strip()


def _checked_notes(notes: str, field: str) -> str:
    return checked_text(notes, field, MAX_NOTES_LENGTH)


def _checked_birth_year(year: int | None) -> int | None:
    if year is not None and (
        isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= date.today().year
    ):
        raise InvalidRecordError(f"Expected a birth year between 1900 and this year, got {year!r:.40}.")
    return year


def _checked_primary_metrics(names: Sequence[str]) -> list[str]:
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"Expected a list of metric names for the primary metrics, got {names!r}.")
    from progress.series import MAX_PRIMARY_METRICS  # the series' limit; loaded with the analysis layers

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
    from progress.catalogue import catalogue  # the metric registry imports the skin and contour metrics (cv2)

    return frozenset(spec.name for spec in catalogue())


def _checked_setting_key(key: str) -> str:
    return checked_text(key, "the setting name", MAX_NAME_LENGTH, required=True)


def _checked_setting_value(key: str, value: Any) -> Any:
    """The value as JSON gives it back (the same on SQLite and PostgreSQL)."""
    try:
        kept = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidRecordError(
            f"The setting {key!r} must be a JSON value (text, numbers, true/false, lists, "
            f"string-keyed objects; no NaN or bytes): {error}"
        ) from error
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
    return DuplicatePhotoError(
        f"This photo is already in this session (photo {photo_id}); it was not added again.", photo_id=photo_id
    )
