"""Telegram HTML to plain text, for the console and replies.jsonl."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    return html.unescape(_TAG.sub("", text))
