"""A merchant's whole case, played on Telegram (through the fake Bot API) and on the local runtime side by side.

The reference is `LocalChat`, the runtime console and replay use; after every action the Telegram
chat must show the same messages (text, buttons, documents) as the reference returned. The script
decides its next action from the reference (which knows the field asked), then does the same on
both.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from bot.service import Assistant, Outgoing
from bot.storage import Database
from bot.transports.common import split_text
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text
from bot.transports.telegram import Runtime
from testkit.fake_bot_api import FakeBotAPI, SentMessage
from tests.conftest import FIXED_NOW, SHANGHAI

ANSWERS = {
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
    "dispute.stage": "retrieval",
    "dispute.notified_at": "2025-11-27",
    "dispute.deadline": "2025-12-05",
}


def photo(seed: int, size: tuple[int, int] = (96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (seed * 40 % 256, 90, 200 - seed * 30 % 200)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), (250, 250, 250)).save(buffer, "PDF")
    return buffer.getvalue()


def shown(messages: list[Outgoing]) -> list[dict]:
    """What a merchant sees of the reference replies."""
    out = []
    for message in messages:
        if message.text:
            pieces = split_text(message.text)  # Telegram takes 4096 characters a message
            out.extend({"text": piece, "choices": []} for piece in pieces[:-1])
            out.append({"text": pieces[-1], "choices": [c.id for c in message.choices]})
        if message.file is not None:
            out.append({"file": message.file.name})
    return out


def shown_telegram(messages: list[SentMessage]) -> list[dict]:
    """The same for messages the bot sent on Telegram, as first sent (before edits)."""
    out: list[dict] = []
    for message in messages:
        if message.kind == "text":
            html, markup = message.original
            choices = [  # the case page's button is the Telegram runtime's own (tests/telegram/test_miniapp.py)
                b.get("callback_data")
                for row in (markup or {}).get("inline_keyboard", [])
                for b in row
                if "web_app" not in b
            ]
            out.append({"text": html, "choices": choices})
        elif message.kind == "document":
            out.append({"file": message.file_name})
    return out


@dataclass
class Merchant:
    """One merchant: the same actions on Telegram and on the reference, compared after each."""

    fake: FakeBotAPI
    bot: Runtime
    reference: LocalChat
    tmp: Path
    user_id: int
    last: list[Outgoing] = field(default_factory=list)
    steps: int = 0
    log: list[dict] = field(default_factory=list)
    more_bots: list[Runtime] = field(default_factory=list)  # other processes behind the same webhook

    @classmethod
    def create(cls, fake: FakeBotAPI, bot: Runtime, tmp: Path, user_id: int, reference_db: str) -> Merchant:
        fake.user(user_id, "en", "Ana")
        database = Database(reference_db)
        database.migrate()
        local = LocalChat(
            Assistant(database, tz=SHANGHAI), LocalUser(user_id, "en", "Ana"), tz=SHANGHAI, now=FIXED_NOW
        )
        return cls(fake, bot, local, tmp, user_id)

    # --- what the reference knows ------------------------------------------------------------------

    @property
    def asks(self) -> str | None:
        return next((m.asks for m in reversed(self.last) if m.asks), None)

    @property
    def choices(self) -> list[str]:
        return [c.id for m in self.last for c in m.choices]

    @property
    def text(self) -> str:
        return "\n".join(html_to_text(m.text) for m in self.last if m.text)

    # --- actions -----------------------------------------------------------------------------------

    async def _wait(self, update_id: int) -> None:
        """Until the bot (or, with several processes, one of them) has handled the update."""
        bots = [self.bot, *self.more_bots]
        waits = [asyncio.ensure_future(b.bridge.wait_handled(update_id, timeout=60)) for b in bots]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()

    async def _compare(self, update_ids: list[int], reference: list[Outgoing]) -> list[SentMessage]:
        before = len(self.fake.chat(self.user_id))
        for update_id in update_ids:
            await self._wait(update_id)
        after = self.fake.chat(self.user_id)[before:]
        self.steps += 1
        self.last = reference
        want, got = shown(reference), shown_telegram(after)
        self.log.append({"step": self.steps, "sent": got})
        assert got == want, (
            f"step {self.steps}: Telegram showed\n{json.dumps(got, ensure_ascii=False, indent=1)}\nreference:\n{json.dumps(want, ensure_ascii=False, indent=1)}"
        )
        return after

    async def _local(self, action, *args, **kw) -> list[Outgoing]:
        """A reference action, off the event loop (so that the bots' timeouts keep working)."""
        return await asyncio.wait_for(asyncio.to_thread(action, *args, **kw), 120)

    async def send(self, text: str) -> list[SentMessage]:
        reference = await self._local(self.reference.send, text)
        return await self._compare([self.fake.send_text(self.user_id, text)], reference)

    @property
    def item(self) -> int | None:
        return next((m.item for m in reversed(self.last) if m.asks), None)

    @property
    def asks_all(self) -> list[str]:
        return next(((m.asks_all or [m.asks]) for m in reversed(self.last) if m.asks), [])

    async def answer(self, asks: str | None, answers: dict) -> None:
        """Answer the question from `answers`: its button when one fits, else typed; Skip when none is
        given; one line per field when several are asked together."""
        fields = self.asks_all
        if len(fields) > 1 and fields[0] == asks:
            values = [answers.get(f) for f in fields]
            if all(v is None for v in values):
                await self.press("skip")
            else:
                await self.send("\n".join(v or "" for v in values))
            return
        value = answers.get(asks or "")
        if value is None:
            await self.press("skip")
        elif f"{asks}={value}" in self.choices:
            await self.press(f"{asks}={value}")
        else:
            await self.send(value)

    async def press(self, choice_id: str) -> list[SentMessage]:
        assert choice_id in self.choices, f"{choice_id} not offered: {self.choices}"
        message = next(m for m in reversed(self.fake.chat(self.user_id)) if choice_id in m.choice_ids)
        reference = await self._local(self.reference.choose, choice_id)
        return await self._compare([self.fake.press(self.user_id, message.message_id, choice_id)], reference)

    def _file(self, data: bytes, name: str) -> Path:
        path = self.tmp / name
        path.write_bytes(data)
        return path

    async def photo(self, data: bytes, caption: str | None = None) -> list[SentMessage]:
        name = f"photo-{hashlib.sha256(data).hexdigest()[:16]}.jpg"
        reference = await self._local(
            self.reference.send_file, self._file(data, name), caption=caption, as_photo=True
        )
        return await self._compare([self.fake.send_photo(self.user_id, data, caption)], reference)

    async def album(self, photos: list[bytes]) -> list[SentMessage]:
        """Every photo is kept, one answer after the last: its question (and any earlier refusal)."""
        notes: list[Outgoing] = []
        last: list[Outgoing] = []
        for data in photos:
            name = f"photo-{hashlib.sha256(data).hexdigest()[:16]}.jpg"
            replies = await self._local(
                self.reference.send_file, self._file(data, name), as_photo=True, in_album=True
            )
            if any(m.asks or m.choices for m in replies):
                last = replies
            else:
                notes += replies
        return await self._compare(self.fake.send_album(self.user_id, photos), notes + last)

    async def document(
        self, data: bytes, name: str, mime: str, caption: str | None = None
    ) -> list[SentMessage]:
        reference = await self._local(
            self.reference.send_file, self._file(data, name), caption=caption, as_photo=False
        )
        return await self._compare(
            [self.fake.send_document(self.user_id, data, name, mime, caption)], reference
        )

    async def other(self, kind: str) -> list[SentMessage]:
        reference = await self._local(self.reference.unsupported, kind)
        return await self._compare([self.fake.send_other(self.user_id, kind)], reference)


async def whole_case(merchant: Merchant, outputs: str = "first") -> dict:
    """/start to the documents: buttons, typed answers, a sticker, a photo, an album, a PDF document."""
    await merchant.send("/start")
    evidence_plan = ["signed_slip", "cctv", "bank_statement"]
    kinds_sent: list[str] = []  # evidence items in the order sent
    sticker_sent = False
    for _ in range(120):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            await merchant.press("confirm")
            break
        if asks == "merchant.name" and not sticker_sent:
            sticker_sent = True
            await merchant.other("sticker")
            continue
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks == "evidence.kind":  # a file whose kind was not read: the kind it was sent as
            await merchant.press(f"evidence.kind={kinds_sent[merchant.item or 0]}")
        elif asks == "evidence.file" and not evidence_plan:
            await merchant.press("done")
        elif asks == "evidence.file":
            kind = evidence_plan.pop(0)
            if kind == "signed_slip":
                kinds_sent.append(kind)
                await merchant.photo(photo(1), caption="signed slip, customer's signature")
            elif kind == "cctv":
                kinds_sent.extend([kind, kind])
                await merchant.album([photo(2), photo(3, (128, 96))])
            else:
                kinds_sent.append(kind)
                await merchant.document(
                    pdf(), "statement-nov.pdf", "application/pdf", caption="November statement"
                )
        else:
            await merchant.answer(asks, ANSWERS)
    else:
        raise AssertionError("never reached the review: " + merchant.text)
    offered = [c for c in merchant.choices if c.startswith("output:")]
    assert offered, merchant.text
    wanted = "output:all" if outputs == "all" else next(c for c in offered if c != "output:all")
    sent = await merchant.press(wanted)
    return {"offered": offered, "documents": [m for m in sent if m.kind == "document"], "sent": sent}
