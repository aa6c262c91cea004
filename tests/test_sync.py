"""Delta sync: an app's copy of any kept version, with the changes applied, is the live list."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navplugin.curation import Curator
from navplugin.errors import BadParameter, Gone
from navplugin.formats.common import store_fields
from navplugin.geocode.district import district_checker
from navplugin.model import Store
from navplugin.spatial.index import StoreIndex
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository
from navplugin.sync import ChangesCache, changes_since
from tests.helpers import AS_ALICE, ROW_A, ROW_B, ROW_C, ROW_D, TOKENS, assert_problem, csv, uploaded

POOL = [f"S-{number:02d}" for number in range(12)]


def shop(store_id: str, variant: int) -> Store:
    """The same shop in one of a few states, so versions differ in fields as well as membership."""
    number = int(store_id[2:])
    return Store(id=store_id, name=f"가게 {number}" + (" 본점" if variant == 1 else ""),
                 lon=126.97 + number * 0.001 + (0.0005 if variant == 2 else 0.0), lat=37.56 + number * 0.001,
                 provider="supplied", precision="supplied", category="음식점업",
                 phone=f"02-{variant}", address=f"서울특별시 종로구 종로 {number}",
                 extra={"비고": "리모델링"} if variant == 3 else {})


lists = st.dictionaries(st.sampled_from(POOL), st.integers(0, 3), min_size=1, max_size=len(POOL))
operations = st.lists(st.one_of(
    st.tuples(st.just("upload"), lists),
    st.tuples(st.just("override"), st.integers(0, 100), st.floats(-0.002, 0.002)),
    st.tuples(st.just("revoke"), st.integers(0, 100)),
    st.tuples(st.just("restore"), st.integers(0, 100)),
    st.tuples(st.just("activate"), st.integers(0, 100)),
), min_size=1, max_size=8)


def apply_changes(copy: dict[str, dict], changes) -> dict[str, dict]:
    """What a navigation app does with an answer of /v1/changes."""
    updated = dict(copy)
    for store_id in changes.deletions:
        del updated[store_id]
    for store in changes.upserts:
        updated[store.id] = store_fields(store)
    return updated


def run(repo: Repository, curator: Curator, steps) -> None:
    for step in steps:
        live = repo.live_version()
        live_ids = [] if live is None else [s.id for s in repo.load_stores(live)]
        kind = step[0]
        if kind == "upload":
            stores = [shop(store_id, variant) for store_id, variant in sorted(step[1].items())]
            repo.add_version(stores, source="upload", total_rows=len(stores), report={})
        elif kind == "override" and live_ids:
            target = repo.store(live, live_ids[step[1] % len(live_ids)])
            curator.override(target.id, {"lon": target.lon + step[2], "lat": target.lat}, "핀 수정", "alice")
        elif kind == "revoke" and live_ids:
            curator.revoke(live_ids[step[1] % len(live_ids)], "지정 취소", "alice")
        elif kind == "restore":
            revoked = [i for i in POOL if i not in live_ids]
            try:
                if revoked:
                    curator.restore(revoked[step[1] % len(revoked)], "철회", "alice")
            except Exception as exc:  # only shops that were revoked can be restored
                assert "not revoked" in str(exc)
        elif kind == "activate":
            versions = [info.version for info in repo.versions()]
            if versions:
                curator.activate(versions[step[1] % len(versions)], "alice")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_replaying_changes_from_any_version_reaches_the_live_list(tmp_path, steps):
    repo = Repository(make_engine(f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite3"))
    repo.upgrade_schema()
    try:
        run(repo, Curator(repo, district_checker(150.0)), steps)
        live = repo.live_version()
        if live is None:
            return
        index = StoreIndex(repo.load_stores(live), live)
        expected = {item["id"]: item for item in map(store_fields, index.stores)}
        for since in [0, *(info.version for info in repo.versions())]:
            copy = {} if since == 0 else {item["id"]: item for item in map(store_fields, repo.load_stores(since))}
            changes = changes_since(repo, index, since)
            assert (changes.from_version, changes.to_version) == (since, live)
            assert not set(changes.deletions) & {s.id for s in changes.upserts}
            assert apply_changes(copy, changes) == expected
    finally:
        repo.engine.dispose()


def test_versions_no_longer_kept_are_gone_and_future_ones_are_bad(repository):
    versions = [repository.add_version([shop("S-01", n)], source="upload", total_rows=1, report={})
                for n in range(4)]
    assert repository.prune(2) == versions[:2]
    index = StoreIndex(repository.load_stores(versions[-1]), versions[-1])
    with pytest.raises(Gone) as gone:
        changes_since(repository, index, versions[0])
    assert gone.value.extra["export"] == "/v1/stores/export"
    with pytest.raises(BadParameter):
        changes_since(repository, index, versions[-1] + 1)
    assert changes_since(repository, index, versions[2]).upserts == [shop("S-01", 3)]


def test_prune_never_drops_the_live_version(repository):
    versions = [repository.add_version([shop("S-01", n)], source="upload", total_rows=1, report={})
                for n in range(4)]
    Curator(repository, district_checker(150.0)).activate(versions[0], "admin")
    assert repository.prune(1) == versions[1:3]
    assert [info.version for info in repository.versions()] == [versions[3], versions[0]]
    [entry] = repository.audit_entries(action="version.prune")
    assert (entry["actor"], entry["details"]["dropped"]) == ("system", versions[1:3])


def test_cache_answers_again_without_the_database(repository):
    first = repository.add_version([shop("S-01", 0), shop("S-02", 0)], source="upload", total_rows=2, report={})
    second = repository.add_version([shop("S-01", 1)], source="upload", total_rows=1, report={})
    cache = ChangesCache(repository)
    index = StoreIndex(repository.load_stores(second), second)
    answer = cache.get(index, first)
    repository.engine.dispose()
    repository.engine = make_engine("sqlite:///:memory:")  # the answer must not need the database again
    assert cache.get(index, first) is answer
    assert (answer.deletions, [s.id for s in answer.upserts]) == (["S-02"], ["S-01"])


# -- through HTTP ---------------------------------------------------------------------------------

@pytest.fixture
def app(make_app):
    return make_app(ADMIN_TOKENS=TOKENS, KEEP_VERSIONS=4)


def test_changes_over_http_with_cache_headers(client):
    first = uploaded(client, csv(ROW_A, ROW_B, ROW_C))
    client.patch("/admin/v1/stores/A-2", headers=AS_ALICE, json={"phone": "02-9", "reason": "전화"})
    client.post("/admin/v1/stores/A-3/revoke", headers=AS_ALICE, json={"reason": "취소"})
    live = uploaded(client, csv(ROW_A, ROW_B, ROW_C, ROW_D), mode="merge")

    response = client.get(f"/v1/changes?since={first}")
    body = response.get_json()
    assert (body["from_version"], body["to_version"]) == (first, live)
    assert [item["id"] for item in body["upserts"]] == ["A-2", "A-4"]
    assert body["upserts"][0]["phone"] == "02-9"
    assert set(body["upserts"][0]) == set(client.get("/v1/stores/nearby?lat=37.57&lon=126.99")
                                          .get_json()["items"][0]) - {"distance_m", "bearing_deg"}
    assert body["deletions"] == ["A-3"]
    assert body["counts"] == {"upserts": 2, "deletions": 1}
    assert "max-age" in response.headers["Cache-Control"]
    again = client.get(f"/v1/changes?since={first}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

    whole = client.get("/v1/changes?since=0").get_json()
    assert [item["id"] for item in whole["upserts"]] == ["A-1", "A-2", "A-4"] and whole["deletions"] == []
    assert client.get(f"/v1/changes?since={live}").get_json()["counts"] == {"upserts": 0, "deletions": 0}


def test_changes_from_a_dropped_version_is_410_with_the_pack_to_fetch(client):
    first = uploaded(client, csv(ROW_A))
    for rows in ([ROW_A, ROW_B], [ROW_B], [ROW_C], [ROW_D]):
        uploaded(client, csv(*rows))
    body = assert_problem(client.get(f"/v1/changes?since={first}"), 410)
    assert body["export"] == "/v1/stores/export"
    assert_problem(client.get("/v1/changes?since=abc"), 400, "since")
    assert_problem(client.get("/v1/changes"), 400, "since")
    assert_problem(client.get("/v1/changes?since=9999"), 400, "since")
