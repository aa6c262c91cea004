"""Uploads: why a failed job failed, as a kind of its own (rows | internal) rather than a prefix of its error.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INTERNAL_PREFIX = "internal error: "  # how earlier releases marked a job that stopped on a fault


def upgrade() -> None:
    op.add_column("uploads", sa.Column("failure", sa.String(16)))
    uploads = sa.table("uploads", sa.column("status", sa.String), sa.column("error", sa.Text),
                       sa.column("failure", sa.String))
    failed = uploads.c.status == "failed"
    op.execute(uploads.update().where(failed & uploads.c.error.like(INTERNAL_PREFIX + "%"))
               .values(failure="internal"))
    op.execute(uploads.update().where(failed & uploads.c.failure.is_(None)).values(failure="rows"))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("failure")
