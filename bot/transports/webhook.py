"""The webhook server: Telegram POSTs updates here (secret token checked); GET /healthz for the load balancer.

Stateless: every process of a deployment can run it on the same PostgreSQL. `store` keeps the update
in the inbox; only then is 200 sent, and the update is handled in the background (Telegram waits
at most 60 s for an answer, and a long one would slow its deliveries down). 503 when it could not be
stored: Telegram sends it again. `/healthz` says "warming" (still 200) until the start-up warm-up
is done, "ok" then, 503 "unavailable" while the database does not answer. A worker that dies after the 200 leaves the update in the inbox,
where another worker (or the restart) finds it; a re-delivered update is applied only once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger("bot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"


def webhook_secret(configured: str | None, token: str) -> str:
    """WEBHOOK_SECRET, or one derived from the token (the same in every process of a deployment)."""
    if configured:
        return configured
    return hashlib.sha256(f"webhook-secret:{token}".encode()).hexdigest()[:48]


def webhook_target(url: str) -> tuple[str, str]:
    """The URL to register with Telegram and the path to serve; a bare host gets /telegram/webhook."""
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        return url.rstrip("/") + DEFAULT_PATH, DEFAULT_PATH
    return url, parts.path


def make_app(
    store: Callable[[dict], Awaitable[bool]],
    *,
    path: str,
    secret: str,
    healthy: Callable[[], Awaitable[bool]],
    warming: Callable[[], bool] = lambda: False,
) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="wrong secret token")
        try:
            body = await request.read()
        except ConnectionError:  # the client went away mid-request: nothing arrived, nothing to answer
            log.info("webhook request abandoned by the client before its body arrived")
            return web.Response(status=400, text="incomplete")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[… nested too deep
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            kept = await store(data)
        except Exception as exc:  # a malformed update must not make Telegram re-send it forever
            log.error("update %s could not be read: %s", data.get("update_id"), type(exc).__name__)
            kept = True
        if not kept:  # not stored (the database is unavailable): Telegram sends it again
            return web.Response(status=503, text="try again")
        return web.Response(status=200, text="ok")

    async def health(_request: web.Request) -> web.Response:
        try:
            ok = await asyncio.wait_for(healthy(), 5)
        except Exception:
            ok = False
        if not ok:
            return web.json_response({"status": "unavailable"}, status=503)
        # still 200 while warming: updates are taken and answered meanwhile (see bot/warmup.py)
        return web.json_response({"status": "warming" if warming() else "ok"})

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app
