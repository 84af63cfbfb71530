"""A slip photo fills the transaction: the merchant sees what was read and accepts or fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations import Incoming
from tests.conftest import FIXED_NOW
from tests.support import DENIED, Chat

READ = {
    "layout": "unionpay_slip",
    "fields": {
        "txn.datetime": "2025-11-22T18:30:00+08:00",
        "txn.amount": "1288.00",
        "txn.reference_no": "251122183045",
        "txn.voucher_no": "004518",
        "txn.card_masked": "622588******1234",
        "txn.type": "sale",
        "merchant.terminal_id": "30519427",
        "txn.auth_code": "NOT-VALID",  # fails its own rule: never proposed
    },
    "confidence": {"txn.voucher_no": 0.5},
    "lines": 20,
}


def _photo_event(chat: Chat, reading: dict | None) -> Incoming:
    ref = chat.assistant.accept_file(1001, _jpeg(), "slip.jpg", is_photo=True, caption=None)
    update_id = chat.local.next_update_id
    chat.local.next_update_id += 1
    return Incoming(kind="file", file=ref, reading=reading, user_id=1001, now=FIXED_NOW, update_id=update_id)


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(buf, "JPEG")
    return buf.getvalue()


def _at_txn(db) -> Chat:
    chat = Chat(db).send("/start")
    answers = {k: v for k, v in DENIED.items() if k != "merchant.terminal_id"}
    return chat.answer_until("txn.datetime", answers)


def _apply(chat: Chat, event: Incoming) -> Chat:
    """Send a photo with a reading already attached (what bot.ocr returns), skipping the model."""
    chat.last = chat.assistant.process(event)
    return chat


def test_accept_all_fills_empty_fields_and_keeps_the_photo(db, monkeypatch):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    assert "251122183045" in chat.text and "please check" in chat.text
    assert "ocr:accept" in chat.choices and "ocr:edit:txn.amount" in chat.choices
    assert "ocr:edit:txn.auth_code" not in chat.choices
    assert chat.asks == "txn.datetime"  # the question stands below the proposal
    chat.choose("ocr:accept")
    case = chat.case()
    txn = case["txn"][0]
    assert txn["reference_no"] == "251122183045" and txn["amount"] == "1288.00" and txn["type"] == "sale"
    assert txn["auth_code"] is None
    assert case["merchant"]["terminal_id"] == "30519427"  # the slip's merchant numbers too
    assert case["evidence"][0]["kind"] == "signed_slip"  # read from the layout, not asked
    assert "txn.batch_no" in chat.asks_all  # what the slip did not answer
    assert not {"txn.reference_no", "merchant.terminal_id"} & set(chat.asks_all)


def test_edit_one_field_asks_it_with_the_value_read(db, monkeypatch):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    chat.choose("ocr:edit:txn.amount")
    assert chat.asks == "txn.amount" and "1,288.00" in chat.text and "keep" in chat.choices
    chat.send("1280")
    assert chat.case()["txn"][0]["amount"] == "1280.00"


def test_type_instead_and_nothing_read(db, monkeypatch):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    chat.choose("ocr:drop")
    assert chat.asks == "txn.datetime"
    assert chat.case()["txn"] == []
    _apply(chat, _photo_event(chat, READ))
    chat.send("2025-11-22 18:31")  # answering the question passes the proposal over
    assert chat.case()["txn"][0]["datetime"] == "2025-11-22T18:31:00+08:00"
    assert chat.case()["txn"][0].get("reference_no") is None
    chat.press_anyway("ocr:accept")
    assert "earlier message" in chat.text and chat.asks == "txn.amount"
    _apply(chat, _photo_event(chat, {"layout": "unknown", "fields": {}, "confidence": {}, "lines": 0}))
    assert chat.asks == "txn.amount" and "flat" in chat.text


@pytest.mark.slow
def test_real_photo_of_a_slip_is_read(db, tmp_path: Path):
    from bot.ocr.synth import sample

    slip = sample(3, "unionpay_slip", strength=0.5)
    path = tmp_path / "slip.jpg"
    path.write_bytes(slip.jpeg)
    chat = _at_txn(db)
    chat.file(path)
    assert "ocr:accept" in chat.choices
    chat.choose("ocr:accept")
    txn = chat.case()["txn"][0]
    for key in ("txn.reference_no", "txn.amount", "txn.voucher_no"):
        assert txn[key.split(".")[1]] == slip.truth[key]


def test_a_slip_without_signature_is_not_taken_for_a_signed_slip(db, monkeypatch):
    """The merchant said "no signature": the slip's photo is asked about, not filed as a signed slip."""
    chat = Chat(db).send("/start")
    answers = {**DENIED, "txn.signed": "no", "txn.goods": "tea"}
    chat.answer_until("evidence.file", answers)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, {**READ, "layout": "unionpay_slip"}))
    assert chat.case()["evidence"][0]["kind"] is None
    assert chat.asks == "evidence.kind" and "“slip.jpg”" in chat.text


def test_no_signature_given_after_the_photo_asks_its_kind_again(db, monkeypatch):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    chat.choose("ocr:accept")
    assert chat.case()["evidence"][0]["kind"] == "signed_slip"
    chat.answer_until("txn.signed", {**DENIED, "txn.goods": "tea"})
    chat.choose("txn.signed=no")
    assert chat.case()["evidence"][0]["kind"] is None  # asked when the evidence comes up
    chat.answer_until("evidence.kind", DENIED)
    assert chat.item == 0 and "“slip.jpg”" in chat.text


@pytest.mark.parametrize("typed", ["全部", "use all"])
def test_use_all_typed_accepts_the_proposal(db, monkeypatch, typed):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    chat.send(typed)
    txn = chat.case()["txn"][0]
    assert txn["reference_no"] == "251122183045" and txn["amount"] == "1288.00"
