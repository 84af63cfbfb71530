"""The assistant as every runtime uses it: an event in, messages (and files) out.

It ties the engine to storage and the document renderers. All runtimes (Telegram adapters,
console, replay) call `Assistant.process`, so they give the same replies.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import account, files, logs, reminders, zipparts
from bot.storage import Database, inbox, outbox, repo
from conversations import Context, Incoming, handle
from conversations.engine import EVIDENCE_PACK, group_chat_reply, next_slot, outputs_menu_reply
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
    """One message to send: HTML text with optional buttons, or one document, or a job that makes some.

    In outbox mode (`Assistant(outbox_worker=...)`) what `apply` returns is stored in the outbox in the
    update's own transaction: `queued` is its row, `state` how far sending it got before a restart."""

    text: str | None = None
    choices: list[Choice] = field(default_factory=list)
    asks: str | None = None
    item: int | None = None
    asks_all: list[str] | None = None
    file: OutFile | None = None
    refusal: bool = False  # a file not kept: said even when an album's later replies replace this one's
    render: RenderJob | None = None  # a document still to render (`Assistant.apply`); see `render_job`
    lang: str | None = (
        None  # the language the text is in (the runtime's own buttons, a job's notes follow it)
    )
    edit: int | None = None  # edit this message (a pressed question) to `text`, its buttons taken away
    documents: DocumentsJob | None = None  # outbox mode: the documents of one request, in order
    export: str | None = None  # outbox mode: the /export archive's file name, built when it is sent
    progress: bool = False  # the message that shows a document job's progress
    if_resumed: bool = False  # sent only when a job is taken up again after a restart
    after_others: bool = False  # another worker still sends earlier messages of the chat: wait for them
    queued: int | None = None
    state: dict | None = None
    case_id: str | None = None  # the case a rendered document belongs to (the console files it by case)

    def body(self) -> dict:
        """The message as an outbox row stores it (JSON)."""
        body: dict = {}
        if self.text is not None:
            body["text"] = self.text
        if self.choices:
            body["choices"] = [[c.id, c.label] for c in self.choices]
        for name in ("asks", "item", "edit", "export", "lang"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.progress:
            body["progress"] = True
        if self.if_resumed:
            body["if_resumed"] = True
        if self.documents is not None:
            job = self.documents
            body["documents"] = {
                "user_id": job.user_id,
                "case": job.case,
                "outputs": list(job.output_ids),
                "lang": job.lang,
                "now": job.now.isoformat(),
            }
        return body

    @classmethod
    def from_row(cls, row: outbox.Queued) -> Outgoing:
        body = row.body
        job = body.get("documents")
        return cls(
            text=body.get("text"),
            choices=[Choice(choice_id, label) for choice_id, label in body.get("choices") or []],
            asks=body.get("asks"),
            item=body.get("item"),
            edit=body.get("edit"),
            export=body.get("export"),
            lang=body.get("lang"),
            progress=bool(body.get("progress")),
            if_resumed=bool(body.get("if_resumed")),
            documents=None
            if job is None
            else DocumentsJob(
                job["user_id"],
                job["case"],
                tuple(job["outputs"]),
                job["lang"],
                datetime.fromisoformat(job["now"]),
            ),
            queued=row.id,
            state=row.state,
        )


@dataclass(frozen=True)
class RenderJob:
    """One document to render after the update is stored: an output id, or the evidence pack."""

    user_id: int
    case: dict  # case.json as exported when the update was applied
    output_id: str
    lang: str
    now: datetime


@dataclass(frozen=True)
class DocumentsJob:
    """The documents one press asked for, rendered and sent one after the other (outbox mode)."""

    user_id: int
    case: dict
    output_ids: tuple[str, ...]
    lang: str
    now: datetime

    def job(self, index: int) -> RenderJob:
        return RenderJob(self.user_id, self.case, self.output_ids[index], self.lang, self.now)


class Assistant:
    def __init__(
        self,
        db: Database,
        *,
        tz: ZoneInfo | None = None,
        max_file_bytes: int = files.TELEGRAM_DOWNLOAD_LIMIT,
        retention_days: int = 365,
        outbox_worker: str | None = None,
        channel: str = "telegram",
        ocr: bool = True,
    ):
        self.retention_days = retention_days
        self.channel = channel
        self.ocr = ocr  # OCR=off: photos are kept as evidence, their numbers typed
        self.outbox_worker = outbox_worker  # set: `apply` stores what it returns in the outbox
        self.applied: set[int] = set()  # outbox mode: update ids whose inbox row `apply` marked handled
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
            session = repo.load_session(db, user)
            note = "⚠️ " + translate(session.lang or lang, refused.message, **refused.params)
            now = datetime.now(self.tz)
            event = Incoming(kind="refused", user_id=user_id, now=now, language_code=language_code)
            ctx = Context(now=now, tz=self.tz, profile=user.profile, retention_days=self.retention_days)
            replies = handle(session, event, ctx).replies  # not saved: the question is only repeated
        question = [
            Outgoing(text=r.text, choices=r.choices, asks=r.asks, item=r.item, asks_all=r.asks_all)
            for r in replies
            if session.case is not None
        ]
        return [Outgoing(text=note, refusal=True), *question]

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
        if event.in_album and slot is not None and slot.step.group == "evidence":
            return event  # an album's photos are evidence as sent: reading each would hold up the album
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

    def apply(self, event: Incoming, lead: list[Outgoing] | None = None) -> list[Outgoing]:
        """Apply one event (once, even if redelivered). Documents come back as `render` jobs, so that a
        runtime can send each as soon as it is ready and show progress meanwhile.

        In outbox mode the messages (after `lead`, say the edit of a pressed question) are stored in the
        outbox in the same transaction, documents as one `documents` job and an export to be built when
        sent; a redelivered update that was applied before gets back what is still stored for it."""
        if event.chat_type != "private":  # nothing from a group is stored
            reply = group_chat_reply(event)
            return [Outgoing(text=reply.text)]
        if event.chat_id is not None and event.chat_id != event.user_id:  # the runtimes refuse it first
            log.warning("update %s refused: sent into a private chat by another user", event.update_id)
            return []
        event = self._read_photo(event)
        stored = self.outbox_worker is not None
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
            archive = None
            if "export" in actions and not stored:
                archive = account.export_zip(db, user.id, self.tz)
            messages = self._messages(event, outcome, ctx, archive, stored)
            if stored:
                assert self.outbox_worker is not None
                chat_id = event.chat_id or event.user_id
                if event.update_id is not None:
                    inbox.handled_in(db, event.update_id)
                    self.applied.add(event.update_id)
                # a polling bot is the only consumer of its updates: no other worker sends to its chats
                after_others = self.outbox_worker != "polling" and outbox.others_pending(
                    db, chat_id, self.outbox_worker
                )
                queue = [*(lead or []), *messages]
                rows = outbox.add(
                    db,
                    chat_id,
                    event.user_id,
                    event.update_id,
                    [m.body() for m in queue],
                    self.outbox_worker,
                )
                for message, row in zip(queue, rows, strict=True):
                    message.queued = row.id
                    message.after_others = after_others
                messages = queue
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
        return messages

    def _messages(
        self, event: Incoming, outcome, ctx: Context, archive: bytes | None, stored: bool
    ) -> list[Outgoing]:
        messages: list[Outgoing] = []
        menus: list[Outgoing] = []
        stamp = event.now.strftime("%Y%m%d")
        for index, reply in enumerate(outcome.replies):
            message = Outgoing(
                text=reply.text,
                choices=reply.choices,
                asks=reply.asks,
                item=reply.item,
                asks_all=reply.asks_all,
                lang=reply.lang,
            )
            messages.append(message)
            if reply.action == "export":
                if stored:
                    messages.append(Outgoing(export=f"my-data-{stamp}.zip", lang=outcome.session.lang))
                elif archive is not None:
                    messages.append(
                        Outgoing(file=OutFile(f"my-data-{stamp}.zip", archive, "application/zip"))
                    )
            if reply.outputs and outcome.session.case is not None:
                case_json = export(outcome.session.case, self.tz)
                lang = outcome.session.lang
                if not stored:
                    messages.extend(
                        Outgoing(render=RenderJob(event.user_id, case_json, output_id, lang, event.now))
                        for output_id in reply.outputs
                    )
                    continue
                job = DocumentsJob(event.user_id, case_json, tuple(reply.outputs), lang, event.now)
                message.progress = len(job.output_ids) >= 2
                messages.append(Outgoing(documents=job))
                if not any(
                    r.choices for r in outcome.replies[index + 1 :]
                ):  # after a restart: the menu again
                    menu = outputs_menu_reply(outcome.session, event, ctx)
                    menus.append(Outgoing(text=menu.text, choices=menu.choices, if_resumed=True))
        return messages + menus

    def render_job(self, job: RenderJob) -> list[Outgoing]:
        """Render one document: its chat text and its files, or a short apology if it failed.

        The evidence pack comes in parts under Telegram's upload limit when it is larger (said in chat)."""
        from bot.documents import render_evidence_pack_parts, render_output

        try:
            if job.output_id == EVIDENCE_PACK:
                with self.db.session() as db:
                    parts = render_evidence_pack_parts(
                        job.case,
                        evidence_bytes=lambda sha: repo.blob(db, sha, job.user_id),
                        now=job.now,
                        part_limit=zipparts.PART_LIMIT,
                    )
                files = [OutFile(p.name, p.data, p.mime) for p in parts]
                return _archive_notes(job.lang, files) + [Outgoing(file=f) for f in files]
            rendered = render_output(job.case, job.output_id, lang=job.lang, now=job.now)
        except Exception:
            log.exception("rendering failed", extra={"output": job.output_id})
            title = translate(job.lang, OUTPUT_TITLES.get(job.output_id, job.output_id))
            message = N_("I could not prepare “{title}” just now. Please press its button again later.")
            return [Outgoing(text="⚠️ " + translate(job.lang, message, title=esc(title)))]
        out = [Outgoing(text=chunk) for chunk in rendered.chat_html]
        out.extend(Outgoing(file=OutFile(f.name, f.data, f.mime)) for f in rendered.files)
        return out

    def export_files(self, user_id: int, name: str) -> list[Outgoing]:
        """The /export archive built now (outbox mode), in parts under Telegram's upload limit."""
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            lang = user.lang or "zh"
            parts = account.export_parts(db, user_id, self.tz, name=name)
        files = [OutFile(p.name, p.data, "application/zip") for p in parts]
        return _archive_notes(lang, files) + [Outgoing(file=f) for f in files]

    def case_export(self, user_id: int, case_id: str | None = None) -> dict | None:
        """The user's active case (or the named one they own) as case.json."""
        with self.db.session() as db:
            user = repo.lock_user(db, user_id)
            session = repo.load_case(db, user, case_id) if case_id else repo.load_session(db, user)
        if session is None or session.case is None:
            return None
        return export(session.case, self.tz)


PARTS_NOTE = N_(
    "“{name}” comes in {count} parts ({size} MB in all; Telegram takes at most 50 MB in one file from a bot). "
    "Each part's manifest.json lists every file of every part with its SHA-256."
)
LEFT_OUT_NOTE = N_(
    "“{file}” ({size} MB) is larger than Telegram lets a bot send, so it is not in “{name}”. Its SHA-256 is "
    "<code>{sha256}</code>. The original you sent is kept unchanged; to have it in the pack, send a smaller "
    "copy (for example a compressed scan)."
)


def _archive_notes(lang: str, files: list[OutFile]) -> list[Outgoing]:
    """What the merchant must know about an archive before its files: that it comes in parts, or that a
    file could not go in at all (read back from the first part's manifest)."""
    if not files:
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(files[0].data)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        return []
    notes = []
    base = re.sub(r"\.part1of\d+\.zip$", ".zip", files[0].name)
    if len(files) > 1:
        size = sum(f["size"] for f in manifest.get("set", [])) / 1_048_576
        notes.append(translate(lang, PARTS_NOTE, name=esc(base), count=len(files), size=f"{size:.1f}"))
    for item in manifest.get("left_out", []):
        shown = item.get("original_name") or item["path"].rsplit("/", 1)[-1]
        notes.append(
            translate(
                lang,
                LEFT_OUT_NOTE,
                file=esc(shown),
                size=f"{item['size'] / 1_048_576:.1f}",
                name=esc(base),
                sha256=item["sha256"],
            )
        )
    return [Outgoing(text="ℹ️ " + "\n\n".join(notes))] if notes else []


def _reminders_may_change(before, after) -> bool:
    """Reminders follow a case's status and deadline: look at them only when one of those changed."""

    def key(session):
        case = session.case or {}
        return session.case_id, case.get("status"), (case.get("dispute") or {}).get("deadline")

    return key(before) != key(after)
