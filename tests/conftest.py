"""Fixtures shared by the suite: apps on a real throwaway database, SQLite and PostgreSQL.

PostgreSQL is taken from NAVPLUGIN_TEST_POSTGRES_URL (default: the local
server on 127.0.0.1:5432). When it is unreachable its tests are skipped
with the reason, unless NAVPLUGIN_TEST_REQUIRE_POSTGRES=1 (as in CI), which
turns the skip into a failure.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from navplugin import create_app, lifecycle, query
from navplugin.config import REPO_DIR
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.ingest.pipeline import ingest
from navplugin.model import Placement, Point, Store
from navplugin.spatial.index import StoreIndex
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository

ADMIN_TOKEN = "test-admin-token"
# One database per test run, so two runs on one machine never share tables; dropped at the end.
POSTGRES_URL = os.environ.get(
    "NAVPLUGIN_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/navplugin_test_{os.getpid()}"
)
REQUIRE_POSTGRES = os.environ.get("NAVPLUGIN_TEST_REQUIRE_POSTGRES") == "1"
# Redis for the job queue: its own database number per run, flushed before each test that uses it.
REDIS_URL = os.environ.get("NAVPLUGIN_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{os.getpid() % 14 + 1}")
REQUIRE_REDIS = os.environ.get("NAVPLUGIN_TEST_REQUIRE_REDIS") == "1"
_postgres_state: dict[str, Any] = {}


def _ensure_postgres() -> str:
    """Create the test database once; the skip reason when the server cannot be reached."""
    if "error" in _postgres_state:
        return _postgres_state["error"]
    if "ok" in _postgres_state:
        return ""
    url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": url.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        _postgres_state["error"] = f"PostgreSQL at {url.render_as_string()} unreachable: {exc.__class__.__name__}"
        return _postgres_state["error"]
    _postgres_state["ok"] = True
    return ""


def _drop_postgres() -> None:
    if "ok" not in _postgres_state or "NAVPLUGIN_TEST_POSTGRES_URL" in os.environ:
        return  # a database the caller named is the caller's to keep
    url = make_url(POSTGRES_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _postgres_cleanup():
    yield
    _drop_postgres()


def _reset_postgres() -> None:
    """An empty database: every table of the last test dropped, migrations' bookkeeping included."""
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"
    return fresh_postgres()


def fresh_postgres() -> str:
    """The test PostgreSQL database, emptied; a skip where it is unreachable (a failure in CI)."""
    error = _ensure_postgres()
    if error:
        if REQUIRE_POSTGRES:
            pytest.fail(error)
        pytest.skip(error)
    _reset_postgres()
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    """An empty Redis database; skipped with the reason when Redis is unreachable (a failure in CI)."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        connection.flushdb()
        connection.close()
    except RedisError as exc:
        message = f"Redis at {REDIS_URL} unreachable: {type(exc).__name__}"
        if REQUIRE_REDIS:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


# What only PostgreSQL can show (notices, a database server gone): ``@POSTGRES_ONLY`` on the test.
POSTGRES_ONLY = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


@pytest.fixture
def repository(database_url: str) -> Iterator[Repository]:
    """A repository with the current schema on the throwaway database."""
    repo = Repository(make_engine(database_url))
    repo.upgrade_schema()
    yield repo
    repo.dispose()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Any]]:
    apps = []

    def build(**overrides: Any):
        config = {
            "DATABASE_URL": database_url,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "LOAD_SAMPLE": False,
            "INDEX_POLL_SECONDS": 0,
            **overrides,
        }
        app = create_app(config)
        app.config["TESTING"] = True
        lifecycle.start_serving(app.extensions["navplugin"])  # as gunicorn's post_worker_init does
        app.extensions["navplugin"].wait_warm()  # as a load balancer waits for /readyz
        apps.append(app)
        return app

    yield build
    for app in apps:
        lifecycle.stop(app.extensions["navplugin"])


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def ogrinfo() -> str:
    """GDAL's ``ogrinfo``, the independent reader of our formats; skipped when missing (a failure in CI)."""
    import shutil

    found = shutil.which("ogrinfo")
    if found is None:
        message = "ogrinfo (GDAL) is not installed: apt-get install gdal-bin"
        if os.environ.get("NAVPLUGIN_TEST_REQUIRE_GDAL") == "1":
            pytest.fail(message + " (NAVPLUGIN_TEST_REQUIRE_GDAL=1)")
        pytest.skip(message)
    return found


# -- the real sample list as the app serves it: read by the ingest code, placed by the offline
# geocoder (the point of the 읍면동 or 시군구 each address names), in one ``StoreIndex``.

SAMPLE = REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, str]]:
    """The sample list as plain CSV rows (접수번호, 업체명, 업종, 주소, ...): the expectations' source."""
    with open(SAMPLE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def sample_stores() -> list[Store]:
    geocoder = OfflineGeocoder()
    stores = []
    for row in ingest(SAMPLE.read_bytes(), SAMPLE.name).rows:
        found = geocoder.geocode(row.address)
        placement = Placement(Point(found.longitude, found.latitude), "offline", found.raw["precision"],
                              accuracy_m=found.raw.get("accuracy_m"))
        stores.append(Store.placed(row, placement))
    return stores


@pytest.fixture(scope="session")
def sample_index(sample_stores) -> StoreIndex:
    return StoreIndex(sample_stores, version=1)


@pytest.fixture(params=["few candidates", "many candidates"])
def way(request, monkeypatch):
    """Both ways a narrowed list is found: few candidates measured directly (or a small index
    along the route), and many read nearest first from the KD-tree (or along the route in batches)."""
    if request.param == "many candidates":
        monkeypatch.setattr(query, "NEARBY_DIRECT_MAX", 0)
        monkeypatch.setattr(query, "ROUTE_SUBSET_MAX", 0)
    return request.param
