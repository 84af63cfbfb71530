"""Card numbers: find a full number (Luhn) in any form anywhere in text and mask it to first 6 / last 4.

PCI DSS allows showing at most the first six and last four digits; a full number must never reach
storage, logs or documents. Merchants type numbers as their phone and keyboard give them: full-width
(６２２５), mixed widths, grouped with the Chinese IME space (U+3000), NBSP, two spaces, a newline,
`.`, `/`, `_`, `，`, a dash of any kind, a Chinese character, with zero-width spaces in between. So
one detector, used everywhere the masker runs:

1. every character is read as the digits it stands for after NFKC (full-width, mathematical,
   superscript, circled, other scripts' decimal digits), format characters and combining marks
   (zero-width space, BOM, keycap marks) count as nothing;
2. digit groups joined by a short run (at most ``MAX_GAP`` characters) of anything but Latin letters
   form a chain (letters and digits mixed are a hex value or an id, never a card number's groups);
3. any window of whole groups of a chain with 13-19 digits, grouped as card numbers are (every group
   but the last of 3 digits or more, or one digit at a time, which keeps dates and times such as
   2025-11-22 18:30:45 out), that passes Luhn is a card number;
4. its digits other than the first 6 and the last 4 are replaced by `*` in the original text, which
   otherwise keeps its shape (separators, widths).

Numbers whose first digit is 0, 1 or 8 are left alone: no payment card taken at a POS starts so
(ISO/IEC 7812 major industry identifiers: 0 is the standards body's, 1 airlines', 8 health and
telecommunications), while UnionPay merchant numbers (商户编号, 15 digits starting 8) can pass Luhn
by chance and must stay readable. A run of more than 19 digits with nothing between them (a WeChat or
Alipay transaction number) is one group, never cut into a card number.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

MASK_CHAR = "*"
MAX_GAP = 3  # separator characters between two groups of one number ("6225 - 8812", "\r\n", "卡号")
_IGNORED = frozenset({"Cf", "Mn", "Me"})  # format characters and combining marks: invisible, dropped

# Characters that stand for digits but are not \d (decimal digits of any script): those whose NFKC is
# digits (superscripts, subscripts, circled numbers) and those with a digit value (❶, ⒈, ⑴, 🄁).
# tests/test_cards.py checks this list against the whole of Unicode.
_OTHER_DIGITS = (
    "\u00b2-\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u247c\u2488-\u2490"
    "\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u3251-\u325f\u32b1-\u32bf"
    "\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a\U0001f100-\U0001f10a"
)
_RUN = re.compile(rf"[\d{_OTHER_DIGITS}]+")
_LATIN = re.compile(r"[A-Za-z]")
_UUID = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])")
_WORD_PART = re.compile(r"[A-Za-z][-_](?=\d)")

Digit = tuple[int, int, str]  # position in the text, index among the character's digits, the digit


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
    return (
        13 <= len(digits) <= 19
        and digits.isascii()
        and digits.isdigit()
        and digits[0] not in "018"
        and luhn_ok(digits)
    )


def mask_pan(digits: str) -> str:
    """622588xxxxxx1234 style: first 6, stars, last 4."""
    return digits[:6] + MASK_CHAR * (len(digits) - 10) + digits[-4:]


@functools.lru_cache(maxsize=2048)
def digits_of(ch: str) -> str:
    """The ASCII digits one character stands for ('６' → '6', '⑯' → '16'), '' for anything else."""
    if "0" <= ch <= "9":
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    values = [unicodedata.decimal(c, None) for c in folded]
    if folded and None not in values:
        return "".join(map(str, values))
    value = unicodedata.digit(ch, None)
    return "" if value is None else str(value)


def normalized_digits(text: str) -> str:
    """Every digit of the text in ASCII, in order (what a reader of the text would take as its digits)."""
    return "".join(digits_of(ch) for match in _RUN.finditer(text) for ch in match.group())


def _gap(text: str, start: int, end: int) -> int:
    """How many visible characters separate two digit runs (MAX_GAP + 1 standing for 'too many').

    A Latin letter is never a separator: digits and letters mixed are a word of their own (a SHA-256
    or other hex value, a file id, an order number like 62A2588B), not a card number's groups."""
    gap = text[start:end]
    if end - start > 8 * (MAX_GAP + 1) or (not gap.isdigit() and _LATIN.search(gap)):
        return MAX_GAP + 1
    return sum(1 for ch in gap if unicodedata.category(ch) not in _IGNORED)


@dataclass
class _Chain:
    """Digit groups joined by short separators: their digits in ASCII, where each digit came from, and
    how many digits each group has."""

    digits: list[str] = field(default_factory=list)
    where: list[tuple[int, int]] = field(default_factory=list)  # (position in the text, digit of the char)
    sizes: list[int] = field(default_factory=list)


def _chains(text: str) -> Iterator[_Chain]:
    chain = _Chain()
    end = None
    for match in _RUN.finditer(text):
        if _WORD_PART.match(text, max(0, match.start() - 2)) and match.end() - match.start() <= 3:
            # "SHA-256", "ID_12": a short number joined to a word is part of the word, not a group
            if sum(chain.sizes) >= 13:
                yield chain
            chain, end = _Chain(), None
            continue
        gap = _gap(text, end, match.start()) if end is not None else 1
        if gap > MAX_GAP:
            if sum(chain.sizes) >= 13:
                yield chain
            chain = _Chain()
        if gap:
            chain.sizes.append(0)
        run = match.group()
        if run.isascii():
            chain.digits.append(run)
            chain.where.extend((pos, 0) for pos in range(match.start(), match.end()))
            chain.sizes[-1] += len(run)
        else:
            for pos, ch in enumerate(run, match.start()):
                value = digits_of(ch)
                chain.digits.append(value)
                chain.where.extend((pos, k) for k in range(len(value)))
                chain.sizes[-1] += len(value)
        end = match.end()
    if sum(chain.sizes) >= 13:
        yield chain


def _grouped(sizes: list[int]) -> bool:
    """Grouped as card numbers are written: 4-4-4-4, 4-6-5, 6-13, 4-4-4-4-3, whole, or digit by digit."""
    return all(size >= 3 for size in sizes[:-1]) or all(size == 1 for size in sizes)


def find_card_numbers(text: str) -> list[list[Digit]]:
    """Every card number in the text, as its digits with their positions (overlapping ones included)."""
    found = []
    ids = [m.span() for m in _UUID.finditer(text)]  # a UUID's groups may be digits and pass Luhn by chance
    for chain in _chains(text):
        digits = "".join(chain.digits)
        starts = [0]
        for size in chain.sizes:
            starts.append(starts[-1] + size)
        for i in range(len(chain.sizes)):
            for j in range(i, len(chain.sizes)):
                total = starts[j + 1] - starts[i]
                if total > 19:
                    break
                if total < 13 or not _grouped(chain.sizes[i : j + 1]):
                    continue
                number = digits[starts[i] : starts[j + 1]]
                first = chain.where[starts[i]][0]
                if is_card_number(number) and not any(a <= first < b for a, b in ids):
                    found.append(
                        [
                            (*chain.where[n], d)
                            for n, d in zip(range(starts[i], starts[j + 1]), number, strict=True)
                        ]
                    )
    return found


def mask_card_numbers(text: str) -> tuple[str, int]:
    """Return the text with every full card number masked in place, and how many were masked."""
    if not isinstance(text, str) or sum(map(len, _RUN.findall(text))) < 13:
        return text, 0  # fewer digits than any card has (most log lines, names, amounts)
    hidden: dict[int, set[int]] = {}
    count = 0
    for digits in find_card_numbers(text):
        if any(d[1] not in hidden.get(d[0], ()) for d in digits[6:-4]):
            count += 1  # one that an overlapping number found before did not already hide
        for pos, k, _ in digits[6:-4]:
            hidden.setdefault(pos, set()).add(k)
    if not hidden:
        return text, 0
    out = []
    last = 0
    for pos in sorted(hidden):
        out.append(text[last:pos])
        shown = digits_of(text[pos])
        out.append("".join(MASK_CHAR if k in hidden[pos] else d for k, d in enumerate(shown)))
        last = pos + 1
    out.append(text[last:])
    return "".join(out), count


def mask_everywhere(value: object) -> object:
    """A copy of a JSON-like value (an update, a case) with every string masked, keys too."""
    if isinstance(value, str):
        return mask_card_numbers(value)[0]
    if isinstance(value, dict):
        return {mask_everywhere(k): mask_everywhere(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_everywhere(v) for v in value]
    return value
