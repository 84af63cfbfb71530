"""The held-out judgement cases (tests/fixtures/cases/heldout/): written before the rules, never tuned.

Each case is drafted as `python -m bot draft` would: which documents are offered, and what the
Chinese file of each says and must not say.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.documents import render_output
from conversations.outputs import plan_outputs
from tests.documents_support import file_text, squash

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # the cases are set in November 2026
HELDOUT = Path(__file__).parent / "fixtures" / "cases" / "heldout"
CASE_FILES = sorted(HELDOUT.glob("*.json"))
# documents the merchant keeps: the draft notice and the case id belong there
MERCHANT_OWN = {"checklist", "prevention"}


def _case(path: Path) -> tuple[dict, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data, data.pop("expect")


def _zh_text(case: dict, output_id: str) -> str:
    result = render_output(case, output_id, now=NOW)
    zh = [f for f in result.files if ".zh." in f.name and f.name.endswith(".pdf")]
    docs = zh or [f for f in result.files if f.name.endswith(".pdf")]
    return "\n".join(file_text(f.name, f.data) for f in docs)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_heldout_case(path):
    case, expect = _case(path)
    plans = {p.id: p for p in plan_outputs(case)}
    offered = {i for i, p in plans.items() if p.applies}
    for output_id in expect.get("offered", []):
        assert output_id in offered, f"{output_id} not offered: {plans.get(output_id)}"
    for output_id in expect.get("not_offered", []):
        assert output_id not in offered, f"{output_id} offered but should not be"
    texts = {output_id: squash(_zh_text(case, output_id)) for output_id in offered}
    for output_id, needles in expect.get("say", {}).items():
        for needle in needles:
            assert squash(needle) in texts[output_id], f"{output_id} lacks {needle!r}"
    for output_id, needles in expect.get("not_say", {}).items():
        targets = [i for i in texts if i not in MERCHANT_OWN] if output_id == "*" else [output_id]
        for target in targets:
            for needle in needles:
                assert squash(needle) not in texts[target], f"{target} says {needle!r}"
