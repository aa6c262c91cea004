"""Changes announced to every process at once: PostgreSQL NOTIFY on commit, LISTEN in each.

A change that makes a version live (``CHANNEL``) or changes client keys
(``CLIENTS_CHANNEL``) notifies in its own transaction, so the notice is
delivered when, and only if, it commits. Each serving process keeps one
connection listening and reloads what changed when a notice arrives; polling
stays as the fallback (a notice is lost while a listener reconnects, so every
reconnect is followed by one reload of everything), and it is the only way on
SQLite, which has no notices.
"""
from __future__ import annotations

import logging
import threading
import uuid
from typing import Callable

from sqlalchemy import Connection, Engine, text

LOGGER = logging.getLogger(__name__)
CHANNEL = "navplugin_live"
CLIENTS_CHANNEL = "navplugin_clients"
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)  # waits between attempts while the database is away


def announce(conn: Connection, payload: object, channel: str = CHANNEL) -> None:
    """Tell every listening process, once this transaction commits (a new live version, by default)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": str(payload)})


class LiveListener:
    """One process's LISTEN connection, in a thread of its own: ``handlers[channel](payload)`` for each notice,
    and every handler with None after each (re)connect."""

    def __init__(self, engine: Engine, handlers: dict[str, Callable[[str | None], None]]) -> None:
        url = engine.url.set(drivername="postgresql")
        self._engine = engine
        self._conninfo = url.render_as_string(hide_password=False)
        self._handlers = handlers
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
                    for channel in [*self._handlers, self._wake]:
                        conn.execute(f"LISTEN {channel}")
                    self.listening.set()
                    attempt = 0
                    for channel in self._handlers:  # what was missed while not listening
                        self._notify(channel, None)
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            if self._stop.is_set():
                                break
                            if notice.channel in self._handlers:
                                self._notify(notice.channel, notice.payload)
            except Exception as exc:  # noqa: BLE001 - the database may be away; keep trying
                self.listening.clear()
                wait = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                LOGGER.warning("listening for changes failed (%s); again in %s s", type(exc).__name__, wait)
                self._stop.wait(wait)
        self.listening.clear()

    def _notify(self, channel: str, payload: str | None) -> None:
        try:
            self._handlers[channel](payload)
        except Exception:  # noqa: BLE001 - a failed reload is retried by the next notice or the poller
            LOGGER.exception("reloading after a notice on %s failed", channel)
