"""The judgement rules of issue 11, each on cases built for it (tests/fixtures/cases/)."""

from __future__ import annotations

import pytest

from conversations.outputs import full_name, plan_outputs
from tests.test_outputs import applying, load, plans

SERVICE = "chargeback-debited-service-zh"
STOLEN = "stolen-terminal-zh"
PREPAID = "prepaid-partly-en"


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("李建华", True), ("王丽", True), ("欧阳娜娜", True), ("Zhang Wei", True),
        ("李先生", False), ("王女士", False), ("小王", False), ("老李", False), ("张总", False),
        ("Mr. Zhou", False), ("Mrs Li", False), ("Tom", False), ("", False), (None, False),
    ],
)  # fmt: skip
def test_a_full_name_tells_the_person_from_others(name, full):
    assert full_name(name) is full


def test_no_demand_until_the_chargeback_is_debited():
    case = load(SERVICE)
    for debited in (False, None):
        case["dispute"]["debited"] = debited
        got = plans(case)
        for output_id in ("lawyer_letter", "complaint"):
            assert not got[output_id].applies
            assert "Nothing has been taken back" in got[output_id].reason
        assert got["customer"].applies and got["confirmation"].applies
    case["dispute"]["debited"] = True
    assert {"lawyer_letter", "complaint"} <= applying(case)


def test_never_a_demand_against_a_cardholder_who_says_the_card_was_stolen():
    case = load(SERVICE)
    case["customer"]["claim"] = "card_lost"
    got = plans(case)
    for output_id in ("lawyer_letter", "complaint"):
        assert not got[output_id].applies and "victim" in got[output_id].reason
    assert not got["confirmation"].applies  # nothing to sign: the message asks what happened
    assert got["customer"].applies and got["acquirer"].applies


def test_nothing_supplied_means_nothing_owed():
    case = load(SERVICE)
    case["txn"][0]["delivered"] = "no"
    assert not {"lawyer_letter", "complaint"} & applying(case)
    assert "not provided" in plans(case)["complaint"].reason


def test_stolen_terminal_does_not_contest_the_thiefs_charges():
    got = plans(load(STOLEN))
    assert got["no_contest"].applies and got["acquirer"].applies and got["police"].applies
    assert "not contested" in got["acquirer"].reason
    for output_id in ("customer", "confirmation", "settlement", "lawyer_letter", "complaint"):
        assert not got[output_id].applies
    case = load(STOLEN)
    case["dispute"] = {"stage": "none"}
    got = plans(case)
    assert not got["no_contest"].applies and "once one is" in got["no_contest"].reason
    assert not plans(load("chargeback-debited-service-zh"))["no_contest"].applies


def test_pboc_only_with_a_complaint_about_the_acquirer():
    case = load(SERVICE)
    assert not plans(case)["pboc"].applies
    case["dispute"]["acquirer_problem"] = "扣款前没有书面通知"
    assert plans(case)["pboc"].applies
    case["dispute"]["acquirer_problem"] = "   "
    assert not plans(case)["pboc"].applies
    assert plans(load(PREPAID))["pboc"].applies


def test_settlement_for_a_partly_disputed_amount_only():
    assert "settlement" in applying(load(PREPAID))  # a package supplied in part
    case = load(SERVICE)
    assert "settlement" not in applying(case)  # the whole payment is denied
    assert "whole payment" in plans(case)["settlement"].reason
    case["customer"]["claim"] = "amount_wrong"
    assert "settlement" in applying(case)


def test_a_partly_supplied_package_can_still_be_claimed_for_the_part_supplied():
    assert {"lawyer_letter", "complaint"} <= applying(load(PREPAID))


def test_every_case_file_plans_every_output():
    for name in ("denied-charge-zh", "lost-terminal-en", SERVICE, STOLEN, PREPAID):
        assert [p.id for p in plan_outputs(load(name))] == [p.id for p in plan_outputs({})]
