"""Read slips, app screens and acquirers' dispute notices: offline OCR, then labelled-field extraction.

    reading = await read_async(data, mime)     # a photo, a screenshot or a PDF
    reading.kind        # "slip" | "notice" | "other": what the document is
    reading.layout      # "unionpay_slip" | "e_slip" | "bank_app" | "notice" | "unknown"
    reading.fields      # {"txn.reference_no": "251122183045", "dispute.deadline": "2025-09-28", ...}
    reading.confidence  # {"txn.reference_no": 0.97, ...}; only values that passed validation

`read_image` is synchronous and CPU-bound (about half a second to a second on two cores); the model
is loaded once, lazily, on first use. A PDF is read from its text layer when it has one, by OCR of
its page images when it is a scan (`read_pdf`). `extract_fields` is the pure part, from OCR lines to
fields, with no model. A full card number never leaves this package unmasked.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from .extract import propose

__all__ = [
    "Reading",
    "SlipReading",
    "extract_fields",
    "read",
    "read_async",
    "read_image",
    "read_image_async",
    "read_pdf",
    "warm_up",
]

#: What kind of document each layout is, and the evidence kind (case-fields.md) it is kept as.
KINDS = {"unionpay_slip": "slip", "e_slip": "slip", "bank_app": "slip", "notice": "notice"}
EVIDENCE_KINDS = {
    "unionpay_slip": "signed_slip",
    "e_slip": "e_slip",
    "bank_app": "bank_statement",
    "notice": "dispute_notice",
}


@dataclass(frozen=True)
class Reading:
    layout: str  # "unionpay_slip" | "e_slip" | "bank_app" | "notice" | "unknown"
    fields: dict[str, str] = field(default_factory=dict)  # field id → normalised, validated value
    confidence: dict[str, float] = field(default_factory=dict)  # field id → 0..1
    lines: int = 0  # text lines found (0 = nothing readable)
    seconds: float = 0.0
    source: str = "ocr"  # "ocr" | "pdf_text" (a PDF's own text layer)

    @property
    def kind(self) -> str:
        """'slip' (a sales slip, electronic slip or bank-app transaction), 'notice' or 'other'."""
        if self.layout == "unknown" and self.fields and any(k.startswith("dispute.") for k in self.fields):
            return "notice"
        if self.layout == "unknown" and len(self.fields) >= 3:
            return "slip"  # unlabelled by its title words, but it carries a transaction's numbers
        return KINDS.get(self.layout, "other")

    @property
    def evidence_kind(self) -> str | None:
        """The evidence kind the photo is kept as, when the reading tells it."""
        return EVIDENCE_KINDS.get(self.layout) or ("dispute_notice" if self.kind == "notice" else None)

    @property
    def empty(self) -> bool:
        return not self.fields

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out.update(
            kind=self.kind,
            layout=self.layout,
            fields=self.fields,
            confidence=self.confidence,
            lines=self.lines,
            source=self.source,
            seconds=round(self.seconds, 3),
        )
        return out


SlipReading = Reading  # the name before notices were read


def extract_fields(lines, *, seconds: float = 0.0, source: str = "ocr") -> Reading:
    """Fields from lines: (text, score), (text, score, box), RapidOCR's (box, text, score) or text. No model."""
    layout, props, n = propose(lines)
    return Reading(
        layout=layout,
        fields={k: p.value for k, p in props.items()},
        confidence={k: p.confidence for k, p in props.items()},
        lines=n,
        seconds=seconds,
        source=source,
    )


def _timed(reading: Reading, start: float) -> Reading:
    return Reading(
        reading.layout,
        reading.fields,
        reading.confidence,
        reading.lines,
        time.perf_counter() - start,
        reading.source,
    )


def read_image(data: bytes) -> Reading:
    """OCR a photo (JPEG, PNG, WebP …) and extract the fields. Raises engine.ImageError on undecodable bytes."""
    from .engine import ocr_lines

    start = time.perf_counter()
    return _timed(extract_fields(ocr_lines(data)), start)


def read_pdf(data: bytes) -> Reading:
    """A PDF: its text layer when it has one, else OCR of its first page's images (a scan)."""
    from .pdf import page_images, text_lines

    start = time.perf_counter()
    lines = text_lines(data)
    if sum(len(s) for s in lines) >= 20:
        return _timed(extract_fields([(s, 1.0) for s in lines], source="pdf_text"), start)
    best = Reading("unknown")
    for image in page_images(data):
        found = read_image(image)
        if len(found.fields) > len(best.fields):
            best = found
    return _timed(best, start)


def read(data: bytes, mime: str = "") -> Reading:
    """A photo or a PDF, by its type (sniffed from the bytes when mime is not given)."""
    if mime == "application/pdf" or data[:5] == b"%PDF-":
        return read_pdf(data)
    return read_image(data)


async def read_async(data: bytes, mime: str = "") -> Reading:
    """read() in a worker thread, so the event loop keeps serving other chats meanwhile."""
    return await asyncio.to_thread(read, data, mime)


async def read_image_async(data: bytes) -> Reading:
    return await asyncio.to_thread(read_image, data)


def warm_up() -> None:
    """Load the model now (about half a second) instead of on the first photo; safe to call twice."""
    from .engine import get_engine

    get_engine()
