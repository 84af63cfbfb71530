"""One event being handled: the session being changed, the clock and saved data it may use, the replies so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from conversations.events import Choice, Incoming, Reply
from conversations.flow import Step
from conversations.i18n import translate
from conversations.state import Session

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Context:
    now: datetime
    tz: ZoneInfo = SHANGHAI
    profile: dict | None = None  # the user's saved merchant details
    list_cases: Callable[[], list[dict]] = list  # summaries: id, status, scenario, created_at, amount
    load_case: Callable[[str], Session | None] = lambda case_id: None  # only the user's own cases
    new_case_id: Callable[[], str] = lambda: "CASE0001"
    retention_days: int = 365  # closed cases are deleted this long after their last change
    channel: str = "telegram"  # where the chat runs ("telegram", "local"): the privacy notice names it


@dataclass(frozen=True)
class Slot:
    step: Step
    item: int | None  # index in a repeating group

    @property
    def key(self) -> str:
        return slot_key(self.step, self.item)


def slot_key(step: Step, item: int | None) -> str:
    return step.field if item is None else f"{step.group}.{item}.{step.name}"


@dataclass
class Turn:
    """Work in progress for one event: the session being changed and the replies so far."""

    session: Session
    event: Incoming
    ctx: Context
    replies: list[Reply] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # HTML lines put before the next question
    profile: dict | None = None
    switched_from: str | None = None

    @property
    def lang(self) -> str:
        return self.session.lang

    def t(self, message: str, **params: object) -> str:
        return translate(self.lang, message, **params)

    def say(self, text: str, choices: list[Choice] | None = None, **kw) -> None:
        body = "\n\n".join([*self.notes, text]) if self.notes else text
        self.notes = []
        self.replies.append(
            Reply(body, choices or [], case_id=self.session.case_id, lang=self.lang, **kw),
        )

    def note(self, text: str) -> None:
        self.notes.append(text)
