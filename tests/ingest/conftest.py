"""Ministry-style shop lists built in memory, so no binary fixture is committed.

The builders are exposed as session fixtures (tests here have no package to
import helpers from under ``--import-mode=importlib``).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Sequence

import pytest
from openpyxl import Workbook

from navplugin.model import Point, ShopRow

TITLE = "2023년 백년가게 선정 현황"
NOTE = "(2023. 12. 31. 기준, 자료: 중소벤처기업부)"
HEADER = (
    "번호", "시도", "시군구", "업체명", "업종", "주소", "전화번호",
    "선정연도", "창업연도", "위도", "경도", "대표자", "비고",
)
# Typed values, as an XLSX holds them; the CSV writer turns them into text.
SHOPS: tuple[tuple[Any, ...], ...] = (
    (1, "서울특별시", "종로구", "이문설농탕", "음식점업", "서울특별시 종로구 우정국로 38-13 (견지동)",
     "02-733-6526", 2018, 1904, None, None, "전성근", None),
    (2, "서울특별시", "종로구", "통인가게", "소매업", "서울특별시 종로구 인사동길 32 (관훈동)",
     "02-733-4867", 2019, 1924, 37.5737, 126.9857, "김완규", "공예품"),
    (3, "부산광역시", "영도구", "삼진어묵", "제조업", "부산광역시 영도구 태종로99번길 36 (봉래동3가)",
     "051-412-5468", 2019, 1953, 35.0924, 129.0406, "박종수", None),
    (4, "제주특별자치도", "제주시", "우진해장국", "음식점업", "제주특별자치도 제주시 서사로 11 (삼도이동)",
     "064-757-3393", 2021, 1980, 33.5115, 126.52, None, "고사리육개장"),
    (5, "경상북도", "울릉군", "천금수산", "도소매업", "경상북도 울릉군 울릉읍 도동길 12",
     "054-791-2345", 2022, 1965, 37.4842, 130.9057, "정천금", None),
    (6, "대구광역시", "중구", "미도다방", "음식점업", "대구광역시 중구 진골목길 14, 2층",
     "053-252-9999", 2020, 1928, None, None, "정인숙", "'진골목' 명소"),
)
FIRST_DATA_LINE = 5  # title, note, blank line, header


def expected_rows() -> tuple[ShopRow, ...]:
    """The rows every encoding of the sample must produce, written out by hand."""
    from navplugin.ingest import stable_id

    rows = []
    for offset, shop in enumerate(SHOPS):
        (number, sido, sigungu, name, category, address, phone,
         certified, founded, lat, lon, owner, note) = shop
        extra = {"번호": str(number)}
        if owner:
            extra["대표자"] = owner
        if note:
            extra["비고"] = note
        rows.append(ShopRow(
            line=FIRST_DATA_LINE + offset,
            id=stable_id(name, address),
            name=name,
            category=category,
            address=address,
            phone=phone,
            certified_year=certified,
            founded_year=founded,
            region=f"{sido} {sigungu}",
            point=Point(lon=lon, lat=lat) if lat is not None else None,
            extra=extra,
        ))
    return tuple(rows)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    encoding: str = "utf-8",
    delimiter: str = ",",
    lineterminator: str = "\r\n",
) -> bytes:
    """Rows as a CSV file the way Excel or a script would save it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], merge: Sequence[str] = (), sheets_before: int = 0) -> bytes:
    """Rows in the first (or a later) worksheet of a workbook; empty rows stay empty."""
    workbook = Workbook()
    sheet = workbook.active
    for index in range(sheets_before):
        sheet.title = f"안내{index + 1}"
        sheet["A1"] = "이 통합 문서에는 백년가게 목록이 있습니다"
        sheet = workbook.create_sheet("목록")
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet.cell(row=row_number, column=column, value=value)
    for cell_range in merge:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ministry_rows() -> list[tuple[Any, ...]]:
    """Title row, note row, blank row, header, shops: how the ministry publishes."""
    return [(TITLE,), (NOTE,), (), HEADER, *SHOPS]


@pytest.fixture(scope="session")
def make_csv() -> Callable[..., bytes]:
    return csv_bytes


@pytest.fixture(scope="session")
def make_xlsx() -> Callable[..., bytes]:
    return xlsx_bytes


@pytest.fixture(scope="session")
def sample() -> Callable[[], list[tuple[Any, ...]]]:
    return ministry_rows


@pytest.fixture(scope="session")
def sample_rows() -> tuple[ShopRow, ...]:
    return expected_rows()


@pytest.fixture(scope="session")
def sample_header() -> tuple[str, ...]:
    return HEADER
