"""What the WeChat customer-service channel (`bot/transports/wecom`) keeps in the database, so that a restart neither loses nor repeats a message.

- `wecom_cursor`: `kf/sync_msg`'s cursor, moved on only after the messages it covers are in the inbox.
- `wecom_users`: WeCom's `external_userid` (a string) ⇄ the engine's numeric user and chat id.
- `wecom_messages`: each WeCom `msgid` ⇄ the inbox's numeric update id, given in the order messages were
  pulled, so that a message pulled twice (a crash before the cursor moved) is the same update, stored once.
- `wecom_window`: WeCom lets a business answer at most 5 messages within 48 hours of the customer's last
  message; what could not go out inside that window waits in `wecom_held` for the customer's next message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlmodel import Session as Db

from bot.storage.db import Database

WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 5
CLOSED_NOTE_AFTER = timedelta(hours=1)  # kept longer than this: it was kept while the chat was closed
USER_ID_BASE = 1 << 60  # far above Telegram's ids, so both channels may share one database

metadata = MetaData()
CURSOR = Table(
    "wecom_cursor",
    metadata,
    Column("open_kfid", String(64), primary_key=True),
    Column("cursor", String(128), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
USERS = Table(
    "wecom_users",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("external_userid", String(128), nullable=False, unique=True),
)
MESSAGES = Table(
    "wecom_messages",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("msgid", String(128), nullable=False, unique=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
WINDOW_TABLE = Table(
    "wecom_window",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("inbound_at", DateTime(timezone=True), nullable=False),
    Column("sent", Integer, nullable=False),
)
HELD = Table(
    "wecom_held",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "text" | "menu" | "file"
    Column("payload", JSON, nullable=False),
    Column("data", LargeBinary, nullable=True),  # a file's bytes
    Column("held_at", DateTime(timezone=True), nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive datetimes back


def cursor(db: Database, kf_id: str) -> str | None:
    with db.session() as s:
        return s.connection().execute(select(CURSOR.c.cursor).where(CURSOR.c.open_kfid == kf_id)).scalar()


def save_cursor(db: Database, kf_id: str, value: str) -> None:
    with db.session() as s:
        conn = s.connection()
        done = conn.execute(
            update(CURSOR).where(CURSOR.c.open_kfid == kf_id).values(cursor=value, updated_at=utcnow())
        ).rowcount
        if not done:
            conn.execute(insert(CURSOR).values(open_kfid=kf_id, cursor=value, updated_at=utcnow()))


def user_ids(db: Database, externals: list[str]) -> dict[str, int]:
    """The engine's id of each WeCom user, new ones numbered after the last."""
    with db.session() as s:
        conn = s.connection()
        known = dict(
            conn.execute(
                select(USERS.c.external_userid, USERS.c.user_id).where(USERS.c.external_userid.in_(externals))
            ).all()
        )
        new = [e for e in dict.fromkeys(externals) if e not in known]
        if new:
            top = conn.execute(select(func.max(USERS.c.user_id))).scalar() or USER_ID_BASE
            for offset, external in enumerate(new, 1):
                known[external] = top + offset
            conn.execute(insert(USERS), [{"user_id": known[e], "external_userid": e} for e in new])
        return known


def external_id(db: Database, user_id: int) -> str | None:
    with db.session() as s:
        return (
            s.connection().execute(select(USERS.c.external_userid).where(USERS.c.user_id == user_id)).scalar()
        )


def update_ids(db: Database, msgids: list[str]) -> dict[str, int]:
    """The inbox update id of each WeCom message, in the order given (a message seen before keeps its id)."""
    with db.session() as s:
        conn = s.connection()
        known = dict(
            conn.execute(
                select(MESSAGES.c.msgid, MESSAGES.c.update_id).where(MESSAGES.c.msgid.in_(msgids))
            ).all()
        )
        new = [m for m in dict.fromkeys(msgids) if m not in known]
        if new:
            top = conn.execute(select(func.max(MESSAGES.c.update_id))).scalar() or 0
            now = utcnow()
            for offset, msgid in enumerate(new, 1):
                known[msgid] = top + offset
            conn.execute(
                insert(MESSAGES), [{"update_id": known[m], "msgid": m, "received_at": now} for m in new]
            )
        return known


def known_update_ids(db: Database, msgids: list[str]) -> set[int]:
    with db.session() as s:
        return set(
            s.connection().execute(select(MESSAGES.c.update_id).where(MESSAGES.c.msgid.in_(msgids))).scalars()
        )


def sweep(db: Database, now: datetime | None = None) -> None:
    """WeCom keeps messages for 3 days: a message id older than a week can no longer come back."""
    cutoff = (now or utcnow()) - timedelta(days=7)
    with db.session() as s:
        s.connection().execute(delete(MESSAGES).where(MESSAGES.c.received_at < cutoff))


# --- the reply window -------------------------------------------------------------------------------


def inbound(db: Database, user_id: int, at: datetime) -> None:
    """The customer wrote at `at` (a message pulled for the first time): the window opens again (5 messages,
    48 hours), unless a later message opened it already."""
    with db.session() as s:
        conn = s.connection()
        row = conn.execute(select(WINDOW_TABLE.c.inbound_at).where(WINDOW_TABLE.c.user_id == user_id)).first()
        if row is not None and _utc(row.inbound_at) > at:
            return
        done = conn.execute(
            update(WINDOW_TABLE).where(WINDOW_TABLE.c.user_id == user_id).values(inbound_at=at, sent=0)
        ).rowcount
        if not done:
            conn.execute(insert(WINDOW_TABLE).values(user_id=user_id, inbound_at=at, sent=0))


def room(db: Database, user_id: int, now: datetime) -> int:
    """How many more messages may go out now (0 when the window is closed or used up)."""
    with db.session() as s:
        row = (
            s.connection()
            .execute(
                select(WINDOW_TABLE.c.inbound_at, WINDOW_TABLE.c.sent).where(
                    WINDOW_TABLE.c.user_id == user_id
                )
            )
            .first()
        )
    if row is None or now - _utc(row.inbound_at) >= WINDOW:
        return 0
    return max(0, WINDOW_MESSAGES - row.sent)


def count_sent(db: Database, user_id: int) -> None:
    with db.session() as s:
        s.connection().execute(
            update(WINDOW_TABLE).where(WINDOW_TABLE.c.user_id == user_id).values(sent=WINDOW_TABLE.c.sent + 1)
        )


def hold(db: Database, user_id: int, kind: str, payload: dict, data: bytes | None, at: datetime) -> None:
    with db.session() as s:
        s.connection().execute(
            insert(HELD).values(user_id=user_id, kind=kind, payload=payload, data=data, held_at=at)
        )


def held(db: Database, user_id: int) -> list[tuple[int, str, dict, bytes | None, datetime]]:
    """What waits for the user, oldest first: (id, kind, payload, file bytes, held at)."""
    with db.session() as s:
        rows = (
            s.connection()
            .execute(
                select(HELD.c.id, HELD.c.kind, HELD.c.payload, HELD.c.data, HELD.c.held_at)
                .where(HELD.c.user_id == user_id)
                .order_by(HELD.c.id)
            )
            .all()
        )
    return [(r.id, r.kind, r.payload, r.data, _utc(r.held_at)) for r in rows]


def held_count(db: Database, user_id: int) -> int:
    with db.session() as s:
        return (
            s.connection()
            .execute(select(func.count()).select_from(HELD).where(HELD.c.user_id == user_id))
            .scalar_one()
        )


def release(db: Database, held_id: int) -> None:
    with db.session() as s:
        s.connection().execute(delete(HELD).where(HELD.c.id == held_id))


def delete_user(db: Db, user_id: int) -> None:
    """/delete: the WeCom side of a user goes too (their WeChat id and held messages), in the deletion's
    own transaction. The window's count stays (a number and a time, nothing personal): the answer to
    /delete is sent after this, inside that window."""
    for table in (HELD, USERS):
        db.execute(delete(table).where(table.c.user_id == user_id))
