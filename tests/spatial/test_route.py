"""Along-route search against a brute-force shapely computation, and route parsing."""
from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from navplugin.errors import BadParameter
from navplugin.model import Store
from navplugin.spatial.index import StoreIndex
from navplugin.web.polyline import decode_polyline
from navplugin.spatial.route import (MAX_EVALUATIONS, MAX_PAIRS, MAX_ROUTE_VERTICES, Work, along_route, corridor,
                                     simplify_tolerance)
from tests.helpers import encode_polyline

TOLERANCE_M = 0.01  # 1 cm on offsets and distances along
CATEGORIES = ("음식점업", "제조업", None)
_TO_5179 = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)  # the brute force's own


SEOUL_GANGNAM = [[126.978, 37.5663], [127.0, 37.53], [127.0276, 37.4979]]


def make_index(lon, lat, categories=None) -> StoreIndex:
    cats = categories if categories is not None else [None] * len(lon)
    stores = [Store(id=f"s{i:06d}", name=f"가게 {i}", lon=float(x), lat=float(y), provider="supplied",
                    precision="supplied", category=c) for i, (x, y, c) in enumerate(zip(lon, lat, cats))]
    return StoreIndex(stores, 7)


def brute_force(index, route_xy, width, category=None):
    """{store id: (distance along, offset)} of every (matching) store, exact with shapely in EPSG:5179."""
    line = shapely.LineString(route_xy)
    sx, sy = _TO_5179.transform(index.lon, index.lat)
    points = shapely.points(sx, sy)
    offset = shapely.distance(line, points)
    along = shapely.line_locate_point(line, points)
    out = {}
    for position, store in enumerate(index.stores):
        if category is not None and store.category != category:
            continue
        out[store.id] = (float(along[position]), float(offset[position]))
    return out, line, sx, sy


def assert_matches_brute_force(index, route, width, limit, category=None):
    """Exact against the route searched (simplified), and within the tolerance of the route as sent."""
    searched = corridor(route, width).xy
    truth, line, sx, sy = brute_force(index, searched, width, category)
    sent, *_ = brute_force(index, np.column_stack(_TO_5179.transform(route[:, 0], route[:, 1])), width, category)
    tolerance = simplify_tolerance(width)
    result = along_route(index, route, width_m=width, limit=limit, category=category)
    along, offset = result.measures["distance_along_m"], result.measures["offset_m"]
    assert len(along) == len(offset) == len(result.stores) <= limit
    assert result.dataset_version == index.version
    position = index.by_id
    for store, a, o in zip(result.stores, along, offset):
        true_along, true_offset = truth[store.id]
        assert abs(o - true_offset) <= TOLERANCE_M, (store.id, o, true_offset)
        assert true_offset <= width + TOLERANCE_M
        assert abs(o - sent[store.id][1]) <= tolerance + TOLERANCE_M  # the route as sent, within tolerance
        if abs(a - true_along) > TOLERANCE_M:
            # Only an equally close point elsewhere on the route (an exact tie) may differ.
            p = position[store.id]
            there = shapely.line_interpolate_point(line, a)
            assert shapely.distance(there, shapely.Point(sx[p], sy[p])) <= true_offset + 1e-6, (store.id, a, true_along)
        if category is not None:
            assert store.category == category
    # Ordered by distance along, then offset.
    assert all((a1, o1) <= (a2, o2) for a1, o1, a2, o2 in zip(along, offset, along[1:], offset[1:]))
    assert len({s.id for s in result.stores}) == len(result.stores)
    # Complete: every shop clearly inside that comes before the last hit (or all of them, below
    # the limit) is there; shops within 1 cm of the corridor's edge may go either way.
    inside = {sid: v for sid, v in truth.items() if v[1] <= width - TOLERANCE_M}
    edge = {sid for sid, v in truth.items() if abs(v[1] - width) < TOLERANCE_M}
    got = {s.id for s in result.stores}
    if len(result.stores) < limit:
        assert set(inside) <= got
        assert len(got - set(inside)) <= len(edge)
        # and every shop well inside the corridor of the route as sent
        assert {sid for sid, v in sent.items() if v[1] <= width - tolerance - TOLERANCE_M} <= got
    else:
        cut = along[-1] - TOLERANCE_M
        assert {sid for sid, v in inside.items() if v[0] < cut} <= got
    return result


def test_along_route_parameter_errors():
    index = make_index([127.0], [37.5])
    route = np.array(SEOUL_GANGNAM)
    for width in (-1.0, math.nan, math.inf):
        with pytest.raises(BadParameter) as caught:
            along_route(index, route, width_m=width, limit=10)
        assert caught.value.parameter == "width"
    with pytest.raises(BadParameter) as caught:
        along_route(index, route, width_m=100, limit=-1)
    assert caught.value.parameter == "limit"
    for bad_route in ([[127.0, 37.5]], [[127.0, 37.5], [127.0, 37.5]], [[2.35, 48.85], [2.29, 48.86]],
                      np.zeros((MAX_ROUTE_VERTICES + 5, 2)) + np.arange(MAX_ROUTE_VERTICES + 5)[:, None] * 1e-5
                      + [127.0, 37.0]):
        with pytest.raises(BadParameter) as caught:
            along_route(index, np.asarray(bad_route, dtype=float), width_m=100, limit=10)
        assert caught.value.parameter == "route"


# --- along_route against brute force -------------------------------------------------------

AREA = (126.90, 37.45, 127.10, 37.62)  # Seoul, ~18 x 19 km


def _route_from(kind, data, rng):
    x0, y0, x1, y1 = AREA
    if kind == "single":
        return rng.uniform((x0, y0), (x1, y1), size=(2, 2))
    n = data.draw(st.integers(3, 40), label="vertices")
    step = data.draw(st.sampled_from([0.0005, 0.003, 0.02]), label="step")
    walk = np.cumsum(rng.normal(0, step, size=(n, 2)), axis=0) + rng.uniform((x0 + 0.05, y0 + 0.05),
                                                                             (x1 - 0.05, y1 - 0.05))
    if kind == "walk":
        return walk
    if kind == "retrace":  # out and back along the same vertices
        return np.vstack((walk, walk[-2::-1]))
    # back again near the outbound path, so shops lie near two passes with different offsets
    back = walk[-2::-1] + rng.normal(0, step / 3, size=(n - 1, 2))
    return np.vstack((walk, back))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["single", "walk", "doubling back", "retrace"]),
       width=st.one_of(st.floats(0.5, 3000), st.sampled_from([0.0, 1.0, 50.0, 500.0])),
       limit=st.integers(1, 300), category=st.sampled_from([None, "음식점업", "제조업"]))
def test_along_route_matches_brute_force(data, seed, kind, width, limit, category):
    rng = np.random.default_rng(seed)
    route = _route_from(kind, data, rng)
    assume(np.any(route[1:] != route[:-1]))
    x0, y0, x1, y1 = AREA
    n = data.draw(st.integers(0, 400), label="shops")
    lon = rng.uniform(x0 - 0.05, x1 + 0.05, n)
    lat = rng.uniform(y0 - 0.05, y1 + 0.05, n)
    # Shops on the route's vertices and just beside its segments, where mistakes would hide.
    near = data.draw(st.integers(0, 60), label="near")
    k = rng.integers(0, len(route) - 1, near)
    t = rng.uniform(0, 1, near)
    on = route[k] + (route[k + 1] - route[k]) * t[:, None]
    jitter = rng.normal(0, 1, (near, 2)) * (width / 111_000 + 1e-6)
    lon = np.concatenate((lon, route[:, 0], on[:, 0] + jitter[:, 0]))
    lat = np.concatenate((lat, route[:, 1], on[:, 1] + jitter[:, 1]))
    categories = rng.choice(len(CATEGORIES), len(lon)).tolist()
    index = make_index(lon, lat, [CATEGORIES[c] for c in categories])
    assert_matches_brute_force(index, route, width, limit, category)


def test_single_segment_route():
    rng = np.random.default_rng(5)
    route = np.array([[127.00, 37.50], [127.05, 37.52]])
    lon, lat = rng.uniform(126.98, 127.07, 3000), rng.uniform(37.48, 37.54, 3000)
    index = make_index(lon, lat)
    result = assert_matches_brute_force(index, route, 400.0, 10_000)
    assert 50 < len(result) < 3000
    # shops beyond the ends are measured to the end points
    result = assert_matches_brute_force(index, route, 2000.0, 10_000)
    assert min(result.measures["distance_along_m"]) == 0.0


def test_doubling_back_closest_pass_decides():
    # East 5 km, then back west 200 m further north: a shop 150 m north of the line is 150 m from
    # the outbound pass and 50 m from the return, so it belongs late on the route.
    out = np.column_stack((np.linspace(127.00, 127.06, 7), np.full(7, 37.50)))
    north = 200 / 111_000
    back = np.column_stack((np.linspace(127.06, 127.00, 7), np.full(7, 37.50 + north)))
    route = np.vstack((out, back))
    shop_lat = 37.50 + 150 / 111_000
    index = make_index([127.03, 127.03], [shop_lat, 37.50 - 100 / 111_000])
    result = assert_matches_brute_force(index, route, 500.0, 10)
    assert [s.id for s in result.stores] == ["s000001", "s000000"]
    offset = result.measures["offset_m"]
    assert 45 < offset[1] < 55 and 95 < offset[0] < 105
    assert result.measures["distance_along_m"][1] > result.measures["distance_along_m"][0] + 5000


def test_exact_retrace_reports_the_first_pass():
    route = np.array([[127.00, 37.50], [127.04, 37.50], [127.04, 37.51], [127.04, 37.50], [127.00, 37.50]])
    index = make_index([127.02, 127.041], [37.5005, 37.505])
    result = assert_matches_brute_force(index, route, 300.0, 10)
    along = result.measures["distance_along_m"]
    # both lie on retraced parts; the earlier pass is reported
    assert along[0] < 3600 and along[1] < 3600 + 1200


def test_category_filter_and_unknown_category():
    rng = np.random.default_rng(11)
    route = np.array([[127.00, 37.50], [127.03, 37.53], [127.06, 37.50]])
    lon, lat = rng.uniform(126.99, 127.07, 2000), rng.uniform(37.49, 37.54, 2000)
    cats = [CATEGORIES[i] for i in rng.choice(3, 2000)]
    index = make_index(lon, lat, cats)
    everything = along_route(index, route, width_m=300, limit=10_000)
    food = assert_matches_brute_force(index, route, 300.0, 10_000, "음식점업")
    spaced = along_route(index, route, width_m=300, limit=10_000, category="  음식점업 ")
    assert [s.id for s in spaced.stores] == [s.id for s in food.stores]
    assert 0 < len(food) < len(everything)
    assert {s.id for s in food.stores} == {s.id for s in everything.stores if s.category == "음식점업"}
    assert len(along_route(index, route, width_m=300, limit=10, category="숙박업")) == 0
    assert len(along_route(index, route, width_m=300, limit=0)) == 0
    # an index with one category has no per-category members; the filter still works
    single = make_index(lon[:50], lat[:50], ["제조업"] * 50)
    assert len(along_route(single, route, width_m=300, limit=100, category="제조업")) == \
        len(along_route(single, route, width_m=300, limit=100))
    assert len(along_route(single, route, width_m=300, limit=100, category="음식점업")) == 0


def test_empty_index():
    result = along_route(make_index([], []), np.array(SEOUL_GANGNAM), width_m=500, limit=10)
    assert len(result) == 0 and result.measures == {"distance_along_m": [], "offset_m": []}


def seoul_busan(vertices: int, rng: np.random.Generator) -> np.ndarray:
    """A wiggly ~400 km road-like route from Seoul City Hall to Busan Station."""
    t = np.linspace(0.0, 1.0, vertices)
    lon = 126.978 + (129.041 - 126.978) * t + 0.12 * np.sin(7 * math.pi * t) + 0.02 * np.sin(53 * math.pi * t)
    lat = 37.566 + (35.115 - 37.566) * t + 0.08 * np.sin(5 * math.pi * t)
    wiggle = np.cumsum(rng.normal(0, 0.00006, (vertices, 2)), axis=0)
    wiggle -= np.outer(t, wiggle[-1])  # keep both ends in place
    return np.column_stack((lon, lat)) + wiggle


def test_long_route_seoul_to_busan():
    rng = np.random.default_rng(2026)
    route = decode_polyline(encode_polyline(seoul_busan(2500, rng), 6), 6)
    assert len(route) >= 2400
    # 30,000 shops: a third uniform over the route's box, the rest within ~2 km of it
    k = rng.integers(0, len(route), 20_000)
    lon = np.concatenate((rng.uniform(126.8, 129.2, 10_000), route[k, 0] + rng.normal(0, 0.01, 20_000)))
    lat = np.concatenate((rng.uniform(35.0, 37.7, 10_000), route[k, 1] + rng.normal(0, 0.01, 20_000)))
    index = make_index(lon, lat, [CATEGORIES[i] for i in rng.choice(3, len(lon))])
    result = assert_matches_brute_force(index, route, 500.0, 100_000)
    assert len(result) > 5000
    assert result.measures["distance_along_m"][-1] > 350_000
    assert_matches_brute_force(index, route, 500.0, 50)
    assert_matches_brute_force(index, route, 40.0, 100_000, "제조업")


# --- the cost of one search: bounded before the work starts, and stopped once the answer is certain ---

def zigzag(vertices: int, lon0: float, lon1: float, lat0: float, lat1: float) -> np.ndarray:
    """A hostile route: back and forth across a city, every vertex a turn."""
    lon = np.linspace(lon0, lon1, vertices)
    lat = np.where(np.arange(vertices) % 2 == 0, lat0, lat1)
    return np.column_stack((lon, lat))


def seoul_shops(count: int, seed: int = 3) -> StoreIndex:
    rng = np.random.default_rng(seed)
    return make_index(rng.uniform(126.80, 127.20, count), rng.uniform(37.42, 37.70, count))


def test_a_hostile_route_is_refused_before_any_work():
    """20,000 vertices zigzagging across Seoul at the widest corridor: 2.2 million km² of corridor."""
    index = seoul_shops(21_210)
    work = Work()
    with pytest.raises(BadParameter, match="corridor") as caught:
        along_route(index, zigzag(20_000, 126.9, 127.1, 37.50, 37.60), width_m=5000, limit=200, work=work)
    assert caught.value.parameter == "route"
    assert work == Work()  # not one sample taken


def test_vertices_times_corridor_is_bounded_too():
    route = zigzag(5_000, 126.90, 127.10, 37.500, 37.502)  # 5,000 turns of ~220 m: ~1,100 km of route
    with pytest.raises(BadParameter, match="vertices x corridor"):
        along_route(seoul_shops(100), route, width_m=2000, limit=10)
    along_route(seoul_shops(100), route, width_m=100, limit=10)  # a narrow corridor of the same route is fine


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vertices=st.integers(2, 3000), width=st.floats(10, 5000), limit=st.integers(1, 200),
       amplitude=st.floats(0.0005, 0.05))
def test_whatever_passes_the_caps_stays_within_the_work_bound(vertices, width, limit, amplitude):
    index = seoul_shops(21_210)
    work = Work()
    try:
        result = along_route(index, zigzag(vertices, 126.95, 127.05, 37.55, 37.55 + amplitude),
                             width_m=width, limit=limit, work=work)
    except BadParameter as refused:
        assert refused.parameter == "route"
        return
    assert work.pairs <= MAX_PAIRS and work.evaluations <= MAX_EVALUATIONS
    assert len(result) <= limit


def test_the_search_stops_once_the_first_shops_are_certain():
    index = seoul_shops(30_000)
    route = np.array([[126.85, 37.45], [127.15, 37.68]])  # ~37 km diagonally across the shops
    everything, few = Work(), Work()
    full = along_route(index, route, width_m=300, limit=100_000, work=everything)
    first = along_route(index, route, width_m=300, limit=10, work=few)
    assert few.certified and not everything.certified
    assert few.chunks < everything.chunks and few.pairs < everything.pairs / 4
    assert [s.id for s in first.stores] == [s.id for s in full.stores[:10]]
    assert first.measures["distance_along_m"] == full.measures["distance_along_m"][:10]
    assert_matches_brute_force(index, route, 300.0, 10)


def test_a_later_pass_closer_to_a_shop_keeps_it_from_being_certain_early():
    """Out 20 km and back 30 m to the north: the first shops along the way out lie closer to the way back."""
    out = np.column_stack((np.linspace(126.90, 127.13, 400), np.full(400, 37.55)))
    back = np.column_stack((np.linspace(127.13, 126.90, 400), np.full(400, 37.55 + 30 / 111_000)))
    lon = np.linspace(126.901, 127.129, 300)
    index = make_index(lon, np.full(300, 37.55 + 25 / 111_000))  # 25 m north of the way out, 5 m from back
    result = assert_matches_brute_force(index, np.vstack((out, back)), 200.0, 5)
    assert min(result.measures["distance_along_m"]) > 20_000  # they belong to the way back


def test_the_deadline_is_checked_between_chunks():
    calls = []
    along_route(seoul_shops(5_000), np.array([[126.85, 37.45], [127.15, 37.68]]), width_m=200, limit=100_000,
                check=lambda: calls.append(1))
    assert len(calls) >= 2
    with pytest.raises(RuntimeError, match="deadline"):
        along_route(seoul_shops(5_000), np.array([[126.85, 37.45], [127.15, 37.68]]), width_m=200,
                    limit=100_000, check=lambda: (_ for _ in ()).throw(RuntimeError("deadline")))
