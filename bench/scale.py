"""Scale benchmark: webhook workers on PostgreSQL driven over loopback by merchants playing whole cases.

The load generator (this process) runs the fake Bot API of the Telegram tests
(testkit/fake_bot_api.py) and is the balancer in front of the workers: each update goes by
HTTP POST to the next worker's webhook, up to `CONCURRENT_POSTS` at a time. Every merchant plays
the whole case of bench/script.py (36 updates: typed answers and button presses), sending its next
update when the bot's replies to the previous one have arrived, as a person would; all merchants
play at once. Every 25th update is also delivered a second time, as Telegram does when a webhook
answer is lost (the redelivery may reach the other worker).

Each worker is a separate process (`python -m bench.scale --worker`) running the bot's own
`Runtime` in webhook mode (the inbox, the bridge, the assistant), with the fixed clock the
transcript's dates need. A run is bounded in count (the merchants' cases) and in time (after the
deadline no new update is sent; those under way finish).

- throughput: 1 worker, then 2 workers, each on a fresh PostgreSQL schema, outgoing limits lifted
  (they would cap both runs at 30 messages a second); updates applied per second, the ratio, and the
  CPU time each party used per update (workers, PostgreSQL, this generator), since they share the
  machine's cores.
- exactly once: every merchant's chat must show exactly the messages (and buttons) of the reference
  case, and `processed_updates` must hold each update id once: `lost` counts updates that were
  never applied or whose replies never came, `duplicated` replies beyond the reference.
- shared limit: 2 workers with the bot's default limits and REDIS_URL set; the Bot API side counts
  messages per second (at most about 30 in any second) and every reply must still arrive. With
  --full-limits the same load without Redis shows what per-process limits would let through.

    python -m bench.scale [--quick] [--postgres URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import resource
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.engine import scratch_schema

ROOT = Path(__file__).resolve().parents[1]
CONCURRENT_POSTS = 64
STEP_TIMEOUT = 60.0  # seconds a merchant waits for the replies to one update before calling it lost
DUPLICATE_EVERY = 25
LIMITED = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")


# --- the worker process ----------------------------------------------------------------------------


async def _worker() -> int:
    from bench.script import NOW
    from bot.settings import load
    from bot.transports.ratelimit import InProcessLimiter
    from bot.transports.telegram import Runtime

    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # clients gone at the end of a run
    settings = load(dotenv=False)
    limiter = None  # the bot's default: REDIS_URL → shared, else in-process
    if os.environ.get("BENCH_LIMITS") == "lifted":
        limiter = InProcessLimiter(per_chat=1e9, chat_burst=1e9, overall=1e9, overall_burst=1e9)
    runtime = Runtime(
        settings,
        limiter=limiter,
        clock=lambda: NOW,
        host="127.0.0.1",
        reminder_interval=3600,
        retention_interval=3600,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    if runtime.warm_up is not None:  # its CPU is not the updates': measured from here on
        await asyncio.to_thread(runtime.warm_up.wait, 120)
    print("ready", flush=True)
    await stop.wait()
    await runtime.stop()
    return 0


# --- CPU accounting --------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _postgres_cpu() -> float:
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="ascii", errors="replace") as comm:
                    if comm.read().startswith("postgres"):
                        total += _cpu_of(int(entry))
            except OSError:
                continue
    return total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the load generator ----------------------------------------------------------------------------


def _fake_class():
    import aiohttp

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    from testkit.fake_bot_api import FakeBotAPI

    class LoadBotAPI(FakeBotAPI):
        """The strict fake Bot API, with a balancer of concurrent webhook posts and per-chat arrival signals."""

        def __init__(self) -> None:
            super().__init__()
            self.targets: list[str] = []
            self.sent: dict[int, int] = defaultdict(int)  # sendMessage/sendDocument per chat
            self.limited_at: list[float] = []
            self.arrived: dict[int, asyncio.Event] = {}
            self.duplicates = 0
            self.duplicate_every = 0
            self._rr = itertools.count()
            self._posters: list[asyncio.Task] = []

        async def start(self) -> str:
            url = await super().start()
            if self._webhook_task is not None:  # our posters replace the one-at-a-time delivery
                self._webhook_task.cancel()
            self._posters = [asyncio.create_task(self._post()) for _ in range(CONCURRENT_POSTS)]
            return url

        async def stop(self) -> None:
            for task in self._posters:
                task.cancel()
            await asyncio.gather(*self._posters, return_exceptions=True)
            await super().stop()

        async def _post(self) -> None:
            assert self._client is not None
            while True:
                update = await self._webhook_queue.get()
                hook = self.webhook or {}
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.get("secret_token", "")}
                for attempt in range(20):
                    url = self.targets[next(self._rr) % len(self.targets)] if self.targets else hook["url"]
                    try:
                        async with self._client.post(url, json=update, headers=headers) as response:
                            self.webhook_deliveries.append(response.status)
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        self.webhook_deliveries.append(0)
                    await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))  # Telegram retries too

        def _push(self, update: dict) -> int:
            update_id = super()._push(update)
            if self.duplicate_every and update_id % self.duplicate_every == 0:
                self._webhook_queue.put_nowait({"update_id": update_id, **update})
                self.duplicates += 1
            return update_id

        def _arrive(self, chat_id: int) -> None:
            event = self.arrived.get(chat_id)
            if event is not None:
                event.set()

        async def _api(self, request):
            if request.match_info.get("method") in LIMITED:
                self.limited_at.append(time.monotonic())
            return await super()._api(request)

        async def m_sendMessage(self, params: dict) -> dict:
            result = await super().m_sendMessage(params)
            self.sent[int(params["chat_id"])] += 1
            self._arrive(int(params["chat_id"]))
            return result

        async def m_sendDocument(self, params: dict) -> dict:
            result = await super().m_sendDocument(params)
            self.sent[int(params["chat_id"])] += 1
            self._arrive(int(params["chat_id"]))
            return result

    return LoadBotAPI


async def _merchant(fake, user_id: int, script, deadline: float, stats: dict, lang: str = "zh") -> None:
    from bench.script import USERS

    fake.user(user_id, USERS[lang][0], "陈" if lang == "zh" else "Sam")
    event = fake.arrived[user_id] = asyncio.Event()
    expected = 0
    for action in script:
        if time.monotonic() >= deadline:
            stats["unfinished"] += 1
            return
        expected += len(action.replies)
        if action.kind == "text":
            fake.send_text(user_id, action.value)
        else:
            message = next(m for m in reversed(fake.chat(user_id)) if action.value in m.choice_ids)
            fake.press(user_id, message.message_id, action.value)
        stats["sent"] += 1
        sent_at = time.monotonic()
        waited_until = sent_at + STEP_TIMEOUT
        while fake.sent[user_id] < expected:
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), max(0.01, waited_until - time.monotonic()))
            except TimeoutError:
                stats["timed_out"] += 1
                stats["lost_chats"].append(user_id)
                return
        stats["applied"] += 1
        stats["last_reply"] = time.monotonic()
        stats["reply_s"][lang].append(stats["last_reply"] - sent_at)  # the last reply to this update
    stats["finished"] += 1


def _check_chats(fake, users: list[int], scripts: dict) -> tuple[int, int]:
    """(chats whose messages differ from the reference, messages beyond the reference)."""
    mismatched = extra = 0
    for user_id in users:
        reference = [choices for action in scripts[user_id] for choices in action.replies]
        shown = [
            tuple(
                b.get("callback_data")
                for row in (m.original[1] or {}).get("inline_keyboard", [])
                for b in row
            )
            for m in fake.chat(user_id)
            if m.kind in ("text", "document")
        ]
        extra += max(0, len(shown) - len(reference))
        if shown != reference[: len(shown)] or len(shown) > len(reference):
            mismatched += 1
    return mismatched, extra


async def _start_workers(fake, count: int, database_url: str, env_extra: dict) -> list:
    from testkit.net import free_port

    workers = []
    for _ in range(count):
        port = free_port()
        env = dict(
            os.environ,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
            WEBHOOK_SECRET="bench-secret_1",
            PORT=str(port),
            DATABASE_URL=database_url,
            LOG_LEVEL="WARNING",
            OCR="off",  # the cases have no photos; two models would only take 650 MB of the shared machine
            **env_extra,
        )
        if "REDIS_URL" not in env_extra:
            env.pop("REDIS_URL", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.scale",
            "--worker",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        workers.append((process, port))
    for process, _port in workers:
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise RuntimeError("a worker did not start")
    fake.targets = [f"http://127.0.0.1:{port}/telegram/webhook" for _, port in workers]
    return workers


async def _stop_workers(workers) -> None:
    for process, _ in workers:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in workers:
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()


async def play(
    base_url: str,
    *,
    workers: int,
    merchants: int,
    seconds: float,
    limits: str = "lifted",
    redis_url: str | None = None,
    duplicate_every: int = DUPLICATE_EVERY,
    framework: str = "ptb",
    languages: tuple[str, ...] = ("zh",),
) -> dict:
    """One run: `workers` processes on a fresh schema, `merchants` playing at once for at most `seconds`;
    merchant n speaks languages[n % len(languages)] (a language without a case script is left out)."""
    import sqlalchemy as sa

    from bench.script import case_script
    from bot.storage import Database

    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # workers stopping mid-request
    by_lang = {}
    for lang in languages:
        with contextlib.suppress(FileNotFoundError):  # the English case lives in ../shared only
            by_lang[lang] = case_script(lang)
    database_url, drop = scratch_schema(base_url, "bench_scale")
    Database(database_url).migrate()  # once, before the workers race to it
    fake = _fake_class()()
    await fake.start()
    fake.duplicate_every = duplicate_every
    env_extra = {"BENCH_LIMITS": limits, "BOT_FRAMEWORK": framework}
    if redis_url:
        env_extra["REDIS_URL"] = redis_url
    running = []
    try:
        running = await _start_workers(fake, workers, database_url, env_extra)
        stats: dict = defaultdict(int)
        stats["lost_chats"] = []
        stats["reply_s"] = defaultdict(list)
        langs = list(by_lang)
        users = [5_000_000 + n for n in range(merchants)]
        lang_of = {user: langs[n % len(langs)] for n, user in enumerate(users)}
        scripts = {user: by_lang[lang_of[user]] for user in users}
        fake.limited_at.clear()
        cpu_workers = [_cpu_of(p.pid) for p, _ in running]
        cpu_pg, cpu_own = _postgres_cpu(), _own_cpu()
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(_merchant(fake, user, scripts[user], deadline, stats, lang_of[user]) for user in users)
        )
        elapsed = max(1e-6, stats.get("last_reply", time.monotonic()) - started)
        cpu = {
            "workers": sum(_cpu_of(p.pid) for p, _ in running) - sum(cpu_workers),
            "postgres": _postgres_cpu() - cpu_pg,
            "generator": _own_cpu() - cpu_own,
        }
        await asyncio.sleep(0.5)  # a late duplicate reply would arrive now
        mismatched, extra = _check_chats(fake, users, scripts)
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT user_id, count(*) FROM processed_updates GROUP BY user_id")
            ).all()
        engine.dispose()
        applied_rows = {user_id: count for user_id, count in rows}
        unapplied = stats["sent"] - sum(applied_rows.get(user, 0) for user in users)
    finally:
        await _stop_workers(running)
        await fake.stop()
        drop()
    applied = stats["applied"]
    marks = sorted(fake.limited_at)
    window = max((sum(1 for t in marks[i:] if t < start + 1.0) for i, start in enumerate(marks)), default=0)
    busy = (marks[-1] - marks[0]) if len(marks) > 1 else 0.0
    return {
        "framework": framework,
        "workers": workers,
        "merchants": merchants,
        "updates": stats["sent"],
        "applied": applied,
        "seconds": round(elapsed, 2),
        "updates_per_s": round(applied / elapsed, 1),
        "finished": stats["finished"],
        "unfinished": stats["unfinished"],
        "redelivered": fake.duplicates,
        "lost": max(stats["timed_out"], unapplied),  # an update never applied also leaves its step waiting
        "never_applied": unapplied,
        "replies_missing": stats["timed_out"],
        "duplicated": extra,
        "mismatched_chats": mismatched,
        "messages": len(marks),
        "max_per_1s": window,
        "sent_per_s": round(len(marks) / busy, 1) if busy else None,
        "cpu_ms_per_update": {k: round(v * 1000 / max(applied, 1), 3) for k, v in cpu.items()},
        "reply_ms": {lang: _percentiles(values) for lang, values in stats["reply_s"].items()},
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def _percentiles(seconds: list[float]) -> dict:
    """p50 and p99 in ms of the time from sending an update to the arrival of its last reply."""
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50": at(0.50), "p99": at(0.99)}


def run(pg_url: str, redis_url: str | None, *, quick: bool = False, full_limits: bool | None = None) -> dict:
    """Throughput with 1 and 2 workers (ptb, the default framework; aiogram too unless quick), the shared
    limit with 2 workers. Quick: 40 merchants play their whole cases; full: 1,000 merchants for 60 s."""
    merchants, bound = (40, 120) if quick else (1000, 60)
    result: dict = {"lost": 0, "duplicated": 0}
    for framework in ("ptb",) if quick else ("ptb", "aiogram"):
        runs = {}
        for workers, key in ((1, "one"), (2, "two")):
            runs[key] = asyncio.run(
                play(
                    pg_url,
                    workers=workers,
                    merchants=merchants,
                    seconds=bound,
                    framework=framework,
                    languages=("zh", "en"),
                )
            )
            result["lost"] += runs[key]["lost"]
            result["duplicated"] += runs[key]["duplicated"] + runs[key]["mismatched_chats"]
        one, two = runs["one"]["updates_per_s"], runs["two"]["updates_per_s"]
        runs["ratio_2_to_1"] = round(two / one, 2) if one else None
        if framework == "ptb":
            result.update(runs)
        else:
            result[framework] = runs
    if redis_url and _redis_up(redis_url):
        limit_merchants, limit_seconds = (30, 6) if quick else (100, 20)
        shared = asyncio.run(
            play(
                pg_url,
                workers=2,
                merchants=limit_merchants,
                seconds=limit_seconds,
                limits="default",
                redis_url=redis_url,
                duplicate_every=0,
            )
        )
        result["limiter"] = _limit_figures(shared)
        if full_limits if full_limits is not None else not quick:
            unshared = asyncio.run(
                play(
                    pg_url,
                    workers=2,
                    merchants=limit_merchants,
                    seconds=limit_seconds,
                    limits="default",
                    duplicate_every=0,
                )
            )
            result["limiter_unshared"] = _limit_figures(unshared)
    else:
        result["limiter"] = {"skipped": f"Redis unreachable at {redis_url}"}
    return result


def _limit_figures(run_: dict) -> dict:
    keys = ("workers", "merchants", "messages", "max_per_1s", "sent_per_s", "applied", "lost", "duplicated")
    return {key: run_[key] for key in keys} | {"lost": run_["lost"] + run_["mismatched_chats"]}


def _redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--merchants", type=int, help="one throughput run with this many merchants")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--framework", default="ptb", choices=("ptb", "aiogram"))
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--languages", default="zh,en", help="the merchants' languages, in turn")
    args = parser.parse_args(argv)
    if args.worker:
        return asyncio.run(_worker())
    if args.merchants:
        print(
            json.dumps(
                asyncio.run(
                    play(
                        args.postgres,
                        workers=args.workers,
                        merchants=args.merchants,
                        seconds=args.seconds,
                        framework=args.framework,
                        languages=tuple(args.languages.split(",")),
                    )
                )
            )
        )
        return 0
    print(json.dumps(run(args.postgres, args.redis, quick=args.quick), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
