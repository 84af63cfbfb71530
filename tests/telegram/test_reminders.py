"""Deadline reminders with a controlled clock: stored on confirmation, sent once by one of several bots, kept over restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from bot.reminders import Reminder
from bot.storage import Database
from tests.conftest import FIXED_NOW, SHANGHAI
from tests.support import DENIED, Chat, review

USER = 7001
WITH_DEADLINE = {
    **DENIED,
    "dispute.stage": "retrieval",
    "dispute.notified_at": "2025-11-27",
    "dispute.deadline": "2025-12-05",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def confirmed_case(url: str, language_code: str = "en") -> str:
    """A merchant confirms a case whose reply is due 2025-12-05 (clock: 2025-11-28 10:00)."""
    database = Database(url)
    database.migrate()
    chat = review(Chat(database, user_id=USER, language_code=language_code), WITH_DEADLINE)
    chat.choose("confirm")
    case_id = chat.case()["id"]
    database.dispose()
    return case_id


def stored(url: str) -> list[Reminder]:
    database = Database(url)
    with database.session() as db:
        rows = db.query(Reminder).order_by(Reminder.due_at).all()
    database.dispose()
    return rows


async def test_reminders_are_sent_once_by_one_of_two_bots_and_survive_a_restart(db_url, fake, start_bot):
    case_id = confirmed_case(db_url)
    rows = stored(db_url)
    assert [(r.kind, r.due_at.replace(tzinfo=None).isoformat()) for r in rows] == [
        ("d3", "2025-12-02T01:00:00"),  # 09:00 in Shanghai, stored in UTC
        ("d1", "2025-12-04T01:00:00"),
    ]
    fake.user(USER)
    clock = Clock(FIXED_NOW)
    first = await start_bot("ptb", "webhook", database_url=db_url, clock=clock)
    second = await start_bot("aiogram", "webhook", database_url=db_url, clock=clock)

    clock.now = datetime(2025, 12, 2, 8, 59, tzinfo=SHANGHAI)
    assert await asyncio.gather(first.reminders.run_once(), second.reminders.run_once()) == [0, 0]

    clock.now = datetime(2025, 12, 2, 9, 0, 30, tzinfo=SHANGHAI)
    sent = await asyncio.gather(*(bot.reminders.run_once() for bot in (first, second, first, second)))
    assert sum(sent) == 1
    assert len(fake.chat(USER)) == 1
    reminder = fake.chat(USER)[0].text
    assert case_id in reminder and "in 3 days" in reminder and "5 Dec 2025" in reminder

    # A restart: new processes on the same database send the next one, and only that one.
    await first.stop()
    await second.stop()
    clock.now = datetime(2025, 12, 4, 9, 0, 5, tzinfo=SHANGHAI)
    third = await start_bot("aiogram", "polling", database_url=db_url, clock=clock)
    # the new process's own reminder loop runs at start and may send it first: one of the two does
    sent_here = await third.reminders.run_once()
    assert await third.reminders.run_once() == 0
    for _ in range(200):
        if len(fake.chat(USER)) >= 2:
            break
        await asyncio.sleep(0.02)
    assert sent_here in (0, 1)
    assert len(fake.chat(USER)) == 2 and "tomorrow" in fake.chat(USER)[1].text
    assert all(r.sent_at is not None for r in stored(db_url))


async def test_a_reminder_that_could_not_be_sent_is_tried_again(fake, start_bot, sqlite_url):
    confirmed_case(sqlite_url, language_code="zh-hans")
    fake.user(USER, "zh-hans")
    clock = Clock(datetime(2025, 12, 2, 9, 30, tzinfo=SHANGHAI))
    bot = await start_bot("ptb", "polling", database_url=sqlite_url, clock=clock)
    fake.inject("sendMessage", status=502, times=20)  # more than the retries of one round
    assert await bot.reminders.run_once() == 0
    assert fake.chat(USER) == []
    fake._failures.clear()
    assert await bot.reminders.run_once() == 1
    assert "提醒" in fake.chat(USER)[0].text  # the merchant's language


async def test_changing_or_cancelling_updates_the_reminders(sqlite_url):
    confirmed_case(sqlite_url)
    assert len(stored(sqlite_url)) == 2
    database = Database(sqlite_url)
    late = Chat(database, user_id=USER, now=datetime(2025, 12, 3, 12, 0, tzinfo=SHANGHAI))
    late.local.next_update_id = 9_000_000
    late.send("/help")  # a day after the 3-day reminder was due: nothing new, nothing removed
    assert [r.kind for r in stored(sqlite_url)] == ["d3", "d1"]
    late.send("/cancel")  # a confirmed case is closed, not cancelled: reminders stay
    assert len(stored(sqlite_url)) == 2
    database.dispose()


@pytest.mark.parametrize("deadline", ["2025-11-29", "2025-11-28"])
def test_no_reminder_in_the_past(sqlite_url, deadline):
    database = Database(sqlite_url)
    database.migrate()
    chat = review(
        Chat(database, user_id=USER),
        {**WITH_DEADLINE, "dispute.notified_at": "2025-11-26", "dispute.deadline": deadline},
    )
    chat.choose("confirm")
    assert stored(sqlite_url) == []  # 3 and 1 days before are already past at 2025-11-28 10:00
    database.dispose()
