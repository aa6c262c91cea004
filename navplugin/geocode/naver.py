"""Naver Cloud Platform Maps: geocoding and reverse geocoding (reference section 3).

Naver reports failures at two levels. The API Gateway in front of every NCP
API answers 4xx/5xx with ``{"error": {"errorCode", "message", "details"}}``,
and only the errorCode says what went wrong: a 429 is a spent quota, a
throttle, or Geocoding not enabled for the application, and the chain must
retry only the throttle. The APIs themselves put a ``status`` in the body
(a string for geocoding, an object with a numeric code for reverse
geocoding). Both levels become geopy exceptions here.
"""
from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any
from urllib.parse import urlencode

from geopy.adapters import AdapterHTTPError, get_retry_after
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
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.location import Location
from geopy.point import Point as GeoPoint

from navplugin.geocode.base import WebGeocoder, redact

LOGGER = logging.getLogger(__name__)

# API Gateway errorCode -> exception. Keys are strings: the code is usually a
# JSON string but has been seen as a number.
GATEWAY_ERRORS: dict[str, type[GeocoderServiceError]] = {
    "100": GeocoderQueryError,  # 400 Bad Request Exception
    "200": GeocoderAuthenticationFailure,  # 401 Authentication Failed: key missing or wrong
    "210": GeocoderAuthenticationFailure,  # 401 Permission Denied
    "300": GeocoderServiceError,  # 404 Not Found Exception: a wrong base URL, i.e. configuration
    # 429 Quota Exceeded, which is also what an application without Geocoding
    # enabled gets (documented). Both last until someone acts (a new period,
    # a console change), so neither may be retried: GeocoderQuotaExceeded is
    # no GeocoderRateLimited, which the chain would retry, and it is what the
    # body claims; AuthenticationFailure would misname a genuinely spent quota.
    "400": GeocoderQuotaExceeded,
    "410": GeocoderRateLimited,  # 429 Throttle Limited
    "420": GeocoderRateLimited,  # 429 Rate Limited
    "430": GeocoderQueryError,  # 413 Request Entity Too Large
    "500": GeocoderUnavailable,  # 503 Endpoint Error
    "510": GeocoderUnavailable,  # 504 Endpoint Timeout
    "900": GeocoderUnavailable,  # 500 Unexpected Error
}

# Region levels, deepest first, for hits without a building or land number.
_REGION_LEVELS = (("RI", "emd"), ("DONGMYUN", "emd"), ("SIGUGUN", "sigungu"), ("SIDO", "sido"))


class NaverGeocoder(WebGeocoder):
    """geopy geocoder for NCP Maps ``map-geocode/v2`` and ``map-reversegeocode/v2``."""

    provider = "naver"
    default_domain = "maps.apigw.ntruss.com"
    geocode_path = "/map-geocode/v2/geocode"
    reverse_path = "/map-reversegeocode/v2/gc"
    default_retry_after = 1.0  # seconds; Naver documents no Retry-After
    many_count = 10  # results asked for when not exactly_one (API default; max 100)

    def __init__(self, *, key_id: str, key: str, **kwargs: Any) -> None:
        """``key_id`` / ``key``: the application's Client ID and Client Secret."""
        if not key_id or not key:
            raise ConfigurationError("NaverGeocoder needs both key_id (Client ID) and key (Client Secret)")
        super().__init__(**kwargs)
        self._key_id = key_id
        self._key = key

    def secrets(self) -> tuple[str, ...]:
        return (self._key_id, self._key)

    def _headers(self) -> dict[str, str]:
        return {
            "X-NCP-APIGW-API-KEY-ID": self._key_id,
            "X-NCP-APIGW-API-KEY": self._key,
            "Accept": "application/json",
        }

    # --- geocoding -----------------------------------------------------

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL) -> Any:
        """An address -> Location (list if not ``exactly_one``) or None when Naver finds nothing."""
        if isinstance(query, dict):
            query = " ".join(str(value) for value in query.values() if value)
        params = {"query": str(query or "").strip(), "count": 1 if exactly_one else self.many_count}
        url = f"{self._url(self.geocode_path)}?{urlencode(params)}"
        LOGGER.debug("naver geocode %r", params["query"])
        callback = partial(self._parse_geocode, exactly_one=exactly_one)
        return self._call(url, callback, timeout=timeout, headers=self._headers())

    def _parse_geocode(self, body: Any, *, exactly_one: bool) -> Any:
        if not isinstance(body, dict):
            raise GeocoderParseError(f"naver: expected a JSON object, got {type(body).__name__}")
        self._raise_for_body(body, status=200, headers={})
        if body.get("status") != "OK":
            raise GeocoderParseError("naver: geocode answer without a status")
        addresses = body.get("addresses")
        if not isinstance(addresses, list):
            raise GeocoderParseError("naver: geocode answer without an addresses list")
        locations = [self._geocode_location(hit) for hit in addresses]
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    def _geocode_location(self, hit: Any) -> Location:
        try:
            elements = _elements(hit.get("addressElements") or [])
            road = (hit.get("roadAddress") or "").strip()
            jibun = (hit.get("jibunAddress") or "").strip()
            point = (float(hit["y"]), float(hit["x"]))  # Naver: x = lon, y = lat
            precision = _geocode_precision(road, elements)
            matched = {"building": road, "parcel": jibun}.get(precision) or jibun or road
            raw = {
                "provider": self.provider, "precision": precision, "matched": matched,
                "road_address": road or None, "jibun_address": jibun or None,
                "bjd_code": _bjd_code(elements), "response": hit,
            }
            return Location(matched, point, raw)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise GeocoderParseError(f"naver: unexpected address document ({type(error).__name__})") from error

    # --- reverse geocoding ---------------------------------------------

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL) -> Any:
        """A point ("lat, lon", (lat, lon) or Point) -> its road address first, then its 지번 address."""
        try:
            point = GeoPoint(query)
        except (TypeError, ValueError) as error:
            raise GeocoderQueryError(f"naver: not a point: {query!r}") from error
        params = self._reverse_params(f"{point.longitude},{point.latitude}")
        url = f"{self._url(self.reverse_path)}?{urlencode(params)}"
        LOGGER.debug("naver reverse %s", params["coords"])
        callback = partial(self._parse_reverse, point=point, exactly_one=exactly_one)
        return self._call(url, callback, timeout=timeout, headers=self._headers())

    def _reverse_params(self, coords: str) -> dict[str, str]:
        # output defaults to XML, and the default orders (legalcode,admcode)
        # carry no land number: both must be asked for.
        return {"coords": coords, "output": "json", "orders": "roadaddr,addr"}

    def _parse_reverse(self, body: Any, *, point: GeoPoint, exactly_one: bool) -> Any:
        if not isinstance(body, dict):
            raise GeocoderParseError(f"naver: expected a JSON object, got {type(body).__name__}")
        self._raise_for_body(body, status=200, headers={})
        status = body.get("status")
        if not isinstance(status, dict) or _int(status.get("code")) not in (0, 3):
            raise GeocoderParseError("naver: reverse answer without a status code")
        if _int(status.get("code")) == 3:  # "no results"
            return None
        results = body.get("results")
        if not isinstance(results, list):
            raise GeocoderParseError("naver: reverse answer without a results list")
        try:
            texts = {r["name"]: _reverse_text(r) for r in results if r.get("name") in ("roadaddr", "addr")}
            locations = [self._reverse_location(r, texts, point) for r in results
                         if r.get("name") in texts and texts[r["name"]]]
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise GeocoderParseError(f"naver: unexpected reverse result ({type(error).__name__})") from error
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    def _reverse_location(self, result: dict, texts: dict[str, str], point: GeoPoint) -> Location:
        if (result.get("land") or {}).get("number1"):
            precision = "building" if result["name"] == "roadaddr" else "parcel"
        else:
            _, sigungu, emd, ri = _areas(result.get("region") or {})
            precision = "emd" if emd or ri else "sigungu" if sigungu else "sido"
        code = result.get("code") or {}
        code_id = str(code.get("id") or "")
        raw = {
            "provider": self.provider, "precision": precision, "matched": texts[result["name"]],
            "road_address": texts.get("roadaddr") or None, "jibun_address": texts.get("addr") or None,
            "bjd_code": code_id if code.get("type") == "L" and _is_bjd(code_id) else None,
            "response": result,
        }
        # Naver gives no point for the address itself: the query point is the answer.
        return Location(raw["matched"], (point.latitude, point.longitude), raw)

    # --- errors --------------------------------------------------------

    def _geocoder_exception_handler(self, error: Exception) -> None:
        """Dispatch non-2xx answers on the body's code; the HTTP status alone is ambiguous."""
        if not isinstance(error, AdapterHTTPError):
            return
        try:
            body = json.loads(error.text or "")
        except ValueError:
            body = None
        gateway = body.get("error") if isinstance(body, dict) else None
        if isinstance(body, dict):
            self._raise_for_body(body, status=error.status_code, headers=error.headers or {}, cause=error)
        if error.status_code == 429:
            # No documented errorCode (none at all, or e.g. the numeric 401 once
            # seen for "API not enabled"): only a Retry-After makes it a
            # throttle; otherwise treat it like the documented 429/400.
            what = f"errorCode {gateway.get('errorCode')!r}" if isinstance(gateway, dict) else "no gateway body"
            retry_after = get_retry_after(error.headers or {})
            if retry_after is not None:
                raise GeocoderRateLimited(self._message("rate limited", f"HTTP 429, {what}"),
                                          retry_after=retry_after) from error
            raise GeocoderQuotaExceeded(self._message("quota exceeded or API not enabled",
                                                      f"HTTP 429, {what}")) from error
        super()._geocoder_exception_handler(error)

    def _raise_for_body(self, body: dict, *, status: int, headers: Any, cause: Exception | None = None) -> None:
        """Raise the geopy exception a gateway error or a non-OK API status stands for."""
        exc: GeocoderServiceError | None = None
        if isinstance(body.get("error"), dict):
            exc = self._gateway_error(body["error"], status, headers)
        elif isinstance(body.get("status"), str) and body["status"] != "OK":
            exc = self._geocode_status_error(body["status"], body.get("errorMessage"))
        elif isinstance(body.get("status"), dict) and _int(body["status"].get("code")) not in (None, 0, 3):
            exc = self._reverse_status_error(body["status"])
        if exc is None and isinstance(body.get("error"), dict) and status < 400:
            exc = GeocoderServiceError(self._message(str(body["error"].get("message")), "HTTP 200 error body"))
        if exc is not None:
            raise exc from cause

    def _gateway_error(self, error: dict, status: int, headers: Any) -> GeocoderServiceError | None:
        code = str(error.get("errorCode", "")).strip()
        kind = GATEWAY_ERRORS.get(code)
        if kind is None:
            LOGGER.debug("naver: unknown gateway errorCode %r (HTTP %s)", code, status)
            return None  # the HTTP status decides
        message = self._message(
            f"{error.get('message') or 'gateway error'}: {error.get('details') or ''}".rstrip(": "),
            f"HTTP {status}, errorCode {code}",
        )
        if kind is GeocoderRateLimited:
            retry_after = get_retry_after(headers)
            return GeocoderRateLimited(message, retry_after=self.default_retry_after if retry_after is None
                                       else retry_after)
        return kind(message)

    def _geocode_status_error(self, status: str, message: Any) -> GeocoderServiceError:
        text = self._message(str(message or status), f"status {status}")
        if status == "INVALID_REQUEST":
            return GeocoderQueryError(text)
        if status == "SYSTEM_ERROR":
            return GeocoderUnavailable(text)
        return GeocoderServiceError(text)

    def _reverse_status_error(self, status: dict) -> GeocoderServiceError:
        code = _int(status.get("code"))
        text = self._message(f"{status.get('name') or ''} {status.get('message') or ''}".strip(),
                             f"status code {status.get('code')}")
        if code == 100:
            return GeocoderQueryError(text)
        if code is not None and code >= 500:
            return GeocoderUnavailable(text)
        return GeocoderServiceError(text)

    def _message(self, text: str, where: str) -> str:
        return redact(f"{self.provider}: {text[:200]} ({where})", self.secrets())


# --- pure helpers over Naver's documents --------------------------------


def _elements(items: list) -> dict[str, dict]:
    """addressElements keyed by type; only elements with a non-empty longName."""
    found: dict[str, dict] = {}
    for item in items:
        if (item.get("longName") or "").strip():
            for kind in item.get("types") or []:
                found.setdefault(kind, item)
    return found


def _geocode_precision(road: str, elements: dict[str, dict]) -> str:
    if road and "BUILDING_NUMBER" in elements:
        return "building"
    if "LAND_NUMBER" in elements:
        return "parcel"
    for kind, level in _REGION_LEVELS:
        if kind in elements:
            return level
    return "sido"  # no element names anything: claim nothing finer


def _bjd_code(elements: dict[str, dict]) -> str | None:
    """The 법정동 code: a 리's when the address has one, else its 읍면동's."""
    for kind in ("RI", "DONGMYUN"):
        code = str((elements.get(kind) or {}).get("code") or "")
        if _is_bjd(code):
            return code
    return None


def _is_bjd(code: str) -> bool:
    return len(code) == 10 and code.isdigit()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _areas(region: dict) -> list[str]:
    """Names of area1..area4 (시도, 시군구, 읍면동, 리), "" where Naver has none (세종: no 시군구)."""
    return [((region.get(f"area{i}") or {}).get("name") or "").strip() for i in range(1, 5)]


def _number(land: dict) -> str:
    main, sub = (land.get("number1") or "").strip(), (land.get("number2") or "").strip()
    return f"{main}-{sub}" if main and sub else main


def _reverse_text(result: dict) -> str:
    """A reverse result as the address people write.

    지번: every area (시도 시군구 읍면동 리) and the land number, 산 for type 2.
    도로명: 시도 시군구, the 읍/면 (a 동 is not part of a road address), the
    road, the building number and the building name when there is one.
    """
    land = result.get("land") or {}
    sido, sigungu, emd, ri = _areas(result.get("region") or {})
    number = _number(land)
    if result["name"] == "addr":
        if number and str(land.get("type")) == "2":
            number = f"산 {number}"
        parts = [sido, sigungu, emd, ri, number]
    else:
        if not (land.get("name") or "").strip():
            return ""
        building = next((land[k].get("value") for k in ("addition0", "addition1", "addition2")
                         if isinstance(land.get(k), dict) and land[k].get("type") == "building"), "")
        parts = [sido, sigungu, emd if emd.endswith(("읍", "면")) else "", land["name"].strip(), number,
                 (building or "").strip()]
    return " ".join(part for part in parts if part)
