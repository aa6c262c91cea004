"""Benchmark of the vector tiles: building the clusters of an index, tile time cold and cached, tile sizes.

    .venv/bin/python bench/tiles.py                       # 1,000,000 clustered shops, z 5, 10 and 14
    .venv/bin/python bench/tiles.py --shops 100000 --zooms 5,8,12,15,18

Builds ``bench/synthetic.py``'s shops and a real ``StoreIndex`` of them, then:

- **clusters**: the per-index precomputation (``StoreIndex.clusters``: Morton order and the
  clusters of every zoom below 15), built ``--builds`` times on fresh pyramids; median and
  slowest seconds, tracemalloc peak and kept MB (numpy's arrays are traced), and the arrays'
  own size. ``IndexHolder.refresh`` builds it before a new index is swapped in.
- **tiles**: per zoom, the tiles that hold ``--sample`` shops drawn at random (so busy tiles
  come up as often as people look at them) plus the ``--densest`` tiles with the most features.
  *cold* is the first request of a tile on an index (``tiles.encode``: slice, features,
  mapbox-vector-tile; a cache miss does this and one dict insert); *cached* is a later request
  (``tiles.tile`` from the index's cache). Zooms with few distinct tiles are repeated to
  ``--min-requests`` timings. p50/p99 in milliseconds, and tile size p50/p99/max in KiB.

In process, single thread; the HTTP layer adds Flask's own per-request cost (see
``bench/profile_nearby.py`` for that figure). Prints figures; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import synthetic  # noqa: E402

from navplugin import tiles  # noqa: E402
from navplugin.spatial.clusters import (  # noqa: E402
    CELL_BITS,
    CODE_LEVEL,
    INDIVIDUAL_ZOOM,
    ClusterPyramid,
    mercator_unit,
)
from navplugin.spatial.index import StoreIndex  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def sampled_tiles(lon: np.ndarray, lat: np.ndarray, z: int, sample: int, rng: np.random.Generator) -> list:
    picked = rng.choice(len(lon), size=min(sample, len(lon)), replace=False)
    x, y = mercator_unit(lon[picked], lat[picked])
    side = 1 << z
    return sorted({(int(a), int(b)) for a, b in zip(np.floor(x * side), np.floor(y * side))})


def densest_tiles(pyramid: ClusterPyramid, z: int, count: int) -> list:
    """The tiles of zoom z with the most points (clusters below INDIVIDUAL_ZOOM, shops from there)."""
    if z < INDIVIDUAL_ZOOM:
        keys, per_tile = np.unique(pyramid.levels()[z].cells >> np.uint64(2 * CELL_BITS), return_counts=True)
    else:
        keys, per_tile = np.unique(pyramid.codes >> np.uint64(2 * (CODE_LEVEL - z)), return_counts=True)
    found = []
    for key in keys[np.argsort(per_tile)[-count:]].tolist():
        x = sum(((key >> (2 * i)) & 1) << i for i in range(z))
        y = sum(((key >> (2 * i + 1)) & 1) << i for i in range(z))
        found.append((x, y))
    return found


def build_clusters(index: StoreIndex, builds: int) -> None:
    seconds = []
    for _ in range(builds):
        started = time.perf_counter()
        pyramid = ClusterPyramid(index.lon, index.lat)
        pyramid.levels()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    pyramid = ClusterPyramid(index.lon, index.lat)
    pyramid.levels()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"clusters of {len(index):,} shops (built {builds}×): median {statistics.median(seconds):.3f} s, "
          f"slowest {max(seconds):.3f} s (Morton order {pyramid.build_seconds:.3f} s + every clustered zoom "
          f"{pyramid.levels_seconds:.3f} s); memory peak {peak / 2**20:.1f} MiB, kept {kept / 2**20:.1f} MiB "
          f"(arrays {pyramid.nbytes() / 2**20:.1f} MiB)")
    for z, level in sorted(pyramid.levels().items()):
        print(f"  z {z:2}: {len(level.cells):>9,} clusters and single shops", end="\n" if z % 2 else "")
    print()


def time_zoom(index: StoreIndex, z: int, requests: list, min_requests: int) -> None:
    cold, cached, sizes, features = [], [], [], []
    repeat = max(1, -(-min_requests // max(1, len(requests))))
    for _ in range(repeat):
        for x, y in requests:
            started = time.perf_counter()
            body = tiles.encode(index, z, x, y)
            cold.append(time.perf_counter() - started)
    for x, y in requests:
        body = tiles.tile(index, z, x, y)  # now in the cache
        sizes.append(len(body))
        features.append(len(index.clusters.tile(z, x, y, tiles.MAX_FEATURES)))
    for _ in range(repeat):
        for x, y in requests:
            started = time.perf_counter()
            tiles.tile(index, z, x, y)
            cached.append(time.perf_counter() - started)
    kib = [size / 1024 for size in sizes]
    print(f"z {z:2}: {len(requests):>5,} tiles ({len(cold):>5,} timings)  "
          f"cold p50 {percentile(cold, 50) * 1e3:6.2f} ms  p99 {percentile(cold, 99) * 1e3:6.2f} ms   "
          f"cached p50 {percentile(cached, 50) * 1e6:5.1f} µs  p99 {percentile(cached, 99) * 1e6:5.1f} µs   "
          f"size p50 {percentile(kib, 50):6.1f} KiB  p99 {percentile(kib, 99):6.1f}  max {max(kib):6.1f}   "
          f"features max {max(features)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/tiles.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=1_000_000)
    parser.add_argument("--distribution", choices=synthetic.DISTRIBUTIONS, default="clustered")
    parser.add_argument("--zooms", default="5,10,14", help="comma-separated zooms (default: 5,10,14)")
    parser.add_argument("--sample", type=int, default=2000, help="random shops whose tiles are requested")
    parser.add_argument("--densest", type=int, default=20, help="the fullest tiles of each zoom, added")
    parser.add_argument("--min-requests", type=int, default=400, help="timings per zoom at least (repeats)")
    parser.add_argument("--builds", type=int, default=3, help="builds of the clusters timed")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)
    zooms = [int(z) for z in args.zooms.split(",")]
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    lon, lat = synthetic.points(args.distribution, args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    index = StoreIndex(stores, 1)
    print(f"bench/tiles.py: {args.shops:,} {args.distribution} shops; index built in "
          f"{time.perf_counter() - started:.1f} s (shops made and StoreIndex)")
    print(f"limits: {tiles.MAX_FEATURES} points per tile, names cut at {tiles.NAME_MAX_BYTES} bytes; "
          f"bound {tiles.TILE_MAX_BYTES:,} bytes, budget {tiles.TILE_BUDGET_BYTES:,} bytes")

    build_clusters(index, args.builds)
    started = time.perf_counter()
    pyramid = index.clusters  # what IndexHolder.refresh does before the swap
    first_build = time.perf_counter() - started
    for z in zooms:
        requests = sorted(set(sampled_tiles(index.lon, index.lat, z, args.sample, rng))
                          | set(densest_tiles(pyramid, z, args.densest)))
        if z == zooms[0]:
            x, y = requests[0]
            started = time.perf_counter()
            tiles.encode(index, z, x, y)
            print(f"first tile of an index whose clusters are not built yet (no refresh before): "
                  f"{(first_build + time.perf_counter() - started) * 1e3:.0f} ms")
        time_zoom(index, z, requests, args.min_requests)
    print("cold: tiles.encode (a cache miss); cached: tiles.tile from the index's cache; sizes of the requested "
          "tiles (random shops' tiles plus each zoom's densest)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
