"""`python -m bot`: console (no token), Telegram polling or webhook, and the tools.

python -m bot                       run: console without TELEGRAM_BOT_TOKEN, else polling/webhook
python -m bot replay FILE --out DIR play a transcript (shared/design/transcripts.md)
python -m bot draft CASE.json --out DIR [--lang zh|en]   render every output of a case file
python -m bot ocr IMAGE...          read slips and print one JSON line per image
python -m bot migrate               apply database migrations and exit
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path


def _settings():
    from bot.settings import SettingsError, load

    try:
        return load()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and not argv[0].startswith("-") else "run"
    rest = argv[1:] if argv and argv[0] == command else argv
    if command == "draft":
        from bot.documents.cli import main as draft_main

        return draft_main(rest)
    if command == "ocr":
        from bot.ocr.cli import main as ocr_main

        return ocr_main(rest)
    if command == "replay":
        parser = argparse.ArgumentParser(prog="python -m bot replay")
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, required=True)
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
        print(__doc__, file=sys.stderr)
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
    from bot.transports.telegram import run as run_telegram

    return run_telegram(settings)


if __name__ == "__main__":
    raise SystemExit(main())
