"""Keep the practice's files private to the person running progress: folders 0700, files 0600.

Client photos and notes are health data. Folders made by progress are created 0700 and files 0600 whatever the
umask; a data folder, database or photo that already existed with access for others is tightened, and a warning
is logged (``logging.getLogger("progress.private_files")``) so the practitioner knows it had been readable.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Final

__all__ = ["FILE_MODE", "FOLDER_MODE", "private_folder", "private_sqlite_file", "private_tree", "write_private_file"]

FOLDER_MODE: Final = 0o700
"""Owner only: list, enter and create."""
FILE_MODE: Final = 0o600
"""Owner only: read and write."""

_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
_log = logging.getLogger(__name__)


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) owner-only, or tighten it to 0700 if others could enter it.

    Returns:
        ``folder``.
    """
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(folder, FOLDER_MODE)
    return folder


def private_sqlite_file(database: Path) -> None:
    """Create an SQLite database's folder 0700 if it is missing (an existing folder is left as it is: it may be
    the user's own), create the file 0600 if it is new (SQLite then creates its ``-wal`` and ``-shm`` files with
    the same mode), and tighten an existing database and its companions."""
    database.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    handle = os.open(database, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(handle)
    for suffix in _SQLITE_COMPANIONS:
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            _tighten(companion, FILE_MODE)


def private_tree(folder: Path) -> None:
    """Tighten every folder under ``folder`` (itself included) to 0700 and every file to 0600; one warning for
    all that were open to others."""
    if not folder.is_dir():
        return
    loosened = 0
    for path in (folder, *sorted(folder.rglob("*"))):
        if path.is_symlink():
            continue
        mode = FOLDER_MODE if path.is_dir() else FILE_MODE
        loosened += _tighten(path, mode, warn=False)
    if loosened:
        _log.warning(
            "%d files or folders under %s could be read by other users of this computer; they are now private to you.",
            loosened,
            folder,
        )


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a 0600 file (an existing file is tightened before it is overwritten)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(handle).st_mode) & ~FILE_MODE:
            os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb", closefd=False) as file:
            file.write(data)
    finally:
        os.close(handle)


def _tighten(path: Path, mode: int, *, warn: bool = True) -> int:
    """Remove group and other access from ``path``; 1 if it had some, else 0."""
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return 0
    try:
        os.chmod(path, current & ~0o077 | (mode & 0o700))
    except PermissionError:
        _log.warning(
            "%s can be read by other users of this computer and could not be made private (it belongs "
            "to someone else); ask whoever manages this computer to restrict it.",
            path,
        )
        return 0
    if warn:
        _log.warning("%s could be read by other users of this computer; it is now private to you.", path)
    return 1
