"""Engine lifecycle: one SQLAlchemy engine per app, SQLite tuned for a service.

SQLite runs in WAL mode so readers (the index poller, other processes) are
never blocked by an upload being written. A database that cannot be reached
(down, restarting, its connections cut, SQLite locked past its timeout) is
``Unavailable``, a 503 with ``Retry-After``, whatever the statement: callers
need not tell a dropped connection from a bug.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from ..errors import Unavailable

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
        engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    event.listen(engine, "handle_error", _unavailable)
    LOGGER.info("database: %s", parsed.render_as_string(hide_password=True))
    return engine


def _unavailable(context: ExceptionContext) -> Exception | None:
    """A connection that failed or was lost, or a database too busy to answer: 503, retry shortly."""
    error = context.sqlalchemy_exception
    if context.is_pre_ping:
        return None  # the pool's own check of a pooled connection: it replaces the connection itself
    if context.dialect is not None and context.dialect.name == "sqlite":
        # SQLite's OperationalError also means a missing table or a bad statement: only these are passing.
        passing = isinstance(error, OperationalError) and any(
            word in str(context.original_exception) for word in ("locked", "busy", "unable to open", "disk I/O"))
    else:
        passing = context.is_disconnect or isinstance(error, (OperationalError, InterfaceError))
    if passing:
        LOGGER.warning("database unavailable: %s", type(context.original_exception).__name__)
        return Unavailable(f"the database is unreachable or busy ({type(context.original_exception).__name__}); "
                           "nothing was changed, retry shortly", retry_after=5)
    return None


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
