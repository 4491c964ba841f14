"""Actions with due dates, scale readings tied to their answer, and conversation wake-ups.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("coachee_id", Id, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coachee_id"], ["coachees.id"], name=op.f("fk_actions_coachee_id_coachees"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index(op.f("ix_actions_coachee_id"), "actions", ["coachee_id"], unique=False)
    with op.batch_alter_table("scale_readings") as batch:
        batch.add_column(sa.Column("run_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("question", sa.String(length=60), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_conversations_wake_at"), ["wake_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index(batch.f("ix_conversations_wake_at"))
        batch.drop_column("wake_at")
    with op.batch_alter_table("scale_readings") as batch:
        batch.drop_column("question")
        batch.drop_column("run_id")
    op.drop_index(op.f("ix_actions_coachee_id"), table_name="actions")
    op.drop_table("actions")
