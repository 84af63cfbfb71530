"""The case page (Mini App) in a real headless Chromium, opened as Telegram opens it, on a running bot.

A merchant plays a case to the review on Telegram (the fake Bot API), presses nothing more in the
chat, and opens the review's web_app button with init data signed for them: edits a transaction's
amount and the customer's name, sees a refused amount's own message, saves. Then the stored case,
the chat's next review and the documents it leads to are checked, and forged, stale and foreign
init data are refused. Screenshots of the page in both languages are written to the test's folder
(and to $MINIAPP_SHOTS when set, to look at).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect

from conversations.casepage import PAGE_WORDS
from conversations.i18n import translate
from conversations.validators import amount
from testkit.miniapp import CHROMIUM_ARGS, DARK, PHONE, chromium, init_data, page_url
from tests.telegram.conftest import free_port
from tests.telegram.merchant import ANSWERS, Merchant, photo

USER = 5101
NAME = '王小明 <img src=x onerror="window.hacked=1"><b>'  # user text is data, on the page as in the chat
OTHER = 5102


async def to_review(merchant: Merchant) -> None:
    """/start to the review, with one slip photo as evidence."""
    await merchant.send("/start")
    photo_sent = False
    for _ in range(80):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            return
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks == "evidence.kind":
            await merchant.press("evidence.kind=signed_slip")
        elif asks == "evidence.file" and photo_sent:
            await merchant.press("done")
        elif asks == "evidence.file":
            photo_sent = True
            await merchant.photo(photo(1, (320, 480)), caption="signed slip")
        else:
            await merchant.answer(asks, ANSWERS)
    raise AssertionError("never reached the review: " + merchant.text)


def web_app_button(message) -> tuple[str, str] | None:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if "web_app" in button:
                return button["text"], button["web_app"]["url"]
    return None


async def until(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def shots_dir(tmp_path: Path) -> list[Path]:
    out = [tmp_path]
    if os.environ.get("MINIAPP_SHOTS"):
        Path(os.environ["MINIAPP_SHOTS"]).mkdir(parents=True, exist_ok=True)
        out.append(Path(os.environ["MINIAPP_SHOTS"]))
    return out


@pytest.mark.parametrize(("framework", "mode"), [("ptb", "polling"), ("aiogram", "webhook")])
async def test_case_page_in_chromium(fake, start_bot, tmp_path, framework, mode):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {"PORT": str(port), "PUBLIC_URL": origin}
    if mode == "webhook":
        env["WEBHOOK_URL"] = f"{origin}/telegram/webhook"
    bot = await start_bot(framework, mode, env=env)
    assert fake.menu_button == {
        "type": "web_app",
        "text": f"{translate('zh', 'Case')} · {translate('en', 'Case')}",
        "web_app": {"url": f"{origin}/app/"},
    }
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await to_review(merchant)
    review = fake.chat(USER)[-1]
    button = web_app_button(review)
    assert button == (translate("en", "📝 Open the whole case"), f"{origin}/app/"), review.reply_markup
    label, url = button

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        page = await context.new_page()
        problems: list[str] = []
        requested: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("request", lambda r: requested.append(r.url))

        await page.goto(page_url(url, init_data(fake.token, USER)))
        amount_input = page.locator('[data-key="txn.0.amount"] input')
        await expect(amount_input).to_have_value("1288.00")
        await expect(page.locator("h1")).to_have_text(review_case_id(bot))
        # the evidence photo as a thumbnail (fetched with the init data, shown from a blob: URL)
        thumb = page.locator("#group-evidence .thumb img")
        await expect(thumb).to_have_count(1)
        assert (await thumb.get_attribute("src")).startswith("blob:")
        # documents that apply, and why the others do not
        await expect(page.locator('[data-output="police"] small')).not_to_be_empty()
        await expect(page.locator('[data-output="customer"] small')).to_contain_text("customer")

        # a refused amount: the chat's own message, nothing saved
        await amount_input.fill("twelve-ish")
        await amount_input.press("Tab")
        refused = amount("twelve-ish")
        message = translate("en", refused.message, **refused.params)
        await expect(page.locator('[data-key="txn.0.amount"] .msg')).to_have_text(message)
        await expect(page.locator('[data-key="txn.0.amount"]')).to_have_class("field bad")
        await expect(page.locator("#save")).to_be_disabled()
        await page.screenshot(path=str(tmp_path / "refused.png"))

        await amount_input.fill("1,500")
        await amount_input.press("Tab")
        await expect(page.locator('[data-key="txn.0.amount"] .msg')).to_have_text("¥1,500.00")
        name_input = page.locator('[data-key="customer.name"] input')
        await name_input.fill(NAME)
        await name_input.press("Tab")
        await expect(page.locator("#save")).to_be_enabled()
        sent_before = len(fake.chat(USER))
        await page.locator("#save").click()
        await expect(page.locator("#status")).to_have_text(translate("en", PAGE_WORDS["saved"]))
        await expect(amount_input).to_have_value("1500.00")
        await expect(name_input).to_have_value(NAME)

        # the stored case, and the chat's next review
        case = await asyncio.to_thread(bot.assistant.case_export, USER)
        assert case["txn"][0]["amount"] == "1500.00"
        assert case["customer"]["name"] == NAME
        assert case["txn"][0]["reference_no"] == ANSWERS["txn.reference_no"]  # the rest untouched
        new = await until(lambda: fake.chat(USER)[sent_before:])
        assert len(new) == 1, [m.html for m in new]
        assert "¥1,500.00" in new[0].html and "王小明 &lt;img" in new[0].html
        assert "¥1,288.00" not in new[0].html
        assert web_app_button(new[0]) == button
        assert "confirm" in new[0].choice_ids

        # a letter preview, before it is made: the customer letter applies now that they have a name
        await page.locator('[data-output="customer"] button').click()
        preview = page.locator('[data-output="customer"] .preview')
        await expect(preview).to_contain_text(NAME)
        await expect(preview).to_contain_text("1,500.00")
        assert await preview.locator("script, img, a").count() == 0
        assert await page.evaluate("window.hacked") is None
        for where in shots_dir(tmp_path):
            await page.screenshot(path=str(where / f"case-page-en-{framework}.png"), full_page=True)

        # the same case in the chat: confirm there, and the letters carry the page's values
        update_id = fake.press(USER, new[0].message_id, "confirm")
        await bot.bridge.wait_handled(update_id)
        menu = fake.chat(USER)[-1]
        assert "output:customer" in menu.choice_ids
        update_id = fake.press(USER, menu.message_id, "output:acquirer")
        await bot.bridge.wait_handled(update_id)
        letters = "\n".join(m.html for m in fake.chat(USER)[-6:] if m.kind == "text")
        assert "1,500.00" in letters and "1,288.00" not in letters

        # the merchant's language and Telegram's theme colours
        update_id = fake.send_text(USER, "/lang zh")
        await bot.bridge.wait_handled(update_id)
        await page.goto("about:blank")
        await page.goto(page_url(url, init_data(fake.token, USER, language_code="zh"), theme=DARK))
        await expect(page.locator("#group-txn h2")).to_have_text(translate("zh", "Disputed transactions"))
        await expect(page.locator("html")).to_have_attribute("lang", "zh")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(21, 30, 39)"  # DARK's secondary_bg_color
        for where in shots_dir(tmp_path):
            await page.screenshot(path=str(where / f"case-page-zh-{framework}.png"), full_page=True)

        # stale init data: the page says to open it again from the chat, and shows nothing of the case
        stale = init_data(fake.token, USER, auth_date=int(time.time()) - 3700)
        await page.goto("about:blank")
        await page.goto(page_url(url, stale))
        await expect(page.locator("#expired")).to_be_visible()
        assert problems[-1] == f"401 {origin}/app/api/case"
        problems.pop()
        await expect(page.locator("#main")).to_be_hidden()
        assert "1500" not in await page.content()
        await browser.close()

    assert not problems, problems
    assert all(u.startswith(origin) or u.startswith(("blob:", "about:")) for u in requested), requested


def review_case_id(bot) -> str:
    return bot.assistant.case_export(USER)["id"]


async def test_api_refuses_without_valid_fresh_init_data_of_the_owner(fake, start_bot, tmp_path):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    bot = await start_bot("ptb", "polling", env={"PORT": str(port), "PUBLIC_URL": origin})
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await merchant.send("/start")
    await merchant.answer("case.scenario", ANSWERS)
    case_id = bot.assistant.case_export(USER)["id"]
    fake.user(OTHER, "en", "Bo")

    good = init_data(fake.token, USER)
    other = init_data(fake.token, OTHER, first_name="Bo")
    forged_user = good.replace(f"%22id%22%3A{USER}", f"%22id%22%3A{OTHER}")
    assert forged_user != good
    wrong_token = init_data("123456789:another-bots-token", USER)
    stale = init_data(fake.token, USER, auth_date=int(time.time()) - 3601)
    future = init_data(fake.token, USER, auth_date=int(time.time()) + 3600)

    async with aiohttp.ClientSession() as http:

        async def get(path: str, data: str | None, scheme: str = "tma") -> tuple[int, str]:
            headers = {"Authorization": f"{scheme} {data}"} if data is not None else {}
            async with http.get(origin + path, headers=headers) as response:
                return response.status, await response.text()

        status, body = await get("/app/api/case", good)
        assert status == 200 and json.loads(body)["case_id"] == case_id
        for data, scheme in [
            (None, "tma"),
            ("", "tma"),
            (good, "Bearer"),
            (good + "x", "tma"),
            (forged_user, "tma"),
            (wrong_token, "tma"),
            (stale, "tma"),
            (future, "tma"),
            (good + "&auth_date=1", "tma"),
        ]:
            for path in (
                "/app/api/case",
                f"/app/api/case?case={case_id}",
                f"/app/api/preview?case={case_id}&output=checklist",
                f"/app/api/evidence?case={case_id}&sha={'0' * 64}",
            ):
                status, body = await get(path, data, scheme)
                assert (status, json.loads(body)) == (401, {"error": "unauthorized"}), (path, data)
            async with http.post(
                origin + "/app/api/save",
                json={"case": case_id, "changes": [["merchant.name", "Mallory"]]},
                headers={"Authorization": f"{scheme} {data}"},
            ) as response:
                assert response.status == 401
        # another merchant's valid init data finds nothing of this case, and cannot change it
        assert (await get(f"/app/api/case?case={case_id}", other))[0] == 404
        assert (await get("/app/api/case", other))[0] == 404
        async with http.post(
            origin + "/app/api/save",
            json={"case": case_id, "changes": [["case.goal", "report_only"]]},
            headers={"Authorization": f"tma {other}"},
        ) as response:
            assert response.status == 404
        # the page itself holds no data and loads nothing from elsewhere
        async with http.get(origin + "/app/") as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            html = await response.text()
            assert "http" not in html.split("</title>")[1]
    assert bot.assistant.case_export(USER)["goal"] is None


async def test_without_public_url_the_review_has_no_page_button(fake, start_bot, tmp_path):
    """No PUBLIC_URL (or console, replay): the chat review as it was, no web_app button, no menu button."""
    bot = await start_bot("aiogram", "polling")
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await to_review(merchant)
    assert all(web_app_button(m) is None for m in fake.chat(USER))
    assert fake.menu_button is None
    assert "setChatMenuButton" not in {name for name, _ in fake.calls}


def test_chromium_is_installed():
    """The browser tests need Debian's chromium; `.ci/run` installs it."""
    assert shutil.which("chromium") or os.path.exists("/usr/bin/chromium"), chromium()


async def test_unsaved_changes_survive_expiry_and_reopening(fake, start_bot, tmp_path):
    """Init data expires after an hour: a save refused then keeps what was typed on the page, and the
    page opened again from the chat brings the unsaved changes back (checked again by the server)."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    bot = await start_bot("ptb", "polling", env={"PORT": str(port), "PUBLIC_URL": origin})
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await to_review(merchant)
    _label, url = web_app_button(fake.chat(USER)[-1])
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(page_url(url, init_data(fake.token, USER)))
        amount_input = page.locator('[data-key="txn.0.amount"] input')
        await expect(amount_input).to_have_value("1288.00")
        await amount_input.fill("1,999")
        await amount_input.press("Tab")
        await expect(page.locator('[data-key="txn.0.amount"] .msg')).to_have_text("¥1,999.00")

        # the init data expired while the page was open: the save is refused, nothing typed disappears
        await page.route(
            "**/app/api/save", lambda route: route.fulfill(status=401, body='{"error": "unauthorized"}')
        )
        await page.locator("#save").click()
        await expect(page.locator("#status")).to_have_text(translate("en", PAGE_WORDS["expired"]))
        await expect(amount_input).to_have_value("1,999")
        await page.unroute("**/app/api/save")
        assert bot.assistant.case_export(USER)["txn"][0]["amount"] == "1288.00"

        # opened again from the chat (new init data): the change is back, unsaved, and can be saved
        await page.goto("about:blank")
        await page.goto(page_url(url, init_data(fake.token, USER)))
        await expect(amount_input).to_have_value("1,999")
        await expect(page.locator('[data-key="txn.0.amount"] .msg')).to_have_text("¥1,999.00")
        await expect(page.locator("#save")).to_be_enabled()
        await page.locator("#save").click()
        await expect(page.locator("#status")).to_have_text(translate("en", PAGE_WORDS["saved"]))
        assert bot.assistant.case_export(USER)["txn"][0]["amount"] == "1999.00"
        # saved: nothing is brought back any more
        await page.goto("about:blank")
        await page.goto(page_url(url, init_data(fake.token, USER)))
        await expect(amount_input).to_have_value("1999.00")
        await expect(page.locator("#save")).to_be_disabled()
        await browser.close()
