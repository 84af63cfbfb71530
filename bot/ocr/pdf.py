"""PDF notices: the text layer's lines when the PDF was made from text, the page images when it is a scan."""

from __future__ import annotations

import io
import logging

log = logging.getLogger(__name__)

MAX_PAGES = 3  # a notice is a page or two; more is an attachment bundle, read from its start


def _reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def text_lines(data: bytes) -> list[str]:
    """The text of the first pages, line by line (pypdf puts a NUL between CJK glyphs of some PDFs)."""
    try:
        reader = _reader(data)
        out: list[str] = []
        for page in reader.pages[:MAX_PAGES]:
            text = (page.extract_text() or "").replace("\x00", "")
            out.extend(s.strip() for s in text.splitlines() if s.strip())
        return out
    except Exception:  # noqa: BLE001 - a broken or encrypted PDF has no text we can use
        log.warning("PDF text layer unreadable", exc_info=True)
        return []


def page_images(data: bytes) -> list[bytes]:
    """The images on the first pages, largest first (a scanned notice is one image per page)."""
    try:
        reader = _reader(data)
        images = []
        for page in reader.pages[:MAX_PAGES]:
            for img in page.images:
                images.append(img.data)
        return sorted(images, key=len, reverse=True)[:MAX_PAGES]
    except Exception:  # noqa: BLE001
        log.warning("PDF images unreadable", exc_info=True)
        return []
