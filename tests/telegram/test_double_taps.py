"""Double taps over real HTTP: a button pressed twice (before the bot took it away) does its work once;
the second press is answered "already on its way" (a notice on the button) and does nothing else."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import FRAMEWORKS
from tests.telegram.merchant import ANSWERS, Merchant, shown, shown_telegram

USER = 7301
ALREADY = "Already on its way"


async def _to_review(merchant: Merchant) -> None:
    await merchant.send("/start")
    for _ in range(120):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            return
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks in ("evidence.kind", "evidence.file"):
            await merchant.press("done") if "done" in merchant.choices else await merchant.press("skip")
        else:
            await merchant.answer(asks, ANSWERS)
    raise AssertionError("never reached the review: " + merchant.text)


async def _double_tap(fake, merchant: Merchant, choice: str) -> list:
    """Press `choice` twice on the message that shows it; return what the chat got, checked against one
    press on the reference."""
    reference = await merchant._local(merchant.reference.choose, choice)
    message = next(m for m in reversed(fake.chat(USER)) if choice in m.choice_ids)
    before = len(fake.chat(USER))
    notices = dict(fake.callback_texts)
    first = fake.press(USER, message.message_id, choice)
    second = fake.press(USER, message.message_id, choice)  # the button is still there: not yet edited
    await merchant._wait(first)
    await merchant._wait(second)
    merchant.last = reference
    after = fake.chat(USER)[before:]
    assert shown_telegram(after) == shown(reference)  # exactly what one press shows
    new_notices = [text for cid, text in fake.callback_texts.items() if cid not in notices]
    assert len(new_notices) == 1 and ALREADY in new_notices[0], new_notices
    assert not fake.unanswered_callbacks
    return after


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_double_taps_do_the_work_once(framework, fake, start_bot, tmp_path):
    runtime = await start_bot(framework, "polling")
    merchant = Merchant.create(fake, runtime, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await _to_review(merchant)
    after = await _double_tap(fake, merchant, "confirm")
    texts = "\n".join(m.text for m in after if m.kind == "text")
    assert "nothing to confirm" not in texts.lower()
    assert sum(1 for m in after if "output:all" in m.choice_ids) == 1  # one outputs menu
    after = await _double_tap(fake, merchant, "output:all")
    names = [m.file_name for m in after if m.kind == "document"]
    assert names.count("evidence-pack.zip") == 1 and len(names) == len(set(names)) > 2, names
