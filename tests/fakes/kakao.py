"""A fake dapi.kakao.com speaking Kakao Local's wire format (reference section 1).

Auth, parameter limits and both error-body shapes are checked the way Kakao
does, so a geocoder that passes against this fake sends what Kakao accepts.
In ``"ok"`` it answers any address the offline geocoder can place: the point
is that district's point moved 5-40 m in a direction hashed from the query
(stable across runs, distinct per shop), and the document type follows the
query's form: ``ROAD_ADDR`` for a road name with a building number, ``ROAD``
for a bare road name, ``REGION_ADDR`` for a 지번, ``REGION`` for district
names only.

Scenarios (``fake.scenario``): ok, empty, keyword_only (address search empty,
keyword search finds the place), quota (400 code -10), throttled (429
RequestThrottled "API limit has been exceeded."), conflict (409, the
unconfirmed quota variant), ratelimit (429 with another message: Kakao's
per-second quota, unconfirmed; ``Retry-After`` only when ``retry_after`` is
set, since Kakao documents none), badkey (401 code -401), ipmismatch, kaheader
(401 AccessDeniedError), forbidden (403 "cannot access API"), missing (400
MissingParameter), internal (-1), badparam (-2), maintenance (400 code -7),
outage (503 code -9798), ``code<N>`` (any code of Kakao's table, e.g.
``code-5``), gateway (502 HTML), malformed (200 HTML), truncated (200 cut-off
JSON), badshape (200 JSON without ``documents``), badpoint (a document whose
x/y are unusable), slow (``slow_delay`` seconds), flaky (``random.Random(seed)``
picks outage or ratelimit with probability ``failure_rate``, else ok).
"""
from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from typing import Any

from navplugin.geocode.offline import OfflineGeocoder
from tests.fakes.server import FakeRequest, FakeResponse, FakeUpstream

ADDRESS_PATH = "/v2/local/search/address.json"
KEYWORD_PATH = "/v2/local/search/keyword.json"
COORD2ADDRESS_PATH = "/v2/local/geo/coord2address.json"

# Kakao's common error table: code -> (HTTP status, msg)
CODES: dict[int, tuple[int, str]] = {
    -1: (400, "internal error occurred. please try again."),
    -2: (400, "invalid parameter"),
    -3: (403, "disabled api"),
    -4: (403, "app has no permission"),
    -5: (403, "not permitted"),
    -7: (400, "service is under maintenance"),
    -8: (400, "invalid header"),
    -9: (400, "api is deprecated"),
    -10: (400, "API limit has been exceeded."),
    -11: (400, "paid api limit has been exceeded."),
    -12: (403, "blocked"),
    -401: (401, "InvalidAppKey"),
    -9798: (503, "service is under maintenance"),
}
NAMED_CODES = {"quota": -10, "internal": -1, "badparam": -2, "maintenance": -7, "outage": -9798,
               "badkey": -401}
ACCESS_DENIED = {
    "ipmismatch": (401, "ip mismatched! callerIp=127.0.0.1, registered ips=[10.0.0.1]"),
    "kaheader": (401, "KA Header is required but neither os nor origin field is given"),
    "forbidden": (403, "cannot access API"),
}
# Kakao writes most 시도 short in region_1depth_name
SIDO_SHORT = {"서울특별시": "서울", "부산광역시": "부산", "대구광역시": "대구", "인천광역시": "인천",
              "광주광역시": "광주", "대전광역시": "대전", "울산광역시": "울산", "경기도": "경기",
              "충청북도": "충북", "충청남도": "충남", "전라남도": "전남", "경상북도": "경북", "경상남도": "경남"}
_PARENS = re.compile(r"\([^()]*\)")
_ROAD = re.compile(r"\S+(로|길)")
_BUILDING_NO = re.compile(r"(\d+)(?:-(\d+))?")
_LOT_NO = re.compile(r"(산)?(\d+)(?:-(\d+))?")


def _hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _fraction(digest: bytes, start: int) -> float:
    return int.from_bytes(digest[start:start + 4], "big") / 2**32


def offset_point(lon: float, lat: float, key: str) -> tuple[float, float]:
    """(lon, lat) moved 5-40 m in a direction, both hashed from ``key``."""
    digest = _hash(key)
    distance, bearing = 5 + 35 * _fraction(digest, 0), 2 * math.pi * _fraction(digest, 4)
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


class KakaoFake(FakeUpstream):
    """``KakaoFake(api_key)``; set ``scenario``, ``fixed`` (query -> (lon, lat)), ``latency``."""

    def __init__(self, api_key: str = "test-kakao-rest-key", *, seed: int = 0,
                 failure_rate: float = 0.3, slow_delay: float = 1.0) -> None:
        super().__init__()
        # headers and body leave in two writes: with Nagle on, every answer waits ~40 ms for a
        # delayed ACK, which makes a 2,000-row benchmark measure the kernel (belongs in server.py)
        self._server.RequestHandlerClass.disable_nagle_algorithm = True
        self.api_key = api_key
        self._offline = OfflineGeocoder()
        self._rng_lock = threading.Lock()
        self.reset(seed=seed, failure_rate=failure_rate, slow_delay=slow_delay)

    def reset(self, *, seed: int = 0, failure_rate: float = 0.3, slow_delay: float = 1.0) -> None:
        """Back to a fresh fake (a test module can share one server across tests)."""
        self.scenario = "ok"
        self.latency = 0.0
        self.fixed: dict[str, tuple[float, float]] = {}
        self.seed = seed
        self.failure_rate = failure_rate
        self.slow_delay = slow_delay
        self.retry_after: str | None = None  # Retry-After header of the ratelimit scenario
        self.reverse_road_address = True  # coord2address: include road_address (else null)
        with self._lock:
            self.requests.clear()

    @property
    def seed(self) -> int:
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        """Setting the seed restarts the flaky sequence, so a run can be replayed."""
        with self._rng_lock:
            self._seed, self._rng = value, random.Random(value)

    # --- the request pipeline: auth, parameters, scenario, answer ---------------------------

    def answer(self, request: FakeRequest) -> FakeResponse:
        scenario = self.scenario
        if scenario == "flaky":
            scenario = self._flaky_pick()
        if scenario in ACCESS_DENIED:
            return self.access_denied(*ACCESS_DENIED[scenario])
        auth = request.headers.get("authorization", "")
        if not auth.startswith("KakaoAK "):
            return self.access_denied(401, "wrong appKey(null) format")
        if auth[len("KakaoAK "):] != self.api_key:
            # Kakao echoes the key it was given: a trap for geocoders that log error bodies
            return self.access_denied(401, f"wrong appKey({auth[len('KakaoAK '):]}) format")
        handler = {ADDRESS_PATH: self._address, KEYWORD_PATH: self._keyword,
                   COORD2ADDRESS_PATH: self._coord2address}.get(request.path)
        if handler is None:
            return FakeResponse(404, {"errorType": "NotFound", "message": f"{request.path} not found"})
        problem = self._check_params(request)
        if problem is not None:
            return problem
        failure = self._failure(scenario)
        if failure is not None:
            return failure
        response = handler(request, scenario)
        if scenario == "slow":
            response.delay = self.slow_delay
        return response

    def _flaky_pick(self) -> str:
        with self._rng_lock:
            if self._rng.random() < self.failure_rate:
                return self._rng.choice(["outage", "ratelimit"])
            return "ok"

    @staticmethod
    def access_denied(status: int, message: str) -> FakeResponse:
        return FakeResponse(status, {"errorType": "AccessDeniedError", "message": message})

    @staticmethod
    def code_error(code: int) -> FakeResponse:
        status, msg = CODES[code]
        return FakeResponse(status, {"code": code, "msg": msg})

    @staticmethod
    def _invalid(message: str) -> FakeResponse:
        return FakeResponse(400, {"errorType": "InvalidArgument", "message": message})

    def _check_params(self, request: FakeRequest) -> FakeResponse | None:
        q = request.query
        if request.path == COORD2ADDRESS_PATH:
            for name in ("x", "y"):
                if not q.get(name, "").strip():
                    return FakeResponse(400, {"errorType": "MissingParameter",
                                              "message": f"{name} parameter required"})
                try:
                    float(q[name])
                except ValueError:
                    return self._invalid(f"{name} is not a number")
            if q.get("input_coord", "WGS84") not in ("WGS84", "WCONGNAMUL", "CONGNAMUL", "WTM", "TM"):
                return self._invalid("input_coord is invalid")
            return None
        if not q.get("query", "").strip():
            return FakeResponse(400, {"errorType": "MissingParameter", "message": "query parameter required"})
        max_size = 30 if request.path == ADDRESS_PATH else 15
        for name, low, high in (("page", 1, 45), ("size", 1, max_size)):
            if name in q and not (q[name].isdigit() and low <= int(q[name]) <= high):
                return self._invalid(f"{name} is more than max" if q[name].isdigit() else f"{name} is invalid")
        if request.path == ADDRESS_PATH and q.get("analyze_type", "similar") not in ("similar", "exact"):
            return self._invalid("analyze_type is invalid")
        if request.path == KEYWORD_PATH:
            if "radius" in q and not (q["radius"].isdigit() and int(q["radius"]) <= 20000):
                return self._invalid("radius is more than max")
            if q.get("sort", "accuracy") not in ("accuracy", "distance"):
                return self._invalid("sort is invalid")
            if q.get("sort") == "distance" and not (q.get("x") and q.get("y")):
                return self._invalid("x, y are required for sort=distance")
        return None

    def _failure(self, scenario: str) -> FakeResponse | None:
        if scenario in NAMED_CODES:
            return self.code_error(NAMED_CODES[scenario])
        if scenario.startswith("code") and scenario[4:].lstrip("-").isdigit() and int(scenario[4:]) in CODES:
            return self.code_error(int(scenario[4:]))
        if scenario == "throttled":
            return FakeResponse(429, {"errorType": "RequestThrottled", "message": "API limit has been exceeded."})
        if scenario == "conflict":
            return FakeResponse(409, {"errorType": "RequestThrottled", "message": "API limit has been exceeded."})
        if scenario == "ratelimit":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return FakeResponse(429, {"errorType": "RequestThrottled", "message": "too many requests per second"},
                                headers=headers)
        if scenario == "missing":
            return FakeResponse(400, {"errorType": "MissingParameter", "message": "query parameter required"})
        if scenario == "gateway":
            return FakeResponse(502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                                headers={"Content-Type": "text/html"})
        if scenario == "malformed":
            return FakeResponse(200, "<html><body>점검 중입니다</body></html>", headers={"Content-Type": "text/html"})
        if scenario == "truncated":
            return FakeResponse(200, '{"meta":{"total_count":1},"documents":[{"address_name":"서울',
                                headers={"Content-Type": "application/json;charset=UTF-8"})
        if scenario == "badshape":
            return FakeResponse(200, {"meta": {"total_count": 0}, "results": []})
        return None

    # --- endpoints ---------------------------------------------------------------------------

    def _address(self, request: FakeRequest, scenario: str) -> FakeResponse:
        query = request.query["query"].strip()
        hit = None if scenario in ("empty", "keyword_only") else self._locate(query)
        documents = [] if hit is None else [self._address_document(query, *hit)]
        if documents and scenario == "badpoint":
            documents[0]["x"] = documents[0]["y"] = ""
        return self._documents(documents, request)

    def _keyword(self, request: FakeRequest, scenario: str) -> FakeResponse:
        query = request.query["query"].strip()
        hit = None if scenario == "empty" else self._locate(query)
        documents = [] if hit is None else [self._place_document(query, *hit)]
        return self._documents(documents, request, same_name={"region": [], "keyword": query,
                                                               "selected_region": ""})

    def _coord2address(self, request: FakeRequest, scenario: str) -> FakeResponse:
        x, y = float(request.query["x"]), float(request.query["y"])
        region = None if scenario == "empty" else self._offline.reverse(f"{y}, {x}")
        if region is None:
            return FakeResponse(200, {"meta": {"total_count": 0}, "documents": []})
        names = self._names(region.raw)
        digest = _hash(f"{x:.6f},{y:.6f}")
        lot = str(1 + digest[8] * 4 + digest[9] % 4)
        address = {"address_name": " ".join(p for p in (*names, lot) if p),
                   "region_1depth_name": names[0], "region_2depth_name": names[1],
                   "region_3depth_name": names[2], "mountain_yn": "N", "main_address_no": lot,
                   "sub_address_no": "", "zip_code": ""}
        road = None
        if self.reverse_road_address and names[2]:
            road_name, number = self._road_name(names[2]), str(1 + digest[10] % 200)
            road = {"address_name": " ".join(p for p in (names[0], names[1], road_name, number) if p),
                    "region_1depth_name": names[0], "region_2depth_name": names[1],
                    "region_3depth_name": names[2], "road_name": road_name, "underground_yn": "N",
                    "main_building_no": number, "sub_building_no": "", "building_name": "",
                    "zone_no": self._zone(digest)}
        return FakeResponse(200, {"meta": {"total_count": 1},
                                  "documents": [{"road_address": road, "address": address}]})

    @staticmethod
    def _documents(documents: list[dict[str, Any]], request: FakeRequest, **meta: Any) -> FakeResponse:
        size = int(request.query.get("size", "15" if request.path == KEYWORD_PATH else "10"))
        shown = documents[:size]
        return FakeResponse(200, {"meta": {"total_count": len(documents), "pageable_count": len(documents),
                                           "is_end": True, **meta}, "documents": shown})

    # --- building realistic documents ---------------------------------------------------------

    def _locate(self, query: str) -> tuple[float, float, dict[str, Any]] | None:
        """(lon, lat, offline raw) for a query, or None when no district is named."""
        location = self._offline.geocode(query)
        raw = dict(location.raw) if location is not None else {}
        if query in self.fixed:
            lon, lat = self.fixed[query]
            return lon, lat, raw
        if location is None:
            return None
        lon, lat = offset_point(location.longitude, location.latitude, query)
        return lon, lat, raw

    @staticmethod
    def _names(raw: dict[str, Any]) -> tuple[str, str, str]:
        sido = raw.get("sido") or ""
        return SIDO_SHORT.get(sido, sido), raw.get("sigungu") or "", raw.get("emd") or ""

    @staticmethod
    def _road_name(emd: str) -> str:
        return re.sub(r"(동|읍|면|리|가)$", "", emd.split()[-1]) + "로"

    @staticmethod
    def _zone(digest: bytes) -> str:
        return f"{10000 + int.from_bytes(digest[12:14], 'big') % 90000:05d}"

    def _address_document(self, query: str, lon: float, lat: float, raw: dict[str, Any]) -> dict[str, Any]:
        names = self._names(raw)
        known = {n for n in (raw.get("sido"), *names, *(raw.get("sigungu") or "").split()) if n}
        tokens = _PARENS.sub(" ", query).split()
        x, y = repr(lon), repr(lat)
        digest = _hash(query)
        region = {"region_1depth_name": names[0], "region_2depth_name": names[1], "region_3depth_name": names[2]}
        b_code = (raw.get("emd_code") or raw.get("sigungu_code") or raw.get("sido_code") or "").ljust(10, "0")
        road_at = next((i for i, t in enumerate(tokens) if t not in known and _ROAD.fullmatch(t)), None)
        lot_token = next((t for t in tokens if _LOT_NO.fullmatch(t)), None)
        if road_at is not None:
            number = tokens[road_at + 1] if road_at + 1 < len(tokens) else ""
            match = _BUILDING_NO.fullmatch(number)
            main, sub = (match.group(1), match.group(2) or "") if match else ("", "")
            road = {"address_name": " ".join(p for p in (names[0], names[1], tokens[road_at], number if match else "")
                                             if p),
                    **region, "road_name": tokens[road_at], "underground_yn": "N",
                    "main_building_no": main, "sub_building_no": sub, "building_name": "",
                    "zone_no": self._zone(digest) if match else "", "x": x, "y": y}
            if not match:  # a bare road name: Kakao's ROAD type, no 지번 and no 동
                road["region_3depth_name"] = ""
                return {"address_name": road["address_name"], "address_type": "ROAD", "x": x, "y": y,
                        "address": None, "road_address": road}
            address = None
            if names[2]:
                lot = str(1 + digest[8] * 4 + digest[9] % 4)
                address = {"address_name": " ".join(p for p in (*names, lot) if p), **region,
                           "region_3depth_h_name": names[2], "h_code": b_code, "b_code": b_code,
                           "mountain_yn": "N", "main_address_no": lot, "sub_address_no": "", "x": x, "y": y}
            return {"address_name": road["address_name"], "address_type": "ROAD_ADDR", "x": x, "y": y,
                    "address": address, "road_address": road}
        if lot_token is not None and names[2]:
            lot = _LOT_NO.fullmatch(lot_token)
            before = tokens[tokens.index(lot_token) - 1] if tokens.index(lot_token) else ""
            if before.endswith("리") and before not in known:  # Kakao writes "죽산면 죽산리"
                names = (names[0], names[1], f"{names[2]} {before}")
                region["region_3depth_name"] = names[2]
            address = {"address_name": " ".join(p for p in (*names, lot_token) if p), **region,
                       "region_3depth_h_name": names[2], "h_code": b_code, "b_code": b_code,
                       "mountain_yn": "Y" if lot.group(1) else "N", "main_address_no": lot.group(2),
                       "sub_address_no": lot.group(3) or "", "x": x, "y": y}
            return {"address_name": address["address_name"], "address_type": "REGION_ADDR", "x": x, "y": y,
                    "address": address, "road_address": None}
        name = " ".join(p for p in names if p)
        address = {"address_name": name, **region, "region_3depth_h_name": "", "h_code": "", "b_code": b_code,
                   "mountain_yn": "N", "main_address_no": "", "sub_address_no": "", "x": x, "y": y}
        return {"address_name": name, "address_type": "REGION", "x": x, "y": y,
                "address": address, "road_address": None}

    def _place_document(self, query: str, lon: float, lat: float, raw: dict[str, Any]) -> dict[str, Any]:
        names = self._names(raw)
        digest = _hash(query)
        place_id = str(10_000_000 + int.from_bytes(digest[16:20], "big") % 90_000_000)
        words = query.split()
        place_name = words[-1] if words and not words[-1][:1].isdigit() else query
        lot, number = str(1 + digest[8] * 4 + digest[9] % 4), str(1 + digest[10] % 200)
        jibun = " ".join(p for p in (*names, lot if names[2] else "") if p)
        road = " ".join(p for p in (names[0], names[1], self._road_name(names[2]), number) if p) if names[2] else ""
        return {"id": place_id, "place_name": place_name, "category_name": "음식점 > 한식",
                "category_group_code": "FD6", "category_group_name": "음식점", "phone": "",
                "address_name": jibun or query, "road_address_name": road, "x": repr(lon), "y": repr(lat),
                "place_url": f"http://place.map.kakao.com/{place_id}", "distance": ""}
