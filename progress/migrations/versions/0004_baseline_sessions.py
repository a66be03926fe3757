"""Each client says how many of their first sessions came before the first treatment (issue 14).

``clients.baseline_sessions`` (at least 1; 1 for every existing client): the series' baseline is the mean of
those sessions, and with two or more their scatter is the client's own day-to-day noise
(:func:`progress.series.analyze_series`).

Revision ID: 0004
Revises: 0003
Created: issue 14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A NOT NULL column with a server default: SQLite and PostgreSQL add it in place and fill existing rows.
    op.add_column("clients", sa.Column("baseline_sessions", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+), never batch mode's copy-and-drop of `clients`, whose
    # drop would cascade to every session (revision 0002 says the same).
    op.drop_column("clients", "baseline_sessions")
