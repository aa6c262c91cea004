"""The juso geocoder against a fake juso.go.kr over a real socket: two calls, UTM-K entrances, codes."""
from __future__ import annotations

import logging
import socket
from urllib.parse import quote, quote_plus

import pytest
from geopy.adapters import BaseAsyncAdapter
from geopy.distance import geodesic
from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)
from pyproj import Proj

from navplugin.geocode.juso import COORD_PATH, MAX_RESOLVED, SEARCH_PATH, JusoGeocoder, utmk_to_lonlat
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.geocode.parse import parse_address
from tests.fakes.juso import JusoFake
from tests.fakes.server import FakeResponse

INSADONG = "서울특별시 종로구 인사동길 12 (관훈동)"
CITY_HALL = "서울특별시 중구 세종대로 110"
# juso's coordinate API answer for 서울특별시 중구 세종대로 110 (reference §4.2)
CITY_HALL_UTMK = (953875.0441724667, 1951999.4987320001)
# 서울특별시청, published WGS84 position (lon, lat)
CITY_HALL_WGS84 = (126.9779, 37.5663)


class Canned(JusoFake):
    """The fake, able to answer one API with a fixed body (shapes the real fake never sends)."""

    canned: tuple[str, object] | None = None

    def answer(self, request):
        if self.canned is not None and request.path == self.canned[0]:
            return FakeResponse(body=self.canned[1])
        return super().answer(request)


@pytest.fixture(scope="module")
def server():
    # one server for the module: stopping one waits out serve_forever's 0.5 s poll
    with Canned() as upstream:
        yield upstream


@pytest.fixture
def fake(server):
    server.scenario, server.canned, server.latency, server.slow_delay = "ok", None, 0.0, 1.0
    server.fixed.clear()
    server.without_entrance.clear()
    server.failure_rate = 0.3
    server.reseed(0)
    with server._lock:
        server.requests.clear()
    return server


def make(fake: JusoFake, **kwargs) -> JusoGeocoder:
    options = {"search_key": fake.search_key, "coord_key": fake.coord_key, "scheme": "http",
               "domain": fake.domain, "proxies": {}, "timeout": 2.0, **kwargs}
    return JusoGeocoder(**options)


@pytest.fixture
def juso(fake) -> JusoGeocoder:
    return make(fake)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance between two (lon, lat) points."""
    return geodesic((a[1], a[0]), (b[1], b[0])).meters


# -- UTM-K conversion ---------------------------------------------------------------------

def test_reference_entrance_of_seoul_city_hall_converts_to_wgs84():
    lon, lat = utmk_to_lonlat(*CITY_HALL_UTMK)
    # independent: EPSG:5179 written out as a PROJ string, inverted with Proj
    utmk = Proj("+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 "
                "+ellps=GRS80 +units=m +no_defs")
    expected = utmk(*CITY_HALL_UTMK, inverse=True)
    assert metres((lon, lat), expected) < 0.01
    assert (lon, lat) == pytest.approx((126.9777, 37.5662), abs=1e-4)
    assert metres((lon, lat), CITY_HALL_WGS84) < 50


def test_fake_serves_a_fixed_entrance_in_utm_k_and_it_round_trips(fake, juso):
    fake.fixed[CITY_HALL] = (126.97770627907849, 37.56620502187808)
    location = juso.geocode(CITY_HALL)
    coordinate = location.raw["response"]["coordinate"]
    assert float(coordinate["entX"]) == pytest.approx(CITY_HALL_UTMK[0], abs=0.01)
    assert float(coordinate["entY"]) == pytest.approx(CITY_HALL_UTMK[1], abs=0.01)
    assert (location.longitude, location.latitude) == pytest.approx(fake.fixed[CITY_HALL], abs=1e-8)


# -- success ------------------------------------------------------------------------------

def test_geocode_returns_the_building_entrance(fake, juso):
    location = juso.geocode(INSADONG)

    search, coord = fake.calls(SEARCH_PATH), fake.calls(COORD_PATH)
    assert len(search) == 1 and len(coord) == 1
    assert search[0].query == {"confmKey": fake.search_key, "keyword": INSADONG, "resultType": "json",
                               "currentPage": "1", "countPerPage": "10"}
    hit = location.raw["response"]["search"]
    assert coord[0].query == {"confmKey": fake.coord_key, "admCd": hit["admCd"], "rnMgtSn": hit["rnMgtSn"],
                              "udrtYn": hit["udrtYn"], "buldMnnm": "12", "buldSlno": "0", "resultType": "json"}

    assert location.address == "서울특별시 종로구 인사동길 12 (관훈동)"
    raw = location.raw
    assert raw["provider"] == "juso" and raw["precision"] == "entrance"
    assert raw["matched"] == raw["road_address"] == hit["roadAddr"]
    assert raw["jibun_address"].startswith("서울특별시 종로구 관훈동 ")
    assert raw["bjd_code"] == parse_address(INSADONG).code.ljust(10, "0") == "1111012800"
    assert len(raw["building_id"]) == 25 and raw["building_id"].isdigit()
    assert raw["entrance"] == {"lon": location.longitude, "lat": location.latitude}
    # the fake put the entrance 5-40 m from the district point: the UTM-K round trip holds
    district = OfflineGeocoder().geocode(INSADONG)
    assert 4.9 < metres((location.longitude, location.latitude), (district.longitude, district.latitude)) < 40.1


def test_points_are_stable_and_differ_between_buildings(fake, juso):
    first = juso.geocode(INSADONG)
    again = juso.geocode(INSADONG)
    neighbour = juso.geocode("서울특별시 종로구 인사동길 30 (관훈동)")
    assert (first.latitude, first.longitude) == (again.latitude, again.longitude)
    assert metres((first.longitude, first.latitude), (neighbour.longitude, neighbour.latitude)) > 0.5
    assert first.raw["building_id"] != neighbour.raw["building_id"]


def test_refused_characters_are_dropped_from_the_keyword(fake, juso):
    location = juso.geocode("서울특별시 종로구 인사동길 12 [관훈동]")
    assert fake.calls(SEARCH_PATH)[0].query["keyword"] == "서울특별시 종로구 인사동길 12 관훈동"
    assert location is not None and location.raw["bjd_code"].startswith("11110")  # 종로구


def test_exactly_one_false_resolves_at_most_five_hits(fake, juso):
    locations = juso.geocode("서울특별시 종로구 인사동길 (관훈동)", exactly_one=False)
    assert isinstance(locations, list) and len(locations) == MAX_RESOLVED
    assert len(fake.calls(COORD_PATH)) == MAX_RESOLVED  # the fake listed 7 buildings
    assert all(location.raw["precision"] == "entrance" for location in locations)
    assert len({(location.latitude, location.longitude) for location in locations}) == MAX_RESOLVED
    assert [location.raw["response"]["search"]["buldMnnm"] for location in locations] == ["1", "3", "5", "7", "9"]


def test_hits_without_an_entrance_are_left_out(fake, juso):
    fake.without_entrance.add("서울특별시 종로구 인사동길 3")
    locations = juso.geocode("서울특별시 종로구 인사동길 (관훈동)", exactly_one=False)
    assert [location.raw["response"]["search"]["buldMnnm"] for location in locations] == ["1", "5", "7", "9"]


# -- no answer ----------------------------------------------------------------------------

@pytest.mark.parametrize("exactly_one", [True, False])
def test_unknown_address_is_none_without_a_coordinate_call(fake, juso, exactly_one):
    assert juso.geocode("아무데나 우주정거장 12", exactly_one=exactly_one) is None
    assert len(fake.calls(SEARCH_PATH)) == 1 and fake.calls(COORD_PATH) == []


@pytest.mark.parametrize("exactly_one", [True, False])
def test_empty_scenario_is_none(fake, juso, exactly_one):
    fake.scenario = "empty"
    assert juso.geocode(INSADONG, exactly_one=exactly_one) is None


@pytest.mark.parametrize("exactly_one", [True, False])
def test_address_found_but_no_entrance_point_is_none(fake, juso, exactly_one):
    fake.scenario = "no_entrance"
    assert juso.geocode(INSADONG, exactly_one=exactly_one) is None
    assert len(fake.calls(COORD_PATH)) == 1


@pytest.mark.parametrize("query, code", [("서울특별시", "E0006"), ("서울특별시 종로구", "E0015")])
def test_too_vague_keywords_are_no_answer(fake, juso, query, code):
    assert juso.geocode(query) is None
    assert fake.calls(COORD_PATH) == []


@pytest.mark.parametrize("query, code", [("가", "E0008"), ("서울 종로구 12345678901", "E0011"),
                                         ("12-34 5", "E0012"), ("서울 종로구 SELECT 1", "E0013")])
def test_keywords_juso_refuses_are_query_errors(juso, query, code):
    with pytest.raises(GeocoderQueryError, match=code):
        juso.geocode(query)


# -- error codes --------------------------------------------------------------------------

SEARCH_ERRORS = [
    ("E0001", GeocoderAuthenticationFailure), ("E0014", GeocoderAuthenticationFailure),
    ("expired", GeocoderAuthenticationFailure),
    ("E0005", GeocoderQueryError), ("E0008", GeocoderQueryError), ("E0009", GeocoderQueryError),
    ("E0010", GeocoderQueryError), ("E0011", GeocoderQueryError), ("E0012", GeocoderQueryError),
    ("E0013", GeocoderQueryError),
    ("-999", GeocoderUnavailable), ("outage", GeocoderUnavailable),
    ("http_outage", GeocoderUnavailable),
]


@pytest.mark.parametrize("scenario, error", SEARCH_ERRORS)
def test_search_api_errors(fake, juso, scenario, error):
    fake.scenario = scenario
    with pytest.raises(error) as info:
        juso.geocode(INSADONG)
    assert type(info.value) is error  # not a subclass (RateLimited is a QuotaExceeded, ...)
    assert fake.calls(COORD_PATH) == []


@pytest.mark.parametrize("scenario", ["E0006", "E0015"])
def test_search_codes_for_vague_queries_are_none(fake, juso, scenario):
    fake.scenario = scenario
    assert juso.geocode(INSADONG) is None


COORD_ERRORS = [
    ("coord_E0001", GeocoderAuthenticationFailure),
    ("coord_E0002", GeocoderQueryError), ("coord_E0003", GeocoderQueryError),
    ("coord_E0004", GeocoderQueryError), ("coord_E0005", GeocoderQueryError),
    ("coord_E0006", GeocoderQueryError),
    ("coord_-999", GeocoderUnavailable),
]


@pytest.mark.parametrize("scenario, error", COORD_ERRORS)
def test_coordinate_api_errors(fake, juso, scenario, error):
    fake.scenario = scenario
    with pytest.raises(error) as info:
        juso.geocode(INSADONG)
    assert type(info.value) is error
    assert "coordinate API" in str(info.value)


@pytest.mark.parametrize("scenario", ["E0007", "ratelimit", "quota"])
def test_burst_limit_is_rate_limited_with_a_default_retry_after(fake, juso, scenario):
    fake.scenario = scenario
    with pytest.raises(GeocoderRateLimited) as info:
        juso.geocode(INSADONG)
    assert info.value.retry_after == 0.5
    assert "E0007" in str(info.value)


def test_each_api_checks_its_own_key(fake):
    swapped = make(fake, search_key=fake.search_key, coord_key=fake.search_key)
    with pytest.raises(GeocoderAuthenticationFailure, match="coordinate API: E0001"):
        swapped.geocode(INSADONG)
    assert fake.calls(COORD_PATH)[0].query["confmKey"] == fake.search_key
    wrong = make(fake, search_key="not-a-key")
    with pytest.raises(GeocoderAuthenticationFailure, match="search API: E0001"):
        wrong.geocode(INSADONG)


@pytest.mark.parametrize("scenario", ["malformed", "malformed_json", "malformed_shape", "malformed_coord"])
def test_malformed_answers_are_parse_errors(fake, juso, scenario):
    fake.scenario = scenario
    with pytest.raises(GeocoderParseError):
        juso.geocode(INSADONG)


def _ok(juso):
    return {"results": {"common": {"errorCode": "0", "errorMessage": "정상", "totalCount": "1"}, "juso": juso}}


RECORD = {"roadAddr": "서울특별시 중구 세종대로 110 (태평로1가)", "jibunAddr": "서울특별시 중구 태평로1가 31",
          "admCd": "1114010300", "rnMgtSn": "111403101001", "udrtYn": "0", "buldMnnm": "110", "buldSlno": "0"}


@pytest.mark.parametrize("path, body", [
    (SEARCH_PATH, []),
    (SEARCH_PATH, {"results": None}),
    (SEARCH_PATH, {"results": {"common": {"errorCode": 0}, "juso": []}}),  # a number, not juso's string
    (SEARCH_PATH, _ok({"roadAddr": "서울"})),
    (SEARCH_PATH, _ok(["서울"])),
    (SEARCH_PATH, _ok([{k: v for k, v in RECORD.items() if k != "rnMgtSn"}])),
    (SEARCH_PATH, _ok([{**RECORD, "buldMnnm": 110}])),
    (COORD_PATH, _ok([{"entY": "1951999.4987320001"}])),
    (COORD_PATH, _ok([{"entX": "NaN", "entY": "1951999.4987320001"}])),
    (COORD_PATH, _ok([{"entX": "126.9777", "entY": "37.5662"}])),  # WGS84, not UTM-K
    (COORD_PATH, _ok("없음")),
])
def test_unexpected_shapes_are_parse_errors_not_key_errors(fake, juso, path, body):
    fake.canned = (path, body)
    with pytest.raises(GeocoderParseError):
        juso.geocode(CITY_HALL)


@pytest.mark.parametrize("path", [SEARCH_PATH, COORD_PATH])
def test_unknown_codes_are_service_errors(fake, juso, path):
    fake.canned = (path, {"results": {"common": {"errorCode": "E0099", "errorMessage": "새 오류"}, "juso": None}})
    with pytest.raises(GeocoderServiceError, match="E0099") as info:
        juso.geocode(INSADONG)
    assert type(info.value) is GeocoderServiceError


def test_slow_answer_times_out(fake):
    fake.scenario = "slow"
    juso = make(fake, timeout=0.3)
    with pytest.raises(GeocoderTimedOut):
        juso.geocode(INSADONG)
    assert len(fake.calls()) == 1  # one attempt: an answered GET is never silently re-sent


def test_flaky_mixes_transient_failures_with_answers_reproducibly(fake, juso):
    def run() -> list[str]:
        fake.reseed(7)
        outcomes = []
        for i in range(24):
            try:
                location = juso.geocode(f"서울특별시 종로구 인사동길 {i + 1} (관훈동)")
                outcomes.append(location.raw["precision"])
            except (GeocoderUnavailable, GeocoderRateLimited) as error:
                outcomes.append(type(error).__name__)
        return outcomes

    fake.scenario = "flaky"
    outcomes = run()
    assert set(outcomes) <= {"entrance", "GeocoderUnavailable", "GeocoderRateLimited"}
    assert outcomes.count("entrance") >= 8 and len(set(outcomes)) == 3
    assert run() == outcomes


def test_reverse_is_not_offered_and_sends_nothing(fake, juso):
    with pytest.raises(NotImplementedError, match="no reverse geocoding"):
        juso.reverse("37.5662, 126.9777")
    assert fake.calls() == []


# -- keys ---------------------------------------------------------------------------------

def _key_forms(*keys: str) -> list[str]:
    return [form for key in keys for form in (key, quote_plus(key), quote(key, safe=""))]


def test_keys_absent_from_errors_and_logs(fake, juso, caplog):
    caplog.set_level(logging.DEBUG)
    for scenario in ("E0001", "coord_E0001", "E0007", "-999", "malformed", "http_outage"):
        fake.scenario = scenario
        with pytest.raises(GeocoderServiceError) as info:
            juso.geocode(INSADONG)
        assert not any(form in str(info.value) for form in _key_forms(fake.search_key, fake.coord_key))
    assert "addrLinkApi.do" in caplog.text and "addrCoordApi.do" in caplog.text  # urllib3 logged the URLs
    assert not any(form in caplog.text for form in _key_forms(fake.search_key, fake.coord_key))


def test_keys_scrubbed_when_the_connection_fails(caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        juso = JusoGeocoder(search_key=JusoFake.SEARCH_KEY, coord_key=JusoFake.COORD_KEY, scheme="http",
                            domain=f"127.0.0.1:{port}", proxies={}, timeout=1.0)
        with pytest.raises(GeocoderUnavailable) as info:
            juso.geocode(INSADONG)
    message = str(info.value)
    assert "addrLinkApi.do" in message  # the adapter quotes the URL...
    assert not any(form in message for form in _key_forms(JusoFake.SEARCH_KEY))  # ...without the key
    assert not any(form in caplog.text for form in _key_forms(JusoFake.SEARCH_KEY))


class _AsyncAdapter(BaseAsyncAdapter):
    async def get_json(self, url, *, timeout, headers):  # never called
        raise AssertionError(url)

    get_text = get_json


def test_constructor_checks():
    with pytest.raises(ConfigurationError):
        JusoGeocoder(search_key="", coord_key="c")
    with pytest.raises(ConfigurationError):
        JusoGeocoder(search_key="s", coord_key="")
    with pytest.raises(ConfigurationError, match="synchronous"):
        JusoGeocoder(search_key="s", coord_key="c", adapter_factory=_AsyncAdapter)
    juso = JusoGeocoder(search_key="devKEY+b/c=", coord_key="devCOORDKEY")
    assert juso.domain == "business.juso.go.kr" and juso.scheme == "https"
    assert {"devKEY+b/c=", "devKEY%2Bb%2Fc%3D", "devCOORDKEY"} <= set(juso.secrets())


# -- in the chain -------------------------------------------------------------------------

def _chain(juso, sleeps):
    chain = pytest.importorskip("navplugin.geocode.chain")
    return chain.GeocoderChain([chain.Provider("juso", juso), chain.Provider("offline", OfflineGeocoder())],
                               retries=2, backoff=0.1, sleep=sleeps.append)


def test_chain_falls_back_to_offline_when_juso_has_no_entrance(fake, juso):
    fake.scenario = "no_entrance"
    result = _chain(juso, []).geocode(INSADONG)
    assert result.provider == "offline" and result.precision == "emd" and result.entrance is None


def test_chain_keeps_the_entrance_and_honours_the_burst_retry_after(fake, juso):
    sleeps: list[float] = []
    chain = _chain(juso, sleeps)
    fake.scenario = "E0007"
    chain._sleep = lambda seconds: (sleeps.append(seconds), setattr(fake, "scenario", "ok"))
    result = chain.geocode(INSADONG)
    assert sleeps == [0.5]
    assert result.provider == "juso" and result.precision == "entrance"
    assert (result.entrance.lon, result.entrance.lat) == (result.point.lon, result.point.lat)
