"""Engine lifecycle: one SQLAlchemy engine per app, SQLite tuned for a service.

SQLite runs in WAL mode so readers (the index poller, other processes) are
never blocked by an upload being written.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

LOGGER = logging.getLogger(__name__)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes even for timezone-aware columns; they are UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def default_sqlite_url(instance_dir: str | Path) -> str:
    path = Path(instance_dir) / "navplugin.sqlite3"
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    LOGGER.info("database: %s", parsed.render_as_string(hide_password=True))
    return engine


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
