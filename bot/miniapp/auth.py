"""Telegram's init data, checked as Telegram documents it (core.telegram.org/bots/webapps, "Validating data").

The page sends the init data string Telegram gave it with every API call. It is a query string;
its `hash` is HMAC-SHA256 of the other fields (sorted, `key=value` lines) keyed with
HMAC-SHA256("WebAppData", bot token). Fresh means `auth_date` no more than an hour old.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_AGE = 3600  # seconds an init data stays good
SKEW = 300  # a client clock this far ahead is still taken


@dataclass(frozen=True)
class WebAppUser:
    id: int
    language_code: str | None
    first_name: str | None
    auth_date: int


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def check(init_data: str, token: str, now: float, max_age: int = MAX_AGE) -> WebAppUser | None:
    """The signed-in user, or None when the data is missing, forged, stale or has no user."""
    if not init_data or len(init_data) > 8192:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: not what Telegram signs
        return None
    given = fields.pop("hash", "")
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    expected = hmac.new(_secret(token), check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return None
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return None
    if not (now - max_age <= auth_date <= now + SKEW):
        return None
    return WebAppUser(user_id, user.get("language_code"), user.get("first_name"), auth_date)
