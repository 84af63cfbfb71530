"""Read transaction ids from photos of slips and app screens: offline OCR, then labelled-field extraction.

    reading = await read_image_async(photo_bytes)
    reading.fields      # {"txn.reference_no": "251122183045", ...}, only values that passed validation
    reading.confidence  # {"txn.reference_no": 0.97, ...}

`read_image` is synchronous and CPU-bound (about a second on two cores); the model is loaded once,
lazily, on first use. `extract_fields` is the pure part, from OCR lines to fields, with no model.
A full card number never leaves this package unmasked.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from .extract import propose

__all__ = ["SlipReading", "extract_fields", "read_image", "read_image_async", "warm_up"]


@dataclass(frozen=True)
class SlipReading:
    layout: str  # "unionpay_slip" | "e_slip" | "bank_app" | "unknown"
    fields: dict[str, str] = field(default_factory=dict)  # field id → normalised, validated value
    confidence: dict[str, float] = field(default_factory=dict)  # field id → 0..1
    lines: int = 0  # text lines OCR found (0 = nothing readable)
    seconds: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.fields

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out.update(
            layout=self.layout, fields=self.fields, confidence=self.confidence, seconds=round(self.seconds, 3)
        )
        return out


def extract_fields(lines, *, seconds: float = 0.0) -> SlipReading:
    """Fields from OCR lines: (text, score), (text, score, box) or RapidOCR's (box, text, score). No model."""
    layout, props, n = propose(lines)
    return SlipReading(
        layout=layout,
        fields={k: p.value for k, p in props.items()},
        confidence={k: p.confidence for k, p in props.items()},
        lines=n,
        seconds=seconds,
    )


def read_image(data: bytes) -> SlipReading:
    """OCR a photo (JPEG, PNG, WebP …) and extract the fields. Raises engine.ImageError on undecodable bytes."""
    from .engine import ocr_lines

    start = time.perf_counter()
    lines = ocr_lines(data)
    reading = extract_fields(lines)
    return SlipReading(
        reading.layout, reading.fields, reading.confidence, reading.lines, time.perf_counter() - start
    )


async def read_image_async(data: bytes) -> SlipReading:
    """read_image in a worker thread, so the event loop keeps serving other chats meanwhile."""
    return await asyncio.to_thread(read_image, data)


def warm_up() -> None:
    """Load the model now (about half a second) instead of on the first photo; safe to call twice."""
    from .engine import get_engine

    get_engine()
