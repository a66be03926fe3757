"""Where the practice records are, opening their database engine (SQLite pragmas and write locks, PostgreSQL),
and upgrading their schema with Alembic (``progress/migrations``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from progress.errors import StoreOpenError
from progress.private_files import private_sqlite_file

__all__ = [
    "DATABASE_FILE_NAME",
    "DATABASE_URL_VARIABLE",
    "DATA_FOLDER_VARIABLE",
    "default_data_folder",
    "default_database_url",
]

DATABASE_URL_VARIABLE = "PROGRESS_DATABASE_URL"
DATA_FOLDER_VARIABLE = "PROGRESS_DATA_FOLDER"
DATABASE_FILE_NAME = "progress.sqlite3"

_MIGRATIONS_FOLDER = Path(__file__).parent.parent / "migrations"
_MIGRATION_LOCK_KEY = 0x70726F67  # "prog": one PostgreSQL advisory lock so that two instances never migrate at once
_WRITE_OPTION = "progress_write"
_SQLITE_BUSY_TIMEOUT_S = 30.0


def default_data_folder() -> Path:
    """``PROGRESS_DATA_FOLDER``, else ``~/.local/share/progress``."""
    configured = os.environ.get(DATA_FOLDER_VARIABLE)
    return Path(configured).expanduser() if configured else Path.home() / ".local" / "share" / "progress"


def default_database_url(data_folder: Path | None = None) -> str:
    """``PROGRESS_DATABASE_URL``, else the SQLite file ``progress.sqlite3`` in ``data_folder`` (default
    :func:`default_data_folder`)."""
    configured = os.environ.get(DATABASE_URL_VARIABLE)
    if configured:
        return configured
    folder = data_folder if data_folder is not None else default_data_folder()
    return f"sqlite:///{folder.expanduser().absolute() / DATABASE_FILE_NAME}"


def _migrate(writer: Engine, backend: str, url: str) -> None:
    """Upgrade the database to the newest revision, holding the write lock (and, on PostgreSQL, an advisory lock).

    Raises:
        StoreOpenError: The database was upgraded by a newer version of progress.
    """
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_FOLDER))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    with writer.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        current = MigrationContext.configure(connection).get_current_revision()
        if current is not None and current not in known:
            raise StoreOpenError(
                f"The practice records at {_safe_url(url)} were upgraded by a newer "
                f"version of progress (schema {current}); update progress to open them."
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _open_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreOpenError(
            f"{url!r} is not a database URL (expected e.g. sqlite:///path/progress.sqlite3 "
            "or postgresql+psycopg://user@host/database)."
        ) from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                private_sqlite_file(Path(parsed.database).expanduser())
            except OSError as error:
                raise StoreOpenError(
                    f"The practice records at {_safe_url(url)} cannot be opened: {error.strerror or error}."
                ) from error
        engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    if backend == "postgresql":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ImportError as error:
            raise StoreOpenError("PostgreSQL needs its driver: pip install 'progress[postgres]'.") from error
    raise StoreOpenError(f"Practice records can be kept in SQLite or PostgreSQL, not {backend!r}.")


def _configure_sqlite_connection(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # transactions are begun by _begin_sqlite_transaction, not by the driver
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL", "secure_delete=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(invalid URL)"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
