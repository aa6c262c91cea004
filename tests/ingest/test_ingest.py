"""ingest(): the same list in every format, the report shape, whole-file failures, round trips."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from navplugin.addresses import clean_text, normalize_address
from navplugin.errors import InvalidUpload
from navplugin.ingest import IngestResult, ingest
from navplugin.model import Point, ShopRow


def _all_formats(sample, make_csv, make_xlsx) -> dict[str, bytes]:
    rows = sample()
    return {
        "utf-8": make_csv(rows, "utf-8"),
        "utf-8-sig": make_csv(rows, "utf-8-sig"),
        "cp949": make_csv(rows, "cp949"),
        "xlsx": make_xlsx(rows, merge=["A1:M1", "A2:M2"]),
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "xlsx"])
def test_same_list_in_every_format_gives_identical_rows(encoding, sample, make_csv, make_xlsx, sample_rows):
    data = _all_formats(sample, make_csv, make_xlsx)[encoding]

    result = ingest(data, f"백년가게.{'xlsx' if encoding == 'xlsx' else 'csv'}")

    assert result.encoding == encoding
    assert result.rows == sample_rows
    assert result.problems == ()
    assert result.total_rows == 6
    assert not result.has_errors


def test_the_formats_agree_with_each_other_and_with_a_hand_written_row(sample, make_csv, make_xlsx):
    results = {name: ingest(data) for name, data in _all_formats(sample, make_csv, make_xlsx).items()}

    assert all(r.rows == results["utf-8"].rows for r in results.values())
    first = results["cp949"].rows[0]
    # No mojibake: the CP949 bytes decode to the same Hangul that was written.
    assert first.name == "이문설농탕"
    assert first.address == "서울특별시 종로구 우정국로 38-13 (견지동)"
    assert first.region == "서울특별시 종로구"
    assert first.line == 5
    assert results["xlsx"].rows[1].point == Point(lon=126.9857, lat=37.5737)
    assert results["xlsx"].rows[0].extra == {"번호": "1", "대표자": "전성근"}  # 1 -> "1", not "1.0"


def test_report_is_json_ready_and_counts_rows(make_csv):
    data = make_csv([
        ("업체명", "주소", "선정연도", "위도", "경도"),
        ("이문설농탕", "서울특별시 종로구 우정국로 38-13", "2018", "", ""),
        ("", "서울특별시 중구 명동9길 12", "2019", "", ""),
        ("미진", "서울특별시 종로구 종로 19", "2019", "126.9785", "37.5703"),
    ])

    report = ingest(data).report()

    assert json.loads(json.dumps(report, ensure_ascii=False)) == report
    assert report == {
        "total_rows": 3,
        "valid_rows": 2,
        "invalid_rows": 1,
        "errors": 1,
        "warnings": 1,
        "encoding": "utf-8",
        "columns": {"업체명": "name", "주소": "address", "선정연도": "certified_year", "위도": "lat", "경도": "lon"},
        "problems": [
            {"line": 3, "column": "업체명", "value": None, "problem": "name is required", "severity": "error"},
            {"line": 4, "column": "위도", "value": "126.9785",
             "problem": "latitude and longitude swapped; swapped back", "severity": "warning"},
        ],
    }


def test_result_properties():
    result = IngestResult(rows=(), problems=(), total_rows=0, columns={}, encoding="utf-8")
    assert result.invalid_lines == frozenset()
    assert result.has_errors is False


def test_blank_rows_are_not_counted(make_csv):
    data = make_csv([
        ("업체명", "주소"),
        ("이문설농탕", "서울특별시 종로구 우정국로 38-13"),
        (),
        ("", ""),
        ("미진", "서울특별시 종로구 종로 19"),
    ])

    result = ingest(data)

    assert result.total_rows == 2
    assert [r.line for r in result.rows] == [2, 5]


def test_repeated_header_rows_are_skipped_with_a_warning(make_csv):
    header = ("업체명", "주소")
    data = make_csv([header, ("이문설농탕", "서울 종로구 우정국로 38-13"), header, ("미진", "서울 종로구 종로 19")])

    result = ingest(data)

    assert [r.name for r in result.rows] == ["이문설농탕", "미진"]
    assert result.total_rows == 2
    assert [(p.line, p.problem, p.severity) for p in result.problems] == [
        (3, "repeated header row skipped", "warning")
    ]


def _rejected(data: bytes) -> dict:
    with pytest.raises(InvalidUpload) as caught:
        ingest(data)
    assert caught.value.status == 422
    report = caught.value.extra["report"]
    assert report["valid_rows"] == 0
    assert all(p["line"] == 0 and p["severity"] == "error" for p in report["problems"])
    return report


def test_no_recognisable_header_is_422_with_a_report(make_csv):
    data = make_csv([("2023년 백년가게 선정 현황",), ("가", "나", "다"), ("라", "마", "바")])

    report = _rejected(data)

    assert report["problems"][0]["problem"].startswith("no header row found in the first 20 rows")
    assert report["encoding"] == "utf-8"


def test_header_below_the_scanned_rows_is_not_found(make_csv):
    rows = [(f"안내 {i}", "") for i in range(25)] + [("업체명", "주소"), ("미진", "서울 종로구 종로 19")]
    _rejected(make_csv(rows))


def test_no_name_column_is_422_naming_the_aliases(make_csv):
    data = make_csv([("업종", "주소", "선정연도"), ("음식점업", "서울 종로구 종로 19", "2019")])

    report = _rejected(data)

    assert report["problems"][0]["problem"] == "no name column; expected one of 업체명, 상호, 상호명, 가게명, 업소명, 점포명, name"
    assert report["columns"] == {"업종": "category", "주소": "address", "선정연도": "certified_year"}


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\xef\xbb\xbf\r\n", "\ufeff".encode("utf-16")])
def test_empty_file_is_422(data):
    assert _rejected(data)["problems"][0]["problem"] == "the file is empty"


def test_row_limit_names_the_limit(make_csv):
    rows = [("업체명", "주소")] + [(f"가게{i}", f"서울 종로구 종로 {i}") for i in range(11)]

    assert ingest(make_csv(rows), max_rows=11).total_rows == 11
    with pytest.raises(InvalidUpload) as caught:
        ingest(make_csv(rows), max_rows=10)
    assert "limit is 10 rows" in caught.value.detail
    assert caught.value.extra["report"]["problems"][0]["problem"] == (
        "more than 10 data rows; the limit is 10 rows per upload"
    )


# --- property: valid rows survive CSV in every encoding (and XLSX) --------------------------

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
SPACES_AND_BREAKS = st.sampled_from(" \t\r\n")
TEXT = st.text(st.one_of(HANGUL, HANGUL, ASCII, SPACES_AND_BREAKS), max_size=20)
NAME = st.text(st.one_of(HANGUL, ASCII, SPACES_AND_BREAKS), min_size=1, max_size=20).filter(
    lambda s: clean_text(s) != ""
)
SIDO = st.sampled_from(["서울특별시", "부산광역시", "제주특별자치도"])
SIGUNGU = st.sampled_from(["종로구", "중구", "제주시", ""])
LINE_BREAK = re.compile(r"\r\n|\r|\n")
PROP_HEADER = ("업체명", "업종", "시도", "시군구", "주소", "전화번호", "선정연도", "창업연도", "위도", "경도", "비고")


@st.composite
def shop(draw):
    certified = draw(st.integers(2018, 2025))
    founded = draw(st.none() | st.integers(1800, certified))
    coords = draw(st.none() | st.tuples(
        st.floats(33.0, 38.7).map(lambda v: round(v, 6)),
        st.floats(124.5, 132.0).map(lambda v: round(v, 6)),
    ))
    address = draw(st.none() | st.builds(lambda sido, rest: f"{sido} {rest}", SIDO, TEXT))
    if address is None and coords is None:
        address = draw(SIDO)
    phone = draw(st.none() | st.from_regex(r"0[1-6][0-9]?-[0-9]{3,4}-[0-9]{4}", fullmatch=True))
    return {
        "업체명": draw(NAME), "업종": draw(st.none() | TEXT), "시도": draw(SIDO), "시군구": draw(SIGUNGU),
        "주소": address, "전화번호": phone, "선정연도": certified, "창업연도": founded,
        "위도": coords[0] if coords else None, "경도": coords[1] if coords else None,
        "비고": draw(st.none() | TEXT),
    }


def _identity(shop: dict) -> tuple[str, str]:
    return clean_text(shop["업체명"]).casefold(), normalize_address(shop["주소"] or "")


def _expected(shop: dict, line: int) -> ShopRow:
    def text(value):
        return clean_text(value) or None if value is not None else None

    name, address = clean_text(shop["업체명"]), text(shop["주소"])
    key = name.casefold() + "|" + normalize_address(address or "")
    region = " ".join(p for p in (shop["시도"], shop["시군구"]) if p)
    return ShopRow(
        line=line,
        id="bg-" + hashlib.sha1(key.encode()).hexdigest()[:16],
        name=name,
        category=text(shop["업종"]),
        address=address,
        phone=shop["전화번호"],
        certified_year=shop["선정연도"],
        founded_year=shop["창업연도"],
        region=region,
        point=Point(lon=shop["경도"], lat=shop["위도"]) if shop["위도"] is not None else None,
        extra={"비고": text(shop["비고"])} if text(shop["비고"]) else {},
    )


def _write_csv(shops: list[dict], encoding: str, delimiter: str) -> tuple[bytes, list[int]]:
    """The CSV bytes and the physical line each shop starts on (cells may hold line breaks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(PROP_HEADER)
    lines = []
    for shop in shops:
        # A reader counts \r\n, \r and \n as one line break each, also inside quoted cells.
        lines.append(len(LINE_BREAK.findall(buffer.getvalue())) + 1)
        writer.writerow(["" if shop[h] is None else shop[h] for h in PROP_HEADER])
    return buffer.getvalue().encode(encoding), lines


def _write_xlsx(shops: list[dict]) -> tuple[bytes, list[int]]:
    workbook = Workbook()
    sheet = workbook.active
    for row, values in enumerate([PROP_HEADER, *([s[h] for h in PROP_HEADER] for s in shops)], start=1):
        for column, value in enumerate(values, start=1):
            if value is not None and value != "":
                cell = sheet.cell(row=row, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # a name starting with "=" is text, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), list(range(2, len(shops) + 2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shops=st.lists(shop(), min_size=1, max_size=8, unique_by=_identity),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp949", "xlsx"]),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
def test_valid_rows_round_trip_through_every_encoding(shops, encoding, delimiter):
    if encoding == "xlsx":
        data, lines = _write_xlsx(shops)
    else:
        data, lines = _write_csv(shops, encoding, delimiter)

    result = ingest(data)

    assert result.problems == ()
    assert result.rows == tuple(_expected(s, line) for s, line in zip(shops, lines))


def test_row_limit_is_not_dodged_by_repeated_headers(make_csv, make_xlsx):
    header = ("업체명", "주소")
    rows = [header]
    for page in range(30):  # a header printed on every page, three shops per page
        rows += [(f"가게{page}-{i}", f"서울 종로구 종로 {i}") for i in range(3)] + [header]

    assert ingest(make_csv(rows)).total_rows == 90
    # Repeated headers count towards what is read, so a file is never silently cut short.
    for data in (make_csv(rows), make_xlsx(rows)):
        with pytest.raises(InvalidUpload, match="limit is 89 rows"):
            ingest(data, max_rows=89)


def test_data_go_kr_layouts_are_read():
    """The open-data file (연번, 업체명, 업체주소, 연락처) and the API layout with split addresses."""
    file_layout = "연번,업체명,업체주소,연락처\n1,을지면옥,서울특별시 중구 충무로14길 2-1,02-2266-7052\n"
    row = ingest(file_layout.encode("cp949"), "list.csv").rows[0]
    assert (row.name, row.address, row.phone) == ("을지면옥", "서울특별시 중구 충무로14길 2-1", "02-2266-7052")
    assert row.extra == {"연번": "1"}
    api_layout = (
        "연번,시도,시군구,업체명,주요사업,기본주소,상세주소,연락처\n"
        "7,서울특별시,종로구,이문설농탕,음식점업,서울특별시 종로구 우정국로 38-13,1층,02-733-6526\n"
    )
    row = ingest(api_layout.encode("utf-8"), "api.csv").rows[0]
    assert row.category == "음식점업"
    assert row.address == "서울특별시 종로구 우정국로 38-13 1층"
    assert row.region == "서울특별시 종로구"


def test_sample_list_reads_whole():
    from navplugin.config import REPO_DIR

    sample = REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"
    result = ingest(sample.read_bytes(), sample.name)
    assert result.total_rows == 905 and len(result.rows) == 905
    assert result.columns["접수번호"] == "id" and result.columns["주소"] == "address"
    assert result.rows[0].id == "20240059799"
