"""What Telegram shows around a tenant bot's chat: the command menu («Меню» button) for
customers and, in the owner's chat, the owner's commands too (in a specialist's chat,
theirs); the description an empty chat shows and the short one on the bot's profile, both
naming the salon.

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


async def introduce(bot: Bot, company: str, owner_id: int, *, owner_is_staff: bool = False) -> None:
    """The customers' menu, both descriptions, and the owner's menu if the owner has a chat
    (with /staff for an owner who is also a specialist)."""
    try:
        await bot.set_my_commands(_commands(texts.COMMANDS))
        await bot.set_my_description(texts.DESCRIPTION.format(company=company)[:512])
        await bot.set_my_short_description(texts.SHORT_DESCRIPTION.format(company=company)[:120])
    except TelegramAPIError as exc:
        logger.warning("could not set the bot's menu and description: {}", exc.message)
        return
    await owner_menu(bot, owner_id, staff=owner_is_staff)


async def owner_menu(bot: Bot, owner_id: int, *, staff: bool = False) -> bool:
    """The owner's own menu (the customers' commands and /admin, /cancel; /staff too for an
    owner who is also a specialist) in the owner's chat; False when Telegram refused it (the
    owner has not opened the bot yet)."""
    pairs = texts.COMMANDS + texts.OWNER_COMMANDS + (texts.STAFF_COMMANDS if staff else ())
    try:
        await bot.set_my_commands(
            _commands(_unique(pairs)), scope=BotCommandScopeChat(chat_id=owner_id)
        )
    except TelegramAPIError as exc:
        logger.debug("owner's menu not set yet: {}", exc.message)
        return False
    return True


async def staff_menu(bot: Bot, user_id: int, owner_id: int) -> bool:
    """A specialist's menu (the customers' commands and /staff, /cancel) in their chat, set
    when they accept an invite; False when Telegram refused it (logged)."""
    if user_id == owner_id:
        return await owner_menu(bot, owner_id, staff=True)
    try:
        await bot.set_my_commands(
            _commands(texts.COMMANDS + texts.STAFF_COMMANDS),
            scope=BotCommandScopeChat(chat_id=user_id),
        )
    except TelegramAPIError as exc:
        logger.warning("could not set a specialist's menu: {}", exc.message)
        return False
    return True


async def default_menu(bot: Bot, user_id: int, owner_id: int) -> bool:
    """Back to the customers' menu in a former specialist's chat (the owner keeps theirs)."""
    if user_id == owner_id:
        return await owner_menu(bot, owner_id)
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=user_id))
    except TelegramAPIError as exc:
        logger.warning("could not reset a former specialist's menu: {}", exc.message)
        return False
    return True


def _unique(pairs) -> list[tuple[str, str]]:
    """Each command once, the first description kept (/cancel is the owner's and the
    specialist's)."""
    first: dict[str, str] = {}
    for command, about in pairs:
        first.setdefault(command, about)
    return list(first.items())
