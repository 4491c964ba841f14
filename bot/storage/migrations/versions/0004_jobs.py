"""The scheduler's jobs: one row per thing to do at a time, claimed so each runs once.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("coachee_id", Id, nullable=True),
        sa.Column("coach_id", Id, nullable=True),
        sa.Column("session_id", Id, nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("claim", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["coachee_id"], ["coachees.id"], name=op.f("fk_jobs_coachee_id_coachees"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f("fk_jobs_coach_id_coaches"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_jobs_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    op.create_index(op.f("ix_jobs_coachee_id"), "jobs", ["coachee_id"], unique=False)
    op.create_index(op.f("ix_jobs_status_due_at"), "jobs", ["status", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_status_due_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_coachee_id"), table_name="jobs")
    op.drop_table("jobs")
