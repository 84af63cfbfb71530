"""What both Telegram adapters share: a plain update in, the assistant's messages out through the limiter.

The adapters (ptb.py, aiogram_adapter.py) only translate: a framework update becomes an `Update`
here, and the `Api` calls here become framework bot calls. Everything a merchant can see — the
order of replies, keyboards, the edit that shows a pressed button's answer, chat actions, progress,
refusals, retries — happens in this module, so both frameworks behave the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot import files
from bot.service import Assistant, OutFile, Outgoing
from bot.storage import leases, outbox
from bot.storage.db import unavailable
from bot.transports.ratelimit import InProcessLimiter, Limiter
from conversations import Incoming
from conversations.chars import fit
from conversations.engine import ALREADY_PRESSED
from conversations.events import Choice
from conversations.i18n import LANGUAGES, N_, language_from_code, translate

log = logging.getLogger("bot.telegram")

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
SHORT_LABEL = 16  # display width (CJK counts 2) up to which two buttons share a row
TYPING_AFTER = 0.3  # show "typing…" only when an update takes longer than this
ACTION_REFRESH = 4.5  # Telegram shows a chat action for about 5 seconds
PROGRESS_EVERY = 3.0  # seconds between edits of a progress message (edits count against the chat limit)
NETWORK_RETRIES = 6
RETRY_AFTER_LIMIT = 20
ALBUM_WAIT = 1.0  # an album's items arrive as separate updates: answer once none came for this long

T = TypeVar("T")

Rows = list[list[tuple[str, str]]]  # inline keyboard: rows of (label, callback data)
WEB_APP = "web_app:"  # a button's data that opens a Mini App at the URL after it, not callback data
PAGE_BUTTON = N_("📝 Open the whole case")
MENU_BUTTON = N_("Case")

# The command menu (setMyCommands), per language.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Start, or continue where we were")),
    ("new", N_("Start a new case")),
    ("cases", N_("List your cases")),
    ("skip", N_("Leave the current question empty")),
    ("back", N_("Go back to the previous question")),
    ("done", N_("Finish the current list")),
    ("cancel", N_("Cancel the current case")),
    ("lang", N_("Change the language")),
    ("help", N_("Show the commands and help for the current question")),
)
SORRY = N_(
    "Sorry, something went wrong on my side and your last message was not saved. "
    "Please send it again in a minute."
)
CONTINUING = N_("Sorry, I was interrupted while preparing your documents. Continuing with the rest now.")
NOT_ARRIVED = N_(
    "⚠️ “{name}” ({size} MB) did not arrive: Telegram refused it as too large for a bot to send. Its SHA-256 "
    "is <code>{sha256}</code>. Everything else is sent as usual."
)
FILE_TOO_BIG = N_(
    "That file is {size} MB; the limit is {limit} MB. Please send a smaller photo or a shorter PDF."
)


# --- errors the adapters raise instead of their framework's ---------------------------------------


class ApiError(Exception):
    """A Bot API call failed for good (bad request, bot blocked, ...)."""


class RetryAfter(ApiError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds} s")
        self.seconds = seconds


class Transient(ApiError):
    """A network error or a Telegram server error: the same call may succeed if repeated."""


class NotModified(ApiError):
    """editMessageText with the text and keyboard the message already has."""


class Forbidden(ApiError):
    """The user blocked the bot, or the chat is gone: nothing can be delivered."""


class TooLarge(ApiError):
    """HTTP 413: the file is over what the Bot API takes from a bot. Never retried."""


class StorageUnavailable(Exception):
    """The database could not be reached before an update was applied: try the update again later."""


# --- plain updates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: int
    language_code: str | None = None
    first_name: str | None = None


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int  # UTF-16 code units, as Telegram counts
    length: int
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Pressed:
    """A button press: the callback query and the message that carried the button."""

    callback_id: str
    data: str
    message_id: int | None
    message_text: str = ""
    entities: tuple[Entity, ...] = ()
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()  # the message's keyboard: (label, data)


@dataclass(frozen=True)
class InFile:
    file_id: str
    size: int | None
    name: str | None
    is_photo: bool
    caption: str | None = None
    media_group_id: str | None = None
    unique_id: str | None = None


@dataclass(frozen=True)
class Update:
    """One Telegram update, reduced to what the assistant needs.

    kind: "text" | "choice" | "file" | "unsupported" | "ignore"
    """

    update_id: int
    kind: str
    chat_id: int
    user: User
    text: str = ""
    pressed: Pressed | None = None
    file: InFile | None = None
    unsupported: str = ""


ALLOWED_UPDATES = ["message", "callback_query"]
# Message contents the assistant cannot use, in the order they are tested (a venue also has a
# location; an animation also has a document).
UNSUPPORTED_KINDS = (
    "sticker",
    "voice",
    "video_note",
    "video",
    "audio",
    "animation",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
)


def unsupported_kind(get: Callable[[str], object]) -> str | None:
    """The first kind of unusable content a message has (`get` reads a message attribute)."""
    return next((kind for kind in UNSUPPORTED_KINDS if get(kind)), None)


def message_update(update_id: int, message, user: User) -> Update:
    """A framework's message as an `Update`. Both frameworks name a message's parts as the Bot API does
    (text, photo, document, caption, media_group_id, chat.type), so one translation serves both."""
    if message.chat.type != "private":
        return Update(update_id, "ignore", message.chat.id, user)
    plain = Update(update_id, "text", message.chat.id, user)
    if message.text is not None:
        return replace(plain, text=message.text)
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        infile = InFile(
            largest.file_id,
            largest.file_size,
            None,
            True,
            message.caption,
            message.media_group_id,
            largest.file_unique_id,
        )
        return replace(plain, kind="file", file=infile)
    unsupported = unsupported_kind(lambda name: getattr(message, name, None))
    if unsupported is None and message.document is not None:
        doc = message.document
        infile = InFile(
            doc.file_id,
            doc.file_size,
            doc.file_name,
            False,
            message.caption,
            message.media_group_id,
            doc.file_unique_id,
        )
        return replace(plain, kind="file", file=infile)
    return replace(plain, kind="unsupported", unsupported=unsupported or "other")


class Api(Protocol):
    """The Bot API calls the bridge makes; each adapter implements them with its framework's bot."""

    async def send_text(self, chat_id: int, html_text: str, rows: Rows | None) -> int: ...

    async def edit_text(self, chat_id: int, message_id: int, html_text: str, rows: Rows | None) -> None: ...

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None: ...

    async def send_document(self, chat_id: int, name: str, data: bytes, mime: str) -> None: ...

    async def send_chat_action(self, chat_id: int, action: str) -> None: ...

    async def download(self, file_id: str) -> bytes: ...

    async def set_commands(self, commands: list[tuple[str, str]], language_code: str | None) -> None: ...

    async def get_me(self) -> str: ...

    async def set_webhook(self, url: str, secret: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def set_menu_button(self, text: str, url: str) -> None: ...


# --- formatting -----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def keyboard(choices: list[Choice]) -> Rows | None:
    """Buttons two to a row when both labels are short, otherwise one per row."""
    usable = []
    for choice in choices:
        if not 1 <= len(choice.id.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            log.error("choice id of %d bytes cannot be callback data; button left out", len(choice.id))
            continue
        usable.append((choice.label, choice.id))
    if not usable:
        return None
    rows: Rows = []
    for label, data in usable:
        short = display_width(label) <= SHORT_LABEL
        last = rows[-1] if rows else None
        if short and last is not None and len(last) == 1 and display_width(last[0][0]) <= SHORT_LABEL:
            last.append((label, data))
        else:
            rows.append([(label, data)])
    return rows


def utf16_len(text: str) -> int:
    """Telegram counts a message's length in UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split an HTML message into pieces Telegram accepts (at most `limit` characters of text each).

    Split on the text, then escape: the HTML is read into its text and formatting, the text is cut
    (at a line break, else a space, else anywhere), and each piece is written as HTML again with its
    share of the formatting. A cut never falls inside an entity (`&lt;`) or a tag, and a bold or
    italic run that spans a cut is closed before it and opened again after it."""
    if utf16_len(text) <= limit:
        return [text]
    plain, entities = html_to_entities(text)
    pieces: list[str] = []
    start = 0
    while start < len(plain):
        end, resume = _cut(plain, start, limit)
        if plain[start:end].strip():  # Telegram refuses a message of only spaces
            pieces.append(_piece_html(plain, entities, start, end))
        start = resume
    return pieces


def _cut(plain: str, start: int, limit: int) -> tuple[int, int]:
    """Where the piece from `start` ends, and where the next one begins (after a line break cut at)."""
    end, units = start, 0
    while end < len(plain) and units + (2 if ord(plain[end]) > 0xFFFF else 1) <= limit:
        units += 2 if ord(plain[end]) > 0xFFFF else 1
        end += 1
    if end >= len(plain):
        return len(plain), len(plain)
    for separator in ("\n", " "):
        at = plain.rfind(separator, start, end + 1)
        if at > start:
            return at, at + 1  # the line break or space cut at is not shown
    end = max(end, start + 1)
    return end, end  # a single overlong word: cut it (rare; the engine keeps lines short)


def _piece_html(plain: str, entities: list[Entity], start: int, end: int) -> str:
    """The HTML of plain[start:end] with the formatting that falls inside it."""
    offset, stop = utf16_len(plain[:start]), utf16_len(plain[:end])
    inside = []
    for entity in entities:
        lo, hi = max(entity.offset, offset), min(entity.offset + entity.length, stop)
        if hi > lo:
            inside.append(replace(entity, offset=lo - offset, length=hi - lo))
    return entities_to_html(plain[start:end], inside)


_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


class _HtmlReader(HTMLParser):
    """Our Telegram HTML as Telegram reads it: the text, and entities at UTF-16 offsets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[Entity] = []
        self.stack: list[tuple[str, int, dict]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append((tag, utf16_len(self.text), {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            return
        _, begin, attributes = self.stack.pop()
        length = utf16_len(self.text) - begin
        kind = _TAG_TYPES.get(tag)
        if kind is None or length <= 0:
            return
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            self.stack[-1][2]["language"] = (attributes.get("class") or "").removeprefix("language-")
            return
        self.entities.append(
            Entity(
                kind, begin, length, url=attributes.get("href"), language=attributes.get("language") or None
            )
        )

    def handle_data(self, data: str) -> None:
        self.text += data


def html_to_entities(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of an HTML message (the inverse of `entities_to_html`)."""
    reader = _HtmlReader()
    reader.feed(source)
    reader.close()
    return reader.text, sorted(reader.entities, key=lambda e: (e.offset, -e.length))


_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "text_link": "a",
}


def _opening(entity: Entity) -> str:
    tag = _TAGS[entity.type]
    if tag == "a":
        return f'<a href="{html.escape(entity.url or "", quote=True)}">'
    if tag == "pre" and entity.language:
        return f'<pre><code class="language-{html.escape(entity.language, quote=True)}">'
    return f"<{tag}>"


def _closing(entity: Entity) -> str:
    tag = _TAGS[entity.type]
    return "</code></pre>" if tag == "pre" and entity.language else f"</{tag}>"


def entities_to_html(text: str, entities: tuple[Entity, ...] | list[Entity]) -> str:
    """Rebuild the HTML of a received message from its plain text and entities (UTF-16 offsets)."""
    units = text.encode("utf-16-le")
    formatting = [e for e in entities if e.type in _TAGS]
    opens: dict[int, list[Entity]] = {}
    closes: dict[int, list[Entity]] = {}
    for entity in sorted(formatting, key=lambda e: (e.offset, -e.length)):
        opens.setdefault(entity.offset, []).append(entity)
        closes.setdefault(entity.offset + entity.length, []).insert(0, entity)
    out: list[str] = []
    cuts = sorted({0, len(units) // 2, *opens, *closes})
    for start, end in zip(cuts, [*cuts[1:], None], strict=True):
        out.extend(_closing(entity) for entity in closes.get(start, []))
        out.extend(_opening(entity) for entity in opens.get(start, []))
        if end is not None:
            out.append(html.escape(units[start * 2 : end * 2].decode("utf-16-le"), quote=False))
    return "".join(out)


# --- the bridge -----------------------------------------------------------------------------------


@dataclass
class _Album:
    """An album being received in one chat: its items so far, and what to answer after the last."""

    group: str
    update_ids: list[int] = field(default_factory=list)
    notes: list[Outgoing] = field(default_factory=list)
    last: list[Outgoing] = field(default_factory=list)
    dropped: list[Outgoing] = field(default_factory=list)  # replies of earlier items, never sent
    timer: asyncio.Task | None = None


@dataclass
class Bridge:
    """Turns plain updates into assistant events and the assistant's messages into API calls."""

    assistant: Assistant
    api: Api
    tz: ZoneInfo
    limiter: Limiter = field(default_factory=InProcessLimiter)
    clock: Callable[[], datetime] | None = None  # a fixed clock in tests
    backoff: float = 0.5  # first wait after a network error, doubled each time
    page_url: str | None = None  # the case page (Mini App); None: the chat review only
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _lock_users: dict[int, int] = field(default_factory=dict)
    _handled: OrderedDict[int, None] = field(default_factory=OrderedDict)
    _changed: asyncio.Condition | None = None
    _inflight: int = 0
    _albums: dict[int, _Album] = field(default_factory=dict)  # chat -> the album being received
    _presses: OrderedDict[tuple[int, int, str], int] = field(default_factory=OrderedDict)  # -> update id
    _unmarked: set[int] = field(default_factory=set)  # outbox rows sent but not yet deleted (database away)
    owed: set[int] = field(default_factory=set)  # chats with outbox rows left by a stopped process
    _resending: set[asyncio.Task] = field(default_factory=set)

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(self.tz)

    # --- updates ---------------------------------------------------------------------------------

    async def handle(self, update: Update) -> bool:
        """Apply one update and send the replies; never raises (errors are logged without content).

        An album's items (files sharing a media group) are applied one by one as they come, and the
        merchant gets one answer, after the last: the replies of the last item, with any refusal of
        an earlier one (see `_album_item`).

        False when the database was unavailable before the update was applied: nothing of it was kept
        and nothing was said, and the caller tries again later (the update waits in the inbox)."""
        self._inflight += 1
        done = True
        mark = True
        try:
            if update.kind == "ignore":
                return True
            if update.chat_id != update.user.id:  # a private chat's id is its user's: forged, or a bug
                log.warning("update %s refused: sent into a private chat by another user", update.update_id)
                return True
            group = update.file.media_group_id if update.kind == "file" and update.file else None
            album = self._albums.get(update.chat_id)
            if album is not None and album.group != group:
                await self._flush_album(update.chat_id, album)
            if update.pressed is not None:
                if self._pressed_before(update):
                    lang = language_from_code(update.user.language_code)
                    notice = translate(lang, ALREADY_PRESSED)
                    await self._quietly(self.api.answer_callback(update.pressed.callback_id, notice))
                    log.info("update %s: a button pressed again; answered, nothing done", update.update_id)
                    return True
                await self._quietly(self.api.answer_callback(update.pressed.callback_id))
            async with self.chat_lock(update.chat_id):
                if update.chat_id in self.owed:  # left by a stopped process: sent before anything newer
                    await self._resend_locked(update.chat_id)
                if group:
                    await self._album_item(update, group)
                    mark = False  # marked handled when the album's answer is sent
                else:
                    await self._apply(update)
        except StorageUnavailable:
            log.warning("update %s waits: database unavailable", update.update_id)
            done = False
        except Exception as exc:
            log.error(
                "update %s failed: %s", update.update_id, type(exc).__name__, exc_info=log.isEnabledFor(10)
            )
        finally:
            self._inflight -= 1
            if done and mark:
                await self._mark_handled(update.update_id)
        return done

    def _pressed_before(self, update: Update) -> bool:
        """A double tap: the same button of the same message pressed again (by another update) while its
        work runs or after it was done. The engine checks the same across workers and restarts
        (conversations/engine.py); this answers at once, before the first press's work is over."""
        pressed = update.pressed
        if pressed is None or pressed.message_id is None:
            return False
        key = (update.chat_id, pressed.message_id, pressed.data)
        first = self._presses.get(key)
        if first is not None and first != update.update_id:
            return True
        self._presses[key] = update.update_id
        while len(self._presses) > 10_000:
            self._presses.popitem(last=False)
        return False

    def _forget_press(self, update: Update) -> None:
        """The press failed (the merchant was told to press again): a new press is not a double tap."""
        if update.pressed is not None and update.pressed.message_id is not None:
            self._presses.pop((update.chat_id, update.pressed.message_id, update.pressed.data), None)

    async def _apply(self, update: Update) -> None:
        replies = await self._replies_or_sorry(update)
        if not replies and self.assistant.outbox_worker is not None:
            # applied before (a process stopped after applying it): what it still owes is in the outbox
            await self._resend_locked(update.chat_id)
            return
        if replies and replies[0].after_others:
            await self._after_others(update.chat_id, replies)
            return
        await self.deliver(update.chat_id, replies)

    async def _after_others(self, chat_id: int, replies: list[Outgoing]) -> None:
        """Another worker still sends earlier messages of this chat: wait until it is done (or gone, or its
        lease ran out), then send what the chat is owed, in order."""
        worker = self.assistant.outbox_worker
        assert worker is not None
        while True:
            rows = await asyncio.to_thread(outbox.take, self.assistant.db, chat_id, worker, leases.gone)
            if rows is not None:
                break
            await asyncio.sleep(0.05)
        ours = {m.queued for m in replies}
        if all(row.id in ours for row in rows):
            await self.deliver(chat_id, [m for m in replies if m.queued in {r.id for r in rows}])
        else:  # a dead worker's messages first, then ours
            await self.deliver(chat_id, [Outgoing.from_row(row) for row in rows], resumed=True)

    async def _album_item(self, update: Update, group: str) -> None:
        """Apply one item of an album now; keep its replies until the album is complete."""
        replies = await self._replies_or_sorry(update)
        album = self._albums.get(update.chat_id)
        if album is None:
            album = self._albums[update.chat_id] = _Album(group)
            self._inflight += 1  # until its answer is sent (drain waits for it)
        if album.timer is not None:
            album.timer.cancel()
        album.update_ids.append(update.update_id)
        refusals = [m for m in replies if m.refusal]  # a file refused: the merchant must hear of it
        replies = [m for m in replies if not m.refusal]
        album.notes.extend(refusals)
        if any(m.asks or m.choices for m in replies):
            album.dropped.extend(album.last)  # an earlier item's question, asked again after the last
            album.last = replies  # the question as it stands after this item
        else:
            album.notes.extend(replies)  # an error: the merchant must hear of it
        album.timer = asyncio.create_task(self._album_done(update.chat_id, album))

    async def _album_done(self, chat_id: int, album: _Album) -> None:
        await asyncio.sleep(ALBUM_WAIT)
        album.timer = None
        await self._flush_album(chat_id, album)

    async def finish_album(self, chat_id: int) -> None:
        """The album being received in the chat is complete (the caller knows): answer it now."""
        album = self._albums.get(chat_id)
        if album is not None:
            await self._flush_album(chat_id, album)

    async def _flush_album(self, chat_id: int, album: _Album) -> None:
        """Send an album's answer (once), then count its items handled."""
        if self._albums.get(chat_id) is not album:
            return
        del self._albums[chat_id]
        if album.timer is not None and album.timer is not asyncio.current_task():
            album.timer.cancel()
        try:
            async with self.chat_lock(chat_id):
                for message in album.dropped:
                    await self._sent(message)
                await self.deliver(chat_id, album.notes + album.last)
        except Exception as exc:
            log.error("album answer failed: %s", type(exc).__name__)
        finally:
            self._inflight -= 1
            for update_id in album.update_ids:
                await self._mark_handled(update_id)

    async def _replies_or_sorry(self, update: Update) -> list[Outgoing]:
        base = {
            "user_id": update.user.id,
            "chat_id": update.chat_id,
            "now": self.now(),
            "language_code": update.user.language_code,
            "first_name": update.user.first_name,
            "update_id": update.update_id,
        }
        async with self.chat_action(update.chat_id, "typing", delay=TYPING_AFTER):
            try:
                replies = await self._replies(update, base)
            except Exception as exc:  # a download or the engine failed: say so, keep nothing half-done
                if unavailable(exc):
                    raise StorageUnavailable() from exc
                log.error("update %s not applied: %s", update.update_id, type(exc).__name__)
                self._forget_press(update)
                lang = language_from_code(update.user.language_code)
                replies = [Outgoing(text="⚠️ " + translate(lang, SORRY))]
        return replies

    async def _replies(self, update: Update, base: dict) -> list[Outgoing]:
        if update.kind == "text":
            return await self._process(Incoming.from_text(update.text, **base))
        if update.kind == "choice" and update.pressed is not None:
            pressed = update.pressed
            event = Incoming(kind="choice", choice=pressed.data, message_id=pressed.message_id, **base)
            if self.assistant.outbox_worker is None:
                await self._show_chosen(update.chat_id, pressed)
                return await self._process(event)
            edit = self._chosen_edit(pressed)  # stored with the replies, sent first
            return await self._process(event, [edit] if edit is not None else [])
        if update.kind == "file" and update.file is not None:
            return await self._file(update, base)
        return await self._process(
            Incoming(kind="unsupported", unsupported=update.unsupported or "other", **base)
        )

    async def _process(self, event: Incoming, lead: list[Outgoing] | None = None) -> list[Outgoing]:
        """Apply the event; documents it asks for stay jobs, rendered while they are sent."""
        if lead:
            return await asyncio.to_thread(self.assistant.apply, event, lead)
        return await asyncio.to_thread(self.assistant.apply, event)

    async def _file(self, update: Update, base: dict) -> list[Outgoing]:
        infile = update.file
        assert infile is not None
        limit = min(files.TELEGRAM_DOWNLOAD_LIMIT, self.assistant.max_file_bytes)
        if infile.size is not None and infile.size > limit:
            refused = files.Refused(
                FILE_TOO_BIG, {"size": round(infile.size / 1_048_576, 1), "limit": limit // 1_048_576}
            )
            return await asyncio.to_thread(
                self.assistant.refusal, update.user.id, refused, update.user.language_code
            )
        data = await self.call(None, lambda: self.api.download(infile.file_id), limited=False)
        name = infile.name or (
            f"photo-{infile.unique_id or infile.file_id[-12:]}.jpg" if infile.is_photo else None
        )
        ref = await asyncio.to_thread(
            self.assistant.accept_file,
            update.user.id,
            data,
            name,
            is_photo=infile.is_photo,
            caption=infile.caption,
        )
        if isinstance(ref, files.Refused):
            return await asyncio.to_thread(
                self.assistant.refusal, update.user.id, ref, update.user.language_code
            )
        in_album = infile.media_group_id is not None
        return await self._process(Incoming(kind="file", file=ref, in_album=in_album, **base))

    def _chosen_edit(self, pressed: Pressed) -> Outgoing | None:
        """The edit that shows the answer given under the question and takes its buttons away."""
        label = next((lbl for row in pressed.rows for lbl, data in row if data == pressed.data), None)
        if pressed.message_id is None or label is None or not pressed.message_text:
            return None
        question = entities_to_html(pressed.message_text, pressed.entities)
        text = f"{question}\n\n✅ <b>{html.escape(label, quote=False)}</b>"
        if len(text) > TEXT_LIMIT:
            return None
        return Outgoing(text=text, edit=pressed.message_id)

    async def _show_chosen(self, chat_id: int, pressed: Pressed) -> None:
        edit = self._chosen_edit(pressed)
        if edit is not None:
            await self._edit(chat_id, edit)

    async def _edit(self, chat_id: int, edit: Outgoing) -> None:
        message_id, text = edit.edit, edit.text or ""
        assert message_id is not None
        await self._quietly(
            self.call(chat_id, lambda: self.api.edit_text(chat_id, message_id, text, None)),
            expected=(NotModified,),
        )

    # --- sending ---------------------------------------------------------------------------------

    async def deliver(self, chat_id: int, messages: list[Outgoing], *, resumed: bool = False) -> None:
        """Send messages in order. Documents still to render are rendered one at a time (off the event
        loop) and sent as each is ready; with several, the message before them shows progress.

        Messages stored in the outbox (`queued`) are deleted from it as each is sent, a document job's
        progress is recorded after each call, so that after a crash at most the call on the wire is made
        again. `resumed`: they were left by a process that stopped; a job goes on with an apology, and
        the outputs menu is shown again at the end."""
        if self.assistant.outbox_worker is not None and any(m.queued for m in messages):
            await self._deliver_stored(chat_id, messages, resumed=resumed)
            return
        total = sum(1 for m in messages if m.render is not None) or sum(1 for m in messages if m.file)
        progress: tuple[int, str, Rows | None] | None = None
        done = 0
        edited_at = 0.0
        for message in messages:
            if message.render is not None:
                async with self.chat_action(chat_id, "upload_document"):
                    parts = await asyncio.to_thread(self.assistant.expand, message)
            else:
                parts = [message]
            for part in parts:
                if part.edit is not None:
                    await self._edit(chat_id, part)
                    continue
                if part.text:
                    rows = self._with_page(part, keyboard(part.choices))
                    message_id = await self.send_text(chat_id, part.text, rows)
                    if total >= 2 and done == 0 and progress is None and len(part.text) < TEXT_LIMIT - 20:
                        progress = (message_id, part.text, rows)
                if part.file is not None:
                    async with self.chat_action(chat_id, "upload_document"):
                        await self._send_file(chat_id, part.file, language_from_code(None))
                    if message.render is None:
                        done += 1
                        edited_at = await self._maybe_progress(chat_id, progress, done, total, edited_at)
            if message.render is not None:
                done += 1
                edited_at = await self._maybe_progress(chat_id, progress, done, total, edited_at)

    async def _deliver_stored(self, chat_id: int, messages: list[Outgoing], *, resumed: bool) -> None:
        lang = next(
            (m.documents.lang if m.documents else m.lang for m in messages if m.documents or m.lang), None
        )
        apologised = False
        progress: tuple[int, str, Rows | None] | None = None
        for index, message in enumerate(messages):
            try:
                progress = await self._deliver_one(
                    chat_id,
                    messages,
                    index,
                    resumed=resumed,
                    lang=lang,
                    apologised=apologised,
                    progress=progress,
                )
            except Forbidden:  # blocked, or the chat is gone: nothing of it can be delivered
                log.info("chat unreachable; dropping what it was owed")
                for message in messages[index:]:
                    await self._sent(message)
                return
            except (Transient, RetryAfter):
                raise  # kept in the outbox: sent again by the maintenance round
            except ApiError as exc:  # refused for good (a bad request): the next ones still go
                log.error("stored message refused: %s", exc)
                await self._sent(message)
            apologised = apologised or (resumed and (message.documents is not None or message.progress))

    async def _deliver_one(
        self,
        chat_id: int,
        messages: list[Outgoing],
        index: int,
        *,
        resumed: bool,
        lang: str | None,
        apologised: bool,
        progress: tuple[int, str, Rows | None] | None,
    ) -> tuple[int, str, Rows | None] | None:
        """Send one stored message; the progress message of the job that follows, if it is one."""
        message = messages[index]
        later = messages[index + 1] if index + 1 < len(messages) else None
        if message.if_resumed and not resumed:
            await self._sent(message)
            return progress
        if resumed and not apologised and (message.documents is not None or message.progress):
            await self.send_text(chat_id, translate(lang or "zh", CONTINUING), None)
        if message.edit is not None:
            await self._edit(chat_id, message)
            if message.queued is not None:  # deleted with the next row: an edit made again changes nothing
                self._unmarked.add(message.queued)
            if later is None:
                await self._sent(message)
        elif message.documents is not None:
            await self._documents(chat_id, message, progress)
            return None
        elif message.export is not None:
            async with self.chat_action(chat_id, "upload_document"):
                parts = await asyncio.to_thread(self.assistant.export_files, chat_id, message.export)
            await self._send_parts(chat_id, message, parts, lang or "zh")
            await self._sent(message)
        elif message.text:
            rows = self._with_page(message, keyboard(message.choices))
            message_id = await self._send_stored_text(chat_id, message, rows)
            then = None
            if message.progress and later is not None and later.documents is not None:
                progress = (message_id, message.text, rows)
                later.state = {**(later.state or {}), "progress": [message_id, message.text, rows]}
                then = (later.queued, later.state)
            await self._sent(message, then=then)
        else:
            await self._sent(message)
        return progress

    async def _send_stored_text(self, chat_id: int, message: Outgoing, rows: Rows | None) -> int:
        """A stored text (in pieces when long), skipping the pieces a stopped process sent."""
        pieces = split_text(message.text or "")
        first = int((message.state or {}).get("pieces", 0))
        message_id = 0
        for index in range(first, len(pieces)):
            last = index == len(pieces) - 1
            piece = pieces[index]
            message_id = await self.call(
                chat_id,
                lambda piece=piece, last=last: self.api.send_text(chat_id, piece, rows if last else None),
            )
            if not last:
                await self._progress(message, {"pieces": index + 1})
        return message_id

    async def _documents(
        self, chat_id: int, message: Outgoing, progress: tuple[int, str, Rows | None] | None
    ) -> None:
        """A stored document job: each document rendered and its parts sent; progress recorded after each."""
        job = message.documents
        assert job is not None
        state = dict(message.state or {})
        if progress is None and state.get("progress"):
            mid, text, rows = state["progress"]
            progress = (int(mid), str(text), rows)
        total = len(job.output_ids)
        done = int(state.get("done", 0))
        edited_at = 0.0
        for index in range(done, total):
            async with self.chat_action(chat_id, "upload_document"):
                parts = await asyncio.to_thread(self.assistant.render_job, job.job(index))
            skip = int(state.get("parts", 0)) if index == done else 0
            for number, part in enumerate(parts):
                if number < skip:
                    continue
                if part.text:
                    await self.send_text(chat_id, part.text, keyboard(part.choices))
                if part.file is not None:
                    async with self.chat_action(chat_id, "upload_document"):
                        await self._send_file(chat_id, part.file, job.lang)
                state.update(done=index, parts=number + 1)
                if number + 1 < len(parts):
                    await self._progress(message, state)
            state.update(done=index + 1, parts=0)
            if index + 1 < total:
                await self._progress(message, state)
            edited_at = await self._maybe_progress(chat_id, progress, index + 1, total, edited_at)
        await self._sent(message)

    async def _send_parts(self, chat_id: int, message: Outgoing, parts: list[Outgoing], lang: str) -> None:
        state = dict(message.state or {})
        for number, part in enumerate(parts):
            if number < int(state.get("parts", 0)):
                continue
            if part.text:
                await self.send_text(chat_id, part.text, keyboard(part.choices))
            if part.file is not None:
                async with self.chat_action(chat_id, "upload_document"):
                    await self._send_file(chat_id, part.file, lang)
            if number + 1 < len(parts):
                state["parts"] = number + 1
                await self._progress(message, state)

    async def _send_file(self, chat_id: int, out: OutFile, lang: str) -> None:
        """sendDocument; a file Telegram refuses as too large (413) is not tried again: the merchant is told
        which one did not arrive, with its SHA-256."""
        try:
            await self.call(chat_id, lambda: self.api.send_document(chat_id, out.name, out.data, out.mime))
        except TooLarge:
            log.warning("a %d-byte document was refused as too large", len(out.data))
            note = translate(
                lang,
                NOT_ARRIVED,
                name=html.escape(out.name, quote=False),
                size=f"{len(out.data) / 1_048_576:.1f}",
                sha256=hashlib.sha256(out.data).hexdigest(),
            )
            await self.send_text(chat_id, note, None)

    # --- the outbox's bookkeeping ------------------------------------------------------------------

    async def resend_waiting(self) -> int:
        """Send what the outbox still holds for chats no live worker is sending to: left by a process that
        stopped (at start; a dead worker's once its lease is free), or kept while Telegram or the
        database was away (every maintenance round). Returns the number of chats."""
        worker = self.assistant.outbox_worker
        if worker is None:
            return 0
        chats = await asyncio.to_thread(outbox.chats_waiting, self.assistant.db, worker, leases.gone)
        chats = [c for c in chats if c not in self._albums and c not in self._locks]  # not being handled now
        for chat_id in chats:
            self.owed.add(chat_id)
            task = asyncio.create_task(self._resend_quietly(chat_id))
            self._resending.add(task)
            task.add_done_callback(self._resending.discard)
        return len(chats)

    async def _resend_quietly(self, chat_id: int) -> None:
        self._inflight += 1
        try:
            async with self.chat_lock(chat_id):
                if chat_id in self.owed:
                    await self._resend_locked(chat_id)
        except Exception as exc:
            log.warning("outbox not sent yet (%s); tried again later", type(exc).__name__)
        finally:
            self._inflight -= 1

    async def _resend_locked(self, chat_id: int) -> None:
        """Send the chat's stored rows (the caller holds the chat lock)."""
        worker = self.assistant.outbox_worker
        assert worker is not None
        self.owed.discard(chat_id)
        rows = await asyncio.to_thread(outbox.take, self.assistant.db, chat_id, worker, leases.gone)
        if not rows:
            return  # nothing left, or a live worker is sending them
        messages = [Outgoing.from_row(row) for row in rows]
        for message in [m for m in messages if m.queued in self._unmarked]:  # sent before the database left
            await self._sent(message)
            messages.remove(message)
        if messages:
            log.info("sending what a stopped process owed", extra={"messages": len(messages)})
            await self.deliver(chat_id, messages, resumed=True)

    async def _progress(self, message: Outgoing, state: dict) -> None:
        message.state = dict(state)
        if message.queued is None:
            return
        try:
            await asyncio.to_thread(outbox.progress, self.assistant.db, message.queued, message.state)
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("outbox progress not recorded (%s)", type(exc).__name__)

    async def _sent(self, message: Outgoing, then: tuple[int | None, dict] | None = None) -> None:
        """A stored message is sent: delete its row (kept in memory and retried if the database is away)."""
        if message.queued is None:
            return
        self._unmarked.add(message.queued)
        ids = tuple(self._unmarked)
        try:
            await asyncio.to_thread(
                outbox.sent,
                self.assistant.db,
                *ids,
                then=(then[0], then[1]) if then is not None and then[0] is not None else None,
            )
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("outbox row not marked sent (%s); kept to mark later", type(exc).__name__)
            return
        self._unmarked.difference_update(ids)

    def _with_page(self, message: Outgoing, rows: Rows | None) -> Rows | None:
        """The review gets a button that opens the whole case as a page (when this server serves it)."""
        ids = {choice.id for choice in message.choices}
        if self.page_url is None or "confirm" not in ids or not any(i.startswith("edit:") for i in ids):
            return rows
        label = translate(message.lang or LANGUAGES[0], PAGE_BUTTON)
        return [[(label, WEB_APP + self.page_url)], *(rows or [])]

    async def _maybe_progress(
        self,
        chat_id: int,
        progress: tuple[int, str, Rows | None] | None,
        done: int,
        total: int,
        edited_at: float,
    ) -> float:
        """Edit the progress message when the last one is done or a few seconds have passed."""
        loop_time = asyncio.get_running_loop().time()
        if progress is None or (done != total and loop_time - edited_at < PROGRESS_EVERY):
            return edited_at
        await self._edit_progress(chat_id, *progress, done, total)
        return loop_time

    async def _edit_progress(
        self, chat_id: int, message_id: int, text: str, rows: Rows | None, sent: int, total: int
    ) -> None:
        marked = f"{text}\n{'✅' if sent == total else '⏳'} {sent}/{total}"
        await self._quietly(
            self.call(chat_id, lambda: self.api.edit_text(chat_id, message_id, marked, rows)),
            expected=(NotModified,),
        )

    async def send_text(self, chat_id: int, text: str, rows: Rows | None) -> int:
        pieces = split_text(fit(text))  # fit: a case stored before characters were cleaned on arrival
        message_id = 0
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            message_id = await self.call(
                chat_id,
                lambda piece=piece, last=last: self.api.send_text(chat_id, piece, rows if last else None),
            )
        return message_id

    async def call(self, chat_id: int | None, make: Callable[[], Awaitable[T]], *, limited: bool = True) -> T:
        """One API call through the limiter: waits out 429s, retries network errors with backoff."""
        failures = floods = 0
        while True:
            if limited:
                await self.limiter.acquire(chat_id)
            try:
                return await make()
            except RetryAfter as exc:
                floods += 1
                if floods > RETRY_AFTER_LIMIT:
                    raise
                log.warning("flood control: waiting %.1f s", exc.seconds)
                self.limiter.hold(chat_id, exc.seconds)
                if not limited:
                    await asyncio.sleep(exc.seconds)
            except Transient as exc:
                failures += 1
                if failures > NETWORK_RETRIES:
                    raise
                delay = min(30.0, self.backoff * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
                log.warning("network error (%s); retry %d in %.1f s", type(exc).__name__, failures, delay)
                await asyncio.sleep(delay)

    async def _quietly(
        self, awaitable: Awaitable[object], expected: tuple[type[Exception], ...] = ()
    ) -> None:
        """A call whose failure must not stop the replies (answering a callback, an edit)."""
        try:
            await awaitable
        except expected:
            pass
        except ApiError as exc:
            log.info("best-effort call failed: %s", type(exc).__name__)

    @asynccontextmanager
    async def chat_action(self, chat_id: int, action: str, delay: float = 0.0):
        """Show `action` (typing, upload_document) in the chat until the block ends.

        With `delay`, only when the block takes longer than that: a quick reply needs no "typing…",
        and every API call counts against the bot's overall limit.
        """

        async def refresh() -> None:
            if delay:
                await asyncio.sleep(delay)
            while True:
                with suppress(ApiError):
                    await self.api.send_chat_action(chat_id, action)
                await asyncio.sleep(ACTION_REFRESH)

        task = asyncio.create_task(refresh())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # --- start-up ----------------------------------------------------------------------------------

    async def set_commands(self) -> None:
        """The command menu in each interface language; the default one is Chinese."""
        for code in (None, *LANGUAGES):
            lang = code or LANGUAGES[0]
            commands = [(name, translate(lang, description)) for name, description in COMMANDS]
            await self.call(None, lambda commands=commands, code=code: self.api.set_commands(commands, code))
        if self.page_url is not None:
            # one menu button for every chat (per-chat ones would cost a call each): in both languages
            label = " · ".join(dict.fromkeys(translate(lang, MENU_BUTTON) for lang in LANGUAGES))
            url = self.page_url
            await self.call(None, lambda: self.api.set_menu_button(label, url))

    # --- ordering and bookkeeping ------------------------------------------------------------------

    @asynccontextmanager
    async def chat_lock(self, chat_id: int):
        """One chat's updates are applied one at a time, in the order they arrived."""
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        self._lock_users[chat_id] = self._lock_users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[chat_id] -= 1
            if not self._lock_users[chat_id]:
                del self._lock_users[chat_id]
                del self._locks[chat_id]

    async def _mark_handled(self, update_id: int) -> None:
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            self._handled[update_id] = None
            while len(self._handled) > 10_000:
                self._handled.popitem(last=False)
            self._changed.notify_all()

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait for updates being handled to finish (at shutdown: their replies are not lost)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._inflight and loop.time() < deadline:
            await asyncio.sleep(0.05)

    async def wait_handled(self, update_id: int, timeout: float = 30.0) -> None:
        """Wait until an update has been handled completely (tests and measurements)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: update_id in self._handled), timeout)
