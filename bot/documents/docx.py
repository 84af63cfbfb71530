"""Blocks to DOCX (python-docx), editable in Word and WPS.

East Asian text gets its own font through the `w:eastAsia` attribute of every style and run
(宋体 for the body, 黑体 for headings, both present wherever Word or WPS runs in China); Latin
text uses Times New Roman / Arial. A4, 2.5 cm margins, page numbers as a PAGE field.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from bot.documents.markup import Block, Run, plain

_BODY_FONTS = ("Times New Roman", "宋体")
_HEAD_FONTS = ("Arial", "黑体")


def render_docx(blocks: list[Block], *, lang: str, title: str, footer: str, created: datetime) -> bytes:
    """`footer` holds {page} and {pages}: they become PAGE and NUMPAGES fields."""
    with _LOCK:
        doc = _blank(lang)
        props = doc.core_properties
        props.title, props.author, props.language = (
            title,
            "POS Dispute Assistant",
            "zh-CN" if lang == "zh" else "en",
        )
        props.created = props.modified = created.replace(tzinfo=None)
        _footer(doc.sections[0].footer.paragraphs[0], footer)
        _body(doc, blocks)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


# Opening python-docx's default document and styling it took half of a DOCX's time, the same work
# for every document: so one styled, empty document per language is kept, and each render fills
# it, saves it and empties it again (under the lock: one render at a time uses it).
_LOCK = threading.Lock()
_BLANK: dict[str, tuple[object, set]] = {}


def _blank(lang: str):
    """The styled empty document of `lang`, emptied of what the previous render added."""
    kept = _BLANK.get(lang)
    if kept is None:
        doc = Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin, section.bottom_margin = Cm(2.3), Cm(2.3)
        _styles(doc, lang)
        section.footer.paragraphs[0]  # creates the footer part once
        kept = _BLANK[lang] = (doc, set(doc.element.body))
    doc, original = kept
    body = doc.element.body
    for child in list(body):
        if child not in original:
            body.remove(child)
    paragraph = doc.sections[0].footer.paragraphs[0]._p
    for child in list(paragraph):
        if child.tag != qn("w:pPr"):
            paragraph.remove(child)
    return doc


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


# The body is written as WordprocessingML text and parsed once per document: building it element by
# element through python-docx (a lookup, a schema-ordered insert and a type conversion per property
# of every run and cell) was most of a DOCX's time. The markup is what python-docx wrote for the same
# calls: runs carry the body fonts, bold and size; table cells their width and shading.
_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_FONTS_XML = (
    f'<w:rFonts w:ascii="{_BODY_FONTS[0]}" w:hAnsi="{_BODY_FONTS[0]}" '
    f'w:cs="{_BODY_FONTS[0]}" w:eastAsia="{_BODY_FONTS[1]}"/>'
)
_NUMBER_INDENT = '<w:ind w:left="425" w:hanging="425"/>'  # 0.75 cm, the number hanging in front
_TABLE_PR = (
    '<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
    '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
    'w:noVBand="1" w:val="04A0"/></w:tblPr>'
)
_TEXT_PIECES = re.compile(r"\t|\r\n|[\r\n]|[^\t\r\n]+")


def _text_xml(text: str) -> str:
    """A run's text as python-docx writes it: tabs and line breaks as their own elements."""
    out = []
    for piece in _TEXT_PIECES.findall(text):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\n", "\r", "\r\n"):
            out.append("<w:br/>")
        else:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            out.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return "".join(out)


def _runs_xml(runs: list[Run], *, size: float | None = None, color: int | None = None) -> str:
    extra = f'<w:color w:val="{color:02X}{color:02X}{color:02X}"/>' if color is not None else ""
    extra += f'<w:sz w:val="{round(size * 2)}"/>' if size else ""
    return "".join(
        f"<w:r><w:rPr>{_FONTS_XML}{'<w:b/>' if run.bold else ''}{extra}</w:rPr>{_text_xml(run.text)}</w:r>"
        for run in runs
    )


def _paragraph_xml(inner: str, ppr: str = "") -> str:
    if not inner and not ppr:
        return "<w:p/>"
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{inner}</w:p>"


def _styled_xml(style_id: str, inner: str) -> str:
    return _paragraph_xml(inner, f'<w:pStyle w:val="{style_id}"/>')


def _block_xml(block: Block, widths: dict[int, list[str]]) -> str:
    kind = block.kind
    if kind == "title":
        return _styled_xml("Title", _text_run(block.text))
    if kind in ("h1", "h2"):
        return _styled_xml("Heading1" if kind == "h1" else "Heading2", _text_run(block.text))
    if kind == "p":
        return _paragraph_xml(_runs_xml(block.runs))
    if kind == "bullet":
        return _styled_xml("ListBullet", _runs_xml(block.runs))
    if kind == "number":
        # numbers are written out, not Word list numbering, so they match the chat and the PDF
        return _paragraph_xml(_runs_xml([Run(f"{block.number}.\t")] + block.runs), _NUMBER_INDENT)
    if kind == "note":
        return _paragraph_xml(_runs_xml(block.runs, size=9, color=90))
    if kind == "right":
        return _paragraph_xml(_runs_xml(block.runs), '<w:jc w:val="right"/>')
    if kind == "gap":
        return "<w:p/>"
    if kind == "table":
        return _table_xml(block, widths) + "<w:p/>"
    return ""


def _text_run(text: str) -> str:
    return f"<w:r>{_text_xml(text)}</w:r>" if text else "<w:r/>"


def _table_xml(block: Block, widths: dict[int, list[str]]) -> str:
    columns = max(len(row) for row in block.rows)
    grid = widths[columns]
    rows = []
    for r, row in enumerate(block.rows):
        cells = []
        for i in range(columns):
            runs = row[i] if i < len(row) else []
            shade = ""
            if block.header and r == 0:
                runs = [Run(plain(runs), True)]
                shade = '<w:shd w:val="clear" w:color="auto" w:fill="EBEBEB"/>'
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{grid[i]}"/>{shade}</w:tcPr>'
                f'<w:p><w:pPr><w:spacing w:after="0"/></w:pPr>{_runs_xml(runs, size=10)}</w:p></w:tc>'
            )
        rows.append(f"<w:tr>{''.join(cells)}</w:tr>")
    cols = "".join(f'<w:gridCol w:w="{w}"/>' for w in grid)
    return f"<w:tbl>{_TABLE_PR}<w:tblGrid>{cols}</w:tblGrid>{''.join(rows)}</w:tbl>"


def _body(doc, blocks: list[Block]) -> None:
    columns = {max(len(row) for row in b.rows) for b in blocks if b.kind == "table" and b.rows}
    widths = {n: _grid(doc, n) for n in columns}
    xml = "".join(_block_xml(block, widths) for block in blocks if block.kind != "table" or block.rows)
    body = doc.element.body
    section = body.find(qn("w:sectPr"))
    for element in parse_xml(f"<w:body {_NS}>{xml}</w:body>"):
        section.addprevious(element)


def _grid(doc, columns: int) -> list[str]:
    """The column widths python-docx gives a table of `columns` columns across the text width."""
    table = doc.add_table(rows=0, cols=columns)
    widths = [col.get(qn("w:w")) for col in table._tbl.tblGrid.iterchildren(qn("w:gridCol"))]
    table._tbl.getparent().remove(table._tbl)
    return widths


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
