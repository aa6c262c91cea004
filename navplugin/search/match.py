"""One query against a ``SearchIndex``: which shops match it, in which tier, best first.

Tiers, best first (``TIERS``); a shop counts once, in its best tier. "Name"
means the normalised name (``hangul.normalize``: spacing, case, punctuation
and legal forms such as (주) do not count).

1. ``exact``: the name is the query (the same spelling, spaces included, first).
2. ``prefix``: the name starts with the query.
3. ``word``: every word of the query is a whole word of the name (불광천).
4. ``substring``: the name holds the query anywhere (샤브칼국수 in 도투리샤브칼국수불광천).
5. ``initials``: a 초성 query (ㄴㅇㅇㄱㅉ) is held by the name's 초성.
6. ``field``: every word of the query is held by the name or starts a word of the
   업종, address, 지번 address or region (마포구 칼국수, 충북, 음식점).
7. ``typo``: the name holds the query with one key wrong, missing or extra, counted on
   2-beolsik keystrokes (낙원아구찐 -> 낙원아구찜); only for queries of at least
   ``TYPO_MIN_CHARACTERS`` characters and ``TYPO_MIN_KEYS`` keys, and only when at most
   ``TYPO_MAX_CANDIDATES`` shops hold what a one-key typo leaves whole of the query (else
   no typo matches at all: the cost of a query is bounded before any shop is checked).

Within a tier shops follow the caller's order key (distance, or name then position).
A query costs binary searches and array filters to find each tier's candidates;
shops are checked one by one (Python) only in rank order, until the page is full.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
from rapidfuzz.distance import Levenshtein

from . import hangul
from .index import SearchIndex, field_words, spellings
from .postings import all_of, union

TIERS = ("exact", "prefix", "word", "substring", "initials", "field", "typo")
EXACT, PREFIX, WORD, SUBSTRING, INITIALS, FIELD, TYPO = range(len(TIERS))
# A typo is looked for in queries of 3 characters and 6 keys or more (도투리: 6 keys, 아구찜: 7): in
# 식당 or 국밥 one wrong key changes half the word, and would match names that only look alike.
TYPO_MIN_CHARACTERS = 3
TYPO_MIN_KEYS = 6
TYPO_MAX_CANDIDATES = 5_000  # each costs a check of a few µs: at most ~15 ms of them per query
TYPO_MAX_PIECES = 5
_OTHER_SPELLING = 1 << 62  # added to the order key of an exact match spelt differently

OrderKey = Callable[[np.ndarray], np.ndarray]  # positions -> distinct int64 keys, smaller first
# count -> the positions of that many shops nearest the position asked about, and their distances (m)
Nearest = Callable[[int], tuple[np.ndarray, np.ndarray]]
NEAREST_FIRST_ABOVE = 20_000  # a tier with more candidates than this is read nearest first, with nearest
_SURE_M = 0.01  # keys round distances to the millimetre: a shop 1 cm nearer than any unread one is placed
_NONE = np.empty(0, dtype=np.int32)


def spelled(text: str) -> str:
    """Text as typed, folded and with its spacing made single: the spelling an exact match prefers."""
    return " ".join(hangul.fold(text).split())


def one_key_off(query: str, text: str, split: int) -> bool:
    """Does ``text`` hold ``query`` with at most one edit (substitution, insertion, deletion)?

    One edit leaves one of ``query[:split]`` and ``query[split:]`` whole, so every
    alignment is anchored at an occurrence of one of the two halves.
    """
    size, head, tail = len(query), query[:split], query[split:]
    start = text.find(head)
    while start != -1:
        for length in (size - 1, size, size + 1):
            if start + length <= len(text) and Levenshtein.distance(query, text[start:start + length],
                                                                     score_cutoff=1) <= 1:
                return True
        start = text.find(head, start + 1)
    start = text.find(tail)
    while start != -1:
        stop = start + len(tail)
        for length in (size - 1, size, size + 1):
            if stop - length >= 0 and Levenshtein.distance(query, text[stop - length:stop], score_cutoff=1) <= 1:
                return True
        start = text.find(tail, start + 1)
    return False


class Matcher:
    """A query's candidates per tier (computed when first needed) and the checks that confirm them."""

    def __init__(self, index: SearchIndex, text: str) -> None:
        self.index = index
        self.text = hangul.normalize(text)
        self.words = list(dict.fromkeys(hangul.words(text)))
        self.spelling = spelled(text)
        self.initials = hangul.is_initials(self.text)
        self.keys = hangul.keystrokes(self.text)
        self._split: int | None = None  # where the query's keys are cut for the typo check
        self._candidates: dict[int, tuple[np.ndarray, bool]] = {}

    # -- candidates ------------------------------------------------------------------------------

    def candidates(self, tier: int) -> tuple[np.ndarray, bool]:
        """Ascending positions that include every shop matching ``tier``, and whether all of them do."""
        found = self._candidates.get(tier)
        if found is None:
            found = self._candidates[tier] = self._find(tier) if self.text else (_NONE, True)
        return found

    def _find(self, tier: int) -> tuple[np.ndarray, bool]:
        index = self.index
        if tier == EXACT:
            return index.names_starting(self.text, exact=True), True
        if tier == PREFIX:
            return index.names_starting(self.text), True
        if tier == WORD:
            return all_of([index.words.with_word(word) for word in self.words], len(index)), True
        if tier == SUBSTRING:
            return index.substring_candidates(self.text)
        if tier == INITIALS:
            if not self.initials:
                return _NONE, True
            return index.initials.holding(self.text), len(self.text) == 2
        if tier == FIELD:
            per_word, every_exact = [], True
            for word in self.words:
                in_names, exact = index.substring_candidates(word)
                every_exact &= exact
                per_word.append(union([in_names, index.with_field_prefix(word)], len(index)))
            return all_of(per_word, len(index)), every_exact
        return self._typo_candidates(), False

    def _typo_candidates(self) -> np.ndarray:
        """Shops that may hold the query's keys with one edit: cut into pieces of 3 keys or more, an
        edit breaks at most one, so every other piece is in the name whole (q-gram pigeonhole)."""
        keys, grams = self.keys, self.index.keystrokes
        if self.initials or len(self.text) < TYPO_MIN_CHARACTERS or len(keys) < TYPO_MIN_KEYS:
            return _NONE
        count = min(len(keys) // 3, TYPO_MAX_PIECES)
        cuts = [len(keys) * i // count for i in range(count + 1)]
        holding = [grams.holding(keys[start:end], rarest=1) for start, end in zip(cuts, cuts[1:])]
        found = union([all_of(holding[:left] + holding[left + 1:], len(self.index)) for left in range(count)],
                      len(self.index))
        if found.size > TYPO_MAX_CANDIDATES:
            return _NONE
        self._split = len(keys) // 2
        return found

    def every_candidate(self) -> np.ndarray:
        """Ascending positions that include every shop matching the query in any tier."""
        # an exact or prefix match is a substring match: its candidates are among those
        return union([self.candidates(tier)[0] for tier in (WORD, SUBSTRING, INITIALS, FIELD, TYPO)], len(self.index))

    # -- checks ----------------------------------------------------------------------------------

    def holds(self, tier: int, position: int) -> bool:
        """Does the shop at ``position`` match the query in ``tier`` (whatever its better tiers)?"""
        if not self.text:
            return False
        name = self.index.name(position)
        if tier == EXACT:
            return name == self.text
        if tier == PREFIX:
            return name.startswith(self.text)
        if tier == WORD:
            return set(self.words) <= set(hangul.words(self.index.stores[position].name))
        if tier == SUBSTRING:
            return self.text in name
        if tier == INITIALS:
            return self.initials and self.text in hangul.initials(name)
        if tier == FIELD:
            fields: set[str] | None = None
            for word in self.words:
                if word not in name:
                    fields = field_words(self.index.stores[position]) if fields is None else fields
                    written = spellings(word)
                    if not any(field.startswith(written) for field in fields):
                        return False
            return True
        self.candidates(TYPO)  # decides whether typos count at all, and where the query is cut
        return self._split is not None and one_key_off(self.keys, hangul.keystrokes(name), self._split)

    def tier_of(self, position: int) -> int | None:
        """The best tier the shop at ``position`` matches in, or None."""
        return next((tier for tier in range(len(TIERS)) if self.holds(tier, position)), None)

    def matches(self, position: int) -> bool:
        return any(self.holds(tier, position) for tier in (SUBSTRING, WORD, INITIALS, FIELD, TYPO))

    # -- ranking ---------------------------------------------------------------------------------

    def ranked(self, order: OrderKey, allowed: np.ndarray | None, need: int,
               nearest: Nearest | None = None) -> tuple[list[int], list[int]]:
        """The best ``need`` matches (positions) and their tiers: by tier, then by ``order``.

        ``allowed``: a boolean mask over positions (a category), or None for all. ``nearest``,
        when ``order`` is by distance: the shops nearest first, for tiers too large to order
        whole. A tier is looked at only when the better ones are exhausted, so every shop in
        them is known and none is counted twice.
        """
        hits: list[int] = []
        tiers: list[int] = []
        taken = np.zeros(len(self.index), dtype=bool)
        for tier in range(len(TIERS)):
            if len(hits) >= need:
                break
            found, exact = self.candidates(tier)
            if allowed is not None:
                found = found[allowed[found]]
            found = found[~taken[found]]
            if not found.size:
                continue
            wanted = need - len(hits)
            if nearest is not None and found.size > NEAREST_FIRST_ABOVE:
                chosen = self._nearest_first(tier, found, exact, wanted, order, nearest)
            else:
                chosen = self._first(tier, found, exact, wanted, order)
            taken[chosen] = True  # the whole tier whenever the next one is looked at: it was exhausted
            hits.extend(chosen)
            tiers.extend([tier] * len(chosen))
        return hits, tiers

    def _keys(self, tier: int, positions: np.ndarray, order: OrderKey) -> np.ndarray:
        keys = order(positions)
        if tier == EXACT:  # the same spelling first
            stores = self.index.stores
            keys = keys + np.fromiter((0 if spelled(stores[p].name) == self.spelling else _OTHER_SPELLING
                                       for p in positions.tolist()), dtype=np.int64, count=positions.size)
        return keys

    def _first(self, tier: int, found: np.ndarray, exact: bool, wanted: int, order: OrderKey) -> list[int]:
        """The first ``wanted`` members of the tier among ``found``, in key order."""
        chosen: list[int] = []
        for position in _ascending(found, self._keys(tier, found, order), wanted):
            if exact or self.holds(tier, position):
                chosen.append(position)
                if len(chosen) == wanted:
                    break
        return chosen

    def _nearest_first(self, tier: int, found: np.ndarray, exact: bool, wanted: int, order: OrderKey,
                       nearest: Nearest) -> list[int]:
        """``_first`` for a large tier: the nearest shops in growing batches, kept if they are in it.

        Of a batch, only shops nearer than the farthest read (by more than the rounding of the
        keys) are sure of their place: no shop left unread can come before them.
        """
        marked = np.zeros(len(self.index), dtype=bool)
        marked[found] = True
        known: dict[int, bool] = {}
        batch = max(4 * wanted, 256)
        while True:
            positions, distances = nearest(batch)
            exhausted = positions.size < batch
            inside = marked[positions]
            if not exhausted:
                inside &= distances < distances[-1] - _SURE_M
            certain = positions[inside]
            chosen: list[int] = []
            for position in _ascending(certain, self._keys(tier, certain, order), wanted):
                matched = exact or known.get(position)
                if matched is None:
                    matched = known[position] = self.holds(tier, position)
                if matched:
                    chosen.append(position)
                    if len(chosen) == wanted:
                        return chosen
            if exhausted:
                return chosen
            batch *= 4


def _ascending(found: np.ndarray, keys: np.ndarray, first: int) -> Iterator[int]:
    """``found`` in ascending ``keys`` order, lazily: the ``first`` smallest by a partial sort,
    the rest sorted only if asked for."""
    if found.size <= max(4 * first, 256):
        yield from found[np.argsort(keys, kind="stable")].tolist()
        return
    head = np.argpartition(keys, first - 1)[:first]
    head = head[np.argsort(keys[head], kind="stable")]
    yield from found[head].tolist()
    rest = np.ones(found.size, dtype=bool)
    rest[head] = False
    found, keys = found[rest], keys[rest]
    yield from found[np.argsort(keys, kind="stable")].tolist()
