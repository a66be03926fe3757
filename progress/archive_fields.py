"""Checked fields of a client export's ``client.json``: each checker returns the value or raises
:class:`FieldError` naming the place in the document (``sessions[3].photos[0].day``) and the problem, which
:mod:`progress.archive_schema` turns into an :class:`~progress.errors.InvalidExportError`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from progress.errors import InvalidRecordError
from progress.record_fields import checked_bool, checked_day, checked_text

MAX_JSON_DEPTH: Final = 12
"""Nesting of the free-form parts of a saved analysis."""
MAX_TEXT: Final = 100_000
"""Characters in any text inside a saved analysis."""
_NON_FINITE = frozenset({"nan", "inf", "-inf"})


class FieldError(Exception):
    """A schema violation at a place in the document (turned into InvalidExportError)."""

    def __init__(self, where: str, problem: str) -> None:
        problem = problem.rstrip(".")
        super().__init__(f"{where}: {problem[:1].lower()}{problem[1:]}")


def mapping_field(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(where, f"it must be an object, not {kind_of(value)}")
    return value


def list_field(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(where, f"it must be a list, not {kind_of(value)}")
    if len(value) > limit:
        raise FieldError(where, f"it has {len(value):,} entries (at most {limit:,})")
    return value


def text_field(entry: Mapping[str, Any], key: str, where: str, limit: int, *, required: bool = False) -> str:
    try:
        return checked_text(entry.get(key), "this field", limit, required=required)
    except InvalidRecordError as error:
        raise FieldError(f"{where}.{key}", str(error)) from None


def flag_field(entry: Mapping[str, Any], key: str, where: str) -> bool:
    try:
        return checked_bool(entry.get(key), "this field")
    except InvalidRecordError as error:
        raise FieldError(f"{where}.{key}", str(error)) from None


def number_field(value: Any, where: str) -> None:
    """A finite number, or ``{"$float": "nan" | "inf" | "-inf"}`` (how exports write the others)."""
    if isinstance(value, dict) and value.keys() == {"$float"} and str(value["$float"]) in _NON_FINITE:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1e300:
        raise FieldError(where, f"it must be a number (got {value!r:.40})")


def json_field(value: Any, where: str, depth: int) -> None:
    """Bounded JSON: not nested deeper than :data:`MAX_JSON_DEPTH`, short texts without NUL, sane numbers,
    and every ``{"$float": …}`` one of the three non-finite values."""
    if depth > MAX_JSON_DEPTH:
        raise FieldError(where, f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        text_field({"value": value}, "value", where, MAX_TEXT)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        raise FieldError(where, "it is a number too large to keep")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            json_field(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, dict):
        if "$float" in value:
            number_field(value, where)
        for key, item in value.items():
            text_field({"key": key}, "key", where, 200)
            json_field(item, f"{where}.{key}", depth + 1)


def moment_field(value: Any, where: str, *, aware: bool | None) -> datetime:
    """A date and time: when ``aware``, from 1900 to 2199 and back in UTC (naive ones are taken as UTC); when
    ``aware`` is False, naive (the camera's local time) in any year; when None, either, from 1900 to 2199."""
    moment: datetime = iso_field(value, where, datetime.fromisoformat)
    if aware is False:  # a camera's clock: any year the store keeps
        if moment.tzinfo is not None:
            raise FieldError(where, "it must be the camera's local time, without a time zone")
        return moment
    try:
        checked_day(moment, "the date")
    except InvalidRecordError as error:
        raise FieldError(where, str(error)) from None
    if aware:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment


def iso_field(value: Any, where: str, parse: Any) -> Any:
    if not isinstance(value, str) or len(value) > 64:
        raise FieldError(where, f"it must be an ISO date (got {value!r:.40})")
    try:
        return parse(value)
    except (ValueError, OverflowError):
        raise FieldError(where, f"it must be an ISO date (got {value!r:.40})") from None


def decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if value.keys() == {"$float"}:
            return float(value["$float"])
        return {key: decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decoded(item) for item in value]
    return value


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(
        type(value), "a number"
    )


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
