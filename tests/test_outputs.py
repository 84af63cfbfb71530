"""Which outputs a confirmed case gets, and why the others are not offered."""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.outputs import OUTPUT_IDS, OutputPlan, plan_outputs

CASES = Path(__file__).parent / "fixtures" / "cases"


def load(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))


def plans(case: dict) -> dict[str, OutputPlan]:
    return {p.id: p for p in plan_outputs(case)}


def applying(case: dict) -> set[str]:
    return {p.id for p in plan_outputs(case) if p.applies}


def test_every_output_is_planned_once_in_order():
    for name in ("denied-charge-zh", "lost-terminal-en"):
        assert [p.id for p in plan_outputs(load(name))] == list(OUTPUT_IDS)


def test_open_retrieval_asks_the_customer_to_confirm_and_demands_nothing():
    got = plans(load("denied-charge-zh"))  # 李先生, a retrieval request, nothing debited
    assert {i for i, p in got.items() if p.applies} == {
        "checklist", "customer", "confirmation", "acquirer", "evidence_list", "witness", "prevention",
    }  # fmt: skip
    assert "Nothing has been taken back" in got["lawyer_letter"].reason
    assert "never lost or stolen" in got["police"].reason
    assert "UnionPay works through your acquirer" in got["unionpay"].reason
    assert "did anything wrong" in got["pboc"].reason


def test_debited_chargeback_against_an_identified_customer_gets_the_demand_papers():
    got = applying(load("chargeback-debited-service-zh"))
    assert {"lawyer_letter", "complaint", "customer", "confirmation", "unionpay"} <= got
    assert not {"police", "no_contest", "settlement", "pboc"} & got


def test_stolen_terminal_drafts_nothing_against_the_cardholder():
    got = plans(load("lost-terminal-en"))
    for output_id in ("customer", "lawyer_letter", "complaint"):
        assert not got[output_id].applies
        assert "victim" in got[output_id].reason
    assert got["police"].applies and got["acquirer"].applies and got["unionpay"].applies


def test_unidentified_customer_means_find_out_first():
    case = load("chargeback-debited-service-zh")
    for name, phone, address in (
        (None, "13700137000", "杭州"),
        ("李先生", "13700137000", "杭州"),
        ("Mr. Zhou", "13700137000", "杭州"),
        ("李建华", None, None),
    ):
        case["customer"].update(name=name, phone=phone, address=address)
        got = plans(case)
        assert not got["lawyer_letter"].applies and not got["complaint"].applies, name
        assert "full name" in got["complaint"].reason and "address or phone" in got["complaint"].reason
    case["customer"].update(name="李建华", phone=None, address="杭州市拱墅区湖墅南路 50 号")
    assert plans(case)["complaint"].applies
    del case["customer"]["name"]
    assert not plans(case)["lawyer_letter"].applies


def test_pboc_waits_until_the_acquirer_is_involved():
    case = load("denied-charge-zh")
    case["dispute"] = {"stage": "none"}
    got = plans(case)
    assert not got["pboc"].applies and "acquirer first" in got["pboc"].reason
    assert got["acquirer"].applies


def test_chargeback_brings_unionpay_in():
    case = load("denied-charge-zh")
    case["dispute"]["stage"] = "chargeback"
    assert "unionpay" in applying(case)


def test_sale_made_before_the_loss_can_still_be_asked_about():
    case = load("lost-terminal-en")
    early = dict(case["txn"][0], datetime="2025-11-20T19:00:00+08:00", reference_no="251120190001")
    case["txn"].append(early)
    case["customer"].update(name="Li Ming", phone="13700137000", claim="not_me")
    case["dispute"]["debited"] = True
    got = applying(case)
    assert {"customer", "lawyer_letter", "complaint", "police"} <= got


def test_police_already_told_gets_a_supplementary_statement():
    case = load("lost-terminal-en")
    case["incident"].update(police_report=True, police_receipt_no="SZ-110-7788")
    assert "supplementary" in plans(case)["police"].reason


def test_no_evidence_no_evidence_list():
    case = load("denied-charge-zh")
    case["evidence"] = []
    assert "evidence_list" not in applying(case)


def test_empty_and_sparse_cases_do_not_break():
    for case in (
        {},
        {"scenario": "lost_terminal"},
        {"scenario": "denied_charge", "txn": None, "customer": None},
    ):
        got = plan_outputs(case)
        assert [p.id for p in got] == list(OUTPUT_IDS)
        assert {"checklist", "prevention"} <= {p.id for p in got if p.applies}


def test_reasons_have_their_placeholders():
    for name in ("denied-charge-zh", "lost-terminal-en"):
        for plan in plan_outputs(load(name)):
            plan.reason.format(**plan.params)


_text = st.one_of(st.none(), st.text(string.printable + "中文", max_size=12))
_moment = st.one_of(st.none(), st.sampled_from(["2025-11-20", "2025-11-20T21:10:00+08:00", "garbage", ""]))


@settings(max_examples=150, deadline=None)
@given(
    scenario=st.sampled_from(["lost_terminal", "denied_charge", None, "other"]),
    how=st.sampled_from(["lost", "stolen", "unknown", None]),
    stage=st.sampled_from(["none", "retrieval", "chargeback", "arbitration", None]),
    name=_text,
    lost_at=_moment,
    txn_at=_moment,
    evidence=st.lists(st.sampled_from(["signed_slip", "cctv", "witness"]), max_size=3),
    drop=st.sampled_from(["", "incident", "customer", "dispute", "txn", "evidence"]),
)
def test_plan_is_total_and_never_demands_from_a_victim(
    scenario, how, stage, name, lost_at, txn_at, evidence, drop
):
    case = copy.deepcopy(load("lost-terminal-en"))
    case.update(scenario=scenario)
    case["incident"].update(how=how, lost_at=lost_at)
    case["dispute"]["stage"] = stage
    case["customer"]["name"] = name
    case["txn"][0]["datetime"] = txn_at
    case["evidence"] = [{"kind": k, "sha256": "0" * 64} for k in evidence]
    if drop:
        case.pop(drop)
    got = plans(case)
    assert list(got) == list(OUTPUT_IDS)
    if scenario == "lost_terminal":  # no charge here is provably earlier than the loss
        assert not any(got[i].applies for i in ("customer", "confirmation", "lawyer_letter", "complaint"))
    if got["lawyer_letter"].applies or got["complaint"].applies:  # only for money taken back
        assert case.get("dispute", {}).get("debited") is True
    if scenario != "lost_terminal":
        assert not got["police"].applies
