"""Retention (PIPL art. 19, 47): closed cases are deleted RETENTION_DAYS after their last change.

Seven days before, the merchant is told, so that they can /export first or open the case to keep
it longer (any change starts the period again). A case is deleted only when the warning went out
after its last change and at least `WARN_BEFORE` ago, so a bot that was down never deletes
without warning. Safe with several workers: each warning is claimed in the database first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from bot.account import scrub
from bot.reminders import Reminder
from bot.storage import Database
from bot.storage.models import CaseRow, EvidenceBlob, EvidenceFile, UserRow
from conversations.fmt import moment
from conversations.i18n import LANGUAGES, N_, translate

log = logging.getLogger("bot.retention")

WARN_BEFORE = timedelta(days=7)
CLOSED = ("confirmed", "cancelled")
_CASES = CaseRow.__table__


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Warning:
    user_id: int
    case_id: str
    lang: str
    delete_on: datetime


def claim_warnings(database: Database, now: datetime, days: int, limit: int = 50) -> list[Warning]:
    """Closed cases whose deletion is at most a week away and whose merchant was not told since their last change."""
    now_utc = _utc(now)
    horizon = now_utc - timedelta(days=days) + WARN_BEFORE
    found: list[Warning] = []
    with database.session() as db:
        conn = db.connection()
        query = (
            select(
                _CASES.c.id, _CASES.c.user_id, _CASES.c.data, _CASES.c.updated_at, UserRow.__table__.c.lang
            )
            .join(UserRow.__table__, UserRow.__table__.c.id == _CASES.c.user_id)
            .where(_CASES.c.status.in_(CLOSED), _CASES.c.updated_at < horizon)
            .order_by(_CASES.c.updated_at)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=_CASES, skip_locked=True)
        for row in conn.execute(query).all():
            data = dict(row.data)
            warned = data.get("retention_warned_at")
            updated = _utc(row.updated_at)
            if warned and _utc(datetime.fromisoformat(warned)) >= updated:
                continue
            data["retention_warned_at"] = now_utc.isoformat()
            conn.execute(
                update(_CASES).where(_CASES.c.id == row.id).values(data=data)
            )  # updated_at unchanged
            lang = row.lang if row.lang in LANGUAGES else LANGUAGES[0]
            found.append(
                Warning(row.user_id, row.id, lang, max(updated + timedelta(days=days), now_utc + WARN_BEFORE))
            )
    return found


def warning_text(warning: Warning, tz: ZoneInfo) -> str:
    return translate(
        warning.lang,
        N_(
            "🗂 Case {case_id} is closed and will be deleted on {date}, as the privacy notice said. "
            "Send /export for a copy first, or /case {case_id} to keep it longer."
        ),
        case_id=warning.case_id,
        date=moment(warning.delete_on.astimezone(tz).date().isoformat(), warning.lang),
    )


def purge(database: Database, now: datetime, days: int) -> int:
    """Delete closed cases past their period whose merchant was warned a week or more before; returns how many."""
    now_utc = _utc(now)
    cutoff = now_utc - timedelta(days=days)
    deleted = 0
    with database.session() as db:
        conn = db.connection()
        rows = conn.execute(
            select(_CASES.c.id, _CASES.c.user_id, _CASES.c.data, _CASES.c.updated_at).where(
                _CASES.c.status.in_(CLOSED), _CASES.c.updated_at < cutoff
            )
        ).all()
        for row in rows:
            warned = (row.data or {}).get("retention_warned_at")
            if not warned:
                continue
            warned_at = _utc(datetime.fromisoformat(warned))
            if warned_at < _utc(row.updated_at) or warned_at > now_utc - WARN_BEFORE:
                continue
            _delete_case(conn, row.user_id, row.id, row.data or {})
            deleted += 1
    if deleted:
        scrub(database)
        log.info("closed cases deleted after the retention period", extra={"count": deleted})
    return deleted


def _delete_case(conn, user_id: int, case_id: str, data: dict) -> None:
    hashes = {e.get("sha256") for e in data.get("evidence") or [] if e.get("sha256")}
    conn.execute(delete(CaseRow.__table__).where(_CASES.c.id == case_id))
    conn.execute(delete(Reminder.__table__).where(Reminder.__table__.c.case_id == case_id))
    conn.execute(
        update(UserRow.__table__)
        .where(UserRow.__table__.c.id == user_id, UserRow.__table__.c.active_case_id == case_id)
        .values(active_case_id=None)
    )
    still = set()
    for other in conn.execute(select(_CASES.c.data).where(_CASES.c.user_id == user_id)).scalars():
        still |= {e.get("sha256") for e in (other or {}).get("evidence") or []}
    files = EvidenceFile.__table__
    for sha in hashes - still:
        conn.execute(delete(files).where(files.c.user_id == user_id, files.c.sha256 == sha))
        if conn.execute(select(files.c.id).where(files.c.sha256 == sha).limit(1)).first() is None:
            conn.execute(delete(EvidenceBlob.__table__).where(EvidenceBlob.__table__.c.sha256 == sha))


async def run_once(
    database: Database, send: Callable[[int, str], Awaitable[None]], now: datetime, days: int, tz: ZoneInfo
) -> tuple[int, int]:
    """Warn, then delete: (warnings sent, cases deleted). Called periodically by the running bot."""
    import asyncio

    warnings = await asyncio.to_thread(claim_warnings, database, now, days)
    sent = 0
    for warning in warnings:
        try:
            await send(warning.user_id, warning_text(warning, tz))
            sent += 1
        except Exception as exc:  # the deletion still waits a week after the claim
            log.warning("retention warning not sent (%s)", type(exc).__name__)
    deleted = await asyncio.to_thread(purge, database, now, days)
    return sent, deleted
