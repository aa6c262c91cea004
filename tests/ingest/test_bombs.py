"""Uploads that would cost far more to read than they weigh are refused before the reading starts.

Each case runs in a child process capped at 1.5 GB of address space (the
bombs unpack to 1.1 GB of XML and more), so a regression fails the test
instead of the machine. Figures of time and memory are bench/hostile.py's.
"""
from __future__ import annotations

import pytest

from tests.hostile import csv_wide, run_capped, xlsx_bomb, xlsx_many_parts

SMALL_XLSX_ROWS = [["업체명", "주소"], ["을지면옥", "서울특별시 중구 충무로14길 2-1"]]

INGEST = """
    import time
    from navplugin.errors import NavpluginError
    from navplugin.ingest import ingest
    data = open({path!r}, "rb").read()
    started = time.perf_counter()
    try:
        found = ingest(data, {name!r})
        _result = {{"status": 200, "rows": len(found.rows)}}
    except NavpluginError as error:
        _result = {{"status": error.status, "detail": error.detail,
                   "problems": [p["problem"] for p in error.problem().get("report", {{}}).get("problems", [])]}}
    _result["seconds"] = time.perf_counter() - started
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from openpyxl import Workbook

    folder = tmp_path_factory.mktemp("bombs")
    workbook = Workbook()
    for row in SMALL_XLSX_ROWS:
        workbook.active.append(row)
    workbook.save(folder / "small.xlsx")
    (folder / "bomb.xlsx").write_bytes(xlsx_bomb(1_100_000_000))  # ~2.6 MB sent, 1.1 GB of XML
    (folder / "parts.xlsx").write_bytes(xlsx_many_parts(20_000))
    (folder / "wide.csv").write_bytes(csv_wide(15_000_000))  # 15 million cells in one row
    return folder


def _ingest(files, name: str) -> dict:
    return run_capped(INGEST.format(path=str(files / name), name=name))


def test_an_xlsx_that_unpacks_to_a_gigabyte_is_refused_before_it_is_read(files):
    small, bomb = _ingest(files, "small.xlsx"), _ingest(files, "bomb.xlsx")
    assert small["status"] == 200 and small["rows"] == 1
    assert bomb["status"] == 413 and "unpacks to more than 128 MiB" in bomb["detail"]
    assert bomb["peak_mb"] - small["peak_mb"] < 30  # a few tens of MB: the file itself, never its XML


def test_an_xlsx_of_twenty_thousand_parts_is_refused(files):
    refused = _ingest(files, "parts.xlsx")
    assert refused["status"] == 422 and "parts in the archive" in refused["detail"]


def test_a_csv_row_of_millions_of_cells_is_refused_at_that_row(files):
    small, wide = _ingest(files, "small.xlsx"), _ingest(files, "wide.csv")
    assert wide["status"] == 422 and "row 2 has more than 1,000 cells" in wide["detail"]
    assert wide["peak_mb"] - small["peak_mb"] < 200  # the 15 MB text and its decoding, not 15 million cells


def test_the_upload_endpoint_answers_a_bomb_with_413_problem_json(files):
    answered = run_capped(f"""
        from navplugin import create_app, lifecycle
        app = create_app({{"DATABASE_URL": "sqlite:///{files / 'app.sqlite3'}", "ADMIN_TOKEN": "t" * 20,
                           "LOAD_SAMPLE": False, "INDEX_POLL_SECONDS": 0}})
        lifecycle.start_serving(app.extensions["navplugin"])
        with open({str(files / "bomb.xlsx")!r}, "rb") as bomb:
            response = app.test_client().post("/admin/v1/uploads", headers={{"Authorization": "Bearer " + "t" * 20}},
                                              data={{"file": (bomb, "list.xlsx")}})
        _result = {{"status": response.status_code, "type": response.mimetype, "body": response.get_json()}}
        lifecycle.stop(app.extensions["navplugin"])
    """, memory_mb=2048)
    assert answered["status"] == 413 and answered["type"] == "application/problem+json"
    assert answered["body"]["type"].endswith("/payload-too-large")
