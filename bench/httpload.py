"""HTTP throughput of the real app under gunicorn: /v1/stores/nearby next to /healthz.

Writes the shops into a throwaway SQLite database through ``Repository.add_version``,
starts gunicorn on a free loopback port, waits until every worker has loaded
its index, then drives each endpoint for a fixed time with ``wrk`` (or, when
wrk is not installed, a small keep-alive ``http.client`` load generator run
from a few processes) and stops gunicorn again.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from navplugin.model import Store
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository

REPO_DIR = Path(__file__).resolve().parent.parent
INDEX_LOADED = re.compile(r"index of version \S+ loaded")
# Start-up work after the index (district polygons) must be over too, or it competes with the load.
REGIONS_BUILT = re.compile(r"region lookup: \d+ polygons indexed")

WRK_SCRIPT = """
local paths = {%s}
local i = 0
local headers = {%s}
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d duration_us=%%d p50_us=%%d p99_us=%%d non2xx=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    path_label: str
    requests: int
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class HttpReport:
    generator: str
    server: str
    shops: int
    write_seconds: float
    ready_seconds: float
    sample_hits: float
    sample_bytes: float
    health: LoadResult
    nearby: LoadResult

    @property
    def ratio(self) -> float:
        return self.nearby.rps / self.health.rps if self.health.rps else 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_database(stores: Sequence[Store], directory: Path) -> tuple[str, float]:
    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    engine = make_engine(url)
    try:
        repository = Repository(engine)
        repository.upgrade_schema()
        started = time.perf_counter()
        repository.add_version(stores, source="bench", total_rows=len(stores), report={},
                               file_name="synthetic", uploaded_by="bench/nearby.py")
        return url, time.perf_counter() - started
    finally:
        engine.dispose()


def _get(port: int, path: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Gunicorn:
    """One gunicorn master we started, and only that one, stopped by its pid."""

    def __init__(self, database_url: str, port: int, workers: int, worker_class: str, threads: int,
                 log_path: Path, settings: dict[str, str] | None = None) -> None:
        self.port = port
        self.workers = workers
        self.log_path = log_path
        env = dict(os.environ)
        env.update({
            "NAVPLUGIN_DATABASE_URL": database_url,
            "NAVPLUGIN_LOAD_SAMPLE": "0",
            "NAVPLUGIN_INDEX_POLL_SECONDS": "0",
            "NAVPLUGIN_LOG_LEVEL": "INFO",  # the "index ... loaded" line tells us each worker is ready
            **(settings or {}),
        })
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [  # the repository's settings (each worker starts serving at once), these values overriding
            str(gunicorn), "-c", str(REPO_DIR / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", worker_class, "--chdir", str(REPO_DIR),
            "--log-level", "warning", "--graceful-timeout", "5", "wsgi:app",
        ]
        if worker_class == "gthread":
            command[-1:-1] = ["--threads", str(threads)]
        self.description = f"gunicorn {workers} x {worker_class}" + (
            f" ({threads} threads)" if worker_class == "gthread" else "")
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float) -> float:
        """Seconds until /readyz answers 200 and every worker has logged its index load and region build."""
        started = time.perf_counter()
        deadline = started + timeout
        ready = False
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if not ready:
                try:
                    ready = _get(self.port, "/readyz", timeout=2)[0] == 200
                except OSError:
                    pass
            log_text = self.log_path.read_text(errors="replace")
            loaded = min(len(INDEX_LOADED.findall(log_text)), len(REGIONS_BUILT.findall(log_text)))
            if ready and loaded >= self.workers:
                return time.perf_counter() - started
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def run_wrk(wrk: str, port: int, paths: Sequence[str], seconds: float, connections: int, threads: int,
            script_dir: Path, label: str, headers: dict[str, str] | None = None) -> LoadResult:
    script = script_dir / f"paths-{label}.lua"
    header_table = ", ".join(f"[{json.dumps(name)}] = {json.dumps(value)}" for name, value in (headers or {}).items())
    script.write_text(WRK_SCRIPT % (", ".join(json.dumps(p) for p in paths), header_table))
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    match = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    fields = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    errors = sum(fields[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    return LoadResult(label, fields["requests"], fields["duration_us"] / 1e6,
                      fields["p50_us"] / 1000, fields["p99_us"] / 1000, errors)


def _python_worker(port: int, paths: Sequence[str], seconds: float, offset: int,
                   out: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    done = errors = 0
    latencies = []
    i = offset
    begun = time.perf_counter()
    deadline = begun + seconds
    while True:
        started = time.perf_counter()
        if started >= deadline:
            break
        try:
            conn.request("GET", paths[i % len(paths)])
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.will_close:
                conn.close()  # sync workers close after each response; http.client reopens
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
        latencies.append(time.perf_counter() - started)
        done += 1
        i += 1
    conn.close()
    out.put((done, errors, latencies, time.perf_counter() - begun))


def run_python(port: int, paths: Sequence[str], seconds: float, processes: int, label: str) -> LoadResult:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_python_worker, args=(port, paths, seconds, k * 9973, queue))
               for k in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    latencies = np.concatenate([np.asarray(r[2]) for r in results]) * 1000
    return LoadResult(label, sum(r[0] for r in results), max(r[3] for r in results),
                      float(np.percentile(latencies, 50)) if len(latencies) else None,
                      float(np.percentile(latencies, 99)) if len(latencies) else None,
                      sum(r[1] for r in results))


def benchmark(stores: Sequence[Store], query_lon: np.ndarray, query_lat: np.ndarray, *, seconds: float,
              workers: int, worker_class: str, threads: int, connections: int, generator: str,
              warmup_seconds: float, log=print) -> HttpReport:
    wrk = shutil.which("wrk") if generator in {"auto", "wrk"} else None
    if generator == "wrk" and wrk is None:
        raise RuntimeError("--load-generator wrk: wrk is not installed (apt-get install -y wrk)")
    nearby_paths = [f"/v1/stores/nearby?lat={y:.6f}&lon={x:.6f}&radius=5000&limit=20"
                    for x, y in zip(query_lon.tolist(), query_lat.tolist())]
    health_paths = ["/healthz"]

    def drive(paths: Sequence[str], duration: float, label: str) -> LoadResult:
        if wrk:
            return run_wrk(wrk, port, paths, duration, connections, 1, workdir, label)
        return run_python(port, paths, duration, connections, label)

    with tempfile.TemporaryDirectory(prefix="navplugin-bench-") as tmp:
        workdir = Path(tmp)
        log(f"  writing {len(stores):,} shops to {workdir / 'bench.sqlite3'} through Repository.add_version ...")
        url, write_seconds = write_database(stores, workdir)
        port = free_port()
        server = Gunicorn(url, port, workers, worker_class, threads, workdir / "gunicorn.log")
        try:
            log(f"  started {server.description} on 127.0.0.1:{port} (pid {server.process.pid}); waiting for /readyz ...")
            ready_seconds = server.wait_ready(timeout=300)
            hits, sizes = [], []
            for path in nearby_paths[:50]:
                status, body = _get(port, path)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
                hits.append(json.loads(body)["count"])
                sizes.append(len(body))
            if warmup_seconds > 0:
                drive(nearby_paths, warmup_seconds, "warmup")
            reuse = "keep-alive" if worker_class == "gthread" else "sync workers close after each response"
            used = f"wrk (1 thread, {connections} connections, {reuse})" if wrk else \
                f"python http.client ({connections} processes, {reuse})"
            log(f"  load generator: {used}; {seconds:g} s per endpoint")
            health = drive(health_paths, seconds, "healthz")
            nearby = drive(nearby_paths, seconds, "nearby")
        finally:
            server.stop()
        return HttpReport(used, server.description, len(stores), write_seconds, ready_seconds,
                          float(np.mean(hits)), float(np.mean(sizes)), health, nearby)
