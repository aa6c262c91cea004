"""Korean address text: 시도 names and their renames, and the normal form used for ids.

Ministry lists from different years spell the same 시도 differently
(서울, 서울시, 서울특별시; 강원도 before 2023, 전라북도 before 2024), so every
comparison of addresses goes through the alias table in
``geodata/sido_aliases.csv``.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GEODATA_DIR = Path(__file__).resolve().parent.parent / "geodata"

_SPACES = re.compile(r"\s+")
_PARENS = re.compile(r"\([^)]*\)")


@dataclass(frozen=True, slots=True)
class Sido:
    code: str  # current 2-digit code
    name: str  # current official name
    boundary_code: str  # code in the 2023 boundary data (42 for 강원, 45 for 전북)
    boundary_name: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def sido_table() -> dict[str, Sido]:
    """Every alias (and official name) of a 시도 -> its row."""
    table: dict[str, Sido] = {}
    with open(GEODATA_DIR / "sido_aliases.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            sido = Sido(
                code=row["code"],
                name=row["name"],
                boundary_code=row["boundary_code"],
                boundary_name=row["boundary_name"],
                aliases=tuple(row["aliases"].split(";")),
            )
            for alias in (sido.name, sido.boundary_name, *sido.aliases):
                table[alias] = sido
    return table


def canonical_sido(word: str) -> Sido | None:
    return sido_table().get(word.strip())


def clean_text(text: str) -> str:
    """NFC, trimmed, inner runs of white space folded to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def normalize_address(address: str) -> str:
    """The form of an address that stays the same however a list spells it.

    Parenthesised 참고항목 are dropped, the 시도 is written in its current
    official name, white space is folded and Latin letters are lower-cased.
    Used for stable shop ids and cache keys, never shown to users.
    """
    text = clean_text(_PARENS.sub(" ", unicodedata.normalize("NFC", address)))
    text = re.sub(r"\s*,\s*", " ", text)
    words = text.split(" ") if text else []
    if words:
        sido = canonical_sido(words[0])
        if sido is not None:
            words[0] = sido.name
    return " ".join(words).lower()
