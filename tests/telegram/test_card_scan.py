"""No full card number anywhere: a session full of them (typed, in captions, in file names, read from a
photo) through the Telegram runtime, then the database file and its WAL, the evidence blobs, the
documents, the /export archive and the logs are scanned for any 13-19-digit Luhn-valid number."""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from pathlib import Path

from docx import Document
from pypdf import PdfReader

import bot.ocr
from bot import logs
from bot.ocr import SlipReading
from conversations.cards import luhn_ok, mask_pan
from tests.telegram.merchant import ANSWERS, Merchant, pdf, photo
from tests.telegram.test_inbox import until

USER = 7201
# Luhn-valid numbers of UnionPay, Visa, Mastercard and a 19-digit UnionPay debit card
CARDS = ["6225881234561230", "4111111111111111", "5555555555554444", "6212345678901234569"]
# 13-19 digits, single spaces or dashes between them; cards start with 2-6 (ISO/IEC 7812), which also
# keeps millisecond timestamps (1...) and UnionPay merchant numbers (8...) out of the scan
_SEQUENCE = re.compile(rb"(?<![0-9])([2-6](?:[ -]?[0-9]){12,18})(?![0-9])")


def card_numbers(data: bytes) -> set[str]:
    """Every card-like number in the bytes, also inside longer digit runs."""
    found = set()
    for match in _SEQUENCE.finditer(data):
        digits = re.sub(rb"[ -]", b"", match.group(1)).decode()
        for length in range(13, 20):
            for start in range(len(digits) - length + 1):
                piece = digits[start : start + length]
                if piece[0] in "23456" and luhn_ok(piece) and piece in CARDS:
                    found.add(piece)
    return found


def spaced(card: str, sep: str) -> str:
    return sep.join(card[i : i + 4] for i in range(0, len(card), 4))


def document_text(name: str, data: bytes) -> bytes:
    if name.endswith(".docx"):
        body = Document(io.BytesIO(data))
        parts = [p.text for p in body.paragraphs] + [
            c.text for t in body.tables for row in t.rows for c in row.cells
        ]
        return "\n".join(parts).encode()
    if name.endswith(".pdf"):
        return (
            "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
            .replace("\x00", "")
            .encode()
        )
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"\n".join(archive.read(member) for member in archive.namelist())
    return data


def test_the_scanner_finds_what_it_must():
    assert card_numbers(b"x 6225 8812 3456 1230 y") == {CARDS[0]}
    assert card_numbers(b"4111-1111-1111-1111") == {CARDS[1]}
    assert card_numbers(b'"6212345678901234569"') == {CARDS[3]}
    assert card_numbers(b"622588******1230 1732780800000 898330158120317") == set()


async def test_no_full_card_number_is_kept_anywhere(fake, start_bot, tmp_path, monkeypatch):
    stream = io.StringIO()
    logs.setup("DEBUG", stream)
    try:
        await _session(fake, start_bot, tmp_path, monkeypatch, stream)
    finally:
        logging.getLogger().handlers[:] = []
        logging.getLogger().setLevel(logging.WARNING)


async def _session(fake, start_bot, tmp_path, monkeypatch, stream) -> None:
    def read_image(_data: bytes) -> SlipReading:  # what a careless OCR could return: a full number
        return SlipReading(
            "unionpay_slip",
            {"txn.card_masked": CARDS[3], "txn.amount": "1288.00"},
            {"txn.card_masked": 0.99},
            12,
        )

    monkeypatch.setattr(bot.ocr, "read_image", read_image)
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    runtime = await start_bot("ptb", "polling", database_url=url)
    merchant = Merchant.create(fake, runtime, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    answers = {
        **ANSWERS,
        "merchant.name": f"Card Shop {spaced(CARDS[0], ' ')}",
        "txn.card_masked": spaced(CARDS[1], "-"),
        "customer.statement": f"他说卡号 {CARDS[2]} 不是他的, also {spaced(CARDS[3], ' ')}",
    }
    documents = []
    photo_sent = False
    await merchant.send("/start")
    for _ in range(150):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            break
        if asks == "txn.datetime" and not photo_sent:
            photo_sent = True
            await merchant.photo(photo(7), caption=f"slip, card {CARDS[0]}")
            continue
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks == "evidence.kind":
            await merchant.press("evidence.kind=bank_statement")
        elif asks == "evidence.file" and documents:
            await merchant.press("done")
        elif asks == "evidence.file":
            documents.append("sent")
            await merchant.document(
                pdf(), f"statement-{CARDS[2]}.pdf", "application/pdf", caption=f"card {spaced(CARDS[1], ' ')}"
            )
        else:
            await merchant.answer(asks, answers)
    else:
        raise AssertionError("never reached the review: " + merchant.text)
    await merchant.press("confirm")
    for output in ("output:acquirer", "output:evidence_list"):
        assert output in merchant.choices, merchant.choices
        await merchant.press(output)
    await merchant.send(f"/case {CARDS[1]}")  # a card number as a command's argument
    await merchant.send("/export")
    sent = [m for m in fake.chat(USER) if m.kind == "document"]
    assert any(m.file_name.endswith(".zip") for m in sent) and any(m.file_name.endswith(".pdf") for m in sent)
    # the input really was full of card numbers
    pushed = json.dumps(list(fake.pushed.values()), ensure_ascii=False).encode()
    assert card_numbers(pushed) == set(CARDS)
    await until(lambda: runtime.bridge._inflight == 0, what="quiet")
    database = Path(tmp_path / "bot.sqlite3")
    found: dict[str, set[str]] = {}
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            found[path.name] = card_numbers(path.read_bytes())
    for message in sent:
        found[message.file_name] = card_numbers(document_text(message.file_name, message.data))
    chat = "\n".join(m.text for m in fake.chat(USER) if m.kind == "text")
    assert mask_pan(CARDS[3]) in chat  # the photo's reading was proposed, masked
    assert "🔒" in chat  # and the merchant was told that a number was masked
    found["chat"] = card_numbers(chat.encode())
    with runtime.database.session() as db:
        blobs = db.connection().exec_driver_sql("SELECT data FROM evidence_blobs").scalars().all()
        cases = db.connection().exec_driver_sql("SELECT data, conv FROM cases").all()
    assert blobs and cases
    found["blobs"] = card_numbers(b"".join(bytes(b) for b in blobs))
    found["cases"] = card_numbers(json.dumps([list(map(str, c)) for c in cases], ensure_ascii=False).encode())
    found["logs"] = card_numbers(stream.getvalue().encode())
    assert "update applied" in stream.getvalue()
    assert {where: hits for where, hits in found.items() if hits} == {}
