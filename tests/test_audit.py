"""Every writing operation leaves exactly one audit entry per change, written in the change's own transaction.

The operations are enumerated here and must cover every audit action. Each
one is run twice: as it is, counting the changes it makes and the entries it
leaves; and with the commit of its last change refused by the database, which
must leave neither that change nor its entry.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable

import pytest
from sqlalchemy import event, func, select

from navplugin.errors import InvalidUpload
from navplugin.model import Store
from navplugin.store import schema
from navplugin.store.audit import ACTIONS
from tests.helpers import ROW_A, ROW_B, ROW_C, csv

SHOP = Store(id="A-1", name="을지면옥", lon=126.9918, lat=37.5670, provider="supplied", precision="supplied")
UNPLACEABLE = "관리번호,업체명,주소\nX-1,어디에도 없는 가게,어딘가 알 수 없는 곳 1\n".encode()


def _state(repository) -> dict[str, Any]:
    """What a change may write: versions, the live one, overrides, upload jobs, audit entries."""
    with repository.engine.connect() as conn:
        return {
            "versions": conn.execute(select(schema.datasets.c.version).order_by(schema.datasets.c.version))
            .scalars().all(),
            "live": conn.execute(select(schema.live_dataset.c.version)).scalar(),
            "overrides": conn.execute(select(schema.store_overrides.c.store_id, schema.store_overrides.c.fields,
                                             schema.store_overrides.c.revoked)
                                      .order_by(schema.store_overrides.c.store_id)).all(),
            "uploads": conn.execute(select(schema.uploads.c.id, schema.uploads.c.status)
                                    .order_by(schema.uploads.c.id)).all(),
            "clients": conn.execute(select(schema.clients.c.id, schema.clients.c.key_hash, schema.clients.c.rate,
                                           schema.clients.c.revoked_at).order_by(schema.clients.c.id)).all(),
            "audit": conn.execute(select(func.count()).select_from(schema.audit_log)).scalar(),
        }


def _entries(repository, after: int) -> list[dict]:
    return sorted((e for e in repository.audit_entries(limit=500) if e["id"] > after), key=lambda e: e["id"])


class Changes:
    """Counts the changes an operation makes, with the state before each; can refuse the commit of one."""

    def __init__(self, repository) -> None:
        self.repository = repository
        self.made: list[tuple[str, dict]] = []
        self._original = repository.change
        self.refuse_at: int | None = None  # 1-based: which change's commit the database refuses
        repository.change = self._change
        event.listen(repository.engine, "before_cursor_execute", self._statement)
        event.listen(repository.engine, "commit", self._commit)
        event.listen(repository.engine, "rollback", self._rollback)

    @contextmanager
    def _change(self, actor: str, action: str, target: str | None = None):
        self.made.append((action, _state(self.repository)))
        with self._original(actor, action, target) as change:
            yield change

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        # The transaction that takes the writers' turn is the change's own (store.repository.take_write_turn).
        if "pg_advisory_xact_lock" in statement or statement.startswith("UPDATE live_dataset SET id="):
            conn.info["changing"] = True

    def _commit(self, conn) -> None:
        if conn.info.pop("changing", False) and self.refuse_at == len(self.made):
            self.refuse_at = None
            raise RuntimeError("the database refused the commit")

    def _rollback(self, conn) -> None:
        conn.info.pop("changing", None)

    def close(self) -> None:
        self.repository.change = self._original
        event.remove(self.repository.engine, "before_cursor_execute", self._statement)
        event.remove(self.repository.engine, "commit", self._commit)
        event.remove(self.repository.engine, "rollback", self._rollback)


def _uploaded(svc, data: bytes, **options) -> None:
    svc.import_list(data, "list.csv", uploaded_by="alice", **options)


def _corrected(svc) -> None:
    svc.curator.override("A-1", {"phone": "02-9"}, "전화번호 정정", "alice")


# name -> (set-up, the operation, the actions of the changes it makes, in order)
OPERATIONS: dict[str, tuple[Callable, Callable, list[str]]] = {
    "upload": (lambda svc: None, lambda svc: _uploaded(svc, csv(ROW_A, ROW_B)), ["upload", "upload.done"]),
    "merge": (lambda svc: _uploaded(svc, csv(ROW_A)), lambda svc: _uploaded(svc, csv(ROW_C), mode="merge"),
              ["upload", "upload.done"]),
    "dry run": (lambda svc: None, lambda svc: _uploaded(svc, csv(ROW_A), dry_run=True), ["upload.dry_run"]),
    "rejected": (lambda svc: None, lambda svc: _reject(svc), ["upload.rejected"]),
    "unplaceable": (lambda svc: None, lambda svc: _uploaded(svc, UNPLACEABLE), ["upload", "upload.failed"]),
    "correction": (lambda svc: _uploaded(svc, csv(ROW_A, ROW_B)), _corrected, ["store.override"]),
    "clearing": (lambda svc: (_uploaded(svc, csv(ROW_A)), _corrected(svc)),
                 lambda svc: svc.curator.clear_override("A-1", "원래대로", "alice"), ["store.override.clear"]),
    "revocation": (lambda svc: _uploaded(svc, csv(ROW_A, ROW_B)),
                   lambda svc: svc.curator.revoke("A-2", "지정 취소", "alice"), ["store.revoke"]),
    "restoring": (lambda svc: (_uploaded(svc, csv(ROW_A, ROW_B)), svc.curator.revoke("A-2", "취소", "alice")),
                  lambda svc: svc.curator.restore("A-2", "재지정", "alice"), ["store.restore"]),
    "activation": (lambda svc: (_uploaded(svc, csv(ROW_A)), _uploaded(svc, csv(ROW_B))),
                   lambda svc: svc.curator.activate(1, "alice"), ["version.activate"]),
    "import": (lambda svc: None, lambda svc: svc.repository.add_version(
        [SHOP], source="cli", total_rows=1, report={}, uploaded_by="alice"), ["version.import"]),
    "pruning": (lambda svc: [_uploaded(svc, csv(ROW_A)) for _ in range(3)], lambda svc: svc.repository.prune(1),
                ["version.prune"]),
    "client key": (lambda svc: None, lambda svc: svc.clients.create("원내비", "600/minute", "alice"),
                   ["client.create"]),
    "key rotation": (lambda svc: _client(svc), lambda svc: svc.clients.rotate(1, "alice"), ["client.rotate"]),
    "new quota": (lambda svc: _client(svc), lambda svc: svc.clients.set_rate(1, "10/second", "alice"),
                  ["client.rate"]),
    "key revocation": (lambda svc: _client(svc), lambda svc: svc.clients.revoke(1, "alice"), ["client.revoke"]),
}


def _client(svc) -> None:
    svc.clients.create("원내비", "600/minute", "alice")


def _reject(svc) -> None:
    with pytest.raises(InvalidUpload):
        _uploaded(svc, csv(ROW_A, "A-9,,음식점업,,,,,,\n"))


def test_the_operations_cover_every_audit_action():
    assert sorted({action for *_, actions in OPERATIONS.values() for action in actions}) == sorted(ACTIONS)


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_change_leaves_exactly_one_entry_of_its_own(make_app, name):
    svc = make_app().extensions["navplugin"]
    set_up, operation, actions = OPERATIONS[name]
    set_up(svc)
    before = _state(svc.repository)["audit"]
    last_id = max([e["id"] for e in svc.repository.audit_entries(limit=1)], default=0)
    changes = Changes(svc.repository)
    try:
        operation(svc)
    finally:
        changes.close()
    entries = _entries(svc.repository, last_id)
    assert [action for action, _ in changes.made] == actions
    assert [entry["action"] for entry in entries] == actions
    assert _state(svc.repository)["audit"] == before + len(actions)
    for entry in entries:  # an entry names the version its change made live, where it made one
        if entry["action"] in ("upload.done", "store.override", "store.override.clear", "store.revoke",
                               "store.restore", "version.activate", "version.import"):
            assert entry["version"] in _state(svc.repository)["versions"]


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_change_whose_commit_fails_leaves_neither_change_nor_entry(make_app, name):
    svc = make_app().extensions["navplugin"]
    set_up, operation, actions = OPERATIONS[name]
    set_up(svc)
    last_id = max([e["id"] for e in svc.repository.audit_entries(limit=1)], default=0)
    changes = Changes(svc.repository)
    changes.refuse_at = len(actions)
    try:
        with pytest.raises(RuntimeError, match="refused the commit"):
            operation(svc)
    finally:
        changes.close()
    refused = len(actions) - 1
    refused_action, before_refused = changes.made[refused]
    assert refused_action == actions[-1]
    # Every change but the refused one left its entry (a job that could not end records its failure anew).
    committed = [action for i, (action, _) in enumerate(changes.made) if i != refused]
    assert [entry["action"] for entry in _entries(svc.repository, last_id)] == committed
    # Nothing the refused change wrote is there: no version, no live switch, no override.
    after = _state(svc.repository)
    assert (after["versions"], after["live"], after["overrides"]) == (
        before_refused["versions"], before_refused["live"], before_refused["overrides"])
