"""The schema through Alembic: an empty database, one made before migrations, and no drift from schema.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, inspect, text

from navplugin.accuracy import ACCURACY_BY_PRECISION
from navplugin.store.engine import make_engine
from navplugin.store.migrate import head
from navplugin.store.repository import Repository

LEGACY_SCHEMA = Path(__file__).with_name("legacy_schema")

OLD_STORES = """
CREATE TABLE datasets (version INTEGER PRIMARY KEY, created_at TIMESTAMP NOT NULL, source VARCHAR(16) NOT NULL,
  file_name VARCHAR(255), uploaded_by VARCHAR(64), total_rows INTEGER NOT NULL, store_count INTEGER NOT NULL,
  report TEXT NOT NULL);
CREATE TABLE live_dataset (id INTEGER PRIMARY KEY, version INTEGER NOT NULL REFERENCES datasets(version),
  activated_at TIMESTAMP NOT NULL);
CREATE TABLE stores (version INTEGER NOT NULL REFERENCES datasets(version), id VARCHAR(64) NOT NULL,
  name TEXT NOT NULL, category TEXT, address TEXT, jibun_address TEXT, phone VARCHAR(64), certified_year INTEGER,
  founded_year INTEGER, region TEXT, lon FLOAT NOT NULL, lat FLOAT NOT NULL, provider VARCHAR(32) NOT NULL,
  precision VARCHAR(16) NOT NULL, extra TEXT NOT NULL, PRIMARY KEY (version, id));
INSERT INTO datasets VALUES (1, '2026-01-01 00:00:00', 'upload', 'old.csv', 'admin', 1, 1, '{}');
INSERT INTO live_dataset VALUES (1, 1, '2026-01-01 00:00:00');
INSERT INTO stores VALUES (1, 'bg-1', '옛 가게', '음식점업', '서울특별시 종로구 종로 1', NULL, NULL, 2019, 1950,
  NULL, 126.98, 37.57, 'offline', 'emd', '{}');
"""

# Data of the release before migrations: a live version, and two failed jobs, one of them on a fault.
LEGACY_DATA = """
INSERT INTO datasets (version, created_at, source, total_rows, store_count, report)
  VALUES (1, '2026-01-01 00:00:00', 'upload', 1, 1, '{}');
INSERT INTO live_dataset (id, version, activated_at) VALUES (1, 1, '2026-01-01 00:00:00');
INSERT INTO stores (version, id, name, lon, lat, provider, precision, extra)
  VALUES (1, 'bg-1', '옛 가게', 126.98, 37.57, 'offline', 'emd', '{}');
INSERT INTO uploads (id, created_at, status, source, skip_invalid, total_rows, row_count, done, failed, error, report)
  VALUES (1, '2026-01-01 00:00:00', 'failed', 'upload', 0, 1, 1, 0, 1, 'internal error: OSError: disk full', '{}');
INSERT INTO uploads (id, created_at, status, source, skip_invalid, total_rows, row_count, done, failed, error, report)
  VALUES (2, '2026-01-02 00:00:00', 'failed', 'upload', 0, 1, 1, 0, 1, '1 rows could not be placed', '{}');
"""


def _run(engine, script: str) -> None:
    with engine.begin() as conn:
        for statement in script.split(";"):
            lines = [line for line in statement.splitlines() if not line.startswith("--")]
            if "".join(lines).strip():
                conn.execute(text("\n".join(lines)))


def _clear(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).unlink()
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def describe(engine) -> dict:
    """Every table's columns (type, nullability, default), primary key and foreign keys, as the inspector sees them."""
    inspector = inspect(engine)
    tables = {}
    for name in sorted(inspector.get_table_names()):
        columns = {c["name"]: (str(c["type"]), c["nullable"], str(c["default"]).split("::")[0].strip("'")
                               if c["default"] is not None else None)
                   for c in inspector.get_columns(name)}
        foreign = sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                         for f in inspector.get_foreign_keys(name))
        tables[name] = (columns, tuple(inspector.get_pk_constraint(name)["constrained_columns"]), foreign)
    return tables


def test_old_database_gains_new_tables_and_columns_and_keeps_its_shops(database_url):
    engine = make_engine(database_url)
    _run(engine, OLD_STORES)
    repository = Repository(engine)
    repository.upgrade_schema()
    inspector = inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("stores")}
    assert {"entrance_lon", "entrance_lat", "district_check"} <= columns
    assert {"uploads", "upload_rows", "geocode_cache"} <= set(inspector.get_table_names())
    [store] = repository.load_stores(repository.live_version())
    assert (store.id, store.name, store.district_check, store.entrance_lon) == ("bg-1", "옛 가게", "unchecked", None)
    # A district point stored before radii were: its level's largest, never an understatement.
    assert store.accuracy_m == ACCURACY_BY_PRECISION["emd"]
    assert repository.schema_revision() == head()
    repository.upgrade_schema()  # a second upgrade changes nothing
    engine.dispose()


def test_an_empty_database_and_one_made_before_migrations_upgrade_to_the_same_schema(database_url):
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    engine = make_engine(database_url)
    Repository(engine).upgrade_schema()
    from_empty = describe(engine)
    engine.dispose()
    _clear(database_url)

    engine = make_engine(database_url)
    _run(engine, (LEGACY_SCHEMA / f"{dialect}.sql").read_text(encoding="utf-8"))
    _run(engine, LEGACY_DATA)
    repository = Repository(engine)
    assert repository.schema_revision() is None
    repository.upgrade_schema()
    assert describe(engine) == from_empty
    assert repository.schema_revision() == head()
    [store] = repository.load_stores(repository.live_version())
    assert (store.name, store.accuracy_m) == ("옛 가게", ACCURACY_BY_PRECISION["emd"])
    uploads = repository.uploads()
    assert (uploads.get(1).failure, uploads.get(2).failure) == ("internal", "rows")
    assert uploads.get(1).error == "internal error: OSError: disk full"
    engine.dispose()


def test_no_drift_between_the_declared_tables_and_the_migrations(repository):
    repository.check_schema()  # alembic check: autogenerate finds nothing to do


def test_drift_is_found(database_url):
    """A database whose tables differ from schema.py fails ``alembic check``, naming the difference."""
    engine = make_engine(database_url)
    repository = Repository(engine)
    repository.upgrade_schema("0001")
    repository.stamp_schema("head")  # claims the newest revision without uploads.failure
    with pytest.raises(CommandError, match="New upgrade operations detected.*add_column.*uploads.*failure"):
        repository.check_schema()
    engine.dispose()


def test_the_migration_keeps_its_own_copy_of_the_radii():
    """0004 backfills with the radii of its day: a change to today's table needs a migration of its own."""
    import importlib

    migration = importlib.import_module("navplugin.store.migrations.versions.0004_accuracy")
    assert migration.RADIUS_BY_PRECISION == ACCURACY_BY_PRECISION
