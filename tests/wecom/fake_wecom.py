"""A local fake of the WeCom endpoints the adapter uses, strict like the real one, plus a WeChat customer.

Endpoints: gettoken, kf/sync_msg (cursor paging, the event token), kf/send_msg (text, msgmenu, file;
byte limits, menu limits, the 5-messages-in-48-hours window), media/upload (20 MB), media/get. A wrong
or expired access token gets 40014 / 42001 as WeCom answers. `customer_*` methods play the WeChat
user: they add a message to what sync_msg returns and call the bot's callback, signed and encrypted.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

CORP_ID = "ww1234567890abcdef"
SECRET = "s3cret-of-the-kf-app-0123456789"
TOKEN = "callbackToken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KF_ID = "wkAbCdEf0123456789"


@dataclass
class Sent:
    touser: str
    msgtype: str
    body: dict
    file_name: str | None = None
    file_data: bytes | None = None

    @property
    def text(self) -> str:
        if self.msgtype == "text":
            return self.body["text"]["content"]
        if self.msgtype == "msgmenu":
            return self.body["msgmenu"].get("head_content", "")
        return ""

    @property
    def menu(self) -> list[str]:
        return (
            [i["click"]["id"] for i in self.body.get("msgmenu", {}).get("list", [])]
            if self.msgtype == "msgmenu"
            else []
        )


@dataclass
class FakeWeCom:
    port: int = 0
    page_size: int = 1000
    token_lifetime: int = 7200
    messages: list[dict] = field(default_factory=list)  # what sync_msg serves, oldest first
    sent: list[Sent] = field(default_factory=list)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> data, name, mime
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (time.time)
    event_tokens: set[str] = field(default_factory=set)
    window: dict[str, list[float]] = field(default_factory=dict)  # user -> [last inbound, sent since]
    calls: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(
        default_factory=list
    )  # what the fake refused, for a failing test to show
    refuse_send: int = 0  # answer the next N send_msg calls with -1 (system busy)
    callback_url: str | None = None

    def __post_init__(self) -> None:
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        self._runner: web.AppRunner | None = None
        self._seq = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/kf/sync_msg", self._sync_msg)
        app.router.add_post("/cgi-bin/kf/send_msg", self._send_msg)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # --- the API ---------------------------------------------------------------------------------

    def _error(self, code: int, message: str) -> web.Response:
        self.errors.append((code, message))
        return web.json_response({"errcode": code, "errmsg": message})

    def _auth(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token")
        if not token:
            return self._error(41001, "access_token missing")
        if token not in self.tokens:
            return self._error(40014, "invalid access_token")
        if time.time() >= self.tokens[token]:
            return self._error(42001, "access_token expired")
        return None

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = 0

    async def _gettoken(self, request: web.Request) -> web.Response:
        self.calls.append("gettoken")
        if request.query.get("corpid") != CORP_ID:
            return self._error(40013, "invalid corpid")
        if request.query.get("corpsecret") != SECRET:
            return self._error(40001, "invalid secret")
        token = secrets.token_hex(16)
        self.tokens[token] = time.time() + self.token_lifetime
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_lifetime}
        )

    async def _json(self, request: web.Request) -> dict | None:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _sync_msg(self, request: web.Request) -> web.Response:
        self.calls.append("sync_msg")
        if (refused := self._auth(request)) is not None:
            return refused
        body = await self._json(request)
        if body is None:
            return self._error(47001, "data format error")
        if body.get("open_kfid") != KF_ID:
            return self._error(95000, "invalid open_kfid")
        if body.get("token") and body["token"] not in self.event_tokens:
            return self._error(95007, "invalid msg token")
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit") or 1000), 1000, self.page_size)
        page = self.messages[start : start + limit]
        end = start + len(page)
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": str(end),
                "has_more": int(end < len(self.messages)),
                "msg_list": page,
            }
        )

    async def _send_msg(self, request: web.Request) -> web.Response:
        self.calls.append("send_msg")
        if (refused := self._auth(request)) is not None:
            return refused
        if self.refuse_send:
            self.refuse_send -= 1
            return self._error(-1, "system busy")
        body = await self._json(request)
        if body is None:
            return self._error(47001, "data format error")
        touser, kind = body.get("touser"), body.get("msgtype")
        if body.get("open_kfid") != KF_ID:
            return self._error(95000, "invalid open_kfid")
        last = self.window.get(touser)
        if last is None or time.time() - last[0] > 48 * 3600:
            return self._error(95001, "user not in session window")
        if last[1] >= 5:
            return self._error(95018, "send msg count exceeds limit")
        if kind == "text":
            content = (body.get("text") or {}).get("content") or ""
            if not content or len(content.encode("utf-8")) > 2048:
                return self._error(44004, "text content empty or over 2048 bytes")
        elif kind == "msgmenu":
            menu = body.get("msgmenu") or {}
            items = menu.get("list") or []
            if not items or len(items) > 10:
                return self._error(40009, "menu needs 1 to 10 items")
            for item in items:
                click = item.get("click") or {}
                if item.get("type") != "click" or not 1 <= len(str(click.get("id", "")).encode()) <= 128:
                    return self._error(40009, "menu item id must be 1-128 bytes")
                if not 1 <= len(str(click.get("content", "")).encode()) <= 128:
                    return self._error(40009, "menu item content must be 1-128 bytes")
            if len((menu.get("head_content") or "").encode("utf-8")) > 1024:
                return self._error(40009, "head_content over 1024 bytes")
        elif kind == "file":
            media_id = (body.get("file") or {}).get("media_id")
            if media_id not in self.media:
                return self._error(40007, "invalid media_id")
        else:
            return self._error(40008, f"invalid message type {kind}")
        last[1] += 1
        sent = Sent(touser, kind, body)
        if kind == "file":
            sent.file_data, sent.file_name = self.media[body["file"]["media_id"]][:2]
        self.sent.append(sent)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": secrets.token_hex(8)})

    async def _upload(self, request: web.Request) -> web.Response:
        self.calls.append("upload")
        if (refused := self._auth(request)) is not None:
            return refused
        if request.query.get("type") != "file":
            return self._error(40004, "invalid media type")
        reader = await request.multipart()
        part = await reader.next()
        if part is None or part.name != "media" or not part.filename:
            return self._error(41006, "media missing")
        data = await part.read()
        if len(data) < 5 or len(data) > 20 * 1024 * 1024:
            return self._error(40058, "media size out of limit")
        media_id = "M" + secrets.token_hex(12)
        self.media[media_id] = (data, part.filename, part.headers.get("Content-Type", ""))
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "type": "file",
                "media_id": media_id,
                "created_at": str(int(time.time())),
            }
        )

    async def _media_get(self, request: web.Request) -> web.Response:
        self.calls.append("media_get")
        if (refused := self._auth(request)) is not None:
            return refused
        item = self.media.get(request.query.get("media_id", ""))
        if item is None:
            return self._error(40007, "invalid media_id")
        data, name, mime = item
        return web.Response(
            body=data,
            content_type=mime or "application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- the WeChat customer ---------------------------------------------------------------------

    def _message(self, user: str, msgtype: str, content: dict) -> dict:
        self._seq += 1
        self.window[user] = [time.time(), 0]
        message = {
            "msgid": f"msg{self._seq:06d}{secrets.token_hex(4)}",
            "open_kfid": KF_ID,
            "external_userid": user,
            "send_time": int(time.time()),
            "origin": 3,
            "msgtype": msgtype,
            msgtype: content,
        }
        self.messages.append(message)
        return message

    def customer_text(self, user: str, text: str) -> dict:
        return self._message(user, "text", {"content": text})

    def customer_click(self, user: str, menu_id: str, label: str = "") -> dict:
        return self._message(user, "text", {"content": label or menu_id, "menu_id": menu_id})

    def customer_image(self, user: str, data: bytes) -> dict:
        media_id = "I" + secrets.token_hex(12)
        self.media[media_id] = (data, f"{media_id}.jpg", "image/jpeg")
        return self._message(user, "image", {"media_id": media_id})

    def customer_file(self, user: str, data: bytes, name: str, mime: str) -> dict:
        media_id = "F" + secrets.token_hex(12)
        self.media[media_id] = (data, name, mime)
        return self._message(user, "file", {"media_id": media_id})

    def customer_enters(self, user: str) -> dict:
        self._seq += 1
        self.window[user] = [time.time(), 0]
        message = {
            "msgid": f"evt{self._seq:06d}",
            "open_kfid": KF_ID,
            "external_userid": user,
            "send_time": int(time.time()),
            "origin": 4,
            "msgtype": "event",
            "event": {
                "event_type": "enter_session",
                "open_kfid": KF_ID,
                "external_userid": user,
                "scene": "link",
            },
        }
        self.messages.append(message)
        return message

    def signed_event(self, event_token: str | None = None, *, corp_id: str = CORP_ID) -> tuple[dict, str]:
        """The query and body of a kf_msg_or_event callback, signed and encrypted as WeCom does."""
        event_token = event_token or "ENC" + secrets.token_hex(16)
        self.event_tokens.add(event_token)
        inner = (
            f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[{event_token}]]></Token><OpenKfId><![CDATA[{KF_ID}]]></OpenKfId></xml>"
        )
        crypto = WeChatCrypto(TOKEN, AES_KEY, corp_id)
        nonce, stamp = secrets.token_hex(6), str(int(time.time()))
        envelope = crypto.encrypt_message(inner, nonce, stamp)
        fields = {
            tag: envelope.split(f"<{tag}><![CDATA[")[1].split("]]>")[0]
            for tag in ("Encrypt", "MsgSignature", "Nonce")
        }
        body = f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
        return {"msg_signature": fields["MsgSignature"], "timestamp": stamp, "nonce": nonce}, body

    async def notify(self) -> int:
        """Call the bot's callback as WeCom does after a customer's message; returns the HTTP status."""
        assert self.callback_url
        query, body = self.signed_event()
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.callback_url, params=query, data=body.encode()) as resp,
        ):
            await resp.read()
            return resp.status

    def to(self, user: str) -> list[Sent]:
        return [s for s in self.sent if s.touser == user]

    async def wait_sent(self, user: str, count: int, timeout: float = 30) -> list[Sent]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.to(user)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"waited for {count} messages to {user}, got {len(self.to(user))}")
            await asyncio.sleep(0.02)
        return self.to(user)
