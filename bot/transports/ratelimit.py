"""One outgoing-message limiter for both Telegram adapters: per chat and overall.

Telegram lets a bot send about one message a second to a chat (short bursts are tolerated) and
about 30 a second overall. Every send goes through `Limiter.acquire(chat_id)` before the API call;
a 429 answer's `retry_after` is passed to `Limiter.hold`, so every later send to that chat (or to
all chats, for a bot-wide flood wait) waits it out.

`InProcessLimiter` counts in this process. A deployment with several workers can swap in a shared
implementation (for example Redis-backed, through the `limits` library) that keeps this interface.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


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
