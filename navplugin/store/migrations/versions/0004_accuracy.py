"""Shops: ``accuracy_m``, the radius around each point that holds the shop (95 %).

Shops stored before it get the documented radius of their precision
(``navplugin.accuracy``): a district point is given its level's largest
radius, an overstatement until the list is uploaded (or geocoded) again.
The geocode cache keeps a radius an answer stated (NULL: its precision's).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The radii of ``navplugin.accuracy.ACCURACY_BY_PRECISION`` at this revision: a migration keeps its own copy.
RADIUS_BY_PRECISION = {"manual": 10.0, "entrance": 15.0, "building": 50.0, "supplied": 100.0, "place": 100.0,
                       "parcel": 150.0, "emd": 15_000.0, "sigungu": 45_000.0, "sido": 160_000.0}
UNKNOWN = 160_000.0


def _backfill(table_name: str) -> None:
    table = sa.table(table_name, sa.column("precision", sa.String), sa.column("accuracy_m", sa.Float))
    radius = sa.case(*[(table.c.precision == name, value) for name, value in RADIUS_BY_PRECISION.items()],
                     else_=UNKNOWN)
    op.execute(table.update().where(table.c.precision.is_not(None)).values(accuracy_m=radius))


def upgrade() -> None:
    op.add_column("geocode_cache", sa.Column("accuracy_m", sa.Float))
    op.add_column("upload_rows", sa.Column("accuracy_m", sa.Float))
    _backfill("upload_rows")
    op.add_column("stores", sa.Column("accuracy_m", sa.Float))
    _backfill("stores")
    with op.batch_alter_table("stores") as batch:
        batch.alter_column("accuracy_m", existing_type=sa.Float, nullable=False)


def downgrade() -> None:
    for table in ("stores", "upload_rows", "geocode_cache"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("accuracy_m")
