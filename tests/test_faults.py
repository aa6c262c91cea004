"""The service under faults: the database away, Redis away, a queue worker that runs jobs, nothing lost."""
from __future__ import annotations

import io

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from navplugin import tasks
from navplugin.store import schema
from tests.conftest import POSTGRES_ONLY
from tests.faults import Proxy
from tests.helpers import GOOD_CSV, NEW_CSV, assert_problem, nearby, upload

GEOCODED = "업체명,주소\n종로 떡집,서울특별시 종로구 종로 1\n인사동 찻집,서울특별시 종로구 인사동길 30\n".encode()


def _jobs(app) -> int:
    with app.extensions["navplugin"].repository.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.uploads)).scalar()


# -- the database goes away -----------------------------------------------------------------------

@POSTGRES_ONLY  # a database server gone: a SQLite file cannot go away so
def test_with_the_database_gone_reads_go_on_and_writes_get_503_until_it_returns(make_app, admin_headers,
                                                                                 database_url):
    url = make_url(database_url)
    proxy = Proxy(url.host, url.port or 5432)
    try:
        app = make_app(DATABASE_URL=url.set(port=proxy.port).render_as_string(hide_password=False),
                       INDEX_POLL_SECONDS=0.2)
        client = app.test_client()
        assert upload(client, admin_headers, GOOD_CSV).status_code == 201
        version = client.get("/readyz").get_json()["dataset_version"]

        proxy.cut()
        reads = [nearby(client), client.get("/v1/stores?bbox=126.9,37.5,127.1,37.6"),
                 client.get("/v1/stores/export?format=csv"), client.post(
                     "/v1/stores/along-route", json={"coordinates": [[126.98, 37.57], [127.0, 37.56]]})]
        assert [r.status_code for r in reads] == [200, 200, 200, 200]
        assert nearby(client).get_json()["dataset_version"] == version
        not_ready = assert_problem(client.get("/readyz"), 503)
        assert "database unreachable" in not_ready["detail"]
        written = client.post("/admin/v1/stores/bg-x/revoke", headers=admin_headers, json={"reason": "폐업"})
        assert_problem(written, 503)
        assert written.headers["Retry-After"] == "5"
        assert_problem(upload(client, admin_headers, NEW_CSV), 503)

        proxy.restore()  # the database is back: everything recovers by itself
        assert client.get("/readyz").status_code == 200
        assert upload(client, admin_headers, NEW_CSV).status_code == 201
        assert nearby(client).get_json()["dataset_version"] > version
    finally:
        proxy.close()


# -- the job queue ------------------------------------------------------------------------------

def test_with_a_queue_uploads_run_on_a_worker(make_app, admin_headers, redis_url):
    from rq import SimpleWorker

    web = make_app(QUEUE_URL=redis_url, INDEX_POLL_SECONDS=0.1)  # polling for SQLite; PostgreSQL notifies
    worker = make_app(QUEUE_URL=redis_url, INDEX_POLL_SECONDS=0).extensions["navplugin"]
    accepted = upload(web.test_client(), admin_headers, GEOCODED, wait=0)
    assert accepted.status_code == 202  # queued, not run in the web process
    upload_id = accepted.get_json()["upload"]["id"]
    queue = web.extensions["navplugin"].queue.queue
    assert queue.job_ids == [f"upload-{upload_id}"]
    tasks.use(worker)
    SimpleWorker([worker.queue.queue], connection=worker.queue.connection).work(burst=True)
    status = web.test_client().get(f"/admin/v1/uploads/{upload_id}", headers=admin_headers).get_json()
    assert status["status"] == "done" and status["progress"]["done"] == 2
    assert web.extensions["navplugin"].holder.wait_for(status["version"], timeout=10)


def test_with_redis_gone_an_upload_is_503_and_nothing_is_stored(make_app, admin_headers, redis_url):
    proxy = Proxy("127.0.0.1", 6379)
    try:
        db = redis_url.rsplit("/", 1)[1]
        app = make_app(QUEUE_URL=f"redis://127.0.0.1:{proxy.port}/{db}")
        client = app.test_client()
        proxy.cut()
        refused = upload(client, admin_headers, GEOCODED)
        assert_problem(refused, 503)
        assert refused.headers["Retry-After"] == "10" and "queue is unreachable" in refused.get_json()["detail"]
        assert _jobs(app) == 0 and client.get("/readyz").get_json()["dataset_version"] is None
        dry = client.post("/admin/v1/uploads", headers=admin_headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(GEOCODED), "list.csv"), "dry_run": "true"})
        assert dry.status_code == 200  # a dry run stores nothing and needs no queue
        proxy.restore()
        assert upload(client, admin_headers, GEOCODED, wait=0).status_code == 202
    finally:
        proxy.close()


def test_a_job_the_queue_lost_is_swept_back_and_finished(make_app, admin_headers, redis_url):
    from rq import SimpleWorker

    web = make_app(QUEUE_URL=redis_url, JOB_STALE_SECONDS=0.2)
    service = web.extensions["navplugin"]
    submitted = service.submit(GEOCODED, "list.csv", uploaded_by="admin")  # stored, never put on the queue
    assert service.queue.queue.count == 0
    import time
    time.sleep(0.3)  # it has waited longer than a job on its way to a worker would
    assert service.queue.resume_all() == [submitted.upload_id]
    tasks.use(service)
    SimpleWorker([service.queue.queue], connection=service.queue.connection).work(burst=True)
    assert service.uploads.get(submitted.upload_id).status == "done"
