"""Row checks, the report line by line, duplicates and stable ids."""
from __future__ import annotations

import hashlib

import pytest

from navplugin.ingest import ingest, stable_id
from navplugin.ingest.validate import parse_coordinate, parse_year, this_year
from navplugin.model import Point

YEAR = this_year()
HEADER = ("업체명", "업종", "주소", "전화번호", "선정연도", "창업연도", "위도", "경도", "비고")


def _bad_file(make_csv) -> bytes:
    return make_csv([
        ("2023년 백년가게 선정 현황 (오류 포함)",),                                                  # 1
        HEADER,                                                                                    # 2
        ("이문설농탕", "음식점업", "서울특별시 종로구 우정국로 38-13 (견지동)", "02-733-6526", "2018", "1904", "", "", ""),  # 3
        ("", "음식점업", "서울특별시 중구 명동9길 12", "02-776-5656", "2019", "1939", "", "", ""),        # 4 no name
        ("우래옥", "음식점업", "", "02-2265-0151", "2019", "1946", "", "", ""),                          # 5 nowhere
        ("하동관", "음식점업", "서울특별시 중구 명동9길 12", "", "2019", "천구백삼십구년", "", "", ""),      # 6 bad year
        ("삼진어묵", "제조업", "부산광역시 영도구 태종로99번길 36", "", "2015", "1753", "", "", ""),        # 7 2x range
        ("신생식당", "음식점업", "서울특별시 마포구 양화로 1", "", "2019년", "2021.0", "", "", ""),        # 8 founded>cert
        ("도쿄식당", "음식점업", "", "", "2020", "1950", "35.6812", "139.7671", ""),                     # 9 Tokyo
        ("반쪽좌표", "음식점업", "서울특별시 종로구 종로 1", "", "2020", "1950", "37.57", "", ""),        # 10 lat only
        ("미진", "음식점업", "서울특별시 종로구 종로 19", "02-730-5648", "2019", "1954", "126.9785", "37.5703", ""),  # 11 swapped
        ("좌표오타", "음식점업", "서울특별시 종로구 종로 2", "", "2020", "1950", "37.5도", "126.98", ""),  # 12 NaN
        ("TM좌표", "음식점업", "", "", "2020", "1950", "451234.5", "198765.4", ""),                    # 13 projected
        ("통인가게", "소매업", "서울특별시 종로구 인사동길 32", "", "2019", "1924", "", "", "공예품\n2층"),  # 14-15
        ("이문설농탕", "음식점업", "서울 종로구 우정국로  38-13", "02-733-6526", "2018", "1904", "", "", ""),  # 16 dup of 3
        (),                                                                                        # 17 blank
        ("삼진어묵", "제조업", "부산광역시 영도구 태종로99번길 36", "", "2019", "1953", "", "", ""),        # 18 ok (7 was bad)
    ])


def test_every_kind_of_bad_row_is_reported_line_by_line(make_csv):
    result = ingest(_bad_file(make_csv))

    assert [(p.line, p.column, p.value, p.problem, p.severity) for p in result.problems] == [
        (4, "업체명", None, "name is required", "error"),
        (5, "주소", None, "address or coordinates required", "error"),
        (6, "창업연도", "천구백삼십구년", "not a year", "error"),
        (7, "선정연도", "2015", f"year must be between 2018 and {YEAR}", "error"),
        (7, "창업연도", "1753", f"year must be between 1800 and {YEAR}", "error"),
        (8, "창업연도", "2021.0", "founded year 2021 is after certified year 2019", "error"),
        (9, "경도", "139.7671", "longitude outside South Korea (124.5..132.0)", "error"),
        (10, "위도", "37.57", "latitude given without longitude", "error"),
        (11, "위도", "126.9785", "latitude and longitude swapped; swapped back", "warning"),
        (12, "위도", "37.5도", "not a number", "error"),
        (13, "위도", "451234.5", "not in degrees (looks like projected metres such as TM or UTM-K; "
                                 "WGS84 latitude/longitude required)", "error"),
        (13, "경도", "198765.4", "not in degrees (looks like projected metres such as TM or UTM-K; "
                                 "WGS84 latitude/longitude required)", "error"),
        (16, "업체명", "이문설농탕", "duplicate of line 3", "error"),
    ]
    assert [r.line for r in result.rows] == [3, 11, 14, 18]
    assert result.invalid_lines == frozenset({4, 5, 6, 7, 8, 9, 10, 12, 13, 16})
    assert result.total_rows == 14  # lines 3-13, 14 (two lines), 16, 18; the blank line 17 is not a row
    report = result.report()
    assert (report["valid_rows"], report["invalid_rows"], report["errors"], report["warnings"]) == (4, 10, 12, 1)


def test_swapped_coordinates_are_swapped_in_the_row(make_csv):
    rows = {r.line: r for r in ingest(_bad_file(make_csv)).rows}

    assert rows[11].point == Point(lon=126.9785, lat=37.5703)
    assert rows[14].extra == {"비고": "공예품 2층"}
    assert (rows[18].name, rows[18].certified_year) == ("삼진어묵", 2019)


@pytest.mark.parametrize("text, year", [
    ("2019", 2019), ("2019.0", 2019), ("2019년", 2019), ("2019 년도", 2019), ("2019-05-01", 2019),
    ("2019. 5. 1.", 2019), ("2019.05.01", 2019), ("2019-05-01T09:30:00", 2019), (" 2019 ", 2019),
    ("19", 19), ("이천십구", None), ("2019.5", None), ("2019~2020", None), ("", None), ("MMXIX", None),
])
def test_years_written_in_common_ways(text, year):
    assert parse_year(text) == year


def test_founded_and_certified_years_at_their_limits(make_csv):
    def problems(certified: str, founded: str) -> list[str]:
        data = make_csv([("업체명", "주소", "선정연도", "창업연도"), ("가게", "서울 종로구 종로 1", certified, founded)])
        return [p.problem for p in ingest(data).problems]

    assert problems("2018", "1800") == []
    assert problems(str(YEAR), str(YEAR)) == []
    assert problems("2017", "1900") == [f"year must be between 2018 and {YEAR}"]
    assert problems(str(YEAR + 1), "1799") == [
        f"year must be between 2018 and {YEAR}", f"year must be between 1800 and {YEAR}",
    ]
    assert problems("2018", "2018") == []
    assert problems("2018", "2019") == ["founded year 2019 is after certified year 2018"]


@pytest.mark.parametrize("lat, lon, point", [
    ("33.2465", "126.5651", Point(126.5651, 33.2465)),   # 서귀포
    ("37.4842", "130.9057", Point(130.9057, 37.4842)),   # 울릉도
    ("37.2411", "131.8667", Point(131.8667, 37.2411)),   # 독도
    ("37.9706", "124.6301", Point(124.6301, 37.9706)),   # 백령도
    ("38.2", "128.5", Point(128.5, 38.2)),               # 고성
    ("131.8667", "37.2411", Point(131.8667, 37.2411)),   # 독도, swapped back
    ("+37.57°", "126.98°", Point(126.98, 37.57)),
])
def test_coordinates_anywhere_in_south_korea_are_kept(make_csv, lat, lon, point):
    data = make_csv([("업체명", "위도", "경도"), ("가게", lat, lon)])
    assert ingest(data).rows[0].point == point


@pytest.mark.parametrize("lat, lon, column, problem", [
    ("39.0392", "125.7625", "위도", "latitude outside South Korea (33.0..38.7)"),      # 평양
    ("32.9", "126.5", "위도", "latitude outside South Korea (33.0..38.7)"),
    ("37.5", "132.1", "경도", "longitude outside South Korea (124.5..132.0)"),
    ("0", "0", "위도", "latitude outside South Korea (33.0..38.7)"),
    ("nan", "126.9", "위도", "not a number"),
    ("37.5", "1e2", "경도", "not a number"),
    ("", "126.9", "경도", "longitude given without latitude"),
])
def test_coordinates_outside_south_korea_are_errors(make_csv, lat, lon, column, problem):
    data = make_csv([("업체명", "주소", "위도", "경도"), ("가게", "서울 종로구 종로 1", lat, lon)])

    result = ingest(data)

    assert result.rows == ()
    assert (result.problems[0].column, result.problems[0].problem) == (column, problem)


def test_parse_coordinate():
    assert parse_coordinate("37.5") == 37.5
    assert parse_coordinate("-.5") == -0.5
    assert parse_coordinate("1_0") is None
    assert parse_coordinate("inf") is None


# --- stable ids -------------------------------------------------------------------


def test_generated_id_follows_the_documented_rule():
    key = "이문설농탕|서울특별시 종로구 우정국로 38-13"
    assert stable_id("이문설농탕", "서울특별시 종로구 우정국로 38-13 (견지동)") == (
        "bg-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    )


@pytest.mark.parametrize("name, address", [
    ("이문설농탕", "서울특별시 종로구 우정국로 38-13 (견지동)"),
    ("이문설농탕", "서울 종로구 우정국로 38-13"),
    ("  이문설농탕 ", "서울시  종로구   우정국로 38-13 (견지동, 1층)"),
    ("이문설농탕", "서울특별시 종로구 우정국로 38-13(견지동)"),
    ("\u110b\u1175\u1106\u116e\u11ab설농탕", "서울특별시 종로구 우정국로 38-13"),  # NFD 이문
])
def test_stable_id_is_unchanged_across_spelling_variants(name, address):
    assert stable_id(name, address) == stable_id("이문설농탕", "서울특별시 종로구 우정국로 38-13")


def test_stable_id_tells_shops_apart():
    base = stable_id("이문설농탕", "서울특별시 종로구 우정국로 38-13")
    assert stable_id("이문설렁탕", "서울특별시 종로구 우정국로 38-13") != base
    assert stable_id("이문설농탕", "서울특별시 종로구 우정국로 38-15") != base
    assert stable_id("Cafe", "서울 종로구 종로 1") == stable_id("CAFE", "서울 종로구 종로 1")


def test_next_years_list_gives_the_same_ids(make_csv):
    this_list = make_csv([("업체명", "주소"), ("이문설농탕", "서울특별시 종로구 우정국로 38-13 (견지동)")])
    next_list = make_csv([
        ("2024년 백년가게",), ("상호", "소재지"), ("이문설농탕", "서울  종로구 우정국로 38-13 (견지동, 1층)"),
    ], "cp949")

    assert ingest(this_list).rows[0].id == ingest(next_list).rows[0].id


def test_jibun_address_is_used_when_there_is_no_road_address(make_csv):
    data = make_csv([("업체명", "지번주소"), ("미진", "서울특별시 종로구 청진동 100")])
    assert ingest(data).rows[0].id == stable_id("미진", "서울 종로구 청진동 100")


def test_id_column_is_used_verbatim_and_duplicates_are_by_id(make_csv):
    data = make_csv([
        ("관리번호", "업체명", "주소"),
        ("  S-2019-001 ", "미진", "서울 종로구 종로 19"),
        ("S-2019-002", "미진", "서울 종로구 종로 19"),   # same shop text, different id: two shops
        ("S-2019-001", "다른가게", "서울 중구 명동 1"),   # same id: duplicate
        ("", "하동관", "서울 중구 명동9길 12"),
    ])

    result = ingest(data)

    assert [r.id for r in result.rows] == ["S-2019-001", "S-2019-002", stable_id("하동관", "서울 중구 명동9길 12")]
    assert [(p.line, p.column, p.value, p.problem, p.severity) for p in result.problems] == [
        (4, "관리번호", "S-2019-001", "duplicate of line 2", "error"),
        (5, "관리번호", None, "id is empty; generated from name and address", "warning"),
    ]


def test_a_valid_row_is_not_rejected_as_duplicate_of_a_broken_one(make_csv):
    data = make_csv([
        ("업체명", "주소", "선정연도"),
        ("미진", "서울 종로구 종로 19", "2000"),
        ("미진", "서울 종로구 종로 19", "2019"),
        ("미진", "서울특별시 종로구 종로 19", "2019"),
    ])

    result = ingest(data)

    assert [r.line for r in result.rows] == [3]
    assert [(p.line, p.problem) for p in result.problems] == [
        (2, f"year must be between 2018 and {YEAR}"), (4, "duplicate of line 3"),
    ]


def test_ids_and_phones_longer_than_their_columns_are_errors(make_csv):
    data = make_csv([
        ("관리번호", "업체명", "주소", "전화번호"),
        ("A" * 65, "긴 번호 가게", "서울특별시 종로구 종로 1", "02-1"),
        ("A-2", "긴 전화 가게", "서울특별시 종로구 종로 2", "0" * 65),
        ("A" * 64, "딱 맞는 가게", "서울특별시 종로구 종로 3", "0" * 64),
    ])
    result = ingest(data)
    problems = [(p.line, p.column, p.problem) for p in result.problems if p.severity == "error"]
    assert problems == [(2, "관리번호", "longer than 64 characters"), (3, "전화번호", "longer than 64 characters")]
    assert [row.name for row in result.rows] == ["딱 맞는 가게"]
