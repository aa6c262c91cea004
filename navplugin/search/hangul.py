"""Korean text as search compares it: one normal form, 초성, and keystroke-level jamo.

A driver types a shop's name with or without spaces, in full-width or
half-width letters, sometimes as its initial consonants (``ㄴㅇㅇㄱㅉ`` for
낙원아구찜) and sometimes with one key wrong. Everything here turns text into
the strings the index compares, with ``str.translate`` tables built once, so
a million names are processed at C speed:

- ``normalize``: NFC, full/half-width folded, case-folded, legal forms such as
  (주) and 주식회사 dropped, everything but letters and digits removed
  (spacing and punctuation never matter).
- ``words``: the same text split into its words (whole-word matches).
- ``initials``: each Hangul syllable as its initial consonant, anything else kept.
- ``keystrokes``: each syllable as the jamo keys a 2-beolsik keyboard types
  (ㅘ = ㅗ ㅏ, ㄺ = ㄹ ㄱ), so one edit of this string is one key wrong, missing or extra.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

SYLLABLE_FIRST, SYLLABLE_LAST = 0xAC00, 0xD7A3
LEADS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
TAILS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ",
         "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")
# Compound vowels and consonant clusters as the keys typed for them (ㄲ, ㅆ, ㅐ... are one key each).
KEYS = {"ㅘ": "ㅗㅏ", "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ", "ㅢ": "ㅡㅣ",
        "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ",
        "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ"}
# The consonants a 초성 query is written in (Hangul Compatibility Jamo).
CONSONANTS = frozenset("ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")

_NOT_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
# The same over many texts joined by line breaks, which are kept: one pass for a whole list.
_NOT_WORD_NOR_LINE = re.compile(r"[^\w\n]+|_+")
_WORD_OR_LINE = re.compile(r"[^\W_]+|\n")
# Legal forms, no part of what a driver calls the shop: (주)김영모과자점 is 김영모과자점. Bracketed ones
# go before punctuation does (a bare 주 is a common syllable), spelt-out ones after spacing (주 식 회 사 too).
_BRACKETED_FORMS = re.compile(r"\([^\S\n]*[주유][^\S\n]*\)")
_SPELT_FORMS = re.compile("주식회사|유한회사")
# What ``fold`` translates: full/half-width forms, conjoining jamo and fillers, ㈜ and ㈲.
_TO_FOLD = re.compile("[\u1100-\u11ff\u3164\u321c\u3232\uff00-\uffef]")


def _conjoining_to_compatibility() -> dict[int, str]:
    """Conjoining jamo (U+1100 block, what NFD and half-width forms give) -> compatibility jamo."""
    table = {0x1100 + i: lead for i, lead in enumerate(LEADS)}
    table.update({0x1161 + i: vowel for i, vowel in enumerate(VOWELS)})
    table.update({0x11A8 + i: tail for i, tail in enumerate(TAILS[1:])})
    table.update({0x115F: "", 0x1160: "", 0x3164: ""})  # fillers: no letter at all
    return table


def _fold_table() -> dict[int, str]:
    """Full- and half-width forms (U+FF00 block) and stray conjoining jamo -> their plain letters."""
    compatibility = _conjoining_to_compatibility()
    table: dict[int, str] = dict(compatibility)
    for code in range(0xFF01, 0xFFEF):
        plain = unicodedata.normalize("NFKC", chr(code))
        plain = "".join(compatibility.get(ord(c), c) for c in plain)
        if plain != chr(code):
            table[code] = plain
    table[0x321C] = "(주)"  # ㈜
    table[0x3232] = "(유)"  # ㈲
    return table


def _syllable_tables() -> tuple[dict[int, str], dict[int, str]]:
    keystrokes: dict[int, str] = {}
    initials: dict[int, str] = {}
    for code in range(SYLLABLE_FIRST, SYLLABLE_LAST + 1):
        offset = code - SYLLABLE_FIRST
        lead, vowel, tail = LEADS[offset // 588], VOWELS[offset % 588 // 28], TAILS[offset % 28]
        keystrokes[code] = lead + KEYS.get(vowel, vowel) + KEYS.get(tail, tail)
        initials[code] = lead
    keystrokes.update({ord(jamo): keys for jamo, keys in KEYS.items()})
    return keystrokes, initials


_FOLD = _fold_table()
_KEYSTROKES, _INITIALS = _syllable_tables()


def fold(text: str) -> str:
    """NFC, width-folded, case-folded text; spacing and punctuation still in place."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _TO_FOLD.search(text):
        text = text.translate(_FOLD)
    return text.casefold()


def normalize(text: str) -> str:
    """The form names and queries are compared in: letters and digits only, folded, legal forms dropped."""
    folded = fold(text)
    plain = _SPELT_FORMS.sub("", _NOT_WORD.sub("", _BRACKETED_FORMS.sub(" ", folded)))
    return plain or _NOT_WORD.sub("", folded)  # a name that is only a legal form keeps it


def words(text: str) -> list[str]:
    """The words of ``text`` in their normal form (runs of letters and digits), legal forms dropped."""
    folded = fold(text)
    found = _SPELT_FORMS.sub("", " ".join(_WORD.findall(_BRACKETED_FORMS.sub(" ", folded)))).split()
    return found or _WORD.findall(folded)


LINE_END = "\x00"  # ends each line's words in ``words_of_lines``; never part of a word


def normalize_lines(joined: str) -> list[str]:
    """``[normalize(line) for line in joined.split("\\n")]``, in a few passes over the whole text."""
    codes = _code_points(_BRACKETED_FORMS.sub(" ", fold(joined)))
    kept = codes[_alphanumeric(codes) | (codes == _NEWLINE)]
    lines = _SPELT_FORMS.sub("", kept.tobytes().decode("utf-32-le")).split("\n")
    if "" in lines:  # a line that was only a legal form (or nothing) is done alone, as normalize does
        lines = [line or normalize(original) for line, original in zip(lines, joined.split("\n"))]
    return lines


def words_of_lines(joined: str) -> list[str]:
    """The words of each line of ``joined`` (legal forms dropped), each line's followed by ``LINE_END``.

    A line whose words are all legal forms comes out empty: ``words`` gives its words.
    """
    codes = _code_points(_BRACKETED_FORMS.sub(" ", fold(joined))).copy()
    codes[~(_alphanumeric(codes) | (codes == _NEWLINE))] = ord(" ")
    text = _SPELT_FORMS.sub("", codes.tobytes().decode("utf-32-le"))
    return text.replace("\n", f" {LINE_END} ").split()


_NEWLINE = ord("\n")


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _alphanumeric(codes: np.ndarray) -> np.ndarray:
    """``str.isalnum`` of each code point (what the word patterns match, the underscore aside)."""
    if not codes.size:
        return np.zeros(0, dtype=bool)
    present = np.zeros(int(codes.max()) + 1, dtype=bool)
    present[codes] = True
    used = np.flatnonzero(present)
    table = np.zeros(present.size, dtype=bool)
    table[used] = [chr(code).isalnum() for code in used.tolist()]
    return table[codes]


def initials(normalized: str) -> str:
    """Each Hangul syllable as its initial consonant (낙원아구찜 -> ㄴㅇㅇㄱㅉ); anything else unchanged."""
    return normalized.translate(_INITIALS)


def keystrokes(normalized: str) -> str:
    """Each Hangul syllable as the jamo keys typed for it (낙원 -> ㄴㅏㄱㅇㅜㅓㄴ); anything else unchanged."""
    return normalized.translate(_KEYSTROKES)


def is_initials(normalized: str) -> bool:
    """A 초성 query: two or more initial consonants and no syllable (ㄴㅇㅇㄱㅉ, or ㅍㅇㅈ with letters)."""
    consonants = sum(1 for c in normalized if c in CONSONANTS)
    return consonants >= 1 and len(normalized) >= 2 and not any(
        SYLLABLE_FIRST <= ord(c) <= SYLLABLE_LAST for c in normalized)
