"""Incoming files: sniff the type from the bytes, check the limits, hash them.

The declared name and type are never trusted: a PDF named photo.jpg is a PDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import filetype

from conversations.cards import mask_card_numbers
from conversations.chars import fit
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


MAX_PIXELS = 40_000_000  # a phone photo is 12-50 MP; more is a decompression bomb, not a slip


@dataclass(frozen=True)
class Accepted:
    sha256: str
    name: str
    mime: str
    size: int
    notice: str | None = None  # something to tell the merchant about a kept file (message id)


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
    base = fit(re.sub(r"[\x00-\x1f\x7f]", "", base)).strip() or "file"
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
    notice = None
    if mime in ("image/jpeg", "image/png", "image/webp"):
        problem = _image_problem(data)
        if problem is not None:
            return problem
    elif mime in ("image/heic", "image/heif"):
        notice = N_(
            "I kept the HEIC photo as evidence, but I cannot read numbers from HEIC; send a JPEG or a screenshot if you want me to read it."
        )
    elif mime == "application/pdf" and b"%%EOF" not in data[-2048:]:
        notice = N_(
            "I kept the PDF as evidence, but it looks cut off at the end; please check it opens, and send it again if not."
        )
    return Accepted(hashlib.sha256(data).hexdigest(), safe_name(name, mime), mime, len(data), notice)


def _image_problem(data: bytes) -> Refused | None:
    """Refuse an image too large in pixels (read from its header only) or truncated or corrupt."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    return Refused(
                        N_(
                            "That picture is {megapixels} megapixels; I take up to {limit}. Please send a smaller photo."
                        ),
                        {"megapixels": round(width * height / 1e6), "limit": MAX_PIXELS // 1_000_000},
                    )
                img.load()  # decodes every pixel: a cut-off or damaged file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused(N_("That picture is far too large in pixels. Please send an ordinary photo."), {})
    except (OSError, SyntaxError, ValueError):
        return Refused(
            N_("That photo seems damaged or cut off, so I could not open it. Please take or send it again."),
            {},
        )
    return None
