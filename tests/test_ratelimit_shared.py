"""The outgoing limit shared through Redis (REDIS_URL): two workers' limiters count together."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from bot.settings import SettingsError, load
from bot.transports.ratelimit import InProcessLimiter, RedisLimiter, make_limiter

REDIS = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


def test_redis_url_setting_chooses_the_limiter() -> None:
    assert load({}, dotenv=False).redis_url is None
    assert isinstance(make_limiter(None), InProcessLimiter)  # one worker needs no Redis
    assert load({"REDIS_URL": REDIS}, dotenv=False).redis_url == REDIS
    with pytest.raises(SettingsError, match="REDIS_URL"):
        load({"REDIS_URL": "127.0.0.1:6379"}, dotenv=False)


@needs_redis
async def test_two_limiters_share_the_overall_limit() -> None:
    prefix = f"test-limits:{uuid.uuid4().hex}"
    first = RedisLimiter(REDIS, overall=10, prefix=prefix)
    second = RedisLimiter(REDIS, overall=10, prefix=prefix)
    sent: list[float] = []

    async def send(limiter: RedisLimiter, chat_id: int) -> None:
        await limiter.acquire(chat_id)
        sent.append(time.monotonic())

    try:
        started = time.monotonic()
        await asyncio.gather(*(send(first if n % 2 else second, 100 + n) for n in range(25)))
        # 25 messages at 10 a second shared: at least three windows (two limiters counting apart would
        # let 20 through in the first second and finish in about one). A loaded machine only makes it
        # slower, so this holds under load; a count per second measured here would not.
        assert time.monotonic() - started >= 1.9
        assert len(sent) == 25
    finally:
        await first.aclose()
        await second.aclose()


@needs_redis
async def test_a_flood_wait_holds_every_worker() -> None:
    prefix = f"test-limits:{uuid.uuid4().hex}"
    first, second = RedisLimiter(REDIS, prefix=prefix), RedisLimiter(REDIS, prefix=prefix)
    try:
        first.hold(None, 0.4)
        await asyncio.sleep(0.05)  # the hold is written in the background
        started = time.monotonic()
        await second.acquire(7)
        assert time.monotonic() - started >= 0.3
    finally:
        await first.aclose()
        await second.aclose()


async def test_unreachable_redis_limits_in_process_and_loses_nothing() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0")
    try:
        await asyncio.wait_for(limiter.acquire(1), 5)  # counted locally, the message still goes
    finally:
        await limiter.aclose()


class HangingRedis:
    """A TCP front for Redis that can hang: it accepts connections and reads, and never answers (a
    Redis stuck on a full disk or a dead replica behind a load balancer), or passes everything on."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 6379)) -> None:
        self.target = target
        self.hung = True
        self.requests = 0  # reads received while hung: how often the limiter asked
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.hung:
            while await reader.read(65536):
                self.requests += 1
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers.append(up_writer)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_hung_redis_is_asked_once_then_left_alone_for_a_while(caplog) -> None:
    """Before: every send waited out the 2-second timeout again (a whole case took 168 s)."""
    hanging = HangingRedis()
    clock = Clock()
    limiter = RedisLimiter(await hanging.start(), timeout=0.2, retry_after=30, clock=clock)
    caplog.set_level("INFO", "bot.ratelimit")
    try:
        await asyncio.wait_for(limiter.acquire(1), 5)  # waits one timeout, then counts here
        asked = hanging.requests
        assert asked >= 1 and not limiter.shared
        for chat_id in range(2, 40):
            await asyncio.wait_for(limiter.acquire(chat_id), 5)
        limiter.hold(5, 1.0)
        assert hanging.requests == asked  # 38 more sends and a flood wait: Redis left alone
        clock.now += 31  # later: one send tries Redis again; it still hangs, so the wait doubles
        await asyncio.wait_for(limiter.acquire(41), 5)
        assert hanging.requests > asked
        asked = hanging.requests
        clock.now += 31
        await asyncio.wait_for(limiter.acquire(42), 5)
        assert hanging.requests == asked  # 60 s now
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ratelimit"]
        assert len(warnings) == 1 and "unavailable (TimeoutError)" in warnings[0], warnings  # said once
    finally:
        await limiter.aclose()
        await hanging.stop()


@needs_redis
async def test_redis_is_used_again_when_it_answers_again(caplog) -> None:
    hanging = HangingRedis()
    clock = Clock()
    limiter = RedisLimiter(
        await hanging.start(),
        timeout=0.2,
        retry_after=30,
        clock=clock,
        prefix=f"test-limits:{uuid.uuid4().hex}",
    )
    caplog.set_level("INFO", "bot.ratelimit")
    try:
        await asyncio.wait_for(limiter.acquire(1), 5)
        assert not limiter.shared
        hanging.hung = False
        clock.now += 31
        await asyncio.wait_for(limiter.acquire(2), 5)
        assert limiter.shared
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ratelimit"]
        assert len(warnings) == 2 and "back" in warnings[1], warnings
    finally:
        await limiter.aclose()
        await hanging.stop()
