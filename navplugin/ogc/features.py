"""Pages of the ``stores`` collection: which shops a request selects, and their GeoJSON text.

A page is the shops inside the box (all of them without one) in id order,
from ``offset``, at most ``limit``: ids, unlike positions, keep their order
from one dataset version to the next. A feature's ``id`` is the shop id and
its properties are the GeoJSON export's (``formats.common.store_fields``,
whose ``lon`` and ``lat`` are the geometry instead), so both answers describe
a shop alike. The shop's own text is rendered once per dataset version and
kept (a ``RenderCache``); a page only adds each geometry in the asked CRS.

Cost: one pass over the index's coordinate arrays for a box, then work in
proportion to the page, at most ``MAX_LIMIT`` features.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import NotFound
from ..formats.common import RenderCache, store_fields
from ..model import Store
from ..spatial.index import StoreIndex
from . import crs
from .crs import CRS84

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000  # a larger limit is served as this one (Part 1: over the maximum is not an error)


@dataclass(frozen=True, slots=True)
class ItemsQuery:
    """What a request for a page of features asks, checked by the web layer."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # lower corner, upper corner, in bbox_crs's axis order
    bbox_crs: str = CRS84
    crs: str = CRS84
    # Checked, kept for the page's links; no shop has a time, and Part 1 says such features always match.
    datetime: str | None = None


@dataclass(frozen=True)
class Page:
    """The shops of one page, their positions in the index, and how many shops matched in all."""

    positions: np.ndarray
    stores: list[Store]
    matched: int


def select(index: StoreIndex, query: ItemsQuery) -> Page:
    if query.bbox is None:
        matched = len(index)
        start = min(query.offset, matched)
        positions = np.arange(start, min(start + query.limit, matched))
    else:
        found = crs.in_bbox(index, query.bbox, query.bbox_crs)
        matched = len(found)
        positions = found[query.offset:query.offset + query.limit]
    return Page(positions, [index.stores[p] for p in positions.tolist()], matched)


def one(index: StoreIndex, feature_id: str) -> Page:
    """The shop with this id as a page of one; 404 when no live shop has it."""
    position = index.by_id.get(feature_id)
    if position is None:
        raise NotFound(f"no shop has the id {feature_id!r} in dataset version {index.version}")
    return Page(np.array([position]), [index.stores[position]], 1)


def properties(store: Store) -> dict[str, Any]:
    """A feature's properties: the GeoJSON export's, the point being the geometry."""
    fields = store_fields(store)
    del fields["lon"], fields["lat"]
    return fields


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _parts(store: Store) -> tuple[str, str]:
    """A feature's text before and after its geometry, which depends on the CRS asked for."""
    return ('{"type":"Feature","id":' + _text(store.id) + ',"geometry":',
            ',"properties":' + _text(properties(store)) + "}")


_PARTS = RenderCache(_parts)


def feature_texts(index: StoreIndex, page: Page, uri: str) -> list[str]:
    """Each shop of the page as GeoJSON Feature text, its point in ``uri`` in that CRS's axis order."""
    firsts, seconds = crs.coordinates(index, page.positions, uri)
    return [f'{head}{{"type":"Point","coordinates":[{first!r},{second!r}]}}{tail}'
            for (head, tail), first, second in zip(_PARTS.many(page.stores), firsts.tolist(), seconds.tolist())]


def feature_collection(features: list[str], matched: int, links: list[dict[str, str]], time_stamp: str) -> str:
    return ('{"type":"FeatureCollection","timeStamp":' + _text(time_stamp)
            + f',"numberMatched":{matched},"numberReturned":{len(features)},"features":['
            + ",".join(features) + '],"links":' + _text(links) + "}")


def feature_document(feature: str, links: list[dict[str, str]]) -> str:
    """One feature as its own document: the feature's text with its links."""
    return feature[:-1] + ',"links":' + _text(links) + "}"


def rows(index: StoreIndex, page: Page, uri: str) -> list[dict[str, Any]]:
    """The page's features as plain values, for a page meant to be read (HTML)."""
    firsts, seconds = crs.coordinates(index, page.positions, uri)
    return [{"id": store.id, "coordinates": (first, second), "properties": properties(store)}
            for store, first, second in zip(page.stores, firsts.tolist(), seconds.tolist())]
