"""Limits of the values the practice records keep, the same on SQLite and PostgreSQL.

PostgreSQL refuses a client name over 200 characters, a file name over 255, any text holding a NUL character and
integers beyond 32 bits, where SQLite would keep them; the store checks every value here first, so both refuse
the same things with a plain :class:`~progress.errors.InvalidRecordError` instead of a database error.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from progress.errors import InvalidRecordError

__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "MAX_ALGORITHM_VERSION_LENGTH",
    "MAX_BASELINE_SESSIONS",
    "MAX_FILENAME_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_NOTES_LENGTH",
    "MAX_SESSION_NUMBER",
    "View",
    "checked_baseline_sessions",
    "checked_bool",
    "checked_day",
    "checked_json_text",
    "checked_session_number",
    "checked_text",
]


class View(StrEnum):
    """Which side of the face the photo shows (left and right are the client's own)."""

    FRONT = "front"
    LEFT = "left"
    RIGHT = "right"


MAX_NAME_LENGTH: Final = 200
"""Characters in a client's name or code (the database column's width)."""
MAX_FILENAME_LENGTH: Final = 255
"""Characters in a photo's original file name (the database column's width; most file systems' limit)."""
MAX_ALGORITHM_VERSION_LENGTH: Final = 64
"""Characters in an analysis's algorithm version (the database column's width)."""
MAX_NOTES_LENGTH: Final = 100_000
"""Characters in a free-text field (skin, treatment and capture notes, a reason for leaving a photo out)."""
MAX_SESSION_NUMBER: Final = 100_000
MAX_BASELINE_SESSIONS: Final = 20
"""Sessions before the first treatment a client can have (a course is 6–12 sessions)."""
"""Highest session number (a course has tens of sessions; the column is a 32-bit integer)."""
EARLIEST_DAY: Final = date(1900, 1, 1)
"""Earliest date a session, photo or record may carry."""
LATEST_DAY: Final = date(2199, 12, 31)
"""Latest date a session, photo or record may carry."""


def checked_text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    """``value`` if it is text a record can keep, else a refusal naming ``field``.

    Args:
        value: The text.
        field: What it is, in the practitioner's words ("the client's name").
        max_length: The most characters it may have.
        required: Refuse blank text too.

    Raises:
        InvalidRecordError: Not text, blank when required, longer than ``max_length`` or holding a NUL character.

    Examples:
        >>> checked_text("ST6, ST7", "the treatment notes", 100)
        'ST6, ST7'
        >>> checked_text("a\\x00b", "the file name", 255)
        Traceback (most recent call last):
        ...
        progress.errors.InvalidRecordError: The file name contains a NUL character (an invisible control \
character); remove it and try again.
    """
    if not isinstance(value, str):
        raise InvalidRecordError(f"Expected text for {field}, got {type(value).__name__}.")
    if required and not value.strip():
        raise InvalidRecordError(f"{_capital(field)} cannot be blank.")
    if len(value) > max_length:
        raise InvalidRecordError(
            f"{_capital(field)} is {len(value):,} characters long; at most {max_length:,} can be kept."
        )
    if "\x00" in value:
        raise InvalidRecordError(
            f"{_capital(field)} contains a NUL character (an invisible control character); remove it and try again."
        )
    return value


def checked_json_text(value: Any, field: str) -> None:
    """Refuse a JSON value holding a NUL character in any text or key, or a non-finite number (PostgreSQL's JSON
    keeps neither).

    Raises:
        InvalidRecordError: Such a character or number is found.

    Examples:
        >>> checked_json_text({"a": ["b", 1.5]}, "the setting")
        >>> checked_json_text({"a": ["b\\x00"]}, "the setting")
        Traceback (most recent call last):
        ...
        progress.errors.InvalidRecordError: The setting contains a NUL character (an invisible control \
character); remove it and try again.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            checked_text(item, field, len(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidRecordError(f"{_capital(field)} holds a number that is not finite ({item!r}).")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def checked_bool(value: Any, field: str) -> bool:
    """``value`` if it is True or False (not the text "false", not 0 or 1).

    Raises:
        InvalidRecordError: Anything else.

    Examples:
        >>> checked_bool(False, "the consent")
        False
    """
    if not isinstance(value, bool):
        raise InvalidRecordError(f"Expected yes or no (true or false) for {field}, got {value!r:.40}.")
    return value


def checked_session_number(value: Any) -> int:
    """A session number: a whole number from 0 (a session before the course) to :data:`MAX_SESSION_NUMBER`.

    Raises:
        InvalidRecordError: Anything else.

    Examples:
        >>> checked_session_number(3)
        3
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SESSION_NUMBER:
        raise InvalidRecordError(
            f"A session number must be a whole number from 0 to {MAX_SESSION_NUMBER:,}, got {value!r:.40}."
        )
    return value


def checked_baseline_sessions(value: Any) -> int:
    """How many first sessions came before the first treatment: a whole number from 1 to
    :data:`MAX_BASELINE_SESSIONS`.

    Raises:
        InvalidRecordError: Anything else (a ValueError too).
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BASELINE_SESSIONS:
        raise InvalidRecordError(
            "The sessions before the first treatment must be a whole number from 1 to "
            f"{MAX_BASELINE_SESSIONS}, got {value!r:.40}."
        )
    return value


def checked_day(value: Any, field: str) -> date:
    """A date between :data:`EARLIEST_DAY` and :data:`LATEST_DAY`.

    Raises:
        InvalidRecordError: Not a date, or out of that range.

    Examples:
        >>> checked_day(date(2024, 1, 5), "the session's date")
        datetime.date(2024, 1, 5)
    """
    if not isinstance(value, date):
        raise InvalidRecordError(f"Expected a date for {field}, got {type(value).__name__}.")
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidRecordError(
            f"{_capital(field)} ({value.isoformat()}) is outside {EARLIEST_DAY.year}–{LATEST_DAY.year}."
        )
    return value


def _capital(field: str) -> str:
    return field[:1].upper() + field[1:]
