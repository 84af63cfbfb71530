"""Adapter benchmark: whole cases through python-telegram-bot and aiogram, next to each framework's bare echo.

Each framework gets the updates of whole cases (bench/script.py: typed answers and button presses,
a new merchant per case) through its own update-processing entry point — ptb
`Application.process_update(Update.de_json(...))`, aiogram `Dispatcher.feed_raw_update` — with the
network replaced by a no-op request object: a ptb `BaseRequest` and an aiogram session whose
`make_request` serialise the call as for the wire and answer with a canned Bot API result, which
the framework parses as usual. So both sides pay the framework's full cost except the socket.

- ours: the adapter, the bridge (per-chat lock, thread hop, limiter, keyboards, the edit that shows a
  pressed button) and the real assistant on a fresh SQLite database, timed per update until its
  replies are sent.
- echo: the same update dicts through a bare application of the same framework whose one handler
  sends the text (or the button's data) back: one sendMessage per update.

    python -m bench.adapters [--cases 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.script import NOW, TZ, Action, case_script
from bot.service import Assistant
from bot.storage import Database
from bot.transports import common
from bot.transports.plain import html_to_text
from bot.transports.ratelimit import InProcessLimiter

TOKEN = "123456789:BENCH-token_for-the-noop-request"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "POS Dispute Assistant", "username": "bench_bot"}
FRAMEWORKS = ("ptb", "aiogram")


class Sink:
    """The Bot API's answers, without a network: message ids per chat, and the keyboards sent (for presses)."""

    def __init__(self) -> None:
        self.ids: dict[int, itertools.count] = {}
        self.keyboards: dict[int, list[tuple[int, str, object]]] = {}  # chat -> (message id, text, markup)
        self.calls = 0

    def answer(self, method: str, chat_id: object, text: object, markup: object) -> str:
        self.calls += 1
        if method in ("sendMessage", "editMessageText", "sendDocument"):
            chat = int(chat_id)  # type: ignore[arg-type]
            message_id = next(self.ids.setdefault(chat, itertools.count(1)))
            if markup is not None and method == "sendMessage":
                self.keyboards.setdefault(chat, []).append((message_id, str(text), markup))
            result: object = {
                "message_id": message_id,
                "date": 0,
                "chat": {"id": chat, "type": "private"},
                "from": BOT_USER,
                "text": str(text or "document"),
            }
        elif method == "getMe":
            result = BOT_USER
        else:
            result = True
        return json.dumps({"ok": True, "result": result})

    def pressed_message(self, chat_id: int, choice_id: str, markup_dict: Callable[[object], dict]) -> dict:
        """The message (as Telegram puts it in a callback query) whose button `choice_id` is pressed."""
        for message_id, text, markup in reversed(self.keyboards.get(chat_id, [])):
            keyboard = markup_dict(markup)
            if any(b.get("callback_data") == choice_id for row in keyboard["inline_keyboard"] for b in row):
                return {
                    "message_id": message_id,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "private", "first_name": "陈"},
                    "from": BOT_USER,
                    "text": html_to_text(text),
                    "reply_markup": keyboard,
                }
        raise AssertionError(f"no message in chat {chat_id} offers {choice_id!r}")


# --- python-telegram-bot ---------------------------------------------------------------------------


def _ptb_request(sink: Sink):
    from telegram.request import BaseRequest

    class NoopRequest(BaseRequest):
        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def do_request(self, url, method, request_data=None, **_timeouts):  # noqa: ARG002
            params = request_data.json_parameters if request_data is not None else {}  # as HTTPXRequest does
            answer = sink.answer(
                url.rsplit("/", 1)[-1], params.get("chat_id"), params.get("text"), params.get("reply_markup")
            )
            return 200, answer.encode()

    return NoopRequest()


def _ptb_builder(sink: Sink):
    from telegram.ext import ApplicationBuilder

    return ApplicationBuilder().request(_ptb_request(sink)).get_updates_request(_ptb_request(sink))


def _ptb_markup(markup: object) -> dict:
    return json.loads(markup) if isinstance(markup, str) else dict(markup)  # type: ignore[arg-type]


async def _ptb_echo(sink: Sink):
    from telegram import Update
    from telegram.ext import TypeHandler

    application = _ptb_builder(sink).token(TOKEN).build()

    async def echo(update: Update, _context) -> None:
        query = update.callback_query
        text = query.data if query is not None else update.effective_message.text
        await update.get_bot().send_message(update.effective_chat.id, text or "echo")

    application.add_handler(TypeHandler(Update, echo))
    await application.initialize()

    async def feed(data: dict) -> None:
        await application.process_update(Update.de_json(data, application.bot))

    return feed, application.shutdown


# --- aiogram ---------------------------------------------------------------------------------------


def _aiogram_session(sink: Sink):
    from aiogram.client.session.aiohttp import AiohttpSession

    class NoopSession(AiohttpSession):
        async def make_request(self, bot, method, timeout=None):
            self.build_form_data(bot=bot, method=method)  # what AiohttpSession sends, built and dropped
            answer = sink.answer(
                method.__api_method__,
                getattr(method, "chat_id", None),
                getattr(method, "text", None),
                getattr(method, "reply_markup", None),
            )
            return self.check_response(bot=bot, method=method, status_code=200, content=answer).result

    return NoopSession()


def _aiogram_markup(markup: object) -> dict:
    return markup.model_dump(exclude_none=True)  # type: ignore[attr-defined]


async def _aiogram_echo(sink: Sink):
    from aiogram import Bot, Dispatcher
    from aiogram.types import CallbackQuery, Message

    bot = Bot(TOKEN, session=_aiogram_session(sink))
    dispatcher = Dispatcher(disable_fsm=True)

    async def on_message(message: Message) -> None:
        await message.answer(message.text or "echo")

    async def on_query(query: CallbackQuery) -> None:
        await bot.send_message(query.from_user.id, query.data or "echo")

    dispatcher.message.register(on_message)
    dispatcher.callback_query.register(on_query)

    async def feed(data: dict) -> None:
        await dispatcher.feed_raw_update(bot, data)

    return feed, bot.session.close


# --- ours ------------------------------------------------------------------------------------------


async def _ours(framework: str, sink: Sink, database: Database):
    holder: dict = {}

    async def on_update(update: common.Update) -> None:
        await holder["bridge"].handle(update)

    if framework == "ptb":
        from bot.transports import ptb

        real_request = ptb._request
        ptb._request = lambda: _ptb_request(sink)  # the adapter's own set-up, no-op request
        try:
            adapter = ptb.PtbAdapter(TOKEN, None, on_update)
        finally:
            ptb._request = real_request
    else:
        from bot.transports.aiogram_adapter import AiogramAdapter

        adapter = AiogramAdapter(TOKEN, None, on_update)
        await adapter.bot.session.close()
        adapter.bot.session = _aiogram_session(sink)
    unlimited = InProcessLimiter(per_chat=1e9, chat_burst=1e9, overall=1e9, overall_burst=1e9)
    holder["bridge"] = common.Bridge(
        Assistant(database, tz=TZ), adapter.api, TZ, limiter=unlimited, clock=lambda: NOW
    )
    await adapter.start()

    async def close() -> None:
        await adapter.stop_receiving()
        await adapter.close()

    return adapter.feed, close


# --- the run ---------------------------------------------------------------------------------------


def _update(update_id: int, user_id: int, action: Action, sink: Sink, markup_dict) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "陈", "language_code": "zh-hans"}
    if action.kind == "choice":
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": user,
                "chat_instance": f"ci{user_id}",
                "data": action.value,
                "message": sink.pressed_message(user_id, action.value, markup_dict),
            },
        }
    message: dict = {
        "message_id": 10_000 + update_id,
        "date": 0,
        "chat": {"id": user_id, "type": "private", "first_name": "陈"},
        "from": user,
        "text": action.value,
    }
    if action.value.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(action.value.split()[0])}]
    return {"update_id": update_id, "message": message}


async def measure(framework: str, cases: int) -> dict:
    """Ours, then the echo on the very updates ours received; per-update times without the first case."""
    script = case_script()
    markup_dict = _ptb_markup if framework == "ptb" else _aiogram_markup
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'adapters.sqlite3'}")
        database.migrate()
        sink = Sink()
        feed, close = await _ours(framework, sink, database)
        updates: list[dict] = []
        ours: list[float] = []
        update_ids = itertools.count(1)
        try:
            for case in range(cases + 1):
                user_id = 700_000 + case
                for action in script:
                    data = _update(next(update_ids), user_id, action, sink, markup_dict)
                    updates.append(data)
                    started = time.perf_counter()
                    await feed(data)
                    if case:
                        ours.append(time.perf_counter() - started)
        finally:
            await close()
            database.dispose()
    echo_feed, echo_close = await (_ptb_echo if framework == "ptb" else _aiogram_echo)(Sink())
    echo: list[float] = []
    try:
        for index, data in enumerate(updates):
            started = time.perf_counter()
            await echo_feed(data)
            if index >= len(script):
                echo.append(time.perf_counter() - started)
    finally:
        await echo_close()
    ours_ms, echo_ms = statistics.median(ours) * 1000, statistics.median(echo) * 1000
    return {
        "updates": len(ours),
        "ours_ms": round(ours_ms, 3),
        "echo_ms": round(echo_ms, 3),
        "ratio": round(ours_ms / echo_ms, 2),
        "ours_p99_ms": round(_p99(ours) * 1000, 3),
        "echo_p99_ms": round(_p99(echo) * 1000, 3),
        "ours_mean_ms": round(statistics.mean(ours) * 1000, 3),
        "echo_mean_ms": round(statistics.mean(echo) * 1000, 3),
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def run(cases: int = 20) -> dict:
    return {framework: asyncio.run(measure(framework, cases)) for framework in FRAMEWORKS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adapters")
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args(argv)
    rows = run(args.cases)
    print(f"{'framework':<9} {'updates':>7} {'ours ms':>8} {'echo ms':>8} {'ratio':>6} {'ours p99':>9}")
    for name, r in rows.items():
        print(
            f"{name:<9} {r['updates']:>7} {r['ours_ms']:>8} {r['echo_ms']:>8} {r['ratio']:>6} {r['ours_p99_ms']:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
