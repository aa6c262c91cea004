"""Use cases of the navigation API over typed queries: ask the index, shape the result.

The queries arrive as values (``NearbyQuery``, ``ViewportQuery``, ...)
already checked by ``web.params``; nothing here reads request text.

Text (``SearchQuery``, and ``text`` on nearby, viewport and along-route) is
matched by ``navplugin.search`` over the index's text index (``StoreIndex.text``).
A list narrowed by text holds exactly the shops ``search`` would find, in the
list's own order: the text gives candidates first (never "the nearest k, then
filtered", which misses matches past the first k), and each is confirmed in
the list's order only until the page is full.
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
from .search import Matcher, contains
from .spatial.geodesy import arc_from_chord, bearings, chord_for_arc, ecef_point
from .spatial.index import Picked, StoreIndex, category_key, project_5179

# Viewports: South Korea's extent, and the largest map view a client may ask for at once.
KOREA_EXTENT = (124.0, 32.8, 132.2, 39.0)
MAX_BBOX_DEGREES = 2.0
# Text: a search pages through its best 1,000 shops at most; nearby measures up to this many text
# candidates directly (more: nearest first from the KD-tree); along a route, up to this many
# candidates get an index of their own (more: the corridor search, then the text).
SEARCH_MAX_RESULTS = 1000
ANY_DISTANCE_M = 20_000_000.0  # half the earth's circumference: a radius that leaves no shop out
NEARBY_DIRECT_MAX = 50_000
ROUTE_SUBSET_MAX = 10_000


@dataclass(frozen=True, slots=True)
class NearbyQuery:
    lat: float
    lon: float
    radius_m: float
    limit: int
    category: str | None
    text: str | None = None  # only shops matching it (``search``)
    max_accuracy_m: float | None = None  # only shops whose radius (``Store.accuracy_m``) is at most this


@dataclass(frozen=True, slots=True)
class ViewportQuery:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    limit: int
    after_id: str | None  # the page starts after this shop id (decoded from the cursor)
    category: str | None
    text: str | None = None
    max_accuracy_m: float | None = None


@dataclass(frozen=True, slots=True)
class ExportQuery:
    category: str | None
    region: str | None
    max_accuracy_m: float | None = None


@dataclass(frozen=True)
class RouteQuery:
    route: np.ndarray  # (n, 2) lon, lat
    width_m: float
    limit: int
    category: str | None
    text: str | None = None
    max_accuracy_m: float | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Shops by name, 업종 or address; nearest first within each match tier when a position is given."""

    text: str
    limit: int
    offset: int = 0  # how many of the best hits earlier pages showed (decoded from the cursor)
    lat: float | None = None
    lon: float | None = None
    category: str | None = None
    max_accuracy_m: float | None = None


def with_coordinates(result: QueryResult, crs: str | None) -> QueryResult:
    """Add each shop's ``x``, ``y`` in a Korean navigation coordinate system, when asked for."""
    if crs is None or not result.stores:
        return result
    xs, ys = project([s.lon for s in result.stores], [s.lat for s in result.stores], crs)
    measures = {**result.measures, "x": xs.tolist(), "y": ys.tolist()}
    return QueryResult(result.dataset_version, result.stores, measures, result.next_cursor)


def nearby(index: StoreIndex, query: NearbyQuery) -> QueryResult:
    by_accuracy = index.accuracy_mask(query.max_accuracy_m) if query.max_accuracy_m is not None else None
    if query.text is None and by_accuracy is None:
        return index.nearby(lat=query.lat, lon=query.lon, radius_m=query.radius_m, limit=query.limit,
                            category=query.category)
    matcher = Matcher(index.text, query.text) if query.text is not None else None
    positions, distances = _nearest_matching(index, query, matcher, by_accuracy)
    if not positions:
        return QueryResult(index.version, (), {"distance_m": (), "bearing_deg": ()})
    azimuths = bearings(query.lon, query.lat, ecef_point(query.lon, query.lat), index.xyz[positions])
    return QueryResult(index.version, Picked(index.stores, positions),
                       {"distance_m": distances, "bearing_deg": azimuths.tolist()})


def _nearest_matching(index: StoreIndex, query: NearbyQuery, matcher: Matcher | None,
                      by_accuracy: np.ndarray | None) -> tuple[list[int], list[float]]:
    """Positions and distances of the nearest ``limit`` shops within the radius that match the text
    (when there is one) and are precise enough (``by_accuracy``, when given).

    Few candidates (the usual case) are measured directly; many (a text that matches most
    shops, a radius most shops keep within) are read nearest first from the KD-tree, in
    growing batches, and kept if they are candidates, until ``limit`` are confirmed or the
    radius is exhausted.
    """
    if matcher is None:
        found = np.flatnonzero(by_accuracy)
    else:
        found = matcher.every_candidate()
        found = found if by_accuracy is None else found[by_accuracy[found]]
    by_category = index.category_mask(query.category) if query.category is not None else None
    found = found if by_category is None else found[by_category[found]]
    origin = ecef_point(query.lon, query.lat)
    if found.size <= NEARBY_DIRECT_MAX:
        chords = np.linalg.norm(index.xyz[found] - origin, axis=1)
        inside = chords < chord_for_arc(query.radius_m)  # as the KD-tree's bound: strictly inside
        found, chords = found[inside], chords[inside]
        order = np.lexsort((found, chords))
        kept = order[_first_matching(matcher, found[order].tolist(), query.limit)]
        return found[kept].tolist(), arc_from_chord(chords[kept]).tolist()
    wanted = np.zeros(len(index), dtype=bool)
    wanted[found] = True
    known: dict[int, bool] = {}
    batch = min(len(index), max(4 * query.limit, 256))
    while True:
        deadline.check()
        positions, distances, _origin = index.nearest(lon=query.lon, lat=query.lat, radius_m=query.radius_m,
                                                      limit=batch, category=query.category)
        exhausted = len(positions) < batch or batch >= len(index)
        candidate = wanted[positions]
        positions, distances = positions[candidate], distances[candidate]
        kept = _first_matching(matcher, positions.tolist(), query.limit, known)
        if len(kept) == query.limit or exhausted:
            return positions[kept].tolist(), distances[kept].tolist()
        batch = min(batch * 4, len(index))


def _first_matching(matcher: Matcher | None, positions: list[int], count: int,
                    known: dict[int, bool] | None = None) -> list[int]:
    """Indices (into ``positions``) of the first ``count`` shops that match: each checked in turn."""
    if matcher is None:  # no text: every candidate matches
        return list(range(min(count, len(positions))))
    kept: list[int] = []
    for i, position in enumerate(positions):
        matched = known.get(position) if known is not None else None
        if matched is None:
            matched = matcher.matches(position)
            if known is not None:
                known[position] = matched
        if matched:
            kept.append(i)
            if len(kept) == count:
                break
    return kept


def search(index: StoreIndex, query: SearchQuery) -> QueryResult:
    """Shops matching ``query.text``, best match tier first (``search.match``); within a tier the
    nearest first when a position is given, else by name. ``match_tier`` (1 = exact name ... 7 = one
    typo) is each hit's tier; with a position, ``distance_m`` and ``bearing_deg`` as nearby's."""
    text = index.text
    origin = None if query.lat is None or query.lon is None else ecef_point(query.lon, query.lat)
    allowed = index.filter_mask(query.category, query.max_accuracy_m)
    end = min(query.offset + query.limit, SEARCH_MAX_RESULTS)
    if origin is None:
        order = text.name_rank.__getitem__
    else:
        shift = max(1, len(index).bit_length())

        def order(positions: np.ndarray) -> np.ndarray:  # nearest first (to the millimetre), then by name
            chords = np.linalg.norm(index.xyz[positions] - origin, axis=1)
            return (np.rint(chords * 1000).astype(np.int64) << shift) | text.name_rank[positions]

    def nearest(count: int) -> tuple[np.ndarray, np.ndarray]:
        positions, distances, _origin = index.nearest(lon=query.lon, lat=query.lat, radius_m=ANY_DISTANCE_M,
                                                      limit=count)
        return positions, distances

    hits, tiers = Matcher(text, query.text).ranked(order, allowed, end + 1,
                                                   nearest if origin is not None else None)
    page = hits[query.offset:end]
    measures: dict[str, Any] = {}
    if origin is not None:
        targets = index.xyz[page] if page else np.empty((0, 3))
        measures["distance_m"] = arc_from_chord(np.linalg.norm(targets - origin, axis=1)).tolist()
        measures["bearing_deg"] = bearings(query.lon, query.lat, origin, targets).tolist() if page else []
    measures["match_tier"] = [tier + 1 for tier in tiers[query.offset:end]]
    more = len(hits) > end and end < SEARCH_MAX_RESULTS
    return QueryResult(index.version, Picked(index.stores, page), measures,
                       encode_search_cursor(end) if more else None)


def encode_search_cursor(offset: int) -> str:
    """A search page's ``next_cursor``: how many of the best hits the pages so far showed."""
    return encode_cursor(f"@{offset}")


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
    if query.max_accuracy_m is not None:
        by_accuracy = index.accuracy_mask(query.max_accuracy_m)
        positions = positions if by_accuracy is None else positions[by_accuracy[positions]]
    if query.text is not None:
        matcher = Matcher(index.text, query.text)
        positions = positions[contains(matcher.every_candidate(), positions, len(index))]
        positions = positions[_first_matching(matcher, positions.tolist(), query.limit + 1)]
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
    if query.max_accuracy_m is not None:
        stores = [s for s in stores if s.accuracy_m <= query.max_accuracy_m]
    return QueryResult(index.version, stores, {})


def along_route(index: StoreIndex, query: RouteQuery) -> QueryResult:
    """Shops along the route; the request's deadline is checked between chunks of the search."""
    if query.text is None:
        return corridor.along_route(index, query.route, width_m=query.width_m, limit=query.limit,
                                    category=query.category, max_accuracy_m=query.max_accuracy_m,
                                    check=deadline.check)
    matcher = Matcher(index.text, query.text)
    found = matcher.every_candidate()
    if found.size > ROUTE_SUBSET_MAX:
        return _along_route_then_text(index, query, matcher, found)
    # Few candidates: those near the route that match get a small index of their own.
    x, y = project_5179(query.route[:, 0], query.route[:, 1])
    reach = query.width_m * 1.01 + 1.0  # the corridor is measured in these metres; a margin for rounding
    xy = index.xy_5179[found]
    near = ((xy[:, 0] >= x.min() - reach) & (xy[:, 0] <= x.max() + reach)
            & (xy[:, 1] >= y.min() - reach) & (xy[:, 1] <= y.max() + reach))
    matching = [position for position in found[near].tolist() if matcher.matches(position)]
    if not matching:
        corridor.corridor(query.route, query.width_m)  # the route is still checked, as without text
        return QueryResult(index.version, (), {"distance_along_m": [], "offset_m": []})
    return corridor.along_route(index.subset(np.asarray(matching)), query.route, width_m=query.width_m,
                                limit=query.limit, category=query.category, max_accuracy_m=query.max_accuracy_m,
                                check=deadline.check)


def _along_route_then_text(index: StoreIndex, query: RouteQuery, matcher: Matcher,
                           found: np.ndarray) -> QueryResult:
    """A text that many shops match: the first shops along the route, in growing batches, kept if they
    match, until ``limit`` match or the corridor is exhausted (bounded by the corridor search's own limits)."""
    wanted = np.zeros(len(index), dtype=bool)
    wanted[found] = True
    known: dict[int, bool] = {}
    batch = max(4 * query.limit, 256)
    while True:
        result = corridor.along_route(index, query.route, width_m=query.width_m, limit=batch,
                                      category=query.category, max_accuracy_m=query.max_accuracy_m,
                                      check=deadline.check)
        positions = [index.by_id[store.id] for store in result.stores]
        candidates = [i for i, position in enumerate(positions) if wanted[position]]
        kept = [candidates[i] for i in _first_matching(matcher, [positions[i] for i in candidates],
                                                       query.limit, known)]
        if len(kept) == query.limit or len(result) < batch or batch >= len(index):
            return QueryResult(index.version, [result.stores[i] for i in kept],
                               {name: [values[i] for i in kept] for name, values in result.measures.items()})
        batch = min(batch * 4, len(index))
