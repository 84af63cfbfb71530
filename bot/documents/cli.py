"""`python -m bot draft CASE.json --out DIR [--lang zh|en]`: every output that applies, from a case file alone.

With `--evidence DIR`, evidence files found there (named by their SHA-256, or by their original
file name and matching the recorded SHA-256) go into the evidence pack; the others are listed in
its manifest as not included.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.documents import render_all
from conversations.outputs import plan_outputs


def _evidence_lookup(folder: Path, case: dict) -> Callable[[str], bytes | None]:
    names = {
        str(e.get("sha256") or "").lower(): str(e.get("file_name") or "")
        for e in case.get("evidence") or []
        if isinstance(e, dict)
    }

    def lookup(sha: str) -> bytes | None:
        sha = sha.lower()
        for candidate in (folder / sha, folder / Path(names.get(sha, "")).name):
            if candidate.is_file() and candidate.name:
                data = candidate.read_bytes()
                if hashlib.sha256(data).hexdigest() == sha:
                    return data
        return None

    return lookup


def main(argv: list[str]) -> int:
    argv = list(argv)
    if argv and argv[0] == "draft":
        argv = argv[1:]
    parser = argparse.ArgumentParser(
        prog="python -m bot draft", description="Render every output that applies to a case.json."
    )
    parser.add_argument("case", type=Path, help="a case.json file")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the documents to")
    parser.add_argument("--lang", choices=("zh", "en"), help="the merchant's language (default: the case's)")
    parser.add_argument("--evidence", type=Path, help="folder holding the evidence files")
    parser.add_argument("--now", help="the date-time to compute days left from (ISO 8601; default: now)")
    args = parser.parse_args(argv)

    try:
        case = json.loads(args.case.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.case}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(case, dict):
        print(f"{args.case} does not hold a case (a JSON object)", file=sys.stderr)
        return 2
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            print(f"--now: not an ISO 8601 date-time: {args.now}", file=sys.stderr)
            return 2

    lookup = _evidence_lookup(args.evidence, case) if args.evidence else None
    written = render_all(case, args.out, lang=args.lang, evidence_bytes=lookup, now=now)
    for path in written:
        print(path)
    for plan in plan_outputs(case):
        if not plan.applies:
            print(f"not drafted: {plan.id}: {plan.reason.format(**plan.params)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
