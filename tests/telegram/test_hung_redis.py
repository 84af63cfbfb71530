"""A hung Redis (accepts, never answers) behind the shared rate limit, over real HTTP: the merchant's
case goes on at full speed after the first timeout, and Redis is not asked again for a while."""

from __future__ import annotations

import pytest

from bot.transports.ratelimit import RedisLimiter
from tests.telegram.conftest import FRAMEWORKS
from tests.telegram.merchant import ANSWERS, Merchant
from tests.test_ratelimit_shared import HangingRedis

USER = 7401


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_case_goes_on_while_redis_hangs(framework, fake, start_bot, tmp_path, caplog):
    hanging = HangingRedis()
    # limits far above what the test sends (the limits themselves have their own tests)
    limiter = RedisLimiter(
        await hanging.start(), per_chat=1000, chat_burst=1000, overall=1000, timeout=0.3, retry_after=600
    )
    caplog.set_level("INFO", "bot.ratelimit")
    try:
        runtime = await start_bot(framework, "polling", limiter=limiter)
        merchant = Merchant.create(
            fake, runtime, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}"
        )
        await merchant.send("/start")
        asked = hanging.requests
        for _ in range(12):  # a dozen answers, each with its reply: none of them asks Redis
            await merchant.answer(merchant.asks, ANSWERS)
        assert merchant.asks not in (None, "case.scenario")
        assert asked >= 1 and hanging.requests == asked
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ratelimit"]
        assert len(warnings) == 1, warnings
    finally:
        await hanging.stop()
