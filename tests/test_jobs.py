"""Upload jobs end to end: geocoding through a fake provider, progress, failures, review, resume."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import DBAPIError

from navplugin.geocode.normalize import normalize_for_geocoding
from navplugin.store import schema
from tests.fakes.kakao import KakaoFake

REPO = Path(__file__).resolve().parent.parent
HEADER = "업체명,업종,주소\n"


def csv_of(addresses: list[str]) -> bytes:
    return (HEADER + "".join(f"가게{i},음식점업,\"{a}\"\n" for i, a in enumerate(addresses))).encode()


def upload(client, headers, data: bytes, **options):
    return client.post("/admin/v1/uploads", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "list.csv"), **{k: str(v).lower() for k, v in options.items()}})


@pytest.fixture
def kakao_fake():
    with KakaoFake() as fake:
        yield fake


@pytest.fixture
def kakao_app(make_app, kakao_fake):
    def build(**overrides):
        return make_app(GEOCODERS="kakao", KAKAO_KEY=kakao_fake.api_key, KAKAO_URL=kakao_fake.base_url,
                        GEOCODE_BACKOFF_SECONDS=0.0, **overrides)
    return build


SEOUL = ["서울특별시 종로구 인사동길 12 (관훈동)", "서울특별시 중구 세종대로 110", "서울특별시 은평구 증산로 303"]


def test_upload_is_geocoded_by_the_chain_and_goes_live(kakao_app, kakao_fake, admin_headers):
    client = kakao_app().test_client()
    response = upload(client, admin_headers, csv_of(SEOUL))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["report"]["providers"] == {"kakao": 3}
    assert body["report"]["district_check"] == {"verified": 3}
    status = client.get(response.headers["Location"], headers=admin_headers).get_json()
    assert status["status"] == "done" and status["progress"]["percent"] == 100.0
    assert status["progress"]["done"] == 3 and status["version"] == body["version"]
    item = client.get("/v1/stores/nearby", query_string={"lat": 37.5665, "lon": 126.9780, "radius": 20000}).get_json()
    assert {i["provider"] for i in item["items"]} == {"kakao"}
    assert len(kakao_fake.calls("/v2/local/search/address.json")) == 3


def test_same_list_again_makes_no_upstream_calls(kakao_app, kakao_fake, admin_headers):
    client = kakao_app().test_client()
    assert upload(client, admin_headers, csv_of(SEOUL)).status_code == 201
    calls = len(kakao_fake.calls())
    assert upload(client, admin_headers, csv_of(SEOUL)).status_code == 201
    assert len(kakao_fake.calls()) == calls


def test_slow_job_answers_202_and_can_be_followed(kakao_app, kakao_fake, admin_headers):
    kakao_fake.latency = 0.2
    client = kakao_app(UPLOAD_WAIT_SECONDS=0, GEOCODE_WORKERS=1).test_client()
    response = upload(client, admin_headers, csv_of(SEOUL))
    assert response.status_code == 202
    url = response.get_json()["status_url"]
    assert response.headers["Location"].endswith(url)
    deadline = time.monotonic() + 30
    seen = set()
    while time.monotonic() < deadline:
        status = client.get(url, headers=admin_headers).get_json()
        seen.add(status["status"])
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert status["status"] == "done" and status["progress"]["rows_per_second"] > 0
    assert "running" in seen or "queued" in seen


def test_unplaceable_rows_reject_the_upload_unless_skipped(kakao_app, admin_headers):
    client = kakao_app().test_client()
    assert upload(client, admin_headers, csv_of(SEOUL[:1])).status_code == 201
    before = client.get("/readyz").get_json()["dataset_version"]
    rows = SEOUL + ["어딘가 알 수 없는 곳 1"]
    rejected = upload(client, admin_headers, csv_of(rows))
    assert rejected.status_code == 422
    problems = rejected.get_json()["report"]["problems"]
    assert [(p["line"], p["column"]) for p in problems if p["severity"] == "error"] == [(5, "주소")]
    assert "could not be placed" in problems[-1]["problem"]
    assert client.get("/readyz").get_json()["dataset_version"] == before
    accepted = upload(client, admin_headers, csv_of(rows), skip_invalid=True)
    assert accepted.status_code == 201
    assert accepted.get_json()["report"]["invalid_rows"] == 1
    review = client.get("/admin/v1/review", headers=admin_headers).get_json()
    assert review["failed"]["count"] == 1  # the live list went without it: an admin should see why
    failed = review["failed"]["items"][0]
    assert failed["address"] == "어딘가 알 수 없는 곳 1" and failed["upload_id"] == accepted.get_json()["upload"]["id"]
    # a later list that places everything leaves nothing to review
    assert upload(client, admin_headers, csv_of(SEOUL)).status_code == 201
    assert client.get("/admin/v1/review", headers=admin_headers).get_json()["failed"]["count"] == 0


def test_a_point_in_another_district_is_listed_for_review(kakao_app, kakao_fake, admin_headers):
    kakao_fake.fixed["서울특별시 중구 세종대로 110"] = (129.0756, 35.1796)  # 부산
    client = kakao_app().test_client()
    response = upload(client, admin_headers, csv_of(SEOUL))
    assert response.status_code == 201
    assert response.get_json()["report"]["district_check"] == {"verified": 2, "mismatch": 1}
    review = client.get("/admin/v1/review", headers=admin_headers).get_json()
    assert review["mismatches"]["count"] == 1
    flagged = review["mismatches"]["items"][0]
    assert flagged["address"] == "서울특별시 중구 세종대로 110" and flagged["district_check"] == "mismatch"
    warnings = [p for p in response.get_json()["report"]["problems"] if p["severity"] == "warning"]
    assert warnings and "부산" in warnings[0]["problem"]


def test_supplied_coordinates_are_checked_against_the_named_district(client, admin_headers):
    data = ("업체명,업종,주소,위도,경도\n"
            "시청앞 가게,음식점업,서울특별시 중구 세종대로 110,37.5663,126.9779\n"
            "엉뚱한 좌표,음식점업,서울특별시 종로구 종로 1,35.1796,129.0756\n"  # 부산's point for a 종로 address
            "주소 없음,음식점업,,37.5700,126.9800\n").encode()
    response = upload(client, admin_headers, data)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()["report"]
    assert report["district_check"] == {"verified": 1, "mismatch": 1, "unchecked": 1}
    warning = next(p for p in report["problems"] if p["problem"].startswith("district mismatch"))
    assert (warning["line"], warning["column"], warning["severity"]) == (3, "주소", "warning")
    assert "부산" in warning["problem"] and "종로구" in warning["problem"]
    review = client.get("/admin/v1/review", headers=admin_headers).get_json()
    assert [item["name"] for item in review["mismatches"]["items"]] == ["엉뚱한 좌표"]
    assert review["mismatches"]["items"][0]["precision"] == "supplied"


def test_following_a_job_whose_process_died_finishes_it(make_app, admin_headers):
    app = make_app(JOB_STALE_SECONDS=0.5)
    client = app.test_client()
    svc = app.extensions["navplugin"]
    submission = svc.submit(csv_of(["서울특별시 종로구 종로 1", "서울특별시 중구 세종대로 110"]), "list.csv")
    # Another process took the job and died: its claim stands until its heartbeat is stale.
    assert svc.uploads.claim(submission.upload_id, "dead-host:1:0", stale_after=0.5)
    status = client.get(f"/admin/v1/uploads/{submission.upload_id}", headers=admin_headers).get_json()
    assert status["status"] == "running" and status["progress"]["done"] == 0
    deadline = time.monotonic() + 30
    while status["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = client.get(f"/admin/v1/uploads/{submission.upload_id}", headers=admin_headers).get_json()
    assert status["status"] == "done" and status["progress"]["percent"] == 100.0
    assert svc.index().version == status["version"]


def test_unknown_upload_is_404(client, admin_headers):
    assert client.get("/admin/v1/uploads/999", headers=admin_headers).status_code == 404
    assert client.get("/admin/v1/uploads/1").status_code == 401


def test_killed_job_resumes_without_redoing_finished_rows(tmp_path, kakao_fake, database_url):
    """A process killed mid-job: a new one finishes it, asking only about rows not yet finished."""
    addresses = [f"서울특별시 종로구 인사동길 {n} (관훈동)" for n in range(1, 61)]
    csv_path = tmp_path / "list.csv"
    csv_path.write_bytes(csv_of(addresses))
    kakao_fake.latency = 0.05
    env = {**os.environ, "NAVPLUGIN_DATABASE_URL": database_url, "NAVPLUGIN_GEOCODERS": "kakao",
           "NAVPLUGIN_KAKAO_KEY": kakao_fake.api_key, "NAVPLUGIN_KAKAO_URL": kakao_fake.base_url,
           "NAVPLUGIN_LOAD_SAMPLE": "0", "NAVPLUGIN_GEOCODE_WORKERS": "2", "NAVPLUGIN_JOB_STALE_SECONDS": "1",
           "NAVPLUGIN_INDEX_POLL_SECONDS": "0", "PYTHONPATH": str(REPO)}
    flask = [sys.executable, "-m", "flask", "--app", "navplugin"]
    first = subprocess.Popen([*flask, "import", str(csv_path)], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_engine(database_url)
    done = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and done < 15:
        time.sleep(0.05)
        try:
            with engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(schema.upload_rows)
                                    .where(schema.upload_rows.c.status == "done")).scalar() or 0
        except DBAPIError:
            done = 0  # the importing process has not created its tables yet
    first.kill()
    first.wait()
    with engine.connect() as conn:
        finished_rows = conn.execute(select(schema.upload_rows.c.row)
                                     .where(schema.upload_rows.c.status == "done")).scalars().all()
    finished_before = len(finished_rows)
    assert 15 <= finished_before < 60, "the job must be interrupted part-way"
    finished_queries = {normalize_for_geocoding(json.loads(row)["address"]).text for row in finished_rows}
    time.sleep(1.1)  # the dead process's heartbeat goes stale
    calls_before = {r.query["query"] for r in kakao_fake.calls()}
    resumed = subprocess.run([*flask, "geocode-pending"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "is live" in resumed.stdout, resumed.stdout + resumed.stderr[-4000:]
    with engine.connect() as conn:
        statuses = conn.execute(select(schema.upload_rows.c.status, func.count())
                                .group_by(schema.upload_rows.c.status)).all()
        stores = conn.execute(select(func.count()).select_from(schema.stores)).scalar()
    assert dict(statuses) == {"done": 60} and stores == 60
    queries = [r.query["query"] for r in kakao_fake.calls()]
    # A row finished before the kill is never asked about again; every row was asked at least once.
    assert all(queries.count(q) == 1 for q in finished_queries)
    asked = {normalize_for_geocoding(a).text for a in addresses}
    with engine.connect() as conn:
        reasons = conn.execute(select(schema.upload_rows.c.line, schema.upload_rows.c.reason)
                               .where(schema.upload_rows.c.provider != "kakao")).all()
    assert asked - set(queries) == set(), (resumed.stdout, reasons)
    assert len(calls_before) >= finished_before


def test_every_admin_route_needs_the_token(client, admin_headers):
    for path in ("/admin/v1/uploads/1", "/admin/v1/review", "/admin/v1/versions"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/admin/v1/review", headers=admin_headers).status_code == 200


def test_cli_geocode_shows_each_providers_answer(kakao_app, kakao_fake):
    runner = kakao_app().test_cli_runner()
    result = runner.invoke(args=["geocode", "서울특별시 종로구 인사동길 12, 2층 (관훈동)"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("query: 서울특별시 종로구 인사동길 12  kind: road")
    kakao_line = next(line for line in lines if line.strip().startswith("kakao"))
    offline_line = next(line for line in lines if line.strip().startswith("offline"))
    assert "building" in kakao_line and "district: verified" in kakao_line
    assert "emd" in offline_line
    kakao_fake.scenario = "badkey"
    refused = runner.invoke(args=["geocode", "서울특별시 종로구 인사동길 12"])
    assert "GeocoderAuthenticationFailure" in refused.output and kakao_fake.api_key not in refused.output


def test_retry_failed_puts_failed_rows_back_and_finishes_the_job(kakao_app, kakao_fake, admin_headers):
    app = kakao_app(GEOCODE_RETRIES=0)
    client = app.test_client()
    kakao_fake.scenario = "outage"
    app.extensions["navplugin"].chain.providers[:] = app.extensions["navplugin"].chain.providers[:1]  # no offline
    rejected = upload(client, admin_headers, csv_of(SEOUL))
    assert rejected.status_code == 422
    assert rejected.get_json()["upload"]["progress"]["failed"] == 3
    kakao_fake.scenario = "ok"
    result = app.test_cli_runner().invoke(args=["geocode-pending", "--retry-failed"])
    assert result.exit_code == 0, result.output
    assert "3 failed rows queued again" in result.output and "is live" in result.output
    assert client.get("/readyz").get_json()["stores"] == 3


def test_a_job_with_slow_rows_keeps_its_heartbeat(kakao_app, kakao_fake, admin_headers):
    """No row finishes for longer than the stale period, yet no other process may take the job."""
    kakao_fake.latency = 1.5
    app = kakao_app(JOB_STALE_SECONDS=1.0, GEOCODE_WORKERS=1, UPLOAD_WAIT_SECONDS=0, GEOCODE_TIMEOUT=5)
    service = app.extensions["navplugin"]
    response = upload(app.test_client(), admin_headers, csv_of(SEOUL[:2]))
    assert response.status_code == 202
    upload_id = response.get_json()["upload"]["id"]
    time.sleep(1.3)  # the first row is still in flight
    assert service.uploads.claimable(1.0) == []
    assert not service.uploads.claim(upload_id, "another-process", stale_after=1.0)
    assert service.runner.wait(upload_id, 30) == "done"


def test_a_job_with_thirty_percent_failing_calls_completes_with_every_row_accounted_for(kakao_app, kakao_fake,
                                                                                       admin_headers):
    addresses = [f"서울특별시 종로구 인사동길 {n} (관훈동)" for n in range(1, 61)]
    kakao_fake.scenario, kakao_fake.failure_rate, kakao_fake.seed = "flaky", 0.3, 11
    app = kakao_app(GEOCODE_RETRIES=1)
    response = upload(app.test_client(), admin_headers, csv_of(addresses))
    assert response.status_code == 201, response.get_json()
    report = response.get_json()["report"]
    assert sum(report["providers"].values()) == 60
    assert report["providers"]["kakao"] > 30 and report["providers"].get("offline", 0) > 0
    rows = app.extensions["navplugin"].uploads.rows(response.get_json()["upload"]["id"])
    assert all(db.status == "done" for _, db in rows)
    assert all("kakao" in db.reason for _, db in rows if db.placement.provider == "offline")  # the stated reason


def test_without_a_fallback_unplaced_rows_fail_with_a_reason_and_nothing_changes(kakao_app, kakao_fake,
                                                                                admin_headers):
    addresses = [f"서울특별시 종로구 인사동길 {n} (관훈동)" for n in range(1, 41)]
    kakao_fake.scenario, kakao_fake.failure_rate, kakao_fake.seed = "flaky", 0.3, 5
    app = kakao_app(GEOCODE_RETRIES=0)
    service = app.extensions["navplugin"]
    service.chain.providers[:] = service.chain.providers[:1]  # kakao alone
    response = upload(app.test_client(), admin_headers, csv_of(addresses))
    assert response.status_code == 422
    progress = response.get_json()["upload"]["progress"]
    assert progress["done"] + progress["failed"] == 40 and progress["failed"] > 0
    failures = [p for p in response.get_json()["report"]["problems"] if p["severity"] == "error"]
    assert len(failures) == progress["failed"]
    assert all("kakao" in p["problem"] for p in failures)
    assert service.repository.live_version() is None
