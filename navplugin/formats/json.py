"""Plain JSON: ``{dataset_version, count, [next_cursor, next,] items}``, the API's native shape.

Each item carries the shop's fields, deep links that start route guidance in
the Korean navigation apps, and the measures of the query (distance, bearing,
distance along a route, projected x/y).
"""
from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

from ..model import QueryResult, Store
from .common import RenderCache, iter_items_utf8, join_items_utf8, store_fields
from .links import deep_links


def item_fields(store: Store) -> dict[str, Any]:
    """A shop as a JSON item carries it, before the measures of a query: its fields and deep links."""
    fields = store_fields(store)
    fields["links"] = deep_links(store)
    return fields


def _fields_text(store: Store) -> str:
    """The shop's own fields as JSON members, without the braces."""
    return json.dumps(item_fields(store), ensure_ascii=False, separators=(",", ":"))[1:-1]


def _fields_utf8(store: Store) -> bytes:
    return _fields_text(store).encode()


# Kept as UTF-8: an answer is then joined from ready bytes (``serialize_utf8``), with nothing to encode.
_fields = RenderCache(_fields_utf8)
# A new dataset version is rendered once when it is loaded, not by the first requests that meet it.
warm = _fields.warm


def _head(result: QueryResult, options: Mapping[str, Any] | None) -> str:
    version = "null" if result.dataset_version is None else int(result.dataset_version)
    more = ""
    if result.next_cursor is not None:
        more += f',"next_cursor":{json.dumps(result.next_cursor)}'
    if options and options.get("next"):
        more += f',"next":{json.dumps(options["next"])}'
    return f'{{"dataset_version":{version},"count":{len(result)}{more},"items":['


def serialize_utf8(result: QueryResult, options: Mapping[str, Any] | None = None) -> bytes:
    """``serialize(result, options).encode()``, built directly from the shops' cached UTF-8 text."""
    return join_items_utf8(_head(result, options).encode(), result, _fields, "{", "}", b"]}")


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    return serialize_utf8(result, options).decode()


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The same text as ``serialize``, in pieces: the head, one item per shop, the close."""
    yield _head(result, options)
    yield from iter_items_utf8(result, _fields, "{", "}")
    yield "]}"
