"""The whole ingest path under generated input, on SQLite and PostgreSQL at once.

Bytes of every kind (CSV text in each encoding, XLSX workbooks built with
openpyxl, those same files damaged, plain noise) go through an upload to a
new version. Whatever comes in: only the service's own errors, never a
partial version, and the same verdict and report on both databases.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navplugin import create_app, lifecycle
from navplugin.errors import NavpluginError
from tests.conftest import fresh_postgres

HEADERS = ["업체명", "업종", "주소", "지번주소", "전화번호", "선정연도", "창업연도", "위도", "경도", "관리번호", "비고", "name"]
ADDRESSES = ["서울특별시 종로구 종로 1", "부산광역시 중구 광복로 1", "인사동길 12", "", "제주특별자치도 제주시 관덕로 1",
             "어딘가 알 수 없는 곳"]
CELL = st.one_of(
    st.sampled_from(["을지면옥", "음식점업", "2019", "1985", "37.5670", "126.9918", "", " ", "0", "-1", "1e9", "٢٠١٩",
                     "２０１９", "1_000", "nan", "inf", "37,5", "=1+1", "\"quoted\"", "a,b", "줄\n바꿈", "\x00",
                     "\x1b[31m", "\u200b", "😀"] + ADDRESSES),
    st.text(max_size=12),
)


@st.composite
def rows(draw) -> list[list[str]]:
    columns = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8, unique=True))
    body = draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)), max_size=8))
    return [columns, *body]


def _csv(table: list[list[str]], encoding: str, delimiter: str) -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(table)
    return text.getvalue().encode(encoding, errors="replace")


def _xlsx(table: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook()
    for row in table:  # what Excel itself cannot store, openpyxl refuses to write
        workbook.active.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def uploads(draw) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "damaged", "noise"]))
    table = draw(rows())
    if kind == "csv":
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"]))
        return _csv(table, encoding, draw(st.sampled_from([",", "\t", ";"]))), "list.csv"
    if kind == "xlsx":
        return _xlsx(table), "list.xlsx"
    if kind == "damaged":
        # Where to damage is drawn as a share of the length: an XLSX's length varies with its timestamp.
        data = bytearray(draw(st.sampled_from([_xlsx(table), _csv(table, "utf-8", ",")])))
        for _ in range(draw(st.integers(1, 4))):
            position = int(draw(st.floats(0, 1, exclude_max=True)) * len(data))
            data[position:position + 1] = bytes([draw(st.integers(0, 255))])
        cut = int(len(data) * draw(st.floats(0.5, 1)))
        return bytes(data[:cut]), draw(st.sampled_from(["list.xlsx", "list.csv", None]))
    return draw(st.binary(max_size=400)), draw(st.sampled_from(["list.csv", "x.xlsx", None]))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A serving app on SQLite and one on PostgreSQL, kept across the generated examples."""
    apps = []
    for url in (f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'db.sqlite3'}", fresh_postgres()):
        app = create_app({"DATABASE_URL": url, "LOAD_SAMPLE": False, "INDEX_POLL_SECONDS": 0,
                          "ACCESS_LOG": False})
        lifecycle.start_serving(app.extensions["navplugin"])
        apps.append(app.extensions["navplugin"])
    yield apps
    for service in apps:
        lifecycle.stop(service)


def _verdict(service, data: bytes, name: str | None) -> dict:
    before = service.repository.live_version()
    try:
        submission, status = service.import_list(data, name, skip_invalid=True, uploaded_by="fuzz")
    except NavpluginError as error:
        outcome = {"status": error.status, "problem": error.problem()}
        outcome["problem"].pop("upload", None)
    else:
        outcome = {"status": str(status), "report": submission.report}
        if status == "failed":  # no row could be placed: the list's fault, said as such
            outcome["failure"] = str(service.uploads.get(submission.upload_id).failure)
    live = service.repository.live_version()
    if outcome["status"] == "done":
        placed = service.uploads.get(submission.upload_id)
        stores = service.repository.load_stores(live)
        assert placed.version == live and len(stores) == placed.done  # the whole list, no part of it
        outcome["stores"] = sorted((s.id, s.name) for s in stores)
    else:
        assert live == before  # refused or failed: the live version is the one before
    return outcome


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(upload=uploads())
def test_any_upload_gets_the_same_clear_verdict_on_both_databases(both, upload):
    data, name = upload
    sqlite, postgres = (_verdict(service, data, name) for service in both)
    assert sqlite == postgres
    assert sqlite["status"] in ("done", "failed", 413, 415, 422), sqlite
    assert sqlite.get("failure") in (None, "rows")
