"""Nothing the bot owes the merchant is lost: `python -m bot` killed (SIGKILL) after an answer was applied and
before its reply went out, or in the middle of sending documents, owes the same after the restart.

Both frameworks, polling and webhook, SQLite and PostgreSQL. The fake Bot API holds the chosen call
(the process is killed while it waits) and then drops it, as if it never reached Telegram: after
the restart every reply and every document arrives, once.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import signal
import zipfile

import pytest
from sqlalchemy import create_engine, text

from bot.storage import Database
from tests.conftest import FIXED_NOW
from tests.support import DENIED, Chat
from tests.telegram.conftest import FRAMEWORKS, free_port
from tests.telegram.merchant import pdf
from tests.telegram.test_cli import _start as start_process
from tests.telegram.test_inbox import until

USER = 7301
CONTINUING_EN = "Sorry, I was interrupted while preparing your documents"


def bot_env(fake, framework: str, mode: str, database_url: str) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "BOT_FRAMEWORK": framework,
        "DATABASE_URL": database_url,
    }
    if mode == "webhook":
        port = free_port()
        env |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "PORT": str(port),
            "WEBHOOK_SECRET": "test-secret_123",
        }
    return env


def query(url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def seed_confirmed_case(url: str, tmp_path, user: int, files: list[tuple[str, bytes]] = ()) -> str:
    """A confirmed denied-charge case (with these bank statements as evidence), made on the bot's database."""
    database = Database(url)
    database.migrate()
    chat = Chat(database, user_id=user)
    chat.send("/start")
    waiting = list(files)
    for _ in range(120):
        asked = chat.asks
        if asked is None and "confirm" in chat.choices:
            chat.choose("confirm")
            break
        if asked == "txn.datetime" and chat.item == 1:
            chat.choose("done")
        elif asked == "evidence.kind":  # the kind of the file just sent
            chat.choose("evidence.kind=bank_statement")
        elif asked == "evidence.file" and not waiting:
            chat.choose("done")
        elif asked == "evidence.file":
            name, data = waiting.pop(0)
            path = tmp_path / name
            path.write_bytes(data)
            chat.file(path, photo=False)
        elif asked == "evidence.caption":
            chat.send("bank statement")
        elif DENIED.get(asked or "") is None:
            chat.choose("skip")
        elif f"{asked}={DENIED[asked]}" in chat.choices:
            chat.choose(f"{asked}={DENIED[asked]}")
        else:
            chat.send(DENIED[asked])
    case_id = chat.case()["id"]
    database.dispose()
    return case_id


class Bot:
    """`python -m bot` as a child process, killed or stopped by the test."""

    def __init__(self, tmp_path, env: dict[str, str]) -> None:
        self.tmp_path, self.env = tmp_path, env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await start_process(self.tmp_path, **self.env)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no clean-up of any kind
        await self.process.wait()

    async def stop(self) -> None:
        assert self.process is not None
        if self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), 60)
        assert self.process.returncode == 0, stderr.decode()[-3000:]


# Every framework with every mode, every database with every framework and every mode (a pairwise cover of
# framework × mode × database: each run starts `python -m bot` twice).
MATRIX = [
    ("ptb", "polling", "sqlite"),
    ("aiogram", "webhook", "sqlite"),
    ("ptb", "webhook", "postgres"),
    ("aiogram", "polling", "postgres"),
]


def matrix():
    return [
        pytest.param(framework, mode, db, marks=[pytest.mark.postgres] if db == "postgres" else [])
        for framework, mode, db in MATRIX
    ]


def database_url(request, db: str, tmp_path) -> str:
    if db == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'assistant.sqlite3'}"
    return request.getfixturevalue("pg_url")


def outbox_rows(url: str) -> int:
    return query(url, "SELECT count(*) FROM outbox")[0][0]


# --- killed after the answer was applied, before its reply was sent -----------------------------------


@pytest.mark.parametrize(("framework", "mode", "db"), matrix())
async def test_killed_before_the_reply_the_restart_sends_it(framework, mode, db, fake, tmp_path, request):
    url = database_url(request, db, tmp_path)
    bot = Bot(tmp_path, bot_env(fake, framework, mode, url))
    fake.user(USER, "en", "Ana")
    await bot.start()
    try:
        fake.send_text(USER, "/start")
        await until(
            lambda: fake.chat(USER) and fake.chat(USER)[-1].choice_ids, timeout=60, what="the greeting"
        )
        greeting = fake.chat(USER)[-1]
        fake.pause("sendMessage")
        pressed = fake.press(USER, greeting.message_id, "case.scenario=denied_charge")
        await until(lambda: fake.held("sendMessage"), timeout=60, what="the reply on the wire")
        applied = query(url, "SELECT update_id FROM processed_updates WHERE update_id = :u", u=pressed)
        assert applied == [(pressed,)]  # the answer is in the database...
        await bot.kill()
    finally:
        if bot.process and bot.process.returncode is None:
            await bot.kill()
    fake.resume("sendMessage", discard=True)  # ...and its reply never reached Telegram
    assert len(fake.chat(USER)) == 1
    assert "✅" in fake.chat(USER)[0].html  # the pressed answer shown under the question
    assert outbox_rows(url) >= 1  # owed, on record
    await bot.start()
    try:
        await until(lambda: len(fake.chat(USER)) > 1, timeout=60, what="the reply after the restart")
        await asyncio.sleep(0.5)
        after = fake.chat(USER)[1:]
        assert len(after) == 1 and after[0].choice_ids, [m.text for m in after]  # the next question, once
        fake.press(USER, after[0].message_id, after[0].choice_ids[0])  # and the case goes on
        await until(lambda: len(fake.chat(USER)) > 2, timeout=30, what="the next question")
        await until(lambda: outbox_rows(url) == 0, timeout=10, what="the outbox emptied")
    finally:
        await bot.stop()


# --- killed while documents were being sent -----------------------------------------------------------------


def expected_documents(url: str, user: int) -> tuple[list[str], int]:
    """The file names "All of them" sends for the user's case (`<id>.<lang>.pdf|docx` in the order of the
    outputs, then the pack), and the number of documents asked for."""
    from bot.documents import applicable, file_langs
    from bot.service import Assistant
    from tests.conftest import SHANGHAI

    database = Database(url)
    case = Assistant(database, tz=SHANGHAI).case_export(user)
    database.dispose()
    assert case is not None
    outputs = applicable(case)
    names = [
        f"{output_id}.{lang}.{ext}"
        for output_id in outputs
        for lang in file_langs(output_id, case.get("language") or "zh")
        for ext in ("pdf", "docx")
    ]
    return [*names, "evidence-pack.zip"], len(outputs) + 1


@pytest.mark.parametrize(("framework", "mode", "db"), matrix())
async def test_killed_while_sending_documents_the_restart_finishes_them(
    framework, mode, db, fake, tmp_path, request
):
    url = database_url(request, db, tmp_path)
    (tmp_path / "data").mkdir(exist_ok=True)
    case_id = seed_confirmed_case(url, tmp_path, USER, [("statement.pdf", pdf())])
    names, count = expected_documents(url, USER)
    bot = Bot(tmp_path, bot_env(fake, framework, mode, url))
    fake.user(USER, "en", "Ana")
    await bot.start()
    try:
        fake.send_text(USER, f"/case {case_id}")
        await until(
            lambda: fake.chat(USER) and "output:all" in fake.chat(USER)[-1].choice_ids,
            timeout=60,
            what="the outputs menu",
        )
        menu = fake.chat(USER)[-1]
        fake.pause("sendDocument", after=3)
        fake.press(USER, menu.message_id, "output:all")
        await until(lambda: fake.held("sendDocument"), timeout=90, what="the fourth document on the wire")
        await bot.kill()
    finally:
        if bot.process and bot.process.returncode is None:
            await bot.kill()
    fake.resume("sendDocument", discard=True)
    before = fake.chat(USER)
    assert [m.file_name for m in before if m.kind == "document"] == names[:3]
    assert fake.message(USER, menu.message_id).choice_ids == []  # the menu's buttons are gone for now
    await bot.start()
    try:
        await until(
            lambda: fake.chat(USER)[-1].kind == "text" and "output:all" in fake.chat(USER)[-1].choice_ids,
            timeout=120,
            what="the outputs menu after the documents",
        )
        await asyncio.sleep(0.5)
        chat = fake.chat(USER)
        after = chat[len(before) :]
        sent = [m.file_name for m in chat if m.kind == "document"]
        assert sent == names, sent  # every document, each once, in order
        assert sum(CONTINUING_EN in m.text for m in after) == 1
        assert after[0].text.startswith(CONTINUING_EN)
        progress = next(m for m in chat if m.text.startswith(f"Preparing {count} document"))
        assert progress.text.endswith(f"✅ {count}/{count}")
        assert "That is everything" in after[-2].text and after[-1].text.startswith("Anything else")
        await until(lambda: outbox_rows(url) == 0, timeout=10, what="the outbox emptied")
    finally:
        await bot.stop()


# --- files over Telegram's limits -------------------------------------------------------------------------


def big_statements() -> list[tuple[str, bytes]]:
    """Three bank statements of almost 20 MB each (Telegram lets a bot download at most 20 MB): 60 MB."""
    return [(f"statement-{n}.pdf", b"%PDF-1.4\n" + os.urandom(19_900_000) + b"\n%%EOF\n") for n in range(3)]


def zip_contents(data: bytes) -> tuple[dict, dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        inside = {
            n: hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist() if n != "manifest.json"
        }
    return manifest, inside


def check_parts(parts: list, base: str) -> dict[str, str]:
    """Parts under Telegram's limit, each with its own manifest and the same list of the whole set."""
    stem = base.removesuffix(".zip")
    assert [p.file_name for p in parts] == [
        f"{stem}.part{n}of{len(parts)}.zip" for n in range(1, len(parts) + 1)
    ]
    assert len(parts) >= 2
    every: dict[str, str] = {}
    sets = []
    for number, part in enumerate(parts, start=1):
        assert len(part.data) < 50 * 1024 * 1024
        manifest, inside = zip_contents(part.data)
        assert manifest["part"] == number and manifest["parts"] == len(parts)
        assert {f["path"]: f["sha256"] for f in manifest["files"]} == inside
        every |= inside
        sets.append(manifest["set"])
    assert all(s == sets[0] for s in sets)
    assert {f["path"]: f["sha256"] for f in sets[0]} == every
    return every


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_60_mb_evidence_set_gets_its_pack_and_export_in_parts(framework, fake, start_bot, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    statements = big_statements()
    case_id = seed_confirmed_case(url, tmp_path, USER, statements)
    bot = await start_bot(framework, "polling", database_url=url)
    fake.user(USER, "en", "Ana")
    await bot.bridge.wait_handled(fake.send_text(USER, f"/case {case_id}"))
    menu = fake.chat(USER)[-1]
    assert "output:all" in menu.choice_ids
    await bot.bridge.wait_handled(fake.press(USER, menu.message_id, "output:all"), timeout=600)
    chat = fake.chat(USER)
    packs = [m for m in chat if m.kind == "document" and m.file_name.startswith("evidence-pack")]
    inside = check_parts(packs, "evidence-pack.zip")
    wanted = {hashlib.sha256(data).hexdigest() for _, data in statements}
    assert wanted <= set(inside.values())  # every statement is in one of the parts
    assert any("“evidence-pack.zip” comes in 2 parts" in m.text for m in chat)
    assert "That is everything" in chat[-1].text
    before = len(chat)
    await bot.bridge.wait_handled(fake.send_text(USER, "/export"), timeout=600)
    exports = [m for m in fake.chat(USER)[before:] if m.kind == "document"]
    stamp = FIXED_NOW.strftime("%Y%m%d")
    inside = check_parts(exports, f"my-data-{stamp}.zip")
    assert wanted <= set(inside.values())
    assert fake.too_large == []  # nothing over the limit was ever sent


async def test_a_413_is_not_retried_and_the_merchant_is_told_what_did_not_arrive(
    fake, start_bot, tmp_path, monkeypatch
):
    """Were a file over the limit sent anyway (here: the pack with no parts), Telegram's 413 is final."""
    from bot import zipparts

    monkeypatch.setattr(zipparts, "PART_LIMIT", 10**9)
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    case_id = seed_confirmed_case(url, tmp_path, USER, big_statements())
    bot = await start_bot("aiogram", "polling", database_url=url)
    fake.user(USER, "en", "Ana")
    await bot.bridge.wait_handled(fake.send_text(USER, f"/case {case_id}"))
    menu = fake.chat(USER)[-1]
    await bot.bridge.wait_handled(fake.press(USER, menu.message_id, "output:all"), timeout=600)
    assert fake.too_large == ["evidence-pack.zip"]  # tried once, never again
    tries = [
        c
        for c in fake.calls_of("sendDocument")
        if (c.get("document") or {}).get("file_name") == "evidence-pack.zip"
    ]
    assert len(tries) == 1
    chat = fake.chat(USER)
    note = next(m for m in chat if "did not arrive" in m.text)
    assert "evidence-pack.zip" in note.text and re.search(r"\b[0-9a-f]{64}\b", note.text)
    assert "That is everything" in chat[-1].text


# --- a restarted webhook worker does not wait out its dead predecessor's lease ------------------------------


def test_a_lease_of_a_process_that_is_gone_is_free():
    import subprocess
    import sys

    from bot.storage import leases

    me = leases.worker_id("abc")
    assert leases.gone(me)  # our pid, but no runtime of ours has that name: an earlier process
    leases.register(me)
    try:
        assert not leases.gone(me)
    finally:
        leases.unregister(me)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert leases.gone(f"{leases.HOST}:{child.pid}:1f")  # ended
    assert not leases.gone(f"{leases.HOST}:1:1f")  # pid 1 runs
    assert not leases.gone(f"elsewhere-{leases.HOST}x:{child.pid}:1f")  # another host: its lease runs out
    assert not leases.gone("polling") and not leases.gone(None)


@pytest.mark.parametrize(
    ("framework", "db"), [("ptb", "sqlite"), pytest.param("aiogram", "postgres", marks=pytest.mark.postgres)]
)
async def test_a_webhook_worker_restarted_after_a_crash_takes_over_its_lease(
    framework, db, fake, tmp_path, request
):
    """Killed while it held an update (its file downloading): the restarted worker (another pid) handles it
    at once instead of waiting out the two-minute lease of the dead one."""
    url = database_url(request, db, tmp_path)
    bot = Bot(tmp_path, bot_env(fake, framework, "webhook", url))
    fake.user(USER, "en", "Ana")
    await bot.start()
    try:
        fake.send_text(USER, "/start")
        await until(lambda: fake.chat(USER), timeout=60, what="the greeting")
        fake.pause("getFile")
        update_id = fake.send_document(USER, pdf(), "statement.pdf", "application/pdf")
        await until(
            lambda: fake.held("getFile") and update_id in fake.webhook_answered, timeout=60, what="held"
        )
        holder = query(url, "SELECT taken_by FROM inbox WHERE update_id = :u", u=update_id)[0][0]
        assert holder and holder.split(":")[1] == str(bot.process.pid)
        await bot.kill()
    finally:
        if bot.process and bot.process.returncode is None:
            await bot.kill()
    fake.resume("getFile", discard=True)
    shown = len(fake.chat(USER))
    await bot.start()
    try:
        # well inside the dead worker's lease (LEASE, two minutes)
        await until(lambda: len(fake.chat(USER)) > shown, timeout=90, what="the answer to the file")
        handled = query(url, "SELECT handled_at FROM inbox WHERE update_id = :u", u=update_id)
        assert handled and handled[0][0] is not None
    finally:
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.process.communicate(), 60)
    assert "taking over the lease of a worker that is gone" in stderr.decode()
