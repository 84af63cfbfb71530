"""python-telegram-bot adapter: ptb updates become plain updates, bridge calls become ptb bot calls.

Nothing here decides anything about a case; see common.py for what both adapters share.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
    error,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.transports import common
from bot.transports.ptb_request import AiohttpRequest, EntityTooLarge

log = logging.getLogger("bot.telegram.ptb")
T = TypeVar("T")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def _guard(call: Awaitable[T]) -> T:
    """Run a ptb call; raise the bridge's errors instead of ptb's."""
    try:
        return await call
    except error.RetryAfter as exc:
        delay = exc._retry_after  # a timedelta; the public attribute warns about its type
        raise common.RetryAfter(delay.total_seconds()) from None
    except error.Forbidden as exc:
        raise common.Forbidden(type(exc).__name__) from None
    except error.BadRequest as exc:  # a subclass of NetworkError in ptb: test it first
        if "not modified" in str(exc).lower():
            raise common.NotModified() from None
        raise common.ApiError(f"bad request: {exc.message}") from None
    except EntityTooLarge:
        raise common.TooLarge("request entity too large") from None
    except (error.TimedOut, error.NetworkError) as exc:
        raise common.Transient(type(exc).__name__) from None
    except error.TelegramError as exc:
        raise common.ApiError(type(exc).__name__) from None


def _markup(rows: common.Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(label, data) for label, data in row] for row in rows])


def _button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(common.WEB_APP):
        return InlineKeyboardButton(label, web_app=WebAppInfo(data[len(common.WEB_APP) :]))
    return InlineKeyboardButton(label, callback_data=data)


class PtbApi:
    def __init__(self, application: Application) -> None:
        self.application = application

    @property
    def bot(self):
        return self.application.bot

    async def send_text(self, chat_id: int, html_text: str, rows: common.Rows | None) -> int:
        message = await _guard(
            self.bot.send_message(
                chat_id,
                html_text,
                parse_mode="HTML",
                reply_markup=_markup(rows),
                link_preview_options=NO_PREVIEW,
            )
        )
        return message.message_id

    async def edit_text(
        self, chat_id: int, message_id: int, html_text: str, rows: common.Rows | None
    ) -> None:
        await _guard(
            self.bot.edit_message_text(
                html_text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode="HTML",
                reply_markup=_markup(rows),
                link_preview_options=NO_PREVIEW,
            )
        )

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        await _guard(self.bot.answer_callback_query(callback_id, text=text))

    async def send_document(self, chat_id: int, name: str, data: bytes, mime: str) -> None:
        await _guard(self.bot.send_document(chat_id, document=data, filename=name))

    async def send_chat_action(self, chat_id: int, action: str) -> None:
        await _guard(self.bot.send_chat_action(chat_id, action))

    async def download(self, file_id: str) -> bytes:
        file = await _guard(self.bot.get_file(file_id))
        return bytes(await _guard(file.download_as_bytearray()))

    async def set_commands(self, commands: list[tuple[str, str]], language_code: str | None) -> None:
        await _guard(
            self.bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands], language_code=language_code
            )
        )

    async def get_me(self) -> str:
        me = await _guard(self.bot.get_me())
        return me.username or str(me.id)

    async def set_webhook(self, url: str, secret: str) -> None:
        await _guard(self.bot.set_webhook(url, secret_token=secret, allowed_updates=common.ALLOWED_UPDATES))

    async def delete_webhook(self) -> None:
        await _guard(self.bot.delete_webhook())

    async def set_menu_button(self, text: str, url: str) -> None:
        await _guard(self.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text, WebAppInfo(url))))


def _entities(message: Message) -> tuple[common.Entity, ...]:
    return tuple(
        common.Entity(str(e.type), e.offset, e.length, e.url, e.language) for e in (message.entities or ())
    )


def to_update(update: Update) -> common.Update:
    """The plain update for a ptb Update (kind "ignore" for what the assistant does not handle)."""
    query = update.callback_query
    if query is not None:
        message = query.message if isinstance(query.message, Message) else None
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            return common.Update(update.update_id, "ignore", chat.id, common.User(query.from_user.id))
        rows: tuple = ()
        if message is not None and message.reply_markup is not None:
            rows = tuple(
                tuple((b.text, b.callback_data) for b in row if isinstance(b.callback_data, str))
                for row in message.reply_markup.inline_keyboard
            )
        return common.Update(
            update.update_id,
            "choice",
            chat.id if chat is not None else query.from_user.id,
            _user(query.from_user),
            pressed=common.Pressed(
                query.id,
                query.data or "",
                message.message_id if message is not None else None,
                (message.text or "") if message is not None else "",
                _entities(message) if message is not None else (),
                rows,
            ),
        )
    message = update.message
    if message is None or message.from_user is None:
        return common.Update(update.update_id, "ignore", 0, common.User(0))
    return common.message_update(update.update_id, message, _user(message.from_user))


def _user(user) -> common.User:
    return common.User(user.id, user.language_code, user.first_name)


IN_FLIGHT = 32  # Bot API calls on the wire at once; enough for ~100 calls a second at 300 ms a round trip


def _request() -> BaseRequest:
    """ptb's requests over aiohttp (see ptb_request.py: httpx cost 5–20 times the CPU per call)."""
    return AiohttpRequest(connection_pool_size=IN_FLIGHT)


class PtbAdapter:
    """python-telegram-bot: updates (polled by the runtime's own loop, or from the webhook) go through
    `Application.process_update`."""

    name = "ptb"

    def __init__(
        self, token: str, api_url: str | None, on_update: Callable[[common.Update], Awaitable[None]]
    ) -> None:
        builder = ApplicationBuilder().token(token).concurrent_updates(256).request(_request())
        if api_url:
            builder = builder.base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
        self.application = builder.build()
        self.on_update = on_update
        self.application.add_handler(TypeHandler(Update, self._handle))
        self.application.add_error_handler(self._error)
        self.api = PtbApi(self.application)

    async def _handle(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.on_update(to_update(update))

    async def _error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("ptb error: %s", type(context.error).__name__)

    async def start(self) -> None:
        await _guard(self.application.initialize())
        await self.application.start()

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        """One long poll through ptb's bot; the updates as Telegram's JSON (the caller stores them first)."""
        updates = await _guard(
            self.application.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=common.ALLOWED_UPDATES
            )
        )
        return [update.to_dict() for update in updates]

    async def feed(self, data: dict) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))

    async def stop_receiving(self) -> None:
        """Nothing to stop: the runtime's loop polls (ptb's Updater is not used)."""

    async def close(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.application.bot.request.shutdown()  # also when start failed (shutdown skips it then)
