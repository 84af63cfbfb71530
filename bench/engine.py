"""Engine benchmark: whole cases replayed through the assistant and its database, timed per update.

Each case is the shared denied-charge autopilot transcript (about 35 updates), played for a new
user; documents are not rendered (bench/documents.py times those). Prints updates per second and
p50/p99 latency per update, on SQLite and, when a URL is given, on PostgreSQL.

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
    Path(__file__).resolve().parents[1].parent / "shared" / "transcripts" / "denied-charge-zh-autopilot.yaml"
)
FALLBACK = Path(__file__).resolve().parents[1] / "tests" / "transcripts" / "lost-terminal-zh-typed.yaml"
TZ = ZoneInfo("Asia/Shanghai")


class TimedAssistant(Assistant):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timings: list[float] = []

    def process(self, event):
        start = time.perf_counter()
        try:
            return super().process(event)
        finally:
            self.timings.append(time.perf_counter() - start)


def _pg_schema_url(base: str) -> tuple[str, callable]:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
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
        database_url, drop = _pg_schema_url(database_url)
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
    t = sorted(assistant.timings)
    total = sum(t)
    return {
        "updates": len(t),
        "updates_per_s": round(len(t) / total, 1),
        "p50_ms": round(statistics.median(t) * 1000, 3),
        "p99_ms": round(t[min(len(t) - 1, int(len(t) * 0.99))] * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch schema is created and dropped)")
    args = parser.parse_args(argv)
    rows = {"sqlite": run(None, args.cases)}
    if args.postgres:
        rows["postgres"] = run(args.postgres, args.cases)
    print(f"{'database':<10} {'updates':>8} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, r in rows.items():
        print(f"{name:<10} {r['updates']:>8} {r['updates_per_s']:>10} {r['p50_ms']:>8} {r['p99_ms']:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
