"""Shared rendering helpers: cached per-shop text, and lists joined as UTF-8 bytes."""
from __future__ import annotations

import pytest

from navplugin.formats import json as json_format
from navplugin.formats.common import RenderCache, iter_items, iter_items_utf8, join_items, join_items_utf8
from navplugin.model import QueryResult, Store

STORES = [Store(f"S{i}", name, 127.0 + i / 100, 37.5, "juso", "building", category="한식")
          for i, name in enumerate(["백년 국밥", 'Tom & "Jerry" 🍜', "떡집"])]
RESULTS = [
    QueryResult(7, STORES, {"distance_m": [12.345, 1534.2, 88000.0], "bearing_deg": [0.0, 123.45, 359.96]}),
    QueryResult(7, STORES[:2], {"distance_along_m": [1.005, 2.675], "offset_m": [-0.125, 3.0]}),
    QueryResult(None, STORES),
    QueryResult(1, []),
]


def _text(store: Store) -> str:
    return f'"id":"{store.id}","name":"{store.name}"'


def test_many_is_one_call_per_shop_and_renders_each_shop_once():
    rendered = []
    cache = RenderCache(lambda store: rendered.append(store.id) or store.id.lower())
    assert cache.many(STORES) == ["s0", "s1", "s2"]
    assert cache.many(STORES[::-1] + STORES) == ["s2", "s1", "s0", "s0", "s1", "s2"]
    assert rendered == ["S0", "S1", "S2"]
    assert cache.many([]) == []


def test_many_never_answers_for_another_shop_with_a_reused_id():
    cache = RenderCache(lambda store: store.name)
    cache.many([Store("A", "first", 127.0, 37.5, "juso", "building")])
    # a new object may get the freed object's id(); the identity check must still miss
    assert cache.many([Store("B", "second", 127.0, 37.5, "juso", "building")]) == ["second"]


@pytest.mark.parametrize("result", RESULTS, ids=["nearby", "route", "plain", "empty"])
def test_utf8_join_and_stream_give_the_text_of_the_str_helpers(result):
    text_cache = RenderCache(_text)
    utf8_cache = RenderCache(lambda store: _text(store).encode())
    expected = join_items(result, text_cache, "{", "}")
    joined = join_items_utf8(b"[", result, utf8_cache, "{", "}", b"]")
    assert joined == f"[{expected}]".encode()
    assert list(iter_items_utf8(result, utf8_cache, "{", "}")) == list(iter_items(result, text_cache, "{", "}"))


@pytest.mark.parametrize("result", RESULTS, ids=["nearby", "route", "plain", "empty"])
def test_json_serialize_utf8_is_serialize_encoded(result):
    options = {"next": "https://example.com/v1/stores?bbox=1,2,3,4&cursor=UzE"}
    assert json_format.serialize_utf8(result, options) == json_format.serialize(result, options).encode("utf-8")
    assert json_format.serialize_utf8(result) == "".join(json_format.stream(result)).encode("utf-8")


class _Selection(list):
    """A selection of a longer list, saying which positions it took (like a nearby answer's shops)."""

    def __init__(self, source, positions):
        super().__init__(source[p] for p in positions)
        self.source, self.positions = source, positions


def test_a_warmed_list_answers_selections_of_it_by_position():
    rendered = []
    cache = RenderCache(lambda store: rendered.append(store.id) or store.id.lower())
    cache.warm(STORES)
    assert rendered == ["S0", "S1", "S2"]
    assert cache.many(_Selection(STORES, [2, 0])) == ["s2", "s0"]
    other = list(STORES)  # equal, but not the warmed list: looked up shop by shop
    assert cache.many(_Selection(other, [1])) == ["s1"]
    assert rendered == ["S0", "S1", "S2"]


def test_warming_a_new_list_replaces_the_positions_of_the_old_one():
    cache = RenderCache(lambda store: store.name)
    cache.warm(STORES)
    renamed = [Store(s.id, s.name + "!", s.lon, s.lat, s.provider, s.precision) for s in STORES]
    cache.warm(renamed)
    assert cache.many(_Selection(renamed, [0])) == [STORES[0].name + "!"]
    assert cache.many(_Selection(STORES, [0])) == [STORES[0].name]  # the old list still answers, by lookup


def test_a_list_larger_than_the_cache_is_not_kept_by_position():
    cache = RenderCache(lambda store: store.id, max_entries=2)
    cache.warm(STORES)
    assert cache.many(_Selection(STORES, [2, 1])) == ["S2", "S1"]
