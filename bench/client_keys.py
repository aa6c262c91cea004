"""What client keys and quotas cost: per request in process, and nearby's HTTP throughput with them on and off.

    .venv/bin/python bench/client_keys.py [--calls 50000] [--http-shops 100000] [--http-seconds 10]
                                          [--redis redis://127.0.0.1:6379/15] [--skip-http]

In process: the key check and quota count alone (``ClientGate`` around a WSGI
app that answers at once), with the quota counted in memory and in Redis, and
the whole nearby answer through the app's WSGI stack with keys off and on.
Over HTTP (gunicorn, wrk): one run with keys required and quotas in Redis
(``/healthz`` and nearby with a key), one with keys off (``/healthz`` and the
same nearby without a key). Prints figures only; nothing here asserts.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench import httpload, synthetic  # noqa: E402
from navplugin import create_app, lifecycle  # noqa: E402
from navplugin.clients import ClientKeys  # noqa: E402
from navplugin.store.engine import make_engine  # noqa: E402
from navplugin.store.repository import Repository  # noqa: E402
from navplugin.web.gate import ClientGate  # noqa: E402

QUOTA = "1000000000/minute"  # never reached: the cost of counting, not of refusing
NEARBY = "/v1/stores/nearby?lat=37.5665&lon=126.9780&radius=5000&limit=20"


def _per_call_us(call: Callable[[], Any], calls: int, repeats: int = 5) -> float:
    """The best of a few runs, in µs per call: the least disturbed by other work on the machine."""
    for _ in range(min(calls, 2000)):
        call()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter_ns()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter_ns() - started) / calls / 1000)
    return best


def _drain(app, environ: dict[str, Any]) -> None:
    body = app(dict(environ), lambda status, headers, exc_info=None: None)
    for _chunk in body:
        pass
    if hasattr(body, "close"):
        body.close()


def _environ(path: str, key: str | None) -> dict[str, Any]:
    return EnvironBuilder(path=path, headers={"X-API-Key": key} if key else {}).get_environ()


class _Service:
    """Just what ``ClientGate`` reads of a service."""

    def __init__(self, keys: ClientKeys, require: bool) -> None:
        self.clients = keys
        self.settings = {"REQUIRE_CLIENT_KEY": require}


def in_process(directory: Path, calls: int, redis_url: str | None) -> list[tuple[str, float]]:
    url = f"sqlite:///{directory / 'keys.sqlite3'}"
    repository = Repository(make_engine(url))
    repository.upgrade_schema()
    key = ClientKeys(repository).create("bench", QUOTA, "bench")[1]

    def answer_at_once(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    environ_anonymous, environ_keyed = _environ("/v1/x", None), _environ("/v1/x", key)
    rows = [("no gate (the bare WSGI call)", _per_call_us(lambda: _drain(answer_at_once, environ_anonymous), calls))]
    for label, storage in [("memory", None), ("Redis", redis_url)]:
        if label == "Redis" and not redis_url:
            continue
        keys = ClientKeys(repository, storage)
        keys.refresh()
        found = keys.authenticate(key)
        rows.append(("keys.authenticate (SHA-256 + lookup)", _per_call_us(lambda: keys.authenticate(key), calls)))
        rows.append((f"keys.admit, quota in {label}", _per_call_us(lambda: keys.admit(found), calls)))
        off = ClientGate(answer_at_once, _Service(keys, False))
        on = ClientGate(answer_at_once, _Service(keys, True))
        rows.append(("gate, keys off, no key", _per_call_us(lambda: _drain(off, environ_anonymous), calls)))
        rows.append((f"gate, keys required, quota in {label}", _per_call_us(lambda: _drain(on, environ_keyed), calls)))
    repository.dispose()
    rows = list(dict(rows).items())  # authenticate and "keys off" are the same with either storage
    bare = rows[0][1]
    return [(label, value) for label, value in rows] + [
        ("added by the gate, keys required, quota in memory", dict(rows)["gate, keys required, quota in memory"] - bare)]


def nearby_in_process(directory: Path, shops: int, calls: int, redis_url: str | None) -> list[tuple[str, float]]:
    """The whole nearby answer through the app's WSGI stack (middleware, gate, fast path), keys off and on."""
    rng = np.random.default_rng(7)
    stores = synthetic.make_stores(*synthetic.points("clustered", shops, rng), rng)
    rows = []
    for label, settings in [("keys off", {}), ("keys required, quota in memory", {"REQUIRE_CLIENT_KEY": True}),
                            ("keys required, quota in Redis", {"REQUIRE_CLIENT_KEY": True,
                                                              "RATELIMIT_STORAGE": redis_url})]:
        if "Redis" in label and not redis_url:
            continue
        database = directory / f"nearby-{len(rows)}.sqlite3"
        app = create_app({"DATABASE_URL": f"sqlite:///{database}", "LOAD_SAMPLE": False, "INDEX_POLL_SECONDS": 0,
                          "ACCESS_LOG": False, **settings})
        svc = app.extensions["navplugin"]
        svc.repository.upgrade_schema()
        svc.repository.add_version(stores, source="bench", total_rows=len(stores), report={})
        key = svc.clients.create("bench", QUOTA, "bench")[1] if settings else None
        environ = _environ(NEARBY, key)
        _drain(app.wsgi_app, environ)  # starts serving: index, keys
        svc.wait_warm(120)
        rows.append((f"nearby, {label}", _per_call_us(lambda: _drain(app.wsgi_app, environ), calls // 10)))
        lifecycle.stop(svc)
    return rows


def http(shops: int, seconds: float, redis_url: str, connections: int) -> list[tuple[str, httpload.LoadResult]]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    rng = np.random.default_rng(11)
    stores = synthetic.make_stores(*synthetic.points("clustered", shops, rng), rng)
    lon, lat = synthetic.points("clustered", 2000, np.random.default_rng(12))
    paths = [f"/v1/stores/nearby?lat={y:.6f}&lon={x:.6f}&radius=5000&limit=20" for x, y in zip(lon, lat)]
    results = []
    with tempfile.TemporaryDirectory(prefix="navplugin-bench-keys-") as tmp:
        workdir = Path(tmp)
        url, _ = httpload.write_database(stores, workdir)
        repository = Repository(make_engine(url))
        key = ClientKeys(repository).create("bench", QUOTA, "bench")[1]
        repository.dispose()
        for label, settings, headers in [
            ("keys required, quota in Redis", {"NAVPLUGIN_REQUIRE_CLIENT_KEY": "true",
                                               "NAVPLUGIN_RATELIMIT_STORAGE": redis_url}, {"X-API-Key": key}),
            ("keys off", {}, {}),
        ]:
            port = httpload.free_port()
            server = httpload.Gunicorn(url, port, 2, "gthread", 4, workdir / f"gunicorn-{len(results)}.log", settings)
            try:
                server.wait_ready(300)
                status, body = httpload._get(port, paths[0], headers=headers)
                assert status == 200, body[:300]
                httpload.run_wrk(wrk, port, paths, 2, connections, 1, workdir, "warmup", headers)
                results.append((f"/healthz ({label})",
                                httpload.run_wrk(wrk, port, ["/healthz"], seconds, connections, 1, workdir, "h")))
                results.append((f"nearby ({label})",
                                httpload.run_wrk(wrk, port, paths, seconds, connections, 1, workdir, "n", headers)))
            finally:
                server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50000, help="calls per in-process measurement (default 50000)")
    parser.add_argument("--shops", type=int, default=100000, help="shops for nearby (default 100000)")
    parser.add_argument("--http-seconds", type=float, default=10.0, help="seconds of load per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15",
                        help="Redis for the quota counts (default redis://127.0.0.1:6379/15; '' for none)")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="navplugin-bench-keys-") as tmp:
        print("Per request, in process (µs, best of 5 runs):")
        for label, value in in_process(Path(tmp), args.calls, args.redis or None):
            print(f"  {label:<52} {value:8.2f}")
        print(f"Nearby through the app's WSGI stack, {args.shops:,} shops (µs per answer, best of 5 runs):")
        for label, value in nearby_in_process(Path(tmp), args.shops, args.calls, args.redis or None):
            print(f"  {label:<52} {value:8.1f}")
    if not args.skip_http:
        if not args.redis:
            parser.error("the HTTP part counts quotas in Redis: give --redis")
        print(f"HTTP, gunicorn 2 x gthread (4 threads), wrk {args.connections} connections, "
              f"{args.http_seconds:g} s each, {args.shops:,} shops:")
        results = http(args.shops, args.http_seconds, args.redis, args.connections)
        for label, result in results:
            print(f"  {label:<42} {result.rps:9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                  f"  errors {result.errors}")
        by_label = {label: result.rps for label, result in results}
        on = by_label["nearby (keys required, quota in Redis)"] / by_label["/healthz (keys required, quota in Redis)"]
        off = by_label["nearby (keys off)"] / by_label["/healthz (keys off)"]
        print(f"  nearby / healthz: {on:.2f} with keys, {off:.2f} without; nearby with keys / without: "
              f"{by_label['nearby (keys required, quota in Redis)'] / by_label['nearby (keys off)']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
