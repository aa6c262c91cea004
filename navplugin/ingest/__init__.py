"""Uploaded list of 백년가게 (CSV or XLSX bytes) -> validated ``ShopRow`` values and a row report.

Modules, one job each:

* ``sniff``    — what the bytes are (XLSX, text, or refused with 415) and the text encoding
* ``readers``  — CSV / XLSX -> records of cleaned cell text with line numbers
* ``columns``  — the alias table of Korean column names and header-row detection
* ``validate`` — per-row checks, duplicates and the stable-id rule
* ``pipeline`` — ``ingest()`` and ``IngestResult``

Stable ids: the file's id column (관리번호, 고유번호, 업체ID, id, store_id) when it
has one; otherwise ``"bg-" + sha1(clean_text(name).casefold() + "|" +
normalize_address(address or jibun_address or ""))[:16]`` — see ``validate``.
"""
from __future__ import annotations

from .columns import FIELD_ALIASES
from .pipeline import DEFAULT_MAX_ROWS, IngestResult, ingest
from .validate import stable_id

__all__ = ["DEFAULT_MAX_ROWS", "FIELD_ALIASES", "IngestResult", "ingest", "stable_id"]
