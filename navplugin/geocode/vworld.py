"""VWorld Geocoder API 2.0 (국토교통부 공간정보 오픈플랫폼): address <-> point.

VWorld makes the caller say whether an address is a 도로명 (``type=ROAD``) or
a 지번 (``type=PARCEL``) address; the ministry's lists mix both, so
``geocode`` asks ROAD first and, on ``NOT_FOUND``, PARCEL. Errors arrive in
HTTP 200 bodies (``response.status == "ERROR"``) and sometimes with an HTTP
error status too, so both paths read the same body. The key travels in the
query string, percent-encoded when it holds reserved characters, so
``secrets()`` names both spellings for the base class to scrub. VWorld's
terms forbid storing results: ``may_cache = False``.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, ClassVar
from urllib.parse import quote_plus, urlencode

from geopy.adapters import AdapterHTTPError, BaseAsyncAdapter, get_retry_after
from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderUnavailable,
)
from geopy.geocoders.base import DEFAULT_SENTINEL, NONE_RESULT
from geopy.location import Location
from geopy.point import Point as GeoPoint

from navplugin.geocode.base import WebGeocoder, redact

LOGGER = logging.getLogger(__name__)

PATH = "/req/address"
CRS = "EPSG:4326"
# VWorld documents no burst limit; a 429 can only come from a gateway in front
# of it. Without a Retry-After, wait a second before trying again.
DEFAULT_RETRY_AFTER = 1.0

# error.code -> exception; documented codes (reference §2.1)
ERRORS: dict[str, type[GeocoderServiceError]] = {
    "PARAM_REQUIRED": GeocoderQueryError,
    "INVALID_TYPE": GeocoderQueryError,
    "INVALID_RANGE": GeocoderQueryError,
    "INVALID_KEY": GeocoderAuthenticationFailure,
    "INCORRECT_KEY": GeocoderAuthenticationFailure,  # key used from another domain than registered
    # "temporarily unusable" is an account state an operator must fix, not a blip
    "UNAVAILABLE_KEY": GeocoderAuthenticationFailure,
    "OVER_REQUEST_LIMIT": GeocoderQuotaExceeded,  # the daily limit (40,000 getcoord)
    "SYSTEM_ERROR": GeocoderUnavailable,
    "UNKNOWN_ERROR": GeocoderUnavailable,
}
# an undocumented code still says by its level whose fault it is
ERROR_LEVELS: dict[str, type[GeocoderServiceError]] = {
    "1": GeocoderQueryError, "2": GeocoderAuthenticationFailure, "3": GeocoderUnavailable,
}
PRECISION = {"ROAD": "building", "PARCEL": "parcel"}
_DIGITS = re.compile(r"\d+")


def bjd_code(code: Any) -> str | None:
    """The 10-digit 법정동 code in ``level4LC``: itself, or the head of a 19-digit PNU."""
    if not isinstance(code, str) or not _DIGITS.fullmatch(code):
        return None  # a ROAD answer's 12-digit road code is no 법정동 code
    if len(code) == 10:
        return code
    if len(code) == 19:  # PNU = 법정동 code (10) + 산 (1) + 본번 (4) + 부번 (4)
        return code[:10]
    return None


class VWorldGeocoder(WebGeocoder):
    """geopy geocoder for VWorld getcoord / getAddress, ROAD then PARCEL."""

    provider: ClassVar[str] = "vworld"
    default_domain: ClassVar[str] = "api.vworld.kr"
    may_cache: ClassVar[bool] = False  # the terms forbid storing results; the chain's cache obeys

    def __init__(self, *, api_key: str, api_domain: str | None = None, **kwargs: Any) -> None:
        """``api_domain`` is the domain the key is registered for, sent as ``domain=``."""
        if not api_key or not api_key.strip():
            raise ConfigurationError("vworld: an API key is required (VWORLD_KEY)")
        super().__init__(**kwargs)
        if isinstance(self.adapter, BaseAsyncAdapter):
            # the ROAD -> PARCEL fallback needs the first answer before the second request
            raise ConfigurationError("vworld: only synchronous adapters are supported")
        self.api_key = api_key.strip()
        self.api_domain = (api_domain or "").strip() or None

    def secrets(self) -> tuple[str, ...]:
        # adapters' messages carry the URL, where the key may be percent-encoded
        return tuple(dict.fromkeys((self.api_key, quote_plus(self.api_key))))

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The point of an address: a road-address match, else a parcel match, else None."""
        if isinstance(query, dict):
            query = " ".join(str(v) for v in query.values() if v)
        address = " ".join(str(query or "").split())
        if not address:
            raise GeocoderQueryError("vworld: empty address")
        for kind in ("ROAD", "PARCEL"):
            params = {"request": "getcoord", "type": kind, "address": address, "refine": "true"}
            location = self._call(self._request_url(params),
                                  lambda doc, kind=kind: self._parse_coord(doc, kind, address),
                                  timeout=timeout)
            if location is not None:
                return location if exactly_one else [location]
            LOGGER.debug("vworld: no %s match for %r", kind, address)
        return None

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL):
        """The address at a point ("lat, lon", (lat, lon) or a Point); the road address first."""
        try:
            point = GeoPoint(query)
        except (TypeError, ValueError) as exc:
            raise GeocoderQueryError(f"vworld: not a point: {query!r}") from exc
        params = {"request": "getAddress", "type": "BOTH", "zipcode": "true",
                  "point": f"{point.longitude},{point.latitude}"}
        return self._call(self._request_url(params),
                          lambda doc: self._parse_address(doc, point, exactly_one), timeout=timeout)

    def _request_url(self, params: dict[str, str]) -> str:
        query = {"service": "address", "version": "2.0", "crs": CRS, "format": "json",
                 "errorFormat": "json", **params, "key": self.api_key}
        if self.api_domain:
            query["domain"] = self.api_domain
        return f"{self._url(PATH)}?{urlencode(query)}"

    # --- answers -------------------------------------------------------------

    def _response(self, doc: Any) -> dict[str, Any] | None:
        """The ``response`` envelope of an OK answer, None for NOT_FOUND; raises on errors."""
        response = doc.get("response") if isinstance(doc, dict) else None
        if not isinstance(response, dict):
            raise GeocoderParseError("vworld: answer without a response envelope")
        status = response.get("status")
        if status == "ERROR":
            raise self._error(response.get("error"))
        if status == "NOT_FOUND":
            return None
        if status != "OK":
            raise GeocoderParseError(f"vworld: unexpected status {str(status)[:40]!r}")
        return response

    def _error(self, error: Any, http_status: int | None = None) -> GeocoderServiceError:
        error = error if isinstance(error, dict) else {}
        code, level = str(error.get("code") or "?"), str(error.get("level") or "?")
        cls = ERRORS.get(code) or ERROR_LEVELS.get(level, GeocoderServiceError)
        via = f" (HTTP {http_status})" if http_status else ""
        message = f"vworld {code}{via}, level {level}: {str(error.get('text') or '')[:200]}"
        LOGGER.debug("vworld error %s", code)
        return cls(redact(message, self.secrets()))

    def _parse_coord(self, doc: Any, kind: str, address: str) -> Location | None:
        response = self._response(doc)
        if response is None:
            return None
        try:
            result = response["result"]
            crs = str(result.get("crs") or CRS)
            if crs.upper() != CRS:
                raise GeocoderParseError(f"vworld: answer in {crs[:20]}, asked {CRS}")
            lon, lat = float(result["point"]["x"]), float(result["point"]["y"])  # strings on the wire
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also NaN; swapped x/y fail here
                raise GeocoderParseError(f"vworld: point out of range: x={lon!r}, y={lat!r}")
            refined = response.get("refined") if isinstance(response.get("refined"), dict) else {}
            structure = refined.get("structure") if isinstance(refined.get("structure"), dict) else {}
            entered = response.get("input") if isinstance(response.get("input"), dict) else {}
            matched = str(refined.get("text") or entered.get("address") or address)
            raw: dict[str, Any] = {"provider": self.provider, "precision": PRECISION[kind],
                                   "matched": matched, "type": kind, "response": doc}
            raw["road_address" if kind == "ROAD" else "jibun_address"] = matched
            code = bjd_code(structure.get("level4LC"))
            if code:
                raw["bjd_code"] = code
            return Location(matched, (lat, lon), raw)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GeocoderParseError(f"vworld: getcoord answer without a usable result.point ({exc!r})") from None

    def _parse_address(self, doc: Any, point: GeoPoint, exactly_one: bool):
        response = self._response(doc)
        if response is None:
            return None
        result = response.get("result")
        if not isinstance(result, list):
            raise GeocoderParseError("vworld: getAddress answer without a result list")
        entries = [e for e in result if isinstance(e, dict) and isinstance(e.get("text"), str) and e["text"].strip()]
        if not entries:
            if result:
                raise GeocoderParseError("vworld: getAddress entries without text")
            return None
        kinds = {str(e.get("type", "")).lower(): e for e in reversed(entries)}  # first of each kind wins
        road, parcel = kinds.get("road"), kinds.get("parcel")
        entries.sort(key=lambda e: str(e.get("type", "")).lower() != "road")  # stable: road first
        shared: dict[str, Any] = {}
        if road is not None:
            shared["road_address"] = road["text"]
        if parcel is not None:
            shared["jibun_address"] = parcel["text"]
            code = bjd_code((parcel.get("structure") or {}).get("level4LC")
                            if isinstance(parcel.get("structure"), dict) else None)
            if code:
                shared["bjd_code"] = code
        locations = []
        for entry in entries:
            is_road = str(entry.get("type", "")).lower() == "road"
            raw = {"provider": self.provider, "precision": "building" if is_road else "parcel",
                   "matched": entry["text"], "type": "ROAD" if is_road else "PARCEL",
                   "zipcode": entry.get("zipcode"), **shared, "response": doc}
            locations.append(Location(entry["text"], (point.latitude, point.longitude), raw))
        return locations[0] if exactly_one else locations

    def _geocoder_exception_handler(self, error: Exception) -> Any:
        """VWorld error bodies also come with HTTP error statuses: the body decides."""
        if isinstance(error, AdapterHTTPError):
            try:
                body = json.loads(error.text or "")
            except ValueError:
                body = None
            response = body.get("response") if isinstance(body, dict) else None
            if isinstance(response, dict) and response.get("status") == "ERROR":
                raise self._error(response.get("error"), error.status_code) from error
            if isinstance(response, dict) and response.get("status") == "NOT_FOUND":
                return NONE_RESULT
            if error.status_code == 429:
                retry_after = get_retry_after(error.headers)
                raise GeocoderRateLimited(
                    "vworld: rate limited (HTTP 429)",
                    retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
                ) from error
        return super()._geocoder_exception_handler(error)
