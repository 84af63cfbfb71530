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

__all__ = ["HINTS", "SlipReading", "extract_fields", "hint", "read_image", "read_image_async", "warm_up"]

#: What to tell a merchant when a photo gives nothing to prefill, by language and by what went wrong.
HINTS = {
    ("en", "no_text"): (
        "I could not find any text in this photo. Lay the slip flat in good light, let it fill the frame "
        "and hold the phone steady, then send it again, or type the numbers instead."
    ),
    ("zh", "no_text"): (
        "这张照片里没有找到文字。请把签购单平放在光线充足处，让它占满画面并拿稳手机再拍一张，或直接输入号码。"
    ),
    ("en", "no_fields"): (
        "I read some text but no transaction details (reference number, voucher number, amount…). Send a "
        "photo of the sales slip (签购单), the electronic slip or the transaction detail screen, or type "
        "the numbers instead."
    ),
    ("zh", "no_fields"): (
        "照片里读到了文字，但没有找到交易信息（参考号、凭证号、金额等）。请拍签购单、电子签购单或交易详情页面，或直接输入号码。"
    ),
}


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


def hint(reading: SlipReading, language: str = "zh") -> str | None:
    """The message for the merchant when a photo gave nothing to prefill; None when it gave something."""
    if reading.fields:
        return None
    lang = "zh" if language.startswith("zh") else "en"
    return HINTS[(lang, "no_text" if reading.lines == 0 else "no_fields")]


def warm_up() -> None:
    """Load the model now (about half a second) instead of on the first photo; safe to call twice."""
    from .engine import get_engine

    get_engine()
