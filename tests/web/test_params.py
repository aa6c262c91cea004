"""The request layer: query strings and JSON bodies into typed values, every failure naming its parameter."""
from __future__ import annotations

import math

import numpy as np
import pytest

from navplugin.errors import BadParameter
from navplugin.spatial.route import MAX_ROUTE_VERTICES
from navplugin.web.params import correction as parse_fields
from navplugin.web.params import route as parse_route
from tests.helpers import encode_polyline


@pytest.mark.parametrize("text, reason", [
    ("_p~iF~ps|U_", "middle of a value"),  # truncated
    ("_p~iF~ps|U_ulL", "lacks its longitude"),
    ("_p~iF ~ps|U", "outside ASCII"),
    ("_p~iF~ps|U가", "outside ASCII"),
    ("~~~~~~~~~~?", "longer than"),
])
def test_malformed_polylines_name_the_route(text, reason):
    with pytest.raises(BadParameter) as caught:
        parse_route({"polyline": text})
    assert caught.value.parameter == "route" and reason in caught.value.detail


# --- parse_route ---------------------------------------------------------------------------

SEOUL_GANGNAM = [[126.978, 37.5663], [127.0, 37.53], [127.0276, 37.4979]]


def test_three_input_forms_agree():
    from_list = parse_route({"coordinates": SEOUL_GANGNAM})
    from_geojson = parse_route({"geojson": {"type": "LineString", "coordinates": SEOUL_GANGNAM}})
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                              "coordinates": [p + [12.5] for p in SEOUL_GANGNAM]}}
    from_feature = parse_route({"geojson": feature})
    from_polyline = parse_route({"polyline": encode_polyline(SEOUL_GANGNAM)})
    from_polyline6 = parse_route({"polyline": encode_polyline(SEOUL_GANGNAM, 6), "precision": 6})
    from_polyline6s = parse_route({"polyline": encode_polyline(SEOUL_GANGNAM, 6), "precision": "6"})
    for route in (from_list, from_geojson, from_feature, from_polyline, from_polyline6, from_polyline6s):
        assert route.shape == (3, 2)
        np.testing.assert_allclose(route, SEOUL_GANGNAM, atol=1e-9)


def test_consecutive_duplicates_are_dropped_but_a_return_is_kept():
    route = parse_route({"coordinates": [[127.0, 37.5], [127.0, 37.5], [127.1, 37.5], [127.1, 37.5],
                                         [127.0, 37.5]]})
    assert route.tolist() == [[127.0, 37.5], [127.1, 37.5], [127.0, 37.5]]


def _bad(body, parameter, match):
    with pytest.raises(BadParameter, match=match) as caught:
        parse_route(body)
    assert caught.value.parameter == parameter
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize("body, parameter, match", [
    ({}, "route", "exactly one of"),
    ({"polyline": None}, "route", "got none"),
    ({"polyline": "_p~iF~ps|U", "coordinates": SEOUL_GANGNAM}, "route", "exactly one of"),
    ({"coordinates": SEOUL_GANGNAM, "precision": 6}, "precision", "only applies"),
    ({"polyline": "_p~iF~ps|U_ulLnnqC", "precision": 7}, "precision", "must be 5 or 6"),
    ({"polyline": "_p~iF~ps|U_ulLnnqC", "precision": "x"}, "precision", "must be 5 or 6"),
    ({"polyline": "_p~iF~ps|U_ulLnnqC", "precision": True}, "precision", "must be 5 or 6"),
    ({"polyline": 12}, "route", "must be a string"),
    ({"geojson": {"type": "Point", "coordinates": [127.0, 37.5]}}, "route", "LineString"),
    ({"geojson": {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}}}, "route", "LineString"),
    ({"geojson": "LINESTRING(127 37, 128 36)"}, "route", "LineString"),
    ({"geojson": {"type": "LineString", "coordinates": "no"}}, "route", "list of"),
    ({"coordinates": "127,37;128,36"}, "route", "list of"),
    ({"coordinates": [[127.0], [128.0, 36.0]]}, "route", "position 0"),
    ({"coordinates": [[127.0, 37.0], [128.0, "36"]]}, "route", "position 1"),
    ({"coordinates": [[127.0, 37.0], [True, 36.0]]}, "route", "position 1"),
    ({"coordinates": [[127.0, 37.0], [181.0, 36.0]]}, "route", "lon between"),
    ({"coordinates": [[37.5, 127.0], [37.4, 127.1]]}, "route", r"order \[lon, lat\]"),  # swapped
    ({"coordinates": [[127.0, 37.0], [math.nan, 36.0]]}, "route", "point 1"),
    ({"coordinates": [[127.0, 37.0], [math.inf, 36.0]]}, "route", "point 1"),
    ({"coordinates": []}, "route", "at least two distinct points, got 0"),
    ({"coordinates": [[127.0, 37.0]]}, "route", "at least two distinct points, got 1"),
    ({"coordinates": [[127.0, 37.0], [127.0, 37.0], [127.0, 37.0]]}, "route", "at least two distinct"),
    ({"polyline": "_p~iF~ps|U"}, "route", "at least two distinct"),
    ({"polyline": ""}, "route", "at least two distinct"),
])
def test_bad_routes(body, parameter, match):
    _bad(body, parameter, match)


def test_body_must_be_an_object():
    _bad([[127.0, 37.0], [128.0, 36.0]], "route", "JSON object")


def test_vertex_limit():
    at_limit = np.column_stack((np.linspace(126.0, 129.0, MAX_ROUTE_VERTICES), np.full(MAX_ROUTE_VERTICES, 36.0)))
    assert len(parse_route({"coordinates": at_limit.tolist()})) == MAX_ROUTE_VERTICES
    over = np.column_stack((np.linspace(126.0, 129.0, MAX_ROUTE_VERTICES + 1), np.full(MAX_ROUTE_VERTICES + 1, 36.0)))
    _bad({"polyline": encode_polyline(over.tolist(), 6), "precision": 6}, "route", "at most 20,000")
    # duplicates do not count against the limit
    doubled = np.repeat(at_limit, 2, axis=0)
    assert len(parse_route({"coordinates": doubled.tolist()})) == MAX_ROUTE_VERTICES


def test_parse_fields_accepts_and_trims():
    assert parse_fields({"name": " 새 이름 ", "phone": None, "lat": 37.5, "lon": 127, "reason": "x"}) == {
        "name": "새 이름", "phone": None, "lat": 37.5, "lon": 127.0}


@pytest.mark.parametrize("body, parameter", [
    ({"entrance_lat": 37.5}, "entrance_lon"),
    ({"lat": True, "lon": 127.0}, "lat"),
    ({"certified_year": "2020"}, "certified_year"),
    ({"phone": 1234}, "phone"),
    ({"address": "x" * 301}, "address"),
    ({"precision": "manual"}, "precision"),
])
def test_parse_fields_names_the_bad_field(body, parameter):
    with pytest.raises(BadParameter) as error:
        parse_fields(body)
    assert error.value.parameter == parameter
