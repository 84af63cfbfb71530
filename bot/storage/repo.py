"""Reading and writing users, cases, processed updates and evidence files (one transaction each call site)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session as Db

from bot.storage.models import CaseRow, EvidenceBlob, EvidenceFile, ProcessedUpdate, UserRow
from conversations.state import Session

CASE_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


def utcnow() -> datetime:
    return datetime.now(UTC)


def lock_user(db: Db, user_id: int, now: datetime | None = None) -> UserRow:
    """The user's row, created if new, locked for this transaction (PostgreSQL: FOR UPDATE)."""
    stamp = utcnow()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            pg_insert(UserRow)
            .values(id=user_id, lang="", created_at=stamp, updated_at=stamp)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        return db.execute(select(UserRow).where(UserRow.id == user_id).with_for_update()).scalars().one()
    user = db.get(UserRow, user_id)
    if user is None:
        user = UserRow(id=user_id, lang="", created_at=stamp, updated_at=stamp)
        db.add(user)
        db.flush()
    return user


def seen_update(db: Db, update_id: int) -> bool:
    return db.get(ProcessedUpdate, update_id) is not None


def mark_update(db: Db, update_id: int, user_id: int) -> None:
    db.execute(insert(ProcessedUpdate).values(update_id=update_id, user_id=user_id, processed_at=utcnow()))


def new_case_id(db: Db) -> str:
    while True:
        case_id = "".join(secrets.choice(CASE_ID_ALPHABET) for _ in range(8))
        if db.get(CaseRow, case_id) is None:
            return case_id


def _session_of(user: UserRow, row: CaseRow | None) -> Session:
    base = {"lang": user.lang or "", "pending": user.pending, "consented": user.consent_at is not None}
    if row is None:
        return Session(**base)
    return Session(case_id=row.id, case=dict(row.data), conv=dict(row.conv), **base)


def load_session(db: Db, user: UserRow) -> Session:
    row = db.get(CaseRow, user.active_case_id) if user.active_case_id else None
    if row is not None and row.user_id != user.id:
        row = None
    return _session_of(user, row)


def load_case(db: Db, user: UserRow, case_id: str) -> Session | None:
    """A case by id, only if this user owns it."""
    row = db.get(CaseRow, case_id)
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


def save_session(db: Db, user: UserRow, session: Session, profile: dict | None) -> None:
    stamp = utcnow()
    user.lang = session.lang
    user.active_case_id = session.case_id
    user.pending = session.pending
    if session.consented and user.consent_at is None:
        user.consent_at = stamp
    user.updated_at = stamp
    if profile:
        user.profile = profile
    db.add(user)
    if session.case_id is None or session.case is None:
        return
    row = db.get(CaseRow, session.case_id)
    if row is None:
        row = CaseRow(
            id=session.case_id,
            user_id=user.id,
            data=session.case,
            conv=session.conv,
            created_at=stamp,
            updated_at=stamp,
        )
    elif row.user_id != user.id:  # never write into another user's case
        raise PermissionError("case belongs to another user")
    row.data = session.case
    row.conv = session.conv
    row.status = session.case.get("status", "draft")
    row.scenario = session.case.get("scenario")
    row.version += 1
    row.updated_at = stamp
    db.add(row)


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
