"""Validators: turn what a merchant types into a field value, or say what to send instead.

Pure functions. Each returns `Valid(value)` or `Invalid(message_id, params)`; the message is an
English gettext id translated when shown. They read what merchants really type: full-width
digits, `1,288.00`, `¥1288`, `一千二百八十八元`, `2025/11/22 18:30`, `11月22日 下午6点半`,
`昨天晚上8点`, `yesterday 8pm`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from conversations.cards import is_card_number, mask_pan
from conversations.i18n import N_
from conversations.moments import SLACK, Impossible, Parsed, read

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


_AMOUNT_LABEL = re.compile(r"(?i)^(?:交易金额|消费金额|金额|总额|共|amount|amt|total|sum)\s*[:：]?\s*")


def amount(value: str) -> Result:
    raw = _AMOUNT_LABEL.sub("", clean(value))
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


# a label typed in front of a value: 终端号 12345678, ref 301122334455, TID: A7731902, 手机 138…
_CJK_LABELS = (
    "检索参考号|系统参考号|参考号码|参考号|终端编号|终端号|终端|商户编号|商户号|商户|凭证号码|凭证号|凭证|"
    "流水号|批次号|批次|授权码|授权号|授权|卡号|银行卡号|联系电话|电话号码|电话|手机号码|手机号|手机|"
    "号码|编号|回执号|工单号|案件号|单号|是|为"
)
_LATIN_LABELS = (
    r"tid|mid|terminal(?:\s*(?:no|id|number|#))?|merchant(?:\s*(?:no|id|number|#))?|"
    r"ref(?:er|erence)?(?:\s*(?:no|number|#))?|rrn|voucher(?:\s*(?:no|number))?|trace(?:\s*no)?|"
    r"batch(?:\s*(?:no|number))?|auth(?:ori[sz]ation)?(?:\s*(?:no|code|number))?|approval\s*code|"
    r"card(?:\s*(?:no|number))?|tel|phone|mobile|cell|no|number|it's|it is|is"
)
_LABEL = re.compile(
    rf"^(?:(?:{_CJK_LABELS})|(?:{_LATIN_LABELS})(?![a-z]))\s*[.:：#=]?\s*",
    re.IGNORECASE,
)


def strip_label(value: str) -> str:
    """The value without the labels, colons and quotes typed around it (`参考号：2511…` → `2511…`)."""
    s = clean(value).strip("\"'“”‘’「」。.，,;；")
    for _ in range(3):
        stripped = _LABEL.sub("", s, count=1).strip()
        if stripped == s or not stripped:
            break
        s = stripped
    return s


def digits(value: str, *, length: int, message: str) -> Result:
    s = re.sub(r"[\s\-_.,/]", "", strip_label(value))
    if re.fullmatch(rf"\d{{{length}}}", s):
        return Valid(s)
    got = len(re.sub(r"\D", "", s))
    if got == length:  # the right count, with something else in it: say that, not "you sent N digits"
        return Invalid(
            N_("That has {length} digits but also other characters. Please send the number alone, or /skip."),
            {"length": length, "got": got},
        )
    return Invalid(message, {"length": length, "got": got})


def alphanumeric(value: str, *, length: int, message: str) -> Result:
    s = re.sub(r"[\s\-_.]", "", strip_label(value)).upper()
    if not re.fullmatch(rf"[0-9A-Z]{{{length}}}", s):
        return Invalid(message, {"length": length, "got": len(s)})
    return Valid(s)


def reference(value: str, *, max_len: int = 40) -> Result:
    """A ticket or case number given by a bank, provider or police: letters, digits, - / _ ."""
    s = clean(value).strip("\"'“”。，,;；")
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
    s = re.sub(r"[\s\-()（）]", "", strip_label(value))
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
    s = re.sub(r"[\s\-]", "", strip_label(value))
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
    # grouped with other separators ("6217/00**/****/***0/122", "6225，88**…", "6225_8812_…"): the same
    # number once punctuation, symbols and spaces other than the masking characters are dropped
    bare = "".join(
        ch for ch in s if ch.isdigit() or ch in "*xX•●#" or unicodedata.category(ch)[0] not in "PSZC"
    )
    if bare != s and (bare.isdigit() or _MASKED.match(bare)):
        return card_masked(bare)
    return Invalid(
        N_("Send the card number as printed on the slip, e.g. 622588******1234, or just the last 4 digits.")
    )


# --- dates and times -----------------------------------------------------------------------------

MAX_AGE_YEARS = 5  # a transaction, loss or notice older than this is a typo (limitation periods are 3 years)
MAX_REPLY_DAYS = 366  # a reply-by date lies within a year of the notice


@dataclass(frozen=True)
class Ask:
    """The text reads two ways that both fit the field: ask which, with a button for each value."""

    values: tuple[str, ...]


def parse_moment(
    value: str,
    now: datetime,
    tz: ZoneInfo,
    prefer: str = "past",
    *,
    lang: str | None = None,
    since: date | None = None,
) -> Parsed | None:
    """The one reader of moments (conversations/moments.py), oriented by the field: `prefer="past"` for
    what already happened, `"future"` for a reply-by date. None when the text is no moment or an
    impossible one (the validators say which, through `moments.read`). `Parsed.others` holds the
    further readings of an ambiguous text."""
    found = read(value, now, tz, prefer=prefer, lang=lang, since=since)
    return found if isinstance(found, Parsed) else None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _readings(found: Parsed) -> list[Parsed]:
    return [replace(found, others=()), *found.others]


def _settle(results: list[Result]) -> Result:
    """One reading that fits wins; several are asked; none: the first reading's reason."""
    valid = [r for r in results if isinstance(r, Valid)]
    if len(valid) == 1:
        return valid[0]
    if valid:
        return Ask(tuple(dict.fromkeys(str(r.value) for r in valid)))
    return results[0]


def check_moment(
    moment: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    not_future: bool = True,
    not_before: datetime | None = None,
) -> Result:
    """A date-time that already happened: not in the future, not before an earlier answer, not years ago."""
    if not_future and moment > now + SLACK:
        return Invalid(N_("That time is in the future. Please check the date."))
    oldest = datetime.combine(_years_before(now.astimezone(tz).date(), MAX_AGE_YEARS), time(), tz)
    if moment < oldest:
        return Invalid(
            N_("That is more than {years} years ago ({day}). Please check the year."),
            {"years": MAX_AGE_YEARS, "day": moment.date().isoformat()},
        )
    if not_before is not None and moment < not_before:
        return Invalid(
            N_("That is before {earlier}, which you gave earlier. Please check it."),
            {"earlier": not_before.astimezone(tz).strftime("%Y-%m-%d %H:%M")},
        )
    return Valid(moment.isoformat())


def date_time(
    value: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    not_future: bool = True,
    not_before: datetime | None = None,
    lang: str | None = None,
) -> Result | Ask:
    found = read(value, now, tz, prefer="past" if not_future else "future", lang=lang)
    if found is None:
        return Invalid(N_("I could not read that date and time. Try e.g. 2025-11-22 18:30 or 昨天晚上8点."))
    if isinstance(found, Impossible):
        return Invalid(found.message, found.params)
    results: list[Result] = []
    for reading in _readings(found):
        if not reading.has_time:
            results.append(
                Invalid(
                    N_("Please add the time too, e.g. {example} 18:30 (an estimate is fine)."),
                    {"example": reading.moment.date().isoformat()},
                )
            )
            continue
        moment = reading.moment.replace(tzinfo=reading.offset or tz)
        results.append(check_moment(moment, now=now, tz=tz, not_future=not_future, not_before=not_before))
    return _settle(results)


def date_only(
    value: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    not_future: bool = False,
    not_before: date | None = None,
    reply_by: bool = False,
    lang: str | None = None,
) -> Result | Ask:
    """A day. `not_future`: one that happened (a notice); `reply_by`: within a year of `not_before` or today."""
    today = now.astimezone(tz).date()
    prefer = "past" if not_future else "future"
    found = read(value, now, tz, prefer=prefer, lang=lang, since=not_before if reply_by else None)
    if found is None:
        return Invalid(N_("I could not read that date. Try e.g. 2025-12-05 or 12月5日."))
    if isinstance(found, Impossible):
        return Invalid(found.message, found.params)
    results: list[Result] = []
    for reading in _readings(found):
        day = reading.moment.date()
        if not_future and day > today:
            results.append(Invalid(N_("That date is in the future. Please check it.")))
        elif not_before is not None and day < not_before:
            results.append(
                Invalid(
                    N_("That is before {earlier}, which you gave earlier. Please check it."),
                    {"earlier": not_before.isoformat()},
                )
            )
        elif reply_by and day > (not_before or today) + timedelta(days=MAX_REPLY_DAYS):
            results.append(
                Invalid(
                    N_(
                        "A reply-by date lies within a year of the notice; {day} is further away. Please check it."
                    ),
                    {"day": day.isoformat()},
                )
            )
        elif reply_by and day < today - timedelta(days=MAX_REPLY_DAYS):
            results.append(
                Invalid(
                    N_("That reply-by date is more than a year ago ({day}). Please check the year."),
                    {"day": day.isoformat()},
                )
            )
        elif day < _years_before(today, MAX_AGE_YEARS):
            results.append(
                Invalid(
                    N_("That is more than {years} years ago ({day}). Please check the year."),
                    {"years": MAX_AGE_YEARS, "day": day.isoformat()},
                )
            )
        else:
            results.append(Valid(day.isoformat()))
    return _settle(results)
