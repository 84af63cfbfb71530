"""WeCom's HTTP API, as the adapter uses it: gettoken, kf/sync_msg, kf/send_msg, media/upload, media/get.

The access token is fetched once, kept until a minute before it expires, and fetched again at once when
WeCom says it is invalid or expired (40014, 42001, 42009). Errors become the bridge's own classes, so that
WeCom's rate limits and busy answers are retried exactly as Telegram's are.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp

from bot.transports.common import ApiError, Forbidden, RetryAfter, Transient

log = logging.getLogger("bot.wecom")

TOKEN_ERRORS = {40014, 42001, 42009, 41001}  # invalid, expired, expired (another form), missing
BUSY = {-1}  # system busy: try again
RATE_LIMITED = {45009, 45033, 45011}  # API frequency, concurrency, minute limits
GONE = {95000, 95001, 95002, 95004, 95006, 95007, 95013, 95016, 95017, 95018}  # session state: cannot send
FILE_LIMIT = 20 * 1024 * 1024  # media/upload takes a file of at most 20 MB
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class WeComError(ApiError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"WeCom error {code}: {message}")
        self.code = code


class WeComClient:
    def __init__(self, api_url: str, corp_id: str, secret: str, *, clock=time.monotonic) -> None:
        self.api_url = api_url.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._token_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    # --- the access token ------------------------------------------------------------------------

    async def token(self, *, fresh: bool = False) -> str:
        async with self._token_lock:
            if fresh or self._token is None or self.clock() >= self._expires:
                body = await self._get_json(
                    "/cgi-bin/gettoken", {"corpid": self.corp_id, "corpsecret": self.secret}, auth=False
                )
                self._token = str(body["access_token"])
                # refreshed a minute early, so that a call never goes out with a token about to lapse
                self._expires = self.clock() + max(60, int(body.get("expires_in") or 7200) - 60)
            return self._token

    # --- calls -----------------------------------------------------------------------------------

    async def post(self, path: str, payload: dict) -> dict:
        return await self._with_token(lambda token: self._post_json(path, payload, token))

    async def sync_msg(
        self, cursor: str | None, event_token: str | None, kf_id: str, limit: int = 1000
    ) -> dict:
        payload: dict[str, Any] = {"limit": limit, "open_kfid": kf_id}
        if cursor:
            payload["cursor"] = cursor
        if event_token:
            payload["token"] = event_token
        return await self.post("/cgi-bin/kf/sync_msg", payload)

    async def send_msg(self, payload: dict) -> str:
        body = await self.post("/cgi-bin/kf/send_msg", payload)
        return str(body.get("msgid") or "")

    async def upload(self, name: str, data: bytes, mime: str) -> str:
        if len(data) > FILE_LIMIT:
            raise WeComError(40058, f"file of {len(data)} bytes is over WeCom's 20 MB limit")

        async def call(token: str) -> dict:
            form = aiohttp.FormData()
            form.add_field("media", data, filename=name, content_type=mime or "application/octet-stream")
            url = f"{self.api_url}/cgi-bin/media/upload"
            return await self._request("POST", url, {"access_token": token, "type": "file"}, data=form)

        body = await self._with_token(call)
        return str(body["media_id"])

    async def download(self, media_id: str) -> tuple[bytes, str | None]:
        """A customer's image or file, and its file name when WeCom gives one (Content-Disposition)."""

        async def call(token: str) -> tuple[bytes, str | None]:
            url = f"{self.api_url}/cgi-bin/media/get"
            try:
                async with self.http.get(url, params={"access_token": token, "media_id": media_id}) as resp:
                    if resp.status >= 500:
                        raise Transient(f"HTTP {resp.status}")
                    data = await resp.read()
                    kind = resp.headers.get("Content-Type", "")
                    name = resp.content_disposition.filename if resp.content_disposition else None
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise Transient(type(exc).__name__) from exc
            if kind.startswith(("application/json", "text/plain")):  # an error comes as JSON
                _check(_parse(data))
            return data, name

        return await self._with_token(call)

    # --- plumbing --------------------------------------------------------------------------------

    async def _with_token(self, call):
        token = await self.token()
        try:
            return await call(token)
        except WeComError as exc:
            if exc.code not in TOKEN_ERRORS:
                raise
            log.info("access token refused (%s): fetching a new one", exc.code)
            return await call(await self.token(fresh=True))

    async def _get_json(self, path: str, params: dict, *, auth: bool = True) -> dict:
        return await self._request("GET", f"{self.api_url}{path}", params)

    async def _post_json(self, path: str, payload: dict, token: str) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return await self._request(
            "POST",
            f"{self.api_url}{path}",
            {"access_token": token},
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    async def _request(self, method: str, url: str, params: dict, **kw) -> dict:
        try:
            async with self.http.request(method, url, params=params, **kw) as resp:
                if resp.status >= 500:
                    raise Transient(f"HTTP {resp.status}")
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Transient(type(exc).__name__) from exc
        return _check(_parse(raw))


def _parse(raw: bytes) -> dict:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Transient("WeCom answered something that is not JSON") from exc
    if not isinstance(body, dict):
        raise Transient("WeCom answered something that is not a JSON object")
    return body


def _check(body: dict) -> dict:
    code = int(body.get("errcode") or 0)
    if code == 0:
        return body
    message = str(body.get("errmsg") or "")
    if code in BUSY:
        raise Transient(f"WeCom busy ({code})")
    if code in RATE_LIMITED:
        raise RetryAfter(2.0)
    if code in GONE:
        raise Forbidden(f"WeCom error {code}: {message}")
    raise WeComError(code, message)
