"""Google's encoded polyline format, as navigation apps send routes: decoded against a plain reference encoder."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.web.polyline import decode_polyline
from tests.helpers import encode_polyline


def test_decodes_googles_documented_example():
    points = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@")
    np.testing.assert_allclose(points, [[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]], atol=1e-9)
    assert decode_polyline("") .shape == (0, 2)


def test_encoder_matches_google_example():
    assert encode_polyline([(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


@settings(max_examples=100, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=1, max_size=40),
       precision=st.sampled_from([5, 6]))
def test_polyline_round_trip(points, precision):
    decoded = decode_polyline(encode_polyline(points, precision), precision)
    expected = np.round(np.asarray(points) * 10**precision) / 10**precision
    np.testing.assert_allclose(decoded, expected, atol=1e-9, rtol=0)


def test_precision_6_of_a_korean_route():
    route = [(126.978012, 37.566295), (127.027619, 37.497942), (129.075642, 35.179554)]
    text = encode_polyline(route, 6)
    np.testing.assert_allclose(decode_polyline(text, 6), route, atol=1e-9)
    # the same string read at precision 5 is ten times too large: the caller must say which
    assert abs(decode_polyline(text, 5)[0, 0] - 1269.78012) < 1e-6


@pytest.mark.parametrize("text, reason", [
    ("_p~iF~ps|U_", "middle of a value"),  # truncated
    ("_p~iF~ps|U_ulL", "lacks its longitude"),
    ("_p~iF ~ps|U", "outside ASCII"),
    ("_p~iF~ps|U가", "outside ASCII"),
    ("~~~~~~~~~~?", "longer than"),
])
def test_malformed_polylines(text, reason):
    with pytest.raises(ValueError, match=reason):
        decode_polyline(text)
