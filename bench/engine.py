"""Engine benchmark: whole cases replayed through the assistant and its database, timed per update.

Each case is the shared denied-charge autopilot transcript (about 35 updates), played for a new
user; documents are not rendered (bench/documents.py times those). Prints updates per second and
p50/p99 latency per update, on SQLite and, when a URL is given, on PostgreSQL.

Wall-clock figures on a shared machine include time the process was not running; the CPU figures
(this thread's CPU time per update) do not, and "per core" is read from them. Typed answers to date
questions go through the date parsers (dateparser, jionlp for Chinese phrases): p99 is also given
without them.

    python -m bench.engine [--cases 50] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.service import Assistant
from bot.storage import Database
from bot.transports.local import LocalChat, LocalUser
from bot.transports.replay import Player, Recorder

TRANSCRIPT = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "transcripts"
    / "acceptance"
    / "denied-charge-zh-autopilot.yaml"
)
FALLBACK = Path(__file__).resolve().parents[1] / "tests" / "transcripts" / "lost-terminal-zh-typed.yaml"
TZ = ZoneInfo("Asia/Shanghai")
DATE_FIELDS = ("datetime", "_at", "deadline", "date")


class TimedAssistant(Assistant):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timings: list[float] = []
        self.cpu: list[float] = []
        self.dates: list[bool] = []  # the update answered a date question by typing
        self.asks: str | None = None

    def process(self, event):
        start, cpu = time.perf_counter(), time.thread_time()
        out = []
        try:
            out = super().process(event)
            return out
        finally:
            self.timings.append(time.perf_counter() - start)
            self.cpu.append(time.thread_time() - cpu)
            self.dates.append(event.kind == "text" and any(k in (self.asks or "") for k in DATE_FIELDS))
            self.asks = next((m.asks for m in reversed(out) if m.asks), None)


def scratch_schema(base: str, prefix: str = "bench") -> tuple[str, callable]:
    """A PostgreSQL URL whose search_path is a new schema, and a function that drops it."""
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def run(database_url: str | None = None, cases: int = 30) -> dict:
    """Replay `cases` whole cases; return updates_per_s, p50_ms, p99_ms and the number of updates."""
    path = TRANSCRIPT if TRANSCRIPT.exists() else FALLBACK
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    tmp = tempfile.TemporaryDirectory()
    drop = None
    if database_url is None:
        database_url = f"sqlite:///{tmp.name}/bench.sqlite3"
    elif database_url.startswith("postgresql"):
        database_url, drop = scratch_schema(database_url)
    db = Database(database_url)
    db.migrate()
    assistant = TimedAssistant(db, tz=TZ)
    from datetime import datetime

    now = datetime(2025, 11, 28, 10, 0, tzinfo=TZ)
    try:
        # one warm-up case: imports, date parser and catalogs loaded, connection pool filled
        for i in range(cases + 1):
            if i == 1:
                assistant.timings.clear()
                assistant.cpu.clear()
                assistant.dates.clear()
            chat = LocalChat(assistant, LocalUser(10_000 + i, "zh-hans", "测试"), tz=TZ, now=now)
            chat.next_update_id = (i + 1) * 1_000
            out = Path(tmp.name) / f"out{i}"
            recorder = Recorder(out)
            Player(chat, recorder, path.parent).play_autopilot(doc["autopilot"], None)
            recorder.close()
    finally:
        db.dispose()
        if drop:
            drop()
        tmp.cleanup()
    t, cpu = assistant.timings, assistant.cpu
    plain = [x for x, date in zip(t, assistant.dates, strict=True) if not date]
    dates = [x for x, date in zip(t, assistant.dates, strict=True) if date]
    return {
        "updates": len(t),
        "updates_per_s": round(len(t) / sum(t), 1),
        "updates_per_cpu_s": round(len(t) / sum(cpu), 1),
        "p50_ms": _ms(statistics.median(t)),
        "p99_ms": _ms(_p99(t)),
        "p99_cpu_ms": _ms(_p99(cpu)),
        "p99_ms_without_dates": _ms(_p99(plain)),
        "date_answers": len(dates),
        "date_answers_p50_ms": _ms(statistics.median(dates)) if dates else None,
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch schema is created and dropped)")
    args = parser.parse_args(argv)
    rows = {"sqlite": run(None, args.cases)}
    if args.postgres:
        rows["postgres"] = run(args.postgres, args.cases)
    print(
        f"{'database':<10} {'updates':>8} {'updates/s':>10} {'per CPU-s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'p99 CPU':>8} {'p99 no dates':>13}"
    )
    for name, r in rows.items():
        print(
            f"{name:<10} {r['updates']:>8} {r['updates_per_s']:>10} {r['updates_per_cpu_s']:>10} "
            f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['p99_cpu_ms']:>8} {r['p99_ms_without_dates']:>13}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
