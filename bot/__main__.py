"""`python -m bot`: console (no token), Telegram polling or webhook, and the tools; `--help` says all."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

USAGE = """\
usage: python -m bot [COMMAND] [ARGS]

POS Dispute Assistant (POS 纠纷助手). Without a command it runs the bot in the mode the settings pick:
  console   no TELEGRAM_BOT_TOKEN: a chat in this terminal on the embedded SQLite database
            (/photo PATH sends a picture; documents go to DATA_DIR/outbox/<case id>/)
  polling   TELEGRAM_BOT_TOKEN set: long polling with BOT_FRAMEWORK (ptb or aiogram)
  webhook   WEBHOOK_URL set too: an HTTPS webhook server on PORT, with GET /healthz
  wecom_kf  BOT_CHANNEL=wecom_kf: WeChat customer service (微信客服) through WeCom, callback on PORT

commands:
  run                        the mode above (the default)
  console                    the terminal chat even when a token is set
  replay FILE --out DIR      play a transcript (see `replay --help`)
  draft CASE.json --out DIR  render every output of a case file (see `draft --help`)
  ocr IMAGE...               read slips and print one JSON line per image
  migrate                    apply the database migrations and exit

settings (environment variables, or a .env file in the working directory):
  TELEGRAM_BOT_TOKEN   the bot's token from @BotFather (unset: console mode)
  BOT_FRAMEWORK        ptb (default) or aiogram
  TELEGRAM_API_URL     a local Bot API server instead of Telegram's
  WEBHOOK_URL          https:// address Telegram calls (webhook mode)
  WEBHOOK_SECRET       secret token Telegram sends with each webhook call (letters, digits, _ and -)
  PORT                 port of the webhook server (default 8080)
  DATABASE_URL         sqlite:///PATH or postgresql://USER@HOST/DB (default: DATA_DIR/assistant.sqlite3)
  DATA_DIR             folder for the SQLite file and console documents (default ./data)
  REDIS_URL            redis://… to share the outgoing rate limit between workers
  MERCHANT_TZ          merchants' time zone (default Asia/Shanghai)
  RETENTION_DAYS       days a closed case is kept (default 365)
  MAX_FILE_MB          largest file a merchant may send (default 20)
  OCR                  on (default: slip photos are read; the model loads at start) or off
  BOT_CHANNEL          telegram (default) or wecom_kf; wecom_kf needs the five WECOM_ settings:
  WECOM_CORP_ID        企业ID; WECOM_SECRET the 微信客服 Secret; WECOM_KF_ID the account (open_kfid, wk…)
  WECOM_TOKEN          the callback Token; WECOM_AES_KEY its EncodingAESKey (43 characters)
  WECOM_API_URL        WeCom's API (default https://qyapi.weixin.qq.com; a local fake in tests)
  LOG_LEVEL            DEBUG, INFO (default), WARNING or ERROR; JSON lines on standard error

exit status: 0 done, 1 failed, 2 a usage or setting error (one line on standard error says which).
"""


def _settings():
    from bot.settings import SettingsError, check_reachable, load

    try:
        settings = load()
        check_reachable(settings)
        return settings
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(USAGE, end="")
        return 0
    command = argv[0] if argv and not argv[0].startswith("-") else "run"
    rest = argv[1:] if argv and argv[0] == command else argv
    if command == "draft":
        from bot.documents.cli import main as draft_main

        return draft_main(rest)
    if command == "ocr":
        from bot.ocr.cli import main as ocr_main

        return ocr_main(rest)
    if command == "replay":
        parser = argparse.ArgumentParser(
            prog="python -m bot replay",
            description="Play one conversation (a transcript) through the real engine, storage and renderers, "
            "with no network and no token. Exit 0 passed, 1 an expectation failed or the autopilot got stuck, "
            "2 the transcript is not valid.",
        )
        parser.add_argument(
            "file",
            type=Path,
            metavar="FILE",
            help="a transcript in YAML: `user:` and either scripted `steps:` or an `autopilot:` of answers "
            "(../shared/design/transcripts.md)",
        )
        parser.add_argument(
            "--out",
            type=Path,
            required=True,
            metavar="DIR",
            help="folder to write replies.jsonl (one line per message sent), files/ (every document) and case.json",
        )
        parser.add_argument(
            "--database", help="database URL (default: a fresh SQLite file, removed afterwards)"
        )
        parser.add_argument(
            "--now", help="fixed clock, ISO 8601 (default: the transcript's `now:` or real time)"
        )
        args = parser.parse_args(rest)
        from bot.transports import replay

        now = datetime.fromisoformat(args.now) if args.now else None
        return replay.run(args.file, args.out, database_url=args.database, now=now)
    if command == "migrate":
        from bot.storage import Database

        Database(_settings().database_url).migrate()
        return 0
    if command == "console":
        from bot.transports import console

        return console.run(_settings())
    if command != "run":
        print(f"unknown command {command!r}: see `python -m bot --help`", file=sys.stderr)
        return 2
    settings = _settings()
    import os

    from bot import logs

    # in the console the chat is on the terminal: only warnings, unless LOG_LEVEL asks for more
    quiet = settings.mode == "console" and not os.environ.get("LOG_LEVEL")
    logs.setup("WARNING" if quiet else settings.log_level)
    if settings.mode == "console":
        from bot.transports import console

        return console.run(settings)
    if settings.mode == "wecom_kf":
        from bot.transports.wecom import run as run_wecom

        return run_wecom(settings)
    from bot.transports.telegram import run as run_telegram

    return run_telegram(settings)


if __name__ == "__main__":
    raise SystemExit(main())
