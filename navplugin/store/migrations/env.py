"""Alembic's environment for navplugin: run by ``flask --app navplugin db …`` and by serving processes.

The engine comes from the caller (``store.migrate``) when there is one;
run as plain ``alembic -c navplugin/store/migrations/alembic.ini …`` it is
built from ``NAVPLUGIN_DATABASE_URL`` (or the embedded SQLite default).
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from navplugin.store import schema

config = context.config


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=schema.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from navplugin.config import REPO_DIR, load_settings
    from navplugin.store.engine import default_sqlite_url, make_engine

    url = load_settings()["DATABASE_URL"] or default_sqlite_url(REPO_DIR / "instance")
    return make_engine(url)


if context.is_offline_mode():
    raise SystemExit("navplugin's migrations run against a database, not as SQL scripts")
with _engine().connect() as connection:
    _migrate(connection)
