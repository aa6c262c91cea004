"""The admin's corrections as use cases: override a shop, revoke or restore it, switch versions.

Each correction is recorded twice, in one transaction: as a standing
override (``store.overrides``), which every later version carries, and as
a new dataset version copied from the live one with the change applied, so
navigation apps, diffs and delta sync see it like any other change. The
audit entry is written in the same transaction.

Applying an override starts from what the list and the geocoder said
(``Store.overridden`` keeps it), so overrides can be changed or cleared
again without losing the original values. Moving a pin makes it
``manual`` (provider ``admin``) and drops a geocoder's entrance point,
which belonged to the old, wrong place, unless an entrance is given too.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from .errors import BadParameter, Conflict, NotFound
from .geocode.district import check_district
from .ingest.validate import FIRST_FOUNDED_YEAR, LAT_RANGE, LON_RANGE, this_year
from .model import Store
from .store import audit, overrides, schema
from .store.diff import changed_fields
from .store.overrides import Override
from .store.repository import Repository

LOGGER = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "category", "address", "jibun_address", "phone")
YEAR_FIELDS = ("certified_year", "founded_year")
POINT_FIELDS = {"lat": LAT_RANGE, "lon": LON_RANGE, "entrance_lat": LAT_RANGE, "entrance_lon": LON_RANGE}
EDITABLE_FIELDS = TEXT_FIELDS + YEAR_FIELDS + tuple(POINT_FIELDS)
MAX_REASON = 500
MAX_TEXT = 300

DistrictCheck = Callable[[str | None, float, float], str]  # (address, lon, lat) -> verified | mismatch | unchecked


def text_limit(name: str) -> int:
    """The longest text a field takes: its column's length where it has one."""
    length = getattr(schema.stores.c[name].type, "length", None)
    return min(MAX_TEXT, length) if length else MAX_TEXT


def reason_of(body: Mapping[str, Any]) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadParameter("reason", "Field 'reason' is required: say why, for the audit log")
    if len(reason) > MAX_REASON:
        raise BadParameter("reason", f"Field 'reason' must be at most {MAX_REASON} characters")
    return reason.strip()


def parse_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The corrected fields of a PATCH body, each checked like an uploaded row's."""
    unknown = sorted(set(body) - set(EDITABLE_FIELDS) - {"reason"})
    if unknown:
        raise BadParameter(unknown[0], f"Field '{unknown[0]}' cannot be corrected; "
                                       f"correctable fields: {', '.join(EDITABLE_FIELDS)}")
    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in body:
            value = body[name]
            longest = text_limit(name)
            if value is not None and not isinstance(value, str) or (isinstance(value, str) and len(value) > longest):
                raise BadParameter(name, f"Field '{name}' must be text of at most {longest} characters, or null")
            value = value.strip() if isinstance(value, str) else None
            if name == "name" and not value:
                raise BadParameter(name, "Field 'name' cannot be empty")
            fields[name] = value or None
    high = this_year()
    for name in YEAR_FIELDS:
        if name in body:
            value = body[name]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or not FIRST_FOUNDED_YEAR <= value <= high):
                raise BadParameter(name, f"Field '{name}' must be a year between {FIRST_FOUNDED_YEAR} and {high}, "
                                         "or null")
            fields[name] = value
    for name, (low, top) in POINT_FIELDS.items():
        if name in body:
            value = body[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= top \
                    or not math.isfinite(value):  # the range first: a huge integer has no float
                raise BadParameter(name, f"Field '{name}' must be a number between {low:g} and {top:g} "
                                         "(inside South Korea)")
            fields[name] = float(value)
    for a, b in (("lat", "lon"), ("entrance_lat", "entrance_lon")):
        if (a in fields) != (b in fields):
            missing = b if a in fields else a
            raise BadParameter(missing, f"Fields '{a}' and '{b}' go together; '{missing}' is missing")
    if not fields:
        raise BadParameter("body", f"The request body must name at least one field to correct: "
                                   f"{', '.join(EDITABLE_FIELDS)}")
    return fields


def original(store: Store) -> Store:
    """The shop as its list and geocoder gave it, before any override."""
    if not store.overridden:
        return store
    return dataclasses.replace(store, overridden={}, **store.overridden)


def apply_override(store: Store, fields: Mapping[str, Any], district_check: DistrictCheck) -> Store:
    """``store`` (as uploaded) with the override's fields, remembering what they replaced."""
    base = original(store)
    changes = dict(fields)
    if "lon" in changes:
        changes.update(precision="manual", provider="admin")
        changes.setdefault("entrance_lon", None)
        changes.setdefault("entrance_lat", None)
    if {"lon", "address", "jibun_address"} & changes.keys():
        # The address the check reads, as for an uploaded row: the road address, else the 지번.
        address = changes.get("address", base.address) or changes.get("jibun_address", base.jibun_address)
        changes["district_check"] = district_check(address, changes.get("lon", base.lon),
                                                   changes.get("lat", base.lat))
    replaced = {name: getattr(base, name) for name, value in changes.items() if getattr(base, name) != value}
    if not replaced:
        return base
    return dataclasses.replace(base, overridden=replaced, **{name: changes[name] for name in replaced})


def apply_overrides(stores: Iterable[Store], standing: Mapping[str, Override],
                    district_check: DistrictCheck) -> tuple[list[Store], int, list[str]]:
    """An uploaded list with the standing overrides: (shops kept, overrides applied, revoked ids left out)."""
    kept: list[Store] = []
    applied = 0
    revoked: list[str] = []
    for store in stores:
        override = standing.get(store.id)
        if override is None:
            kept.append(store)
        elif override.revoked:
            revoked.append(store.id)
        else:
            kept.append(apply_override(store, override.fields, district_check))
            applied += 1
    return kept, applied, revoked


def district_checker(tolerance_m: float) -> DistrictCheck:
    def check(address: str | None, lon: float, lat: float) -> str:
        return check_district(address, lon, lat, tolerance_m=tolerance_m).status
    return check


def json_value(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


@dataclass(frozen=True)
class Outcome:
    version: int
    store: Store | None
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Activation:
    requested: int
    version: int  # what went live: ``requested`` itself, or a copy of it with the standing corrections
    previous: int | None
    revoked_kept_out: list[str]
    corrections_reapplied: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "live": True, "requested": self.requested, "previous": self.previous,
                "revoked_kept_out": self.revoked_kept_out, "corrections_reapplied": self.corrections_reapplied}


class Curator:
    """Admin corrections against one repository."""

    def __init__(self, repository: Repository, district_check: DistrictCheck) -> None:
        self.repository = repository
        self.district_check = district_check

    def _new_version(self, conn: Any, live: int, *, source: str, actor: str, note: str,
                     replace: list[Store] = (), leave_out: Iterable[str] = ()) -> int:
        """A copy of the live version with some shops replaced or left out, made live."""
        version = self.repository.write_version(conn, live, list(replace), leave_out=leave_out, source=source,
                                                uploaded_by=actor, note=note)
        self.repository.set_live(conn, version)
        return version

    def _live(self, conn: Any) -> int:
        live = self.repository.live_version_in(conn)
        if live is None:
            raise NotFound("there is no live dataset version yet; upload a list first")
        return live

    def _live_shop(self, conn: Any, store_id: str, if_revoked: str) -> tuple[int, Override | None, Store]:
        """(live version, standing override, the shop as live) of a shop that is live and not revoked."""
        live = self._live(conn)
        standing = overrides.get(conn, store_id)
        if standing is not None and standing.revoked:
            raise Conflict(f"shop {store_id!r} {if_revoked}")
        current = self.repository.store_in(conn, live, store_id)
        if current is None:
            raise NotFound(f"no shop {store_id!r} in the live version {live}")
        return live, standing, current

    def override(self, store_id: str, fields: Mapping[str, Any], reason: str, actor: str) -> Outcome:
        """Correct a live shop's fields; the correction stands over later uploads."""
        with self.repository.writing() as conn:
            live, standing, current = self._live_shop(conn, store_id, "is revoked; restore it before correcting it")
            merged = {**(standing.fields if standing else {}), **fields}
            corrected = apply_override(current, merged, self.district_check)
            overrides.put(conn, Override(store_id, merged, False, reason, actor, datetime.now(timezone.utc)))
            # What the shop's live fields became; the override bookkeeping itself is not news to anyone.
            changes = {name: (json_value(before), json_value(after))
                       for name, (before, after) in changed_fields(current, corrected).items()
                       if name != "overridden"}
            version = self._new_version(conn, live, source="override", actor=actor, note=reason,
                                        replace=[corrected])
            audit.record(conn, actor=actor, action="store.override", target=f"store:{store_id}", version=version,
                         reason=reason, fields={name: {"from": a, "to": b} for name, (a, b) in changes.items()})
        return Outcome(version, corrected, changes)

    def clear_override(self, store_id: str, reason: str, actor: str) -> Outcome:
        """Drop a shop's corrections: it shows what its list and geocoder said again."""
        with self.repository.writing() as conn:
            standing = overrides.get(conn, store_id)
            if standing is None or not standing.fields:
                raise Conflict(f"shop {store_id!r} has no field corrections")
            if standing.revoked:
                raise Conflict(f"shop {store_id!r} is revoked; restore it first (its corrections come back with it)")
            live = self._live(conn)
            overrides.remove(conn, store_id)
            current = self.repository.store_in(conn, live, store_id)
            restored = None if current is None else original(current)
            version = self._new_version(conn, live, source="override", actor=actor, note=reason,
                                        replace=[restored] if restored else [])
            audit.record(conn, actor=actor, action="store.override.clear", target=f"store:{store_id}",
                         version=version, reason=reason, cleared=dict(standing.fields))
        return Outcome(version, restored, {})

    def revoke(self, store_id: str, reason: str, actor: str) -> Outcome:
        """지정 취소: hide the shop from navigation now and from every later upload."""
        with self.repository.writing() as conn:
            live, standing, current = self._live_shop(conn, store_id, "is already revoked")
            overrides.put(conn, Override(store_id, standing.fields if standing else {}, True, reason, actor,
                                         datetime.now(timezone.utc)))
            version = self._new_version(conn, live, source="revoke", actor=actor, note=reason, leave_out=[store_id])
            audit.record(conn, actor=actor, action="store.revoke", target=f"store:{store_id}", version=version,
                         reason=reason, name=current.name)
        return Outcome(version, None, {})

    def restore(self, store_id: str, reason: str, actor: str) -> Outcome:
        """Undo a revocation: the shop comes back as the newest version that held it had it."""
        with self.repository.writing() as conn:
            standing = overrides.get(conn, store_id)
            if standing is None or not standing.revoked:
                raise Conflict(f"shop {store_id!r} is not revoked")
            live = self._live(conn)
            last_seen = self.repository.latest_store_in(conn, store_id)
            fields = dict(standing.fields)
            if fields:
                overrides.put(conn, Override(store_id, fields, False, reason, actor, datetime.now(timezone.utc)))
            else:
                overrides.remove(conn, store_id)
            if last_seen is None or self.repository.store_in(conn, live, store_id) is not None:
                back = []
            else:
                back = [apply_override(last_seen, fields, self.district_check) if fields else original(last_seen)]
            version = self._new_version(conn, live, source="restore", actor=actor, note=reason, replace=back)
            audit.record(conn, actor=actor, action="store.restore", target=f"store:{store_id}", version=version,
                         reason=reason, back_in_list=bool(back))
        return Outcome(version, back[0] if back else None, {})

    def activate(self, version: int, actor: str) -> Activation:
        """Roll back or forward to a kept version, keeping the corrections that stand now.

        A rollback undoes a bad list, not the admins' work: a shop revoked since that
        version stays hidden and a corrected pin stays corrected. When the version
        lacks none of the standing corrections it goes live as it is; otherwise a
        copy of it with them applied does (``source`` "activate", based on it).
        """
        repo = self.repository
        with repo.writing() as conn:
            if not repo.version_exists(conn, version):
                raise NotFound(f"no dataset version {version}")
            previous = repo.live_version_in(conn)
            revoked, corrected = [], []
            for store_id, override in overrides.all_in(conn).items():
                store = repo.store_in(conn, version, store_id)
                if store is None:
                    continue
                if override.revoked:
                    revoked.append(store_id)
                    continue
                applied = apply_override(store, override.fields, self.district_check)
                if applied != store:
                    corrected.append(applied)
            live = version
            if revoked or corrected:
                live = repo.write_version(conn, version, corrected, leave_out=revoked, source="activate",
                                          uploaded_by=actor,
                                          note=f"version {version} with the corrections standing now")
            repo.set_live(conn, live)
            audit.record(conn, actor=actor, action="version.activate", target=f"version:{version}",
                         version=live, previous=previous, revoked_kept_out=revoked,
                         corrections_reapplied=[s.id for s in corrected])
        return Activation(requested=version, version=live, previous=previous,
                          revoked_kept_out=revoked, corrections_reapplied=[s.id for s in corrected])
