"""Viewport pages, the POI pack export and along-route through the HTTP API."""
from __future__ import annotations

import csv
import io

import pytest
from geopy.distance import geodesic

from tests.helpers import assert_problem

HEADER = "업체명,업종,주소,위도,경도\n"


def grid_csv(rows: int = 7, cols: int = 7) -> bytes:
    """Shops on a grid around 종로 (about 1 km apart)."""
    lines = [HEADER]
    for r in range(rows):
        for c in range(cols):
            lat, lon = 37.540 + r * 0.009, 126.950 + c * 0.011
            lines.append(f"가게 {r}-{c},{'음식점업' if (r + c) % 2 else '제조업'},서울특별시 종로구 종로 {r * cols + c + 1},"
                         f"{lat:.6f},{lon:.6f}\n")
    return "".join(lines).encode()


@pytest.fixture
def loaded(client, admin_headers):
    response = client.post("/admin/v1/uploads", headers=admin_headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(grid_csv()), "grid.csv")})
    assert response.status_code == 201, response.get_json()
    return client


def test_viewport_pages_cover_the_box_once_in_stable_order(loaded):
    bbox = "126.955,37.545,127.000,37.580"
    seen, url, pages = [], "/v1/stores", 0
    params = {"bbox": bbox, "limit": "4"}
    while True:
        response = loaded.get(url, query_string=params)
        assert response.status_code == 200
        body = response.get_json()
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        if "next" not in body:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        url, params = body["next"].replace("http://localhost", ""), None
    inside = [i for i in loaded.get("/v1/stores", query_string={"bbox": bbox, "limit": "200"}).get_json()["items"]]
    assert seen == sorted(seen) == [i["id"] for i in inside]
    assert pages == -(-len(inside) // 4) and len(inside) == 16
    for item in inside:
        assert 126.955 <= item["lon"] <= 127.0 and 37.545 <= item["lat"] <= 37.58


@pytest.mark.parametrize("bbox, fragment", [
    ("127.1,37.5,127.0,37.6", "minimum above its maximum"),
    ("139.0,35.0,140.0,36.0", "outside South Korea"),
    ("124.5,33.5,129.5,38.5", "at most"),
    ("1,2,3", "minLon,minLat,maxLon,maxLat"),
    ("a,b,c,d", "minLon,minLat,maxLon,maxLat"),
])
def test_bad_viewports_are_400(loaded, bbox, fragment):
    body = assert_problem(loaded.get("/v1/stores", query_string={"bbox": bbox}), 400, "bbox")
    assert fragment in body["detail"]


def test_export_is_the_whole_list_with_validators(loaded):
    response = loaded.get("/v1/stores/export", query_string={"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 49
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Last-Modified"] and response.headers["ETag"]
    again = loaded.get("/v1/stores/export", query_string={"format": "csv"},
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = loaded.get("/v1/stores/export", query_string={"format": "csv"},
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    only = loaded.get("/v1/stores/export", query_string={"category": "제조업"}).get_json()
    assert only["count"] == 25 and {i["category"] for i in only["items"]} == {"제조업"}
    region = loaded.get("/v1/stores/export", query_string={"region": "서울 종로구"}).get_json()
    assert region["count"] == 49
    assert loaded.get("/v1/stores/export", query_string={"region": "부산"}).get_json()["count"] == 0


def test_nearby_in_korean_navigation_coordinates(loaded):
    body = loaded.get("/v1/stores/nearby", query_string={"lat": 37.57, "lon": 126.98, "crs": "katec"}).get_json()
    first = body["items"][0]
    assert {"x", "y"} <= set(first)
    by_xy = loaded.get("/v1/stores/nearby", query_string={"x": first["x"], "y": first["y"], "crs": "katec",
                                                          "radius": 50}).get_json()
    assert by_xy["items"][0]["id"] == first["id"] and by_xy["items"][0]["distance_m"] < 0.05
    assert_problem(loaded.get("/v1/stores/nearby", query_string={"x": 1, "y": 2}), 400, "crs")
    assert_problem(loaded.get("/v1/stores/nearby", query_string={"lat": 37.5, "lon": 127, "crs": "mars"}), 400, "crs")


def test_along_route_orders_by_distance_along(loaded):
    route = [[126.945, 37.5625], [127.02, 37.5625]]  # west to east through the grid's middle row
    response = loaded.post("/v1/stores/along-route", json={"coordinates": route, "width": 600, "limit": 50})
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    along = [i["distance_along_m"] for i in items]
    assert along == sorted(along) and len(items) >= 7
    for item in items:
        assert item["offset_m"] <= 600
        assert abs(item["offset_m"] - geodesic((37.5625, item["lon"]), (item["lat"], item["lon"])).m) < 5
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("body, parameter", [
    ({"coordinates": [[127.0, 37.5]]}, "route"),
    ({"coordinates": [[127.0, 37.5], [127.0, 37.5]]}, "route"),
    ({"coordinates": [[127.0, 37.5], [127.1, 37.5]], "width": -5}, "width"),
    ({"polyline": "not a polyline!", "precision": 7}, "precision"),
])
def test_bad_routes_are_400_naming_the_problem(loaded, body, parameter):
    assert_problem(loaded.post("/v1/stores/along-route", json=body), 400, parameter)
    assert_problem(loaded.post("/v1/stores/along-route", data="nonsense", content_type="text/plain"), 400, "body")


@pytest.mark.parametrize("fmt, media", [("gpx", "application/gpx+xml"), ("kml", "application/vnd.google-earth.kml+xml"),
                                        ("csv", "text/csv"), ("ov2", "application/octet-stream"),
                                        ("geojson", "application/geo+json")])
def test_every_list_endpoint_speaks_every_format(loaded, fmt, media):
    responses = [
        loaded.get("/v1/stores/nearby", query_string={"lat": 37.57, "lon": 126.98, "format": fmt}),
        loaded.get("/v1/stores", query_string={"bbox": "126.9,37.5,127.1,37.6", "format": fmt}),
        loaded.get("/v1/stores/export", query_string={"format": fmt}),
        loaded.post(f"/v1/stores/along-route?format={fmt}", json={"coordinates": [[126.945, 37.5625], [127.02, 37.5625]]}),
    ]
    for response in responses:
        assert response.status_code == 200
        assert response.content_type.startswith(media)
        assert len(response.get_data()) > 0


def test_along_route_in_korean_navigation_coordinates(loaded):
    from navplugin.spatial.crs import project

    lonlat = [[126.945, 37.5625], [127.02, 37.5625]]
    xs, ys = project([p[0] for p in lonlat], [p[1] for p in lonlat], "utmk")
    projected = [[float(x), float(y)] for x, y in zip(xs, ys)]
    plain = loaded.post("/v1/stores/along-route", json={"coordinates": lonlat, "width": 600}).get_json()
    via_crs = loaded.post("/v1/stores/along-route", json={"coordinates": projected, "crs": "utmk", "width": 600})
    assert via_crs.status_code == 200
    assert [i["id"] for i in via_crs.get_json()["items"]] == [i["id"] for i in plain["items"]]
    assert_problem(loaded.post("/v1/stores/along-route", json={"polyline": "abc", "crs": "utmk"}), 400, "route")
