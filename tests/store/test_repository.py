"""The versioned store on a real database: SQLite file and PostgreSQL."""
from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navplugin.curation import Curator
from navplugin.errors import NotFound
from navplugin.model import Store
from navplugin.spatial.index import IndexHolder
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository


def store(number: int, lon: float = 127.0, lat: float = 37.5, **fields) -> Store:
    return Store(id=f"bg-{number:04d}", name=f"가게 {number}", lon=lon, lat=lat,
                 provider="supplied", precision="supplied", **fields)


def add(repo: Repository, stores, activate=True) -> int:
    return repo.add_version(stores, source="upload", total_rows=len(stores), report={"problems": []},
                            file_name="list.csv", uploaded_by="admin", activate=activate)


def test_empty_store_has_no_live_version(repository):
    assert repository.live_version() is None
    assert not repository.has_any_version()
    assert repository.versions() == []


def test_every_field_round_trips(repository):
    original = store(1, 126.9910, 37.5704, category="음식점업", address="서울특별시 종로구 인사동길 12 (관훈동)",
                     jibun_address="서울특별시 종로구 관훈동 1", phone="02-734-0000", certified_year=2019,
                     founded_year=1960, region="서울특별시 종로구",
                     extra={"대표자": "김백년", "비고": "😀 & <특식>"})
    version = add(repository, [original])
    assert repository.load_stores(version) == [original]


def test_versions_are_kept_and_activation_switches(repository):
    first = add(repository, [store(1), store(2)])
    second = add(repository, [store(3)])
    assert second > first
    assert repository.live_version() == second
    assert [s.id for s in repository.load_stores(first)] == ["bg-0001", "bg-0002"]
    curator = Curator(repository, lambda address, lon, lat: "unchecked")
    curator.activate(first, "admin")
    assert repository.live_version() == first
    infos = repository.versions()
    assert [(i.version, i.live, i.store_count) for i in infos] == [(second, False, 1), (first, True, 2)]
    with pytest.raises(NotFound):
        curator.activate(999, "admin")


def test_inactive_version_does_not_go_live(repository):
    live = add(repository, [store(1)])
    add(repository, [store(2)], activate=False)
    assert repository.live_version() == live


def test_failed_write_leaves_live_version(repository):
    live = add(repository, [store(1)])
    with pytest.raises(Exception):
        add(repository, [store(2), store(2)])  # duplicate primary key inside one version
    assert repository.live_version() == live
    assert len(repository.versions()) == 1
    assert [s.id for s in repository.load_stores(live)] == ["bg-0001"]


def test_stats_count_the_live_version(repository):
    add(repository, [store(1, category="음식점업"), store(2, category="음식점업"), store(3, category="제조업")])
    stats = repository.stats()
    assert stats["stores"] == 3
    assert stats["by_precision"] == {"supplied": 3}
    assert stats["by_category"] == {"음식점업": 2, "제조업": 1}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shops=st.lists(st.tuples(st.floats(126.95, 127.05), st.floats(37.50, 37.58)), min_size=1, max_size=60),
    query=st.tuples(st.floats(126.95, 127.05), st.floats(37.50, 37.58)),
    radius=st.floats(50, 8000),
    limit=st.integers(1, 30),
)
def test_nearby_from_the_database_matches_brute_force(repository, shops, query, radius, limit):
    """Shops written to the database and read back into the live index answer like brute force."""
    stores = [store(i, lon, lat) for i, (lon, lat) in enumerate(shops)]
    add(repository, stores)
    holder = IndexHolder(repository.live_version, repository.iter_stores)
    assert holder.refresh()
    lon, lat = query
    exact = sorted(
        (geodesic((lat, lon), (s.lat, s.lon)).meters, s.id) for s in stores
    )
    border = any(abs(d - radius) < 1e-3 for d, _ in exact)
    expected = [item for item in exact if item[0] <= radius][:limit]
    hits = holder.index.nearby(lat=lat, lon=lon, radius_m=radius, limit=limit).hits
    if not border:
        assert len(hits) == len(expected)
    for hit, (distance, _) in zip(hits, expected):
        assert math.isclose(hit.distance_m, distance, rel_tol=1e-3, abs_tol=1e-3)


def test_concurrent_corrections_from_two_processes_all_land(database_url):
    """Writers in different processes (here: two engines) each build on the version the other left."""
    from concurrent.futures import ThreadPoolExecutor

    repos = [Repository(make_engine(database_url)) for _ in range(2)]
    repos[0].upgrade_schema()
    add(repos[0], [store(n, 127.0 + n * 0.001) for n in range(8)])
    curators = [Curator(repo, lambda address, lon, lat: "unchecked") for repo in repos]

    def correct(n: int) -> int:
        return curators[n % 2].override(f"bg-{n:04d}", {"phone": f"02-{n}"}, "전화 변경", f"admin{n % 2}").version

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(correct, range(8)))
    assert len(set(versions)) == 8
    live = repos[0].load_stores(repos[0].live_version())
    assert [s.phone for s in live] == [f"02-{n}" for n in range(8)]
    for repo in repos:
        repo.dispose()


def test_first_writers_on_an_empty_database_take_turns(database_url):
    """Two processes writing the very first versions at once: one waits for the other, and both land."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    repos = [Repository(make_engine(database_url)) for _ in range(2)]
    repos[0].upgrade_schema()
    spans = []

    def write(n: int) -> int:
        with repos[n].change("admin", "version.import") as change:
            entered = time.monotonic()
            time.sleep(0.3)  # long enough for the other writer to arrive while this one holds the turn
            version = change.write_version(None, [store(n)], source="upload", total_rows=1)
            change.set_live(version)
            spans.append((entered, time.monotonic()))
        return version

    with ThreadPoolExecutor(max_workers=2) as pool:
        versions = sorted(pool.map(write, range(2)))
    (_, first_out), (second_in, _) = sorted(spans)
    assert second_in >= first_out, "two writers were inside at once"
    assert versions == [1, 2] and repos[0].live_version() == 2  # the later writer went live last
    for repo in repos:
        repo.dispose()


def test_a_dropped_version_reads_as_gone_not_empty(repository):
    first = add(repository, [store(1)])
    empty = add(repository, [])
    add(repository, [store(2)])
    assert repository.load_kept_stores(empty) == []
    repository.prune(1)
    assert repository.load_kept_stores(first) is None and repository.load_kept_stores(empty) is None


def test_index_holder_reads_the_live_version_again_when_its_version_was_dropped():
    live = iter([1, 2])
    shops = {1: None, 2: [store(7)]}  # version 1 went between reading the live version and its shops
    holder = IndexHolder(lambda: next(live), lambda version: shops[version])
    assert holder.refresh()
    assert holder.index.version == 2 and [s.id for s in holder.index.stores] == ["bg-0007"]
