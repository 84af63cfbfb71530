"""The case page's first load in Debian's headless Chromium: bytes and seconds until the case is on screen.

A merchant's case at the review (a denied charge, one transaction, three phone photos as evidence)
is served by the bot's own page routes on 127.0.0.1. Each load is a fresh browser context (empty
cache), opened as Telegram opens it (signed init data in the hash), on a phone-sized screen; it is
done when the amount field holds the case's value and every evidence thumbnail is shown. Bytes are
every response body the page loaded (page, script, style, the case's JSON, the thumbnails).

`python -m bench.miniapp [--loads N]`
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from PIL import Image, ImageDraw

from bench.script import NOW
from bot.miniapp import server
from bot.miniapp.pages import CasePages
from bot.service import Assistant
from bot.storage import Database
from bot.transports.local import LocalChat, LocalUser
from testkit.miniapp import CHROMIUM_ARGS, PHONE, chromium, init_data, page_url

TZ = ZoneInfo("Asia/Shanghai")
TOKEN = "123456789:bench-token_for-the-case-page"
USER = 7001
ANSWERS = {
    "case.scenario": "denied_charge",
    "case.goal": "collect_payment",
    "merchant.name": "西湖小吃店",
    "merchant.merchant_no": "898330158120317",
    "merchant.acquirer": "拉卡拉",
    "merchant.pos_type": "traditional",
    "merchant.phone": "13800138000",
    "txn.datetime": "2025-11-22 18:30",
    "txn.amount": "1288.00",
    "txn.reference_no": "251122183045",
    "txn.type": "sale",
    "customer.claim": "not_me",
    "dispute.stage": "none",
}
GOAL_KB, GOAL_S = 300, 1.0
DEBUG = False  # True: print the browser's resource timings of each load


def _photo(seed: int) -> bytes:
    """A phone photo's size and a little detail (a flat image would thumbnail to nothing)."""
    image = Image.new("RGB", (1200, 1600), (230 - seed * 20, 225, 215))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1600, 40):
        draw.line([(0, i), (1200, (i * 7 + seed * 90) % 1600)], fill=(40 * seed % 255, 80, 120), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _case_at_review(db: Database, folder: Path) -> Assistant:
    assistant = Assistant(db, tz=TZ)
    chat = LocalChat(assistant, LocalUser(USER, "zh", "王"), tz=TZ, now=NOW, next_update_id=1)
    last = chat.send("/start")
    photos = 0
    for _ in range(80):
        asks = next((m.asks for m in reversed(last) if m.asks), None)
        fields = next((m.asks_all for m in reversed(last) if m.asks_all), None) or [asks]
        choices = [c.id for m in last for c in m.choices]
        if asks is None and "confirm" in choices:
            return assistant
        if asks == "txn.datetime" and "done" in choices:
            last = chat.choose("done")
        elif asks == "evidence.kind":  # a photo whose kind was not read from it
            last = chat.choose("evidence.kind=signed_slip")
        elif asks == "evidence.file" and photos >= 3:
            last = chat.choose("done")
        elif asks == "evidence.file":
            photos += 1
            path = folder / f"photo-{photos}.jpg"
            path.write_bytes(_photo(photos))
            last = chat.send_file(path, caption=f"第{photos}张", as_photo=True)
        elif len(fields) > 1 and fields[0] == asks:  # several fields in one message: one line each
            values = [ANSWERS.get(f) for f in fields]
            last = (
                chat.choose("skip")
                if all(v is None for v in values)
                else chat.send("\n".join(v or "" for v in values))
            )
        elif ANSWERS.get(asks or "") is None:
            last = chat.choose("skip")
        elif f"{asks}={ANSWERS[asks]}" in choices:
            last = chat.choose(f"{asks}={ANSWERS[asks]}")
        else:
            last = chat.send(ANSWERS[asks])
    raise RuntimeError("the bench case never reached the review")


async def _size(response) -> tuple[str, int]:
    try:
        return response.url, len(await response.body())
    except Exception:  # a response without a body (a redirect)
        return response.url, 0


async def _measure(origin: str, loads: int) -> dict:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            page = await context.new_page()
            sizes: list[asyncio.Future] = []
            page.on("response", lambda r, sizes=sizes: sizes.append(asyncio.ensure_future(_size(r))))
            url = page_url(f"{origin}{server.PATH}", init_data(TOKEN, USER, language_code="zh"))
            started = time.perf_counter()
            await page.goto(url)
            await page.locator('[data-key="txn.0.amount"] input').wait_for()
            await page.wait_for_function(
                "document.querySelectorAll('#group-evidence .thumb img').length === 3"
                " && [...document.querySelectorAll('#group-evidence .thumb img')].every(i => i.complete)"
            )
            seconds = time.perf_counter() - started
            if DEBUG:
                print(
                    await page.evaluate(
                        "JSON.stringify(performance.getEntries().map(e => [e.name.split('/').pop().slice(0,30), Math.round(e.startTime), Math.round(e.duration)]))"
                    )
                )
            bodies = await asyncio.gather(*sizes)
            rows.append(
                {
                    "seconds": seconds,
                    "bytes": sum(n for u, n in bodies if not u.startswith("blob:")),
                    "urls": sorted(
                        {u.split("?")[0].split("#")[0] for u, _ in bodies if not u.startswith("blob:")}
                    ),
                }
            )
            await context.close()
        await browser.close()
    return {
        "first_s": round(rows[0]["seconds"], 3),
        "median_s": round(statistics.median(r["seconds"] for r in rows), 3),
        "max_s": round(max(r["seconds"] for r in rows), 3),
        "kb": round(max(r["bytes"] for r in rows) / 1024, 1),
        "requests": rows[0]["urls"],
        "loads": loads,
        "goal": f"≤ {GOAL_KB} KB and ≤ {GOAL_S} s",
    }


async def _run(loads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench-miniapp.sqlite3")
        db.migrate()
        assistant = await asyncio.to_thread(_case_at_review, db, Path(tmp))
        app = web.Application()

        async def notify(_chat_id, _messages) -> None:
            return None

        server.add_routes(app, CasePages(assistant), token=TOKEN, tz=TZ, notify=notify, clock=lambda: NOW)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound port
        try:
            return await _measure(f"http://127.0.0.1:{port}", loads)
        finally:
            await runner.cleanup()
            db.dispose()


def run(loads: int = 5) -> dict:
    return asyncio.run(_run(loads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    print(json.dumps(run(parser.parse_args().loads), indent=1))


if __name__ == "__main__":
    main()
