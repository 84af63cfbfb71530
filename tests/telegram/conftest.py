"""Fixtures for the Telegram runtimes: a fake Bot API server and bots started against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.settings import Settings, load
from bot.storage import repo
from bot.storage.models import CaseRow
from bot.transports.ratelimit import InProcessLimiter
from bot.transports.telegram import Runtime
from testkit.fake_bot_api import FakeBotAPI
from testkit.net import free_port
from tests.conftest import FIXED_NOW

FRAMEWORKS = ("ptb", "aiogram")
MODES = ("polling", "webhook")


def fast_limiter() -> InProcessLimiter:
    """Limits far above what a test sends, so tests do not wait (the limiter has its own tests)."""
    return InProcessLimiter(per_chat=1000, chat_burst=1000, overall=1000, overall_burst=1000)


def bot_settings(fake: FakeBotAPI, framework: str, mode: str, database_url: str, **env: str) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        **env,
    }
    if mode == "webhook":
        port = free_port()
        values.setdefault("WEBHOOK_URL", f"http://127.0.0.1:{port}/telegram/webhook")
        values.setdefault("PORT", str(port))
        values.setdefault("WEBHOOK_SECRET", "test-secret_123")
    return load(values, dotenv=False)


@pytest.fixture
def deterministic_case_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case ids T0000001, T0000002... per database, so that runs on different databases compare equal."""

    def next_id(db) -> str:
        count = db.execute(select(func.count()).select_from(CaseRow)).scalar_one()
        return f"T{count + 1:07d}"

    monkeypatch.setattr(repo, "new_case_id", next_id)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


StartBot = Callable[..., "Runtime"]


@pytest.fixture
async def start_bot(fake: FakeBotAPI, tmp_path, deterministic_case_ids) -> AsyncIterator[Callable]:
    """`await start_bot(framework, mode, database_url=None, clock=..., **kw)` starts a bot on the fake server."""
    running: list[Runtime] = []

    async def start(
        framework: str,
        mode: str,
        database_url: str | None = None,
        clock: Callable[[], datetime] | None = lambda: FIXED_NOW,
        env: dict | None = None,
        **kw,
    ) -> Runtime:
        url = database_url or f"sqlite:///{tmp_path / f'{framework}-{mode}-{len(running)}.sqlite3'}"
        settings = bot_settings(fake, framework, mode, url, **(env or {}))
        kw.setdefault("limiter", fast_limiter())
        kw.setdefault("backoff", 0.01)
        kw.setdefault("reminder_interval", 3600)
        kw.setdefault("warm_up", False)  # a warm-up per test would only spend CPU; test_runtime checks it
        runtime = Runtime(settings, clock=clock, host="127.0.0.1", **kw)
        await runtime.start()
        running.append(runtime)
        return runtime

    try:
        yield start
    finally:
        for runtime in reversed(running):
            await runtime.stop()
