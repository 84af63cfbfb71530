"""A user's own data, as PIPL gives them the right to it: export everything (art. 45), erase everything (art. 47)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text
from sqlmodel import Session as Db

from bot import zipparts
from bot.reminders import Reminder
from bot.storage import Database, inbox, outbox, wecom
from bot.storage.models import CaseRow, EvidenceBlob, EvidenceFile, ProcessedUpdate, UserRow
from conversations.cards import mask_card_numbers, mask_everywhere
from conversations.review import export


def export_zip(db: Db, user_id: int, tz: ZoneInfo) -> bytes:
    """Everything stored about one user in one ZIP (see `export_parts`)."""
    return export_parts(db, user_id, tz, name="my-data.zip", limit=None)[0].data


def export_parts(
    db: Db, user_id: int, tz: ZoneInfo, *, name: str, limit: int | None = zipparts.PART_LIMIT
) -> list[zipparts.Part]:
    """Everything stored about one user: account, saved merchant details, every case and every file, with a
    manifest (SHA-256 and original name of every file); in parts of at most `limit` bytes of files."""
    user = db.get(UserRow, user_id)
    now = datetime.now(UTC)
    names = zipparts.Names()
    account = {
        "user_id": user_id,
        "language": user.lang if user else None,
        "consent_at": user.consent_at.isoformat() if user and user.consent_at else None,
        "created_at": user.created_at.isoformat() if user else None,
        "saved_merchant_details": user.profile if user else None,
        "exported_at": now.isoformat(timespec="seconds"),
    }
    entries = [_entry(names.add("", "account.json"), _json(mask_everywhere(account)), first=True)]
    cases = db.execute(
        select(CaseRow).where(CaseRow.user_id == user_id).order_by(CaseRow.created_at)
    ).scalars()
    for row in cases:
        path = names.add(f"cases/{zipparts.clean_component(row.id)}", "case.json")
        entries.append(_entry(path, _json(mask_everywhere(export(row.data, tz))), first=True))
    files = db.execute(select(EvidenceFile).where(EvidenceFile.user_id == user_id)).scalars()
    seen: set[str] = set()
    for item in files:
        if item.sha256 in seen:
            continue
        seen.add(item.sha256)
        blob = db.get(EvidenceBlob, item.sha256)
        if blob is not None:
            shown = mask_card_numbers(item.name)[0]  # masked when stored; again for rows older than that
            path = names.add("files", f"{item.sha256[:12]}-{shown}", fallback=item.sha256[:12])
            entries.append(zipparts.Entry(path, bytes(blob.data), original=shown))

    def manifest(info: dict) -> dict:
        return {
            "user_id": user_id,
            "exported_at": account["exported_at"],
            "note": "Everything stored about you. SHA-256 of every file in this part; `set` lists every "
            "file of every part.",
            **info,
        }

    return zipparts.build(name, entries, manifest=manifest, now=now.astimezone(tz), limit=limit)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _entry(path: str, data: bytes, *, first: bool = False) -> zipparts.Entry:
    return zipparts.Entry(path, data, first=first)


def delete_user(db: Db, user_id: int) -> None:
    """Remove the user's cases, files (bytes too, unless another user sent the same file), profile, reminders
    and the updates received from them."""
    hashes = set(db.execute(select(EvidenceFile.sha256).where(EvidenceFile.user_id == user_id)).scalars())
    db.execute(delete(EvidenceFile).where(EvidenceFile.user_id == user_id))
    for sha in hashes:
        still_used = db.execute(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha).limit(1)).first()
        if still_used is None:
            db.execute(delete(EvidenceBlob).where(EvidenceBlob.sha256 == sha))
    db.execute(delete(CaseRow).where(CaseRow.user_id == user_id))
    db.execute(delete(Reminder).where(Reminder.user_id == user_id))
    db.execute(delete(ProcessedUpdate).where(ProcessedUpdate.user_id == user_id))
    inbox.delete_user(db, user_id)
    outbox.delete_user(db, user_id)
    wecom.delete_user(db, user_id)
    db.execute(delete(UserRow).where(UserRow.id == user_id))


def scrub(database: Database) -> None:
    """After a deletion, make sure the deleted bytes do not linger in the database files.

    SQLite runs with secure_delete (freed pages are zeroed); a WAL checkpoint then folds the
    write-ahead log back and truncates it. PostgreSQL: VACUUM removes the dead rows' tuples.
    """
    if database.is_sqlite:
        raw = database.engine.raw_connection()  # outside any transaction, as a checkpoint needs
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            "evidence_blobs",
            "evidence_files",
            "cases",
            "users",
            "reminders",
            "processed_updates",
            "inbox",
            "outbox",
        ):
            conn.execute(text(f"VACUUM {table}"))
