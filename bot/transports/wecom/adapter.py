"""WeCom messages ⇄ the bridge: a pulled message becomes an inbox update, the bridge's calls become send_msg.

WeChat shows plain text, so the engine's HTML is turned into text (`plain.html_to_text`). Buttons become a
menu message (`msgmenu`): each item's id is the engine's choice id, and a tap comes back as a text message
carrying that `menu_id`, which is fed to the engine as the button press it stands for. Messages cannot be
edited in WeChat, so the bridge's edits (progress, the answer marked under a question) are left out.

WeCom lets a business send at most 5 messages within 48 hours of the customer's last message. The last
message of a window says that more is waiting; the rest is kept (`state.hold`) and sent when the customer
writes again — "继续" or "more" only asks for it and is not taken as an answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import replace
from datetime import datetime

from bot.storage import Database
from bot.storage import wecom as state
from bot.transports import common
from bot.transports.common import InFile, Pressed, Rows, Update, User
from bot.transports.plain import html_to_text
from bot.transports.wecom.client import FILE_LIMIT, WeComClient
from conversations.i18n import N_, translate

log = logging.getLogger("bot.wecom")

TEXT_BYTES = 2000  # send_msg takes at most 2048 bytes of text
MENU_ITEMS = 10  # and at most 10 items in a menu
MENU_HEAD_BYTES = 1000  # whose head takes at most 1024 bytes
MENU_LABEL_BYTES = 120  # of at most 128 bytes each
MORE_WORDS = {"继续", "更多", "more", "continue", "next", "下一页"}
MORE_WAITING = N_("More messages are waiting for you. Send “继续” (or “more”) to receive them.")
KEPT_FOR_YOU = N_("While this chat was closed I kept these messages for you:")
TOO_BIG = N_(
    "“{name}” is {size} MB, over WeChat's 20 MB limit for a file, so it cannot be sent here. "
    "Its SHA-256 is {sha}; /export or a smaller copy of the evidence gets it to you."
)
UNSUPPORTED = {
    "voice",
    "video",
    "location",
    "link",
    "business_card",
    "miniprogram",
    "channels",
    "channels_shop_product",
}


def stored_update(update_id: int, user_id: int, msg: dict) -> dict:
    """A pulled WeCom message as an inbox row: shaped like a private Telegram message, so that the inbox
    (order per chat, masking, leases) works unchanged; the WeCom message itself rides along."""
    message: dict = {"chat": {"id": user_id, "type": "private"}, "from": {"id": user_id}}
    text = (msg.get("text") or {}).get("content") if msg.get("msgtype") == "text" else None
    if isinstance(text, str):
        message["text"] = text
    return {"update_id": update_id, "message": message, "wecom": msg}


def to_update(data: dict) -> Update:
    """An inbox row (see `stored_update`) as the bridge's plain update."""
    msg = data.get("wecom") or {}
    user_id = int(data["message"]["chat"]["id"])
    user = User(user_id, None, None)  # WeChat gives no language: the engine's default (Chinese) applies
    plain = Update(int(data["update_id"]), "text", user_id, user)
    kind = msg.get("msgtype")
    if kind == "text":
        text = data["message"].get("text") or ""
        menu_id = (msg.get("text") or {}).get("menu_id")
        if menu_id:
            return Update(plain.update_id, "choice", user_id, user, pressed=Pressed("", str(menu_id), None))
        return Update(plain.update_id, "text", user_id, user, text=text)
    if kind in ("image", "file"):
        media = msg.get(kind) or {}
        media_id = str(media.get("media_id") or "")
        name = f"photo-{media_id[-12:]}.jpg" if kind == "image" else None
        infile = InFile(media_id, None, name, kind == "image")
        return Update(plain.update_id, "file", user_id, user, file=infile)
    if kind == "event":
        if (msg.get("event") or {}).get("event_type") == "enter_session":
            return Update(
                plain.update_id, "text", user_id, user, text="/start"
            )  # opened from a link or QR code
        return Update(plain.update_id, "ignore", user_id, user)
    return Update(plain.update_id, "unsupported", user_id, user, unsupported=str(kind or "other"))


def _cut(text: str, limit: int) -> list[str]:
    """Text in pieces of at most `limit` UTF-8 bytes, cut at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line.encode("utf-8")) > limit:
            cut = limit
            while len(line[:cut].encode("utf-8")) > limit:
                cut -= 1
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return pieces or [""]


def layout(text: str, items: list[tuple[str, str]]) -> list[dict]:
    """A message as WeCom message bodies: text in pieces of at most `TEXT_BYTES`; with buttons, the last
    piece's last line heads a menu of at most 10 items (more menus for more buttons), and the rest of that
    piece goes before it as text when the whole would be longer than a menu's head may be."""
    pieces = _cut(text.strip() or "…", TEXT_BYTES)
    bodies = [{"msgtype": "text", "text": {"content": piece}} for piece in pieces[:-1]]
    last = pieces[-1]
    if not items:
        return [*bodies, {"msgtype": "text", "text": {"content": last}}]
    head = last
    if len(last.encode("utf-8")) > MENU_HEAD_BYTES:
        before, _, head = last.rstrip().rpartition("\n")
        if before.strip():
            bodies.append({"msgtype": "text", "text": {"content": before.rstrip()}})
        head = _cut(head, MENU_HEAD_BYTES)[-1] if head.strip() else "…"
    for start in range(0, len(items), MENU_ITEMS):
        chunk = items[start : start + MENU_ITEMS]
        menu = {
            "head_content": head if start == 0 else "…",
            "list": [
                {"type": "click", "click": {"id": data, "content": _label(label)}} for label, data in chunk
            ],
        }
        bodies.append({"msgtype": "msgmenu", "msgmenu": menu})
    return bodies


def _label(text: str) -> str:
    raw = text.encode("utf-8")
    return text if len(raw) <= MENU_LABEL_BYTES else raw[:MENU_LABEL_BYTES].decode("utf-8", "ignore") + "…"


class WeComApi:
    """The bridge's `Api`, on WeCom's customer-service messages."""

    def __init__(self, client: WeComClient, database: Database, kf_id: str, clock=None) -> None:
        self.client = client
        self.database = database
        self.kf_id = kf_id
        self.clock = clock or state.utcnow
        self._ids = 0
        self._lang = "zh"
        self._externals: dict[int, str] = {}  # chat id -> WeCom external_userid
        self._fetched: dict[str, bytes] = {}  # a file downloaded early for its name, until the bridge asks

    # --- what the bridge calls -------------------------------------------------------------------

    async def send_text(self, chat_id: int, html_text: str, rows: Rows | None) -> int:
        for body in layout(
            html_to_text(html_text), [(label, data) for row in rows or [] for label, data in row]
        ):
            await self._send(chat_id, "menu" if body["msgtype"] == "msgmenu" else "text", body)
        self._ids += 1
        return self._ids

    async def edit_text(self, chat_id: int, message_id: int, html_text: str, rows: Rows | None) -> None:
        return None  # WeChat messages cannot be edited: progress and marks are Telegram's niceties

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        return None

    async def send_document(self, chat_id: int, name: str, data: bytes, mime: str) -> None:
        if len(data) > FILE_LIMIT:
            size = "%.1f" % (len(data) / 1_048_576)  # noqa: UP031 - no f-string inside a gettext call
            text = translate(self._lang, TOO_BIG, name=name, size=size, sha=hashlib.sha256(data).hexdigest())
            await self._send(chat_id, "text", {"msgtype": "text", "text": {"content": text}})
            return
        await self._send(chat_id, "file", {"name": name, "mime": mime}, data)

    async def send_chat_action(self, chat_id: int, action: str) -> None:
        return None

    async def download(self, file_id: str) -> bytes:
        if file_id in self._fetched:
            return self._fetched.pop(file_id)
        data, _name = await self.client.download(file_id)
        return data

    async def named(self, update: Update) -> Update:
        """A file message with its name: WeCom says it only when the file is downloaded, so it is
        downloaded here (once: the bridge then takes these bytes)."""
        if update.kind != "file" or update.file is None or update.file.is_photo:
            return update
        data, name = await self.client.download(update.file.file_id)
        self._fetched[update.file.file_id] = data
        while len(self._fetched) > 16:
            self._fetched.pop(next(iter(self._fetched)))
        return replace(update, file=replace(update.file, name=name or None, size=len(data)))

    async def set_commands(self, commands: list[tuple[str, str]], language_code: str | None) -> None:
        return None  # WeChat has no command menu; /help lists the commands

    async def get_me(self) -> str:
        await self.client.token()  # the corp id and secret work
        return self.kf_id

    async def set_webhook(self, url: str, secret: str) -> None:
        return None  # the callback URL is set on WeCom's admin console

    async def delete_webhook(self) -> None:
        return None

    # --- the reply window ------------------------------------------------------------------------

    async def _send(self, chat_id: int, kind: str, payload: dict, data: bytes | None = None) -> None:
        """Send now when the window has room and nothing older waits; else keep it for the next message."""
        now = self.clock()
        waiting = await asyncio.to_thread(state.held_count, self.database, chat_id)
        room = await asyncio.to_thread(state.room, self.database, chat_id, now)
        if waiting or room == 0:
            await asyncio.to_thread(state.hold, self.database, chat_id, kind, payload, data, now)
            return
        if room == 1:  # the window's last message says that more is waiting
            await asyncio.to_thread(state.hold, self.database, chat_id, kind, payload, data, now)
            await self._deliver(
                chat_id, "text", {"msgtype": "text", "text": {"content": translate(self._lang, MORE_WAITING)}}
            )
            return
        await self._deliver(chat_id, kind, payload, data)

    async def _deliver(self, chat_id: int, kind: str, payload: dict, data: bytes | None = None) -> None:
        touser = self._externals.get(chat_id) or await asyncio.to_thread(
            state.external_id, self.database, chat_id
        )
        if touser is None:
            raise common.Forbidden("no WeCom user for this chat")
        self._externals[chat_id] = touser  # kept: the answer to /delete goes out after the mapping is gone
        if kind == "file":
            media_id = await self.client.upload(
                str(payload["name"]), data or b"", str(payload.get("mime") or "")
            )
            body = {"msgtype": "file", "file": {"media_id": media_id}}
        else:
            body = payload
        await self.client.send_msg({"touser": touser, "open_kfid": self.kf_id, **body})
        await asyncio.to_thread(state.count_sent, self.database, chat_id)

    async def opened(self, chat_id: int, at: datetime, text: str | None) -> bool:
        """The customer wrote (the window was opened when the message was pulled, see `state.inbound`):
        send what was kept, oldest first (a note first when it
        was kept while the chat was closed, such as a reminder). True when the message only asked for the
        kept messages ("继续"), so that the engine does not take it as an answer."""
        kept = await asyncio.to_thread(state.held, self.database, chat_id)
        if not kept:
            return False
        asked = (text or "").strip().lower() in MORE_WORDS
        if at - kept[0][4] > state.CLOSED_NOTE_AFTER:
            note = translate(self._lang, KEPT_FOR_YOU)
            await self._deliver(chat_id, "text", {"msgtype": "text", "text": {"content": note}})
        for index, (held_id, kind, payload, data, _held_at) in enumerate(kept):
            room = await asyncio.to_thread(state.room, self.database, chat_id, self.clock())
            if room == 0:
                break
            if room == 1 and index < len(kept) - 1:
                more = translate(self._lang, MORE_WAITING)
                await self._deliver(chat_id, "text", {"msgtype": "text", "text": {"content": more}})
                break
            await self._deliver(chat_id, kind, payload, data)
            await asyncio.to_thread(state.release, self.database, held_id)
        return asked
