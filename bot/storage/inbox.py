"""The inbox: each Telegram update is stored here before it is acknowledged, and marked once handled.

Telegram does not send a polled update again once the next getUpdates has moved past it, and a
webhook update is not sent again once answered with 200. Storing the update first means that a
crash between receiving and handling loses nothing: the next start handles what is still here.

Rows hold personal data (the merchant's words, names): card numbers are masked before a row is
written, the update's content is blanked when it is handled, handled rows are deleted after
`KEEP_HANDLED`, and /delete removes a user's rows. Nothing here logs an update's content.

With several webhook workers a row is *taken* (a lease) by the worker that handles it, so that
another worker waits for it instead of handling it too; a lease older than `LEASE` is free again, and
so is at once the lease of a worker of this host whose process has ended (a restart after a crash;
see leases.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, delete, or_, select, update
from sqlmodel import Field, SQLModel
from sqlmodel import Session as Db

from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate
from conversations.cards import mask_everywhere
from conversations.chars import fit_everywhere

KEEP_HANDLED = timedelta(minutes=10)
KEEP_PROCESSED_IDS = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours
GIVE_UP = timedelta(days=7)  # an update still not handled after this is dropped (and counted in the log)
LEASE = timedelta(minutes=2)


class InboxRow(SQLModel, table=True):
    __tablename__ = "inbox"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    handled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    taken_by: str | None = Field(default=None, max_length=64)
    taken_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


_INBOX = InboxRow.__table__
_PROCESSED = ProcessedUpdate.__table__


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def masked(value: Any) -> Any:
    """The update with every full card number in any text masked (text, captions, file names...), and
    without characters a database or document cannot hold (a lone surrogate, U+FFFE)."""
    return mask_everywhere(fit_everywhere(value))


@dataclass(frozen=True)
class Sender:
    chat_id: int  # 0 when the update has no chat
    chat_type: str
    user_id: int | None
    language_code: str | None


def sender(data: dict) -> Sender:
    """Who sent a raw update, and in which chat."""
    query = data.get("callback_query")
    if isinstance(query, dict):
        user = query.get("from") or {}
        chat = (query.get("message") or {}).get("chat") or {"id": user.get("id"), "type": "private"}
    else:
        message = next((data[k] for k in ("message", "edited_message") if isinstance(data.get(k), dict)), {})
        user, chat = message.get("from") or {}, message.get("chat") or {}
    return Sender(
        int(chat.get("id") or 0), str(chat.get("type") or ""), user.get("id"), user.get("language_code")
    )


@dataclass(frozen=True)
class Stored:
    update_id: int
    chat_id: int
    data: dict
    taken_by: str | None
    taken_at: datetime | None
    received_at: datetime | None = None

    @property
    def media_group(self) -> str | None:
        """The album an item belongs to (its files arrive as separate updates)."""
        message = self.data.get("message")
        return message.get("media_group_id") if isinstance(message, dict) else None


def store(database: Database, updates: list[dict], now: datetime | None = None) -> list[int]:
    """Store updates of private chats not seen before; returns the chats with new rows.

    One statement: rows whose update id is in the inbox already (another worker stored it at the
    same moment) or among the processed updates are left out. Updates from groups are not stored:
    the assistant keeps nothing from a group."""
    now = now or utcnow()
    rows = []
    seen: set[int] = set()
    for data in updates:
        who = sender(data)
        if who.chat_type != "private" or data["update_id"] in seen:
            continue
        seen.add(data["update_id"])
        rows.append((data["update_id"], who.chat_id, who.user_id, masked(data), now))
    if not rows:
        return []
    with database.engine.begin() as conn:
        dialect = conn.dialect
        pg = dialect.name == "postgresql"
        json_in = _INBOX.c.data.type.dialect_impl(dialect).bind_processor(dialect)
        time_in = _INBOX.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
        params: list = []
        for update_id, chat_id, user_id, data, received_at in rows:
            params += [
                update_id,
                chat_id,
                user_id,
                json_in(data) if json_in else data,
                time_in(received_at) if time_in else received_at,
            ]
        one = "(%s::bigint, %s::bigint, %s::bigint, %s::json, %s::timestamptz)" if pg else "(?, ?, ?, ?, ?)"
        alias = " AS v (column1, column2, column3, column4, column5)" if pg else ""
        sql = (
            "INSERT INTO inbox (update_id, chat_id, user_id, data, received_at) "
            f"SELECT column1, column2, column3, column4, column5 FROM (VALUES {', '.join([one] * len(rows))}){alias} "
            "WHERE NOT EXISTS (SELECT 1 FROM processed_updates p WHERE p.update_id = column1) "
            "ON CONFLICT (update_id) DO NOTHING RETURNING chat_id"
        )
        chats = [row[0] for row in conn.exec_driver_sql(sql, tuple(params))]
    return list(dict.fromkeys(chats))


def pending(database: Database, chat_id: int) -> list[Stored]:
    """The chat's unhandled updates, oldest first."""
    query = select(
        _INBOX.c.update_id,
        _INBOX.c.chat_id,
        _INBOX.c.data,
        _INBOX.c.taken_by,
        _INBOX.c.taken_at,
        _INBOX.c.received_at,
    )
    query = query.where(_INBOX.c.chat_id == chat_id, _INBOX.c.handled_at.is_(None))
    with database.engine.connect() as conn:
        rows = conn.execute(query.order_by(_INBOX.c.update_id)).all()
    return [
        Stored(r.update_id, r.chat_id, r.data, r.taken_by, _utc(r.taken_at), _utc(r.received_at))
        for r in rows
    ]


def pending_and_take(
    database: Database, chat_id: int, worker: str, now: datetime | None = None
) -> tuple[list[Stored], int | None]:
    """`pending` and, in the same transaction, `take` of the oldest row when it is free and no album item
    (the usual case: one round trip instead of two). Returns the rows and the update id taken, if any."""
    now = now or utcnow()
    query = select(
        _INBOX.c.update_id,
        _INBOX.c.chat_id,
        _INBOX.c.data,
        _INBOX.c.taken_by,
        _INBOX.c.taken_at,
        _INBOX.c.received_at,
    ).where(_INBOX.c.chat_id == chat_id, _INBOX.c.handled_at.is_(None))
    free = or_(_INBOX.c.taken_by.is_(None), _INBOX.c.taken_by == worker, _INBOX.c.taken_at < now - LEASE)
    taken = None
    with database.engine.begin() as conn:
        rows = [
            Stored(r.update_id, r.chat_id, r.data, r.taken_by, _utc(r.taken_at), _utc(r.received_at))
            for r in conn.execute(query.order_by(_INBOX.c.update_id))
        ]
        if rows and rows[0].media_group is None:
            first = rows[0].update_id
            result = conn.execute(
                update(_INBOX)
                .where(_INBOX.c.update_id == first, _INBOX.c.handled_at.is_(None), free)
                .values(taken_by=worker, taken_at=now)
            )
            taken = first if result.rowcount else None
    return rows, taken


def is_pending(database: Database, update_id: int) -> bool:
    with database.engine.connect() as conn:
        row = conn.execute(select(_INBOX.c.handled_at).where(_INBOX.c.update_id == update_id)).first()
    return row is not None and row.handled_at is None


def take(
    database: Database, update_id: int, worker: str, now: datetime | None = None, steal: str | None = None
) -> bool:
    """Lease an unhandled row to `worker`; False when another worker's lease is still running.

    `steal`: a holder whose process is gone (see leases.py); its lease is free at once."""
    now = now or utcnow()
    free = or_(_INBOX.c.taken_by.is_(None), _INBOX.c.taken_by == worker, _INBOX.c.taken_at < now - LEASE)
    if steal is not None:
        free = or_(free, _INBOX.c.taken_by == steal)
    with database.session() as db:
        result = db.connection().execute(
            update(_INBOX)
            .where(_INBOX.c.update_id == update_id, _INBOX.c.handled_at.is_(None), free)
            .values(taken_by=worker, taken_at=now)
        )
    return bool(result.rowcount)


def holder(database: Database, update_id: int) -> str | None:
    """The worker whose lease holds an unhandled row, if any."""
    with database.engine.connect() as conn:
        row = conn.execute(
            select(_INBOX.c.taken_by).where(_INBOX.c.update_id == update_id, _INBOX.c.handled_at.is_(None))
        ).first()
    return row.taken_by if row is not None else None


def handled(database: Database, update_id: int, now: datetime | None = None) -> None:
    """Mark a row handled and drop its content (the row itself goes after `KEEP_HANDLED`)."""
    with database.session() as db:
        db.connection().execute(
            update(_INBOX)
            .where(_INBOX.c.update_id == update_id)
            .values(handled_at=now or utcnow(), data={}, taken_by=None, taken_at=None)
        )


def handled_in(db: Db, update_id: int, now: datetime | None = None) -> None:
    """`handled`, in the caller's transaction: the one that applies the update and stores its replies in
    the outbox (from then on the outbox, not the inbox, holds what is owed for it)."""
    db.connection().execute(
        update(_INBOX)
        .where(_INBOX.c.update_id == update_id, _INBOX.c.handled_at.is_(None))
        .values(handled_at=now or utcnow(), data={}, taken_by=None, taken_at=None)
    )


def chats_waiting(
    database: Database,
    worker: str | None = None,
    now: datetime | None = None,
    gone: Callable[[str | None], bool] | None = None,
) -> list[int]:
    """Chats with unhandled rows that no live worker holds (with `worker`, its own rows count as free;
    with `gone`, so do the rows of a holder whose process has ended)."""
    now = now or utcnow()
    free = or_(_INBOX.c.taken_by.is_(None), _INBOX.c.taken_at < now - LEASE)
    if worker is not None:
        free = or_(free, _INBOX.c.taken_by == worker)
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(_INBOX.c.chat_id, _INBOX.c.update_id, _INBOX.c.taken_by, free.label("free"))
            .where(_INBOX.c.handled_at.is_(None))
            .order_by(_INBOX.c.update_id)
        ).all()
    return list(dict.fromkeys(r.chat_id for r in rows if r.free or (gone is not None and gone(r.taken_by))))


def sweep(database: Database, now: datetime | None = None) -> tuple[int, int]:
    """Delete handled rows older than `KEEP_HANDLED`, rows that could not be handled for `GIVE_UP`, and
    update ids too old to come again. Returns (handled rows deleted, unhandled rows given up)."""
    now = now or utcnow()
    with database.session() as db:
        conn = db.connection()
        gone = conn.execute(
            delete(_INBOX).where(_INBOX.c.handled_at.is_not(None), _INBOX.c.handled_at < now - KEEP_HANDLED)
        ).rowcount
        dropped = conn.execute(
            delete(_INBOX).where(_INBOX.c.handled_at.is_(None), _INBOX.c.received_at < now - GIVE_UP)
        ).rowcount
        conn.execute(delete(_PROCESSED).where(_PROCESSED.c.processed_at < now - KEEP_PROCESSED_IDS))
    return gone or 0, dropped or 0


def delete_user(db: Db, user_id: int) -> None:
    """A user's rows handled or being handled (in the caller's transaction, for /delete). Rows not yet
    taken came after the deletion and are handled later as a new conversation."""
    db.execute(
        delete(InboxRow).where(
            or_(InboxRow.user_id == user_id, InboxRow.chat_id == user_id),
            or_(InboxRow.handled_at.is_not(None), InboxRow.taken_by.is_not(None)),
        )
    )
