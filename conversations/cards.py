"""Card numbers: detect a full number (Luhn) anywhere in text and mask it to first 6 / last 4.

PCI DSS allows showing at most the first six and last four digits; a full number must never reach
storage, logs or documents. Detection looks for 13-19 digits (spaces or dashes allowed between
them) that pass the Luhn check. Numbers whose first digit is 0 or 8 are left alone: no payment
card starts so (ISO/IEC 7812 major industry identifiers), while UnionPay merchant numbers
(商户编号, 15 digits starting 8) can pass Luhn by chance and must stay readable.
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![\d])(\d(?:[ \-]?\d){12,18})(?![\d])")
MASK_CHAR = "*"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits.isdigit() and digits[0] not in "08" and luhn_ok(digits)


def mask_pan(digits: str) -> str:
    """622588xxxxxx1234 style: first 6, stars, last 4."""
    return digits[:6] + MASK_CHAR * (len(digits) - 10) + digits[-4:]


def mask_card_numbers(text: str) -> tuple[str, int]:
    """Return the text with every full card number masked, and how many were masked."""
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        digits = re.sub(r"[ \-]", "", match.group(1))
        if not is_card_number(digits):
            return match.group(0)
        count += 1
        return mask_pan(digits)

    if not any(ch.isdigit() for ch in text):
        return text, 0
    return _CANDIDATE.sub(repl, text), count
