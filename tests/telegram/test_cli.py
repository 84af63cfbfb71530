"""`python -m bot` with a token and TELEGRAM_API_URL pointed at a local Bot API server: it runs, and it stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from tests.conftest import ROOT

USER = 9001


async def _start(tmp_path, **env: str) -> asyncio.subprocess.Process:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "BOT_", "DATABASE_"))
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,  # no .env there
        env={**clean, "PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path / "data"), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_python_m_bot_answers_through_a_local_bot_api_server(framework, fake, tmp_path):
    process = await _start(
        tmp_path, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.base_url, BOT_FRAMEWORK=framework
    )
    try:
        fake.user(USER, "zh-hans", "王")
        fake.send_text(USER, "/start")
        for _ in range(300):
            if fake.chat(USER):
                break
            await asyncio.sleep(0.1)
        assert fake.chat(USER), "no reply from python -m bot"
        assert "王" in fake.chat(USER)[0].text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert fake.token not in stderr.decode()


async def test_a_refused_token_stops_start_with_one_line(fake, tmp_path):
    process = await _start(
        tmp_path,
        TELEGRAM_BOT_TOKEN="42:not-the-token",
        TELEGRAM_API_URL=fake.base_url,
        BOT_FRAMEWORK="aiogram",
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert lines[-1].startswith("cannot start: TELEGRAM_BOT_TOKEN")


async def test_an_unreachable_api_url_stops_start_with_one_line(tmp_path):
    process = await _start(tmp_path, TELEGRAM_BOT_TOKEN="42:abc", TELEGRAM_API_URL="http://127.0.0.1:9")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "TELEGRAM_API_URL=http://127.0.0.1:9" in stderr.decode().strip().splitlines()[-1]


async def test_a_bad_setting_is_named(tmp_path):
    process = await _start(tmp_path, TELEGRAM_BOT_TOKEN="42:abc", BOT_FRAMEWORK="telethon")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "BOT_FRAMEWORK" in stderr.decode()
