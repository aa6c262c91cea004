"""One change to the data, and the audit entry that says who made it: a unit of work.

``Repository.change(actor, action, target)`` is the only way to change
versions, overrides or upload outcomes. It opens one transaction, takes the
writers' turn (one writer at a time, across processes), hands the caller a
``Change`` to read and write through, and writes the audit entry as the last
statement of that same transaction. So a change is committed with its entry
or not at all, and no caller above ``store/`` ever holds a connection.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlalchemy import Connection

from ..model import ShopRow, Store
from . import audit, clients, overrides, uploads, versions
from .clients import Client
from .notify import CLIENTS_CHANNEL, announce
from .overrides import Override
from .uploads import Failure, JobStatus


class Change:
    """Reads and writes inside one audited change; made by ``Repository.change`` only."""

    def __init__(self, conn: Connection, *, actor: str, action: str, target: str | None) -> None:
        self._conn = conn
        self.actor = actor
        self.action = action
        self.target = target
        self.version: int | None = None  # the dataset version the change produced or made live
        self.details: dict[str, Any] = {}

    def audit(self, *, version: int | None = None, target: str | None = None, **details: Any) -> None:
        """What the audit entry will say: the version produced, the target, what changed and why."""
        if version is not None:
            self.version = version
        if target is not None:
            self.target = target
        self.details.update(details)

    def _record(self) -> int:
        return audit.record(self._conn, actor=self.actor, action=self.action, target=self.target,
                            version=self.version, **self.details)

    # -- reads, under the writers' turn ----------------------------------------------------------

    def live_version(self) -> int | None:
        return versions.live_version(self._conn)

    def version_exists(self, version: int) -> bool:
        return versions.version_exists(self._conn, version)

    def store(self, version: int, store_id: str) -> Store | None:
        return versions.store_in(self._conn, version, store_id)

    def latest_store(self, store_id: str) -> Store | None:
        return versions.latest_store(self._conn, store_id)

    def store_count(self, version: int) -> int:
        return versions.store_count(self._conn, version)

    def override(self, store_id: str) -> Override | None:
        return overrides.get(self._conn, store_id)

    def overrides(self) -> dict[str, Override]:
        return overrides.all_in(self._conn)

    # -- writes ----------------------------------------------------------------------------------

    def write_version(self, base: int | None, stores: Sequence[Store], **options: Any) -> int:
        """A new version (not yet live); see ``versions.write_version``."""
        return versions.write_version(self._conn, base, stores, **options)

    def set_live(self, version: int) -> None:
        versions.set_live(self._conn, version)

    def drop_versions_beyond(self, keep: int) -> list[int]:
        """Drop all but the newest ``keep`` versions and the live one; the versions dropped."""
        dropped = versions.beyond_kept(self._conn, keep)
        versions.drop_versions(self._conn, dropped)
        return dropped

    def put_override(self, override: Override) -> None:
        overrides.put(self._conn, override)

    def remove_override(self, store_id: str) -> None:
        overrides.remove(self._conn, store_id)

    def create_upload(self, rows: Iterable[ShopRow], **options: Any) -> int:
        """A queued upload job; see ``uploads.create``."""
        return uploads.create(self._conn, rows, **options)

    def finish_upload(self, upload_id: int, *, status: JobStatus, report: dict[str, Any],
                      version: int | None = None, error: str | None = None, failure: Failure | None = None,
                      owner: str | None = None) -> None:
        uploads.finish(self._conn, upload_id, status=status, report=report, version=version, error=error,
                       failure=failure, owner=owner)

    def client(self, client_id: int) -> Client | None:
        return clients.get(self._conn, client_id)

    def create_client(self, **values: Any) -> int:
        """A client key's row; every process hears of it when the change commits."""
        client_id = clients.create(self._conn, **values)
        announce(self._conn, client_id, CLIENTS_CHANNEL)
        return client_id

    def update_client(self, client_id: int, **values: Any) -> None:
        """A new key hash, a new quota, or a revocation; every process hears of it when the change commits."""
        clients.update_client(self._conn, client_id, **values)
        announce(self._conn, client_id, CLIENTS_CHANNEL)
