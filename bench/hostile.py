"""Hostile requests, timed: the worst along-route request and upload bombs, each in a capped child process.

    .venv/bin/python bench/hostile.py                       # this checkout
    .venv/bin/python bench/hostile.py --navplugin ../old    # the same requests against another checkout

Each case runs through the WSGI app (``create_app`` and its test client, so
params, the index and the formats all take part) in a fresh Python process
capped at ``--memory-gb`` of address space, and prints the answer's status,
the wall time and the process's peak resident memory above what it had once
the app was ready. The shops are ``--shops`` clustered synthetic ones
(bench/synthetic.py), 21,210 by default like the list the review measured.
Cases:

* ``hostile-route``: 20,000 vertices zigzagging across Seoul, width 5,000 m,
  limit 200: a 616 KB body, the request that once held a worker 23-48 s;
* ``largest-route``: the longest, widest, most detailed route the caps allow
  (Seoul to Busan, 5,000 m, 2,000 vertices), limit 200;
* ``dense-route``: 200 turns back and forth across Seoul at 1,000 m, limit 200, as much as the caps allow;
* ``bomb-1g``, ``bomb-2g``: XLSX of ~2.6 and ~5.3 MB unpacking to 1.1 and 2.2 GB;
* ``wide-csv``: a 15 MB CSV row of commas, 15 million cells.

A case killed by the cap or the timeout says so. Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.hostile import csv_wide, xlsx_bomb, zigzag  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from navplugin import create_app
app = create_app({{"DATABASE_URL": {url!r}, "ADMIN_TOKEN": "bench-token-0123456789", "LOAD_SAMPLE": False,
                   "INDEX_POLL_SECONDS": 0, "LOG_LEVEL": "WARNING", "UPLOAD_WAIT_SECONDS": 0}})
service = app.extensions["navplugin"]
try:
    from navplugin import lifecycle
    lifecycle.start_serving(service)
except ImportError:
    pass  # a checkout from before: create_app started it
service.index(timeout=300)
client = app.test_client()
ready_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
{request}
seconds = time.perf_counter() - started
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"status": response.status_code, "seconds": seconds, "peak_mb": (peak_kb - ready_kb) / 1024,
                  "detail": (response.get_json(silent=True) or {{}}).get("detail", "")[:150],
                  "count": (response.get_json(silent=True) or {{}}).get("count")}}))
"""

POST_ROUTE = """response = client.post("/v1/stores/along-route", json=json.load(open({path!r})))"""
UPLOAD = """response = client.post("/admin/v1/uploads", headers={{"Authorization": "Bearer bench-token-0123456789"}},
                       data={{"file": (open({path!r}, "rb"), {name!r}), "dry_run": "true"}})"""


def seoul_busan(vertices: int) -> list[list[float]]:
    rows = []
    for i in range(vertices):
        t = i / (vertices - 1)
        rows.append([126.978 + 2.063 * t + 0.12 * math.sin(7 * math.pi * t),
                     37.566 - 2.451 * t + 0.08 * math.sin(5 * math.pi * t)])
    return rows


def write_inputs(directory: Path) -> dict[str, tuple[str, str]]:
    cases = {
        "hostile-route": {"coordinates": zigzag(), "width": 5000, "limit": 200},
        "largest-route": {"coordinates": seoul_busan(2000), "width": 5000, "limit": 200},
        # as far back and forth across Seoul as the caps allow at 1,000 m: 200 turns of ~10 km
        "dense-route": {"coordinates": zigzag(200, 126.85, 127.15, 37.50, 37.59), "width": 1000, "limit": 200},
    }
    inputs = {}
    for name, body in cases.items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(body))
        inputs[name] = (POST_ROUTE.format(path=str(path)), f"{path.stat().st_size / 1024:.0f} KB body")
    for name, size in (("bomb-1g", 1_100_000_000), ("bomb-2g", 2_200_000_000)):
        path = directory / f"{name}.xlsx"
        path.write_bytes(xlsx_bomb(size))
        inputs[name] = (UPLOAD.format(path=str(path), name="list.xlsx"),
                        f"{path.stat().st_size / 2**20:.1f} MB file, {size / 1e9:.1f} GB unpacked")
    path = directory / "wide.csv"
    path.write_bytes(csv_wide(15_000_000))
    inputs["wide-csv"] = (UPLOAD.format(path=str(path), name="wide.csv"), "15 MB, 15 million cells")
    return inputs


def write_shops(directory: Path, count: int) -> str:
    from bench import synthetic
    from bench.httpload import write_database

    rng = synthetic.np.random.default_rng(20261204)
    lon, lat = synthetic.points("clustered", count, rng)
    url, _ = write_database(synthetic.make_stores(lon, lat, rng), directory)
    return url


def run_case(repo: Path, url: str, request: str, memory_gb: float, timeout: float) -> dict:
    limit = int(memory_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    code = textwrap.dedent(CHILD.format(repo=str(repo), url=url, request=request))
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              preexec_fn=cap, cwd=repo)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": "crashed", "detail": tail[:150]}
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--navplugin", type=Path, default=REPO, help="checkout whose navplugin answers")
    parser.add_argument("--shops", type=int, default=21_210, help="clustered synthetic shops (default 21210)")
    parser.add_argument("--memory-gb", type=float, default=8.0, help="address-space cap of each case")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a case is killed")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navplugin-hostile-") as tmp:
        directory = Path(tmp)
        url = write_shops(directory, args.shops)
        inputs = write_inputs(directory)
        chosen = [c for c in args.cases.split(",") if c] or list(inputs)
        print(f"bench/hostile.py: navplugin from {args.navplugin}, {args.shops:,} clustered shops, "
              f"each case capped at {args.memory_gb:g} GB and {args.timeout:.0f} s")
        print(f"{'case':<15} {'input':<34} {'status':<22} {'seconds':>8} {'peak MB':>8}  detail")
        for name in chosen:
            request, described = inputs[name]
            result = run_case(args.navplugin, url, request, args.memory_gb, args.timeout)
            seconds = f"{result['seconds']:.3f}" if "seconds" in result else "-"
            peak = f"{result['peak_mb']:.0f}" if "peak_mb" in result else "-"
            detail = result.get("detail") or (f"{result['count']} shops" if result.get("count") is not None else "")
            print(f"{name:<15} {described:<34} {str(result['status']):<22} {seconds:>8} {peak:>8}  {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
