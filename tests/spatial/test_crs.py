"""Korean navigation coordinate systems: names, round trips, and forward values checked independently.

Independent references, so a wrong definition in crs.py cannot pass by agreeing with itself:

* UTM-K (EPSG:5179) and EPSG:5186: ``pyproj.Proj`` built from the EPSG
  definitions' parameters written out by hand as PROJ strings (Korea 2000 is
  the GRS80 datum that EPSG transforms to WGS84 with a null transformation).
* UTM-K: a published pair, from the README of the npm package
  ``@danbi-fi/juso2geolocation`` (npmjs.com/package/@danbi-fi/juso2geolocation):
  a Juso entrance point x 960355.5014496567, y 1950109.3230320513 given there as
  lat 37.54947013, lon 127.05118739.
* KATEC: no published KATEC example computed with this exact definition turned
  up; public examples disagree with each other by metres. So the datum shift is
  recomputed here in numpy (geodetic -> geocentric -> 7-parameter position-vector
  Helmert -> geodetic on Bessel 1841, then a plain Bessel Transverse Mercator)
  and must agree within 1 cm. A published value, 서울시청 126.978546, 37.566554 =>
  KATEC 309961.2497, 552080.8406 (github.com/petabytekr/proj4js-test, computed
  with proj4js), is checked coarsely (5 m): it catches a flipped rotation
  convention (~33 m) or a dropped rotation (~17 m), not centimetres.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Proj

from navplugin.spatial import crs
from navplugin.spatial.crs import CRS_NAMES, normalize_crs, project, unproject

GEOD = Geod(ellps="WGS84")
CM = 0.01

# Approximate WGS84 positions of landmarks spread over the country's extent.
LANDMARKS = {
    "서울시청": (126.978388, 37.566610),
    "부산역": (129.041390, 35.115160),
    "제주공항": (126.492770, 33.507070),
    "독도": (131.869556, 37.241000),
    "백령도": (124.715000, 37.966000),
}

GRS80_TM = {
    "utmk": "+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 +ellps=GRS80 +units=m +no_defs",
    "epsg:5186": "+proj=tmerc +lat_0=38 +lon_0=127 +k=1 +x_0=200000 +y_0=600000 +ellps=GRS80 +units=m +no_defs",
}


def metres_apart(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                                   for v in (lon1, lat1, lon2, lat2)))
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# -- names --------------------------------------------------------------------------------

def test_crs_names_are_the_registry():
    assert CRS_NAMES == ("wgs84", "katec", "utmk", "epsg:5186")


@pytest.mark.parametrize("given_name, canonical", [
    ("wgs84", "wgs84"), ("WGS84", "wgs84"), ("EPSG:4326", "wgs84"),
    ("katec", "katec"), ("KATEC", "katec"), (" Katec ", "katec"),
    ("utmk", "utmk"), ("UTMK", "utmk"), ("EPSG:5179", "utmk"),
    ("epsg:5186", "epsg:5186"), ("EPSG:5186", "epsg:5186"),
])
def test_normalize_crs_is_case_insensitive(given_name, canonical):
    assert normalize_crs(given_name) == canonical


@pytest.mark.parametrize("bad", ["", "tm", "epsg:5181", "EPSG:9999", None, 5179])
def test_unknown_crs_names_the_known_ones(bad):
    with pytest.raises(ValueError) as excinfo:
        normalize_crs(bad)
    for name in CRS_NAMES:
        assert name in str(excinfo.value)


def test_project_rejects_unknown_crs():
    with pytest.raises(ValueError, match="katec"):
        project(127.0, 37.0, "mercator")


# -- shapes -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CRS_NAMES)
def test_scalars_give_zero_dimensional_arrays(name):
    x, y = project(126.978388, 37.566610, name)
    assert isinstance(x, np.ndarray) and x.shape == () and y.shape == ()
    lon, lat = unproject(x, y, name)
    assert lon.shape == () and float(metres_apart(lon, lat, 126.978388, 37.566610)[0]) < CM


@pytest.mark.parametrize("name", CRS_NAMES)
def test_vectorised_matches_pointwise_and_keeps_shape(name):
    lons = np.array([[126.9, 127.5], [129.0, 124.7]])
    lats = np.array([[37.5, 36.0], [35.1, 37.9]])
    xs, ys = project(lons, lats, name)
    assert xs.shape == (2, 2) and ys.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            x, y = project(float(lons[i, j]), float(lats[i, j]), name)
            assert float(x) == pytest.approx(xs[i, j], abs=1e-9)
            assert float(y) == pytest.approx(ys[i, j], abs=1e-9)


def test_lists_are_accepted():
    xs, ys = project([126.9, 129.0], [37.5, 35.1], "utmk")
    assert xs.shape == (2,) and np.all(xs > 800_000)


def test_wgs84_is_identity_and_does_not_alias_the_input():
    lons = np.array([126.9, 129.0])
    lats = np.array([37.5, 35.1])
    x, y = project(lons, lats, "wgs84")
    np.testing.assert_array_equal(x, lons)
    np.testing.assert_array_equal(y, lats)
    x[0] = 0.0
    assert lons[0] == 126.9


def test_transformers_are_built_once_across_threads(monkeypatch):
    monkeypatch.setattr(crs, "_transformers", {})
    results = []

    def work():
        project(127.0, 37.0, "katec")
        results.append(crs._transformer_pair("katec"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(pair is results[0] for pair in results)


# -- round trips --------------------------------------------------------------------------

@pytest.mark.parametrize("name", CRS_NAMES)
@pytest.mark.parametrize("landmark", LANDMARKS)
def test_landmarks_round_trip_within_a_centimetre(name, landmark):
    lon, lat = LANDMARKS[landmark]
    x, y = project(lon, lat, name)
    back_lon, back_lat = unproject(x, y, name)
    assert float(metres_apart(back_lon, back_lat, lon, lat)[0]) < CM


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=124.5, max_value=132.0),
    lat=st.floats(min_value=33.0, max_value=38.7),
    name=st.sampled_from(CRS_NAMES),
)
def test_any_point_over_korea_round_trips_within_a_centimetre(lon, lat, name):
    x, y = project(lon, lat, name)
    back_lon, back_lat = unproject(x, y, name)
    assert float(metres_apart(back_lon, back_lat, lon, lat)[0]) < CM


@settings(max_examples=50, deadline=None)
@given(
    points=st.lists(st.tuples(st.floats(min_value=124.5, max_value=132.0),
                              st.floats(min_value=33.0, max_value=38.7)), min_size=1, max_size=50),
    name=st.sampled_from(CRS_NAMES),
)
def test_arrays_over_korea_round_trip_within_a_centimetre(points, name):
    lons = np.array([p[0] for p in points])
    lats = np.array([p[1] for p in points])
    back_lon, back_lat = unproject(*project(lons, lats, name), name)
    assert np.all(metres_apart(back_lon, back_lat, lons, lats) < CM)


# -- UTM-K and EPSG:5186 against their written-out definitions -----------------------------

@pytest.mark.parametrize("name", sorted(GRS80_TM))
def test_grs80_grids_match_the_epsg_parameters_forward(name):
    independent = Proj(GRS80_TM[name])
    lons = np.array([p[0] for p in LANDMARKS.values()])
    lats = np.array([p[1] for p in LANDMARKS.values()])
    xs, ys = project(lons, lats, name)
    ref_x, ref_y = independent(lons, lats)
    assert np.all(np.hypot(xs - ref_x, ys - ref_y) < CM)


@pytest.mark.parametrize("name", sorted(GRS80_TM))
def test_grs80_grids_match_the_epsg_parameters_inverse(name):
    independent = Proj(GRS80_TM[name])
    x0, y0 = (1_000_000, 2_000_000) if name == "utmk" else (200_000, 600_000)
    xs = x0 + np.array([-150_000.0, -20_000.0, 0.0, 60_000.0, 350_000.0])
    ys = y0 + np.array([-500_000.0, -120_000.0, 0.0, 40_000.0, -80_000.0])
    lons, lats = unproject(xs, ys, name)
    ref_lon, ref_lat = independent(xs, ys, inverse=True)
    assert np.all(metres_apart(lons, lats, ref_lon, ref_lat) < CM)


def test_grid_origins_land_where_the_definitions_put_them():
    # Each grid's natural origin (lat 38, its central meridian) maps to its false easting/northing.
    x, y = project(127.5, 38.0, "utmk")
    assert (float(x), float(y)) == pytest.approx((1_000_000, 2_000_000), abs=1e-6)
    x, y = project(127.0, 38.0, "epsg:5186")
    assert (float(x), float(y)) == pytest.approx((200_000, 600_000), abs=1e-6)


def test_utmk_matches_a_published_juso_entrance_point():
    # Source: README of npm @danbi-fi/juso2geolocation (see the module docstring).
    x, y = project(127.05118739, 37.54947013, "utmk")
    assert math.hypot(float(x) - 960355.5014496567, float(y) - 1950109.3230320513) < CM
    lon, lat = unproject(960355.5014496567, 1950109.3230320513, "utmk")
    # The published lon/lat has 8 decimals (about 1 mm).
    assert float(metres_apart(lon, lat, 127.05118739, 37.54947013)[0]) < CM


# -- KATEC against an independent datum shift ----------------------------------------------

WGS84_ELLIPSOID = (6378137.0, 1 / 298.257223563)
BESSEL_ELLIPSOID = (6377397.155, 1 / 299.1528128)
# Bessel (Korean 1985) -> WGS84, position-vector convention: translations m, rotations ", scale ppm.
HELMERT = (-115.80, 474.99, 674.11, 1.16, -2.31, -1.63, 6.43)
BESSEL_TM = Proj("+proj=tmerc +lat_0=38 +lon_0=128 +k=0.9999 +x_0=400000 +y_0=600000 +ellps=bessel +units=m +no_defs")


def _geodetic_to_ecef(lon, lat, ellipsoid):
    a, f = ellipsoid
    e2 = f * (2 - f)
    lam, phi = np.radians(lon), np.radians(lat)
    n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    return np.stack([n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - e2) * np.sin(phi)])


def _ecef_to_geodetic(xyz, ellipsoid):
    a, f = ellipsoid
    e2 = f * (2 - f)
    x, y, z = xyz
    p = np.hypot(x, y)
    phi = np.arctan2(z, p * (1 - e2))
    for _ in range(10):  # converges to far below a millimetre in three or four steps
        n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        h = p / np.cos(phi) - n
        phi = np.arctan2(z, p * (1 - e2 * n / (n + h)))
    n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    h = p / np.cos(phi) - n
    return np.degrees(np.arctan2(y, x)), np.degrees(phi), h


def _helmert_matrix():
    tx, ty, tz, rx, ry, rz, s = HELMERT
    rx, ry, rz = (math.radians(r / 3600) for r in (rx, ry, rz))
    rotation = np.array([[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]])
    return np.array([tx, ty, tz]), (1 + s * 1e-6) * rotation


def independent_wgs84_to_katec(lon, lat):
    t, m = _helmert_matrix()
    # The published parameters take Bessel to WGS84, so go back by solving the linear system.
    bessel_xyz = np.linalg.solve(m, _geodetic_to_ecef(lon, lat, WGS84_ELLIPSOID) - t[:, None])
    b_lon, b_lat, _ = _ecef_to_geodetic(bessel_xyz, BESSEL_ELLIPSOID)
    return BESSEL_TM(b_lon, b_lat)


def independent_katec_to_wgs84(x, y):
    t, m = _helmert_matrix()
    b_lon, b_lat = BESSEL_TM(x, y, inverse=True)
    wgs_xyz = m @ _geodetic_to_ecef(b_lon, b_lat, BESSEL_ELLIPSOID) + t[:, None]
    lon, lat, _ = _ecef_to_geodetic(wgs_xyz, WGS84_ELLIPSOID)
    return lon, lat


def test_katec_forward_matches_an_independent_helmert_shift():
    lons = np.array([p[0] for p in LANDMARKS.values()])
    lats = np.array([p[1] for p in LANDMARKS.values()])
    xs, ys = project(lons, lats, "katec")
    ref_x, ref_y = independent_wgs84_to_katec(lons, lats)
    assert np.all(np.hypot(xs - ref_x, ys - ref_y) < CM)


def test_katec_inverse_matches_an_independent_helmert_shift():
    xs = np.array([309_958.0, 494_000.0, 350_000.0, 572_000.0, 215_000.0])
    ys = np.array([552_078.0, 279_000.0, 100_000.0, 514_000.0, 594_000.0])
    lons, lats = unproject(xs, ys, "katec")
    ref_lon, ref_lat = independent_katec_to_wgs84(xs, ys)
    assert np.all(metres_apart(lons, lats, ref_lon, ref_lat) < CM)


def test_katec_datum_shift_is_not_dropped():
    # Without the Helmert shift a Bessel grid is off by hundreds of metres in Korea.
    x, y = project(126.978388, 37.566610, "katec")
    plain_x, plain_y = BESSEL_TM(126.978388, 37.566610)
    assert math.hypot(float(x) - plain_x, float(y) - plain_y) > 100


def test_katec_roughly_matches_a_published_proj4js_value():
    # Source: github.com/petabytekr/proj4js-test (서울시청, computed with proj4js). Coarse on
    # purpose: that implementation differs from PROJ by a few metres, but a flipped
    # rotation sign (~33 m) or a 3-parameter shift (~17 m) would fail this.
    x, y = project(126.978546, 37.566554, "katec")
    assert math.hypot(float(x) - 309961.24970373325, float(y) - 552080.8406381792) < 5
    lon, lat = unproject(309961.24970373325, 552080.8406381792, "katec")
    assert float(metres_apart(lon, lat, 126.978546, 37.566554)[0]) < 5
