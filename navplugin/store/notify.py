"""A new live version announced to every process at once: PostgreSQL NOTIFY on commit, LISTEN in each.

The change that makes a version live notifies ``CHANNEL`` in its own
transaction, so the notice is delivered when, and only if, it commits. Each
serving process keeps one connection listening and reloads its index when a
notice arrives; polling stays as the fallback (a notice is lost while a
listener reconnects, so every reconnect is followed by one reload), and it is
the only way on SQLite, which has no notices.
"""
from __future__ import annotations

import logging
import threading
import uuid
from typing import Callable

from sqlalchemy import Connection, Engine, text

LOGGER = logging.getLogger(__name__)
CHANNEL = "navplugin_live"
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)  # waits between attempts while the database is away


def announce(conn: Connection, version: int) -> None:
    """Tell every listening process, once this transaction commits, that ``version`` is live."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :version)"), {"channel": CHANNEL, "version": str(version)})


class LiveListener:
    """One process's LISTEN connection, in a thread of its own; ``on_notice(version)`` for each notice."""

    def __init__(self, engine: Engine, on_notice: Callable[[int | None], None]) -> None:
        url = engine.url.set(drivername="postgresql")
        self._engine = engine
        self._conninfo = url.render_as_string(hide_password=False)
        self._on_notice = on_notice
        self._stop = threading.Event()
        self._wake = f"navplugin_wake_{uuid.uuid4().hex[:16]}"  # this listener's own channel, to stop it at once
        self.listening = threading.Event()  # set while a LISTEN connection is open
        self._thread = threading.Thread(target=self._run, name="navplugin-listen", daemon=True)

    def start(self) -> "LiveListener":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self.listening.is_set():
            try:
                with self._engine.connect() as conn:
                    conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self._wake})
                    conn.commit()
            except Exception:  # noqa: BLE001 - the database is away: the thread notices within a second
                pass
        self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {self._wake}")
                    self.listening.set()
                    attempt = 0
                    self._notify(None)  # what was missed while not listening
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            if self._stop.is_set():
                                break
                            if notice.channel == CHANNEL:
                                self._notify(int(notice.payload) if notice.payload.isdigit() else None)
            except Exception as exc:  # noqa: BLE001 - the database may be away; keep trying
                self.listening.clear()
                wait = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                LOGGER.warning("listening for new live versions failed (%s); again in %s s", type(exc).__name__, wait)
                self._stop.wait(wait)
        self.listening.clear()

    def _notify(self, version: int | None) -> None:
        try:
            self._on_notice(version)
        except Exception:  # noqa: BLE001 - a failed reload is retried by the next notice or the poller
            LOGGER.exception("reloading the index after a notice failed")
