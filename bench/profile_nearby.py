"""Where the time of one nearby request goes, in process: a WSGI call loop over the real app.

    .venv/bin/python bench/profile_nearby.py [--shops 100000] [--requests 20000] [--profile]

Writes clustered shops (as bench/nearby.py's HTTP part does) into a throwaway
SQLite database, builds the app with ``create_app``, waits until it is warm,
then calls the WSGI app directly, without a server, for ``/healthz`` and for
``/v1/stores/nearby?lat&lon&radius=5000&limit=20`` over the same 2,000 points
as the HTTP benchmark. Prints µs per request of both (the fastest of a few alternating rounds) and their difference,
the work a nearby request adds to Flask's own. ``--profile`` adds a cProfile
of the nearby loop, sorted by own time. Prints figures only.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synthetic  # noqa: E402
from bench.httpload import write_database  # noqa: E402
from bench.nearby import query_rng, shop_rng  # noqa: E402


def _environs(paths: list[str]) -> list[dict]:
    from werkzeug.test import EnvironBuilder

    environs = []
    for path in paths:
        builder = EnvironBuilder(path=path, base_url="http://127.0.0.1:8000")
        try:
            environs.append(builder.get_environ())
        finally:
            builder.close()
    return environs


def _loop(app, environs: list[dict], count: int) -> float:
    """µs per request of ``count`` WSGI calls, rotating over ``environs``; each body is consumed."""
    def start_response(status, headers, exc_info=None):
        return None

    n = len(environs)
    started = time.perf_counter()
    for i in range(count):
        environ = dict(environs[i % n])
        body = app(environ, start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - started) / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/profile_nearby.py", description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds of both loops; the fastest round of each is printed (default: 5)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--profile", action="store_true", help="cProfile the nearby loop too")
    parser.add_argument("--top", type=int, default=40, help="profile rows to print (default: 40)")
    args = parser.parse_args(argv)

    from navplugin import create_app, lifecycle

    rng = shop_rng(args.seed, "clustered", args.shops)
    lon, lat = synthetic.points("clustered", args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    qlon, qlat = synthetic.points("clustered", 2000, query_rng(args.seed, "clustered"))
    nearby_paths = [f"/v1/stores/nearby?lat={y:.6f}&lon={x:.6f}&radius=5000&limit=20"
                    for x, y in zip(qlon.tolist(), qlat.tolist())]
    with tempfile.TemporaryDirectory(prefix="navplugin-profile-") as tmp:
        url, _ = write_database(stores, Path(tmp))
        app = create_app({"DATABASE_URL": url, "LOAD_SAMPLE": False, "INDEX_POLL_SECONDS": 0,
                          "LOG_LEVEL": "WARNING"})
        service = app.extensions["navplugin"]
        lifecycle.start_serving(service)
        service.index(timeout=300)
        service.wait_warm(300)
        health = _environs(["/healthz"])
        nearby = _environs(nearby_paths)
        _loop(app, nearby, 2000)  # warm-up
        _loop(app, health, 2000)
        # Alternating rounds, keeping the fastest of each: other load on the machine only ever slows a round.
        health_us = nearby_us = float("inf")
        for _ in range(max(1, args.rounds)):
            health_us = min(health_us, _loop(app, health, args.requests))
            nearby_us = min(nearby_us, _loop(app, nearby, args.requests))
        print(f"{args.shops:,} clustered shops, {args.requests:,} WSGI calls each, no server, "
              f"fastest of {max(1, args.rounds)} rounds")
        print(f"  /healthz            {health_us:8.1f} µs/request")
        print(f"  /v1/stores/nearby   {nearby_us:8.1f} µs/request")
        print(f"  nearby extra        {nearby_us - health_us:8.1f} µs/request "
              f"(nearby / healthz time = {nearby_us / health_us:.2f})")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            _loop(app, nearby, args.requests)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
        lifecycle.stop(service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
