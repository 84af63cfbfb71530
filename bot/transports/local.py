"""What console and replay share: one user, a clock, update ids, files from disk."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import files
from bot.service import Assistant, Outgoing
from conversations import Incoming


@dataclass
class LocalUser:
    id: int
    language_code: str | None = None
    first_name: str | None = None


@dataclass
class LocalChat:
    """A chat with the assistant without Telegram: each call is one user action."""

    assistant: Assistant
    user: LocalUser
    tz: ZoneInfo
    now: datetime | None = None  # fixed clock for reproducible runs; None: the real time
    # update ids must not repeat across runs on one database (a repeat is taken as a redelivery)
    next_update_id: int = field(default_factory=lambda: time.time_ns() // 1000)
    last: list[Outgoing] = field(default_factory=list)

    def _event(self, **kw) -> Incoming:
        update_id = self.next_update_id
        self.next_update_id += 1
        return Incoming(
            user_id=self.user.id,
            chat_id=self.user.id,
            now=self.now or datetime.now(self.tz),
            language_code=self.user.language_code,
            first_name=self.user.first_name,
            update_id=update_id,
            **kw,
        )

    def send(self, text: str) -> list[Outgoing]:
        return self._run(Incoming.from_text(text, **self._base()))

    def choose(self, choice_id: str) -> list[Outgoing]:
        return self._run(self._event(kind="choice", choice=choice_id))

    def send_file(
        self,
        path: Path,
        *,
        caption: str | None = None,
        as_photo: bool | None = None,
        in_album: bool = False,
    ) -> list[Outgoing]:
        data = path.read_bytes()
        if as_photo is None:
            as_photo = (mimetypes.guess_type(path.name)[0] or "").startswith("image/")
        ref = self.assistant.accept_file(self.user.id, data, path.name, is_photo=as_photo, caption=caption)
        if isinstance(ref, files.Refused):
            self.next_update_id += 1
            self.last = self.assistant.refusal(self.user.id, ref, self.user.language_code)
            return self.last
        return self._run(self._event(kind="file", file=ref, in_album=in_album))

    def unsupported(self, what: str) -> list[Outgoing]:
        return self._run(self._event(kind="unsupported", unsupported=what))

    def _base(self) -> dict:
        update_id = self.next_update_id
        self.next_update_id += 1
        return {
            "user_id": self.user.id,
            "chat_id": self.user.id,
            "now": self.now or datetime.now(self.tz),
            "language_code": self.user.language_code,
            "first_name": self.user.first_name,
            "update_id": update_id,
        }

    def _run(self, event: Incoming) -> list[Outgoing]:
        self.last = self.assistant.process(event)
        return self.last
