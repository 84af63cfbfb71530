"""The outbox: what an update owes the merchant (messages, edits, document jobs), stored with the update.

`Assistant.apply` writes these rows in the transaction that applies the update, so an applied update
always has its replies on record. The runtime's sender sends a chat's rows in order (`id`), records
progress within a row that takes several calls (a long text, a document job), and deletes each row
once sent. What a crash leaves behind is sent at the next start (or by another worker once the dead
worker's lease is free); at worst the one call that was on the wire is repeated.

Rows are *taken* (a lease, like the inbox's) by the worker that sends them. Rows hold personal data
(the replies' text, a case for a document job): deleted when sent, and with the user at /delete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, delete, insert, or_, select, update
from sqlmodel import Field, SQLModel
from sqlmodel import Session as Db

from bot.storage.db import Database

LEASE = timedelta(minutes=2)  # refreshed at every step of a long job


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    update_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    state: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    taken_by: str | None = Field(default=None, max_length=64)
    taken_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


_OUT = OutboxRow.__table__


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Queued:
    """One stored message (or job) to send, with how far it got."""

    id: int
    chat_id: int
    update_id: int | None
    body: dict
    state: dict | None = None


def add(
    db: Db, chat_id: int, user_id: int | None, update_id: int | None, bodies: list[dict], worker: str
) -> list[Queued]:
    """Store messages in the caller's transaction, leased to `worker` (which sends them next)."""
    if not bodies:
        return []
    now = utcnow()
    rows = [
        {
            "chat_id": chat_id,
            "user_id": user_id,
            "update_id": update_id,
            "body": body,
            "created_at": now,
            "taken_by": worker,
            "taken_at": now,
        }
        for body in bodies
    ]
    result = db.connection().execute(insert(_OUT).returning(_OUT.c.id, sort_by_parameter_order=True), rows)
    ids = [r.id for r in result]
    return [Queued(i, chat_id, update_id, body) for i, body in zip(ids, bodies, strict=True)]


def others_pending(db: Db, chat_id: int, worker: str) -> bool:
    """Whether another worker still has rows of the chat to send (ours must wait for them: in order)."""
    found = (
        db.connection()
        .execute(select(_OUT.c.id).where(_OUT.c.chat_id == chat_id, _OUT.c.taken_by != worker).limit(1))
        .first()
    )
    return found is not None


def holders(database: Database, chat_id: int, worker: str) -> set[str]:
    """The other workers holding rows of the chat."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(_OUT.c.taken_by).where(_OUT.c.chat_id == chat_id, _OUT.c.taken_by != worker).distinct()
        ).scalars()
        return {r for r in rows if r}


def _free(row, worker: str, now: datetime, gone: Callable[[str | None], bool]) -> bool:
    taken_at = _utc(row.taken_at)
    return (
        row.taken_by is None
        or row.taken_by == worker
        or (taken_at is not None and taken_at < now - LEASE)
        or gone(row.taken_by)
    )


def take(
    database: Database, chat_id: int, worker: str, gone: Callable[[str | None], bool] = lambda _w: False
) -> list[Queued] | None:
    """The chat's stored rows, oldest first, leased to `worker`; None while another live worker holds them.

    The rows are locked while they are looked at (PostgreSQL: FOR UPDATE; SQLite: the write lock)."""
    now = utcnow()
    with database.session() as db:
        conn = db.connection()
        rows = conn.execute(
            select(_OUT.c.id, _OUT.c.update_id, _OUT.c.body, _OUT.c.state, _OUT.c.taken_by, _OUT.c.taken_at)
            .where(_OUT.c.chat_id == chat_id)
            .order_by(_OUT.c.id)
            .with_for_update()
        ).all()
        if not rows:
            return []
        if not all(_free(r, worker, now, gone) for r in rows):
            return None
        if any(r.taken_by != worker for r in rows):
            conn.execute(
                update(_OUT).where(_OUT.c.id.in_([r.id for r in rows])).values(taken_by=worker, taken_at=now)
            )
    return [Queued(r.id, chat_id, r.update_id, r.body, r.state) for r in rows]


def chats_waiting(
    database: Database, worker: str, gone: Callable[[str | None], bool] = lambda _w: False
) -> list[int]:
    """Chats whose stored rows no live worker holds (this worker's own count as free)."""
    now = utcnow()
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(_OUT.c.chat_id, _OUT.c.taken_by, _OUT.c.taken_at).order_by(_OUT.c.id)
        ).all()
    held = {r.chat_id for r in rows if not _free(r, worker, now, gone)}
    return [chat for chat in dict.fromkeys(r.chat_id for r in rows) if chat not in held]


def progress(database: Database, row_id: int, state: dict) -> None:
    """Record how far a row got (and renew its lease)."""
    with database.engine.begin() as conn:
        conn.execute(update(_OUT).where(_OUT.c.id == row_id).values(state=state, taken_at=utcnow()))


def sent(database: Database, *row_ids: int, then: tuple[int, dict] | None = None) -> None:
    """Rows sent: deleted. `then`: the state of the next row, recorded in the same transaction."""
    with database.engine.begin() as conn:
        if len(row_ids) == 1:
            conn.execute(delete(_OUT).where(_OUT.c.id == row_ids[0]))
        else:
            conn.execute(delete(_OUT).where(_OUT.c.id.in_(row_ids)))
        if then is not None:
            conn.execute(update(_OUT).where(_OUT.c.id == then[0]).values(state=then[1], taken_at=utcnow()))


def pending_count(database: Database) -> int:
    with database.engine.connect() as conn:
        return len(conn.execute(select(_OUT.c.id)).all())


def delete_user(db: Db, user_id: int) -> None:
    """Everything still owed to a user (in the caller's transaction, for /delete)."""
    db.execute(delete(OutboxRow).where(or_(OutboxRow.user_id == user_id, OutboxRow.chat_id == user_id)))
