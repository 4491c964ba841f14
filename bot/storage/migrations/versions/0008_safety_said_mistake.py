"""When a coachee on a safety hold said the alert was a mistake, kept on the event that began the hold, so the
coach's digest can say so beside it.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("safety_events") as batch:
        batch.add_column(sa.Column("said_mistake_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("safety_events") as batch:
        batch.drop_column("said_mistake_at")
