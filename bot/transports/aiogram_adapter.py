"""aiogram adapter: aiogram events become plain updates, bridge calls become aiogram bot calls.

Nothing here decides anything about a case; see common.py for what both adapters share.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot, Dispatcher, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MenuButtonWebApp,
    Message,
    WebAppInfo,
)
from aiogram.types import Update as AiogramUpdate

from bot.transports import common

log = logging.getLogger("bot.telegram.aiogram")
T = TypeVar("T")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# aiogram reads every answer as `Response[T]`, a pydantic generic model that pydantic caches only weakly:
# after a garbage collection it is built again, several milliseconds each time (in bench/adapters.py's
# profile a tenth of the API calls paid it, p99 11 ms). Holding the ones this adapter uses keeps them built.
_RESPONSE_TYPES = tuple(
    methods.Response[method.__returning__]
    for method in (
        methods.SendMessage,
        methods.EditMessageText,
        methods.AnswerCallbackQuery,
        methods.SendDocument,
        methods.SendChatAction,
        methods.GetFile,
        methods.SetMyCommands,
        methods.GetMe,
        methods.SetWebhook,
        methods.DeleteWebhook,
        methods.SetChatMenuButton,
        methods.GetUpdates,
    )
)


async def _guard(call: Awaitable[T]) -> T:
    """Run an aiogram call; raise the bridge's errors instead of aiogram's."""
    try:
        return await call
    except TelegramRetryAfter as exc:
        raise common.RetryAfter(float(exc.retry_after)) from None
    except TelegramForbiddenError as exc:
        raise common.Forbidden(type(exc).__name__) from None
    except TelegramBadRequest as exc:
        if "not modified" in exc.message.lower():
            raise common.NotModified() from None
        raise common.ApiError(f"bad request: {exc.message}") from None
    except TelegramEntityTooLarge:
        raise common.TooLarge("request entity too large") from None
    except (TelegramNetworkError, TelegramServerError) as exc:
        raise common.Transient(type(exc).__name__) from None
    except TelegramAPIError as exc:
        raise common.ApiError(type(exc).__name__) from None


def _markup(rows: common.Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(label, data) for label, data in row] for row in rows]
    )


def _button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(common.WEB_APP):
        return InlineKeyboardButton(text=label, web_app=WebAppInfo(url=data[len(common.WEB_APP) :]))
    return InlineKeyboardButton(text=label, callback_data=data)


class AiogramApi:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

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
                text=html_text,
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
        await _guard(self.bot.send_document(chat_id, BufferedInputFile(data, filename=name)))

    async def send_chat_action(self, chat_id: int, action: str) -> None:
        await _guard(self.bot.send_chat_action(chat_id, action))

    async def download(self, file_id: str) -> bytes:
        file = await _guard(self.bot.get_file(file_id))
        if not file.file_path:
            raise common.ApiError("getFile returned no file_path")
        buffer = await _guard(self.bot.download_file(file.file_path))
        assert buffer is not None
        return buffer.getvalue()

    async def set_commands(self, commands: list[tuple[str, str]], language_code: str | None) -> None:
        await _guard(
            self.bot.set_my_commands(
                [BotCommand(command=name, description=description) for name, description in commands],
                language_code=language_code,
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
        button = MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
        await _guard(self.bot.set_chat_menu_button(menu_button=button))


def _user(user) -> common.User:
    return common.User(user.id, user.language_code, user.first_name)


def from_query(update_id: int, query: CallbackQuery) -> common.Update:
    message = query.message if isinstance(query.message, Message) else None
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type != "private":
        return common.Update(update_id, "ignore", chat.id, common.User(query.from_user.id))
    rows: tuple = ()
    if message is not None and message.reply_markup is not None:
        rows = tuple(
            tuple((b.text, b.callback_data) for b in row if isinstance(b.callback_data, str))
            for row in message.reply_markup.inline_keyboard
        )
    entities = tuple(
        common.Entity(str(e.type), e.offset, e.length, e.url, e.language)
        for e in ((message.entities or []) if message is not None else [])
    )
    return common.Update(
        update_id,
        "choice",
        chat.id if chat is not None else query.from_user.id,
        _user(query.from_user),
        pressed=common.Pressed(
            query.id,
            query.data or "",
            message.message_id if message is not None else None,
            (message.text or "") if message is not None else "",
            entities,
            rows,
        ),
    )


def from_message(update_id: int, message: Message) -> common.Update:
    if message.from_user is None:
        return common.Update(update_id, "ignore", message.chat.id, common.User(0))
    return common.message_update(update_id, message, _user(message.from_user))


class AiogramAdapter:
    """aiogram: updates (polled by the runtime's own loop, or from the webhook) go through
    `Dispatcher.feed_raw_update`."""

    name = "aiogram"

    def __init__(
        self, token: str, api_url: str | None, on_update: Callable[[common.Update], Awaitable[None]]
    ) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
        self.bot = Bot(token, session=session)
        self.dispatcher = Dispatcher(disable_fsm=True)
        self.on_update = on_update
        self.dispatcher.message.register(self._message)
        self.dispatcher.callback_query.register(self._query)
        self.api = AiogramApi(self.bot)

    async def _message(self, message: Message, event_update: AiogramUpdate) -> None:
        await self.on_update(from_message(event_update.update_id, message))

    async def _query(self, query: CallbackQuery, event_update: AiogramUpdate) -> None:
        await self.on_update(from_query(event_update.update_id, query))

    async def start(self) -> None:
        await self.api.get_me()

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        """One long poll through aiogram's bot; the updates as Telegram's JSON (the caller stores them first)."""
        updates = await _guard(
            self.bot.get_updates(
                offset=offset,
                timeout=timeout,
                allowed_updates=common.ALLOWED_UPDATES,
                request_timeout=timeout + 30,
            )
        )
        return [
            u.model_dump(mode="json", exclude_none=True, exclude_unset=True, by_alias=True) for u in updates
        ]

    async def feed(self, data: dict) -> None:
        await self.dispatcher.feed_raw_update(self.bot, data)

    async def stop_receiving(self) -> None:
        """Nothing to stop: the runtime's loop polls (aiogram's own polling is not used)."""

    async def close(self) -> None:
        await self.bot.session.close()
