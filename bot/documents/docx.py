"""Blocks to DOCX (python-docx), editable in Word and WPS.

East Asian text gets its own font through the `w:eastAsia` attribute of every style and run
(宋体 for the body, 黑体 for headings, both present wherever Word or WPS runs in China); Latin
text uses Times New Roman / Arial. A4, 2.5 cm margins, page numbers as a PAGE field.
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from bot.documents.markup import Block, Run, plain

_BODY_FONTS = ("Times New Roman", "宋体")
_HEAD_FONTS = ("Arial", "黑体")


def render_docx(blocks: list[Block], *, lang: str, title: str, footer: str, created: datetime) -> bytes:
    """`footer` holds {page} and {pages}: they become PAGE and NUMPAGES fields."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.3), Cm(2.3)
    _styles(doc, lang)
    props = doc.core_properties
    props.title, props.author, props.language = (
        title,
        "POS Dispute Assistant",
        "zh-CN" if lang == "zh" else "en",
    )
    props.created = props.modified = created.replace(tzinfo=None)
    _footer(section.footer.paragraphs[0], footer)
    for block in blocks:
        _block(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class _RprOwner:
    """Lets _set_fonts work on a bare w:rPr (the document defaults) as on a style or a run."""

    def __init__(self, rpr) -> None:
        self.rpr = rpr

    def get_or_add_rPr(self):
        return self.rpr


def _set_fonts(element_rpr_owner, latin: str, east_asian: str) -> None:
    rpr = element_rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)  # a theme font would win over the names set below
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(doc, lang: str) -> None:
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:  # the document default, which tables and footers fall back on
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
            rpr = rpr_default.find(qn("w:rPr"))
            _set_fonts(_RprOwner(rpr), *_BODY_FONTS)
            for lang_el in rpr.findall(qn("w:lang")):
                lang_el.set(qn("w:eastAsia"), "zh-CN")
    for name, fonts, size in (
        ("Normal", _BODY_FONTS, 10.5),
        ("Title", _HEAD_FONTS, 16),
        ("Heading 1", _HEAD_FONTS, 13),
        ("Heading 2", _HEAD_FONTS, 11),
        ("List Bullet", _BODY_FONTS, 10.5),
        ("List Number", _BODY_FONTS, 10.5),
    ):
        style = styles[name]
        style.font.name = fonts[0]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        _set_fonts(style.element, *fonts)
        if name != "Normal":
            style.font.bold = True if name.startswith(("Title", "Heading")) else None
    normal = styles["Normal"].paragraph_format
    normal.space_after = Pt(4)
    normal.line_spacing = 1.25
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), "en-US")
    lang_el.set(qn("w:eastAsia"), "zh-CN")
    styles["Normal"].element.get_or_add_rPr().append(lang_el)
    title = styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    # the built-in Title style has a bottom border and a theme font: take both away
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _add_runs(paragraph, runs: list[Run], *, size: float | None = None, color: int | None = None) -> None:
    for run in runs:
        r = paragraph.add_run(run.text)
        r.bold = run.bold or None
        _set_fonts(r._element, *_BODY_FONTS)
        if size:
            r.font.size = Pt(size)
        if color is not None:
            r.font.color.rgb = RGBColor(color, color, color)


def _styled(doc, style_id: str):
    """A paragraph in a built-in style, set by id: python-docx's lookup by name is slow per paragraph."""
    paragraph = doc.add_paragraph()
    paragraph._p.style = style_id
    return paragraph


def _block(doc, block: Block) -> None:
    kind = block.kind
    if kind == "title":
        _styled(doc, "Title").add_run(block.text)
    elif kind in ("h1", "h2"):
        _styled(doc, "Heading1" if kind == "h1" else "Heading2").add_run(block.text)
    elif kind == "p":
        _add_runs(doc.add_paragraph(), block.runs)
    elif kind == "bullet":
        _add_runs(_styled(doc, "ListBullet"), block.runs)
    elif kind == "number":
        # numbers are written out, not Word list numbering, so they match the chat and the PDF
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.75)
        paragraph.paragraph_format.first_line_indent = Cm(-0.75)
        _add_runs(paragraph, [Run(f"{block.number}.\t")] + block.runs)
    elif kind == "note":
        _add_runs(doc.add_paragraph(), block.runs, size=9, color=90)
    elif kind == "right":
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _add_runs(paragraph, block.runs)
    elif kind == "gap":
        doc.add_paragraph()
    elif kind == "table":
        _table(doc, block)


def _table(doc, block: Block) -> None:
    columns = max(len(row) for row in block.rows)
    table = doc.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(block.rows):
        cells = table.add_row().cells
        for i in range(columns):
            runs = row[i] if i < len(row) else []
            if block.header and r == 0:
                runs = [Run(plain(runs), True)]
                _shade(cells[i], "EBEBEB")
            paragraph = cells[i].paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            _add_runs(paragraph, runs, size=10)
    doc.add_paragraph()


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _footer(paragraph, text: str) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    parts = text.replace("{pages}", "\0NUMPAGES\0").replace("{page}", "\0PAGE\0").split("\0")
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part:
                run = paragraph.add_run(part)
                run.font.size = Pt(9)
                _set_fonts(run._element, *_BODY_FONTS)
        else:
            _field(paragraph, part)


def _field(paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    run.font.size = Pt(9)
    for kind, text in (
        ("begin", None),
        (None, f" {instruction} "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text.strip() == "1":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
