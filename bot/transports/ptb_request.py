"""python-telegram-bot's Bot API requests over aiohttp instead of httpx.

ptb sends every call through a `BaseRequest`; its own (`HTTPXRequest`) costs about 1.2 ms of CPU
per call on an idle pool and more than 3 ms with a hundred calls in flight (httpx's pool scans every
connection and waiting call at each step), against 0.15–0.25 ms for aiohttp, which the webhook
server and aiogram already use (both measured against the fake Bot API, client and server
together). Under load that decided a webhook worker's throughput (bench/scale.py).

Same contract as `HTTPXRequest`: form fields as ptb encodes them, files as multipart, ptb's default
timeouts (connect/read/write 5 s, 20 s to write a file, 1 s to wait for a free connection), network
errors raised as `NetworkError` and timeouts as `TimedOut`, which the adapter turns into retries.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue  # the "not given" sentinel, as HTTPXRequest reads it
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class EntityTooLarge(NetworkError):
    """HTTP 413: the upload is over the Bot API's limit; the same call would fail again."""


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 32,
        *,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = write_timeout
        if isinstance(write, DefaultValue):
            write = self._media_write if files else self._write
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no separate write timeout: the whole call may take the write time on top of the read
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            fields = request_data.json_parameters
            if files:
                form = aiohttp.FormData()
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, (file_name, content, mime) in files.items():
                    form.add_field(name, content, filename=file_name, content_type=mime)
                data = form
            else:
                data = fields
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                if response.status == 413:  # ptb would raise a NetworkError, which reads as "try again"
                    raise EntityTooLarge("Request Entity Too Large")
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except (aiohttp.ClientError, OSError) as exc:  # refused, reset, dropped: ptb's network error
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
