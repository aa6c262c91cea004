"""``max_accuracy_m`` on every list use case: exactly the shops a brute-force filter keeps, in the
use case's own order, alone and with text and category, by both ways nearby and along-route work
(few candidates measured directly; many read nearest first or along the route in batches)."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from navplugin import query
from navplugin.accuracy import accuracy_of, is_approximate
from navplugin.model import Placement, Point, Store
from navplugin.spatial.index import StoreIndex
from tests.helpers import assert_nearest_prefix

RADII = (10.0, 15.0, 50.0, 100.0, 150.0, 600.0, 2_500.0, 12_000.0)
LIMITS = (50.0, 100.0, 1_000.0, 20_000.0)


@pytest.fixture(scope="module")
def index(sample_stores) -> StoreIndex:
    """The real list, each shop given a radius drawn from every kind of source (seeded)."""
    rng = random.Random(12)
    return StoreIndex([dataclasses.replace(store, accuracy_m=rng.choice(RADII)) for store in sample_stores], 1)


def _kept(index, limit):
    return {store.id for store in index.stores if store.accuracy_m <= limit}


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("text", [None, "식당"])
def test_nearby_keeps_the_nearest_precise_enough_shops(index, way, limit, text):
    kept = _kept(index, limit)
    if text is not None:
        kept &= {s.id for s in query.search(index, query.SearchQuery(text, 1000)).stores}
    everything = index.nearby(lat=37.57, lon=126.99, radius_m=50_000, limit=len(index))
    expected = [(s.id, d) for s, d in zip(everything.stores, everything.measures["distance_m"]) if s.id in kept]
    for count in (1, 7, 200):
        found = query.nearby(index, query.NearbyQuery(37.57, 126.99, 50_000, count, None, text, limit))
        assert_nearest_prefix(list(zip([s.id for s in found.stores], found.measures["distance_m"])), expected, count)
        assert {s.id for s in found.stores} <= kept


@pytest.mark.parametrize("limit", LIMITS)
def test_viewport_pages_through_the_precise_enough_shops(index, limit):
    box = (126.0, 34.0, 130.0, 38.0)
    everything = query.viewport(index, query.ViewportQuery(*box, 1000, None, None))
    expected = [s.id for s in everything.stores if s.id in _kept(index, limit)]
    pages, after = [], None
    while True:
        found = query.viewport(index, query.ViewportQuery(*box, 5, after, None, None, limit))
        pages += [s.id for s in found.stores]
        if found.next_cursor is None:
            break
        after = found.stores[-1].id
    assert pages == expected


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("text", [None, "칼국수"])
def test_along_route_keeps_the_precise_enough_shops_in_driving_order(index, way, limit, text):
    line = np.array([[126.90, 37.52], [126.99, 37.57], [127.06, 37.50]])
    kept = _kept(index, limit)
    if text is not None:
        kept &= {s.id for s in query.search(index, query.SearchQuery(text, 1000)).stores}
    everything = query.along_route(index, query.RouteQuery(line, 3000.0, len(index), None))
    expected = [s.id for s in everything.stores if s.id in kept]
    for count in (1, 4, 200):
        found = query.along_route(index, query.RouteQuery(line, 3000.0, count, None, text, limit))
        assert [s.id for s in found.stores] == expected[:count]


@pytest.mark.parametrize("limit", LIMITS)
def test_search_and_export_keep_the_precise_enough_shops(index, limit):
    everything = query.search(index, query.SearchQuery("서울", 1000))
    found = query.search(index, query.SearchQuery("서울", 1000, max_accuracy_m=limit))
    assert [s.id for s in found.stores] == [s.id for s in everything.stores if s.accuracy_m <= limit]
    exported = query.export(index, query.ExportQuery(None, None, limit))
    assert {s.id for s in exported.stores} == _kept(index, limit)


def test_a_shop_made_without_a_radius_gets_its_precisions_and_a_stated_one_wins():
    store = Store("A", "가게", 127.0, 37.5, "juso", "entrance")
    assert store.accuracy_m == accuracy_of("entrance") == 15.0
    assert Store("A", "가게", 127.0, 37.5, "offline", "emd", accuracy_m=870.0).accuracy_m == 870.0
    assert Placement(Point(127.0, 37.5), "supplied", "supplied").accuracy_m == 100.0
    assert Placement(Point(127.0, 37.5), "supplied", "supplied", accuracy_m=12.0).columns()["accuracy_m"] == 12.0
    assert not is_approximate(250.0) and is_approximate(250.5)
