"""Create the practice records: clients, sessions, photo contents, photos and analyses.

Revision ID: 0001
Revises:
Created: the first release
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("skin_notes", sa.Text(), nullable=False),
        sa.Column("consent_clinical", sa.Boolean(), nullable=False),
        sa.Column("consent_marketing", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("treatment_notes", sa.Text(), nullable=False),
        sa.Column("capture_notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_sessions_client_id_clients", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_client_id", "sessions", ["client_id"])
    op.create_table(
        "photo_contents",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("in_database", sa.Boolean(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("sha256", name="pk_photo_contents"),
    )
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("view", sa.String(5), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("excluded_reason", sa.Text(), nullable=False),
        sa.Column("checks", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.CheckConstraint("view IN ('front', 'left', 'right')", name="ck_photos_view"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_photos_session_id_sessions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sha256"], ["photo_contents.sha256"], name="fk_photos_sha256_photo_contents"),
        sa.PrimaryKeyConstraint("id", name="pk_photos"),
        sa.UniqueConstraint("session_id", "sha256", name="uq_photos_session_id_sha256"),
    )
    op.create_index("ix_photos_session_id", "photos", ["session_id"])
    op.create_index("ix_photos_sha256", "photos", ["sha256"])
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("algorithm_version", sa.String(64), nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("checks", _JSON, nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name="fk_analyses_photo_id_photos", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_analyses"),
    )
    op.create_index("ix_analyses_photo_id", "analyses", ["photo_id"])


def downgrade() -> None:
    op.drop_table("analyses")
    op.drop_table("photos")
    op.drop_table("photo_contents")
    op.drop_table("sessions")
    op.drop_table("clients")
