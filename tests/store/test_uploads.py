"""Job bookkeeping on a real database: ownership, heartbeats, the cache upsert."""
from __future__ import annotations

import time

import pytest

from navplugin.model import GeocodeResult, Point, ShopRow
from navplugin.store.cache import GeocodeCache, cache_row
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository
from navplugin.store.uploads import JobLost, RowResult, UploadStore


@pytest.fixture
def uploads(database_url):
    repository = Repository(make_engine(database_url))
    repository.create_schema()
    yield UploadStore(repository.engine)
    repository.engine.dispose()


def queued(uploads: UploadStore) -> int:
    rows = [ShopRow(line=n + 2, id=f"s{n}", name=f"가게 {n}", address="서울특별시 종로구 종로 1") for n in range(3)]
    return uploads.create(rows, report={}, total_rows=3, source="upload", file_name="a.csv", uploaded_by="admin",
                          skip_invalid=False)


def test_a_live_owner_keeps_its_job_and_a_stale_one_loses_it(uploads):
    upload_id = queued(uploads)
    assert uploads.claim(upload_id, "A", stale_after=30)
    assert not uploads.claim(upload_id, "B", stale_after=30)
    assert uploads.claimable(30) == [] and uploads.claimable(30, owner="A") == [upload_id]
    time.sleep(0.3)
    assert uploads.claim(upload_id, "B", stale_after=0.2)  # A stopped beating: B takes over
    with pytest.raises(JobLost):
        uploads.record(upload_id, "A", [RowResult(2, "done", lon=127.0, lat=37.5, provider="x", precision="emd")], [])
    with pytest.raises(JobLost):
        uploads.finish(upload_id, status="done", report={}, owner="A")
    assert [db.status for _, db in uploads.rows(upload_id)] == ["pending"] * 3  # A wrote nothing
    uploads.record(upload_id, "B", [RowResult(2, "done", lon=127.0, lat=37.5, provider="x", precision="emd")], [])
    assert uploads.get(upload_id)["done"] == 1


def test_cache_upsert_replaces_an_existing_key(uploads):
    first = GeocodeResult(Point(127.0, 37.5), "kakao", "building", "서울 종로구 종로 1")
    second = GeocodeResult(Point(127.1, 37.6), "kakao", "parcel", "서울 종로구 종로 1")
    for result in (first, second, None):
        with uploads.engine.begin() as conn:
            GeocodeCache.write(conn, [cache_row("kakao", "key", result)])
        cache = GeocodeCache(uploads.engine)
        assert cache.preload(["kakao"], ["key"]) == 1
        assert cache.get("kakao", "key") == (True, result)
