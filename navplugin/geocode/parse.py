"""Korean address text -> the deepest 시도 / 시군구 / 읍면동 it names, in current codes.

Ministry lists from different years write the same place differently: 강원도
or 강원특별자치도, 인천 남구 or 미추홀구, 여주군 가남면 or 여주시 가남읍, a 행정동
(역삼1동) instead of the 법정동, or only a road name with the 법정동 in the
parenthesised 참고항목 ("인사동길 12 (관훈동)"). The offline geocoder needs the
district such an address names, in today's codes, to place a shop when no
provider can. The parser reads only the administrative words at the start of
the address and the 참고항목, and never goes deeper than the words name without
ambiguity: ``중구 ...`` without a 시도 names nothing, ``화성시 능동`` (two 능동
since 2026) stops at 화성시.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from navplugin.addresses import clean_text
from navplugin.gazetteer import Gazetteer, load_gazetteer
from navplugin.model import Region

LOGGER = logging.getLogger(__name__)

_PARENS = re.compile(r"\(([^()]*)\)")
_GA_WITHOUT_DONG = re.compile(r"^(.+?[^동\d])(\d+가)$")  # 효자2가: the 법정동 is 효자동2가
_NOISE = re.compile(r"^(대한민국|한국|\[?\d{5}\]?|\(우\)\d{5})$")
_STRIP = ",.·"


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The districts an address names; ``code`` is the deepest one's current code."""

    level: str  # "sido" | "sigungu" | "emd"
    code: str
    region: Region

    @property
    def name(self) -> str:
        """The current name chain, e.g. "서울특별시 종로구 관훈동"."""
        region = self.region
        return " ".join(part for part in (region.sido, region.sigungu, region.emd) if part)


def parse_address(text: str, gazetteer: Gazetteer | None = None) -> ParsedAddress | None:
    """The deepest district ``text`` names without ambiguity, or None if it names none."""
    gazetteer = gazetteer or load_gazetteer()
    text, refs = _references(clean_text(text or ""))
    tokens = [t.strip(_STRIP) for t in text.replace(",", " ").split()]
    tokens = [t for t in tokens if t]
    while tokens and _NOISE.match(tokens[0]):
        tokens.pop(0)
    if not tokens:
        return None
    parser = _Parser(gazetteer, tokens, [r for r in refs if r])
    return parser.run()


def _references(text: str) -> tuple[str, list[str]]:
    """The address without its 참고항목, and the names each 참고항목 part may give, in order.

    Lists write them loosely: parentheses nested or left open ("(시흥동, 외 2필지(7,9)"),
    a 가 apart from its 동 ("(중앙동 1가)") or without it ("(효자2가)"), lot numbers after
    the 동 ("(대야동 201,202,203)"). Each part gives itself run together, then its first word.
    """
    groups: list[str] = []
    while found := _PARENS.findall(text):  # innermost first, so nested ones come apart
        groups += found
        text = _PARENS.sub(" ", text)
    text, opened, rest = text.partition("(")  # one left open runs to the end
    if opened:
        groups.append(rest.replace(")", " "))
    refs: list[str] = []
    for group in groups:
        for part in group.split(","):
            words = part.strip(_STRIP + " ").split()
            if not words:
                continue
            refs.append("".join(words))
            if len(words) > 1:
                refs.append(words[0])
    refs += [f"{found.group(1)}동{found.group(2)}" for ref in refs if (found := _GA_WITHOUT_DONG.match(ref))]
    return text.replace(")", " "), list(dict.fromkeys(refs))


class _Parser:
    """One parse: walks the leading words, then the 참고항목."""

    def __init__(self, gazetteer: Gazetteer, tokens: list[str], refs: list[str]) -> None:
        self.gaz = gazetteer
        self.tokens = self._split_glued_sido(tokens)
        self.refs = refs

    def _split_glued_sido(self, tokens: list[str]) -> list[str]:
        """"서울특별시종로구" -> "서울특별시", "종로구" (only when the rest is a 시군구)."""
        first = tokens[0]
        if self.gaz.sido_code(first) or self.gaz.sigungu_candidates(first):
            return tokens
        for cut in range(len(first) - 1, 1, -1):
            sido = self.gaz.sido_code(first[:cut])
            if sido and self.gaz.sigungu_candidates(first[cut:], sido):
                return [first[:cut], first[cut:], *tokens[1:]]
        return tokens

    def run(self) -> ParsedAddress | None:
        first = self.tokens[0]
        as_sido = self.gaz.sido_code(first)
        as_sigungu = self.gaz.sigungu_candidates(first)
        readings = []
        if as_sido:
            readings.append(self._read(1, as_sido))
        if as_sigungu or not as_sido:
            readings.append(self._read(0, None))
        readings = [r for r in readings if r[0] is not None]
        if not readings:
            return None
        best = max(score for _, score in readings)
        winners = {code for code, score in readings if score == best}
        if len(winners) != 1:  # "광주시 ..." read as 광주광역시 and as 경기 광주시 alike
            LOGGER.debug("ambiguous address %r: %s", " ".join(self.tokens), sorted(winners))
            return None
        return self._result(winners.pop())

    def _read(self, i: int, sido: str | None) -> tuple[str | None, int]:
        """(deepest current code, number of words that matched) from word ``i`` on."""
        matched = 1 if sido else 0
        tokens = self.tokens
        while sido and i < len(tokens) and (
                self.gaz.sido_code(tokens[i]) == sido or sido == "36" and tokens[i] == "세종시"):
            i, matched = i + 1, matched + 1  # "인천광역시 인천광역시 ...", "세종특별자치시 세종시 ..."
        sigungu, used = self._sigungu(i, sido)
        if sigungu is None and used:  # an ambiguous 시군구 name: say no more than the 시도
            return sido, matched
        i, matched = i + used, matched + used
        if sigungu is not None:
            sido = sido or sigungu[:2]
            scope = self._scope(sigungu)
        elif sido is not None:
            scope = self.gaz.sigungu_scope(sido)
        else:
            return None, 0
        emd, used = self._emd(i, scope, sigungu)
        if emd is not None:
            return emd, matched + used
        return sigungu or sido, matched

    def _sigungu(self, i: int, sido: str | None) -> tuple[str | None, int]:
        """(current 시군구 code, words used); (None, 1) when the word is ambiguous."""
        if i >= len(self.tokens):
            return None, 0
        found = self.gaz.sigungu_candidates(self.tokens[i], sido)
        if not found:
            return None, 0
        if len(found) > 1:
            pick = self._pick_by_emd(found, i + 1)
            return (pick, 1) if pick else (None, 1)
        code = found[0]
        if i + 1 < len(self.tokens) and self.gaz.head(code) == code:
            family = set(self.gaz.family(code))
            gu = [c for c in self.gaz.sigungu_candidates(self.tokens[i + 1], code[:2]) if c in family]
            if len(gu) == 1 and gu[0] != code:
                return gu[0], 2
        return code, 1

    def _pick_by_emd(self, candidates: list[str], i: int) -> str | None:
        """"중구 을지로3가" needs no 시도: only one 중구 has an 을지로3가."""
        words = self.tokens[i:i + 1] + self.refs
        for word in words:
            owners = {c for c in candidates if self.gaz.emd_candidates(word, self._scope(c))}
            if len(owners) == 1:
                return owners.pop()
        return None

    def _scope(self, sigungu: str) -> tuple[str, ...]:
        """Where a 읍면동 under this 시군구 may be: a 시 with 구 spans all its 구."""
        return self.gaz.family(sigungu) if self.gaz.head(sigungu) == sigungu else (sigungu,)

    def _emd(self, i: int, scope, sigungu: str | None) -> tuple[str | None, int]:
        """(current 읍면동 code, or a 시군구 code a 행정동 pins down; 1) or (None, 0).

        Looks at the word after the 시군구, then at each 참고항목.
        """
        for word in [*self.tokens[i:i + 1], *self.refs]:
            code = self._emd_named(word, scope)
            if code is None and sigungu is not None and len(scope) == 1:
                # a 동 moved to the next 구 of the same 시 (창원 의창구 -> 성산구 신월동)
                code = self._emd_named(word, self.gaz.family(sigungu))
            if code is not None and (sigungu is None or len(code) == 8):
                return code, 1
        return None, 0

    def _emd_named(self, word: str, scope) -> str | None:
        hits = self.gaz.emd_candidates(word, scope)
        if len(hits) == 1:
            return hits[0]
        if hits:
            return None
        hits = self.gaz.hdong_candidates(word, scope)  # a 행정동: 역삼1동, 종로1.2.3.4가동
        if len(hits) == 1:
            return hits[0]
        parents = {h[:5] for h in hits}
        return parents.pop() if len(parents) == 1 else None

    def _result(self, code: str) -> ParsedAddress | None:
        entry = self.gaz.current(code)
        if entry is None:
            return None
        sido = self.gaz.current(code[:2])
        sigungu = self.gaz.current(code[:5]) if len(code) >= 5 else None
        emd = entry if entry.level == "emd" else None
        return ParsedAddress(level=entry.level, code=entry.code, region=Region(
            sido=sido.sido if sido else entry.sido, sido_code=code[:2],
            sigungu=sigungu.sigungu if sigungu else None,
            sigungu_code=sigungu.code if sigungu else None,
            emd=emd.emd if emd else None, emd_code=emd.code if emd else None,
        ))
