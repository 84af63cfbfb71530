"""The running bot's housekeeping: retention at start (and hourly), the inbox emptied and swept."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage import Database, inbox
from tests.conftest import SHANGHAI
from tests.support import Chat, review
from tests.telegram.test_inbox import USER, inbox_rows, until


async def test_retention_runs_at_start_with_the_configured_period(fake, start_bot, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    database = Database(url)
    database.migrate()
    chat = review(Chat(database, user_id=USER))
    chat.choose("confirm")
    case_id = chat.case()["id"]
    database.dispose()
    fake.user(USER)
    later = datetime.now(SHANGHAI) + timedelta(days=24)  # a week before the 30 days are over
    bot = await start_bot(
        "ptb", "polling", database_url=url, clock=lambda: later, env={"RETENTION_DAYS": "30"}
    )
    assert bot.assistant.retention_days == 30
    await until(lambda: fake.chat(USER), what="the retention warning")
    warning = fake.chat(USER)[0].text
    assert case_id in warning and "/export" in warning


async def test_handled_updates_are_emptied_swept_and_deleted_with_the_account(fake, start_bot, tmp_path):
    bot = await start_bot("aiogram", "polling")
    fake.user(USER)
    first = fake.send_text(USER, "/start")
    await bot.bridge.wait_handled(first)
    await until(lambda: inbox_rows(bot.database)[first].handled_at is not None, what="handled")
    row = inbox_rows(bot.database)[first]
    assert row.data == {} and row.user_id == USER  # the content goes as soon as it is handled
    assert inbox.sweep(bot.database) == (0, 0)  # kept a few minutes (diagnosis, late duplicates)
    later = datetime.now(SHANGHAI) + inbox.KEEP_HANDLED + timedelta(seconds=1)
    assert inbox.sweep(bot.database, later) == (1, 0)
    assert inbox_rows(bot.database) == {}
    await bot.bridge.wait_handled(fake.send_text(USER, "/delete"))
    message = next(m for m in reversed(fake.chat(USER)) if "confirm" in m.choice_ids)
    await bot.bridge.wait_handled(fake.press(USER, message.message_id, "confirm"))
    assert inbox_rows(bot.database) == {}  # /delete and its confirmation are gone with the account
