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

import pytest
from docx import Document
from pypdf import PdfReader

import bot.ocr
from bot import logs
from bot.ocr import SlipReading
from conversations.cards import luhn_ok
from tests.telegram.merchant import ANSWERS, Merchant, pdf, photo
from tests.telegram.test_inbox import until
from tests.test_cards import WIDTHS_HELD_OUT, WIDTHS_NAMED, digits_in, written

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
    assert CARDS[3][:6] + "******" + CARDS[3][-4:] in chat  # the photo's reading was proposed, masked
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


# --- the same in any form (issue 19): widths, separators, invisible characters, file names -------------


def _unescaped(text: str) -> str:
    """JSON's \\uXXXX escapes (SQLAlchemy stores JSON ASCII-only) read back, surrogate pairs joined."""

    def decode(match: re.Match[str]) -> str:
        units = bytes.fromhex("".join(match.group().split("\\u")[1:]))
        return units.decode("utf-16-be", "replace")

    return re.sub(r"(?:\\u[0-9a-fA-F]{4})+", decode, text)


def cards_in_any_form(data: bytes) -> set[str]:
    """Which of CARDS the bytes hold in any form: every digit of any script or width, in order, with
    everything between digits dropped (stricter than any detector: separators of any length count)."""
    stream = digits_in(_unescaped(data.decode("utf-8", "ignore")))
    return {card for card in CARDS if card in stream}


def document_names_and_text(name: str, data: bytes) -> bytes:
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = "\n".join(archive.namelist()).encode()
            return names + b"\n" + b"\n".join(archive.read(member) for member in archive.namelist())
    return document_text(name, data)


def test_the_any_form_scanner_finds_what_it_must():
    wide = written(CARDS[0], [4, 4, 4, 4], "\u3000", WIDTHS_NAMED["fullwidth"])
    assert cards_in_any_form(wide.encode()) == {CARDS[0]}
    assert cards_in_any_form(json.dumps({"a": wide}).encode()) == {CARDS[0]}  # ASCII-escaped JSON
    bold = written(CARDS[1], [4, 4, 4, 4], " ", WIDTHS_HELD_OUT["math bold"])
    assert cards_in_any_form(json.dumps(bold).encode()) == {CARDS[1]}
    assert cards_in_any_form("6225 88** **** 1230 ６２２５８８＊＊＊＊＊＊１２３０".encode()) == set()


@pytest.mark.parametrize("framework, mode", [("aiogram", "webhook"), ("ptb", "polling")])
async def test_no_card_number_in_any_form_is_kept_anywhere(
    framework, mode, fake, start_bot, tmp_path, monkeypatch
):
    stream = io.StringIO()
    logs.setup("DEBUG", stream)
    try:
        await _any_form_session(fake, start_bot, tmp_path, monkeypatch, stream, framework, mode)
    finally:
        logging.getLogger().handlers[:] = []
        logging.getLogger().setLevel(logging.WARNING)


async def _any_form_session(fake, start_bot, tmp_path, monkeypatch, stream, framework, mode) -> None:
    fours = [4, 4, 4, 4]
    wide, arabic, bold, keycap = (
        WIDTHS_NAMED["fullwidth"],
        WIDTHS_HELD_OUT["arabic-indic"],
        WIDTHS_HELD_OUT["math bold"],
        WIDTHS_HELD_OUT["keycap"],
    )

    def read_image(_data: bytes) -> SlipReading:  # an OCR that returns a full-width number, NBSP-grouped
        return SlipReading(
            "unionpay_slip",
            {"txn.card_masked": written(CARDS[3], [4, 4, 4, 4, 3], "\u00a0", wide), "txn.amount": "1288.00"},
            {"txn.card_masked": 0.99},
            12,
        )

    monkeypatch.setattr(bot.ocr, "read_image", read_image)
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    runtime = await start_bot(framework, mode, database_url=url)
    merchant = Merchant.create(fake, runtime, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    typed_with_cards = {
        "merchant.name": "Card Shop " + written(CARDS[0], fours, "\u3000", wide),
        "txn.card_masked": written(CARDS[3], [4, 4, 4, 4, 3], "/", lambda d: d),
        "customer.statement": (
            f"他说卡号 {written(CARDS[2], fours, chr(0x200B), lambda d: d)} 不是他的, "
            f"also {written(CARDS[1], fours, chr(0x2009), bold)}"
        ),
    }
    answers = {**ANSWERS, **typed_with_cards}
    evidence = [
        (
            "bank_statement",
            pdf(),
            f"statement {written(CARDS[3], [6, 13], '·', wide)}.pdf",
            "application/pdf",
        ),
        ("signed_slip", photo(3), f"cam {written(CARDS[1], [16], '', wide)}.jpg", "image/jpeg"),
    ]
    notices_due = len(typed_with_cards)
    photo_sent = False
    kinds_sent: list[str] = []  # evidence items in the order sent
    await merchant.send("/start")
    for _ in range(150):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            break
        if asks == "txn.datetime" and not photo_sent:
            photo_sent = True
            kinds_sent.append("signed_slip")  # the slip photo is evidence item 1
            await merchant.photo(photo(7), caption="slip, card " + written(CARDS[0], fours, "，", arabic))
            notices_due += 1
            continue
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks == "evidence.kind":  # the kind of the file it asks about, in the order sent
            await merchant.press(f"evidence.kind={kinds_sent[merchant.item or 0]}")
        elif asks == "evidence.file" and not evidence:
            await merchant.press("done")
        elif asks == "evidence.file":
            kind, data, name, mime = evidence.pop(0)
            kinds_sent.append(kind)
            await merchant.document(data, name, mime, caption="card " + written(CARDS[2], fours, "_", keycap))
            notices_due += 1
        else:
            await merchant.answer(asks, answers)
    else:
        raise AssertionError("never reached the review: " + merchant.text)
    assert not evidence
    await merchant.press("confirm")
    await merchant.press("output:all")
    await merchant.send("/case " + written(CARDS[1], fours, "–", wide))
    notices_due += 1
    await merchant.send("/export")
    sent = [m for m in fake.chat(USER) if m.kind == "document"]
    assert any(m.file_name == "evidence-pack.zip" for m in sent) and any(
        m.file_name.endswith(".docx") for m in sent
    )
    pushed = json.dumps(list(fake.pushed.values()), ensure_ascii=False).encode()
    assert cards_in_any_form(pushed) == set(CARDS)  # the input really held every card, in odd forms
    assert card_numbers(pushed) == set()  # and none that the old ASCII scanner would have seen
    await until(lambda: runtime.bridge._inflight == 0, what="quiet")
    chat = "\n".join(m.text for m in fake.chat(USER) if m.kind == "text")
    assert chat.count("🔒") >= notices_due, chat  # the merchant is told each time, whatever the form
    found: dict[str, set[str]] = {"chat": cards_in_any_form(chat.encode())}
    database = Path(tmp_path / "bot.sqlite3")
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            found[path.name] = cards_in_any_form(path.read_bytes())
    for message in sent:
        found[message.file_name] = cards_in_any_form(
            message.file_name.encode() + b"\n" + document_names_and_text(message.file_name, message.data)
        )
    with runtime.database.session() as db:
        rows = db.connection().exec_driver_sql("SELECT data, conv FROM cases").all()
        names = db.connection().exec_driver_sql("SELECT name FROM evidence_files").scalars().all()
        inbox = db.connection().exec_driver_sql("SELECT data FROM inbox").scalars().all()
    assert rows and len(names) >= 3
    found["cases"] = cards_in_any_form(
        json.dumps([list(map(str, r)) for r in rows], ensure_ascii=False).encode()
    )
    found["evidence names"] = cards_in_any_form("\n".join(names).encode())
    found["inbox"] = cards_in_any_form(json.dumps(inbox, ensure_ascii=False).encode())
    found["logs"] = cards_in_any_form(stream.getvalue().encode())
    assert {where: hits for where, hits in found.items() if hits} == {}
