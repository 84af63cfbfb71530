"""Document benchmark: every output of one case (3 transactions, 10 photos), timed and sized.

The first pass in a process, here with no start-up warm-up, includes compiling the templates and
converting the glyphs it uses from the 16 MB Noto font to TrueType (once per glyph and process, see
bot/documents/fonts.py); the passes after it are what a running bot pays per case. bench/waits.py
measures the first request after a real start (with the warm-up) in a fresh process. Prints a
table per output and the totals.

    python -m bench.documents [--lang zh|en] [--passes 3]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CASE_FILE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cases" / "denied-charge-zh.json"
NOW = datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
KINDS = (
    "signed_slip",
    "signed_slip",
    "signed_slip",
    "cctv",
    "cctv",
    "pos_record",
    "bank_statement",
    "chat",
    "invoice",
    "witness",
)


def bench_case() -> tuple[dict, dict[str, bytes]]:
    """The sample denied-charge case with 3 transactions and 10 photos (random bytes of photo size)."""
    case = json.loads(CASE_FILE.read_text(encoding="utf-8"))
    first = case["txn"][0]
    case["txn"] = [
        dict(
            first, datetime=(datetime.fromisoformat(first["datetime"]) + timedelta(minutes=7 * i)).isoformat()
        )
        | {
            "reference_no": f"2511221830{45 + i:02d}",
            "voucher_no": f"{4518 + i:06d}",
            "amount": f"{1288 + 100 * i}.00",
        }
        for i in range(3)
    ]
    photos: dict[str, bytes] = {}
    case["evidence"] = []
    for i, kind in enumerate(KINDS):
        data = os.urandom(150_000 + 10_000 * i)
        sha = hashlib.sha256(data).hexdigest()
        photos[sha] = data
        case["evidence"].append(
            {
                "kind": kind,
                "file_name": f"photo-{i + 1:02d}.jpg",
                "mime": "image/jpeg",
                "sha256": sha,
                "size": len(data),
                "received_at": "2025-11-28T09:25:10+08:00",
                "caption": f"照片 {i + 1}",
            }
        )
    return case, photos


def run(lang: str | None = None, passes: int = 2) -> dict:
    """Render every applicable output and the evidence pack `passes` times; figures of the last pass."""
    from bot.documents import render_evidence_pack, render_output
    from conversations.outputs import plan_outputs

    case, photos = bench_case()
    ids = [p.id for p in plan_outputs(case) if p.applies]
    passes_seconds: list[float] = []
    rows: list[dict] = []
    pack_bytes = 0
    for _ in range(max(passes, 1)):
        rows = []
        start = time.perf_counter()
        rendered = []
        for output_id in ids:
            t0 = time.perf_counter()
            result = render_output(copy.deepcopy(case), output_id, lang=lang, now=NOW)
            rendered.append(result)
            for f in result.files:
                rows.append({"file": f.name, "kb": len(f.data) / 1024})
            rows.append({"file": f"{output_id} (all files)", "seconds": time.perf_counter() - t0})
        t0 = time.perf_counter()
        pack = render_evidence_pack(case, evidence_bytes=photos.get, now=NOW, lang=lang, rendered=rendered)
        rows.append({"file": pack.name, "kb": len(pack.data) / 1024, "seconds": time.perf_counter() - t0})
        pack_bytes = len(pack.data)
        passes_seconds.append(time.perf_counter() - start)
    pdf_kb = [r["kb"] for r in rows if r["file"].endswith(".pdf")]
    return {
        "seconds": passes_seconds[-1],
        "first_pass_seconds": passes_seconds[0],
        "max_pdf_kb": max(pdf_kb),
        "pdf_files": len(pdf_kb),
        "docx_files": sum(1 for r in rows if r["file"].endswith(".docx")),
        "pack_kb": pack_bytes / 1024,
        "outputs": ids,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("zh", "en"))
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    result = run(lang=args.lang, passes=args.passes)
    print(f"{'file':<34}{'KB':>10}{'seconds':>10}")
    for row in result["rows"]:
        kb = f"{row['kb']:.1f}" if "kb" in row else ""
        seconds = f"{row['seconds']:.3f}" if "seconds" in row else ""
        print(f"{row['file']:<34}{kb:>10}{seconds:>10}")
    print()
    print(f"outputs: {len(result['outputs'])}, PDFs: {result['pdf_files']}, DOCX: {result['docx_files']}")
    print(f"first pass (no warm-up in this process): {result['first_pass_seconds']:.2f} s")
    print(f"warm pass, all outputs + pack:          {result['seconds']:.2f} s   (goal < 1 s)")
    print(f"largest PDF:                            {result['max_pdf_kb']:.0f} KB  (goal < 300 KB)")
    print(f"evidence pack:                          {result['pack_kb']:.0f} KB")


if __name__ == "__main__":
    main()
