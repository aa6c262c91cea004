"""A fake Naver Cloud Maps (geocode + reverse geocode) speaking the real wire format.

Auth, gateway errors and API statuses follow reference section 3: both
X-NCP-APIGW headers are checked (401 errorCode "200" when missing or wrong),
gateway failures carry ``{"error": {"errorCode", "message", "details"}}``,
geocoding reports ``status`` strings, reverse geocoding a ``status`` object
and answers XML unless ``output=json``. In ``"ok"`` any Korean address the
offline geocoder can place is answered at its district point moved 5-40 m by
a hash of the query, so chain tests and benchmarks get stable, distinct points.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from typing import Any
from xml.sax.saxutils import escape

from navplugin.geocode.offline import OfflineGeocoder
from tests.fakes.server import FakeRequest, FakeResponse, FakeUpstream

GEOCODE_PATH = "/map-geocode/v2/geocode"
REVERSE_PATH = "/map-reversegeocode/v2/gc"
JSON = "application/json;charset=UTF-8"

# scenario -> (HTTP status, errorCode as Naver sends it, message, details, extra headers)
GATEWAY_SCENARIOS: dict[str, tuple[int, Any, str, str, dict[str, str]]] = {
    "bad_request": (400, "100", "Bad Request Exception", "Invalid request.", {}),
    "permission": (401, "210", "Permission Denied", "You do not have permission for this API.", {}),
    "not_found": (404, "300", "Not Found Exception", "Not Found.", {}),
    "quota": (429, "400", "Quota Exceeded", "Quota Exceeded.", {}),
    # Documented: an application without Geocoding selected gets the quota answer.
    "not_enabled": (429, "400", "Quota Exceeded", "Quota Exceeded.", {}),
    # Observed once: the not-enabled case with a numeric, undocumented errorCode.
    "not_enabled_numeric": (429, 401, "Quota Exceeded", "Not subscribed to this API.", {}),
    "throttle": (429, "410", "Throttle Limited", "Throttle Limited.", {"Retry-After": "2"}),
    "ratelimit": (429, "420", "Rate Limited", "Rate Limited.", {}),
    "too_large": (413, "430", "Request Entity Too Large", "Request Entity Too Large.", {}),
    "endpoint_error": (503, "500", "Endpoint Error", "Endpoint Error.", {}),
    "outage": (503, "500", "Endpoint Error", "Endpoint Error.", {}),
    "endpoint_timeout": (504, "510", "Endpoint Timeout", "Endpoint Timeout.", {}),
    "unexpected": (500, 900, "Unexpected Error", "Unexpected Error.", {}),  # errorCode as a number
}
TRANSIENT = ("throttle", "endpoint_error")  # what "flaky" fails with

_ROAD = re.compile(r"([가-힣A-Za-z0-9]+(?:로|길|거리))\s+(\d{1,4}(?:-\d{1,4})?)(?=$|[\s,.(])")
_LAND = re.compile(r"(?:^|\s)(산\s?)?(\d{1,4}(?:-\d{1,4})?)(?=$|[\s,.(])")


class NaverFake(FakeUpstream):
    """Scenarios: ok, empty, invalid_request, system_error, malformed, malformed_html,
    malformed_shape, slow, flaky, and every key of ``GATEWAY_SCENARIOS``."""

    def __init__(self, *, key_id: str = "fake-naver-key-id", key: str = "fake-naver-key",
                 seed: int = 0, failure_rate: float = 0.3, slow_delay: float = 1.0) -> None:
        super().__init__()
        self.key_id = key_id
        self.key = key
        self.fixed: dict[str, tuple[float, float]] = {}  # query -> (lon, lat)
        self.seed = seed
        self.failure_rate = failure_rate
        self.slow_delay = slow_delay
        # HTTP status of INVALID_REQUEST / SYSTEM_ERROR bodies; None = 400 / 500.
        # The reference leaves it unconfirmed, so tests also try 200.
        self.api_error_http_status: int | None = None
        self._offline = OfflineGeocoder()
        self._random: random.Random | None = None
        self._random_lock = threading.Lock()

    def reset(self, *, seed: int | None = None) -> None:
        """Back to "ok" with no recorded requests, so one server can serve many tests."""
        self.scenario, self.latency, self.slow_delay = "ok", 0.0, 1.0
        self.fixed.clear()
        self.api_error_http_status = None
        self.failure_rate = 0.3
        with self._random_lock:
            self.seed = self.seed if seed is None else seed
            self._random = None  # "flaky" restarts its seeded sequence
        with self._lock:
            self.requests.clear()

    # --- dispatch -------------------------------------------------------

    def answer(self, request: FakeRequest) -> FakeResponse:
        if request.path not in (GEOCODE_PATH, REVERSE_PATH):
            return gateway_error(404, "300", "Not Found Exception", "Not Found.")
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        scenario = self._flaky() if self.scenario == "flaky" else self.scenario
        if scenario in GATEWAY_SCENARIOS:
            return gateway_error(*GATEWAY_SCENARIOS[scenario])
        if scenario == "malformed":
            return FakeResponse(200, b'{"status":"OK","meta":{"totalCount":1,"page":1', {"Content-Type": JSON})
        if scenario == "malformed_html":
            return FakeResponse(200, b"<html><body>502 Bad Gateway</body></html>",
                                {"Content-Type": "text/html"})
        reverse = request.path == REVERSE_PATH
        response = self._reverse(request, scenario) if reverse else self._geocode(request, scenario)
        if scenario == "slow":
            response.delay = self.slow_delay
        return response

    def _check_auth(self, request: FakeRequest) -> FakeResponse | None:
        key_id = request.headers.get("x-ncp-apigw-api-key-id")
        key = request.headers.get("x-ncp-apigw-api-key")
        if not key_id or not key:
            return gateway_error(401, "200", "Authentication Failed", "Authentication information are missing.")
        if key_id != self.key_id or key != self.key:
            return gateway_error(401, "200", "Authentication Failed", "Invalid authentication information.")
        return None

    def _flaky(self) -> str:
        with self._random_lock:
            if self._random is None:
                self._random = random.Random(self.seed)
            if self._random.random() < self.failure_rate:
                return self._random.choice(TRANSIENT)
        return "ok"

    # --- geocode --------------------------------------------------------

    def _geocode(self, request: FakeRequest, scenario: str) -> FakeResponse:
        query = (request.query.get("query") or "").strip()
        if not query or scenario == "invalid_request":
            return self._api_error(400, {"status": "INVALID_REQUEST", "errorMessage": "query is INVALID"})
        if scenario == "system_error":
            return self._api_error(500, {"status": "SYSTEM_ERROR", "errorMessage": "Internal Server Error"})
        try:
            count, page = int(request.query.get("count", "10")), int(request.query.get("page", "1"))
        except ValueError:
            count = page = 0
        if not (1 <= count <= 100 and page >= 1):
            return self._api_error(400, {"status": "INVALID_REQUEST", "errorMessage": "count is INVALID"})
        hits = [] if scenario == "empty" else self._hits(query)
        window = hits[(page - 1) * count: page * count]
        if scenario == "malformed_shape":
            window = [{key: value for key, value in hit.items() if key not in ("x", "y")} for hit in window]
        body = {"status": "OK", "meta": {"totalCount": len(hits), "page": page, "count": len(window)},
                "addresses": window, "errorMessage": ""}
        return FakeResponse(200, body, {"Content-Type": JSON})

    def _api_error(self, status: int, body: dict) -> FakeResponse:
        return FakeResponse(self.api_error_http_status or status, body, {"Content-Type": JSON})

    def _hits(self, query: str) -> list[dict]:
        location = self._offline.geocode(query)
        region = location.raw if location is not None else {}
        if query in self.fixed:
            lon, lat = self.fixed[query]
        elif location is None:
            return []
        else:
            lon, lat = offset_point(location.longitude, location.latitude, query)
        return [address_document(query, region, lon, lat)]

    # --- reverse geocode ------------------------------------------------

    def _reverse(self, request: FakeRequest, scenario: str) -> FakeResponse:
        output = (request.query.get("output") or "xml").lower()

        def status(http: int, code: int, name: str, message: str, results: list | None = None) -> FakeResponse:
            body: dict[str, Any] = {"status": {"code": code, "name": name, "message": message}}
            if results is not None:
                body["results"] = results
            if http != 200:
                http = self.api_error_http_status or http
            if output != "json":
                return FakeResponse(http, xml_document(body).encode("utf-8"),
                                    {"Content-Type": "application/xml;charset=UTF-8"})
            return FakeResponse(http, body, {"Content-Type": JSON})

        try:
            lon, lat = (float(part) for part in request.query["coords"].split(","))
        except (KeyError, ValueError):
            return status(400, 100, "invalid request", "coords is invalid")
        orders = [o.strip() for o in (request.query.get("orders") or "legalcode,admcode").split(",") if o.strip()]
        if not orders or set(orders) - {"legalcode", "admcode", "addr", "roadaddr"}:
            return status(400, 100, "invalid request", "orders is invalid")
        if scenario == "invalid_request":
            return status(400, 100, "invalid request", "request is invalid")
        if scenario == "system_error":
            return status(500, 900, "unexpected error", "unexpected error")
        location = None if scenario == "empty" or not (-90 <= lat <= 90) else self._offline.reverse((lat, lon))
        if location is None:
            return status(200, 3, "no results", "요청한 데이타의 결과가 없습니다.", [])
        results = [reverse_result(order, location.raw, lon, lat) for order in orders]
        if scenario == "malformed_shape":
            return status(200, 0, "ok", "done", None)  # no results list
        return status(200, 0, "ok", "done", results)


# --- documents ---------------------------------------------------------------


def gateway_error(status: int, code: Any, message: str, details: str,
                  headers: dict[str, str] | None = None) -> FakeResponse:
    body = {"error": {"errorCode": code, "message": message, "details": details}}
    return FakeResponse(status, body, {"Content-Type": JSON, **(headers or {})})


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def offset_point(lon: float, lat: float, query: str) -> tuple[float, float]:
    """The point 5-40 m from (lon, lat) in a direction, both drawn from a hash of ``query``."""
    digest = _digest(query)
    distance = 5.0 + 35.0 * int.from_bytes(digest[:4], "big") / 2**32
    bearing = 2 * math.pi * int.from_bytes(digest[4:8], "big") / 2**32
    dlat = distance * math.cos(bearing) / 111_320.0
    dlon = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _element(kind: str, name: str, code: str = "") -> dict:
    return {"types": [kind], "longName": name, "shortName": name, "code": code}


def address_document(query: str, region: dict, lon: float, lat: float) -> dict:
    """One ``addresses[]`` item for ``query``: a road hit, a 지번 hit, or a region-only hit."""
    digest = _digest(query)
    sido, sigungu, emd = (region.get(k) or "" for k in ("sido", "sigungu", "emd"))
    emd_code = f"{region['emd_code']}00" if region.get("emd_code") else ""
    road_match = _ROAD.search(query)
    land_match = None if road_match else _LAND.search(query)
    road_name = building = land = ""
    if road_match:
        road_name, building = road_match.groups()
        if emd:  # the parcel under the building
            land = f"{1 + digest[8] * 4 + digest[9] % 4}-{1 + digest[10] % 30}"
    elif land_match and emd:
        land = f"{(land_match.group(1) or '').strip()}{land_match.group(2)}"
        land = land.replace("산", "산 ") if land.startswith("산") else land
    districts = [name for name in (sido, sigungu) if name]
    eupmyeon = emd if emd.endswith(("읍", "면")) else ""
    road_address = " ".join(p for p in [*districts, eupmyeon, road_name, building] if p) if road_name else ""
    jibun_address = " ".join(p for p in [*districts, emd, land] if p)
    postal = str(10000 + int.from_bytes(digest[12:15], "big") % 90000) if road_name else ""
    return {
        "roadAddress": road_address,
        "jibunAddress": jibun_address,
        "englishAddress": "",
        "addressElements": [
            _element("SIDO", sido), _element("SIGUGUN", sigungu), _element("DONGMYUN", emd, emd_code),
            _element("RI", ""), _element("ROAD_NAME", road_name), _element("BUILDING_NUMBER", building),
            _element("BUILDING_NAME", ""), _element("LAND_NUMBER", land), _element("POSTAL_CODE", postal),
        ],
        "x": f"{lon:.7f}",
        "y": f"{lat:.7f}",
        "distance": 0.0,
    }


def reverse_result(order: str, region: dict, lon: float, lat: float) -> dict:
    """One ``results[]`` item of reverse geocoding for the district the offline lookup found."""
    digest = _digest(f"{lon:.6f},{lat:.6f}")
    center = {"crs": "EPSG:4326", "x": lon, "y": lat}
    names = [region.get("sido") or "", region.get("sigungu") or "", region.get("emd") or "", ""]
    areas = {"area0": {"name": "kr", "coords": {"center": {"crs": "", "x": 0.0, "y": 0.0}}}}
    for i, name in enumerate(names, start=1):
        areas[f"area{i}"] = {"name": name, "coords": {"center": center if name else {"crs": "", "x": 0.0, "y": 0.0}}}
    codes = region.get("region") or {}
    deepest = next((codes[k]["code"] for k in ("emd", "sigungu", "sido") if codes.get(k)), "")
    code = {"id": deepest.ljust(10, "0"), "type": "A" if order == "admcode" else "L",
            "mappingId": deepest[:8].ljust(8, "0")}
    result: dict[str, Any] = {"name": order, "code": code, "region": areas}
    empty = {"type": "", "value": ""}
    if order == "addr":
        result["land"] = {"type": "1", "number1": str(1 + digest[0] * 4), "number2": str(digest[1] % 20 or ""),
                          "addition0": empty, "addition1": empty, "addition2": empty, "addition3": empty,
                          "addition4": empty, "name": "", "coords": {"center": {"crs": "", "x": 0.0, "y": 0.0}}}
    elif order == "roadaddr":
        base = (names[2] or names[1] or names[0]).split()[-1][:-1] or "중앙"
        result["land"] = {"type": "", "number1": str(1 + digest[2] % 200), "number2": "",
                          "addition0": {"type": "building", "value": ""},
                          "addition1": {"type": "zipcode", "value": str(10000 + digest[3] * 300)},
                          "addition2": {"type": "roadGroupCode", "value": deepest[:5] + "3000000"},
                          "addition3": empty, "addition4": empty,
                          "name": f"{base}로{1 + digest[4] % 30}길",
                          "coords": {"center": {"crs": "", "x": 0.0, "y": 0.0}}}
    return result


def xml_document(body: dict) -> str:
    """The XML Naver answers when ``output`` is not json (its default)."""

    def node(tag: str, value: Any) -> str:
        if isinstance(value, dict):
            inner = "".join(node(k, v) for k, v in value.items())
        elif isinstance(value, list):
            inner = "".join(node(tag[:-1] if tag.endswith("s") else "item", v) for v in value)
        else:
            inner = escape(str(value))
        return f"<{tag}>{inner}</{tag}>"

    return '<?xml version="1.0" encoding="UTF-8"?>' + node("response", body)
