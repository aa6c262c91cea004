"""VWorldGeocoder against VWorldFake over a real loopback socket."""
from __future__ import annotations

import logging
import math
import socket
import traceback
from urllib.parse import quote_plus

import pytest
import requests
from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)

from navplugin.geocode.offline import OfflineGeocoder
from navplugin.geocode.vworld import VWorldGeocoder, bjd_code
from navplugin.model import PRECISIONS
from tests.fakes.vworld import PATH, VWorldFake

KEY = "vw-SECRET-4f1d9c"
ROAD_ADDRESS = "서울특별시 종로구 인사동길 12 (관훈동)"
PARCEL_ADDRESS = "서울 종로구 관훈동 118"


@pytest.fixture(scope="module")
def server():
    with VWorldFake(keys=(KEY,)) as upstream:  # one server: stopping one takes half a second
        yield upstream


@pytest.fixture
def fake(server):
    server.reset()
    return server


def make(fake: VWorldFake, **kwargs) -> VWorldGeocoder:
    options = {"api_key": KEY, "domain": fake.domain, "scheme": "http", "proxies": {}, "timeout": 2.0}
    return VWorldGeocoder(**{**options, **kwargs})


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def raises(fake: VWorldFake, call, exc_type):
    with pytest.raises(GeocoderServiceError) as info:
        call(make(fake))
    assert type(info.value) is exc_type, repr(info.value)  # exact: RateLimited is a QuotaExceeded too
    assert KEY not in "".join(traceback.format_exception(info.value))
    return info.value


# --- construction ---------------------------------------------------------------

def test_needs_a_key_and_forbids_caching():
    with pytest.raises(ConfigurationError):
        VWorldGeocoder(api_key=" ")
    geocoder = VWorldGeocoder(api_key=KEY)
    assert (geocoder.provider, geocoder.may_cache, geocoder.secrets()) == ("vworld", False, (KEY,))
    assert geocoder._request_url({"request": "getcoord"}).startswith("https://api.vworld.kr/req/address?")


# --- geocode ----------------------------------------------------------------------

def test_road_address_is_found_with_one_road_query(fake):
    location = make(fake).geocode(ROAD_ADDRESS)

    district = OfflineGeocoder().geocode(ROAD_ADDRESS)
    assert 5 <= metres(district.latitude, district.longitude, location.latitude, location.longitude) <= 40.5
    assert 37.5 < location.latitude < 37.7 and 126.9 < location.longitude < 127.1
    assert location.address == "서울특별시 종로구 인사동길 12 (관훈동)"
    raw = location.raw
    assert (raw["provider"], raw["precision"], raw["type"]) == ("vworld", "building", "ROAD")
    assert raw["matched"] == raw["road_address"] == location.address
    assert "bjd_code" not in raw  # a ROAD answer's level4LC is a 12-digit road code
    assert raw["response"]["response"]["result"]["point"]["x"] == f"{location.longitude:.9f}"
    [request] = fake.calls()
    assert request.path == PATH
    assert request.query == {
        "service": "address", "request": "getcoord", "version": "2.0", "crs": "EPSG:4326",
        "format": "json", "errorFormat": "json", "type": "ROAD", "address": ROAD_ADDRESS,
        "refine": "true", "key": KEY,
    }


def test_parcel_address_falls_back_from_road_to_parcel(fake):
    location = make(fake).geocode(PARCEL_ADDRESS)

    assert [r.query["type"] for r in fake.calls()] == ["ROAD", "PARCEL"]
    assert location.address == "서울특별시 종로구 관훈동 118"
    raw = location.raw
    assert (raw["precision"], raw["type"], raw["jibun_address"]) == ("parcel", "PARCEL", location.address)
    assert raw["response"]["response"]["refined"]["structure"]["level4LC"] == "1111012800" "1" "0118" "0000"
    assert raw["bjd_code"] == "1111012800"  # the 19-digit PNU cut to its 법정동 code
    assert raw["precision"] in PRECISIONS


def test_ten_digit_parcel_code_is_kept_as_is(fake):
    fake.parcel_code = "bjd"
    location = make(fake).geocode("경기도 안양시 동안구 관양동 1588-8")
    assert location.raw["bjd_code"] == "4117310200"
    assert (bjd_code("123"), bjd_code("111101280012"), bjd_code(None)) == (None, None, None)


def test_points_differ_per_address_and_are_stable(fake):
    geocoder = make(fake)
    first = geocoder.geocode("서울 종로구 인사동길 12")
    other = geocoder.geocode("서울 종로구 인사동길 30")
    again = geocoder.geocode("서울 종로구 인사동길 12")
    assert first.point == again.point != other.point


def test_fixed_point_wins_and_list_mode_returns_one_location(fake):
    fake.fixed["아무 주소"] = (127.001, 37.501)
    [location] = make(fake).geocode("아무 주소", exactly_one=False)
    assert (location.longitude, location.latitude) == pytest.approx((127.001, 37.501))
    assert location.raw["precision"] == "building"


@pytest.mark.parametrize("query", ["서울특별시 종로구", "foo bar 12", "화성 어딘가 123로 45"])
def test_no_result_after_both_types(fake, query):
    geocoder = make(fake)
    assert geocoder.geocode(query) is None
    assert geocoder.geocode(query, exactly_one=False) is None
    assert [r.query["type"] for r in fake.calls()] == ["ROAD", "PARCEL"] * 2


def test_empty_scenario_is_no_result(fake):
    fake.scenario = "empty"
    assert make(fake).geocode(ROAD_ADDRESS, exactly_one=False) is None


def test_empty_query_is_rejected_without_a_request(fake):
    with pytest.raises(GeocoderQueryError):
        make(fake).geocode("  ")
    assert fake.calls() == []


# --- keys and domains ---------------------------------------------------------------

def test_registered_domain_is_sent_and_checked(fake):
    fake.registered_domain = "shops.example.kr"
    location = make(fake, api_domain="shops.example.kr").geocode(ROAD_ADDRESS)
    assert location is not None
    assert fake.calls()[0].query["domain"] == "shops.example.kr"

    error = raises(fake, lambda g: g.geocode(ROAD_ADDRESS), GeocoderAuthenticationFailure)  # no domain sent
    assert "INCORRECT_KEY" in str(error)
    with pytest.raises(GeocoderAuthenticationFailure, match="INCORRECT_KEY"):
        make(fake, api_domain="other.example.kr").geocode(ROAD_ADDRESS)


def test_unknown_key_is_an_authentication_failure(fake):
    with pytest.raises(GeocoderAuthenticationFailure, match="INVALID_KEY") as info:
        make(fake, api_key="vw-WRONG-key").geocode(ROAD_ADDRESS)
    assert "vw-WRONG-key" not in str(info.value)
    assert len(fake.calls()) == 1  # an error is no reason to try PARCEL


# --- errors ---------------------------------------------------------------------------

ERROR_CASES = [
    ("INVALID_KEY", GeocoderAuthenticationFailure),
    ("INCORRECT_KEY", GeocoderAuthenticationFailure),
    ("UNAVAILABLE_KEY", GeocoderAuthenticationFailure),
    ("OVER_REQUEST_LIMIT", GeocoderQuotaExceeded),
    ("quota", GeocoderQuotaExceeded),
    ("PARAM_REQUIRED", GeocoderQueryError),
    ("INVALID_TYPE", GeocoderQueryError),
    ("INVALID_RANGE", GeocoderQueryError),
    ("SYSTEM_ERROR", GeocoderUnavailable),
    ("outage", GeocoderUnavailable),
    ("UNKNOWN_ERROR", GeocoderUnavailable),
]


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize(("scenario", "exc_type"), ERROR_CASES)
def test_error_bodies_map_to_geopy_exceptions(fake, scenario, exc_type, status):
    fake.scenario, fake.error_status = scenario, status
    error = raises(fake, lambda g: g.geocode(PARCEL_ADDRESS), exc_type)
    assert {"quota": "OVER_REQUEST_LIMIT", "outage": "SYSTEM_ERROR"}.get(scenario, scenario) in str(error)
    assert len(fake.calls()) == 1


def test_error_body_with_http_500(fake):
    fake.scenario = "http_error"
    error = raises(fake, lambda g: g.geocode(ROAD_ADDRESS), GeocoderUnavailable)
    assert "SYSTEM_ERROR (HTTP 500)" in str(error)


def test_gateway_rate_limit_carries_retry_after(fake):
    fake.scenario = "ratelimit"
    assert raises(fake, lambda g: g.geocode(ROAD_ADDRESS), GeocoderRateLimited).retry_after == 2
    fake.retry_after = None
    assert raises(fake, lambda g: g.geocode(ROAD_ADDRESS), GeocoderRateLimited).retry_after == 1.0


@pytest.mark.parametrize("scenario", ["malformed", "truncated", "unexpected"])
def test_malformed_answers_are_parse_errors(fake, scenario):
    fake.scenario = scenario
    raises(fake, lambda g: g.geocode(ROAD_ADDRESS), GeocoderParseError)
    raises(fake, lambda g: g.reverse((37.57415, 126.984942)), GeocoderParseError)


def test_slow_answer_times_out(fake):
    fake.scenario = "slow"
    with pytest.raises(GeocoderTimedOut) as info:
        make(fake, timeout=0.2).geocode(ROAD_ADDRESS)
    assert len(fake.calls()) == 1  # one attempt: an answered GET is never silently re-sent
    assert KEY not in str(info.value)
    assert len(fake.calls()) == 1


def test_flaky_upstream_fails_transiently_and_reproducibly(fake):
    def run() -> list[str]:
        outcomes = []
        for i in range(20):
            try:
                outcomes.append("ok" if make(fake).geocode(f"서울 종로구 인사동길 {i + 1}") else "none")
            except (GeocoderUnavailable, GeocoderRateLimited) as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    fake.scenario, fake.seed = "flaky", 7
    first = run()
    fake.seed = 8  # a new seed restarts the generator ...
    run()
    fake.seed = 7  # ... and the old one replays its sequence
    assert run() == first
    assert "ok" in first and {"GeocoderUnavailable", "GeocoderRateLimited"} & set(first)
    assert "none" not in first


@pytest.mark.parametrize(("doc", "exc_type"), [
    ([], GeocoderParseError),
    ({"response": {"status": "MAYBE"}}, GeocoderParseError),
    ({"response": {"status": "OK", "result": []}}, GeocoderParseError),
    ({"response": {"status": "OK", "result": {"point": {"x": "37.5", "y": "127.0"}}}}, GeocoderParseError),
    ({"response": {"status": "OK", "result": {"point": {"x": "abc", "y": "37.5"}}}}, GeocoderParseError),
    ({"response": {"status": "OK", "result": {"crs": "EPSG:5179", "point": {"x": "1", "y": "2"}}}},
     GeocoderParseError),
    ({"response": {"status": "ERROR", "error": {"level": "3", "code": "NEW_CODE"}}}, GeocoderUnavailable),
    ({"response": {"status": "ERROR", "error": {"level": "2", "code": "NEW_KEY_CODE"}}},
     GeocoderAuthenticationFailure),
    ({"response": {"status": "ERROR", "error": None}}, GeocoderServiceError),
])
def test_odd_documents_never_leak_python_errors(doc, exc_type):
    geocoder = VWorldGeocoder(api_key=KEY)
    with pytest.raises(GeocoderServiceError) as info:
        geocoder._parse_coord(doc, "ROAD", "주소")
    assert type(info.value) is exc_type


def test_refine_off_falls_back_to_the_input_address():
    doc = {"response": {"status": "OK", "input": {"type": "ROAD", "address": "입력 주소로 1"},
                        "result": {"crs": "EPSG:4326", "point": {"x": "127.0", "y": "37.5"}}}}
    location = VWorldGeocoder(api_key=KEY)._parse_coord(doc, "ROAD", "질의")
    assert (location.address, location.latitude, location.longitude) == ("입력 주소로 1", 37.5, 127.0)


# --- reverse ----------------------------------------------------------------------------

def test_reverse_prefers_the_road_address(fake):
    location = make(fake).reverse("37.57415, 126.984942")

    [request] = fake.calls()
    assert request.query["request"] == "getAddress"
    assert (request.query["point"], request.query["type"], request.query["key"]) == ("126.984942,37.57415", "BOTH", KEY)
    assert (location.latitude, location.longitude) == (37.57415, 126.984942)
    raw = location.raw
    assert (raw["provider"], raw["precision"], raw["type"]) == ("vworld", "building", "ROAD")
    assert location.address == raw["road_address"] and location.address.startswith("서울특별시 종로구 ")
    assert raw["jibun_address"].startswith("서울특별시 종로구 관훈동 ")
    assert raw["bjd_code"] == "1111012800"


def test_reverse_list_has_road_then_parcel(fake):
    locations = make(fake).reverse((37.57415, 126.984942), exactly_one=False)
    assert [l.raw["precision"] for l in locations] == ["building", "parcel"]


def test_reverse_road_entry_is_preferred_even_when_listed_second():
    doc = {"response": {"status": "OK", "result": [
        {"type": "parcel", "text": "서울특별시 성북구 석관동 409",
         "structure": {"level4LC": "1129013900"}},
        {"type": "road", "text": "서울특별시 성북구 화랑로 1", "structure": {"level4LC": "112904000000"}}]}}
    geocoder = VWorldGeocoder(api_key=KEY)
    location = geocoder._parse_address(doc, geocoder_point(), True)
    assert (location.address, location.raw["bjd_code"]) == ("서울특별시 성북구 화랑로 1", "1129013900")
    with pytest.raises(GeocoderParseError):
        geocoder._parse_address({"response": {"status": "OK", "result": [{"type": "road"}]}}, geocoder_point(), True)


def geocoder_point():
    from geopy.point import Point

    return Point(37.60168, 127.05855)


def test_reverse_at_sea_is_no_result(fake):
    geocoder = make(fake)
    assert geocoder.reverse("37.0, 124.0") is None
    assert geocoder.reverse("37.0, 124.0", exactly_one=False) is None


def test_reverse_errors_map_like_geocode(fake):
    fake.scenario = "quota"
    raises(fake, lambda g: g.reverse("37.57415, 126.984942"), GeocoderQuotaExceeded)
    with pytest.raises(GeocoderQueryError):
        make(fake).reverse("not a point")


# --- the fake checks what VWorld checks -----------------------------------------------

@pytest.mark.parametrize(("params", "code"), [
    ({"request": "getcoord", "type": "ROAD", "address": "서울 종로구 인사동길 12"}, "PARAM_REQUIRED"),
    ({"request": "getcoord", "address": "서울 종로구 인사동길 12", "key": KEY}, "PARAM_REQUIRED"),
    ({"request": "getcoord", "type": "ROAD", "key": KEY}, "PARAM_REQUIRED"),
    ({"type": "ROAD", "address": "서울 종로구 인사동길 12", "key": KEY}, "PARAM_REQUIRED"),
    ({"request": "getcoord", "type": "STREET", "address": "서울 종로구 인사동길 12", "key": KEY}, "INVALID_RANGE"),
    ({"request": "getAddress", "point": "abc,def", "key": KEY}, "INVALID_TYPE"),
    ({"request": "getcoord", "type": "ROAD", "address": "서울 종로구 인사동길 12", "key": "nope"}, "INVALID_KEY"),
])
def test_fake_rejects_what_vworld_rejects(fake, params, code):
    session = requests.Session()
    session.trust_env = False
    body = session.get(fake.base_url + PATH, params=params, timeout=5).json()
    assert body["response"]["status"] == "ERROR"
    assert body["response"]["error"]["code"] == code


# --- secrets ----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["INVALID_KEY", "http_error", "malformed", "slow", "ratelimit"])
def test_key_never_reaches_logs_or_messages(fake, caplog, scenario):
    caplog.set_level(logging.DEBUG)
    fake.scenario = scenario
    with pytest.raises(GeocoderServiceError) as info:
        make(fake, timeout=0.2).geocode(ROAD_ADDRESS)
    assert KEY not in "".join(traceback.format_exception(info.value))
    assert PATH in caplog.text or scenario == "slow"  # urllib3 logged the request line ...
    assert KEY not in caplog.text  # ... with the key scrubbed


@pytest.mark.parametrize("key", [KEY, "vw+SeCrEt/9="])  # the second one is percent-encoded in URLs
def test_key_never_reaches_logs_when_the_host_is_down(caplog, key):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    geocoder = VWorldGeocoder(api_key=key, domain=f"127.0.0.1:{port}", scheme="http", proxies={}, timeout=0.5)
    with pytest.raises(GeocoderUnavailable) as info:
        geocoder.geocode(ROAD_ADDRESS)
    text = "".join(traceback.format_exception(info.value)) + caplog.text
    assert "/req/address" in text  # the URL is reported ...
    assert key not in text and quote_plus(key) not in text  # ... without the key in any spelling
