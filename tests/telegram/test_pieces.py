"""The small pieces both adapters share: limiter, keyboard layout, long texts, rebuilding a question's HTML."""

from __future__ import annotations

import asyncio
import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.transports.common import Entity, entities_to_html, keyboard, split_text, utf16_len
from bot.transports.ratelimit import InProcessLimiter
from conversations.events import Choice
from testkit.fake_bot_api import parse_html


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _sends_within(limiter: InProcessLimiter, clock: Clock, chat_ids: list[int]) -> float:
    """Simulated seconds needed to send one message to each chat in order (sleeps advance the clock)."""
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds
        await real_sleep(0)

    asyncio.sleep = fake_sleep  # type: ignore[assignment]
    try:
        start = clock.now
        for chat_id in chat_ids:
            await limiter.acquire(chat_id)
        return clock.now - start
    finally:
        asyncio.sleep = real_sleep  # type: ignore[assignment]


async def test_one_chat_gets_a_short_burst_then_one_a_second():
    clock = Clock()
    limiter = InProcessLimiter(clock=clock)
    assert await _sends_within(limiter, clock, [7, 7, 7]) == 0  # the burst
    took = await _sends_within(limiter, clock, [7] * 5)
    assert 4.9 <= took <= 5.1


async def test_many_chats_share_thirty_a_second():
    clock = Clock()
    limiter = InProcessLimiter(clock=clock)
    took = await _sends_within(limiter, clock, list(range(90)))  # 90 chats, one message each
    assert 1.9 <= took <= 2.1  # 30 at once, then 30 a second


async def test_retry_after_holds_the_chat():
    clock = Clock()
    limiter = InProcessLimiter(clock=clock)
    limiter.hold(7, 3)
    assert await _sends_within(limiter, clock, [8]) == 0  # other chats go on
    took = await _sends_within(limiter, clock, [7])
    assert 2.9 <= took <= 3.1


def test_keyboard_two_short_buttons_a_row_long_ones_alone():
    rows = keyboard(
        [
            Choice("a=1", "Yes"),
            Choice("a=2", "No"),
            Choice("a=3", "My POS terminal was lost or stolen"),
            Choice("skip", "Skip"),
            Choice("x" * 65, "Too long for callback data"),
        ]
    )
    assert rows == [
        [("Yes", "a=1"), ("No", "a=2")],
        [("My POS terminal was lost or stolen", "a=3")],
        [("Skip", "skip")],
    ]


def test_keyboard_counts_chinese_as_wide():
    rows = keyboard([Choice("k=1", "签购单（客户签名）"), Choice("k=2", "银行对账单")])
    assert rows is not None and len(rows) == 2


def test_long_text_is_split_at_lines_within_the_limit():
    lines = [f"<b>{i}</b> " + "交易明细 " * 40 for i in range(60)]
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(utf16_len(parse_html(p)[0]) <= 4096 for p in pieces)  # as Telegram counts
    assert "\n".join(pieces) == text


@pytest.mark.parametrize("escaped", ["&lt;", "&amp;", "&gt;", "&quot;"])
def test_a_long_line_of_escaped_text_is_cut_between_characters_never_inside_an_entity(escaped):
    """A review with a 5,000-character answer of '<' (…& | lt;<<… before): cut on the text, then escaped."""
    char = html.unescape(escaped)
    line = html.escape(f"He wrote {char * 5000} and {char}", quote=False)
    text = f"<b>Customer</b>\nStatement: <i>{line}</i>\n<b>Evidence</b>\n1. 😀 photo.jpg"
    pieces = split_text(text)
    assert len(pieces) > 1
    shown = [parse_html(p) for p in pieces]  # each piece valid HTML for Telegram, within its limit
    assert all(utf16_len(plain) <= 4096 for plain, _ in shown)
    assert "".join("".join(plain for plain, _ in shown).split()) == "".join(parse_html(text)[0].split())
    assert all(e["type"] == "italic" for plain, entities in shown[:-1] for e in entities if char in plain)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "b", "i", "code"]), st.text(st.sampled_from('<>&" 交a😀\n'), max_size=900)
        ),
        max_size=40,
    ),
    st.integers(40, 400),
)
@settings(max_examples=200, deadline=None)
def test_any_message_splits_into_valid_pieces_that_keep_its_text(runs, limit):
    text = "".join(
        f"<{tag}>{html.escape(run, quote=False)}</{tag}>" if tag else html.escape(run, quote=False)
        for tag, run in runs
    )
    if not parse_html(text)[0].strip():
        return
    pieces = split_text(text, limit)
    shown = [parse_html(p)[0] for p in pieces]
    assert all(utf16_len(plain) <= limit for plain in shown)
    squash = lambda s: "".join(s.split())  # noqa: E731 - cuts drop the line break or space cut at
    assert squash("".join(shown)) == squash(parse_html(text)[0])


SAMPLES = [
    "<b>Case</b>\nWhat happened?",
    "🔒 <b>签购单</b> &lt;REFER NO.&gt; <i>参考号</i> 251122183045 &amp; more",
    "<b>Evidence 1</b> — <code>photo.jpg</code>\n<i>camera 18:29 <b>bold inside</b></i> 😀 end",
    '<a href="https://example.com/?a=1&amp;b=2">link</a> and <s>old</s> <u>new</u>',
]


def test_question_html_is_rebuilt_from_what_telegram_returns():
    for source in SAMPLES:
        text, entities = parse_html(source)
        rebuilt = entities_to_html(
            text, [Entity(e["type"], e["offset"], e["length"], e.get("url")) for e in entities]
        )
        assert parse_html(rebuilt) == (text, entities)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["b", "i", "code", "u", None]),
            st.text(alphabet=st.sampled_from("ab<&>中文😀 \n"), min_size=1, max_size=8),
        ),
        max_size=8,
    )
)
def test_any_formatted_text_round_trips(parts):
    import html as html_lib

    source = "".join(
        f"<{tag}>{html_lib.escape(s, quote=False)}</{tag}>" if tag else html_lib.escape(s, quote=False)
        for tag, s in parts
    )
    text, entities = parse_html(source)
    rebuilt = entities_to_html(text, [Entity(e["type"], e["offset"], e["length"]) for e in entities])
    assert parse_html(rebuilt) == (text, entities)
