"""The coach's web view: one-time sign-in links, browser sessions (hashes of their tokens only), the audit of page
views that a coachee's /mydata lists, and the coach's notes on lifting a hold.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _token_table(name: str, last: str) -> None:
    op.create_table(
        name,
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("coach_id", Id, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *([sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("used_at", sa.DateTime(timezone=True), nullable=True)] if last == "used_at" else
          [sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True)]),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f(f"fk_{name}_coach_id_coaches"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    )
    op.create_index(op.f(f"ix_{name}_coach_id"), name, ["coach_id"], unique=False)


def _about_coachee(name: str, *more: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("coach_id", Id, nullable=False),
        sa.Column("coachee_id", Id, nullable=False),
        *more,
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f(f"fk_{name}_coach_id_coaches"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coachee_id"], ["coachees.id"], name=op.f(f"fk_{name}_coachee_id_coachees"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_coachee_id"), name, ["coachee_id"], unique=False)


def upgrade() -> None:
    _token_table("web_signin_links", "used_at")
    _token_table("web_sessions", "ended_at")
    _about_coachee("coach_page_views")
    _about_coachee("hold_notes", sa.Column("note", sa.Text(), nullable=False))


def downgrade() -> None:
    for name in ("hold_notes", "coach_page_views"):
        op.drop_index(op.f(f"ix_{name}_coachee_id"), table_name=name)
        op.drop_table(name)
    for name in ("web_sessions", "web_signin_links"):
        op.drop_index(op.f(f"ix_{name}_coach_id"), table_name=name)
        op.drop_table(name)
