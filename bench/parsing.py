"""Typed dates read against expected values: rate per language and orientation (`--only parsing`).

Two sets in bench/data: `moments-dev.tsv`, the phrases the rules of conversations/moments.py were
written against (issue 12's examples, merchants' phrasing), and `moments-heldout.tsv`, phrases from
Duckling's public time corpora that no rule was written against. Each line names the language of
the chat, the orientation of the field (past: a transaction, a loss, a notice; future: a reply-by
date), the text and what it must be read as: a day, a moment (to the minute, with an offset when one
was typed), `ask A | B` (both readings offered, nothing guessed), `impossible` or `none`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conversations.moments import Impossible, Parsed, read

DATA = Path(__file__).resolve().parent / "data"
SETS = {
    "dev": DATA / "moments-dev.tsv",
    "heldout": DATA / "moments-heldout.tsv",
    "heldout2": DATA / "moments-heldout-2.tsv",
    "heldout3": DATA / "moments-heldout-3.tsv",
}


@dataclass(frozen=True)
class Case:
    lang: str
    prefer: str
    text: str
    want: str
    now: datetime
    tz: ZoneInfo


def load(path: Path) -> list[Case]:
    cases, now, tz = [], None, ZoneInfo("Asia/Shanghai")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# now:"):
            stamp, zone = line.split(":", 1)[1].split(",")
            tz = ZoneInfo(zone.strip())
            now = datetime.fromisoformat(stamp.split("(")[0].strip()).replace(tzinfo=tz)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        lang, prefer, text, want = line.split("\t")
        assert now is not None, f"{path.name}: a `# now:` line comes first"
        cases.append(Case(lang, prefer, text, want.strip(), now, tz))
    return cases


def shown(found: Parsed | Impossible | None) -> str:
    """What the reader made of a text, in the notation of the data files."""
    if found is None:
        return "none"
    if isinstance(found, Impossible):
        return "impossible"

    def one(p: Parsed) -> str:
        if not p.has_time:
            return p.moment.date().isoformat()
        text = p.moment.strftime("%Y-%m-%d %H:%M")
        if p.offset is not None:
            minutes = int(p.offset.utcoffset(None).total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            text += f" {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return text

    readings = [one(found), *(one(o) for o in found.others)]
    return readings[0] if len(readings) == 1 else "ask " + " | ".join(readings)


def _same(got: str, want: str) -> bool:
    if want.startswith("ask ") and got.startswith("ask "):
        return {x.strip() for x in got[4:].split("|")} == {x.strip() for x in want[4:].split("|")}
    return got == want


def score(cases: list[Case]) -> tuple[dict, list[tuple[Case, str]]]:
    groups: dict[str, list[bool]] = {}
    misses = []
    for case in cases:
        got = shown(read(case.text, case.now, case.tz, prefer=case.prefer, lang=case.lang))
        ok = _same(got, case.want)
        groups.setdefault(f"{case.lang} {case.prefer}", []).append(ok)
        if not ok:
            misses.append((case, got))
    rates = {key: {"rate": round(sum(v) / len(v), 3), "n": len(v)} for key, v in sorted(groups.items())}
    return rates, misses


def run() -> dict:
    out: dict = {}
    for name, path in SETS.items():
        cases = load(path)
        started = time.perf_counter()
        rates, misses = score(cases)
        out[name] = {
            "rates": rates,
            "ms_per_text": round((time.perf_counter() - started) * 1000 / max(len(cases), 1), 3),
            "misses": [
                {"text": c.text, "lang": c.lang, "prefer": c.prefer, "want": c.want, "got": g}
                for c, g in misses
            ],
        }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=1))
