"""Showing stored values to a person: amounts, dates and yes/no in their language (Babel)."""

from __future__ import annotations

import html
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from conversations.i18n import BABEL_LOCALES, N_, translate


@cache
def _locale(lang: str) -> Locale:
    """Babel's locale object, parsed once (parsing the name costs more than formatting a value)."""
    return Locale.parse(BABEL_LOCALES[lang])


def money(value: str | None, lang: str) -> str:
    if value in (None, ""):
        return ""
    return "¥" + format_decimal(Decimal(value), "#,##0.00", locale=_locale(lang))


def moment(value: str | None, lang: str) -> str:
    """An ISO date-time (with offset) as local wall time, or an ISO date."""
    if not value:
        return ""
    if "T" in value:
        dt = datetime.fromisoformat(value)
        pattern = "yyyy-MM-dd HH:mm" if lang == "zh" else "d MMM yyyy, HH:mm"
        return format_datetime(dt, pattern, locale=_locale(lang), tzinfo=dt.tzinfo)
    day = date.fromisoformat(value)
    return format_date(day, "yyyy-MM-dd" if lang == "zh" else "d MMM yyyy", locale=_locale(lang))


def yes_no(value: bool | None, lang: str) -> str:
    if value is None:
        return ""
    return translate(lang, N_("Yes") if value else N_("No"))


def esc(value: object) -> str:
    """User text into Telegram HTML: escaped, never interpreted."""
    return html.escape(str(value), quote=False)
