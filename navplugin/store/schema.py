"""Tables of the versioned store (SQLAlchemy Core, portable across SQLite and PostgreSQL).

Every accepted upload is a row in ``datasets`` with its shops in ``stores``
under that version; ``live_dataset`` holds the one version that is served.
Switching versions is a single-row update, so activation is atomic.
"""
from __future__ import annotations

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

metadata = MetaData()

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
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("category", Text),
    Column("address", Text),
    Column("jibun_address", Text),
    Column("phone", String(64)),
    Column("certified_year", Integer),
    Column("founded_year", Integer),
    Column("region", Text),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("provider", String(32), nullable=False),
    Column("precision", String(16), nullable=False),
    Column("extra", Text, nullable=False),  # JSON object of columns we do not model
)
