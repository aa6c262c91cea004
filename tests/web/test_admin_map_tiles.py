"""The admin map draws the live shops from the vector tiles, in headless Chromium.

Reuses the browser fixture and helpers of ``test_admin_browser`` (Debian's
Chromium, a real loopback server, screenshots to ``test-artifacts/admin-browser/``).
What is counted is what the page drew: the SVG circles VectorGrid made from the
decoded tiles of the map's current zoom, each marked by map.js with the shops
it stands for.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from navplugin.config import REPO_DIR
from tests.web.test_admin_browser import (  # noqa: F401 - page and database_url are fixtures used here
    TOKEN,
    _call,
    _place_list,
    _review_map_at,
    _shot,
    _sign_in,
    _wait_for,
    database_url,
    page,
)

SAMPLE = REPO_DIR / "geodata" / "sample" / "certified_stores_2026.csv"

# What the map shows now: for the tiles of its current zoom, the shops each drawn circle stands for.
SHOWN = """() => {
    const map = document.getElementById("map");
    const zoom = map.dataset.zoom;
    const circles = [...map.querySelectorAll(`svg[data-z="${zoom}"] path[data-point-count]`)];
    return {
        zoom: Number(zoom),
        tiles: map.dataset.tiles,
        shops: circles.reduce((sum, path) => sum + Number(path.getAttribute("data-point-count")), 0),
        clusters: circles.filter((path) => path.getAttribute("data-point-count") !== "1").length,
        singles: circles.filter((path) => path.getAttribute("data-point-count") === "1")
                        .map((path) => path.getAttribute("data-store-id")),
        labels: [...map.querySelectorAll(`svg[data-z="${zoom}"] text`)].map((text) => text.textContent),
    };
}"""


def _live_ids(base: str) -> list[str]:
    status, body = _call(f"{base}/v1/stores/export?format=json")
    assert status == 200, body
    return [item["id"] for item in body["items"]]


def _shown_if(page: Any, condition: Callable[[dict], bool]) -> dict | None:
    """What the map shows, once its tiles are loaded and ``condition`` holds; None before."""
    shown = page.evaluate(SHOWN)
    return shown if shown["tiles"] == "loaded" and condition(shown) else None


def test_the_map_shows_every_shop_of_the_sample_at_national_zoom(page) -> None:
    base = page.base_url
    _place_list(page, SAMPLE.read_text(encoding="utf-8-sig"))
    live = _live_ids(base)
    assert len(live) >= 290
    _sign_in(page, TOKEN)
    tiles_asked: list[str] = []
    page.on("request", lambda request: tiles_asked.append(request.url) if "/v1/tiles/" in request.url else None)
    page.click("[data-tab=review]")

    # the whole country in view: clusters with their counts, nothing hidden behind "zoom in"
    shown = _wait_for(lambda: _shown_if(page, lambda shown: shown["zoom"] <= 8), "the national map's tiles")
    assert shown["shops"] == len(live), shown
    assert shown["clusters"] > 0 and shown["labels"], shown
    assert sum(int(label.replace(",", "")) for label in shown["labels"]) + len(shown["singles"]) == len(live)
    assert set(shown["singles"]) <= set(live)
    page.locator("#map-hint", has_text="가게 묶음").wait_for()  # set when the map's move settles
    assert tiles_asked and all(f"/v1/tiles/{shown['zoom']}/" in url for url in tiles_asked)
    page.wait_for_selector(".leaflet-districts-pane path")  # the land under them, for the screenshot
    _shot(page, "20-tiles-national")

    # closer in, a cluster breaks up: a click on one zooms the map in on it
    before = shown["zoom"]
    page.locator(f'svg[data-z="{before}"] path[data-point-count]:not([data-point-count="1"])').first.click()
    _wait_for(lambda: page.evaluate(SHOWN)["zoom"] > before or None, "a cluster's click to zoom in")
    assert page.script_errors == []


def test_a_shop_on_the_tiles_shows_its_name_and_can_be_chosen(page) -> None:
    base = page.base_url
    _place_list(page, "업체명,업종,주소,위도,경도\n"
                      "<b>굵은</b> 국수,한식,서울특별시 종로구 종로 1,37.5703,126.9793\n"
                      "인사동 찻집,전통찻집,서울특별시 종로구 인사동길 30,37.5741,126.9857\n")
    shop_id = next(item["id"] for item in _call(f"{base}/v1/stores/export?format=json")[1]["items"]
                   if item["name"] == "<b>굵은</b> 국수")
    _sign_in(page, TOKEN)
    _review_map_at(page, "서울특별시 종로구")
    _wait_for(lambda: _shown_if(page, lambda shown: shown["zoom"] >= 12), "종로구's tiles")
    circle = page.locator(f'path[data-store-id="{shop_id}"]').last
    circle.hover()
    tooltip = page.locator(".leaflet-tooltip", has_text="굵은")
    tooltip.wait_for(state="visible")
    assert "<b>굵은</b> 국수" in tooltip.inner_text() and tooltip.locator("b").count() == 0  # text, not HTML
    circle.click()
    page.locator("#shop-actions-text", has_text=f"<b>굵은</b> 국수 ({shop_id})").wait_for()
    pin = page.locator('.leaflet-marker-icon.pin-selected[title="<b>굵은</b> 국수"]')
    pin.wait_for(state="visible")
    _shot(page, "21-tiles-shop-chosen")

    # revoking it from there takes it off the tiles: the map fetches them again for the new version
    page.fill("#revoke-reason", "지정 취소 확인")
    page.click("#revoke-submit")
    page.locator("#review-message", has_text="지정 취소했습니다").wait_for()
    _wait_for(lambda: _shown_if(page, lambda shown: shop_id not in shown["singles"] and shown["shops"] == 1),
              "the revoked shop to leave the map")
    assert json.dumps(page.evaluate(SHOWN)["singles"]) != "[]"
    assert page.script_errors == []
