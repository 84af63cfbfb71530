"""Starting `python -m bot` as an operator would: help, one-line setting errors, the console's documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from bot.service import Assistant, Outgoing, RenderJob
from bot.storage import Database
from bot.transports.console import show
from tests.conftest import ROOT

CASE = ROOT / "tests" / "fixtures" / "cases" / "denied-charge-zh.json"


def _bot(
    *args: str, env: dict | None = None, stdin: str = "", timeout: int = 60
) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env={**clean, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_exits_0(flag, tmp_path):
    proc = _bot(flag, env={"DATA_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    for word in (
        "console",
        "polling",
        "webhook",
        "replay",
        "draft",
        "ocr",
        "migrate",
        "TELEGRAM_BOT_TOKEN",
        "DATABASE_URL",
        "LOG_LEVEL",
        "DATA_DIR",
        "WEBHOOK_URL",
    ):
        assert word in proc.stdout
    assert not list(tmp_path.iterdir()), "help started something: it wrote to DATA_DIR"


def test_replay_help_describes_file_and_out():
    proc = _bot("replay", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "FILE" in proc.stdout and "--out DIR" in proc.stdout and "replies.jsonl" in proc.stdout


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}, ("DATABASE_URL", "127.0.0.1:1", "refused")),
        ({"LOG_LEVEL": "LOUD"}, ("LOG_LEVEL", "LOUD")),
        ({"DATA_DIR": "/proc/no-such-folder/data"}, ("DATA_DIR", "cannot be created")),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, ("TELEGRAM_BOT_TOKEN", "@BotFather")),
        (
            {"TELEGRAM_BOT_TOKEN": "123:abc", "WEBHOOK_URL": "http://bot.example.com/hook"},
            ("WEBHOOK_URL", "https"),
        ),
        ({"BOT_FRAMEWORK": "telethon"}, ("BOT_FRAMEWORK",)),
        ({"PORT": "eighty"}, ("PORT",)),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(env, names, tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data"), **env}
    proc = _bot(env=env, timeout=30)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for name in names:
        assert name in lines[0]


def test_a_database_that_does_not_exist_is_named(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it)")
    from sqlalchemy.engine import make_url

    url = make_url(base).set(database="no_such_database_here").render_as_string(hide_password=False)
    proc = _bot(env={"DATA_DIR": str(tmp_path), "DATABASE_URL": url}, timeout=30)
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert (
        "\n" not in line
        and "no_such_database_here" in line
        and "does not exist" in line
        and "createdb" in line
    )


def test_console_says_the_chat_stays_on_this_computer(tmp_path):
    proc = _bot(
        env={"DATA_DIR": str(tmp_path), "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}, stdin="/privacy\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert "this computer" in proc.stdout and "runs on Telegram" not in proc.stdout


def test_console_files_each_cases_documents_in_its_own_folder(tmp_path):
    """Two cases' checklists used to land on one path, the second overwriting the first."""
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    db.migrate()
    assistant = Assistant(db, channel="local")
    case = json.loads(CASE.read_text(encoding="utf-8"))
    now = datetime.fromisoformat("2025-11-28T10:00:00+08:00")
    outbox = tmp_path / "outbox"
    seen = {}
    for case_id in ("CASEA001", "CASEB002"):
        job = RenderJob(1, {**case, "id": case_id}, "checklist", "zh", now)
        messages = assistant.expand(Outgoing(render=job))
        assert messages and all(m.case_id == case_id for m in messages)
        show(messages, outbox, out=open(os.devnull, "w"))  # noqa: SIM115
        seen[case_id] = sorted(p.name for p in (outbox / case_id).iterdir())
    assert seen["CASEA001"] == seen["CASEB002"] and any(n.endswith(".pdf") for n in seen["CASEA001"])
    db.dispose()


def test_console_apologises_for_a_bug_and_keeps_going(tmp_path, monkeypatch):
    """An unexpected error in one action: the merchant gets the localized apology, the chat goes on."""
    from bot.transports import console
    from bot.transports.local import LocalChat, LocalUser

    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    db.migrate()
    chat = LocalChat(Assistant(db, channel="local"), LocalUser(7, "zh-hans"), tz=Assistant(db).tz)

    def broken() -> list[Outgoing]:
        raise RuntimeError("a bug")

    messages = console._safely(chat, broken)
    assert len(messages) == 1 and "出了点问题" in (messages[0].text or "")
    assert console._safely(chat, lambda: chat.send("/start"))[0].text
    db.dispose()


def test_help_does_not_need_a_database(tmp_path):
    """--help works even when the settings are wrong: it reads none of them."""
    proc = _bot("--help", env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/x", "LOG_LEVEL": "LOUD"})
    assert proc.returncode == 0 and "usage" in proc.stdout
