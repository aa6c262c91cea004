"""The admin page end to end in headless Chromium: what an admin does, checked through the navigation API.

Driven by Playwright against Debian's Chromium (``/usr/bin/chromium``; there
is no download of Playwright's own browsers). The app runs on a real loopback
socket with SQLite. Without Chromium or Playwright the test is skipped with
the reason, unless NAVPLUGIN_TEST_REQUIRE_BROWSER=1 (as in CI), which turns
the skip into a failure. A screenshot of every step goes to
``test-artifacts/admin-browser/``.
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.web.live_server import LiveServer

CHROMIUM = os.environ.get("NAVPLUGIN_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("NAVPLUGIN_TEST_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin-browser"
TOKEN = "alice-browser-token"
READ_TOKEN = "bob-read-only-token"
WAIT_MS = 60_000  # upper bound for any one condition; the steps normally take well under a second

# 종로구 from 광화문: every shop of these lists is within the radius
JONGNO = {"lat": 37.5735, "lon": 126.9790, "radius": 8000, "limit": 50}
FIRST_LIST = ("업체명,업종,주소\n"
              "종로 떡집,떡,서울특별시 종로구 종로 1\n"
              "종로 국밥,한식,서울특별시 종로구 삼일대로 428\n"
              "주소 없는 집,한식,\n")
UNPLACEABLE_LIST = ("업체명,업종,주소\n"
                    "어디에도 없는 가게,한식,화성 우주기지 1\n"
                    "종로 떡집,떡,서울특별시 종로구 종로 1\n")
# The third shop's own coordinates are 부산's, for a 종로 address: a district mismatch to review.
SECOND_LIST = ("업체명,업종,주소,위도,경도\n"
               "인사동 찻집,전통찻집,서울특별시 종로구 인사동길 30,,\n"
               "종로 떡집,떡,서울특별시 종로구 종로 1,,\n"
               "엉뚱한 좌표 식당,한식,서울특별시 종로구 종로 5,35.1796,129.0756\n")


def _browser_missing() -> str:
    if not os.path.exists(CHROMIUM):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright)"
    return ""


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite is enough here: the store layer has its own tests on both databases."""
    return f"sqlite:///{tmp_path / 'navplugin.sqlite3'}"


@pytest.fixture
def page(make_app) -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    app = make_app(ADMIN_TOKENS=f"alice:{TOKEN}:admin,bob:{READ_TOKEN}:read")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
        context.set_default_timeout(WAIT_MS)
        browser_page = context.new_page()
        errors: list[str] = []
        browser_page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the page's policy allows only its own origin: anything it blocks is a bug (or a CDN sneaking in)
        browser_page.on("console", lambda message: errors.append(message.text)
                        if "Content Security Policy" in message.text else None)
        browser_page.base_url = server.url  # type: ignore[attr-defined]
        browser_page.script_errors = errors  # type: ignore[attr-defined]
        browser_page.app = app  # type: ignore[attr-defined]
        try:
            yield browser_page
        finally:
            browser.close()


def _call(url: str, method: str = "GET", token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode("utf-8") or "null")


def _wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_MS / 1000) -> Any:
    """Poll ``check`` until it returns something truthy: the index swaps in off the request path."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; last answer: {result!r}")
        time.sleep(0.05)


def _nearby(base: str) -> tuple[int, dict[str, dict]]:
    query = "&".join(f"{key}={value}" for key, value in JONGNO.items())
    status, body = _call(f"{base}/v1/stores/nearby?{query}")
    assert status == 200, body
    return body["dataset_version"], {item["name"]: item for item in body["items"]}


def _live_version(base: str) -> int:
    status, body = _call(f"{base}/admin/v1/versions", token=TOKEN)
    assert status == 200, body
    return next(item["version"] for item in body["items"] if item["live"])


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _upload(page: Any, path: Path, *, skip_invalid: bool, outcome: str = "done") -> None:
    page.click("[data-tab=upload]")
    page.set_input_files("#upload-file", str(path))
    page.select_option("#upload-mode", "replace")
    page.set_checked("#upload-skip-invalid", skip_invalid)
    page.set_checked("#upload-dry-run", False)
    page.click("#upload-submit")
    if outcome == "done":
        page.wait_for_selector('#upload-progress[data-phase="done"][aria-valuenow="100"]')
        assert "완료" in page.inner_text("#upload-status")
    else:
        page.wait_for_selector('#upload-progress[data-phase="failed"]')
        assert "실패" in page.inner_text("#upload-status")


def _sign_in(page: Any, token: str) -> None:
    page.goto(f"{page.base_url}/admin/")
    page.fill("#token", token)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def _place_list(page: Any, listing: str) -> Any:
    """Upload a list through the API, as another admin might, before the browser looks."""
    placed = page.app.test_client().post("/admin/v1/uploads", headers={"Authorization": f"Bearer {TOKEN}"},
                                         data={"file": (io.BytesIO(listing.encode("utf-8")), "list.csv"),
                                               "wait": "30"})
    assert placed.status_code == 201, placed.get_json()
    return placed


def _review_map_at(page: Any, district: str) -> None:
    """Open the review tab and move its map to a district typed by name, as an admin does."""
    page.click("[data-tab=review]")
    page.wait_for_selector(f'#district-names option[value="{district}"]', state="attached")
    page.fill("#district-input", district)
    page.click("#district-form button[type=submit]")


def _drag(page: Any, marker: Any, dx: float, dy: float) -> None:
    """A real mouse drag of a map marker by (dx, dy) pixels, as an admin's hand moves it."""
    box = marker.bounding_box()
    start_x, start_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + dx, start_y + dy, steps=12)
    page.mouse.up()


def _report_rows(page: Any) -> list[list[str]]:
    return page.eval_on_selector_all("#report-table tbody tr", "rows => rows.map(r => "
                                     "[...r.cells].map(c => c.textContent))")


def test_admin_uploads_reviews_a_pin_and_rolls_back(page, tmp_path) -> None:
    base = page.base_url

    # 1. sign in: a wrong token is refused with the server's reason, the right one names the admin
    page.goto(f"{base}/admin/")
    page.fill("#token", "not-the-token")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#sign-in-message:not(:empty)")
    assert page.is_visible("#sign-in-form") and not page.is_visible("#app")
    page.fill("#token", TOKEN)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert page.inner_text("#who-name") == "alice"
    assert page.inner_text("#who-role") == "관리자"
    _shot(page, "01-signed-in")
    page.click("[data-tab=upload]")  # the page opens on its overview

    # 2. a dry run only reports: the bad row would stop this list, and nothing is stored
    first_file = tmp_path / "first.csv"
    first_file.write_text(FIRST_LIST, encoding="utf-8")
    page.set_input_files("#upload-file", str(first_file))
    page.set_checked("#upload-dry-run", True)
    page.click("#upload-submit")
    page.locator("#upload-status", has_text="이대로는 적용되지 않습니다").wait_for()
    assert [row[0] for row in _report_rows(page)] == ["4"]
    assert _call(f"{base}/admin/v1/versions", token=TOKEN) == (200, {"items": []})

    # upload it for real, skipping the bad row; the bar ends at 100 % and the report names the row
    _upload(page, first_file, skip_invalid=True)
    cells = _report_rows(page)
    bad_rows = [cells_of_row for cells_of_row in cells if cells_of_row[0] == "4"]
    assert bad_rows, cells
    assert bad_rows[0][1] == "주소" and bad_rows[0][4] == "오류"
    assert page.inner_text(".summary-total_rows") == "3"
    assert page.inner_text(".summary-valid_rows") == "2"
    _shot(page, "02-first-upload")

    # 3. the navigation API answers from the new version
    first_version = _live_version(base)
    version, shops = _wait_for(lambda: (lambda v, s: (v, s) if v == first_version else None)(*_nearby(base)),
                               "nearby to answer from the first upload")
    assert set(shops) == {"종로 떡집", "종로 국밥"}

    # a second list replaces the first: the version to roll back from
    second_file = tmp_path / "second.csv"
    second_file.write_text(SECOND_LIST, encoding="utf-8")
    _upload(page, second_file, skip_invalid=False)
    warnings = _report_rows(page)
    assert [(cells[0], cells[1], cells[4]) for cells in warnings] == [("4", "주소", "경고")]
    assert "district mismatch" in warnings[0][3] and "부산" in warnings[0][3]
    second_version = _live_version(base)
    assert second_version != first_version
    _, shops = _wait_for(lambda: (lambda v, s: (v, s) if v == second_version else None)(*_nearby(base)),
                         "nearby to answer from the second upload")
    assert set(shops) == {"인사동 찻집", "종로 떡집"}  # the third is in 부산, out of range
    teahouse = shops["인사동 찻집"]
    _shot(page, "03-second-upload")

    # a list with an address no geocoder finds fails as a whole: the bar says so, the live data stays
    unplaceable_file = tmp_path / "unplaceable.csv"
    unplaceable_file.write_text(UNPLACEABLE_LIST, encoding="utf-8")
    _upload(page, unplaceable_file, skip_invalid=False, outcome="failed")
    assert [row[:2] for row in _report_rows(page)] == [["2", "주소"]]
    assert _live_version(base) == second_version
    _shot(page, "03b-failed-upload")

    # 4. review map: go to 종로구, choose the tea house, drag its pin with the mouse, give a reason
    _review_map_at(page, "서울특별시 종로구")
    page.locator("#failed-count", has_text="1").wait_for()
    assert "어디에도 없는 가게" in page.inner_text("#failed-table")
    page.click(f'#live-list button[data-store-id="{teahouse["id"]}"]')
    pin = page.locator('.leaflet-marker-icon.pin-selected[title="인사동 찻집"]')
    pin.wait_for(state="visible")
    _drag(page, pin, 90, -60)
    form = page.locator("#pin-edit")
    form.wait_for(state="visible")
    assert form.get_attribute("data-store-id") == teahouse["id"]
    new_lat, new_lon = float(form.get_attribute("data-lat")), float(form.get_attribute("data-lon"))
    assert new_lat > teahouse["lat"] and new_lon > teahouse["lon"]  # dragged up and to the right, within 종로구
    _shot(page, "04-pin-dragged")
    page.fill("#pin-reason", "현장 확인: 입구는 골목 안쪽")
    page.click("#pin-save")
    page.locator("#review-message", has_text="저장했습니다").wait_for()
    _shot(page, "05-pin-saved")

    def moved() -> Any:
        status, body = _call(f"{base}/v1/stores/{teahouse['id']}")
        item = body.get("item") or {}
        placed = status == 200 and abs(item["lat"] - new_lat) < 2e-5 and abs(item["lon"] - new_lon) < 2e-5
        return body if placed else None

    corrected = _wait_for(moved, "the shop's detail to show the dragged position")
    assert corrected["dataset_version"] not in (first_version, second_version)

    # the shop whose own coordinates lie in 부산 is listed as a mismatch; its red pin is dragged too
    page.locator("#mismatch-count", has_text="1").wait_for()
    page.click('#mismatch-list button:has-text("엉뚱한 좌표 식당")')
    wrong = page.locator('.leaflet-marker-icon.pin-mismatch[title="엉뚱한 좌표 식당"]')
    wrong.wait_for(state="visible")
    _drag(page, wrong, -40, -30)
    page.locator("#pin-edit").wait_for(state="visible")
    page.fill("#pin-reason", "파일의 좌표가 다른 지점의 것")
    page.click("#pin-save")
    mismatch_id = next(item["id"] for item in _call(f"{base}/v1/changes?since=0")[1]["upserts"]
                       if item["name"] == "엉뚱한 좌표 식당")

    def placed_by_hand() -> Any:
        status, body = _call(f"{base}/v1/stores/{mismatch_id}")
        return body["item"] if status == 200 and body["item"]["precision"] == "manual" else None

    item = _wait_for(placed_by_hand, "the mismatched shop to carry the dragged pin")
    assert item["lat"] > 35.1796 and item["lon"] < 129.0756  # dragged up and to the left
    page.locator("#review-message", has_text="저장했습니다").wait_for()
    _shot(page, "05b-mismatch-pin-saved")

    # 5. versions: see what the second list changed, then switch back to the first
    page.click("[data-tab=versions]")
    page.wait_for_selector(f'#versions-table tr[data-version="{first_version}"]')
    page.select_option("#diff-from", str(first_version))
    page.select_option("#diff-to", str(second_version))
    page.click("#diff-form button[type=submit]")
    page.wait_for_selector("#diff-result:not([hidden])")
    assert "추가 2, 삭제 1" in page.inner_text("#diff-counts")
    assert "인사동 찻집" in page.inner_text("#diff-added")
    assert "종로 국밥" in page.inner_text("#diff-removed")
    _shot(page, "06-diff")
    # the pin correction is a version of its own: its diff shows the moved point, from -> to
    page.select_option("#diff-from", str(second_version))
    page.select_option("#diff-to", str(corrected["dataset_version"]))
    page.click("#diff-form button[type=submit]")
    page.locator("#diff-counts", has_text="변경 1").wait_for()
    changed = page.eval_on_selector_all("#diff-changed tbody tr", "rows => rows.map(r => "
                                        "[...r.cells].map(c => c.textContent))")
    by_field = {cells[1]: cells for cells in changed}
    assert "인사동 찻집" in by_field["lat"][0]
    assert float(by_field["lat"][2]) == pytest.approx(teahouse["lat"], abs=2e-5)
    assert float(by_field["lat"][3]) == pytest.approx(new_lat, abs=2e-5)
    assert float(by_field["lon"][3]) == pytest.approx(new_lon, abs=2e-5)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f'#versions-table tr[data-version="{first_version}"] button.activate')
    page.wait_for_selector(f'#versions-table tr.live[data-version="{first_version}"]')
    assert f"버전 {first_version} 운영 중" in page.inner_text("#versions-message")
    _shot(page, "07-rolled-back")
    _, shops = _wait_for(lambda: (lambda v, s: (v, s) if v == first_version else None)(*_nearby(base)),
                         "nearby to answer from the first version again")
    assert set(shops) == {"종로 떡집", "종로 국밥"}
    assert _call(f"{base}/v1/stores/{teahouse['id']}")[0] == 404

    # 6. the audit log shows who did all this
    page.click("[data-tab=audit]")
    page.wait_for_selector("#audit-table tbody tr")
    audit_text = page.inner_text("#audit-table")
    assert "alice" in audit_text
    _shot(page, "08-audit")

    # 7. signing out forgets the token
    page.click("#sign-out")
    page.wait_for_selector("#sign-in-form")
    assert page.evaluate("sessionStorage.getItem('navplugin.adminToken')") is None
    assert page.script_errors == []


def test_a_stale_token_returns_to_sign_in_and_a_read_only_token_changes_nothing(page) -> None:
    base = page.base_url
    placed = _place_list(page, SECOND_LIST)
    version = placed.get_json()["version"]

    # a token kept from an earlier session that the server no longer knows: back to sign-in, with why
    page.goto(f"{base}/admin/")
    page.evaluate("sessionStorage.setItem('navplugin.adminToken', 'a-token-since-revoked')")
    page.reload()
    page.wait_for_selector("#sign-in-message:not(:empty)")
    assert page.is_visible("#sign-in-form") and not page.is_visible("#app")
    assert page.evaluate("sessionStorage.getItem('navplugin.adminToken')") is None

    # a read-only token sees everything and is offered no change
    page.fill("#token", READ_TOKEN)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert page.inner_text("#who-role") == "읽기 전용"
    assert page.is_disabled("#upload-submit")
    page.click("[data-tab=versions]")
    row = page.locator(f'#versions-table tr.live[data-version="{version}"]')
    row.wait_for()
    assert row.locator("button.activate").is_disabled()
    _review_map_at(page, "서울특별시 종로구")
    page.click('#live-list button:has-text("인사동 찻집")')
    pin = page.locator('.leaflet-marker-icon.pin-selected[title="인사동 찻집"]')
    pin.wait_for(state="visible")
    assert "leaflet-marker-draggable" not in (pin.get_attribute("class") or "")
    _shot(page, "09-read-only")

    # the audit log pages back: 60 dry runs make more than one page of 50
    client = page.app.test_client()
    for _ in range(60):
        dry_run = client.post("/admin/v1/uploads", headers={"Authorization": f"Bearer {TOKEN}"},
                              data={"file": (io.BytesIO(SECOND_LIST.encode("utf-8")), "list.csv"), "dry_run": "1"})
        assert dry_run.status_code == 200
    page.click("[data-tab=audit]")
    page.wait_for_selector("#audit-more:not([hidden])")
    first_page = page.locator("#audit-table tbody tr").count()
    assert first_page == 50
    page.click("#audit-more")
    page.wait_for_selector("#audit-table tbody tr:nth-child(51)")
    rows = page.eval_on_selector_all("#audit-table tbody tr", "rows => rows.map(r => r.cells[2].textContent)")
    assert rows.count("upload.dry_run") == 60 and len(rows) > 60  # all of them, and what came before
    assert page.is_hidden("#audit-more")
    assert page.script_errors == []


def test_a_shop_name_with_markup_is_shown_as_text(page) -> None:
    """Names come from uploaded files: the map's tooltips show them as written, never as HTML."""
    _place_list(page, "업체명,업종,주소,위도,경도\n"
                      "<b>굵은</b> 국수,한식,서울특별시 종로구 종로 1,37.5703,126.9793\n"
                      "<img src=/x>,한식,서울특별시 종로구 종로 5,37.5705,126.9810\n")
    _sign_in(page, TOKEN)
    _review_map_at(page, "서울특별시 종로구")
    page.click('#live-list button:has-text("<b>굵은</b> 국수")')
    pin = page.locator('.leaflet-marker-icon.pin-selected[title="<b>굵은</b> 국수"]')
    pin.wait_for(state="visible")
    pin.hover()
    tooltip = page.locator(".leaflet-tooltip", has_text="굵은")
    tooltip.wait_for(state="visible")
    assert "<b>굵은</b> 국수" in tooltip.inner_text()
    assert tooltip.locator("b").count() == 0
    assert page.locator(".leaflet-tooltip img, .leaflet-pane img[src='/x']").count() == 0
    _shot(page, "10-markup-as-text")
    assert page.script_errors == []


def test_revoking_a_shop_on_the_map_and_restoring_it(page) -> None:
    base = page.base_url
    _place_list(page, SECOND_LIST)
    _, shops = _nearby(base)
    teahouse = shops["인사동 찻집"]
    _sign_in(page, TOKEN)
    _review_map_at(page, "서울특별시 종로구")
    page.click(f'#live-list button[data-store-id="{teahouse["id"]}"]')
    page.locator("#shop-actions-text", has_text="인사동 찻집").wait_for()
    page.fill("#revoke-reason", "2026년 지정 취소")
    page.click("#revoke-submit")
    page.locator("#review-message", has_text="지정 취소했습니다").wait_for()
    assert _call(f"{base}/v1/stores/{teahouse['id']}")[0] == 404
    assert "인사동 찻집" not in _nearby(base)[1]
    revoked = page.locator(f'#revoked-list li[data-store-id="{teahouse["id"]}"]')
    assert "2026년 지정 취소" in revoked.inner_text() and "alice" in revoked.inner_text()
    _shot(page, "11-revoked")

    page.once("dialog", lambda dialog: dialog.accept("취소 철회"))
    revoked.locator("button", has_text="복원").click()
    page.locator("#review-message", has_text="복원했습니다").wait_for()
    assert _call(f"{base}/v1/stores/{teahouse['id']}")[0] == 200
    assert page.locator("#revoked-count").inner_text() == "0"
    entries = _call(f"{base}/admin/v1/audit?target=store:{teahouse['id']}", token=TOKEN)[1]["items"]
    assert [e["action"] for e in entries] == ["store.restore", "store.revoke"]
    _shot(page, "12-restored")
    assert page.script_errors == []


def test_the_token_is_sent_to_this_origin_only(page) -> None:
    """The page's one API helper refuses any URL off this origin before a request leaves the browser."""
    _sign_in(page, TOKEN)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    outcome = page.evaluate("""async () => {
        const { api } = await import("/admin/static/admin/api.js");
        const results = {};
        for (const target of ["https://evil.example/admin/v1/versions", "//evil.example/x", "/\\\\evil.example/x",
                              "/x/..//evil.example/y", "javascript:alert(1)", "/\\t/evil.example/x",
                              window.location.origin.replace(/:(\\d+)$/, (_, port) => ":" + (Number(port) + 1)) + "/x"]) {
            try { await api(target); results[target] = "sent"; }
            catch (error) { results[target] = error.message; }
        }
        const own = await api(window.location.origin + "/admin/v1/whoami");
        return { results, own };
    }""")
    assert outcome["own"] == {"name": "alice", "role": "admin"}  # a same-origin absolute URL is followed
    assert all("다른 출처" in message for message in outcome["results"].values()), outcome["results"]
    assert not [url for url in sent if "evil.example" in url or not url.startswith(page.base_url)], sent
    assert page.script_errors == []
