"""Benchmark of the admin's side: how long a correction, a diff and a delta-sync answer take.

    .venv/bin/python bench/admin.py [--shops 100000] [--database sqlite|postgres|both] [--runs 5]

For a list of ``--shops`` clustered shops (bench/synthetic.py), on a throwaway
database: writing it as a version; a pin correction (a new version copied from
the live one in the database, as a drag on the admin map makes); a revocation;
the diff between two versions that differ in 1 % of their shops; and the delta
sync answer from the previous version, computed once and then from the cache.
Prints the median of ``--runs`` runs for the repeated steps. PostgreSQL is
taken from NAVPLUGIN_BENCH_POSTGRES_URL (default: the local server,
database ``navplugin_bench``, created and dropped here). Asserts nothing.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import synthetic  # noqa: E402
from navplugin.curation import Curator  # noqa: E402
from navplugin.spatial.index import StoreIndex  # noqa: E402
from navplugin.store.diff import diff_stores  # noqa: E402
from navplugin.store.engine import make_engine  # noqa: E402
from navplugin.store.repository import Repository  # noqa: E402
from navplugin.sync import ChangesCache  # noqa: E402

POSTGRES_URL = os.environ.get("NAVPLUGIN_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/navplugin_bench")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--runs", type=int, default=5, help="repeats of each timed correction (median shown)")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def median_ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:,.0f} ms"


def run(url: str, stores: list, runs: int) -> dict[str, str]:
    repo = Repository(make_engine(url))
    repo.upgrade_schema()
    curator = Curator(repo, lambda address, lon, lat: "unchecked")
    figures: dict[str, str] = {}
    seconds, first = timed(lambda: repo.add_version(stores, source="bench", total_rows=len(stores), report={}))
    figures["write a version"] = f"{seconds:.2f} s"

    pins = [timed(lambda n=n: curator.override(stores[n].id, {"lon": stores[n].lon + 1e-4, "lat": stores[n].lat},
                                               "bench", "bench"))[0] for n in range(runs)]
    figures["pin correction (new version)"] = median_ms(pins)
    revokes = [timed(lambda n=n: curator.revoke(stores[-1 - n].id, "bench", "bench"))[0] for n in range(runs)]
    figures["revocation (new version)"] = median_ms(revokes)

    changed = [dataclasses.replace(s, phone="02-000-0000") if n % 100 == 0 else s for n, s in enumerate(stores)]
    second = repo.add_version(changed, source="bench", total_rows=len(changed), report={})
    seconds, diff = timed(lambda: diff_stores(repo.iter_stores(first), repo.iter_stores(second)))
    figures["diff of two versions (1 % changed)"] = f"{seconds:.2f} s ({len(diff.changed):,} changed)"

    index = StoreIndex(repo.load_stores(second), second)
    cache = ChangesCache(repo)
    seconds, changes = timed(lambda: cache.get(index, first))
    figures["/v1/changes from the previous list, first"] = f"{seconds:.2f} s ({len(changes.upserts):,} upserts)"
    again = [timed(lambda: cache.get(index, first))[0] for _ in range(runs)]
    figures["/v1/changes, again (cached)"] = f"{statistics.median(again) * 1e6:,.1f} µs"
    repo.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    lon, lat = synthetic.points("clustered", args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    print(f"{len(stores):,} clustered shops; medians of {args.runs} runs")
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="navplugin-bench-") as tmp:
            if database == "sqlite":
                figures = run(f"sqlite:///{tmp}/bench.sqlite3", stores, args.runs)
            else:
                admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
                name = make_url(POSTGRES_URL).database
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                try:
                    figures = run(POSTGRES_URL, stores, args.runs)
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
        print(f"\n{database}:")
        for name, figure in figures.items():
            print(f"  {name:<45} {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
