"""Inverted indexes over many short texts, held as a few flat numpy arrays.

A million shops give tens of millions of (gram, shop) entries; as Python
lists and sets they would cost gigabytes. Here an index is three arrays (the
sorted keys, where each key's entries start, and the entries: shop positions
in ascending order, int32), built by sorting with numpy, and a lookup is one
binary search that returns a view.

- ``NgramIndex``: every character n-gram of each text (names, their 초성,
  their keystrokes), for substring candidates.
- ``TokenIndex``: whole words, sorted, so the words that start with a prefix
  are one contiguous run and their shops one slice.
"""
from __future__ import annotations

import bisect
from itertools import islice
from typing import Iterable, Sequence

import numpy as np

from . import hangul

SEPARATOR = "\n"  # between the texts of a joined string; never part of a normalised text
_LAST_CHAR = "\U0010ffff"
_NONE = np.empty(0, dtype=np.int32)
_CHUNK = 1 << 22  # characters per piece while packing n-grams: bounds the temporary arrays
_CHUNK_TEXTS = 50_000  # texts split into words at a time
# Candidates of a text hold its rarest 4 n-grams: filtering by more common ones costs more than checking
# the few extra candidates they would remove.
RAREST_GRAMS = 4
MANY_VALUES = 1024  # texts a word is in, past which ``ValueIndex.with_prefix`` marks positions instead


class Postings:
    """Sorted int64 keys -> ascending int32 positions (CSR: ``positions[starts[i]:starts[i + 1]]``)."""

    __slots__ = ("keys", "starts", "positions")

    def __init__(self, keys: np.ndarray, starts: np.ndarray, positions: np.ndarray) -> None:
        self.keys, self.starts, self.positions = keys, starts, positions

    @classmethod
    def build(cls, keys: np.ndarray, positions: np.ndarray, key_count: int, position_count: int) -> "Postings":
        """From parallel (key, position) pairs in any order and with repeats; keys in [0, key_count)."""
        count = max(position_count, 1)
        if key_count * count < 2**62:
            return cls.from_packed([keys.astype(np.int64) * count + positions], count)
        # Too many keys to pack: a stable sort keeps each key's positions ascending.
        order = np.argsort(keys, kind="stable")
        keys, positions = keys[order], positions[order]
        if keys.size:
            distinct = np.concatenate(([True], (keys[1:] != keys[:-1]) | (positions[1:] != positions[:-1])))
            keys, positions = keys[distinct], positions[distinct]
        return cls._grouped(keys, positions)

    @classmethod
    def from_packed(cls, parts: list[np.ndarray], count: int) -> "Postings":
        """From pairs packed as ``key * count + position`` (int64), in pieces: one sort, repeats dropped."""
        packed = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0, np.int64)
        parts.clear()  # the pieces are the caller's largest arrays: let them go before sorting
        packed.sort()
        if packed.size:
            packed = packed[np.concatenate(([True], packed[1:] != packed[:-1]))]
        positions = (packed % count).astype(np.int32)
        packed //= count  # the keys, in place: no second array of this size
        return cls._grouped(packed, positions)

    @classmethod
    def _grouped(cls, keys: np.ndarray, positions: np.ndarray) -> "Postings":
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else _NONE
        starts = np.append(first, keys.size).astype(np.int64)
        return cls(keys[first].astype(np.int64), starts, positions.astype(np.int32))

    def get(self, key: int) -> np.ndarray:
        i = int(np.searchsorted(self.keys, key))
        if i < self.keys.size and self.keys[i] == key:
            return self.positions[self.starts[i]:self.starts[i + 1]]
        return _NONE

    def size(self, key: int) -> int:
        i = int(np.searchsorted(self.keys, key))
        if i < self.keys.size and self.keys[i] == key:
            return int(self.starts[i + 1] - self.starts[i])
        return 0

    def all_of(self, keys: Iterable[int], universe: int = 0, most: int = 0) -> np.ndarray:
        """Positions that hold every key, ascending: the shortest list, filtered by each other one.

        ``most``: only the rarest so many keys (the result then holds the others' too, and more).
        """
        lists = sorted((self.get(key) for key in set(keys)), key=len)
        return all_of(lists[:most] if most else lists, universe)

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.starts.nbytes + self.positions.nbytes


def contains(sorted_values: np.ndarray, probes: np.ndarray, universe: int = 0) -> np.ndarray:
    """For each probe, is it in ``sorted_values``? (A boolean mask over ``probes``.)

    Binary searches; or, for many probes among ``universe`` positions, one pass marking the values.
    """
    if not sorted_values.size:
        return np.zeros(probes.size, dtype=bool)
    # a binary search costs a few cache misses per level; marking costs one pass over each array
    if universe and 3 * probes.size * int(sorted_values.size).bit_length() > universe // 16 + sorted_values.size:
        marked = np.zeros(universe, dtype=bool)
        marked[sorted_values] = True
        return marked[probes]
    at = np.minimum(np.searchsorted(sorted_values, probes), sorted_values.size - 1)
    return sorted_values[at] == probes


def all_of(arrays: Sequence[np.ndarray], universe: int = 0) -> np.ndarray:
    """The positions in every one of ``arrays`` (each ascending), ascending."""
    if not arrays:
        return _NONE
    arrays = sorted(arrays, key=len)
    found = arrays[0]
    for other in arrays[1:]:
        if not found.size:
            break
        found = found[contains(other, found, universe)]
    return found


class NgramIndex:
    """Every n-gram of each text in a ``SEPARATOR``-joined string -> the texts' positions.

    Characters get dense ids (only those that occur), so an n-gram is one small
    integer and a (gram, text) pair packs into one int64 for a single sort.
    """

    def __init__(self, joined: str, text_count: int, n: int) -> None:
        self.n = n
        self.count = text_count
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        used = np.unique(codes) if codes.size < 4096 else _used_codes(codes)
        used = used[used != ord(SEPARATOR)]
        self.ids = {chr(code): i + 1 for i, code in enumerate(used.tolist())}  # 0: the separator
        self.base = len(used) + 1
        dense = np.zeros(int(codes.max()) + 1 if codes.size else 1, dtype=np.int32)
        dense[used] = np.arange(1, len(used) + 1, dtype=np.int32)
        ids = dense[codes]
        del codes, dense
        texts = np.cumsum(ids == 0, dtype=np.int32)  # the text each character belongs to
        count = max(text_count, 1)
        if self.base**n * count < 2**62:
            parts = [self._packed(ids, texts, start, count) for start in range(0, ids.size, _CHUNK)]
            del ids, texts
            self.postings = Postings.from_packed(parts, count)
        else:
            keys, usable = self._grams(ids, 0, ids.size)
            self.postings = Postings.build(keys[usable], texts[:keys.size][usable], self.base**n, count)

    def _grams(self, ids: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """The keys of the n-grams starting at ``start:end``, and which of them lie inside one text."""
        stop = max(min(end, ids.size - self.n + 1), start)
        keys = ids[start:stop].astype(np.int64)
        usable = keys != 0
        for j in range(1, self.n):
            following = ids[start + j:stop + j]
            keys *= self.base
            keys += following
            usable &= following != 0
        return keys, usable

    def _packed(self, ids: np.ndarray, texts: np.ndarray, start: int, count: int) -> np.ndarray:
        keys, usable = self._grams(ids, start, start + _CHUNK)
        return keys[usable] * count + texts[start:start + keys.size][usable]

    def keys(self, text: str) -> list[int] | None:
        """The n-gram keys of ``text``; None when it holds a character no text has (so it is in none)."""
        ids = [self.ids.get(c) for c in text]
        if None in ids:
            return None
        found = []
        for i in range(len(ids) - self.n + 1):
            key = 0
            for value in ids[i:i + self.n]:
                key = key * self.base + value  # type: ignore[operator]
            found.append(key)
        return found

    def holding(self, text: str, rarest: int = RAREST_GRAMS) -> np.ndarray:
        """Positions of the texts that hold the ``rarest`` n-grams of ``text`` (len >= n): a superset
        of those that hold ``text`` itself, and exactly them when ``len(text) == n``."""
        keys = self.keys(text)
        return _NONE if not keys else self.postings.all_of(keys, self.count, rarest)

    def estimate(self, text: str) -> int:
        """An upper bound of ``len(holding(text))``, from the list sizes alone."""
        keys = self.keys(text)
        return 0 if not keys else min(self.postings.size(key) for key in keys)

    @property
    def nbytes(self) -> int:
        return self.postings.nbytes


def _used_codes(codes: np.ndarray) -> np.ndarray:
    """The distinct code points of a large array, in one pass rather than a sort."""
    seen = np.zeros(int(codes.max()) + 1, dtype=bool)
    seen[codes] = True
    return np.flatnonzero(seen).astype(np.uint32)


class TokenIndex:
    """Whole words -> the positions of the texts holding them; words sorted, so a prefix is one run.

    Built from one text per position, a chunk of texts at a time: the chunk is
    joined and split into words in one pass (``hangul.words_of_lines``); only
    the mapping of words to numbers is a Python step per word.
    """

    def __init__(self, texts: Iterable[str], count: int) -> None:
        ids: dict[str, int] = {hangul.LINE_END: 0}
        key_parts: list[np.ndarray] = []
        position_parts: list[np.ndarray] = []
        source = iter(texts)
        first = 0
        while chunk := [text.replace(SEPARATOR, " ") for text in islice(source, _CHUNK_TEXTS)]:
            words = hangul.words_of_lines(SEPARATOR.join(chunk) + SEPARATOR)
            for word in set(words).difference(ids):
                ids[word] = len(ids)
            keys = np.fromiter(map(ids.__getitem__, words), dtype=np.int64, count=len(words))
            ends = keys == 0
            line = np.cumsum(ends) - ends
            keys, line = keys[~ends], line[~ends]
            key_parts.append(keys)
            position_parts.append(line + first)
            for empty in np.flatnonzero(np.bincount(line, minlength=len(chunk)) == 0).tolist():
                # only legal forms in this text: hangul.words keeps them
                alone = [ids.setdefault(word, len(ids)) for word in hangul.words(chunk[empty])]
                key_parts.append(np.asarray(alone, dtype=np.int64))
                position_parts.append(np.full(len(alone), first + empty, dtype=np.int64))
            first += len(chunk)
        del ids[hangul.LINE_END]
        self.tokens: list[str] = sorted(ids)
        rank = np.zeros(len(ids) + 1, dtype=np.int64)
        rank[[ids[token] for token in self.tokens]] = np.arange(len(ids))
        keys = np.concatenate(key_parts) if key_parts else np.empty(0, np.int64)
        positions = np.concatenate(position_parts) if position_parts else np.empty(0, np.int64)
        self.postings = Postings.build(rank[keys], positions, max(len(ids), 1), count)
        self.count = count

    def _run(self, prefix: str, whole: bool) -> tuple[int, int]:
        first = bisect.bisect_left(self.tokens, prefix)
        if whole:
            return first, first + int(first < len(self.tokens) and self.tokens[first] == prefix)
        return first, bisect.bisect_left(self.tokens, prefix + _LAST_CHAR, first)

    def with_word(self, word: str) -> np.ndarray:
        """Positions of the texts that hold ``word`` as a whole word."""
        first, end = self._run(word, whole=True)
        return self._positions(first, end)

    def with_prefix(self, prefix: str) -> np.ndarray:
        """Positions of the texts holding a word that starts with ``prefix``, ascending."""
        first, end = self._run(prefix, whole=False)
        return self._positions(first, end)

    def _positions(self, first: int, end: int) -> np.ndarray:
        if first >= end:
            return _NONE
        # Token ids are the sorted order, so the run's entries are one slice (a text may repeat in it).
        starts = self.postings.starts
        found = self.postings.positions[starts[first]:starts[end]]
        return found if end - first == 1 else distinct(found, self.count)

    @property
    def nbytes(self) -> int:
        return self.postings.nbytes + sum(map(len, self.tokens)) * 2


class ValueIndex:
    """Texts that repeat across positions (업종, region): the words of each distinct text, and its positions.

    A million shops have a few hundred regions and a handful of categories, so
    their words are split once per distinct text, not once per shop.
    """

    def __init__(self, values: Iterable[str | None], count: int) -> None:
        numbers: dict[str, int] = {}
        value_of = np.fromiter((numbers.setdefault(value, len(numbers)) if value else -1 for value in values),
                               dtype=np.int64, count=count)
        self.words = TokenIndex(numbers, len(numbers))  # word -> numbers of the distinct texts holding it
        order = np.argsort(value_of, kind="stable")  # by text, then position
        self.starts = np.searchsorted(value_of[order], np.arange(len(numbers) + 1))
        self.positions = order.astype(np.int32)
        # each position's text, the texts' count standing for "none": one gather answers a word many texts hold
        self.value_of = np.where(value_of < 0, len(numbers), value_of).astype(np.int32)
        self.count = count

    def with_prefix(self, prefix: str) -> np.ndarray:
        """Positions whose text holds a word starting with ``prefix``, ascending.

        Few texts: their runs of positions, joined. Many (a 시도 name that a third of a
        million addresses start with): one pass over the positions marks theirs, far
        cheaper than joining a hundred thousand runs.
        """
        values = self.words.with_prefix(prefix)
        if values.size <= MANY_VALUES:
            return union([self.positions[self.starts[value]:self.starts[value + 1]]
                          for value in values.tolist()], self.count)
        marked = np.zeros(len(self.starts), dtype=bool)  # one per text, and the last for "none"
        marked[values] = True
        return np.flatnonzero(marked[self.value_of]).astype(np.int32)

    @property
    def nbytes(self) -> int:
        return self.words.nbytes + self.starts.nbytes + self.positions.nbytes + self.value_of.nbytes


def union(arrays: Sequence[np.ndarray], universe: int = 0) -> np.ndarray:
    """The positions in any of ``arrays``, ascending, each once; ``universe``: the count of all positions."""
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return _NONE
    if len(arrays) == 1:
        return arrays[0]
    return distinct(np.concatenate(arrays), universe)


def distinct(values: np.ndarray, universe: int = 0) -> np.ndarray:
    """``np.unique(values)``; a large share of ``universe`` positions is marked rather than sorted."""
    if universe and values.size > universe // 32:
        marked = np.zeros(universe, dtype=bool)
        marked[values] = True
        return np.flatnonzero(marked).astype(np.int32)
    return np.unique(values)
