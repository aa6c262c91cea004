"""The format registry, streaming, and the JSON formats read back by the ``geojson`` package."""
from __future__ import annotations

import json

import geojson
import pytest

from navplugin.formats import FORMATS, by_media_type
from navplugin.model import QueryResult, Store

NAMES = ['Tom & Jerry <Café> "quoted" \'single\' 🍜', "=SUM(A1:A9) 떡집", "백년 국밥 & 냉면"]
POINTS = [(126.9780123, 37.5665321), (129.0756416, 35.1795543), (127.1234567, 36.7654321)]


def _stores() -> list[Store]:
    return [Store(f"S{i}", name, lon, lat, "juso", "building", category="한식" if i else None,
                  address="서울 중구 <세종대로> 110" if i == 0 else None, certified_year=2019 if i == 0 else None,
                  entrance_lon=lon + 0.0001 if i == 2 else None, entrance_lat=lat + 0.0001 if i == 2 else None)
            for i, (name, (lon, lat)) in enumerate(zip(NAMES, POINTS))]


NEARBY = QueryResult(7, _stores(), {"distance_m": [12.345, 1534.2, 88000.0], "bearing_deg": [0.0, 123.45, 359.9]},
                     next_cursor="abc")
PLAIN = QueryResult(None, _stores())
EMPTY = QueryResult(7, [])


def test_registry_names_media_types_extensions_and_attachments():
    table = {name: (fmt.media_type, fmt.extension, fmt.attachment) for name, fmt in FORMATS.items()}
    assert table == {
        "json": ("application/json", "json", False),
        "geojson": ("application/geo+json", "geojson", False),
        "gpx": ("application/gpx+xml", "gpx", True),
        "kml": ("application/vnd.google-earth.kml+xml", "kml", True),
        "csv": ("text/csv; charset=utf-8", "csv", True),
        "ov2": ("application/octet-stream", "ov2", True),
    }
    assert FORMATS["gpx"].filename("baeknyeon") == "baeknyeon.gpx"


def test_accept_header_matches_media_types_without_parameters():
    assert by_media_type(["text/csv"]) is FORMATS["csv"]
    assert by_media_type(["text/html", "application/gpx+xml"]) is FORMATS["gpx"]
    assert by_media_type(["application/vnd.google-earth.kml+xml; q=0.9"]) is FORMATS["kml"]
    assert by_media_type(["text/html"]) is None


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("result", [NEARBY, PLAIN, EMPTY], ids=["nearby", "plain", "empty"])
def test_serialize_is_the_join_of_stream_with_one_piece_per_shop(name, result):
    fmt = FORMATS[name]
    pieces = list(fmt.stream(result, None))
    body = fmt.serialize(result, None)
    assert isinstance(body, bytes) is fmt.binary
    assert all(isinstance(piece, bytes) is fmt.binary for piece in pieces)
    assert (b"" if fmt.binary else "").join(pieces) == body
    framing = 0 if name in ("csv", "ov2") else 2  # header and footer
    assert len(pieces) == len(result) + framing


def test_stream_is_lazy():
    big = QueryResult(1, _stores() * 40_000)  # 120,000 shops
    for fmt in FORMATS.values():
        pieces = fmt.stream(big, None)
        first, second = next(pieces), next(pieces)
        assert first and second  # produced without rendering the rest
        pieces.close()


@pytest.mark.parametrize("result", [NEARBY, PLAIN], ids=["nearby", "plain"])
def test_geojson_is_valid_for_the_geojson_package(result):
    text = FORMATS["geojson"].serialize(result, None)
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    assert len(collection["features"]) == len(result)
    for feature, name, (lon, lat) in zip(collection["features"], NAMES, POINTS):
        assert feature.is_valid, feature.errors()
        # [lon, lat], RFC 7946; the package rounds to 6 decimals, so compare within that
        assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
        assert feature["properties"]["name"] == name
    if result.measures:
        assert collection["features"][1]["properties"]["distance_m"] == 1534.2
    exact = json.loads(text)["features"]
    assert [feature["geometry"]["coordinates"] for feature in exact] == [list(point) for point in POINTS]


def test_json_keeps_its_shape_and_measures():
    body = json.loads(FORMATS["json"].serialize(NEARBY, None))
    assert (body["dataset_version"], body["count"], body["next_cursor"]) == (7, 3, "abc")
    assert [item["name"] for item in body["items"]] == NAMES
    assert [item["distance_m"] for item in body["items"]] == [12.35, 1534.2, 88000.0]


def test_projected_coordinates_are_written_to_the_millimetre():
    result = QueryResult(1, _stores()[:1], {"x": [953_901.12345], "y": [1_952_032.6789]})
    item = json.loads(FORMATS["json"].serialize(result, None))["items"][0]
    assert (item["x"], item["y"]) == (953901.123, 1952032.679)
