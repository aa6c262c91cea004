"""OGC API - Features under /ogc: the core without Flask, the parameters, and the service end to end.

The end-to-end tests share one app on SQLite with ``SHOPS`` live (the OGC
layer reads the in-memory index, so the database does not change what is
checked here). Coordinates are checked against pyproj's own transformations
in each CRS's authority axis order, GeoJSON with the ``geojson`` package, and
HTML pages with a strict XML parser (they are written as polyglot markup).
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geojson
import numpy as np
import pytest
from lxml import etree
from pyproj import CRS, Transformer

from navplugin import create_app, lifecycle
from navplugin.errors import BadParameter
from navplugin.model import Store
from navplugin.ogc import (
    CRS84,
    DEFAULT_LIMIT,
    EPSG_5179,
    EPSG_5186,
    MAX_LIMIT,
    OFFERED,
    ItemsQuery,
    crs,
    documents,
    features,
)
from navplugin.spatial.crs import project
from navplugin.spatial.index import StoreIndex
from navplugin.web import ogc_params
from tests.conftest import ADMIN_TOKEN
from tests.helpers import assert_problem, upload

ITEMS = "/ogc/collections/stores/items"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEOUL = (37.55, 126.97)
ODD_IDS = ["A/7", "x&y?z#1", "가게 8", "50%off"]
SCRIPT_NAME = '<script>alert("x")</script> 국밥'


def shop_rows() -> list[list[str]]:
    """26 shops: a grid in central Seoul, four with ids that need escaping, one each in Busan and Jeju."""
    rows = []
    for i in range(20):
        lat, lon = SEOUL[0] + (i // 5) * 0.004, SEOUL[1] + (i % 5) * 0.005
        rows.append([f"S-{i:02d}", f"가게 {i}", "음식점업", "서울특별시 중구 세종대로 110", "02-000-0000", "2019", "1985",
                     f"{lat:.4f}", f"{lon:.4f}"])
    for i, shop_id in enumerate(ODD_IDS):
        name = SCRIPT_NAME if i == 0 else f"이상한 {i}"
        rows.append([shop_id, name, "소매업", "서울특별시 종로구 종로 1", "", "2020", "1950", f"{37.571 + i * 0.001:.4f}",
                     "126.9794"])
    rows.append(["B-1", "부산 밀면집", "음식점업", "부산광역시 중구 광복로 1", "", "2021", "1960", "35.0990", "129.0300"])
    rows.append(["J-1", "제주 국수", "음식점업", "제주특별자치도 제주시 관덕로 1", "", "2021", "1960", "33.5130", "126.5220"])
    return rows


def shop_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["관리번호", "업체명", "업종", "주소", "전화번호", "선정연도", "창업연도", "위도", "경도"])
    writer.writerows(shop_rows())
    return out.getvalue().encode("utf-8")


def serve_shops(directory: Path, **settings):
    """An app on a throwaway SQLite file with ``shop_rows`` live, serving as a started process does."""
    app = create_app({"DATABASE_URL": f"sqlite:///{directory / 'ogc.sqlite3'}", "ADMIN_TOKEN": ADMIN_TOKEN,
                      "LOAD_SAMPLE": False, "INDEX_POLL_SECONDS": 0, **settings})
    app.config["TESTING"] = True
    lifecycle.start_serving(app.extensions["navplugin"])
    app.extensions["navplugin"].wait_warm()
    answer = upload(app.test_client(), ADMIN, shop_csv())
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["report"]["valid_rows"] == len(shop_rows())
    return app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    served = serve_shops(tmp_path_factory.mktemp("ogc"))
    yield served
    lifecycle.stop(served.extensions["navplugin"])


@pytest.fixture
def client(app):
    return app.test_client()


def export(client) -> dict[str, tuple[float, float]]:
    """Every live shop's (lon, lat) from the GeoJSON export: what /ogc must agree with."""
    body = client.get("/v1/stores/export?format=geojson").get_json(force=True)
    return {f["id"]: tuple(f["geometry"]["coordinates"]) for f in body["features"]}


def links(body: dict, rel: str) -> list[str]:
    return [link["href"] for link in body["links"] if link["rel"] == rel]


def authority_order(uri: str, lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) in ``uri``, in the order its authority defines, by pyproj alone (no always_xy)."""
    return Transformer.from_crs("OGC:CRS84", uri).transform(lon, lat)


# -- the core, without Flask -----------------------------------------------------------------------

def _stores(points, ids=None) -> list[Store]:
    ids = ids or [f"T{i:04d}" for i in range(len(points))]
    return [Store(shop_id, f"shop {shop_id}", lon, lat, "supplied", "supplied") for shop_id, (lon, lat) in
            zip(ids, points)]


def test_axis_order_is_what_pyproj_reads_in_each_crs():
    for uri in OFFERED:
        first = CRS.from_user_input(uri).axis_info[0].direction
        assert crs.northing_first(uri) == (first == "north"), uri
    # The facts the service's documentation states, as EPSG and OGC define them.
    assert not crs.northing_first(CRS84)
    assert crs.northing_first(EPSG_5179) and crs.northing_first(EPSG_5186)


@pytest.mark.parametrize("uri", [EPSG_5179, EPSG_5186])
def test_each_offered_crs_converts_as_pyproj_does_from_its_uri(uri):
    lon, lat = 126.9918, 37.567
    east, north = project([lon], [lat], crs.system(uri))
    assert authority_order(uri, lon, lat) == pytest.approx((north[0], east[0]), abs=1e-6)


def test_pages_follow_id_order_and_hold_every_shop_once():
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(126, 129, 95), rng.uniform(34, 38, 95)])
    ids = [f"id-{value}" for value in rng.permutation(1000)[:95]]
    index = StoreIndex(_stores(points, ids), 3)
    seen: list[str] = []
    for offset in range(0, 100, 10):
        page = features.select(index, ItemsQuery(limit=10, offset=offset))
        assert page.matched == 95
        seen += [store.id for store in page.stores]
    assert seen == sorted(ids)
    assert features.select(index, ItemsQuery(offset=500)).stores == []


def test_a_projected_bbox_is_exact_in_its_metres_and_read_northing_first():
    rng = np.random.default_rng(11)
    points = np.column_stack([rng.uniform(126.9, 127.1, 400), rng.uniform(37.4, 37.7, 400)])
    index = StoreIndex(_stores(points), 1)
    for uri in (EPSG_5179, EPSG_5186):
        northing, easting = np.array([authority_order(uri, lon, lat) for lon, lat in points]).T
        box = (float(np.percentile(northing, 20)), float(np.percentile(easting, 30)),
               float(np.percentile(northing, 70)), float(np.percentile(easting, 90)))
        inside = np.flatnonzero((northing >= box[0]) & (northing <= box[2]) & (easting >= box[1])
                                & (easting <= box[3]))
        assert 50 < len(inside) < 350
        page = features.select(index, ItemsQuery(limit=MAX_LIMIT, bbox=box, bbox_crs=uri))
        assert page.positions.tolist() == inside.tolist()


def test_a_crs84_bbox_may_cross_the_antimeridian():
    index = StoreIndex(_stores([(179.9, 0.0), (-179.9, 1.0), (0.0, 0.0), (179.9, 20.0)]), 1)
    page = features.select(index, ItemsQuery(bbox=(179.0, -10.0, -179.0, 10.0)))
    assert [store.id for store in page.stores] == ["T0000", "T0001"]


def test_the_extent_holds_every_shop_as_served():
    rng = np.random.default_rng(3)
    index = StoreIndex(_stores(np.column_stack([rng.uniform(126, 129, 50), rng.uniform(34, 38, 50)])), 1)
    west, south, east, north = crs.extent(index)
    page = features.select(index, ItemsQuery(limit=100))
    lons, lats = crs.coordinates(index, page.positions, CRS84)
    assert west <= lons.min() and east >= lons.max() and south <= lats.min() and north >= lats.max()
    assert crs.extent(StoreIndex([], None)) is None


# -- parameters --------------------------------------------------------------------------------------

def _bad(parse, args, parameter):
    with pytest.raises(BadParameter) as caught:
        parse(args)
    assert caught.value.parameter == parameter and parameter in caught.value.detail
    return caught.value.detail


def test_limit_defaults_and_a_larger_one_is_served_as_the_maximum():
    assert ogc_params.limit({}) == DEFAULT_LIMIT == 10
    assert ogc_params.limit({"limit": "250"}) == 250
    assert ogc_params.limit({"limit": str(MAX_LIMIT + 1)}) == MAX_LIMIT
    assert ogc_params.limit({"limit": "9" * 25}) == MAX_LIMIT
    for raw in ("0", "-1", "abc", "1.5", "+3", "٣"):
        _bad(ogc_params.limit, {"limit": raw}, "limit")
    _bad(ogc_params.items, {"offset": "-1"}, "offset")


def test_bbox_takes_four_numbers_in_the_crs_axis_order():
    assert ogc_params.bbox({"bbox": "126.9,37.5,127.1,37.7"}, CRS84) == (126.9, 37.5, 127.1, 37.7)
    assert ogc_params.bbox({"bbox": "170,-5,-170,5"}, CRS84) == (170, -5, -170, 5)  # across the antimeridian
    assert ogc_params.bbox({"bbox": "1950000,950000,1960000,960000"}, EPSG_5179) == (1950000, 950000, 1960000,
                                                                                      960000)
    assert "3D" in _bad(lambda a: ogc_params.bbox(a, CRS84), {"bbox": "126,37,0,127,38,10"}, "bbox")
    for raw in ("126,37,127", "126,37,127,38,1", "a,b,c,d", "126,37,127,inf", "126,37,127,95", "126,38,127,37",
                "190,37,191,38"):
        _bad(lambda a: ogc_params.bbox(a, CRS84), {"bbox": raw}, "bbox")
    _bad(lambda a: ogc_params.bbox(a, EPSG_5186), {"bbox": "200,100,100,200"}, "bbox")


@pytest.mark.parametrize("raw", ["2026-01-01T00:00:00Z", "2026-01-01", "2026-01-01T09:00:00.5+09:00",
                                 "2025-01-01T00:00:00Z/2026-01-01T00:00:00Z", "../2026-01-01T00:00:00Z",
                                 "2026-01-01T00:00:00Z/..", "/2026-01-01", "2026-01-01/"])
def test_datetime_takes_rfc_3339_instants_and_intervals(raw):
    assert ogc_params.datetime({"datetime": raw}) == raw


@pytest.mark.parametrize("raw", ["yesterday", "2026-02-30", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00",
                                 "../..", "/", "2026-01-02/2026-01-01", "2026-01-01/2026-01-02/2026-01-03",
                                 "2026-1-1"])
def test_datetime_refuses_what_rfc_3339_does_not_allow(raw):
    _bad(ogc_params.datetime, {"datetime": raw}, "datetime")


def test_crs_takes_only_the_offered_uris():
    assert ogc_params.crs_uri({}, "crs") == CRS84
    assert ogc_params.crs_uri({"crs": EPSG_5186}, "crs") == EPSG_5186
    for raw in ("EPSG:5179", "http://www.opengis.net/def/crs/EPSG/0/4326", "utmk"):
        _bad(lambda a: ogc_params.crs_uri(a, "bbox-crs"), {"bbox-crs": raw}, "bbox-crs")


def test_representation_is_f_then_accept_then_json():
    pick = ogc_params.representation
    assert pick({"f": "HTML"}, "application/json", documents.JSON) == "html"
    assert pick({"f": "json"}, "text/html", documents.JSON) == "json"
    assert pick({}, "text/html,application/xhtml+xml,*/*;q=0.8", documents.GEOJSON) == "html"
    assert pick({}, "*/*", documents.GEOJSON) == "json"
    assert pick({}, "application/geo+json, application/json", documents.GEOJSON) == "json"
    assert pick({}, "image/png", documents.JSON) == "json"
    assert pick({}, None, documents.JSON) == "json"
    _bad(lambda a: pick(a, None, documents.JSON), {"f": "xml"}, "f")


def test_a_parameter_the_resource_does_not_take_is_named():
    ogc_params.only({"f": "json", "limit": "3"}, ogc_params.ITEMS_PARAMETERS)
    _bad(lambda a: ogc_params.only(a, ogc_params.ITEM_PARAMETERS), {"limit": "3"}, "limit")
    _bad(lambda a: ogc_params.only(a, ogc_params.ITEMS_PARAMETERS), {"bbbox": "1,2,3,4"}, "bbbox")


# -- the service -------------------------------------------------------------------------------------

def test_landing_page_title_and_description_are_the_services(client):
    from navplugin.web.openapi import document

    body = client.get("/ogc/").get_json()
    info = document()["info"]
    assert (body["title"], body["description"]) == (info["title"], info["summary"])
    rels = {link["rel"]: link for link in body["links"]}
    assert set(rels) >= {"self", "alternate", "service-desc", "conformance", "data"}
    described = client.get(rels["service-desc"]["href"])
    assert described.status_code == 200 and described.get_json()["openapi"].startswith("3.1")
    assert rels["service-desc"]["type"].endswith("version=3.1")
    assert client.get("/ogc").status_code == 308  # the landing page is /ogc/


def _conformance(client) -> set[str]:
    return set(client.get("/ogc/conformance").get_json()["conformsTo"])


def test_core_class(client):
    """Core: landing page, conformance, collections, items with limit, bbox and datetime, one item, 400s."""
    assert client.get("/ogc/").status_code == 200
    assert documents.CORE in _conformance(client)
    assert [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]] == ["stores"]
    body = client.get(f"{ITEMS}?limit=2&bbox=126.96,37.54,127.0,37.57&datetime=2026-01-01T00:00:00Z").get_json(
        force=True)
    assert body["numberReturned"] == 2 and body["numberMatched"] > 2
    assert client.get(f"{ITEMS}/S-00").get_json(force=True)["id"] == "S-00"
    assert_problem(client.get(f"{ITEMS}?limit=x"), 400, "limit")


def test_geojson_class(client):
    """GeoJSON: pages and single features are application/geo+json that a GeoJSON reader accepts."""
    assert documents.GEOJSON_CLASS in _conformance(client)
    for url in (f"{ITEMS}?limit=30", f"{ITEMS}/S-01", f"{ITEMS}?crs={EPSG_5186}&limit=3"):
        answer = client.get(url)
        assert answer.mimetype == "application/geo+json"
        read = geojson.loads(answer.get_data(as_text=True))
        assert read.is_valid, read.errors()
    collection = geojson.loads(client.get(f"{ITEMS}?limit=30").get_data(as_text=True))
    assert isinstance(collection, geojson.FeatureCollection) and len(collection["features"]) == len(shop_rows())


def _page(client, url: str) -> etree._Element:
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "text/html", url
    # Polyglot markup: a strict XML parser must read every page.
    root = etree.fromstring(answer.get_data(), etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "html" and root.get("lang") == "en"
    assert len(root.findall(".//h1")) == 1 and root.find("head/title").text
    return root


def test_html_class(client):
    """HTML: every resource as a page with its links; shops' properties in tables."""
    assert documents.HTML_CLASS in _conformance(client)
    for path in ("/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/collections/stores", ITEMS, f"{ITEMS}/S-02"):
        root = _page(client, f"{path}?f=html")
        hrefs = root.xpath("//a/@href")
        assert any("f=json" in href for href in hrefs), path  # the JSON alternate is linked
    table = _page(client, f"{ITEMS}?f=html&limit=30").find(".//table")
    headers = [th.text for th in table.findall("thead/tr/th")]
    assert headers[:3] == ["id", "Geodetic longitude", "Geodetic latitude"] and "name" in headers
    assert len(table.findall("tbody/tr")) == len(shop_rows())
    item = _page(client, f"{ITEMS}/S-02?f=html&crs={EPSG_5179}")
    cells = {row.find("th").text: row.find("td") for row in item.findall(".//table/tbody/tr")}
    assert cells["name"].text == "가게 2" and set(cells) >= {"Northing", "Easting", "founded_year"}


def test_crs_class(client):
    """CRS (Part 2): the collection lists its CRSs, crs and bbox-crs take them, answers say Content-Crs."""
    assert documents.CRS_CLASS in _conformance(client)
    collection = client.get("/ogc/collections/stores").get_json()
    assert collection["crs"] == [CRS84, EPSG_5179, EPSG_5186] and collection["storageCrs"] == CRS84
    for uri in OFFERED:
        for url in (f"{ITEMS}?crs={uri}", f"{ITEMS}/S-03?crs={uri}"):
            assert client.get(url).headers["Content-Crs"] == f"<{uri}>"
    assert client.get(ITEMS).headers["Content-Crs"] == f"<{CRS84}>"
    assert_problem(client.get(f"{ITEMS}?crs=http://www.opengis.net/def/crs/EPSG/0/3857"), 400, "crs")


def test_declared_conformance_classes_are_exactly_those_exercised_here(client):
    exercised = {documents.CORE: test_core_class, documents.GEOJSON_CLASS: test_geojson_class,
                 documents.HTML_CLASS: test_html_class, documents.CRS_CLASS: test_crs_class}
    assert _conformance(client) == set(exercised)
    assert not any(name.endswith("/oas30") for name in _conformance(client))  # service-desc is OpenAPI 3.1


def test_every_link_resolves_to_what_it_says(client):
    """From the landing page, every link of every JSON document reached answers 200 in the type it names."""
    todo, documents_read, links_checked = ["http://localhost/ogc/?f=json"], set(), 0
    while todo:
        href = todo.pop()
        if href in documents_read:
            continue
        documents_read.add(href)
        body = client.get(href).get_json(force=True)
        for link in body.get("links", []) + [each for c in body.get("collections", []) for each in c["links"]]:
            target = client.get(link["href"])
            # the API definition is served as JSON; every other link's type is its target's media type
            expected = "application/json" if link["rel"] == "service-desc" else link["type"]
            assert (target.status_code, target.mimetype) == (200, expected), link
            links_checked += 1
            if link["type"] != "text/html" and link["rel"] != "service-desc":
                todo.append(link["href"])
    assert len(documents_read) >= 8 and links_checked >= 30


def test_next_links_walk_every_shop_once_as_the_export_has_them(client):
    expected = export(client)
    found: dict[str, tuple[float, float]] = {}
    url, pages = f"{ITEMS}?limit=7", 0
    while url:
        body = client.get(url).get_json(force=True)
        assert body["numberMatched"] == len(expected)
        assert body["numberReturned"] == len(body["features"]) <= 7
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])
        for feature in body["features"]:
            assert feature["id"] not in found
            found[feature["id"]] = tuple(feature["geometry"]["coordinates"])
        assert bool(links(body, "prev")) == (pages > 0)
        url = (links(body, "next") or [None])[0]
        pages += 1
    assert found == expected and pages == 4
    assert list(found) == sorted(found)  # id order


def test_prev_links_go_back_a_page(client):
    body = client.get(f"{ITEMS}?limit=5&offset=12").get_json(force=True)
    back = client.get(links(body, "prev")[0]).get_json(force=True)
    ahead = client.get(links(body, "next")[0]).get_json(force=True)
    ids = sorted(export(client))
    assert [f["id"] for f in back["features"]] == ids[7:12]
    assert [f["id"] for f in ahead["features"]] == ids[17:22]


def test_limit_is_ten_by_default_and_a_larger_one_is_served_as_the_maximum(client):
    body = client.get(ITEMS).get_json(force=True)
    assert body["numberReturned"] == 10
    clamped = client.get(f"{ITEMS}?limit={MAX_LIMIT * 5}").get_json(force=True)
    assert clamped["numberReturned"] == len(shop_rows())
    assert parse_qs(urlsplit(links(clamped, "self")[0]).query)["limit"] == [str(MAX_LIMIT)]
    assert_problem(client.get(f"{ITEMS}?limit=0"), 400, "limit")
    assert_problem(client.get(f"{ITEMS}?offset=-3"), 400, "offset")


def test_a_crs84_bbox_selects_the_shops_inside_it(client):
    body = client.get(f"{ITEMS}?bbox=126.96,37.545,126.986,37.5565&limit=100").get_json(force=True)
    inside = {i for i, (lon, lat) in export(client).items() if 126.96 <= lon <= 126.986 and 37.545 <= lat <= 37.5565}
    assert {f["id"] for f in body["features"]} == inside and len(inside) == 8  # 2 rows of 4 of the grid
    assert body["numberMatched"] == 8
    south = client.get(f"{ITEMS}?bbox=125,33,130,36").get_json(force=True)
    assert [f["id"] for f in south["features"]] == ["B-1", "J-1"]


@pytest.mark.parametrize("uri", [EPSG_5179, EPSG_5186])
def test_coordinates_in_a_korean_crs_are_northing_easting_as_epsg_defines(client, uri):
    expected = export(client)
    body = client.get(f"{ITEMS}?crs={uri}&limit=100").get_json(force=True)
    assert len(body["features"]) == len(expected)
    for feature in body["features"]:
        served = feature["geometry"]["coordinates"]
        assert served == pytest.approx(authority_order(uri, *expected[feature["id"]]), abs=6e-4)
    self_link = links(body, "self")[0]
    assert parse_qs(urlsplit(self_link).query)["crs"] == [uri]


@pytest.mark.parametrize("uri", [EPSG_5179, EPSG_5186])
def test_a_bbox_in_a_korean_crs_is_read_northing_first(client, uri):
    shops = export(client)
    northing, easting = authority_order(uri, *shops["S-07"])
    box = f"{northing - 5:.3f},{easting - 5:.3f},{northing + 5:.3f},{easting + 5:.3f}"
    body = client.get(f"{ITEMS}?bbox={box}&bbox-crs={uri}").get_json(force=True)
    assert [f["id"] for f in body["features"]] == ["S-07"]
    swapped = f"{easting - 5:.3f},{northing - 5:.3f},{easting + 5:.3f},{northing + 5:.3f}"
    assert client.get(f"{ITEMS}?bbox={swapped}&bbox-crs={uri}").get_json(force=True)["numberMatched"] == 0
    assert f"bbox-crs={uri}" in links(body, "self")[0]


def test_one_shop_by_id_and_404s(client):
    body = client.get(f"{ITEMS}/B-1").get_json(force=True)
    assert (body["type"], body["id"], body["properties"]["name"]) == ("Feature", "B-1", "부산 밀면집")
    assert body["geometry"]["coordinates"] == list(export(client)["B-1"])
    assert {link["rel"] for link in body["links"]} == {"self", "alternate", "collection"}
    assert_problem(client.get(f"{ITEMS}/B-2"), 404)
    assert_problem(client.get(f"{ITEMS}/{'x' * 65}"), 404)
    assert_problem(client.get("/ogc/collections/shops/items/B-1"), 404)
    assert_problem(client.get("/ogc/collections/shops"), 404)
    assert_problem(client.get(f"{ITEMS}/B-1?crs=EPSG:5179"), 400, "crs")


def test_ids_that_need_escaping_survive_their_links(client):
    body = client.get(f"{ITEMS}?bbox=126.979,37.5705,126.98,37.5745").get_json(force=True)
    assert sorted(f["id"] for f in body["features"]) == sorted(ODD_IDS)
    for shop_id in ODD_IDS:
        feature = client.get(f"{ITEMS}/{shop_id.replace('%', '%25').replace('?', '%3F').replace('#', '%23')}")
        assert feature.get_json(force=True)["id"] == shop_id
        self_link = links(feature.get_json(force=True), "self")[0]
        assert client.get(self_link).get_json(force=True)["id"] == shop_id


def test_properties_are_the_geojson_exports(client):
    exported = {f["id"]: f["properties"]
                for f in client.get("/v1/stores/export?format=geojson").get_json(force=True)["features"]}
    served = {f["id"]: f["properties"] for f in client.get(f"{ITEMS}?limit=100").get_json(force=True)["features"]}
    assert served == exported


@pytest.mark.parametrize("path, parameter", [("/ogc/?limit=1", "limit"), ("/ogc/conformance?bbox=1,2,3,4", "bbox"),
                                             ("/ogc/collections?crs=x", "crs"),
                                             ("/ogc/collections/stores?offset=1", "offset"),
                                             (f"{ITEMS}?sortby=name", "sortby"), (f"{ITEMS}?category=x", "category"),
                                             (f"{ITEMS}/S-00?limit=1", "limit")])
def test_a_query_parameter_a_resource_does_not_take_is_a_400_naming_it(client, path, parameter):
    assert_problem(client.get(path), 400, parameter)


def test_html_escapes_shop_text_and_allows_only_its_own_style(client):
    answer = client.get(f"{ITEMS}/A%2F7?f=html")
    text = answer.get_data(as_text=True)
    assert "<script" not in text and "&lt;script&gt;" in text
    policy = answer.headers["Content-Security-Policy"]
    style = re.search(r"<style>(.*?)</style>", text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy and "script" not in policy


def test_accept_chooses_the_representation_and_f_overrides_it(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(ITEMS, headers={"Accept": browser}).mimetype == "text/html"
    assert client.get(ITEMS, headers={"Accept": "*/*"}).mimetype == "application/geo+json"
    assert client.get(ITEMS, headers={"Accept": "application/json"}).mimetype == "application/geo+json"
    assert client.get("/ogc/collections", headers={"Accept": browser}).mimetype == "text/html"
    assert client.get(f"{ITEMS}?f=json", headers={"Accept": browser}).mimetype == "application/geo+json"
    assert client.get("/ogc/?f=html", headers={"Accept": "application/json"}).mimetype == "text/html"


def test_reads_are_cacheable_like_every_other(client, app):
    max_age = app.extensions["navplugin"].settings["CACHE_MAX_AGE"]
    for url in ("/ogc/", "/ogc/collections/stores", f"{ITEMS}?limit=3", f"{ITEMS}/S-04?f=html"):
        first = client.get(url)
        assert first.headers["Cache-Control"] == f"public, max-age={max_age}" and first.headers["Vary"] == "Accept"
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == first.headers["ETag"]
    as_json, as_html = client.get(f"{ITEMS}?limit=3"), client.get(f"{ITEMS}?limit=3", headers={"Accept": "text/html"})
    assert as_json.headers["ETag"] != as_html.headers["ETag"]


def test_the_openapi_document_states_the_codes_limits(client):
    from navplugin.web.openapi import document

    parameters = {p["name"]: p for p in document()["paths"]["/ogc/collections/{collection_id}/items"]["get"]
                  ["parameters"] if "name" in p}
    assert (parameters["limit"]["schema"]["default"], parameters["limit"]["schema"]["maximum"]) == (DEFAULT_LIMIT,
                                                                                                   MAX_LIMIT)
    assert parameters["crs"]["schema"]["enum"] == list(OFFERED)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_new_version_changes_the_extent_and_the_etags(make_app, admin_headers):
    app = make_app()
    client = app.test_client()
    empty = client.get("/ogc/collections/stores").get_json()
    assert "extent" not in empty
    nothing = client.get(ITEMS).get_json(force=True)
    assert (nothing["numberMatched"], nothing["features"], links(nothing, "next")) == (0, [], [])
    assert upload(client, admin_headers, shop_csv()).status_code == 201
    before = client.get(f"{ITEMS}?limit=3")
    extent = client.get("/ogc/collections/stores").get_json()["extent"]["spatial"]["bbox"][0]
    assert extent == pytest.approx([126.522, 33.513, 129.03, 37.574], abs=1e-6)
    smaller = shop_csv().decode().replace("B-1,부산 밀면집", "B-1,부산 냉면집")
    assert upload(client, admin_headers, smaller.encode()).status_code == 201
    after = client.get(f"{ITEMS}?limit=3", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert client.get(f"{ITEMS}/B-1").get_json(force=True)["properties"]["name"] == "부산 냉면집"
