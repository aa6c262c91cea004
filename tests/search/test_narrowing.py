"""Text narrowing nearby, viewport and along-route: exactly the shops a brute-force filter keeps.

The brute force asks the same endpoint without text for everything, then keeps the shops the
plain definition (``reference.tier``) says match, in the endpoint's own order. Both ways of each
use case are run: few text candidates (measured directly, or a small index along the route) and
many (the KD-tree nearest first, or the corridor search then the text).
"""
from __future__ import annotations

import numpy as np
import pytest

from navplugin import query
from tests.helpers import assert_nearest_prefix
from tests.search import reference

TEXTS = ["식당", "칼국수", "수성구 식당", "ㄱㄱ", "낙원아구찐", "서울", "충북", "음식점", "갈비", "면옥", "pnb", "집"]


def _matching(index, text):
    return {store.id for store in index.stores if reference.tier(store, text) is not None}


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize(("lat", "lon", "radius"), [(37.57, 126.99, 20_000), (35.86, 128.6, 50_000), (36.5, 127.5, 50)])
def test_nearby_narrowed_is_the_brute_force_subset(sample_index, way, text, lat, lon, radius):
    matching = _matching(sample_index, text)
    everything = sample_index.nearby(lat=lat, lon=lon, radius_m=radius, limit=len(sample_index))
    expected = [(s.id, d) for s, d in zip(everything.stores, everything.measures["distance_m"]) if s.id in matching]
    for limit in (1, 5, 200):
        found = query.nearby(sample_index, query.NearbyQuery(lat, lon, radius, limit, None, text))
        assert len(found.measures["bearing_deg"]) == len(found)
        assert_nearest_prefix(list(zip([s.id for s in found.stores], found.measures["distance_m"])), expected, limit)


def test_nearby_narrowed_by_text_and_category(sample_index, way):
    found = query.nearby(sample_index, query.NearbyQuery(37.57, 126.99, 50_000, 50, "음식점업", "식당"))
    assert len(found) and all("식당" in store.name or "식당" in (store.address or "") for store in found.stores)
    assert len(query.nearby(sample_index, query.NearbyQuery(37.57, 126.99, 50_000, 50, "소매업", "식당"))) == 0


@pytest.mark.parametrize("text", TEXTS)
def test_viewport_narrowed_is_the_brute_force_subset_page_by_page(sample_index, text):
    box = (126.0, 34.0, 128.0, 36.0)  # the south-west: 전라, 광주, part of 경상
    matching = _matching(sample_index, text)
    everything = query.viewport(sample_index, query.ViewportQuery(*box, 1000, None, None))
    expected = [store.id for store in everything.stores if store.id in matching]
    pages, after = [], None
    while True:
        found = query.viewport(sample_index, query.ViewportQuery(*box, 3, after, None, text))
        pages += [store.id for store in found.stores]
        if found.next_cursor is None:
            break
        after = found.stores[-1].id
    assert pages == expected


ROUTES = {
    "서울 도심": np.array([[126.90, 37.52], [126.99, 37.57], [127.06, 37.50]]),
    "대구 수성구": np.array([[128.58, 35.87], [128.64, 35.85]]),
}


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("route", list(ROUTES))
def test_along_route_narrowed_is_the_brute_force_subset(sample_index, way, text, route):
    line = ROUTES[route]
    matching = _matching(sample_index, text)
    everything = query.along_route(sample_index, query.RouteQuery(line, 3000.0, len(sample_index), None))
    expected = [(store.id, along, offset) for store, along, offset in
                zip(everything.stores, everything.measures["distance_along_m"], everything.measures["offset_m"])
                if store.id in matching]
    for limit in (1, 3, 200):
        found = query.along_route(sample_index, query.RouteQuery(line, 3000.0, limit, None, text))
        got = list(zip([s.id for s in found.stores], found.measures["distance_along_m"], found.measures["offset_m"]))
        assert got == expected[:limit], (text, limit)


def test_a_route_too_wide_is_refused_even_when_nothing_matches(sample_index):
    from navplugin.errors import BadParameter

    long_line = np.array([[126.0, 34.0], [129.5, 38.5]])
    with pytest.raises(BadParameter):
        query.along_route(sample_index, query.RouteQuery(long_line, 5000.0, 10, None))
    with pytest.raises(BadParameter):
        query.along_route(sample_index, query.RouteQuery(long_line, 5000.0, 10, None, "없는가게이름"))
