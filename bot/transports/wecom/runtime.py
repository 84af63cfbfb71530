"""The WeCom channel running: callback server, pulling with `kf/sync_msg`, the inbox, the bridge, reminders.

A callback only says that messages are waiting; the messages themselves are pulled. Each pulled batch is
stored in the inbox (with ids given in the order pulled) before the cursor moves on, so a crash between
pulling and handling loses nothing and repeats nothing: the next pull from the old cursor returns the
same messages, which are the same inbox rows. Pulling also runs at start and every `sync_interval`
seconds, so a callback missed while the bot was down costs a delay, not a message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from wechatpy.enterprise.crypto import WeChatCrypto

from bot import retention
from bot.reminders import ReminderLoop, Undeliverable
from bot.service import Assistant
from bot.settings import Settings
from bot.storage import Database
from bot.storage import wecom as state
from bot.transports import common
from bot.transports.intake import WAITING, Intake
from bot.transports.ratelimit import InProcessLimiter, Limiter
from bot.transports.wecom import callback
from bot.transports.wecom.adapter import WeComApi, stored_update, to_update
from bot.transports.wecom.client import WeComClient
from bot.warmup import WarmUp
from conversations.i18n import translate

log = logging.getLogger("bot.wecom")
CUSTOMER = 3  # origin of a message the WeChat customer sent (4: a system event, 5: a human agent's)


class StartupError(Exception):
    """The channel cannot start; the message is one line for the operator."""


class WeComRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        clock: Callable[[], datetime] | None = None,
        sync_interval: float = 60.0,
        reminder_interval: float = 30.0,
        retention_interval: float = 3600.0,
        inbox_interval: float = 30.0,
        backoff: float = 0.5,
        host: str = "0.0.0.0",
        limiter: Limiter | None = None,
        warm_up: bool = True,
    ) -> None:
        assert settings.wecom is not None
        self.settings = settings
        self.warm_up = WarmUp(ocr=settings.ocr) if warm_up else None
        self.config = settings.wecom
        self.database = database or Database(settings.database_url)
        self.clock = clock
        self.assistant = Assistant(
            self.database,
            tz=settings.timezone,
            max_file_bytes=settings.max_file_mb * 1024 * 1024,
            retention_days=settings.retention_days,
            channel="wecom",
            ocr=settings.ocr,
        )
        self.client = WeComClient(self.config.api_url, self.config.corp_id, self.config.secret)
        # the reply window is WeCom's rule in real time, whatever clock the engine is given (tests fix it)
        self.api = WeComApi(self.client, self.database, self.config.kf_id)
        self.bridge = common.Bridge(
            self.assistant,
            self.api,
            settings.timezone,
            limiter=limiter or InProcessLimiter(),
            clock=clock,
            backoff=backoff,
        )
        self.reminders = ReminderLoop(
            self.database, self._send_reminder, settings.timezone, clock=clock, interval=reminder_interval
        )
        self.intake = Intake(
            self.database,
            self._feed,
            self._tell_waiting,
            worker=f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[-64:],
            retry=max(backoff, 0.01),
            maintenance=inbox_interval,
            album_done=self.bridge.finish_album,
        )
        self.crypto = WeChatCrypto(self.config.token, self.config.aes_key, self.config.corp_id)
        self.sync_interval = sync_interval
        self.retention_interval = retention_interval
        self.host = host
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []
        self._sync_lock = asyncio.Lock()
        self._waiting: set[int] = set()

    def _utcnow(self) -> datetime:
        return (self.clock() if self.clock else datetime.now(UTC)).astimezone(UTC)

    # --- pulling ---------------------------------------------------------------------------------

    async def sync(self, event_token: str | None = None) -> int:
        """Pull every waiting message into the inbox, then move the cursor; returns how many were new."""
        async with self._sync_lock:
            stored = 0
            for _ in range(100):  # a page is up to 1,000 messages; 100 pages is more than WeCom keeps
                cursor = await asyncio.to_thread(state.cursor, self.database, self.config.kf_id)
                body = await self.bridge.call(
                    None, lambda cursor=cursor: self.client.sync_msg(cursor, event_token, self.config.kf_id)
                )
                messages = [
                    m
                    for m in body.get("msg_list") or []
                    if isinstance(m, dict)
                    and m.get("msgid")
                    and m.get("external_userid")
                    and m.get("open_kfid", self.config.kf_id) == self.config.kf_id
                    and (m.get("origin") == CUSTOMER or m.get("msgtype") == "event")
                ]
                if messages:
                    updates, new = await self._as_updates(messages)
                    chats = await self.intake.store(updates)
                    if chats is None:  # the database is away: the cursor stays, the next pull repeats
                        return stored
                    await self._opened_windows([u for u in updates if u["update_id"] in new])
                    stored += len(updates)
                    for chat_id in chats:
                        self.intake.schedule(chat_id)
                next_cursor = str(body.get("next_cursor") or "")
                if next_cursor:
                    await asyncio.to_thread(state.save_cursor, self.database, self.config.kf_id, next_cursor)
                if not body.get("has_more"):
                    return stored
            return stored

    async def _opened_windows(self, updates: list[dict]) -> None:
        """WeCom counts its 5 replies from the customer's latest message: the window opens when that
        message is pulled, not when it is handled (replies to earlier messages count against it too). Only
        messages pulled for the first time open it: one pulled again after a crash gives no more room."""
        latest: dict[int, datetime] = {}
        for update in updates:
            msg = update["wecom"]
            if (
                msg.get("origin") != CUSTOMER
                and (msg.get("event") or {}).get("event_type") != "enter_session"
            ):
                continue
            chat_id = int(update["message"]["chat"]["id"])
            at = datetime.fromisoformat(msg["_at"])
            latest[chat_id] = max(at, latest.get(chat_id, at))
        for chat_id, at in latest.items():
            await asyncio.to_thread(state.inbound, self.database, chat_id, at)

    async def _as_updates(self, messages: list[dict]) -> tuple[list[dict], set[int]]:
        """The messages as inbox updates, and the update ids that are new (not pulled before)."""
        for _ in range(3):  # two workers numbering at once: the loser reads the winner's numbers
            try:
                before = await asyncio.to_thread(
                    state.known_update_ids, self.database, [str(m["msgid"]) for m in messages]
                )
                users = await asyncio.to_thread(
                    state.user_ids, self.database, [str(m["external_userid"]) for m in messages]
                )
                ids = await asyncio.to_thread(
                    state.update_ids, self.database, [str(m["msgid"]) for m in messages]
                )
                break
            except IntegrityError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("could not number WeCom messages")
        updates = []
        for m in messages:
            sent = int(m.get("send_time") or 0)
            at = datetime.fromtimestamp(sent, UTC) if sent else self._utcnow()
            updates.append(
                stored_update(
                    ids[str(m["msgid"])], users[str(m["external_userid"])], {**m, "_at": at.isoformat()}
                )
            )
        return updates, {u["update_id"] for u in updates} - before

    async def _on_event(self, event_token: str | None) -> None:
        task = asyncio.create_task(self._sync_quietly(event_token))
        self._tasks.append(task)
        task.add_done_callback(lambda done: done in self._tasks and self._tasks.remove(done))

    async def _sync_quietly(self, event_token: str | None = None) -> None:
        try:
            await self.sync(event_token)
        except Exception as exc:  # logged; the periodic pull tries again
            log.warning("kf/sync_msg failed: %s", type(exc).__name__)

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.sync_interval)
            await self._sync_quietly()

    # --- handling --------------------------------------------------------------------------------

    async def _feed(self, data: dict) -> bool:
        """One stored message: open the reply window, send what was kept, then the engine (unless the
        message only asked for what was kept)."""
        update = to_update(data)
        at = (data.get("wecom") or {}).get("_at")
        moment = datetime.fromisoformat(at) if at else state.utcnow()
        try:
            async with self.bridge.chat_lock(update.chat_id):
                only_more = await self.api.opened(update.chat_id, moment, update.text)
        except Exception as exc:
            log.warning("kept messages not sent: %s", type(exc).__name__)
            only_more = False
        if only_more:
            return True
        try:
            update = await self.api.named(update)
        except Exception as exc:  # the bridge downloads it again and says so if that fails too
            log.warning("file name not read: %s", type(exc).__name__)
        return await self.bridge.handle(update)

    async def _tell_waiting(self, chat_id: int, language_code: str | None) -> None:
        async with self.bridge.chat_lock(chat_id):
            await self.bridge.send_text(chat_id, translate("zh", WAITING), None)

    async def _send_reminder(self, chat_id: int, html_text: str) -> None:
        async with self.bridge.chat_lock(chat_id):
            try:
                await self.bridge.send_text(chat_id, html_text, None)  # kept for the next message if closed
            except common.Forbidden as exc:
                raise Undeliverable() from exc

    async def _retention(self) -> None:
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
                await asyncio.to_thread(state.sweep, self.database)
            except Exception as exc:
                log.error("retention round failed: %s", type(exc).__name__)
            await asyncio.sleep(self.retention_interval)

    async def _healthy(self) -> bool:
        def ping() -> bool:
            with self.database.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True

        return await asyncio.to_thread(ping)

    # --- start and stop --------------------------------------------------------------------------

    async def start(self) -> None:
        if self.warm_up is not None:
            self.warm_up.start()  # in the background (bot/warmup.py): the first reply does not wait for it
        try:
            await asyncio.to_thread(self.database.migrate)
        except Exception as exc:
            raise StartupError(
                f"DATABASE_URL: cannot open or migrate the database ({type(exc).__name__})"
            ) from exc
        try:
            await self.client.token()
        except common.Transient as exc:
            raise StartupError(
                f"cannot reach WeCom's API at WECOM_API_URL={self.config.api_url} ({exc})"
            ) from exc
        except common.ApiError as exc:
            raise StartupError(f"WECOM_CORP_ID / WECOM_SECRET were refused by WeCom ({exc})") from exc
        app = web.Application(client_max_size=callback.MAX_BODY)
        app.add_routes(callback.make_routes(self.crypto, self._on_event))

        async def health(_request: web.Request) -> web.Response:
            try:
                ok = await asyncio.wait_for(self._healthy(), 5)
            except Exception:
                ok = False
            if not ok:
                return web.json_response({"status": "unavailable"}, status=503)
            warming = self.warm_up is not None and self.warm_up.warming
            return web.json_response({"status": "warming" if warming else "ok"})

        app.router.add_get("/healthz", health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(f"PORT={self.settings.port}: cannot listen ({exc.strerror})") from exc
        sockets = site._server.sockets if site._server else []  # noqa: SLF001 - the bound port
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        waiting = await self.intake.recover()
        if waiting:
            log.info("handling messages stored before the start", extra={"chats": waiting})
        self._tasks.append(asyncio.create_task(self._sync_quietly()))
        self._tasks.append(asyncio.create_task(self._sync_loop()))
        self._tasks.append(asyncio.create_task(self.intake.maintain()))
        self._tasks.append(asyncio.create_task(self.reminders.run()))
        self._tasks.append(asyncio.create_task(self._retention()))
        log.info("WeChat customer service on port %s (callback %s)", self.port, callback.PATH)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.intake.stop()
        await self.bridge.drain()
        await self.client.close()
        await asyncio.to_thread(self.database.dispose)


async def serve(settings: Settings) -> int:
    runtime = WeComRuntime(settings)
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
    await runtime.stop()
    return 0


def run(settings: Settings) -> int:
    return asyncio.run(serve(settings))
