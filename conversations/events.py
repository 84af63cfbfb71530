"""Transport-neutral events in and replies out: what every runtime translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FileRef:
    """A file the runtime has already stored (by SHA-256) before the engine sees it."""

    sha256: str
    name: str
    mime: str
    size: int
    is_photo: bool = False
    caption: str | None = None
    notice: str | None = (
        None  # a message id about the kept file (e.g. HEIC cannot be read), shown to the user
    )


@dataclass(frozen=True)
class Incoming:
    """One thing the user did: typed text, a /command, a button press, a file, or something unusable.

    kind: "text" | "command" | "choice" | "file" | "unsupported"
    """

    kind: str
    user_id: int
    now: datetime
    text: str = ""
    command: str = ""  # without the slash, lower case: "skip", "case"
    args: str = ""
    choice: str = ""
    file: FileRef | None = None
    unsupported: str = ""  # "sticker", "voice", "location", ...
    reading: dict | None = None  # what bot.ocr read: {"kind", "layout", "fields", "confidence", "lines"}
    in_album: bool = False  # one of several photos sent together (Telegram's media group)
    language_code: str | None = None
    first_name: str | None = None
    update_id: int | None = None
    chat_id: int | None = None
    chat_type: str = "private"  # "private" | "group" | "supergroup" | "channel"
    message_id: int | None = None  # for a button press: the message that carried the button

    @staticmethod
    def from_text(text: str, **kw) -> Incoming:
        """Typed text; a leading slash makes it a command (`/case K7QF2M9X`, `/skip@MyBot`)."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            head, _, args = stripped[1:].partition(" ")
            return Incoming(
                kind="command", command=head.split("@", 1)[0].lower(), args=args.strip(), text=text, **kw
            )
        return Incoming(kind="text", text=text, **kw)


@dataclass(frozen=True)
class Choice:
    id: str  # stable, at most 64 bytes (Telegram callback data)
    label: str


@dataclass
class Reply:
    """One message to the user. `text` is Telegram HTML with every user value escaped."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    asks: str | None = None
    item: int | None = None  # index in a repeating group (txn, evidence) of the field asked
    asks_all: list[str] | None = None  # when one message asks several fields: all of them, `asks` first
    outputs: list[str] = field(default_factory=list)  # output ids the runtime renders and attaches
    case_id: str | None = None
    lang: str = "zh"
    action: str | None = (
        None  # an account action for the runtime: "export" (send a ZIP), "delete" (erase all)
    )
