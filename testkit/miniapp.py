"""Opening the case page as Telegram would: init data signed for a test user, Debian's Chromium headless.

Telegram opens a Mini App at its URL with `#tgWebAppData=<init data>&tgWebAppThemeParams=<json>…`
in the hash; `page_url` builds that. `sign` signs init data as Telegram does (HMAC-SHA256 keyed with
HMAC-SHA256("WebAppData", bot token) over the sorted `key=value` lines).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import time
from urllib.parse import quote, urlencode

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
DARK = {
    "bg_color": "#212d3b",
    "text_color": "#ffffff",
    "hint_color": "#7d8b99",
    "link_color": "#5eabe1",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#151e27",
    "section_bg_color": "#1d2733",
    "destructive_text_color": "#ec3942",
}


def sign(fields: dict[str, str], token: str) -> str:
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def init_data(
    token: str,
    user_id: int,
    *,
    language_code: str = "en",
    first_name: str = "Ana",
    auth_date: int | None = None,
) -> str:
    user = {
        "id": user_id,
        "first_name": first_name,
        "language_code": language_code,
        "allows_write_to_pm": True,
    }
    fields = {
        "query_id": f"AAH{user_id}",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    return sign(fields, token)


def page_url(url: str, data: str, theme: dict | None = None) -> str:
    """The URL as a Telegram client opens it: the init data and the theme in the hash."""
    params = [
        f"tgWebAppData={quote(data, safe='')}",
        "tgWebAppVersion=8.0",
        "tgWebAppPlatform=android",
        f"tgWebAppThemeParams={quote(json.dumps(theme or LIGHT), safe='')}",
    ]
    return f"{url}#{'&'.join(params)}"


def chromium() -> str:
    """Debian's chromium (`.ci/run` installs it); Playwright's own browser download is not reachable here."""
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if not found:
        raise RuntimeError("chromium is not installed: apt-get install -y chromium (.ci/run does it)")
    return found
