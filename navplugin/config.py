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
    Setting("ADMIN_TOKEN", None, str,
            "Bearer token for `/admin/v1/*`. Unset: admin endpoints answer 401."),
    Setting("GEOCODERS", "offline", str,
            "Comma-separated geocoder chain, tried in order. `offline` is always appended as the last resort."),
    Setting("LOAD_SAMPLE", True, _bool,
            "Load the bundled sample list on start when the database holds no dataset yet."),
    Setting("SAMPLE_FILE", str(REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"), str,
            "The list loaded by LOAD_SAMPLE."),
    Setting("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, int, "Largest accepted upload (HTTP 413 above)."),
    Setting("MAX_UPLOAD_ROWS", 200_000, int, "Most data rows in one uploaded list."),
    Setting("NEARBY_DEFAULT_RADIUS_M", 3000, float, "`radius` of /v1/stores/nearby when not given."),
    Setting("NEARBY_MAX_RADIUS_M", 50_000, float, "Largest `radius` accepted."),
    Setting("DEFAULT_LIMIT", 20, int, "`limit` when not given."),
    Setting("MAX_LIMIT", 200, int, "Largest `limit` accepted."),
    Setting("INDEX_POLL_SECONDS", 5.0, float,
            "How often each process checks the live dataset version and rebuilds its index; 0 turns polling off."),
    Setting("CACHE_MAX_AGE", 60, int, "`Cache-Control: max-age` of navigation read endpoints, in seconds."),
    Setting("LOG_LEVEL", "INFO", str, "Python logging level."),
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
