"""NaverGeocoder against a fake Naver Cloud Maps over a real loopback socket."""
from __future__ import annotations

import json
import logging
from typing import Any, Iterator

import pytest
import requests
from geopy.distance import geodesic
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

from navplugin.geocode.naver import NaverGeocoder
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.model import PRECISIONS
from tests.fakes.naver import GEOCODE_PATH, REVERSE_PATH, NaverFake

KEY_ID = "ncp-id-7f3a9c01"
KEY = "ncp-secret-Q2w9xZ"
TIMEOUT = 2.0
INSADONG = "서울특별시 종로구 인사동길 12 (관훈동)"
GWANHUN = (37.57415, 126.984942)  # (lat, lon): the offline point of 관훈동


@pytest.fixture(scope="module")
def server() -> Iterator[NaverFake]:
    # one server for the module: stopping one waits for its 0.5 s poll
    with NaverFake(key_id=KEY_ID, key=KEY) as started:
        yield started


@pytest.fixture
def fake(server: NaverFake) -> NaverFake:
    server.reset()
    return server


def make(fake: NaverFake, **kwargs: Any) -> NaverGeocoder:
    options = {"key_id": KEY_ID, "key": KEY, "scheme": "http", "domain": fake.domain,
               "proxies": {}, "timeout": TIMEOUT, **kwargs}
    return NaverGeocoder(**options)


@pytest.fixture
def geocoder(fake: NaverFake) -> NaverGeocoder:
    return make(fake)


def _raises(call, expected: type[Exception]) -> Exception:
    """The exception ``call`` raises, of exactly ``expected`` (geopy's classes nest)."""
    with pytest.raises(expected) as info:
        call()
    assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
    return info.value


# --- construction --------------------------------------------------------------


@pytest.mark.parametrize(("key_id", "key"), [("", KEY), (KEY_ID, ""), (None, KEY)])
def test_both_keys_are_required(key_id, key) -> None:
    with pytest.raises(ConfigurationError):
        NaverGeocoder(key_id=key_id, key=key)


def test_defaults_and_secrets() -> None:
    geocoder = NaverGeocoder(key_id=KEY_ID, key=KEY)
    assert (geocoder.provider, geocoder.scheme, geocoder.domain) == ("naver", "https", "maps.apigw.ntruss.com")
    assert set(geocoder.secrets()) == {KEY_ID, KEY}


# --- geocode -------------------------------------------------------------------


def test_road_address_is_a_building_match_and_the_request_is_naver_shaped(fake, geocoder) -> None:
    location = geocoder.geocode(INSADONG)

    district = OfflineGeocoder().geocode(INSADONG)
    assert 5 <= geodesic(location.point, district.point).meters <= 40
    assert location.raw["provider"] == "naver"
    assert location.raw["precision"] == "building"
    assert location.address == location.raw["matched"] == "서울특별시 종로구 인사동길 12"
    assert location.raw["road_address"] == "서울특별시 종로구 인사동길 12"
    assert location.raw["jibun_address"].startswith("서울특별시 종로구 관훈동 ")
    assert location.raw["bjd_code"] == "1111012800"
    hit = location.raw["response"]
    assert (float(hit["x"]), float(hit["y"])) == pytest.approx((location.longitude, location.latitude))
    assert isinstance(hit["x"], str)

    (request,) = fake.calls()
    assert request.path == GEOCODE_PATH
    assert request.query == {"query": INSADONG, "count": "1"}
    assert request.headers["x-ncp-apigw-api-key-id"] == KEY_ID
    assert request.headers["x-ncp-apigw-api-key"] == KEY
    assert request.headers["accept"] == "application/json"


def test_points_are_stable_per_address_and_distinct_within_a_district(geocoder) -> None:
    first = geocoder.geocode(INSADONG)
    again = geocoder.geocode(INSADONG)
    neighbour = geocoder.geocode("서울특별시 종로구 인사동길 30 (관훈동)")
    assert first.point == again.point
    assert geodesic(first.point, neighbour.point).meters > 0.5


def test_jibun_address_is_a_parcel_match(geocoder) -> None:
    location = geocoder.geocode("서울 종로구 관훈동 155-2")
    assert location.raw["precision"] == "parcel"
    assert location.address == "서울특별시 종로구 관훈동 155-2"
    assert location.raw["road_address"] is None
    assert location.raw["bjd_code"] == "1111012800"


@pytest.mark.parametrize(("query", "precision", "matched"), [
    ("부산 중구", "sigungu", "부산광역시 중구"),
    ("강원도", "sido", "강원특별자치도"),
    ("서울 종로구 관훈동", "emd", "서울특별시 종로구 관훈동"),
])
def test_region_only_hits_carry_the_region_level(geocoder, query, precision, matched) -> None:
    location = geocoder.geocode(query)
    assert (location.raw["precision"], location.address) == (precision, matched)
    assert location.raw["precision"] in PRECISIONS


def test_fixed_points_take_precedence(fake, geocoder) -> None:
    fake.fixed["경기도 성남시 분당구 불정로 6"] = (127.1054065, 37.3595669)
    location = geocoder.geocode("경기도 성남시 분당구 불정로 6")
    assert (location.longitude, location.latitude) == (127.1054065, 37.3595669)
    assert location.raw["precision"] == "building"


def test_fixed_point_for_an_address_no_district_names(fake, geocoder) -> None:
    fake.fixed["새마을로 12"] = (127.0, 37.5)
    location = geocoder.geocode("새마을로 12")
    assert (location.longitude, location.latitude, location.address) == (127.0, 37.5, "새마을로 12")
    assert location.raw["bjd_code"] is None
    assert geocoder.geocode("새마을로 13") is None  # not fixed, and no district to place it in


def test_exactly_one_false_returns_a_list_and_asks_for_more(fake, geocoder) -> None:
    locations = geocoder.geocode(INSADONG, exactly_one=False)
    assert isinstance(locations, list) and len(locations) == 1
    assert locations[0].raw["precision"] == "building"
    assert fake.calls()[-1].query["count"] == "10"


@pytest.mark.parametrize("scenario", ["ok", "empty"])
def test_no_result_is_none_never_an_empty_list(fake, geocoder, scenario) -> None:
    fake.scenario = scenario
    query = "아무데나 123" if scenario == "ok" else INSADONG
    assert geocoder.geocode(query) is None
    assert geocoder.geocode(query, exactly_one=False) is None


@pytest.mark.parametrize("http_status", [None, 200])
def test_invalid_request_is_a_query_error(fake, geocoder, http_status) -> None:
    fake.api_error_http_status = http_status  # the reference does not confirm the HTTP status
    error = _raises(lambda: geocoder.geocode("   "), GeocoderQueryError)
    assert "query is INVALID" in str(error)


@pytest.mark.parametrize("http_status", [None, 200])
def test_system_error_is_unavailable(fake, geocoder, http_status) -> None:
    fake.scenario, fake.api_error_http_status = "system_error", http_status
    _raises(lambda: geocoder.geocode(INSADONG), GeocoderUnavailable)


GATEWAY = [
    ("bad_request", GeocoderQueryError),
    ("permission", GeocoderAuthenticationFailure),
    ("not_found", GeocoderServiceError),
    ("quota", GeocoderQuotaExceeded),
    ("not_enabled", GeocoderQuotaExceeded),
    ("not_enabled_numeric", GeocoderQuotaExceeded),
    ("throttle", GeocoderRateLimited),
    ("ratelimit", GeocoderRateLimited),
    ("too_large", GeocoderQueryError),
    ("endpoint_error", GeocoderUnavailable),
    ("outage", GeocoderUnavailable),
    ("endpoint_timeout", GeocoderUnavailable),
    ("unexpected", GeocoderUnavailable),
]


@pytest.mark.parametrize(("scenario", "expected"), GATEWAY, ids=[g[0] for g in GATEWAY])
@pytest.mark.parametrize("method", ["geocode", "reverse"])
def test_gateway_errors_map_on_the_error_code(fake, geocoder, scenario, expected, method) -> None:
    fake.scenario = scenario
    call = (lambda: geocoder.geocode(INSADONG)) if method == "geocode" else (lambda: geocoder.reverse(GWANHUN))
    _raises(call, expected)


def test_quota_and_not_enabled_are_not_rate_limits(fake, geocoder) -> None:
    """A 429 "Quota Exceeded" is also Naver's answer for an API not enabled: never transient."""
    for scenario in ("quota", "not_enabled", "not_enabled_numeric"):
        fake.scenario = scenario
        error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderQuotaExceeded)
        assert not isinstance(error, GeocoderRateLimited)
        assert error.__cause__.status_code == 429


def test_throttle_takes_retry_after_from_the_header(fake, geocoder) -> None:
    fake.scenario = "throttle"
    error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderRateLimited)
    assert error.retry_after == 2


def test_rate_limit_without_retry_after_gets_a_default(fake, geocoder) -> None:
    fake.scenario = "ratelimit"
    error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderRateLimited)
    assert error.retry_after == NaverGeocoder.default_retry_after == 1.0


def test_numeric_error_code_is_understood(fake, geocoder) -> None:
    fake.scenario = "unexpected"
    error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderUnavailable)
    assert json.loads(error.__cause__.text)["error"]["errorCode"] == 900
    assert "errorCode 900" in str(error)


def test_wrong_key_is_an_authentication_failure(fake) -> None:
    geocoder = make(fake, key="not-the-key")
    error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderAuthenticationFailure)
    assert "Invalid authentication information." in str(error)


def test_fake_rejects_missing_headers_like_the_gateway(fake) -> None:
    response = requests.get(f"{fake.base_url}{GEOCODE_PATH}", params={"query": INSADONG},
                            headers={"X-NCP-APIGW-API-KEY-ID": KEY_ID}, timeout=TIMEOUT,
                            proxies={"http": "", "https": ""})
    assert response.status_code == 401
    assert response.json() == {"error": {"errorCode": "200", "message": "Authentication Failed",
                                         "details": "Authentication information are missing."}}


def test_wrong_base_url_is_a_service_error(fake) -> None:
    geocoder = make(fake, domain=f"{fake.domain}/naveropenapi")
    error = _raises(lambda: geocoder.geocode(INSADONG), GeocoderServiceError)
    assert "errorCode 300" in str(error)


@pytest.mark.parametrize("scenario", ["malformed", "malformed_html", "malformed_shape"])
@pytest.mark.parametrize("method", ["geocode", "reverse"])
def test_malformed_bodies_are_parse_errors(fake, geocoder, scenario, method) -> None:
    fake.scenario = scenario
    call = (lambda: geocoder.geocode(INSADONG)) if method == "geocode" else (lambda: geocoder.reverse(GWANHUN))
    _raises(call, GeocoderParseError)


def test_slow_answer_times_out(fake) -> None:
    geocoder = make(fake, timeout=0.2)
    fake.scenario, fake.slow_delay = "slow", 0.8
    _raises(lambda: geocoder.geocode(INSADONG), GeocoderTimedOut)
    assert len(fake.calls()) == 1  # one attempt: an answered GET is never silently re-sent


def test_flaky_is_seeded_and_fails_only_transiently(fake, geocoder) -> None:
    def outcomes(seed: int) -> list[str]:
        fake.reset(seed=seed)
        fake.scenario = "flaky"
        seen = []
        for _ in range(30):
            try:
                seen.append("ok" if geocoder.geocode(INSADONG) is not None else "none")
            except (GeocoderRateLimited, GeocoderUnavailable) as error:
                seen.append(type(error).__name__)
        return seen

    first = outcomes(7)
    assert first == outcomes(7)
    assert first != outcomes(8)
    assert set(first) == {"ok", "GeocoderRateLimited", "GeocoderUnavailable"}
    assert 0.1 < first.count("ok") / len(first) < 0.95


# --- reverse -------------------------------------------------------------------


def test_reverse_gives_the_road_address_first(fake, geocoder) -> None:
    location = geocoder.reverse(GWANHUN)
    assert location.raw["precision"] == "building"
    assert location.raw["provider"] == "naver"
    assert location.address == location.raw["matched"]
    assert location.address.startswith("서울특별시 종로구 관훈로")
    assert "관훈동" not in location.address  # a 동 is no part of a road address
    assert location.raw["jibun_address"].startswith("서울특별시 종로구 관훈동 ")
    assert location.raw["bjd_code"] == "1111012800"
    assert (location.latitude, location.longitude) == pytest.approx(GWANHUN)

    (request,) = fake.calls()
    assert request.path == REVERSE_PATH
    assert request.query == {"coords": "126.984942,37.57415", "output": "json", "orders": "roadaddr,addr"}
    assert request.headers["x-ncp-apigw-api-key"] == KEY


def test_reverse_many_gives_road_then_parcel(geocoder) -> None:
    road, parcel = geocoder.reverse("37.57415, 126.984942", exactly_one=False)
    assert (road.raw["precision"], parcel.raw["precision"]) == ("building", "parcel")
    assert parcel.address == road.raw["jibun_address"]
    assert parcel.raw["road_address"] == road.address


def test_reverse_in_sejong_has_no_sigungu_and_no_dong_in_the_road_address(geocoder) -> None:
    road, parcel = geocoder.reverse((36.478246, 127.290946), exactly_one=False)
    assert road.address.startswith("세종특별자치시 보람로") and "보람동" not in road.address
    assert parcel.address.startswith("세종특별자치시 보람동 ")
    assert road.raw["bjd_code"] == "3611010300"


@pytest.mark.parametrize(("scenario", "point"), [("empty", GWANHUN), ("ok", (36.0, 124.0))])
def test_reverse_without_results_is_none(fake, geocoder, scenario, point) -> None:
    fake.scenario = scenario
    assert geocoder.reverse(point) is None
    assert geocoder.reverse(point, exactly_one=False) is None


def test_reverse_status_errors(fake, geocoder) -> None:
    fake.scenario = "invalid_request"
    _raises(lambda: geocoder.reverse(GWANHUN), GeocoderQueryError)
    fake.scenario = "system_error"
    _raises(lambda: geocoder.reverse(GWANHUN), GeocoderUnavailable)


def test_reverse_rejects_a_non_point_before_any_request(fake, geocoder) -> None:
    with pytest.raises(GeocoderQueryError):
        geocoder.reverse("not a point")
    assert fake.calls() == []


def test_reverse_answers_xml_unless_output_json(fake) -> None:
    """Naver's default output is XML: a client that forgets output=json cannot parse the answer."""

    class Forgetful(NaverGeocoder):
        def _reverse_params(self, coords: str) -> dict[str, str]:
            return {"coords": coords, "orders": "roadaddr,addr"}

    geocoder = Forgetful(key_id=KEY_ID, key=KEY, scheme="http", domain=fake.domain, proxies={}, timeout=TIMEOUT)
    _raises(lambda: geocoder.reverse(GWANHUN), GeocoderParseError)
    assert "output" not in fake.calls()[-1].query


# --- secrets -------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["wrong_key", "permission", "quota", "throttle", "unexpected",
                                      "malformed", "slow", "invalid_request"])
def test_keys_never_reach_messages_or_logs(fake, caplog, scenario) -> None:
    geocoder = make(fake, key="wrong-" + KEY if scenario == "wrong_key" else KEY, timeout=0.2)
    fake.scenario, fake.slow_delay = ("ok" if scenario == "wrong_key" else scenario), 0.5
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GeocoderServiceError) as info:
        geocoder.geocode(INSADONG if scenario != "invalid_request" else "")
    texts = [str(info.value), repr(info.value), caplog.text]
    cause = info.value.__cause__
    if cause is not None:
        texts.append(str(cause) + str(getattr(cause, "text", "")))
    for text in texts:
        assert KEY_ID not in text and KEY not in text


# --- in the chain ----------------------------------------------------------------
# The chain is imported inside these tests: it is another module's business
# and must not keep the provider's own tests from being collected.


def _chain(geocoder: NaverGeocoder, sleeps: list[float]):
    from navplugin.geocode.chain import GeocoderChain, Provider

    return GeocoderChain([Provider("naver", geocoder), Provider("offline", OfflineGeocoder(), cacheable=False)],
                         retries=2, backoff=0.01, sleep=sleeps.append)


def test_chain_uses_naver_when_it_answers(fake, geocoder) -> None:
    result = _chain(geocoder, []).geocode(INSADONG)
    assert (result.provider, result.precision) == ("naver", "building")


@pytest.mark.parametrize("scenario", ["not_enabled", "quota", "permission"])
def test_chain_never_retries_a_spent_or_disabled_naver(fake, geocoder, scenario) -> None:
    """429 "Quota Exceeded" (also Naver's answer for an API not enabled) is not transient:
    one call, no sleep, naver skipped for the rest of the job, the row falls back."""
    sleeps: list[float] = []
    job = _chain(geocoder, sleeps).start_job()
    fake.scenario = scenario
    first = job.geocode(INSADONG, "서울 종로구 관훈동 155-2")
    second = job.geocode("부산 중구 중앙대로 1")
    assert (first.result.provider, first.result.precision) == ("offline", "emd")
    assert second.result.provider == "offline"
    assert "naver" in job.refused
    assert len(fake.calls(GEOCODE_PATH)) == 1
    assert sleeps == []


def test_chain_retries_a_throttle_after_retry_after(fake, geocoder) -> None:
    sleeps: list[float] = []
    job = _chain(geocoder, sleeps).start_job()
    fake.scenario = "throttle"
    outcome = job.geocode(INSADONG)
    assert outcome.result.provider == "offline"
    assert sleeps == [2.0, 2.0]  # Retry-After: 2 outweighs the tiny backoff
    assert len(fake.calls(GEOCODE_PATH)) == 3
    assert "naver" not in job.refused
    fake.scenario = "ok"
    assert job.geocode(INSADONG).result.provider == "naver"
