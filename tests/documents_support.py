"""Reading rendered documents back for the document tests: PDF (pypdf), DOCX (python-docx), the pack."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from pypdf import PdfReader

CASES = Path(__file__).parent / "fixtures" / "cases"
NOW = datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote"}


def load(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    """Text without NULs and whitespace, so line breaks in the layout do not matter."""
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages).replace("\x00", "")


def docx_text(data: bytes) -> str:
    """Paragraphs and table rows in document order."""
    doc = Document(io.BytesIO(data))
    paragraphs = {p._p: p for p in doc.paragraphs}
    tables = {t._tbl: t for t in doc.tables}
    parts = []
    for element in doc.element.body.iterchildren():
        if element in paragraphs:
            parts.append(paragraphs[element].text)
        elif element in tables:
            parts += [" | ".join(cell.text for cell in row.cells) for row in tables[element].rows]
    return "\n".join(parts)


def file_text(name: str, data: bytes) -> str:
    return pdf_text(data) if name.endswith(".pdf") else docx_text(data)


@cache
def rendered(name: str, output_id: str, lang: str | None = None):
    from bot.documents import render_output

    return render_output(copy.deepcopy(load(name)), output_id, lang=lang, now=NOW)


def texts(name: str, output_id: str, lang: str | None = None) -> dict[str, str]:
    """File name -> extracted text, for every file of one output."""
    return {f.name: file_text(f.name, f.data) for f in rendered(name, output_id, lang).files}


def luhn_complete(prefix: str) -> str:
    """A Luhn-valid number: `prefix` plus its check digit."""
    for d in "0123456789":
        digits = prefix + d
        total = 0
        for i, ch in enumerate(reversed(digits)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits
    raise AssertionError
