"""Safety of the documents: no full card number anywhere, user text never markup or template, chat splits."""

from __future__ import annotations

import html
import io
import re
import signal
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.documents import render_evidence_pack, render_output
from bot.documents.chat import to_messages
from bot.documents.markup import Block, Run, parse
from conversations.outputs import plan_outputs
from tests.documents_support import ALLOWED_TAGS, NOW, file_text, load, luhn_complete, squash

PAN = luhn_complete("622588123456789")
SPACED = " ".join(PAN[i : i + 4] for i in range(0, 16, 4))


def everything(case: dict) -> str:
    """All text of every applicable output (files and chat) and of the evidence pack."""
    parts = []
    for plan in plan_outputs(case):
        if plan.applies:
            result = render_output(case, plan.id, now=NOW)
            parts += result.chat_html
            parts += [file_text(f.name, f.data) for f in result.files]
    pack = render_evidence_pack(case, now=NOW)
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        for name in archive.namelist():
            if name.endswith((".json", ".txt")):
                parts.append(archive.read(name).decode("utf-8"))
    return "\n".join(parts)


def test_no_full_card_number_survives_anywhere():
    case = load("denied-charge-zh")
    case["txn"][0]["card_masked"] = PAN  # a full number that slipped past masking on input
    case["txn"][0]["goods"] = f"套餐 卡号{SPACED}"
    case["customer"]["statement"] = f"顾客说卡号是 {PAN}"
    case["evidence"][0]["caption"] = f"slip {PAN}"
    case["timeline"].append({"at": "2025-11-28", "event": "note", "text": f"card {PAN}"})
    text = everything(case)
    flat = re.sub(r"[\s\-]", "", text)
    assert PAN not in flat
    assert PAN[:6] + "******" + PAN[-4:] in text


def test_user_text_is_escaped_in_chat_and_literal_in_files():
    case = load("denied-charge-zh")
    case["customer"]["statement"] = "<script>alert(1)</script> & <b>bold</b> {{ 7*7 }} {% if x %}"
    case["txn"][0]["goods"] = "# not a title | not | a table | **not bold**"
    result = render_output(case, "acquirer", now=NOW)
    chat = "".join(result.chat_html)
    assert "<script>" not in chat and "&lt;script&gt;" in chat
    assert "&lt;b&gt;bold&lt;/b&gt;" in chat
    assert "{{ 7*7 }}" in chat and "49" not in chat
    pdf = next(f for f in result.files if f.name.endswith(".pdf"))
    text = squash(file_text(pdf.name, pdf.data))
    assert squash("<script>alert(1)</script>") in text
    assert squash("{{ 7*7 }} {% if x %}") in text
    assert squash("# not a title | not | a table | **not bold**") in text


def test_markup_in_values_stays_text():
    blocks = parse("Statement: \ue000# x | y | **z**\ue001\n\ue000- 1. > not a list\ue001")
    assert [b.kind for b in blocks] == ["p", "p"]
    assert blocks[0].text == "Statement: # x | y | **z**"
    assert not any(r.bold for r in blocks[0].runs)


def test_long_text_splits_at_paragraphs_under_the_limit():
    sentences = [f"第{i}句话，顾客说了很多很多话<&>。" for i in range(900)]
    blocks = [Block("h1", [Run("标题")])] + [
        Block("p", [Run("".join(sentences[i : i + 60]))]) for i in range(0, 900, 60)
    ]
    blocks.append(Block("p", [Run("".join(sentences))]))  # one paragraph longer than a message
    messages = to_messages(blocks)
    assert len(messages) > 3
    for message in messages:
        assert len(message.encode("utf-16-le")) // 2 < 4096
        assert message.count("<b>") == message.count("</b>")
        assert not re.search(r"&[a-z]*$", message)  # never cut inside an entity
    plain = html.unescape(re.sub(r"</?[a-z]+>", "", "".join(messages)))
    for sentence in sentences:
        assert plain.count(sentence) == 2


def test_case_with_three_transactions_and_missing_values():
    case = load("denied-charge-zh")
    first = case["txn"][0]
    case["txn"] = [
        first,
        dict(first, reference_no="251122190001", amount="88.50", signed=False, goods=None),
        {"datetime": None, "amount": None, "reference_no": None},
    ]
    del case["merchant"]["address"]
    case["dispute"] = {"stage": "chargeback", "notified_at": None, "deadline": None}
    result = render_output(case, "acquirer", now=NOW)
    pdf = next(f for f in result.files if f.name.endswith(".pdf"))
    text = squash(file_text(pdf.name, pdf.data))
    for needle in ("251122183045", "251122190001", "¥88.50", "拒付（退单）回复函", "________"):
        assert squash(needle) in text
    checklist = squash("".join(render_output(case, "checklist", now=NOW).chat_html))
    assert squash("交易 251122190001 的签购单没有持卡人签名") in checklist
    assert "还剩" not in checklist


_text = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ0123456789 <>&|*#-_{}%\n\t") + list("中文商户签购单顾客龘") + ["😀", "\u200b"]
    ),
    max_size=120,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_text, statement=_text, goods=_text, place=_text, lang=st.sampled_from(["zh", "en"]))
def test_any_user_text_renders(name, statement, goods, place, lang):
    case = load("denied-charge-zh")
    case["merchant"]["name"] = name
    case["customer"]["statement"] = statement
    case["txn"][0]["goods"] = goods + "x" * 70  # a long unbroken word in a table cell
    case["merchant"]["address"] = place
    signal.alarm(60)  # a layout loop must fail the test, not hang it
    try:
        result = render_output(case, "acquirer", lang=lang, now=NOW)
    finally:
        signal.alarm(0)
    for chunk in result.chat_html:
        assert len(chunk) < 4096
        assert {t.lower() for t in re.findall(r"</?([a-zA-Z]+)", chunk)} <= ALLOWED_TAGS
    assert all(f.data for f in result.files)


def test_a_case_stored_with_broken_characters_still_gives_every_document():
    """A case stored before characters were cleaned on arrival (lone surrogates, U+FFFE, controls in any
    free text, a file name, a caption): every document and the pack are made, without them."""
    broken = "\ufffe\uffff\ud800\udfff\x00\x0b"
    case = load("denied-charge-zh")
    case["merchant"]["name"] = f"西湖{broken}小吃"
    case["txn"][0]["goods"] = f"套餐{broken}"
    case["customer"]["statement"] = f"顾客说{broken}不是他"
    case["evidence"][0]["caption"] = broken
    case["evidence"][0]["file_name"] = f"cam{broken}.jpg"
    case["timeline"].append({"at": "2025-11-28", "event": "note", "text": broken})
    text = everything(case)  # before: python-docx ValueError, UnicodeEncodeError in the PDF and the ZIP
    assert "西湖小吃" in text and "顾客说不是他" in text
    assert not any(ch in text for ch in broken)
