"""What merchants type instead of pressing: button words, synonyms, control words, "don't know", labels (issue 12)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import planned
from conversations import validators as v
from conversations.flow import STEPS_BY_FIELD
from conversations.i18n import translate
from conversations.validators import Ask, Invalid, Valid
from tests.support import DENIED, Chat, review


@pytest.mark.parametrize(
    "field_id, typed, value",
    [
        ("dispute.stage", "拒付", "chargeback"),
        ("dispute.stage", "retrieval request", "retrieval"),
        ("dispute.stage", "还没有", "none"),
        ("dispute.stage", "还没", "none"),
        ("merchant.pos_type", "电签", "mobile"),
        ("merchant.pos_type", "电签的", "mobile"),
        ("merchant.pos_type", "smart", "smart"),
        ("customer.channel", "bank", "via_bank"),
        ("evidence.kind", "invoice", "invoice"),
        ("evidence.kind", "监控", "cctv"),
        ("txn.type", "消费", "sale"),
        ("incident.how", "被偷了", "stolen"),
        ("merchant.acquirer", "lakala", "拉卡拉"),
    ],
)
def test_choices_by_what_people_type(field_id, typed, value):
    kind = STEPS_BY_FIELD[field_id].kind
    assert kind.matches(typed) == [value]


def test_two_matching_choices_are_asked():
    assert STEPS_BY_FIELD["incident.how"].kind.parse("lost or stolen", None, {}, None) == Ask(
        ("lost", "stolen")
    )


def test_labels_and_noise_are_stripped():
    msg = "{length} {got}"
    assert v.alphanumeric("终端号 12345678", length=8, message=msg) == Valid("12345678")
    assert v.alphanumeric("TID: a7731902", length=8, message=msg) == Valid("A7731902")
    assert v.digits("ref 301122334455", length=12, message=msg) == Valid("301122334455")
    assert v.digits("参考号：3011 2233 4455", length=12, message=msg) == Valid("301122334455")
    assert v.digits("auth 004518", length=6, message=msg) == Valid("004518")
    assert v.phone("手机 +86 138 0013 8000") == Valid("13800138000")
    assert v.amount("金额：1288元") == Valid("1288.00")


def test_an_error_never_contradicts_the_input():
    message = STEPS_BY_FIELD["txn.reference_no"].kind.message
    result = v.digits("301122334455abc", length=12, message=message)
    assert isinstance(result, Invalid)
    shown = translate("en", result.message, **result.params)
    assert "You sent 12 digits" not in shown and "12 digits" in shown
    short = v.digits("ref 3011223344", length=12, message=message)
    assert "You sent 10 digits" in translate("en", short.message, **short.params)


def _at(chat: Chat, field_id: str, answers=DENIED) -> Chat:
    chat.send("/start")
    return chat.answer_until(field_id, answers)


def test_dont_know_leaves_an_optional_field_empty(db):
    chat = _at(Chat(db, language_code="zh-hans"), "customer.name")
    chat.send("不知道")
    assert chat.asks == "customer.phone" and "不知道" not in chat.text
    assert chat.case()["customer"]["name"] is None


def test_dont_know_at_a_digits_question_is_not_zero_digits(db):
    chat = _at(Chat(db, language_code="zh-hans"), "txn.reference_no")
    chat.send("不知道")
    assert chat.asks == "merchant.merchant_no" and "0 位" not in chat.text  # the slip's optional step
    assert chat.case()["txn"][0]["reference_no"] is None


def test_dont_know_at_a_required_field_gets_help(db):
    chat = _at(Chat(db), "txn.datetime")
    chat.send("don't know")
    assert chat.asks == "txn.datetime"
    assert "needed" in chat.text and "DATE/TIME" in chat.text


@pytest.mark.parametrize("word", ["完成", "done", "finished"])
def test_done_typed_where_done_is_offered(db, word):
    chat = Chat(db, language_code="zh-hans" if word == "完成" else "en")
    chat.send("/start")
    answers = dict(DENIED)
    for _ in range(80):
        if chat.asks == "txn.datetime" and chat.item == 1:
            chat.send(word)
            break
        value = answers.get(chat.asks)
        if value is None:
            chat.choose("skip")
        elif f"{chat.asks}={value}" in chat.choices:
            chat.choose(f"{chat.asks}={value}")
        else:
            chat.send(value)
    assert chat.asks == "merchant.name"  # the transactions are done: the shop comes next
    assert len(chat.case()["txn"]) == 1


def test_skip_and_keep_typed(db):
    chat = _at(Chat(db), "merchant.terminal_id")
    chat.send("skip")  # the slip's optional numbers, all left empty
    assert chat.asks == "txn.type"
    chat = review(Chat(db, user_id=1002))
    chat.choose("edit:merchant").choose("edit:merchant.name")
    assert "keep" in chat.choices
    chat.send("keep it")
    assert chat.asks != "merchant.name"
    assert chat.case()["merchant"]["name"] == "West Lake Snacks"


def test_keep_and_all_typed_in_chinese(db):
    chat = review(Chat(db, language_code="zh-hans"))
    chat.choose("edit:merchant")
    chat.send("保持不变")
    assert chat.asks != "merchant.name"
    chat = review(Chat(db, user_id=1003, language_code="zh-hans"))
    chat.send("确认")
    assert "output:all" in chat.choices
    chat.send("全部生成")
    assert chat.files  # every applicable document was prepared and sent


def test_a_word_of_a_button_not_offered_is_an_answer(db):
    chat = _at(Chat(db), "merchant.name")
    chat.send("done")  # no Done button here: it is the shop's name
    assert chat.case()["merchant"]["name"] == "done"


def test_an_ambiguous_date_is_asked_with_two_buttons(db):
    chat = _at(Chat(db), "txn.datetime")
    chat.send("11/05/2025 18:30")
    assert chat.asks == "txn.datetime"
    assert chat.choices == [
        "txn.datetime=2025-11-05T18:30:00+08:00",
        "txn.datetime=2025-05-11T18:30:00+08:00",
    ]
    chat.choose("txn.datetime=2025-05-11T18:30:00+08:00")
    assert chat.asks == "txn.amount"
    assert chat.case()["txn"][0]["datetime"] == "2025-05-11T18:30:00+08:00"


def test_an_ambiguous_choice_is_asked_with_buttons(db):
    answers = {
        **DENIED,
        "case.scenario": "lost_terminal",
        "incident.lost_at": "2025-11-20 21:10",
        "incident.discovered_at": "2025-11-21 08:05",
    }
    chat = _at(Chat(db), "incident.how", answers)
    chat.send("lost or stolen")
    assert chat.asks == "incident.how"
    assert set(chat.choices) == {"incident.how=lost", "incident.how=stolen"}


def test_reminders_skip_a_day_at_the_calendars_edge():
    assert "d3" not in planned(date(1, 1, 2), ZoneInfo("Asia/Shanghai"))  # was an OverflowError
    assert set(planned(date(2025, 12, 5), ZoneInfo("Asia/Shanghai"))) == {"d3", "d1"}


@pytest.mark.parametrize(
    "typed, value",
    [
        ("没报警", False),
        ("还没报警", False),
        ("我报警了", True),
        ("已经报警了", True),
        ("yes, reported", True),
        ("not yet", False),
    ],
)
def test_yes_or_no_by_its_words(db, typed, value):
    answers = {
        **DENIED,
        "case.scenario": "lost_terminal",
        "incident.lost_at": "2025-11-20 21:10",
        "incident.discovered_at": "2025-11-21 08:05",
        "incident.how": "stolen",
        "incident.reported_to_acquirer": "no",
    }
    chat = _at(Chat(db), "incident.police_report", answers)
    chat.send(typed)
    assert chat.case()["incident"]["police_report"] is value


def test_dont_know_is_neither_yes_nor_no(db):
    chat = review(Chat(db))  # txn.signed (optional yes/no) was skipped; ask it again from the review
    chat.choose("edit:txn")
    chat.choose("edit:txn.1").choose("edit:txn.1.signed")
    assert chat.asks == "txn.signed"
    chat.send("不知道")
    assert chat.case()["txn"][0]["signed"] is None


def test_review_and_documents_buttons_by_their_text(db):
    chat = review(Chat(db, language_code="zh-hans"))
    chat.send("修改商户")
    assert "edit:merchant.name" in chat.choices  # the shop's values as buttons
    chat = review(Chat(db, user_id=1004))
    chat.send("confirm")
    chat.send("checklist")
    assert any("checklist" in name for name in chat.files)


@pytest.mark.parametrize(
    "typed",
    [
        "不知道",
        "不清楚",
        "不记得",
        "没有",
        "n/a",
        "N/A",
        "don't know",
        "I don't know",
        "not sure",
        "unknown",
        "我也不清楚",
    ],
)
def test_dont_know_words(typed):
    from conversations.words import dont_know

    assert dont_know(typed)


@pytest.mark.parametrize(
    "typed", ["王小明", "no 5 Main St", "他说他不知道这笔交易", "unknown caller said hi"]
)
def test_answers_that_only_contain_such_words_are_answers(typed):
    from conversations.words import dont_know

    assert not dont_know(typed)


def test_back_typed_in_the_edit_list(db):
    chat = review(Chat(db, language_code="zh-hans"))
    chat.choose("edit:txn")
    assert "back" in chat.choices
    chat.send("返回")
    assert "confirm" in chat.choices


def test_a_reply_by_date_typed_without_a_year_follows_the_notice(db):
    answers = {**DENIED, "dispute.stage": "retrieval", "dispute.notified_at": "2025-11-26"}
    chat = _at(Chat(db), "dispute.deadline", answers)
    chat.send("Dec 8")  # was last year's 8 December, refused as before the notice
    assert chat.case()["dispute"]["deadline"] == "2025-12-08"
