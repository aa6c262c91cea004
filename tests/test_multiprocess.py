"""Real processes on PostgreSQL and Redis: two gunicorn instances and queue workers, one of them killed mid-job.

Instance A takes the upload; a worker geocodes it (through a fake Kakao slow
enough for the job to take a few seconds) and is killed with SIGKILL part-way;
a second worker finishes the job; instance B, which does not poll, serves the
new version as soon as PostgreSQL tells it.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select

from navplugin.store import schema
from tests.conftest import POSTGRES_ONLY
from tests.fakes.kakao import KakaoFake
from tests.test_lifecycle import Process, _free_port, _get_json

REPO = Path(__file__).resolve().parent.parent
TOKEN = "multi-process-admin-token"
ROWS = 60


def _env(database_url: str, redis_url: str, kakao: KakaoFake) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "NAVPLUGIN_DATABASE_URL": database_url,
            "NAVPLUGIN_QUEUE_URL": redis_url, "NAVPLUGIN_ADMIN_TOKEN": TOKEN, "NAVPLUGIN_LOAD_SAMPLE": "0",
            "NAVPLUGIN_INDEX_POLL_SECONDS": "0", "NAVPLUGIN_JOB_STALE_SECONDS": "2",
            "NAVPLUGIN_GEOCODERS": "kakao", "NAVPLUGIN_KAKAO_KEY": kakao.api_key, "NAVPLUGIN_KAKAO_URL": kakao.base_url,
            "NAVPLUGIN_GEOCODE_WORKERS": "2", "NAVPLUGIN_GEOCODE_BACKOFF_SECONDS": "0"}


def _gunicorn(env: dict[str, str], tmp_path: Path) -> tuple[Process, int]:
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = Process([str(gunicorn), "-c", str(REPO / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                      "--workers", "1", "--chdir", str(REPO)], env, tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if _get_json(port, "/readyz")[0] == 200:
                return server, port
        except OSError:
            pass
        if server.process.poll() is not None:
            break
        time.sleep(0.1)
    server.stop()
    raise AssertionError("gunicorn did not become ready:\n" + "".join(server.output[-40:]))


def _upload(port: int, data: bytes) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/v1/uploads?wait=0", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 202
        return json.loads(answer.read())


def _status(port: int, upload_id: int) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/v1/uploads/{upload_id}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@POSTGRES_ONLY  # many processes on many machines share PostgreSQL
def test_two_instances_and_a_worker_killed_mid_job(database_url, redis_url, tmp_path):
    addresses = [f"서울특별시 종로구 인사동길 {n} (관훈동)" for n in range(1, ROWS + 1)]
    listing = ("업체명,업종,주소\n" + "".join(f"가게{n},음식점업,\"{a}\"\n" for n, a in enumerate(addresses))).encode()
    with KakaoFake() as kakao:
        kakao.latency = 0.1  # 60 rows, 2 at a time: about 3 s of geocoding
        env = _env(database_url, redis_url, kakao)
        a, port_a = _gunicorn(env, tmp_path)
        b, port_b = _gunicorn(env, tmp_path)
        worker_command = [sys.executable, "-m", "flask", "--app", "navplugin", "worker"]
        first_worker = Process(worker_command, env, tmp_path)
        second_worker = None
        try:
            upload_id = _upload(port_a, listing)["upload"]["id"]
            deadline = time.monotonic() + 60
            while _status(port_a, upload_id)["progress"]["done"] < 10:
                assert time.monotonic() < deadline, "".join(first_worker.output[-30:])
                time.sleep(0.05)
            os.kill(first_worker.process.pid, signal.SIGKILL)  # mid-job: its claim stays until it is stale
            first_worker.process.wait()
            interrupted = _status(port_a, upload_id)
            assert interrupted["status"] == "running" and interrupted["progress"]["done"] < ROWS

            second_worker = Process(worker_command, env, tmp_path)
            deadline = time.monotonic() + 90
            while (status := _status(port_a, upload_id))["status"] not in ("done", "failed"):
                assert time.monotonic() < deadline, "".join(second_worker.output[-30:])
                time.sleep(0.1)
            finished_at = time.monotonic()
            assert status["status"] == "done" and status["progress"]["done"] == ROWS, status
            version = status["version"]

            # B polls nothing: only PostgreSQL's notice can have told it.
            while _get_json(port_b, "/readyz")[1].get("dataset_version") != version:
                assert time.monotonic() < finished_at + 10, "instance B never followed"
                time.sleep(0.02)
            followed = time.monotonic() - finished_at
            assert _get_json(port_b, "/readyz")[1]["stores"] == ROWS
            print(f"instance B served version {version} {followed * 1000:.0f} ms after instance A reported it")
        finally:
            for process in (first_worker, second_worker, a, b):
                if process is not None:
                    process.stop()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        versions = conn.execute(select(func.count()).select_from(schema.datasets)).scalar()
        stores = conn.execute(select(func.count()).select_from(schema.stores)).scalar()
        rows = dict(conn.execute(select(schema.upload_rows.c.status, func.count())
                                 .group_by(schema.upload_rows.c.status)).all())
    engine.dispose()
    assert (versions, stores, rows) == (1, ROWS, {"done": ROWS})  # one whole version, nothing partial
