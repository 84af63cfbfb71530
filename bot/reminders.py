"""Deadline reminders: stored when a confirmed case has a reply deadline, claimed and sent by the running bot.

A case with `dispute.deadline` gets reminders at 09:00 local time 3 days and 1 day before it
(`sync_case`, called in the same transaction that saves the case). Each running bot polls for due
reminders and claims them (`claim_due`): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, on SQLite
under the database write lock, so with several workers one sends each reminder and none twice.
Reminders live in the database and survive restarts. A claim that was never confirmed as sent
(a worker died mid-way) is taken over after `STALE_CLAIM`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint, delete, or_, select, update
from sqlmodel import Field, SQLModel
from sqlmodel import Session as Db

from bot.storage import Database
from bot.storage.models import UserRow
from conversations.fmt import moment
from conversations.i18n import LANGUAGES, N_, translate
from conversations.state import Session

log = logging.getLogger("bot.reminders")

BEFORE = {"d3": 3, "d1": 1}  # kind -> days before the deadline
SEND_AT = time(9, 0)  # local time of the merchant
STALE_CLAIM = timedelta(minutes=10)


class Reminder(SQLModel, table=True):
    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_reminders_case_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    case_id: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    deadline: date
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


def _utc(value: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back without an offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _deadline(case: dict) -> date | None:
    raw = (case.get("dispute") or {}).get("deadline")
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def planned(deadline: date, tz: ZoneInfo) -> dict[str, datetime]:
    """When each reminder for `deadline` is due (UTC); none for a day at the calendar's edge (0001-01-02)."""
    due = {}
    for kind, days in BEFORE.items():
        try:
            due[kind] = datetime.combine(deadline - timedelta(days=days), SEND_AT, tzinfo=tz).astimezone(UTC)
        except (OverflowError, ValueError):  # a stored absurd date must not make every confirm fail
            continue
    return due


def sync_case(db: Db, user_id: int, session: Session, tz: ZoneInfo, now: datetime) -> None:
    """Make the stored reminders of the session's case match its deadline (in the caller's transaction)."""
    case_id, case = session.case_id, session.case
    if not case_id or case is None:
        return
    status = case.get("status")
    if status == "cancelled":
        db.execute(delete(Reminder).where(Reminder.case_id == case_id, Reminder.sent_at.is_(None)))
        return
    if status != "confirmed":
        return
    deadline = _deadline(case)
    now_utc = _utc(now)
    wanted = {} if deadline is None else {k: at for k, at in planned(deadline, tz).items() if at > now_utc}
    existing = {r.kind: r for r in db.execute(select(Reminder).where(Reminder.case_id == case_id)).scalars()}
    for kind, row in existing.items():
        if kind not in wanted:
            if row.sent_at is None:
                db.delete(row)
        elif _utc(row.due_at) != wanted[kind] or row.deadline != deadline:
            row.due_at, row.deadline = wanted[kind], deadline
            row.sent_at = row.claimed_by = row.claimed_at = None
            db.add(row)
    for kind, due_at in wanted.items():
        if kind not in existing:
            db.add(Reminder(user_id=user_id, case_id=case_id, kind=kind, deadline=deadline, due_at=due_at))


@dataclass(frozen=True)
class Due:
    id: int
    user_id: int
    case_id: str
    kind: str
    deadline: date
    lang: str


def claim_due(database: Database, worker: str, now: datetime, limit: int = 20) -> list[Due]:
    """Claim up to `limit` due reminders for `worker`; another worker's live claim is skipped."""
    now_utc = _utc(now)
    pick = (
        select(Reminder.id)
        .where(
            Reminder.sent_at.is_(None),
            Reminder.due_at <= now_utc,
            or_(Reminder.claimed_at.is_(None), Reminder.claimed_at < now_utc - STALE_CLAIM),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with database.session() as db:
        ids = (
            db.execute(
                update(Reminder)
                .where(Reminder.id.in_(pick.scalar_subquery()))
                .values(claimed_by=worker, claimed_at=now_utc)
                .returning(Reminder.id)
                .execution_options(synchronize_session=False)
            )
            .scalars()
            .all()
        )
        if not ids:
            return []
        rows = db.execute(
            select(Reminder, UserRow.lang)
            .join(UserRow, UserRow.id == Reminder.user_id, isouter=True)
            .where(Reminder.id.in_(ids))
            .order_by(Reminder.due_at, Reminder.id)
        ).all()
    return [
        Due(r.id, r.user_id, r.case_id, r.kind, r.deadline, lang if lang in LANGUAGES else LANGUAGES[0])
        for r, lang in rows
    ]


def mark_sent(database: Database, reminder_id: int, worker: str, now: datetime) -> None:
    with database.session() as db:
        db.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.claimed_by == worker)
            .values(sent_at=_utc(now))
            .execution_options(synchronize_session=False)
        )


def release(database: Database, reminder_id: int, worker: str) -> None:
    """Give a claim back so that the reminder is tried again on the next round."""
    with database.session() as db:
        db.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.claimed_by == worker, Reminder.sent_at.is_(None))
            .values(claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def reminder_text(due: Due, today: date) -> str | None:
    """The reminder in the merchant's language; None when the deadline has passed."""
    days = (due.deadline - today).days
    when = moment(due.deadline.isoformat(), due.lang)
    if days < 0:
        return None
    if days == 0:
        message = N_(
            "⏰ Reminder: your reply to the acquirer for case {case_id} is due today, {date}. "
            "/case {case_id} opens the case."
        )
    elif days == 1:
        message = N_(
            "⏰ Reminder: your reply to the acquirer for case {case_id} is due tomorrow, {date}. "
            "/case {case_id} opens the case."
        )
    else:
        message = N_(
            "⏰ Reminder: your reply to the acquirer for case {case_id} is due on {date}, in {days} days. "
            "/case {case_id} opens the case."
        )
    return translate(due.lang, message, case_id=due.case_id, date=when, days=days)


class Undeliverable(Exception):
    """The chat cannot receive messages (the user blocked the bot): do not try again."""


@dataclass
class ReminderLoop:
    """Claims due reminders every `interval` seconds and sends them with `send(chat_id, html)`."""

    database: Database
    send: Callable[[int, str], Awaitable[None]]
    tz: ZoneInfo
    clock: Callable[[], datetime] | None = None
    interval: float = 30.0
    worker: str = ""

    def __post_init__(self) -> None:
        if not self.worker:
            self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(self.tz)

    async def run_once(self) -> int:
        """Send what is due now; returns how many reminders were sent."""
        now = self.now()
        claimed = await asyncio.to_thread(claim_due, self.database, self.worker, now)
        sent = 0
        for due in claimed:
            text = reminder_text(due, now.astimezone(self.tz).date())
            try:
                if text is not None:
                    await self.send(due.user_id, text)
                    sent += 1
            except Undeliverable:
                log.info("reminder %s not deliverable; dropped", due.id)
            except Exception as exc:
                log.warning("reminder %s not sent (%s); will retry", due.id, type(exc).__name__)
                await asyncio.to_thread(release, self.database, due.id, self.worker)
                continue
            await asyncio.to_thread(mark_sent, self.database, due.id, self.worker, self.now())
        return sent

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                log.error("reminder round failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)
