"""A fake business.juso.go.kr: the 도로명주소 search API and coordinate API on a loopback socket.

Speaks juso's wire format (reference §4): always HTTP 200 (except the
``http_outage`` scenario), ``{"results": {"common": {...}, "juso": [...]}}``,
every value a string, errors as ``common.errorCode``/``errorMessage``, one
key per API. In the ``ok`` scenario it answers any Korean address the
offline geocoder can place: the search API invents a realistic building
record in the district the address names, and remembers it, so the
coordinate API can give that building's entrance in UTM-K (EPSG:5179): the
district point moved 5–40 m in a direction derived from a hash of the
address. An address that names no building number gets several buildings on
its road, as juso answers a vague query.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from typing import Any

from pyproj import Transformer

from navplugin.geocode.offline import OfflineGeocoder
from navplugin.geocode.parse import parse_address
from tests.fakes.server import FakeRequest, FakeResponse, FakeUpstream

SEARCH_PATH = "/addrlink/addrLinkApi.do"
COORD_PATH = "/addrlink/addrCoordApi.do"

SEARCH_MESSAGES = {
    "0": "정상",
    "-999": "시스템에러",
    "E0001": "승인되지 않은 KEY 입니다.",
    "E0005": "검색어가 입력되지 않았습니다.",
    "E0006": "주소를 상세히 입력해 주시기 바랍니다.",
    "E0008": "검색어는 두글자 이상 입력되어야 합니다.",
    "E0009": "검색어는 문자와 숫자 같이 입력되어야 합니다.",
    "E0010": "검색어가 너무 깁니다.(한글40자, 영문,숫자 80자 이하)",
    "E0011": "검색어에 너무 긴 숫자가 포함되어 있습니다. (숫자10자 이하)",
    "E0012": "특수문자+숫자만으로는 검색이 불가능 합니다.",
    "E0013": "SQL 예약어 또는 특수문자( %,=,>,<,[,] )는 검색이 불가능 합니다.",
    "E0014": "개발승인키 기간이 만료되어 서비스를 이용하실 수 없습니다.",
    "E0015": "검색 범위를 초과하였습니다.",
}
COORD_MESSAGES = {
    "0": "정상",
    "-999": "시스템에러",
    "E0001": "승인되지 않은 KEY 입니다.",
    "E0002": "행정구역코드(admCd)가 입력되지 않았습니다.",
    "E0003": "도로명코드(rnMgtSn)가 입력되지 않았습니다.",
    "E0004": "지하여부(udrtYn)가 입력되지 않았습니다.",
    "E0005": "건물본번(buldMnnm)이 입력되지 않았습니다.",
    "E0006": "건물부번(buldSlno)이 입력되지 않았습니다.",
    "E0007": "짧은 시간동안 다량의 주소검색 요청이 있습니다. 잠시 후 이용하시길 바랍니다.",
}
# scenario -> (API it affects, errorCode it answers with)
ERROR_SCENARIOS: dict[str, tuple[str, str]] = {
    **{code: ("search", code) for code in SEARCH_MESSAGES if code != "0"},
    "expired": ("search", "E0014"),
    "outage": ("search", "-999"),
    **{f"coord_{code}": ("coord", code) for code in COORD_MESSAGES if code != "0"},
    "E0007": ("coord", "E0007"),
    "ratelimit": ("coord", "E0007"),
    "quota": ("coord", "E0007"),  # juso publishes no quota; its only volume signal is E0007
}
SCENARIOS = ("ok", "empty", "no_entrance", "malformed", "malformed_json", "malformed_shape",
             "malformed_coord", "http_outage", "slow", "flaky", *ERROR_SCENARIOS)

_PARENS = re.compile(r"\(([^()]*)\)")
_ROAD = re.compile(r"(?P<rn>[가-힣A-Za-z0-9.·]*[가-힣](?:로|길))\s*(?P<ug>지하\s*)?(?P<mn>\d{1,5})(?:-(?P<sn>\d{1,5}))?")
_JIBUN = re.compile(r"(?:동|리|가|읍|면)\s+(?P<mt>산\s*)?(?P<mn>\d{1,4})(?:-(?P<sn>\d{1,4}))?(?!\d)")
_REFUSED = re.compile(r"[%=<>\[\]]")
_SQL_WORDS = {"SELECT", "INSERT", "DELETE", "UPDATE", "CREATE", "DROP", "EXEC", "UNION", "FETCH",
              "DECLARE", "TRUNCATE", "OR", "AND"}
_TO_UTMK = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)


def _hash(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:8], "big")


def _stem(name: str) -> str:
    """관훈동 -> 관훈, 종로구 -> 종로: a stem for a made-up road name."""
    stem = re.sub(r"[0-9.]*(동|가|읍|면|리|구|군|시|특별자치시|특별자치도|광역시|특별시|도)$", "", name)
    return stem or name


class JusoFake(FakeUpstream):
    """Both juso APIs; ``scenario`` picks the answer, ``entrances`` holds the buildings handed out."""

    SEARCH_KEY = "devU01TX0FVVEgyMDI2MDEwMTEy+c2VhcmNo/SEARCH=="
    COORD_KEY = "devU01TX0FVVEgyMDI2MDEwMTEy+Y29vcmQ/COORD=="

    def __init__(self, *, search_key: str = SEARCH_KEY, coord_key: str = COORD_KEY,
                 seed: int = 0, failure_rate: float = 0.3) -> None:
        super().__init__()
        self.search_key = search_key
        self.coord_key = coord_key
        self.fixed: dict[str, tuple[float, float]] = {}  # keyword -> entrance (lon, lat)
        self.seed = seed
        self.failure_rate = failure_rate
        self.slow_delay = 1.0
        # (admCd, rnMgtSn, udrtYn, buldMnnm, buldSlno) -> the coordinate API's record
        self.entrances: dict[tuple[str, ...], dict[str, str]] = {}
        # buildings (roadAddrPart1) the search API knows but the coordinate API has no entrance for
        self.without_entrance: set[str] = set()
        self._offline = OfflineGeocoder()
        self._rng: random.Random | None = None
        self._rng_seed: int | None = None
        self._state = threading.Lock()

    def reseed(self, seed: int | None = None) -> None:
        """Restart the ``flaky`` sequence (from ``seed`` if given)."""
        with self._state:
            self.seed = self.seed if seed is None else seed
            self._rng = None

    # -- dispatch ------------------------------------------------------------------------

    def answer(self, request: FakeRequest) -> FakeResponse:
        if request.path not in (SEARCH_PATH, COORD_PATH):
            return FakeResponse(404, "<html><body><h1>404 Not Found</h1></body></html>")
        api = "search" if request.path == SEARCH_PATH else "coord"
        scenario = self._scenario(api)
        if scenario == "http_outage" and api == "search":
            return FakeResponse(502, "<html><head><title>502 Bad Gateway</title></head></html>")
        if scenario == "slow" and api == "search":
            return FakeResponse(body=self._envelope(request, "0", []), delay=self.slow_delay)
        if request.query.get("resultType", "xml") != "json":  # juso's default is XML
            return FakeResponse(body='<?xml version="1.0" encoding="UTF-8"?><results><common>'
                                     '<errorCode>0</errorCode></common></results>',
                                headers={"Content-Type": "text/xml;charset=UTF-8"})
        if scenario in ERROR_SCENARIOS and ERROR_SCENARIOS[scenario][0] == api:
            return FakeResponse(body=self._envelope(request, ERROR_SCENARIOS[scenario][1], None, api))
        if api == "search":
            return self._search(request, scenario)
        return self._coord(request, scenario)

    def _scenario(self, api: str) -> str:
        if self.scenario != "flaky":
            return self.scenario
        with self._state:
            if self._rng is None or self._rng_seed != self.seed:
                self._rng, self._rng_seed = random.Random(self.seed), self.seed
            if self._rng.random() >= self.failure_rate:
                return "ok"
            return "outage" if api == "search" else self._rng.choice(["coord_-999", "E0007"])

    def _envelope(self, request: FakeRequest, code: str, juso: list[dict[str, str]] | None,
                  api: str = "search", total: int | None = None) -> dict[str, Any]:
        messages = SEARCH_MESSAGES if api == "search" else COORD_MESSAGES
        common = {"errorMessage": messages.get(code, "시스템에러"),
                  "totalCount": str(total if total is not None else len(juso or [])), "errorCode": code}
        if api == "search":
            common |= {"countPerPage": request.query.get("countPerPage", "10"),
                       "currentPage": request.query.get("currentPage", "1")}
        return {"results": {"common": common, "juso": juso}}

    # -- search API ------------------------------------------------------------------------

    def _search(self, request: FakeRequest, scenario: str) -> FakeResponse:
        if request.query.get("confmKey") != self.search_key:
            return FakeResponse(body=self._envelope(request, "E0001", None))
        if scenario == "malformed":  # the maintenance page juso serves with HTTP 200
            return FakeResponse(body="<!DOCTYPE html><html><body>시스템 점검 중입니다.</body></html>",
                                headers={"Content-Type": "text/html;charset=UTF-8"})
        if scenario == "malformed_json":
            return FakeResponse(body='{"results":{"common":{"errorCode":"0","totalCount":"1"},"juso":[{"roadA',
                                headers={"Content-Type": "application/json;charset=UTF-8"})
        if scenario == "malformed_shape":
            return FakeResponse(body={"results": {"juso": []}})
        keyword = " ".join(request.query.get("keyword", "").split())
        error = self._keyword_error(keyword)
        if error:
            return FakeResponse(body=self._envelope(request, error, None))
        hits = [] if scenario == "empty" else self._buildings(keyword)
        if hits is None:
            return FakeResponse(body=self._envelope(request, "E0015", None))
        page, size = _int(request.query.get("currentPage"), 1), min(_int(request.query.get("countPerPage"), 10), 100)
        shown = hits[(page - 1) * size:page * size]
        return FakeResponse(body=self._envelope(request, "0", shown, total=len(hits)))

    @staticmethod
    def _keyword_error(keyword: str) -> str | None:
        """juso's own checks on the keyword, in the order its codes suggest."""
        if not keyword:
            return "E0005"
        if len(keyword) < 2:
            return "E0008"
        if _REFUSED.search(keyword) or {w.upper() for w in keyword.split()} & _SQL_WORDS:
            return "E0013"
        if len(re.findall(r"[가-힣]", keyword)) > 40 or len(keyword) > 80:
            return "E0010"
        if any(len(run) > 10 for run in re.findall(r"\d+", keyword)):
            return "E0011"
        if not re.search(r"[가-힣A-Za-z]", keyword):
            return "E0012"
        parsed = parse_address(keyword)
        if parsed is not None and parsed.level == "sido" and len(keyword.split()) == 1:
            return "E0006"
        return None

    def _buildings(self, keyword: str) -> list[dict[str, str]] | None:
        """The building records juso would return for ``keyword`` (registered for the coord API).

        None when the text names only a 시군구 or 시도: more than juso's 9,000-hit limit.
        """
        located = self._offline.geocode(keyword)
        if located is None:
            return []
        raw = located.raw
        si, sgg, emd = raw.get("sido") or "", raw.get("sigungu") or "", raw.get("emd") or ""
        adm_cd = str(raw["code"]).ljust(10, "0")
        bare = _PARENS.sub(" ", keyword)
        refs = [part.strip() for group in _PARENS.findall(keyword) for part in group.split(",") if part.strip()]
        building_name = next((ref for ref in refs if ref != emd and not ref.endswith(("동", "가"))), "")
        road, jibun = _ROAD.search(bare), _JIBUN.search(bare)
        if road:
            rn, underground = road["rn"], "1" if road["ug"] else "0"
            numbers = [(road["mn"], road["sn"] or "0")]
        else:  # no building number: the road the text names, or one we make up
            named = [t for t in bare.split() if re.fullmatch(r"[가-힣A-Za-z0-9.·]*[가-힣](로|길)", t) and t != emd]
            rn, underground = (named[0] if named else f"{_stem(emd or sgg or si)}로"), "0"
            if jibun:
                numbers = [(str(_hash(keyword) % 200 + 1), "0")]
            elif not named and raw.get("level") != "emd":
                return None
            else:  # a 읍면동 or a road only: juso lists its buildings
                numbers = [(str(n), "0") for n in range(1, 14, 2)]
        buildings = []
        for main, sub in numbers:
            number = main if sub == "0" else f"{main}-{sub}"
            part1 = " ".join(p for p in (si, sgg, rn, "지하" if underground == "1" else "", number) if p)
            h = _hash(part1)
            if jibun and len(numbers) == 1:
                mt, lot_main, lot_sub = ("1" if jibun["mt"] else "0"), jibun["mn"], jibun["sn"] or "0"
            else:
                mt, lot_main, lot_sub = "0", str(h % 900 + 1), str((h >> 12) % 3)
            lot = lot_main if lot_sub == "0" else f"{lot_main}-{lot_sub}"
            part2 = f" ({', '.join(p for p in (emd, building_name) if p)})" if emd or building_name else ""
            record = {
                "roadAddr": part1 + part2, "roadAddrPart1": part1, "roadAddrPart2": part2,
                "jibunAddr": " ".join(p for p in (si, sgg, emd, ("산" if mt == "1" else "") + lot,
                                                  building_name) if p),
                "engAddr": "", "zipNo": f"{(_hash(sgg or si) % 63000) + 1000:05d}",
                "admCd": adm_cd, "rnMgtSn": adm_cd[:5] + f"{_hash(si, sgg, rn) % 10 ** 7:07d}",
                "bdMgtSn": f"{adm_cd}{mt}{int(lot_main):04d}{int(lot_sub):04d}{(h >> 24) % 10 ** 6:06d}",
                "detBdNmList": "", "bdNm": building_name, "bdKdcd": "0",
                "siNm": si, "sggNm": sgg, "emdNm": emd, "liNm": "", "rn": rn,
                "udrtYn": underground, "buldMnnm": main, "buldSlno": sub,
                "mtYn": mt, "lnbrMnnm": lot_main, "lnbrSlno": lot_sub, "emdNo": "01",
            }
            if keyword in self.fixed and not buildings:
                lon, lat = self.fixed[keyword]
            else:
                lon, lat = _offset(located.longitude, located.latitude, h)
            self._register(record, lon, lat)
            buildings.append(record)
        return buildings

    def _register(self, record: dict[str, str], lon: float, lat: float) -> None:
        x, y = _TO_UTMK.transform(lon, lat)
        entry = {name: record[name] for name in ("admCd", "rnMgtSn", "bdMgtSn", "udrtYn", "buldMnnm", "buldSlno")}
        entry |= {"entX": repr(float(x)), "entY": repr(float(y)), "bdNm": record["bdNm"]}
        with self._state:
            if record["roadAddrPart1"] in self.without_entrance:
                self.entrances.pop(_key(record), None)
            else:
                self.entrances[_key(record)] = entry

    # -- coordinate API --------------------------------------------------------------------

    def _coord(self, request: FakeRequest, scenario: str) -> FakeResponse:
        query = request.query
        if query.get("confmKey") != self.coord_key:  # a search key here is "not approved"
            return FakeResponse(body=self._envelope(request, "E0001", None, "coord"))
        for code, name in zip(("E0002", "E0003", "E0004", "E0005", "E0006"),
                              ("admCd", "rnMgtSn", "udrtYn", "buldMnnm", "buldSlno")):
            if not query.get(name):
                return FakeResponse(body=self._envelope(request, code, None, "coord"))
        with self._state:
            entry = self.entrances.get(_key(query))
        if entry is None or scenario == "no_entrance":
            return FakeResponse(body=self._envelope(request, "0", [], "coord"))
        if scenario == "malformed_coord":
            entry = {**entry, "entX": "", "entY": "좌표없음"}
        return FakeResponse(body=self._envelope(request, "0", [dict(entry)], "coord"))


def _key(fields: dict[str, str]) -> tuple[str, ...]:
    return tuple(fields.get(name, "") for name in ("admCd", "rnMgtSn", "udrtYn", "buldMnnm", "buldSlno"))


def _offset(lon: float, lat: float, h: int) -> tuple[float, float]:
    """(lon, lat) moved 5–40 m on a bearing, both taken from ``h``."""
    distance = 5.0 + (h % 3500) / 100.0
    bearing = math.radians((h >> 16) % 3600 / 10.0)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlon = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, int(text or default))
    except ValueError:
        return default
