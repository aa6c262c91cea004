"""Benchmark of the POI pack: a 100,000-shop export in every format, time and peak memory.

    .venv/bin/python bench/export.py [--shops 100000]

Each format streams the whole list the way ``GET /v1/stores/export`` does
(its ``stream`` pieces, consumed one by one and counted), so the peak memory
printed is what one export adds on top of the loaded index. Prints figures;
asserts nothing about time.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import synthetic  # noqa: E402

from navplugin.formats import FORMATS  # noqa: E402
from navplugin.model import QueryResult  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/export.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000, help="shops in the export (default: 100000)")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    lon, lat = synthetic.points("clustered", args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    print(f"bench/export.py: {args.shops:,} clustered shops; each format streamed whole, cold render caches")
    print(f"{'format':<8} {'seconds':>8} {'MB out':>8} {'peak MB':>8}  pieces")
    for name, fmt in FORMATS.items():
        # Fresh shop objects per format and per pass, so no render cache is warm.
        timed = QueryResult(1, [replace(s) for s in stores], {})
        started = time.perf_counter()
        size = pieces = 0
        for piece in fmt.stream(timed, None):
            size += len(piece.encode("utf-8") if isinstance(piece, str) else piece)
            pieces += 1
        elapsed = time.perf_counter() - started
        measured = QueryResult(1, [replace(s) for s in stores], {})
        tracemalloc.start()
        for piece in fmt.stream(measured, None):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{name:<8} {elapsed:8.2f} {size / 1e6:8.1f} {peak / 1e6:8.1f}  {pieces:,}")
    print("seconds: one streamed export, timed without tracing; peak MB: Python allocations during a second,\n"
          "traced export (tracemalloc), including the format's per-shop render cache where it has one")


if __name__ == "__main__":
    main()
