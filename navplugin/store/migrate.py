"""Bring an existing database up to the current schema.

Tables that do not exist are created; columns added since a database was
made are added (all of them are nullable or have a server default), so an
installation keeps its data across upgrades.
"""
from __future__ import annotations

import logging

from sqlalchemy import Engine, inspect, text
from sqlalchemy.schema import CreateColumn

from . import schema

LOGGER = logging.getLogger(__name__)


def upgrade(engine: Engine) -> None:
    schema.metadata.create_all(engine, checkfirst=True)
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                ddl = CreateColumn(column).compile(dialect=engine.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
                LOGGER.info("added column %s.%s", table.name, column.name)
