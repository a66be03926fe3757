"""Clients' primary metrics (a JSON list, empty for existing clients) and the practice-wide settings table.

Revision ID: 0002
Revises: 0001
Created: the second release
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # The default is a plain string, not sa.text(...): with an SQL expression Alembic would recreate the table on
    # SQLite, and dropping the old `clients` (foreign keys on) would cascade-delete every session and photo.
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("primary_metrics", _JSON, nullable=False, server_default="[]"))
    op.create_table(
        "settings",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )


def downgrade() -> None:
    op.drop_table("settings")
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+), never batch mode's copy-and-drop of `clients` (see above).
    op.drop_column("clients", "primary_metrics")
