"""Hostile but legitimate requests: each gets a clear 4xx on both databases, never a 500 or a leak.

The cases are the findings of a security review: integers past what the
database holds, numbers in other scripts' digits, JSON nested a thousand
deep, bodies sent chunked past their limit, NUL bytes, the along-route
request that once held a worker for 48 s.
"""
from __future__ import annotations

import http.client
import io
import json

import pytest

from tests.helpers import GOOD_CSV, assert_problem, upload
from tests.hostile import nested_json, zigzag
from tests.web.live_server import LiveServer

BIG = [str(2**31), str(2**63), str(2**64 + 1), "9" * 40]


@pytest.fixture
def loaded(client, admin_headers):
    assert upload(client, admin_headers, GOOD_CSV).status_code == 201
    return client


@pytest.mark.parametrize("value", BIG)
def test_integers_past_the_database_are_clear_errors_on_every_route(loaded, admin_headers, value):
    for path, status in ((f"/v1/changes?since={value}", 400), (f"/admin/v1/audit?before={value}", 400),
                         (f"/admin/v1/uploads/{value}", 404), (f"/admin/v1/versions/{value}/diff/1", 404),
                         (f"/admin/v1/versions/1/diff/{value}", 404), (f"/v1/stores/nearby?lat=37.5&lon=127&limit={value}", 400),
                         (f"/v1/stores?bbox=126.9,37.5,127.1,37.6&limit={value}", 400),
                         (f"/admin/v1/review?offset={value}", 400)):
        response = loaded.get(path, headers=admin_headers)
        assert_problem(response, status)
    assert_problem(loaded.post(f"/admin/v1/versions/{value}/activate", headers=admin_headers), 404)


@pytest.mark.parametrize("value", ["٣٧", "３７", "3_7", "37.5_1", "inf", "nan", "-inf", "1e999", "0x25", "37.5 ", "３７.５"])
def test_numbers_only_in_ascii_digits(loaded, value):
    if value == "37.5 ":
        assert loaded.get("/v1/stores/nearby", query_string={"lat": value, "lon": "127"}).status_code == 200
        return  # surrounding spaces are trimmed, as before
    body = assert_problem(loaded.get("/v1/stores/nearby", query_string={"lat": value, "lon": "127"}), 400, "lat")
    assert "must be a number" in body["detail"]
    assert_problem(loaded.get("/v1/stores/nearby", query_string={"lat": "37.5", "lon": "127", "limit": value}), 400,
                   "limit")


@pytest.mark.parametrize("depth", [33, 1_000, 30_000])
def test_json_nested_too_deep_is_400(loaded, admin_headers, depth):
    for method, path in (("POST", "/v1/stores/along-route"), ("PATCH", "/admin/v1/stores/bg-x")):
        response = loaded.open(path, method=method, data=nested_json(depth), headers=admin_headers,
                               content_type="application/json")
        body = assert_problem(response, 400, "body")
        assert "nests deeper" in body["detail"]
    deeper = loaded.post("/v1/stores/along-route", data=nested_json(1_000_000), content_type="application/json")
    assert_problem(deeper, 400, "body")


def test_a_route_a_few_levels_deep_is_fine(loaded):
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[126.98, 37.57], [127.0, 37.56]]}}
    assert loaded.post("/v1/stores/along-route", json={"geojson": feature}).status_code == 200


def test_a_chunked_body_past_the_limit_is_413(make_app):
    app = make_app()
    with LiveServer(app) as server:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.putrequest("POST", "/v1/stores/along-route")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        chunk = b"[" + b"1," * 65_000 + b"1]"  # 130 KB a chunk, about 5 MB in all: no Content-Length to check
        try:
            for _ in range(40):
                connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            connection.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may stop reading once it has refused the body
        response = connection.getresponse()
        body = json.loads(response.read())
        assert response.status == 413 and body["type"].endswith("/payload-too-large")
        assert response.getheader("Content-Type") == "application/problem+json"


@pytest.mark.parametrize("padding", [0, 10_000])  # the NUL within the first 8 KB, where binary files show, or past
def test_a_nul_byte_in_a_cell_is_a_row_error_on_both_databases(client, admin_headers, padding):
    data = ("업체명,업종,주소,비고\n을지면옥,음식점업,서울특별시 중구 충무로14길 2-1," + "가" * padding +
            "\n나쁜\x00가게,음식점업,서울특별시 종로구 종로 1,\n").encode()
    refused = upload(client, admin_headers, data)
    body = assert_problem(refused, 422)
    [problem] = [p for p in body["report"]["problems"] if p["severity"] == "error"]
    assert (problem["line"], problem["column"], problem["value"]) == (3, "업체명", "나쁜\\x00가게")
    assert "U+0000" in problem["problem"]
    accepted = upload(client, admin_headers, data, skip_invalid="true")
    assert accepted.status_code == 201 and accepted.get_json()["report"]["valid_rows"] == 1


def test_control_characters_in_parameters_and_corrections_are_refused(loaded, admin_headers):
    assert_problem(loaded.get("/admin/v1/audit", query_string={"target": "store:\x00"}, headers=admin_headers), 400,
                   "target")
    assert_problem(loaded.get("/admin/v1/stores/bg%00x", headers=admin_headers), 404)
    shop = loaded.get("/v1/stores/nearby?lat=37.57&lon=126.99&radius=5000").get_json()["items"][0]["id"]
    assert_problem(loaded.patch(f"/admin/v1/stores/{shop}", headers=admin_headers,
                                json={"name": "새\x00이름", "reason": "정정"}), 400, "name")
    assert_problem(loaded.patch(f"/admin/v1/stores/{shop}", headers=admin_headers,
                                json={"phone": "02-1", "reason": "이유\x07"}), 400, "reason")


def test_a_problem_never_quotes_sql_or_a_stack(loaded, admin_headers):
    for response in (loaded.get(f"/v1/changes?since={2**63}"), loaded.get("/admin/v1/uploads/99999", headers=admin_headers),
                     loaded.post("/v1/stores/along-route", data=b"{", content_type="application/json")):
        text = response.get_data(as_text=True)
        assert response.status_code < 500
        assert not any(word in text for word in ("SELECT", "INSERT", "Traceback", "psycopg", "sqlite3", 'File "'))


def test_the_hostile_route_is_refused_at_once(loaded):
    body = {"coordinates": zigzag(), "width": 5000, "limit": 200}
    assert len(json.dumps(body)) > 400_000
    refused = assert_problem(loaded.post("/v1/stores/along-route", json=body), 400, "route")
    assert "corridor" in refused["detail"]


def test_uploaded_file_names_lose_their_control_characters(client, admin_headers):
    response = client.post("/admin/v1/uploads", headers=admin_headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(GOOD_CSV), "list\x00\x1b.csv")})
    assert response.status_code == 201
    versions = client.get("/admin/v1/versions", headers=admin_headers).get_json()["items"]
    assert versions[0]["file_name"] == "list.csv"
