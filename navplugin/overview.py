"""The admin overview: how the live shops spread over the 시도, how exactly they are placed, and which to pin first.

Counts and the accuracy figures of one live list do not change while it is
live, so they are computed once per ``StoreIndex`` (kept beside it, dropped
with it) and each request only slices its page of ``to_pin``. The first
overview of a new version pays one pass over the shops and one sort: about a
second for a million shops; the navigation reads never do.

The 시도 of a shop is read from what the list says of it, in this order: its
region column (시도 or 시도 시군구), its road address, its 지번 address; the
first word of the first of them that names a 시도 (any alias, ``addresses``),
written in the current official name. A shop none of them places is counted
under ``UNKNOWN_SIDO``.
"""
from __future__ import annotations

import math
import threading
import weakref
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from typing import Any, Sequence

import numpy as np

from .accuracy import APPROXIMATE_OVER_M
from .addresses import Sido, canonical_sido
from .formats.common import store_detail_fields
from .model import PRECISIONS, Store
from .spatial.index import StoreIndex

UNKNOWN_SIDO = "unknown"  # the bucket of shops whose region and addresses name no 시도
# Upper edges of the accuracy histogram's bins, in metres; a bin holds radii above the edge before
# it up to and including its own (so 250 m, not approximate, is in the bin below 250–500 m), and
# the last bin everything above 20 km.
ACCURACY_EDGES_M: tuple[float, ...] = (50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000)
TO_PIN_DEFAULT_LIMIT = 20
TO_PIN_MAX_LIMIT = 200
P90 = 0.9


def sido_of(store: Store) -> Sido | None:
    """The 시도 the shop's region column, address or 지번 address names first; None when none does."""
    for text in (store.region, store.address, store.jibun_address):
        words = text.split(None, 1) if text else None
        sido = canonical_sido(words[0]) if words else None
        if sido is not None:
            return sido
    return None


def accuracy_bin(accuracy_m: float) -> int:
    """Which bin of ``ACCURACY_EDGES_M`` a radius falls in: 0 for 0–50 m ... 9 for over 20 km."""
    return bisect_left(ACCURACY_EDGES_M, accuracy_m)


def nearest_rank(ordered: Sequence[float], fraction: float) -> float | None:
    """The smallest value with at least ``fraction`` of all values at or below it (nearest-rank percentile)."""
    if len(ordered) == 0:
        return None
    return float(ordered[max(1, math.ceil(fraction * len(ordered))) - 1])


@dataclass(frozen=True, slots=True)
class Summary:
    """What the overview says of one list of shops, with its shops ordered for pinning."""

    version: int | None
    total: int
    by_sido: list[dict[str, Any]]
    by_precision: list[dict[str, Any]]
    accuracy: dict[str, Any]
    stores: Sequence[Store]
    to_pin: np.ndarray  # positions in ``stores``: largest radius first, equal radii by id

    def page(self, limit: int = TO_PIN_DEFAULT_LIMIT, offset: int = 0) -> dict[str, Any]:
        """The overview as JSON-ready values, with ``limit`` shops of ``to_pin`` from ``offset``."""
        items = [self.stores[position] for position in self.to_pin[offset:offset + limit].tolist()]
        return {
            "dataset_version": self.version,
            "total": self.total,
            "by_sido": self.by_sido,
            "by_precision": self.by_precision,
            "accuracy": self.accuracy,
            "to_pin": {"count": self.total, "offset": offset, "limit": limit,
                       "items": [store_detail_fields(store) for store in items]},
        }


def summarize(stores: Sequence[Store], version: int | None = None, radii: np.ndarray | None = None) -> Summary:
    """Counts by 시도 and by precision, the accuracy histogram and percentiles, and the shops to pin first.

    ``radii``: the shops' ``accuracy_m`` in their order, where an index holds them already.
    """
    return Summary(version, len(stores), _by_sido(stores), _by_precision(stores), *_accuracy(stores, radii))


def _by_sido(stores: Sequence[Store]) -> list[dict[str, Any]]:
    """Shops per 시도, most first (equal counts in code order), the unknown bucket last of its count."""
    named: dict[str, Sido] = {}
    counts: Counter[str | None] = Counter()
    for store in stores:
        sido = sido_of(store)
        if sido is None:
            counts[None] += 1
        else:
            named[sido.code] = sido
            counts[sido.code] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0] or "~"))
    return [{"sido": named[code].name if code else UNKNOWN_SIDO, "code": code, "count": count}
            for code, count in ordered]


def _by_precision(stores: Sequence[Store]) -> list[dict[str, Any]]:
    """Shops per precision, every one of ``PRECISIONS`` in its order (best first), zeros included."""
    counts = Counter(store.precision for store in stores)
    names = (*PRECISIONS, *sorted(set(counts) - set(PRECISIONS)))
    return [{"precision": name, "count": counts.get(name, 0)} for name in names]


def _radii(stores: Sequence[Store]) -> np.ndarray:
    return np.fromiter((store.accuracy_m for store in stores), dtype=np.float64, count=len(stores))


def _accuracy(stores: Sequence[Store], radii: np.ndarray | None) -> tuple[dict[str, Any], Sequence[Store], np.ndarray]:
    """The histogram of ``accuracy_m``, its median and 90th percentile, and the pinning order."""
    radii = _radii(stores) if radii is None else radii
    edges = np.asarray(ACCURACY_EDGES_M, dtype=np.float64)
    bins = np.bincount(np.searchsorted(edges, radii, side="left"), minlength=len(edges) + 1).tolist()
    ordered = np.sort(radii)
    lows = (0, *ACCURACY_EDGES_M)
    highs: tuple[float | None, ...] = (*ACCURACY_EDGES_M, None)
    accuracy = {
        "bins": [{"min_m": low, "max_m": high, "count": count} for low, high, count in zip(lows, highs, bins)],
        "approximate_over_m": APPROXIMATE_OVER_M,
        "approximate": int(np.count_nonzero(radii > APPROXIMATE_OVER_M)),  # as ``accuracy.is_approximate``
        "median_m": float(np.median(ordered)) if len(ordered) else None,
        "p90_m": nearest_rank(ordered, P90),
    }
    # Equal radii by id: a StoreIndex holds its shops in id order already, so a stable sort keeps it.
    if any(a.id > b.id for a, b in zip(stores, islice(stores, 1, None))):
        stores = sorted(stores, key=lambda store: store.id)
        radii = _radii(stores)
    return accuracy, stores, np.argsort(-radii, kind="stable")


_summaries: "weakref.WeakKeyDictionary[StoreIndex, Summary]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def overview(index: StoreIndex, limit: int = TO_PIN_DEFAULT_LIMIT, offset: int = 0) -> dict[str, Any]:
    """The overview of the live index, summarised once per index; see ``Summary.page``."""
    with _lock:
        summary = _summaries.get(index)
        if summary is None:
            summary = _summaries[index] = summarize(index.stores, index.version, index.accuracy_m)
    return summary.page(limit, offset)
