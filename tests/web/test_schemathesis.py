"""Schemathesis against the running service: every operation of /v1/openapi.json, generated requests.

The service runs as README's first command runs it (``flask serve``, the
sample list loaded), in a child process. Admin operations get the token,
and the ids of real shops, versions and uploads are supplied, so operations
on one shop reach it instead of answering 404. No answer may be a server
error, and none may fall outside the document (status, media type,
headers, body).
"""
from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.test_lifecycle import Process

REPO = Path(__file__).resolve().parents[2]
TOKEN = "schemathesis-admin-token-0123"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance," \
         "response_headers_conformance"


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


def _ids(port: int) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/stores/export?format=geojson", timeout=30) as answer:
        return [feature["properties"]["id"] for feature in json.loads(answer.read())["features"]]


def test_no_generated_request_gets_a_server_error_or_an_answer_outside_the_document(database_url, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    env = {**os.environ, "PYTHONPATH": str(REPO), "NAVPLUGIN_DATABASE_URL": database_url,
           "NAVPLUGIN_ADMIN_TOKEN": TOKEN, "NAVPLUGIN_ACCESS_LOG": "false", "NAVPLUGIN_LOG_LEVEL": "WARNING",
           "NAVPLUGIN_INDEX_POLL_SECONDS": "1"}
    server = Process([sys.executable, "-m", "flask", "--app", "navplugin", "serve", "--port", "0"], env, tmp_path)
    try:
        port = server.port(timeout=180)
        ids = _ids(port)
        assert len(ids) > 100
        config = tmp_path / "schemathesis.toml"
        config.write_text("\n".join([
            'headers = { Authorization = "Bearer ' + TOKEN + '" }',
            "[dictionaries.shops]",
            "values = " + json.dumps(ids[:50], ensure_ascii=False),
            "[dictionaries.versions]",
            "values = [1, 2, 3]",
            "[parameters]",
            '"path.store_id" = { dictionary = "shops", probability = 0.8 }',
            '"path.version" = { dictionary = "versions", probability = 0.8 }',
            '"path.a" = { dictionary = "versions", probability = 0.8 }',
            '"path.b" = { dictionary = "versions", probability = 0.8 }',
            '"path.upload_id" = { dictionary = "versions", probability = 0.8 }',
            '"query.since" = { dictionary = "versions", probability = 0.5 }',
        ]) + "\n", encoding="utf-8")
        run = Process([str(schemathesis), "--config-file", str(config), "run",
                       f"http://127.0.0.1:{port}/v1/openapi.json", "--checks", CHECKS,
                       "--phases", "examples,coverage,fuzzing", "--max-examples", "40", "--seed", "20261204",
                       "--workers", "1", "--warnings", "off"], env, tmp_path)
        code = run.process.wait(timeout=900)
        output = "".join(run.output)
        assert code == 0, output[-6000:]
        assert "26/26" in output or "Selected:" in output
    finally:
        server.stop()
