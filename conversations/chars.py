"""Characters that no message or document can hold, removed from everything that arrives.

C0 control characters other than tab and line breaks, lone UTF-16 surrogates (a client's broken
emoji arrives as one) and Unicode noncharacters (U+FFFE, U+FFFF, U+FDD0-U+FDEF and the last two of
every plane) are not allowed in XML (DOCX), cannot be encoded as UTF-8 (the PDF renderer, a ZIP
entry name, a Telegram message), and carry nothing a merchant meant. Removed once, on the way in,
a case can always be drafted; the documents remove them again for cases stored before.
"""

from __future__ import annotations

import re

_NONCHARACTERS = "".join(chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
_UNFIT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")


def fit(text: str) -> str:
    """The text without characters no message or document can hold."""
    return _UNFIT.sub("", text) if _UNFIT.search(text) else text


def fit_everywhere(value: object) -> object:
    """A copy of a JSON-like value with every string (keys too) fit."""
    if isinstance(value, str):
        return fit(value)
    if isinstance(value, dict):
        return {fit_everywhere(k): fit_everywhere(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fit_everywhere(v) for v in value]
    return value
