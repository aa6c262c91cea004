"""The geocoder chain: providers tried in the order of ``NAVPLUGIN_GEOCODERS``.

Each provider is a geopy ``Geocoder``. For one address the chain asks each
provider in turn (answers cached per provider and normalised address), and
the offline geocoder is always last, so every parsable address gets at least
a district-level point. Failures are sorted by what they mean:

- transient (outage, timeout, rate limit): retried with backoff, honouring
  ``Retry-After``; still failing, the address moves on to the next provider;
- the provider refuses us (bad key, quota): no retry, and the provider is
  skipped for the rest of the job; the reason goes into the job's report;
- the provider does not understand the query: treated as "no answer".
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from ..metrics import GEOCODER_CALLS
from ..model import GeocodeResult, Point
from .base import redact, split_base_url
from .limits import RateLimit, parse_rates
from .normalize import GeocodeQuery, normalize_for_geocoding

LOGGER = logging.getLogger(__name__)

REFUSED = (GeocoderAuthenticationFailure, GeocoderInsufficientPrivileges, GeocoderQuotaExceeded)


def _web(settings: Mapping[str, Any], url_setting: str) -> dict[str, Any]:
    scheme, domain = split_base_url(settings[url_setting])
    return {"scheme": scheme, "domain": domain, "timeout": settings["GEOCODE_TIMEOUT"]}


def _require(settings: Mapping[str, Any], *names: str) -> None:
    missing = [f"NAVPLUGIN_{name}" for name in names if not settings.get(name)]
    if missing:
        raise ValueError(f"set {', '.join(missing)} to use this geocoder")


def _offline(_settings: Mapping[str, Any]) -> Geocoder:
    from .offline import OfflineGeocoder

    return OfflineGeocoder()


def _kakao(settings: Mapping[str, Any]) -> Geocoder:
    from .kakao import KakaoGeocoder

    _require(settings, "KAKAO_KEY")
    return KakaoGeocoder(api_key=settings["KAKAO_KEY"], **_web(settings, "KAKAO_URL"))


def _vworld(settings: Mapping[str, Any]) -> Geocoder:
    from .vworld import VWorldGeocoder

    _require(settings, "VWORLD_KEY")
    return VWorldGeocoder(api_key=settings["VWORLD_KEY"], api_domain=settings["VWORLD_DOMAIN"],
                          **_web(settings, "VWORLD_URL"))


def _juso(settings: Mapping[str, Any]) -> Geocoder:
    from .juso import JusoGeocoder

    _require(settings, "JUSO_SEARCH_KEY", "JUSO_COORD_KEY")
    return JusoGeocoder(search_key=settings["JUSO_SEARCH_KEY"], coord_key=settings["JUSO_COORD_KEY"],
                        **_web(settings, "JUSO_URL"))


def _naver(settings: Mapping[str, Any]) -> Geocoder:
    from .naver import NaverGeocoder

    _require(settings, "NAVER_KEY_ID", "NAVER_KEY")
    return NaverGeocoder(key_id=settings["NAVER_KEY_ID"], key=settings["NAVER_KEY"], **_web(settings, "NAVER_URL"))


# name -> factory taking the app settings
GEOCODER_FACTORIES: dict[str, Callable[[Mapping[str, Any]], Geocoder]] = {
    "juso": _juso,
    "kakao": _kakao,
    "vworld": _vworld,
    "naver": _naver,
    "offline": _offline,
}


def parse_chain_names(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GEOCODER_FACTORIES]
    if unknown:
        raise ValueError(
            f"unknown geocoder(s) {', '.join(unknown)}; known: {', '.join(sorted(GEOCODER_FACTORIES))}"
        )
    names = [name for name in dict.fromkeys(names) if name != "offline"]
    return [*names, "offline"]


def query_text(provider: str, address: str, query: GeocodeQuery | None) -> str:
    """What a provider is asked: the offline parser reads the original best (it keeps the 참고항목
    naming the 법정동); web providers get the text stripped of floors, units and building names."""
    if provider == "offline" or query is None:
        return address
    return query.text


def location_result(name: str, location: Location) -> GeocodeResult:
    raw = location.raw if isinstance(location.raw, dict) else {}
    entrance = raw.get("entrance")
    return GeocodeResult(
        point=Point(lon=location.longitude, lat=location.latitude),
        provider=raw.get("provider", name),
        precision=raw.get("precision", "building"),
        matched=raw.get("matched") or location.address,
        entrance=Point(entrance["lon"], entrance["lat"]) if entrance else None,
        accuracy_m=raw.get("accuracy_m"),  # a district point's own radius; else its precision's
    )


@dataclass
class Provider:
    """One geocoder of the chain with its pacing and cache policy."""

    name: str
    geocoder: Geocoder
    limit: RateLimit | None = None
    cacheable: bool = True


@dataclass
class ChainAnswer:
    result: GeocodeResult | None
    reason: str | None = None  # why nothing (or only a fallback) was found
    notes: list[str] = field(default_factory=list)


class GeocoderChain:
    """Providers in order; ``start_job`` gives each job its own record of refused providers."""

    def __init__(self, providers: list[Provider], *, retries: int = 3, backoff: float = 0.5,
                 secrets: tuple[str, ...] = (), sleep: Callable[[float], None] = time.sleep) -> None:
        self.providers = providers
        self.retries = retries
        self.backoff = backoff
        self.secrets = secrets
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "GeocoderChain":
        names = parse_chain_names(settings.get("GEOCODERS") or "offline")
        rates = parse_rates(settings.get("GEOCODE_RATE") or "")
        providers = []
        for name in names:
            geocoder = GEOCODER_FACTORIES[name](settings)
            limit = None if name == "offline" else RateLimit(rates.get(name, 0), settings["GEOCODE_CONCURRENCY"])
            cacheable = name != "offline" and getattr(geocoder, "may_cache", True)
            if name == "vworld" and settings.get("VWORLD_CACHE"):
                cacheable = True
            providers.append(Provider(name, geocoder, limit, cacheable))
        secrets = tuple(str(settings[k]) for k in settings if k.endswith("_KEY") or k.endswith("_KEY_ID")
                        if settings[k])
        return cls(providers, retries=settings["GEOCODE_RETRIES"], backoff=settings["GEOCODE_BACKOFF_SECONDS"],
                   secrets=secrets)

    @property
    def names(self) -> list[str]:
        return [provider.name for provider in self.providers]

    def start_job(self, cache: Any = None) -> "ChainJob":
        return ChainJob(self, cache)

    def geocode(self, *addresses: str | None) -> GeocodeResult | None:
        """One-off lookup, no cache: the first answer for any of the addresses."""
        return self.start_job().geocode(*addresses).result


class ChainJob:
    """The chain as one job sees it: shared cache, providers refused during this job."""

    def __init__(self, chain: GeocoderChain, cache: Any) -> None:
        self.chain = chain
        self.cache = cache
        self.refused: dict[str, str] = {}  # provider -> why it is skipped for the rest of the job
        self._lock = threading.Lock()

    @staticmethod
    def cache_keys(*addresses: str | None) -> list[str]:
        queries = (normalize_for_geocoding(address) for address in addresses if address)
        return [query.key for query in queries if query is not None]

    def geocode(self, *addresses: str | None) -> ChainAnswer:
        queries = [(a, q) for a in addresses if a for q in [normalize_for_geocoding(a)] if q is not None]
        outcome = ChainAnswer(result=None)
        if not queries:
            outcome.reason = "no geocodable address"
            return outcome
        for provider in self.chain.providers:
            if provider.name in self.refused:
                continue
            for address, query in queries:
                found, answered = self._ask(provider, address, query, outcome)
                if found is not None:
                    outcome.result = found
                    outcome.reason = "; ".join(outcome.notes) or None  # why better providers did not answer
                    return outcome
                if not answered:
                    break  # this provider failed for this row; the next one gets the address
        outcome.reason = "; ".join(outcome.notes) or "no geocoder found the address"
        return outcome

    def _ask(self, provider: Provider, address: str, query: Any,
             outcome: ChainAnswer) -> tuple[GeocodeResult | None, bool]:
        """(answer, whether the provider answered at all)."""
        use_cache = self.cache is not None and provider.cacheable
        if use_cache:
            hit, cached = self.cache.get(provider.name, query.key)
            if hit:
                GEOCODER_CALLS.labels(provider.name, "cached").inc()
                return cached, True
        text = query_text(provider.name, address, query)
        attempt = 0
        while True:
            try:
                location = self._call(provider, text)
            except GeopyError as error:
                kind = classify(error)
                if kind != "query":  # a query the provider did not understand counts as not found, below
                    GEOCODER_CALLS.labels(provider.name, kind).inc()
                message = redact(str(error), self.chain.secrets)
                if kind == "transient" and attempt < self.chain.retries:
                    self.chain._sleep(retry_delay(error, attempt, self.chain.backoff))
                    attempt += 1
                    continue
                if kind == "refused":
                    with self._lock:
                        self.refused.setdefault(provider.name, message)
                    outcome.notes.append(f"{provider.name} skipped for this job: {message}")
                    LOGGER.warning("geocoder %s refused the job's calls: %s", provider.name, message)
                    return None, False
                if kind != "query":
                    suffix = f" (after {attempt} retries)" if attempt else ""
                    outcome.notes.append(f"{provider.name}: {message}{suffix}")
                    return None, False
                location = None
            result = location_result(provider.name, location) if location is not None else None
            GEOCODER_CALLS.labels(provider.name, "not_found" if result is None else "found").inc()
            if use_cache:
                self.cache.put(provider.name, query.key, result)
            return result, True

    @staticmethod
    def _call(provider: Provider, text: str) -> Location | None:
        if provider.limit is None:
            return provider.geocoder.geocode(text, exactly_one=True)
        with provider.limit.slot():
            return provider.geocoder.geocode(text, exactly_one=True)


MAX_RETRY_WAIT = 60.0  # a provider asking for a longer pause is treated as refusing the job


def classify(error: GeopyError) -> str:
    """transient | refused | query | failed: what a failure means for the job."""
    if isinstance(error, GeocoderRateLimited):  # subclasses QuotaExceeded, so it is tested first
        retry_after = getattr(error, "retry_after", None)
        return "refused" if retry_after and float(retry_after) > MAX_RETRY_WAIT else "transient"
    if isinstance(error, (GeocoderUnavailable, GeocoderTimedOut)):
        return "transient"
    if isinstance(error, REFUSED):
        return "refused"
    if isinstance(error, GeocoderQueryError):
        return "query"
    return "failed"


def retry_delay(error: GeopyError, attempt: int, backoff: float) -> float:
    """Exponential backoff, or the provider's Retry-After when that is longer."""
    delay = backoff * (2 ** attempt)
    retry_after = getattr(error, "retry_after", None)
    return max(delay, float(retry_after)) if retry_after else delay
