"""Benchmark of an upload's geocoding job: 2,000 rows through a local fake upstream, then again from the cache.

    .venv/bin/python bench/geocode.py [--rows 2000] [--latency 0.02] [--workers 8] [--concurrency 8] [--rate 1000]

The fake speaks Kakao's wire format over a real loopback socket and answers
every call after ``--latency`` seconds. The upload goes through the real
pipeline (validation, address normalisation, chain with pacing and retries,
district check, row-by-row persistence, new dataset version). The second
upload of the same list must be answered from the persistent cache with no
upstream call. Prints figures; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from navplugin import create_app, lifecycle  # noqa: E402
from tests.fakes.kakao import KakaoFake  # noqa: E402

SAMPLE = REPO / "geodata" / "sample" / "certified_stores_2026.csv"


def synthetic_list(rows: int, seed: int) -> bytes:
    """Real sample addresses with other building numbers: distinct, realistic, all placeable."""
    with open(SAMPLE, encoding="utf-8-sig", newline="") as handle:
        addresses = [row["주소"] for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["업체명", "업종", "주소", "전화번호"])
    seen: set[str] = set()
    while len(seen) < rows:
        base = rng.choice(addresses)
        address = re.sub(r"(로|길)\s*(\d+)(-\d+)?", lambda m: f"{m.group(1)} {rng.randint(1, 999)}", base, count=1)
        if address in seen:
            continue
        seen.add(address)
        writer.writerow([f"가게 {len(seen)}", "음식점업", address, "02-000-0000"])
    return out.getvalue().encode("utf-8")


def upload(client, data: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post("/admin/v1/uploads", headers={"Authorization": "Bearer bench"},
                           data={"file": (io.BytesIO(data), "bench.csv")}, content_type="multipart/form-data")
    elapsed = time.perf_counter() - started
    body = response.get_json()
    if response.status_code != 201:
        raise SystemExit(f"upload failed: HTTP {response.status_code}: {str(body)[:500]}")
    return elapsed, body


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/geocode.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows in the uploaded list (default: 2000)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the fake takes per call (default: 0.02)")
    parser.add_argument("--workers", type=int, default=8, help="NAVPLUGIN_GEOCODE_WORKERS (default: 8)")
    parser.add_argument("--concurrency", type=int, default=8, help="NAVPLUGIN_GEOCODE_CONCURRENCY (default: 8)")
    parser.add_argument("--rate", type=float, default=1000, help="calls per second allowed to the fake (default: 1000)")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    data = synthetic_list(args.rows, args.seed)
    with KakaoFake() as fake, tempfile.TemporaryDirectory() as directory:
        fake.latency = args.latency
        app = create_app({
            "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3", "LOAD_SAMPLE": False, "ADMIN_TOKEN": "bench",
            "GEOCODERS": "kakao", "KAKAO_KEY": fake.api_key, "KAKAO_URL": fake.base_url,
            "GEOCODE_WORKERS": args.workers, "GEOCODE_CONCURRENCY": args.concurrency,
            "GEOCODE_RATE": f"kakao:{args.rate}", "UPLOAD_WAIT_SECONDS": 600, "INDEX_POLL_SECONDS": 0,
            "LOG_LEVEL": "WARNING",
        })
        service = app.extensions["navplugin"]
        lifecycle.start_serving(service)
        service.index()
        client = app.test_client()
        print(f"bench/geocode.py: {args.rows} rows, fake Kakao answering in {args.latency * 1000:.0f} ms, "
              f"{args.workers} workers, {args.concurrency} calls in flight, rate {args.rate:g}/s")
        rows = []
        for label in ("first upload (upstream)", "same list again (cache)"):
            before = len(fake.calls())
            elapsed, body = upload(client, data)
            calls = len(fake.calls()) - before
            report = body["report"]
            rows.append((label, elapsed, args.rows / elapsed, calls, report["providers"], report["district_check"]))
        lifecycle.stop(service)
    print(f"{'run':<26} {'seconds':>8} {'rows/s':>8} {'upstream calls':>15}  providers / district check")
    for label, elapsed, rate, calls, providers, checks in rows:
        print(f"{label:<26} {elapsed:8.2f} {rate:8.0f} {calls:15d}  {providers} / {checks}")
    first, second = rows[0][1], rows[1][1]
    print(f"TARGETS: first {first:.2f} s (under 10 s: {'OK' if first < 10 else 'MISSED'}), "
          f"cached {second:.2f} s (under 2 s: {'OK' if second < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
