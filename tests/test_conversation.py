"""A merchant's conversation, through the real assistant and database: the stories the engine must tell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.service import Assistant
from conversations import Incoming
from tests.conftest import FIXED_NOW, SHANGHAI
from tests.support import DENIED, Chat, review


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "slip.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (240, 240, 230)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return path


def test_first_question_carries_its_field_and_buttons(db):
    chat = Chat(db).send("/start")
    assert chat.asks == "case.scenario"
    assert chat.choices == [
        "case.scenario=lost_terminal&incident.how=stolen",  # lost or stolen, said in the first answer
        "case.scenario=lost_terminal&incident.how=lost",
        "case.scenario=lost_terminal",
        "case.scenario=denied_charge",
    ]
    assert "Telegram" in chat.text  # the privacy notice comes before the first case


def test_chinese_client_gets_chinese(db):
    chat = Chat(db, language_code="zh-hans").send("/start")
    assert "发生了什么" in chat.text or "什么" in chat.text


def test_lost_terminal_urgent_steps_come_first(db):
    chat = Chat(db).send("/start").choose("case.scenario=lost_terminal&incident.how=stolen")
    assert "frozen" in chat.text and "police" in chat.text and "password" in chat.text
    assert chat.asks == "incident.lost_at"
    assert chat.case()["incident"]["how"] == "stolen"  # not asked again
    assert "1 of 6: Lost terminal" in chat.text  # where the merchant stands


def test_rejected_answer_keeps_everything_and_asks_again(db):
    chat = Chat(db).send("/start")
    chat.answer_until("txn.amount", DENIED)
    chat.send("abc")
    assert chat.asks == "txn.amount"
    assert "1288.00" in chat.text  # the reason shows an example
    chat.send("-5").send("0")
    assert chat.asks == "txn.amount"
    chat.send("¥1,288")
    assert chat.asks == "txn.reference_no"
    case = chat.case()
    assert case["txn"][0]["datetime"] == "2025-11-22T18:30:00+08:00"
    assert case["txn"][0]["amount"] == "1288.00"


def test_reference_number_reason_names_the_slip_line(db):
    chat = Chat(db).send("/start")
    chat.answer_until("txn.reference_no", DENIED)
    chat.send("25112218304")
    assert chat.asks == "txn.reference_no"
    assert "REFER NO." in chat.text and "11" in chat.text


def test_back_and_skip(db):
    chat = Chat(db).send("/start")
    chat.answer_until("merchant.pos_type", DENIED)
    chat.send("/back")
    assert chat.asks == "merchant.acquirer"
    assert "Lakala" in chat.text  # the current answer is shown
    assert "keep" in chat.choices
    chat.choose("keep")
    assert chat.asks == "merchant.pos_type"
    chat.send("/skip")  # required: cannot be skipped
    assert chat.asks == "merchant.pos_type"
    assert "can't be skipped" in chat.text


def test_skip_leaves_every_optional_field_asked_together_empty(db):
    chat = Chat(db).send("/start")
    chat.answer_until("merchant.merchant_no", DENIED)
    assert chat.asks_all[:3] == ["merchant.merchant_no", "merchant.terminal_id", "txn.voucher_no"]
    chat.send("/skip")
    assert chat.asks == "txn.type"
    case = chat.case()
    assert case["merchant"]["merchant_no"] is None and case["txn"][0]["auth_code"] is None


def test_cancel_then_reopen(db):
    chat = Chat(db).send("/start")
    chat.answer_until("merchant.phone", DENIED)
    case_id = chat.case()["id"]
    chat.send("/cancel")
    assert "cancel" in chat.text.lower() and case_id in chat.text
    chat.send(f"/case {case_id}")
    assert chat.asks == "merchant.phone"
    assert chat.case()["merchant"]["name"] == "West Lake Snacks"


def test_review_edit_a_group_and_come_back(db):
    chat = review(Chat(db))
    assert "West Lake Snacks" in chat.text
    assert {"edit:case", "edit:merchant", "edit:txn", "confirm"} <= set(chat.choices)
    assert "edit:incident" not in chat.choices  # only for a lost terminal
    chat.choose("edit:merchant")  # the group's values as buttons, not its questions again
    assert chat.asks is None and "West Lake Snacks" in chat.text and "13800138000" in chat.text
    assert {"edit:merchant.name", "edit:merchant.phone", "back"} <= set(chat.choices)
    chat.choose("edit:merchant.name")
    assert chat.asks == "merchant.name" and "keep" in chat.choices
    chat.send("West Lake Snacks & Tea")
    assert "confirm" in chat.choices  # straight back to the review
    assert "West Lake Snacks &amp; Tea" not in chat.text and "West Lake Snacks & Tea" in chat.text
    assert chat.case()["merchant"]["merchant_no"] == "898330158120317"


def test_review_edit_one_value_of_a_transaction(db):
    chat = review(Chat(db))
    chat.choose("edit:txn").choose("edit:txn.1")
    assert "edit:txn.1.amount" in chat.choices and "¥1,288.00" in chat.text
    chat.choose("edit:txn.1.amount")
    assert chat.asks == "txn.amount" and chat.asks_all == ["txn.amount"]
    chat.send("1200")
    assert "confirm" in chat.choices
    txn = chat.case()["txn"][0]
    assert txn["amount"] == "1200.00" and txn["reference_no"] == "251122183045"


def test_review_add_and_remove_transactions(db):
    chat = review(Chat(db))
    chat.choose("edit:txn")
    assert "edit:txn.1" in chat.choices and "add:txn" in chat.choices
    chat.choose("add:txn")
    assert chat.asks == "txn.datetime" and chat.item == 1
    chat.send("2025-11-22 19:05\n66")
    for _ in range(10):
        if chat.asks is None:
            break
        chat.choose("txn.type=sale" if chat.asks == "txn.type" else "skip")
    assert "confirm" in chat.choices
    assert len(chat.case()["txn"]) == 2
    chat.choose("edit:txn")
    chat.choose("delete:txn.2")
    assert "confirm" in chat.choices or "add:txn" in chat.choices
    assert len(chat.case()["txn"]) == 1


def test_confirm_saves_and_offers_outputs(db):
    chat = review(Chat(db))
    chat.choose("confirm")
    case = chat.case()
    assert case["status"] == "confirmed"
    assert any(c.startswith("output:") for c in chat.choices)
    assert case["id"] in chat.text


def test_merchant_profile_is_offered_for_the_next_case(db):
    chat = review(Chat(db))
    chat.choose("confirm")
    chat.send("/new")
    chat.choose("case.scenario=denied_charge")
    assert chat.asks == "merchant.profile"  # first: the saved numbers fill the slip's
    assert "West Lake Snacks" in chat.text
    chat.choose("merchant.profile=reuse")
    assert chat.asks == "txn.datetime"
    assert chat.case()["merchant"]["phone"] == "13800138000"


def test_profile_change_asks_again(db):
    chat = review(Chat(db))
    chat.choose("confirm")
    chat.send("/new").choose("case.scenario=denied_charge")
    chat.choose("merchant.profile=change")
    assert chat.asks == "txn.datetime"
    chat.answer_until("merchant.name", DENIED)
    assert chat.case()["merchant"]["name"] is None


def test_cases_are_listed_and_only_the_owner_opens_one(db):
    chat = review(Chat(db, user_id=1))
    chat.choose("confirm")
    case_id = chat.case()["id"]
    chat.send("/cases")
    assert case_id in chat.text and f"case:{case_id}" in chat.choices
    other = Chat(db, user_id=2).send("/start")
    other.send(f"/case {case_id}")
    assert "no case" in other.text.lower()
    other.press_anyway(f"case:{case_id}")
    assert "no case" in other.text.lower()
    assert other.asks == "case.scenario" or other.asks is None


def test_language_switch(db):
    chat = Chat(db).send("/start")
    chat.send("/lang")
    assert {"case.language=zh", "case.language=en"} <= set(chat.choices)
    chat.choose("case.language=zh")
    assert chat.asks == "case.scenario"
    chat.send("/lang en")
    assert "English" in chat.text


def test_unsupported_content_gets_a_hint_and_the_question_again(db):
    chat = Chat(db).send("/start")
    chat.unsupported("sticker")
    assert chat.asks == "case.scenario" and "sticker" in chat.text.lower()
    chat.unsupported("voice")
    assert chat.asks == "case.scenario" and "voice" in chat.text.lower()


def test_unknown_command_and_help(db):
    chat = Chat(db).send("/start")
    chat.send("/frobnicate")
    assert "/frobnicate" in chat.text and chat.asks == "case.scenario"
    chat.send("/help")
    assert "/skip" in chat.text and chat.asks == "case.scenario"


def test_old_button_is_refused_politely(db):
    chat = Chat(db).send("/start").choose("case.scenario=denied_charge")
    chat.press_anyway("case.scenario=lost_terminal")
    assert chat.asks == "txn.datetime"
    assert chat.case()["scenario"] == "denied_charge"


def test_full_card_number_is_masked_on_arrival(db):
    chat = Chat(db).send("/start")
    chat.answer_until("customer.statement", DENIED)
    chat.send("He paid with card 4111 1111 1111 1111 and now denies it")
    assert "masked" in chat.text
    statement = chat.case()["customer"]["statement"]
    assert statement == "He paid with card 4111 11** **** 1111 and now denies it"  # masked in place


def test_photo_during_the_form_becomes_evidence(db, photo):
    chat = Chat(db).send("/start")
    chat.answer_until("txn.amount", DENIED)
    chat.file(photo, caption="signed slip")
    assert chat.asks == "txn.amount"
    assert "evidence" in chat.text.lower()
    evidence = chat.case()["evidence"]
    assert len(evidence) == 1 and evidence[0]["sha256"] and evidence[0]["caption"] == "signed slip"


def test_evidence_album_each_photo_is_kept(db, photo, tmp_path):
    other = tmp_path / "cctv.png"
    Image.new("RGB", (32, 32), (10, 20, 30)).save(other, "PNG")
    chat = Chat(db).send("/start")
    chat.answer_until("evidence.file", DENIED)
    assert chat.asks_all == ["evidence.file", "evidence.caption"] and "done" in chat.choices
    chat.file(photo).file(other, caption="counter camera 18:29")  # several at once
    assert "cctv.png" in chat.text  # acknowledged by name
    assert chat.asks == "evidence.kind" and chat.item == 0 and "“slip.jpg”" in chat.text
    chat.choose("evidence.kind=signed_slip")
    assert chat.asks == "evidence.file" and "done" in chat.choices  # the camera still: from its caption
    chat.choose("done")
    evidence = chat.case()["evidence"]
    assert [e["kind"] for e in evidence] == ["signed_slip", "cctv"]
    assert [e["caption"] for e in evidence] == [None, "counter camera 18:29"]  # each its own


def test_photo_before_its_kind_is_acknowledged_and_done_keeps_it(db, photo):
    chat = Chat(db).send("/start")
    chat.answer_until("evidence.file", DENIED)
    chat.file(photo)
    assert "Got “slip.jpg”" in chat.text and chat.asks == "evidence.kind"
    chat.send("/done")  # the kind is not given yet: the photo stays, the question stands
    assert chat.asks == "evidence.kind" and "not finished" in chat.text
    assert len(chat.case()["evidence"]) == 1


def test_text_at_a_file_question_explains(db):
    chat = Chat(db).send("/start")
    chat.answer_until("evidence.file", DENIED)
    chat.send("here it is")
    assert chat.asks == "evidence.file" and "photo" in chat.text.lower()


def test_bad_file_is_refused_and_nothing_is_lost(db, tmp_path):
    bogus = tmp_path / "slip.jpg"
    bogus.write_bytes(b"this is not an image at all")
    chat = Chat(db).send("/start")
    chat.answer_until("txn.amount", DENIED)
    chat.file(bogus)
    assert "PDF" in chat.text
    assert chat.asks == "txn.amount"  # the question again, at once
    assert chat.case()["evidence"] == []
    chat.send("/help")
    assert chat.asks == "txn.amount"


def test_lost_terminal_order_of_dates(db):
    chat = Chat(db).send("/start").choose("case.scenario=lost_terminal&incident.how=lost")
    assert chat.asks_all[:3] == ["incident.lost_at", "incident.discovered_at", "incident.place"]
    chat.send("2025-11-20 21:10\n2025-11-20 20:00\nNight market")
    assert chat.asks == "incident.discovered_at" and "before" in chat.text
    incident = chat.case()["incident"]
    assert incident["lost_at"] == "2025-11-20T21:10:00+08:00" and incident["place"] == "Night market"
    chat.send("昨天早上8点")
    assert chat.asks == "incident.reported_to_acquirer"


def test_deadline_only_with_a_bank_notice(db):
    chat = review(Chat(db))
    assert "Reply by" not in chat.text
    chat.choose("edit:dispute").choose("edit:dispute.stage")
    chat.send("retrieval")  # typed: the stage alone, the goal stays as it was
    assert chat.asks_all[:3] == ["dispute.notified_at", "dispute.deadline", "dispute.case_no"]
    assert "dispute.notified_at=2025-11-28" in chat.choices  # today, one tap
    chat.send("2025-11-28\n2025-11-20\nLKL-1")  # the deadline before the notice
    assert chat.asks == "dispute.deadline" and chat.asks_all == ["dispute.deadline"]
    chat.send("12月5日")
    case = chat.case()
    assert case["dispute"]["deadline"] == "2025-12-05" and case["dispute"]["case_no"] == "LKL-1"
    assert case["goal"] == "collect_payment" and case["customer"]["channel"] is None


def test_editing_an_evidence_item_never_loses_its_file(db, photo):
    chat = Chat(db).send("/start")
    chat.answer_until("evidence.file", DENIED)
    chat.file(photo, caption="the slip").choose("evidence.kind=signed_slip").choose("done")
    chat.choose("edit:evidence").choose("edit:evidence.1")
    assert "edit:evidence.1.kind" in chat.choices and "edit:evidence.1.file" not in chat.choices
    chat.choose("edit:evidence.1.kind")
    assert chat.asks == "evidence.kind" and "“slip.jpg”" in chat.text
    chat.send("/done")  # 完成 at the question: the photo stays, the question stands
    assert chat.asks == "evidence.kind"
    chat.choose("keep")
    assert "confirm" in chat.choices
    evidence = chat.case()["evidence"]
    assert len(evidence) == 1 and evidence[0]["sha256"] and evidence[0]["kind"] == "signed_slip"


def test_a_thiefs_charges_ask_no_customer_and_no_goods(db):
    chat = Chat(db).send("/start").choose("case.scenario=lost_terminal&incident.how=stolen")
    chat.send("2025-11-20 21:10\n2025-11-21 08:05\n-")
    asked = []
    answers = {
        **DENIED,
        "incident.reported_to_acquirer": "yes",
        "incident.police_report": "no",
        "txn.datetime": "2025-11-20 23:47",
    }
    for _ in range(40):
        if chat.asks is None:
            break
        asked.extend(chat.asks_all)
        chat.answer(answers)
    assert "confirm" in chat.choices
    assert not {"customer.claim", "txn.goods", "txn.signed", "case.goal"} & set(asked)
    case = chat.case()
    assert case["goal"] == "report_only" and case["incident"]["how"] == "stolen"  # from the buttons


def test_a_button_pressed_again_in_another_process_does_nothing_else(any_db):
    """The second press of a double tap handled by another worker (or after a restart, when no process
    remembers the first): answered "already on its way", the case as the first press left it."""
    chat = review(Chat(any_db))
    worker_a, worker_b = Assistant(any_db, tz=SHANGHAI), Assistant(any_db, tz=SHANGHAI)
    press = {"kind": "choice", "user_id": 1001, "chat_id": 1001, "now": FIXED_NOW, "message_id": 42}
    first = worker_a.apply(Incoming(choice="confirm", update_id=9_000_001, **press))
    assert any("output:all" in [c.id for c in m.choices] for m in first)
    case = chat.case()
    second = worker_b.apply(Incoming(choice="confirm", update_id=9_000_002, **press))
    assert [m.text for m in second] == ["⏳ Already on its way: you pressed this button before."]
    assert chat.case() == case
    outputs = worker_b.apply(Incoming(choice="output:checklist", update_id=9_000_003, **press))
    assert any(m.render is not None for m in outputs)  # another button of the same message works
    again = worker_a.apply(Incoming(choice="output:checklist", update_id=9_000_004, **press))
    assert [m.render for m in again] == [None] and "Already" in again[0].text
    # the same button on another message (the menu shown again) is a new press
    fresh = worker_a.apply(
        Incoming(choice="output:checklist", update_id=9_000_005, **{**press, "message_id": 43})
    )
    assert any(m.render is not None for m in fresh)
