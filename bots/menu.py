"""What Telegram shows around a tenant bot's chat: the command menu («Меню» button) for
customers and, in the owner's chat, the owner's commands too; the description an empty chat
shows and the short one on the bot's profile, both naming the salon.

Set when the bot starts (the pool activated or resumed it), again when the owner renames the
salon, and the owner's menu when the owner opens the chat (Telegram refuses a chat scope for a
chat the bot has never talked in). A failure is logged and changes nothing else: the menu is a
convenience, never a reason for a bot not to start.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from loguru import logger

from bots import texts


def _commands(pairs) -> list[BotCommand]:
    return [BotCommand(command=command, description=about) for command, about in pairs]


async def introduce(bot: Bot, company: str, owner_id: int) -> None:
    """The customers' menu, both descriptions, and the owner's menu if the owner has a chat."""
    try:
        await bot.set_my_commands(_commands(texts.COMMANDS))
        await bot.set_my_description(texts.DESCRIPTION.format(company=company)[:512])
        await bot.set_my_short_description(texts.SHORT_DESCRIPTION.format(company=company)[:120])
    except TelegramAPIError as exc:
        logger.warning("could not set the bot's menu and description: {}", exc.message)
        return
    await owner_menu(bot, owner_id)


async def owner_menu(bot: Bot, owner_id: int) -> bool:
    """The owner's own menu (the customers' commands and /admin, /cancel) in the owner's chat;
    False when Telegram refused it (the owner has not opened the bot yet)."""
    try:
        await bot.set_my_commands(
            _commands(texts.COMMANDS + texts.OWNER_COMMANDS),
            scope=BotCommandScopeChat(chat_id=owner_id),
        )
    except TelegramAPIError as exc:
        logger.debug("owner's menu not set yet: {}", exc.message)
        return False
    return True
