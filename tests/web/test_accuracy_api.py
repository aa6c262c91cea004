"""``accuracy_m`` on every served point: stated by the list, carried by every format (read back by
independent readers), and ``max_accuracy_m`` leaving coarser points out of every list endpoint."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import warnings

import gpxpy
import pytest

from navplugin.accuracy import ACCURACY_BY_PRECISION, APPROXIMATE_OVER_M
from navplugin.ingest.validate import E_ACCURACY_RANGE, W_ACCURACY_WITHOUT_POINT
from tests.conftest import ADMIN_TOKEN
from tests.helpers import assert_problem, upload

AS_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HEADER = "관리번호,업체명,업종,주소,전화번호,위도,경도,위치정확도\n"
# (id, stated radius or "" for none) around 종로; the radius column is what the list says of its points.
STATED = {"R-1": "8", "R-2": "40", "R-3": "", "R-4": "300", "R-5": "4500m", "R-6": "250"}
ROWS = "".join(
    f"{shop_id},종로 가게 {n},음식점업,서울특별시 종로구 종로 {n},02-000-000{n},{37.5700 + n * 0.0004:.4f},"
    f"{126.9900 + n * 0.0004:.4f},{radius}\n"
    for n, (shop_id, radius) in enumerate(STATED.items(), start=1)
)
ROUTE = {"coordinates": [[126.985, 37.569], [126.996, 37.574]], "width": 800}


def _radius(stated: str) -> float:
    return float(stated.removesuffix("m")) if stated else ACCURACY_BY_PRECISION["supplied"]


EXPECTED = {shop_id: _radius(stated) for shop_id, stated in STATED.items()}


@pytest.fixture
def client(make_app):
    client = make_app().test_client()
    response = upload(client, AS_ADMIN, (HEADER + ROWS).encode("utf-8"))
    assert response.status_code == 201, response.get_json()
    return client


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def _within(limit: float) -> set[str]:
    return {shop_id for shop_id, radius in EXPECTED.items() if radius <= limit}


def test_every_item_carries_the_radius_its_list_stated_and_says_when_it_is_approximate(client):
    items = client.get("/v1/stores/nearby?lat=37.571&lon=126.991&radius=2000").get_json()["items"]
    assert {item["id"]: item["accuracy_m"] for item in items} == EXPECTED
    assert {item["id"] for item in items if item["approximate"]} == {
        shop_id for shop_id, radius in EXPECTED.items() if radius > APPROXIMATE_OVER_M}
    assert {"R-4", "R-5"} == {item["id"] for item in items if item["approximate"]}  # 250 itself is not over
    detail = client.get("/v1/stores/R-5").get_json()["item"]
    assert (detail["accuracy_m"], detail["approximate"]) == (4500, True)
    # an offline copy learns the radius through delta sync too
    upserts = client.get("/v1/changes?since=0").get_json()["upserts"]
    assert {item["id"]: item["accuracy_m"] for item in upserts} == EXPECTED


@pytest.mark.parametrize("limit", [8, 39.9, 40, 100, 299, 300, 1_000_000])
def test_max_accuracy_m_leaves_coarser_points_out_of_every_list(client, limit):
    wanted = _within(limit)
    assert _ids(client.get(f"/v1/stores/nearby?lat=37.571&lon=126.991&radius=2000&max_accuracy_m={limit}")) == wanted
    assert _ids(client.get(f"/v1/stores?bbox=126.98,37.56,127.0,37.58&max_accuracy_m={limit}")) == wanted
    assert _ids(client.post("/v1/stores/along-route", json={**ROUTE, "max_accuracy_m": limit})) == wanted
    assert _ids(client.get(f"/v1/stores/search?q=종로 가게&max_accuracy_m={limit}")) == wanted
    exported = json.loads(client.get(f"/v1/stores/export?max_accuracy_m={limit}").get_data())
    assert {item["id"] for item in exported["items"]} == wanted


def test_max_accuracy_m_with_text_and_category_narrows_by_all_of_them(client):
    nearby = "/v1/stores/nearby?lat=37.571&lon=126.991&radius=2000"
    assert _ids(client.get(f"{nearby}&max_accuracy_m=100&q=가게 2")) == {"R-2"}
    assert _ids(client.get(f"{nearby}&max_accuracy_m=50&category=음식점업&limit=2")) == {"R-1", "R-2"}
    assert _ids(client.get(f"{nearby}&max_accuracy_m=100&category=소매업")) == set()
    assert _ids(client.post("/v1/stores/along-route", json={**ROUTE, "max_accuracy_m": 50, "q": "종로"})) == {
        "R-1", "R-2"}


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1e7", "nan", "inf", "٣٠٠", "1_000"])
def test_a_bad_max_accuracy_m_is_refused_by_name(client, value):
    assert_problem(client.get(f"/v1/stores/nearby?lat=37.57&lon=126.99&max_accuracy_m={value}"), 400,
                   "max_accuracy_m")
    assert_problem(client.get(f"/v1/stores/export?max_accuracy_m={value}"), 400, "max_accuracy_m")
    assert_problem(client.post("/v1/stores/along-route", json={**ROUTE, "max_accuracy_m": value}), 400,
                   "max_accuracy_m")


def test_along_route_takes_max_accuracy_m_from_its_body_only(client):
    assert_problem(client.post("/v1/stores/along-route?max_accuracy_m=50", json=ROUTE), 400, "max_accuracy_m")


def test_every_format_carries_the_radius_read_back_by_independent_readers(client):
    base = "/v1/stores/nearby?lat=37.571&lon=126.991&radius=2000&format="
    geojson = client.get(base + "geojson").get_json()
    assert {f["properties"]["id"]: f["properties"]["accuracy_m"] for f in geojson["features"]} == EXPECTED
    assert {f["properties"]["id"]: f["properties"]["approximate"] for f in geojson["features"]} == {
        shop_id: radius > APPROXIMATE_OVER_M for shop_id, radius in EXPECTED.items()}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastkml warns that lxml (pretty printing only) is missing
        from fastkml import kml
        document = kml.KML.from_string(client.get(base + "kml").get_data())
    placemarks = list(document.features[0].features)
    found = {}
    for placemark in placemarks:
        data = {item.name: item.value for item in placemark.extended_data.elements}
        found[data["id"]] = float(data["accuracy_m"])
    assert found == EXPECTED

    gpx = gpxpy.parse(client.get(base + "gpx").get_data(as_text=True))
    by_name = {point.name: point.description for point in gpx.waypoints}
    assert "위치 ±8 m" in by_name["종로 가게 1"] and "위치 근사 ±4.5 km" in by_name["종로 가게 5"]

    rows = list(csv.reader(io.StringIO(client.get(base + "csv").get_data(as_text=True), newline="")))
    texts = {row[-2]: row[-1] for row in rows}
    assert "위치 ±40 m" in texts["종로 가게 2"] and "위치 근사 ±300 m" in texts["종로 가게 4"]


def test_a_list_stating_an_impossible_radius_is_refused_row_by_row(client):
    bad = (HEADER + "X-1,가게,음식점업,서울특별시 종로구 종로 1,02-1,37.57,126.99,0\n"
                    "X-2,가게,음식점업,서울특별시 종로구 종로 2,02-2,37.57,126.99,열 미터\n").encode("utf-8")
    response = upload(client, AS_ADMIN, bad)
    assert_problem(response, 422)
    problems = {(p["line"], p["problem"]) for p in response.get_json()["report"]["problems"]}
    assert (2, E_ACCURACY_RANGE.format(high="1,000,000")) in problems
    assert (3, "not a number") in problems
    # what was live stays live
    assert len(client.get("/v1/stores/nearby?lat=37.571&lon=126.991&radius=2000").get_json()["items"]) == 6


def test_a_radius_without_coordinates_is_a_warning_and_the_shop_gets_its_geocoders(make_app):
    client = make_app().test_client()
    data = (HEADER + "W-1,가게,음식점업,서울특별시 종로구 인사동길 12 (관훈동),02-1,,,30\n").encode("utf-8")
    response = upload(client, AS_ADMIN, data, dry_run=True)
    assert response.status_code == 200, response.get_json()
    warnings = [p for p in response.get_json()["report"]["problems"] if p["severity"] == "warning"]
    assert [w["problem"] for w in warnings] == [W_ACCURACY_WITHOUT_POINT]


def test_kml_extended_data_is_plain_kml(client):
    """The radius sits in ``ExtendedData/Data``, which any KML reader keeps (checked with ElementTree too)."""
    root = ET.fromstring(client.get("/v1/stores/nearby?lat=37.571&lon=126.991&format=kml").get_data())
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    values = [d.find("k:value", ns).text for d in root.iterfind(".//k:Data[@name='accuracy_m']", ns)]
    assert sorted(float(v) for v in values) == sorted(EXPECTED.values())
