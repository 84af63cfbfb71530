"""Reading a moment the way merchants type it, oriented by the field that asks for it.

`read(text, now, tz, prefer=..., lang=...)` returns a `Parsed` (naive wall time, whether a time
of day was given, an offset the merchant typed, and the other readings when the text can be read
two ways), an `Impossible` (a month 13, a 30 February: said, never swapped) or None.

Orientation: a moment that already happened (`prefer="past"`) resolves a partial date to its
latest occurrence not after now (`29日` on 10 February → 29 January); a reply-by date
(`prefer="future"`) to the next one on or after `since` (`Dec 8` → this year's or next year's).
Explicit years always win. Conventions: in Chinese `12/1` is 1 December (month first); in English
`4/22` is 22 April (month first when the day cannot be the month) and `4/5` is asked. Our own
rules read the usual forms; jionlp (Chinese) and dateparser (English) are a fallback for the rest.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from conversations.i18n import N_

SLACK = timedelta(minutes=5)  # "now" typed a little ahead of the server clock is still now


@dataclass(frozen=True)
class Parsed:
    moment: datetime  # naive wall time, in the merchant's zone (or in `offset` when one was typed)
    has_time: bool
    offset: timezone | None = None
    others: tuple[Parsed, ...] = ()  # further readings of an ambiguous text, best first after this one


@dataclass(frozen=True)
class Impossible:
    message: str
    params: dict = field(default_factory=dict)


# --- normalising -------------------------------------------------------------------------------

_TRAD = str.maketrans(
    {
        "後": "后",
        "點": "点",
        "週": "周",
        "禮": "礼",
        "兩": "两",
        "號": "号",
        "鐘": "钟",
        "時": "时",
        "個": "个",
        "這": "这",
        "幾": "几",
        "間": "间",
        "晝": "昼",
        "頭": "头",
        "來": "来",
        "過": "过",
        "際": "际",
        "約": "约",
        "內": "内",
        "曆": "历",
        "現": "现",
        "當": "当",
    }
)
_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_CN_WORDS = (  # whole words first, so that their numerals are not read as numbers
    ("大前天", "大前天"),
    ("尋日", "昨天"),
    ("琴日", "昨天"),
    ("聽日", "明天"),
    ("今日", "今天"),
    ("昨日", "昨天"),
    ("明日", "明天"),
    ("前日", "前天"),
    ("后日", "后天"),
    ("今晚", "今天晚上"),
    ("昨晚", "昨天晚上"),
    ("前晚", "前天晚上"),
    ("明晚", "明天晚上"),
    ("今早", "今天早上"),
    ("昨早", "昨天早上"),
    ("明早", "明天早上"),
    ("今个", "这个"),
    ("这一周", "这周"),
    ("礼拜天", "礼拜日"),
    ("星期天", "星期日"),
    ("周天", "周日"),
    ("一会儿", ""),
)


def _cn_number(run: str) -> str:
    if not any(c in _CN_UNITS for c in run):
        return "".join(str(_CN_DIGITS[c]) for c in run)  # 二零二五 → 2025
    total = section = 0
    for c in run:
        if c in _CN_DIGITS:
            section = _CN_DIGITS[c]
        else:
            total += (section or 1) * _CN_UNITS[c]
            section = 0
    return str(total + section)  # 两千零四 → 2004, 十五 → 15, 二十一 → 21


def normalise(text: str) -> str:
    """NFKC, lower case, simplified characters, Chinese numerals as digits, single spaces."""
    s = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_TRAD).lower()
    for word, same in _CN_WORDS:
        s = s.replace(word, same)
    s = _CN_RUN.sub(lambda m: _cn_number(m.group(0)), s)
    s = s.replace("：", ":").replace("，", ",").replace("。", " ").replace("、", " ")
    return re.sub(r"\s+", " ", s).strip()


# --- English words -----------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_UNITS_EN = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
_ORDINALS_EN = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip


def _ordinal_words() -> dict[str, int]:
    words = {w: i + 1 for i, w in enumerate(_ORDINALS_EN)}
    words["twentieth"], words["thirtieth"] = 20, 30
    for tens, base in (("twenty", 20), ("thirty", 30)):
        for i, w in enumerate(_ORDINALS_EN[:9]):
            if base + i + 1 <= 31:
                for sep in (" ", "-", ""):
                    words[f"{tens}{sep}{w}"] = base + i + 1
    return words


_ORDINAL_WORDS = _ordinal_words()
_ORDINAL_RE = re.compile(r"\b(" + "|".join(sorted(_ORDINAL_WORDS, key=len, reverse=True)) + r")\b")
_NUMBER_WORDS = {w: i + 1 for i, w in enumerate(_UNITS_EN)} | {
    "twenty": 20,
    "thirty": 30,
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
    "several": 3,
}
_NUMBER_RE = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))

# --- what the reader collects ------------------------------------------------------------------


@dataclass
class _Bits:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    day_shift: int | None = None  # relative days from today
    exact: datetime | None = None  # a relative moment with its time (10 minutes ago)
    weekday: int | None = None
    week_shift: int | None = None  # 0 this week, -1 last week, 1 next week; None: nearest
    weekday_strict: bool = False  # English "last Friday" / "next Friday": not today
    month_shift: int | None = None  # 上个月 5号
    year_shift: int | None = None  # 去年 12月5日
    hour: int | None = None
    minute: int = 0
    second: int = 0
    period: str | None = None  # am / pm / noon / night: turns a 12-hour clock into a 24-hour one
    hour_ambiguous: bool = False  # 8点 / at 8: morning or evening
    orders: list[tuple[int, int]] = field(default_factory=list)  # (month, day) readings of 4/5
    offset: timezone | None = None
    ordinal: bool = False  # `the 22nd`: a lone number is a day
    weekday_dir: int = 0  # English `last` (-1) / `next` (+1) before a weekday
    month_end: bool = False  # 月底, end of the month: its last day


_PM_WORDS = ("下午", "晚上", "晚间", "傍晚", "夜里", "夜间", "深夜", "晚", "夜", "pm", "afternoon", "evening", "tonight", "night")  # fmt: skip
_AM_WORDS = ("凌晨", "清晨", "早上", "早晨", "上午", "早", "am", "morning")
_NOON_WORDS = ("中午", "午间", "noon", "midday", "lunch", "lunchtime")
_MIDNIGHT_WORDS = ("半夜",)


def _period_of(word: str | None) -> str | None:
    if not word:
        return None
    word = word.replace(".", "").strip()
    if word in ("a", "am") or word in _AM_WORDS:
        return "am" if word not in ("凌晨", "半夜") else "small"
    if word in _NOON_WORDS:
        return "noon"
    if word in _MIDNIGHT_WORDS:
        return "small"
    if word in ("p", "pm") or word in _PM_WORDS:
        return "pm"
    return None


def _hour24(hour: int, period: str | None) -> int:
    if period == "pm" and hour < 12:
        return hour + 12
    if period == "noon" and hour <= 2:
        return hour + 12 if hour else 12
    if period in ("am", "small") and hour == 12:
        return 0
    return hour


# --- offsets -----------------------------------------------------------------------------------

_OFFSET = re.compile(
    r"(?:\b(?:utc|gmt)\s*(?P<s1>[+-])\s*(?P<h1>\d{1,2})(?::?(?P<m1>\d{2}))?\b)"
    r"|(?:(?<=:\d\d)\s*(?P<s2>[+-])(?P<h2>\d{2}):?(?P<m2>\d{2})\s*$)"
    r"|(?:(?:(?<=\d)|\b)(?P<z>utc|gmt|z)\s*$)"
)
_LOCAL_ZONE_WORDS = re.compile(
    r"北京时间|中国时间|北京時間|\bcst\b|\bbeijing time\b|\bchina time\b|\blocal time\b"
)


def _take_offset(s: str, bits: _Bits) -> str | Impossible:
    s = _LOCAL_ZONE_WORDS.sub(" ", s)
    m = _OFFSET.search(s)
    if not m:
        return s
    if m["z"]:
        bits.offset = UTC
    else:
        sign = -1 if (m["s1"] or m["s2"]) == "-" else 1
        hours, minutes = int(m["h1"] or m["h2"]), int(m["m1"] or m["m2"] or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            return Impossible(
                N_("There is no time zone UTC{offset}. Please check it."), {"offset": m.group(0)}
            )
        bits.offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return (s[: m.start()] + " " + s[m.end() :]).strip()


# --- times of day ------------------------------------------------------------------------------

_ZH_PERIOD = "凌晨|清晨|早上|早晨|上午|中午|午间|下午|傍晚|晚上|晚间|夜里|夜间|半夜|深夜|早|晚|夜"
_ZH_TIME = re.compile(
    rf"(?P<p>{_ZH_PERIOD})?\s*(?P<h>\d{{1,2}})\s*(?:点钟|点|时|:)\s*"
    r"(?:(?P<half>半)|(?P<q>[13])刻|(?P<m>\d{1,2})\s*分?)?(?:\s*:\s*(?P<s>\d{1,2})|\s*(?P<s2>\d{1,2})\s*秒)?"
    r"(?:\s*多)?"
)
_ZH_PERIOD_ONLY = re.compile(rf"({_ZH_PERIOD})")
_EN_CLOCK = re.compile(
    r"(?<![\d/.-])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*(?P<p>a\.m\.|p\.m\.|am|pm|a|p)\b"
)
_EN_24 = re.compile(r"(?<![\d/.:])(?P<h>\d{1,2})(?::|h(?=\d\d))(?P<m>\d{2})(?::(?P<s>\d{2}))?(?![\d:])")
_EN_AT = re.compile(
    r"\b(?:at|@)\s*(?P<h>\d{1,2})(?:\s*o'?clock)?\b(?![:/.\-]\d)|\b(?P<h2>\d{1,2})\s*o'?clock\b"
)
_EN_PAST = re.compile(
    r"\b(?P<k>half|quarter)\s+(?P<w>past|after|to)\s+(?P<h>\d{1,2})\b(?:\s*(?P<p>a\.m\.|p\.m\.|am|pm)\b)?"
)
_EN_PERIOD = re.compile(
    r"\b(?:in the\s+|this\s+|at\s+)?(?P<w>morning|afternoon|evening|night|noon|midday|midnight|tonight|lunchtime|lunch)\b"
)


def _set_time(bits: _Bits, hour: int, minute: int, second: int = 0) -> Impossible | None:
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second)):
        return Impossible(
            N_("There is no time {time} in a day. Please check it (e.g. 18:30)."),
            {"time": f"{hour}:{minute:02d}"},
        )
    bits.hour, bits.minute, bits.second = hour, minute, second
    return None


def _take_time(s: str, bits: _Bits, zh: bool) -> str | Impossible:
    m = _ZH_TIME.search(s) if zh else None
    if m and (m["p"] or "点" in m.group(0) or "时" in m.group(0) or ":" in m.group(0)):
        hour = int(m["h"])
        minute = 30 if m["half"] else int(m["q"]) * 15 if m["q"] else int(m["m"] or 0)
        period = _period_of(m["p"]) or _period_of(_first(_ZH_PERIOD_ONLY, s[: m.start()]))
        if period is None and 1 <= hour <= 11 and ":" not in m.group(0) and not m["s"]:
            bits.hour_ambiguous = True
        night = m["p"] in ("晚上", "晚间", "夜里", "夜间", "深夜", "半夜", "晚", "夜") and hour == 12
        bad = _set_time(bits, 24 if night else _hour24(hour, period), minute, int(m["s"] or m["s2"] or 0))
        if bad:
            return bad
        bits.period = period
        return _cut(s, m)
    if not zh and (m := _EN_PAST.search(s)):
        hour, minute = int(m["h"]), 30 if m["k"] == "half" else 15
        if m["w"] == "to":
            hour, minute = hour - 1, 45
        bits.hour_ambiguous = not m["p"]
        bad = _set_time(bits, _hour24(hour, _period_of(m["p"])), minute)
        rest = _cut(s, m)
        return bad or _or(_period_near(rest, bits), rest)
    if m := _EN_CLOCK.search(s):
        hour = int(m["h"])
        if hour > 12 or hour == 0:
            return Impossible(
                N_("There is no time {time} in a day. Please check it (e.g. 18:30)."), {"time": m.group(0)}
            )
        bad = _set_time(bits, _hour24(hour, _period_of(m["p"])), int(m["m"] or 0), int(m["s"] or 0))
        return bad or _cut(s, m)
    if m := _EN_24.search(s):
        bad = _set_time(bits, int(m["h"]), int(m["m"]), int(m["s"] or 0))
        if bad:
            return bad
        return _or(_period_near(_cut(s, m), bits), _cut(s, m))
    if not zh and (m := _EN_AT.search(s)):
        hour = int(m["h"] or m["h2"])
        bad = _set_time(bits, hour, 0)
        if bad:
            return bad
        if 1 <= hour <= 11:
            bits.hour_ambiguous = True
        rest = _cut(s, m)
        return _or(_period_near(rest, bits), rest)
    if zh and (m := _ZH_PERIOD_ONLY.search(s)):
        bits.period = _period_of(m.group(1))
        if m.group(1) == "中午":
            bits.hour = 12
        return _cut(s, m)
    if not zh and (m := _EN_PERIOD.search(s)):
        word = m["w"]
        if word in ("noon", "midday"):
            bits.hour = 12
        elif word == "midnight":
            bits.hour = 0
        if word in ("tonight",):
            bits.day_shift = 0 if bits.day_shift is None else bits.day_shift
        bits.period = _period_of(word)
        return _cut(s, m)
    return s


def _or(found: str | None, default: str) -> str:
    return default if found is None else found


def _period_near(rest: str, bits: _Bits) -> str | None:
    """`8:30 in the evening`, `9 last night`: a period word after a clock time."""
    m = _EN_PERIOD.search(rest)
    if not m or m["w"] in ("noon", "midday", "midnight"):
        return None
    period = _period_of(m["w"])
    if bits.hour is not None and bits.hour <= 12:
        bits.hour = _hour24(bits.hour, period)
        bits.hour_ambiguous = False
    if m["w"] == "tonight":
        bits.day_shift = 0
    return _cut(rest, m)


def _first(pattern: re.Pattern, s: str) -> str | None:
    m = pattern.search(s)
    return m.group(1) if m else None


def _cut(s: str, m: re.Match) -> str:
    return (s[: m.start()] + " " + s[m.end() :]).strip()


# --- dates -------------------------------------------------------------------------------------

_FILLERS = re.compile(
    r"大概|大约|大致|左右|差不多|估计|好像|应该是|应该|可能|约莫|约|那天|当天|的时候|时候|之间|"
    r"截止日期|截止到|截止|截至|最迟|最晚|须在|需在|要在|请于|请在|之前回复|前回复|前答复|前提交|"
    r"回复|答复|提交|发生在|发生|是在|是|在|于|日期|时间|"
    r"\b(?:about|around|approx\.?|approximately|roughly|circa|ca\.|maybe|probably|i think|i guess|"
    r"it was|was|is|on or before|on|by|before|no later than|not later than|until|till|til|due|deadline|reply|"
    r"the date is|"
    r"date|happened|sometime|some time|at about|at around|of|the)\b"
)
_ZH_RANGE = re.compile(r"(?<=[号日\d])\s*(?:至|到|~|～|—|–|-)\s*(?=\d{1,4}\s*[年月号日])|(?:至|到|~|～|—|–)")
_EN_RANGE = re.compile(r"\s(?:to|until|till|through|thru|-|–|—|~)\s|\bbetween\b|\band\b")


def _strip_by(s: str, prefer: str) -> str:
    """`12月5号前` (by 5 Dec) loses its 前; `3天前` (3 days ago) keeps it, and so does `2日前` in the past."""
    by = (
        r"(?<=[号底末\d])"
        if prefer == "past" and not re.search(r"月\s*\d{1,2}\s*日", s)
        else r"(?<=[号日底末\d])"
    )
    return re.sub(by + r"\s*(?:之前|以前|前)\s*$", "", s)


def _keep_start(s: str, zh: bool) -> str:
    """A range is read as its start: `12月5日至8日` → 12月5日, `Dec 5 to Dec 8` → Dec 5."""
    if zh:
        m = _ZH_RANGE.search(s)
        if m and m.start() > 0:
            return s[: m.start()].strip()
        return s
    s = re.sub(r"^\s*between\s+", "", s)
    s = re.sub(
        rf"\b({_MONTH_RE})\.?\s*(\d{{1,2}})\s*[-–~]\s*\d{{1,2}}\b(?![-/.:\d])", r"\1 \2", s
    )  # July 13-15
    m = _EN_RANGE.search(s)
    if m and m.start() > 0 and re.search(r"\d|" + _MONTH_RE, s[: m.start()]):
        return s[: m.start()].strip()
    return s


_ZH_REL_DAY = {"大前天": -3, "前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3}
_EN_REL_DAY = (
    (r"\b(?:the\s+)?day\s+before\s+yesterday\b", -2),
    (r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw|tmr)\b", 2),
    (r"\b(?:yesterday|yday|yest|ytd)\b", -1),
    (r"\blast\s+night\b", -1),
    (r"\b(?:today|tdy|tonight|this\s+(?:morning|afternoon|evening))\b", 0),
    (r"\b(?:tomorrow|tmrw|tmrrw|tmr|tmw|2morrow|2moro|tomorow|tommorow|tommorrow)\b", 1),
)
_ZH_AGO = re.compile(
    r"(?<![月\d])(?P<n>\d+|半|几|两)?\s*(?P<half>个半)?\s*个?\s*(?P<u>分钟|分|小时|钟头|钟|天|日|周|星期|礼拜|月|年)\s*(?P<dir>之前|以前|前|之后|以后|后)"
)
_ZH_AGO_FRONT = re.compile(r"^(?P<dir>前|上)\s*(?P<n>\d+|几|两)\s*(?P<u>天|日)$")
_EN_AGO = re.compile(
    rf"(?:\bin\s+)?\b(?P<n>\d+|{_NUMBER_RE})\s*(?P<u>minutes?|mins?|hours?|hrs?|h|days?|weeks?|wks?|months?|years?|yrs?)"
    r"(?:\s+(?P<dir>ago|back|earlier|before|later|from\s+now|from\s+today|after|hence))?\b"
)
_EN_UNIT_CODES = (("min", "m"), ("h", "h"), ("d", "d"), ("w", "w"), ("mo", "M"), ("y", "y"))
_UNIT_ZH = {"分钟": "m", "分": "m", "小时": "h", "钟头": "h", "钟": "h", "天": "d", "日": "d", "周": "w", "星期": "w", "礼拜": "w", "月": "M", "年": "y"}  # fmt: skip

_ZH_WEEKDAY = re.compile(r"(?P<pre>上上个?|上个?|这个?|本|下下个?|下个?)?\s*(?:周|星期|礼拜)(?P<d>[1-7日])")
_ZH_YMD = re.compile(r"(?:(?P<y>\d{2,4})\s*年)?\s*(?P<m>\d{1,2})\s*月份?\s*(?:(?P<d>\d{1,2})\s*(?:日|号)?)?")
_ZH_DAY = re.compile(r"(?<!\d)(?P<d>\d{1,2})\s*(?:日|号)")
_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_DMY = re.compile(
    r"(?<!\d)(?P<a>\d{1,2})\s*(?P<sep>[-/.])\s*(?P<b>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4}|\d{2})(?!\d)"
)
_MD = re.compile(r"(?<![\d:])(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})(?![\d:])")
_EN_MONTH_DAY = re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s*(?P<d>\d{{1,2}})?(?:\s*,?\s*(?P<y>\d{{4}}))?\b")
_EN_DAY_MONTH = re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\s*(?P<mon>{_MONTH_RE})\b\.?(?:\s*,?\s*(?P<y>\d{{4}}))?")
_EN_WEEKDAY = re.compile(rf"\b(?:(?P<pre>last|past|this|next|coming|on)\s+)?(?P<d>{_WEEKDAY_RE})\b\.?")
_EN_WEEK_OF = re.compile(
    rf"\b(?:(?P<w1>last|next|this)\s+week(?:'s)?\s+(?:on\s+)?(?P<d1>{_WEEKDAY_RE})"
    rf"|(?P<d2>{_WEEKDAY_RE})\.?\s+(?:of\s+|in\s+)?(?P<w2>last|next|this)\s+week)\b"
)
_ZH_MONTH_END = re.compile(r"(?:(?P<m>\d{1,2})|(?P<w>上个?|下个?|本|这个?))?\s*月\s*(?:底|末|最后一天)")
_EN_MONTH_END = re.compile(
    rf"\b(?:the\s+)?(?:end|last\s+day)\s+(?:of\s+)?(?:the\s+|this\s+)?(?:(?P<w>next|last)\s+month|month|(?P<mon>{_MONTH_RE}))\b|\beom\b"
)
_ZH_WITHIN = re.compile(
    r"^(?:收到(?:通知)?后|通知后|之后)?\s*(?P<n>\d+)\s*个?\s*(?P<u>工作日|天|日|周|星期|礼拜)\s*(?:之内|以内|内)$"
)
_ZH_WITHIN_WEEK = re.compile(
    r"^(?:本|这个?)(?P<u>周|星期|礼拜|月)\s*(?:之内|以内|内)$"
)  # 本周内: by its Sunday
_EN_WITHIN = re.compile(
    rf"(?:^|\s)(?:within|in the next|inside)\s+(?P<n>\d+|{_NUMBER_RE})\s+(?P<u>business\s+|working\s+|weeks?)?"
    r"(?:days?)?$"
)
_EN_DAY_ALONE = re.compile(r"^(?P<d>\d{1,2})$")
_EN_REL_MONTH = re.compile(r"\b(?P<w>last|this|next)\s+month\b")
_ZH_REL_MONTH = re.compile(r"(?P<w>上个?月|这个?月|本月|下个?月)")
_ZH_REL_YEAR = re.compile(r"(?P<w>前年|去年|今年|明年|上一?年|下一?年)")
_ZH_REL_YEAR_SHIFT = {
    "前年": -2,
    "去年": -1,
    "上年": -1,
    "上1年": -1,
    "今年": 0,
    "明年": 1,
    "下年": 1,
    "下1年": 1,
}
_EN_REL_YEAR = re.compile(r"\b(?P<w>last|this|next)\s+year\b")
_NOW_WORDS = re.compile(r"^(?:刚才|刚刚|现在|此刻|just now|now|right now)$")


def _year(raw: str, now: datetime) -> int:
    """A two-digit year is this century's unless that is more than a year ahead (74 → 1974)."""
    y = int(raw)
    if y >= 100:
        return y
    return 2000 + y if 2000 + y <= now.year + 20 else 1900 + y


def _take_date(s: str, bits: _Bits, zh: bool, lang: str, now: datetime) -> str | Impossible | None:
    """Fill the date part of `bits`; the text left over, or None when it is not a date."""
    if m := _ISO.search(s) or _COMPACT.search(s):
        bits.year, bits.month, bits.day = int(m["y"]), int(m["m"]), int(m["d"])
        return _cut(s, m)
    if m := _DMY.search(s):
        a, b, year = int(m["a"]), int(m["b"]), _year(m["y"], now)
        bits.year = year
        _orders(bits, a, b, lang, with_year=True)
        return _cut(s, m)
    if zh and (m := _ZH_MONTH_END.search(s)):
        bits.month_end = True
        if m["m"]:
            bits.month = int(m["m"])
        else:
            w = m["w"] or ""
            bits.month_shift = -1 if w.startswith("上") else 1 if w.startswith("下") else 0
        return _cut(s, m)
    if not zh and (m := _EN_MONTH_END.search(s)):
        bits.month_end = True
        if m["mon"]:
            bits.month = _MONTHS[m["mon"]]
        else:
            bits.month_shift = {"next": 1, "last": -1}.get(m["w"] or "", 0)
        return _cut(s, m)
    if zh:
        if m := _ZH_REL_YEAR.search(s):
            bits.year_shift = _ZH_REL_YEAR_SHIFT.get(m["w"], 0)
            s = _cut(s, m)
        if m := _ZH_REL_MONTH.search(s):
            w = m["w"]
            bits.month_shift = -1 if w.startswith("上") else 1 if w.startswith("下") else 0
            s = _cut(s, m)
        if (m := _ZH_YMD.search(s)) and "月" in m.group(0):
            if m["y"]:
                bits.year = _year(m["y"], now)
            bits.month = int(m["m"])
            if m["d"]:
                bits.day = int(m["d"])
            return _cut(s, m)
        if m := _ZH_DAY.search(s):
            bits.day = int(m["d"])
            return _cut(s, m)
    else:
        if m := _EN_REL_YEAR.search(s):
            bits.year_shift = {"last": -1, "this": 0, "next": 1}[m["w"]]
            s = _cut(s, m)
        if m := _EN_REL_MONTH.search(s):
            bits.month_shift = {"last": -1, "this": 0, "next": 1}[m["w"]]
            s = _cut(s, m)
        m1, m2 = _EN_MONTH_DAY.search(s), _EN_DAY_MONTH.search(s)
        m = m2 if m2 and (not m1 or m1["d"] is None or m2.start() < m1.start()) else m1
        if m:
            bits.month = _MONTHS[m["mon"]]
            if m["d"]:
                bits.day = int(m["d"])
            if m["y"]:
                bits.year = int(m["y"])
            elif (y := re.search(r"(?<!\d)(\d{4})(?!\d)", _cut(s, m))) is not None:
                bits.year = int(y.group(1))
                return _cut(_cut(s, m), y)
            return _cut(s, m)
    if m := _MD.search(s):
        _orders(bits, int(m["a"]), int(m["b"]), lang, with_year=False)
        return _cut(s, m)
    if not zh and (m := _EN_DAY_ALONE.match(s.strip())) and bits.ordinal:
        bits.day = int(m["d"])
        return ""
    return s


def _orders(bits: _Bits, a: int, b: int, lang: str, *, with_year: bool) -> None:
    """The (month, day) readings of a/b: Chinese month first, English month first unless it cannot be."""
    month_first, day_first = (a, b), (b, a)
    if lang == "zh" and not with_year:
        readings = [month_first] if a <= 12 or b > 12 else [day_first]
    elif a > 12 and b <= 12:
        readings = [day_first]
    elif b > 12 and a <= 12 or a == b or a > 12:
        readings = [month_first]
    elif lang == "zh":
        readings = [month_first, day_first] if with_year else [month_first]
    else:
        readings = [month_first, day_first]
    bits.orders = readings
    bits.month, bits.day = readings[0]


def _take_relative(s: str, bits: _Bits, zh: bool, now: datetime) -> str:
    if zh:
        for word, shift in sorted(_ZH_REL_DAY.items(), key=lambda kv: -len(kv[0])):
            if word in s:
                bits.day_shift = shift
                s = s.replace(word, " ", 1).strip()
                break
        if m := _ZH_AGO.search(s):
            raw = m["n"] or (
                "1" if m["u"] in ("天", "日", "年", "月", "周", "星期", "礼拜") and not m["n"] else ""
            )
            n = {"半": 0.5, "几": 3, "两": 2}.get(raw)
            n = float(raw) if n is None and raw.isdigit() else (n if n is not None else 1)
            if m["half"]:
                n += 0.5
            sign = -1 if "前" in m["dir"] else 1
            _shift(bits, now, _UNIT_ZH[m["u"]], sign * n)
            return _cut(s, m)
        if m := _ZH_AGO_FRONT.match(s):
            n = {"几": 3, "两": 2}.get(m["n"]) or int(m["n"])
            _shift(bits, now, "d", -n)
            return ""
        if m := _ZH_WEEKDAY.search(s):
            d = m["d"]
            bits.weekday = 6 if d in ("日", "7") else int(d) - 1
            pre = (m["pre"] or "").rstrip("个")
            bits.week_shift = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "下下": 2}.get(pre)
            return _cut(s, m)
        return s
    m = _EN_AGO.search(s)
    if m and (m["dir"] or m.group(0).startswith("in")):
        raw = m["n"]
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        code = next(c for prefix, c in _EN_UNIT_CODES if m["u"].startswith(prefix))
        sign = -1 if (m["dir"] or "") in ("ago", "back", "earlier", "before") else 1
        _shift(bits, now, code, sign * n)
        return _cut(s, m)
    for pattern, shift in _EN_REL_DAY:
        if m := re.search(pattern, s):
            bits.day_shift = shift
            if "night" in m.group(0) or "evening" in m.group(0) or "afternoon" in m.group(0):
                bits.period = bits.period or "pm"
            elif "morning" in m.group(0):
                bits.period = bits.period or "am"
            s = _cut(s, m)
            break
    if m := _EN_WEEK_OF.search(s):  # Friday next week, last week's Sunday, Monday of this week
        bits.weekday = _WEEKDAYS[m["d1"] or m["d2"]]
        bits.week_shift = {"last": -1, "this": 0, "next": 1}[m["w1"] or m["w2"]]
        return _cut(s, m)
    if m := _EN_WEEKDAY.search(s):
        bits.weekday = _WEEKDAYS[m["d"]]
        pre = m["pre"]
        if pre in ("last", "past"):
            bits.weekday_strict, bits.weekday_dir = True, -1
        elif pre in ("next", "coming"):
            bits.weekday_strict, bits.weekday_dir = True, 1
        elif pre == "this":
            bits.week_shift = 0
        return _cut(s, m)
    return s


def _shift(bits: _Bits, now: datetime, unit: str, n: float) -> None:
    if unit in ("m", "h"):
        delta = timedelta(minutes=n) if unit == "m" else timedelta(hours=n)
        bits.exact = (now + delta).replace(second=0, microsecond=0)
    elif unit == "d":
        bits.day_shift = int(n)
    elif unit == "w":
        bits.day_shift = int(n * 7)
    elif unit == "M":
        bits.month_shift = int(n)
        bits.day = bits.day or now.day
    else:
        bits.year_shift = int(n)
        bits.month, bits.day = bits.month or now.month, bits.day or now.day


# --- resolving ---------------------------------------------------------------------------------


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _check_day(year: int | None, month: int, day: int) -> Impossible | None:
    if not 1 <= month <= 12:
        return Impossible(
            N_("There is no month {month}. Please check the date (year, month, day)."), {"month": month}
        )
    longest = calendar.monthrange(year or 2024, month)[1]
    if not 1 <= day <= longest:
        if year is None or day > 29 or month != 2:
            return Impossible(
                N_("Month {month} has no day {day}. Please check the date."), {"month": month, "day": day}
            )
        return Impossible(
            N_("February {year} has no day {day}. Please check the date."), {"year": year, "day": day}
        )
    return None


def _candidates(bits: _Bits, month: int, day: int, today: date) -> list[date]:
    if bits.year is not None:
        return [date(bits.year, month, day)]
    base = today.year + (bits.year_shift or 0)
    years = [base] if bits.year_shift is not None else [base - 1, base, base + 1]
    found = []
    for y in years:
        with contextlib.suppress(ValueError):
            found.append(date(y, month, day))
    return found


def _pick(days: list[date], prefer: str, floor: date, ceiling: date) -> date | None:
    if not days:
        return None
    if prefer == "future":
        ahead = [d for d in days if d >= floor]
        return min(ahead) if ahead else max(days)
    behind = [d for d in days if d <= ceiling]
    return max(behind) if behind else min(days)


def _resolve_day(
    bits: _Bits, now: datetime, prefer: str, since: date, ceiling: date
) -> date | Impossible | None:
    today = now.date()
    if bits.month_end:  # 月底, end of the month: the month's last day
        if bits.month is not None:
            if not 1 <= bits.month <= 12:
                return _check_day(None, bits.month, 1)
            ends = [
                date(y, bits.month, calendar.monthrange(y, bits.month)[1])
                for y in (today.year - 1, today.year, today.year + 1)
            ]
            return _pick(ends, prefer, since, ceiling)
        year, month = _month_add(today.year, today.month, bits.month_shift or 0)
        return date(year, month, calendar.monthrange(year, month)[1])
    if bits.day_shift is not None and bits.month is None and bits.weekday is None:
        return today + timedelta(days=bits.day_shift)
    if bits.month_shift is not None and bits.month is None:
        if bits.day is None:
            return None
        year, month = _month_add(today.year, today.month, bits.month_shift)
        bad = _check_day(year, month, bits.day)
        return bad or date(year, month, bits.day)
    if bits.month is None and bits.day is not None:  # 29日, the 22nd: the nearest month that has it
        if not 1 <= bits.day <= 31:
            return Impossible(N_("A month has no day {day}. Please check the date."), {"day": bits.day})
        step = 1 if prefer == "future" else -1
        start = since if prefer == "future" else ceiling
        year, month = start.year, start.month
        for _ in range(14):
            with contextlib.suppress(ValueError):
                found = date(year, month, bits.day)
                if (prefer == "future" and found >= start) or (prefer != "future" and found <= start):
                    return found
            year, month = _month_add(year, month, step)
        return None
    if bits.weekday is not None and bits.month is None:  # a date typed with its weekday: the date wins
        if (
            bits.week_shift is not None
        ):  # 上周五, 这周三, 下下周一, this Friday: a calendar week (Monday first)
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=bits.week_shift)
            return monday + timedelta(days=bits.weekday)
        direction = bits.weekday_dir or (1 if prefer == "future" else -1)
        if direction < 0:
            found = ceiling - timedelta(days=(ceiling.weekday() - bits.weekday) % 7)
            return found - timedelta(days=7) if bits.weekday_strict and found == today else found
        start = max(since, today) if not bits.weekday_dir else today
        ahead = (bits.weekday - start.weekday()) % 7
        return start + timedelta(days=ahead or (7 if bits.weekday_strict else 0))
    if bits.month is None:
        return None
    if bits.day is None:
        return Impossible(
            N_("Which day of that month? Please add the day, e.g. {example}."), {"example": "2025-11-22"}
        )
    if bits.month_shift is not None:  # 上个月 with an explicit month makes no sense; the month wins
        bits.month_shift = None
    bad = _check_day(bits.year, bits.month, bits.day)
    if bad:
        return bad
    found = _pick(_candidates(bits, bits.month, bits.day, today), prefer, since, ceiling)
    if found is None:  # 29 February with no leap year near: say so rather than guess another year
        return Impossible(
            N_("February {year} has no day {day}. Please check the date."),
            {"year": today.year, "day": bits.day},
        )
    return found


def _reading(bits: _Bits, now: datetime, prefer: str, since: date) -> Parsed | Impossible | None:
    if bits.exact is not None:
        return Parsed(bits.exact.replace(tzinfo=None), True, bits.offset)
    ceiling = now.date()
    if bits.hour is not None and (now + SLACK).time() < time(min(bits.hour, 23), bits.minute):
        ceiling = now.date() - timedelta(days=1)  # that time has not come yet today
    nothing_dated = (
        bits.month is None and bits.day is None and bits.day_shift is None and bits.weekday is None
        and bits.month_shift is None
    )  # fmt: skip
    if nothing_dated:
        if bits.hour is None:
            return None
        if prefer == "future":
            day = (
                now.date()
                if time(min(bits.hour, 23), bits.minute) >= now.time()
                else now.date() + timedelta(days=1)
            )
        else:
            day = ceiling
    else:
        resolved = _resolve_day(bits, now, prefer, since, ceiling if bits.hour is not None else now.date())
        if resolved is None or isinstance(resolved, Impossible):
            return resolved
        day = resolved
    if bits.hour is None:
        return Parsed(datetime.combine(day, time()), False, bits.offset)
    moment = datetime.combine(day, time()) + timedelta(
        hours=bits.hour, minutes=bits.minute, seconds=bits.second
    )
    return Parsed(moment, True, bits.offset)


def _within(s: str, since: date) -> date | None:
    """`7个工作日内`, `三天内`, `within 10 days`: counted from the notice (or today), working days without weekends."""
    if week := _ZH_WITHIN_WEEK.match(s):
        if week["u"] == "月":
            return since.replace(day=calendar.monthrange(since.year, since.month)[1])
        return since + timedelta(days=6 - since.weekday())
    m = _ZH_WITHIN.match(s) or _EN_WITHIN.search(s)
    if not m:
        return None
    raw = m["n"]
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 0)
    unit = (m["u"] or "").strip()
    if unit in ("周", "星期", "礼拜") or unit.startswith("week"):
        n, unit = n * 7, ""
    if not 0 < n <= 366:
        return None
    if not unit or unit in ("天", "日"):
        return since + timedelta(days=n)
    day = since
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


# --- the entry point ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _jionlp():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp
    return jionlp


_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_EN_TIME_HINT = re.compile(
    r"(?i)(\d{1,2}:\d{2}|\d\s*(am|pm|a\.m\.|p\.m\.)|\bnoon\b|\bmidnight\b|\bo'?clock\b)"
)


def _fallback(text: str, now: datetime, prefer: str, zh: bool) -> Parsed | None:
    if zh:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                res = _jionlp().parse_time(text, time_base=now.timestamp())
        except Exception:  # jionlp raises plain Exceptions on text it does not understand
            return None
        if not res or res.get("type") != "time_point" or not res.get("time"):
            return None
        start, end = (datetime.strptime(x, "%Y-%m-%d %H:%M:%S") for x in res["time"][:2])
        return Parsed(start, end - start <= timedelta(hours=1))
    import dateparser

    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": now,
            "PREFER_DATES_FROM": "future" if prefer == "future" else "past",
            "DATE_ORDER": "YMD" if re.match(r"^\d{4}", text) else "MDY",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        },
    )
    if found is None:
        return None
    return Parsed(found.replace(microsecond=0), bool(_EN_TIME_HINT.search(text)))


def read(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    prefer: str = "past",
    lang: str | None = None,
    since: date | None = None,
) -> Parsed | Impossible | None:
    """Read `text` as a moment in the merchant's zone; see the module's docstring."""
    # a naive `now` is the merchant's wall time already
    now_local = now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(tz).replace(tzinfo=None)
    s = normalise(text)
    if not s:
        return None
    cjk = bool(_HAS_CJK.search(s))
    # the chat's language sets the day order of 4/5; without one, the Chinese (month first) convention
    lang = "zh" if cjk or lang != "en" else "en"
    since = since or now_local.date()
    if prefer == "future" and (within := _within(s, since)):
        return Parsed(datetime.combine(within, time()), False)
    if _NOW_WORDS.match(s):
        return Parsed(now_local.replace(second=0, microsecond=0), True)
    bits = _Bits()
    s = re.sub(r"(?<=\d)t(?=\d)", " ", s)  # 2025-11-22T18:30
    s = _ORDINAL_RE.sub(lambda m: str(_ORDINAL_WORDS[m.group(1)]), s)
    bits.ordinal = bool(re.search(r"\d(?:st|nd|rd|th)\b", s)) or bool(re.search(r"\bthe\s+\d", s))
    s = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", s)
    s = re.sub(r"(?<=\d)\s*o'?clock\s*(?=a\.?m\.?|p\.?m\.?)", " ", s)  # 3 o'clock pm
    s = _strip_by(_keep_start(s, cjk), prefer)
    taken = _take_offset(s, bits)
    if isinstance(taken, Impossible):
        return taken
    s = _take_relative(taken, bits, cjk, now_local)
    s = _FILLERS.sub(" ", s)
    s = re.sub(r"[,;!?()（）\[\]【】]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    taken = _take_time(s, bits, cjk)
    if isinstance(taken, Impossible):
        return taken
    dated_day = bits.day_shift is not None or bits.weekday is not None or bits.period
    dot_time = re.search(r"(?<![\d/.:-])\b(\d{1,2})\.([0-5]\d)\b(?![\d/.:-])", taken) if dated_day else None
    if not cjk and bits.hour is None and dot_time:  # yesterday 7.30: a time, not 30 July
        bits.hour, bits.minute = int(dot_time[1]), int(dot_time[2])
        bits.hour_ambiguous = 1 <= bits.hour <= 11
        taken = _cut(taken, dot_time)
    if (
        not cjk
        and not bits.ordinal
        and bits.hour is None
        and (bits.day_shift is not None or bits.weekday is not None or bits.period)
    ):
        m = re.search(r"(?<![\d/.:-])\b(\d{1,2})\b(?![\d/.:-])", taken)
        if m and int(m[1]) <= 23 and not re.search(rf"\b(?:{_MONTH_RE})\b", taken):
            bits.hour, bits.hour_ambiguous = int(m[1]), 1 <= int(m[1]) <= 11
            taken = _cut(taken, m)
    if bits.period and bits.hour is not None and bits.hour_ambiguous:
        bits.hour, bits.hour_ambiguous = _hour24(bits.hour, bits.period), False
    dated = _take_date(taken, bits, cjk, lang, now_local)
    if isinstance(dated, Impossible):
        return dated
    rest = re.sub(r"\b(?:at|in|on|of|and|day|the|am|pm|this|ish|time)\b", " ", dated or "")
    rest = re.sub(r"[\s,.:/\-~周星期礼拜号日的了前之以]+", "", rest)
    if rest:
        return _fallback(text, now_local, prefer, cjk)  # something we do not know how to read is left
    found = _reading(bits, now_local, prefer, since)
    if found is None:
        return _fallback(text, now_local, prefer, cjk)
    if isinstance(found, Impossible):
        return found
    others = []
    for month, day in bits.orders[1:]:
        alt = _reading(replace(bits, month=month, day=day, orders=[]), now_local, prefer, since)
        if isinstance(alt, Parsed) and alt.moment != found.moment:
            others.append(alt)
    if bits.hour_ambiguous and bits.hour is not None and bits.hour < 12:
        alt = _reading(replace(bits, hour=bits.hour + 12, hour_ambiguous=False), now_local, prefer, since)
        if isinstance(alt, Parsed) and alt.moment != found.moment:
            others.append(alt)
    return replace(found, others=tuple(others)) if others else found
