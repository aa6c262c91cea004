"""The in-memory index of one dataset version, and the holder that swaps it.

Reads never touch the database: each process keeps a ``StoreIndex`` of the
live version and replaces it whole when the version changes. An index is
immutable once built, so a request that picked one up keeps a consistent
view even while a newer one is swapped in.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy.spatial import cKDTree

from ..model import QueryResult, Store
from .geodesy import arc_from_chord, bearings, chord_for_arc, ecef_array, ecef_point

LOGGER = logging.getLogger(__name__)


def category_key(category: str | None) -> str:
    return (category or "").strip().casefold()


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
        self.stores = stores if isinstance(stores, list) else list(stores)
        self.by_id = {store.id: position for position, store in enumerate(self.stores)}
        if lon is None or lat is None:
            lon = np.fromiter((s.lon for s in self.stores), dtype=np.float64, count=len(self.stores))
            lat = np.fromiter((s.lat for s in self.stores), dtype=np.float64, count=len(self.stores))
        self.lon = lon
        self.lat = lat
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
        chords, found = chosen.tree.query(
            origin, k=min(limit, chosen.size), distance_upper_bound=chord_for_arc(radius_m)
        )
        chords, found = np.atleast_1d(chords), np.atleast_1d(found)
        keep = found < chosen.size
        if not keep.all():
            chords, found = chords[keep], found[keep]
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
        stores = self.stores
        return QueryResult(self.version, [stores[p] for p in positions.tolist()],
                           {"distance_m": distances.tolist(), "bearing_deg": azimuths.tolist()})


class IndexHolder:
    """Holds the live index of this process and rebuilds it when the live version changes."""

    def __init__(self, load_version: Callable[[], int | None],
                 load_stores: Callable[[int], Iterable[Store]]) -> None:
        self._load_version = load_version
        self._load_stores = load_stores
        self._index: StoreIndex | None = None
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def index(self) -> StoreIndex | None:
        return self._index

    def refresh(self) -> bool:
        """Rebuild if the live version differs from the loaded one; True when a new index was swapped in."""
        with self._build_lock:
            version = self._load_version()
            current = self._index
            if current is not None and current.version == version:
                return False
            stores = list(self._load_stores(version)) if version is not None else []
            index = StoreIndex(stores, version)
            self._index = index  # a single reference assignment: readers see old or new, whole
            LOGGER.info("index of version %s loaded: %s stores in %.2f s",
                        version, len(index), index.build_seconds)
            return True

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
