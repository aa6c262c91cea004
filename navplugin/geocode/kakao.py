"""Kakao Local (dapi.kakao.com): address search with a keyword fallback, and coord2address.

Kakao answers a parsed address (도로명 or 지번) from its address search; shop
lists also hold addresses only Kakao's place index knows (a building or shop
name), so an empty address search falls back to keyword search, whose hit is
a POI point (precision ``place``). Kakao reports errors through the HTTP
status plus one of two JSON bodies, ``{"errorType","message"}`` (what the live
API sends) and ``{"code","msg"}`` (what its error table documents), and its
daily quota arrives as a 400 or a 429 rather than geopy's 402, so
``_geocoder_exception_handler`` reads the body before the generic table.
"""
from __future__ import annotations

import json
import logging
import math
import re
from typing import Any, Mapping
from urllib.parse import urlencode

from geopy.adapters import AdapterHTTPError, BaseAsyncAdapter, get_retry_after
from geopy.exc import (ConfigurationError, GeocoderAuthenticationFailure, GeocoderParseError, GeocoderQueryError,
                       GeocoderQuotaExceeded, GeocoderRateLimited, GeocoderServiceError, GeocoderUnavailable,
                       GeopyError)
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.location import Location
from geopy.point import Point as GeoPoint

from navplugin.geocode.base import WebGeocoder, redact

LOGGER = logging.getLogger(__name__)

PROVIDER = "kakao"
ADDRESS_PATH = "/v2/local/search/address.json"
KEYWORD_PATH = "/v2/local/search/keyword.json"
COORD2ADDRESS_PATH = "/v2/local/geo/coord2address.json"
ADDRESS_MAX_SIZE = 10  # of 30 allowed: more alternatives than anyone reads
KEYWORD_MAX_SIZE = 15  # the API's maximum
RATE_LIMIT_RETRY_AFTER = 1  # seconds: Kakao has per-second quotas but documents no Retry-After

_BJD_CODE = re.compile(r"^\d{10}$")
_LIMIT_TEXT = re.compile(r"limit\s+has\s+been\s+exceeded", re.IGNORECASE)

# Kakao's common error codes (match on the code: the doc warns the text changes);
# the quota codes -10 and -11 are handled in ``_error_for`` with the 429 and 409 variants.
_AUTH = (GeocoderAuthenticationFailure, "the key is not allowed to call this API")
_CODE_ERRORS: dict[int, tuple[type[GeopyError], str]] = {
    -1: (GeocoderUnavailable, "internal error, retry later"),
    -2: (GeocoderQueryError, "bad or missing parameter"),
    -3: _AUTH, -4: _AUTH, -5: _AUTH, -12: _AUTH,
    -7: (GeocoderUnavailable, "service under maintenance"),
    # -8 is a malformed header: the only header Kakao reads is the Authorization one
    -8: (GeocoderAuthenticationFailure, "bad Authorization header"),
    # -9 is permanent (the API was retired), so not a retryable GeocoderUnavailable
    -9: (GeocoderServiceError, "API retired"),
    -401: (GeocoderAuthenticationFailure, "invalid app key"),
    -9798: (GeocoderUnavailable, "service under maintenance"),
}
_TYPE_ERRORS: dict[str, tuple[type[GeopyError], str]] = {
    "MissingParameter": (GeocoderQueryError, "missing parameter"),
    "InvalidArgument": (GeocoderQueryError, "invalid parameter"),
    "AccessDeniedError": (GeocoderAuthenticationFailure, "access denied (key, IP allow-list or API not enabled)"),
}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _error_fields(body: Any) -> tuple[int | None, str, str] | None:
    """(code, errorType, message) of either Kakao error body, or None for anything else."""
    if not isinstance(body, dict) or not ({"code", "errorType"} & body.keys()):
        return None
    code = body.get("code")
    try:
        code = int(code) if code is not None and not isinstance(code, bool) else None
    except (TypeError, ValueError):
        code = None
    message = body.get("message", body.get("msg", ""))
    return code, _text(body.get("errorType")), str(message)[:200]


def _region_level(region: Mapping[str, Any], name: str) -> str:
    """emd/sigungu/sido by how deep the region names go (a hit naming a district only)."""
    if _text(region.get("region_3depth_name")):
        return "emd"
    if _text(region.get("region_2depth_name")):
        return "sigungu"
    if _text(region.get("region_1depth_name")):
        return "sido"
    words = len(name.split())  # no region names at all: count the words of the name
    return "emd" if words >= 3 else "sigungu" if words == 2 else "sido"


def _address_precision(document: Mapping[str, Any]) -> str:
    kind = document.get("address_type")
    road, parcel = _dict(document.get("road_address")), _dict(document.get("address"))
    name = _text(document.get("address_name"))
    if kind == "ROAD_ADDR":
        return "building"
    if kind == "REGION_ADDR":
        return "parcel"  # the document's point is the parcel's, even when a road address rides along
    if kind == "ROAD":
        # a road name without a building number is a point somewhere on the road: no building
        return "building" if _text(road.get("main_building_no")) else _region_level(road, name)
    if kind == "REGION":
        return _region_level(parcel or road, name)
    if _text(road.get("main_building_no")):  # unknown type: judge by what the document holds
        return "building"
    if _text(parcel.get("main_address_no")):
        return "parcel"
    return _region_level(parcel or road, name)


def _point(document: Mapping[str, Any]) -> tuple[float, float]:
    """(lat, lon) from Kakao's x (lon) / y (lat) strings; ValueError if unusable."""
    lon, lat = float(document["x"]), float(document["y"])
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates out of range: x={lon} y={lat}")
    return lat, lon


def _address_raw(road: Mapping[str, Any], parcel: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "road_address": _text(road.get("address_name")) or None,
        "jibun_address": _text(parcel.get("address_name")) or None,
    }
    if _BJD_CODE.match(_text(parcel.get("b_code"))):
        raw["bjd_code"] = _text(parcel.get("b_code"))
    if _text(road.get("zone_no")):
        raw["postcode"] = _text(road.get("zone_no"))
    if _text(road.get("building_name")):
        raw["building_name"] = _text(road.get("building_name"))
    return raw


class KakaoGeocoder(WebGeocoder):
    """geopy geocoder for Kakao Local; ``api_key`` is the app's REST API key."""

    provider = PROVIDER
    default_domain = "dapi.kakao.com"

    def __init__(self, *, api_key: str, **kwargs: Any) -> None:
        key = _text(api_key)
        if key.startswith("KakaoAK "):  # a common paste: the whole header value
            key = key[len("KakaoAK "):].strip()
        if not key:
            raise ConfigurationError("kakao: api_key (the app's REST API key) is required")
        super().__init__(**kwargs)
        if isinstance(self.adapter, BaseAsyncAdapter):
            raise ConfigurationError("kakao: async adapters are not supported (the keyword "
                                     "fallback depends on the address search's answer)")
        self.api_key = key

    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"KakaoAK {self.api_key}"}

    # --- geocode ---------------------------------------------------------------------------

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """Address search; when it finds nothing, keyword search (a building or shop name).

        ``query`` is sent as given (the chain normalises addresses beforehand);
        a geopy structured dict is joined in order.
        """
        if isinstance(query, dict):
            query = " ".join(str(v) for v in query.values() if v)
        text = _text(query)
        if not text:
            raise GeocoderQueryError("kakao: empty query")
        found = self._search(ADDRESS_PATH, text, 1 if exactly_one else ADDRESS_MAX_SIZE,
                             self._address_location, timeout)
        if not found:
            LOGGER.debug("kakao address search found nothing for %r; trying keyword search", text)
            found = self._search(KEYWORD_PATH, text, 1 if exactly_one else KEYWORD_MAX_SIZE,
                                 self._keyword_location, timeout)
        return self._answer(found, exactly_one)

    def _search(self, path: str, text: str, size: int, parse: Any, timeout: Any) -> list[Location]:
        url = f"{self._url(path)}?{urlencode({'query': text, 'size': size})}"
        return self._call(url, lambda body: self._locations(body, parse), timeout=timeout,
                          headers=self._headers())

    def _address_location(self, document: dict[str, Any]) -> Location:
        road, parcel = _dict(document.get("road_address")), _dict(document.get("address"))
        matched = _text(document.get("address_name")) or _text(road.get("address_name")) \
            or _text(parcel.get("address_name"))
        raw = {"provider": PROVIDER, "precision": _address_precision(document), "matched": matched,
               "source": "address", "address_type": document.get("address_type"),
               **_address_raw(road, parcel), "response": document}
        return Location(matched, _point(document), raw)

    def _keyword_location(self, document: dict[str, Any]) -> Location:
        road_name, jibun_name = _text(document.get("road_address_name")), _text(document.get("address_name"))
        matched = road_name or jibun_name or _text(document.get("place_name"))
        raw = {"provider": PROVIDER, "precision": "place", "matched": matched, "source": "keyword",
               "place_name": _text(document.get("place_name")) or None,
               "place_id": _text(document.get("id")) or None,
               "road_address": road_name or None, "jibun_address": jibun_name or None, "response": document}
        return Location(matched, _point(document), raw)

    # --- reverse ---------------------------------------------------------------------------

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The address at ``query`` ("lat, lon", (lat, lon) or a Point); the point stays the query's."""
        try:
            point = GeoPoint(query)
        except (TypeError, ValueError) as exc:
            raise GeocoderQueryError(f"kakao: not a point: {query!r}") from exc
        lat, lon = point.latitude, point.longitude
        params = {"x": repr(lon), "y": repr(lat), "input_coord": "WGS84"}  # x is the longitude
        url = f"{self._url(COORD2ADDRESS_PATH)}?{urlencode(params)}"

        def parse(document: dict[str, Any]) -> Location:
            # coord2address documents carry no x/y: the answer describes the query point
            road, parcel = _dict(document.get("road_address")), _dict(document.get("address"))
            matched = _text(road.get("address_name")) or _text(parcel.get("address_name"))
            if not matched:
                raise ValueError("document names no address")
            raw = {"provider": PROVIDER, "precision": "building" if road else "parcel",
                   "matched": matched, "source": "coord2address", **_address_raw(road, parcel),
                   "response": document}
            return Location(matched, (lat, lon), raw)

        found = self._call(url, lambda body: self._locations(body, parse), timeout=timeout,
                           headers=self._headers())
        return self._answer(found, exactly_one)

    # --- parsing shared by every endpoint --------------------------------------------------

    def _locations(self, body: Any, parse: Any) -> list[Location]:
        """Every usable document as a Location; a body that is not Kakao's raises GeocoderParseError."""
        if isinstance(body, dict) and "documents" not in body and _error_fields(body):
            raise self._error_for(200, body, {}) or GeocoderServiceError("kakao: error body")  # 200 + error
        documents = body.get("documents") if isinstance(body, dict) else None
        if not isinstance(documents, list):
            raise GeocoderParseError("kakao: response has no documents list")
        locations = []
        for document in documents:
            try:
                locations.append(parse(document))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                LOGGER.debug("kakao: skipping an unusable document (%s)", exc)
        if documents and not locations:
            raise GeocoderParseError(f"kakao: none of the {len(documents)} documents holds a usable point")
        return locations

    @staticmethod
    def _answer(locations: list[Location], exactly_one: bool):
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    # --- errors ----------------------------------------------------------------------------

    def _geocoder_exception_handler(self, error: Exception) -> None:
        """Kakao's body codes first (quota as 400/429/409, maintenance as 400), then the generic cases."""
        if isinstance(error, AdapterHTTPError):
            try:
                body = json.loads(error.text or "")
            except ValueError:
                body = None
            mapped = self._error_for(error.status_code, body, error.headers or {})
            if mapped is not None:
                raise mapped from error
        super()._geocoder_exception_handler(error)

    def _error_for(self, status: int, body: Any, headers: Mapping[str, str]) -> GeopyError | None:
        """The geopy exception for a Kakao error, or None when the body says nothing specific."""
        fields = _error_fields(body)
        code, kind, message = fields if fields else (None, "", "")
        detail = redact(f"HTTP {status}, {code if code is not None else kind or 'no code'}: {message}",
                        self.secrets())
        # Kakao's daily limit is "API limit has been exceeded", whether as 400 code -10 (the doc),
        # 429 RequestThrottled (observed) or 409 (one blog). Retrying before the reset at 00:00 KST
        # is useless, so all of them are GeocoderQuotaExceeded, which is not a GeocoderRateLimited
        # (the subclass is the other way round) and so is never retried as a transient failure.
        if code in (-10, -11) or status == 409 or (status == 429 and _LIMIT_TEXT.search(message)):
            what = "paid quota exceeded" if code == -11 else "daily quota exceeded, resets at 00:00 KST"
            return GeocoderQuotaExceeded(f"kakao: {what} ({detail})")
        if status == 429:
            # any other 429 is the per-second quota (no number or Retry-After is published)
            wait = get_retry_after(headers) if headers else None
            wait = wait if wait is not None else RATE_LIMIT_RETRY_AFTER
            return GeocoderRateLimited(f"kakao: rate limited ({detail})", retry_after=wait)
        mapped = _CODE_ERRORS.get(code) if code is not None else None
        if mapped is None and kind:
            mapped = _TYPE_ERRORS.get(kind)
        if mapped is not None:
            exc_class, what = mapped
            return exc_class(f"kakao: {what} ({detail})")
        if status == 200:
            return GeocoderServiceError(f"kakao: unexpected error body ({detail})")
        return None
