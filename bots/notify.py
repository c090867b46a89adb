"""Sending to someone who may have blocked the bot: never raises, says whether it arrived."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from loguru import logger


async def send(bot: Bot, chat_id: int, text: str, **kwargs) -> bool | None:
    """True: delivered; False: the user is unreachable (blocked, never started, deleted);
    None: a transient failure (network, server). A 429 (TelegramRetryAfter) propagates."""
    if chat_id <= 0:  # a customer the owner booked by phone: no chat (sql/tenant/007)
        return False
    try:
        await bot.send_message(chat_id, text, **kwargs)
        return True
    except TelegramRetryAfter:
        raise
    except TelegramForbiddenError:
        return False
    except TelegramNetworkError as exc:
        logger.warning("send to {} failed: {}", chat_id, type(exc).__name__)
        return None
    except TelegramAPIError as exc:
        if "chat not found" in str(exc).lower():
            return False
        logger.warning("send to {} failed: {}", chat_id, type(exc).__name__)
        return None
