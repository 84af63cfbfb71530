"""Logs: one JSON line per event, with personal data and secrets masked before anything is written.

Whatever a library or our code logs passes through `Redact`: bot tokens, full card numbers,
mainland phone numbers and e-mail addresses are masked. Our own events log ids and kinds, never
what the merchant typed; user ids are logged as a short keyed hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

from conversations.cards import mask_card_numbers
from conversations.chars import fit

_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
_SALT = os.environ.get("LOG_SALT", "pos-dispute-assistant")


# Escapes in a repr() or a JSON body a library logs ('６２２５\\u3000８８１２'): their digits would
# split a card number's groups, so they are read as the characters they stand for before masking.
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2})")


def _char(match: re.Match[str]) -> str:
    code = int(match.group()[2:], 16)
    return chr(code) if code < 0x110000 else ""


def _unescaped(text: str) -> str:
    if "\\" not in text:
        return text
    text = _ESCAPE.sub(
        _char, text
    )  # an escaped surrogate pair (an emoji in JSON) becomes one character again
    return fit(text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"))


def redact(text: str) -> str:
    text = _TOKEN.sub("[bot-token]", text)
    text = mask_card_numbers(_unescaped(text))[0]
    text = _PHONE.sub(r"\1****\3", text)
    return _EMAIL.sub(r"\1***@\2", text)


def user_ref(user_id: int | None) -> str | None:
    """A stable pseudonym for a user id, so log lines of one chat can be followed without the id."""
    if user_id is None:
        return None
    return hashlib.sha256(f"{_SALT}:{user_id}".encode()).hexdigest()[:10]


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra=` fields, all redacted."""

    _skip = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in self._skip and not key.startswith("_"):
                out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def setup(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
