"""Every setting in one table, with its default and meaning.

A setting ``NAME`` is read from the environment variable ``NAVPLUGIN_NAME``
and can be overridden per app by the mapping given to ``create_app``.
README's settings table is this table.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

REPO_DIR = Path(__file__).resolve().parent.parent


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {text!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, str,
            "SQLAlchemy URL of the database. Default: SQLite file `instance/navplugin.sqlite3` (WAL mode). "
            "PostgreSQL: `postgresql+psycopg://user@host/db`."),
    Setting("ADMIN_TOKENS", None, str,
            "Named bearer tokens for `/admin/v1/*`: `name:token[:role],...`; role `admin` (default) or "
            "`read` (read-only). The name is what the audit log records. No tokens at all: admin endpoints "
            "answer 401."),
    Setting("ADMIN_TOKEN", None, str,
            "A single admin token, named `admin` in the audit log (kept alongside ADMIN_TOKENS)."),
    Setting("GEOCODERS", "offline", str,
            "Comma-separated geocoder chain, tried in order, e.g. `juso,kakao,vworld,naver`. "
            "`offline` is always appended as the last resort."),
    Setting("KAKAO_KEY", None, str, "Kakao REST API key (`kakao` geocoder)."),
    Setting("KAKAO_URL", "https://dapi.kakao.com", str, "Base URL of the Kakao Local API (a proxy or test server)."),
    Setting("VWORLD_KEY", None, str, "VWorld API key (`vworld` geocoder)."),
    Setting("VWORLD_DOMAIN", None, str, "The domain the VWorld key is registered for, sent as `domain=`."),
    Setting("VWORLD_URL", "https://api.vworld.kr", str, "Base URL of the VWorld API."),
    Setting("VWORLD_CACHE", False, _bool,
            "Keep VWorld answers in the geocode cache. Off: VWorld's terms forbid storing results."),
    Setting("JUSO_SEARCH_KEY", None, str, "도로명주소 검색 API 승인키 (`juso` geocoder)."),
    Setting("JUSO_COORD_KEY", None, str, "도로명주소 좌표제공 API 승인키 (`juso` geocoder)."),
    Setting("JUSO_URL", "https://business.juso.go.kr", str, "Base URL of the 도로명주소 APIs."),
    Setting("NAVER_KEY_ID", None, str, "Naver Cloud Maps client id (`naver` geocoder)."),
    Setting("NAVER_KEY", None, str, "Naver Cloud Maps client secret."),
    Setting("NAVER_URL", "https://maps.apigw.ntruss.com", str, "Base URL of the Naver Cloud Maps API."),
    Setting("GEOCODE_TIMEOUT", 5.0, float, "Seconds before one geocoder call times out."),
    Setting("GEOCODE_WORKERS", 8, int, "Rows geocoded at once in an upload job."),
    Setting("GEOCODE_RATE", "kakao:50,vworld:20,juso:20,naver:50", str,
            "Most calls per second to each provider (`name:rate,...`)."),
    Setting("GEOCODE_CONCURRENCY", 4, int, "Most calls in flight to any one provider."),
    Setting("GEOCODE_RETRIES", 3, int, "Retries of a transient failure (outage, timeout, rate limit) per call."),
    Setting("GEOCODE_BACKOFF_SECONDS", 0.5, float,
            "First retry delay, doubled each retry; a provider's `Retry-After` wins when longer."),
    Setting("DISTRICT_TOLERANCE_M", 150.0, float,
            "How far outside the district its address names a point may lie and still count as verified "
            "(the boundaries are generalised)."),
    Setting("JOB_STALE_SECONDS", 30.0, float,
            "A geocoding job whose process has not reported for this long is taken over by another "
            "process (after a crash or restart)."),
    Setting("QUEUE_URL", None, str,
            "Redis URL of the job queue, e.g. `redis://127.0.0.1:6379/0`: geocoding jobs then run on workers "
            "(`flask --app navplugin worker`), not in web processes. Unset: in the process that took the upload."),
    Setting("UPLOAD_WAIT_SECONDS", 30.0, float,
            "How long an upload request waits for its geocoding job: done by then, 201 with the live "
            "version; otherwise 202 with the job to follow."),
    Setting("MIGRATE_ON_START", True, _bool,
            "Apply pending schema migrations when a process starts serving (under a database lock). Turn off "
            "where `flask --app navplugin db upgrade` runs as a release step; a process then refuses to serve "
            "a database at another schema."),
    Setting("LOAD_SAMPLE", True, _bool,
            "Load the bundled sample list on start when the database holds no dataset yet."),
    Setting("SAMPLE_FILE", str(REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"), str,
            "The list loaded by LOAD_SAMPLE."),
    Setting("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, int, "Largest accepted upload (HTTP 413 above)."),
    Setting("MAX_UPLOAD_ROWS", 200_000, int, "Most data rows in one uploaded list."),
    Setting("NEARBY_DEFAULT_RADIUS_M", 3000, float, "`radius` of /v1/stores/nearby when not given."),
    Setting("NEARBY_MAX_RADIUS_M", 50_000, float, "Largest `radius` accepted."),
    Setting("ROUTE_DEFAULT_WIDTH_M", 500.0, float, "Corridor half-width of /v1/stores/along-route when not given."),
    Setting("ROUTE_MAX_WIDTH_M", 5000.0, float, "Largest corridor half-width accepted."),
    Setting("DEFAULT_LIMIT", 20, int, "`limit` when not given."),
    Setting("MAX_LIMIT", 200, int, "Largest `limit` accepted."),
    Setting("INDEX_POLL_SECONDS", 5.0, float,
            "How often each process checks the live dataset version and rebuilds its index; 0 turns polling off."),
    Setting("KEEP_VERSIONS", 0, int,
            "Dataset versions kept (the live one always is); older ones are dropped after each new version. "
            "0 keeps all. `/v1/changes` answers 410 for a dropped version."),
    Setting("CACHE_MAX_AGE", 60, int, "`Cache-Control: max-age` of navigation read endpoints, in seconds."),
    Setting("FAST_PATH", True, _bool,
            "Answer plain `GET /v1/stores/nearby` requests without Flask's request machinery (the same "
            "answers, byte for byte, in about half the time); off: every request through Flask."),
    Setting("REQUIRE_CLIENT_KEY", False, _bool,
            "Every public read (`/v1/*` but the OpenAPI document, and `/ogc`) needs a client key in `X-API-Key` "
            "(401 without one). Off: a request without a key is anonymous and unlimited; one with a key is counted "
            "and limited all the same."),
    Setting("RATELIMIT_STORAGE", None, str,
            "Where client quotas are counted: `redis://host:6379/0` for one count across every process and "
            "machine; unset: in each process's memory."),
    Setting("CLIENT_REFRESH_SECONDS", 5.0, float,
            "How often each process reloads client keys by polling (PostgreSQL also tells every process at "
            "once); a revoked or rotated key stops working within this time at most."),
    Setting("USAGE_FLUSH_SECONDS", 5.0, float, "How often each process adds its clients' request counts to the database."),
    Setting("CORS_ORIGINS", None, str,
            "Origins allowed to call the API from a browser (`https://map.example.com,https://…`, or `*`); unset: "
            "no CORS headers, as for any other site."),
    Setting("REQUEST_DEADLINE_SECONDS", 10.0, float,
            "The longest a request's work may take before it is abandoned with 503 and `Retry-After` "
            "(along-route checks it between chunks); 0 turns it off."),
    Setting("ACCESS_LOG", True, _bool,
            "One log line per answered request (`navplugin.access`: method, path, status, time, request id)."),
    Setting("LOG_LEVEL", "INFO", str, "Python logging level."),
    Setting("LOG_FORMAT", "text", str,
            "`text`, or `json` for one JSON object per line (time, level, logger, message, request_id, ...)."),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
ENV_PREFIX = "NAVPLUGIN_"


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``NAVPLUGIN_*`` environment variables, then ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(ENV_PREFIX + setting.name)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_PREFIX}{setting.name}: {exc}") from None
    for name, value in (overrides or {}).items():
        if name not in SETTINGS_BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        values[name] = value
    return values


def settings_table_markdown() -> str:
    """README's settings table, generated so the two cannot drift apart."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = setting.default
        if setting.name == "SAMPLE_FILE":
            default = "geodata/sample/certified_stores_2026.csv"
        shown = "(unset)" if default is None else f"`{default}`"
        lines.append(f"| `{ENV_PREFIX}{setting.name}` | {shown} | {setting.doc} |")
    return "\n".join(lines)
