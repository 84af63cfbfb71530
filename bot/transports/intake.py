"""Updates are stored (the inbox) before Telegram is told they arrived, then handled in order, chat by chat.

Polling: `poll` fetches a batch with getUpdates, stores it, and only then moves the offset on (the
next getUpdates call is what confirms a batch to Telegram, which never sends a polled update again).
Webhook: `receive` stores the update and the server answers 200 only then (503 when it could not be
stored: Telegram sends it again). Telegram sends a chat's next webhook update only after the answer
to the previous one, so a chat's updates are stored in order even when several workers take them.

Each chat's stored updates are fed oldest first to the framework's own entry point (`feed`), one at a
time, in a background worker per chat; chats go in parallel. A row is *taken* (a lease) before it is
fed, so a worker that finds an older row of the chat taken by another worker waits for it. A row is
marked handled in the transaction that applies it and stores its replies in the outbox (or, for
an update that is not applied, once it was fed). At start, and every `maintenance` seconds, rows left
unhandled (a crash, a dead worker) are handled. When the database is unavailable the merchant is
told, once per message, that it waits; it is retried with backoff and handled when the database is
back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.storage import Database, inbox, leases
from bot.storage.db import unavailable
from conversations.i18n import N_

log = logging.getLogger("bot.intake")

WAITING = N_(
    "⚠️ I cannot reach my database just now, so your last message is waiting. It is kept: I will "
    "answer it as soon as the database is back, so there is no need to send it again."
)

Feed = Callable[[dict], Awaitable[bool]]  # True: handled (or never will be); False: try again later
Tell = Callable[[int, str | None], Awaitable[None]]  # chat id, language code: send WAITING
GetUpdates = Callable[[int | None], Awaitable[list[dict]]]
ALBUM_WAIT = 1.0  # an album's items are separate updates: take them once none came for this long


class Intake:
    def __init__(
        self,
        database: Database,
        feed: Feed,
        tell: Tell,
        *,
        worker: str,
        retry: float = 1.0,
        max_retry: float = 30.0,
        maintenance: float = 30.0,
        album_done: Callable[[int], Awaitable[None]] | None = None,
        marked: Callable[[int], bool] | None = None,
    ) -> None:
        self.database = database
        self.feed = feed
        self.tell = tell
        self.worker = worker
        leases.register(worker)  # a runtime of this process: its leases are not those of a dead process
        self.retry = retry
        self.max_retry = max_retry
        self.maintenance = maintenance
        self.album_done = album_done or _nothing
        # True when feeding the update already marked its row handled (in the transaction that applied it)
        self.marked = marked or (lambda _update_id: False)
        self._locks: dict[int, asyncio.Lock] = {}
        self._lock_users: dict[int, int] = {}
        self._workers: dict[int, asyncio.Task] = {}
        self._again: set[int] = set()
        self._told: OrderedDict[int, None] = OrderedDict()
        # updates as received, until handled: the inbox keeps them with card numbers masked, and the
        # engine, seeing the original, tells the merchant that it masked one
        self._originals: OrderedDict[int, dict] = OrderedDict()
        self._stopping = False

    # --- storing ---------------------------------------------------------------------------------

    async def store(self, updates: list[dict]) -> list[int] | None:
        """Store a batch; the chats with new rows, or None when the database failed (nothing stored).

        Updates from groups are not stored (nothing from a group is kept): they are fed at once."""
        try:
            chats = await asyncio.to_thread(inbox.store, self.database, updates)
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("updates not stored, database unavailable (%s)", type(exc).__name__)
            for data in updates:
                await self._tell_once(data)
            return None
        for data in updates:
            if inbox.sender(data).chat_type != "private":
                await self._feed_quietly(data)
            else:
                self._originals[data["update_id"]] = data
        while len(self._originals) > 10_000:
            self._originals.popitem(last=False)
        return chats

    # --- polling and webhook ---------------------------------------------------------------------

    async def poll(self, get_updates: GetUpdates) -> None:
        """Fetch, store, confirm, handle: until cancelled."""
        offset: int | None = None
        delay = self.retry
        while not self._stopping:
            try:
                updates = await get_updates(offset)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("getUpdates failed (%s); again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry)
                continue
            if not updates:
                continue
            chats = await self.store(updates)
            if chats is None:  # not stored: the offset stays, so Telegram keeps them for us
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry)
                continue
            delay = self.retry
            offset = max(u["update_id"] for u in updates) + 1
            for chat_id in chats:
                self.schedule(chat_id)

    async def receive(self, data: dict) -> bool:
        """A webhook update: True once it is stored (answer 200; it is handled next, in the background),
        False when it could not be stored (answer 503: Telegram sends it again)."""
        chats = await self.store([data])
        if chats is None:
            return False
        for chat_id in chats:
            self.schedule(chat_id)
        return True

    # --- handling --------------------------------------------------------------------------------

    def schedule(self, chat_id: int) -> None:
        """Handle the chat's stored updates in the background (one worker per chat)."""
        self._again.add(chat_id)
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.create_task(self._work(chat_id))

    async def _work(self, chat_id: int) -> None:
        delay = self.retry
        try:
            while not self._stopping:
                self._again.discard(chat_id)
                if not await self.drain(chat_id):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_retry)
                    self._again.add(chat_id)
                    continue
                if chat_id not in self._again:
                    break
        except Exception as exc:
            log.error("chat worker failed: %s", type(exc).__name__)
        finally:
            self._workers.pop(chat_id, None)

    async def drain(self, chat_id: int) -> bool:
        """Feed the chat's unhandled updates oldest first; False when the database failed."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._lock_users[chat_id] = self._lock_users.get(chat_id, 0) + 1
        try:
            async with lock:
                while True:
                    rows, taken = await asyncio.to_thread(
                        inbox.pending_and_take, self.database, chat_id, self.worker
                    )
                    if not rows:
                        return True
                    batch = rows[:1]
                    group = rows[0].media_group
                    if group is not None:  # an album: wait for all its items, then take them together
                        items = list(itertools.takewhile(lambda r, g=group: r.media_group == g, rows))
                        newest = max(r.received_at or inbox.utcnow() for r in items)
                        quiet = ALBUM_WAIT - (inbox.utcnow() - newest).total_seconds()
                        if quiet > 0 and len(items) == len(rows):  # more items may still come
                            await asyncio.sleep(quiet)
                            continue
                        batch = items
                    mine = []  # every row of the batch taken before any is fed: an album is one worker's
                    for row in batch:
                        tries = 0
                        while row.update_id != taken and not await self._take(row, look=tries % 20 == 0):
                            tries += 1
                            await asyncio.sleep(0.05)  # another worker handles it; ours come after it
                            if not await asyncio.to_thread(inbox.is_pending, self.database, row.update_id):
                                break
                        else:
                            mine.append(row)
                    for row in mine:
                        if not await self.feed(self._originals.get(row.update_id, row.data)):
                            await self._tell_once(row.data)
                            return False
                        if not self.marked(row.update_id):
                            await asyncio.to_thread(inbox.handled, self.database, row.update_id)
                        self._originals.pop(row.update_id, None)
                    if group is not None:
                        await self.album_done(chat_id)
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("inbox unavailable (%s)", type(exc).__name__)
            return False
        finally:
            self._lock_users[chat_id] -= 1
            if not self._lock_users[chat_id]:  # forget idle chats
                del self._lock_users[chat_id], self._locks[chat_id]

    async def _take(self, row: inbox.Stored, look: bool = True) -> bool:
        """Lease the row; a lease held by a process that is gone is taken over at once (`look`: find out
        who holds it; a waiting worker looks once a second)."""
        if await asyncio.to_thread(inbox.take, self.database, row.update_id, self.worker):
            return True
        if not look:
            return False
        holder = await asyncio.to_thread(inbox.holder, self.database, row.update_id)
        if holder is None or not leases.gone(holder):
            return False
        log.info("taking over the lease of a worker that is gone", extra={"update_id": row.update_id})
        return await asyncio.to_thread(inbox.take, self.database, row.update_id, self.worker, None, holder)

    async def recover(self) -> int:
        """Handle what was stored and not handled (a crash, a dead worker, a database that was away)."""
        chats = await asyncio.to_thread(inbox.chats_waiting, self.database, self.worker, None, leases.gone)
        for chat_id in chats:
            self.schedule(chat_id)
        return len(chats)

    async def maintain(self) -> None:
        """Every `maintenance` seconds: handle leftovers, delete handled rows. Until cancelled."""
        while not self._stopping:
            await asyncio.sleep(self.maintenance)
            try:
                await self.recover()
                await asyncio.to_thread(inbox.sweep, self.database)
            except Exception as exc:
                log.warning("inbox maintenance failed (%s)", type(exc).__name__)

    async def stop(self, timeout: float = 60.0) -> None:
        """Let running chat workers finish (their replies are sent); give up retrying."""
        self._stopping = True
        leases.unregister(self.worker)
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # --- helpers ---------------------------------------------------------------------------------

    async def _feed_quietly(self, data: dict) -> None:
        try:
            await self.feed(data)
        except Exception as exc:
            log.error("update %s failed: %s", data.get("update_id"), type(exc).__name__)

    async def _tell_once(self, data: dict) -> None:
        """Tell the merchant that a message waits for the database (once per update)."""
        update_id = data.get("update_id")
        who = inbox.sender(data)
        if update_id in self._told or who.chat_type != "private" or not who.chat_id:
            return
        self._told[update_id] = None
        while len(self._told) > 10_000:
            self._told.popitem(last=False)
        try:
            await self.tell(who.chat_id, who.language_code)
        except Exception as exc:
            log.warning("could not tell that a message waits (%s)", type(exc).__name__)


async def _nothing(_chat_id: int) -> None:
    return None
