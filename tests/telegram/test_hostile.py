"""Hostile text: markup, template syntax, direction overrides, zero-width characters, emoji and 10,000-character
pastes are shown literally, in chat (as Telegram renders our HTML) and in the DOCX and PDF documents."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from docx import Document
from pypdf import PdfReader

from tests.telegram.conftest import FRAMEWORKS
from tests.telegram.merchant import ANSWERS, Merchant, photo

USER = 7101
NAME = "<b>Tom & Jerry</b> {{ 7*7 }} **Shop** _x_ ‮evil‬ Z​W‍J 🧾"
STATEMENT = (
    "He said: <script>alert('x')</script> &amp; [click](http://example.com) `code` "
    "{% for i in range(3) %}{{ i }}{% endfor %} ${7*7} #{7*7} <%= 7*7 %> ‮txet lanigiro‬ 👩‍👩‍👧 好的"
)
CAPTION = "<i>slip</i> {{ config }} ‮reversed‬ 🙂"
PASTE = "长" * 10_000


def plain(text: str) -> str:
    """Text compared without whitespace (line wrapping) and page footers (a page may end mid-sentence)."""
    text = re.sub(
        r"(第 \d+ 页 / 共 \d+ 页|Page \d+ of \d+)( · \w+)?", "", text
    )  # papers to others: no case id
    return re.sub(r"\s+", "", text)


def visible(text: str) -> str:
    """What a PDF with the embedded CJK font can show: without format characters (Unicode category Cf:
    direction overrides, zero-width joiners) and emoji (So above U+1F000), which the font has no glyph
    for (no emoji font is installed); everything else must come through as typed."""
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) != "Cf" and not (unicodedata.category(ch) == "So" and ord(ch) > 0x1F000)
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_hostile_text_is_shown_literally_in_chat_and_documents(framework, fake, start_bot, tmp_path):
    bot = await start_bot(framework, "polling")
    merchant = Merchant.create(fake, bot, tmp_path, USER, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    answers = {**ANSWERS, "merchant.name": NAME, "customer.statement": STATEMENT}
    seen: set[str] = set()
    await merchant.send("/start")
    for _ in range(120):
        asks = merchant.asks
        if asks is None and "confirm" in merchant.choices:
            break
        seen.update(merchant.asks_all)
        if asks == "merchant.name" and "paste" not in seen:
            seen.add("paste")
            said = await merchant.send(PASTE)
            assert merchant.asks == "merchant.name"  # asked again
            assert "10000" in said[0].text and "100" in said[0].text.replace(
                "10000", ""
            )  # the limit, explained
            continue
        if asks == "txn.datetime" and "done" in merchant.choices:
            await merchant.press("done")
        elif asks == "evidence.kind":
            await merchant.press("evidence.kind=cctv")
        elif asks == "evidence.file" and "photo sent" in seen:
            await merchant.press("done")
        elif asks == "evidence.file":
            seen.add("photo sent")
            said = await merchant.photo(photo(4), caption=CAPTION)
        else:
            await merchant.answer(asks, answers)
    else:
        raise AssertionError("never reached the review")
    assert {"merchant.name", "customer.statement", "evidence.file"} <= seen
    review = "\n".join(m.text for m in fake.chat(USER)[-3:])  # as Telegram renders our HTML
    for value in (NAME, STATEMENT, CAPTION):
        assert value in review, value
    assert "{{ 7*7 }}" in review and "{% for i in range(3) %}" in review  # not evaluated (49, 012)
    await merchant.press("confirm")
    documents = []
    for output in ("output:acquirer", "output:evidence_list"):
        assert output in merchant.choices, merchant.choices
        documents += [m for m in await merchant.press(output) if m.kind == "document"]
    texts = {}
    for document in documents:
        if document.file_name.endswith(".docx"):
            body = Document(io.BytesIO(document.data))
            parts = [p.text for p in body.paragraphs]
            parts += [c.text for t in body.tables for row in t.rows for c in row.cells]
            texts[document.file_name] = "\n".join(parts)
        elif document.file_name.endswith(".pdf"):
            pages = PdfReader(io.BytesIO(document.data)).pages
            texts[document.file_name] = "\n".join(page.extract_text() for page in pages).replace("\x00", "")
    assert any(n.endswith(".docx") for n in texts) and any(n.endswith(".pdf") for n in texts), list(texts)
    for name, text in texts.items():
        found = plain(text) if name.endswith(".docx") else plain(visible(text))
        expected = [NAME, STATEMENT, CAPTION] if name.startswith("acquirer") else [NAME]
        for value in expected:
            want = plain(value) if name.endswith(".docx") else plain(visible(value))
            assert want in found, (name, value, text[:3000])
