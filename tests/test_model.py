"""One declaration of a shop's fields: the values, the tables, ingest, corrections and outputs agree with it."""
from __future__ import annotations

import dataclasses

from sqlalchemy import Float, Integer, String, Text

from navplugin.formats.common import store_detail_fields
from navplugin.formats.json import item_fields
from navplugin.ingest.validate import MAX_LENGTHS
from navplugin.model import (LISTED_FIELDS, LISTED_NAMES, PLACEMENT_FIELDS, PLACEMENT_NAMES, SHOP_FIELDS,
                             GeocodeResult, Placement, Point, ShopRow, Store)
from navplugin.store import schema
from navplugin.store.cache import cache_row
from navplugin.store.versions import store_from_row, store_row
from navplugin.web.params import EDITABLE_FIELDS

ROW = ShopRow(line=2, id="A-1", name="을지면옥", category="음식점업", address="서울특별시 중구 충무로14길 2-1",
              jibun_address="서울특별시 중구 입정동 177", phone="02-2266-7052", certified_year=2019,
              founded_year=1985, region="서울특별시 중구", extra={"대표자": "홍길동"})
PLACED = Placement(Point(126.9918, 37.5670), "juso", "entrance", Point(126.9919, 37.5671), "verified", 15.0)


def names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def test_a_row_and_a_shop_hold_the_declared_fields():
    assert names(ShopRow) == ("line", *LISTED_NAMES, "point", "accuracy_m", "extra")
    assert sorted(names(Store)) == sorted((*LISTED_NAMES, *PLACEMENT_NAMES, "extra", "overridden"))
    assert len(set(LISTED_NAMES) | set(PLACEMENT_NAMES)) == len(SHOP_FIELDS)


def test_a_placement_is_its_columns():
    assert tuple(PLACED.columns()) == PLACEMENT_NAMES
    store = Store.placed(ROW, PLACED)
    assert store.placement == PLACED and Placement.from_columns(store) == PLACED
    assert {name: getattr(store, name) for name in LISTED_NAMES} == ROW.listed
    assert store.extra == {"대표자": "홍길동"}
    unchecked = Store.placed(ROW, dataclasses.replace(PLACED, district_check=None))
    assert unchecked.district_check == "unchecked"  # a stored shop always says how it was checked


def test_a_geocoders_answer_becomes_a_placement():
    found = GeocodeResult(PLACED.point, "juso", "entrance", "서울 중구", PLACED.entrance)
    assert found.placement("verified") == PLACED


def _type_of(field) -> type:
    return {int: Integer, float: Float}.get(field.type) or (String if field.max_length else Text)


def test_the_stores_table_is_the_declaration():
    columns = {column.name: column for column in schema.stores.columns}
    assert set(columns) == {"version", *LISTED_NAMES, *PLACEMENT_NAMES, "extra", "overridden"}
    for field in (*LISTED_FIELDS, *PLACEMENT_FIELDS):
        column = columns[field.name]
        assert isinstance(column.type, _type_of(field)), field.name
        assert getattr(column.type, "length", None) == field.max_length, field.name
        assert column.nullable == (not field.required and not column.primary_key), field.name


def test_upload_rows_hold_a_placement_that_may_be_missing():
    columns = {column.name: column for column in schema.upload_rows.columns}
    assert set(PLACEMENT_NAMES) <= set(columns)
    assert all(columns[name].nullable for name in PLACEMENT_NAMES)


def test_a_stored_shop_round_trips_through_its_row():
    store = Store.placed(ROW, PLACED)
    row = store_row(7, store)
    assert set(row) == {column.name for column in schema.stores.columns}
    assert store_from_row(type("Row", (), row)) == store


def test_the_geocode_cache_keeps_what_a_geocoder_places():
    row = cache_row("juso", "key", GeocodeResult(PLACED.point, "juso", "entrance", "서울", PLACED.entrance))
    assert set(row) == {column.name for column in schema.geocode_cache.columns}
    placed_by_geocoder = set(PLACEMENT_NAMES) - {"provider", "district_check"}  # the key and the later check
    assert placed_by_geocoder <= set(row)


def test_corrections_ingest_and_outputs_follow_the_declaration():
    assert sorted(EDITABLE_FIELDS) == sorted(f.name for f in SHOP_FIELDS if f.correctable)
    assert MAX_LENGTHS == {f.name: f.max_length for f in LISTED_FIELDS if f.max_length}
    detail = store_detail_fields(Store.placed(ROW, PLACED))
    assert detail["entrance"] == {"lat": 37.5671, "lon": 126.9919}  # entrance_lon/lat, nested
    shown = set(detail) - {"entrance"} | {"entrance_lon", "entrance_lat"}
    assert set(LISTED_NAMES) | set(PLACEMENT_NAMES) <= shown
    listed_in_items = set(item_fields(Store.placed(ROW, PLACED)))
    assert {"id", "name", "category", "address", "phone", "lat", "lon", "precision", "provider"} <= listed_in_items


def test_every_listed_field_can_be_read_from_a_list():
    from navplugin.ingest.columns import FIELD_ALIASES

    assert set(LISTED_NAMES) <= set(FIELD_ALIASES)
