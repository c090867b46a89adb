"""What Telegram shows around a tenant bot's chat: the command menus (the customers' and the
owner's own), the descriptions naming the salon, and /help (issue 13, item 9)."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommandScopeChat

from bots import menu, texts
from sandbox.harness import wait_until
from tests.integration.booking_stand import OWNER

ALICE = 7300001


async def commands(bot, scope=None) -> list[str]:
    return [c.command for c in await bot.get_my_commands(scope=scope)]


async def test_the_bot_sets_its_menus_and_descriptions_when_it_starts(salon):
    bot, owner_chat = salon.bot, BotCommandScopeChat(chat_id=OWNER)
    background = salon.dp["background"]
    await background.on_startup(bot)  # what polling's start does in a pool slot
    try:
        await wait_until(lambda: commands(bot), what="the customers' menu")
    finally:
        await background.on_shutdown()
    assert await commands(bot) == ["start", "my", "help"]
    description = await bot.get_my_description()
    assert description.description == texts.DESCRIPTION.format(company="Салон Анны")
    short = await bot.get_my_short_description()
    assert short.short_description == "Онлайн-запись в «Салон Анны»"
    # The owner never opened the chat: Telegram refuses a chat scope there ("chat not found").
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await commands(bot, owner_chat)

    await salon.tg.ask(salon.username, OWNER, "/start")  # the owner opens the bot
    assert await commands(bot, owner_chat) == ["start", "my", "help", "admin", "cancel"]
    assert await commands(bot) == ["start", "my", "help"]  # customers' menu is unchanged


async def test_renaming_the_salon_renames_its_descriptions(salon):
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await menu.introduce(salon.bot, "Салон Анны", OWNER)
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, "Настройки")
    await tg.click(bot, OWNER, "Название")
    reply = await tg.ask(bot, OWNER, "Студия Веры")
    assert "Студия Веры" in reply["text"]
    short = await salon.bot.get_my_short_description()
    assert short.short_description == "Онлайн-запись в «Студия Веры»"


async def test_help_says_what_the_bot_does_and_the_owner_learns_of_admin(salon):
    tg, bot = salon.tg, salon.username
    reply = await tg.ask(bot, ALICE, "/help")
    assert reply["text"] == texts.HELP.format(company="Салон Анны")
    assert "/admin" not in reply["text"]
    reply = await tg.ask(bot, OWNER, "/help")
    assert reply["text"].startswith(texts.HELP.format(company="Салон Анны"))
    assert "/admin" in reply["text"]
    reply = await tg.ask(bot, ALICE, "/nosuchcommand")
    assert "/help" in reply["text"]
