"""One outgoing-message limiter for both Telegram adapters: per chat and overall.

Telegram lets a bot send about one message a second to a chat (short bursts are tolerated) and
about 30 a second overall. Every send goes through `Limiter.acquire(chat_id)` before the API call;
a 429 answer's `retry_after` is passed to `Limiter.hold`, so every later send to that chat (or to
all chats, for a bot-wide flood wait) waits it out.

`InProcessLimiter` counts in this process (the default, no Redis needed). With several workers,
`REDIS_URL` makes every worker use `RedisLimiter`, which counts in Redis through the `limits`
library, so that the limits hold for the bot as a whole.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("bot.ratelimit")


class Limiter(Protocol):
    async def acquire(self, chat_id: int | None) -> None:
        """Wait until one more message may be sent to `chat_id` (None: only the overall limit)."""

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Send nothing to `chat_id` (None: to anyone) for `seconds` (Telegram's retry_after)."""


@dataclass
class _Bucket:
    rate: float  # tokens per second
    burst: float
    tokens: float
    stamp: float
    blocked_until: float = 0.0

    def wait_time(self, now: float) -> float:
        """Seconds until a token is free; takes it when it is free now."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.tokens >= 1 - 1e-6:  # tolerate rounding: a wait of 1e-17 s would never advance the clock
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class InProcessLimiter:
    """Token buckets: `per_chat` messages a second per chat (bursts of `chat_burst`), `overall` in all."""

    per_chat: float = 1.0
    chat_burst: float = 3.0
    overall: float = 30.0
    overall_burst: float = 30.0
    clock: Callable[[], float] = time.monotonic
    idle_chats: int = 10_000  # forget full buckets past this many chats
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _all: _Bucket | None = None

    def __post_init__(self) -> None:
        now = self.clock()
        self._all = _Bucket(self.overall, self.overall_burst, self.overall_burst, now)

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= self.idle_chats:
                self._forget_idle(now)
            bucket = self._chats[chat_id] = _Bucket(self.per_chat, self.chat_burst, self.chat_burst, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        for key, bucket in list(self._chats.items()):
            if (
                bucket.blocked_until <= now
                and bucket.tokens + (now - bucket.stamp) * bucket.rate >= bucket.burst
            ):
                del self._chats[key]

    async def acquire(self, chat_id: int | None) -> None:
        assert self._all is not None
        if chat_id is not None:
            while (wait := self._chat(chat_id, self.clock()).wait_time(self.clock())) > 0:
                await asyncio.sleep(wait)
        while (wait := self._all.wait_time(self.clock())) > 0:
            await asyncio.sleep(wait)

    def hold(self, chat_id: int | None, seconds: float) -> None:
        assert self._all is not None
        now = self.clock()
        bucket = self._all if chat_id is None else self._chat(chat_id, now)
        bucket.blocked_until = max(bucket.blocked_until, now + max(0.0, seconds))


class RedisLimiter:
    """The same limits as `InProcessLimiter`, counted in Redis: every worker of a deployment shares them.

    Counting is the `limits` library's moving window on Redis (`REDIS_URL`): per chat `chat_burst`
    messages in any `chat_burst / per_chat` seconds (3 in 3 s: bursts of three, one a second on
    average), overall `overall` in any second. A 429's `retry_after` is kept in Redis too (a key that
    expires), so one worker's flood wait holds every worker.

    When Redis fails or does not answer within `timeout` (a hung server accepts and never replies),
    the limits are counted in this process for `retry_after` seconds without asking Redis at all;
    then one send tries Redis again (the others keep counting here meanwhile), and each further
    failure doubles the wait up to `retry_max`. The log says so once when Redis goes and once when
    it is back: replies are slowed by one timeout, never by one per message, and never lost.
    """

    PREFIX = "pos-dispute:limits"

    def __init__(
        self,
        url: str,
        *,
        per_chat: float = 1.0,
        chat_burst: int = 3,
        overall: int = 30,
        prefix: str = PREFIX,
        timeout: float = 1.0,
        retry_after: float = 30.0,
        retry_max: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis.asyncio
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter

        storage = RedisStorage(
            "async+" + url,
            implementation="redispy",
            key_prefix=prefix,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._chat = RateLimitItemPerSecond(chat_burst, max(1, round(chat_burst / per_chat)))
        self._all = RateLimitItemPerSecond(overall, 1)
        self._redis = redis.asyncio.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._prefix = prefix
        self._fallback = InProcessLimiter(per_chat, chat_burst, overall, overall)
        self._tasks: set[asyncio.Task] = set()
        self._timeout = timeout
        self._retry_after, self._retry_max = retry_after, retry_max
        self._clock = clock
        self._backoff: float | None = None  # seconds between tries while Redis is out; None: Redis is up
        self._down_until = 0.0
        self._probing = False

    @property
    def shared(self) -> bool:
        """Whether the limits are counted in Redis now (False: in this process, Redis being out)."""
        return self._backoff is None

    def _out(self) -> bool:
        """Leave Redis alone: it failed a moment ago, or another send is trying it again now."""
        return self._probing or self._clock() < self._down_until

    def _failed(self, exc: BaseException) -> None:
        if self._backoff is None:
            self._backoff = self._retry_after
            log.warning(
                "shared rate limit unavailable (%s); limiting in this process, trying Redis again in %.0f s",
                type(exc).__name__,
                self._backoff,
            )
        else:
            self._backoff = min(self._retry_max, self._backoff * 2)
        self._down_until = self._clock() + self._backoff

    def _hold_key(self, chat_id: int | None) -> str:
        return f"{self._prefix}:hold:{'all' if chat_id is None else chat_id}"

    async def _held(self, chat_id: int | None) -> float:
        """Seconds still to wait out a retry_after for this chat or for the whole bot."""
        keys = [self._hold_key(None)] if chat_id is None else [self._hold_key(None), self._hold_key(chat_id)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.pttl(key)
            remaining = await pipe.execute()
        return max(0, *remaining) / 1000

    async def _take(self, item, *identifiers: str) -> float:
        """0 when a message may go now (and it is counted), else the seconds until the window frees one."""
        if await self._limiter.hit(item, *identifiers):
            return 0.0
        stats = await self._limiter.get_window_stats(item, *identifiers)
        return max(0.005, stats.reset_time - time.time()) + random.uniform(0, 0.01)  # jitter: not all at once

    async def acquire(self, chat_id: int | None) -> None:
        if self._out():
            await self._fallback.acquire(chat_id)
            return
        probe = self._backoff is not None  # Redis was out: this send tries it again, alone
        self._probing = probe
        try:
            if chat_id is not None:
                await self._wait(chat_id, self._chat, "chat", str(chat_id))
            await self._wait(chat_id, self._all, "all")
        except Exception as exc:  # Redis unreachable, failing or not answering: count here meanwhile
            self._failed(exc)
            await self._fallback.acquire(chat_id)
            return
        finally:
            if probe:
                self._probing = False
        if probe:
            self._backoff = None
            log.warning("shared rate limit back: limiting in Redis again")

    async def _wait(self, chat_id: int | None, item, *identifiers: str) -> None:
        while True:
            # a hung connection may not honour the socket timeout (a pipeline, a pooled connection)
            async with asyncio.timeout(self._timeout * 3):
                wait = await self._held(chat_id) or await self._take(item, *identifiers)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def hold(self, chat_id: int | None, seconds: float) -> None:
        self._fallback.hold(chat_id, seconds)
        if self._out() or self._backoff is not None:
            return  # counted here until Redis is back
        milliseconds = max(1, int(seconds * 1000))
        task = asyncio.get_running_loop().create_task(self._store_hold(chat_id, milliseconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store_hold(self, chat_id: int | None, milliseconds: int) -> None:
        key = self._hold_key(chat_id)
        try:
            async with asyncio.timeout(self._timeout * 3):
                current = await self._redis.pttl(key)
                if current < milliseconds:
                    await self._redis.set(key, "1", px=milliseconds)
        except Exception as exc:
            self._failed(exc)

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in (self._redis, getattr(getattr(self._limiter.storage, "bridge", None), "storage", None)):
            if client is not None:  # closing a hung connection must not hang the shutdown
                with suppress(Exception):
                    async with asyncio.timeout(self._timeout * 3):
                        await client.aclose()


def make_limiter(redis_url: str | None) -> Limiter:
    """The bot's limiter: shared through Redis when `REDIS_URL` is set, otherwise counted in this process."""
    return RedisLimiter(redis_url) if redis_url else InProcessLimiter()
