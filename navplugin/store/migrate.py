"""The database's schema through Alembic, and the lock under which a process first starts.

Migrations live in ``migrations/versions``; ``upgrade`` brings any database to
the newest (an empty one, one made before migrations existed, or one a
release behind). ``startup_lock`` makes processes that start together take
turns: PostgreSQL's session advisory lock, or, for a SQLite file (shared only
by processes on one machine), an exclusive lock on a file beside it.
"""
from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

LOGGER = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
STARTUP_LOCK_KEY = 0x6E6176737461  # "navsta": first start, migrations; apart from the writers' lock


class SchemaOutOfDate(RuntimeError):
    """The database is not at the schema this release needs (and is not to be migrated here)."""


def alembic_config(engine: Engine) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head() -> str:
    """The newest revision this release knows."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database or one made before migrations."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    before = current(engine)
    command.upgrade(alembic_config(engine), revision)
    after = current(engine)
    if after != before:
        LOGGER.info("database schema upgraded from %s to %s", before or "(none)", after)


def require_current(engine: Engine) -> None:
    at, needed = current(engine), head()
    if at != needed:
        raise SchemaOutOfDate(f"the database schema is at revision {at or '(none)'}, this release needs {needed}: "
                              "run `flask --app navplugin db upgrade`")


def check(engine: Engine) -> None:
    """Raise when the tables of ``schema.py`` and the migrations' result differ (``alembic check``)."""
    command.check(alembic_config(engine))


def stamp(engine: Engine, revision: str) -> None:
    command.stamp(alembic_config(engine), revision)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the first-start lock: one process at a time migrates and decides whether to load the sample."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # a private database: no other process can start on it
        return
    lock_path = Path(database).with_name(Path(database).name + ".startup-lock")
    with open(lock_path, "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
