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

    def answer_until(self, field_id: str, answers: dict[str, str], limit: int = 80) -> Chat:
        """Answer questions from `answers` (choice value or text; missing: skip) until `field_id` is asked."""
        for _ in range(limit):
            asked = self.asks
            if asked == field_id:
                return self
            if asked is None:
                raise AssertionError(f"no question asked before {field_id}; last: {self.text}")
            value = answers.get(asked)
            if "done" in self.choices and (
                asked == "evidence.kind" or (asked == "txn.datetime" and self.item)
            ):
                self.choose("done")
            elif value is None:
                self.choose("skip")
            elif f"{asked}={value}" in self.choices:
                self.choose(f"{asked}={value}")
            else:
                self.send(value)
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
        if chat.asks == "txn.datetime" and chat.item == 1:
            chat.choose("done")
            continue
        if chat.asks == "evidence.kind":
            chat.choose("done")
            continue
        value = answers.get(chat.asks)
        if value is None:
            chat.choose("skip")
        elif f"{chat.asks}={value}" in chat.choices:
            chat.choose(f"{chat.asks}={value}")
        else:
            chat.send(value)
    raise AssertionError("never reached the review: " + chat.text)
