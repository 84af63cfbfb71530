"""Reading and writing users, cases, processed updates and evidence files (one transaction each call site)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session as Db

from bot.storage.models import CaseRow, EvidenceBlob, EvidenceFile, ProcessedUpdate, UserRow
from conversations.state import Session

CASE_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class UserState:
    """The user's row as the hot path needs it (read with Core, not the ORM: it runs on every update)."""

    id: int
    lang: str
    active_case_id: str | None
    profile: dict | None
    consent_at: datetime | None
    pending: str | None
    case_exists: bool = False  # the active case's row exists (set by load_session)


_USERS = UserRow.__table__
_CASES = CaseRow.__table__
_UPDATES = ProcessedUpdate.__table__


def _conn(db: Db) -> Connection:
    return db.connection()


def lock_user(db: Db, user_id: int) -> UserState:
    """The user's row, created if new, locked for this transaction (PostgreSQL: FOR UPDATE;
    SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE)."""
    conn = _conn(db)
    columns = (
        _USERS.c.id,
        _USERS.c.lang,
        _USERS.c.active_case_id,
        _USERS.c.profile,
        _USERS.c.consent_at,
        _USERS.c.pending,
    )
    query = select(*columns).where(_USERS.c.id == user_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        stamp = utcnow()
        insert_stmt = _dialect_insert(conn)(_USERS).values(
            id=user_id, lang="", created_at=stamp, updated_at=stamp
        )
        conn.execute(insert_stmt.on_conflict_do_nothing(index_elements=["id"]))
        row = conn.execute(query).first()
    return UserState(*row)


def _dialect_insert(conn: Connection):
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def seen_update(db: Db, update_id: int) -> bool:
    conn = _conn(db)
    return (
        conn.execute(select(_UPDATES.c.update_id).where(_UPDATES.c.update_id == update_id)).first()
        is not None
    )


def claim_update(db: Db, update_id: int, user_id: int) -> bool:
    """Record an update id; False when it was recorded before (a redelivery)."""
    conn = _conn(db)
    stmt = (
        _dialect_insert(conn)(_UPDATES)
        .values(update_id=update_id, user_id=user_id, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_UPDATES.c.update_id)
    )
    return conn.execute(stmt).first() is not None


def mark_update(db: Db, update_id: int, user_id: int) -> None:
    claim_update(db, update_id, user_id)


def new_case_id(db: Db) -> str:
    conn = _conn(db)
    while True:
        case_id = "".join(secrets.choice(CASE_ID_ALPHABET) for _ in range(8))
        if conn.execute(select(_CASES.c.id).where(_CASES.c.id == case_id)).first() is None:
            return case_id


def _session_of(user: UserState, row) -> Session:
    base = {"lang": user.lang or "", "pending": user.pending, "consented": user.consent_at is not None}
    if row is None:
        return Session(**base)
    return Session(case_id=row.id, case=dict(row.data), conv=dict(row.conv), **base)


def _case_row(db: Db, case_id: str):
    return (
        _conn(db)
        .execute(
            select(_CASES.c.id, _CASES.c.user_id, _CASES.c.data, _CASES.c.conv).where(_CASES.c.id == case_id)
        )
        .first()
    )


def load_session(db: Db, user: UserState) -> Session:
    row = _case_row(db, user.active_case_id) if user.active_case_id else None
    if row is not None and row.user_id != user.id:
        row = None
    user.case_exists = row is not None
    return _session_of(user, row)


def load_case(db: Db, user: UserState, case_id: str) -> Session | None:
    """A case by id, only if this user owns it."""
    row = _case_row(db, case_id)
    if row is None or row.user_id != user.id:
        return None
    return _session_of(user, row)


def case_summaries(db: Db, user_id: int, limit: int = 20) -> list[dict]:
    rows = db.execute(
        select(CaseRow.id, CaseRow.status, CaseRow.scenario, CaseRow.created_at)
        .where(CaseRow.user_id == user_id)
        .order_by(CaseRow.created_at.desc(), CaseRow.id)
        .limit(limit)
    ).all()
    return [
        {"id": r.id, "status": r.status, "scenario": r.scenario, "created_at": r.created_at.isoformat()}
        for r in rows
    ]


def save_session(
    db: Db, user: UserState, session: Session, profile: dict | None, before: Session | None = None
) -> None:
    """Write what changed: the user's row and the session's case (inserted when new)."""
    conn = _conn(db)
    stamp = utcnow()
    user_changes: dict = {}
    if session.lang != user.lang:
        user_changes["lang"] = session.lang
    if session.case_id != user.active_case_id:
        user_changes["active_case_id"] = session.case_id
    if session.pending != user.pending:
        user_changes["pending"] = session.pending
    if session.consented and user.consent_at is None:
        user_changes["consent_at"] = stamp
    if profile and profile != user.profile:
        user_changes["profile"] = profile
    if user_changes:
        user_changes["updated_at"] = stamp
        conn.execute(update(_USERS).where(_USERS.c.id == user.id).values(**user_changes))
    if session.case_id is None or session.case is None:
        return
    if (
        before is not None
        and before.case_id == session.case_id
        and before.case == session.case
        and before.conv == session.conv
    ):
        return
    values = {
        "data": session.case,
        "conv": session.conv,
        "status": session.case.get("status", "draft"),
        "scenario": session.case.get("scenario"),
        "updated_at": stamp,
    }
    owner = conn.execute(select(_CASES.c.user_id).where(_CASES.c.id == session.case_id)).first()
    if owner is None:
        conn.execute(
            insert(_CASES).values(id=session.case_id, user_id=user.id, version=1, created_at=stamp, **values)
        )
        return
    if owner.user_id != user.id:  # never write into another user's case
        raise PermissionError("case belongs to another user")
    conn.execute(
        update(_CASES).where(_CASES.c.id == session.case_id).values(version=_CASES.c.version + 1, **values)
    )


def store_blob(db: Db, sha256: str, data: bytes, mime: str) -> None:
    if db.get(EvidenceBlob, sha256) is None:
        db.add(EvidenceBlob(sha256=sha256, mime=mime, size=len(data), data=data, created_at=utcnow()))


def add_evidence_file(
    db: Db, user_id: int, case_id: str | None, sha256: str, name: str, mime: str, size: int
) -> None:
    db.add(
        EvidenceFile(
            user_id=user_id,
            case_id=case_id,
            sha256=sha256,
            name=name,
            mime=mime,
            size=size,
            received_at=utcnow(),
        )
    )


def blob(db: Db, sha256: str, user_id: int | None = None) -> bytes | None:
    """A file's bytes; with `user_id`, only if that user sent it."""
    if user_id is not None:
        owned = db.execute(
            select(func.count()).where(EvidenceFile.sha256 == sha256, EvidenceFile.user_id == user_id)
        ).scalar_one()
        if not owned:
            return None
    row = db.get(EvidenceBlob, sha256)
    return None if row is None else bytes(row.data)


def forget_updates_before(db: Db, cutoff: datetime) -> int:
    return db.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)).rowcount or 0
