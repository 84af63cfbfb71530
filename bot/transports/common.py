"""What both Telegram adapters share: a plain update in, the assistant's messages out through the limiter.

The adapters (ptb.py, aiogram_adapter.py) only translate: a framework update becomes an `Update`
here, and the `Api` calls here become framework bot calls. Everything a merchant can see — the
order of replies, keyboards, the edit that shows a pressed button's answer, chat actions, progress,
refusals, retries — happens in this module, so both frameworks behave the same.
"""

from __future__ import annotations

import asyncio
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
from bot.service import Assistant, Outgoing
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
        await self.deliver(update.chat_id, await self._replies_or_sorry(update))

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
        if any(m.asks or m.choices for m in replies):
            album.last = replies  # the question as it stands after this item
        else:
            album.notes.extend(replies)  # a file refused, an error: the merchant must hear of it
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
            await self._show_chosen(update.chat_id, update.pressed)
            pressed = update.pressed
            return await self._process(
                Incoming(kind="choice", choice=pressed.data, message_id=pressed.message_id, **base)
            )
        if update.kind == "file" and update.file is not None:
            return await self._file(update, base)
        return await self._process(
            Incoming(kind="unsupported", unsupported=update.unsupported or "other", **base)
        )

    async def _process(self, event: Incoming) -> list[Outgoing]:
        """Apply the event; documents it asks for stay `render` jobs, rendered while they are sent."""
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
        return await self._process(Incoming(kind="file", file=ref, **base))

    async def _show_chosen(self, chat_id: int, pressed: Pressed) -> None:
        """Edit the question to show the answer given, and take its buttons away."""
        label = next((lbl for row in pressed.rows for lbl, data in row if data == pressed.data), None)
        if pressed.message_id is None or label is None or not pressed.message_text:
            return
        question = entities_to_html(pressed.message_text, pressed.entities)
        text = f"{question}\n\n✅ <b>{html.escape(label, quote=False)}</b>"
        if len(text) > TEXT_LIMIT:
            return
        message_id = pressed.message_id
        await self._quietly(
            self.call(chat_id, lambda: self.api.edit_text(chat_id, message_id, text, None)),
            expected=(NotModified,),
        )

    # --- sending ---------------------------------------------------------------------------------

    async def deliver(self, chat_id: int, messages: list[Outgoing]) -> None:
        """Send messages in order. Documents still to render are rendered one at a time (off the event
        loop) and sent as each is ready; with several, the message before them shows progress."""
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
                if part.text:
                    rows = self._with_page(part, keyboard(part.choices))
                    message_id = await self.send_text(chat_id, part.text, rows)
                    if total >= 2 and done == 0 and progress is None and len(part.text) < TEXT_LIMIT - 20:
                        progress = (message_id, part.text, rows)
                if part.file is not None:
                    out = part.file
                    async with self.chat_action(chat_id, "upload_document"):
                        await self.call(
                            chat_id,
                            lambda out=out: self.api.send_document(chat_id, out.name, out.data, out.mime),
                        )
                    if message.render is None:
                        done += 1
                        edited_at = await self._maybe_progress(chat_id, progress, done, total, edited_at)
            if message.render is not None:
                done += 1
                edited_at = await self._maybe_progress(chat_id, progress, done, total, edited_at)

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
