"""A fake VWorld Geocoder API 2.0 (``/req/address``): getcoord and getAddress.

Speaks VWorld's wire format: everything under ``{"response": {...}}``, status
OK / NOT_FOUND / ERROR, errors as ``error{level, code, text}`` with string
levels, points as strings. It checks what VWorld checks: required
parameters, the key (``keys``), the registered domain (``registered_domain``,
from ``domain=`` or a Referer) and parameter values. Like VWorld it answers a
ROAD query only for a road address ("...로/길 12") and a PARCEL query only
for a 지번 address ("...동/리 123-4"), so a client's ROAD -> PARCEL fallback
really runs. The point is the offline geocoder's district point moved 5-40 m
by a hash of the address, stable across runs; ``fixed`` overrides it.

Scenarios: ``ok``, ``empty`` (NOT_FOUND), one per error code (``INVALID_KEY``,
``INCORRECT_KEY``, ``UNAVAILABLE_KEY``, ``PARAM_REQUIRED``, ``INVALID_TYPE``,
``INVALID_RANGE``, ``OVER_REQUEST_LIMIT`` (= ``quota``), ``SYSTEM_ERROR``
(= ``outage``), ``UNKNOWN_ERROR``; ``error_status`` sends them with an HTTP
error status instead of 200), ``http_error`` (SYSTEM_ERROR body with
HTTP 500), ``ratelimit`` (HTTP 429 from a gateway, undocumented for VWorld),
``malformed`` (an HTML page), ``truncated`` (cut-off JSON), ``unexpected``
(status OK without ``result``), ``slow`` and ``flaky``.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.server import FakeRequest, FakeResponse, FakeUpstream

PATH = "/req/address"
CRSES = {"EPSG:4326", "EPSG:4019"}  # lon/lat systems the fake can answer in
ROAD = re.compile(r"(?:^|\s)(?P<road>[^\s\d()][^\s()]*(?:로|길))\s+(?P<underground>지하\s*)?"
                  r"(?P<number>\d+(?:-\d+)?)(?=$|[\s,()])")
PARCEL = re.compile(r"(?:^|\s)(?P<dong>[^\s\d()][^\s()]*(?:동|리|가))\s+(?P<mountain>산\s*)?"
                    r"(?P<main>\d+)(?:-(?P<sub>\d+))?(?=$|[\s,()])")
ERROR_TEXTS = {
    "PARAM_REQUIRED": ("1", "필수 파라미터인 <{param}>가 없어서 요청을 처리할수 없습니다."),
    "INVALID_TYPE": ("1", "<{param}> 파라미터 타입이 유효하지 않습니다."),
    "INVALID_RANGE": ("1", "<{param}> 파라미터의 값이 유효한 범위를 넘었습니다."),
    "INVALID_KEY": ("2", "등록되지 않은 인증키입니다."),
    "INCORRECT_KEY": ("2", "인증키 정보가 올바르지 않습니다. (등록된 도메인과 다릅니다)"),
    "UNAVAILABLE_KEY": ("2", "일시적으로 사용할 수 없는 인증키입니다."),
    "OVER_REQUEST_LIMIT": ("2", "일일 지오코딩 요청건수를 초과하였습니다."),
    "SYSTEM_ERROR": ("3", "시스템 에러가 발생하였습니다."),
    "UNKNOWN_ERROR": ("3", "알 수 없는 에러가 발생하였습니다."),
}
ALIASES = {"quota": "OVER_REQUEST_LIMIT", "outage": "SYSTEM_ERROR"}

_offline_lock = threading.Lock()
_offline: Any = None


def offline() -> Any:
    """One offline geocoder for all fakes: loading the gazetteer and polygons is slow."""
    global _offline
    with _offline_lock:
        if _offline is None:
            from navplugin.geocode.offline import OfflineGeocoder

            _offline = OfflineGeocoder()
        return _offline


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def offset(lon: float, lat: float, text: str) -> tuple[float, float]:
    """(lon, lat) moved 5-40 m in a direction, both taken from a hash of ``text``."""
    h = _digest(text)
    distance = 5.0 + (h % 3501) / 100.0
    bearing = math.radians((h >> 16) % 360)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlon = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _host(value: str) -> str:
    value = value.strip().lower()
    return (urlsplit(value if "://" in value else f"//{value}").hostname or "").strip(".")


class VWorldFake(FakeUpstream):
    """``with VWorldFake() as fake:``; a geocoder with ``domain=fake.domain, scheme="http"``."""

    def __init__(self, *, keys: tuple[str, ...] = ("vworld-test-key",),
                 registered_domain: str | None = None) -> None:
        super().__init__()
        self.keys = set(keys)
        self.reset()
        self.registered_domain = registered_domain

    def reset(self) -> None:
        """Back to a plain ``ok`` upstream, so one fake can serve a whole test module."""
        self.scenario = "ok"
        self.latency = 0.0
        with self._lock:
            self.requests.clear()
        self.registered_domain: str | None = None  # None: any domain (a key without a check)
        self.fixed: dict[str, tuple[float, float]] = {}  # address -> (lon, lat), any type
        self.parcel_code = "pnu"  # PARCEL level4LC: "pnu" (19 digits, as observed) or "bjd" (10)
        self.slow_delay = 1.0
        self.error_status = 200  # HTTP status of the error-code scenarios' bodies (VWorld: 200)
        self.retry_after: str | None = "2"  # Retry-After of the ratelimit scenario
        self.seed = 0
        self.failure_rate = 0.3
        self._rng: random.Random | None = None
        self._rng_seed: int | None = None

    # --- dispatch ------------------------------------------------------------

    def answer(self, request: FakeRequest) -> FakeResponse:
        if request.path != PATH:
            return FakeResponse(404, "<html><body>404 Not Found</body></html>")
        q = request.query
        operation = q.get("request", "")
        invalid = self._validate(request)
        if invalid:
            return self.error(*invalid, operation=operation)
        scenario = ALIASES.get(self.scenario, self.scenario)
        if scenario == "flaky":
            scenario = self._flaky()
        if scenario in ERROR_TEXTS:
            return self.error(scenario, operation=operation, status=self.error_status)
        if scenario == "http_error":
            return self.error("SYSTEM_ERROR", operation=operation, status=500)
        if scenario == "ratelimit":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return FakeResponse(429, "<html><body><h1>429 Too Many Requests</h1></body></html>",
                                {"Content-Type": "text/html", **headers})
        if scenario == "malformed":
            return FakeResponse(200, "<html><body>서비스 점검 중입니다</body></html>", {"Content-Type": "text/html"})
        if scenario == "truncated":
            return FakeResponse(200, b'{"response":{"service":{"name":"address"},"status":"OK","result":{"po',
                                {"Content-Type": "application/json;charset=UTF-8"})
        if scenario == "unexpected":
            return FakeResponse(200, {"response": {"service": self._service(operation), "status": "OK"}})
        if scenario == "empty":
            return self.not_found(operation)
        response = self._getcoord(q) if operation.lower() == "getcoord" else self._getaddress(q)
        if scenario == "slow":
            response.delay = self.slow_delay
        return response

    def _flaky(self) -> str:
        with self._lock:
            if self._rng is None or self._rng_seed != self.seed:
                self._rng, self._rng_seed = random.Random(self.seed), self.seed
            if self._rng.random() >= self.failure_rate:
                return "ok"
            return self._rng.choice(("outage", "http_error", "ratelimit"))

    def _validate(self, request: FakeRequest) -> tuple[str, str] | None:
        """(code, param) of the first thing VWorld would reject, as VWorld orders them."""
        q = request.query
        operation = q.get("request", "").lower()
        if not operation:
            return "PARAM_REQUIRED", "request"
        if not q.get("key"):
            return "PARAM_REQUIRED", "key"  # a request without a key: PARAM_REQUIRED [obs]
        if q["key"] not in self.keys:
            return "INVALID_KEY", "key"
        if self.registered_domain:
            sent = q.get("domain") or request.headers.get("referer") or ""
            if _host(sent) != _host(self.registered_domain):
                return "INCORRECT_KEY", "domain"
        if q.get("service", "address").lower() != "address":
            return "INVALID_RANGE", "service"
        if operation not in ("getcoord", "getaddress"):
            return "INVALID_RANGE", "request"
        if q.get("crs", "EPSG:4326").upper() not in CRSES:
            return "INVALID_RANGE", "crs"
        if q.get("format", "json").lower() != "json":
            return "INVALID_RANGE", "format"
        kinds = ("ROAD", "PARCEL") if operation == "getcoord" else ("ROAD", "PARCEL", "BOTH")
        if operation == "getcoord" and not q.get("type"):
            return "PARAM_REQUIRED", "type"
        if q.get("type", "BOTH").upper() not in kinds:
            return "INVALID_RANGE", "type"
        if operation == "getcoord" and not q.get("address", "").strip():
            return "PARAM_REQUIRED", "address"
        if operation == "getaddress":
            if not q.get("point"):
                return "PARAM_REQUIRED", "point"
            try:
                x, y = (float(v) for v in q["point"].split(","))
            except ValueError:
                return "INVALID_TYPE", "point"
            if not (-180 <= x <= 180 and -90 <= y <= 90):
                return "INVALID_RANGE", "point"
        return None

    # --- envelopes -----------------------------------------------------------

    def _service(self, operation: str) -> dict[str, str]:
        return {"name": "address", "version": "2.0", "operation": operation, "time": "12(ms)"}

    def error(self, code: str, param: str = "", *, operation: str = "", status: int = 200) -> FakeResponse:
        level, text = ERROR_TEXTS[code]
        body = {"response": {"service": self._service(operation), "status": "ERROR",
                             "error": {"level": level, "code": code, "text": text.format(param=param)}}}
        return FakeResponse(status, body)

    def not_found(self, operation: str) -> FakeResponse:
        return FakeResponse(200, {"response": {"service": self._service(operation), "status": "NOT_FOUND"}})

    # --- getcoord ------------------------------------------------------------

    def _getcoord(self, q: dict[str, str]) -> FakeResponse:
        operation, kind, address = q["request"], q["type"].upper(), " ".join(q["address"].split())
        if address in self.fixed:
            lon, lat = self.fixed[address]
            return self._coord(operation, q, address, lon, lat, {"level0": "대한민국"})
        road, parcel = ROAD.search(address), PARCEL.search(address)
        match = road if kind == "ROAD" else parcel
        if match is None or (kind == "PARCEL" and road is not None and road.start() < parcel.start()):
            return self.not_found(operation)
        district = offline().geocode(address)
        if district is None:
            return self.not_found(operation)
        lon, lat = offset(district.longitude, district.latitude, address)
        structure = self._structure(district.raw)
        if kind == "ROAD":
            road_name, number = match["road"], (match["underground"] and "지하 " or "") + match["number"]
            text = f"{structure['_base']} {road_name} {number}"
            if district.raw.get("emd"):
                text += f" ({district.raw['emd']})"
            structure.update(level4L=road_name, level4LC=structure["_sigungu_code"] + f"{_digest(road_name) % 10**7:07d}",
                             level5=number)
        else:
            dong, main, sub = match["dong"], match["main"], match["sub"] or ""
            lot = ("산" if match["mountain"] else "") + main + (f"-{sub}" if sub else "")
            emd = district.raw.get("emd")
            place = dong if not emd or emd == dong else f"{emd} {dong}"
            text = f"{structure['_base']} {place} {lot}"
            bjd = (district.raw.get("emd_code") or structure["_sigungu_code"] + "000") + "00"
            code = bjd if self.parcel_code == "bjd" else (
                f"{bjd}{'2' if match['mountain'] else '1'}{int(main):04d}{int(sub or 0):04d}")
            structure.update(level4L=emd or dong, level4LC=code, level5=lot if place == dong else f"{dong} {lot}")
        structure = {k: v for k, v in structure.items() if not k.startswith("_")}
        return self._coord(operation, q, text, lon, lat, structure)

    def _structure(self, region: dict[str, Any]) -> dict[str, str]:
        sigungu = region.get("sigungu") or ""
        level2, _, level3 = sigungu.partition(" ")  # "안양시 동안구": 시 + 일반구
        emd_code = region.get("emd_code") or ""
        base = " ".join(p for p in (region.get("sido"), sigungu) if p)
        return {"level0": "대한민국", "level1": region.get("sido") or "", "level2": level2, "level3": level3,
                "level4L": "", "level4LC": "", "level4A": region.get("emd") or "",
                "level4AC": f"{emd_code}00" if emd_code else "", "level5": "", "detail": "",
                "_base": base, "_sigungu_code": region.get("sigungu_code") or f"{region.get('sido_code', '00')}000"}

    def _coord(self, operation: str, q: dict[str, str], text: str, lon: float, lat: float,
               structure: dict[str, str]) -> FakeResponse:
        body: dict[str, Any] = {"service": self._service(operation), "status": "OK",
                                "input": {"type": q["type"], "address": q["address"]}}
        if q.get("refine", "true").lower() != "false":
            body["refined"] = {"text": text, "structure": structure}
        body["result"] = {"crs": q.get("crs", "EPSG:4326"), "point": {"x": f"{lon:.9f}", "y": f"{lat:.9f}"}}
        return FakeResponse(200, {"response": body})

    # --- getAddress ----------------------------------------------------------

    def _getaddress(self, q: dict[str, str]) -> FakeResponse:
        operation, kind = q["request"], q.get("type", "BOTH").upper()
        x, y = (float(v) for v in q["point"].split(","))
        region = offline().reverse((y, x))
        if region is None:
            return self.not_found(operation)
        raw = region.raw
        h = _digest(f"{x:.6f},{y:.6f}")
        base = " ".join(p for p in (raw.get("sido"), raw.get("sigungu")) if p)
        emd = raw.get("emd") or ""
        stem = (emd or (raw.get("sigungu") or "중앙").split()[-1])[:-1] or "중앙"
        structure = {"level0": "대한민국", "level1": raw.get("sido") or "", "level2": raw.get("sigungu") or "",
                     "level3": "", "level4A": emd, "level4AC": f"{raw['code']}00" if emd else "", "detail": ""}
        zipcode = f"{h % 100000:05d}"
        road_name, building = f"{stem}로", str(1 + h % 200)
        lot = f"{1 + (h >> 8) % 900}" + (f"-{(h >> 20) % 30}" if (h >> 20) % 30 else "")
        results = []
        if kind in ("ROAD", "BOTH"):
            results.append({"zipcode": zipcode, "type": "road", "text": f"{base} {road_name} {building}",
                            "structure": {**structure, "level4L": road_name,
                                          "level4LC": f"{(raw['code'] + '00000000')[:5]}{h % 10**7:07d}",
                                          "level5": building}})
        if kind in ("PARCEL", "BOTH") and emd:
            results.append({"zipcode": zipcode, "type": "parcel", "text": f"{base} {emd} {lot}",
                            "structure": {**structure, "level4L": emd, "level4LC": f"{raw['code']}00",
                                          "level5": lot}})
        body = {"service": self._service(operation), "status": "OK",
                "input": {"point": {"x": q["point"].split(",")[0], "y": q["point"].split(",")[1]},
                          "crs": q.get("crs", ""), "type": q.get("type", "BOTH")},
                "result": results}
        return FakeResponse(200, {"response": body})
