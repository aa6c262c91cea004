"""행정안전부 도로명주소 (business.juso.go.kr): building entrances, in two calls.

juso is the ministry's own address database, so it is the provider that knows
a shop's building best, and its coordinate API gives the building's ENTRANCE,
the point a car should be routed to. A lookup takes two GET requests, each with
its own 승인키: the search API (``addrLinkApi.do``) turns text into address
records without coordinates, and the coordinate API (``addrCoordApi.do``) turns
a record's (admCd, rnMgtSn, udrtYn, buldMnnm, buldSlno) into ``entX``/``entY``
in UTM-K (EPSG:5179, metres), which we convert to WGS84 here.

Both APIs answer HTTP 200 with the outcome in ``results.common.errorCode``,
every value a string, and the same code means different things in the two
APIs (search E0005 "no keyword", coordinate E0005 "buldMnnm missing"), so each
API has its own table below. juso has no reverse geocoding.
"""
from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from geopy.adapters import BaseAsyncAdapter
from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderUnavailable,
)
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.location import Location
from pyproj import Transformer

from navplugin.geocode.base import WebGeocoder

LOGGER = logging.getLogger(__name__)

SEARCH_PATH = "/addrlink/addrLinkApi.do"
COORD_PATH = "/addrlink/addrCoordApi.do"
MAX_RESOLVED = 5  # exactly_one=False: coordinate calls for at most this many search hits
# E0007 carries no Retry-After; a public client waits 0.5 s, which also suits a burst limit.
RATE_LIMIT_RETRY_AFTER = 0.5
# A converted entrance outside this (lon, lat) box means the numbers were not UTM-K.
_KOREA = (124.0, 32.5, 132.0, 39.0)
# The search API refuses these characters (E0013); they never help a match, so drop them.
_REFUSED_CHARS = re.compile(r"[%=<>\[\]]")
_COORD_FIELDS = ("admCd", "rnMgtSn", "udrtYn", "buldMnnm", "buldSlno")

# Search API codes. E0001 can also come back for a valid key while juso is under heavy
# load (reference §4.1); we still report an authentication failure, because we cannot
# tell the two apart from one answer: whether to retry is the chain's retry policy.
_SEARCH_AUTH = {"E0001": "search key not approved", "E0014": "development search key expired"}
# Keywords juso refuses as malformed: the query itself is bad.
_SEARCH_QUERY = {"E0005", "E0008", "E0009", "E0010", "E0011", "E0012", "E0013"}
# Well-formed but too vague to name one building (only a 시도; over 9,000 hits): no answer.
_SEARCH_NO_MATCH = {"E0006", "E0015"}
# Coordinate API codes: E0002..E0006 each name a missing parameter of ours.
_COORD_QUERY = {"E0002", "E0003", "E0004", "E0005", "E0006"}


@lru_cache(maxsize=1)
def _utmk_to_wgs84() -> Transformer:
    """Built once per process (pyproj ≥ 3.1 transformers are thread-safe)."""
    return Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)


def utmk_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """UTM-K (EPSG:5179) metres -> WGS84 (lon, lat)."""
    lon, lat = _utmk_to_wgs84().transform(x, y)
    return float(lon), float(lat)


class JusoGeocoder(WebGeocoder):
    """geopy-compatible geocoder over juso's search and coordinate APIs (sync adapters only)."""

    provider = "juso"
    default_domain = "business.juso.go.kr"

    def __init__(self, *, search_key: str, coord_key: str, **kwargs: Any) -> None:
        if not search_key or not coord_key:
            raise ConfigurationError("juso needs both a search API key and a coordinate API key")
        super().__init__(**kwargs)
        if isinstance(self.adapter, BaseAsyncAdapter):
            # one lookup is two dependent calls; the async path is not written
            raise ConfigurationError("the juso geocoder needs a synchronous adapter")
        self.search_key = search_key
        self.coord_key = coord_key

    def secrets(self) -> tuple[str, ...]:
        # keys sit in the URL, so adapters quote them in their messages in encoded form too
        forms = (form(key) for key in (self.search_key, self.coord_key)
                 for form in (str, quote_plus, lambda k: quote(k, safe="")))
        return tuple(dict.fromkeys(forms))

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The entrance of the building juso matches, as a Location (a list if not ``exactly_one``).

        None when juso matches nothing, and also when juso finds the address but
        its coordinate API has no entrance point for it: we never invent a point.
        With ``exactly_one=False`` the first ``MAX_RESOLVED`` hits are resolved and
        those without an entrance are left out. Raises geopy exceptions for
        juso's error codes (see the tables above).
        """
        keyword = self._keyword(query)
        params = {"confmKey": self.search_key, "keyword": keyword, "resultType": "json",
                  "currentPage": "1", "countPerPage": "10"}
        hits = self._call(self._url(SEARCH_PATH) + "?" + urlencode(params), self._parse_search,
                          timeout=timeout)
        if not hits:
            return None
        locations = []
        for hit in hits[:1 if exactly_one else MAX_RESOLVED]:
            coord = self._call(self._coord_url(hit), self._parse_coord, timeout=timeout)
            if coord is None:
                LOGGER.debug("juso has no entrance for %r", hit.get("roadAddr"))
                continue
            locations.append(self._location(hit, coord, len(hits)))
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """Not offered: juso has no coordinate -> address API (use kakao, vworld or naver)."""
        raise NotImplementedError("juso.go.kr offers no reverse geocoding; use another provider")

    @staticmethod
    def _keyword(query: Any) -> str:
        if isinstance(query, dict):  # geopy's structured query: join the parts in order
            query = " ".join(str(v) for v in query.values() if v)
        return " ".join(_REFUSED_CHARS.sub(" ", str(query or "")).split())

    def _coord_url(self, hit: dict[str, str]) -> str:
        params = {"confmKey": self.coord_key, **{name: hit[name] for name in _COORD_FIELDS},
                  "resultType": "json"}
        return self._url(COORD_PATH) + "?" + urlencode(params)

    # -- parsing: every path out is a value or a geopy exception -------------------------

    def _parse_search(self, doc: Any) -> list[dict[str, str]] | None:
        code, message, juso = _envelope(doc, "search")
        if code != "0":
            if code in _SEARCH_NO_MATCH:
                LOGGER.debug("juso search: %s %s", code, message)
                return None
            raise self._search_error(code, message)
        hits = _records(juso, "search")
        for hit in hits:
            missing = [name for name in (*_COORD_FIELDS, "roadAddr") if not isinstance(hit.get(name), str)]
            if missing:
                raise GeocoderParseError(f"juso search: a result lacks {', '.join(missing)}")
        return hits or None

    def _parse_coord(self, doc: Any) -> dict[str, Any] | None:
        code, message, juso = _envelope(doc, "coordinate")
        if code != "0":
            raise self._coord_error(code, message)
        entries = _records(juso, "coordinate")
        if not entries:
            return None
        entry = entries[0]
        try:
            x, y = float(entry["entX"]), float(entry["entY"])
        except (KeyError, TypeError, ValueError):
            raise GeocoderParseError("juso coordinate: entX/entY missing or not numbers") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise GeocoderParseError("juso coordinate: entX/entY not finite")
        lon, lat = utmk_to_lonlat(x, y)
        west, south, east, north = _KOREA
        if not (west <= lon <= east and south <= lat <= north):
            raise GeocoderParseError(f"juso coordinate: entrance ({x}, {y}) is not a UTM-K point in Korea")
        return {"entry": entry, "lon": lon, "lat": lat}

    @staticmethod
    def _search_error(code: str, message: str) -> Exception:
        detail = f"juso search API: {code} {message}"
        if code in _SEARCH_AUTH:
            return GeocoderAuthenticationFailure(f"{detail} ({_SEARCH_AUTH[code]})")
        if code in _SEARCH_QUERY:
            return GeocoderQueryError(detail)
        if code == "-999":
            return GeocoderUnavailable(detail)
        return GeocoderServiceError(detail)

    @staticmethod
    def _coord_error(code: str, message: str) -> Exception:
        detail = f"juso coordinate API: {code} {message}"
        if code == "E0001":
            return GeocoderAuthenticationFailure(f"{detail} (coordinate key not approved)")
        if code == "E0007":  # 짧은 시간동안 다량의 주소검색 요청: a burst limit, not a quota
            return GeocoderRateLimited(detail, retry_after=RATE_LIMIT_RETRY_AFTER)
        if code in _COORD_QUERY:
            return GeocoderQueryError(detail)
        if code == "-999":
            return GeocoderUnavailable(detail)
        return GeocoderServiceError(detail)

    def _location(self, hit: dict[str, str], coord: dict[str, Any], total: int) -> Location:
        lon, lat = coord["lon"], coord["lat"]
        road = hit["roadAddr"]
        raw = {
            "provider": self.provider,
            "precision": "entrance",
            "matched": road,
            "road_address": road,
            "jibun_address": hit.get("jibunAddr") or None,
            "bjd_code": hit.get("admCd") or None,
            "building_id": hit.get("bdMgtSn") or None,
            "building_name": hit.get("bdNm") or None,
            "zip_code": hit.get("zipNo") or None,
            "entrance": {"lon": lon, "lat": lat},
            "hits": total,  # how many records the search returned: > 1 means the text was vague
            "response": {"search": hit, "coordinate": coord["entry"]},
        }
        return Location(road, (lat, lon), raw)


def _envelope(doc: Any, api: str) -> tuple[str, str, Any]:
    """(errorCode, errorMessage, juso) of ``{"results": {"common": {...}, "juso": ...}}``."""
    results = doc.get("results") if isinstance(doc, dict) else None
    common = results.get("common") if isinstance(results, dict) else None
    code = common.get("errorCode") if isinstance(common, dict) else None
    if not isinstance(code, str):
        raise GeocoderParseError(f"juso {api} API: answer without results.common.errorCode")
    message = common.get("errorMessage")
    return code.strip(), message if isinstance(message, str) else "", results.get("juso")


def _records(juso: Any, api: str) -> list[dict[str, Any]]:
    if juso is None:
        return []
    if not isinstance(juso, list) or not all(isinstance(item, dict) for item in juso):
        raise GeocoderParseError(f"juso {api} API: 'juso' is not a list of records")
    return juso
