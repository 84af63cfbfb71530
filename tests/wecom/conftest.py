"""Fixtures for the WeCom channel: the fake WeCom server and a running WeCom runtime against it."""

from __future__ import annotations

import pytest

from bot.settings import load
from bot.storage import Database
from bot.transports.wecom import WeComRuntime
from tests.conftest import FIXED_NOW
from tests.telegram.conftest import deterministic_case_ids, fast_limiter, free_port

__all__ = ["deterministic_case_ids"]  # the fixture, for the tests here
from tests.wecom.fake_wecom import AES_KEY, CORP_ID, KF_ID, SECRET, TOKEN, FakeWeCom


def wecom_env(fake: FakeWeCom, database_url: str, **extra: str) -> dict:
    return {
        "BOT_CHANNEL": "wecom_kf",
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_AES_KEY": AES_KEY,
        "WECOM_KF_ID": KF_ID,
        "WECOM_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "PORT": str(free_port()),
        **extra,
    }


@pytest.fixture
async def fake_wecom():
    fake = FakeWeCom()
    await fake.start()
    yield fake
    await fake.stop()


async def start_runtime(fake: FakeWeCom, database_url: str, **kw) -> WeComRuntime:
    settings = load(wecom_env(fake, database_url), dotenv=False)
    runtime = WeComRuntime(
        settings,
        database=Database(database_url),
        clock=lambda: FIXED_NOW,
        sync_interval=3600,
        host="127.0.0.1",
        limiter=fast_limiter(),
        backoff=0.01,
        **kw,
    )
    await runtime.start()
    fake.callback_url = f"http://127.0.0.1:{runtime.port}/wecom/callback"
    return runtime
