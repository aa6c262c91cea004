"""The nearest-shop index against a brute-force geodesic computation."""
from __future__ import annotations

import math

from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.model import Store
from navplugin.spatial.index import Picked, StoreIndex

# A dense city-sized area (Seoul) so that radii from metres to kilometres hold many shops.
lons = st.floats(126.90, 127.10, allow_nan=False)
lats = st.floats(37.45, 37.62, allow_nan=False)
categories = st.sampled_from(["음식점업", "제조업", None])


def make_store(number: int, lon: float, lat: float, category: str | None = None) -> Store:
    return Store(id=f"s{number}", name=f"가게 {number}", lon=lon, lat=lat, provider="supplied",
                 precision="supplied", category=category)


def brute_force(stores, lon, lat, radius, limit, category=None):
    """Every shop's geodesic distance, the ones within the radius, nearest first."""
    found = []
    for store in stores:
        if category is not None and store.category != category:
            continue
        distance = geodesic((lat, lon), (store.lat, store.lon)).meters
        found.append((distance, store.id))
    found.sort()
    inside = [item for item in found if item[0] <= radius]
    near_border = any(abs(d - radius) <= radius * 1e-6 + 1e-6 for d, _ in found)
    return inside[:limit], near_border


def assert_matches_brute_force(index, stores, lon, lat, radius, limit, category=None):
    expected, near_border = brute_force(stores, lon, lat, radius, limit, category)
    hits = index.nearby(lat=lat, lon=lon, radius_m=radius, limit=limit, category=category).hits
    # Every reported distance is geodesic within 0.1 %, and ordered nearest first.
    for hit in hits:
        exact = geodesic((lat, lon), (hit.store.lat, hit.store.lon)).meters
        assert math.isclose(hit.distance_m, exact, rel_tol=1e-3, abs_tol=1e-3)
        if category is not None:
            assert hit.store.category == category
    assert [h.distance_m for h in hits] == sorted(h.distance_m for h in hits)
    if not near_border:
        assert len(hits) == len(expected)
    # The k-th nearest distance agrees with brute force (ids may differ only on exact ties).
    for hit, (distance, _) in zip(hits, expected):
        assert math.isclose(hit.distance_m, distance, rel_tol=1e-3, abs_tol=1e-3)


@settings(max_examples=120, deadline=None)
@given(
    shops=st.lists(st.tuples(lons, lats, categories), min_size=0, max_size=120),
    query=st.tuples(lons, lats),
    radius=st.floats(5, 20_000),
    limit=st.integers(1, 60),
    category=st.sampled_from([None, "음식점업", "제조업", "없는업종"]),
)
def test_nearby_matches_brute_force_geodesic(shops, query, radius, limit, category):
    stores = [make_store(i, lon, lat, cat) for i, (lon, lat, cat) in enumerate(shops)]
    index = StoreIndex(stores, version=1)
    assert_matches_brute_force(index, stores, query[0], query[1], radius, limit, category)


def test_bearings_point_the_right_way():
    origin_lon, origin_lat = 127.0, 37.5
    stores = [
        make_store(0, 127.0, 37.51),  # north
        make_store(1, 127.01, 37.5),  # east
        make_store(2, 127.0, 37.49),  # south
        make_store(3, 126.99, 37.5),  # west
    ]
    hits = {h.store.id: h for h in StoreIndex(stores, 1).nearby(lat=origin_lat, lon=origin_lon, radius_m=5000, limit=10).hits}
    assert abs(hits["s0"].bearing_deg - 0) < 0.1 or abs(hits["s0"].bearing_deg - 360) < 0.1
    assert abs(hits["s1"].bearing_deg - 90) < 0.1
    assert abs(hits["s2"].bearing_deg - 180) < 0.1
    assert abs(hits["s3"].bearing_deg - 270) < 0.1


def test_far_shops_are_measured_on_the_ellipsoid():
    """Seoul to Jeju (~450 km): still geodesic within 0.1 %, not a flat-earth guess."""
    stores = [make_store(0, 126.5312, 33.4996)]
    hits = StoreIndex(stores, 1).nearby(lat=37.5665, lon=126.9780, radius_m=500_000, limit=1).hits
    exact = geodesic((37.5665, 126.9780), (33.4996, 126.5312)).meters
    assert len(hits) == 1
    assert math.isclose(hits[0].distance_m, exact, rel_tol=1e-3)


def test_empty_index_and_unknown_category_return_nothing():
    assert len(StoreIndex([], 1).nearby(lat=37.5, lon=127.0, radius_m=1000, limit=5)) == 0
    index = StoreIndex([make_store(0, 127.0, 37.5, "음식점업")], 1)
    assert len(index.nearby(lat=37.5, lon=127.0, radius_m=1000, limit=5, category="제조업")) == 0
    found = index.nearby(lat=37.5, lon=127.0, radius_m=1000, limit=5, category="음식점업")
    assert [s.id for s in found.stores] == ["s0"]


def test_picked_is_a_read_only_sequence_of_the_positions_stores():
    stores = [make_store(i, 127.0 + i / 1000, 37.5) for i in range(5)]
    picked = Picked(stores, [3, 0, 4])
    assert len(picked) == 3 and bool(picked) and not Picked(stores, [])
    assert list(picked) == [stores[3], stores[0], stores[4]]
    assert picked[0] is stores[3] and picked[-1] is stores[4]
    assert picked[1:] == [stores[0], stores[4]]
    assert picked == [stores[3], stores[0], stores[4]] and picked != [stores[3], stores[0]]
    assert picked != "s3s0s4"
    assert stores[0] in picked and stores[1] not in picked
    assert (picked.source, picked.positions) == (stores, [3, 0, 4])


def test_nearby_picks_its_shops_by_position_in_the_index():
    stores = [make_store(i, 127.0 + i / 1000, 37.5) for i in range(50)]
    index = StoreIndex(stores, 1)
    result = index.nearby(lat=37.5, lon=127.0101, radius_m=5000, limit=3)
    assert isinstance(result.stores, Picked) and result.stores.source is index.stores
    assert [s.id for s in result.stores] == ["s10", "s11", "s9"]
    assert [index.stores[p] for p in result.stores.positions] == list(result.stores)
