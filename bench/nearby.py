"""Benchmark of the nearby search: index build, in-process latency, accuracy, HTTP throughput.

    .venv/bin/python bench/nearby.py [--sizes 2000,100000,1000000] [--queries 20000]
                                     [--http-shops 100000] [--http-seconds 10] [--skip-http]

Synthetic shops (bench/synthetic.py) over South Korea's land, uniform and
clustered like real shops. Each (distribution, size) runs in a fresh process,
so the memory figures of one case are not muddied by the previous one.
Prints figures only; nothing here asserts on timing. Seeded: the same
arguments give the same shops and query points.
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import synthetic  # noqa: E402

RADIUS_M = 5000.0
LIMIT = 20
WARMUP_QUERIES = 500
DENSITY_QUERIES = 1000
DISTANCE_TARGET = 1e-3  # 0.1 %
RATIO_TARGET = 0.8
DIST_SEED = {"uniform": 1, "clustered": 2}


def shop_rng(seed: int, distribution: str, size: int) -> np.random.Generator:
    return np.random.default_rng([seed, DIST_SEED[distribution], size, 0])


def query_rng(seed: int, distribution: str) -> np.random.Generator:
    # Independent of size: every size of a distribution is asked the same points.
    return np.random.default_rng([seed, DIST_SEED[distribution], 1])


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _time_calls(call, xs: list[float], ys: list[float]) -> tuple[np.ndarray, float]:
    """Per-call latencies (µs) and the total wall time (s) of one call per point."""
    for x, y in zip(xs[:WARMUP_QUERIES], ys[:WARMUP_QUERIES]):
        call(x, y)
    clock = time.perf_counter_ns
    spent = []
    begun = clock()
    for x, y in zip(xs, ys):
        started = clock()
        call(x, y)
        spent.append(clock() - started)
    total = (clock() - begun) / 1e9
    return np.asarray(spent, dtype=np.float64) / 1000, total


def _accuracy(index, lon: np.ndarray, lat: np.ndarray, qlon: list[float], qlat: list[float]) -> dict[str, Any]:
    """Reported distances vs geopy's geodesic, bearings vs geographiclib, and hits vs a brute-force search."""
    from geographiclib.geodesic import Geodesic
    from geopy.distance import geodesic
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    max_rel = max_abs = max_bearing = 0.0
    hits_checked = same = 0
    for x, y in zip(qlon, qlat):
        hits = index.nearby(lat=y, lon=x, radius_m=RADIUS_M, limit=LIMIT).hits
        for hit in hits:
            s = hit.store
            truth = geodesic((y, x), (s.lat, s.lon)).meters
            max_abs = max(max_abs, abs(hit.distance_m - truth))
            if truth > 0:
                max_rel = max(max_rel, abs(hit.distance_m - truth) / truth)
            if truth >= 1.0:
                azimuth = Geodesic.WGS84.Inverse(y, x, s.lat, s.lon)["azi1"] % 360.0
                off = abs(hit.bearing_deg - azimuth) % 360.0
                max_bearing = max(max_bearing, min(off, 360.0 - off))
            hits_checked += 1
        # brute force over every shop in a box around the point
        dlat = 0.06
        dlon = 0.06 / math.cos(math.radians(y))
        box = np.flatnonzero((np.abs(lat - y) <= dlat) & (np.abs(lon - x) <= dlon))
        _, _, dist = geod.inv(np.full(len(box), x), np.full(len(box), y), lon[box], lat[box])
        inside = dist <= RADIUS_M
        box, dist = box[inside], dist[inside]
        order = np.argsort(dist, kind="stable")[:LIMIT]
        brute_ids = {index.stores[p].id for p in box[order].tolist()}
        got_ids = {hit.store.id for hit in hits}
        if got_ids == brute_ids:
            same += 1
        elif len(got_ids) == len(brute_ids):
            # a tie or a shop exactly on the circle may legitimately swap; compare the distances
            got = np.sort([hit.distance_m for hit in hits])
            if np.max(np.abs(got - np.sort(dist[order]))) < 1e-3:
                same += 1
    return {"max_rel": max_rel, "max_abs_m": max_abs, "max_bearing_deg": max_bearing,
            "hits_checked": hits_checked, "same_as_brute": same, "accuracy_queries": len(qlon)}


def run_case(distribution: str, size: int, queries: int, accuracy_queries: int, seed: int) -> dict[str, Any]:
    """One (distribution, size): build, memory, latency, density, accuracy. Runs in a fresh process."""
    from scipy.spatial import cKDTree

    from navplugin import formats
    from navplugin.spatial.geodesy import chord_for_arc, ecef_array
    from navplugin.spatial.index import StoreIndex

    rng = shop_rng(seed, distribution, size)
    lon, lat = synthetic.points(distribution, size, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    qlon, qlat = synthetic.points(distribution, queries, query_rng(seed, distribution))
    xs, ys = qlon.tolist(), qlat.tolist()

    # Build as IndexHolder.refresh does: from Store objects, then the metric tree and the JSON warm-up.
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    index = StoreIndex(stores, 1)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    index.tree_5179
    metric_s = time.perf_counter() - started
    started = time.perf_counter()
    formats.warm(index.stores)
    warm_s = time.perf_counter() - started
    gc.collect()
    rss_delta = rss_bytes() - rss_before
    del index
    gc.collect()
    tracemalloc.start()
    index = StoreIndex(stores, 1)
    traced_now, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    nearest_us, nearest_s = _time_calls(lambda x, y: index.nearest(lon=x, lat=y, radius_m=RADIUS_M, limit=LIMIT), xs, ys)
    nearby_us, nearby_s = _time_calls(lambda x, y: index.nearby(lat=y, lon=x, radius_m=RADIUS_M, limit=LIMIT), xs, ys)

    # Density at the query points, from a tree of our own (not the index's private one).
    tree = cKDTree(ecef_array(lon, lat))
    within = tree.query_ball_point(ecef_array(qlon[:DENSITY_QUERIES], qlat[:DENSITY_QUERIES]),
                                   chord_for_arc(RADIUS_M), return_length=True)
    del tree

    accuracy = _accuracy(index, lon, lat, xs[:accuracy_queries], ys[:accuracy_queries])
    return {
        "distribution": distribution, "size": size, "queries": queries,
        "build_s": build_s, "metric_s": metric_s, "warm_s": warm_s, "rss_delta_mb": rss_delta / 2**20,
        "traced_peak_mb": traced_peak / 2**20, "traced_kept_mb": traced_now / 2**20,
        "categories": len(index.categories()),
        "nearest_p50": float(np.percentile(nearest_us, 50)), "nearest_p99": float(np.percentile(nearest_us, 99)),
        "nearest_qps": queries / nearest_s,
        "nearby_p50": float(np.percentile(nearby_us, 50)), "nearby_p99": float(np.percentile(nearby_us, 99)),
        "nearby_qps": queries / nearby_s,
        "within_median": float(np.median(within)), "within_p90": float(np.percentile(within, 90)),
        "hits_mean": float(np.mean(np.minimum(within, LIMIT))),
        **accuracy,
    }


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(part)) for part in text.replace("_", "").split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated shop counts, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("every size must be at least 1")
    return sizes


def _distributions(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in synthetic.DISTRIBUTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"known distributions: {', '.join(synthetic.DISTRIBUTIONS)}")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/nearby.py",
        description="Nearby-search benchmark: index build time and memory, in-process latency of "
                    f"'{LIMIT} nearest within {RADIUS_M / 1000:g} km', distance accuracy vs geopy, "
                    "and HTTP throughput of /v1/stores/nearby vs /healthz under gunicorn.",
    )
    parser.add_argument("--sizes", type=_sizes, default=_sizes("2000,100000,1000000"),
                        help="shop counts, comma-separated (default: 2000,100000,1000000)")
    parser.add_argument("--distributions", type=_distributions, default=list(synthetic.DISTRIBUTIONS),
                        help="uniform, clustered or both (default: uniform,clustered)")
    parser.add_argument("--queries", type=int, default=20000,
                        help="timed in-process queries per case and method (default: 20000)")
    parser.add_argument("--accuracy-queries", type=int, default=200,
                        help="queries checked against geopy/brute force per case (default: 200)")
    parser.add_argument("--seed", type=int, default=20260101, help="RNG seed (default: 20260101)")
    parser.add_argument("--skip-inprocess", action="store_true", help="only the HTTP part")
    http = parser.add_argument_group("HTTP")
    http.add_argument("--skip-http", action="store_true", help="skip the gunicorn part")
    http.add_argument("--http-shops", type=int, default=100000,
                      help="clustered shops served over HTTP (default: 100000)")
    http.add_argument("--http-seconds", type=float, default=10.0, help="seconds of load per endpoint (default: 10)")
    http.add_argument("--http-warmup", type=float, default=2.0, help="seconds of warm-up load on nearby (default: 2)")
    http.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    http.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread",
                      help="gunicorn worker class (default: gthread, which keeps connections alive)")
    http.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default: 4)")
    http.add_argument("--connections", type=int, default=8,
                      help="concurrent client connections (default: 8)")
    http.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto",
                      help="wrk if installed (auto), or force one (default: auto)")
    args = parser.parse_args(argv)
    if args.queries < 1 or args.accuracy_queries < 0:
        parser.error("--queries must be ≥ 1 and --accuracy-queries ≥ 0")
    args.accuracy_queries = min(args.accuracy_queries, args.queries)
    return args


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def print_results(cases: list[dict[str, Any]], http_report, http_error: str | None) -> None:
    print()
    print("=" * 100)
    print(f"RESULTS  (search: {LIMIT} nearest within {RADIUS_M:g} m; query points drawn from the shops' distribution)")
    print()
    print("Index build, as IndexHolder.refresh builds it: StoreIndex(stores, version), its metric (EPSG:5179) tree,\n"
          "the JSON items warmed:")
    print(_table(
        ["distribution", "shops", "index s", "metric tree s", "JSON warm s", "total s", "RSS delta MB",
         "tracemalloc peak MB", "kept MB", "categories"],
        [[c["distribution"], f"{c['size']:,}", f"{c['build_s']:.3f}", f"{c['metric_s']:.3f}", f"{c['warm_s']:.3f}",
          f"{c['build_s'] + c['metric_s'] + c['warm_s']:.3f}", f"{c['rss_delta_mb']:.1f}",
          f"{c['traced_peak_mb']:.1f}", f"{c['traced_kept_mb']:.1f}", str(c["categories"])] for c in cases]))
    print("  RSS delta: resident set growth across the whole build (everything the index keeps, incl. the cKDTrees'\n"
          "  C++ nodes and the warmed JSON). tracemalloc peak/kept: StoreIndex(...) alone, Python and numpy\n"
          "  allocations only (not the cKDTree nodes). Neither counts the Store objects, which exist before.")
    print()
    print("In-process queries, single thread (latency per call in µs; qps = calls / wall time):")
    print(_table(
        ["distribution", "shops", "≤5km median", "≤5km p90", "hits", "nearest p50", "p99", "qps",
         "nearby p50", "p99", "qps"],
        [[c["distribution"], f"{c['size']:,}", f"{c['within_median']:,.0f}", f"{c['within_p90']:,.0f}",
          f"{c['hits_mean']:.1f}",
          f"{c['nearest_p50']:.1f}", f"{c['nearest_p99']:.1f}", f"{c['nearest_qps']:,.0f}",
          f"{c['nearby_p50']:.1f}", f"{c['nearby_p99']:.1f}", f"{c['nearby_qps']:,.0f}"] for c in cases]))
    print("  nearest = index.nearest(lon, lat, ...): positions + geodesic distances.\n"
          "  nearby  = index.nearby(lat=, lon=, ...): the QueryResult (stores, distances, bearings) an endpoint serialises.\n"
          f"  ≤5km median/p90: shops within 5 km of the first {DENSITY_QUERIES} query points; "
          "hits: mean hits per query.")
    print()
    print("Accuracy (index.nearby vs geopy.distance.geodesic; bearings vs geographiclib; "
          "top-20 vs brute force with pyproj.Geod):")
    print(_table(
        ["distribution", "shops", "queries", "hits", "max rel. error", "max abs. m", "max bearing err °",
         "same top-20"],
        [[c["distribution"], f"{c['size']:,}", str(c["accuracy_queries"]), f"{c['hits_checked']:,}",
          f"{c['max_rel']:.2e}", f"{c['max_abs_m']:.2e}", f"{c['max_bearing_deg']:.2e}",
          f"{c['same_as_brute']}/{c['accuracy_queries']}"] for c in cases]))
    if not cases:
        print("(in-process part skipped: --skip-inprocess)")
    else:
        worst = max(c["max_rel"] for c in cases)
        checked = sum(c["hits_checked"] for c in cases)
        verdict = "OK" if worst < DISTANCE_TARGET else "ABOVE TARGET"
        print(f"ACCURACY: max relative distance error {worst * 100:.2e} % over {checked:,} hits "
              f"(target < {DISTANCE_TARGET * 100:g} %): {verdict}")
    print()
    if http_report is not None:
        r = http_report
        print(f"HTTP ({r.server}, {r.shops:,} clustered shops in SQLite; {r.generator}):")
        print(f"  database written in {r.write_seconds:.1f} s; all workers ready {r.ready_seconds:.1f} s after start; "
              f"nearby answers hold {r.sample_hits:.1f} hits, {r.sample_bytes / 1024:.1f} KiB on average")
        rows = []
        for name, res in (("/healthz", r.health),
                          ("/v1/stores/nearby?radius=5000&limit=20", r.nearby)):
            rows.append([name, f"{res.requests:,}", f"{res.seconds:.1f}", f"{res.rps:,.0f}",
                         f"{res.p50_ms:.2f}" if res.p50_ms is not None else "-",
                         f"{res.p99_ms:.2f}" if res.p99_ms is not None else "-", str(res.errors)])
        print(_table(["endpoint", "requests", "s", "req/s", "p50 ms", "p99 ms", "errors"], rows))
        verdict = "OK" if r.ratio >= RATIO_TARGET else "BELOW TARGET"
        print(f"HTTP RATIO: nearby / healthz = {r.ratio:.2f} (target ≥ {RATIO_TARGET}): {verdict}")
    elif http_error:
        print(f"HTTP: not measured: {http_error}")
    else:
        print("HTTP: skipped (--skip-http)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import geopy
    import scipy

    print(f"bench/nearby.py  python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"geopy {geopy.__version__}; {os.cpu_count()} CPUs; seed {args.seed}")
    print(f"sizes {', '.join(f'{s:,}' for s in args.sizes)}; distributions {', '.join(args.distributions)}; "
          f"{args.queries:,} queries per case and method", flush=True)
    begun = time.perf_counter()
    cases = []
    spawn = get_context("spawn")
    for size in [] if args.skip_inprocess else args.sizes:
        for distribution in args.distributions:
            started = time.perf_counter()
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                case = pool.submit(run_case, distribution, size, args.queries, args.accuracy_queries,
                                   args.seed).result()
            cases.append(case)
            print(f"  {distribution:>9} {size:>9,}: build {case['build_s']:.3f} s, nearest p50 "
                  f"{case['nearest_p50']:.1f} µs, nearby p50 {case['nearby_p50']:.1f} µs "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)

    http_report = http_error = None
    if not args.skip_http:
        from bench import httpload

        print(f"HTTP: {args.http_shops:,} clustered shops", flush=True)
        rng = shop_rng(args.seed, "clustered", args.http_shops)
        lon, lat = synthetic.points("clustered", args.http_shops, rng)
        stores = synthetic.make_stores(lon, lat, rng)
        qlon, qlat = synthetic.points("clustered", 2000, query_rng(args.seed, "clustered"))
        try:
            http_report = httpload.benchmark(
                stores, qlon, qlat, seconds=args.http_seconds, workers=args.workers,
                worker_class=args.worker_class, threads=args.threads, connections=args.connections,
                generator=args.load_generator, warmup_seconds=args.http_warmup,
                log=lambda text: print(text, flush=True),
            )
        except Exception as exc:  # noqa: BLE001 - the in-process figures are still worth printing
            http_error = f"{type(exc).__name__}: {exc}"
    print_results(cases, http_report, http_error)
    print(f"\ntotal {time.perf_counter() - begun:.0f} s")
    return 0 if http_error is None else 1


if __name__ == "__main__":
    sys.exit(main())
