"""``GET /v1/stores/search`` and ``q`` on nearby, viewport and along-route, through the HTTP API, with
the real sample list loaded by the app on its first start (as ``LOAD_SAMPLE`` does in production)."""
from __future__ import annotations

import csv
import io
import json
import struct
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from navplugin import create_app, lifecycle
from navplugin.web.params import MAX_QUERY_LENGTH
from tests.conftest import ADMIN_TOKEN
from tests.helpers import CSV_HEADER, assert_problem, upload
from tests.search import reference

DAEJEON = {"lat": "36.351", "lon": "127.385"}
SEOUL = {"lat": "37.57", "lon": "126.99"}


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    """One app for the module, on SQLite (search never reads the database), the sample loaded on start."""
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'navplugin.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "ADMIN_TOKEN": ADMIN_TOKEN, "LOAD_SAMPLE": True, "INDEX_POLL_SECONDS": 0})
    app.config["TESTING"] = True
    lifecycle.start_serving(app.extensions["navplugin"])
    app.extensions["navplugin"].wait_warm()
    yield app
    lifecycle.stop(app.extensions["navplugin"])


@pytest.fixture
def client(sample_app):
    return sample_app.test_client()


@pytest.fixture
def stores(sample_app):
    return {store.id: store for store in sample_app.extensions["navplugin"].index().stores}


def test_search_finds_shops_by_name_initials_typo_and_address(client):
    def first(q):
        items = client.get("/v1/stores/search", query_string={"q": q}).get_json()["items"]
        return (items[0]["name"], items[0]["match_tier"]) if items else None

    assert first("낙원 아구찜") == ("낙원아구찜", 1)
    assert first("ㄴㅇㅇㄱㅉ") == ("낙원아구찜", 5)
    assert first("낙원아구찐") == ("낙원아구찜", 7)
    assert first("불광천") == ("도투리 샤브칼국수 불광천", 3)
    assert first("PNB") == ("피엔비 (PNB)", 3)
    assert first("낙원동") == ("낙원아구찜", 6)


def test_with_a_position_items_carry_nearbys_measures_and_the_nearest_comes_first(client):
    body = client.get("/v1/stores/search", query_string={"q": "칼국수", **DAEJEON}).get_json()
    assert body["items"][0]["name"] == "동원손칼국수"
    assert list(body["items"][0])[-3:] == ["distance_m", "bearing_deg", "match_tier"]  # as nearby's, then the tier
    distances = [item["distance_m"] for item in body["items"]]
    assert distances == sorted(distances)
    # the same position in KATEC (x/y/crs) gives the same answer
    katec = client.get("/v1/stores/search", query_string={"q": "칼국수", "x": "344996.546", "y": "416878.654",
                                                          "crs": "katec"}).get_json()
    assert [item["id"] for item in katec["items"]] == [item["id"] for item in body["items"]]
    plain = client.get("/v1/stores/search", query_string={"q": "칼국수"}).get_json()
    assert "distance_m" not in plain["items"][0] and plain["items"][0]["match_tier"] == 4


def test_pages_of_a_search_follow_next_links(client):
    everything = [item["id"] for item in
                  client.get("/v1/stores/search", query_string={"q": "식당", "limit": "200"}).get_json()["items"]]
    seen, response = [], client.get("/v1/stores/search", query_string={"q": "식당", "limit": "9"})
    while True:
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        if "next" not in body:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == f'<{body["next"]}>; rel="next"' and body["next_cursor"]
        response = client.get(body["next"].replace("http://localhost", ""))
    assert seen == everything and len(seen) > 9


@pytest.mark.parametrize("path", ["/v1/stores/search", "/v1/stores/nearby?lat=37.57&lon=126.99",
                                  "/v1/stores?bbox=126.9,37.5,127.1,37.6"])
@pytest.mark.parametrize("q", ["", "   ", "!!!", "·-·", "x" * (MAX_QUERY_LENGTH + 1), "낙원\t아구찜"])
def test_a_bad_q_is_a_400_naming_q(client, path, q):
    joiner = "&" if "?" in path else "?"
    body = assert_problem(client.get(f"{path}{joiner}q={quote(q)}"), 400, "q")
    assert "'q'" in body["detail"]


def test_search_wants_q_and_checks_its_other_parameters(client):
    assert_problem(client.get("/v1/stores/search"), 400, "q")
    assert client.get("/v1/stores/search", query_string={"q": "가" * MAX_QUERY_LENGTH}).status_code == 200
    assert_problem(client.get("/v1/stores/search?q=a&limit=0"), 400, "limit")
    assert_problem(client.get("/v1/stores/search?q=a&limit=201"), 400, "limit")
    assert_problem(client.get("/v1/stores/search?q=a&lat=37.5"), 400, "lon")
    assert_problem(client.get("/v1/stores/search?q=a&x=1&y=2"), 400, "crs")
    assert_problem(client.get("/v1/stores/search?q=a&cursor=nonsense"), 400, "cursor")
    assert_problem(client.get("/v1/stores/search?q=a&cursor=QDk5OTk"), 400, "cursor")  # past the deepest page
    assert_problem(client.get("/v1/stores/search?q=a&format=pdf"), 400, "format")


def test_along_route_takes_q_in_its_body_only(client):
    route = {"coordinates": [[126.90, 37.52], [126.99, 37.57], [127.06, 37.50]], "width": 3000}
    assert_problem(client.post("/v1/stores/along-route?q=식당", json=route), 400, "q")
    assert_problem(client.post("/v1/stores/along-route", json={**route, "q": "   "}), 400, "q")
    assert_problem(client.post("/v1/stores/along-route", json={**route, "q": ["식당"]}), 400, "q")
    assert client.post("/v1/stores/along-route", json={**route, "q": None}).status_code == 200


def _kept(stores, items, q):
    return [item["id"] for item in items if reference.tier(stores[item["id"]], q) is not None]


@pytest.mark.parametrize("q", ["식당", "칼국수", "종로구", "ㄱㄱ", "낙원아구찐", "pnb", "서울 갈비"])
def test_q_narrows_nearby_viewport_and_along_route_to_the_brute_force_subset(client, stores, q):
    near = {**SEOUL, "radius": "30000"}
    everything = client.get("/v1/stores/nearby", query_string={**near, "limit": "200"}).get_json()["items"]
    assert len(everything) < 200  # so the brute force saw every shop in the radius
    narrowed = client.get("/v1/stores/nearby", query_string={**near, "limit": "200", "q": q}).get_json()["items"]
    assert sorted(item["id"] for item in narrowed) == sorted(_kept(stores, everything, q))
    assert [item["distance_m"] for item in narrowed] == sorted(item["distance_m"] for item in narrowed)

    box = {"bbox": "126.8,37.4,127.2,37.7", "limit": "200"}
    everything = client.get("/v1/stores", query_string=box).get_json()["items"]
    narrowed = client.get("/v1/stores", query_string={**box, "q": q}).get_json()["items"]
    assert [item["id"] for item in narrowed] == _kept(stores, everything, q)

    route = {"coordinates": [[126.90, 37.52], [126.99, 37.57], [127.06, 37.50]], "width": 3000, "limit": 200}
    everything = client.post("/v1/stores/along-route", json=route).get_json()["items"]
    narrowed = client.post("/v1/stores/along-route", json={**route, "q": q}).get_json()["items"]
    assert narrowed == [item for item in everything if item["id"] in set(_kept(stores, everything, q))]


def _ov2_names(data: bytes) -> list[str]:
    names, offset = [], 0
    while offset < len(data):
        assert data[offset] == 2
        (length,) = struct.unpack_from("<i", data, offset + 1)
        names.append(data[offset + 13:offset + length - 1].decode("utf-8"))
        offset += length
    return names


def test_search_answers_in_every_format(client):
    query = {"q": "식당", "limit": "5", **SEOUL}
    expected = [item["name"] for item in client.get("/v1/stores/search", query_string=query).get_json()["items"]]
    assert len(expected) == 5

    geojson = client.get("/v1/stores/search", query_string={**query, "format": "geojson"})
    assert geojson.mimetype == "application/geo+json"
    features = json.loads(geojson.get_data())["features"]
    assert [f["properties"]["name"] for f in features] == expected
    assert all(f["properties"]["match_tier"] >= 1 and f["properties"]["distance_m"] >= 0 for f in features)

    kml = client.get("/v1/stores/search", query_string={**query, "format": "kml"})
    root = ET.fromstring(kml.get_data())
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert [p.findtext("k:name", namespaces=ns) for p in root.iter("{http://www.opengis.net/kml/2.2}Placemark")] \
        == expected
    tiers = [d.findtext("k:value", namespaces=ns) for d in root.iter("{http://www.opengis.net/kml/2.2}Data")
             if d.get("name") == "match_tier"]
    assert len(tiers) == 5 and all(tier.isdigit() for tier in tiers)

    gpx = client.get("/v1/stores/search", query_string={**query, "format": "gpx"})
    names = [w.findtext("{http://www.topografix.com/GPX/1/1}name")
             for w in ET.fromstring(gpx.get_data()).iter("{http://www.topografix.com/GPX/1/1}wpt")]
    assert names == expected

    rows = list(csv.reader(io.StringIO(client.get("/v1/stores/search", query_string={**query, "format": "csv"})
                                       .get_data(as_text=True))))
    assert [row[2] for row in rows] == expected and all("거리" in row[3] for row in rows)

    ov2 = client.get("/v1/stores/search", query_string={**query, "format": "ov2"})
    assert _ov2_names(ov2.get_data()) == expected
    assert ov2.headers["Content-Disposition"].startswith('attachment; filename="navplugin-search-v1.')


def test_search_answers_are_cached_and_revalidated(client):
    first = client.get("/v1/stores/search", query_string={"q": "칼국수"})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=") and first.headers["Vary"] == "Accept"
    again = client.get("/v1/stores/search", query_string={"q": "칼국수"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    other = client.get("/v1/stores/search", query_string={"q": "막국수"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    nearby = {**SEOUL, "q": "식당"}
    etag = client.get("/v1/stores/nearby", query_string=nearby).headers["ETag"]
    assert client.get("/v1/stores/nearby", query_string=nearby, headers={"If-None-Match": etag}).status_code == 304


# -- the nearby fast path answers q exactly as Flask does ------------------------------------------

LATIN_ROWS = ("PNB 베이커리,음식점업,서울특별시 종로구 종로 3,02-1,2020,1970,37.5705,126.9912\n"
              "카페 pnb2,음식점업,서울특별시 종로구 종로 5,02-2,2020,1970,37.5710,126.9920\n")


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


def test_the_fast_path_answers_q_as_flask_does(make_app, admin_headers):
    from tests.helpers import GOOD_ROWS

    fast, flask = make_app(FAST_PATH=True), make_app(FAST_PATH=False)
    data = (CSV_HEADER + GOOD_ROWS + LATIN_ROWS).encode()
    assert upload(fast.test_client(), admin_headers, data).status_code == 201
    flask.extensions["navplugin"].holder.refresh()
    near = "/v1/stores/nearby?lat=37.5704&lon=126.9910&radius=3000"
    paths = [f"{near}&q=pnb", f"{near}&q=PNB2", f"{near}&q=pnb&format=kml", f"{near}&q=", f"{near}&q=" + "x" * 101,
             f"{near}&q=zzz", f"{near}&q=%EC%9D%84%EC%A7%80", f"{near}&q=pnb&limit=1"]
    for path in paths:
        answers = []
        for app in (fast, flask):
            response = app.test_client().get(path)
            answers.append((response.status_code, sorted((k, v) for k, v in response.headers.items()
                                                         if k != "X-Request-ID"), response.get_data()))
        assert answers[0] == answers[1], path
    body = fast.test_client().get(f"{near}&q=pnb").get_json()
    assert sorted(item["name"] for item in body["items"]) == ["PNB 베이커리", "카페 pnb2"]
