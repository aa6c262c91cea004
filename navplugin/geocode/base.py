"""What every web geocoder shares: a configurable base URL, keys kept secret, one error mapping.

Providers (one module each) subclass ``WebGeocoder``: they only build the
request and parse the response, raising geopy exceptions for errors their
provider reports inside a 200 body. This class turns HTTP-level failures
into the right geopy exception (geopy's own table calls a 503 a timeout and
a Kakao quota 400 a query error) and scrubs the keys out of every message,
since adapters put the request URL, query string included, into theirs.
"""
from __future__ import annotations

import logging
import weakref
from typing import Any, Callable, ClassVar, Iterable
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError, RequestsAdapter
from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderRateLimited,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from urllib3.util import Retry

LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0  # geopy's 1 s default is shorter than a busy Korean API's tail latency
REDACTED = "***"


MIN_SECRET = 8  # shorter values are no real API key, and replacing them would mangle log lines


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


_LIVE_GEOCODERS: "weakref.WeakSet[WebGeocoder]" = weakref.WeakSet()


class RedactSecrets(logging.Filter):
    """Scrubs the keys of live geocoders from log records of libraries that log request URLs.

    urllib3 logs every URL, query string included, and geopy logs error bodies
    (Kakao echoes a wrong key in its 401 body); juso and VWorld take their keys
    in the query string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = {s for geocoder in list(_LIVE_GEOCODERS) for s in geocoder.secrets() if len(s) >= MIN_SECRET}
        if secrets:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken record is the handler's problem
                return True
            clean = redact(message, sorted(secrets, key=len, reverse=True))
            if clean != message:
                record.msg, record.args = clean, None
        return True


_REDACT = RedactSecrets()
_REDACTED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "geopy")


def _install_redaction() -> None:
    """Put the filter on the loggers that see request URLs, once a geocoder with secrets exists."""
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def single_try_adapter(proxies: Any, ssl_context: Any) -> RequestsAdapter:
    """geopy's adapter without urllib3's hidden re-sends of requests the provider received.

    The default (``max_retries=2``) re-sends a GET after a read timeout (three
    timeouts, ending as ``GeocoderUnavailable`` instead of ``GeocoderTimedOut``)
    and sleeps through a 429's ``Retry-After``, each re-send possibly counted
    against a daily quota. Retrying is the chain's decision; only connection
    failures, which never reached the provider, are retried here.
    """
    retry = Retry(total=2, connect=2, read=False, status=0, redirect=False, respect_retry_after_header=False)
    return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=retry)


def split_base_url(url: str) -> tuple[str, str]:
    """``https://host[:port][/prefix]`` -> (scheme, domain with any path prefix)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.scheme or "https", (parts.netloc + parts.path).rstrip("/")


class WebGeocoder(Geocoder):
    """Base of the Korean web providers."""

    provider: ClassVar[str]  # registry name, e.g. "kakao"
    default_domain: ClassVar[str]  # e.g. "dapi.kakao.com"

    def __init__(
        self,
        *,
        domain: str | None = None,
        scheme: str | None = None,
        timeout: float | object = DEFAULT_TIMEOUT,
        proxies: Any = DEFAULT_SENTINEL,
        user_agent: str | None = None,
        ssl_context: Any = DEFAULT_SENTINEL,
        adapter_factory: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(
            scheme=scheme,
            timeout=timeout,
            proxies=proxies,
            user_agent=user_agent or "navplugin",
            ssl_context=ssl_context,
            adapter_factory=adapter_factory or single_try_adapter,
        )
        self.domain = (domain or self.default_domain).strip("/")
        _LIVE_GEOCODERS.add(self)
        _install_redaction()

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or an error message."""
        return ()

    def _url(self, path: str) -> str:
        return f"{self.scheme}://{self.domain}{path}"

    def _call(self, url: str, callback: Callable[[Any], Any], *, timeout: Any = DEFAULT_SENTINEL,
              headers: dict[str, str] | None = None) -> Any:
        """``_call_geocoder`` with secrets scrubbed from any exception it raises."""
        try:
            return self._call_geocoder(url, callback, timeout=timeout, headers=headers)
        except GeopyError as error:
            message = redact(str(error), self.secrets())
            if message == str(error):
                raise
            if isinstance(error, GeocoderRateLimited):
                raise type(error)(message, retry_after=error.retry_after) from None
            raise type(error)(message) from None

    def _adapter_error_handler(self, error: Exception) -> Any:
        """Scrub secrets from an HTTP error body before geopy logs it and maps it."""
        if isinstance(error, AdapterHTTPError) and error.text:
            secrets = self.secrets()
            clean = AdapterHTTPError(redact(str(error), secrets), status_code=error.status_code,
                                     headers=error.headers, text=redact(error.text, secrets))
            if clean.text != error.text:
                error = clean
        return super()._adapter_error_handler(error)

    def _geocoder_exception_handler(self, error: Exception) -> None:
        """HTTP errors the generic table gets wrong for these providers."""
        if not isinstance(error, AdapterHTTPError):
            return
        status = error.status_code
        detail = redact(f"{self.provider} answered HTTP {status}: {(error.text or '')[:200]}", self.secrets())
        if status in (500, 502, 503, 504):
            raise GeocoderUnavailable(detail) from error
        if status in (401, 403):
            raise GeocoderAuthenticationFailure(detail) from error
