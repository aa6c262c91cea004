"""Latency of /ogc pages of features over a large live list, through the whole app without a server.

    .venv/bin/python bench/ogc.py [--shops 1000000] [--repeat 30]

Clustered synthetic shops (bench/synthetic.py) are put in one ``StoreIndex``
that the app answers from (the index a serving process would load from the
database; building it here skips writing a million rows first). Each request
kind is called through Flask's test client (middleware, routing, parameters,
selection, rendering, caching headers), ``--repeat`` times after one call
that is timed apart as *first*: the first call of a kind pays for rendering
shops' text and, for a box in EPSG:5186, projecting every shop once per
dataset version. Prints milliseconds (first, p50, p95) and the answer's size;
asserts nothing about time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import synthetic  # noqa: E402

ITEMS = "/ogc/collections/stores/items"
UTMK = "http://www.opengis.net/def/crs/EPSG/0/5179"
BELT = "http://www.opengis.net/def/crs/EPSG/0/5186"


def requests(shops: int) -> list[tuple[str, str]]:
    """(label, path) of each kind of request timed; the boxes cover central Seoul (5186: about the same)."""
    seoul = "126.95,37.54,127.02,37.59"
    # central Seoul in EPSG:5186, northing first: about the same area as ``seoul``
    seoul_5186 = "545000,195000,551000,201000"
    return [
        ("first page, default limit 10", ITEMS),
        ("limit 1000", f"{ITEMS}?limit=1000"),
        ("limit 10000 (the maximum)", f"{ITEMS}?limit=10000"),
        ("deep offset, limit 100", f"{ITEMS}?limit=100&offset={shops // 2}"),
        ("bbox central Seoul, limit 100", f"{ITEMS}?bbox={seoul}&limit=100"),
        ("bbox all of Korea, offset deep", f"{ITEMS}?bbox=124,33,132,39&limit=100&offset={shops // 3}"),
        ("crs 5179, limit 1000", f"{ITEMS}?crs={UTMK}&limit=1000"),
        ("bbox-crs 5186 + crs 5186, limit 100", f"{ITEMS}?bbox={seoul_5186}&bbox-crs={BELT}&crs={BELT}&limit=100"),
        ("HTML page, limit 100", f"{ITEMS}?f=html&limit=100"),
        ("one item", f"{ITEMS}/B{shops // 2:08d}"),
        ("collection metadata (extent)", "/ogc/collections/stores"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/ogc.py", description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args(argv)

    from navplugin import create_app, lifecycle
    from navplugin.spatial.index import StoreIndex

    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    lon, lat = synthetic.points("clustered", args.shops, rng)
    index = StoreIndex(synthetic.make_stores(lon, lat, rng), 1)
    print(f"bench/ogc.py: {args.shops:,} clustered shops, index built in {time.perf_counter() - started:.1f} s; "
          f"{args.repeat} calls per kind after the first")
    with tempfile.TemporaryDirectory(prefix="navplugin-ogc-bench-") as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "LOAD_SAMPLE": False,
                          "INDEX_POLL_SECONDS": 0, "ACCESS_LOG": False, "LOG_LEVEL": "WARNING"})
        service = app.extensions["navplugin"]
        lifecycle.start_serving(service)
        service.wait_warm(60)
        service.index = lambda timeout=30.0: index  # answer from the large index instead of the empty database
        client = app.test_client()
        print(f"{'request':<40} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'KB':>8}  matched")
        for label, path in requests(args.shops):
            began = time.perf_counter()
            answer = client.get(path)
            first = (time.perf_counter() - began) * 1000
            assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:300])
            size = len(answer.get_data())
            matched = answer.get_json(force=True).get("numberMatched", "") if answer.is_json else ""
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                body = client.get(path).get_data()
                times.append((time.perf_counter() - began) * 1000)
                assert len(body) > 0
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{label:<40} {first:9.1f} {statistics.median(times):8.1f} {p95:8.1f} {size / 1024:8.0f}  {matched}")
        lifecycle.stop(service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
