"""GET /admin/v1/overview: its figures against the live list as the public export and the index give it."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import AS_ALICE, AS_BOB, TOKENS, assert_problem, upload

SIDO_CSV = Path(__file__).resolve().parents[2] / "geodata" / "sido_aliases.csv"
# Shops in several 시도 under several spellings, one named only by its region column, one by nothing
# (coordinates alone), two placed by the offline geocoder; radii stated by the list (정확도) or not.
LISTING = """관리번호,업체명,업종,시도,주소,위도,경도,정확도
S-1,을지면옥,음식점업,,서울특별시 중구 충무로14길 2-1,37.5670,126.9918,30
S-2,이문설농탕,음식점업,,서울 종로구 우정국로 38-13,37.5720,126.9855,
S-3,부산 밀면집,음식점업,,부산광역시 중구 광복로 1,35.0990,129.0300,2500
S-4,지역만 가게,음식점업,경기,,37.2636,127.0286,300
S-5,좌표만 가게,한식,,,36.5000,127.5000,25000
S-6,인사동 필방,소매업,,서울특별시 종로구 인사동길 12,,,
S-7,제주 가게,한식,,제주특별자치도 제주시 중앙로 1,,,
S-8,춘천 닭갈비,한식,,강원도 춘천시 금강로 1,37.8813,127.7298,250
"""


def _sido_names() -> dict[str, str]:
    with open(SIDO_CSV, encoding="utf-8", newline="") as handle:
        return {alias: row["name"] for row in csv.DictReader(handle)
                for alias in (row["name"], row["boundary_name"], *row["aliases"].split(";"))}


def _placed(client, data: str) -> int:
    response = upload(client, AS_ALICE, data.encode("utf-8"), wait="30")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def _overview(client, query: str = "", headers=AS_ALICE):
    response = client.get(f"/admin/v1/overview{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response


def test_overview_equals_the_live_list(make_app) -> None:
    app = make_app(ADMIN_TOKENS=TOKENS)
    client = app.test_client()
    version = _placed(client, LISTING)
    body = _overview(client, headers=AS_BOB).get_json()  # a read-only token reads it too

    exported = client.get("/v1/stores/export?format=json").get_json()["items"]
    assert body["dataset_version"] == version and body["total"] == len(exported) == 8
    assert {row["precision"]: row["count"] for row in body["by_precision"] if row["count"]} == \
        Counter(item["precision"] for item in exported)
    assert body["accuracy"]["approximate"] == sum(item["approximate"] for item in exported)

    live = app.extensions["navplugin"].index().stores  # the exact radii and the region column
    names = _sido_names()

    def sido(store) -> str:
        for text in (store.region, store.address, store.jibun_address):
            if text and text.split()[0] in names:
                return names[text.split()[0]]
        return "unknown"

    assert {row["sido"]: row["count"] for row in body["by_sido"]} == Counter(sido(store) for store in live)
    assert {"서울특별시": 3, "강원특별자치도": 1, "경기도": 1, "unknown": 1}.items() <= \
        {row["sido"]: row["count"] for row in body["by_sido"]}.items()
    assert body["by_sido"][0]["sido"] == "서울특별시"
    radii = sorted(store.accuracy_m for store in live)
    assert sum(b["count"] for b in body["accuracy"]["bins"]) == len(radii)
    assert body["accuracy"]["median_m"] == pytest.approx((radii[3] + radii[4]) / 2)
    assert body["accuracy"]["p90_m"] == radii[-1]  # nearest rank: the 8th of 8 (ceil(7.2))

    # to_pin, a page at a time through `next`, is every live shop, largest radius first
    expected = [store.id for store in sorted(live, key=lambda s: (-s.accuracy_m, s.id))]
    seen, url = [], "/admin/v1/overview?limit=3"
    while url:
        page = client.get(url, headers=AS_ALICE).get_json()["to_pin"]
        assert page["count"] == 8 and len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert seen == expected
    assert _overview(client, "?offset=8").get_json()["to_pin"] == {"count": 8, "offset": 8, "limit": 20,
                                                                    "items": [], "next": None}


def test_a_new_version_gives_a_new_overview(client, admin_headers) -> None:
    assert _overview(client, headers=admin_headers).get_json()["total"] == 0
    assert upload(client, admin_headers, LISTING.encode("utf-8"), wait="30").status_code == 201
    first = _overview(client, headers=admin_headers)
    assert first.get_json()["total"] == 8
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/admin/v1/overview", headers={**admin_headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    fewer = LISTING.rsplit("\n", 3)[0] + "\n"  # the last two shops dropped
    assert upload(client, admin_headers, fewer.encode("utf-8"), wait="30").status_code == 201
    second = _overview(client, headers=admin_headers)
    assert second.get_json()["total"] == 6
    assert second.get_json()["dataset_version"] > first.get_json()["dataset_version"]
    assert second.headers["ETag"] != first.headers["ETag"]


def test_overview_wants_a_token(client) -> None:
    assert_problem(client.get("/admin/v1/overview"), 401)
    assert_problem(client.get("/admin/v1/overview", headers={"Authorization": "Bearer wrong"}), 401)


def test_bad_paging_is_a_problem_naming_the_parameter(client, admin_headers) -> None:
    for query, name in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"),
                        ("offset=-1", "offset"), ("offset=1.5", "offset")):
        assert_problem(client.get(f"/admin/v1/overview?{query}", headers=admin_headers), 400, name)
    assert _overview(client, "?limit=200", headers=admin_headers).get_json()["to_pin"]["limit"] == 200


def test_limits_bound_the_page(make_app) -> None:
    app = make_app(ADMIN_TOKENS=TOKENS)
    client = app.test_client()
    rows = "".join(f"P-{k:03d},가게 {k},한식,,서울특별시 중구 을지로 {k},37.56,126.99,{k + 1}\n" for k in range(230))
    _placed(client, LISTING.split("\n", 1)[0] + "\n" + rows)
    assert len(_overview(client).get_json()["to_pin"]["items"]) == 20
    page = _overview(client, "?limit=200").get_json()["to_pin"]
    assert len(page["items"]) == 200 and page["count"] == 230
    assert [item["id"] for item in page["items"][:3]] == ["P-229", "P-228", "P-227"]
