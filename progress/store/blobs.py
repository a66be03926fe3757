"""Photo files: content-addressed by their SHA-256 under ``<data folder>/photos/ab/abcdef….bin``, written to a
temporary file in the same folder, flushed to disk and renamed (then the folder flushed too).

These functions only touch files; which files may go is decided with the database by the store
(:meth:`progress.store.Store.cleanup_orphans`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from progress.private_files import private_folder

_CONTENT_FILE = re.compile(r"^([0-9a-f]{64})(?:\.bin|\.[A-Za-z0-9_]+\.tmp)$")


def _content_path(photos_folder: Path, sha256: str) -> Path:
    """Where the bytes of ``sha256`` are kept."""
    return photos_folder / sha256[:2] / f"{sha256}.bin"


def _write_content_file(data_folder: Path, photos_folder: Path, sha256: str, data: bytes) -> None:
    """Write the bytes to their content-addressed file (temporary file, fsync, rename, fsync the folder)."""
    path = _content_path(photos_folder, sha256)
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
        return
    private_folder(data_folder)
    private_folder(photos_folder)
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


def _read_content_file(photos_folder: Path, sha256: str) -> bytes | None:
    """The bytes kept for ``sha256``, or None when there is no file."""
    try:
        return _content_path(photos_folder, sha256).read_bytes()
    except FileNotFoundError:
        return None


def _content_files(photos_folder: Path) -> dict[str, list[Path]]:
    """Every photo file and unfinished temporary file under ``photos_folder``, by the hash in its name."""
    candidates: dict[str, list[Path]] = {}
    for path in sorted(photos_folder.glob("??/*")):
        match = _CONTENT_FILE.match(path.name)
        if match and path.parent.name == match.group(1)[:2]:
            candidates.setdefault(match.group(1), []).append(path)
    return candidates


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
