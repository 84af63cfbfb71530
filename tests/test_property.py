"""Random conversations: whatever a merchant sends, the assistant answers, never crashes and loses nothing.

A hypothesis state machine throws text, buttons (offered or not), commands, files, unusable
content, restarts (a new assistant on the same database) and redelivered updates at every step.
`PROPERTY_EXAMPLES` and `PROPERTY_STEPS` set the size: CI runs 60 × 50 (3,000 steps); for a long run,
`PROPERTY_EXAMPLES=250 PROPERTY_STEPS=60 pytest tests/test_property.py` (≥ 10,000 steps).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from PIL import Image

from bot.service import Assistant
from bot.storage import Database
from conversations import Incoming
from conversations.cards import is_card_number
from conversations.flow import STEPS_BY_FIELD
from tests.conftest import FIXED_NOW, SHANGHAI

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
STEPS = int(os.environ.get("PROPERTY_STEPS", "50"))

REALISTIC = [
    "2025-11-22 18:30",
    "昨天晚上8点",
    "11月22日 下午6点半",
    "yesterday 8pm",
    "1288",
    "¥1,288.00",
    "一千二百八十八元",
    "251122183045",
    "004518",
    "83A2F1",
    "898330158120317",
    "30519427",
    "13800138000",
    "0571-87654321",
    "622588******1234",
    "6225881234561230",
    "4111 1111 1111 1111",
    "拉卡拉",
    "yes",
    "否",
    "West Lake <b>Snacks</b>",
    "{{ 7*7 }}",
    "\u202eevil",
    "2025-12-05",
    "12月5日",
    "",
    "   ",
    "x" * 3000,
]
COMMANDS = [
    "/start",
    "/new",
    "/cases",
    "/case",
    "/case ZZZZZZZZ",
    "/skip",
    "/done",
    "/back",
    "/cancel",
    "/help",
    "/lang",
    "/lang en",
    "/lang zh",
    "/bogus",
]
RANDOM_CHOICES = [
    "skip",
    "done",
    "back",
    "confirm",
    "keep",
    "cancel",
    "edit:merchant",
    "edit:txn",
    "edit:txn.1",
    "delete:txn.1",
    "add:txn",
    "edit:evidence",
    "delete:evidence.1",
    "output:checklist",
    "output:zzz",
    "case:ABCDEFGH",
    "case.scenario=lost_terminal",
    "txn.amount=5",
    "nonsense",
]


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (seed % 256, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def _values(case: dict | None) -> dict[str, object]:
    """Every non-empty leaf of a case, by path."""
    found: dict[str, object] = {}
    if not case:
        return found
    for group in ("merchant", "incident", "customer", "dispute"):
        for key, value in (case.get(group) or {}).items():
            if value is not None:
                found[f"{group}.{key}"] = value
    for name in ("scenario", "goal"):
        if case.get(name) is not None:
            found[f"case.{name}"] = case[name]
    for group in ("txn", "evidence"):
        for i, item in enumerate(case.get(group) or []):
            for key, value in item.items():
                if value is not None:
                    found[f"{group}.{i}.{key}"] = value
    return found


_DIGIT_RUN = re.compile(r"\d[\d \-]{11,30}\d")


def _has_full_card_number(blob: str) -> bool:
    return any(is_card_number(re.sub(r"[ \-]", "", m.group(0))) for m in _DIGIT_RUN.finditer(blob))


class Conversation(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.url = f"sqlite:///{Path(self.tmp.name) / 'p.sqlite3'}"
        self.db = Database(self.url)
        self.db.migrate()
        self.assistant = Assistant(self.db, tz=SHANGHAI)
        self.update_id = 0
        self.last_event: Incoming | None = None
        self.replies: list = []
        self.offered: list[str] = []
        self.before: tuple[str | None, dict] = (None, {})
        self.event_kind = ""

    def teardown(self):
        self.db.dispose()
        self.tmp.cleanup()

    def _session(self):
        from bot.storage import repo

        with self.db.session() as s:
            user = repo.lock_user(s, 1)
            return repo.load_session(s, user)

    def _apply(self, event: Incoming) -> None:
        session = self._session()
        self.before = (session.case_id, _values(session.case))
        self.event_kind = event.choice or event.command or event.kind
        self.last_event = event
        self.replies = self.assistant.process(event)
        offered = [c.id for m in self.replies for c in m.choices]
        if offered:
            self.offered = offered

    def _event(self, **kw) -> Incoming:
        self.update_id += 1
        return Incoming(
            user_id=1,
            chat_id=1,
            now=FIXED_NOW + timedelta(seconds=self.update_id),
            update_id=self.update_id,
            language_code="zh-hans",
            first_name="测试",
            **kw,
        )

    @initialize()
    def start(self):
        self._apply(Incoming.from_text("/start", **self._base()))

    def _base(self) -> dict:
        self.update_id += 1
        return {
            "user_id": 1,
            "chat_id": 1,
            "now": FIXED_NOW + timedelta(seconds=self.update_id),
            "update_id": self.update_id,
            "language_code": "zh-hans",
            "first_name": "测试",
        }

    @rule(text=st.one_of(st.sampled_from(REALISTIC), st.text(max_size=60)))
    def type_text(self, text):
        self._apply(Incoming.from_text(text, **self._base()))

    @rule(data=st.data())
    def press_offered(self, data):
        if self.offered:
            self._apply(self._event(kind="choice", choice=data.draw(st.sampled_from(self.offered))))

    @rule(choice=st.sampled_from(RANDOM_CHOICES))
    def press_random(self, choice):
        self._apply(self._event(kind="choice", choice=choice))

    @rule(command=st.sampled_from(COMMANDS))
    def command(self, command):
        self._apply(Incoming.from_text(command, **self._base()))

    @rule(seed=st.integers(0, 5), caption=st.sampled_from([None, "签购单", "card 4111111111111111"]))
    def send_file(self, seed, caption):
        ref = self.assistant.accept_file(1, _png(seed), f"p{seed}.png", is_photo=True, caption=caption)
        self._apply(self._event(kind="file", file=ref))

    @rule(what=st.sampled_from(["sticker", "voice", "location", "poll"]))
    def unusable(self, what):
        self._apply(self._event(kind="unsupported", unsupported=what))

    @rule()
    def restart(self):
        """A new process: a new assistant and database engine on the same file."""
        self.db.dispose()
        self.db = Database(self.url)
        self.db.migrate()
        self.assistant = Assistant(self.db, tz=SHANGHAI)
        self.replies = ["restart"]  # nothing was sent; the invariant below needs a reply per event

    @rule()
    def redeliver(self):
        if self.last_event is not None:
            session = self._session()
            before = (session.case_id, _values(session.case))
            assert self.assistant.process(self.last_event) == []
            after = self._session()
            assert (after.case_id, _values(after.case)) == before
            self.replies = ["redelivered"]

    @invariant()
    def always_a_reply(self):
        assert self.replies, f"no reply to {self.event_kind}"

    @invariant()
    def nothing_collected_is_lost(self):
        case_id, before = self.before
        session = self._session()
        if (
            session.case_id != case_id
            or self.event_kind in ("done",)
            or self.event_kind.startswith("delete:")
        ):
            return
        after = _values(session.case)
        lost = [k for k in before if k not in after]
        assert not lost, f"{self.event_kind} lost {lost}"

    @invariant()
    def consistent_state(self):
        session = self._session()
        if session.case is None:
            return
        assert session.conv.get("mode") in ("form", "review", "done", "edit_list", "idle")
        for msg in self.replies:
            if getattr(msg, "asks", None):
                assert msg.asks in STEPS_BY_FIELD or msg.asks == "merchant.profile"
            for choice in getattr(msg, "choices", []):
                assert len(choice.id.encode()) <= 64
        assert not _has_full_card_number(json.dumps(session.case, ensure_ascii=False))


Conversation.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestConversation = Conversation.TestCase
