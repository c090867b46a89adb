"""Any message that looks like a bot token is deleted wherever it is sent to the Sales Bot (not
only at the token step), and the buyer is told why. Real Redis (the FSM)."""

from __future__ import annotations

from aiogram.types import PhotoSize, Update

from sales import texts
from sales.app import build_dispatcher
from sales.states import Purchase
from tests.screens import dialog_state, open_dialog_at, recording_bot, user_message

BUYER = 8800001
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


async def test_a_token_is_deleted_wherever_it_is_sent(redis_client):
    dp = build_dispatcher(redis=redis_client, purchase_service=None)
    bot = recording_bot("6100000998:AAsalesGuard_abcdefghijklmnopqrstuvwx")
    # at the purchase dialog's company-name step: a token is not taken for a company name
    proxy = await open_dialog_at(dp, bot, BUYER, Purchase.company, {"draft": {"tariff_id": 1}})
    photo = [PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)]
    link = f"https://api.telegram.org/bot{TOKEN.replace(':', '%3A')}/getMe"
    updates = [
        Update(update_id=1, message=user_message(BUYER, message_id=11, text=f"мой токен {TOKEN}")),
        Update(
            update_id=2,
            edited_message=user_message(BUYER, message_id=12, text=TOKEN, edit_date=1),
        ),
        Update(update_id=3, message=user_message(BUYER, message_id=13, photo=photo, caption=link)),
    ]
    for update in updates:
        await dp.feed_update(bot, update)
    assert bot.session.deleted == [11, 12, 13]
    assert [m.text for m in bot.session.sent] == [texts.TOKEN_MESSAGE_DELETED] * 3
    assert await dialog_state(proxy) == Purchase.company  # the step goes on
