"""Memory benchmark: resident memory of a bot process idle, after 10,000 stored cases, and with the OCR model.

Runs in a fresh child process per framework (`python -m bench.memory --child FRAMEWORK N`) so that
nothing the parent imported counts. The child builds what a running bot holds: the framework's
adapter (its network replaced by the no-op request of bench/adapters.py), the bridge and the
assistant on a SQLite file, with every runtime module imported. Then:

- idle: started, no update yet;
- after_case: one whole case played (engine, catalogs, date parsing warmed);
- cases_10k: 10,000 merchants' cases stored (copies of that finished case) and one update applied
  for each of N of those merchants through the adapter (N = 10,000; fewer with --quick), so that
  per-chat state (locks, limiter buckets, handled ids) is as after that much traffic;
- after_warm_up: the start-up warm-up of the documents (bot/warmup.py, OCR=off): the document
  libraries, templates and glyphs, which a bot before the warm-up held after its first documents;
- with_ocr: the OCR model loaded and one photo read (with OCR=on the warm-up loads the model too).

    python -m bench.memory [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _store_copies(database, template_user: int, count: int, first_user: int) -> None:
    """`count` users, each with a copy of the template user's case (new ids), in one transaction."""
    from sqlalchemy import text

    with database.engine.begin() as conn:
        user = (
            conn.execute(text("SELECT * FROM users WHERE id = :id"), {"id": template_user}).mappings().one()
        )
        case = (
            conn.execute(text("SELECT * FROM cases WHERE id = :id"), {"id": user["active_case_id"]})
            .mappings()
            .one()
        )
        users, cases = [], []
        for n in range(count):
            case_id = f"M{n:07d}"
            users.append(dict(user, id=first_user + n, active_case_id=case_id))
            cases.append(dict(case, id=case_id, user_id=first_user + n))
        columns_u, columns_c = list(users[0]), list(cases[0])
        conn.execute(
            text(
                f"INSERT INTO users ({', '.join(columns_u)}) VALUES ({', '.join(':' + c for c in columns_u)})"
            ),
            users,
        )
        conn.execute(
            text(
                f"INSERT INTO cases ({', '.join(columns_c)}) VALUES ({', '.join(':' + c for c in columns_c)})"
            ),
            cases,
        )


async def _child(framework: str, touched: int) -> dict:
    import bot.transports.telegram  # noqa: F401 - everything a running bot imports
    from bench import adapters
    from bench.script import case_script
    from bot.storage import Database

    result: dict = {"framework": framework}
    script = case_script()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'memory.sqlite3'}")
        database.migrate()
        sink = adapters.Sink()
        feed, close = await adapters._ours(framework, sink, database)
        markup = adapters._ptb_markup if framework == "ptb" else adapters._aiogram_markup
        gc.collect()
        result["idle_mb"] = rss_mb()
        update_id = 1
        for action in script:
            await feed(adapters._update(update_id, 1, action, sink, markup))
            update_id += 1
        gc.collect()
        result["after_case_mb"] = rss_mb()
        started = time.perf_counter()
        _store_copies(database, 1, 10_000, 1_000_000)
        help_action = next(a for a in script if a.kind == "text" and a.value == "/start")
        for n in range(touched):
            await feed(adapters._update(update_id, 1_000_000 + n, help_action, sink, markup))
            update_id += 1
        gc.collect()
        result["cases_10k_mb"] = rss_mb()
        result["cases_stored"] = 10_000 + 1
        result["merchants_touched"] = touched
        result["cases_10k_seconds"] = round(time.perf_counter() - started, 1)
        await close()
        database.dispose()
    from bot.warmup import WarmUp

    WarmUp(ocr=False).run()
    gc.collect()
    result["after_warm_up_mb"] = rss_mb()
    from bot.ocr import read_image
    from testkit.synth import corpus

    read_image(corpus(1, 1)[0].jpeg)
    gc.collect()
    result["with_ocr_mb"] = rss_mb()
    return result


def run(quick: bool = False) -> dict:
    """Each framework in its own child process; ptb (the default framework) gives the headline figures."""
    touched = 500 if quick else 10_000
    out: dict = {}
    for framework in ("ptb", "aiogram"):
        child = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--child", framework, str(touched)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=900,
            check=False,
        )
        if child.returncode != 0:
            raise RuntimeError(f"memory child ({framework}) failed: {child.stderr.strip()[-2000:]}")
        out[framework] = json.loads(child.stdout.strip().splitlines()[-1])
    ptb = out["ptb"]
    return {
        "idle_mb": ptb["idle_mb"],
        "after_case_mb": ptb["after_case_mb"],
        "cases_10k_mb": ptb["cases_10k_mb"],
        "after_warm_up_mb": ptb["after_warm_up_mb"],
        "with_ocr_mb": ptb["with_ocr_mb"],
        "merchants_touched": ptb["merchants_touched"],
        "aiogram": {k: v for k, v in out["aiogram"].items() if k.endswith("_mb")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "TOUCHED"))
    args = parser.parse_args(argv)
    if args.child:
        result = asyncio.run(_child(args.child[0], int(args.child[1])))
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    print(json.dumps(run(args.quick), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
