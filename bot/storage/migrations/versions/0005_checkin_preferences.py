"""A coachee's own check-in time and frequency, overriding the service's defaults.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coachees") as batch:
        batch.add_column(sa.Column("checkin_time", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("checkin_every_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coachees") as batch:
        batch.drop_column("checkin_every_days")
        batch.drop_column("checkin_time")
