"""The admin page's overview tab in headless Chromium: first and shown on sign-in, its charts drawing what
GET /admin/v1/overview says, its to-pin list paging, and a shop of it opening the review map on itself.

Screenshots go to ``test-artifacts/admin-browser/`` with the other admin page tests'.
"""
from __future__ import annotations

from typing import Any

from tests.web.test_admin_browser import (  # noqa: F401 - the fixtures: SQLite, the page on a live server
    TOKEN, _call, _place_list, _shot, _sign_in, database_url, page)

# 25 shops: 시도 under several spellings, one named by its region column only, one by nothing
# (coordinates alone, with the largest stated radius), two left to the offline geocoder.
LISTING = "업체명,업종,시도,주소,위도,경도,정확도\n" + "".join(
    f"을지로 가게 {k},한식,,서울특별시 중구 을지로 {k + 1},{37.5660 + k * 0.0002:.4f},126.9910,{20 + 15 * k}\n"
    for k in range(20)) + (
    "부산 밀면집,음식점업,,부산 중구 광복로 1,35.0990,129.0300,2500\n"
    "지역만 가게,음식점업,경기,,37.2636,127.0286,300\n"
    "좌표만 가게,한식,,,36.6000,127.4000,40000\n"
    "인사동 필방,소매업,,서울특별시 종로구 인사동길 12,,,\n"
    "춘천 닭갈비,한식,,강원도 춘천시 중앙로 1,,,\n")


def _bars(page: Any, chart: str) -> list[tuple[str, int]]:
    return [(key, int(count)) for key, count in page.eval_on_selector_all(
        f"#{chart} .bar", "bars => bars.map(b => [b.dataset.key, b.dataset.count])")]


def _pin_rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("#to-pin-table tbody tr", "rows => rows.map(r => r.dataset.storeId)")


def test_overview_tab_draws_the_apis_figures_and_opens_a_shop_on_the_map(page) -> None:  # noqa: F811
    base = page.base_url
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    _place_list(page, LISTING)
    status, api = _call(f"{base}/admin/v1/overview", token=TOKEN)
    assert status == 200 and api["total"] == 25

    # Signed in, the overview is the first tab and the one shown.
    _sign_in(page, TOKEN)
    tabs = page.eval_on_selector_all("[data-tab]", "buttons => buttons.map(b => b.dataset.tab)")
    assert tabs[0] == "overview"
    assert page.get_attribute("[data-tab=overview]", "aria-selected") == "true"
    page.wait_for_selector("#chart-sido .bar")
    assert page.is_visible("#tab-overview") and page.is_hidden("#tab-upload") and page.is_hidden("#tab-review")

    # Each chart has a bar per entry of the API's answer, with its count, in its order.
    assert _bars(page, "chart-sido") == [(row["sido"], row["count"]) for row in api["by_sido"]]
    assert {"서울특별시", "부산광역시", "경기도", "강원특별자치도", "unknown"} <= {key for key, _ in _bars(page, "chart-sido")}
    assert _bars(page, "chart-precision") == [(row["precision"], row["count"]) for row in api["by_precision"]]
    assert [count for _, count in _bars(page, "chart-accuracy")] == [b["count"] for b in api["accuracy"]["bins"]]
    approximate_bars = page.eval_on_selector_all("#chart-accuracy .bar.approximate", "bars => bars.length")
    assert approximate_bars == sum(1 for b in api["accuracy"]["bins"] if b["min_m"] >= 250)
    # the longest bar is the largest count's
    widths = page.eval_on_selector_all("#chart-sido .bar rect", "rects => rects.map(r => Number(r.getAttribute('width')))")
    assert widths.index(max(widths)) == 0 and widths == sorted(widths, reverse=True)
    summary = page.inner_text("#overview-summary")
    assert "25곳" in summary and f"{api['accuracy']['approximate']}곳" in summary

    # The to-pin list is the API's, largest radius first, and pages on.
    assert _pin_rows(page) == [item["id"] for item in api["to_pin"]["items"]]
    assert page.inner_text("#to-pin-table tbody tr:first-child td:nth-child(2)") == "좌표만 가게"
    assert page.is_disabled("#to-pin-prev") and not page.is_disabled("#to-pin-next")
    _shot(page, "overview-01-tab")
    page.click("#to-pin-next")
    second = _call(f"{base}/admin/v1/overview?offset=20", token=TOKEN)[1]["to_pin"]["items"]
    page.wait_for_function("() => document.querySelector('#to-pin-table tbody tr td').textContent === '21'")
    assert _pin_rows(page) == [item["id"] for item in second] and len(second) == 5
    assert page.is_disabled("#to-pin-next")
    page.click("#to-pin-prev")
    page.wait_for_function("() => document.querySelector('#to-pin-table tbody tr td').textContent === '1'")

    # A shop of the list opens the review map on itself, chosen as if picked on the map.
    shop = api["to_pin"]["items"][0]
    page.click(f'#to-pin-table button[data-store-id="{shop["id"]}"]')
    pin = page.locator(f'.leaflet-marker-icon.pin-selected[title="{shop["name"]}"]')
    pin.wait_for(state="visible")
    assert page.get_attribute("[data-tab=review]", "aria-selected") == "true"
    assert page.is_visible("#tab-review") and page.is_hidden("#tab-overview")
    assert page.inner_text("#shop-actions-text") == f"선택한 가게: {shop['name']} ({shop['id']})"
    assert page.get_attribute("#map", "data-zoom") == "16"
    box, frame = pin.bounding_box(), page.locator("#map").bounding_box()
    # Leaflet's default pin stands on its point: the bottom middle of the icon is the map's centre
    assert abs(box["x"] + box["width"] / 2 - (frame["x"] + frame["width"] / 2)) <= 2
    assert abs(box["y"] + box["height"] - (frame["y"] + frame["height"] / 2)) <= 2
    page.wait_for_selector("#map .leaflet-districts-pane path", state="attached")  # the land drawn, for the shot
    _shot(page, "overview-02-opened-on-map")

    # Back on the overview, the figures are drawn again from the API, not from what the map did.
    page.click("[data-tab=overview]")
    page.wait_for_selector("#tab-overview:not([hidden])")
    assert _bars(page, "chart-sido") == [(row["sido"], row["count"]) for row in api["by_sido"]]
    assert page.script_errors == []
    assert console_errors == []
