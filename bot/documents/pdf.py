"""Blocks to PDF (fpdf2): A4, the CJK font embedded as a subset, page numbers in the footer."""

from __future__ import annotations

import io
import re
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from bot.documents.fonts import FONT_NAME, GLYPHS
from bot.documents.markup import Block, Run, document_text, plain

_FAMILY = "cjk"
_BODY, _SMALL = 10.5, 8.5
_LINE = 6.0  # mm per body line
_PADDING = 1.4  # mm inside table cells
_MIN_COLUMN = 11.0  # mm: room for a few characters, or fpdf2 cannot lay the cell out


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(_FAMILY, size=_SMALL)
        self.set_text_color(110)
        self.cell(0, 5, self.footer_text.format(page=self.page_no(), pages="{nb}"), align=Align.C)
        self.set_text_color(0)


def render_pdf(blocks: list[Block], *, lang: str, title: str, footer: str, created: datetime) -> bytes:
    """`footer` holds {page} and {pages}."""
    pdf = _Pdf(format="A4", unit="mm")
    pdf.footer_text = footer
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(title)
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_creator("POS Dispute Assistant")
    pdf.set_creation_date(created)
    _embed_font(pdf, document_text(blocks) + footer + title)
    pdf.add_page()
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    for block in blocks:
        _block(pdf, block, wrap)
    return bytes(pdf.output())


def _embed_font(pdf: FPDF, text: str) -> None:
    # The document's own font (see fonts.py) is handed to fpdf2 from memory; bounding boxes are not
    # recomputed when the subset is saved (the glyphs keep their own), which saves time per document.
    font = TTFFont(pdf, io.BytesIO(GLYPHS.font_for(text)), _FAMILY, "")
    font.ttfont.recalcBBoxes = False
    font.name = FONT_NAME.replace(" ", "")
    pdf.fonts[_FAMILY] = font


def _block(pdf: FPDF, block: Block, wrap: WrapMode) -> None:
    kind = block.kind
    if kind == "title":
        pdf.ln(2)
        _runs(pdf, [Run(block.text, True)], size=16, line=9, align=Align.C, wrap=wrap)
        pdf.ln(3)
    elif kind == "h1":
        pdf.ln(2.5)
        _runs(pdf, [Run(block.text, True)], size=12.5, line=7.5, wrap=wrap)
        pdf.ln(0.5)
    elif kind == "h2":
        pdf.ln(1)
        _runs(pdf, [Run(block.text, True)], size=11, line=6.5, wrap=wrap)
    elif kind == "p":
        _runs(pdf, block.runs, wrap=wrap)
        pdf.ln(1.2)
    elif kind in ("bullet", "number"):
        mark = "•" if kind == "bullet" else f"{block.number}."
        _runs(pdf, block.runs, wrap=wrap, mark=mark)
        pdf.ln(0.8)
    elif kind == "note":
        pdf.set_text_color(90)
        _runs(pdf, block.runs, size=_SMALL + 0.5, line=5, wrap=wrap)
        pdf.set_text_color(0)
        pdf.ln(1)
    elif kind == "right":
        _runs(pdf, block.runs, align=Align.R, wrap=wrap)
        pdf.ln(0.5)
    elif kind == "gap":
        pdf.ln(_LINE)
    elif kind == "table":
        _table(pdf, block, wrap)


def _runs(
    pdf: FPDF,
    runs: list[Run],
    *,
    size: float = _BODY,
    line: float = _LINE,
    align: Align = Align.L,
    wrap: WrapMode = WrapMode.CHAR,
    mark: str = "",
) -> None:
    pdf.set_font(_FAMILY, size=size)
    left = pdf.l_margin
    if mark:
        pdf.set_x(left + 2)
        pdf.cell(6, line, mark)
        pdf.set_left_margin(left + 8)
        pdf.set_x(left + 8)
    text = plain(runs)
    room = pdf.w - pdf.r_margin - pdf.get_x() - 2 * pdf.c_margin - 0.3
    spans = _break_spans(pdf, text, room) if wrap == WrapMode.CHAR else [(0, len(text))]
    if align != Align.L or not any(run.bold for run in runs):
        body = "\n".join(text[lo:hi] for lo, hi in spans)
        pdf.multi_cell(0, line, body, align=align, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:  # mixed bold: flow run by run, bold drawn as filled and stroked glyphs
        pdf.set_x(pdf.l_margin)
        for start, end in spans:
            for run in _slice(runs, start, end):
                if run.bold:
                    # inside q…Q, so the stroke does not leak into the text that follows
                    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.18):
                        pdf.write(line, run.text, wrapmode=wrap)
                else:
                    pdf.write(line, run.text, wrapmode=wrap)
            pdf.ln(line)
    pdf.set_left_margin(left)
    pdf.set_x(left)


# Line breaking for Chinese text. fpdf2 breaks CJK text only anywhere (WrapMode.CHAR), which cuts
# reference numbers and card numbers in two and puts a full stop at the start of a line; so lines
# are broken here first: between Chinese characters, never inside a run of Latin letters and
# digits, never before closing punctuation or after opening punctuation (the basic 禁则).
_ASCII_RUN = re.compile(r"[!-~]+")
_NO_LINE_START = set("，。、；：？！）》」』】〕”’…％,.;:?!)]}%")
_NO_LINE_END = set("（《「『【〔“‘([{")


def _tokens(text: str) -> list[list[int]]:
    tokens: list[list[int]] = []
    i = 0
    while i < len(text):
        found = _ASCII_RUN.match(text, i)
        end = found.end() if found else i + 1
        if tokens and (text[i] in _NO_LINE_START or text[tokens[-1][1] - 1] in _NO_LINE_END):
            tokens[-1][1] = end
        else:
            tokens.append([i, end])
        i = end
    return tokens


def _break_spans(pdf: FPDF, text: str, room: float) -> list[tuple[int, int]]:
    """Where to cut `text` into lines that fit `room` mm at the current font, as (start, end) offsets.

    A word longer than a line stays whole here (fpdf2 then cuts it); spaces at a cut are dropped.
    """
    spans: list[tuple[int, int]] = []
    line_start, width = 0, 0.0
    for start, end in _tokens(text):
        piece = text[start:end]
        w = pdf.get_string_width(piece)
        if width + w > room and start > line_start:
            spans.append((line_start, start))
            line_start, width = (end, 0.0) if piece.isspace() else (start, w)
        else:
            width += w
    spans.append((line_start, len(text)))
    return [(lo, hi - (len(text[lo:hi]) - len(text[lo:hi].rstrip()))) for lo, hi in spans]


def _break_lines(pdf: FPDF, text: str, room: float) -> list[str]:
    return [text[lo:hi] for lo, hi in _break_spans(pdf, text, room)]


def _slice(runs: list[Run], start: int, end: int) -> list[Run]:
    out, offset = [], 0
    for run in runs:
        lo, hi = max(start, offset), min(end, offset + len(run.text))
        if lo < hi:
            out.append(Run(run.text[lo - offset : hi - offset], run.bold))
        offset += len(run.text)
    return out


def _table(pdf: FPDF, block: Block, wrap: WrapMode) -> None:
    columns = max(len(row) for row in block.rows)
    widths = _column_widths(block, columns, pdf.epw)
    pdf.set_font(_FAMILY, size=_BODY - 0.5)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    if wrap == WrapMode.WORD and _word_too_wide(pdf, block, widths):
        wrap = WrapMode.CHAR  # fpdf2 cannot break a word wider than its column (it fails or loops)
    heading = FontFace(emphasis=None, fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        first_row_as_headings=block.header,
        headings_style=heading,
        line_height=5.4,
        padding=_PADDING,
        wrapmode=wrap,
        text_align="LEFT",
    ) as table:
        for row in block.rows:
            cells = table.row()
            for i in range(columns):
                text = plain(row[i]) if i < len(row) else ""
                if wrap == WrapMode.CHAR:
                    text = "\n".join(_break_lines(pdf, text, widths[i] - 2 * _PADDING - 0.3))
                cells.cell(text)
    pdf.set_draw_color(0)
    pdf.ln(2)


def _word_too_wide(pdf: FPDF, block: Block, widths: tuple[float, ...]) -> bool:
    for row in block.rows:
        for cell, width in zip(row, widths, strict=False):
            room = width - 2 * _PADDING - 1
            if any(pdf.get_string_width(word) > room for word in plain(cell).split()):
                return True
    return False


def _column_widths(block: Block, columns: int, total: float) -> tuple[float, ...]:
    """Share the width by the longest text in each column, within limits, so short labels stay narrow."""
    longest = [1] * columns
    for row in block.rows:
        for i, cell in enumerate(row[:columns]):
            width = sum(2 if ord(c) > 0x2E80 else 1 for c in plain(cell))
            longest[i] = max(longest[i], min(width, 60))
    share = [max(w, 6) for w in longest]
    widths = [w * total / sum(share) for w in share]
    narrow = [i for i, w in enumerate(widths) if w < _MIN_COLUMN]
    if narrow and len(narrow) < columns:  # widen the narrow columns at the expense of the others
        spare = total - _MIN_COLUMN * len(narrow)
        rest = sum(w for i, w in enumerate(widths) if i not in narrow)
        widths = [_MIN_COLUMN if i in narrow else w * spare / rest for i, w in enumerate(widths)]
    return tuple(widths)
