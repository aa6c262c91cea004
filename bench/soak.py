"""A soak: minutes of steady navigation load at ~80 % of capacity, with an upload and a rollback in the middle.

    .venv/bin/python bench/soak.py                    # 300 s, PostgreSQL, 21,210 clustered shops
    .venv/bin/python bench/soak.py --seconds 60 --database sqlite

gunicorn runs with the repository's gunicorn.conf.py (``--workers`` x 4
threads) over ``--shops`` clustered synthetic shops. First the capacity of
the mix is measured (``--capacity-seconds`` of closed-loop load); then load
is offered open-loop at ``--load`` of it for ``--seconds``, each request at
its scheduled time, latency counted from then (so a stall is not hidden by
requests waiting to be sent). The mix: nearby 75 %, viewport 15 %, along-
route 9.5 % (2-20 km routes), export 0.5 % (a 시군구). At 40 % of the run a
new list goes live through the admin API (the same shops, 1 % moved), at
70 % it is rolled back. Printed: errors (target 0), p50/p99 per endpoint,
each worker's resident memory at the start and the end (target: under 10 %
growth), and the latency around each version switch. Asserts nothing.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import synthetic  # noqa: E402
from bench.httpload import Gunicorn, free_port  # noqa: E402

TOKEN = "soak-admin-token-0123456789"
MIX = (("nearby", 0.75), ("viewport", 0.15), ("along-route", 0.095), ("export", 0.005))


def requests_for(rng: np.random.Generator, qlon: np.ndarray, qlat: np.ndarray, count: int) -> list[tuple]:
    """(kind, method, path, body) a count of them, drawn from the mix."""
    kinds = rng.choice(len(MIX), size=count, p=[share for _, share in MIX])
    picks = rng.integers(0, len(qlon), size=count)
    out = []
    for kind, pick in zip(kinds.tolist(), picks.tolist()):
        x, y = float(qlon[pick]), float(qlat[pick])
        name = MIX[kind][0]
        if name == "nearby":
            out.append((name, "GET", f"/v1/stores/nearby?lat={y:.6f}&lon={x:.6f}&radius=3000&limit=20", None))
        elif name == "viewport":
            out.append((name, "GET", f"/v1/stores?bbox={x - .02:.5f},{y - .015:.5f},{x + .02:.5f},{y + .015:.5f}"
                                     "&limit=50", None))
        elif name == "along-route":
            length = rng.uniform(0.02, 0.2)
            route = [[x, y], [x + length * 0.7, y + length * 0.4], [x + length, y + length * 0.2]]
            out.append((name, "POST", "/v1/stores/along-route",
                        json.dumps({"coordinates": route, "width": 500, "limit": 20}).encode()))
        else:
            out.append((name, "GET", "/v1/stores/export?format=json&region=" + quote("서울 종로구"), None))
    return out


def _generator(port: int, plan: list[tuple], rate: float, start_at: float, out: multiprocessing.Queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    for number, (kind, method, path, body) in enumerate(plan):
        scheduled = start_at + number / rate
        delay = scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        status, version = 0, None
        try:
            headers = {"Content-Type": "application/json"} if body else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            if kind == "nearby" and status == 200:
                version = int(payload[payload.index(b":") + 1:payload.index(b",")])
        except (OSError, http.client.HTTPException, ValueError):
            connection.close()
        results.append((kind, scheduled, time.time() - scheduled, status, version))
    connection.close()
    out.put(results)


def drive(port: int, plans: list[list[tuple]], rate: float, delay: float = 1.0) -> list[tuple]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + delay
    workers = [context.Process(target=_generator, args=(port, plan, rate / len(plans), start_at, queue))
               for plan in plans]
    for worker in workers:
        worker.start()
    results = [row for _ in workers for row in queue.get()]
    for worker in workers:
        worker.join()
    return results


def capacity(port: int, plans: list[list[tuple]], seconds: float) -> float:
    """Closed loop: every generator sends as fast as answers come; requests answered per second."""
    rows = drive(port, [plan[:int(seconds * 400)] for plan in plans], rate=1e9)
    ok = [row for row in rows if row[3] == 200]
    span = max(row[1] + row[2] for row in rows) - min(row[1] for row in rows)
    return len(ok) / span


def rss_mb(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[pid] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return found


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def admin(port: int, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if content_type:
        headers["Content-Type"] = content_type
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read() or b"{}")
    connection.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {answer}")
    return answer


def list_csv(stores, moved: float, rng: np.random.Generator) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["관리번호", "업체명", "업종", "주소", "위도", "경도"])
    moving = rng.random(len(stores)) < moved
    for store, move in zip(stores, moving.tolist()):
        lat, lon = (store.lat + 0.0005, store.lon) if move else (store.lat, store.lon)
        writer.writerow([store.id, store.name, store.category, store.address, f"{lat:.6f}", f"{lon:.6f}"])
    return text.getvalue().encode()


def upload(port: int, data: bytes) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"soak.csv\"\r\n\r\n"
            .encode() + data + f"\r\n--{boundary}--\r\n".encode())
    return admin(port, "POST", "/admin/v1/uploads?wait=120", body, f"multipart/form-data; boundary={boundary}")


def database(kind: str, directory: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{directory / 'soak.sqlite3'}"
    from sqlalchemy import create_engine, text

    name = f"navplugin_soak_{os.getpid()}"
    admin_engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin_engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ms = np.asarray(values) * 1000
    return f"{np.percentile(ms, 50):7.1f} {np.percentile(ms, 99):8.1f} {ms.max():8.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--capacity-seconds", type=float, default=15.0)
    parser.add_argument("--load", type=float, default=0.8, help="share of the measured capacity (default 0.8)")
    parser.add_argument("--shops", type=int, default=21_210)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generators", type=int, default=6, help="load generator processes")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--queue", default="redis://127.0.0.1:6379/15",
                        help="Redis URL for the job queue (a `flask worker` runs the upload); 'none': in-process")
    args = parser.parse_args()

    from navplugin.store.engine import make_engine
    from navplugin.store.repository import Repository

    rng = np.random.default_rng(20261204)
    lon, lat = synthetic.points("clustered", args.shops, rng)
    stores = synthetic.make_stores(lon, lat, rng)
    qlon, qlat = synthetic.points("clustered", 5000, np.random.default_rng(7))
    with tempfile.TemporaryDirectory(prefix="navplugin-soak-") as tmp:
        url = database(args.database, Path(tmp))
        repository = Repository(make_engine(url))
        repository.upgrade_schema()
        first = repository.add_version(stores, source="cli", total_rows=len(stores), report={})
        repository.dispose()
        port = free_port()
        os.environ.update({"NAVPLUGIN_ADMIN_TOKEN": TOKEN, "NAVPLUGIN_ACCESS_LOG": "false",
                           "NAVPLUGIN_UPLOAD_WAIT_SECONDS": "120"})
        worker = None
        if args.queue != "none":
            os.environ["NAVPLUGIN_QUEUE_URL"] = args.queue
            import subprocess
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "navplugin", "worker"], cwd=REPO,
                                      env={**os.environ, "NAVPLUGIN_DATABASE_URL": url, "PYTHONPATH": str(REPO)},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = Gunicorn(url, port, args.workers, "gthread", 4, Path(tmp) / "gunicorn.log")
        try:
            server.wait_ready(timeout=300)
            pids = workers_of(server.process.pid)
            plans = [requests_for(np.random.default_rng(k), qlon, qlat, 20_000) for k in range(args.generators)]
            drive(port, [plan[:200] for plan in plans], rate=500)  # warm-up
            top = capacity(port, plans, args.capacity_seconds)
            rate = top * args.load
            total = int(rate * args.seconds)
            per = total // args.generators + 1
            plans = [requests_for(np.random.default_rng(100 + k), qlon, qlat, per) for k in range(args.generators)]
            print(f"bench/soak.py: {args.shops:,} shops on {args.database}, gunicorn {args.workers} x gthread (4), "
                  f"jobs {'on a queue worker' if worker else 'in the web process'}, "
                  f"{args.generators} generator processes; capacity of the mix {top:,.0f} req/s, offering "
                  f"{rate:,.0f} req/s ({args.load:.0%}) for {args.seconds:g} s")
            rss_start = rss_mb(pids)
            context = multiprocessing.get_context("fork")
            switches: dict[str, float] = {}

            def switch() -> None:
                time.sleep(args.seconds * 0.4 + 1)
                switches["upload"] = time.time()
                new = upload(port, list_csv(stores, 0.01, np.random.default_rng(3)))
                switches["upload_live"] = time.time()
                switches["new_version"] = new["version"]
                time.sleep(args.seconds * 0.3)
                switches["rollback"] = time.time()
                admin(port, "POST", f"/admin/v1/versions/{first}/activate")
                switches["rollback_live"] = time.time()

            import threading
            thread = threading.Thread(target=switch, daemon=True)
            thread.start()
            rows = drive(port, plans, rate)
            thread.join(timeout=300)
            rss_end = rss_mb(pids)
        finally:
            server.stop()
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
    errors = [row for row in rows if row[3] != 200]
    print(f"requests: {len(rows):,}  errors: {len(errors)}" +
          (f" (statuses {sorted({row[3] for row in errors})})" if errors else ""))
    print(f"{'endpoint':<12} {'requests':>9} {'p50 ms':>7} {'p99 ms':>8} {'max ms':>8}")
    for kind, _ in MIX:
        mine = [row[2] for row in rows if row[0] == kind and row[3] == 200]
        print(f"{kind:<12} {len(mine):>9,} {percentiles(mine)}")
    print("worker resident memory (MB): " + ", ".join(
        f"pid {pid}: {rss_start.get(pid, 0):.0f} -> {rss_end.get(pid, 0):.0f} "
        f"({(rss_end.get(pid, 0) / rss_start[pid] - 1) * 100:+.1f} %)" for pid in pids if pid in rss_start))
    for name, until in (("upload", "upload_live"), ("rollback", "rollback_live")):
        begun = switches.get(name)
        if begun is None:
            continue
        window = [row[2] for row in rows if begun <= row[1] <= switches[until] + 5 and row[3] == 200]
        print(f"{name}: went live in {switches[until] - begun:.2f} s; requests from then to 5 s after "
              f"(p50 / p99 / max ms): {percentiles(window)}")
    new = switches.get("new_version")
    if new:  # answers are stamped with their version: when did the processes move over?
        served = sorted(row[1] + row[2] for row in rows if row[0] == "nearby" and row[4] == new)
        last_old = max((row[1] + row[2] for row in rows if row[0] == "nearby" and row[4] == first
                        and switches["upload"] <= row[1] < switches["rollback"]), default=None)
        if served and last_old:
            print(f"version {new}: first answered {served[0] - switches['upload']:.2f} s after the upload was sent, "
                  f"the old one last {last_old - switches['upload']:.2f} s after: every process moved over "
                  f"within {max(0.0, last_old - served[0]):.2f} s of the first")
    before = [row[2] for row in rows if row[3] == 200 and row[1] < switches.get("upload", float("inf"))]
    print(f"before the upload (p50 / p99 / max ms): {percentiles(before)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
