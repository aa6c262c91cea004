"""KakaoGeocoder against the Kakao fake over a real socket: requests, parsing, fallback, errors, secrecy."""
from __future__ import annotations

import logging
import math

import pytest
import requests
from geopy.adapters import BaseAsyncAdapter
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
from geopy.point import Point as GeoPoint

from navplugin.geocode.kakao import (
    ADDRESS_PATH,
    COORD2ADDRESS_PATH,
    KEYWORD_PATH,
    KakaoGeocoder,
    _address_precision,
)
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.model import PRECISIONS
from tests.fakes.kakao import KakaoFake

KEY = "kakao-rest-key-5f3e9a1c77d04b2e"
ROAD = "서울특별시 종로구 인사동길 12 (관훈동)"
PARCEL = "전북 익산시 부송동 100"


@pytest.fixture(scope="module")
def server():
    with KakaoFake(KEY) as running:  # one server: stopping one costs half a second
        yield running


@pytest.fixture()
def fake(server):
    server.reset()
    return server


def make(fake: KakaoFake, key: str = KEY, **kwargs) -> KakaoGeocoder:
    kwargs.setdefault("timeout", 3)
    return KakaoGeocoder(api_key=key, scheme="http", domain=fake.domain, proxies={}, **kwargs)


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


# --- success -------------------------------------------------------------------------------

def test_road_address_hit_is_building_precision_and_sends_what_kakao_expects(fake):
    fake.fixed[ROAD] = (126.98512, 37.57413)  # (lon, lat): the geocoder must not swap x/y
    location = make(fake).geocode(ROAD)
    assert (location.latitude, location.longitude) == (37.57413, 126.98512)
    assert location.address == "서울 종로구 인사동길 12"
    raw = location.raw
    assert raw["provider"] == "kakao" and raw["precision"] == "building"
    assert raw["matched"] == "서울 종로구 인사동길 12" == raw["road_address"]
    assert raw["jibun_address"].startswith("서울 종로구 관훈동 ")
    assert raw["bjd_code"] == "1111012800"
    assert raw["response"]["address_type"] == "ROAD_ADDR"
    [call] = fake.calls()  # found by address search: no keyword call
    assert call.path == ADDRESS_PATH
    assert call.query == {"query": ROAD, "size": "1"}
    assert call.headers["authorization"] == f"KakaoAK {KEY}"


def test_parcel_hit_is_parcel_precision_near_the_district_point(fake):
    location = make(fake).geocode(PARCEL)
    raw = location.raw
    assert raw["precision"] == "parcel" and raw["address_type"] == "REGION_ADDR"
    assert location.address == raw["matched"] == raw["jibun_address"] == "전북특별자치도 익산시 부송동 100"
    assert raw["road_address"] is None and raw["bjd_code"] == "5214013400"
    district = OfflineGeocoder().geocode(PARCEL)
    assert 5 <= metres(district.latitude, district.longitude, location.latitude, location.longitude) <= 40


@pytest.mark.parametrize(("query", "precision", "matched"), [
    ("경기도", "sido", "경기"),
    ("부산 해운대구", "sigungu", "부산 해운대구"),
    ("세종 조치원읍", "emd", "세종특별자치시 조치원읍"),
    ("서울 중구 세종대로", "sigungu", "서울 중구 세종대로"),  # a road name without a number is no building
])
def test_region_and_road_name_hits_carry_their_region_level(fake, query, precision, matched):
    location = make(fake).geocode(query)
    assert location.raw["precision"] == precision
    assert location.address == matched


@pytest.mark.parametrize(("document", "precision"), [
    ({"address_type": "REGION_ADDR", "address": {"main_address_no": "100"},
      "road_address": {"main_building_no": "11"}}, "parcel"),  # the document's point is the parcel's
    ({"address_type": "ROAD", "road_address": {"main_building_no": "3", "region_2depth_name": "중구"}},
     "building"),
    ({"address_type": "REGION", "address": {"region_1depth_name": "서울", "region_2depth_name": "중구",
                                            "region_3depth_name": ""}}, "sigungu"),
    ({"address_type": "REGION", "address_name": "서울 중구 명동", "address": None}, "emd"),
    ({"road_address": {"main_building_no": "7"}}, "building"),  # no address_type: judged by content
    ({"address": {"main_address_no": "7"}, "road_address": None}, "parcel"),
])
def test_precision_rules(document, precision):
    assert _address_precision(document) == precision and precision in PRECISIONS


def test_fake_points_are_stable_distinct_and_5_to_40_m_from_the_district(fake):
    geocoder = make(fake)
    queries = [f"서울 종로구 관훈동 {n}" for n in (1, 2, 3, 118)]
    district = OfflineGeocoder().geocode(queries[0])
    points = [geocoder.geocode(q).point for q in queries]
    assert len({(p.latitude, p.longitude) for p in points}) == len(queries)
    for point in points:
        assert 5 <= metres(district.latitude, district.longitude, point.latitude, point.longitude) <= 40
    again = geocoder.geocode(queries[0])
    assert (again.latitude, again.longitude) == (points[0].latitude, points[0].longitude)


def test_exactly_one_false_returns_a_list_and_asks_for_more(fake):
    result = make(fake).geocode(PARCEL, exactly_one=False)
    assert isinstance(result, list) and [r.raw["precision"] for r in result] == ["parcel"]
    assert fake.calls()[0].query["size"] == "10"


def test_structured_query_is_joined(fake):
    location = make(fake).geocode({"city": "전북 익산시", "street": "부송동 100"})
    assert location.raw["matched"] == "전북특별자치도 익산시 부송동 100"


# --- no result and the keyword fallback ----------------------------------------------------

def test_no_result_anywhere_is_none_after_trying_keyword_search(fake):
    fake.scenario = "empty"
    geocoder = make(fake)
    assert geocoder.geocode(PARCEL) is None
    assert geocoder.geocode(PARCEL, exactly_one=False) is None
    paths = [(c.path, c.query["size"]) for c in fake.calls()]
    assert paths == [(ADDRESS_PATH, "1"), (KEYWORD_PATH, "1"), (ADDRESS_PATH, "10"), (KEYWORD_PATH, "15")]


def test_an_address_naming_no_district_is_none(fake):
    assert make(fake).geocode("어딘가 알수없는 곳") is None


def test_keyword_fallback_finds_a_named_place(fake):
    fake.scenario = "keyword_only"
    query = "서울 종로구 인사동 백년식당"
    fake.fixed[query] = (126.9859, 37.5724)
    location = make(fake).geocode(query)
    assert (location.latitude, location.longitude) == (37.5724, 126.9859)
    raw = location.raw
    assert raw["precision"] == "place" and raw["source"] == "keyword"
    assert raw["place_name"] == "백년식당"
    assert raw["matched"] == location.address == raw["road_address"]
    assert raw["road_address"].startswith("서울 종로구 ") and raw["jibun_address"].startswith("서울 종로구 인사동 ")
    assert [c.path for c in fake.calls()] == [ADDRESS_PATH, KEYWORD_PATH]
    assert fake.calls()[1].query == {"query": query, "size": "1"}
    assert fake.calls()[1].headers["authorization"] == f"KakaoAK {KEY}"


def test_keyword_fallback_list_stays_within_kakaos_size_limit(fake):
    fake.scenario = "keyword_only"
    result = make(fake).geocode("서울 종로구 인사동 백년식당", exactly_one=False)
    assert [r.raw["precision"] for r in result] == ["place"]
    assert int(fake.calls(KEYWORD_PATH)[0].query["size"]) <= 15


def test_an_error_in_the_address_search_is_not_hidden_by_the_fallback(fake):
    fake.scenario = "quota"
    with pytest.raises(GeocoderQuotaExceeded):
        make(fake).geocode(PARCEL)
    assert [c.path for c in fake.calls()] == [ADDRESS_PATH]


def test_empty_query_is_refused_without_spending_quota(fake):
    with pytest.raises(GeocoderQueryError):
        make(fake).geocode("   ")
    assert fake.calls() == []


# --- errors ----------------------------------------------------------------------------------

ERRORS = [
    ("quota", GeocoderQuotaExceeded),  # 400 {"code":-10}: geopy alone would say QueryError
    ("throttled", GeocoderQuotaExceeded),  # 429 RequestThrottled "API limit has been exceeded."
    ("conflict", GeocoderQuotaExceeded),  # 409, the unconfirmed variant
    ("code-11", GeocoderQuotaExceeded),
    ("badkey", GeocoderAuthenticationFailure),  # 401 {"code":-401}
    ("ipmismatch", GeocoderAuthenticationFailure),
    ("kaheader", GeocoderAuthenticationFailure),
    ("forbidden", GeocoderAuthenticationFailure),  # 403 cannot access API
    ("code-3", GeocoderAuthenticationFailure),
    ("code-4", GeocoderAuthenticationFailure),
    ("code-5", GeocoderAuthenticationFailure),
    ("code-8", GeocoderAuthenticationFailure),
    ("code-12", GeocoderAuthenticationFailure),
    ("maintenance", GeocoderUnavailable),  # 400 {"code":-7}
    ("outage", GeocoderUnavailable),  # 503 {"code":-9798}: geopy alone would say TimedOut
    ("internal", GeocoderUnavailable),  # 400 {"code":-1}, retryable
    ("gateway", GeocoderUnavailable),  # 502 HTML
    ("badparam", GeocoderQueryError),  # 400 {"code":-2}
    ("missing", GeocoderQueryError),  # 400 MissingParameter
    ("code-9", GeocoderServiceError),  # API retired: permanent, not Unavailable
    ("malformed", GeocoderParseError),
    ("truncated", GeocoderParseError),
    ("badshape", GeocoderParseError),
    ("badpoint", GeocoderParseError),
]


@pytest.mark.parametrize(("scenario", "exc_class"), ERRORS, ids=[s for s, _ in ERRORS])
def test_each_kakao_error_maps_to_its_geopy_exception(fake, scenario, exc_class):
    fake.scenario = scenario
    with pytest.raises(GeocoderServiceError) as info:
        make(fake).geocode(PARCEL)
    assert type(info.value) is exc_class
    assert KEY not in str(info.value)


@pytest.mark.parametrize("scenario", ["quota", "throttled", "conflict"])
def test_quota_is_not_a_transient_rate_limit(fake, scenario):
    """Kakao's daily limit resets at midnight: it must not look retryable (RateLimited subclasses Quota)."""
    fake.scenario = scenario
    with pytest.raises(GeocoderQuotaExceeded) as info:
        make(fake).geocode(PARCEL)
    assert not isinstance(info.value, GeocoderRateLimited)
    assert "quota" in str(info.value) and "00:00 KST" in str(info.value)


def test_rate_limit_without_retry_after_waits_one_second(fake):
    fake.scenario = "ratelimit"
    with pytest.raises(GeocoderRateLimited) as info:
        make(fake).geocode(PARCEL)
    assert type(info.value) is GeocoderRateLimited and info.value.retry_after == 1


def test_rate_limit_honours_retry_after(fake):
    fake.scenario, fake.retry_after = "ratelimit", "7"
    with pytest.raises(GeocoderRateLimited) as info:
        make(fake).geocode(PARCEL)
    assert type(info.value) is GeocoderRateLimited and info.value.retry_after == 7


def test_slow_answer_times_out(fake):
    fake.scenario = "slow"
    with pytest.raises(GeocoderTimedOut):
        make(fake, timeout=0.2).geocode(PARCEL)
    assert len(fake.calls()) == 1  # one attempt: an answered GET is never silently re-sent


def test_error_body_inside_a_200_is_still_an_error(fake):
    geocoder = make(fake)
    with pytest.raises(GeocoderQuotaExceeded):
        geocoder._locations({"code": -10, "msg": "API limit has been exceeded."}, geocoder._address_location)
    with pytest.raises(GeocoderParseError):
        geocoder._locations(["not", "an", "envelope"], geocoder._address_location)


@pytest.mark.parametrize("scenario", ["ok", "badkey", "quota", "malformed", "outage"])
def test_keys_stay_out_of_errors_and_logs(fake, caplog, scenario):
    """A wrong key makes the fake echo it in its error body, as Kakao's "wrong appKey(...)" does."""
    caplog.set_level(logging.DEBUG)
    fake.scenario = scenario
    wrong = "wrong-kakao-key-0c1d2e3f4a5b"
    with pytest.raises(GeocoderServiceError) as info:
        make(fake, key=wrong if scenario == "ok" else KEY).geocode(PARCEL)
    secret = wrong if scenario == "ok" else KEY
    if scenario == "ok":
        assert type(info.value) is GeocoderAuthenticationFailure
        assert secret in fake.calls()[0].headers["authorization"]  # the trap was armed
    assert secret not in str(info.value)
    cause = info.value.__cause__
    assert cause is None or secret not in f"{cause} {getattr(cause, 'text', '')}"
    assert caplog.records and secret not in caplog.text


def test_flaky_is_seeded_and_only_transient(fake):
    fake.scenario, fake.seed = "flaky", 42
    geocoder = make(fake)

    def outcomes() -> list[str]:
        result = []
        for _ in range(30):
            try:
                result.append(geocoder.geocode(PARCEL).raw["precision"])
            except (GeocoderUnavailable, GeocoderRateLimited) as exc:
                assert type(exc) in (GeocoderUnavailable, GeocoderRateLimited)
                result.append(type(exc).__name__)
        return result

    first = outcomes()
    assert "parcel" in first and len(set(first)) >= 2
    fake.seed = 42  # setting the seed replays the sequence
    assert outcomes() == first


# --- reverse -------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["37.5759, 126.985", (37.5759, 126.985), GeoPoint(37.5759, 126.985)])
def test_reverse_keeps_the_query_point_and_sends_lon_as_x(fake, query):
    location = make(fake).reverse(query)
    assert (location.latitude, location.longitude) == (37.5759, 126.985)
    raw = location.raw
    assert raw["provider"] == "kakao" and raw["precision"] == "building"
    assert location.address == raw["matched"] == raw["road_address"]
    assert raw["road_address"].startswith("서울 종로구 ") and raw["jibun_address"].startswith("서울 종로구 경운동 ")
    [call] = fake.calls()
    assert call.path == COORD2ADDRESS_PATH
    assert (call.query["x"], call.query["y"]) == ("126.985", "37.5759")
    assert call.headers["authorization"] == f"KakaoAK {KEY}"


def test_reverse_without_road_address_is_a_parcel(fake):
    fake.reverse_road_address = False
    location = make(fake).reverse("37.5759, 126.985")
    assert location.raw["precision"] == "parcel" and location.raw["road_address"] is None
    assert location.address == location.raw["jibun_address"]


def test_reverse_empty(fake):
    geocoder = make(fake)
    assert geocoder.reverse("20.0, 150.0") is None  # open sea: Kakao answers no documents
    fake.scenario = "empty"
    assert geocoder.reverse("37.5759, 126.985", exactly_one=False) is None


def test_reverse_errors_map_like_geocode(fake):
    fake.scenario = "quota"
    with pytest.raises(GeocoderQuotaExceeded):
        make(fake).reverse("37.5759, 126.985")
    with pytest.raises(GeocoderQueryError):
        make(fake).reverse("not a point")


# --- construction ------------------------------------------------------------

def test_constructor_requires_a_key_and_accepts_a_pasted_header():
    with pytest.raises(ConfigurationError):
        KakaoGeocoder(api_key="  ")
    geocoder = KakaoGeocoder(api_key=f"KakaoAK {KEY}")
    assert geocoder.secrets() == (KEY,)
    assert geocoder._url(ADDRESS_PATH) == "https://dapi.kakao.com/v2/local/search/address.json"
    assert (KakaoGeocoder.provider, KakaoGeocoder.default_domain) == ("kakao", "dapi.kakao.com")


def test_async_adapters_are_refused():
    class Async(BaseAsyncAdapter):
        async def get_json(self, url, *, timeout, headers): ...
        async def get_text(self, url, *, timeout, headers): ...

    with pytest.raises(ConfigurationError):
        KakaoGeocoder(api_key=KEY, adapter_factory=Async)


# --- the fake enforces Kakao's rules ---------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "auth", "status", "error_type"), [
    (ADDRESS_PATH, {"query": "서울"}, None, 401, "AccessDeniedError"),
    (ADDRESS_PATH, {"query": "서울"}, KEY, 401, "AccessDeniedError"),  # no "KakaoAK " prefix
    (ADDRESS_PATH, {"query": "서울"}, "KakaoAK other", 401, "AccessDeniedError"),
    (ADDRESS_PATH, {"size": "1"}, f"KakaoAK {KEY}", 400, "MissingParameter"),
    (ADDRESS_PATH, {"query": "서울", "size": "31"}, f"KakaoAK {KEY}", 400, "InvalidArgument"),
    (KEYWORD_PATH, {"query": "서울", "size": "16"}, f"KakaoAK {KEY}", 400, "InvalidArgument"),
    (KEYWORD_PATH, {"query": "서울", "page": "46"}, f"KakaoAK {KEY}", 400, "InvalidArgument"),
    (KEYWORD_PATH, {"query": "서울", "sort": "distance"}, f"KakaoAK {KEY}", 400, "InvalidArgument"),
    (COORD2ADDRESS_PATH, {"x": "126.9"}, f"KakaoAK {KEY}", 400, "MissingParameter"),
])
def test_fake_enforces_auth_and_parameters(fake, path, params, auth, status, error_type):
    headers = {"Authorization": auth} if auth else {}
    response = requests.get(fake.base_url + path, params=params, headers=headers, timeout=3,
                            proxies={"http": "", "https": ""})
    assert response.status_code == status
    assert response.json()["errorType"] == error_type


def test_fake_documents_carry_coordinates_as_strings(fake):
    response = requests.get(fake.base_url + ADDRESS_PATH, params={"query": PARCEL},
                            headers={"Authorization": f"KakaoAK {KEY}"}, timeout=3,
                            proxies={"http": "", "https": ""})
    body = response.json()
    assert body["meta"] == {"total_count": 1, "pageable_count": 1, "is_end": True}
    document = body["documents"][0]
    assert isinstance(document["x"], str) and isinstance(document["address"]["y"], str)
    assert 126 < float(document["x"]) < 128 and 35 < float(document["y"]) < 37
