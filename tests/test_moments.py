"""The one reader of moments: the typed-date corpus, every example of issue 12, and the dates of issue 19."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bench import parsing
from conversations import validators as v
from conversations.moments import Impossible, read
from conversations.validators import Ask, Invalid, Valid
from tests.conftest import FIXED_NOW, SHANGHAI


@pytest.mark.parametrize("name", sorted(parsing.SETS))
def test_corpus_reads_95_percent_in_each_language_and_orientation(name):
    rates, misses = parsing.score(parsing.load(parsing.SETS[name]))
    assert set(rates) == {"zh past", "zh future", "en past", "en future"}
    low = {k: r for k, r in rates.items() if r["rate"] < 0.95}
    assert not low, (low, [(c.text, c.prefer, c.want, got) for c, got in misses])


def _at(text, prefer="past", lang="en", now=FIXED_NOW, **kw):
    return parsing.shown(read(text, now, SHANGHAI, prefer=prefer, lang=lang, **kw))


FEB_10 = datetime(2026, 2, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "text, prefer, lang, now, want",
    [
        ("4/22", "past", "en", FIXED_NOW, "2025-04-22"),  # was 1922-11-04
        ("4-22", "past", "en", FIXED_NOW, "2025-04-22"),
        ("12/1", "past", "zh", FIXED_NOW, "2024-12-01"),  # December 1 in Chinese, was January 12
        ("29日", "past", "zh", FEB_10, "2026-01-29"),  # was 29 February, then refused as future
        ("礼拜日", "past", "zh", FIXED_NOW, "2025-11-23"),  # the last Sunday, not the next
        ("两千零四年八月十五", "past", "zh", FIXED_NOW, "2004-08-15"),  # was 1 August
        ("Dec 8", "future", "en", FIXED_NOW, "2025-12-08"),  # a reply-by date: the next one
        ("by Dec 8", "future", "en", FIXED_NOW, "2025-12-08"),
        ("December 8th", "future", "en", FIXED_NOW, "2025-12-08"),
        ("the 22nd", "past", "en", FIXED_NOW, "2025-11-22"),
        ("a few days ago", "past", "en", FIXED_NOW, "2025-11-25"),
        ("Jan first", "past", "en", FIXED_NOW, "2025-01-01"),
        ("second of Aug", "past", "en", FIXED_NOW, "2025-08-02"),
        ("上上个周三", "past", "zh", FIXED_NOW, "2025-11-12"),
        ("後天", "future", "zh", FIXED_NOW, "2025-11-30"),
        ("10分钟之前", "past", "zh", FIXED_NOW, "2025-11-28 09:50"),
        ("上周五", "past", "zh", FIXED_NOW, "2025-11-21"),
        ("昨晚8点", "past", "zh", FIXED_NOW, "2025-11-27 20:00"),
        ("前天", "past", "zh", FIXED_NOW, "2025-11-26"),
        ("tmrw", "future", "en", FIXED_NOW, "2025-11-29"),
        ("12月5号前", "future", "zh", FIXED_NOW, "2025-12-05"),  # a range read as its start
        ("2025-13-01 10:00", "past", "zh", FIXED_NOW, "impossible"),  # was swapped to 13 January
        ("2025/13/05", "past", "zh", FIXED_NOW, "impossible"),  # was 13 May
        ("11/05/2025 18:30", "past", "en", FIXED_NOW, "ask 2025-11-05 18:30 | 2025-05-11 18:30"),
        ("2025-11-22 18:30 UTC+14", "past", "en", FIXED_NOW, "2025-11-22 18:30 +14:00"),  # was +08:00
    ],
)
def test_issue_examples(text, prefer, lang, now, want):
    assert _at(text, prefer, lang, now) == want


def test_impossible_is_said_not_swapped():
    found = read("2025-13-01 10:00", FIXED_NOW, SHANGHAI)
    assert isinstance(found, Impossible) and found.params == {"month": 13}
    result = v.date_time("2025/02/30 10:00", now=FIXED_NOW, tz=SHANGHAI)
    assert isinstance(result, Invalid) and result.params == {"month": 2, "day": 30}


def test_an_ambiguous_date_is_asked_only_when_both_readings_fit():
    result = v.date_time("11/05/2025 18:30", now=FIXED_NOW, tz=SHANGHAI, lang="en")
    assert isinstance(result, Ask)
    assert result.values == ("2025-11-05T18:30:00+08:00", "2025-05-11T18:30:00+08:00")
    # after a loss on 1 November only 5 November fits: no question
    earlier = datetime(2025, 11, 1, tzinfo=SHANGHAI)
    only = v.date_time("11/05/2025 18:30", now=FIXED_NOW, tz=SHANGHAI, lang="en", not_before=earlier)
    assert only == Valid("2025-11-05T18:30:00+08:00")


def test_a_typed_offset_is_kept():
    assert v.date_time("2025-11-22 18:30 UTC+14", now=FIXED_NOW, tz=SHANGHAI) == Valid(
        "2025-11-22T18:30:00+14:00"
    )
    assert isinstance(v.date_time("2025-11-22 18:30 UTC+15", now=FIXED_NOW, tz=SHANGHAI), Invalid)


@pytest.mark.parametrize("year", [1, 1000, 1900, 2019])
def test_absurd_years_are_refused_for_a_transaction(year):
    result = v.date_time(f"{year:04d}-01-02 10:00", now=FIXED_NOW, tz=SHANGHAI)
    assert isinstance(result, Invalid) and "years ago" in result.message


@pytest.mark.parametrize("typed", ["0001-01-02", "1000-01-01", "1900-06-01", "9999-12-31", "2027-01-10"])
def test_a_reply_by_date_lies_within_a_year_of_the_notice(typed):
    result = v.date_only(typed, now=FIXED_NOW, tz=SHANGHAI, not_before=date(2025, 11, 26), reply_by=True)
    assert isinstance(result, Invalid), result


def test_a_reply_by_date_is_the_next_one_after_the_notice():
    # entered late: the notice came on 1 Dec 2024, the reply was due on 8 Dec 2024
    late = datetime(2024, 12, 20, 10, 0, tzinfo=SHANGHAI)
    assert v.date_only("Dec 8", now=late, tz=SHANGHAI, not_before=date(2024, 12, 1), reply_by=True) == Valid(
        "2024-12-08"
    )
    assert v.date_only("Dec 8", now=FIXED_NOW, tz=SHANGHAI, reply_by=True) == Valid("2025-12-08")


def test_notice_dates_are_bounded_too():
    assert isinstance(v.date_only("1900-01-01", now=FIXED_NOW, tz=SHANGHAI, not_future=True), Invalid)
    assert v.date_only("前天", now=FIXED_NOW, tz=SHANGHAI, not_future=True, lang="zh") == Valid("2025-11-26")
