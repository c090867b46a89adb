"""The in-process Telegram: a real Dispatcher fed real Updates, its calls run against the same
chat model and validation as the HTTP stand-in — as strict, without a server."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Back, Next
from aiogram_dialog.widgets.text import Const

from sandbox.telegram.client import SandboxError, SandboxTimeoutError
from sandbox.telegram.inprocess import InProcessTelegram

TOKEN = "700001:AAH-sandbox_test_token"
BOT = "salon_test_bot"
USER = 4242


class Unknown(TelegramMethod[bool]):
    """A method the Bot API does not have."""

    __returning__ = bool
    __api_method__ = "sendTelepathy"


def build_router(seen: list[str]) -> Router:
    router = Router()
    menu = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Услуги", callback_data="services")]]
    )

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(f"Здравствуйте, {message.from_user.first_name}!", reply_markup=menu)

    @router.callback_query(F.data == "services")
    async def services(query: CallbackQuery) -> None:
        await query.message.edit_text("Стрижка — 1500 ₽")
        await query.answer("Готово")

    @router.message(F.text == "/phone")
    async def ask_phone(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📱 Телефон", request_contact=True)]]
        )
        await message.answer("Ваш номер?", reply_markup=keyboard)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        await message.answer(f"Записал {message.contact.phone_number}")

    @router.message(F.text == "/file")
    async def file(message: Message) -> None:
        await message.answer_document(BufferedInputFile(b"a;b\n", filename="x.csv"))

    @router.message(F.text == "/webhook")
    async def webhook_style(message: Message) -> SendMessage:
        return message.answer("как ответ на вебхук")

    @router.message()
    async def anything(message: Message) -> None:
        seen.append(message.text)
        await asyncio.sleep(0)  # a real handler awaits something: the next update may start

    return router


@pytest.fixture
async def tg():
    telegram = InProcessTelegram()
    await telegram.register_bot(TOKEN, BOT)
    yield telegram


@pytest.fixture
async def bot(tg: InProcessTelegram):
    bot = tg.bot(TOKEN)
    yield bot
    await bot.session.close()


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def dp(tg: InProcessTelegram, bot, seen: list[str]) -> Dispatcher:
    dp = Dispatcher()
    dp.include_router(build_router(seen))
    tg.attach(bot, dp)
    return dp


async def test_updates_are_handled_before_the_user_action_returns(tg, bot, dp) -> None:
    greeting = await tg.ask(BOT, USER, "/start", first_name="Анна")
    assert greeting["text"] == "Здравствуйте, Анна!"
    edited = await tg.click(BOT, USER, "Услуги")
    assert (edited["event"], edited["text"], edited["reply_markup"]) == (
        "edit",
        "Стрижка — 1500 ₽",
        None,
    )
    callbacks = (await tg.transcript(BOT, USER))[1]["callbacks"]
    assert [(c["answered"], c["text"]) for c in callbacks] == [(True, "Готово")]
    # the session records the calls, in order
    names = [r.method for r in tg.requests(bot)]
    assert names == ["sendMessage", "editMessageText", "answerCallbackQuery"]


async def test_no_reply_is_no_reply_at_once(tg, bot, dp) -> None:
    await tg.ask(BOT, USER, "/start")
    sent = await tg.send_message(BOT, USER, "просто текст")
    with pytest.raises(SandboxTimeoutError, match="no message from @salon_test_bot"):
        await tg.wait_for_reply(BOT, USER, after=sent["message_id"])


async def test_calls_are_as_strict_as_over_http(tg, bot, dp) -> None:
    greeting = await tg.ask(BOT, USER, "/start", first_name="Анна")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Здравствуйте, Анна!",
            chat_id=USER,
            message_id=greeting["message_id"],
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Услуги", callback_data="services")]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("?", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER,
            "длинная кнопка",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x" * 65)]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(USER + 1, "незнакомцу")
    await tg.create_user(USER + 1)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(USER + 1, "незнакомцу")
    with pytest.raises(TelegramNotFound):
        await bot(Unknown())
    await tg.revoke_bot(TOKEN)
    with pytest.raises(TelegramUnauthorizedError):
        await bot.get_me()


async def test_a_blocked_user_gets_nothing_and_the_bot_learns_it(tg, bot, dp) -> None:
    await tg.ask(BOT, USER, "/start")
    await tg.block(BOT, USER)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(USER, "напоминание")


async def test_contacts_files_and_webhook_style_answers(tg, bot, dp) -> None:
    await tg.ask(BOT, USER, "/phone")
    sent = await tg.press_reply_button(BOT, USER, "Телефон", phone="+79990001122")
    reply = await tg.wait_for_reply(BOT, USER, after=sent["message_id"])
    assert reply["text"] == "Записал +79990001122"
    document = await tg.ask(BOT, USER, "/file")
    assert document["document"]["file_name"] == "x.csv"
    assert await tg.download(document["document"]["file_id"]) == b"a;b\n"
    assert (await tg.ask(BOT, USER, "/webhook"))["text"] == "как ответ на вебхук"


async def test_gathered_actions_are_all_handled_and_a_missing_button_is_refused(
    tg, bot, dp, seen
) -> None:
    await tg.ask(BOT, USER, "/start")
    await asyncio.gather(*(tg.send_message(BOT, USER, f"сообщение {i}") for i in range(3)))
    assert sorted(seen) == ["сообщение 0", "сообщение 1", "сообщение 2"]
    with pytest.raises(SandboxError, match="no inline button 'Записаться'"):
        await tg.click(BOT, USER, "Записаться")


async def test_a_forged_press_reaches_the_bot_where_a_plain_one_is_refused(tg, bot, dp) -> None:
    await tg.ask(BOT, USER, "/start")
    await tg.click(BOT, USER, "Услуги")  # the edit removed the keyboard
    [menu] = [m for m in await tg.transcript(BOT, USER) if m["from"] == "bot"]
    with pytest.raises(SandboxError, match="has no inline button with callback_data 'services'"):
        await tg.press(BOT, USER, menu["message_id"], "services")
    # the forged press reaches the handler, which edits the message again: Telegram refuses
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await tg.forge_press(BOT, USER, menu["message_id"], "services")
    [menu] = [m for m in await tg.transcript(BOT, USER) if m["from"] == "bot"]
    assert [(c["data"], c["answered"]) for c in menu["callbacks"]] == [
        ("services", True),
        ("services", False),
    ]
    with pytest.raises(SandboxError, match="not in the chat"):  # the message must exist
        await tg.forge_press(BOT, USER, 999, "services")


async def test_updates_of_a_bot_nobody_runs_stay_pending(tg, bot, dp) -> None:
    tg.detach(bot)
    await tg.send_message(BOT, USER, "/start")
    assert await tg.transcript(BOT, USER) != [] and tg.state.bot_by_token(TOKEN).updates
    with pytest.raises(SandboxTimeoutError):
        await tg.wait_for_reply(BOT, USER)


async def test_a_reply_the_bot_sends_later_is_awaited_only_when_asked(tg, bot, dp) -> None:
    sent = await tg.send_message(BOT, USER, "позже")
    later = asyncio.create_task(bot.send_message(USER, "готово"))
    reply = await tg.wait_for_reply(BOT, USER, after=sent["message_id"], timeout=5)
    assert reply["text"] == "готово"
    await later


class Steps(StatesGroup):
    first = State()
    second = State()


def build_dialog_dispatcher() -> Dispatcher:
    """A two-window aiogram-dialog screen, the way the bots' screens are declared."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(Steps.first, mode=StartMode.RESET_STACK)

    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(
        Dialog(
            Window(Const("Шаг 1"), Next(Const("Дальше")), state=Steps.first),
            Window(Const("Шаг 2"), Back(Const("Назад")), state=Steps.second),
        )
    )
    dp.include_router(router)
    setup_dialogs(dp)
    return dp


async def test_aiogram_dialog_screens_run_in_process(tg, bot) -> None:
    tg.attach(bot, build_dialog_dispatcher())
    first = await tg.ask(BOT, USER, "/start")
    assert first["text"] == "Шаг 1"
    second = await tg.click(BOT, USER, "Дальше")
    assert (second["event"], second["message_id"], second["text"]) == (
        "edit",
        first["message_id"],
        "Шаг 2",
    )
    back = await tg.click(BOT, USER, "Назад")
    assert back["text"] == "Шаг 1"
    callbacks = [c for m in await tg.transcript(BOT, USER) for c in m["callbacks"]]
    assert len(callbacks) == 2 and all(c["answered"] for c in callbacks)
