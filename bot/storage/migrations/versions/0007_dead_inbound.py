"""Inbound messages that failed for a reason of their own, kept aside so one bad message can't hold everyone up.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dead_inbound",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("coachee_id", Id, nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coachee_id"], ["coachees.id"], name=op.f("fk_dead_inbound_coachee_id_coachees"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_inbound")),
        sa.UniqueConstraint("transport", "message_id", name=op.f("uq_dead_inbound_transport_message_id")),
    )
    op.create_index(op.f("ix_dead_inbound_coachee_id"), "dead_inbound", ["coachee_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dead_inbound_coachee_id"), table_name="dead_inbound")
    op.drop_table("dead_inbound")
