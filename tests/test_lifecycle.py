"""Process lifecycle: building an app starts nothing; serving processes migrate and load the sample exactly once."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text

from navplugin import create_app
from navplugin.store import schema
from navplugin.store.migrate import head

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SHOPS = 905
LISTENING = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


def _background_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith(("navplugin", "geocode"))}


def test_building_an_app_starts_nothing(tmp_path):
    before = _background_threads()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert _background_threads() == before
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert inspect(engine).get_table_names() == []  # no migration, no sample
    engine.dispose()
    app.extensions["navplugin"].close()


def test_a_command_that_reads_migrates_but_loads_no_sample_and_starts_no_thread(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = create_app({"DATABASE_URL": url})
    before = _background_threads()
    result = app.test_cli_runner().invoke(args=["versions"])
    assert result.exit_code == 0 and result.output == ""
    assert _background_threads() == before
    assert not app.extensions["navplugin"].serving
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.datasets)).scalar() == 0
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
    engine.dispose()
    app.extensions["navplugin"].close()


def test_without_migrate_on_start_an_old_schema_is_refused_until_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "MIGRATE_ON_START": False})
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["stats"])
    assert refused.exit_code != 0 and "db upgrade" in refused.output
    assert runner.invoke(args=["db", "current"]).output.strip() == f"database: (none)  this release: {head()}"
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"revision {head()}" in upgraded.output
    assert runner.invoke(args=["stats", "--json"]).exit_code == 0
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    app.extensions["navplugin"].close()


class Process:
    """A serving process of ours, its output read line by line in the background."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            found = LISTENING.search(line)
            if found:
                return int(found.group(1))
        raise AssertionError("the process did not start serving:\n" + "".join(self.output[-40:]))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _get_json(port: int, path: str) -> tuple[int, dict]:
    import json

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "NAVPLUGIN_DATABASE_URL": database_url, "NAVPLUGIN_INDEX_POLL_SECONDS": "1",
            "PYTHONPATH": str(REPO), "NAVPLUGIN_LOG_LEVEL": "INFO"}


def _one_schema_and_one_sample(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
        versions = conn.execute(select(schema.datasets.c.version, schema.datasets.c.source)).all()
        samples = conn.execute(select(func.count()).select_from(schema.uploads)
                               .where(schema.uploads.c.source == "sample")).scalar()
        queued = conn.execute(select(func.count()).select_from(schema.audit_log).where(
            schema.audit_log.c.action == "upload")).scalar()
    engine.dispose()
    assert len(versions) == 1 and versions[0].source == "sample", versions
    assert samples == 1 and queued == 1
    return versions[0].version


def test_four_processes_starting_at_once_make_one_schema_and_one_sample_version(database_url, tmp_path):
    env = _env(database_url)
    command = [sys.executable, "-m", "flask", "--app", "navplugin", "serve", "--port", "0"]
    processes = [Process(command, env, tmp_path) for _ in range(4)]
    try:
        ports = [process.port(timeout=180) for process in processes]
        version = _one_schema_and_one_sample(database_url)
        for port in ports:
            status, ready = _get_json(port, "/readyz")
            assert status == 200 and ready == {"status": "ready", "dataset_version": version,
                                               "stores": SAMPLE_SHOPS}
    finally:
        for process in processes:
            process.stop()
    assert sum("queued as upload" in line for p in processes for line in p.output) == 1


def test_gunicorn_with_the_repository_settings_serves_the_sample_from_every_worker(database_url, tmp_path):
    env = _env(database_url)
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = Process([str(gunicorn), "-c", str(REPO / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                      "--workers", "2", "--chdir", str(REPO)], env, tmp_path)
    try:
        deadline = time.monotonic() + 180
        loaded = 0
        while time.monotonic() < deadline and loaded < 2:
            loaded = sum("index of version" in line and "navplugin.spatial.index" in line
                         for line in server.output)  # the workers' loads: the master only prepares
            time.sleep(0.2)
        assert loaded >= 2, "".join(server.output[-40:])
        version = _one_schema_and_one_sample(database_url)
        for _ in range(6):  # several connections: both workers answer
            assert _get_json(port, "/readyz") == (200, {"status": "ready", "dataset_version": version,
                                                        "stores": SAMPLE_SHOPS})
    finally:
        server.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
