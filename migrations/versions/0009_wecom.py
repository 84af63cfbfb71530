"""WeChat customer service: the sync cursor, id mappings, the reply window and messages held for it.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wecom_cursor",
        sa.Column("open_kfid", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wecom_users",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("external_userid", sa.String(128), nullable=False, unique=True),
    )
    op.create_table(
        "wecom_messages",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("msgid", sa.String(128), nullable=False, unique=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wecom_window",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
    )
    op.create_table(
        "wecom_held",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wecom_held_user_id", "wecom_held", ["user_id"])


def downgrade() -> None:
    for table in ("wecom_held", "wecom_window", "wecom_messages", "wecom_users", "wecom_cursor"):
        op.drop_table(table)
