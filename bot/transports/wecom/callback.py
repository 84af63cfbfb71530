"""The callback endpoint WeCom calls: URL verification (GET) and events (POST), signed and AES-encrypted.

The scheme is WeCom's `WXBizMsgCrypt`: a SHA-1 signature over the token, timestamp, nonce and ciphertext,
and AES-256-CBC with PKCS#7 padding keyed by the EncodingAESKey; wechatpy does the crypto. A callback with
a bad signature, another corp id or a timestamp far from now is refused (403) and learns nothing; an
event is answered "success" at once, and the messages it announces are pulled with `kf/sync_msg`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from xml.etree import ElementTree

from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

log = logging.getLogger("bot.wecom")

PATH = "/wecom/callback"
MAX_SKEW = 300  # seconds between WeCom's timestamp and ours before a callback is taken for a replay
MAX_BODY = 64 * 1024

OnEvent = Callable[[str | None], Awaitable[None]]  # the event's sync token


def parse_xml(text: str) -> dict[str, str]:
    """A flat WeCom XML document as a dict (no entities or DTDs are resolved by ElementTree)."""
    root = ElementTree.fromstring(text)  # noqa: S314 - WeCom's flat documents, after the signature check
    return {child.tag: (child.text or "") for child in root}


def make_routes(crypto: WeChatCrypto, on_event: OnEvent, *, clock=time.time) -> list[web.RouteDef]:
    def fresh(request: web.Request) -> bool:
        try:
            return abs(clock() - int(request.query.get("timestamp", ""))) <= MAX_SKEW
        except ValueError:
            return False

    async def verify(request: web.Request) -> web.Response:
        q = request.query
        if not fresh(request):
            return web.Response(status=403, text="stale")
        try:
            echo = crypto.check_signature(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"])
        except Exception as exc:  # noqa: BLE001 - a missing parameter, a bad signature or ciphertext
            log.warning("WeCom URL verification refused: %s", type(exc).__name__)
            return web.Response(status=403, text="refused")
        return web.Response(text=echo.decode("utf-8") if isinstance(echo, bytes) else str(echo))

    async def event(request: web.Request) -> web.Response:
        q = request.query
        if not fresh(request):
            return web.Response(status=403, text="stale")
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text="too large")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            plain = crypto.decrypt_message(
                body.decode("utf-8"), q["msg_signature"], q["timestamp"], q["nonce"]
            )
            fields = parse_xml(plain.decode("utf-8") if isinstance(plain, bytes) else plain)
        except Exception as exc:  # noqa: BLE001 - a bad signature, corp id, padding or XML: all refused alike
            log.warning("WeCom callback refused: %s", type(exc).__name__)
            return web.Response(status=403, text="refused")
        if fields.get("MsgType") == "event" and fields.get("Event") == "kf_msg_or_event":
            await on_event(fields.get("Token") or None)
        return web.Response(text="success")

    return [web.get(PATH, verify), web.post(PATH, event)]
