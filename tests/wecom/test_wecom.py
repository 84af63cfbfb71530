"""WeChat customer service over real HTTP against the fake WeCom: the same case as the local runtime, step by
step; signatures, tokens, the reply window, and a crash between pulling and handling."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.service import Assistant, Outgoing
from bot.settings import SettingsError, load
from bot.storage import Database
from bot.storage import wecom as state
from bot.transports.common import split_text
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text
from bot.transports.wecom import WeComRuntime
from bot.transports.wecom.adapter import KEPT_FOR_YOU, MORE_WAITING, layout
from conversations.i18n import translate
from tests.conftest import FIXED_NOW, SHANGHAI
from tests.telegram.merchant import ANSWERS, pdf, photo
from tests.wecom.conftest import start_runtime, wecom_env
from tests.wecom.fake_wecom import FakeWeCom, Sent

MORE = translate("zh", MORE_WAITING)


def expected(messages: list[Outgoing]) -> list[dict]:
    """What the WeChat customer should see of the reference replies: plain text in the pieces WeCom takes
    (`adapter.layout`, its limits checked by the fake), the buttons as menus, files by name."""
    out: list[dict] = []
    for message in messages:
        if message.text:
            html_pieces = split_text(message.text)
            for index, html in enumerate(html_pieces):
                ids = [(c.label, c.id) for c in message.choices] if index == len(html_pieces) - 1 else []
                for body in layout(html_to_text(html), ids):
                    if body["msgtype"] == "text":
                        out.append({"text": body["text"]["content"], "menu": []})
                    else:
                        menu = body["msgmenu"]
                        out.append(
                            {"text": menu["head_content"], "menu": [i["click"]["id"] for i in menu["list"]]}
                        )
        if message.file is not None:
            out.append({"file": message.file.name})
    return out


def seen(sent: list[Sent]) -> list[dict]:
    return [
        {"file": s.file_name} if s.msgtype == "file" else {"text": s.text, "menu": s.menu}
        for s in sent
        if s.text != MORE
    ]


@dataclass
class WeChatMerchant:
    fake: FakeWeCom
    bot: WeComRuntime
    reference: LocalChat
    tmp: Path
    user: str = "wmCustomer0001"
    last: list[Outgoing] = field(default_factory=list)
    steps: int = 0

    @property
    def asks(self) -> str | None:
        return next((m.asks for m in reversed(self.last) if m.asks), None)

    @property
    def choices(self) -> list[str]:
        return [c.id for m in self.last for c in m.choices]

    async def _step(self, act, reference: list[Outgoing]) -> list[Sent]:
        before = len(self.fake.to(self.user))
        act()
        assert await self.fake.notify() == 200
        want = expected(reference)
        got: list[Sent] = []
        for _ in range(50):  # each "继续" brings up to 5 more
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                got = self.fake.to(self.user)[before:]
                if len(seen(got)) >= len(want) or (got and got[-1].text == MORE):
                    break
                assert asyncio.get_running_loop().time() < deadline, (
                    f"step {self.steps + 1}: waited for {json.dumps(want, ensure_ascii=False)[:2000]}, "
                    f"got {json.dumps(seen(got), ensure_ascii=False)[:2000]}"
                )
                await asyncio.sleep(0.02)
            if got and got[-1].text == MORE and len(seen(got)) < len(want):
                count = len(self.fake.to(self.user))
                self.fake.customer_text(self.user, "继续")
                assert await self.fake.notify() == 200
                await self.fake.wait_sent(self.user, count + 1, timeout=60)
                continue
            break
        await asyncio.sleep(0.05)
        got = self.fake.to(self.user)[before:]
        self.steps += 1
        self.last = reference
        assert seen(got) == want, (
            f"refused by WeCom: {chr(10).join(map(str, self.fake.errors[-25:]))}\n"
            f"step {self.steps}: WeChat showed\n{json.dumps(seen(got), ensure_ascii=False, indent=1)}\n"
            f"reference:\n{json.dumps(want, ensure_ascii=False, indent=1)}"
        )
        return got

    async def _local(self, action, *args, **kw) -> list[Outgoing]:
        return await asyncio.wait_for(asyncio.to_thread(action, *args, **kw), 120)

    async def enter(self) -> list[Sent]:
        reference = await self._local(self.reference.send, "/start")
        return await self._step(lambda: self.fake.customer_enters(self.user), reference)

    async def send(self, text: str) -> list[Sent]:
        reference = await self._local(self.reference.send, text)
        return await self._step(lambda: self.fake.customer_text(self.user, text), reference)

    async def press(self, choice_id: str) -> list[Sent]:
        assert choice_id in self.choices, f"{choice_id} not offered: {self.choices}"
        assert any(choice_id in s.menu for s in self.fake.to(self.user)), "not in any menu sent"
        reference = await self._local(self.reference.choose, choice_id)
        return await self._step(lambda: self.fake.customer_click(self.user, choice_id), reference)

    async def image(self, data: bytes) -> list[Sent]:
        message = self.fake.customer_image(self.user, data)
        path = self.tmp / f"photo-{message['image']['media_id'][-12:]}.jpg"  # WeChat names no photo
        path.write_bytes(data)
        reference = await self._local(self.reference.send_file, path, as_photo=True)
        return await self._step(lambda: None, reference)

    async def file(self, data: bytes, name: str, mime: str) -> list[Sent]:
        path = self.tmp / name
        path.write_bytes(data)
        reference = await self._local(self.reference.send_file, path, as_photo=False)
        return await self._step(lambda: self.fake.customer_file(self.user, data, name, mime), reference)

    async def answer(self, asks: str | None) -> None:
        value = ANSWERS.get(asks or "")
        if value is None:
            await self.press("skip")
        elif f"{asks}={value}" in self.choices:
            await self.press(f"{asks}={value}")
        else:
            await self.send(value)


async def _merchant(fake: FakeWeCom, tmp_path: Path) -> tuple[WeChatMerchant, WeComRuntime]:
    bot = await start_runtime(fake, f"sqlite:///{tmp_path / 'wecom.sqlite3'}")
    reference_db = Database(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    reference_db.migrate()
    user_id = state.USER_ID_BASE + 1  # the first WeCom user gets this id: the reference uses the same
    local = LocalChat(
        Assistant(reference_db, tz=SHANGHAI, channel="wecom"),
        LocalUser(user_id, None, None),
        tz=SHANGHAI,
        now=FIXED_NOW,
    )
    return WeChatMerchant(fake, bot, local, tmp_path), bot


async def test_a_whole_case_through_wechat_equals_the_local_runtime(
    fake_wecom, tmp_path, deterministic_case_ids
):
    merchant, bot = await _merchant(fake_wecom, tmp_path)
    try:
        await merchant.enter()
        files_sent = False
        for _ in range(120):
            asks = merchant.asks
            if asks is None and "confirm" in merchant.choices:
                await merchant.press("confirm")
                break
            if asks == "txn.datetime" and "done" in merchant.choices:
                await merchant.press("done")
            elif asks == "evidence.kind":
                await merchant.press("evidence.kind=signed_slip")
            elif asks == "evidence.file" and files_sent:
                await merchant.press("done")
            elif asks == "evidence.file":
                files_sent = True
                await merchant.image(photo(1))
            else:
                await merchant.answer(asks)
        else:
            raise AssertionError("never reached the review")
        offered = [c for c in merchant.choices if c.startswith("output:")]
        assert offered
        sent = await merchant.press(next(c for c in offered if c != "output:all"))
        files = [s for s in sent if s.msgtype == "file"]
        assert files and all(s.file_data for s in files)
        await merchant.file(pdf(), "statement.pdf", "application/pdf")
    finally:
        await bot.stop()
    assert merchant.steps > 15
    # the photo was pulled with media/get and kept as evidence, as on Telegram
    assert "media_get" in fake_wecom.calls


async def test_url_verification_and_bad_signatures(fake_wecom, tmp_path):
    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        url = fake_wecom.callback_url
        crypto = fake_wecom.crypto
        import secrets
        import time as clock

        from wechatpy.crypto import PrpCrypto

        from tests.wecom.fake_wecom import CORP_ID, TOKEN

        echo = "echo-" + secrets.token_hex(4)
        encrypted = PrpCrypto(crypto.key).encrypt(echo, CORP_ID).decode()
        stamp, nonce = str(int(clock.time())), "n0nce"
        from wechatpy.crypto import _get_signature

        signature = _get_signature(TOKEN, stamp, nonce, encrypted)
        async with aiohttp.ClientSession() as http:
            query = {"msg_signature": signature, "timestamp": stamp, "nonce": nonce, "echostr": encrypted}
            async with http.get(url, params=query) as resp:
                assert resp.status == 200 and await resp.text() == echo
            async with http.get(url, params={**query, "msg_signature": "0" * 40}) as resp:
                assert resp.status == 403 and echo not in await resp.text()
            stale = str(int(clock.time()) - 3600)
            async with http.get(url, params={**query, "timestamp": stale}) as resp:
                assert resp.status == 403
            # an event signed for another corp, or with a wrong signature: refused, nothing pulled
            await bot.sync()  # the start-up pull is done: any pull after this came from a callback
            calls = fake_wecom.calls.count("sync_msg")
            query, body = fake_wecom.signed_event(corp_id="wwSomeoneElse0001")
            async with http.post(url, params=query, data=body.encode()) as resp:
                assert resp.status == 403
            query, body = fake_wecom.signed_event()
            async with http.post(
                url, params={**query, "msg_signature": "f" * 40}, data=body.encode()
            ) as resp:
                assert resp.status == 403
            async with http.post(url, params=query, data=b"<xml>not encrypted</xml>") as resp:
                assert resp.status == 403
            await asyncio.sleep(0.2)
            assert fake_wecom.calls.count("sync_msg") == calls
    finally:
        await bot.stop()


async def test_an_expired_token_is_fetched_again_and_busy_is_retried(fake_wecom, tmp_path):
    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    user = "wmTokenUser"
    try:
        fake_wecom.customer_enters(user)
        await fake_wecom.notify()
        await fake_wecom.wait_sent(user, 1)
        tokens_before = fake_wecom.calls.count("gettoken")
        fake_wecom.expire_tokens()
        fake_wecom.refuse_send = 2
        fake_wecom.customer_text(user, "/help")
        await fake_wecom.notify()
        sent = await fake_wecom.wait_sent(user, len(fake_wecom.to(user)) + 1)
        assert fake_wecom.calls.count("gettoken") == tokens_before + 1
        assert "/skip" in sent[-1].text
    finally:
        await bot.stop()


async def test_the_window_keeps_what_cannot_be_sent_and_says_so(fake_wecom, tmp_path):
    """At most 5 messages after a customer's message; a reminder while the window is closed is kept for
    the next message and introduced as kept."""
    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    user = "wmWindowUser"
    try:
        fake_wecom.customer_enters(user)
        await fake_wecom.notify()
        await fake_wecom.wait_sent(user, 1)
        chat_id = state.user_ids(bot.database, [user])[user]
        for number in range(7):
            await bot._send_reminder(chat_id, f"reminder {number}")
        sent = fake_wecom.to(user)
        assert len(sent) == 5 and sent[-1].text == MORE  # the fake refuses a sixth: none was tried
        assert state.held_count(bot.database, chat_id) == 7 - 3
        fake_wecom.customer_text(user, "继续")
        await fake_wecom.notify()
        sent = await fake_wecom.wait_sent(user, 9)
        assert [s.text for s in sent[5:]] == [f"reminder {n}" for n in range(3, 7)]
        assert state.held_count(bot.database, chat_id) == 0
        # 48 hours later the window is closed: the reminder is kept, and said to be kept at the next message
        fake_wecom.window[user][0] -= 49 * 3600
        with bot.database.session() as s:
            s.connection().execute(
                state.WINDOW_TABLE.update().values(
                    inbound_at=state.utcnow() - state.WINDOW - state.CLOSED_NOTE_AFTER
                )
            )
            s.connection().execute(state.HELD.delete())
        await bot._send_reminder(chat_id, "deadline in 3 days")
        assert len(fake_wecom.to(user)) == 9
        with bot.database.session() as s:
            s.connection().execute(state.HELD.update().values(held_at=state.utcnow() - state.WINDOW))
        fake_wecom.customer_text(user, "/help")
        await fake_wecom.notify()
        sent = await fake_wecom.wait_sent(user, 12)
        assert sent[9].text == translate("zh", KEPT_FOR_YOU)
        assert sent[10].text == "deadline in 3 days" and "/skip" in sent[11].text
    finally:
        await bot.stop()


async def test_a_crash_between_pulling_and_handling_loses_nothing_and_repeats_nothing(fake_wecom, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    user = "wmCrashUser"
    first = await start_runtime(fake_wecom, url)
    first.intake.schedule = lambda chat_id: None  # dies after storing, before handling
    fake_wecom.customer_enters(user)
    fake_wecom.customer_text(user, "/help")
    await first.sync()
    await first.stop()
    assert fake_wecom.to(user) == []
    # and one that died after pulling but before storing: its cursor never moved, so the pull repeats
    with Database(url).session() as s:
        s.connection().execute(state.CURSOR.delete())
    second = await start_runtime(fake_wecom, url)
    try:
        sent = await fake_wecom.wait_sent(user, 2)
        await second.sync()
        await asyncio.sleep(0.3)
        assert len(fake_wecom.to(user)) == len(sent)  # the same messages again are the same rows: once
        assert "/skip" in sent[-1].text
    finally:
        await second.stop()
    third = await start_runtime(fake_wecom, url)
    try:
        await third.sync()
        await asyncio.sleep(0.3)
        assert len(fake_wecom.to(user)) == len(sent)
    finally:
        await third.stop()


def test_settings_are_checked_at_start(tmp_path):
    fake = FakeWeCom(port=1)
    good = wecom_env(fake, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert load(good, dotenv=False).mode == "wecom_kf"
    for name, bad in [
        ("WECOM_CORP_ID", ""),
        ("WECOM_SECRET", "short"),
        ("WECOM_TOKEN", "has spaces in it"),
        ("WECOM_AES_KEY", "tooShort"),
        ("WECOM_KF_ID", "notanid"),
        ("WECOM_API_URL", "http://qyapi.example.com"),
        ("BOT_CHANNEL", "wechat"),
    ]:
        with pytest.raises(SettingsError, match=name):
            load({**good, name: bad}, dotenv=False)


async def test_the_privacy_notice_names_wechat(fake_wecom, tmp_path):
    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    user = "wmPrivacyUser"
    try:
        fake_wecom.customer_text(user, "/privacy")
        await fake_wecom.notify()
        sent = await fake_wecom.wait_sent(user, 1)
        assert "微信客服" in sent[0].text and "Telegram" not in sent[0].text
        assert "/export" in sent[0].text and "/delete" in sent[0].text
    finally:
        await bot.stop()


async def test_a_file_over_wechats_limit_is_named_with_its_sha256(fake_wecom, tmp_path):
    import hashlib

    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    user = "wmBigFileUser"
    try:
        fake_wecom.customer_enters(user)
        await fake_wecom.notify()
        await fake_wecom.wait_sent(user, 1)
        chat_id = state.user_ids(bot.database, [user])[user]
        big = b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)
        await bot.api.send_document(chat_id, "evidence-pack.zip", big, "application/zip")
        small = b"%PDF-1.4\nsmall"
        await bot.api.send_document(chat_id, "letter.pdf", small, "application/pdf")
        sent = fake_wecom.to(user)
        assert hashlib.sha256(big).hexdigest() in sent[-2].text and "20 MB" in sent[-2].text
        assert (
            sent[-1].msgtype == "file" and sent[-1].file_name == "letter.pdf" and sent[-1].file_data == small
        )
        assert "upload" in fake_wecom.calls and not any(code == 40058 for code, _ in fake_wecom.errors)
    finally:
        await bot.stop()


async def test_delete_removes_the_wechat_side_too(fake_wecom, tmp_path):
    bot = await start_runtime(fake_wecom, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    user = "wmDeleteUser"
    try:
        fake_wecom.customer_enters(user)
        await fake_wecom.notify()
        await fake_wecom.wait_sent(user, 1)
        chat_id = state.user_ids(bot.database, [user])[user]
        fake_wecom.customer_text(user, "/delete")
        await fake_wecom.notify()
        sent = await fake_wecom.wait_sent(user, 2)
        assert "confirm" in sent[-1].menu
        fake_wecom.customer_click(user, "confirm")
        await fake_wecom.notify()
        await fake_wecom.wait_sent(user, 3)
        await asyncio.sleep(0.2)
        assert state.external_id(bot.database, chat_id) is None
        assert state.held_count(bot.database, chat_id) == 0
    finally:
        await bot.stop()


def test_layout_keeps_within_wecoms_limits():
    """Long text in pieces of at most 2,000 bytes, a menu head of at most 1,000, 10 items a menu."""
    text = "\n".join(f"第 {n} 行：" + "说明" * 40 for n in range(40)) + "\n请选择："
    items = [(f"选项 {n}", f"choice:{n}") for n in range(23)]
    bodies = layout(text, items)
    texts = [b["text"]["content"] for b in bodies if b["msgtype"] == "text"]
    menus = [b["msgmenu"] for b in bodies if b["msgtype"] == "msgmenu"]
    assert all(len(t.encode()) <= 2000 for t in texts) and len(menus) == 3
    assert menus[0]["head_content"] == "请选择：" and [len(m["list"]) for m in menus] == [10, 10, 3]
    assert "".join(texts).replace("\n", "") + "请选择：" == text.replace("\n", "")
