"""Validators read what merchants really type, in both languages, and refuse the rest with a reason."""

from __future__ import annotations

from datetime import datetime

import pytest

from conversations import validators as v
from conversations.cards import is_card_number, luhn_ok, mask_card_numbers, mask_pan
from conversations.i18n import translate
from conversations.validators import Invalid, Valid
from tests.conftest import FIXED_NOW, SHANGHAI


def ok(result) -> object:
    assert isinstance(result, Valid), result
    return result.value


def refused(result) -> Invalid:
    assert isinstance(result, Invalid), result
    # every reason reads as a sentence in both languages
    for lang in ("zh", "en"):
        assert translate(lang, result.message, **result.params).strip()
    return result


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("1288", "1288.00"),
        ("1288.00", "1288.00"),
        ("1,288.00", "1288.00"),
        ("¥1288", "1288.00"),
        ("￥1,288.5", "1288.50"),
        ("1288元", "1288.00"),
        ("RMB 1288", "1288.00"),
        ("一千二百八十八元", "1288.00"),
        ("一千二百八十八", "1288.00"),
        ("３５００", "3500.00"),  # full-width digits
        ("０.５０元", "0.50"),
        ("12,345,678.90", "12345678.90"),
        ("两百", "200.00"),
    ],
)
def test_amount_accepts(typed, expected):
    assert ok(v.amount(typed)) == expected


@pytest.mark.parametrize("typed", ["abc", "-5", "0", "0.00", "12.345", "1,28.00", "", "1288块5毛钱多", "1e5"])
def test_amount_refuses(typed):
    refused(v.amount(typed))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2025-11-22 18:30", "2025-11-22T18:30:00+08:00"),
        ("2025/11/22 18:30", "2025-11-22T18:30:00+08:00"),
        ("2025.11.22 18:30:15", "2025-11-22T18:30:15+08:00"),
        ("2025年11月18日 22:40", "2025-11-18T22:40:00+08:00"),
        ("2025年11月18日22时40分", "2025-11-18T22:40:00+08:00"),
        ("11月22日 下午6点半", "2025-11-22T18:30:00+08:00"),
        ("昨天晚上8点", "2025-11-27T20:00:00+08:00"),
        ("前天下午3点", "2025-11-26T15:00:00+08:00"),
        ("yesterday 8pm", "2025-11-27T20:00:00+08:00"),
        ("Nov 2, 2025 7:45 pm", "2025-11-02T19:45:00+08:00"),
        ("２０２５－１１－２２　１８：３０", "2025-11-22T18:30:00+08:00"),
    ],
)
def test_date_time_accepts(typed, expected):
    assert ok(v.date_time(typed, now=FIXED_NOW, tz=SHANGHAI)) == expected


def test_date_time_relative_uses_merchants_zone():
    # 2025-11-27 17:00 UTC is already 28 Nov 01:00 in Shanghai: "yesterday" is the 27th there
    utc_now = datetime.fromisoformat("2025-11-27T17:00:00+00:00")
    assert ok(v.date_time("昨天晚上8点", now=utc_now, tz=SHANGHAI)) == "2025-11-27T20:00:00+08:00"


@pytest.mark.parametrize(
    "typed", ["hello", "2025-13-40 18:30", "明年", "2026-01-01 10:00", "tomorrow 8pm", ""]
)
def test_date_time_refuses(typed):
    refused(v.date_time(typed, now=FIXED_NOW, tz=SHANGHAI))


def test_date_time_wants_a_time():
    result = refused(v.date_time("2025-11-22", now=FIXED_NOW, tz=SHANGHAI))
    assert "2025-11-22" in translate("en", result.message, **result.params)


def test_date_time_not_before_earlier_answer():
    earlier = datetime.fromisoformat("2025-11-21T08:00:00+08:00")
    refused(v.date_time("2025-11-20 21:10", now=FIXED_NOW, tz=SHANGHAI, not_before=earlier))
    assert ok(v.date_time("2025-11-21 08:05", now=FIXED_NOW, tz=SHANGHAI, not_before=earlier))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2025-12-05", "2025-12-05"),
        ("12月5日", "2025-12-05"),
        ("2025/12/5", "2025-12-05"),
        ("Dec 5, 2025", "2025-12-05"),
    ],
)
def test_date_accepts(typed, expected):
    assert ok(v.date_only(typed, now=FIXED_NOW, tz=SHANGHAI)) == expected


def test_date_future_and_order():
    refused(v.date_only("2026-01-01", now=FIXED_NOW, tz=SHANGHAI, not_future=True))
    from datetime import date

    refused(v.date_only("2025-11-20", now=FIXED_NOW, tz=SHANGHAI, not_before=date(2025, 11, 28)))


@pytest.mark.parametrize(
    "typed, length, expected",
    [
        ("251122183045", 12, "251122183045"),
        ("2511 2218 3045", 12, "251122183045"),
        ("２５１１２２１８３０４５", 12, "251122183045"),
        ("004518", 6, "004518"),
        ("898330158120317", 15, "898330158120317"),
    ],
)
def test_digits_accepts(typed, length, expected):
    assert ok(v.digits(typed, length=length, message="x {length} {got}")) == expected


def test_digits_refuses_and_counts():
    result = refused(v.digits("25112218304", length=12, message="{length} {got}"))
    assert result.params == {"length": 12, "got": 11}
    refused(v.digits("25112218304A", length=12, message="{length} {got}"))


@pytest.mark.parametrize("typed, expected", [("83a2f1", "83A2F1"), ("a7731902", "A7731902")])
def test_alphanumeric(typed, expected):
    assert ok(v.alphanumeric(typed, length=len(expected), message="{length}")) == expected
    refused(v.alphanumeric(typed + "9", length=len(expected), message="{length}"))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0571-87654321", "0571-87654321"),
        ("(010) 12345678", "010-12345678"),
        ("0755-8765432转123", "0755-8765432 ext 123"),
    ],
)
def test_phone_accepts(typed, expected):
    assert ok(v.phone(typed)) == expected


@pytest.mark.parametrize("typed", ["12345", "23800138000", "1380013800", "phone", "+1 415 555 0100"])
def test_phone_refuses(typed):
    refused(v.phone(typed))


def test_credit_code_check_character():
    valid = "91350100M000100Y43"  # a published example code whose check character is right
    assert ok(v.credit_code(valid)) == valid
    assert ok(v.credit_code(valid.lower())) == valid
    wrong = valid[:-1] + ("4" if valid[-1] != "4" else "5")
    refused(v.credit_code(wrong))
    refused(v.credit_code("91350100M000100Y4"))
    refused(v.credit_code("91350100M000100YI3"))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("622588******1234", "622588******1234"),
        ("6225 88** **** 1234", "622588******1234"),
        ("622588xxxxxx1234", "622588******1234"),
        ("**** 1234", "****1234"),
        ("1234", "****1234"),
        ("尾号1234", "****1234"),
    ],
)
def test_card_masked_accepts(typed, expected):
    assert ok(v.card_masked(typed)) == expected


def test_card_masked_masks_a_full_number():
    result = v.card_masked("6225 8812 3456 1230")
    assert isinstance(result, Valid) and result.notice
    assert result.value == "622588******1230"
    refused(v.card_masked("6225881234561234"))  # fails Luhn: a typo, not a card
    refused(v.card_masked("hello"))


def test_luhn_and_masking_in_text():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert is_card_number("6225881234561230")
    assert mask_pan("4111111111111111") == "411111******1111"
    text, count = mask_card_numbers("卡号 4111 1111 1111 1111，参考号 251122183045，商户 898330158120317")
    assert count == 1
    assert text.startswith("卡号 4111 11** **** 1111，")  # masked in place: the shape typed is kept
    assert "251122183045" in text and "898330158120317" in text


def test_merchant_numbers_are_not_cards_even_when_luhn_passes():
    # a 15-digit merchant number starting 8 that happens to pass Luhn stays readable
    candidate = next(f"89833015812{n:04d}" for n in range(10000) if luhn_ok(f"89833015812{n:04d}"))
    assert mask_card_numbers(candidate) == (candidate, 0)


@pytest.mark.parametrize("typed", ["x" * 101, "   ", "\u200b\u200b"])
def test_text_limits(typed):
    refused(v.text(typed, max_len=100))


def test_text_keeps_what_was_typed():
    assert ok(v.text("  <b>West Lake</b> {{ 7*7 }}  ", max_len=100)) == "<b>West Lake</b> {{ 7*7 }}"
