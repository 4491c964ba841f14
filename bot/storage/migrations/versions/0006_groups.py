"""Peer coaching groups: the groups, their members, their rotation of sessions, and the jobs between sessions.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("coach_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f("fk_groups_coach_id_coaches"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
    )
    op.create_index(op.f("ix_groups_coach_id"), "groups", ["coach_id"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("group_id", Id, nullable=False),
        sa.Column("coachee_id", Id, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_order", sa.Integer(), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("join_run", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_members_group_id_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coachee_id"], ["coachees.id"], name=op.f("fk_group_members_coachee_id_coachees"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "coachee_id", name=op.f("uq_group_members_group_id_coachee_id")),
    )
    op.create_index(op.f("ix_group_members_coachee_id"), "group_members", ["coachee_id"], unique=False)
    op.create_table(
        "group_sessions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("group_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("presenter_id", Id, nullable=True),
        sa.Column("feedback_from_id", Id, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("prep_run", sa.String(length=40), nullable=True),
        sa.Column("commit_run", sa.String(length=40), nullable=True),
        sa.Column("feedback_run", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_sessions_group_id_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["presenter_id"], ["coachees.id"],
                                name=op.f("fk_group_sessions_presenter_id_coachees"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["feedback_from_id"], ["coachees.id"],
                                name=op.f("fk_group_sessions_feedback_from_id_coachees"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
        sa.UniqueConstraint("group_id", "number", name=op.f("uq_group_sessions_group_id_number")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("group_session_id", Id, nullable=True))
        batch.create_foreign_key(batch.f("fk_jobs_group_session_id_group_sessions"), "group_sessions",
                                 ["group_session_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(batch.f("fk_jobs_group_session_id_group_sessions"), type_="foreignkey")
        batch.drop_column("group_session_id")
    op.drop_table("group_sessions")
    op.drop_index(op.f("ix_group_members_coachee_id"), table_name="group_members")
    op.drop_table("group_members")
    op.drop_index(op.f("ix_groups_coach_id"), table_name="groups")
    op.drop_table("groups")
