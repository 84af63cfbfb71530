"""PDF layout and fonts: tables across pages, long words, the per-document font, the start-up warm-up."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.documents import warm
from bot.documents.fonts import GLYPHS, template_text
from bot.documents.markup import Block, Run
from bot.documents.pdf import render_pdf
from tests.documents_support import pdf_text, squash

CREATED = datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _pdf(blocks: list[Block], lang: str = "zh") -> bytes:
    return render_pdf(blocks, lang=lang, title="测试", footer="第 {page} 页 / 共 {pages} 页", created=CREATED)


def test_a_long_table_repeats_its_header_on_each_page_and_keeps_every_cell():
    rows = [[[Run("序号")], [Run("内容说明")], [Run("Remarks")]]]
    rows += [
        [[Run(str(i))], [Run(f"第{i}项证据：收银台监控截图，顾客在场并签名")], [Run(f"row {i}")]]
        for i in range(80)
    ]
    data = _pdf([Block("title", [Run("证据清单")]), Block("table", rows=rows, header=True)])
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 3
    for page in pages:
        assert "内容说明" in squash(page.extract_text())  # the header on top of every page
    text = squash(pdf_text(data))
    for i in range(80):
        assert f"第{i}项证据：收银台监控截图，顾客在场并签名" in text and f"row{i}" in text


def test_a_word_wider_than_its_column_is_cut_not_lost():
    word = "SHA256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" * 2
    rows = [[[Run("a")], [Run("b")], [Run("c")], [Run("d")], [Run(word)]]]
    for lang in ("zh", "en"):
        data = _pdf([Block("table", rows=rows), Block("p", [Run("见 " + word)])], lang)
        assert squash(pdf_text(data)).count(word) == 2


def test_rare_characters_outside_the_templates_are_embedded_and_read_back():
    name = "鑫淼犇骉 𠀋 商行"  # 𠀋: outside the Basic Multilingual Plane
    data = _pdf([Block("p", [Run(f"商户名称：{name}")])])
    assert squash(name) in squash(pdf_text(data))


def test_after_the_warm_up_template_text_needs_no_glyph_conversion():
    warm()
    before = GLYPHS.converted
    GLYPHS.font_for(template_text())
    assert GLYPHS.converted == before
