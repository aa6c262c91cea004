"""The chain over real fake upstreams: order, fallbacks, refusals, retries, cache, failure injection."""
from __future__ import annotations

import logging

import pytest

from navplugin.geocode.chain import GeocoderChain, Provider, classify
from navplugin.geocode.kakao import KakaoGeocoder
from navplugin.geocode.limits import RateLimit
from navplugin.geocode.naver import NaverGeocoder
from navplugin.geocode.offline import OfflineGeocoder
from navplugin.geocode.vworld import VWorldGeocoder
from navplugin.store.cache import GeocodeCache
from navplugin.store.engine import make_engine
from navplugin.store.repository import Repository
from tests.fakes.kakao import KakaoFake
from tests.fakes.naver import NaverFake
from tests.fakes.vworld import VWorldFake

ADDRESSES = [
    "서울특별시 종로구 인사동길 12 (관훈동)",
    "서울특별시 은평구 증산로 303 (증산동, 태광아파트)",
    "경기도 군포시 번영로 508(금정동)",
    "부산광역시 부산진구 서면문화로 18(부전동, 1층)",
    "강원도 춘천시 선들길 38 (삼천동)",
]


def kakao(fake: KakaoFake, key: str | None = None) -> Provider:
    geocoder = KakaoGeocoder(api_key=key or fake.api_key, domain=fake.domain, scheme="http", proxies={}, timeout=2)
    return Provider("kakao", geocoder, RateLimit(1000, 4))


def offline() -> Provider:
    return Provider("offline", OfflineGeocoder(), None, cacheable=False)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def cache(tmp_path):
    repository = Repository(make_engine(f"sqlite:///{tmp_path / 'cache.sqlite3'}"))
    repository.upgrade_schema()
    return GeocodeCache(repository.engine)


def test_first_provider_with_an_answer_wins_and_detail_is_stripped():
    with KakaoFake() as fake:
        chain = GeocoderChain([kakao(fake), offline()])
        outcome = chain.start_job().geocode("서울특별시 종로구 인사동길 12, 2층 201호 (관훈동)")
        assert outcome.result.provider == "kakao"
        assert outcome.result.precision == "building"
        sent = fake.calls("/v2/local/search/address.json")[0].query["query"]
        assert "층" not in sent and "호" not in sent and "(" not in sent


def test_no_answer_falls_through_to_offline():
    with KakaoFake() as fake:
        fake.scenario = "empty"
        outcome = GeocoderChain([kakao(fake), offline()]).start_job().geocode(ADDRESSES[0])
        assert outcome.result.provider == "offline"
        assert outcome.result.precision == "emd"


def test_a_refusing_provider_is_skipped_for_the_rest_of_the_job_and_says_why():
    with KakaoFake() as fake:
        chain = GeocoderChain([kakao(fake, key="wrong-key"), offline()], sleep=Sleeps())
        job = chain.start_job()
        outcomes = [job.geocode(address) for address in ADDRESSES]
        assert len(fake.calls()) == 1  # refused once, never asked again in this job
        assert "kakao" in job.refused
        assert all(o.result.provider == "offline" for o in outcomes)
        assert "kakao skipped" in outcomes[0].reason if outcomes[0].reason else True
        assert chain.start_job().refused == {}  # a new job tries again


def test_quota_is_not_retried():
    with KakaoFake() as fake:
        fake.scenario = "quota"
        sleeps = Sleeps()
        job = GeocoderChain([kakao(fake), offline()], sleep=sleeps).start_job()
        job.geocode(ADDRESSES[0])
        assert sleeps.delays == [] and len(fake.calls()) == 1
        assert "quota" in job.refused["kakao"].lower()


def test_rate_limits_are_retried_honouring_retry_after_then_passed_on():
    with NaverFake() as fake:
        fake.scenario = "throttle"  # 429 errorCode 410 with Retry-After: 2
        geocoder = NaverGeocoder(key_id=fake.key_id, key=fake.key, domain=fake.domain, scheme="http",
                                 proxies={}, timeout=2)
        sleeps = Sleeps()
        chain = GeocoderChain([Provider("naver", geocoder, RateLimit(1000, 2)), offline()],
                              retries=3, backoff=0.1, sleep=sleeps)
        outcome = chain.start_job().geocode(ADDRESSES[2])
        assert len(fake.calls()) == 4  # the call and three retries
        assert sleeps.delays == [2.0, 2.0, 2.0]  # Retry-After (2 s) beats backoff 0.1, 0.2, 0.4
        assert outcome.result.provider == "offline"
        assert "naver" in outcome.reason and "3 retries" in outcome.reason


def test_outages_back_off_exponentially():
    with KakaoFake() as fake:
        fake.scenario = "outage"
        sleeps = Sleeps()
        GeocoderChain([kakao(fake), offline()], retries=3, backoff=0.1, sleep=sleeps).start_job().geocode(ADDRESSES[1])
        assert sleeps.delays == pytest.approx([0.1, 0.2, 0.4])


def test_cache_answers_a_second_job_without_upstream_calls(cache):
    with KakaoFake() as fake:
        chain = GeocoderChain([kakao(fake), offline()])
        first = chain.start_job(cache)
        before = [first.geocode(address).result for address in ADDRESSES]
        pending = cache.take_pending()
        assert len(pending) == len(ADDRESSES)
        with cache.engine.begin() as conn:
            GeocodeCache.write(conn, pending)
        calls = len(fake.calls())
        fresh = GeocodeCache(cache.engine)
        assert fresh.preload(["kakao"], chain.start_job().cache_keys(*ADDRESSES)) == len(ADDRESSES)
        again = [chain.start_job(fresh).geocode(address).result for address in ADDRESSES]
        assert len(fake.calls()) == calls
        assert again == before


def test_spelling_variants_share_the_cache(cache):
    with KakaoFake() as fake:
        job = GeocoderChain([kakao(fake), offline()]).start_job(cache)
        job.geocode("서울특별시 종로구 인사동길 12 (관훈동)")
        job.geocode("서울 종로구  인사동길 12, 1층")
        assert len(fake.calls()) == 1


def test_vworld_answers_are_not_cached(cache):
    with VWorldFake() as fake:
        geocoder = VWorldGeocoder(api_key="vworld-test-key", domain=fake.domain, scheme="http", proxies={}, timeout=2)
        provider = Provider("vworld", geocoder, RateLimit(1000, 2), cacheable=getattr(geocoder, "may_cache", True))
        job = GeocoderChain([provider, offline()]).start_job(cache)
        job.geocode(ADDRESSES[0])
        job.geocode(ADDRESSES[0])
        assert cache.take_pending() == []
        assert len(fake.calls()) >= 2


def test_thirty_percent_injected_failures_never_lose_a_row():
    addresses = [f"서울특별시 종로구 인사동길 {n} (관훈동)" for n in range(1, 81)]
    with KakaoFake(seed=7, failure_rate=0.3) as fake:
        fake.scenario = "flaky"
        job = GeocoderChain([kakao(fake), offline()], retries=1, backoff=0.0, sleep=Sleeps()).start_job()
        outcomes = [job.geocode(address) for address in addresses]
    assert all(o.result is not None for o in outcomes)
    providers = {o.result.provider for o in outcomes}
    assert providers == {"kakao", "offline"}  # some rows fell back after two failed tries
    for outcome in outcomes:
        if outcome.result.provider == "offline":
            assert "kakao" in outcome.reason


def test_keys_never_reach_the_logs(caplog):
    caplog.set_level(logging.DEBUG)
    with KakaoFake() as fake:
        fake.scenario = "outage"
        chain = GeocoderChain([kakao(fake), offline()], retries=1, backoff=0, sleep=Sleeps(),
                              secrets=(fake.api_key,))
        outcome = chain.start_job().geocode(ADDRESSES[0])
    assert fake.api_key not in caplog.text
    assert fake.api_key not in (outcome.reason or "")


def test_failures_are_classified_by_meaning():
    from geopy import exc

    assert classify(exc.GeocoderRateLimited("x", retry_after=1)) == "transient"
    assert classify(exc.GeocoderTimedOut("x")) == "transient"
    assert classify(exc.GeocoderQuotaExceeded("x")) == "refused"
    assert classify(exc.GeocoderAuthenticationFailure("x")) == "refused"
    assert classify(exc.GeocoderQueryError("x")) == "query"
    assert classify(exc.GeocoderParseError("x")) == "failed"
