"""Client keys across processes: two gunicorn instances on one PostgreSQL and one Redis.

A quota used up through instance A is refused by instance B; keys made,
rotated and revoked through A hold on B at once (B's key poll is set to an
hour, so only PostgreSQL's notice can have told it); the usage both report
adds up to the requests made.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from tests.conftest import POSTGRES_ONLY
from tests.test_lifecycle import REPO
from tests.test_multiprocess import TOKEN, _gunicorn

NEAR = "/v1/stores/nearby?lat=37.57&lon=126.99"


def _call(port: int, path: str, *, key: str | None = None, method: str = "GET", body: dict | None = None,
          admin: bool = False) -> tuple[int, dict, dict]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-API-Key"] = key
    if admin:
        headers["Authorization"] = f"Bearer {TOKEN}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _until(condition, what: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{what} within {timeout} s")


@POSTGRES_ONLY  # many processes on many machines share PostgreSQL and Redis
def test_quota_keys_and_usage_hold_across_processes(database_url, redis_url, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "NAVPLUGIN_DATABASE_URL": database_url,
           "NAVPLUGIN_ADMIN_TOKEN": TOKEN, "NAVPLUGIN_LOAD_SAMPLE": "0", "NAVPLUGIN_INDEX_POLL_SECONDS": "0",
           "NAVPLUGIN_REQUIRE_CLIENT_KEY": "true", "NAVPLUGIN_RATELIMIT_STORAGE": redis_url,
           "NAVPLUGIN_CLIENT_REFRESH_SECONDS": "3600", "NAVPLUGIN_USAGE_FLUSH_SECONDS": "0.2"}
    a, port_a = _gunicorn(env, tmp_path)
    b, port_b = _gunicorn(env, tmp_path)
    try:
        assert _call(port_b, NEAR)[0] == 401
        status, _, made = _call(port_a, "/admin/v1/clients", method="POST", admin=True,
                                body={"name": "원내비", "rate": "6/minute"})
        assert status == 201
        key = made["key"]

        # B learns of the new key from PostgreSQL's notice; its first answer counts against the quota.
        first_on_b = _until(lambda: (answer := _call(port_b, NEAR, key=key))[0] == 200 and answer,
                            "instance B accepting the new key")
        assert first_on_b[1]["RateLimit-Remaining"] == "5"
        on_a = [_call(port_a, NEAR, key=key) for _ in range(6)]
        assert [status for status, *_ in on_a] == [200] * 5 + [429]
        assert [headers["RateLimit-Remaining"] for _, headers, _ in on_a] == ["4", "3", "2", "1", "0", "0"]
        refused = _call(port_b, NEAR, key=key)
        assert refused[0] == 429 and int(refused[1]["Retry-After"]) >= 1
        assert refused[2]["status"] == 429

        # Usage from both processes adds up: 8 counted requests, 2 of them refused.
        def usage() -> dict | None:
            found = _call(port_a, f"/admin/v1/clients/{made['id']}", admin=True)[2]["usage"]["today"]
            return found if found == {"requests": 8, "limited": 2} else None

        _until(usage, "usage adding up to the 8 requests made")

        # A new key through A: on B the old one is refused, the new one known (and still over the quota).
        status, _, rotated = _call(port_a, f"/admin/v1/clients/{made['id']}/rotate", method="POST", admin=True)
        assert status == 200
        _until(lambda: _call(port_b, NEAR, key=key)[0] == 401, "instance B refusing the old key")
        assert _call(port_b, NEAR, key=rotated["key"])[0] == 429
        assert _call(port_a, f"/admin/v1/clients/{made['id']}/revoke", method="POST", admin=True)[0] == 200
        _until(lambda: _call(port_b, NEAR, key=rotated["key"])[0] == 401, "instance B refusing the revoked key")
    finally:
        a.stop()
        b.stop()
