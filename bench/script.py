"""One merchant's whole case as a list of user actions, recorded once from the replayed transcript.

The engine benchmark replays the shared autopilot transcript directly. The adapter and scale
benchmarks need the same case as Telegram updates (texts and button presses), so it is played
once through the local runtime and each action is kept with what the assistant answered: how
many messages, and which buttons each carried (texts hold case ids and differ between merchants).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.service import Assistant, Outgoing
from bot.storage import Database
from bot.transports.common import split_text
from bot.transports.local import LocalChat, LocalUser
from bot.transports.replay import Player, Recorder

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "tests" / "transcripts" / "acceptance" / "denied-charge-zh-autopilot.yaml"
FALLBACK = ROOT / "tests" / "transcripts" / "lost-terminal-zh-typed.yaml"
ENGLISH = ROOT / "tests" / "transcripts" / "acceptance" / "lost-terminal-en-autopilot.yaml"
USERS = {"zh": ("zh-hans", "测试"), "en": ("en", "Sam")}
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 28, 10, 0, tzinfo=TZ)  # the transcript's dates are answers relative to this day
DATE_FIELDS = ("datetime", "_at", "deadline", "date")


def transcript(lang: str = "zh") -> tuple[Path, dict]:
    """The autopilot case a merchant of `lang` plays; FileNotFoundError when there is none for it."""
    path = (TRANSCRIPT if TRANSCRIPT.exists() else FALLBACK) if lang == "zh" else ENGLISH
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Action:
    kind: str  # "text" | "choice"
    value: str
    asks: str | None  # the field the question before this action asked (None: none)
    replies: tuple[tuple[str, ...], ...]  # per message sent in answer: its buttons' choice ids

    @property
    def is_date(self) -> bool:
        """A typed answer to a date question: the one kind of answer that goes through the date parsers."""
        return self.kind == "text" and any(key in (self.asks or "") for key in DATE_FIELDS)


def shown(messages: list[Outgoing]) -> tuple[tuple[str, ...], ...]:
    """What a Telegram chat shows of the replies: one entry per message (long texts are split)."""
    out: list[tuple[str, ...]] = []
    for message in messages:
        if message.text:
            pieces = split_text(message.text)
            out.extend(() for _ in pieces[:-1])
            out.append(tuple(c.id for c in message.choices))
        if message.file is not None:
            out.append(())
    return tuple(out)


@dataclass
class _RecordingChat(LocalChat):
    actions: list[Action] = field(default_factory=list)
    asks: str | None = None

    def _keep(self, kind: str, value: str, out: list[Outgoing]) -> list[Outgoing]:
        self.actions.append(Action(kind, value, self.asks, shown(out)))
        self.asks = next((m.asks for m in reversed(out) if m.asks), None)
        return out

    def send(self, text: str) -> list[Outgoing]:
        return self._keep("text", text, super().send(text))

    def choose(self, choice_id: str) -> list[Outgoing]:
        return self._keep("choice", choice_id, super().choose(choice_id))


@cache
def case_script(lang: str = "zh") -> tuple[Action, ...]:
    """The denied-charge autopilot case (no files, no documents), as user actions with their replies;
    `lang="en"`: the English lost-terminal case."""
    path, doc = transcript(lang)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/script.sqlite3")
        database.migrate()
        chat = _RecordingChat(Assistant(database, tz=TZ), LocalUser(1, *USERS[lang]), tz=TZ, now=NOW)
        recorder = Recorder(Path(tmp) / "out")
        try:
            Player(chat, recorder, path.parent).play_autopilot(doc["autopilot"], None)
        finally:
            recorder.close()
            database.dispose()
    return tuple(chat.actions)
