"""GeoJSON (RFC 7946): a FeatureCollection of Points in (lon, lat) order."""
from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

from ..model import QueryResult, Store
from .common import RenderCache, iter_items, join_items, store_fields


def _feature_head(store: Store) -> str:
    """A Feature up to the end of its known properties; the hit's own values close it."""
    properties = store_fields(store)
    coordinates = [properties.pop("lon"), properties.pop("lat")]
    feature = {
        "type": "Feature",
        "id": store.id,
        "geometry": {"type": "Point", "coordinates": coordinates},
        "properties": properties,
    }
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))[:-2]


_heads = RenderCache(_feature_head)


def _head(result: QueryResult) -> str:
    version = "null" if result.dataset_version is None else int(result.dataset_version)
    # dataset_version is a foreign member, which RFC 7946 §6.1 allows.
    return f'{{"type":"FeatureCollection","dataset_version":{version},"features":['


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> str:
    return _head(result) + join_items(result, _heads, "", "}}") + "]}"


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The same text as ``serialize``, in pieces: the head, one Feature per shop, the close."""
    yield _head(result)
    yield from iter_items(result, _heads, "", "}}")
    yield "]}"
