"""Incoming files: sniff the type from the bytes, check the limits, hash them.

The declared name and type are never trusted: a PDF named photo.jpg is a PDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import filetype

from conversations.cards import mask_card_numbers
from conversations.i18n import N_

ACCEPTED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "application/pdf": ".pdf",
}
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Accepted:
    sha256: str
    name: str
    mime: str
    size: int


@dataclass(frozen=True)
class Refused:
    message: str  # a message id for the user
    params: dict


def sniff(data: bytes) -> str | None:
    kind = filetype.guess(data[:8192])
    if kind is None:
        return None
    mime = kind.mime
    if mime in ("image/heif", "image/avif") and b"heic" in data[:64]:
        mime = "image/heic"
    return mime


def safe_name(name: str | None, mime: str) -> str:
    """A display name without path parts, control characters or card numbers, with a fitting extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "file"
    base = mask_card_numbers(base)[0][:120]
    ext = ACCEPTED.get(mime, "")
    stem, dot, old_ext = base.rpartition(".")
    if dot and old_ext.lower() in ("jpg", "jpeg", "png", "webp", "heic", "heif", "pdf"):
        base = stem or "file"
    return base + ext


def check(data: bytes, name: str | None, *, max_bytes: int) -> Accepted | Refused:
    if not data:
        return Refused(N_("That file is empty. Please send it again."), {})
    if len(data) > max_bytes:
        return Refused(
            N_(
                "That file is {size} MB; the limit is {limit} MB. Please send a smaller photo or a shorter PDF."
            ),
            {"size": round(len(data) / 1_048_576, 1), "limit": max_bytes // 1_048_576},
        )
    mime = sniff(data)
    if mime not in ACCEPTED:
        return Refused(
            N_("I can keep photos (JPEG, PNG, WebP, HEIC) and PDF files; this file is none of those."),
            {},
        )
    return Accepted(hashlib.sha256(data).hexdigest(), safe_name(name, mime), mime, len(data))
