"""Telegram adapter benchmark: time per update through python-telegram-bot and aiogram, in process.

Each update is fed to the framework's own update-processing entry point (ptb
`Application.process_update`, aiogram `Dispatcher.feed_raw_update`, what the webhook server calls),
one after another, and timed until its replies are sent. Three set-ups:

- null: a stub assistant (one fixed reply with two buttons) and a no-op Bot API: the adapter and
  bridge themselves (framework parsing, translation, per-chat lock, thread hop, keyboard).
- http: the same stub, but the framework's real HTTP client sends to the fake Bot API server
  (sendChatAction + sendMessage over 127.0.0.1).
- full: the real assistant on a fresh SQLite database (typed `/help` and a button press per round)
  and the fake server: what a merchant's update costs end to end, minus the network to Telegram.

    python -m bench.telegram [--updates 400]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from zoneinfo import ZoneInfo

from bot.service import Assistant, Outgoing
from bot.settings import load
from bot.storage import Database
from bot.transports import common
from bot.transports.ratelimit import InProcessLimiter
from conversations.events import Choice
from testkit.fake_bot_api import FakeBotAPI

TZ = ZoneInfo("Asia/Shanghai")
USER = 4242


class StubAssistant:
    max_file_bytes = 20 * 1024 * 1024

    def process(self, event) -> list[Outgoing]:
        return [
            Outgoing(
                text="<b>Case</b>\nWhat happened?", choices=[Choice("a=1", "Lost"), Choice("a=2", "Denied")]
            )
        ]


class NullApi:
    async def send_text(self, chat_id, html_text, rows) -> int:
        return 1

    async def edit_text(self, chat_id, message_id, html_text, rows) -> None:
        return None

    async def answer_callback(self, callback_id, text=None) -> None:
        return None

    async def send_document(self, chat_id, name, data, mime) -> None:
        return None

    async def send_chat_action(self, chat_id, action) -> None:
        return None

    async def download(self, file_id) -> bytes:
        return b""

    async def set_commands(self, commands, language_code) -> None:
        return None


def text_update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": USER, "type": "private", "first_name": "Ana"},
            "from": {"id": USER, "is_bot": False, "first_name": "Ana", "language_code": "en"},
            "text": text,
        },
    }


def make_adapter(framework: str, token: str, api_url: str | None, on_update):
    if framework == "ptb":
        from bot.transports.ptb import PtbAdapter

        return PtbAdapter(token, api_url, on_update)
    from bot.transports.aiogram_adapter import AiogramAdapter

    return AiogramAdapter(token, api_url, on_update)


async def measure(framework: str, setup: str, updates: int) -> list[float]:
    fake = FakeBotAPI()
    await fake.start()
    fake.user(USER)
    tmp = tempfile.mkdtemp(prefix="bench-tg-")
    database = None
    if setup == "full":
        database = Database(f"sqlite:///{tmp}/bench.sqlite3")
        database.migrate()
        assistant = Assistant(database, tz=TZ)
    else:
        assistant = StubAssistant()
    holder: dict = {}

    async def on_update(update):
        await holder["bridge"].handle(update)

    adapter = make_adapter(framework, fake.token, fake.base_url, on_update)
    api = NullApi() if setup == "null" else adapter.api
    limiter = InProcessLimiter(per_chat=1e6, chat_burst=1e6, overall=1e6, overall_burst=1e6)
    holder["bridge"] = common.Bridge(assistant, api, TZ, limiter=limiter)
    await adapter.start()
    texts = ["/help", "/lang en"] if setup == "full" else ["hello"]
    if setup == "full":
        await adapter.feed(text_update(1, "/start"))
    timings = []
    for n in range(updates):
        data = text_update(10 + n, texts[n % len(texts)])
        started = time.perf_counter()
        await adapter.feed(data)
        timings.append(time.perf_counter() - started)
    await adapter.stop_receiving()
    await adapter.close()
    await fake.stop()
    if database is not None:
        database.dispose()
    return timings[max(1, updates // 10) :]  # without the warm-up


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram")
    parser.add_argument("--updates", type=int, default=400)
    args = parser.parse_args()
    load({}, dotenv=False)  # settings module import check
    print(f"{'framework':<9} {'setup':<5} {'median ms':>10} {'p99 ms':>8} {'updates/s':>10}")
    for setup in ("null", "http", "full"):
        for framework in ("ptb", "aiogram"):
            timings = asyncio.run(measure(framework, setup, args.updates))
            median = statistics.median(timings) * 1000
            p99 = statistics.quantiles(timings, n=100)[98] * 1000
            print(f"{framework:<9} {setup:<5} {median:>10.2f} {p99:>8.2f} {1000 / median:>10.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
