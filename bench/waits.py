"""What a merchant waits for: the documents right after a start, and warm, in both languages.

Each figure comes from a fresh process (`python -m bench.waits --child LANG MODE`) that starts the way
a worker does (imports the bot, then `bot.warmup.WarmUp` in the background) and then asks for every
document of the benchmark case (bench/documents.py: 3 transactions, 10 photos; all outputs, PDF and
DOCX, and the evidence pack), once ("first request after a start") and three times more ("warm", the
median). MODE `warm`: the request comes when the warm-up is done; `cold`: with no warm-up at all, the
behaviour before it existed, measured in the same run as the baseline to compare against.

Wall time on a shared machine is mostly other people's work, so each figure is given in wall and in
CPU seconds of the process (the documents are single-threaded: on an idle core wall ≈ CPU).
The reply latency, OCR and CPU-per-update figures of the same section come from the scale and ocr
benchmarks of the same run (bench/__main__.py puts them together).

    python -m bench.waits [--lang zh,en]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict:
    wall, cpu = _clock()
    return {"s": round(wall - start[0], 3), "cpu_s": round(cpu - start[1], 3)}


def _child(lang: str, mode: str) -> dict:
    start = _clock()
    import bot.service  # noqa: F401 - what a worker has imported when it starts
    import bot.transports.telegram  # noqa: F401
    from bot.warmup import WarmUp

    out: dict = {"lang": lang, "mode": mode, "start": _since(start)}
    if mode == "warm":
        begun = _clock()
        warm_up = WarmUp(ocr=False).start()  # OCR has its own figure
        warm_up.wait()
        out["warm_up"] = _since(begun) | {"steps": warm_up.seconds}
    from bench.documents import NOW, bench_case
    from bot.documents import applicable, render_evidence_pack, render_output

    case, photos = bench_case()

    def every_document() -> dict:
        begun = _clock()
        rendered = [render_output(copy.deepcopy(case), i, lang=lang, now=NOW) for i in applicable(case)]
        pack = render_evidence_pack(case, evidence_bytes=photos.get, now=NOW, lang=lang, rendered=rendered)
        files = [f for r in rendered for f in r.files]
        return _since(begun) | {
            "files": len(files) + 1,
            "max_pdf_kb": round(max(len(f.data) for f in files if f.name.endswith(".pdf")) / 1024, 1),
            "pack_kb": round(len(pack.data) / 1024, 1),
        }

    out["first"] = every_document()
    passes = [every_document() for _ in range(3)]
    out["warm"] = {
        "s": statistics.median(p["s"] for p in passes),
        "cpu_s": statistics.median(p["cpu_s"] for p in passes),
        "files": passes[0]["files"],
        "max_pdf_kb": passes[0]["max_pdf_kb"],
    }
    out["load_average"] = round(os.getloadavg()[0], 1)
    return out


def documents(langs: tuple[str, ...] = ("zh", "en"), modes: tuple[str, ...] = ("warm", "cold")) -> dict:
    """{lang: {mode: figures}}, each from its own process."""
    result: dict = {}
    for lang in langs:
        for mode in modes:
            done = subprocess.run(
                [sys.executable, "-m", "bench.waits", "--child", lang, mode],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            result.setdefault(lang, {})[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> dict:
    """The documents figures of the section (quick: the same, both languages; it takes ~20 s of CPU)."""
    return {"documents": documents(), "load_average": [round(x, 1) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.waits", description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("LANG", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--lang", default="zh,en")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    print(json.dumps(documents(tuple(args.lang.split(","))), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
