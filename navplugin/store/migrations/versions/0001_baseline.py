"""Baseline: the schema navplugin had before migrations, written out.

Revision ID: 0001
Revises:
Create Date: 2026-12-04

An empty database gets every table. A database made by an earlier release
(which created tables itself and has no ``alembic_version`` yet) keeps its
tables and data: only what it lacks is created, tables missing entirely and
columns added since it was made (every one of them nullable or with a server
default), and the database is then stamped at this revision as it goes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[sa.Table]:
    """The tables as of this revision, frozen here: later changes to ``schema.py`` come in later revisions."""
    meta = sa.MetaData()
    return [
        sa.Table(
            "datasets", meta,
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("file_name", sa.String(255)),
            sa.Column("uploaded_by", sa.String(64)),
            sa.Column("total_rows", sa.Integer, nullable=False),
            sa.Column("store_count", sa.Integer, nullable=False),
            sa.Column("report", sa.Text, nullable=False),
            sa.Column("base_version", sa.Integer),
            sa.Column("note", sa.Text),
        ),
        sa.Table(
            "live_dataset", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("version", sa.Integer, sa.ForeignKey("datasets.version"), nullable=False),
            sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        ),
        sa.Table(
            "stores", meta,
            sa.Column("version", sa.Integer, sa.ForeignKey("datasets.version"), primary_key=True),
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("category", sa.Text),
            sa.Column("address", sa.Text),
            sa.Column("jibun_address", sa.Text),
            sa.Column("phone", sa.String(64)),
            sa.Column("certified_year", sa.Integer),
            sa.Column("founded_year", sa.Integer),
            sa.Column("region", sa.Text),
            sa.Column("lon", sa.Float, nullable=False),
            sa.Column("lat", sa.Float, nullable=False),
            sa.Column("provider", sa.String(32), nullable=False),
            sa.Column("precision", sa.String(16), nullable=False),
            sa.Column("extra", sa.Text, nullable=False),
            sa.Column("entrance_lon", sa.Float),
            sa.Column("entrance_lat", sa.Float),
            sa.Column("district_check", sa.String(16), nullable=False, server_default="unchecked"),
            sa.Column("overridden", sa.Text, nullable=False, server_default="{}"),
        ),
        sa.Table(
            "store_overrides", meta,
            sa.Column("store_id", sa.String(64), primary_key=True),
            sa.Column("fields", sa.Text, nullable=False),
            sa.Column("revoked", sa.Integer, nullable=False, server_default="0"),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("updated_by", sa.String(64), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        ),
        sa.Table(
            "audit_log", meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("target", sa.String(128)),
            sa.Column("version", sa.Integer),
            sa.Column("details", sa.Text, nullable=False),
        ),
        sa.Table(
            "uploads", meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("file_name", sa.String(255)),
            sa.Column("uploaded_by", sa.String(64)),
            sa.Column("skip_invalid", sa.Integer, nullable=False),
            sa.Column("total_rows", sa.Integer, nullable=False),
            sa.Column("row_count", sa.Integer, nullable=False),
            sa.Column("done", sa.Integer, nullable=False),
            sa.Column("failed", sa.Integer, nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True)),
            sa.Column("finished_at", sa.DateTime(timezone=True)),
            sa.Column("owner", sa.String(128)),
            sa.Column("heartbeat", sa.DateTime(timezone=True)),
            sa.Column("version", sa.Integer),
            sa.Column("error", sa.Text),
            sa.Column("report", sa.Text, nullable=False),
            sa.Column("mode", sa.String(8), nullable=False, server_default="replace"),
        ),
        sa.Table(
            "upload_rows", meta,
            sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id"), primary_key=True),
            sa.Column("line", sa.Integer, primary_key=True),
            sa.Column("row", sa.Text, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("lon", sa.Float),
            sa.Column("lat", sa.Float),
            sa.Column("provider", sa.String(32)),
            sa.Column("precision", sa.String(16)),
            sa.Column("entrance_lon", sa.Float),
            sa.Column("entrance_lat", sa.Float),
            sa.Column("district_check", sa.String(16)),
            sa.Column("reason", sa.Text),
        ),
        sa.Table(
            "geocode_cache", meta,
            sa.Column("provider", sa.String(32), primary_key=True),
            sa.Column("key", sa.String(512), primary_key=True),
            sa.Column("found", sa.Integer, nullable=False),
            sa.Column("lon", sa.Float),
            sa.Column("lat", sa.Float),
            sa.Column("precision", sa.String(16)),
            sa.Column("matched", sa.Text),
            sa.Column("entrance_lon", sa.Float),
            sa.Column("entrance_lat", sa.Float),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for table in _tables():
        if table.name not in present:
            table.create(bind)
            continue
        have = {column["name"] for column in sa.inspect(bind).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                op.add_column(table.name, column._copy())


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind, checkfirst=True)
