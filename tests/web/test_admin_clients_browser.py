"""The admin page's client keys tab in headless Chromium: issue a key, see its usage, rotate it, revoke it.

The keys are used over the real socket in between, as a navigation app would.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.web.test_admin_browser import TOKEN, _shot, _sign_in, page  # noqa: F401 - the page fixture

NEAR = "/v1/stores/nearby?lat=37.57&lon=126.99"


def _get(base: str, key: str) -> int:
    request = urllib.request.Request(f"{base}{NEAR}", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        json.loads(error.read())  # a problem+json body
        return error.code


def _row(page, name: str) -> list[str]:
    return page.eval_on_selector_all("#clients-table tbody tr", """(rows, name) => rows
        .map(r => [...r.cells].map(c => c.textContent)).find(cells => cells[1] === name)""", name)


def test_admin_issues_a_key_sees_its_usage_rotates_and_revokes_it(page) -> None:  # noqa: F811
    base = page.base_url
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept("100/minute" if dialog.type == "prompt" else None)

    page.on("dialog", answer)
    _sign_in(page, TOKEN)
    page.click("[data-tab=clients]")
    page.fill("#client-name", "원내비")
    page.fill("#client-rate", "5/minute")
    page.click("#client-create")
    page.wait_for_selector("#client-key-box:not([hidden])")
    key = page.inner_text("#client-key").strip()
    assert key.startswith("np_")
    page.wait_for_function("() => document.querySelectorAll('#clients-table tbody tr').length === 1")
    row = _row(page, "원내비")
    assert row[2] == key[:10] and row[3] == "5/minute" and row[4:7] == ["0", "0", "0"] and row[7] == "사용 중"
    _shot(page, "clients-issued")

    # The app uses the key: five answers, then its quota is spent.
    assert [_get(base, key) for _ in range(7)] == [200] * 5 + [429] * 2
    page.app.extensions["navplugin"].clients.flush()  # what each process does every USAGE_FLUSH_SECONDS
    page.click("[data-tab=upload]")
    page.click("[data-tab=clients]")
    page.wait_for_function("() => [...document.querySelectorAll('#clients-table tbody tr td:nth-child(5)')]"
                           ".some(td => td.textContent === '7')")
    assert _row(page, "원내비")[4:7] == ["7", "2", "7"]
    _shot(page, "clients-usage")

    # A new quota, then a new key: the old key stops, the new one works under the new quota.
    page.click("#clients-table tbody tr button:text('한도 변경')")
    page.wait_for_function("() => document.querySelector('#clients-message').textContent.includes('100/minute')")
    assert _row(page, "원내비")[3] == "100/minute"
    page.click("#clients-table tbody tr button:text('키 재발급')")
    page.wait_for_function(f"() => document.querySelector('#client-key').textContent !== {json.dumps(key)}")
    new_key = page.inner_text("#client-key").strip()
    assert new_key.startswith("np_") and new_key != key
    assert _get(base, key) == 401
    assert _get(base, new_key) == 200

    # Revoked: refused at once, shown as such, with nothing left to press.
    page.click("#clients-table tbody tr button:text('폐기')")
    page.wait_for_function("() => document.querySelector('#clients-table tbody tr td:nth-child(8)')"
                           ".textContent === '폐기됨'")
    assert _get(base, new_key) == 401
    assert page.eval_on_selector_all("#clients-table tbody tr button", "buttons => buttons.length") == 0
    assert len(dialogs) == 3 and "재발급" in dialogs[1] and "폐기" in dialogs[2]
    _shot(page, "clients-revoked")
    assert page.script_errors == []
