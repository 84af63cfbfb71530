"""Reading and writing users, cases, processed updates and evidence files (one transaction each call site)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select
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


class _Hot:
    """The statements of the per-update hot path, as SQL text for one dialect, run on the DBAPI connection.

    Every update runs the same five or six statements; building, caching and executing them through
    SQLAlchemy Core cost more than the database itself (bench/engine.py with a profile). Values go
    through the columns' own SQLAlchemy type processors, so what is stored is byte for byte what
    Core and the ORM write and read elsewhere.
    """

    def __init__(self, dialect) -> None:
        self.dialect = dialect  # kept alive: the cache below is keyed by its id
        pg = dialect.name == "postgresql"
        self.placeholder = "%s" if pg else "?"

        def processors(column):
            impl = column.type.dialect_impl(dialect)
            return impl.bind_processor(dialect), impl.result_processor(dialect, None)

        self.json_in, self.json_out = processors(_CASES.c.data)
        self.time_in, self.time_out = processors(_USERS.c.consent_at)
        self.select_user = self.sql(
            "SELECT id, lang, active_case_id, profile, consent_at, pending FROM users WHERE id = ?"
            + (" FOR UPDATE" if pg else "")
        )
        self.insert_user = self.sql(
            "INSERT INTO users (id, lang, created_at, updated_at) VALUES (?, '', ?, ?) ON CONFLICT (id) DO NOTHING"
        )
        self.claim = self.sql(
            "INSERT INTO processed_updates (update_id, user_id, processed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (update_id) DO NOTHING"
        )
        self.seen = self.sql("SELECT 1 FROM processed_updates WHERE update_id = ?")
        self.select_case = self.sql("SELECT id, user_id, data, conv FROM cases WHERE id = ?")
        self.update_case = self.sql(
            "UPDATE cases SET data = ?, conv = ?, status = ?, scenario = ?, updated_at = ?, "
            "version = version + 1 WHERE id = ? AND user_id = ?"
        )
        self.insert_case = self.sql(
            "INSERT INTO cases (id, user_id, version, created_at, data, conv, status, scenario, updated_at) "
            "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
        )

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def json(self, value):
        return self.json_in(value) if self.json_in else value

    def from_json(self, value):
        return self.json_out(value) if self.json_out else value

    def time(self, value: datetime):
        return self.time_in(value) if self.time_in else value


_HOT: dict[int, _Hot] = {}


def _raw(db: Db) -> tuple[_Hot, object]:
    """The hot-path statements for this database and the transaction's DBAPI connection."""
    found = db.info.get("_raw")
    if found is None:
        conn = db.connection()
        hot = _HOT.get(id(conn.dialect))
        if hot is None:
            hot = _HOT[id(conn.dialect)] = _Hot(conn.dialect)
        found = db.info["_raw"] = (hot, conn.connection.driver_connection)
    return found


def _conn(db: Db) -> Connection:
    return db.connection()


def lock_user(db: Db, user_id: int) -> UserState:
    """The user's row, created if new, locked for this transaction (PostgreSQL: FOR UPDATE;
    SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE)."""
    hot, raw = _raw(db)
    row = raw.execute(hot.select_user, (user_id,)).fetchone()
    if row is None:
        stamp = hot.time(utcnow())
        raw.execute(hot.insert_user, (user_id, stamp, stamp))
        row = raw.execute(hot.select_user, (user_id,)).fetchone()
    profile = hot.from_json(row[3])
    consent_at = hot.time_out(row[4]) if hot.time_out and row[4] is not None else row[4]
    return UserState(row[0], row[1], row[2], profile, consent_at, row[5])


def seen_update(db: Db, update_id: int) -> bool:
    hot, raw = _raw(db)
    return raw.execute(hot.seen, (update_id,)).fetchone() is not None


def claim_update(db: Db, update_id: int, user_id: int) -> bool:
    """Record an update id; False when it was recorded before (a redelivery)."""
    hot, raw = _raw(db)
    return raw.execute(hot.claim, (update_id, user_id, hot.time(utcnow()))).rowcount == 1


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
    return Session(case_id=row[0], case=row[2], conv=row[3], **base)


def _case_row(db: Db, case_id: str) -> tuple | None:
    """(id, user_id, data, conv) of a case, its JSON read into fresh dictionaries."""
    hot, raw = _raw(db)
    row = raw.execute(hot.select_case, (case_id,)).fetchone()
    if row is None:
        return None
    return row[0], row[1], hot.from_json(row[2]), hot.from_json(row[3])


def load_session(db: Db, user: UserState) -> Session:
    row = _case_row(db, user.active_case_id) if user.active_case_id else None
    if row is not None and row[1] != user.id:
        row = None
    user.case_exists = row is not None
    return _session_of(user, row)


def load_case(db: Db, user: UserState, case_id: str) -> Session | None:
    """A case by id, only if this user owns it."""
    row = _case_row(db, case_id)
    if row is None or row[1] != user.id:
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


_USER_COLUMNS = ("lang", "active_case_id", "pending", "consent_at", "profile", "updated_at")


def save_session(
    db: Db, user: UserState, session: Session, profile: dict | None, before: Session | None = None
) -> None:
    """Write what changed: the user's row and the session's case (inserted when new)."""
    hot, raw = _raw(db)
    stamp = utcnow()
    user_changes: dict = {}
    if session.lang != user.lang:
        user_changes["lang"] = session.lang
    if session.case_id != user.active_case_id:
        user_changes["active_case_id"] = session.case_id
    if session.pending != user.pending:
        user_changes["pending"] = session.pending
    if session.consented and user.consent_at is None:
        user_changes["consent_at"] = hot.time(stamp)
    if profile and profile != user.profile:
        user_changes["profile"] = hot.json(profile)
    if user_changes:
        user_changes["updated_at"] = hot.time(stamp)
        names = [name for name in _USER_COLUMNS if name in user_changes]
        assignments = ", ".join(f"{name} = ?" for name in names)
        raw.execute(
            hot.sql(f"UPDATE users SET {assignments} WHERE id = ?"),
            (*(user_changes[name] for name in names), user.id),
        )
    if session.case_id is None or session.case is None:
        return
    if (
        before is not None
        and before.case_id == session.case_id
        and before.case == session.case
        and before.conv == session.conv
    ):
        return
    data, conv = hot.json(session.case), hot.json(session.conv)
    status, scenario, when = (
        session.case.get("status", "draft"),
        session.case.get("scenario"),
        hot.time(stamp),
    )
    changed = raw.execute(
        hot.update_case, (data, conv, status, scenario, when, session.case_id, user.id)
    ).rowcount
    if changed:
        return
    inserted = raw.execute(
        hot.insert_case, (session.case_id, user.id, when, data, conv, status, scenario, when)
    ).rowcount
    if not inserted:  # the id exists and is not this user's: never write into another user's case
        raise PermissionError("case belongs to another user")


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
