"""The in-memory index of one dataset version, and the holder that swaps it.

Reads never touch the database: each process keeps a ``StoreIndex`` of the
live version and replaces it whole when the version changes. An index is
immutable once built, so a request that picked one up keeps a consistent
view even while a newer one is swapped in.
"""
from __future__ import annotations

import bisect
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator, Sequence, overload

import numpy as np
from scipy.spatial import cKDTree

from ..model import QueryResult, Store
from ..search.index import SearchIndex
from .clusters import ClusterPyramid
from .geodesy import arc_from_chord, bearings, chord_for_arc, ecef_array, ecef_point

LOGGER = logging.getLogger(__name__)


def category_key(category: str | None) -> str:
    return (category or "").strip().casefold()


# Metric coordinates for corridor (along-route) searches are computed at most once per index (it is
# immutable). ``IndexHolder.refresh`` builds them with the index, off the request path, so the first
# along-route request pays nothing; an index built directly (tests, benchmarks) computes them on first use.
_METRIC_LOCK = threading.Lock()
_TEXT_LOCK = threading.Lock()  # the text index (``StoreIndex.text``): its own, as it takes longer
_TRANSFORMERS = threading.local()  # one pyproj transformer per thread, never shared


def project_5179(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in metres, EPSG:5179 (Korea 2000 / Unified CS), of WGS84 (lon, lat) arrays."""
    transformer = getattr(_TRANSFORMERS, "to_5179", None)
    if transformer is None:
        from pyproj import Transformer

        transformer = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
        _TRANSFORMERS.to_5179 = transformer
    x, y = transformer.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


class Picked(Sequence[Store]):
    """Some of an index's stores, by position, in answer order: a nearby answer's shops.

    No list of the shops is built: ``source`` is the index's whole store list
    and ``positions`` the picked positions, so a format that keeps text per
    position of ``source`` can answer without touching the shops themselves.
    Otherwise it is an ordinary read-only sequence of stores.
    """

    __slots__ = ("source", "positions")

    def __init__(self, source: list[Store], positions: list[int]) -> None:
        self.source = source
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, item: int) -> Store: ...

    @overload
    def __getitem__(self, item: slice) -> list[Store]: ...

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self.source[p] for p in self.positions[item]]
        return self.source[self.positions[item]]

    def __iter__(self) -> Iterator[Store]:
        return map(self.source.__getitem__, self.positions)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment] - equal to lists, so unhashable like them

    def __repr__(self) -> str:
        return f"Picked({list(self)!r})"


@dataclass(frozen=True)
class _Tree:
    tree: cKDTree
    members: np.ndarray | None  # positions in StoreIndex.stores of the tree's points; None: all, in order
    size: int


class StoreIndex:
    """Nearest-shop search over one immutable list of stores."""

    def __init__(self, stores: Sequence[Store], version: int | None,
                 lon: np.ndarray | None = None, lat: np.ndarray | None = None) -> None:
        started = time.perf_counter()
        self.version = version
        self.activated_at: datetime | None = None  # when this version went live, where known
        self.stores = stores if isinstance(stores, list) else list(stores)
        if any(a.id > b.id for a, b in zip(self.stores, self.stores[1:])):
            # Pages of a viewport follow id order; the database sends stores sorted already.
            order = sorted(range(len(self.stores)), key=lambda position: self.stores[position].id)
            self.stores = [self.stores[position] for position in order]
            if lon is not None and lat is not None:
                lon, lat = lon[order], lat[order]
        self.ids = [store.id for store in self.stores]
        self.by_id = {store.id: position for position, store in enumerate(self.stores)}
        if lon is None or lat is None:
            lon = np.fromiter((s.lon for s in self.stores), dtype=np.float64, count=len(self.stores))
            lat = np.fromiter((s.lat for s in self.stores), dtype=np.float64, count=len(self.stores))
        self.lon = lon
        self.lat = lat
        # each shop's radius (``Store.accuracy_m``): what ``max_accuracy_m`` filters on
        self.accuracy_m = np.fromiter((s.accuracy_m for s in self.stores), dtype=np.float64, count=len(self.stores))
        self.xyz = ecef_array(lon, lat) if len(self.stores) else np.empty((0, 3))
        self._all = _Tree(cKDTree(self.xyz), None, len(self.stores))
        self._by_category = self._category_trees()
        self.build_seconds = time.perf_counter() - started

    def _category_trees(self) -> dict[str, _Tree]:
        groups: dict[str, list[int]] = {}
        for position, store in enumerate(self.stores):
            groups.setdefault(category_key(store.category), []).append(position)
        if len(groups) <= 1:
            return {key: self._all for key in groups}
        trees = {}
        for key, positions in groups.items():
            members = np.asarray(positions, dtype=np.int64)
            trees[key] = _Tree(cKDTree(self.xyz[members]), members, len(members))
        return trees

    def __len__(self) -> int:
        return len(self.stores)

    def categories(self) -> list[str]:
        return sorted({s.category for s in self.stores if s.category})

    def in_bbox(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float,
                category: str | None = None, *, after_id: str | None = None) -> np.ndarray:
        """Positions of the stores inside the box, in id order, starting after ``after_id``."""
        inside = (self.lon >= min_lon) & (self.lon <= max_lon) & (self.lat >= min_lat) & (self.lat <= max_lat)
        positions = np.flatnonzero(inside)
        if category is not None:
            chosen = self._by_category.get(category_key(category))
            if chosen is None:
                return positions[:0]
            if chosen.members is not None:
                positions = np.intersect1d(positions, chosen.members, assume_unique=True)
        if after_id is not None:
            positions = positions[positions >= bisect.bisect_right(self.ids, after_id)]
        return positions

    def get(self, store_id: str) -> Store | None:
        position = self.by_id.get(store_id)
        return None if position is None else self.stores[position]

    def nearest(self, *, lon: float, lat: float, radius_m: float, limit: int,
                category: str | None = None) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
        """Positions and surface distances (m) of up to ``limit`` stores within ``radius_m``, nearest first."""
        chosen = self._all if category is None else self._by_category.get(category_key(category))
        origin = ecef_point(lon, lat)
        if chosen is None or limit <= 0 or chosen.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0), origin
        # The tree radius is the exact chord of the arc, so nothing past radius_m is returned.
        k = min(limit, chosen.size)
        chords, found = chosen.tree.query(origin, k=k, distance_upper_bound=chord_for_arc(radius_m))
        if k == 1:
            chords, found = np.atleast_1d(chords), np.atleast_1d(found)
        if chords[-1] == np.inf:
            # Fewer than k within the radius: the missing ones come last, at infinity.
            count = int(np.searchsorted(chords, np.inf))
            chords, found = chords[:count], found[:count]
        positions = found if chosen.members is None else chosen.members[found]
        return positions, arc_from_chord(chords), origin

    def nearby(self, *, lat: float, lon: float, radius_m: float, limit: int,
               category: str | None = None) -> QueryResult:
        """Stores within ``radius_m`` of the point, nearest first, with geodesic distance and bearing."""
        positions, distances, origin = self.nearest(
            lon=lon, lat=lat, radius_m=radius_m, limit=limit, category=category
        )
        if len(positions) == 0:
            return QueryResult(self.version, (), {"distance_m": (), "bearing_deg": ()})
        azimuths = bearings(lon, lat, origin, self.xyz[positions])
        return QueryResult(self.version, Picked(self.stores, positions.tolist()),
                           {"distance_m": distances.tolist(), "bearing_deg": azimuths.tolist()})

    # --- metric coordinates (EPSG:5179), computed once; see project_5179 and _METRIC_LOCK ---

    @property
    def xy_5179(self) -> np.ndarray:
        """(n, 2) EPSG:5179 metres of every store, parallel to ``stores``; read-only."""
        xy = self.__dict__.get("_xy_5179")
        if xy is None:
            with _METRIC_LOCK:
                xy = self.__dict__.get("_xy_5179")
                if xy is None:
                    if len(self.stores):
                        xy = np.column_stack(project_5179(self.lon, self.lat))
                    else:
                        xy = np.empty((0, 2))
                    xy.setflags(write=False)
                    self.__dict__["_xy_5179"] = xy
        return xy

    @property
    def tree_5179(self) -> cKDTree:
        """A planar cKDTree over ``xy_5179``; its indices are positions in ``stores``."""
        tree = self.__dict__.get("_tree_5179")
        if tree is None:
            xy = self.xy_5179
            with _METRIC_LOCK:
                tree = self.__dict__.get("_tree_5179")
                if tree is None:
                    started = time.perf_counter()
                    tree = cKDTree(xy)
                    self.__dict__["_tree_5179"] = tree
                    LOGGER.info("metric tree of %s stores built in %.2f s", len(xy),
                                time.perf_counter() - started)
        return tree

    @property
    def clusters(self) -> ClusterPyramid:
        """The shops by vector tile and grid cell at every zoom (``spatial.clusters``), built once per index."""
        pyramid = self.__dict__.get("_clusters")
        if pyramid is None:
            with _METRIC_LOCK:
                pyramid = self.__dict__.get("_clusters")
                if pyramid is None:
                    pyramid = ClusterPyramid(self.lon, self.lat)
                    pyramid.levels()
                    self.__dict__["_clusters"] = pyramid
                    LOGGER.info("tile clusters of %s stores built in %.2f s", len(pyramid),
                                pyramid.build_seconds + pyramid.levels_seconds)
        return pyramid

    @property
    def text(self) -> SearchIndex:
        """The text search index of these stores (``navplugin.search``), built once per index.

        ``IndexHolder.refresh`` builds it with the index, off the request path (about 9 s and
        300 MB at 1,000,000 shops, 20 ms at the real list's size); an index built directly
        (tests, benchmarks) builds it on first use.
        """
        found = self.__dict__.get("_text")
        if found is None:
            with _TEXT_LOCK:
                found = self.__dict__.get("_text")
                if found is None:
                    found = SearchIndex(self.stores)
                    self.__dict__["_text"] = found
                    LOGGER.info("text index of %s stores built in %.2f s", len(found), found.build_seconds)
        return found

    def subset(self, positions: np.ndarray) -> "StoreIndex":
        """An index of the stores at ``positions`` (ascending) that shares their metric coordinates:
        a corridor search over a few chosen shops (those matching a text) without projecting again."""
        part = StoreIndex([self.stores[p] for p in positions.tolist()], self.version,
                          self.lon[positions], self.lat[positions])
        part.activated_at = self.activated_at
        xy = self.xy_5179[positions]
        xy.setflags(write=False)
        part.__dict__["_xy_5179"] = xy
        return part

    def accuracy_mask(self, max_accuracy_m: float) -> np.ndarray | None:
        """Which stores' radius is at most ``max_accuracy_m``; None when every store's is."""
        mask = self.accuracy_m <= max_accuracy_m
        return None if mask.all() else mask

    def filter_mask(self, category: str | None = None, max_accuracy_m: float | None = None) -> np.ndarray | None:
        """Which stores a list may hold by ``category`` and ``max_accuracy_m``, as a mask; None: every store."""
        by_category = self.category_mask(category) if category is not None else None
        by_accuracy = self.accuracy_mask(max_accuracy_m) if max_accuracy_m is not None else None
        if by_category is None or by_accuracy is None:
            return by_accuracy if by_category is None else by_category
        return by_category & by_accuracy

    def category_mask(self, category: str | None) -> np.ndarray | None:
        """Which stores have ``category``, as a read-only boolean mask over ``stores``.

        None when every store has it (no filtering needed); all False for an unknown
        category. Cached per category key.
        """
        key = category_key(category)
        chosen = self._by_category.get(key)
        if chosen is not None and chosen.members is None:
            return None
        with _METRIC_LOCK:
            masks = self.__dict__.setdefault("_category_masks", {})
            mask = masks.get(key)
            if mask is None:
                mask = np.zeros(len(self.stores), dtype=bool)
                if chosen is not None:
                    mask[chosen.members] = True
                mask.setflags(write=False)
                masks[key] = mask
        return mask


LOAD_ATTEMPTS = 5


class IndexHolder:
    """Holds the live index of this process and rebuilds it when the live version changes.

    ``load_stores(version)`` gives the version's shops, or None when the version
    was dropped before they could be read (then the live version is read again).
    """

    def __init__(self, load_version: Callable[[], int | None],
                 load_stores: Callable[[int], Iterable[Store] | None],
                 prepare: Callable[[StoreIndex], None] | None = None,
                 swapped: Callable[[StoreIndex, float], None] | None = None,
                 activated_at: Callable[[], datetime | None] | None = None) -> None:
        self._load_version = load_version
        self._activated_at = activated_at  # when the version loaded went live: kept, so reads need no database
        self._load_stores = load_stores
        self._prepare = prepare  # work to do on a new index before requests see it
        self._swapped_hook = swapped  # told of each new index and the seconds its load took
        self._index: StoreIndex | None = None
        self._build_lock = threading.Lock()
        self._swapped = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def index(self) -> StoreIndex | None:
        return self._index

    def refresh(self) -> bool:
        """Rebuild if the live version differs from the loaded one; True when a new index was swapped in."""
        started = time.perf_counter()
        with self._build_lock:
            for _attempt in range(LOAD_ATTEMPTS):
                version = self._load_version()
                current = self._index
                if current is not None and current.version == version:
                    return False
                loaded = self._load_stores(version) if version is not None else []
                if loaded is not None:
                    break
                # The version was dropped between reading it and reading its shops: a newer one is live.
                LOGGER.info("version %s was dropped while loading; reading the live version again", version)
            else:
                raise RuntimeError(f"the live version kept changing while loading it ({LOAD_ATTEMPTS} attempts)")
            index = StoreIndex(list(loaded), version)
            index.activated_at = self._activated_at() if self._activated_at is not None else None
            index.tree_5179  # the along-route tree, built here rather than in the first route request
            index.text  # the text search index, likewise (about 9 s at 1,000,000 shops)
            index.clusters  # the vector tiles' clusters (0.2 s at 1,000,000 shops), likewise
            if self._prepare is not None:
                self._prepare(index)
            self._index = index  # a single reference assignment: readers see old or new, whole
            with self._swapped:
                self._swapped.notify_all()
            del current, loaded  # the old index goes with the last request still holding it
            seconds = time.perf_counter() - started
            if self._swapped_hook is not None:
                self._swapped_hook(index, seconds)
            LOGGER.info("index of version %s loaded: %s stores in %.2f s (built in %.2f s)",
                        version, len(index), seconds, index.build_seconds)
            return True

    def wait_for(self, version: int | None, timeout: float) -> bool:
        """Wait until the index of ``version`` is swapped in (by the poller or a refresh); False on timeout."""
        with self._swapped:
            return self._swapped.wait_for(
                lambda: self._index is not None and self._index.version == version, timeout)

    def start_polling(self, every_seconds: float) -> None:
        if every_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._poll, args=(every_seconds,), name="navplugin-index-poller", daemon=True
        )
        self._thread.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _poll(self, every_seconds: float) -> None:
        while not self._stop.wait(every_seconds):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - the poller must outlive a database hiccup
                LOGGER.exception("index refresh failed; serving version %s",
                                 self._index.version if self._index else None)

