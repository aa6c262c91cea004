"""Ministry address -> geocoder query. Expected texts are written by hand from the
address rules (도로명 + 건물번호 or 동/리 + 지번, 시도 in its current name),
mostly on addresses of geodata/sample/certified_stores_2026.csv."""
from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from navplugin.addresses import normalize_address
from navplugin.geocode.normalize import GeocodeQuery, normalize_for_geocoding

# (address as a list writes it, expected text, expected kind)
CASES = [
    # from the sample list: 참고항목 and building names in parentheses
    ("서울특별시 은평구 증산로 303 (증산동, 태광아파트)", "서울특별시 은평구 증산로 303", "road"),
    ("경기도 군포시 번영로 508(금정동)", "경기도 군포시 번영로 508", "road"),
    ("경상북도 구미시 박정희로 320-5 (광평동)", "경상북도 구미시 박정희로 320-5", "road"),
    ("경상북도 고령군 성산면 성산로 946-5", "경상북도 고령군 성산면 성산로 946-5", "road"),
    ("경상남도 창원시 마산합포구 교방천남길 320(오동동)", "경상남도 창원시 마산합포구 교방천남길 320", "road"),
    ("경기도 안산시 단원구 선부광장1로 124 (선부동)", "경기도 안산시 단원구 선부광장1로 124", "road"),
    ("서울특별시 영등포구 63로 36(여의도동, 리버타워 지하1층 b105호)", "서울특별시 영등포구 63로 36", "road"),
    ("전라북도 전주시 완산구 전주객사3길 11(중앙동 1가)", "전북특별자치도 전주시 완산구 전주객사3길 11", "road"),
    ("서울특별시 금천구 시흥대로63길 20(시흥동, 외 2필지(7,9)", "서울특별시 금천구 시흥대로63길 20", "road"),
    ("대구광역시 수성구 들안로 9(상동, 405-2, 407-5)", "대구광역시 수성구 들안로 9", "road"),
    ("대구광역시 달성군 가창면 우록길 24(외2필지)", "대구광역시 달성군 가창면 우록길 24", "road"),
    ("경상북도 영주시 대학로 16(휴천로)", "경상북도 영주시 대학로 16", "road"),
    # road names split or glued by the typist ("번길" names have no spaces)
    ("충청북도 청주시 흥덕구 2순환로 1167번길 25(복대동)", "충청북도 청주시 흥덕구 2순환로1167번길 25", "road"),
    ("강원도 인제군 인제읍 인제로 188번길 1", "강원특별자치도 인제군 인제읍 인제로188번길 1", "road"),
    ("충청북도 충주시 동수 2길 35(연수동)", "충청북도 충주시 동수2길 35", "road"),
    ("충청북도 진천군 진천읍 중앙동 1길 2", "충청북도 진천군 진천읍 중앙동1길 2", "road"),
    ("서울특별시 종로구 인사동길12", "서울특별시 종로구 인사동길 12", "road"),
    # floors, units and stray punctuation after the number
    ("경기도 군포시 군포로534번길 16, 1층(당동)", "경기도 군포시 군포로534번길 16", "road"),
    ("경기도 의왕시 부곡시장길 17(삼동) 1층", "경기도 의왕시 부곡시장길 17", "road"),
    ("대구시 동구 신암남로 133. 1,2층", "대구광역시 동구 신암남로 133", "road"),
    ("서울특별시 영등포구 문래로 203, 1-3층(영등포동4가)", "서울특별시 영등포구 문래로 203", "road"),
    ("서울특별시 노원구 동일로 1550, 109호(상계동, 고려프라자)", "서울특별시 노원구 동일로 1550", "road"),
    ("서울특별시 서초구 방배로 268, 102호(방배동, 신삼호상가1층 2호)", "서울특별시 서초구 방배로 268", "road"),
    ("전라북도 전주시 완산구 바우배기1길 31-9 2층(효자동2가)", "전북특별자치도 전주시 완산구 바우배기1길 31-9", "road"),
    ("전라남도 순천시 팔마로 269, 나동(연향동)", "전라남도 순천시 팔마로 269", "road"),
    ("서울시 중랑구 공릉로 46, 1층(묵동)", "서울특별시 중랑구 공릉로 46", "road"),
    ("서울특별시 종로구 인사동길 12 지하1층", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 지1층", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 B1", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 1~2층", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 101동 201호", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 1층 101호", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 상가 1층", "서울특별시 종로구 인사동길 12", "road"),
    ("경기도 군포시 군포로534번길 16,1층", "경기도 군포시 군포로534번길 16", "road"),  # building 16, floor 1
    # phone numbers
    ("서울특별시 종로구 인사동길 12 (관훈동) 02-734-0000", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 0507-1234-5678", "서울특별시 종로구 인사동길 12", "road"),
    ("서울특별시 종로구 인사동길 12 TEL. 02-734-0000", "서울특별시 종로구 인사동길 12", "road"),
    # a 법정동 written before the road name is not part of a road address
    ("경상북도 구미시 남통동 금오산상가길 35-11", "경상북도 구미시 금오산상가길 35-11", "road"),
    # underground buildings keep 지하
    ("서울특별시 중구 세종대로 지하 2", "서울특별시 중구 세종대로 지하 2", "road"),
    # 지번 addresses, lot lists and 필지
    ("광주광역시 서구 농성동 641-28", "광주광역시 서구 농성동 641-28", "parcel"),
    ("경상남도 김해시 무계동 191-10", "경상남도 김해시 무계동 191-10", "parcel"),
    ("경남 마산시 오동동 23-19,23-27", "경상남도 창원시 마산합포구 오동동 23-19", "parcel"),
    ("서울 종로구 관훈동 155-2 외 3필지", "서울특별시 종로구 관훈동 155-2", "parcel"),
    ("서울 종로구 관훈동 155-2번지 2층", "서울특별시 종로구 관훈동 155-2", "parcel"),
    ("서울 종로구 부암동 산 2-1", "서울특별시 종로구 부암동 산2-1", "parcel"),
    ("서울 중구 을지로 3가 123-4", "서울특별시 중구 을지로3가 123-4", "parcel"),
    ("서울특별시 종로구 세종로 81-3", "서울특별시 종로구 세종로 81-3", "parcel"),  # 세종로 is a 법정동
    ("경기도 여주군 가남면 태평리 1", "경기도 여주시 가남면 태평리 1", "parcel"),
    ("전라북도 전주시 완산구 풍남동3가 1", "전북특별자치도 전주시 완산구 풍남동3가 1", "parcel"),
    # 시도 aliases and renames, old 시군구
    ("강원도 강릉시 토성로 156-2(임당동)", "강원특별자치도 강릉시 토성로 156-2", "road"),
    ("경남 통영시 광도면 죽림4로 23-37", "경상남도 통영시 광도면 죽림4로 23-37", "road"),
    ("제주도 서귀포시 대정읍 하모상가로 51", "제주특별자치도 서귀포시 대정읍 하모상가로 51", "road"),
    ("세종시 조치원읍 허만석로 13-5", "세종특별자치시 조치원읍 허만석로 13-5", "road"),
    ("세종특별자치시 세종시 조치원읍 문화로 24", "세종특별자치시 조치원읍 문화로 24", "road"),
    ("인천광역시 남구 인하로 100 2층 201호", "인천광역시 미추홀구 인하로 100", "road"),
    ("경상북도 군위군 효령면 치산효령로 2267-8", "대구광역시 군위군 효령면 치산효령로 2267-8", "road"),
    ("충청북도 청원군 오창읍 각리 1", "충청북도 청주시 청원구 오창읍 각리 1", "parcel"),
    ("광주시 동구 충장로 93-6(충장로1가)", "광주광역시 동구 충장로 93-6", "road"),
    ("경기 광주시 남한산성면 남한산성로780번길 35", "경기도 광주시 남한산성면 남한산성로780번길 35", "road"),
    ("광주시 경안동 1", "광주시 경안동 1", "parcel"),  # 경기 광주시 or 광주광역시? left as written
    ("경기도 부천시원미구 중동 1", "경기도 부천시 원미구 중동 1", "parcel"),
    ("수원시 팔달구 정조로 800", "경기도 수원시 팔달구 정조로 800", "road"),
    ("서울특별시종로구 인사동길 12", "서울특별시 종로구 인사동길 12", "road"),
    ("대한민국 (우)03161 서울특별시 종로구 종로 1", "서울특별시 종로구 종로 1", "road"),
    # no building or lot number: only the detail goes
    ("서울 중구 명동 1,2층 롯데", "서울특별시 중구 명동", "unknown"),
    ("부산 해운대구 해운대해변로", "부산광역시 해운대구 해운대해변로", "unknown"),
    ("경상북도 울진군", "경상북도 울진군", "unknown"),
]


@pytest.mark.parametrize(("address", "text", "kind"), CASES, ids=[c[0] for c in CASES])
def test_table(address: str, text: str, kind: str) -> None:
    query = normalize_for_geocoding(address)
    assert query is not None
    assert (query.text, query.kind) == (text, kind)
    assert query.key == " ".join(text.casefold().split())


def test_the_table_is_large_and_mostly_from_the_sample() -> None:
    assert len(CASES) >= 40
    assert sum(kind == "parcel" for _, _, kind in CASES) >= 8


@pytest.mark.parametrize(("address", "reference"), [
    ("서울특별시 종로구 인사동길 12 (관훈동)", "관훈동"),
    ("서울특별시 은평구 증산로 303 (증산동, 태광아파트)", "증산동"),
    ("전라북도 전주시 완산구 전주객사3길 11(중앙동 1가)", "중앙동1가"),
    ("서울특별시 금천구 시흥대로63길 20(시흥동, 외 2필지(7,9)", "시흥동"),
    ("강원도 동해시 일출로 151, 10호(묵호진동,삼양비취타워)", "묵호진동"),
    ("서울특별시 노원구 동일로 1550, 109호(상계동, 고려프라자)", "상계동"),
    ("경상북도 구미시 남통동 금오산상가길 35-11", "남통동"),  # taken from before the road
    ("충청남도 청양군 청양읍 중앙로5길 28(에코빌2차)", None),  # a building, not a 동
    ("경상북도 영주시 대학로 16(휴천로)", None),  # a road name landed in the brackets
    ("대구광역시 달성군 가창면 우록길 24(외2필지)", None),
    ("경상남도 고성군 고성읍 중앙로 1", None),
])
def test_reference(address: str, reference: str | None) -> None:
    query = normalize_for_geocoding(address)
    assert query is not None and query.reference == reference


SAME_PLACE = [
    ["서울특별시 은평구 증산로 303 (증산동, 태광아파트)", "서울 은평구 증산로 303",
     "서울시  은평구   증산로303, 1층", "서울특별시은평구 증산로 303 02-374-3202",
     "서울특별시 은평구 증산로 303 （증산동）", "\u3000서울특별시 은평구 증산로 303\t지하1층 B101호"],
    ["충청북도 청주시 흥덕구 2순환로 1167번길 25(복대동)", "충북 청주시 흥덕구 2순환로1167번길 25",
     "충청북도 청주시흥덕구 2순환로1167번길 25, 2층"],
    ["강원도 춘천시 옛경춘로 835(삼천동)", "강원특별자치도 춘천시 옛경춘로 835", "강원 춘천시 옛경춘로 835 1층"],
    ["전라북도 익산시 인북로 202 (남중동)", "전북특별자치도 익산시 인북로 202", "전북 익산시 인북로 202, 1~2층"],
    ["인천광역시 남구 숭의동 123", "인천 미추홀구 숭의동 123번지", "인천시 남구 숭의동 123 외 2필지"],
    ["경상북도 군위군 효령면 치산효령로 2267-8", "대구광역시 군위군 효령면 치산효령로 2267-8",
     "대구 군위군 효령면 치산효령로 2267-8 (1층)"],
    ["서울 종로구 부암동 산 2-1", "서울특별시 종로구 부암동 산2-1"],
    ["서울 중구 명동 Lotte Hotel", "서울특별시 중구 명동 LOTTE  HOTEL, 3층"],
]


@pytest.mark.parametrize("spellings", SAME_PLACE, ids=[s[0] for s in SAME_PLACE])
def test_same_place_same_key(spellings: list[str]) -> None:
    keys = {normalize_for_geocoding(s).key for s in spellings}
    assert len(keys) == 1


def test_different_places_different_keys() -> None:
    addresses = ["서울특별시 은평구 증산로 303", "서울특별시 은평구 증산로 305", "서울특별시 은평구 증산로 303-1",
                 "서울특별시 종로구 세종로 1", "서울특별시 중구 세종대로 1", "서울특별시 중구 세종대로 지하 1",
                 "서울 종로구 부암동 2-1", "서울 종로구 부암동 산2-1"]
    assert len({normalize_for_geocoding(a).key for a in addresses}) == len(addresses)


def test_key_is_not_the_shop_id_form() -> None:
    """normalize_address (shop ids) keeps its own rules: detail stays in it."""
    address = "서울시 은평구 증산로 303, 1층 (증산동)"
    assert normalize_address(address) == "서울특별시 은평구 증산로 303 1층"
    assert normalize_for_geocoding(address).key == "서울특별시 은평구 증산로 303"


@pytest.mark.parametrize("address", ["", "   ", "02-734-0000", "1층", "101동 201호", "()", "(관훈동)",
                                     "12345", "TEL 0507-1234-5678", "외 2필지"])
def test_nothing_geocodable(address: str) -> None:
    assert normalize_for_geocoding(address) is None


def test_not_a_string() -> None:
    assert normalize_for_geocoding(None) is None  # type: ignore[arg-type]


def test_unclosed_bracket_does_not_swallow_the_address() -> None:
    query = normalize_for_geocoding("서울특별시 (종로구 인사동길 12")
    assert (query.text, query.kind) == ("서울특별시 종로구 인사동길 12", "road")


@pytest.mark.parametrize(("address", "_text", "_kind"), CASES, ids=[c[0] for c in CASES])
def test_idempotent_on_the_table(address: str, _text: str, _kind: str) -> None:
    first = normalize_for_geocoding(address)
    again = normalize_for_geocoding(first.text)
    assert (again.text, again.kind, again.key) == (first.text, first.kind, first.key)


# ------------------------------------------------------------ properties

DETAIL = re.compile(r"\d\s*층|\d\s*호(?![가-힣])|[()\[\]]")

address_like = st.lists(
    st.one_of(
        st.sampled_from(["서울", "서울시", "서울특별시", "강원도", "전라북도", "경남", "세종시", "광주시",
                         "종로구", "수원시", "팔달구", "남구", "군위군", "관훈동", "을지로", "3가", "산",
                         "인사동길", "1167번길", "2순환로", "지하", "1층", "지1층", "B1", "101호", "101동",
                         "(", ")", ",", ".", "외", "2필지", "02-734-0000", "상가", "번지", "~", "-", "층", "호"]),
        st.integers(min_value=0, max_value=2000).map(str),
        st.text(alphabet="0123456789-,~.()층호동가리로길산 ", max_size=8),
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), address_like))
@example("서울 1 층수")
@example("1 상가 층")
@example("((((((((((서울")
@example("9" * 5000 + "층")
def test_never_raises_and_leaves_no_detail(address: str) -> None:
    query = normalize_for_geocoding(address)
    if query is None:
        return
    assert isinstance(query, GeocodeQuery)
    assert query.text and query.text == query.text.strip() and "  " not in query.text
    assert not DETAIL.search(query.text), query.text
    assert query.kind in ("road", "parcel", "unknown")
    assert query.key == " ".join(query.text.casefold().split())


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), address_like))
def test_idempotent(address: str) -> None:
    first = normalize_for_geocoding(address)
    assume(first is not None)
    again = normalize_for_geocoding(first.text)
    assert again is not None
    assert (again.text, again.kind, again.key) == (first.text, first.kind, first.key)


SIDO_SPELLINGS = {
    "서울특별시": ["서울", "서울시", "서울특별시"],
    "강원특별자치도": ["강원", "강원도", "강원특별자치도"],
    "전북특별자치도": ["전북", "전라북도", "전북특별자치도"],
    "경상남도": ["경남", "경상남도"],
}
STREETS = {  # 시도 -> (시군구 and road, building numbers)
    "서울특별시": "은평구 증산로", "강원특별자치도": "춘천시 옛경춘로",
    "전북특별자치도": "익산시 인북로", "경상남도": "창원시 마산합포구 교방천남길",
}
DETAILS = ["", " 1층", ", 1층", " 지하1층", " B1", " 1~2층", ", 1,2층", " 101호", " 101동 201호",
           " 1층 101호", " 상가 1층", " (관훈동)", " (증산동, 태광아파트)", " 02-734-0000", " 0507-1234-5678",
           " 외 2필지", ", 2층(삼천동)", "(신삼호상가1층 2호)"]


@settings(max_examples=300, deadline=None)
@given(sido=st.sampled_from(sorted(SIDO_SPELLINGS)), data=st.data(),
       number=st.from_regex(r"[1-9][0-9]{0,3}(-[1-9][0-9]{0,2})?", fullmatch=True),
       detail=st.sampled_from(DETAILS), spaces=st.sampled_from([" ", "  ", "\t"]))
def test_composed_addresses(sido: str, data, number: str, detail: str, spaces: str) -> None:
    written = data.draw(st.sampled_from(SIDO_SPELLINGS[sido]))
    address = spaces.join([written, STREETS[sido], number]) + detail
    query = normalize_for_geocoding(address)
    assert query is not None
    assert (query.text, query.kind) == (f"{sido} {STREETS[sido]} {number}", "road")
