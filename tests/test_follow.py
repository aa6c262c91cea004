"""Every serving process follows a new live version: at once through PostgreSQL's notices, by polling on SQLite."""
from __future__ import annotations

import time

from tests.conftest import POSTGRES_ONLY
from tests.helpers import GOOD_CSV, NEW_CSV, nearby, upload


def test_a_second_process_follows_an_upload_without_polling(make_app, admin_headers, database_url):
    writer = make_app(INDEX_POLL_SECONDS=0).test_client()
    reader_app = make_app(INDEX_POLL_SECONDS=0)  # no polling: only a notice can tell it
    reader = reader_app.extensions["navplugin"]
    if not database_url.startswith("postgresql"):
        assert reader.listener is None  # SQLite has no notices; polling is its only way
        return
    assert reader.listener.listening.wait(10)
    first = upload(writer, admin_headers, GOOD_CSV).get_json()["version"]
    assert reader.holder.wait_for(first, timeout=10)
    started = time.monotonic()
    second = upload(writer, admin_headers, NEW_CSV).get_json()["version"]
    assert reader.holder.wait_for(second, timeout=10)
    followed_in = time.monotonic() - started
    assert nearby(reader_app.test_client()).get_json()["dataset_version"] == second
    print(f"followed a new version in {followed_in * 1000:.0f} ms (upload included)")


@POSTGRES_ONLY
def test_a_listener_that_loses_its_connection_reconnects_and_catches_up(make_app, admin_headers, database_url):
    from sqlalchemy import create_engine, text

    writer = make_app(INDEX_POLL_SECONDS=0).test_client()
    reader = make_app(INDEX_POLL_SECONDS=0).extensions["navplugin"]
    assert reader.listener.listening.wait(10)
    admin = create_engine(database_url)
    with admin.connect() as conn:  # the database drops every LISTEN connection, as a restart would
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE query LIKE 'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
    admin.dispose()
    version = upload(writer, admin_headers, GOOD_CSV).get_json()["version"]
    assert reader.holder.wait_for(version, timeout=30)  # the notice was lost; the reconnect caught up
