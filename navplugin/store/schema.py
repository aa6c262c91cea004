"""Tables of the versioned store (SQLAlchemy Core, portable across SQLite and PostgreSQL).

Every accepted upload is a row in ``datasets`` with its shops in ``stores``
under that version; ``live_dataset`` holds the one version that is served.
Switching versions is a single-row update, so activation is atomic.

A shop's columns come from the one declaration of its fields
(``model.LISTED_FIELDS``, ``model.PLACEMENT_FIELDS``). The schema of a
database is changed only by the Alembic migrations in ``migrations/``, which
``alembic check`` holds to these tables.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from ..model import LISTED_FIELDS, PLACEMENT_FIELDS, UNCHECKED, ShopField

metadata = MetaData()


def _column_type(field: ShopField) -> TypeEngine:
    if field.type is int:
        return Integer()
    if field.type is float:
        return Float()
    return String(field.max_length) if field.max_length else Text()


def shop_columns(fields: Iterable[ShopField], *, all_nullable: bool = False,
                 primary_key: tuple[str, ...] = ()) -> list[Column]:
    """Columns for declared shop fields; ``all_nullable`` for rows not yet placed (upload rows)."""
    columns = []
    for field in fields:
        server_default = UNCHECKED if field.name == "district_check" and not all_nullable else None
        columns.append(Column(field.name, _column_type(field), nullable=all_nullable or not field.required,
                              server_default=server_default, primary_key=field.name in primary_key))
    return columns


datasets = Table(
    "datasets",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),  # upload | cli | sample
    Column("file_name", String(255)),
    Column("uploaded_by", String(64)),
    Column("total_rows", Integer, nullable=False),
    Column("store_count", Integer, nullable=False),
    Column("report", Text, nullable=False),  # JSON of the ingest report
    # The version an admin change or a merge upload started from; None for a whole new list.
    Column("base_version", Integer),
    Column("note", Text),  # why: the admin's reason for an override, revocation or restore
)

live_dataset = Table(
    "live_dataset",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("version", Integer, ForeignKey("datasets.version"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
)

stores = Table(
    "stores",
    metadata,
    Column("version", Integer, ForeignKey("datasets.version"), primary_key=True),
    *shop_columns(LISTED_FIELDS, primary_key=("id",)),
    *shop_columns(PLACEMENT_FIELDS),
    Column("extra", Text, nullable=False),  # JSON object of columns we do not model
    # JSON {field: value before the admin's override}: what the list or the geocoder said.
    Column("overridden", Text, nullable=False, server_default="{}"),
)

# The admin's corrections of one shop, by id. They outlive dataset versions:
# every version written after them (an upload, a merge) has them applied, so
# next year's list cannot undo a corrected pin or bring back a revoked shop.
store_overrides = Table(
    "store_overrides",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("fields", Text, nullable=False),  # JSON {field: value} replacing what an upload says
    Column("revoked", Integer, nullable=False, server_default="0"),
    Column("reason", Text, nullable=False),  # the latest reason given
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Who did what, when: every admin action, with what it changed.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),  # the admin token's name
    Column("action", String(32), nullable=False),
    Column("target", String(128)),  # "store:<id>", "version:<n>", "upload:<n>"
    Column("version", Integer),  # the dataset version the action produced or made live
    Column("details", Text, nullable=False),  # JSON: what changed, the reason
)

# An upload being geocoded. Progress lives here, row by row, so a job survives
# a restart: a process that dies mid-job leaves its rows and the cache behind,
# and any process picks the job up again once its heartbeat is stale.
uploads = Table(
    "uploads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("source", String(16), nullable=False),
    Column("file_name", String(255)),
    Column("uploaded_by", String(64)),
    Column("skip_invalid", Integer, nullable=False),
    Column("total_rows", Integer, nullable=False),  # data rows in the file
    Column("row_count", Integer, nullable=False),  # valid rows to place
    Column("done", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("owner", String(128)),  # the process working on it
    Column("heartbeat", DateTime(timezone=True)),
    Column("version", Integer),  # the dataset version it became
    Column("error", Text),
    Column("failure", String(16)),  # why a failed job failed: rows | internal
    Column("report", Text, nullable=False),  # JSON: the ingest report, completed when the job ends
    Column("mode", String(8), nullable=False, server_default="replace"),  # replace | merge
)

upload_rows = Table(
    "upload_rows",
    metadata,
    Column("upload_id", Integer, ForeignKey("uploads.id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("row", Text, nullable=False),  # JSON of the validated ShopRow
    Column("status", String(16), nullable=False),  # pending | done | failed
    *shop_columns(PLACEMENT_FIELDS, all_nullable=True),  # the row's Placement, once placed
    Column("reason", Text),  # why a row failed, or what the district check found
)

# Answers of web geocoders by normalised address, so the same list uploaded
# again makes no upstream calls. ``found`` 0 remembers "no such address".
geocode_cache = Table(
    "geocode_cache",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("found", Integer, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("precision", String(16)),
    Column("matched", Text),
    Column("entrance_lon", Float),
    Column("entrance_lat", Float),
    Column("accuracy_m", Float),  # a radius the answer stated; NULL: its precision's (navplugin.accuracy)
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Partner apps' keys for the navigation API. Only a hash of each key is kept; the key itself is shown
# once, when it is made (or rotated).
clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 of the key, hex
    Column("key_prefix", String(16), nullable=False),  # the key's first characters, to tell keys apart
    Column("rate", String(64), nullable=False),  # the quota in the limits library's notation: "600/minute"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

# Requests per client and day (UTC), and how many of them were refused over the quota; each process adds
# what it counted every few seconds.
client_usage = Table(
    "client_usage",
    metadata,
    Column("client_id", Integer, ForeignKey("clients.id"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD
    Column("requests", Integer, nullable=False),
    Column("limited", Integer, nullable=False),
)
