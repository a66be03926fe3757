"""Each analysis keeps its face geometry: the 478 aligned landmarks and the alignment transform (issue 13).

``analyses.landmarks`` holds the landmarks in canonical pixels as 478×3 little-endian float32 (5,736 bytes),
``analyses.transform`` the (2, 3) similarity from photo pixels to canonical pixels as a JSON list of six
numbers. Pictures of a stored photo (before/after, time-lapse, report) are then warped from the photo without
running the landmark network again. Both are NULL for analyses saved before this revision, and for photos
without a face.

Revision ID: 0003
Revises: 0002
Created: issue 13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Nullable columns with no default: SQLite adds them in place (no batch copy of `analyses`).
    op.add_column("analyses", sa.Column("landmarks", sa.LargeBinary(), nullable=True))
    op.add_column("analyses", sa.Column("transform", _JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("analyses", "transform")
    op.drop_column("analyses", "landmarks")
