"""The fake Telegram, driven by raw HTTP, by a real aiogram `Bot`, and by a real `Dispatcher`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import struct
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from sandbox.telegram.app import SandboxServer, redact_path
from sandbox.telegram.client import SandboxError, SandboxTelegram, SandboxTimeoutError
from sandbox.telegram.state import SandboxState

pytestmark = pytest.mark.timeout(30)


def callback_buttons(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    """An inline keyboard of (label, callback data) buttons, one a row."""
    rows = [[InlineKeyboardButton(text=text, callback_data=data)] for text, data in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


TOKEN = "700001:AAH-sandbox_test_token"
OTHER_TOKEN = "700002:AAH-other_test_token"
BOT = "salon_test_bot"
USER = 4242

BotFactory = Callable[[str], Bot]


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as running:
        running.state.register_bot(TOKEN, BOT, "Salon")
        yield running


@pytest.fixture
async def tg(server: SandboxServer) -> AsyncIterator[SandboxTelegram]:
    async with SandboxTelegram(server.url) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def make_bot(server: SandboxServer) -> AsyncIterator[BotFactory]:
    bots: list[Bot] = []

    def factory(token: str = TOKEN) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
        bot = Bot(token, session=session)
        bots.append(bot)
        return bot

    yield factory
    for bot in bots:
        await bot.session.close()


@pytest.fixture
def bot(make_bot: BotFactory) -> Bot:
    return make_bot(TOKEN)


async def started_user(tg: SandboxTelegram, bot: Bot, user_id: int = USER) -> None:
    """The user sends /start and the bot confirms it (so the queue is empty again)."""
    await tg.send_message(BOT, user_id, "/start", first_name="Анна", username="anna")
    updates = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def polling(tg: SandboxTelegram) -> bool:
    """A getUpdates of the bot is in flight at the server."""
    return (await tg.stats())["bots"][BOT]["active_pollers"] == 1


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --- identity and authorisation ----------------------------------------------------------


async def test_get_me_has_the_shape_aiogram_parses(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 700001
    assert me.is_bot is True
    assert me.username == BOT
    assert me.first_name == "Salon"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False


async def test_unknown_and_revoked_tokens_get_401(
    server: SandboxServer, tg: SandboxTelegram, make_bot: BotFactory, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.url}/bot999:NOPE/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    with pytest.raises(TelegramUnauthorizedError):
        await make_bot("999:NOPE").get_me()

    revoked = make_bot(TOKEN)
    assert (await revoked.get_me()).username == BOT
    await tg.revoke_bot(TOKEN)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await revoked.get_me()
    # BotFather hands out a new token for the same bot: the old one stays dead
    await tg.register_bot("700001:AAH-new_token", BOT)
    assert (await make_bot("700001:AAH-new_token").get_me()).id == 700001
    with pytest.raises(TelegramUnauthorizedError):
        await revoked.get_me()


async def test_unknown_method_and_malformed_token_get_404(
    server: SandboxServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{server.url}/bot{TOKEN}/sendTelepathy") as response:
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
    async with http.get(f"{server.url}/botnot-a-token/getMe") as response:
        assert response.status == 404


async def test_parameters_arrive_as_query_json_or_form_and_names_ignore_case(
    server: SandboxServer, tg: SandboxTelegram, bot: Bot, http: aiohttp.ClientSession
) -> None:
    await started_user(tg, bot)
    base = f"{server.url}/bot{TOKEN}"
    async with http.get(f"{base}/GETME") as response:
        assert (await response.json())["result"]["username"] == BOT
    async with http.get(f"{base}/sendmessage", params={"chat_id": USER, "text": "q"}) as response:
        assert (await response.json())["result"]["text"] == "q"
    markup = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
    async with http.post(
        f"{base}/sendMessage", json={"chat_id": USER, "text": "j", "reply_markup": markup}
    ) as response:
        assert (await response.json())["result"]["reply_markup"] == markup
    form = {"chat_id": str(USER), "text": "f", "reply_markup": '{"force_reply": true}'}
    async with http.post(f"{base}/sendMessage", data=form) as response:
        result = (await response.json())["result"]
        assert result["text"] == "f"
        assert "reply_markup" not in result  # Telegram echoes inline keyboards only
    transcript = await tg.transcript(BOT, USER)
    assert [m["text"] for m in transcript] == ["/start", "q", "j", "f"]
    assert transcript[-1]["reply_markup"] == {"force_reply": True}


# --- getUpdates --------------------------------------------------------------------------


async def test_long_poll_answers_as_soon_as_a_message_arrives(
    tg: SandboxTelegram, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await eventually(lambda: polling(tg))  # the poll is in flight and has nothing yet
    assert not poll.done()
    sent = time.monotonic()
    await tg.send_message(BOT, USER, "/start", first_name="Анна", username="anna")
    updates = await poll
    assert time.monotonic() - sent < 0.5
    assert len(updates) == 1
    message = updates[0].message
    assert message.text == "/start"
    assert message.chat.type == "private"
    assert message.chat.id == USER
    assert message.from_user.first_name == "Анна"
    assert message.from_user.username == "anna"
    assert message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (0, 6)


async def test_long_poll_without_updates_waits_for_its_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2.0


async def test_offset_confirms_and_drops_earlier_updates(tg: SandboxTelegram, bot: Bot) -> None:
    await tg.send_message(BOT, USER, "раз")
    await tg.send_message(BOT, USER, "два")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["раз", "два"]
    assert first[1].update_id == first[0].update_id + 1
    again = await bot.get_updates(timeout=0)  # nothing confirmed yet: the same two
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert await bot.get_updates(offset=first[1].update_id + 1, timeout=0) == []
    await tg.send_message(BOT, USER, "три")
    latest = await bot.get_updates(offset=first[1].update_id + 1, timeout=0)
    assert [u.message.text for u in latest] == ["три"]
    assert latest[0].update_id > first[1].update_id


async def test_second_poller_terminates_the_first_with_409(
    tg: SandboxTelegram, make_bot: BotFactory
) -> None:
    first, second = make_bot(TOKEN), make_bot(TOKEN)
    poll = asyncio.create_task(first.get_updates(timeout=5))

    async def polling() -> bool:
        return (await tg.stats())["bots"][BOT]["active_pollers"] == 1

    await eventually(polling)
    assert await second.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await poll
    stats = (await tg.stats())["bots"][BOT]
    assert stats["conflicts"] == 1
    assert stats["requests"]["getUpdates"] == 2


async def test_a_poller_that_went_away_is_no_longer_counted(tg: SandboxTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))

    def pollers(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return (await tg.stats())["bots"][BOT]["active_pollers"] == count

        return check

    await eventually(pollers(1))
    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll
    await eventually(pollers(0), timeout=3)
    await tg.send_message(BOT, USER, "после")  # the update still waits for the next poller
    assert [u.message.text for u in await bot.get_updates(timeout=1)] == ["после"]


async def test_revoking_the_token_ends_a_long_poll_with_401(tg: SandboxTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await eventually(lambda: polling(tg))
    started = time.monotonic()
    await tg.revoke_bot(TOKEN)
    with pytest.raises(TelegramUnauthorizedError):
        await poll
    assert time.monotonic() - started < 0.5


async def test_webhook_and_get_updates_exclude_each_other(tg: SandboxTelegram, bot: Bot) -> None:
    await tg.send_message(BOT, USER, "привет")
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("http://example.org/hook")
    assert await bot.set_webhook("https://example.org/hook") is True
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.org/hook", 1)
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.get_updates(timeout=0) == []


# --- sending and what the user sees -------------------------------------------------------


async def test_keyboards_are_sent_and_visible_in_the_transcript(
    tg: SandboxTelegram, bot: Bot
) -> None:
    await started_user(tg, bot)
    inline = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Записаться", callback_data="book")],
            [InlineKeyboardButton(text="Сайт", url="https://example.org")],
        ]
    )
    sent = await bot.send_message(USER, "Добро пожаловать!", reply_markup=inline)
    assert sent.text == "Добро пожаловать!"
    assert sent.from_user.is_bot is True
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "book"

    contact = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📱 Отправить номер", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    asked = await bot.send_message(USER, "Поделитесь номером", reply_markup=contact)
    assert asked.reply_markup is None  # reply keyboards are not echoed back

    transcript = await tg.transcript(BOT, USER)
    assert [(m["from"], m["text"]) for m in transcript] == [
        ("user", "/start"),
        ("bot", "Добро пожаловать!"),
        ("bot", "Поделитесь номером"),
    ]
    assert transcript[1]["reply_markup"]["inline_keyboard"][1][0]["url"] == "https://example.org"
    assert transcript[2]["reply_markup"] == {
        "keyboard": [[{"text": "📱 Отправить номер", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }

    shared = await tg.press_reply_button(BOT, USER, "Отправить номер", phone="+79001234567")
    assert shared["contact"]["phone_number"] == "+79001234567"
    updates = await bot.get_updates(timeout=1)
    assert updates[-1].message.contact.phone_number == "+79001234567"
    assert updates[-1].message.contact.user_id == USER


async def test_send_message_is_as_strict_as_telegram(
    tg: SandboxTelegram, bot: Bot, server: SandboxServer, http: aiohttp.ClientSession
) -> None:
    await started_user(tg, bot)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "я" * 4097)
    assert (await bot.send_message(USER, "я" * 4096)).text == "я" * 4096
    too_long = callback_buttons(("x", "d" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "кнопка", reply_markup=too_long)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(123456789, "кто здесь?")
    async with http.post(
        f"{server.url}/bot{TOKEN}/sendMessage", json={"chat_id": USER}
    ) as response:
        assert response.status == 400
        assert (await response.json())["description"] == "Bad Request: message text is empty"
    assert [m["text"] for m in await tg.transcript(BOT, USER)] == ["/start", "я" * 4096]


async def test_html_parse_mode_gives_plain_text_and_entities(tg: SandboxTelegram, bot: Bot) -> None:
    await started_user(tg, bot)
    sent = await bot.send_message(USER, "🎉 <b>Готово</b> &amp; <i>ок</i>", parse_mode="HTML")
    assert sent.text == "🎉 Готово & ок"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 3, 6),  # the emoji is two UTF-16 code units
        ("italic", 12, 2),
    ]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "<b>не закрыт", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div"'):
        await bot.send_message(USER, "<div>x</div>", parse_mode="HTML")


async def test_bot_cannot_write_first_nor_after_being_blocked(
    tg: SandboxTelegram, bot: Bot
) -> None:
    await tg.create_user(USER, first_name="Анна")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(USER, "Реклама!")
    await tg.send_message(BOT, USER, "/start")
    assert (await bot.send_message(USER, "Здравствуйте")).chat.id == USER
    await tg.block(BOT, USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "Вы тут?")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    await tg.send_message(BOT, USER, "/start")  # "Restart" unblocks
    assert (await bot.send_message(USER, "С возвращением")).text == "С возвращением"
    assert [m["text"] for m in await tg.transcript(BOT, USER) if m["from"] == "bot"] == [
        "Здравствуйте",
        "С возвращением",
    ]


async def test_flood_limit_answers_429_with_retry_after(make_bot: BotFactory) -> None:
    async with SandboxServer(SandboxState(flood_limit=3)) as limited:
        limited.state.register_bot(TOKEN, BOT)
        async with SandboxTelegram(limited.url) as tg:
            await tg.send_message(BOT, USER, "/start")
            session = AiohttpSession(api=TelegramAPIServer.from_base(limited.url))
            async with Bot(TOKEN, session=session) as bot:
                for n in range(3):
                    await bot.send_message(USER, f"сообщение {n}")
                with pytest.raises(TelegramRetryAfter) as error:
                    await bot.send_message(USER, "четвёртое")
                assert error.value.retry_after >= 1
            assert len(await tg.transcript(BOT, USER)) == 4


# --- buttons, edits, deletes -------------------------------------------------------------


async def test_pressing_a_button_gives_a_callback_query_that_can_be_answered_once(
    tg: SandboxTelegram, bot: Bot
) -> None:
    await started_user(tg, bot)
    markup = callback_buttons(("Да", "yes"), ("Нет", "no"))
    sent = await bot.send_message(USER, "Подтвердить запись?", reply_markup=markup)
    query_id = await tg.press_button(BOT, USER, "Нет")
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query.id == query_id
    assert query.data == "no"
    assert isinstance(query.chat_instance, str) and query.chat_instance
    assert query.from_user.id == USER
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Подтвердить запись?"

    assert await bot.answer_callback_query(query_id, text="Отменено", show_alert=True) is True
    pressed = (await tg.transcript(BOT, USER))[-1]["callbacks"]
    assert pressed == [
        {
            "id": query_id,
            "data": "no",
            "answered": True,
            "text": "Отменено",
            "show_alert": True,
            "url": None,
        }
    ]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")
    with pytest.raises(SandboxError, match=r"no inline button 'Может быть'.*'Да', 'Нет'"):
        await tg.press_button(BOT, USER, "Может быть")
    with pytest.raises(SandboxError, match="no inline button with callback_data 'maybe'"):
        await tg.press(BOT, USER, sent.message_id, "maybe")


async def test_edit_message_text_and_not_modified(tg: SandboxTelegram, bot: Bot) -> None:
    await started_user(tg, bot)
    markup = callback_buttons(("Обновить", "refresh"))
    sent = await bot.send_message(USER, "Свободно: 3 окна", reply_markup=markup)
    edited = await bot.edit_message_text(
        "Свободно: 2 окна", chat_id=USER, message_id=sent.message_id, reply_markup=markup
    )
    assert edited.text == "Свободно: 2 окна"
    assert edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Свободно: 2 окна", chat_id=USER, message_id=sent.message_id, reply_markup=markup
        )
    # an edit without reply_markup removes the inline keyboard, as in Telegram
    await bot.edit_message_text("Окон нет", chat_id=USER, message_id=sent.message_id)
    record = (await tg.transcript(BOT, USER))[-1]
    assert (record["text"], record["edited"], record["reply_markup"]) == ("Окон нет", True, None)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("?", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("чужое", chat_id=USER, message_id=1)


async def test_edit_reply_markup_without_one_removes_the_keyboard(
    tg: SandboxTelegram, bot: Bot
) -> None:
    """What aiogram-dialog does to the previous screen when it sends the next one."""
    await started_user(tg, bot)
    markup = callback_buttons(("Купить", "buy"))
    sent = await bot.send_message(USER, "Тарифы", reply_markup=markup)
    edited = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert (edited.text, edited.reply_markup) == ("Тарифы", None)
    record = (await tg.transcript(BOT, USER))[-1]
    assert (record["text"], record["edited"], record["reply_markup"]) == ("Тарифы", True, None)
    with pytest.raises(SandboxError, match="no inline button 'Купить'"):
        await tg.press_button(BOT, USER, "Купить")


async def test_delete_message(tg: SandboxTelegram, bot: Bot) -> None:
    await started_user(tg, bot)
    sent = await bot.send_message(USER, "Временное")
    assert await bot.delete_message(USER, sent.message_id) is True
    record = (await tg.transcript(BOT, USER))[-1]
    assert (record["text"], record["deleted"]) == ("Временное", True)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("поздно", chat_id=USER, message_id=sent.message_id)


# --- files, commands, chats --------------------------------------------------------------


async def test_documents_and_photos_are_uploaded_and_recorded(
    tg: SandboxTelegram, bot: Bot
) -> None:
    await started_user(tg, bot)
    content = "дата;клиент\n2025-01-10;Анна\n".encode()
    sent = await bot.send_document(
        USER, BufferedInputFile(content, filename="records.csv"), caption="Выгрузка"
    )
    assert sent.document.file_name == "records.csv"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Выгрузка"
    record = (await tg.transcript(BOT, USER))[-1]
    assert record["document"]["file_name"] == "records.csv"
    assert record["document"]["file_size"] == len(content)
    assert record["caption"] == "Выгрузка"
    assert await tg.download(sent.document.file_id) == content

    again = await bot.send_document(USER, sent.document.file_id)  # by file_id, no upload
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER, "BQACnot-a-real-file-id")

    photo = await bot.send_photo(USER, BufferedInputFile(png(3, 2), filename="map.png"))
    assert (photo.photo[0].width, photo.photo[0].height) == (3, 2)
    assert (await tg.transcript(BOT, USER))[-1]["photo"]["file_name"] == "map.png"
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"not an image", filename="x.jpg"))


async def test_commands_descriptions_chat_and_actions(tg: SandboxTelegram, bot: Bot) -> None:
    commands = [
        BotCommand(command="start", description="Начать"),
        BotCommand(command="my_records", description="Мои записи"),
    ]
    assert await bot.set_my_commands(commands) is True
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Начать"),
        ("my_records", "Мои записи"),
    ]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Начать", description="x")])
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []
    assert await bot.set_my_description("Запись в салон за минуту") is True
    assert (await bot.get_my_description()).description == "Запись в салон за минуту"
    assert await bot.set_my_short_description("Салон") is True

    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(USER)
    await started_user(tg, bot)
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (USER, "private", "Анна", "anna")
    assert await bot.send_chat_action(USER, "typing") is True
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")


# --- the control API and its client ------------------------------------------------------


async def test_control_api_explains_its_errors(tg: SandboxTelegram) -> None:
    with pytest.raises(SandboxError, match="ending in 'bot'") as error:
        await tg.register_bot("700003:AAH-x", "salon")
    assert error.value.status == 400
    with pytest.raises(SandboxError, match=rf"no bot @ghost_bot is registered.*@{BOT}"):
        await tg.send_message("ghost_bot", USER, "hi")
    with pytest.raises(SandboxError, match=r"no inline button 'Да'.*buttons there: none"):
        await tg.press_button(BOT, USER, "Да")
    started = time.monotonic()
    with pytest.raises(SandboxTimeoutError, match=f"no message from @{BOT} to user {USER}"):
        await tg.wait_for_reply(BOT, USER, timeout=0.3)
    assert time.monotonic() - started < 2.0
    assert (await tg.register_bot(TOKEN, BOT))["id"] == 700001  # idempotent


async def test_wait_for_reply_sees_new_messages_and_edits(tg: SandboxTelegram, bot: Bot) -> None:
    await started_user(tg, bot)
    question = await tg.send_message(BOT, USER, "Когда есть время?")

    async def reply_later() -> Message:
        await asyncio.sleep(0.2)  # the reply comes after the wait has begun: what is tested
        return await bot.send_message(USER, "Завтра в 10:00")

    task = asyncio.create_task(reply_later())
    reply = await tg.wait_for_reply(BOT, USER, after=question["message_id"], timeout=5)
    sent = await task
    assert (reply["message_id"], reply["text"], reply["event"]) == (
        sent.message_id,
        "Завтра в 10:00",
        "message",
    )
    await bot.edit_message_text("Завтра в 11:00", chat_id=USER, message_id=sent.message_id)
    edit = await tg.wait_for_reply(BOT, USER, since=reply["seq"], timeout=5)
    assert (edit["message_id"], edit["text"], edit["event"]) == (
        sent.message_id,
        "Завтра в 11:00",
        "edit",
    )


# --- a real Dispatcher -------------------------------------------------------------------


class MenuAction(StrEnum):
    SERVICES = "services"


class Menu(CallbackData, prefix="menu"):
    action: MenuAction


def build_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="Услуги", callback_data=Menu(action=MenuAction.SERVICES).pack()
                    )
                ]
            ]
        )
        await message.answer(f"Здравствуйте, {message.from_user.first_name}!", reply_markup=markup)

    @router.callback_query(Menu.filter(F.action == MenuAction.SERVICES))
    async def services(query: CallbackQuery) -> None:
        await query.message.edit_text("Стрижка — 1500 ₽")
        await query.answer()

    return router


async def test_dispatcher_polling_round_trip(tg: SandboxTelegram, bot: Bot) -> None:
    dp = Dispatcher()
    dp.include_router(build_router())
    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=2, handle_signals=False, close_bot_session=False)
    )
    try:
        greeting = await tg.ask(BOT, USER, "/start", timeout=5, first_name="Анна")
        assert greeting["text"] == "Здравствуйте, Анна!"
        assert greeting["reply_markup"]["inline_keyboard"][0][0]["text"] == "Услуги"

        edited = await tg.click(BOT, USER, "Услуги", timeout=5)
        assert (edited["event"], edited["text"], edited["reply_markup"]) == (
            "edit",
            "Стрижка — 1500 ₽",
            None,
        )

        async def answered() -> bool:
            return (await tg.transcript(BOT, USER))[1]["callbacks"][0]["answered"]

        await eventually(answered)
    finally:
        await dp.stop_polling()
        await polling

    async def stopped() -> bool:
        return (await tg.stats())["bots"][BOT]["active_pollers"] == 0

    await eventually(stopped)


# --- running it --------------------------------------------------------------------------


async def test_tokens_stay_out_of_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert redact_path(f"/bot{TOKEN}/getMe") == "/bot<token>/getMe"
    assert redact_path(f"/_sandbox/bots/{TOKEN}") == "/_sandbox/bots/<token>"
    caplog.set_level(logging.INFO)
    async with SandboxServer(access_log=True) as running, SandboxTelegram(running.url) as tg:
        await tg.register_bot(TOKEN, BOT)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{running.url}/bot{TOKEN}/getMe") as response:
                assert response.status == 200
            async with http.delete(f"{running.url}/_sandbox/bots/{TOKEN}") as response:
                assert response.status == 200
    assert f"@{BOT}" in caplog.text
    assert "/bot<token>/getMe" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_command_line_prints_its_url_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.telegram",
        "--port",
        "0",
        "--bot",
        f"{TOKEN}={BOT}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line.startswith("sandbox telegram listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/bot{TOKEN}/getMe") as response:
                assert (await response.json())["result"]["username"] == BOT
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
        stderr = (await process.stderr.read()).decode()
        assert TOKEN.split(":")[1] not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
