"""Ministry address text -> the query a geocoder can answer, plus a stable cache key.

The certified-shop lists are typed by hand over many years. Beside the
address proper they carry detail that no geocoder indexes: floors and units
(``1층``, ``지하1층``, ``101동 201호``), the parenthesised 참고항목 with
building names (``(증산동, 태광아파트)``), phone numbers, ``외 2필지``, lot
lists (``23-19,23-27``) and old or short 시도 names. Kakao's own advice is to
leave such detail out of the query ("상세 주소는 입력 형태가 다양해 정확한 검색
결과를 보장하기 어렵습니다"), and VWorld wants to be told whether it gets a
도로명 or a 지번 address. So before any provider is asked, the address is cut
back to its geocodable core::

    시도 시군구 [읍/면] 도로명 건물번호      kind "road"
    시도 시군구 [읍/면] 동/가/리 [산]지번      kind "parcel"

Everything after the building or lot number is detail and is dropped, which
handles every odd detail pattern at once. The 참고항목's 법정동 is kept apart
(``reference``) because it helps a provider choose among same-named roads.

Only the administrative prefix is rewritten, and only where the gazetteer
says the written name is not today's (시도 aliases and renames from
``geodata/sido_aliases.csv``; 인천 남구 -> 미추홀구, 경상북도 군위군 -> 대구광역시
군위군, 마산시 오동동 -> 창원시 마산합포구 오동동). Nothing is added that
the address did not say: a current 시 is never given a 일반구 it did not name.
"""
from __future__ import annotations

import csv
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from navplugin.addresses import GEODATA_DIR, canonical_sido
from navplugin.gazetteer import Gazetteer, load_gazetteer

LOGGER = logging.getLogger(__name__)

ROAD = "road"
PARCEL = "parcel"
UNKNOWN = "unknown"

_MAX_PASSES = 4

_OPEN = "([{<"
_CLOSE = ")]}>"
# NFKC folds full-width forms; these are the look-alikes it leaves alone
_TRANSLATE = str.maketrans({
    **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"},
    **{c: "~" for c in "\u223c\u301c"},
    **{c: "(" for c in "\u3008\u300a\u300c\u300e\u3010\u3014\u3016\u3018\u301a"},
    **{c: ")" for c in "\u3009\u300b\u300d\u300f\u3011\u3015\u3017\u3019\u301b"},
})

# Never part of an address: replaced by a cut marker before the text is split
_PHONE_LABEL = r"(?:(?:tel|fax|전화(?:번호)?|연락처|☎|☏)\s*[.:)]?\s*)?"
_NOT_ADDRESS = re.compile(
    "|".join((
        _PHONE_LABEL + r"(?<![\d-])(?:\+?82[-.\s]?)?0\d{1,3}[-.\s)]\s?\d{3,4}[-.\s]\d{4}(?!\d)",
        _PHONE_LABEL + r"(?<![\d-])0\d{8,10}(?!\d)",
        _PHONE_LABEL + r"(?<![\d-])1[5-9]\d\d-\d{4}(?![\d-])",  # 1588-0000
        r"외\s*\d+\s*필지",
    )),
    re.IGNORECASE,
)
_CUT = ","
# "1,2층", "1~2층" list floors; "16,1층" is building 16, floor 1 (floors are listed ascending)
_FLOOR_LIST = re.compile(r"(?<![\d-])\d{1,4}(?:\s*~\s*\d{1,4}|,\d{1,4})+\s*층")

# Scrubbed from whatever text is left, so no detail survives in any position
_DETAIL_TEXT = re.compile(r"\d\s*층|\d\s*호(?![가-힣])")
_DETAIL_TOKEN = re.compile(
    r"\d층|\d호(?![가-힣])|필지|^(?:지하|지상|지|[Bb])\d+$|^\d+동$|^\d+(?:[~,]\d+)+$"
)
_DETAIL_WORDS = frozenset(
    "층 호 동 상가 지상 지하 일부 전체 일원 일대 외 번지 내 옆 앞 건너편 tel fax 전화 전화번호".split()
)
_EDGE_PUNCT = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()) + "·‥…。、「」“”‘’"

_NOISE = re.compile(r"^(?:대한민국|한국|korea|우|\d{5}|\d{3}-\d{3})$", re.IGNORECASE)
_NUMBER = re.compile(r"[1-9]\d{0,4}(?:-\d{1,5})?")  # 건물번호 / 지번 (no leading zero: not a phone)
_NUMBER_THEN_DETAIL = re.compile(r"([1-9]\d{0,4}(?:-\d{1,5})?)(?:번지|[,.].*)?")
_LOT = re.compile(r"산\s?([1-9]\d{0,4}(?:-\d{1,5})?)")
_ROAD_NAME = re.compile(r"[가-힣0-9.·]+(?:로|길|거리)")
_ROAD_FRAGMENT = re.compile(r"\d+[가-힣]{0,2}길")  # "1167번길", "2길", "40가길": never a road alone
_GA_FRAGMENT = re.compile(r"\d+가")  # "중앙동 1가" -> 중앙동1가
_GLUED_NUMBER = re.compile(r"(.*[가-힣](?:로|길|동|가|리))([1-9]\d{0,4}(?:-\d{1,5})?)")
_ADMIN_SUFFIX = ("도", "시", "군", "구", "읍", "면")


@dataclass(frozen=True, slots=True)
class GeocodeQuery:
    """What to ask a geocoder for one address, and how to cache the answer."""

    text: str  # 시도 in its current official name, no detail
    kind: str  # "road" | "parcel" | "unknown"
    reference: str | None  # the 참고항목's 법정동, e.g. "관훈동"
    key: str  # the same for the same place however it is spelled


@lru_cache(maxsize=65_536)  # a job asks once for its cache keys and again per provider
def normalize_for_geocoding(address: str) -> GeocodeQuery | None:
    """The geocodable core of ``address``, or None when nothing geocodable remains.

    Runs until the text no longer changes (at most a few passes), so that the
    result is a fixed point: normalising ``query.text`` again gives the same
    text, kind and key, which the cache relies on.
    """
    if not isinstance(address, str):
        return None
    text, reference, kind = address, None, UNKNOWN
    for _ in range(_MAX_PASSES):
        step = _normalize_once(text)
        if step is None:
            return None
        new_text, kind, found = step
        reference = reference or found
        if new_text == text:
            break
        text = new_text
    else:
        LOGGER.warning("address normalisation did not settle for %r", address)
    return GeocodeQuery(text=text, kind=kind, reference=reference, key=_key(text))


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _normalize_once(address: str, retries: int = 2) -> tuple[str, str, str | None] | None:
    """One pass: (text, kind, reference) or None."""
    raw = unicodedata.normalize("NFKC", address).translate(_TRANSLATE)
    outside, groups, unclosed = _split_groups(raw)
    result = _read(outside, groups)
    if unclosed is not None and retries and (result is None or result[1] == UNKNOWN):
        # "서울특별시 (종로구 인사동길 12": a stray "(" must not swallow the address
        retry = _normalize_once(raw[:unclosed] + " " + raw[unclosed + 1:], retries - 1)
        if retry is not None and retry[1] != UNKNOWN:
            return retry
    return result


def _read(outside: str, groups: list[str]) -> tuple[str, str, str | None] | None:
    reference = _reference(groups)
    text = _FLOOR_LIST.sub(_floor_list, outside)
    tokens = _tokens(_NOT_ADDRESS.sub(f" {_CUT} ", text))
    if not tokens:
        return None
    gaz = load_gazetteer()
    tokens, start, sigungu = _canonical_prefix(tokens, reference, gaz)
    kind, head, anchor, dropped = _cut_after_number(tokens, start, sigungu)
    reference = reference or dropped
    words = [t for t in head if t != _CUT and not _is_detail(t)] + anchor
    text = " ".join(_DETAIL_TEXT.sub(" ", " ".join(words)).split())
    if not any(ch.isalpha() for ch in text):
        return None
    return text, kind, reference


# ------------------------------------------------------------ text and groups

def _floor_list(match: re.Match[str]) -> str:
    numbers = [int(n) for n in re.findall(r"\d+", match.group(0))]
    return f" {_CUT} " if numbers == sorted(numbers) else match.group(0)


def _split_groups(text: str) -> tuple[str, list[str], int | None]:
    """(text outside brackets, top-level bracket contents, where an unclosed group opens).

    Copes with nesting ("(시흥동, 외 2필지(7,9))"), an unclosed group (taken
    to run to the end) and a stray closing bracket (dropped).
    """
    outside: list[str] = []
    groups: list[str] = []
    current: list[str] = []
    depth = 0
    opened = 0
    for at, ch in enumerate(text):
        if ch in _OPEN:
            if depth == 0:
                opened = at
            (current if depth else outside).append(" ")
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                outside.append(" ")
                continue
            depth -= 1
            if depth == 0:
                groups.append("".join(current))
                current = []
            else:
                current.append(" ")
        else:
            (current if depth else outside).append(ch)
    if depth:
        groups.append("".join(current))
    return "".join(outside), groups, opened if depth else None


def _tokens(text: str) -> list[str]:
    """Words and cut markers, edge punctuation off, known fragments glued back."""
    tokens: list[str] = []
    for part in re.split(r"(,)", text):
        if part == _CUT:
            tokens.append(_CUT)
            continue
        for word in part.split():
            word = word.strip(_EDGE_PUNCT)
            if word:
                tokens.append(word)
    while tokens and (tokens[0] == _CUT or _NOISE.match(tokens[0])):
        tokens.pop(0)
    return _glue(tokens)


def _glue(tokens: list[str]) -> list[str]:
    """Put back together what a typist split and split what a typist glued.

    "2순환로 1167번길" -> "2순환로1167번길" (a road name has no spaces, and
    "1167번길" is never a road on its own), "중앙동 1가" -> "중앙동1가",
    "산 12" -> "산12", "증산로303" -> "증산로 303", "641-28번지" -> "641-28".
    """
    out: list[str] = []
    for token in tokens:
        prev = out[-1] if out else None
        if prev and prev != _CUT and prev[-1:].isalpha() and (
                _GA_FRAGMENT.fullmatch(token)
                or (_ROAD_FRAGMENT.fullmatch(token) and not prev.endswith(_ADMIN_SUFFIX))):
            out[-1] = prev + token
            continue
        if prev == "산" and _NUMBER_THEN_DETAIL.fullmatch(token):
            out[-1] = "산" + token
            continue
        if token.endswith("번지") and _NUMBER.fullmatch(token[:-2]):
            token = token[:-2]
        glued = _GLUED_NUMBER.fullmatch(token)
        if glued:
            out.extend(glued.groups())
            continue
        out.append(token)
    return out


def _is_detail(token: str) -> bool:
    return token.casefold() in _DETAIL_WORDS or bool(_DETAIL_TOKEN.search(token))


# ------------------------------------------------------------ the 참고항목

def _reference(groups: list[str]) -> str | None:
    """The first 법정동 (or 리, or 행정동) named in the parenthesised groups.

    Only names the code tables know count: a building may be called 나동 or
    중앙상가, and a road name sometimes lands in the parentheses (휴천로).
    """
    known = _dong_names()
    for group in groups:
        for part in re.split(r"[,;/·]", group):
            words = part.split()
            if len(words) >= 2 and _GA_FRAGMENT.fullmatch(words[1]):  # "중앙동 1가"
                words = [words[0] + words[1], *words[2:]]
            if words:
                word = words[0].strip(_EDGE_PUNCT)
                if word in known:
                    return word
    return None


@lru_cache(maxsize=1)
def _dong_names() -> frozenset[str]:
    """Every 읍면동 (current or old), 행정동 and 리 name in the bundled code tables."""
    names = {e.emd for e in load_gazetteer().entries("emd", current_only=False) if e.emd}
    bjd = GEODATA_DIR / "bjd"
    for file, column in (("bjd_hdong.tsv", "hdong"), ("bjd_ri.tsv", "ri")):
        with open(bjd / file, encoding="utf-8", newline="") as handle:
            names.update(row[column].strip() for row in csv.DictReader(handle, delimiter="\t"))
    return frozenset(n for n in names if n and n[-1] in "동가리")


@lru_cache(maxsize=1)
def _road_like_dongs() -> frozenset[tuple[str, str]]:
    """(시군구 code, name) of the few 법정동 named like roads: 종로구 세종로, 대구 중구 남성로."""
    return frozenset((e.code[:5], e.emd) for e in load_gazetteer().entries("emd")
                     if e.emd and e.emd.endswith(("로", "길")))


# ------------------------------------------------------------ 시도 / 시군구

def _canonical_prefix(tokens: list[str], reference: str | None,
                      gaz: Gazetteer) -> tuple[list[str], int, str | None]:
    """Rewrite the leading 시도/시군구 into today's names.

    Returns the tokens, the index of the first token after the prefix, and
    the 시군구 code when one was recognised.
    """
    first = tokens[0]
    sido = canonical_sido(first)
    if sido is not None and gaz.sigungu_candidates(first):
        # "광주시 동구 ..." is 광주광역시; "광주시 경안동 ..." may be 경기 광주시: leave it
        if len(tokens) < 2 or not gaz.sigungu_candidates(tokens[1], sido.code):
            return tokens, 0, None
    if sido is None and not gaz.sigungu_candidates(first):
        tokens = _split_glued_sido(tokens, gaz)
        sido = canonical_sido(tokens[0])
    i = 0
    sido_code = None
    if sido is not None:
        tokens = [sido.name, *tokens[1:]]
        sido_code, i = sido.code, 1
        while i < len(tokens) and (canonical_sido(tokens[i]) == sido
                                   or (sido.code == "36" and tokens[i] == "세종시")):
            del tokens[i]  # "세종특별자치시 세종시 ...", a 시도 written twice
    if i >= len(tokens):
        return tokens, i, None
    code, used = _sigungu(tokens, i, sido_code, reference, gaz)
    if code is None:
        return tokens, i, None
    entry = gaz.current(code)
    sido_entry = gaz.current(code[:2])
    if entry is None or sido_entry is None or not entry.sigungu:
        return tokens, i, None
    prefix = [sido_entry.sido, *entry.sigungu.split(" ")]
    return [*prefix, *tokens[i + used:]], len(prefix), code


def _split_glued_sido(tokens: list[str], gaz: Gazetteer) -> list[str]:
    """"서울특별시종로구" -> "서울특별시", "종로구" (only when the rest is a 시군구 of it)."""
    first = tokens[0]
    for cut in range(len(first) - 1, 1, -1):
        sido = canonical_sido(first[:cut])
        if sido is not None and gaz.sigungu_candidates(first[cut:], sido.code):
            return [first[:cut], first[cut:], *tokens[1:]]
    return tokens


def _sigungu(tokens: list[str], i: int, sido_code: str | None, reference: str | None,
             gaz: Gazetteer) -> tuple[str | None, int]:
    """(current 시군구 code, tokens used) of the words at ``i``, or (None, 0)."""
    found = gaz.sigungu_candidates(tokens[i], sido_code)
    if len(found) != 1:
        return None, 0
    code, used = found[0], 1
    entry = gaz.current(code)
    written_current = entry is not None and tokens[i] == (entry.sigungu or "").split(" ")[0]
    if gaz.head(code) == code and i + 1 < len(tokens):
        family = set(gaz.family(code))
        gu = [c for c in gaz.sigungu_candidates(tokens[i + 1], code[:2]) if c in family]
        if len(gu) == 1 and gu[0] != code:
            return gu[0], 2
    if not written_current and gaz.head(code) == code and len(gaz.family(code)) > 1:
        # an old name now split into 일반구 (마산시, 청원군): its 읍면동 tells which
        words = [tokens[i + 1]] if i + 1 < len(tokens) else []
        for word in [*words, *([reference] if reference else [])]:
            hits = {h[:5] for h in gaz.emd_candidates(word, gaz.family(code))}
            if len(hits) == 1:
                return hits.pop(), 1
    return code, used


# ------------------------------------------------------------ the number

def _cut_after_number(tokens: list[str], start: int, sigungu: str | None
                      ) -> tuple[str, list[str], list[str], str | None]:
    """(kind, words before the anchor, the anchor, 법정동 dropped before a road).

    The first "도로명 + 건물번호" or "동/가/리 + 지번" after the prefix is the
    anchor and ends the address: all that follows is detail. Without one, the
    address ends at the first comma or detail word after the prefix.
    """
    dongs = _dong_names()
    for j in range(start, len(tokens) - 1):
        word, nxt = tokens[j], tokens[j + 1]
        if word in dongs or (sigungu, word) in _road_like_dongs():
            lot = _lot(nxt)
            if lot is not None:
                return PARCEL, tokens[:j], [word, lot], None
            continue
        if _ROAD_NAME.fullmatch(word):
            anchor = _road_number(tokens[j + 1:j + 3])
            if anchor is None:
                continue
            head = tokens[:j]
            dropped = head.pop() if j - 1 >= start and head[-1] in dongs else None  # 남통동 금오산상가길
            return ROAD, head, [word, *anchor], dropped
    cut = next((k for k in range(start + 1, len(tokens))
                if tokens[k] == _CUT or _is_detail(tokens[k])), len(tokens))
    return UNKNOWN, tokens[:cut], [], None


def _road_number(words: list[str]) -> list[str] | None:
    """The building number after a road name: ["303"], or ["지하", "2"] underground."""
    if not words:
        return None
    if words[0] == "지하" and len(words) > 1 and _NUMBER.fullmatch(words[1]):
        return ["지하", words[1]]
    underground = re.fullmatch(r"지하([1-9]\d{0,4}(?:-\d{1,5})?)", words[0])
    if underground:
        return ["지하", underground.group(1)]
    number = _building_number(words[0])
    return [number] if number else None


def _building_number(token: str) -> str | None:
    """"303", "946-5", "133." -> the number; "16,1층" -> "16"; a floor or unit -> None."""
    match = _NUMBER_THEN_DETAIL.fullmatch(token)
    if match:
        return match.group(1)
    match = re.fullmatch(r"([1-9]\d{0,4})-(\d+(?:[~,]\d+)*(?:층|호))", token)  # "16-1층"
    return match.group(1) if match else None


def _lot(token: str) -> str | None:
    """A 지번 ("12-3", "산12-3") from a token, or None."""
    mountain = _LOT.fullmatch(token)
    if mountain:
        return "산" + mountain.group(1)
    if token.startswith("산"):
        number = _building_number(token[1:])
        return "산" + number if number else None
    return _building_number(token)
