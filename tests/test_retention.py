"""Closed cases are deleted after the retention period, and only after the merchant was warned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot import retention
from tests.conftest import FIXED_NOW, SHANGHAI
from tests.support import Chat, review


@pytest.fixture
def db(any_db):
    return any_db


def _closed_case(db) -> str:
    chat = review(Chat(db))
    chat.choose("confirm")
    return chat.case()["id"]


def _run(db, at, sent: list) -> tuple[int, int]:
    async def send(chat_id, html):
        sent.append((chat_id, html))

    return asyncio.run(retention.run_once(db, send, at, days=30, tz=SHANGHAI))


def _count(db, table: str) -> int:
    with db.session() as s:
        return s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_warned_then_deleted(db):
    case_id = _closed_case(db)
    sent: list = []
    real_now = FIXED_NOW.__class__.now(SHANGHAI)  # rows carry the real time of the test run
    assert _run(db, real_now + timedelta(days=10), sent) == (0, 0)  # far from the end: nothing
    assert _run(db, real_now + timedelta(days=24), sent) == (1, 0)  # a week before: a warning
    assert case_id in sent[0][1] and "/export" in sent[0][1]
    assert _run(db, real_now + timedelta(days=25), sent) == (0, 0)  # warned once only
    assert _run(db, real_now + timedelta(days=30, hours=1), sent) == (0, 0)  # the week since the warning runs
    assert _run(db, real_now + timedelta(days=31, hours=1), sent) == (0, 1)
    assert _count(db, "cases") == 0 and _count(db, "evidence_files") == 0


def test_never_deleted_without_a_warning(db):
    _closed_case(db)
    real_now = FIXED_NOW.__class__.now(SHANGHAI)
    assert retention.purge(db, real_now + timedelta(days=400), days=30) == 0
    assert _count(db, "cases") == 1


def test_open_cases_are_kept(db):
    chat = Chat(db).send("/start").choose("case.scenario=denied_charge")
    real_now = FIXED_NOW.__class__.now(SHANGHAI)
    sent: list = []
    assert _run(db, real_now + timedelta(days=400), sent) == (0, 0)
    assert chat.case()["scenario"] == "denied_charge"
