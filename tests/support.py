"""A merchant's chat for tests: the real Assistant on a real database, no Telegram."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.service import Assistant, Outgoing
from bot.storage import Database
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text
from tests.conftest import FIXED_NOW, SHANGHAI


class Chat:
    def __init__(
        self,
        db: Database,
        user_id: int = 1001,
        language_code: str = "en",
        now: datetime = FIXED_NOW,
        first_name: str = "Ana",
    ):
        self.db = db
        self.assistant = Assistant(db, tz=SHANGHAI)
        self.local = LocalChat(
            self.assistant, LocalUser(user_id, language_code, first_name), tz=SHANGHAI, now=now
        )
        self.local.next_update_id = user_id * 1_000_000  # update ids are unique per bot, as on Telegram
        self.last: list[Outgoing] = []

    def send(self, text: str) -> Chat:
        self.last = self.local.send(text)
        return self

    def choose(self, choice_id: str) -> Chat:
        assert choice_id in self.choices, f"{choice_id} not offered; offered: {self.choices}"
        self.last = self.local.choose(choice_id)
        return self

    def press_anyway(self, choice_id: str) -> Chat:
        """Press a button that may not be on the last message (an old message's button)."""
        self.last = self.local.choose(choice_id)
        return self

    def file(self, path: Path, caption: str | None = None, photo: bool = True) -> Chat:
        self.last = self.local.send_file(path, caption=caption, as_photo=photo)
        return self

    def unsupported(self, what: str) -> Chat:
        self.last = self.local.unsupported(what)
        return self

    @property
    def asks(self) -> str | None:
        for msg in reversed(self.last):
            if msg.asks:
                return msg.asks
        return None

    @property
    def asks_all(self) -> list[str]:
        """Every field the last question asks (several when asked together), `asks` first."""
        for msg in reversed(self.last):
            if msg.asks:
                return msg.asks_all or [msg.asks]
        return []

    @property
    def item(self) -> int | None:
        for msg in reversed(self.last):
            if msg.asks:
                return msg.item
        return None

    @property
    def choices(self) -> list[str]:
        return [c.id for m in self.last for c in m.choices]

    @property
    def text(self) -> str:
        return "\n".join(html_to_text(m.text) for m in self.last if m.text)

    @property
    def files(self) -> list[str]:
        return [m.file.name for m in self.last if m.file]

    def case(self) -> dict:
        exported = self.assistant.case_export(self.local.user.id)
        assert exported is not None
        return exported

    def answer(self, answers: dict[str, str], stop_at: str | None = None) -> Chat:
        """Answer the question asked from `answers` (choice value or text; missing: skip), as a merchant
        would: a button, a line, or one line per field when several are asked together. With `stop_at`
        among the fields asked together but not first, only the first is answered (so that it comes up)."""
        fields = self.asks_all
        asked = fields[0]
        if "done" in self.choices and (asked == "evidence.file" or (asked == "txn.datetime" and self.item)):
            return self.choose("done")
        if len(fields) > 1 and stop_at not in fields[1:]:
            values = [answers.get(f) for f in fields]
            if all(v is None for v in values):
                return self.choose("skip")
            return self.send("\n".join(v or "" for v in values))
        value = answers.get(asked)
        if value is None and len(fields) > 1:
            return self.send("-")  # only this one left empty; Skip would leave them all
        if value is None:
            return self.choose("skip") if "skip" in self.choices else self.send("-")
        exact = f"{asked}={value}"
        button = exact if exact in self.choices else None
        button = button or next((c for c in self.choices if c.split("&")[0] == exact), None)
        return self.choose(button) if button else self.send(value)

    def answer_until(self, field_id: str, answers: dict[str, str], limit: int = 80) -> Chat:
        """Answer questions from `answers` until `field_id` is asked (first in its message)."""
        for _ in range(limit):
            if self.asks == field_id:
                return self
            if self.asks is None:
                raise AssertionError(f"no question asked before {field_id}; last: {self.text}")
            self.answer(answers, stop_at=field_id)
        raise AssertionError(f"{field_id} never asked")


DENIED = {
    "case.scenario": "denied_charge",
    "case.goal": "collect_payment",
    "merchant.name": "West Lake Snacks",
    "merchant.merchant_no": "898330158120317",
    "merchant.terminal_id": "30519427",
    "merchant.acquirer": "拉卡拉",
    "merchant.pos_type": "traditional",
    "merchant.phone": "13800138000",
    "txn.datetime": "2025-11-22 18:30",
    "txn.amount": "1288.00",
    "txn.reference_no": "251122183045",
    "txn.type": "sale",
    "customer.claim": "not_me",
    "dispute.stage": "none",
}


def review(chat: Chat, answers: dict[str, str] = DENIED) -> Chat:
    """Answer a whole denied-charge case up to the review."""
    chat.send("/start")
    for _ in range(80):
        if chat.asks is None and "confirm" in chat.choices:
            return chat
        chat.answer(answers)
    raise AssertionError("never reached the review: " + chat.text)
