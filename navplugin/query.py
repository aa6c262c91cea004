"""Use cases of the navigation API over typed queries: ask the index, shape the result.

The queries arrive as values (``NearbyQuery``, ``ViewportQuery``, ...)
already checked by ``web.params``; nothing here reads request text.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import deadline
from .addresses import normalize_address
from .errors import NotFound
from .model import QueryResult, Region, Store
from .spatial import route as corridor
from .spatial.crs import project
from .spatial.index import StoreIndex, category_key

# Viewports: South Korea's extent, and the largest map view a client may ask for at once.
KOREA_EXTENT = (124.0, 32.8, 132.2, 39.0)
MAX_BBOX_DEGREES = 2.0


@dataclass(frozen=True, slots=True)
class NearbyQuery:
    lat: float
    lon: float
    radius_m: float
    limit: int
    category: str | None


@dataclass(frozen=True, slots=True)
class ViewportQuery:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    limit: int
    after_id: str | None  # the page starts after this shop id (decoded from the cursor)
    category: str | None


@dataclass(frozen=True, slots=True)
class ExportQuery:
    category: str | None
    region: str | None


@dataclass(frozen=True)
class RouteQuery:
    route: np.ndarray  # (n, 2) lon, lat
    width_m: float
    limit: int
    category: str | None


def with_coordinates(result: QueryResult, crs: str | None) -> QueryResult:
    """Add each shop's ``x``, ``y`` in a Korean navigation coordinate system, when asked for."""
    if crs is None or not result.stores:
        return result
    xs, ys = project([s.lon for s in result.stores], [s.lat for s in result.stores], crs)
    measures = {**result.measures, "x": xs.tolist(), "y": ys.tolist()}
    return QueryResult(result.dataset_version, result.stores, measures, result.next_cursor)


def nearby(index: StoreIndex, query: NearbyQuery) -> QueryResult:
    return index.nearby(lat=query.lat, lon=query.lon, radius_m=query.radius_m, limit=query.limit,
                        category=query.category)


def store_detail(index: StoreIndex, store_id: str) -> Store:
    store = index.get(store_id)
    if store is None:
        raise NotFound(f"no certified store with id {store_id!r} in dataset version {index.version}")
    return store


def region_at(lookup: Any, lon: float, lat: float) -> Region:
    region = lookup.lookup(lon, lat)
    if region is None:
        raise NotFound(f"no South Korean district contains lat={lat:g}, lon={lon:g} (at sea or abroad)")
    return region


def encode_cursor(store_id: str) -> str:
    """A viewport page's ``next_cursor``: opaque to clients, the last shop id to us."""
    return base64.urlsafe_b64encode(store_id.encode("utf-8")).decode("ascii").rstrip("=")


def viewport(index: StoreIndex, query: ViewportQuery) -> QueryResult:
    """Shops in the box in id order, a page at a time: ids, unlike positions, survive a new version."""
    positions = index.in_bbox(query.min_lon, query.min_lat, query.max_lon, query.max_lat, query.category,
                              after_id=query.after_id)
    page = positions[:query.limit]
    stores = [index.stores[p] for p in page.tolist()]
    next_cursor = encode_cursor(stores[-1].id) if len(positions) > query.limit else None
    return QueryResult(index.version, stores, {}, next_cursor)


def export(index: StoreIndex, query: ExportQuery) -> QueryResult:
    """The whole live list (a POI pack), optionally one category or one region (시도 or 시도 시군구)."""
    stores: Any = index.stores
    if query.category is not None:
        wanted = category_key(query.category)
        stores = [s for s in stores if category_key(s.category) == wanted]
    if query.region is not None:
        prefix = normalize_address(query.region)
        stores = [s for s in stores if normalize_address(s.address or s.jibun_address or "").startswith(prefix)]
    return QueryResult(index.version, stores, {})


def along_route(index: StoreIndex, query: RouteQuery) -> QueryResult:
    """Shops along the route; the request's deadline is checked between chunks of the search."""
    return corridor.along_route(index, query.route, width_m=query.width_m, limit=query.limit,
                                category=query.category, check=deadline.check)
