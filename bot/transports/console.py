"""Console mode: chat with the assistant in a terminal, on the embedded database.

Buttons are shown numbered; type the number to press one. `/photo PATH` and `/file PATH` send a
file. Documents are written to DATA_DIR/outbox/. With piped input it reads to the end and exits 0.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.service import Assistant, Outgoing
from bot.settings import Settings
from bot.storage import Database
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text

CONSOLE_USER_ID = 1


def show(messages: list[Outgoing], outbox: Path, out=sys.stdout) -> list[str]:
    """Print the messages; return the button ids in the order they were numbered."""
    numbered: list[str] = []
    for msg in messages:
        if msg.file is not None:
            outbox.mkdir(parents=True, exist_ok=True)
            path = outbox / msg.file.name
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


def run(settings: Settings, stdin=sys.stdin, out=sys.stdout) -> int:
    db = Database(settings.database_url)
    db.migrate()
    assistant = Assistant(
        db,
        tz=settings.timezone,
        max_file_bytes=settings.max_file_mb * 1_048_576,
        retention_days=settings.retention_days,
        ocr=settings.ocr,
    )
    # the terminal's locale picks the language, as a Telegram client's language code would
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or None
    lang = None if lang in ("C", "POSIX", "C.UTF-8") else lang
    chat = LocalChat(assistant, LocalUser(CONSOLE_USER_ID, lang, None), tz=settings.timezone)
    outbox = settings.data_dir / "outbox"
    interactive = stdin.isatty()
    if interactive:
        print("POS Dispute Assistant · POS 纠纷助手 — console mode (Ctrl-D to quit)\n", file=out)
    buttons = show(chat.send("/start"), outbox, out)
    try:
        for raw in stdin:
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if not interactive:
                print(f"> {line}", file=out)
            head, _, rest = line.strip().partition(" ")
            if line.strip().isdigit() and buttons and 1 <= int(line.strip()) <= len(buttons):
                messages = chat.choose(buttons[int(line.strip()) - 1])
            elif head in ("/photo", "/file") and rest:
                path = Path(rest.strip()).expanduser()
                if not path.is_file():
                    print(f"No such file: {path}\n", file=out)
                    continue
                messages = chat.send_file(path, as_photo=head == "/photo")
            else:
                messages = chat.send(line)
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
