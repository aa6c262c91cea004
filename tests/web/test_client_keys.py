"""Partner apps' client keys at the door of every public read: made, used, limited, rotated, revoked.

One process here (the app's test client, SQLite and PostgreSQL); many
processes on one Redis in ``tests/test_client_keys_processes.py``.
"""
from __future__ import annotations

import logging

import pytest

from navplugin.clients import ClientKeys, key_hash
from tests.helpers import ROW_A, ROW_B, TOKENS, assert_problem, csv, uploaded

NEAR = "/v1/stores/nearby?lat=37.5704&lon=126.9910"
PUBLIC_READS = [NEAR, "/v1/stores?bbox=126.95,37.54,127.02,37.60", "/v1/stores/export", "/v1/stores/A-1",
                "/v1/changes?since=0", "/v1/regions/lookup?lat=37.5665&lon=126.978"]


def _create(client, admin_headers, name: str = "원내비", rate: str = "600/minute") -> dict:
    answer = client.post("/admin/v1/clients", json={"name": name, "rate": rate}, headers=admin_headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()


def _keyed(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def keyed_app(make_app):
    app = make_app(REQUIRE_CLIENT_KEY=True, ADMIN_TOKENS=TOKENS)
    uploaded(app.test_client(), csv(ROW_A, ROW_B))
    return app


def test_with_keys_required_every_public_read_wants_a_valid_key(keyed_app, admin_headers):
    client = keyed_app.test_client()
    made = _create(client, admin_headers)
    for url in PUBLIC_READS:
        refused = client.get(url)
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"].startswith("ApiKey")
        assert_problem(client.get(url, headers=_keyed("np_not-a-key")), 401)
        answered = client.get(url, headers=_keyed(made["key"]))
        assert answered.status_code == 200, (url, answered.get_data(as_text=True))
        assert answered.headers["RateLimit-Limit"] == "600"
        assert "X-API-Key" in answered.headers["Vary"]
    assert_problem(client.post("/v1/stores/along-route", json={"coordinates": [[126.97, 37.56], [127.0, 37.58]]}),
                   401)
    # What stays open: health, the API's description, the admin side (its own tokens).
    for url in ["/healthz", "/readyz", "/v1/openapi.json", "/admin/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/v1/clients", headers=admin_headers).status_code == 200


def test_the_key_is_shown_once_and_only_its_hash_is_kept(keyed_app, admin_headers):
    client = keyed_app.test_client()
    made = _create(client, admin_headers)
    key = made["key"]
    assert key.startswith("np_") and len(key) > 40 and made["key_prefix"] == key[:10]
    stored = keyed_app.extensions["navplugin"].repository.client(made["id"])
    assert stored.key_hash == key_hash(key) and key not in repr(stored)
    shown = client.get(f"/admin/v1/clients/{made['id']}", headers=admin_headers).get_json()
    listed = client.get("/admin/v1/clients", headers=admin_headers).get_data(as_text=True)
    assert "key" not in shown and key not in listed and stored.key_hash not in listed
    assert shown["name"] == "원내비" and shown["rate"] == "600/minute" and shown["revoked"] is False


def test_a_key_in_the_url_is_refused_and_never_logged(keyed_app, admin_headers, caplog):
    client = keyed_app.test_client()
    key = _create(client, admin_headers)["key"]
    with caplog.at_level(logging.INFO):
        for name in ("api_key", "apikey", "key", "X-API-Key"):
            assert_problem(client.get(f"{NEAR}&{name}={key}", headers=_keyed(key)), 400, "api_key")
    assert caplog.records, "the access log wrote nothing"
    assert key not in caplog.text


def test_revoked_and_rotated_keys_stop_at_once(keyed_app, admin_headers):
    client = keyed_app.test_client()
    first = _create(client, admin_headers, "원내비")
    second = _create(client, admin_headers, "다른 앱")
    rotated = client.post(f"/admin/v1/clients/{first['id']}/rotate", headers=admin_headers)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new_key = rotated.get_json()["key"]
    assert new_key != first["key"] and rotated.get_json()["rotated_at"] is not None
    assert_problem(client.get(NEAR, headers=_keyed(first["key"])), 401)
    assert client.get(NEAR, headers=_keyed(new_key)).status_code == 200

    revoked = client.post(f"/admin/v1/clients/{second['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert_problem(client.get(NEAR, headers=_keyed(second["key"])), 401)
    assert_problem(client.post(f"/admin/v1/clients/{second['id']}/revoke", headers=admin_headers), 409)
    assert_problem(client.post(f"/admin/v1/clients/{second['id']}/rotate", headers=admin_headers), 409)
    assert client.get(NEAR, headers=_keyed(new_key)).status_code == 200  # the other client is untouched


def test_over_its_quota_a_client_gets_429_with_the_ratelimit_headers(keyed_app, admin_headers):
    client = keyed_app.test_client()
    made = _create(client, admin_headers, rate="3/minute")
    other = _create(client, admin_headers, "다른 앱", rate="3/minute")
    remaining = []
    for _ in range(3):
        answer = client.get(NEAR, headers=_keyed(made["key"]))
        assert answer.status_code == 200
        remaining.append(int(answer.headers["RateLimit-Remaining"]))
        assert answer.headers["RateLimit-Policy"] == "3;w=60"
        assert 0 < int(answer.headers["RateLimit-Reset"]) <= 60
    assert remaining == [2, 1, 0]
    refused = client.get(NEAR, headers=_keyed(made["key"]))
    assert_problem(refused, 429)
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"] or refused.headers["RateLimit-Reset"] == "0"
    # Quotas are per key: the other client still has all of its own.
    assert client.get(NEAR, headers=_keyed(other["key"])).headers["RateLimit-Remaining"] == "2"
    # A new quota applies at once (a new window: the limits library keys a window by its quota).
    changed = client.patch(f"/admin/v1/clients/{made['id']}", json={"rate": "100/hour"}, headers=admin_headers)
    assert changed.status_code == 200 and changed.get_json()["rate"] == "100/hour"
    again = client.get(NEAR, headers=_keyed(made["key"]))
    assert again.status_code == 200 and again.headers["RateLimit-Limit"] == "100"


def test_usage_counts_equal_the_requests_made(keyed_app, admin_headers):
    client = keyed_app.test_client()
    made = _create(client, admin_headers, rate="5/minute")
    statuses = [client.get(NEAR, headers=_keyed(made["key"])).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    keyed_app.extensions["navplugin"].clients.flush()
    # A second flush with nothing new adds nothing; counts from another process add up.
    keyed_app.extensions["navplugin"].clients.flush()
    usage = client.get(f"/admin/v1/clients/{made['id']}", headers=admin_headers).get_json()["usage"]
    assert usage["today"] == {"requests": 8, "limited": 3}
    assert usage["days"][0]["requests"] == 8
    client.get(NEAR, headers=_keyed(made["key"]))
    keyed_app.extensions["navplugin"].repository.add_client_usage([(made["id"], usage["days"][0]["day"], 10, 1)])
    keyed_app.extensions["navplugin"].clients.flush()
    listed = client.get("/admin/v1/clients", headers=admin_headers).get_json()["items"]
    assert listed[0]["usage"]["today"] == {"requests": 19, "limited": 5}


def test_without_keys_required_anonymous_reads_pass_and_keyed_ones_are_counted(make_app, admin_headers):
    app = make_app(ADMIN_TOKENS=TOKENS)
    client = app.test_client()
    uploaded(client, csv(ROW_A))
    anonymous = client.get(NEAR)
    assert anonymous.status_code == 200 and "RateLimit-Limit" not in anonymous.headers
    made = _create(client, admin_headers, rate="1/minute")
    assert client.get(NEAR, headers=_keyed(made["key"])).status_code == 200
    assert_problem(client.get(NEAR, headers=_keyed(made["key"])), 429)
    assert_problem(client.get(NEAR, headers=_keyed("np_wrong")), 401)  # a wrong key is never anonymous


def test_admin_requests_are_checked(keyed_app, admin_headers):
    client = keyed_app.test_client()
    for body, parameter in [({"rate": "600/minute"}, "name"), ({"name": " ", "rate": "600/minute"}, "name"),
                            ({"name": "x" * 65, "rate": "600/minute"}, "name"), ({"name": "앱"}, "rate"),
                            ({"name": "앱", "rate": "lots"}, "rate"), ({"name": "앱", "rate": 600}, "rate")]:
        assert_problem(client.post("/admin/v1/clients", json=body, headers=admin_headers), 400, parameter)
    assert_problem(client.post("/admin/v1/clients", json=["앱"], headers=admin_headers), 400, "body")
    assert_problem(client.post("/admin/v1/clients", json={"name": "앱", "rate": "1/minute"}), 401)
    assert_problem(client.get("/admin/v1/clients/99", headers=admin_headers), 404)
    assert_problem(client.post("/admin/v1/clients/99/rotate", headers=admin_headers), 404)
    assert_problem(client.patch("/admin/v1/clients/99", json={"rate": "1/minute"}, headers=admin_headers), 404)
    made = _create(client, admin_headers)
    assert_problem(client.patch(f"/admin/v1/clients/{made['id']}", json={"rate": "1/fortnight"},
                                headers=admin_headers), 400, "rate")
    audit = client.get("/admin/v1/audit?action=client.create", headers=admin_headers).get_json()["items"]
    assert audit[0]["target"] == f"client:{made['id']}"
    assert made["key"] not in client.get("/admin/v1/audit", headers=admin_headers).get_data(as_text=True)


def test_with_the_quota_storage_gone_clients_pass_uncounted(app, admin_headers):
    """Redis away: requests go on without quota headers rather than fail; the storage is retried later."""
    from navplugin import metrics

    svc = app.extensions["navplugin"]
    keys = ClientKeys(svc.repository, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    svc.clients.create("원내비", "1/minute", "alice")
    keys.refresh()
    key = next(iter(keys._by_hash.values()))
    before = metrics.RATELIMIT_STORAGE_ERRORS._value.get()
    admissions = [keys.admit(key) for _ in range(3)]
    assert all(a.allowed and a.headers() == [] for a in admissions)
    assert metrics.RATELIMIT_STORAGE_ERRORS._value.get() == before + 1  # tried once, then left alone a while
    assert keys.usage.take()[0][2:] == (3, 0)  # the requests are still counted as usage


def test_cors_is_off_by_default_and_answers_allowed_origins(make_app):
    plain = make_app().test_client()
    asked = plain.get("/healthz", headers={"Origin": "https://map.example.com"})
    assert "Access-Control-Allow-Origin" not in asked.headers
    assert "Access-Control-Allow-Origin" not in plain.get(NEAR, headers={"Origin": "https://map.example.com"}).headers

    client = make_app(CORS_ORIGINS="https://map.example.com, https://other.example").test_client()
    preflight = client.options(NEAR, headers={"Origin": "https://map.example.com",
                                              "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "X-API-Key"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://map.example.com"
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    answer = client.get(NEAR, headers={"Origin": "https://map.example.com"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://map.example.com"
    assert "RateLimit-Remaining" in answer.headers["Access-Control-Expose-Headers"]
    assert {"Accept", "Origin"} <= {v.strip() for v in answer.headers["Vary"].split(",")}
    # Another origin, and the admin API, get nothing.
    assert "Access-Control-Allow-Origin" not in client.get(NEAR, headers={"Origin": "https://evil.example"}).headers
    admin = client.options("/admin/v1/clients", headers={"Origin": "https://map.example.com",
                                                         "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in admin.headers
