"""Blocks to PDF (fpdf2): A4, the CJK font embedded as a subset, page numbers in the footer."""

from __future__ import annotations

import io
import re
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import TTFFont

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


class _Font(TTFFont):
    """fpdf2's TrueType font, with text widths kept by prefix.

    fpdf2's line breaker measures the whole line again at every character it adds (quadratic in the
    line's length): that was half of a PDF's time. Here a text's width is its prefix's plus one
    character, in the same integer units and with the same arithmetic, so the layout is unchanged.
    """

    def get_text_width(self, text: str, font_size_pt: float, text_shaping_params) -> tuple[int, float]:
        if text_shaping_params or self.is_symbol:
            return super().get_text_width(text, font_size_pt, text_shaping_params)
        if font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt
        known = self._units
        units = known.get(text)
        if units is None:
            prefix = known.get(text[:-1]) if len(text) > 1 else None
            if prefix is None:
                units = sum(map(self.cw.__getitem__, map(ord, text)))
            else:
                units = prefix + self.cw[ord(text[-1])]
            known[text] = units
        return len(text), units * font_size_pt * 0.001


def _embed_font(pdf: FPDF, text: str) -> None:
    # The document's own font (see fonts.py) is handed to fpdf2 from memory; bounding boxes are not
    # recomputed when the subset is saved (the glyphs keep their own), which saves time per document.
    font = _Font(pdf, io.BytesIO(GLYPHS.font_for(text)), _FAMILY, "")
    font._units = {}
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
    spans = _break_spans(pdf, text, room, wrap)
    if align != Align.L or not any(run.bold for run in runs):
        # one cell per line: the lines are broken here already (fpdf2's own line breaker
        # measures the whole line again at every character, most of a PDF's time)
        for lo, hi in spans:
            pdf.cell(0, line, text[lo:hi], align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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


# Line breaking. fpdf2 breaks CJK text only anywhere (WrapMode.CHAR), which cuts reference
# numbers and card numbers in two and puts a full stop at the start of a line; so lines are
# broken here: Chinese between characters, never inside a run of Latin letters and digits, never
# before closing punctuation or after opening punctuation (the basic 禁则); other text (WORD) at
# spaces. A word longer than a line is cut where the line is full, as fpdf2 does.
_ASCII_RUN = re.compile(r"[!-~]+")
_WORD = re.compile(r" +|[^ ]+")
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


def _break_spans(pdf: FPDF, text: str, room: float, wrap: WrapMode = WrapMode.CHAR) -> list[tuple[int, int]]:
    """Where to cut `text` into lines that fit `room` mm at the current font, as (start, end) offsets.

    Spaces at a cut are dropped.
    """
    if wrap == WrapMode.CHAR:
        tokens = _tokens(text)
    else:
        tokens = [[m.start(), m.end()] for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    line_start, width = 0, 0.0
    for start, end in tokens:
        piece = text[start:end]
        w = _width(pdf, piece)
        if width + w > room and start > line_start:
            spans.append((line_start, start))
            line_start, width = (end, 0.0) if piece.isspace() else (start, w)
        else:
            width += w
        while width > room and end - line_start > 1 and not piece.isspace():  # a word wider than a line
            cut = _fit(pdf, text, line_start, end, room)
            spans.append((line_start, cut))
            line_start = cut
            width = _width(pdf, text[line_start:end])
    spans.append((line_start, len(text)))
    return [(lo, hi - (len(text[lo:hi]) - len(text[lo:hi].rstrip()))) for lo, hi in spans]


def _width(pdf: FPDF, text: str) -> float:
    """pdf.get_string_width(text) for our font (no character spacing or stretching, no shaping), without
    the text fragments and graphics-state copies fpdf2 builds to measure it (a third of a PDF's time)."""
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def _fit(pdf: FPDF, text: str, start: int, end: int, room: float) -> int:
    """The end of the longest piece of text[start:end] (at least one character) that fits `room`."""
    cut = start + 1
    while cut < end and _width(pdf, text[start : cut + 1]) <= room:
        cut += 1
    return cut


def _break_lines(pdf: FPDF, text: str, room: float, wrap: WrapMode = WrapMode.CHAR) -> list[str]:
    return [text[lo:hi] for lo, hi in _break_spans(pdf, text, room, wrap)]


def _slice(runs: list[Run], start: int, end: int) -> list[Run]:
    out, offset = [], 0
    for run in runs:
        lo, hi = max(start, offset), min(end, offset + len(run.text))
        if lo < hi:
            out.append(Run(run.text[lo - offset : hi - offset], run.bold))
        offset += len(run.text)
    return out


_CELL_LINE = 5.4  # mm per line in a table cell
_HEADING_FILL = 235


def _table(pdf: FPDF, block: Block, wrap: WrapMode) -> None:
    """A grid table drawn cell by cell, lines broken here; a row never splits across pages, and a
    header row is repeated at the top of each new page."""
    columns = max(len(row) for row in block.rows)
    widths = _column_widths(block, columns, pdf.epw)
    pdf.set_font(_FAMILY, size=_BODY - 0.5)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    rows = [
        [
            _break_lines(pdf, plain(row[i]) if i < len(row) else "", widths[i] - 2 * _PADDING - 0.3, wrap)
            for i in range(columns)
        ]
        for row in block.rows
    ]
    heading = rows[0] if block.header else None
    for r, cells in enumerate(rows):
        height = max(len(lines) for lines in cells) * _CELL_LINE + 2 * _PADDING
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            if heading is not None and r > 0:
                _row(pdf, heading, widths, True)
        _row(pdf, cells, widths, heading is not None and r == 0)
    pdf.set_draw_color(0)
    pdf.set_fill_color(255)
    pdf.set_x(pdf.l_margin)
    pdf.ln(2)


def _row(pdf: FPDF, cells: list[list[str]], widths: tuple[float, ...], heading: bool) -> None:
    height = max(len(lines) for lines in cells) * _CELL_LINE + 2 * _PADDING
    x, top = pdf.l_margin, pdf.get_y()
    if heading:
        pdf.set_fill_color(_HEADING_FILL)
    for lines, width in zip(cells, widths, strict=True):
        pdf.rect(x, top, width, height, style="DF" if heading else "D")
        for i, text in enumerate(lines):
            pdf.set_xy(x + _PADDING - pdf.c_margin, top + _PADDING + i * _CELL_LINE)
            pdf.cell(width - 2 * _PADDING + 2 * pdf.c_margin, _CELL_LINE, text)
        x += width
    pdf.set_xy(pdf.l_margin, top + height)


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
