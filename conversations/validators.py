"""Validators: turn what a merchant types into a field value, or say what to send instead.

Pure functions. Each returns `Valid(value)` or `Invalid(message_id, params)`; the message is an
English gettext id translated when shown. They read what merchants really type: full-width
digits, `1,288.00`, `¥1288`, `一千二百八十八元`, `2025/11/22 18:30`, `11月22日 下午6点半`,
`昨天晚上8点`, `yesterday 8pm`.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from conversations.cards import is_card_number, mask_pan
from conversations.i18n import N_

MAX_AMOUNT = Decimal("99999999.99")


@dataclass(frozen=True)
class Valid:
    value: object
    notice: str | None = None  # an extra message id to tell the merchant (e.g. "card number masked")


@dataclass(frozen=True)
class Invalid:
    message: str
    params: dict = field(default_factory=dict)


Result = Valid | Invalid

_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)


def clean(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), no zero-width or direction marks, trimmed."""
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).strip()


# --- free text -----------------------------------------------------------------------------------


def text(value: str, *, max_len: int = 200, min_len: int = 1) -> Result:
    value = value.strip()
    if len(value.translate(_ZERO_WIDTH).strip()) < min_len:
        return Invalid(N_("Please type a short answer, or /skip if you don't know."))
    if len(value) > max_len:
        return Invalid(
            N_("That is {length} characters; please keep it within {max} (a summary is fine)."),
            {"length": len(value), "max": max_len},
        )
    return Valid(value)


# --- amounts -------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)(人民币|rmb|cny|yuan|元整|元|块钱|块|¥|￥|圆)")
_CN_NUMERAL = re.compile(r"^[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点]+$")


def amount(value: str) -> Result:
    raw = clean(value)
    s = _CURRENCY.sub("", raw).replace(" ", "").replace("\u00a0", "")
    if _CN_NUMERAL.match(s or "-"):
        try:
            import cn2an

            s = str(cn2an.cn2an(s, "smart"))
        except (ValueError, KeyError, IndexError):
            return Invalid(N_("I could not read that amount. Type it in digits, e.g. 1288.00."))
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    if s.startswith("-"):
        return Invalid(N_("The amount must be more than zero. Type it as on the slip, e.g. 1288.00."))
    if not re.fullmatch(r"\d+(\.\d+)?", s):
        return Invalid(N_("I could not read that amount. Type it in digits, e.g. 1288.00."))
    try:
        number = Decimal(s)
    except InvalidOperation:
        return Invalid(N_("I could not read that amount. Type it in digits, e.g. 1288.00."))
    if number <= 0:
        return Invalid(N_("The amount must be more than zero. Type it as on the slip, e.g. 1288.00."))
    if number != number.quantize(Decimal("0.01")):
        return Invalid(N_("Amounts in yuan have at most two decimal places (fen). Please check it."))
    if number > MAX_AMOUNT:
        return Invalid(N_("That amount is too large for a card payment. Please check it."))
    return Valid(f"{number.quantize(Decimal('0.01'))}")


# --- identifiers ---------------------------------------------------------------------------------


def digits(value: str, *, length: int, message: str) -> Result:
    s = re.sub(r"[\s\-]", "", clean(value))
    if not re.fullmatch(rf"\d{{{length}}}", s):
        return Invalid(message, {"length": length, "got": len(re.sub(r"\D", "", s))})
    return Valid(s)


def alphanumeric(value: str, *, length: int, message: str) -> Result:
    s = re.sub(r"[\s\-]", "", clean(value)).upper()
    if not re.fullmatch(rf"[0-9A-Z]{{{length}}}", s):
        return Invalid(message, {"length": length})
    return Valid(s)


def reference(value: str, *, max_len: int = 40) -> Result:
    """A ticket or case number given by a bank, provider or police: letters, digits, - / _ ."""
    s = clean(value)
    if (
        not s
        or len(s) > max_len
        or not re.fullmatch(r"[0-9A-Za-z\-_/.#:()（）\[\]〔〕【】\u4e00-\u9fff ]+", s)
    ):
        return Invalid(
            N_("Please send the number as written on the notice (letters, digits and dashes), or /skip.")
        )
    return Valid(s)


_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
# area codes: 010 and 02x have three digits, the others four (0571, 0755...)
_LANDLINE = re.compile(r"^(?:\+?86)?(0[12]\d|0[3-9]\d{2})(\d{7,8})(?:(?:ext|转|#)(\d{1,6}))?$")


def phone(value: str) -> Result:
    s = re.sub(r"[\s\-()（）]", "", clean(value))
    if m := _MOBILE.match(s):
        return Valid(m.group(1))
    if m := _LANDLINE.match(s):
        number = f"{m.group(1)}-{m.group(2)}"
        return Valid(f"{number} ext {m.group(3)}" if m.group(3) else number)
    return Invalid(
        N_(
            "That is not a mainland phone number. Send a mobile number (11 digits, e.g. 13800138000) "
            "or a landline with area code (e.g. 0571-87654321)."
        )
    )


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code(value: str) -> Result:
    s = re.sub(r"\s", "", clean(value)).upper()
    if len(s) != 18 or any(c not in _CREDIT_CHARS for c in s):
        return Invalid(
            N_(
                "The unified social credit code (统一社会信用代码) has 18 characters (digits and capital "
                "letters, no I, O, S, V or Z). Please check it, or /skip."
            )
        )
    if credit_code_check_char(s[:17]) != s[17]:
        return Invalid(
            N_(
                "The last character of that credit code does not match its check digit. Please check it, or /skip."
            )
        )
    return Valid(s)


_MASKED = re.compile(r"^(\d{0,6})[*xX•●#.]{2,}(\d{4})$")


def card_masked(value: str) -> Result:
    """A card number as printed on the slip (masked), or a full number that we mask at once."""
    s = re.sub(r"[\s\-]", "", clean(value))
    s = re.sub(r"^(尾号|末四位|后四位|lastfour|last4|ending|endingin)", "", s, flags=re.I)
    if s.isdigit():
        if len(s) == 4:
            return Valid("*" * 4 + s)
        if is_card_number(s):
            return Valid(mask_pan(s), notice=N_("That was a full card number: I keep only {masked}."))
        if 13 <= len(s) <= 19:
            return Invalid(
                N_(
                    "That is not a valid card number (its check digit fails). Send it as printed on the "
                    "slip, e.g. 622588******1234, or just the last 4 digits."
                )
            )
    if m := _MASKED.match(s):
        return Valid(f"{m.group(1)}{'*' * 6 if m.group(1) else '****'}{m.group(2)}")
    return Invalid(
        N_("Send the card number as printed on the slip, e.g. 622588******1234, or just the last 4 digits.")
    )


# --- dates and times -----------------------------------------------------------------------------

_NUMERIC_DT = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})?\s*分?(?:\s*[:：]\s*(?P<S>\d{1,2})\s*秒?)?)?$"
)
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_EN_TIME = re.compile(r"(?i)(\d{1,2}:\d{2}|\d\s*(am|pm|a\.m\.|p\.m\.)|\bnoon\b|\bmidnight\b|\bo'?clock\b)")


@dataclass(frozen=True)
class Parsed:
    moment: datetime  # naive, in the merchant's time zone
    has_time: bool


@lru_cache(maxsize=1)
def _jionlp():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp
    return jionlp


def _parse_numeric(s: str) -> Parsed | None:
    m = _NUMERIC_DT.match(s)
    if not m:
        return None
    try:
        d = date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["H"] is None:
            return Parsed(datetime.combine(d, time()), False)
        clock = time(int(m["H"]), int(m["M"] or 0), int(m["S"] or 0))
    except ValueError:
        return None
    return Parsed(datetime.combine(d, clock), True)


def _parse_chinese(s: str, now_local: datetime) -> Parsed | None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = _jionlp().parse_time(s, time_base=now_local.timestamp())
    except Exception:  # jionlp raises plain Exceptions on text it does not understand
        return None
    if not res or res.get("type") != "time_point" or not res.get("time"):
        return None
    start, end = (datetime.strptime(x, "%Y-%m-%d %H:%M:%S") for x in res["time"][:2])
    return Parsed(start, end - start <= timedelta(hours=1))


def _parse_english(s: str, now_local: datetime) -> Parsed | None:
    import dateparser

    found = dateparser.parse(
        s,
        languages=["en"],
        settings={
            "RELATIVE_BASE": now_local,
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "YMD" if re.match(r"^\d{4}", s) else "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if found is None:
        return None
    return Parsed(found.replace(microsecond=0), bool(_EN_TIME.search(s)))


def parse_moment(value: str, now: datetime, tz: ZoneInfo) -> Parsed | None:
    """Read a date or date-time; relative words resolve against `now` in the merchant's zone."""
    s = clean(value)
    if not s:
        return None
    now_local = now.astimezone(tz).replace(tzinfo=None)
    found = _parse_numeric(s)
    if found is None:
        found = _parse_chinese(s, now_local) if _HAS_CJK.search(s) else _parse_english(s, now_local)
    return found


def date_time(
    value: str, *, now: datetime, tz: ZoneInfo, not_future: bool = True, not_before: datetime | None = None
) -> Result:
    found = parse_moment(value, now, tz)
    if found is None:
        return Invalid(N_("I could not read that date and time. Try e.g. 2025-11-22 18:30 or 昨天晚上8点."))
    if not found.has_time:
        return Invalid(
            N_("Please add the time too, e.g. {example} 18:30 (an estimate is fine)."),
            {"example": found.moment.date().isoformat()},
        )
    moment = found.moment.replace(tzinfo=tz)
    if not_future and moment > now + timedelta(minutes=5):
        return Invalid(N_("That time is in the future. Please check the date."))
    if not_before is not None and moment < not_before:
        return Invalid(
            N_("That is before {earlier}, which you gave earlier. Please check it."),
            {"earlier": not_before.astimezone(tz).strftime("%Y-%m-%d %H:%M")},
        )
    return Valid(moment.isoformat())


def date_only(
    value: str, *, now: datetime, tz: ZoneInfo, not_future: bool = False, not_before: date | None = None
) -> Result:
    found = parse_moment(value, now, tz)
    if found is None:
        return Invalid(N_("I could not read that date. Try e.g. 2025-12-05 or 12月5日."))
    day = found.moment.date()
    if not_future and day > now.astimezone(tz).date():
        return Invalid(N_("That date is in the future. Please check it."))
    if not_before is not None and day < not_before:
        return Invalid(
            N_("That is before {earlier}, which you gave earlier. Please check it."),
            {"earlier": not_before.isoformat()},
        )
    return Valid(day.isoformat())
