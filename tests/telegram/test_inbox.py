"""Nothing lost: updates are stored before Telegram is told they arrived, handled in order, and wait out a database
that is briefly away (a locked SQLite file, a PostgreSQL server behind a proxy that is closed and reopened)."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import sqlite3
from contextlib import suppress

import aiohttp
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from bot.storage import inbox
from bot.storage.inbox import InboxRow
from tests.telegram.conftest import FRAMEWORKS
from tests.telegram.merchant import ANSWERS, Merchant, pdf, photo
from tests.telegram.test_cli import _start as start_process

USER = 7001
WAITING_EN = "I cannot reach my database just now"


async def until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def inbox_rows(database) -> dict[int, InboxRow]:
    with database.session() as db:
        return {row.update_id: row for row in db.execute(select(InboxRow)).scalars()}


def texts(fake, user: int = USER) -> list[str]:
    return [m.text for m in fake.chat(user) if m.kind == "text"]


async def to_evidence_file(merchant: Merchant) -> None:
    """Answer the case up to 'send the file' for a bank statement (no photo reading on the way)."""
    await merchant.send("/start")
    for _ in range(80):
        asks = merchant.asks
        if asks == "evidence.file":
            return
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
            continue
        await merchant.answer(asks, ANSWERS)
    raise AssertionError("never asked for evidence")


def short_busy_timeout(database, milliseconds: int = 200) -> None:
    """The bot's SQLite connections give up on a lock after `milliseconds` (30 s in production)."""

    @event.listens_for(database.engine, "connect")
    def _busy(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA busy_timeout={milliseconds}")

    database.engine.dispose()


def sqlite_path(url: str) -> str:
    return make_url(url).database or ""


# --- order -----------------------------------------------------------------------------------------


async def _two_at_once(merchant: Merchant, fake, bots) -> None:
    """A statement and its caption sent one right after the other; the statement is slow (its download is
    held). The caption must wait for the file and describe it, as the merchant meant."""
    await to_evidence_file(merchant)
    before = len(fake.chat(USER))
    fake.pause("getFile")
    file_update = fake.send_document(USER, pdf(), "statement.pdf", "application/pdf")
    await until(lambda: fake.calls_of("getFile"), what="the download of the file")
    text_update = fake.send_text(USER, "November statement from the bank")
    await until(lambda: text_update in fake.pushed and fake.stored_or_delivered(text_update), what="delivery")
    await asyncio.sleep(0.5)  # time enough for the caption to overtake the file, if it could
    assert fake.chat(USER)[before:] == [], "something was answered before the file was stored"
    fake.resume("getFile")
    for update_id in (file_update, text_update):
        await merchant._wait(update_id)
    replies = [m.text for m in fake.chat(USER)[before:]]
    assert len(replies) == 2, replies
    assert "What is “statement.pdf”?" in replies[0] and "Evidence 2" in replies[1], replies
    case = bots[0].assistant.case_export(USER)
    assert case is not None
    assert [e.get("caption") for e in case["evidence"]] == ["November statement from the bank"]
    assert case["evidence"][0]["kind"] == "bank_statement"  # named in the words typed about it
    assert case["evidence"][0]["file_name"] == "statement.pdf"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_two_updates_of_one_chat_are_applied_in_order_sqlite_polling(
    framework, fake, start_bot, tmp_path
):
    bot = await start_bot(framework, "polling")
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await _two_at_once(merchant, fake, [bot])


@pytest.mark.postgres
async def test_two_updates_of_one_chat_are_applied_in_order_by_two_webhook_workers(
    pg_url, fake, start_bot, tmp_path
):
    first = await start_bot("ptb", "webhook", database_url=pg_url)
    second = await start_bot("aiogram", "webhook", database_url=pg_url)
    fake.webhook_targets = [f"http://127.0.0.1:{bot.port}/telegram/webhook" for bot in (first, second)]
    merchant = Merchant.create(fake, first, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    merchant.more_bots = [second]
    await _two_at_once(merchant, fake, [first, second])
    assert set(fake.webhook_deliveries) == {200}


@pytest.mark.postgres
async def test_a_redelivered_update_is_applied_once_across_workers(pg_url, fake, start_bot, tmp_path):
    """Telegram sends an update again (its answer was lost) to the other worker: applied once."""
    first = await start_bot("ptb", "webhook", database_url=pg_url)
    second = await start_bot("aiogram", "webhook", database_url=pg_url)
    fake.user(USER)
    fake.webhook_targets = [f"http://127.0.0.1:{first.port}/telegram/webhook"]
    update_id = fake.send_text(USER, "/start")
    await first.bridge.wait_handled(update_id)
    count = len(fake.chat(USER))
    fake.webhook_targets = [f"http://127.0.0.1:{second.port}/telegram/webhook"]
    headers = {"X-Telegram-Bot-Api-Secret-Token": fake.webhook["secret_token"]}
    async with (
        aiohttp.ClientSession() as http,
        http.post(fake.webhook_targets[0], json=fake.pushed[update_id], headers=headers) as response,
    ):
        assert response.status == 200
    help_id = fake.send_text(USER, "/help")
    await second.bridge.wait_handled(help_id)
    assert len(fake.chat(USER)) == count + 1  # only the /help answer
    assert update_id not in second.bridge._handled


# --- crash and restart -------------------------------------------------------------------------------


async def test_an_update_stored_before_a_stop_is_handled_after_the_start(fake, start_bot, tmp_path):
    """Stored, confirmed to Telegram, not handled (the process stopped): the next start handles it."""
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    bot = await start_bot("aiogram", "polling", database_url=url)
    fake.user(USER)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    await bot.stop()
    fake.send_text(USER, "/help")
    stored = inbox.store(bot.database, [fake._pending[-1]])  # what the poll loop does before confirming
    assert stored == [USER]
    fake._pending.clear()  # confirmed: Telegram will not send it again
    again = await start_bot("ptb", "polling", database_url=url)
    await until(lambda: any("/skip" in t for t in texts(fake)), what="the answer to /help")
    rows = inbox_rows(again.database)
    assert all(row.handled_at is not None and row.data == {} for row in rows.values())


# --- the database away -------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_locked_database_keeps_the_update_unconfirmed_and_tells_the_merchant(
    framework, fake, start_bot, tmp_path
):
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    bot = await start_bot(framework, "polling", database_url=url)
    short_busy_timeout(bot.database)
    fake.user(USER)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    locker = sqlite3.connect(sqlite_path(url), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        update_id = fake.send_text(USER, "/help")
        await until(lambda: any(WAITING_EN in t for t in texts(fake)), what="the waiting notice")
        await until(lambda: sum(update_id in ids for _, ids in fake.polled) >= 2, what="a second poll")
        assert not fake.confirmed(update_id)  # not stored, so not confirmed: Telegram still holds it
    finally:
        locker.rollback()
        locker.close()
    await bot.bridge.wait_handled(update_id)
    said = texts(fake)
    assert sum(WAITING_EN in t for t in said) == 1  # told once, although tried several times
    assert "/skip" in said[-1]  # the answer to /help, after the notice
    await until(lambda: fake.confirmed(update_id), what="the confirmation")


async def test_a_database_lost_after_storing_retries_the_stored_update(fake, start_bot, tmp_path):
    """Stored and confirmed; the database goes away while the file downloads: the merchant is told, the
    update stays in the inbox and is applied once the database is back."""
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    bot = await start_bot("ptb", "polling", database_url=url)
    short_busy_timeout(bot.database)
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await to_evidence_file(merchant)
    before = len(fake.chat(USER))
    fake.pause("getFile")
    update_id = fake.send_document(USER, pdf(), "statement.pdf", "application/pdf")
    await until(lambda: fake.calls_of("getFile"), what="the download")
    await until(lambda: fake.confirmed(update_id), what="the confirmation of the stored update")
    locker = sqlite3.connect(sqlite_path(url), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        fake.resume("getFile")
        await until(lambda: any(WAITING_EN in t for t in texts(fake)), what="the waiting notice")
        row = locker.execute("SELECT handled_at FROM inbox WHERE update_id = ?", (update_id,)).fetchone()
        assert row == (None,)  # kept, not handled
        await asyncio.sleep(0.5)  # a few retries, all refused
    finally:
        locker.rollback()
        locker.close()
    await bot.bridge.wait_handled(update_id)
    said = [m.text for m in fake.chat(USER)[before:]]
    assert sum(WAITING_EN in t for t in said) == 1
    assert sum("What is “statement.pdf”?" in t for t in said) == 1, said
    case = bot.assistant.case_export(USER)
    assert case is not None and [e["file_name"] for e in case["evidence"]] == ["statement.pdf"]
    # the row is marked handled just after the replies go out: wait for it rather than race it
    await until(lambda: inbox_rows(bot.database)[update_id].handled_at is not None, what="the row handled")


class Proxy:
    """A TCP proxy on loopback in front of PostgreSQL that can be closed (connections cut) and reopened."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}

        async def pipe(src, dst) -> None:
            with suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with suppress(Exception):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


@pytest.mark.postgres
async def test_postgres_away_answers_503_tells_the_merchant_and_loses_nothing(pg_url, fake, start_bot):
    parsed = make_url(pg_url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.up()
    url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    bot = await start_bot("aiogram", "webhook", database_url=url)
    fake.user(USER)
    await bot.bridge.wait_handled(fake.send_text(USER, "/start"))
    await proxy.down()
    try:
        update_id = fake.send_text(USER, "/help")
        await until(lambda: 503 in fake.webhook_deliveries, what="a 503 to Telegram")
        await until(lambda: any(WAITING_EN in t for t in texts(fake)), what="the waiting notice")
    finally:
        await proxy.up()  # Telegram's next delivery finds it back
    await bot.bridge.wait_handled(update_id)
    said = texts(fake)
    assert sum(WAITING_EN in t for t in said) == 1
    assert "/skip" in said[-1]
    assert fake.webhook_deliveries[-1] == 200
    await proxy.down()


# --- a real process killed --------------------------------------------------------------------------


def _question(message) -> tuple[str, list[str]]:
    return message.text, message.choice_ids


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_sigkill_in_the_middle_of_a_case_loses_nothing(framework, fake, tmp_path):
    """`python -m bot` (polling, SQLite) is killed while a document it has confirmed to Telegram is being
    handled. The next process handles it from its inbox (Telegram does not send it again) and the case
    goes on at the same question."""
    env = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.base_url, "BOT_FRAMEWORK": framework}
    fake.user(USER, "en", "Ana")
    process = await start_process(tmp_path, **env)
    try:
        fake.send_text(USER, "/start")
        await until(lambda: fake.chat(USER), timeout=60, what="the greeting")
        greeting = fake.chat(USER)[-1]
        fake.press(USER, greeting.message_id, "case.scenario=denied_charge")
        await until(lambda: len(fake.chat(USER)) > 1 and fake.chat(USER)[-1].choice_ids, what="a question")
        await asyncio.sleep(0.3)  # the whole reply
        question = _question(fake.chat(USER)[-1])
        shown = len(fake.chat(USER))
        fake.pause("getFile")
        update_id = fake.send_document(USER, pdf(), "statement.pdf", "application/pdf")
        await until(
            lambda: fake.calls_of("getFile") and fake.confirmed(update_id), what="stored and confirmed"
        )
        process.kill()  # SIGKILL: no clean-up of any kind
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert len(fake.chat(USER)) == shown  # the document got no answer from the killed process
    database = tmp_path / "data" / "assistant.sqlite3"
    with sqlite3.connect(database) as raw:
        assert raw.execute("SELECT handled_at FROM inbox WHERE update_id = ?", (update_id,)).fetchall() == [
            (None,)
        ]
    polls_before = len(fake.polled)
    fake.resume("getFile")
    process = await start_process(tmp_path, **env)
    try:
        await until(lambda: len(fake.chat(USER)) > shown, timeout=60, what="the answer after the restart")
        await asyncio.sleep(0.3)
        after = fake.chat(USER)[shown:]
        assert "statement.pdf" in after[0].text  # kept as evidence
        text, choices = _question(after[-1])
        assert text.endswith(question[0]) and choices == question[1]  # and the same question again
        assert not any(
            update_id in ids for _, ids in fake.polled[polls_before:]
        )  # from the inbox, not Telegram
        fake.press(USER, after[-1].message_id, question[1][0])  # the case goes on
        await until(lambda: len(fake.chat(USER)) > shown + len(after), what="the next question")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    with sqlite3.connect(database) as raw:
        row = raw.execute("SELECT handled_at, data FROM inbox WHERE update_id = ?", (update_id,)).fetchone()
        assert row[0] is not None and row[1] == "{}"
        files = raw.execute("SELECT name FROM evidence_files").fetchall()
    assert ("statement.pdf",) in files


# --- albums ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_an_album_across_two_webhook_workers_gets_one_answer(pg_url, fake, start_bot, tmp_path):
    """The balancer spreads an album's items over both workers: every photo is kept, in order, and the
    merchant gets one answer, after the last."""
    first = await start_bot("ptb", "webhook", database_url=pg_url)
    second = await start_bot("aiogram", "webhook", database_url=pg_url)
    fake.webhook_targets = [f"http://127.0.0.1:{bot.port}/telegram/webhook" for bot in (first, second)]
    merchant = Merchant.create(fake, first, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    merchant.more_bots = [second]
    await to_evidence_file(merchant)
    photos = [photo(n) for n in (1, 2, 3)]
    said = await merchant.album(photos)  # compared with the reference: one answer
    assert len(said) == 1 and "What is “" in said[0].text
    case = first.assistant.case_export(USER)
    assert case is not None
    names = [e["file_name"] for e in case["evidence"]]
    assert names == [f"photo-{hashlib.sha256(p).hexdigest()[:16]}.jpg" for p in photos]
    assert {200} == set(fake.webhook_deliveries)
