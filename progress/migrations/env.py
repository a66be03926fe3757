"""Alembic environment for the practice records (run by :class:`progress.store.Store` on open).

The store passes its open connection in ``config.attributes["connection"]``, inside a transaction that holds the
database's write lock. A developer making a new revision passes a URL instead (see README.md beside this file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from progress.store.schema import _metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Upgrade (or compare, for autogenerate) on the given connection, or on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as own_connection:
        _configure_and_run(own_connection)
    engine.dispose()


if hasattr(context, "config"):  # inside Alembic; importing this file anywhere else (doctest collection) does nothing
    run_migrations()
