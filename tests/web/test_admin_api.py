"""The admin's side through the HTTP API, on SQLite and PostgreSQL: versions, diff, rollback,
merge, overrides that survive uploads, revocation, the audit log and token roles."""
from __future__ import annotations

import re

import pytest

from tests.helpers import (
    ALICE,
    AS_ALICE,
    AS_BOB,
    ROW_A,
    ROW_B,
    ROW_B_NEW_PHONE,
    ROW_C,
    ROW_D,
    TOKENS,
    assert_problem,
    csv,
    live_ids,
    nearby,
    upload,
    uploaded,
)


@pytest.fixture
def app(make_app):
    return make_app(ADMIN_TOKENS=TOKENS, ADMIN_TOKEN=None)


# -- tokens --------------------------------------------------------------------------------------

def admin_routes(app) -> list[tuple[str, str]]:
    """Every admin route with each of its methods, with sample values for its parameters."""
    samples = {"upload_id": "1", "a": "1", "b": "1", "version": "1", "store_id": "A-1", "client_id": "1"}
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/v1/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", samples[name], path)
        routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_every_admin_route_wants_a_valid_token(app, client):
    routes = admin_routes(app)
    assert len(routes) >= 14
    for method, path in routes:
        missing = client.open(path, method=method)
        assert_problem(missing, 401)
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = client.open(path, method=method, headers={"Authorization": "Bearer not-a-token"})
        assert_problem(wrong, 401)
        basic = client.open(path, method=method, headers={"Authorization": f"Basic {ALICE}"})
        assert_problem(basic, 401)


def test_read_only_token_reads_but_may_not_write(app, client):
    uploaded(client, csv(ROW_A, ROW_B))
    for method, path in admin_routes(app):
        response = client.open(path, method=method, headers=AS_BOB)
        if method == "GET":
            assert response.status_code in (200, 404), (path, response.get_json())
        else:
            assert_problem(response, 403)
    assert client.get("/admin/v1/whoami", headers=AS_BOB).get_json() == {"name": "bob", "role": "read"}
    assert client.get("/admin/v1/whoami", headers=AS_ALICE).get_json() == {"name": "alice", "role": "admin"}


# -- versions, diff, rollback ---------------------------------------------------------------------

def test_versions_list_who_uploaded_what(client):
    first = uploaded(client, csv(ROW_A, ROW_B))
    second = uploaded(client, csv(ROW_A))
    items = client.get("/admin/v1/versions", headers=AS_ALICE).get_json()["items"]
    assert [(i["version"], i["live"], i["uploaded_by"], i["counts"]["stores"]) for i in items] == [
        (second, True, "alice", 1), (first, False, "alice", 2)]
    assert items[0]["file_name"] == "list.csv" and items[0]["created_at"]


def test_diff_names_added_removed_and_changed_fields(client):
    first = uploaded(client, csv(ROW_A, ROW_B, ROW_C))
    second = uploaded(client, csv(ROW_A, ROW_B_NEW_PHONE, ROW_D))
    body = client.get(f"/admin/v1/versions/{first}/diff/{second}", headers=AS_ALICE).get_json()
    assert body["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert [s["id"] for s in body["added"]] == ["A-4"]
    assert [s["id"] for s in body["removed"]] == ["A-3"]
    assert body["changed"] == [{"id": "A-2", "name": "이문설농탕", "override": None,
                                "fields": {"phone": {"from": "02-733-6526", "to": "02-733-0000"}}}]
    backwards = client.get(f"/admin/v1/versions/{second}/diff/{first}", headers=AS_ALICE).get_json()
    assert [s["id"] for s in backwards["added"]] == ["A-3"] and [s["id"] for s in backwards["removed"]] == ["A-4"]
    assert_problem(client.get(f"/admin/v1/versions/{first}/diff/999", headers=AS_ALICE), 404)


def test_rollback_and_forward_switch_the_answers_atomically(client):
    first = uploaded(client, csv(ROW_A, ROW_B))
    second = uploaded(client, csv(ROW_C))
    assert live_ids(client) == ["A-3"]
    response = client.post(f"/admin/v1/versions/{first}/activate", headers=AS_ALICE)
    assert response.get_json() == {"version": first, "live": True, "requested": first, "previous": second,
                                   "revoked_kept_out": [], "corrections_reapplied": []}
    assert live_ids(client) == ["A-1", "A-2"]
    assert nearby(client).get_json()["dataset_version"] == first
    client.post(f"/admin/v1/versions/{second}/activate", headers=AS_ALICE)
    assert live_ids(client) == ["A-3"]
    assert_problem(client.post("/admin/v1/versions/999/activate", headers=AS_ALICE), 404)


def test_every_serving_process_follows_an_activation(make_app):
    writer = make_app(ADMIN_TOKENS=TOKENS).test_client()
    reader_app = make_app(ADMIN_TOKENS=TOKENS, INDEX_POLL_SECONDS=0.1)
    reader = reader_app.test_client()
    first = uploaded(writer, csv(ROW_A, ROW_B))
    uploaded(writer, csv(ROW_C))
    writer.post(f"/admin/v1/versions/{first}/activate", headers=AS_ALICE)
    assert reader_app.extensions["navplugin"].holder.wait_for(first, timeout=20)  # its poller swapped it in
    assert nearby(reader).get_json()["dataset_version"] == first
    assert live_ids(reader) == ["A-1", "A-2"]


def test_rollback_undoes_a_list_but_not_the_admins_corrections(client):
    first = uploaded(client, csv(ROW_A, ROW_B, ROW_C))
    client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"lat": 37.5669, "lon": 126.9921, "reason": "입구"})
    client.post("/admin/v1/stores/A-3/revoke", headers=AS_ALICE, json={"reason": "지정 취소"})
    uploaded(client, csv(ROW_D))  # a bad list: all but one shop gone
    body = client.post(f"/admin/v1/versions/{first}/activate", headers=AS_ALICE).get_json()
    assert body["requested"] == first and body["version"] > first
    assert (body["revoked_kept_out"], body["corrections_reapplied"]) == (["A-3"], ["A-1"])
    assert live_ids(client) == ["A-1", "A-2"]
    item = client.get("/v1/stores/A-1").get_json()["item"]
    assert (item["lat"], item["lon"], item["precision"]) == (37.5669, 126.9921, "manual")
    info = client.get("/admin/v1/versions", headers=AS_ALICE).get_json()["items"][0]
    assert (info["version"], info["source"], info["base_version"], info["live"]) == (body["version"], "activate",
                                                                                     first, True)
    diff = client.get(f"/admin/v1/versions/{first}/diff/{body['version']}", headers=AS_ALICE).get_json()
    assert diff["counts"] == {"added": 0, "removed": 1, "changed": 1}
    entry = client.get("/admin/v1/audit?action=version.activate", headers=AS_ALICE).get_json()["items"][0]
    assert entry["target"] == f"version:{first}" and entry["version"] == body["version"]
    assert entry["details"]["revoked_kept_out"] == ["A-3"]


# -- merge and replace ----------------------------------------------------------------------------

def test_merge_adds_and_updates_and_removes_nothing(client):
    first = uploaded(client, csv(ROW_A, ROW_B, ROW_C))
    merged = uploaded(client, csv(ROW_B_NEW_PHONE, ROW_D), mode="merge")
    assert live_ids(client) == ["A-1", "A-2", "A-3", "A-4"]
    assert client.get("/v1/stores/A-2").get_json()["item"]["phone"] == "02-733-0000"
    info = client.get("/admin/v1/versions", headers=AS_ALICE).get_json()["items"][0]
    assert info["version"] == merged and info["base_version"] == first and info["counts"]["stores"] == 4
    uploaded(client, csv(ROW_D), mode="replace")
    assert live_ids(client) == ["A-4"]


def test_unknown_mode_is_400(client):
    assert_problem(upload(client, AS_ALICE, csv(ROW_A), mode="append"), 400, "mode")


# -- overrides ------------------------------------------------------------------------------------

def test_pin_correction_is_served_and_survives_the_next_upload(client):
    uploaded(client, csv(ROW_A, ROW_B))
    response = client.patch("/admin/v1/stores/A-1", headers=AS_ALICE,
                            json={"lat": 37.56695, "lon": 126.99205, "reason": "입구 위치 확인"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["item"]["precision"] == "manual" and body["item"]["provider"] == "admin"
    assert body["changes"]["lat"] == {"from": 37.567, "to": 37.56695}
    detail = client.get("/v1/stores/A-1").get_json()
    assert (detail["item"]["lat"], detail["item"]["lon"]) == (37.56695, 126.99205)
    assert detail["dataset_version"] == body["version"]

    # Next year's list still has the old point: the correction stands, the other fields follow the list.
    again = uploaded(client, csv(ROW_A.replace("02-2266-7052", "02-2266-0000"), ROW_B))
    item = client.get("/v1/stores/A-1").get_json()["item"]
    assert (item["lat"], item["lon"], item["precision"]) == (37.56695, 126.99205, "manual")
    assert item["phone"] == "02-2266-0000"
    report = client.get("/admin/v1/versions", headers=AS_ALICE).get_json()["items"][0]
    assert report["version"] == again

    # The diff from the uploaded point to the corrected one shows the override behind it.
    status = client.get("/admin/v1/stores/A-1", headers=AS_ALICE).get_json()
    assert status["override"]["fields"] == {"lat": 37.56695, "lon": 126.99205}
    assert status["override"]["reason"] == "입구 위치 확인" and status["override"]["updated_by"] == "alice"
    assert status["overridden"]["lat"] == 37.567 and status["overridden"]["precision"] == "supplied"
    diff = client.get(f"/admin/v1/versions/{body['version'] - 1}/diff/{body['version']}",
                      headers=AS_ALICE).get_json()
    assert [c["id"] for c in diff["changed"]] == ["A-1"]
    assert diff["changed"][0]["fields"]["lat"] == {"from": 37.567, "to": 37.56695}
    assert diff["changed"][0]["override"]["reason"] == "입구 위치 확인"


def test_field_corrections_and_clearing_them(client):
    uploaded(client, csv(ROW_A))
    client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"name": "을지면옥 본점", "reason": "상호 변경"})
    client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"phone": "02-0000-1111", "reason": "전화 변경"})
    item = client.get("/v1/stores/A-1").get_json()["item"]
    assert (item["name"], item["phone"], item["precision"]) == ("을지면옥 본점", "02-0000-1111", "supplied")
    response = client.delete("/admin/v1/stores/A-1/override", headers=AS_ALICE, json={"reason": "원래대로"})
    assert response.status_code == 200
    item = client.get("/v1/stores/A-1").get_json()["item"]
    assert (item["name"], item["phone"]) == ("을지면옥", "02-2266-7052")
    assert_problem(client.delete("/admin/v1/stores/A-1/override", headers=AS_ALICE, json={"reason": "x"}), 409)


@pytest.mark.parametrize("body, parameter", [
    ({"lat": 37.5}, "reason"),
    ({"lat": 37.5, "lon": 127.0, "reason": "  "}, "reason"),
    ({"reason": "핀"}, "body"),
    ({"lat": 37.5, "reason": "핀"}, "lon"),
    ({"lat": 95, "lon": 127.0, "reason": "핀"}, "lat"),
    ({"lat": 37.5, "lon": "127", "reason": "핀"}, "lon"),
    ({"lat": float("nan"), "lon": 127.0, "reason": "핀"}, "lat"),
    ({"name": "", "reason": "이름"}, "name"),
    ({"founded_year": 1200, "reason": "연도"}, "founded_year"),
    ({"id": "B-1", "reason": "아이디"}, "id"),
])
def test_bad_corrections_are_400_naming_the_field(client, body, parameter):
    uploaded(client, csv(ROW_A))
    response = client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json=body)
    assert_problem(response, 400, parameter)
    assert client.get("/v1/stores/A-1").get_json()["item"]["lat"] == 37.567


def test_correcting_an_unknown_shop_is_404(client):
    uploaded(client, csv(ROW_A))
    assert_problem(client.patch("/admin/v1/stores/nope", headers=AS_ALICE, json={"phone": "1", "reason": "x"}), 404)
    assert_problem(client.post("/admin/v1/stores/nope/revoke", headers=AS_ALICE, json={"reason": "x"}), 404)


# -- revocation -----------------------------------------------------------------------------------

def test_revoked_shop_leaves_every_navigation_answer_and_stays_out(client):
    first = uploaded(client, csv(ROW_A, ROW_B))
    response = client.post("/admin/v1/stores/A-1/revoke", headers=AS_ALICE, json={"reason": "지정 취소 (폐업)"})
    assert response.status_code == 200
    revoked_version = response.get_json()["version"]
    assert live_ids(client) == ["A-2"]
    assert_problem(client.get("/v1/stores/A-1"), 404)
    export = client.get("/v1/stores/export?format=json").get_data(as_text=True)
    assert "A-1" not in export and "A-2" in export
    changes = client.get(f"/v1/changes?since={first}").get_json()
    assert changes["deletions"] == ["A-1"] and changes["to_version"] == revoked_version

    # Its history is kept: the earlier version still holds it, the admin view shows why.
    status = client.get("/admin/v1/stores/A-1", headers=AS_ALICE).get_json()
    assert status["live"] is False and status["override"]["revoked"] is True
    assert status["item"]["name"] == "을지면옥"
    assert [e["action"] for e in status["history"]] == ["store.revoke"]

    # A later list that still names it does not bring it back, in either mode.
    uploaded(client, csv(ROW_A, ROW_B, ROW_C))
    assert live_ids(client) == ["A-2", "A-3"]
    uploaded(client, csv(ROW_A), mode="merge")
    assert live_ids(client) == ["A-2", "A-3"]
    assert_problem(client.post("/admin/v1/stores/A-1/revoke", headers=AS_ALICE, json={"reason": "again"}), 409)

    restored = client.post("/admin/v1/stores/A-1/restore", headers=AS_ALICE, json={"reason": "취소 철회"})
    assert restored.status_code == 200
    assert live_ids(client) == ["A-1", "A-2", "A-3"]


def test_revoke_wants_a_reason(client):
    uploaded(client, csv(ROW_A))
    assert_problem(client.post("/admin/v1/stores/A-1/revoke", headers=AS_ALICE, json={}), 400, "reason")
    assert live_ids(client) == ["A-1"]


# -- audit ----------------------------------------------------------------------------------------

def test_every_admin_action_is_audited_with_the_token_name(client):
    first = uploaded(client, csv(ROW_A, ROW_B))
    upload(client, AS_ALICE, csv(ROW_A), dry_run=True)
    nameless = "A-9,,음식점업,서울특별시 종로구 종로 2,02-1,2019,1990,37.57,126.98\n"
    assert upload(client, AS_ALICE, csv(ROW_A, nameless)).status_code == 422
    client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"phone": "02-1", "reason": "전화"})
    client.post("/admin/v1/stores/A-2/revoke", headers=AS_ALICE, json={"reason": "취소"})
    client.post(f"/admin/v1/versions/{first}/activate", headers=AS_ALICE)
    items = client.get("/admin/v1/audit", headers=AS_BOB).get_json()["items"]
    assert [(e["actor"], e["action"]) for e in reversed(items)] == [
        ("alice", "upload"), ("alice", "upload.done"), ("alice", "upload.dry_run"), ("alice", "upload.rejected"),
        ("alice", "store.override"), ("alice", "store.revoke"), ("alice", "version.activate"),
    ]
    override = next(e for e in items if e["action"] == "store.override")
    assert override["target"] == "store:A-1"
    assert override["details"] == {"reason": "전화", "fields": {"phone": {"from": "02-2266-7052", "to": "02-1"}}}
    activation = items[0]  # version 1 with the phone correction and the revocation standing now: version 4
    assert activation["target"] == f"version:{first}" and activation["version"] == first + 3
    assert activation["details"] == {"previous": first + 2, "revoked_kept_out": ["A-2"],
                                     "corrections_reapplied": ["A-1"]}
    assert all(e["at"].endswith("+00:00") for e in items)


def test_audit_pages_back_and_filters(client):
    uploaded(client, csv(ROW_A))
    for number in range(5):
        client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"phone": f"02-{number}", "reason": "전화"})
    page = client.get("/admin/v1/audit?limit=3", headers=AS_ALICE).get_json()
    sizes, ids = [], []
    while True:
        sizes.append(len(page["items"]))
        ids.extend(e["id"] for e in page["items"])
        if not page["next"]:
            break
        page = client.get(page["next"], headers=AS_ALICE).get_json()
    assert sizes == [3, 3, 1]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7
    overrides = client.get("/admin/v1/audit?action=store.override", headers=AS_ALICE).get_json()["items"]
    assert len(overrides) == 5 and {e["action"] for e in overrides} == {"store.override"}
    assert_problem(client.get("/admin/v1/audit?action=drop", headers=AS_ALICE), 400, "action")


def test_admin_reads_revalidate_with_etags(client):
    uploaded(client, csv(ROW_A))
    for path in ("/admin/v1/versions", "/admin/v1/audit", "/admin/v1/stores/A-1", "/admin/v1/review"):
        first = client.get(path, headers=AS_ALICE)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
        etag = first.headers["ETag"]
        again = client.get(path, headers={**AS_ALICE, "If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
    before = client.get("/admin/v1/versions", headers=AS_ALICE).headers["ETag"]
    uploaded(client, csv(ROW_A, ROW_B))
    changed = client.get("/admin/v1/versions", headers={**AS_ALICE, "If-None-Match": before})
    assert changed.status_code == 200 and changed.headers["ETag"] != before


# -- input that must be refused, not crash --------------------------------------------------------

@pytest.mark.parametrize("body, parameter", [
    ({"phone": "0" * 65, "reason": "전화"}, "phone"),  # wider than the column
    ({"lat": 10**400, "lon": 127.0, "reason": "핀"}, "lat"),  # no float holds it
])
def test_corrections_that_do_not_fit_are_400(client, body, parameter):
    uploaded(client, csv(ROW_A))
    assert_problem(client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json=body), 400, parameter)


def test_odd_bodies_and_parameters_are_problems_not_crashes(client):
    uploaded(client, csv(ROW_A))
    client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"phone": "02-1", "reason": "전화"})
    assert_problem(client.delete("/admin/v1/stores/A-1/override", headers=AS_ALICE, json=[1]), 400, "reason")
    big = {"phone": "02-1", "reason": "x" * (70 * 1024)}
    assert_problem(client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json=big), 413)
    page = client.get("/admin/v1/audit?limit=1&_external=0&endpoint=x&_anchor=y", headers=AS_ALICE)
    assert page.status_code == 200
    assert "#" not in page.get_json()["next"] and "endpoint" not in page.get_json()["next"]
    route = {"coordinates": [[126.97, 37.56], [127.0, 37.57]], "note": "x" * (5 * 1024 * 1024)}
    assert_problem(client.post("/v1/stores/along-route", json=route), 413)


def test_a_revoked_shop_is_restored_before_it_is_corrected(client):
    uploaded(client, csv(ROW_A, ROW_B))
    client.post("/admin/v1/stores/A-1/revoke", headers=AS_ALICE, json={"reason": "취소"})
    assert_problem(client.patch("/admin/v1/stores/A-1", headers=AS_ALICE, json={"phone": "1", "reason": "x"}), 409)
    assert live_ids(client) == ["A-2"]


def test_ids_with_slashes_are_reachable(client):
    uploaded(client, csv(ROW_A.replace("A-1,", "서울-2019/001,")))
    assert client.get("/v1/stores/서울-2019%2F001").get_json()["item"]["name"] == "을지면옥"
    response = client.post("/admin/v1/stores/서울-2019%2F001/revoke", headers=AS_ALICE, json={"reason": "취소"})
    assert response.status_code == 200
    assert client.get("/admin/v1/stores/서울-2019/001", headers=AS_ALICE).get_json()["override"]["revoked"]
