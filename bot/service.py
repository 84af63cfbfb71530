"""The assistant as every runtime uses it: an event in, messages (and files) out.

It ties the engine to storage and the document renderers. All runtimes (Telegram adapters,
console, replay) call `Assistant.process`, so they give the same replies.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import account, files, logs, reminders
from bot.storage import Database, repo
from conversations import Context, Incoming, handle
from conversations.engine import EVIDENCE_PACK, group_chat_reply, next_slot
from conversations.events import Choice, FileRef
from conversations.i18n import N_, language_from_code, translate
from conversations.reading import wants_reading
from conversations.review import OUTPUT_TITLES, esc, export

log = logging.getLogger("bot.service")


@dataclass
class OutFile:
    name: str
    data: bytes
    mime: str


@dataclass
class Outgoing:
    """One message to send: HTML text with optional buttons, or one document."""

    text: str | None = None
    choices: list[Choice] = field(default_factory=list)
    asks: str | None = None
    item: int | None = None
    file: OutFile | None = None
    render: RenderJob | None = None  # a document still to render (`Assistant.apply`); see `render_job`
    lang: str | None = None  # the language the text is in (the runtime's own buttons follow it)
    case_id: str | None = None  # the case a rendered document belongs to (the console files it by case)


@dataclass(frozen=True)
class RenderJob:
    """One document to render after the update is stored: an output id, or the evidence pack."""

    user_id: int
    case: dict  # case.json as exported when the update was applied
    output_id: str
    lang: str
    now: datetime


class Assistant:
    def __init__(
        self,
        db: Database,
        *,
        tz: ZoneInfo | None = None,
        max_file_bytes: int = files.TELEGRAM_DOWNLOAD_LIMIT,
        retention_days: int = 365,
        channel: str = "telegram",
        ocr: bool = True,
    ):
        self.retention_days = retention_days
        self.channel = channel
        self.ocr = ocr  # OCR=off: photos are kept as evidence, their numbers typed
        self.db = db
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.max_file_bytes = max_file_bytes

    # --- files -----------------------------------------------------------------------------------

    def accept_file(
        self, user_id: int, data: bytes, name: str | None, *, is_photo: bool, caption: str | None
    ) -> FileRef | files.Refused:
        """Check and store a file's bytes (by SHA-256) before the engine hears of it."""
        checked = files.check(data, name, max_bytes=self.max_file_bytes)
        if isinstance(checked, files.Refused):
            return checked
        with self.db.session() as db:
            repo.store_blob(db, checked.sha256, data, checked.mime)
            repo.add_evidence_file(
                db, user_id, None, checked.sha256, checked.name, checked.mime, checked.size
            )
        return FileRef(
            checked.sha256,
            checked.name,
            checked.mime,
            checked.size,
            is_photo=is_photo,
            caption=caption,
            notice=checked.notice,
        )

    def refusal(self, user_id: int, refused: files.Refused, language_code: str | None) -> list[Outgoing]:
        """Tell the user why a file was not kept, then repeat where we are (nothing is lost)."""
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            lang = user.lang or language_from_code(language_code)
        note = "⚠️ " + translate(lang, refused.message, **refused.params)
        return [Outgoing(text=note)]

    # --- events ----------------------------------------------------------------------------------

    def _read_photo(self, event: Incoming) -> Incoming:
        """Read a photo or PDF (a slip, a bank notice) before the transaction (about a second), when the
        case wants it."""
        if not self.ocr or event.kind != "file" or event.file is None:
            return event
        if not (event.file.mime.startswith("image/") or event.file.mime == "application/pdf"):
            return event
        with self.db.session() as db:
            user = repo.lock_user(db, event.user_id)
            session = repo.load_session(db, user)
            if event.update_id is not None and repo.seen_update(db, event.update_id):
                return event
            data = repo.blob(db, event.file.sha256)
        slot = next_slot(session) if session.case is not None else None
        if data is None or not wants_reading(
            session.conv, session.case, slot.step.field if slot else None, slot.item if slot else None
        ):
            return event
        try:
            from bot.ocr import read

            found = read(data, event.file.mime)
        except Exception:  # an unreadable image is still evidence; the merchant types instead
            log.warning("OCR failed on a %s file", event.file.mime, exc_info=True)
            return dataclasses.replace(
                event,
                reading={"kind": "other", "layout": "unknown", "fields": {}, "confidence": {}, "lines": 0},
            )
        reading = {
            "kind": found.kind,
            "layout": found.layout,
            "fields": dict(found.fields),
            "confidence": dict(found.confidence),
            "lines": found.lines,
        }
        return dataclasses.replace(event, reading=reading)

    def process(self, event: Incoming) -> list[Outgoing]:
        """Apply one event (once, even if redelivered) and return what to send, documents rendered."""
        return [done for message in self.apply(event) for done in self.expand(message)]

    def expand(self, message: Outgoing) -> list[Outgoing]:
        """A message as sent: itself, or the chat text and files of the document it stands for."""
        if message.render is None:
            return [message]
        case_id = str(message.render.case.get("id") or "") or None
        return [dataclasses.replace(done, case_id=case_id) for done in self.render_job(message.render)]

    def apply(self, event: Incoming) -> list[Outgoing]:
        """Apply one event (once, even if redelivered). Documents come back as `render` jobs, so that a
        runtime can send each as soon as it is ready and show progress meanwhile."""
        if event.chat_type != "private":  # nothing from a group is stored
            reply = group_chat_reply(event)
            return [Outgoing(text=reply.text)]
        if event.chat_id is not None and event.chat_id != event.user_id:  # the runtimes refuse it first
            log.warning("update %s refused: sent into a private chat by another user", event.update_id)
            return []
        event = self._read_photo(event)
        with self.db.session() as db:
            user = repo.lock_user(db, event.user_id)
            if event.update_id is not None and not repo.claim_update(db, event.update_id, event.user_id):
                log.info("update already applied", extra={"update_id": event.update_id})
                return []
            session = repo.load_session(db, user)
            ctx = Context(
                now=event.now,
                tz=self.tz,
                profile=user.profile,
                list_cases=lambda: repo.case_summaries(db, user.id),
                load_case=lambda case_id: repo.load_case(db, user, case_id),
                new_case_id=lambda: repo.new_case_id(db),
                retention_days=self.retention_days,
                channel=self.channel,
            )
            outcome = handle(session, event, ctx)
            actions = {r.action for r in outcome.replies if r.action}
            if "delete" in actions:
                account.delete_user(db, user.id)
            else:
                repo.save_session(db, user, outcome.session, outcome.profile, before=session)
                if _reminders_may_change(session, outcome.session):
                    reminders.sync_case(db, user.id, outcome.session, self.tz, event.now)
            archive = account.export_zip(db, user.id, self.tz) if "export" in actions else None
        if "delete" in actions:
            account.scrub(self.db)
        log.info(
            "update applied",
            extra={
                "user": logs.user_ref(event.user_id),
                "update_id": event.update_id,
                "kind": event.kind,
                "command": event.command or None,
                "asks": next((r.asks for r in reversed(outcome.replies) if r.asks), None),
                "actions": sorted(actions) or None,
                "outputs": sum(len(r.outputs) for r in outcome.replies) or None,
            },
        )
        messages: list[Outgoing] = []
        for reply in outcome.replies:
            messages.append(
                Outgoing(
                    text=reply.text, choices=reply.choices, asks=reply.asks, item=reply.item, lang=reply.lang
                )
            )
            if reply.action == "export" and archive is not None:
                stamp = event.now.strftime("%Y%m%d")
                messages.append(Outgoing(file=OutFile(f"my-data-{stamp}.zip", archive, "application/zip")))
            if reply.outputs and outcome.session.case is not None:
                case_json = export(outcome.session.case, self.tz)
                lang = outcome.session.lang
                messages.extend(
                    Outgoing(render=RenderJob(event.user_id, case_json, output_id, lang, event.now))
                    for output_id in reply.outputs
                )
        return messages

    def render_job(self, job: RenderJob) -> list[Outgoing]:
        """Render one document: its chat text and its files, or a short apology if it failed."""
        from bot.documents import render_evidence_pack, render_output

        try:
            if job.output_id == EVIDENCE_PACK:
                with self.db.session() as db:
                    pack = render_evidence_pack(
                        job.case, evidence_bytes=lambda sha: repo.blob(db, sha, job.user_id), now=job.now
                    )
                return [Outgoing(file=OutFile(pack.name, pack.data, pack.mime))]
            rendered = render_output(job.case, job.output_id, lang=job.lang, now=job.now)
        except Exception:
            log.exception("rendering failed", extra={"output": job.output_id})
            title = translate(job.lang, OUTPUT_TITLES.get(job.output_id, job.output_id))
            message = N_("I could not prepare “{title}” just now. Please press its button again later.")
            return [Outgoing(text="⚠️ " + translate(job.lang, message, title=esc(title)))]
        out = [Outgoing(text=chunk) for chunk in rendered.chat_html]
        out.extend(Outgoing(file=OutFile(f.name, f.data, f.mime)) for f in rendered.files)
        return out

    def case_export(self, user_id: int, case_id: str | None = None) -> dict | None:
        """The user's active case (or the named one they own) as case.json."""
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session = repo.load_case(db, user, case_id) if case_id else repo.load_session(db, user)
        if session is None or session.case is None:
            return None
        return export(session.case, self.tz)


def _reminders_may_change(before, after) -> bool:
    """Reminders follow a case's status and deadline: look at them only when one of those changed."""

    def key(session):
        case = session.case or {}
        return session.case_id, case.get("status"), (case.get("dispute") or {}).get("deadline")

    return key(before) != key(after)
