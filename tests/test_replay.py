"""Transcripts drive the real assistant: the shared ones must keep passing, and ours tell more stories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.transports import replay
from tests.conftest import FIXED_NOW, ROOT, SHARED_TRANSCRIPTS

OWN = ROOT / "tests" / "transcripts"
# The project's copies of the shared acceptance transcripts, so a bare clone (no ../shared) tests the same stories.
ACCEPTANCE = OWN / "acceptance"
NO_SHARED = "../shared/transcripts is not beside this checkout (CI lays it there); the copies in tests/transcripts/acceptance ran"


def _replies(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "replies.jsonl").read_text(encoding="utf-8").splitlines()]


def _acceptance_sets() -> list:
    """Each acceptance transcript from the project's copies, and from ../shared when it is there."""
    params = [
        pytest.param(ACCEPTANCE / p.name, id=f"copy-{p.stem}") for p in sorted(ACCEPTANCE.glob("*.yaml"))
    ]
    shared = sorted(SHARED_TRANSCRIPTS.glob("*.yaml"))
    params += [pytest.param(p, id=f"shared-{p.stem}") for p in shared]
    if not shared:
        params.append(pytest.param(None, id="shared", marks=pytest.mark.skip(reason=NO_SHARED)))
    return params


@pytest.mark.parametrize("path", _acceptance_sets())
def test_shared_transcripts_pass(path, tmp_path, capsys):
    name = path.name
    rc = replay.run(path, tmp_path, now=FIXED_NOW)
    assert rc == 0, capsys.readouterr().err
    rows = _replies(tmp_path)
    assert rows and all("text" in r and "choices" in r and "asks" in r and "files" in r for r in rows)
    if "autopilot" in name:
        case = json.loads((tmp_path / "case.json").read_text(encoding="utf-8"))
        assert case["status"] == "confirmed"
        assert case["txn"] and case["txn"][0]["reference_no"]


def test_shared_denied_charge_case_json(tmp_path):
    assert replay.run(ACCEPTANCE / "denied-charge-zh-autopilot.yaml", tmp_path, now=FIXED_NOW) == 0
    case = json.loads((tmp_path / "case.json").read_text(encoding="utf-8"))
    assert case["scenario"] == "denied_charge" and case["language"] == "zh"
    assert case["merchant"]["merchant_no"] == "898330158120317"
    txn = case["txn"][0]
    assert txn == {
        "datetime": "2025-11-22T18:30:00+08:00",
        "amount": "1288.00",
        "reference_no": "251122183045",
        "voucher_no": "004518",
        "batch_no": "000127",
        "auth_code": "83A2F1",
        "card_masked": "622588******1234",
        "issuer": "招商银行",
        "type": "sale",
        "goods": "包厢晚宴 8 人套餐",
        "goods_zh": None,
        "supply": None,
        "delivered": None,
        "signed": True,
        "entry_mode": None,
        "pin_verified": None,
    }
    assert case["dispute"] == {
        "stage": "retrieval",
        "notified_at": "2025-11-28",
        "deadline": "2025-12-05",
        "case_no": "LKL-2025-88231",
        "reason_code": None,
        "debited": None,
        "acquirer_problem": None,
        "acquirer_problem_zh": None,
    }
    assert {"entity_type", "operator_name", "name_zh"} <= set(case["merchant"])
    assert "address" in case["customer"]
    assert case["incident"] == {}
    assert [e["event"] for e in case["timeline"]][:1] == ["txn"]
    rows = _replies(tmp_path)
    # the first question carries its field id; the reference number was refused once, then taken
    assert rows[0]["asks"] == "case.scenario"
    asked = [f for r in rows if r["asks"] and r["item"] == 0 for f in (r["asks_all"] or [r["asks"]])]
    assert asked.count("txn.reference_no") == 2
    # several fields in one message: the slip's three that matter, then the rest in one optional step
    assert rows[1]["asks_all"] == ["txn.datetime", "txn.amount", "txn.reference_no"]


@pytest.mark.parametrize(
    "name", sorted(str(p.relative_to(OWN)) for p in OWN.rglob("*.yaml") if p.parent != ACCEPTANCE)
)
def test_own_transcripts_pass(name, tmp_path, capsys):
    rc = replay.run(OWN / name, tmp_path)
    assert rc == 0, capsys.readouterr().err


def test_typed_chinese_case_is_read_right(tmp_path):
    assert replay.run(OWN / "lost-terminal-zh-typed.yaml", tmp_path) == 0
    case = json.loads((tmp_path / "case.json").read_text(encoding="utf-8"))
    assert case["incident"]["lost_at"] == "2025-11-20T21:00:00+08:00"
    assert case["incident"]["discovered_at"] == "2025-11-21T08:00:00+08:00"
    assert case["merchant"]["terminal_id"] == "A7731902"
    assert [t["amount"] for t in case["txn"]] == ["3500.00", "1200.00"]
    assert case["txn"][0]["reference_no"] == "251120234711"
    assert case["txn"][0]["card_masked"] == "621700******0122"
    assert case["dispute"]["deadline"] == "2025-12-02"
    assert [e["kind"] for e in case["evidence"]] == ["pos_record", "cctv"]
    assert all(len(e["sha256"]) == 64 for e in case["evidence"])
    everything = (tmp_path / "replies.jsonl").read_text(encoding="utf-8") + json.dumps(case)
    assert "6217001234567890122" not in everything.replace(" ", "")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_autopilot_fails_on_a_missing_required_answer(tmp_path, capsys):
    path = _write(tmp_path, "user: {id: 5}\nautopilot:\n  case.scenario: denied_charge\n")
    assert replay.run(path, tmp_path / "out") == 1
    assert "txn.datetime" in capsys.readouterr().err


def test_autopilot_fails_when_a_bad_attempt_is_accepted(tmp_path, capsys):
    path = _write(
        tmp_path,
        "user: {id: 6}\nautopilot:\n  case.scenario: denied_charge\n  case.goal: collect_payment\n"
        "  txn:\n    - {txn.datetime: {attempts: ['2025-11-22 18:30', '2025-11-23 10:00']}}\n",
    )
    assert replay.run(path, tmp_path / "out") == 1
    assert "attempt 1 was accepted" in capsys.readouterr().err


def test_scripted_expect_failure_and_unknown_button(tmp_path, capsys):
    path = _write(tmp_path, "user: {id: 7}\nsteps:\n  - send: /start\n  - expect: {asks: txn.amount}\n")
    assert replay.run(path, tmp_path / "out") == 1
    path = _write(tmp_path, "user: {id: 8}\nsteps:\n  - send: /start\n  - choose: case.goal=report_only\n")
    assert replay.run(path, tmp_path / "out") == 1
    assert "not offered" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    ["just a string", "user: {id: x}\nsteps: []", "user: {id: 1}\n", "user: {id: 1}\nsteps: {a: 1}", "{{{"],
)
def test_invalid_transcripts_exit_2(tmp_path, text):
    assert replay.run(_write(tmp_path, text), tmp_path / "out") == 2


def test_command_line(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "replay",
            str(ACCEPTANCE / "denied-charge-en-script.yaml"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "replies.jsonl").exists() and (out / "case.json").exists()


def test_the_acceptance_transcripts_are_there():
    """The copies always; in CI (which lays ../shared beside the checkout) the shared set too, so it cannot
    silently vanish there."""
    assert len(list(ACCEPTANCE.glob("*.yaml"))) >= 3, ACCEPTANCE
    if os.environ.get("CI"):
        assert len(list(SHARED_TRANSCRIPTS.glob("*.yaml"))) >= 3, f"CI without {SHARED_TRANSCRIPTS}"


@pytest.mark.parametrize("name", ["typed-every-answer-zh.yaml", "typed-every-answer-en.yaml"])
def test_merchants_who_type_every_answer(name, tmp_path, capsys):
    assert replay.run(OWN / name, tmp_path) == 0, capsys.readouterr().err
    case = json.loads((tmp_path / "case.json").read_text(encoding="utf-8"))
    assert case["status"] == "confirmed" and case["txn"][0]["reference_no"] == "301122334455"


def test_a_typed_answer_taken_as_something_else_fails(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(
        "user: {id: 930009, language_code: zh-CN}\n"
        "autopilot:\n"
        "  case.scenario: {typed: 客户不认账, as: lost_terminal}\n",
        encoding="utf-8",
    )
    assert replay.run(path, tmp_path / "out", now=FIXED_NOW) == 1
    assert "not 'lost_terminal'" in capsys.readouterr().err
