"""GPX, KML, CSV and OV2 read back by independent readers: gpxpy, fastkml, the csv module, an OV2 decoder.

The names carry everything that breaks naive writers: XML metacharacters,
both quotes, emoji, Hangul, and a spreadsheet formula.
"""
from __future__ import annotations

import csv
import io
import struct
import warnings

import gpxpy
import pytest

from navplugin.formats import gpx, kml, ov2, poi_csv
from navplugin.model import QueryResult, Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # fastkml warns that lxml (pretty printing only) is missing
    from fastkml import kml as fastkml

NAMES = ['Tom & Jerry <Café> "quoted" \'single\' 🍜', "=SUM(A1:A9) 떡집", "백년 국밥 & 냉면 ]]> <![CDATA[x"]
POINTS = [(126.9780123, 37.5665321), (129.0756416, 35.1795543), (127.1234567, 36.7654321)]


def _stores() -> list[Store]:
    return [
        Store("S0", NAMES[0], *POINTS[0], "juso", "building", category="한식", address="서울 중구 <세종대로> 110",
              phone="02-120-0000", certified_year=2019, founded_year=1950),
        Store("S1", NAMES[1], *POINTS[1], "kakao", "place", category="떡 & 과자"),
        Store("S 2/é", NAMES[2], *POINTS[2], "offline", "emd", entrance_lon=127.1235, entrance_lat=36.7655),
    ]


NEARBY = QueryResult(7, _stores(), {"distance_m": [12.345, 1534.2, 88000.0], "bearing_deg": [0.0, 123.45, 359.9]})
PLAIN = QueryResult(None, _stores())
BOTH = pytest.mark.parametrize("result", [NEARBY, PLAIN], ids=["nearby", "plain"])


# GPX ---------------------------------------------------------------------------------------------

@BOTH
def test_gpx_waypoints_read_by_gpxpy(result):
    text = gpx.serialize(result, {"link": "https://example.com/shops/{id}?from=nav&v=1"})
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    parsed = gpxpy.parse(text)
    assert parsed.version == "1.1"
    assert len(parsed.waypoints) == 3
    for waypoint, name, (lon, lat) in zip(parsed.waypoints, NAMES, POINTS):
        assert waypoint.name == name
        assert (waypoint.longitude, waypoint.latitude) == (lon, lat)
    first, second, third = parsed.waypoints
    assert first.type == "한식" and second.type == "떡 & 과자" and third.type is None
    assert first.link == "https://example.com/shops/S0?from=nav&v=1"
    assert third.link == "https://example.com/shops/S%202%2F%C3%A9?from=nav&v=1"
    assert "서울 중구 <세종대로> 110" in first.description
    assert "02-120-0000" in first.description and "2019" in first.description and "1950" in first.description
    if result.measures:
        assert "12 m" in first.description and "1.5 km" in second.description
    else:
        assert "거리" not in (first.description or "")


def test_gpx_without_a_link_option_has_no_links():
    parsed = gpxpy.parse(gpx.serialize(PLAIN, None))
    assert [waypoint.link for waypoint in parsed.waypoints] == [None, None, None]
    assert "<link" not in gpx.serialize(PLAIN, None)


def test_xml_drops_characters_xml_cannot_carry():
    store = Store("X", "bell\x07 tab\t cr\r end", 127.0, 37.0, "juso", "building")
    parsed = gpxpy.parse(gpx.serialize(QueryResult(1, [store]), None))
    assert parsed.waypoints[0].name == "bell tab\t cr\r end"


# KML ---------------------------------------------------------------------------------------------

def _placemarks(text: str) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = fastkml.KML.from_string(text.encode("utf-8")).features[0]
    return list(document.features)


@BOTH
def test_kml_placemarks_read_by_fastkml(result):
    text = kml.serialize(result, None)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert '<kml xmlns="http://www.opengis.net/kml/2.2">' in text
    placemarks = _placemarks(text)
    assert len(placemarks) == 3
    for placemark, name, (lon, lat) in zip(placemarks, NAMES, POINTS):
        assert placemark.name == name
        assert (placemark.geometry.x, placemark.geometry.y) == (lon, lat)  # coordinates are lon,lat
    data = [{element.name: element.value for element in p.extended_data.elements} for p in placemarks]
    assert data[0]["id"] == "S0" and data[2]["id"] == "S 2/é"
    assert data[0]["address"] == "서울 중구 <세종대로> 110" and data[0]["phone"] == "02-120-0000"
    assert (data[0]["certified_year"], data[0]["founded_year"]) == ("2019", "1950")
    assert (data[1]["category"], data[1]["precision"], data[1]["provider"]) == ("떡 & 과자", "place", "kakao")
    assert (data[2]["entrance_lon"], data[2]["entrance_lat"]) == ("127.1235", "36.7655")
    assert "address" not in data[1]  # missing values are left out, not written as empty strings
    assert "서울 중구 <세종대로> 110" in placemarks[0].description
    if result.measures:
        assert (data[1]["distance_m"], data[1]["bearing_deg"]) == ("1534.20", "123.5")
    else:
        assert all("distance_m" not in fields for fields in data)


def test_kml_along_route_measures():
    result = QueryResult(1, _stores()[:1], {"distance_along_m": [2500.0], "offset_m": [-35.5]})
    (placemark,) = _placemarks(kml.serialize(result, None))
    data = {element.name: element.value for element in placemark.extended_data.elements}
    assert (data["distance_along_m"], data["offset_m"]) == ("2500.00", "-35.50")
    assert "2.5 km" in placemark.description


# CSV (Garmin POI Loader) -------------------------------------------------------------------------

@BOTH
def test_csv_read_by_the_csv_module(result):
    text = poi_csv.serialize(result, None)
    text.encode("utf-8")  # the body is sent as UTF-8
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 3  # no header row
    assert all(len(row) == 4 for row in rows)
    assert [(float(row[0]), float(row[1])) for row in rows] == POINTS  # longitude first
    assert [row[0] for row in rows] == ["126.9780123", "129.0756416", "127.1234567"]  # 7 decimals
    assert rows[0][2] == NAMES[0]
    assert rows[1][2] == "'" + NAMES[1]  # the formula is neutralised by exactly one leading quote
    assert rows[2][2] == NAMES[2]
    assert rows[0][3].startswith("서울 중구 <세종대로> 110")
    lines = text.split("\r\n")
    assert lines[-1] == "" and len(lines) == 4  # one POI per line
    assert lines[0].startswith('126.9780123,37.5665321,"Tom & Jerry <Café> ""quoted""')


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_every_formula_start(start):
    store = Store("F", start + "1+1", 127.0, 37.0, "juso", "building", address=start + "cmd|' /C calc'!A0")
    (row,) = csv.reader(io.StringIO(poi_csv.serialize(QueryResult(1, [store]), None), newline=""))
    assert row[2].startswith("'" + (start if start not in "\r" else " "))
    assert row[3].startswith("'")
    assert row[2][1:].strip().endswith("1+1")


def test_csv_keeps_one_poi_per_line_despite_line_breaks():
    store = Store("N", "two\nlines", 127.0, 37.0, "juso", "building")
    text = poi_csv.serialize(QueryResult(1, [store]), None)
    assert text.count("\n") == 1
    assert next(csv.reader(io.StringIO(text, newline="")))[2] == "two lines"


# OV2 (TomTom) ------------------------------------------------------------------------------------

def _decode_ov2(data: bytes) -> list[tuple[float, float, str]]:
    """A decoder written from the layout in nav-apps.md, independent of the writer."""
    records, offset = [], 0
    while offset < len(data):
        kind = data[offset]
        (length,) = struct.unpack_from("<i", data, offset + 1)
        assert kind == 2, f"record type {kind} at {offset}"
        lon_e5, lat_e5 = struct.unpack_from("<ii", data, offset + 5)
        name = data[offset + 13:offset + length]
        assert name.endswith(b"\x00") and b"\x00" not in name[:-1]
        records.append((lon_e5 / 100000, lat_e5 / 100000, name[:-1].decode("utf-8")))
        offset += length
    assert offset == len(data)
    return records


@BOTH
def test_ov2_records_decoded_from_the_layout(result):
    data = ov2.serialize(result, None)
    assert isinstance(data, bytes)
    records = _decode_ov2(data)
    assert [record[2] for record in records] == NAMES
    assert [(lon, lat) for lon, lat, _name in records] == [(126.97801, 37.56653), (129.07564, 35.17955),
                                                            (127.12346, 36.76543)]
    assert data[:1] == b"\x02"
    assert struct.unpack_from("<i", data, 1)[0] == 13 + len(NAMES[0].encode("utf-8")) + 1


def test_ov2_negative_coordinates_and_nul_in_name():
    store = Store("W", "a\x00b", -73.9856789, -40.7484449, "juso", "building")
    assert _decode_ov2(ov2.serialize(QueryResult(1, [store]), None)) == [(-73.98568, -40.74844, "ab")]
