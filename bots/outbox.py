"""Sending the queued notices (`NoticeService`, sql/tenant/009_notices.sql): right after the
change that queued them, and from the background round for those a dead worker left."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bots import keyboards, notify
from bots.repository import Notice
from bots.services import NoticeService


async def send(bot: Bot, notices: NoticeService, claimed: list[Notice]) -> list[Notice]:
    """Send `claimed` (each with the menu: to book again, or see their bookings) and record each
    outcome; the ones delivered. A 429 puts the rest back for the next round."""
    delivered = []
    for i, notice in enumerate(claimed):
        try:
            result = await notify.send(
                bot, notice.chat_id, notice.text, reply_markup=keyboards.main_menu()
            )
        except TelegramRetryAfter:
            for left in claimed[i:]:
                await notices.release(left)
            break
        await notices.finish(notice, result)
        if result:
            delivered.append(notice)
    return delivered


async def send_for(bot: Bot, notices: NoticeService, booking_id: int) -> bool:
    """Send what the change of `booking_id` just queued; False when the customer was not told
    (unreachable, a walk-in, or left for the next round): the owner should call them."""
    return bool(await send(bot, notices, await notices.claim_for(booking_id)))


async def send_left(bot: Bot, notices: NoticeService) -> int:
    """The background round: notices a dead worker left; how many arrived."""
    return len(await send(bot, notices, await notices.claim_left()))
