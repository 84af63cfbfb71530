"""Merchant actions per case: every message, button press and file the autopilot needs, refused ones too.

Each autopilot transcript of the project (../shared/transcripts and tests/transcripts, the held-out
ones included) is replayed as `python -m bot replay` plays it; the count is its number of actions,
from /start to the last document asked for. `BEFORE` holds the counts of the same transcripts on
commit bdaaba6, before questions were asked together (issue 13), measured with this module there.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "transcripts"
OWN = ROOT / "tests" / "transcripts"
NOW = datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # the tests' clock

BEFORE = {  # actions on bdaaba6
    "shared/denied-charge-zh-autopilot": 37,
    "shared/lost-terminal-en-autopilot": 43,
    "denied-charge-en-slip-photo": 40,
    "form-denied-chargeback-zh": 45,
    "form-denied-retrieval-en": 39,
    "form-lost-two-charges-zh": 61,
    "lost-terminal-zh-typed": 69,
    "heldout/form-denied-no-notice-en": 37,
}


def transcripts() -> list[tuple[str, Path]]:
    found = [(f"shared/{p.stem}", p) for p in sorted(SHARED.glob("*.yaml"))]
    own = [p for p in sorted(OWN.rglob("*.yaml")) if p.parent.name != "acceptance"]  # copies of shared
    if not found:  # a bare clone: the project's copies of the shared transcripts stand in
        found = [(f"shared/{p.stem}", p) for p in sorted((OWN / "acceptance").glob("*.yaml"))]
    found += [(str(p.relative_to(OWN).with_suffix("")), p) for p in own]
    return [(name, path) for name, path in found if "autopilot:" in path.read_text(encoding="utf-8")]


def count(path: Path) -> tuple[int, int]:
    """(exit status, actions) of one replay."""
    from bot.transports import replay

    with tempfile.TemporaryDirectory() as out:
        shared = path.parent in (SHARED, OWN / "acceptance")
        rc = replay.run(path, Path(out), now=NOW if shared else None)
        lines = (Path(out) / "replies.jsonl").read_text(encoding="utf-8").splitlines()
        return rc, max((json.loads(line)["step"] for line in lines), default=0)


def run() -> dict:
    rows = []
    for name, path in transcripts():
        rc, actions = count(path)
        rows.append({"case": name, "before": BEFORE.get(name), "after": actions, "passed": rc == 0})
    return {"cases": rows}


def table(result: dict) -> str:
    lines = [f"{'case':<40} {'before':>6} {'after':>6}", "-" * 54]
    for row in result["cases"]:
        before = "—" if row["before"] is None else row["before"]
        mark = "" if row["passed"] else "  FAILED"
        lines.append(f"{row['case']:<40} {before:>6} {row['after']:>6}{mark}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
