"""A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1, strict where Telegram is strict.

The real python-telegram-bot and aiogram HTTP clients talk to it (`/bot<token>/<method>`, files at
`/file/bot<token>/<path>`). Tests play the merchant with `send_text`, `send_photo`, `send_album`,
`send_document`, `press` and `send_other`; the server hands those updates out through
`getUpdates` (polling) or POSTs them to the registered webhook with the secret-token header.
It keeps every chat as a merchant would see it (`chat(chat_id)`), and can inject 429 answers with
`retry_after`, server errors and dropped connections.

Strict like Telegram: 4096-character texts and 1024-character captions (counted after the HTML
is parsed, in UTF-16 units), well-formed HTML with Telegram's tags only, 1–64-byte callback data,
getFile refused over 20 MB, uploads over 50 MB refused with 413, editing a message to what it already shows, answering a callback query
twice, getUpdates while a webhook is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
GETFILE_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024  # what Telegram takes from a bot (413 above)
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
JSON_FIELDS = {
    "menu_button",
    "reply_markup",
    "commands",
    "allowed_updates",
    "link_preview_options",
    "scope",
    "entities",
    "caption_entities",
    "reply_parameters",
    "media",
}
TAGS = {
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
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "span": "spoiler",
}


class ApiFailure(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: plain text and entities, or the error Telegram gives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict] = []
        self.stack: list[tuple[str, int, dict]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise ApiFailure(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        attributes = {k: v or "" for k, v in attrs}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise ApiFailure(
                400, 'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler"'
            )
        if tag == "a" and not attributes.get("href"):
            raise ApiFailure(400, "Bad Request: can't parse entities: empty href")
        self.stack.append((tag, utf16_len(self.text), attributes))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise ApiFailure(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, start, attributes = self.stack.pop()
        length = utf16_len(self.text) - start
        if length <= 0:
            return
        kind = TAGS[tag]
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            self.stack[-1][2]["language"] = language
            return
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
        if tag == "a":
            entity["url"] = attributes["href"]
        if tag == "pre" and attributes.get("language"):
            entity["language"] = attributes["language"]
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(source: str) -> tuple[str, list[dict]]:
    parser = _TelegramHTML()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ApiFailure(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{parser.stack[-1][0]}\"",
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return parser.text, entities


@dataclass
class SentMessage:
    """One message in a chat, as the merchant sees it now (after edits)."""

    message_id: int
    kind: str  # "text" | "document" | "photo" | "user"
    html: str = ""
    text: str = ""
    entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    file_name: str | None = None
    data: bytes = b""
    edits: list[tuple[str, dict | None]] = field(default_factory=list)  # earlier (html, reply_markup)

    @property
    def original(self) -> tuple[str, dict | None]:
        """The message as first sent (html, reply_markup)."""
        return self.edits[0] if self.edits else (self.html, self.reply_markup)

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    @property
    def choice_ids(self) -> list[str]:
        return [data for row in self.buttons for _, data in row]


@dataclass
class _Gate:
    event: asyncio.Event
    after: int = 0
    calls: int = 0
    waiting: int = 0
    discard: bool = False


@dataclass
class Injected:
    status: int = 429
    retry_after: int = 1
    disconnect: bool = False


class FakeBotAPI:
    def __init__(self, token: str = "123456789:TEST-token_for-the-fake-server") -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.base_url = ""
        self.calls: list[tuple[str, dict]] = []
        self.chats: dict[int, list[SentMessage]] = {}
        self.users: dict[int, dict] = {}
        self.commands: dict[str, list[dict]] = {}
        self.menu_button: dict | None = None  # setChatMenuButton without a chat: every chat's
        self.webhook: dict | None = None
        self.webhook_deliveries: list[int] = []  # HTTP statuses of webhook POSTs
        self.webhook_answered: list[int] = []  # update ids whose webhook POST was answered 200
        self.webhook_targets: list[str] = []  # a load balancer: deliver to these in turn instead
        self.blocked: set[int] = set()
        self._files: dict[str, tuple[bytes, str, int]] = {}  # file_id -> (data, path, size)
        self._pending: list[dict] = []
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count] = {}
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self.callback_texts: dict[str, str] = {}  # id -> the notice shown with the answer, if any
        self._callback_ids = itertools.count(1)
        self._failures: dict[str, list[Injected]] = {}
        self._paused: dict[str, _Gate] = {}
        self.pushed: dict[int, dict] = {}  # every update the merchant's side made, by id
        self.polled: list[tuple[int, list[int]]] = []  # per getUpdates call: (offset, update ids returned)
        self._webhook_queue: asyncio.Queue[dict] = asyncio.Queue()
        self._webhook_task: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.request_times: list[float] = []
        self.too_large: list[str] = []  # names of uploads refused with 413

    # --- server ----------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        self._client = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return self.base_url

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def inject(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        disconnect: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail (429 with retry_after, 5xx, or a dropped connection)."""
        self._failures.setdefault(method, []).extend(
            Injected(status, retry_after, disconnect) for _ in range(times)
        )

    def pause(self, method: str, after: int = 0) -> None:
        """Hold every call of `method` (its answer waits) until `resume(method)`; with `after`, only the
        calls after the first `after` from now."""
        self._paused.setdefault(method, _Gate(asyncio.Event(), after))

    def resume(self, method: str, discard: bool = False) -> None:
        """Let held calls go on; `discard`: drop them unapplied, as if they never reached Telegram (the
        process that made them was killed before they got through)."""
        gate = self._paused.pop(method, None)
        if gate is not None:
            gate.discard = discard
            gate.event.set()

    def held(self, method: str) -> int:
        """How many calls of `method` are being held now."""
        gate = self._paused.get(method)
        return gate.waiting if gate is not None else 0

    def confirmed(self, update_id: int) -> bool:
        """A getUpdates call has moved the offset past the update: Telegram would not send it again."""
        return any(offset > update_id for offset, _ in self.polled)

    def stored_or_delivered(self, update_id: int) -> bool:
        """The bot has the update: confirmed by a later getUpdates, or its webhook POST was answered 200."""
        return self.confirmed(update_id) or update_id in self.webhook_answered

    def calls_of(self, method: str) -> list[dict]:
        return [params for name, params in self.calls if name == method]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        self.calls.append((method, params))
        gate = self._paused.get(method)
        if gate is not None:
            gate.calls += 1
            if gate.calls > gate.after:
                gate.waiting += 1
                try:
                    await gate.event.wait()
                finally:
                    gate.waiting -= 1
                if gate.discard:
                    assert request.transport is not None
                    request.transport.close()
                    raise ConnectionResetError("dropped: the caller was killed")
        failures = self._failures.get(method)
        if failures:
            failure = failures.pop(0)
            if failure.disconnect:
                assert request.transport is not None
                request.transport.close()
                raise ConnectionResetError("injected")
            if failure.status == 429:
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {failure.retry_after}",
                        "parameters": {"retry_after": failure.retry_after},
                    },
                    status=429,
                )
            return web.json_response(
                {"ok": False, "error_code": failure.status, "description": "Internal Server Error"},
                status=failure.status,
            )
        handler = getattr(self, f"m_{method}", None)
        try:
            if handler is None:
                raise ApiFailure(404, "Not Found: method not found")
            result = await handler(params)
        except ApiFailure as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        finally:
            self.request_times.append(time.perf_counter() - started)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            raw = await request.json() if request.can_read_body else {}
            return dict(raw or {})
        form = await request.post() if request.can_read_body else {}
        params: dict[str, Any] = dict(request.query)
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {"file_name": value.filename, "data": value.file.read()}
            elif key in JSON_FIELDS and isinstance(value, str):
                params[key] = json.loads(value)
            else:
                params[key] = value
        # aiogram attaches files as attach://name
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.get(value[len("attach://") :])
        return params

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for data, file_path, _size in self._files.values():
            if file_path == path:
                return web.Response(body=data)
        return web.Response(status=404)

    # --- the merchant's side -----------------------------------------------------------------------

    def user(self, user_id: int, language_code: str = "en", first_name: str = "Ana") -> dict:
        self.users[user_id] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        return self.users[user_id]

    def _chat_of(self, user_id: int) -> dict:
        user = self.users[user_id]
        return {"id": user_id, "type": "private", "first_name": user["first_name"]}

    def _message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(self, user_id: int, **content: Any) -> dict:
        message_id = self._message_id(user_id)
        self.chats.setdefault(user_id, []).append(
            SentMessage(message_id, "user", text=str(content.get("text", "")))
        )
        return {
            "message_id": message_id,
            "from": self.users[user_id],
            "chat": self._chat_of(user_id),
            "date": int(time.time()),
            **content,
        }

    def send_forged(self, from_id: int, chat_id: int, text: str) -> int:
        """What Telegram never sends: a message in one user's private chat from another user (a forged
        webhook request, or a buggy proxy in front of the bot)."""
        message = self._user_message(chat_id, text=text)
        return self._push({"message": {**message, "from": self.users[from_id]}})

    def press_forged(self, from_id: int, chat_id: int, message_id: int, data: str) -> int:
        """A button of one user's message pressed by another user."""
        callback_id = f"cb{next(self._callback_ids)}"
        self._callbacks[callback_id] = False
        message = self._message_json(chat_id, self.message(chat_id, message_id))
        query = {"id": callback_id, "from": self.users[from_id], "chat_instance": "ci", "data": data}
        return self._push({"callback_query": {**query, "message": message}})

    def _push(self, update: dict) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        self.pushed[update_id] = update
        if self.webhook is not None:
            self._webhook_queue.put_nowait(update)
        else:
            self._pending.append(update)
            self._new_update.set()
        return update_id

    def _store_file(self, data: bytes, suffix: str, size: int | None = None) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        file_id = f"F{digest[:24]}{len(self._files)}"
        path = f"files/{digest[:16]}{suffix}"
        self._files[file_id] = (data, path, size if size is not None else len(data))
        return {"file_id": file_id, "file_unique_id": digest[:16], "file_size": size or len(data)}

    def send_text(self, user_id: int, text: str) -> int:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split(" ", 1)[0])}]
        extra = {"entities": entities} if entities else {}
        return self._push({"message": self._user_message(user_id, text=text, **extra)})

    def _photo_sizes(self, data: bytes) -> list[dict]:
        """Telegram sends several sizes; the thumbnails here are not images, so taking one shows."""
        small = {**self._store_file(b"thumbnail-90 " + data[:20], ".jpg"), "width": 90, "height": 60}
        medium = {**self._store_file(b"thumbnail-320 " + data[:20], ".jpg"), "width": 320, "height": 213}
        large = {**self._store_file(data, ".jpg"), "width": 1280, "height": 853}
        return [small, medium, large]

    def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> int:
        content: dict[str, Any] = {"photo": self._photo_sizes(data)}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._push({"message": self._user_message(user_id, **content)})

    def send_album(self, user_id: int, photos: list[bytes], caption: str | None = None) -> list[int]:
        group = f"album{next(self._update_ids)}"
        return [
            self.send_photo(user_id, data, caption if index == 0 else None, media_group_id=group)
            for index, data in enumerate(photos)
        ]

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        size: int | None = None,
    ) -> int:
        document = {
            **self._store_file(data, "." + file_name.rsplit(".", 1)[-1], size),
            "file_name": file_name,
            "mime_type": mime_type,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._push({"message": self._user_message(user_id, **content)})

    def send_other(self, user_id: int, kind: str) -> int:
        """A sticker, voice note, location, ... (what the assistant cannot use)."""
        samples: dict[str, dict] = {
            "sticker": {
                "sticker": {
                    **self._store_file(b"webp-sticker", ".webp"),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "voice": {"voice": {**self._store_file(b"ogg-voice", ".ogg"), "duration": 3}},
            "location": {"location": {"latitude": 30.25, "longitude": 120.16}},
            "contact": {"contact": {"phone_number": "+8613800138000", "first_name": "Li"}},
        }
        return self._push({"message": self._user_message(user_id, **samples[kind])})

    def press(self, user_id: int, message_id: int, data: str) -> int:
        """Press a button that the message shows now (a real client cannot press anything else)."""
        message = self.message(user_id, message_id)
        if data not in message.choice_ids:
            raise AssertionError(f"message {message_id} has no button {data!r}; it has {message.choice_ids}")
        callback_id = f"cb{next(self._callback_ids)}"
        self._callbacks[callback_id] = False
        return self._push(
            {
                "callback_query": {
                    "id": callback_id,
                    "from": self.users[user_id],
                    "chat_instance": f"ci{user_id}",
                    "data": data,
                    "message": self._message_json(user_id, message),
                }
            }
        )

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise KeyError(message_id)

    def chat(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in a chat, in order, as shown now."""
        return [m for m in self.chats.get(chat_id, []) if m.kind != "user"]

    @property
    def unanswered_callbacks(self) -> list[str]:
        return [cid for cid, answered in self._callbacks.items() if not answered]

    # --- delivery ----------------------------------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        assert self._client is not None
        while True:
            update = await self._webhook_queue.get()
            hook = self.webhook
            if hook is None:
                self._pending.append(update)
                self._new_update.set()
                continue
            headers = (
                {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook.get("secret_token") else {}
            )
            url = hook["url"]
            if self.webhook_targets:
                url = self.webhook_targets[len(self.webhook_deliveries) % len(self.webhook_targets)]
            for attempt in range(5):
                try:
                    async with self._client.post(url, json=update, headers=headers) as response:
                        self.webhook_deliveries.append(response.status)
                        if response.status == 200:
                            self.webhook_answered.append(update["update_id"])
                            break
                except aiohttp.ClientError:
                    self.webhook_deliveries.append(0)
                await asyncio.sleep(0.1 * (attempt + 1))

    # --- methods -------------------------------------------------------------------------------------

    async def m_getMe(self, params: dict) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "POS Dispute Assistant",
            "username": "pos_dispute_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_logOut(self, params: dict) -> bool:
        return True

    async def m_close(self, params: dict) -> bool:
        return True

    async def m_getUpdates(self, params: dict) -> list[dict]:
        if self.webhook is not None:
            raise ApiFailure(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), 0.3)  # short: stopping a bot waits for it
        if not self._pending and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(params.get("limit") or 100)
        batch = self._pending[:limit]
        self.polled.append((offset, [u["update_id"] for u in batch]))
        return batch

    async def m_setWebhook(self, params: dict) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self.m_deleteWebhook({})
        secret = params.get("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiFailure(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        pending, self._pending = self._pending, []
        for update in pending:
            self._webhook_queue.put_nowait(update)
        return True

    async def m_deleteWebhook(self, params: dict) -> bool:
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._pending.clear()
        return True

    async def m_getWebhookInfo(self, params: dict) -> dict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _check_chat(self, params: dict) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiFailure(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.users:
            raise ApiFailure(400, "Bad Request: chat not found")
        return chat_id

    def _check_markup(self, markup: dict | None) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                kinds = [k for k in ("callback_data", "web_app", "url") if k in button]
                if len(kinds) != 1:
                    raise ApiFailure(400, "Bad Request: a button needs exactly one action")
                if "web_app" in button:
                    self._check_web_app(button["web_app"])
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    raise ApiFailure(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiFailure(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _formatted(
        self, source: str, parse_mode: str | None, limit: int, what: str
    ) -> tuple[str, list[dict]]:
        text, entities = parse_html(source) if parse_mode == "HTML" else (source, [])
        if what == "text" and not text.strip():
            raise ApiFailure(400, "Bad Request: message text is empty")
        if utf16_len(text) > limit:
            raise ApiFailure(400, f"Bad Request: message {what} is too long")
        return text, entities

    def _message_json(self, chat_id: int, message: SentMessage) -> dict:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "POS Dispute Assistant"},
            "chat": self._chat_of(chat_id),
            "date": int(time.time()),
        }
        if message.kind == "text":
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        elif message.kind == "document":
            body["document"] = {
                "file_id": f"D{message.message_id}",
                "file_unique_id": f"U{message.message_id}",
                "file_name": message.file_name,
                "file_size": len(message.data),
            }
        elif message.kind == "photo":
            body["photo"] = [
                {
                    "file_id": f"P{message.message_id}",
                    "file_unique_id": f"U{message.message_id}",
                    "width": 100,
                    "height": 100,
                }
            ]
        if message.edits:
            body["edit_date"] = int(time.time())
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body

    async def m_sendMessage(self, params: dict) -> dict:
        chat_id = self._check_chat(params)
        html_text = str(params.get("text") or "")
        text, entities = self._formatted(html_text, params.get("parse_mode"), TEXT_LIMIT, "text")
        self._check_markup(params.get("reply_markup"))
        message = SentMessage(
            self._message_id(chat_id), "text", html_text, text, entities, params.get("reply_markup") or None
        )
        self.chats.setdefault(chat_id, []).append(message)
        return self._message_json(chat_id, message)

    async def m_editMessageText(self, params: dict) -> dict:
        chat_id = self._check_chat(params)
        try:
            message = self.message(chat_id, int(params["message_id"]))
        except KeyError:
            raise ApiFailure(400, "Bad Request: message to edit not found") from None
        if message.kind != "text":
            raise ApiFailure(400, "Bad Request: there is no text in the message to edit")
        html_text = str(params.get("text") or "")
        text, entities = self._formatted(html_text, params.get("parse_mode"), TEXT_LIMIT, "text")
        markup = params.get("reply_markup") or None
        self._check_markup(markup)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiFailure(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        message.edits.append((message.html, message.reply_markup))
        message.html, message.text, message.entities, message.reply_markup = html_text, text, entities, markup
        return self._message_json(chat_id, message)

    async def m_answerCallbackQuery(self, params: dict) -> bool:
        callback_id = str(params.get("callback_query_id"))
        if self._callbacks.get(callback_id, True):
            raise ApiFailure(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise ApiFailure(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[callback_id] = True
        if params.get("text"):
            self.callback_texts[callback_id] = str(params["text"])
        return True

    async def _send_file(self, params: dict, field_name: str, kind: str) -> dict:
        chat_id = self._check_chat(params)
        upload = params.get(field_name)
        if not isinstance(upload, dict) or not upload.get("data"):
            raise ApiFailure(400, f"Bad Request: there is no {field_name} in the request")
        if len(upload["data"]) > UPLOAD_LIMIT:
            self.too_large.append(upload.get("file_name") or "")
            raise ApiFailure(413, "Request Entity Too Large")
        caption = str(params.get("caption") or "")
        text, entities = self._formatted(caption, params.get("parse_mode"), CAPTION_LIMIT, "caption")
        self._check_markup(params.get("reply_markup"))
        message = SentMessage(
            self._message_id(chat_id),
            kind,
            caption,
            text,
            entities,
            params.get("reply_markup") or None,
            file_name=upload.get("file_name"),
            data=upload["data"],
        )
        self.chats.setdefault(chat_id, []).append(message)
        return self._message_json(chat_id, message)

    async def m_sendDocument(self, params: dict) -> dict:
        return await self._send_file(params, "document", "document")

    async def m_sendPhoto(self, params: dict) -> dict:
        return await self._send_file(params, "photo", "photo")

    async def m_sendChatAction(self, params: dict) -> bool:
        self._check_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiFailure(400, "Bad Request: wrong parameter action in request")
        return True

    async def m_getFile(self, params: dict) -> dict:
        file_id = str(params.get("file_id"))
        if file_id not in self._files:
            raise ApiFailure(400, "Bad Request: invalid file_id")
        data, path, size = self._files[file_id]
        if size > GETFILE_LIMIT:
            raise ApiFailure(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": file_id[1:17], "file_size": size, "file_path": path}

    async def m_setChatMenuButton(self, params: dict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if button.get("type") == "web_app":
            if not 1 <= len(button.get("text") or "") <= 64:
                raise ApiFailure(400, "Bad Request: menu button text is empty")
            self._check_web_app(button.get("web_app"))
        elif button.get("type") not in ("default", "commands"):
            raise ApiFailure(400, "Bad Request: unsupported menu button type")
        if params.get("chat_id") is None:
            self.menu_button = button
        return True

    def _check_web_app(self, web_app: object) -> None:
        """Telegram opens only https:// Mini Apps (a loopback address stands in for one in the tests)."""
        url = web_app.get("url", "") if isinstance(web_app, dict) else ""
        if not (url.startswith("https://") or url.startswith("http://127.0.0.1:")):
            raise ApiFailure(400, "Bad Request: BUTTON_URL_INVALID")

    async def m_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        if not 0 < len(commands) <= 100:
            raise ApiFailure(400, "Bad Request: commands must be non-empty")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiFailure(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiFailure(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiFailure(400, "Bad Request: invalid language code")
        self.commands[language] = commands
        return True
