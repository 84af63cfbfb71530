"""The inbox: each Telegram update is stored here before it is acknowledged, and marked once handled.

Telegram does not send a polled update again once the next getUpdates has moved past it, and a
webhook update is not sent again once answered with 200. Storing the update first means that a
crash between receiving and handling loses nothing: the next start handles what is still here.

Rows hold personal data (the merchant's words, names): card numbers are masked before a row is
written, the update's content is blanked when it is handled, handled rows are deleted after
`KEEP_HANDLED`, and /delete removes a user's rows. Nothing here logs an update's content.

With several webhook workers a row is *taken* (a lease) by the worker that handles it, so that
another worker waits for it instead of handling it too; a lease older than `LEASE` is free again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    """Store updates of private chats not seen before (in one transaction); returns the chats with new rows.

    Updates from groups are not stored: the assistant keeps nothing from a group."""
    now = now or utcnow()
    ids = [u["update_id"] for u in updates]
    chats: list[int] = []
    with database.session() as db:
        conn = db.connection()
        known = set(conn.execute(select(_INBOX.c.update_id).where(_INBOX.c.update_id.in_(ids))).scalars())
        known |= set(
            conn.execute(select(_PROCESSED.c.update_id).where(_PROCESSED.c.update_id.in_(ids))).scalars()
        )
        rows = []
        for data in updates:
            if data["update_id"] in known:
                continue
            known.add(data["update_id"])
            who = sender(data)
            if who.chat_type != "private":
                continue
            chat_id = who.chat_id
            rows.append(
                {
                    "update_id": data["update_id"],
                    "chat_id": chat_id,
                    "user_id": who.user_id,
                    "data": masked(data),
                    "received_at": now,
                }
            )
            if chat_id not in chats:
                chats.append(chat_id)
        if rows:
            # two workers may receive the same update at once (a redelivery): the second insert is a no-op
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(insert(_INBOX).on_conflict_do_nothing(index_elements=["update_id"]), rows)
    return chats


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


def is_pending(database: Database, update_id: int) -> bool:
    with database.engine.connect() as conn:
        row = conn.execute(select(_INBOX.c.handled_at).where(_INBOX.c.update_id == update_id)).first()
    return row is not None and row.handled_at is None


def take(database: Database, update_id: int, worker: str, now: datetime | None = None) -> bool:
    """Lease an unhandled row to `worker`; False when another worker's lease is still running."""
    now = now or utcnow()
    free = or_(_INBOX.c.taken_by.is_(None), _INBOX.c.taken_by == worker, _INBOX.c.taken_at < now - LEASE)
    with database.session() as db:
        result = db.connection().execute(
            update(_INBOX)
            .where(_INBOX.c.update_id == update_id, _INBOX.c.handled_at.is_(None), free)
            .values(taken_by=worker, taken_at=now)
        )
    return bool(result.rowcount)


def handled(database: Database, update_id: int, now: datetime | None = None) -> None:
    """Mark a row handled and drop its content (the row itself goes after `KEEP_HANDLED`)."""
    with database.session() as db:
        db.connection().execute(
            update(_INBOX)
            .where(_INBOX.c.update_id == update_id)
            .values(handled_at=now or utcnow(), data={}, taken_by=None, taken_at=None)
        )


def chats_waiting(database: Database, worker: str | None = None, now: datetime | None = None) -> list[int]:
    """Chats with unhandled rows that no live worker holds (with `worker`, its own rows count as free)."""
    now = now or utcnow()
    free = or_(_INBOX.c.taken_by.is_(None), _INBOX.c.taken_at < now - LEASE)
    if worker is not None:
        free = or_(free, _INBOX.c.taken_by == worker)
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(_INBOX.c.chat_id, _INBOX.c.update_id)
            .where(_INBOX.c.handled_at.is_(None), free)
            .order_by(_INBOX.c.update_id)
        ).all()
    return list(dict.fromkeys(r.chat_id for r in rows))


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
