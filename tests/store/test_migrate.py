"""A database made by an older navplugin is brought up to the current schema with its data."""
from __future__ import annotations

from sqlalchemy import inspect, text

from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository

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


def test_old_database_gains_new_tables_and_columns_and_keeps_its_shops(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for statement in OLD_STORES.strip().split(";"):
            if statement.strip():
                conn.execute(text(statement))
    repository = Repository(engine)
    repository.create_schema()
    inspector = inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("stores")}
    assert {"entrance_lon", "entrance_lat", "district_check"} <= columns
    assert {"uploads", "upload_rows", "geocode_cache"} <= set(inspector.get_table_names())
    [store] = repository.load_stores(repository.live_version())
    assert (store.id, store.name, store.district_check, store.entrance_lon) == ("bg-1", "옛 가게", "unchecked", None)
    repository.create_schema()  # a second upgrade changes nothing
    engine.dispose()
