"""Differences between two versions' shops, field by field."""
from __future__ import annotations

from navplugin.model import Store
from navplugin.store.diff import diff_stores


def shop(store_id: str, **fields) -> Store:
    values = {"name": "가게", "lon": 127.0, "lat": 37.5, "provider": "supplied", "precision": "supplied"}
    return Store(id=store_id, **{**values, **fields})


def test_added_removed_changed_in_id_order():
    before = [shop("b"), shop("a", phone="1"), shop("c", extra={"비고": "x"})]
    after = [shop("d"), shop("c", extra={"비고": "y"}), shop("a", phone="2", lat=37.6)]
    diff = diff_stores(before, after)
    assert [s.id for s in diff.added] == ["d"]
    assert [s.id for s in diff.removed] == ["b"]
    assert [(c.before.id, c.fields) for c in diff.changed] == [
        ("a", {"phone": ("1", "2"), "lat": (37.5, 37.6)}),
        ("c", {"extra": ({"비고": "x"}, {"비고": "y"})}),
    ]
    assert not diff.empty


def test_same_shops_make_an_empty_diff():
    shops = [shop("a"), shop("b", overridden={"lat": 37.4})]
    assert diff_stores(shops, list(reversed(shops))).empty


def test_override_bookkeeping_is_a_change():
    diff = diff_stores([shop("a")], [shop("a", overridden={"phone": None})])
    assert diff.changed[0].fields == {"overridden": ({}, {"phone": None})}
