"""What every answer carries, whatever made it: request ids, security headers, a deadline, metrics, log lines."""
from __future__ import annotations

import json
import logging

import pytest

from navplugin.logs import JsonFormatter, RequestIdFilter
from tests.helpers import GOOD_CSV, assert_problem, upload

ROUTE = {"coordinates": [[126.97, 37.56], [127.03, 37.50]], "width": 500}


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite: nothing here is about the database."""
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


def test_a_request_id_is_kept_when_well_formed_and_made_otherwise(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "app-7f3a.42:1"})
    assert kept.headers["X-Request-ID"] == "app-7f3a.42:1"
    for bad in ("x" * 129, "a b", "한글", "<script>", ""):
        made = client.get("/healthz", headers={"X-Request-ID": bad})
        assert made.headers["X-Request-ID"] != bad and len(made.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != client.get("/healthz").headers["X-Request-ID"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/healthz", 200), ("GET", "/v1/stores/nearby?lat=37.5&lon=127", 200),
    ("GET", "/v1/stores/nearby?lat=x", 400), ("GET", "/nowhere", 404), ("DELETE", "/healthz", 405),
    ("GET", "/admin/v1/versions", 401), ("GET", "/metrics", 200), ("GET", "/admin/", 200),
])
def test_every_answer_carries_the_security_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Request-ID"]
    policy = response.headers["Content-Security-Policy"]
    if path == "/admin/":
        assert "script-src 'self'" in policy  # the page's own policy is kept
    else:
        assert policy == "default-src 'none'; frame-ancestors 'none'"


def test_a_request_past_its_deadline_is_503_with_retry_after(make_app, admin_headers):
    client = make_app(REQUEST_DEADLINE_SECONDS=1e-9).test_client()
    assert upload(client, admin_headers, GOOD_CSV).status_code == 201
    body = assert_problem(client.post("/v1/stores/along-route", json=ROUTE), 503)
    assert body["type"].endswith("/deadline-exceeded")
    assert client.post("/v1/stores/along-route", json=ROUTE).headers["Retry-After"] == "1"
    relaxed = make_app(REQUEST_DEADLINE_SECONDS=30).test_client()
    assert relaxed.post("/v1/stores/along-route", json=ROUTE).status_code == 200


def test_metrics_count_requests_by_route_template_and_report_the_index(client, admin_headers):
    geocoded = "업체명,주소\n종로 떡집,서울특별시 종로구 종로 1\n인사동 찻집,서울특별시 종로구 인사동길 30\n".encode()
    assert upload(client, admin_headers, geocoded).status_code == 201
    for shop in ("a", "b", "c"):
        client.get(f"/v1/stores/{shop}")
    client.get("/no/such/page")
    text = client.get("/metrics").get_data(as_text=True)
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line and not line.startswith("#")}
    assert lines['navplugin_http_requests_total{method="GET",route="/v1/stores/<path:store_id>",status="404"}'] >= 3
    assert lines['navplugin_http_requests_total{method="GET",route="(unmatched)",status="404"}'] >= 1
    assert lines['navplugin_http_request_duration_seconds_count{method="GET",route="/v1/stores/<path:store_id>"}'] >= 3
    assert lines["navplugin_index_stores"] == 2
    assert lines["navplugin_index_dataset_version"] >= 1
    assert lines['navplugin_job_rows_total{outcome="done"}'] >= 2
    assert lines['navplugin_geocoder_calls_total{outcome="found",provider="offline"}'] >= 2


def test_log_lines_carry_the_request_id_and_can_be_json(client, caplog):
    caplog.set_level(logging.INFO, logger="navplugin.access")
    client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    [record] = [r for r in caplog.records if r.name == "navplugin.access" and "healthz" in r.getMessage()]
    RequestIdFilter().filter(record)
    assert record.request_id == "trace-123"
    line = json.loads(JsonFormatter().format(record))
    assert (line["request_id"], line["status"], line["method"], line["route"]) == ("trace-123", 200, "GET",
                                                                                  "/healthz")
    assert line["message"].startswith("GET /healthz 200")
