"""The text index of one dataset version: built once with its ``StoreIndex``, never per request.

What it holds, per shop position (the ``StoreIndex.stores`` order):

- every normalised name, as slices of one joined string (``name``), and the
  positions sorted by name (``by_name``, ``name_rank``): an exact name or a
  name prefix is one binary search;
- character 1- and 2-grams of the names (substring candidates), 2-grams of
  their 초성 (initials candidates) and 3-grams of their keystrokes (one-typo
  candidates), each an ``NgramIndex`` of flat arrays;
- the names' whole words (``words``) and the words of 업종, address, 지번
  address and region (``fields``, with every name of the 시도: 서울, 서울시,
  서울특별시), each a ``TokenIndex`` whose prefixes are contiguous runs.

``Matcher`` (``match.py``) answers a query from these.
"""
from __future__ import annotations

import bisect
import sys
import time
from array import array
from functools import lru_cache
from typing import Sequence

import numpy as np

from ..addresses import sido_table
from ..model import Store
from . import hangul
from .postings import SEPARATOR, NgramIndex, TokenIndex, ValueIndex, union


@lru_cache(maxsize=1)
def sido_aliases() -> dict[str, tuple[str, ...]]:
    """Each way of writing a 시도 (normalised) -> every way of writing it: 충북 finds 충청북도."""
    names: dict[str, set[str]] = {}
    for sido in set(sido_table().values()):
        spellings = {hangul.normalize(name) for name in (sido.name, sido.boundary_name, *sido.aliases) if name}
        for spelling in spellings:
            names.setdefault(spelling, set()).update(spellings)
    return {spelling: tuple(sorted(found)) for spelling, found in names.items()}


def address_text(store: Store) -> str:
    return " ".join(text for text in (store.address, store.jibun_address) if text)


def field_words(store: Store) -> set[str]:
    """The words a shop's 업종 and address are found by: category, region, address, 지번 address."""
    return set(hangul.words(" ".join(text for text in (store.category, store.region, address_text(store)) if text)))


def spellings(word: str) -> tuple[str, ...]:
    """``word``, or every way of writing the 시도 it names (충북: 충북, 충청북도, ...); a spelling that
    starts with another (서울특별시, 서울) is left out, as whatever starts with it starts with the other."""
    found = sido_aliases().get(word, (word,))
    return tuple(s for s in found if not any(s != t and s.startswith(t) for t in found))


class SearchIndex:
    """Names, 초성, keystrokes, words and address words of one list of shops, for ``Matcher``."""

    def __init__(self, stores: Sequence[Store]) -> None:
        started = time.perf_counter()
        self.stores = stores
        count = len(stores)
        names = hangul.normalize_lines(SEPARATOR.join(store.name.replace(SEPARATOR, " ") for store in stores))
        if not stores:
            names = []
        self.names = SEPARATOR.join(names)
        ends = np.cumsum(np.fromiter(map(len, names), dtype=np.int64, count=count) + 1)
        self.starts = array("q", [0])  # name i is names[starts[i]:starts[i + 1] - 1]
        self.starts.frombytes(ends.tobytes())
        self.by_name = np.asarray(sorted(range(count), key=names.__getitem__), dtype=np.int32)
        self.name_rank = np.empty(count, dtype=np.int64)  # order of names, then of positions
        self.name_rank[self.by_name] = np.arange(count)
        del names, ends
        self.unigrams = NgramIndex(self.names, count, 1)
        self.bigrams = NgramIndex(self.names, count, 2)
        self.initials = NgramIndex(hangul.initials(self.names), count, 2)
        self.keystrokes = NgramIndex(hangul.keystrokes(self.names), count, 3)
        self.words = TokenIndex((store.name for store in stores), count)
        self.addresses = TokenIndex(map(address_text, stores), count)
        self.categories = ValueIndex((store.category for store in stores), count)
        self.regions = ValueIndex((store.region for store in stores), count)
        self.build_seconds = time.perf_counter() - started

    def __len__(self) -> int:
        return len(self.stores)

    def name(self, position: int) -> str:
        """The normalised name of the shop at ``position``."""
        return self.names[self.starts[position]:self.starts[position + 1] - 1]

    def names_starting(self, prefix: str, exact: bool = False) -> np.ndarray:
        """Positions of the shops whose normalised name starts with ``prefix`` (or is it), ascending."""
        first = bisect.bisect_left(self.by_name, prefix, key=self._name_of)
        if exact:
            end = bisect.bisect_right(self.by_name, prefix, lo=first, key=self._name_of)
        else:
            end = bisect.bisect_left(self.by_name, prefix + "\U0010ffff", lo=first, key=self._name_of)
        return np.sort(self.by_name[first:end])

    def _name_of(self, position: np.int32) -> str:
        return self.name(int(position))

    def with_field_prefix(self, word: str) -> np.ndarray:
        """Shops with an 업종 or address word that starts with ``word`` (or another spelling of its 시도)."""
        return union([part.with_prefix(spelling) for spelling in spellings(word)
                      for part in (self.addresses, self.categories, self.regions)], len(self))

    def substring_candidates(self, text: str) -> tuple[np.ndarray, bool]:
        """Shops whose name may hold ``text``, and whether they all do (1 or 2 characters: exactly)."""
        if len(text) == 1:
            return self.unigrams.holding(text), True
        return self.bigrams.holding(text), len(text) == 2

    @property
    def nbytes(self) -> int:
        """Memory held beyond the shops themselves, in bytes (arrays and text; dict overheads aside)."""
        parts = (self.unigrams, self.bigrams, self.initials, self.keystrokes, self.words, self.addresses,
                 self.categories, self.regions)
        return (sys.getsizeof(self.names) + self.starts.itemsize * len(self.starts) + self.by_name.nbytes
                + self.name_rank.nbytes + sum(part.nbytes for part in parts))
