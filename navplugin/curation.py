"""The admin's corrections as use cases: override a shop, revoke or restore it, switch versions.

Each correction is one audited change (``Repository.change``) recording two
things: a standing override (``store.overrides``), which every later version
carries, and a new dataset version copied from the live one with the change
applied, so navigation apps, diffs and delta sync see it like any other change.

Applying an override starts from what the list and the geocoder said
(``Store.overridden`` keeps it), so overrides can be changed or cleared
again without losing the original values. Moving a pin makes it
``manual`` (provider ``admin``) and drops a geocoder's entrance point,
which belonged to the old, wrong place, unless an entrance is given too.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .accuracy import accuracy_of
from .errors import Conflict, NotFound
from .geocode.district import DistrictChecker
from .model import Store
from .store.change import Change
from .store.diff import changed_fields
from .store.overrides import Override
from .store.repository import Repository

LOGGER = logging.getLogger(__name__)


def original(store: Store) -> Store:
    """The shop as its list and geocoder gave it, before any override."""
    if not store.overridden:
        return store
    return dataclasses.replace(store, overridden={}, **store.overridden)


def apply_override(store: Store, fields: Mapping[str, Any], district_check: DistrictChecker) -> Store:
    """``store`` (as uploaded) with the override's fields, remembering what they replaced."""
    base = original(store)
    changes = dict(fields)
    if "lon" in changes:
        changes.update(precision="manual", provider="admin", accuracy_m=accuracy_of("manual"))
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
                    district_check: DistrictChecker) -> tuple[list[Store], int, list[str]]:
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


def json_value(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


@dataclass(frozen=True)
class Correction:
    """What a correction did: the version it made live, the shop as it now is, its changed fields."""

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
    """Admin corrections against one repository, each one audited change."""

    def __init__(self, repository: Repository, district_check: DistrictChecker) -> None:
        self.repository = repository
        self.district_check = district_check

    @staticmethod
    def _new_version(change: Change, live: int, *, source: str, note: str, replace: Iterable[Store] = (),
                     leave_out: Iterable[str] = ()) -> int:
        """A copy of the live version with some shops replaced or left out, made live."""
        version = change.write_version(live, list(replace), leave_out=leave_out, source=source,
                                       uploaded_by=change.actor, note=note)
        change.set_live(version)
        return version

    @staticmethod
    def _live(change: Change) -> int:
        live = change.live_version()
        if live is None:
            raise NotFound("there is no live dataset version yet; upload a list first")
        return live

    def _live_shop(self, change: Change, store_id: str, if_revoked: str) -> tuple[int, Override | None, Store]:
        """(live version, standing override, the shop as live) of a shop that is live and not revoked."""
        live = self._live(change)
        standing = change.override(store_id)
        if standing is not None and standing.revoked:
            raise Conflict(f"shop {store_id!r} {if_revoked}")
        current = change.store(live, store_id)
        if current is None:
            raise NotFound(f"no shop {store_id!r} in the live version {live}")
        return live, standing, current

    def override(self, store_id: str, fields: Mapping[str, Any], reason: str, actor: str) -> Correction:
        """Correct a live shop's fields; the correction stands over later uploads."""
        with self.repository.change(actor, "store.override", f"store:{store_id}") as change:
            live, standing, current = self._live_shop(change, store_id,
                                                      "is revoked; restore it before correcting it")
            merged = {**(standing.fields if standing else {}), **fields}
            corrected = apply_override(current, merged, self.district_check)
            change.put_override(Override(store_id, merged, False, reason, actor, datetime.now(timezone.utc)))
            # What the shop's live fields became; the override bookkeeping itself is not news to anyone.
            changes = {name: (json_value(before), json_value(after))
                       for name, (before, after) in changed_fields(current, corrected).items()
                       if name != "overridden"}
            version = self._new_version(change, live, source="override", note=reason, replace=[corrected])
            change.audit(version=version, reason=reason,
                         fields={name: {"from": a, "to": b} for name, (a, b) in changes.items()})
        return Correction(version, corrected, changes)

    def clear_override(self, store_id: str, reason: str, actor: str) -> Correction:
        """Drop a shop's corrections: it shows what its list and geocoder said again."""
        with self.repository.change(actor, "store.override.clear", f"store:{store_id}") as change:
            standing = change.override(store_id)
            if standing is None or not standing.fields:
                raise Conflict(f"shop {store_id!r} has no field corrections")
            if standing.revoked:
                raise Conflict(f"shop {store_id!r} is revoked; restore it first (its corrections come back with it)")
            live = self._live(change)
            change.remove_override(store_id)
            current = change.store(live, store_id)
            restored = None if current is None else original(current)
            version = self._new_version(change, live, source="override", note=reason,
                                        replace=[restored] if restored else [])
            change.audit(version=version, reason=reason, cleared=dict(standing.fields))
        return Correction(version, restored, {})

    def revoke(self, store_id: str, reason: str, actor: str) -> Correction:
        """지정 취소: hide the shop from navigation now and from every later upload."""
        with self.repository.change(actor, "store.revoke", f"store:{store_id}") as change:
            live, standing, current = self._live_shop(change, store_id, "is already revoked")
            change.put_override(Override(store_id, standing.fields if standing else {}, True, reason, actor,
                                         datetime.now(timezone.utc)))
            version = self._new_version(change, live, source="revoke", note=reason, leave_out=[store_id])
            change.audit(version=version, reason=reason, name=current.name)
        return Correction(version, None, {})

    def restore(self, store_id: str, reason: str, actor: str) -> Correction:
        """Undo a revocation: the shop comes back as the newest version that held it had it."""
        with self.repository.change(actor, "store.restore", f"store:{store_id}") as change:
            standing = change.override(store_id)
            if standing is None or not standing.revoked:
                raise Conflict(f"shop {store_id!r} is not revoked")
            live = self._live(change)
            last_seen = change.latest_store(store_id)
            fields = dict(standing.fields)
            if fields:
                change.put_override(Override(store_id, fields, False, reason, actor, datetime.now(timezone.utc)))
            else:
                change.remove_override(store_id)
            if last_seen is None or change.store(live, store_id) is not None:
                back = []
            else:
                back = [apply_override(last_seen, fields, self.district_check) if fields else original(last_seen)]
            version = self._new_version(change, live, source="restore", note=reason, replace=back)
            change.audit(version=version, reason=reason, back_in_list=bool(back))
        return Correction(version, back[0] if back else None, {})

    def activate(self, version: int, actor: str) -> Activation:
        """Roll back or forward to a kept version, keeping the corrections that stand now.

        A rollback undoes a bad list, not the admins' work: a shop revoked since that
        version stays hidden and a corrected pin stays corrected. When the version
        lacks none of the standing corrections it goes live as it is; otherwise a
        copy of it with them applied does (``source`` "activate", based on it).
        """
        with self.repository.change(actor, "version.activate", f"version:{version}") as change:
            if not change.version_exists(version):
                raise NotFound(f"no dataset version {version}")
            previous = change.live_version()
            revoked, corrected = [], []
            for store_id, override in change.overrides().items():
                store = change.store(version, store_id)
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
                live = change.write_version(version, corrected, leave_out=revoked, source="activate",
                                            uploaded_by=actor,
                                            note=f"version {version} with the corrections standing now")
            change.set_live(live)
            change.audit(version=live, previous=previous, revoked_kept_out=revoked,
                         corrections_reapplied=[s.id for s in corrected])
        return Activation(requested=version, version=live, previous=previous,
                          revoked_kept_out=revoked, corrections_reapplied=[s.id for s in corrected])
