"""Repair what OCR confuses and validate each value by its field rule (case-fields.md).

Every parser returns a `Value` (the canonical string and a confidence factor for the repairs it had
to make) or None when the text does not validate. None is the safe answer: a wrong prefilled
reference number is worse than an empty one. A full card number is masked here and never returned
or logged in the clear.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from conversations import cards
from conversations.cards import is_card_number, mask_pan

from .layouts import BANKS, TYPE_WORDS

TZ_SUFFIX = "+08:00"  # slips print local time; merchants are in Asia/Shanghai (no DST)


@dataclass(frozen=True)
class Value:
    value: str
    factor: float = 1.0  # 1.0 = read as is; lower when characters had to be repaired


# --- text ------------------------------------------------------------------------------------------

_EXTRA = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "−": "-",
        "〇": "0",
        "．": ".",
        "。": ".",
        "×": "*",
        "＊": "*",
        "※": "*",
        "•": "*",
        "●": "*",
        "★": "*",
        "☆": "*",
        "✱": "*",
        "（": "(",
        "）": ")",
        "【": "(",
        "】": ")",
        "[": "(",
        "]": ")",
        "；": ";",
        "＂": '"',
    }
)


def nfkc(text: str) -> str:
    """Full-width to half-width (NFKC), unify brackets, dashes and stars, collapse spaces."""
    s = unicodedata.normalize("NFKC", text).translate(_EXTRA)
    return re.sub(r"\s+", " ", s).strip()


def nfkc_probs(text: str, probs: tuple[float, ...] | None) -> tuple[str, tuple[float, ...]]:
    """nfkc() that keeps a probability per output character (each input character's for its outputs)."""
    if not probs or len(probs) != len(text):
        flat = nfkc(text)
        return flat, (1.0,) * len(flat) if not probs else (min(probs),) * len(flat)
    out: list[str] = []
    ps: list[float] = []
    for ch, p in zip(text, probs, strict=True):
        for c in unicodedata.normalize("NFKC", ch).translate(_EXTRA):
            if c.isspace():
                if out and out[-1] != " ":
                    out.append(" ")
                    ps.append(1.0)
                continue
            out.append(c)
            ps.append(p)
    while out and out[-1] == " ":
        out.pop()
        ps.pop()
    while out and out[0] == " ":
        out.pop(0)
        ps.pop(0)
    return "".join(out), tuple(ps)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- digits ----------------------------------------------------------------------------------------

# Letters OCR returns for digits on slips (thermal dot fonts and JPEG blur), by visual similarity.
_DIGIT_LOOKALIKE = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "U": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "L": "1",
        "!": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "B": "8",
        "G": "6",
        "b": "6",
        "g": "9",
        "q": "9",
        "T": "7",
    }
)


def as_digits(text: str, length: int, *, max_repairs: int = 1) -> Value | None:
    """Exactly `length` digits, spaces and separators dropped, at most `max_repairs` look-alike letters."""
    s = re.sub(r"[\s\-_.,:;'\"]", "", text)
    if len(s) != length:
        return None
    fixed = s.translate(_DIGIT_LOOKALIKE)
    if not fixed.isdigit() or not fixed.isascii():
        return None
    repairs = sum(1 for a, b in zip(s, fixed, strict=True) if a != b)
    if repairs > max_repairs:
        return None
    return Value(fixed, 0.8**repairs)


def as_alnum(text: str, length: int) -> Value | None:
    """Exactly `length` letters or digits, upper-cased. A mostly-digit code gets O/I read as 0/1."""
    s = re.sub(r"[\s\-_.,:;'\"]", "", text).upper()
    if len(s) != length or not re.fullmatch(r"[0-9A-Z]+", s):
        return None
    # O and I are read for 0 and 1 far more often than issuers and acquirers print them (the codes
    # are mostly digits), so they are taken as digits, at a lower confidence.
    fixed = s.translate(str.maketrans({"O": "0", "I": "1"}))
    factor = 0.9 ** sum(1 for a, b in zip(s, fixed, strict=True) if a != b)
    return Value(fixed, factor)


# --- money -----------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)(人民币|RMB|CNY|元|¥|Y(?=\d)|\$)")


def as_amount(text: str) -> Value | None:
    """'RMB 1,288.00', '¥1288.00', '-1,288.00元' → '1288.00'; exactly two decimals required."""
    s = _CURRENCY.sub("", nfkc(text))
    s = s.replace(" ", "").strip(":")
    s = s.lstrip("+-")
    if not s:
        return None
    factor = 1.0
    m = re.fullmatch(r"(\d{1,3}(?:[,.]\d{3})+|\d+)[.,](\d{2})", s)
    if not m:
        return None
    whole, cents = m.group(1), m.group(2)
    if "." in whole:  # a thousands comma read as a dot: accept only a clean 3-digit grouping
        factor = 0.9
    whole = re.sub(r"[,.]", "", whole)
    if s[-3] == ",":
        factor = min(factor, 0.85)
    if len(whole) > 1 and whole.startswith("0"):
        return None
    value = int(whole) * 100 + int(cents)
    if value <= 0 or value > 100_000_000 * 100:
        return None
    return Value(f"{int(whole)}.{cents}", factor)


# --- dates -----------------------------------------------------------------------------------------

_DATE = r"(?P<y>20\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{2}|\d(?!\d))\s*日?"
_TIME = r"(?P<H>\d{1,2})\s*[:;.时]\s*(?P<M>\d{2})(?:\s*[:;.\-分]\s*(?P<S>\d{2}))?\s*秒?"
_DATETIME_RE = re.compile(rf"^{_DATE}\s*(?:T\s*)?{_TIME}$")
_DATE_RE = re.compile(rf"^{_DATE}$")
_TIME_RE = re.compile(rf"^{_TIME}$")


def _iso(y: int, mo: int, d: int, h: int, mi: int, sec: int) -> str | None:
    try:
        dt = datetime(y, mo, d, h, mi, sec)
    except ValueError:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + TZ_SUFFIX


def as_datetime(text: str) -> Value | None:
    """'2025/11/22 18:30:00', '2025-11-22 18:30', '2025年11月22日 18:30:00' → ISO 8601 at +08:00."""
    s = nfkc(text).strip(" :")
    m = _DATETIME_RE.match(s)
    if not m:
        return None
    sec = m.group("S")
    iso = _iso(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"]), int(m["M"]), int(sec or 0))
    return Value(iso, 1.0 if sec else 0.95) if iso else None


def as_date(text: str) -> tuple[int, int, int] | None:
    m = _DATE_RE.match(nfkc(text).strip(" :"))
    if not m:
        return None
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    return (y, mo, d) if _iso(y, mo, d, 0, 0, 0) else None


def as_time(text: str) -> tuple[int, int, int] | None:
    m = _TIME_RE.match(nfkc(text).strip(" :"))
    if not m:
        return None
    h, mi, sec = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    return (h, mi, sec) if h < 24 and mi < 60 and sec < 60 else None


def combine(date: tuple[int, int, int], time: tuple[int, int, int]) -> Value | None:
    iso = _iso(*date, *time)
    return Value(iso, 0.95) if iso else None


# --- cards -----------------------------------------------------------------------------------------


def mask_card_numbers(text: str) -> str:
    """Mask every full card number in free text (for anything that could reach a log): the one detector."""
    return cards.mask_card_numbers(text)[0]


_MASKED = re.compile(
    r"^(?P<head>\d{6}|\d{4})(?P<stars>[*.·°'`\"]*\*[*.·°'`\"]*)(?P<tail>\d{4})(?P<mode>[CSI10/]{0,2})$"
)
_TAIL = re.compile(r"(?:尾号|末四位|后四位|末尾|\*{2,})\s*(?P<tail>\d{4})\)?$")


def as_card(text: str) -> Value | None:
    """A masked card number as printed, canonical '622588******1234' / '****1234'; a full one is masked."""
    s = nfkc(text)
    s = re.sub(r"(?<=[\d*])\s*[/(]?\s*[CSIFQWMN]\s*\)?$", "", s)  # entry-mode mark after the number on slips
    flat = re.sub(r"[\s\-]", "", s)
    flat = re.sub(r"[xX#]", "*", flat)
    m = _MASKED.match(flat)
    if m:
        head = m["head"]
        stars = m["stars"]
        total = len(head) + len(stars) + 4
        factor = 1.0 if 13 <= total <= 19 and set(stars) == {"*"} else 0.9
        if m["mode"]:  # the entry-mode letter (C chip, S swipe, I insert) glued to the number
            factor *= 0.9
        if head[0] in "08":
            return None
        return Value(f"{head}******{m['tail']}", factor)
    if flat.isdigit():
        # A full number: masked at once. Only the usual UnionPay lengths, since a faded run of stars
        # can be read as digits that pass Luhn by chance (one time in ten).
        if len(flat) in (16, 19) and is_card_number(flat):
            return Value(mask_pan(flat), 0.9)
        return None  # a wrong full number, or a misread: never proposed, never echoed
    m = _TAIL.search(flat)
    if m and not re.search(r"\d", flat[: m.start()]):
        return Value("****" + m["tail"], 0.95)
    return None


# --- words -----------------------------------------------------------------------------------------


def as_type(text: str) -> Value | None:
    """消费 sale, 预授权完成 preauth_completion, 退货 refund, 消费撤销 void; other known kinds → other."""
    s = compact(nfkc(text)).upper()
    words = sorted(TYPE_WORDS, key=lambda p: -len(p[0]))
    kinds = set()
    rest = s
    while rest:
        rest = rest.lstrip("/()-|:.")
        if not rest:
            break
        for word, kind in words:
            if rest.startswith(word):
                kinds.add(kind)
                rest = rest[len(word) :]
                break
        else:
            return _fuzzy_type(s)  # a word we do not know: 消费撒销 must not pass for 消费
    if len(kinds) != 1:
        return None
    return Value(kinds.pop(), 1.0)


def _fuzzy_type(s: str) -> Value | None:
    """One character off in a Chinese type word of four or more ('消费撒销'), confirmed by its English."""
    zh = "".join(ch for ch in s if has_cjk(ch))
    en = re.sub(r"[^A-Z]", "", s)
    near = {
        kind for word, kind in TYPE_WORDS if len(word) >= 4 and has_cjk(word) and edit_distance(zh, word) == 1
    }
    if len(near) != 1:
        return None
    kind = near.pop()
    if en:
        english = {k for w, k in TYPE_WORDS if w == en}
        if english != {kind}:
            return None
        return Value(kind, 0.9)
    return Value(kind, 0.75)


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def as_issuer(text: str) -> Value | None:
    """A bank name; snapped to a known issuer when one character is off, else must end in 银行 etc."""
    s = compact(nfkc(text))
    s = re.sub(r"\(?\d{8}\)?$", "", s)  # institution code printed after the name
    s = re.sub(r"(信用卡|借记卡|贷记卡|储蓄卡|准贷记卡)$", "", s).strip(":")
    if not s or not has_cjk(s) or len(s) > 30:
        return None
    if s in BANKS:
        return Value(s, 1.0)
    near = [b for b in BANKS if edit_distance(s, b) <= (1 if len(b) <= 5 else 2)]
    if len(near) == 1:
        return Value(near[0], 0.85)
    if re.fullmatch(r"[\u4e00-\u9fff]{2,20}(银行|信用社|农商行|农信)", s):
        return Value(s, 0.75)  # a bank we do not list: only its own characters, nothing stuck on
    return None


def as_name(text: str) -> Value | None:
    """A merchant name: 2-100 characters with letters or CJK, not a number, not a label."""
    s = nfkc(text).strip(" :;,.-")
    if not (2 <= len(s) <= 100):
        return None
    if not (has_cjk(s) or re.search(r"[A-Za-z]{3}", s)):
        return None
    if sum(ch.isdigit() for ch in s) > len(s) / 2:
        return None
    if re.search(r"[:(]", s):
        return None
    return Value(s, 1.0)


# --- bank notices ----------------------------------------------------------------------------------

_DAY = re.compile(r"^(?P<y>20\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?")


def as_day(text: str) -> Value | None:
    """'2025年9月28日', '2025-09-28', '2025/9/28 17:00', '2025.09.28前' → '2025-09-28' (a notice's dates)."""
    s = nfkc(text).strip(" :")
    m = _DAY.match(s)
    if not m:
        return None
    rest = s[m.end() :].strip()
    # what may follow a date: a time, 前/之前/以前, a bracketed weekday; nothing else
    if rest and not re.fullmatch(r"(\d{1,2}[:：]\d{2}(:\d{2})?)?\s*(前|之前|以前|止|\(.{1,4}\))?", rest):
        return None
    try:
        day = datetime(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    return Value(day.strftime("%Y-%m-%d"), 1.0)


def as_case_no(text: str) -> Value | None:
    """A case number as printed: 6-32 letters, digits and dashes, with at least four digits."""
    s = re.sub(r"\s", "", nfkc(text)).strip(":;.,").upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9\-_/]{5,31}", s) or sum(ch.isdigit() for ch in s) < 4:
        return None
    return Value(s, 1.0)


_REASON = re.compile(
    r"^(?P<code>[0-9]{2,4}|[A-Z]\d{2,3})(?:\s*[-:：.、(]\s*|\s+|(?=[\u4e00-\u9fff]))(?P<text>[\u4e00-\u9fff][\u4e00-\u9fff/、，,]{1,24})?\)?$"
)


def as_reason(text: str) -> Value | None:
    """'4837 非持卡人本人交易', '4837-非持卡人本人交易', '4837(…)' → '4837 非持卡人本人交易'; text alone kept."""
    s = nfkc(text).strip(" :;")
    m = _REASON.match(s) or _REASON.match(s + " ")
    if m:
        return Value(f"{m['code']} {m['text']}" if m["text"] else m["code"], 1.0)
    if re.fullmatch(r"[\u4e00-\u9fff]{4,24}", s):
        return Value(s, 0.9)
    return None


def as_stage(text: str) -> Value | None:
    """The stage a notice or its 业务类型 row names: retrieval, chargeback or arbitration."""
    from .layouts import STAGE_WORDS

    s = compact(nfkc(text)).upper()
    kinds = {kind for word, kind in STAGE_WORDS if word in s}
    return Value(kinds.pop(), 1.0) if len(kinds) == 1 else None


#: The mark a slip prints after the card number for how the card was read.
ENTRY_MARKS = {
    "C": "chip",
    "I": "chip",
    "S": "swipe",
    "F": "fallback",
    "Q": "contactless",
    "W": "contactless",
    "M": "manual",
    "N": "contactless",
}
_MODE = re.compile(r"(?:\d|\*)\s*(?:/\s*|\(\s*|\s+)?(?P<mark>[CSIFQWMN])\s*\)?$")


def entry_mode(text: str) -> tuple[str, int] | None:
    """The entry mode from the mark after a card number ('…1234 /C' → chip) and the mark's index in text."""
    s = nfkc(text)
    m = _MODE.search(s)
    if not m:
        return None
    return ENTRY_MARKS[m["mark"]], m.start("mark")
