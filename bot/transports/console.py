"""Console mode: chat with the assistant in a terminal, on the embedded database.

Buttons are shown numbered; type the number to press one. `/photo PATH` and `/file PATH` send a
file. Documents are written to DATA_DIR/outbox/. With piped input it reads to the end and exits 0.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.service import Assistant, Outgoing
from bot.settings import Settings
from bot.storage import Database
from bot.transports.common import SORRY
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text
from conversations.i18n import language_from_code, translate

CONSOLE_USER_ID = 1
log = logging.getLogger("bot.console")


def show(messages: list[Outgoing], outbox: Path, out=sys.stdout) -> list[str]:
    """Print the messages; return the button ids in the order they were numbered. A document is written to
    outbox/<case id>/ (one folder a case, so one case's checklist never overwrites another's)."""
    numbered: list[str] = []
    for msg in messages:
        if msg.file is not None:
            folder = outbox / safe_folder(msg.case_id) if msg.case_id else outbox
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / Path(msg.file.name).name
            path.write_bytes(msg.file.data)
            print(f"📄 {path}", file=out)
            continue
        print(html_to_text(msg.text or ""), file=out)
        if msg.choices:
            numbered = []
            for choice in msg.choices:
                numbered.append(choice.id)
                print(f"  [{len(numbered)}] {choice.label}", file=out)
        print(file=out)
    return numbered


def _safely(chat: LocalChat, action: Callable[[], list[Outgoing]]) -> list[Outgoing]:
    """One user action; a bug is logged (one JSON line, no traceback with the merchant's text) and the
    merchant gets the same apology as on Telegram. The action's transaction rolled back: nothing half-saved."""
    try:
        return action()
    except Exception as exc:
        log.error("console action failed: %s", type(exc).__name__)
        return [Outgoing(text="⚠️ " + translate(language_from_code(chat.user.language_code), SORRY))]


def safe_folder(case_id: str) -> str:
    """A case id as a folder name: letters, digits, - and _ only."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in case_id) or "case"


def run(settings: Settings, stdin=sys.stdin, out=sys.stdout) -> int:
    db = Database(settings.database_url)
    db.migrate()
    assistant = Assistant(
        db,
        tz=settings.timezone,
        max_file_bytes=settings.max_file_mb * 1_048_576,
        retention_days=settings.retention_days,
        channel="local",
        ocr=settings.ocr,
    )
    # the terminal's locale picks the language, as a Telegram client's language code would
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or None
    lang = None if lang in ("C", "POSIX", "C.UTF-8") else lang
    chat = LocalChat(assistant, LocalUser(CONSOLE_USER_ID, lang, None), tz=settings.timezone)
    outbox = settings.data_dir / "outbox"
    interactive = stdin.isatty()
    if interactive:
        print("POS Dispute Assistant · POS 纠纷助手 — console mode (Ctrl-D to quit)", file=out)
        print(f"Documents are written to {outbox}/<case id>/\n", file=out)
    buttons = show(_safely(chat, lambda: chat.send("/start")), outbox, out)
    try:
        for raw in stdin:
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if not interactive:
                print(f"> {line}", file=out)
            head, _, rest = line.strip().partition(" ")
            if line.strip().isdigit() and buttons and 1 <= int(line.strip()) <= len(buttons):
                choice = buttons[int(line.strip()) - 1]
                messages = _safely(chat, lambda choice=choice: chat.choose(choice))
            elif head in ("/photo", "/file") and rest:
                path = Path(rest.strip()).expanduser()
                if not path.is_file():
                    print(f"No such file: {path}\n", file=out)
                    continue
                messages = _safely(
                    chat, lambda path=path, photo=head == "/photo": chat.send_file(path, as_photo=photo)
                )
            else:
                messages = _safely(chat, lambda line=line: chat.send(line))
            new_buttons = show(messages, outbox, out)
            if any(m.choices for m in messages):
                buttons = new_buttons
            elif messages:
                buttons = []
    except KeyboardInterrupt:
        pass
    finally:
        db.dispose()
    return 0
