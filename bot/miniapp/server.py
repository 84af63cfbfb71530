"""The case page's routes on the bot's aiohttp server: the page itself (no data in it) and its JSON API.

Every API call carries Telegram's init data (`Authorization: tma <init data>`); without valid and
fresh init data the answer is 401 with nothing in it, and a case that is not the caller's is 404,
the same as one that does not exist. The page loads nothing from anywhere else (mainland networks,
offline tests): the Content-Security-Policy allows this server only.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.miniapp import auth
from bot.miniapp.pages import CasePages
from bot.service import Outgoing
from conversations.casepage import PAGE_WORDS
from conversations.i18n import LANGUAGES, translate

log = logging.getLogger("bot.miniapp")

PATH = "/app/"
STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
MAX_CHANGES = 200
MAX_VALUE = 4000

Notify = Callable[[int, list[Outgoing]], Awaitable[None]]


def _static() -> dict[str, tuple[bytes, str, str]]:
    """name -> (bytes, content type, ETag). index.html gets the words it needs before any data comes."""
    expired = " · ".join(html.escape(translate(lang, PAGE_WORDS["expired"])) for lang in LANGUAGES)
    files = {
        "index.html": (
            (STATIC / "index.html").read_text("utf-8").replace("{{expired}}", expired).encode(),
            "text/html; charset=utf-8",
        ),
        "app.js": ((STATIC / "app.js").read_bytes(), "text/javascript; charset=utf-8"),
        "app.css": ((STATIC / "app.css").read_bytes(), "text/css; charset=utf-8"),
    }
    return {
        name: (data, kind, '"' + hashlib.sha256(data).hexdigest()[:16] + '"')
        for name, (data, kind) in files.items()
    }


def add_routes(
    app: web.Application,
    pages: CasePages,
    *,
    token: str,
    tz: ZoneInfo,
    notify: Notify,
    clock: Callable[[], datetime] | None = None,
    wall: Callable[[], float] = time.time,
) -> None:
    """The page under /app/ and its API under /app/api/. `notify(chat_id, messages)` sends the chat its
    next screen after a save; `clock` is the case's clock (tests fix it), `wall` the init data's."""
    files = _static()

    def now() -> datetime:
        return clock() if clock else datetime.now(tz)

    def serve(name: str):
        data, kind, etag = files[name]

        async def handler(request: web.Request) -> web.Response:
            headers = {
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "ETag": etag,
                "Cache-Control": "no-cache",
            }
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=headers)
            return web.Response(body=data, headers={**headers, "Content-Type": kind})

        return handler

    def user_of(request: web.Request) -> auth.WebAppUser | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "tma":
            return None
        return auth.check(value.strip(), token, wall())

    def api(handler):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            user = user_of(request)
            if user is None:
                return web.json_response(
                    {"error": "unauthorized"}, status=401, headers={"Cache-Control": "no-store"}
                )
            try:
                response = await handler(request, user)
            except web.HTTPException:
                raise
            except Exception as exc:
                log.error("case page call failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(10))
                return web.json_response({"error": "failed"}, status=500)
            response.headers["Cache-Control"] = "no-store"
            return response

        return wrapped

    def case_param(request: web.Request, body: dict | None = None) -> str | None:
        raw = (body or {}).get("case") if body is not None else request.query.get("case")
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str) or len(raw) > 32:
            raise web.HTTPBadRequest(text="bad case id")
        return raw.strip().upper()

    async def body_of(request: web.Request) -> dict:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="not an object")
        return body

    def value_of(raw: object) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or len(raw) > MAX_VALUE:
            raise web.HTTPBadRequest(text="bad value")
        return raw

    async def get_case(request: web.Request, user: auth.WebAppUser) -> web.Response:
        page = await asyncio.to_thread(pages.read, user.id, case_param(request), now())
        if page is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(page)

    async def check(request: web.Request, user: auth.WebAppUser) -> web.Response:
        body = await body_of(request)
        key = body.get("key")
        if not isinstance(key, str) or len(key) > 64:
            raise web.HTTPBadRequest(text="bad key")
        found = await asyncio.to_thread(
            pages.check, user.id, case_param(request, body), key, value_of(body.get("value")), now()
        )
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(found)

    async def save(request: web.Request, user: auth.WebAppUser) -> web.Response:
        body = await body_of(request)
        raw = body.get("changes")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHANGES:
            raise web.HTTPBadRequest(text="bad changes")
        changes = []
        for change in raw:
            if not (isinstance(change, list) and len(change) == 2 and isinstance(change[0], str)):
                raise web.HTTPBadRequest(text="bad change")
            changes.append((change[0][:64], value_of(change[1])))
        result = await asyncio.to_thread(pages.save, user.id, case_param(request, body), changes, now())
        if result is None:
            return web.json_response({"error": "not found"}, status=404)
        if not result.ok:
            return web.json_response({"ok": False, "errors": result.errors}, status=422)
        try:
            await notify(user.id, result.messages)  # a private chat's id is the user's
        except Exception as exc:  # the case is saved; the chat shows it at the merchant's next message
            log.warning("chat not told of a page save: %s", type(exc).__name__)
        return web.json_response({"ok": True, "notices": result.notices, "case": result.page})

    async def preview(request: web.Request, user: auth.WebAppUser) -> web.Response:
        output_id = request.query.get("output", "")
        found = await asyncio.to_thread(pages.preview, user.id, case_param(request), output_id[:32], now())
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"html": found})

    async def evidence(request: web.Request, user: auth.WebAppUser) -> web.Response:
        sha = request.query.get("sha", "")
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise web.HTTPBadRequest(text="bad sha256")
        data = await asyncio.to_thread(pages.thumbnail, user.id, case_param(request), sha)
        if data is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.Response(body=data, content_type="image/jpeg")

    async def to_page(request: web.Request) -> web.Response:
        raise web.HTTPFound(PATH + (f"?{request.query_string}" if request.query_string else ""))

    app.router.add_get("/app", to_page)
    app.router.add_get(PATH, serve("index.html"))
    app.router.add_get(PATH + "app.js", serve("app.js"))
    app.router.add_get(PATH + "app.css", serve("app.css"))
    app.router.add_get(PATH + "api/case", api(get_case))
    app.router.add_post(PATH + "api/check", api(check))
    app.router.add_post(PATH + "api/save", api(save))
    app.router.add_get(PATH + "api/preview", api(preview))
    app.router.add_get(PATH + "api/evidence", api(evidence))
