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


def _stored(chat: Chat) -> dict:
    """The case as the engine keeps it (case.json lists only the fields the flow asks)."""
    from bot.storage import repo

    with chat.assistant.db.session() as db:
        return repo.load_session(db, repo.lock_user(db, 1001)).case


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
    from testkit.synth import sample

    slip = sample(3, "thermal_inline", strength=0.5)
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


NOTICE = {
    "kind": "notice",
    "layout": "notice",
    "fields": {
        "dispute.stage": "chargeback",
        "dispute.case_no": "CB20251201000123",
        "dispute.notified_at": "2025-11-25",
        "dispute.deadline": "2025-12-05",
        "dispute.reason_code": "4837 非持卡人本人交易",
        "txn.reference_no": "251122183045",
        "txn.amount": "1288.00",
        "txn.datetime": "2025-11-22T18:30:00+08:00",
        "txn.card_masked": "622588******1234",
        "merchant.merchant_no": "898330158120317",
    },
    "confidence": {"dispute.reason_code": 0.75},
    "lines": 30,
}


def test_a_notice_photo_at_any_point_proposes_the_dispute_fields(db, monkeypatch):
    chat = Chat(db).send("/start")
    chat.answer_until("merchant.name", DENIED)  # the transaction is entered; now the shop's details
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, NOTICE))
    assert "bank's notice" in chat.text and "CB20251201000123" in chat.text and "4837" in chat.text
    assert "ocr:edit:dispute.deadline" in chat.choices
    assert chat.asks == "merchant.name"  # the question stands below the proposal
    chat.choose("ocr:accept")
    case = chat.case()
    assert case["dispute"]["stage"] == "chargeback" and case["dispute"]["deadline"] == "2025-12-05"
    assert case["dispute"]["case_no"] == "CB20251201000123"
    assert _stored(chat)["dispute"]["reason_code"] == "4837 非持卡人本人交易"
    assert case["txn"][0]["card_masked"] == "622588******1234"  # the same transaction (reference), filled
    assert case["evidence"][0]["kind"] == "dispute_notice"
    assert chat.asks in ("case.goal", "merchant.name")  # the notice does not settle the goal alone
    read = {k for k in NOTICE["fields"] if k.startswith("dispute.")}
    for _ in range(12):  # the stage, dates, case number and reason read are not asked again
        if chat.asks in (None, "evidence.file"):
            break
        assert not read & set(chat.asks_all), chat.asks_all
        chat.answer(DENIED)


def test_a_notice_first_starts_the_transaction(db, monkeypatch):
    chat = Chat(db).send("/start")
    chat.answer_until("merchant.name", DENIED)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, NOTICE))
    chat.choose("ocr:accept")
    case = chat.case()
    assert case["txn"][0]["reference_no"] == "251122183045" and case["txn"][0]["amount"] == "1288.00"
    assert case["merchant"]["merchant_no"] == "898330158120317"
    assert chat.asks in ("case.goal", "merchant.name")  # the stage read: the goal is asked, one tap


def test_a_void_slip_is_not_proposed_as_the_sale(db, monkeypatch):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    void = dict(READ, fields={**READ["fields"], "txn.type": "void"})
    _apply(chat, _photo_event(chat, void))
    assert "VOID" in chat.text and "ocr:accept" not in chat.choices
    assert set(chat.choices) >= {"ocr:show", "ocr:drop"}
    chat.choose("ocr:drop")
    assert chat.case()["txn"] == [] and chat.asks == "txn.datetime"
    _apply(chat, _photo_event(chat, void))
    chat.choose("ocr:show")  # the merchant says it is the disputed one: now the usual proposal
    assert "ocr:accept" in chat.choices
    chat.choose("ocr:accept")
    txn = chat.case()["txn"][0]
    assert txn["reference_no"] == "251122183045" and txn.get("type") is None  # the type is asked


def test_a_slip_of_another_merchant_says_so_first(db, monkeypatch):
    chat = Chat(db).send("/start")
    chat.answer_until("txn.type", DENIED).answer(DENIED)  # the first slip's terminal 30519427 given
    assert chat.asks == "txn.datetime" and chat.item == 1  # the photo of another slip, for a second
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    other = dict(READ, fields={**READ["fields"], "merchant.terminal_id": "88880001"})
    _apply(chat, _photo_event(chat, other))
    text = chat.text
    assert "another merchant or terminal" in text and "88880001" in text and "30519427" in text
    assert text.index("another merchant") < text.index("I read from the photo")
    chat.choose("ocr:accept")
    assert chat.case()["merchant"]["terminal_id"] == "30519427"


@pytest.mark.parametrize("typed", ["全部", "use all"])
def test_use_all_typed_accepts_the_proposal(db, monkeypatch, typed):
    chat = _at_txn(db)
    monkeypatch.setattr(type(chat.assistant), "_read_photo", lambda self, e: e)
    _apply(chat, _photo_event(chat, READ))
    chat.send(typed)
    txn = chat.case()["txn"][0]
    assert txn["reference_no"] == "251122183045" and txn["amount"] == "1288.00"


def test_a_pdf_notice_is_read_from_its_text_layer(db, tmp_path: Path):
    """The acquirer's notice as a PDF document, mid-case: its fields proposed, the file kept as the notice."""
    from testkit.synth.pdf import notice_pdf

    data, truth = notice_pdf(21)
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    chat = Chat(db).send("/start")
    chat.answer_until("customer.claim", {**DENIED, "txn.reference_no": truth["txn.reference_no"]})
    chat.file(path, photo=False)
    assert "bank's notice" in chat.text and truth["dispute.case_no"] in chat.text
    chat.choose("ocr:accept")
    case = chat.case()
    assert case["dispute"]["case_no"] == truth["dispute.case_no"]
    assert case["dispute"]["stage"] == truth["dispute.stage"]
    assert case["evidence"][0]["kind"] == "dispute_notice"
