"""Any message that looks like a bot token is deleted wherever it is sent to the Sales Bot (not
only at the token step), and the buyer is told why. Real Redis (the FSM)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.client.session.base import BaseSession
from aiogram.methods import DeleteMessage, SendMessage
from aiogram.types import Chat, Message, PhotoSize, Update, User

from core.telegram import build_bot
from sales import texts
from sales.app import build_dispatcher
from sales.states import Purchase
from tests.screens import dialog_state, open_dialog_at

BUYER = 8800001
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, object]] = []

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, DeleteMessage):
            self.calls.append(("delete", method.message_id))
            return True
        if isinstance(method, SendMessage):
            self.calls.append(("send", method.text))

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used
        raise NotImplementedError

    async def close(self) -> None:
        pass


async def test_a_token_is_deleted_wherever_it_is_sent(redis_client):
    dp = build_dispatcher(redis=redis_client, purchase_service=None)
    session = RecordingSession()
    bot = build_bot("6100000998:AAsalesGuard_abcdefghijklmnopqrstuvwx", "http://127.0.0.1:9")
    bot.session = session
    chat, user = Chat(id=BUYER, type="private"), User(id=BUYER, is_bot=False, first_name="Б")
    now = datetime.now(UTC)
    # at the purchase dialog's company-name step: a token is not taken for a company name
    proxy = await open_dialog_at(dp, bot, BUYER, Purchase.company, {"draft": {"tariff_id": 1}})
    updates = [
        Update(
            update_id=1,
            message=Message(
                message_id=11, date=now, chat=chat, from_user=user, text=f"мой токен {TOKEN}"
            ),
        ),
        Update(
            update_id=2,
            edited_message=Message(
                message_id=12, date=now, chat=chat, from_user=user, text=TOKEN, edit_date=1
            ),
        ),
        Update(
            update_id=3,
            message=Message(
                message_id=13,
                date=now,
                chat=chat,
                from_user=user,
                photo=[PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)],
                caption=f"https://api.telegram.org/bot{TOKEN.replace(':', '%3A')}/getMe",
            ),
        ),
    ]
    for update in updates:
        await dp.feed_update(bot, update)
    deleted = [c[1] for c in session.calls if c[0] == "delete"]
    told = [c[1] for c in session.calls if c[0] == "send"]
    assert deleted == [11, 12, 13]
    assert told == [texts.TOKEN_MESSAGE_DELETED] * 3
    assert await dialog_state(proxy) == Purchase.company  # the step goes on
