"""The fields every output format draws on, so all formats describe a shop the same way.

A shop's own fields do not change while its dataset version is live, so a
format renders them once and keeps the text in a ``RenderCache``; a nearby
answer then only adds each hit's distance and bearing. A format whose answers
the API sends often may keep its pieces as UTF-8 bytes (``join_items_utf8``),
so a response is one join of ready bytes with nothing left to encode.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..accuracy import is_approximate
from ..model import QueryResult, Store

COORDINATE_DECIMALS = 7  # about 1 cm


def store_fields(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "category": store.category,
        "address": store.address,
        "phone": store.phone,
        "lat": round(store.lat, COORDINATE_DECIMALS),
        "lon": round(store.lon, COORDINATE_DECIMALS),
        "certified_year": store.certified_year,
        "founded_year": store.founded_year,
        "precision": store.precision,
        "provider": store.provider,
        # Metres around the point holding the shop (95 %); over APPROXIMATE_OVER_M the point is approximate:
        # an app should offer "search near here" rather than guidance to the door.
        "accuracy_m": round(store.accuracy_m),
        "approximate": is_approximate(store.accuracy_m),
        # Where to route a driver: the building entrance when a provider knows it.
        "entrance": None if store.entrance_lon is None else {
            "lat": round(store.entrance_lat, COORDINATE_DECIMALS),
            "lon": round(store.entrance_lon, COORDINATE_DECIMALS),
        },
    }


def store_detail_fields(store: Store) -> dict[str, Any]:
    fields = store_fields(store)
    fields.update({
        "jibun_address": store.jibun_address,
        "region": store.region,
        "district_check": store.district_check,
        "extra": dict(store.extra),
    })
    return fields


class RenderCache:
    """Rendered text per shop object, bounded; a new dataset version starts it afresh.

    Entries keep their shop alive and are checked by identity, so a recycled
    ``id()`` can never return another shop's text. ``warm`` (once per new live
    index, for every cache through ``formats.warm``) drops the entries of the
    version before, so no old version's shops are kept alive by the text of them.
    """

    def __init__(self, render: Callable[[Store], str], max_entries: int = 200_000) -> None:
        self._render = render
        self._max_entries = max_entries
        self._entries: dict[int, tuple[Store, str]] = {}
        self._lock = threading.Lock()
        self._table: tuple[list[Store], list[Any]] | None = None  # the last warmed list and its texts
        CACHES.append(self)

    def forget(self) -> None:
        """Drop every entry: a new version is live, its shops are new objects."""
        with self._lock:
            self._entries = {}
            self._table = None

    def warm(self, stores: Iterable[Store]) -> None:
        """Render shops ahead of requests, as many as the cache holds, in place of what it held.

        A whole list that fits (an index's stores) is also kept by position:
        ``many`` then answers a selection of it (a ``stores`` sequence with
        ``source`` and ``positions``, such as a nearby answer's) by position
        alone, without looking up or even touching the shops.
        """
        self.forget()
        if isinstance(stores, list) and len(stores) <= self._max_entries:
            texts = [self._render(store) for store in stores]
            entries = {id(store): (store, text) for store, text in zip(stores, texts)}
            with self._lock:
                self._entries = entries
                self._table = (stores, texts)  # one reference: readers see the old pair or the new one
            return
        for count, store in enumerate(stores):
            if count >= self._max_entries:
                break
            self(store)

    def __call__(self, store: Store) -> Any:
        entry = self._entries.get(id(store))
        if entry is not None and entry[0] is store:
            return entry[1]
        text = self._render(store)
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries = {}
            self._entries[id(store)] = (store, text)
        return text

    def many(self, stores: Iterable[Store]) -> list[Any]:
        """``[self(store) for store in stores]``, with the cache lookups inlined (a list answer's hot loop)."""
        table = self._table
        if table is not None and getattr(stores, "source", None) is table[0]:
            texts = table[1]
            return [texts[position] for position in stores.positions]  # type: ignore[attr-defined]
        get = self._entries.get
        return [entry[1] if (entry := get(id(store))) is not None and entry[0] is store else self(store)
                for store in stores]


CACHES: list[RenderCache] = []  # every format's cache: a new live version starts them all afresh


def new_version() -> None:
    """A new live index: every cache forgets the shops of the version before; ``warm`` refills the default."""
    for cache in CACHES:
        cache.forget()


# How each measure is written: distances to the centimetre, bearings to a tenth of a degree,
# projected coordinates to the millimetre, a search hit's match tier (1 = exact name ... 7 = one typo) whole.
MEASURE_FORMATS = {"distance_m": "%.2f", "bearing_deg": "%.1f", "distance_along_m": "%.2f", "offset_m": "%.2f",
                   "x": "%.3f", "y": "%.3f", "match_tier": "%d"}


def item_template(result: QueryResult, opening: str, closing: str) -> tuple[str, list[Sequence[float]]]:
    """``opening + %s (the rendered shop) + one JSON member per measure + closing``, and the measure columns."""
    names = list(result.measures)
    template = opening + "%s" + "".join(f',"{name}":{MEASURE_FORMATS[name]}' for name in names) + closing
    return template, [result.measures[name] for name in names]


def measures_tail(result: QueryResult, closing: str) -> tuple[bytes, list[Sequence[float]]]:
    """UTF-8 ``one JSON member per measure + closing`` (a %-template) and the measure columns."""
    names = list(result.measures)
    tail = "".join(f',"{name}":{MEASURE_FORMATS[name]}' for name in names) + closing
    return tail.encode(), [result.measures[name] for name in names]


def join_items_utf8(head: bytes, result: QueryResult, render: RenderCache, opening: str, closing: str,
                    end: bytes) -> bytes:
    """``head``, then what ``join_items`` joins, then ``end``, all as UTF-8 bytes; ``render`` gives bytes.

    Built as one join of the rendered shops and their formatted measures, so
    the shops' text is copied once and never re-encoded.
    """
    count = len(result.stores)
    if not count:
        return head + end
    tail, columns = measures_tail(result, closing)
    parts = [b"," + opening.encode()] * (3 * count)
    parts[0] = head + opening.encode()
    parts[1::3] = render.many(result.stores)
    if columns:
        parts[2::3] = [tail % values for values in zip(*columns)]
    else:
        parts[2::3] = [tail] * count
    parts[-1] += end
    return b"".join(parts)


def iter_items_utf8(result: QueryResult, render: RenderCache, opening: str, closing: str) -> Iterator[str]:
    """``iter_items`` for a ``render`` that gives UTF-8 bytes: the same text, one piece per shop."""
    tail, columns = measures_tail(result, closing)
    first, later = opening.encode(), b"," + opening.encode()
    separator = first
    for store, *values in zip(result.stores, *columns):
        yield (separator + render(store) + (tail % tuple(values) if values else tail)).decode()
        separator = later


def join_items(result: QueryResult, render: RenderCache, opening: str, closing: str) -> str:
    """Every shop as rendered text plus the measures the query computed, comma-separated.

    ``render`` gives a shop's own members (cached), so one template serves every list.
    """
    template, columns = item_template(result, opening, closing)
    return ",".join([template % (render(store), *values) for store, *values in zip(result.stores, *columns)])


def iter_items(result: QueryResult, render: RenderCache, opening: str, closing: str) -> Iterator[str]:
    """``join_items`` one piece per shop, for streaming a large list."""
    template, columns = item_template(result, opening, closing)
    separator = ""
    for store, *values in zip(result.stores, *columns):
        yield separator + template % (render(store), *values)
        separator = ","
