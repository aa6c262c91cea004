"""Job bookkeeping on a real database: ownership, heartbeats, the cache upsert."""
from __future__ import annotations

import time

import pytest

from navplugin.model import GeocodeResult, Placement, Point, ShopRow
from navplugin.store.cache import GeocodeCache, cache_row
from navplugin.store.repository import Repository
from navplugin.store.uploads import JobLost, JobStatus, RowResult, RowStatus

PLACED = Placement(Point(127.0, 37.5), "x", "emd")


@pytest.fixture
def uploads(repository):
    return repository.uploads()


def queued(repository: Repository) -> int:
    rows = [ShopRow(line=n + 2, id=f"s{n}", name=f"가게 {n}", address="서울특별시 종로구 종로 1") for n in range(3)]
    with repository.change("admin", "upload") as change:
        return change.create_upload(rows, report={}, total_rows=3, source="upload", file_name="a.csv",
                                    uploaded_by="admin", skip_invalid=False)


def test_a_live_owner_keeps_its_job_and_a_stale_one_loses_it(repository, uploads):
    upload_id = queued(repository)
    assert uploads.claim(upload_id, "A", stale_after=30)
    assert not uploads.claim(upload_id, "B", stale_after=30)
    assert uploads.claimable(30) == [] and uploads.claimable(30, owner="A") == [upload_id]
    time.sleep(0.3)
    assert uploads.claim(upload_id, "B", stale_after=0.2)  # A stopped beating: B takes over
    with pytest.raises(JobLost):
        uploads.record(upload_id, "A", [RowResult(2, RowStatus.DONE, PLACED)], [])
    with pytest.raises(JobLost), repository.change("A", "upload.done") as change:
        change.finish_upload(upload_id, status=JobStatus.DONE, report={}, owner="A")
    assert [db.status for _, db in uploads.rows(upload_id)] == ["pending"] * 3  # A wrote nothing
    uploads.record(upload_id, "B", [RowResult(2, RowStatus.DONE, PLACED)], [])
    assert uploads.get(upload_id).done == 1
    [(row, result)] = [pair for pair in uploads.rows(upload_id) if pair[1].status is RowStatus.DONE]
    assert (row.line, result.placement) == (2, PLACED)


def test_cache_upsert_replaces_an_existing_key(repository):
    first = GeocodeResult(Point(127.0, 37.5), "kakao", "building", "서울 종로구 종로 1")
    second = GeocodeResult(Point(127.1, 37.6), "kakao", "parcel", "서울 종로구 종로 1")
    for result in (first, second, None):
        with repository.engine.begin() as conn:
            GeocodeCache.write(conn, [cache_row("kakao", "key", result)])
        cache = repository.geocode_cache()
        assert cache.preload(["kakao"], ["key"]) == 1
        assert cache.get("kakao", "key") == (True, result)
