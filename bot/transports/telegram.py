"""Telegram runtime: pick the framework (ptb | aiogram) and the mode (polling | webhook), run until stopped.

`run(settings)` is what `python -m bot` calls with a token set. `Runtime` is the same thing as an
object that tests and measurements start and stop inside their own event loop.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from aiohttp import web
from sqlalchemy import text

from bot import retention
from bot.miniapp import server as miniapp_server
from bot.miniapp.pages import CasePages
from bot.reminders import ReminderLoop, Undeliverable
from bot.service import Assistant
from bot.settings import Settings
from bot.storage import Database, leases
from bot.transports import common, webhook
from bot.transports.intake import WAITING, Intake
from bot.transports.ratelimit import Limiter, make_limiter
from bot.warmup import WarmUp
from conversations.i18n import language_from_code, translate

log = logging.getLogger("bot.telegram")
POLL_TIMEOUT = 25  # seconds a getUpdates call waits for news


class Adapter(Protocol):
    name: str
    api: common.Api

    async def start(self) -> None: ...

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]: ...

    async def feed(self, data: dict) -> None: ...

    async def stop_receiving(self) -> None: ...

    async def close(self) -> None: ...


class StartupError(Exception):
    """The bot cannot start; the message is one line for the operator."""


def make_adapter(settings: Settings, on_update) -> Adapter:
    assert settings.token
    if settings.framework == "aiogram":
        from bot.transports.aiogram_adapter import AiogramAdapter

        return AiogramAdapter(settings.token, settings.api_url, on_update)
    from bot.transports.ptb import PtbAdapter

    return PtbAdapter(settings.token, settings.api_url, on_update)


class Runtime:
    """One running bot: adapter, bridge, webhook server (in webhook mode) and the reminder loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        limiter: Limiter | None = None,
        clock: Callable[[], datetime] | None = None,
        reminder_interval: float = 30.0,
        retention_interval: float = 3600.0,
        inbox_interval: float = 30.0,
        backoff: float = 0.5,
        host: str = "0.0.0.0",
        warm_up: bool = True,
    ) -> None:
        self.settings = settings
        self.warm_up = WarmUp(ocr=settings.ocr) if warm_up else None
        quiet_logs(settings.token)
        self.database = database or Database(settings.database_url)
        # one getUpdates consumer per bot (Telegram refuses a second): its leases are its own after a restart
        self.worker = "polling" if settings.mode == "polling" else leases.worker_id(f"{id(self):x}")
        self.assistant = Assistant(
            self.database,
            tz=settings.timezone,
            max_file_bytes=settings.max_file_mb * 1024 * 1024,
            retention_days=settings.retention_days,
            ocr=settings.ocr,
            outbox_worker=self.worker,
        )
        self.adapter = make_adapter(settings, self._on_update)
        self.bridge = common.Bridge(
            self.assistant,
            self.adapter.api,
            settings.timezone,
            limiter=limiter or make_limiter(settings.redis_url),  # shared through Redis when REDIS_URL is set
            clock=clock,
            backoff=backoff,
            page_url=f"{settings.public_url}{miniapp_server.PATH}" if settings.public_url else None,
        )
        self.reminders = ReminderLoop(
            self.database, self._send_reminder, settings.timezone, clock=clock, interval=reminder_interval
        )
        self.intake = Intake(
            self.database,
            self._feed,
            self._tell_waiting,
            worker=self.worker,
            retry=max(backoff, 0.01),
            maintenance=inbox_interval,
            album_done=self.bridge.finish_album,
            marked=self._marked,
        )
        self.clock = clock
        self.retention_interval = retention_interval
        self.inbox_interval = inbox_interval
        self.host = host
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []
        self._waiting: set[int] = set()  # updates the bridge could not apply (database unavailable)

    @property
    def mode(self) -> str:
        return self.settings.mode

    async def _on_update(self, update: common.Update) -> None:
        if not await self.bridge.handle(update):
            self._waiting.add(update.update_id)

    async def _feed(self, data: dict) -> bool:
        """One stored update through the framework's own entry point; False when it must be tried again."""
        update_id = data["update_id"]
        try:
            await self.adapter.feed(data)
        except Exception as exc:  # an update the framework cannot read would fail every time
            log.error("update %s could not be read: %s", update_id, type(exc).__name__)
            return True
        if update_id in self._waiting:
            self._waiting.discard(update_id)
            return False
        return True

    def _marked(self, update_id: int) -> bool:
        """The inbox row was marked handled when the update was applied (with its replies stored)."""
        applied = self.assistant.applied
        if update_id in applied:
            applied.discard(update_id)
            return True
        if len(applied) > 10_000:  # applied outside the inbox (nothing asks): forget
            applied.clear()
        return False

    async def _get_updates(self, offset: int | None) -> list[dict]:
        return await self.adapter.get_updates(offset, POLL_TIMEOUT)

    async def _tell_waiting(self, chat_id: int, language_code: str | None) -> None:
        text = translate(language_from_code(language_code), WAITING)
        async with self.bridge.chat_lock(chat_id):
            await self.bridge.send_text(chat_id, text, None)

    async def _retention(self) -> None:
        """Once at start, then every `retention_interval`: warn about closed cases due for deletion, delete."""
        while True:
            try:
                now = self.clock() if self.clock else datetime.now(self.settings.timezone)
                await retention.run_once(
                    self.database,
                    self._send_reminder,
                    now,
                    self.settings.retention_days,
                    self.settings.timezone,
                )
            except Exception as exc:
                log.error("retention round failed: %s", type(exc).__name__)
            await asyncio.sleep(self.retention_interval)

    async def _outbox_rounds(self) -> None:
        """Every `inbox_interval`: send what the outbox still holds (Telegram or the database was away,
        a worker died)."""
        while True:
            await asyncio.sleep(self.inbox_interval)
            try:
                await self.bridge.resend_waiting()
            except Exception as exc:
                log.warning("outbox round failed (%s)", type(exc).__name__)

    async def _send_reminder(self, chat_id: int, html_text: str) -> None:
        async with self.bridge.chat_lock(chat_id):
            try:
                await self.bridge.send_text(chat_id, html_text, None)
            except common.Forbidden as exc:
                raise Undeliverable() from exc

    async def _healthy(self) -> bool:
        def ping() -> bool:
            with self.database.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True

        return await asyncio.to_thread(ping)

    @property
    def warming(self) -> bool:
        return self.warm_up is not None and self.warm_up.warming

    async def start(self) -> None:
        if self.warm_up is not None:
            self.warm_up.start()  # in the background: the first reply does not wait for it
        try:
            await asyncio.to_thread(self.database.migrate)
        except Exception as exc:
            raise StartupError(
                f"DATABASE_URL: cannot open or migrate the database ({type(exc).__name__})"
            ) from exc
        try:
            await self.adapter.start()
        except common.Transient as exc:
            where = (
                f"TELEGRAM_API_URL={self.settings.api_url}" if self.settings.api_url else "api.telegram.org"
            )
            raise StartupError(f"cannot reach the Telegram Bot API at {where} ({exc})") from exc
        except common.ApiError as exc:
            raise StartupError(f"TELEGRAM_BOT_TOKEN was refused by the Bot API ({exc})") from exc
        except Exception as exc:  # ptb raises InvalidToken outside its usual error classes
            if "token" in type(exc).__name__.lower() or "unauthorized" in str(exc).lower():
                raise StartupError("TELEGRAM_BOT_TOKEN was refused by the Bot API") from exc
            raise
        await self.bridge.set_commands()
        api = self.adapter.api
        if self.mode == "webhook":
            assert self.settings.webhook_url and self.settings.token
            url, path = webhook.webhook_target(self.settings.webhook_url)
            secret = webhook.webhook_secret(self.settings.webhook_secret, self.settings.token)
            app = webhook.make_app(
                self.intake.receive,
                path=path,
                secret=secret,
                healthy=self._healthy,
                warming=lambda: self.warming,
            )
            await self._serve(app)
            await self.bridge.call(None, lambda: api.set_webhook(url, secret))
            log.info("webhook mode (%s) on port %s", self.adapter.name, self.port)
        else:
            if self.settings.public_url:  # polling: the same server, for the case page only
                await self._serve(web.Application(client_max_size=1024 * 1024))
                log.info("case page on port %s", self.port)
            await self.bridge.call(None, api.delete_webhook)
        leases.register(self.worker)
        owed = await self.bridge.resend_waiting()  # replies a stopped process applied and did not send
        if owed:
            log.info("sending replies stored before the start", extra={"chats": owed})
        waiting = await self.intake.recover()  # stored before a stop or a crash, not yet handled
        if waiting:
            log.info("handling updates stored before the start", extra={"chats": waiting})
        if self.mode == "polling":
            self._tasks.append(asyncio.create_task(self.intake.poll(self._get_updates)))
            log.info("polling mode (%s)", self.adapter.name)
        self._tasks.append(asyncio.create_task(self.intake.maintain()))
        self._tasks.append(asyncio.create_task(self.reminders.run()))
        self._tasks.append(asyncio.create_task(self._retention()))
        self._tasks.append(asyncio.create_task(self._outbox_rounds()))

    async def _serve(self, app: web.Application) -> None:
        """Listen on PORT with `app`, plus the case page when PUBLIC_URL says where it is reached."""
        if self.settings.public_url:
            assert self.settings.token
            miniapp_server.add_routes(
                app,
                CasePages(self.assistant),
                token=self.settings.token,
                tz=self.settings.timezone,
                notify=self._tell_chat,
                clock=self.clock,
            )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(f"PORT={self.settings.port}: cannot listen ({exc.strerror})") from exc
        sockets = site._server.sockets if site._server else []  # noqa: SLF001 - the bound port
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port

    async def _tell_chat(self, chat_id: int, messages: list) -> None:
        """After a save on the case page: the chat's next screen (its new review), in the chat's order."""
        async with self.bridge.chat_lock(chat_id):
            await self.bridge.deliver(chat_id, messages)

    async def stop(self) -> None:
        for task in self._tasks:  # polling first: no update is taken after this
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()  # stops taking updates, lets running requests finish
        await self.adapter.stop_receiving()
        await self.intake.stop()  # chats being handled finish; what is left stays in the inbox
        await self.bridge.drain()  # replies to updates already taken are still sent
        await self.adapter.close()
        if hasattr(self.bridge.limiter, "aclose"):
            await self.bridge.limiter.aclose()
        leases.unregister(self.worker)
        await asyncio.to_thread(self.database.dispose)


class _RedactToken(logging.Filter):
    """Keep the bot token out of every log line (HTTP client libraries log request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def quiet_logs(token: str | None) -> None:
    for name in ("httpx", "httpcore", "aiogram.event", "telegram.ext.Updater"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if token:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, _RedactToken) and f.token == token for f in handler.filters):
                handler.addFilter(_RedactToken(token))


async def serve(settings: Settings) -> int:
    runtime = Runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start()
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        await runtime.stop()
        return 2
    await stop.wait()
    log.info("stopping")
    await runtime.stop()
    return 0


def run(settings: Settings) -> int:
    return asyncio.run(serve(settings))
