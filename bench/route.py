"""Benchmark of the along-route (corridor) search: a Seoul→Busan drive over a million shops.

    .venv/bin/python bench/route.py [--shops 1000000] [--distribution box|uniform|clustered]
                                    [--vertices 10000] [--width 500] [--runs 50] [--limit 200]

Builds the shops (``box``: uniform over South Korea's bounding box, the fastest;
``uniform``/``clustered``: on land, from bench/synthetic.py), the StoreIndex,
then the index's metric tree (built lazily on the first along-route query,
timed here on its own), and a wiggly ~400 km Seoul→Busan route. Prints build
times and along-route latency p50/p99 over ``--runs`` calls, plus how many
shops the corridor holds. Asserts nothing; seeded, so runs are comparable.
Takes ~30-60 s at the defaults.
"""
from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import synthetic  # noqa: E402

KOREA_BOX = (125.0, 33.1, 129.6, 38.6)  # lon/lat box of South Korea's land, Jeju included
WARMUP_RUNS = 3


def box_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = KOREA_BOX
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def seoul_busan(vertices: int, rng: np.random.Generator) -> np.ndarray:
    """A wiggly road-like route from Seoul City Hall to Busan Station, ~400 km at 10,000 vertices."""
    t = np.linspace(0.0, 1.0, vertices)
    lon = 126.978 + (129.041 - 126.978) * t + 0.12 * np.sin(7 * math.pi * t) + 0.02 * np.sin(53 * math.pi * t)
    lat = 37.566 + (35.115 - 37.566) * t + 0.08 * np.sin(5 * math.pi * t)
    wiggle = np.cumsum(rng.normal(0, 0.00006, (vertices, 2)), axis=0)
    wiggle -= np.outer(t, wiggle[-1])  # both ends stay put
    return np.column_stack((lon, lat)) + wiggle


def encode_polyline(points: np.ndarray, precision: int) -> str:
    factor = 10**precision
    out, prev = [], (0, 0)
    for lon, lat in points.tolist():
        now = (round(lat * factor), round(lon * factor))
        for delta in (now[0] - prev[0], now[1] - prev[1]):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev = now
    return "".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/route.py",
        description="Along-route benchmark: index and metric-tree build time, then the latency "
                    "(p50/p99) of along_route for a ~400 km Seoul→Busan route, and the shops found.")
    parser.add_argument("--shops", type=int, default=1_000_000, help="number of shops (default: 1000000)")
    parser.add_argument("--distribution", choices=("box", *synthetic.DISTRIBUTIONS), default="box",
                        help="box: uniform over Korea's bounding box (default); uniform/clustered: "
                             "on land via bench/synthetic.py (slower to generate)")
    parser.add_argument("--vertices", type=int, default=10_000, help="route vertices (default: 10000)")
    parser.add_argument("--width", type=float, default=500.0, help="corridor half-width, m (default: 500)")
    parser.add_argument("--runs", type=int, default=50, help="timed along_route calls (default: 50)")
    parser.add_argument("--limit", type=int, default=200, help="limit of the timed calls (default: 200)")
    parser.add_argument("--seed", type=int, default=20260101, help="RNG seed (default: 20260101)")
    args = parser.parse_args(argv)
    if args.shops < 1 or args.runs < 1 or args.limit < 1 or not 2 <= args.vertices <= 20_000 or args.width < 0:
        parser.error("--shops, --runs, --limit ≥ 1; --vertices in 2..20000; --width ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import scipy
    import shapely

    from navplugin.spatial.index import StoreIndex, project_5179
    from navplugin.spatial.route import along_route, parse_route

    print(f"bench/route.py  python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"shapely {shapely.__version__}; seed {args.seed}", flush=True)
    begun = time.perf_counter()
    rng = np.random.default_rng([args.seed, args.shops])
    started = time.perf_counter()
    if args.distribution == "box":
        lon, lat = box_points(args.shops, rng)
    else:
        lon, lat = synthetic.points(args.distribution, args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    print(f"{args.shops:,} {args.distribution} shops generated in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    index = StoreIndex(stores, 1)
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    index.xy_5179  # noqa: B018 - the lazy EPSG:5179 projection, timed on its own
    project_s = time.perf_counter() - started
    started = time.perf_counter()
    index.tree_5179  # noqa: B018 - the lazy metric cKDTree
    tree_s = time.perf_counter() - started
    print(f"StoreIndex build {index_s:.2f} s; metric coordinates (EPSG:5179) {project_s:.2f} s; "
          f"metric cKDTree {tree_s:.2f} s (both once per index, on first along-route query)")

    route_rng = np.random.default_rng([args.seed, 7])
    raw = seoul_busan(args.vertices, route_rng)
    text = encode_polyline(raw, 6)
    parse_ms = []
    for _ in range(5):
        started = time.perf_counter()
        route = parse_route({"polyline": text, "precision": 6})
        parse_ms.append((time.perf_counter() - started) * 1000)
    rx, ry = project_5179(route[:, 0], route[:, 1])
    length_km = float(np.hypot(np.diff(rx), np.diff(ry)).sum()) / 1000
    print(f"route: {len(route):,} vertices, {length_km:.0f} km (EPSG:5179), polyline {len(text):,} chars; "
          f"parse_route (decode, validate) median {np.median(parse_ms):.1f} ms")

    everything = along_route(index, route, width_m=args.width, limit=args.shops)
    call = lambda: along_route(index, route, width_m=args.width, limit=args.limit)  # noqa: E731
    for _ in range(WARMUP_RUNS):
        call()
    spent = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = call()
        spent.append((time.perf_counter() - started) * 1000)
    spent = np.asarray(spent)
    print(f"corridor ±{args.width:g} m: {len(everything):,} shops inside "
          f"({len(everything) / (2 * args.width / 1000 * length_km):.1f} per km²); "
          f"timed calls return {len(result):,} (limit {args.limit})")
    print(f"along_route latency over {args.runs} runs: p50 {np.percentile(spent, 50):.1f} ms, "
          f"p99 {np.percentile(spent, 99):.1f} ms, min {spent.min():.1f} ms, max {spent.max():.1f} ms "
          f"(target p50 < 50 ms)")
    started = time.perf_counter()
    along_route(index, route, width_m=args.width, limit=args.shops)
    print(f"unlimited call (all {len(everything):,} shops as a QueryResult): "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"total {time.perf_counter() - begun:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
