"""Korean text search over one dataset version's shops: by name, 업종 or address.

``hangul`` turns text into the forms compared (normalised, 초성, keystrokes);
``postings`` holds inverted indexes as flat arrays; ``index.SearchIndex`` is
built once per ``StoreIndex`` (``StoreIndex.text``); ``match.Matcher`` answers
one query: its candidates per match tier, the checks that confirm them, and
the ranking. No Flask here, and nothing about requests: ``query`` calls it.
"""
from .index import SearchIndex
from .match import TIERS, Matcher
from .postings import contains

__all__ = ["SearchIndex", "Matcher", "TIERS", "contains"]
