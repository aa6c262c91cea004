"""The match tiers written out plainly, shop by shop, with no index: what the index must agree with.

Only ``hangul``'s text forms are shared with the code under test (they have their own tests);
tiers, the 시도 spellings and the one-typo rule are spelled out again here.
"""
from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from navplugin.addresses import sido_table
from navplugin.model import Store
from navplugin.search import hangul

TIERS = ("exact", "prefix", "word", "substring", "initials", "field", "typo")


@lru_cache(maxsize=None)
def sido_spellings(word: str) -> frozenset[str]:
    spellings = {word}
    for alias, sido in sido_table().items():
        if hangul.normalize(alias) == word:
            spellings |= {hangul.normalize(name) for name in (sido.name, sido.boundary_name, *sido.aliases)}
    return frozenset(spellings)


def typo_close(query_keys: str, name_keys: str) -> bool:
    """Some stretch of the name is within one edit of the query (every stretch tried, in one call)."""
    size = len(query_keys)
    stretches = [name_keys[i:i + length] for length in (size - 1, size, size + 1)
                 for i in range(0, len(name_keys) - length + 1)]
    return bool(stretches) and bool((process.cdist([query_keys], stretches, scorer=Levenshtein.distance,
                                                   score_cutoff=1) <= 1).any())


def tier(store: Store, query: str) -> str | None:
    text, words = hangul.normalize(query), hangul.words(query)
    if not text:
        return None
    name = hangul.normalize(store.name)
    if name == text:
        return "exact"
    if name.startswith(text):
        return "prefix"
    if set(words) <= set(hangul.words(store.name)):
        return "word"
    if text in name:
        return "substring"
    if hangul.is_initials(text) and text in hangul.initials(name):
        return "initials"
    fields = set()
    for value in (store.category, store.region, store.address, store.jibun_address):
        fields.update(hangul.words(value or ""))
    if all(word in name or any(field.startswith(spelling) for field in fields for spelling in sido_spellings(word))
           for word in words):
        return "field"
    keys = hangul.keystrokes(text)
    if not hangul.is_initials(text) and len(text) >= 3 and len(keys) >= 6 and typo_close(keys, hangul.keystrokes(name)):
        return "typo"
    return None
