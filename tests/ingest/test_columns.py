"""Korean column names -> fields through the one alias table, and finding the header row."""
from __future__ import annotations

import pytest

from navplugin.ingest import FIELD_ALIASES, ingest
from navplugin.ingest.columns import field_for, find_header, map_columns


def test_every_alias_maps_back_to_its_field_and_to_one_field_only():
    seen: dict[str, str] = {}
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            assert field_for(alias) == name
            assert seen.setdefault(alias.casefold(), name) == name


@pytest.mark.parametrize("header, field", [
    ("업 체 명", "name"),
    ("업체명\n", "name"),
    ("  상호 ", "name"),
    ("상호\r\n명", "name"),
    ("\u110b\u1165\u11b8\u110e\u1166\u1106\u1167\u11bc", "name"),  # 업체명 in decomposed jamo (NFD)
    ("업체명(상호)", "name"),
    ("업체명*", "name"),
    ("LATITUDE", "lat"),
    ("Lng", "lon"),
    ("X", "lon"),
    ("Store_ID", "id"),
    ("업체ID", "id"),
    ("소재지\n도로명주소", "address"),
    ("주소(도로명)", "address"),
    ("주소(지번)", "jibun_address"),
    ("소재지 지번주소", "jibun_address"),
    ("선정 년도", "certified_year"),
    ("창업년도", "founded_year"),
    ("대표전화", "phone"),
    ("시군구", "region"),
    ("대표자", None),
    ("번호", None),
    ("비고", None),
    (None, None),
])
def test_headers_are_matched_after_normalising(header, field):
    assert field_for(header) == field


ALIAS_VARIANTS = [
    ("업체명", "업종", "주소", "지번주소", "전화번호", "선정연도", "창업연도", "지역", "위도", "경도", "관리번호"),
    ("상호", "업태", "소재지", "소재지지번주소", "연락처", "선정년도", "창업년도", "시도", "lat", "lon", "id"),
    ("상호명", "업종명", "도로명주소", "지번 주소", "대표전화", "지정연도", "설립연도", "지역", "Latitude", "Longitude", "store_id"),
    ("가게명", "업종", "사업장주소", "지번주소", "전화번호", "선정연도", "창업연도", "지역", "y", "x", "고유번호"),
    ("업소명", "업종", "소재지도로명주소", "지번주소", "전화번호", "선정연도", "창업연도", "지역", "Y", "X", "업체ID"),
]


@pytest.mark.parametrize("header", ALIAS_VARIANTS, ids=lambda h: h[0])
def test_alias_variants_of_a_header_read_the_same_row(make_csv, header):
    data = make_csv([
        header,
        ("우진해장국", "음식점업", "제주특별자치도 제주시 서사로 11", "제주특별자치도 제주시 삼도이동 831",
         "064-757-3393", "2021", "1980", "제주특별자치도", "33.5115", "126.52", "JJ-0001"),
    ], "cp949")

    result = ingest(data)

    assert result.problems == ()
    [row] = result.rows
    assert (row.id, row.name, row.category, row.phone) == ("JJ-0001", "우진해장국", "음식점업", "064-757-3393")
    assert (row.address, row.jibun_address) == ("제주특별자치도 제주시 서사로 11", "제주특별자치도 제주시 삼도이동 831")
    assert (row.certified_year, row.founded_year, row.region) == (2021, 1980, "제주특별자치도")
    assert (row.point.lat, row.point.lon) == (33.5115, 126.52)
    assert row.extra == {}
    assert sorted(result.columns.values()) == sorted([
        "name", "category", "address", "jibun_address", "phone", "certified_year",
        "founded_year", "region", "lat", "lon", "id",
    ])


def test_unknown_columns_are_kept_as_extra_under_their_header(make_csv):
    data = make_csv([
        ("번호", "업체명", "대표자", "주소", "비고", "홈페이지"),
        ("1", "이문설농탕", "전성근", "서울특별시 종로구 우정국로 38-13", "", "https://example.kr/imun"),
    ])

    result = ingest(data)

    assert result.rows[0].extra == {"번호": "1", "대표자": "전성근", "홈페이지": "https://example.kr/imun"}
    assert result.columns == {
        "번호": "번호", "업체명": "name", "대표자": "대표자", "주소": "address", "비고": "비고", "홈페이지": "홈페이지",
    }


def test_unnamed_and_repeated_headers_still_keep_their_cells(make_csv):
    data = make_csv([
        ("업체명", "주소", "비고", "비고", ""),
        ("미진", "서울 종로구 종로 19", "메밀", "1954년", "", "꼬리표"),
    ])

    result = ingest(data)

    assert result.rows[0].extra == {"비고": "메밀", "비고_2": "1954년", "column_6": "꼬리표"}
    assert list(result.columns) == ["업체명", "주소", "비고", "비고_2", "column_6"]


def test_si_do_and_si_gun_gu_are_joined(make_csv):
    data = make_csv([
        ("시도", "시군구", "업체명", "주소"),
        ("서울특별시", "종로구", "미진", "서울 종로구 종로 19"),
        ("부산광역시", "부산광역시 영도구", "삼진어묵", "부산광역시 영도구 태종로99번길 36"),
        ("세종특별자치시", "", "가게", "세종특별자치시 한누리대로 2130"),
    ])

    assert [r.region for r in ingest(data).rows] == ["서울특별시 종로구", "부산광역시 영도구", "세종특별자치시"]
    assert ingest(data).columns == {"시도": "region", "시군구": "region", "업체명": "name", "주소": "address"}


def test_a_second_column_for_the_same_field_is_extra_with_a_warning(make_csv):
    data = make_csv([
        ("업체명", "주소", "도로명주소"),
        ("미진", "서울 종로구 종로 19", "서울특별시 종로구 종로 19 (청진동)"),
    ])

    result = ingest(data)

    assert result.rows[0].address == "서울 종로구 종로 19"
    assert result.rows[0].extra == {"도로명주소": "서울특별시 종로구 종로 19 (청진동)"}
    assert [(p.line, p.column, p.problem, p.severity) for p in result.problems] == [
        (0, "도로명주소", "column also matches field 'address', already read from '주소'; kept as extra", "warning")
    ]


def test_half_a_coordinate_pair_of_columns_is_kept_as_extra(make_csv):
    data = make_csv([("업체명", "주소", "위도"), ("미진", "서울 종로구 종로 19", "37.5703")])

    result = ingest(data)

    assert result.rows[0].point is None
    assert result.rows[0].extra == {"위도": "37.5703"}
    assert [(p.column, p.problem) for p in result.problems] == [
        ("위도", "latitude column without a longitude column; kept as extra")
    ]


def test_header_is_found_below_title_and_blank_rows():
    rows = [
        ("2023년 백년가게 선정 현황", None, None),
        ("(단위: 개소)", None, None),
        ("번호", "상호", "소재지"),
        ("1", "미진", "서울 종로구 종로 19"),
    ]
    assert find_header(rows) == 2


def test_a_title_row_naming_one_field_is_not_a_header():
    assert find_header([("주소", None), ("가", "나")]) is None


def test_the_best_scoring_row_wins_over_an_earlier_partial_match():
    rows = [("지역", "업체 수"), ("업체명", "주소", "업종"), ("미진", "서울", "음식점업")]
    assert find_header(rows) == 1


def test_column_map_positions_follow_the_file():
    columns = map_columns(("번호", "업체명", "주소"))
    assert [columns.position(h) for h in ("번호", "업체명", "주소", None)] == [0, 1, 2, 3]
