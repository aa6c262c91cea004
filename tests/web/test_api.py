"""The HTTP API end to end on a real database: upload, then navigation answers from the new list."""
from __future__ import annotations

import json

import pytest
from geopy.distance import geodesic

from tests.helpers import BAD_CSV, GOOD_CSV, NEW_CSV, assert_problem, nearby, upload


def test_upload_then_nearby_closest_first(client, admin_headers):
    response = upload(client, admin_headers, GOOD_CSV)
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["version"]
    assert response.get_json()["report"]["valid_rows"] == 4

    body = nearby(client).get_json()
    assert body["dataset_version"] == version
    seoul = {"을지면옥": (37.5670, 126.9918), "이문설농탕": (37.5720, 126.9855), "인사동 필방": (37.5735, 126.9858)}
    expected = sorted(seoul, key=lambda name: geodesic((37.5704, 126.9910), seoul[name]).meters)
    assert [item["name"] for item in body["items"]] == expected  # 부산 is outside 3 km
    assert body["count"] == 3
    for item in body["items"]:
        exact = geodesic((37.5704, 126.9910), (item["lat"], item["lon"])).meters
        assert abs(item["distance_m"] - exact) <= max(exact * 1e-3, 0.01)
        assert 0 <= item["bearing_deg"] < 360
        assert item["precision"] == "supplied"
        assert set(item) >= {"id", "name", "category", "address", "phone", "lat", "lon", "distance_m",
                             "bearing_deg", "certified_year", "founded_year", "precision"}
    first = body["items"][0]
    detail = client.get(f"/v1/stores/{first['id']}").get_json()["item"]
    assert detail["name"] == "을지면옥" and detail["founded_year"] == 1985


def test_limit_and_category_filter(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    assert [i["name"] for i in nearby(client, limit="1").get_json()["items"]] == ["을지면옥"]
    shops = nearby(client, category="소매업").get_json()["items"]
    assert [i["name"] for i in shops] == ["인사동 필방"]


def test_geojson_by_parameter_and_by_accept_header(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    by_param = nearby(client, format="geojson")
    by_accept = client.get("/v1/stores/nearby", query_string={"lat": 37.5704, "lon": 126.9910},
                           headers={"Accept": "application/geo+json"})
    for response in (by_param, by_accept):
        assert response.mimetype == "application/geo+json"
        body = response.get_json(force=True)
        assert body["type"] == "FeatureCollection"
        first = body["features"][0]
        assert first["geometry"]["type"] == "Point"
        lon, lat = first["geometry"]["coordinates"]
        assert (round(lon, 4), round(lat, 4)) == (126.9918, 37.567)  # RFC 7946: lon, lat
        assert first["properties"]["name"] == "을지면옥"


def test_rejected_upload_keeps_the_live_answers(client, admin_headers):
    assert upload(client, admin_headers, GOOD_CSV).status_code == 201
    before = nearby(client).get_json()
    rejected = upload(client, admin_headers, BAD_CSV)
    body = assert_problem(rejected, 422)
    problems = body["report"]["problems"]
    assert [(p["line"], p["column"]) for p in problems if p["severity"] == "error"] == [(6, "업체명")]
    assert nearby(client).get_json() == before
    versions = client.get("/admin/v1/versions", headers=admin_headers).get_json()["items"]
    assert len(versions) == 1 and versions[0]["live"]


def test_skip_invalid_leaves_bad_rows_out(client, admin_headers):
    response = upload(client, admin_headers, BAD_CSV, skip_invalid=True)
    assert response.status_code == 201
    report = response.get_json()["report"]
    assert report["invalid_rows"] == 1 and report["valid_rows"] == 4
    assert nearby(client).get_json()["count"] == 3


def test_dry_run_changes_nothing(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    before = nearby(client).get_json()
    dry = upload(client, admin_headers, NEW_CSV, dry_run=True)
    assert dry.status_code == 200
    assert dry.get_json()["dry_run"] is True and dry.get_json()["would_accept"] is True
    dry_bad = upload(client, admin_headers, BAD_CSV, dry_run=True)
    assert dry_bad.status_code == 200 and dry_bad.get_json()["would_accept"] is False
    assert nearby(client).get_json() == before


def test_new_upload_replaces_the_answers_at_once(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    response = upload(client, admin_headers, NEW_CSV)
    assert response.status_code == 201
    body = nearby(client).get_json()
    assert body["dataset_version"] == response.get_json()["version"]
    assert [i["name"] for i in body["items"]] == ["새 가게"]


def test_ids_are_stable_across_uploads(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    first = {i["name"]: i["id"] for i in nearby(client).get_json()["items"]}
    respelled = GOOD_CSV.decode().replace("서울특별시 중구", "서울  중구").encode()
    upload(client, admin_headers, respelled)
    again = {i["name"]: i["id"] for i in nearby(client).get_json()["items"]}
    assert first == again


def test_addresses_without_coordinates_get_a_district_point(client, admin_headers):
    csv = "업체명,업종,소재지\n인사동 찻집,음식점업,서울특별시 종로구 인사동길 12 (관훈동)\n".encode()
    assert upload(client, admin_headers, csv).status_code == 201
    item = nearby(client, radius="5000").get_json()["items"][0]
    assert item["name"] == "인사동 찻집"
    assert item["precision"] == "emd" and item["provider"] == "offline"
    region = client.get("/v1/regions/lookup", query_string={"lat": item["lat"], "lon": item["lon"]}).get_json()
    assert region["emd"]["name"] == "관훈동"


def test_admin_needs_a_valid_token(client, admin_headers):
    assert_problem(upload(client, {}, GOOD_CSV), 401)
    response = upload(client, {"Authorization": "Bearer wrong"}, GOOD_CSV)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.get("/admin/v1/versions"), 401)


def test_admin_disabled_without_a_configured_token(make_app):
    client = make_app(ADMIN_TOKEN=None).test_client()
    assert_problem(upload(client, {"Authorization": "Bearer anything"}, GOOD_CSV), 401)


def test_oversized_upload_is_413(make_app, admin_headers):
    client = make_app(MAX_UPLOAD_BYTES=200).test_client()
    assert_problem(upload(client, admin_headers, GOOD_CSV * 3), 413)


def test_upload_that_is_not_a_list_is_415(client, admin_headers):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert_problem(upload(client, admin_headers, png, name="photo.png"), 415)


def test_missing_file_field_is_400(client, admin_headers):
    response = client.post("/admin/v1/uploads", data={}, headers=admin_headers, content_type="multipart/form-data")
    assert_problem(response, 400, "file")


@pytest.mark.parametrize("params, parameter", [
    ({"lat": "abc"}, "lat"),
    ({"lat": "95"}, "lat"),
    ({"lat": "nan"}, "lat"),
    ({"lon": "inf"}, "lon"),
    ({"lon": "-Infinity"}, "lon"),
    ({"radius": "-1"}, "radius"),
    ({"radius": "1e9"}, "radius"),
    ({"radius": "NaN"}, "radius"),
    ({"limit": "0"}, "limit"),
    ({"limit": "2.5"}, "limit"),
    ({"limit": "100000"}, "limit"),
    ({"format": "xyz"}, "format"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, params, parameter):
    assert_problem(nearby(client, **params), 400, parameter)


def test_missing_coordinates_are_400(client):
    assert_problem(client.get("/v1/stores/nearby", query_string={"lon": "127"}), 400, "lat")
    assert_problem(client.get("/v1/regions/lookup", query_string={"lat": "37.5"}), 400, "lon")


def test_one_error_shape_across_endpoints(client, admin_headers):
    assert_problem(client.get("/v1/stores/no-such-id"), 404)
    assert_problem(client.get("/v1/nowhere"), 404)
    assert_problem(client.post("/v1/stores/nearby"), 405)
    assert_problem(client.get("/v1/regions/lookup", query_string={"lat": 35.0, "lon": 124.5}), 404)
    assert_problem(client.get("/v1/regions/lookup", query_string={"lat": 35.68, "lon": 139.76}), 404)


def test_region_lookup_names_and_codes(client):
    body = client.get("/v1/regions/lookup", query_string={"lat": 37.5665, "lon": 126.9780}).get_json()
    assert body["sido"] == {"name": "서울특별시", "code": "11"}
    assert body["sigungu"] == {"name": "중구", "code": "11140"}
    assert body["emd"]["code"].startswith("11140")


def test_read_endpoints_send_etag_and_honour_if_none_match(client, admin_headers):
    upload(client, admin_headers, GOOD_CSV)
    first = nearby(client)
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/v1/stores/nearby", query_string={"lat": "37.5704", "lon": "126.9910", "radius": "3000"},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    upload(client, admin_headers, NEW_CSV)
    changed = client.get("/v1/stores/nearby", query_string={"lat": "37.5704", "lon": "126.9910", "radius": "3000"},
                         headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_health_and_readiness(client, admin_headers):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["dataset_version"] is None
    upload(client, admin_headers, GOOD_CSV)
    assert client.get("/readyz").get_json()["stores"] == 4


def test_other_processes_follow_the_live_version(make_app, admin_headers):
    """A second app on the same database picks up an upload by polling, without a restart."""
    writer = make_app().test_client()
    reader_app = make_app(INDEX_POLL_SECONDS=0.2)
    reader = reader_app.test_client()
    assert reader.get("/readyz").get_json()["stores"] == 0
    version = upload(writer, admin_headers, GOOD_CSV).get_json()["version"]
    assert reader_app.extensions["navplugin"].holder.wait_for(version, timeout=20)  # its poller swapped it in
    assert nearby(reader).get_json()["dataset_version"] == version


def test_sample_list_is_served_on_first_start(make_app):
    client = make_app(LOAD_SAMPLE=True).test_client()
    ready = client.get("/readyz").get_json()
    assert ready["dataset_version"] == 1 and ready["stores"] >= 290
    # 을지로/종로 area of the sample: the README's curl example returns shops.
    body = client.get("/v1/stores/nearby", query_string={"lat": 37.5704, "lon": 126.9910, "radius": 3000}).get_json()
    assert body["count"] > 0
    assert json.dumps(body, ensure_ascii=False).count("distance_m") == body["count"]
