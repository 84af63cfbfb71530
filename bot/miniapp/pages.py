"""The case page's work on storage: a user's case read, a field checked, changes saved, a letter previewed.

Each call is one database transaction on the user's locked row, like a chat update
(`Assistant.apply`), so a save from the page and a message in the chat are applied one after the
other on the same case. Only the user's own cases are found: another id is "not found". Changes go
only to the case open in the chat (the one the chat's next review is about); another of the user's
cases is shown read-only.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from bot import reminders
from bot.documents import NotApplicable, preview_output
from bot.service import Assistant, Outgoing
from bot.storage import repo
from conversations import Context, casepage
from conversations.i18n import translate
from conversations.review import export
from conversations.state import Session

log = logging.getLogger("bot.miniapp")
THUMB_PX = 320  # the longer side of an evidence thumbnail (shown at 160 CSS px on a 2x screen)


@dataclass
class SaveResult:
    ok: bool
    errors: dict[str, str]
    notices: dict[str, str]
    page: dict | None  # the case as it stands after the save
    messages: list[Outgoing]  # what the chat shows next (its new review, or the question now open)


class CasePages:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.db = assistant.db
        self.tz = assistant.tz
        self._thumbs: OrderedDict[str, Future] = OrderedDict()  # sha256 -> the thumbnail's bytes (or None)
        self._thumbs_lock = Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="thumbnails")

    def _context(self, db, user, now: datetime) -> Context:
        return Context(
            now=now,
            tz=self.tz,
            profile=user.profile,
            list_cases=lambda: repo.case_summaries(db, user.id),
            load_case=lambda case_id: repo.load_case(db, user, case_id),
            new_case_id=lambda: repo.new_case_id(db),
            retention_days=self.assistant.retention_days,
        )

    @staticmethod
    def _find(db, user, case_id: str | None) -> tuple[Session | None, bool]:
        """(the session holding the case, whether it is the case open in the chat)."""
        active = repo.load_session(db, user)
        if not case_id or case_id == active.case_id:
            return (active if active.case is not None else None), True
        return repo.load_case(db, user, case_id), False

    def _page(self, session: Session, active: bool, ctx: Context) -> dict:
        page = casepage.read(session, ctx)
        page["active"] = active
        page["editable"] = page["editable"] and active
        return page

    def read(self, user_id: int, case_id: str | None, now: datetime) -> dict | None:
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session, active = self._find(db, user, case_id)
            if session is None:
                return None
            page = self._page(session, active, self._context(db, user, now))
            # the page asks for the thumbnails next: start making the missing ones now
            for item in (session.case or {}).get("evidence") or []:
                sha = item.get("sha256")
                if sha and str(item.get("mime") or "").startswith("image/") and not self._cached(sha):
                    data = repo.blob(db, sha, user_id)
                    if data:
                        self._making(sha, data)
        return page

    def check(
        self, user_id: int, case_id: str | None, key: str, value: str | None, now: datetime
    ) -> dict | None:
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session, _active = self._find(db, user, case_id)
            if session is None:
                return None
            return casepage.check(session, key, value, self._context(db, user, now))

    def save(
        self, user_id: int, case_id: str | None, changes: list[tuple[str, str | None]], now: datetime
    ) -> SaveResult | None:
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session, active = self._find(db, user, case_id)
            if session is None:
                return None
            ctx = self._context(db, user, now)
            if not active:
                message = translate(session.lang, casepage.PAGE_WORDS["readonly"])
                return SaveResult(False, {"": message.format(case_id=session.case_id)}, {}, None, [])
            saved = casepage.save(session, changes, ctx)
            if saved.session is None:
                return SaveResult(False, saved.errors, {}, None, [])
            repo.save_session(db, user, saved.session, saved.profile, before=session)
            reminders.sync_case(db, user.id, saved.session, self.tz, now)
            page = self._page(saved.session, True, ctx)
        log.info("case page saved", extra={"fields": len(changes)})
        messages = [
            Outgoing(text=r.text, choices=r.choices, asks=r.asks, item=r.item, lang=r.lang)
            for r in saved.replies
        ]
        return SaveResult(True, {}, saved.notices, page, messages)

    def preview(self, user_id: int, case_id: str | None, output_id: str, now: datetime) -> list[str] | None:
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session, _active = self._find(db, user, case_id)
        if session is None or session.case is None:
            return None
        try:
            return preview_output(export(session.case, self.tz), output_id, lang=session.lang, now=now)
        except (KeyError, NotApplicable):
            return None

    def thumbnail(self, user_id: int, case_id: str | None, sha256: str) -> bytes | None:
        """A small JPEG of an image the user sent as evidence of this case; None for another file or a PDF."""
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session, _active = self._find(db, user, case_id)
            items = ((session.case or {}).get("evidence") or []) if session else []
            if not any(item.get("sha256") == sha256 for item in items):
                return None
            found = self._cached(sha256)
            if found is None:
                data = repo.blob(db, sha256, user_id)
                if not data:
                    return None
                found = self._making(sha256, data)
        return found.result(timeout=30)

    def _cached(self, sha256: str) -> Future | None:
        with self._thumbs_lock:
            found = self._thumbs.get(sha256)
            if found is not None:
                self._thumbs.move_to_end(sha256)
            return found

    def _making(self, sha256: str, data: bytes) -> Future:
        """The thumbnail of these bytes, made once in the background (the page asks for several at once)."""
        with self._thumbs_lock:
            found = self._thumbs.get(sha256)
            if found is None:
                found = self._thumbs[sha256] = self._pool.submit(_thumbnail, data)
                while len(self._thumbs) > 256:
                    self._thumbs.popitem(last=False)
            return found


def _thumbnail(data: bytes) -> bytes | None:
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft(
                "RGB", (THUMB_PX, THUMB_PX)
            )  # a JPEG is decoded at 1/2…1/8 scale: several times faster
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=78)
            return out.getvalue()
    except Exception:  # a PDF, a HEIC photo: the page shows the file's name instead
        return None
