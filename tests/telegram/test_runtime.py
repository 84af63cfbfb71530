"""The Telegram runtime's duties beyond the conversation: start-up, webhook checks, limits, retries, logs."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from tests.telegram.conftest import FRAMEWORKS, MODES
from tests.telegram.merchant import photo

USER = 6001


async def _said(fake, bot, update_id: int) -> list:
    before = len(fake.chat(USER))
    await bot.bridge.wait_handled(update_id, timeout=30)
    return fake.chat(USER)[before:]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_command_menu_is_set_in_both_languages(framework, fake, start_bot):
    await start_bot(framework, "polling")
    assert set(fake.commands) == {"", "zh", "en"}
    names = [c["command"] for c in fake.commands["en"]]
    assert {"start", "new", "cases", "skip", "back", "done", "cancel", "lang", "help"} <= set(names)
    assert [c["command"] for c in fake.commands["zh"]] == names
    assert fake.commands[""] == fake.commands["zh"]  # the default menu is Chinese
    assert any(ord(ch) > 0x2E7F for c in fake.commands["zh"] for ch in c["description"])


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_webhook_checks_the_secret_and_answers_health(framework, fake, start_bot):
    bot = await start_bot(framework, "webhook")
    assert fake.webhook is not None and fake.webhook["secret_token"] == "test-secret_123"
    url = fake.webhook["url"]
    fake.user(USER)
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "Ana"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update) as response:
            assert response.status == 401
        async with http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        ) as response:
            assert response.status == 401
        assert fake.chat(USER) == []  # nothing was applied
        headers = {"X-Telegram-Bot-Api-Secret-Token": "test-secret_123"}
        async with http.post(url, data=b"{not json", headers=headers) as response:
            assert response.status == 400
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200  # stored; handled right after the answer
        await bot.bridge.wait_handled(77)
        assert fake.chat(USER)  # the greeting
        async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_redelivered_update_is_answered_once(framework, fake, start_bot):
    bot = await start_bot(framework, "webhook")
    fake.user(USER)
    first = fake.send_text(USER, "/start")
    await bot.bridge.wait_handled(first)
    count = len(fake.chat(USER))
    headers = {"X-Telegram-Bot-Api-Secret-Token": "test-secret_123"}
    update = {
        "update_id": first,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "Ana"},
            "text": "/start",
        },
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(fake.webhook["url"], json=update, headers=headers) as r,
    ):
        assert r.status == 200
    await bot.bridge.wait_handled(fake.send_text(USER, "/help"))  # handled after the redelivery, if it were
    help_replies = fake.chat(USER)[count:]
    assert len(help_replies) == 1 and "/skip" in help_replies[0].text


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_file_over_20_mb_is_refused_without_downloading(framework, fake, start_bot):
    bot = await start_bot(framework, "polling")
    fake.user(USER)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    said = await _said(
        fake,
        bot,
        fake.send_document(USER, b"%PDF-1.4 tiny", "scan.pdf", "application/pdf", size=25 * 1024 * 1024),
    )
    assert fake.calls_of("getFile") == []
    assert len(said) == 2 and "25.0 MB" in said[0].text and "20 MB" in said[0].text
    assert said[1].reply_markup  # and the question again, at once, with its buttons


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_photo_takes_the_largest_size_and_stickers_get_a_hint(framework, fake, start_bot):
    bot = await start_bot(framework, "polling")
    fake.user(USER)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    said = await _said(fake, bot, fake.send_other(USER, "sticker"))
    assert "Stickers" in said[0].text
    said = await _said(fake, bot, fake.send_other(USER, "voice"))
    assert "voice" in said[0].text
    data = photo(5)
    said = await _said(fake, bot, fake.send_photo(USER, data, caption="slip"))
    downloaded = [c["file_id"] for c in fake.calls_of("getFile")]
    assert len(downloaded) == 1 and fake._files[downloaded[0]][0] == data  # not a thumbnail
    assert "Saved" in said[0].text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_429_and_network_errors_lose_nothing(framework, mode, fake, start_bot):
    bot = await start_bot(framework, mode)
    fake.user(USER)
    fake.inject("sendMessage", status=429, retry_after=1)
    fake.inject("sendMessage", disconnect=True)
    fake.inject("sendMessage", status=502)
    started = time.monotonic()
    said = await _said(fake, bot, fake.send_text(USER, "/start"))
    assert time.monotonic() - started >= 0.9  # retry_after was honoured
    attempts = len(fake.calls_of("sendMessage"))
    assert attempts == len(said) + 3
    assert said and "Hello Ana" in said[0].text


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_logs_carry_neither_token_nor_what_the_merchant_typed(framework, fake, start_bot, caplog):
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    bot = await start_bot(framework, "polling")
    fake.user(USER)
    fake.inject("sendMessage", disconnect=True)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    await bot.bridge.wait_handled(fake.send_text(USER, "Secret Noodle Shop 13800138000"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert fake.token not in logged and fake.token.split(":")[1] not in logged
    assert "Secret Noodle" not in logged and "13800138000" not in logged


async def test_replies_to_one_chat_keep_their_order(fake, start_bot):
    bot = await start_bot("aiogram", "polling")
    fake.user(USER)
    ids = [fake.send_text(USER, text) for text in ("/start", "/help", "/lang en", "/help")]
    for update_id in ids:
        await bot.bridge.wait_handled(update_id)
    texts = [m.text for m in fake.chat(USER)]
    assert texts[0].startswith("Hello")
    assert sum("Commands:" in t for t in texts) == 2
    assert texts.index(next(t for t in texts if "Language set" in t)) > texts.index(
        next(t for t in texts if "Commands:" in t)
    )


async def test_slow_chat_does_not_hold_up_another(fake, start_bot):
    from bot.transports.ratelimit import InProcessLimiter

    bot = await start_bot("ptb", "polling", limiter=InProcessLimiter())
    fake.user(USER)
    fake.user(USER + 1)
    fake.inject("sendMessage", status=429, retry_after=2)
    slow = fake.send_text(USER, "/help")
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await bot.bridge.wait_handled(fake.send_text(USER + 1, "/help"))
    assert time.monotonic() - started < 1.5
    await bot.bridge.wait_handled(slow)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_failure_inside_is_told_and_the_next_message_works(framework, fake, start_bot, monkeypatch):
    bot = await start_bot(framework, "polling")
    fake.user(USER)
    real = bot.assistant.apply

    def broken(event):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bot.assistant, "apply", broken)
    said = await _said(fake, bot, fake.send_text(USER, "/start"))
    assert len(said) == 1 and "send it again" in said[0].text
    monkeypatch.setattr(bot.assistant, "apply", real)
    said = await _said(fake, bot, fake.send_text(USER, "/start"))
    assert "Hello Ana" in said[0].text


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_typing_shows_while_a_slow_update_is_applied(framework, fake, start_bot, monkeypatch):
    bot = await start_bot(framework, "polling")
    fake.user(USER)
    real = bot.assistant.apply

    def slow(event):
        time.sleep(0.6)  # e.g. reading a slip photo
        return real(event)

    monkeypatch.setattr(bot.assistant, "apply", slow)
    said = await _said(fake, bot, fake.send_text(USER, "/start"))
    assert "Hello Ana" in said[0].text
    assert "typing" in [c["action"] for c in fake.calls_of("sendChatAction")]


async def test_healthz_says_warming_until_the_warm_up_is_done_and_replies_meanwhile(
    fake, start_bot, monkeypatch
):
    import threading

    from bot import warmup

    release, started = threading.Event(), threading.Event()

    def slow_documents() -> None:  # stands in for the real warm-up, held until the test lets it go
        started.set()
        release.wait(30)

    monkeypatch.setattr(warmup, "_documents", slow_documents)
    bot = await start_bot("ptb", "webhook", warm_up=True, env={"OCR": "off"})
    health = f"http://127.0.0.1:{bot.port}/healthz"
    fake.user(USER)
    try:
        assert started.wait(10)
        async with aiohttp.ClientSession() as http:
            async with http.get(health) as response:
                assert response.status == 200 and (await response.json())["status"] == "warming"
            said = await _said(fake, bot, fake.send_text(USER, "/start"))
            assert said  # the first merchant is answered while the bot warms up
            async with http.get(health) as response:
                assert (await response.json())["status"] == "warming"
            release.set()
            assert await asyncio.to_thread(bot.warm_up.wait, 10)
            async with http.get(health) as response:
                assert response.status == 200 and (await response.json())["status"] == "ok"
    finally:
        release.set()
    assert "ocr" not in bot.warm_up.seconds  # OCR=off: the model is not loaded
