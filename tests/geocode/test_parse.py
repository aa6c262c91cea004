"""Address text -> district: expected codes are taken from the official 법정동 code table
(법정동코드_전체자료, 2026-03-01), never from the parser's own output."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.gazetteer import load_gazetteer
from navplugin.geocode.parse import ParsedAddress, parse_address
from navplugin.model import Region

# (address, level, code) — codes from the table, trimmed to 2/5/8 digits.
CASES = [
    # road addresses with the 법정동 in the 참고항목
    ("서울특별시 종로구 인사동길 12 (관훈동)", "emd", "11110128"),
    ("서울특별시 종로구 인사동길 44 (관훈동, 쌈지길)", "emd", "11110128"),
    ("경기도 수원시 팔달구 정조로 800 (남창동)", "emd", "41115123"),
    ("세종특별자치시 한누리대로 2130 (보람동)", "emd", "36110103"),
    ("제주특별자치도 제주시 관덕로 1 (삼도이동)", "emd", "50110106"),
    # 참고항목 as lists write them: nested or left open, 가 apart from its 동 or without it, lot numbers
    ("서울특별시 금천구 시흥대로63길 20(시흥동, 외 2필지(7,9)", "emd", "11545103"),
    ("전라남도 순천시 상사호길 120(덕월동, 외 1필지 가동, 나동(1층))", "emd", "46150127"),
    ("전라북도 전주시 완산구 전주객사3길 11(중앙동 1가)", "emd", "52111101"),
    ("전라북도 전주시 완산구 우전2길 6(효자2가)", "emd", "52111141"),
    ("경기도 시흥시 비둘기공원로 21(대야동 201,202,203)", "emd", "41390101"),
    ("경상북도 영주시 대학로 16(휴천로)", "sigungu", "47210"),  # a road, not a 동
    # detail after the number (floor, unit) changes nothing
    ("서울특별시 중구 세종대로 110 (태평로1가), 3층 301호", "emd", "11140103"),
    ("서울특별시 중구 세종대로 110 3층", "sigungu", "11140"),
    ("인천광역시 남구 인하로 100 2층 201호", "sigungu", "28177"),
    # parcel addresses, 동 with numbers
    ("서울 중구 을지로3가 123-4", "emd", "11140155"),
    ("서울특별시 중구 신당동 12-3", "emd", "11140162"),
    ("서울특별시 종로구 종로1가 24", "emd", "11110126"),
    ("전라북도 전주시 완산구 풍남동3가 1", "emd", "52111110"),
    # old and new 시도 names and codes (강원 42 -> 51, 전북 45 -> 52)
    ("강원도 춘천시 중앙로 1", "sigungu", "51110"),
    ("강원특별자치도 춘천시 효자동 123", "emd", "51110112"),
    ("강원 원주시 문막읍 123", "emd", "51130250"),
    ("전북특별자치도 전주시 완산구 전주객사3길 1", "sigungu", "52111"),
    # 인천 남구 -> 미추홀구 (2018)
    ("인천광역시 남구 숭의동 123", "emd", "28177101"),
    ("인천 미추홀구 인하로 100", "sigungu", "28177"),
    # 부천 일반구 (2024 codes), written apart and together
    ("경기 부천시 원미구 심곡동 1", "emd", "41192102"),
    ("경기도 부천시원미구 중동 1", "emd", "41192108"),
    # 군위군 moved from 경북 to 대구 (2023)
    ("대구 군위군 군위읍 서부리 1", "emd", "27720250"),
    ("경상북도 군위군 군위읍 동부리 12", "emd", "27720250"),
    ("경상북도 군위군 군위로 1", "sigungu", "27720"),
    # 세종: no 시군구
    ("세종시 조치원읍 새내로 12", "emd", "36110250"),
    ("세종특별자치시 세종시 조치원읍 1", "emd", "36110250"),
    # 제주
    ("제주 서귀포시 중앙로 12", "sigungu", "50130"),
    ("제주특별자치도 서귀포시 서귀동 1", "emd", "50130101"),
    # 시 with 일반구, 시 without 시도
    ("경기도 수원시 중부대로 1", "sigungu", "41110"),
    ("수원시 팔달구 정조로 800", "sigungu", "41115"),
    ("성남시분당구 정자동 1", "emd", "41135103"),
    ("경기도 고양시 덕양구 화중로 1", "sigungu", "41281"),
    # 읍/면 then 리; renamed and promoted 읍면 (가남면 -> 가남읍, 능서면 -> 세종대왕면)
    ("경기도 여주시 가남읍 태평중앙1길 5", "emd", "41670250"),
    ("경기도 여주군 가남면 태평리 1", "emd", "41670250"),
    ("경기도 여주군 능서면 1", "emd", "41670345"),
    ("경기도 용인시 처인구 양지면 양지리 1", "emd", "41461262"),
    # 청원군 -> 청주시 (2014): the 읍 tells which 구 today
    ("충청북도 청원군 오창읍 각리 1", "emd", "43114253"),
    ("충청북도 청원군 남일면 1", "emd", "43111340"),
    ("충청북도 청원군 청원구로 1", "sigungu", "43110"),
    ("충청북도 청주시 상당구 상당로 1", "sigungu", "43111"),
    # 중구 alone is ambiguous, but 을지로3가 exists in only one 중구
    ("중구 을지로3가 12", "emd", "11140155"),
    ("서울 을지로3가 1", "emd", "11140155"),
    # 행정동 (KIKmix): one 법정동, or only the 시군구 when it spans several
    ("서울특별시 강남구 역삼1동 1", "emd", "11680101"),
    ("서울 종로구 종로1.2.3.4가동 1", "sigungu", "11110"),
    # 경기 광주시 vs 광주광역시
    ("경기 광주시 경안동 1", "emd", "41610101"),
    ("광주시 동구 충장로 1", "sigungu", "29110"),
    ("광주광역시 광산구 1", "sigungu", "29200"),
    # postal code and country in front
    ("대한민국 (우)03161 서울특별시 종로구 종로 1", "sigungu", "11110"),
    ("12345 부산광역시 해운대구 우동 1", "emd", "26350105"),
    # no more than a 시군구 or a 시도
    ("경상북도 울진군", "sigungu", "47930"),
    ("경기도", "sido", "41"),
    ("경기도 퇴계로 12", "sido", "41"),
]


@pytest.mark.parametrize(("address", "level", "code"), CASES, ids=[c[0] for c in CASES])
def test_address_names_expected_district(address: str, level: str, code: str) -> None:
    parsed = parse_address(address)
    assert parsed is not None
    assert (parsed.level, parsed.code) == (level, code)


@pytest.mark.parametrize(
    "address",
    [
        "중구 퇴계로 12",  # six 중구 in Korea, nothing to tell them apart
        "광주시 오포읍 1",  # 광주광역시 or 경기 광주시? 오포읍 no longer exists
        "퇴계로 12",
        "도쿄도 신주쿠구 1",
        "",
        "   ",
        "12345",
    ],
)
def test_ambiguous_or_foreign_text_names_nothing(address: str) -> None:
    assert parse_address(address) is None


def test_emd_named_twice_in_a_city_stops_at_the_city() -> None:
    # 능동 was split between 병점구 and 동탄구 in 2026
    parsed = parse_address("경기도 화성시 능동 1")
    assert parsed is not None and (parsed.level, parsed.code) == ("sigungu", "41590")


def test_result_carries_current_names_of_every_level() -> None:
    parsed = parse_address("인천광역시 남구 숭의동 123")
    assert parsed == ParsedAddress(level="emd", code="28177101", region=Region(
        sido="인천광역시", sido_code="28",
        sigungu="미추홀구", sigungu_code="28177", emd="숭의동", emd_code="28177101",
    ))
    assert parsed.name == "인천광역시 미추홀구 숭의동"
    assert parsed.region.as_dict()["sigungu"] == {"name": "미추홀구", "code": "28177"}


def test_old_sido_is_reported_by_its_current_name() -> None:
    parsed = parse_address("경상북도 군위군 군위읍 1")
    assert parsed is not None
    assert (parsed.region.sido, parsed.region.sido_code) == ("대구광역시", "27")
    parsed = parse_address("전라북도 전주시 완산구 풍남동3가 1")
    assert parsed is not None and parsed.name == "전북특별자치도 전주시 완산구 풍남동3가"


def test_sejong_has_no_sigungu() -> None:
    parsed = parse_address("세종특별자치시 조치원읍 1")
    assert parsed is not None
    assert (parsed.region.sigungu, parsed.region.sigungu_code, parsed.region.sido_code) == (None, None, "36")


def test_every_current_district_name_parses_to_its_own_code() -> None:
    gazetteer = load_gazetteer()
    wrong = [(e.name, parse_address(e.name)) for e in gazetteer.entries()]
    wrong = [(name, p and p.code) for name, p in wrong
             if p is None or p.code != gazetteer.get(p.code).code or p.name != name]
    assert wrong == []


def test_every_old_name_in_the_gazetteer_parses_to_its_successor() -> None:
    gazetteer = load_gazetteer()
    old = [e for e in gazetteer.entries(current_only=False) if not e.is_current]
    assert len(old) > 100
    wrong = [(e.name, e.current_code, getattr(parse_address(e.name), "code", None)) for e in old]
    assert [w for w in wrong if w[1] != w[2]] == []


_WORDS = st.sampled_from([
    "서울", "서울특별시", "경기도", "강원도", "전북", "인천", "광주시", "세종시", "제주",
    "중구", "남구", "수원시", "팔달구", "부천시원미구", "여주군", "청원군", "군위군",
    "을지로3가", "관훈동", "가남면", "오창읍", "역삼1동", "능동", "동탄구", "12", "산 3-1",
    "세종대로", "(관훈동)", "(역삼동, 래미안)", "2층", "101호", ",", "(", ")",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=6).map(" ".join) | st.text(max_size=40))
def test_any_text_gives_none_or_a_consistent_current_district(text: str) -> None:
    parsed = parse_address(text)
    if parsed is None:
        return
    entry = load_gazetteer().get(parsed.code)
    assert entry is not None and entry.is_current and entry.level == parsed.level
    assert len(parsed.code) == {"sido": 2, "sigungu": 5, "emd": 8}[parsed.level]
    region = parsed.region
    assert parsed.code.startswith(region.sido_code)
    if region.sigungu_code:
        assert parsed.code.startswith(region.sigungu_code)
    if region.emd_code:
        assert region.emd_code == parsed.code
