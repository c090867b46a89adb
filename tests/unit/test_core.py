"""Key names, token handling, encryption, settings, command statuses: pure code."""

import pytest

from core import keys
from core.crypto import TokenCipher, TokenCipherError
from core.db import affected_rows
from core.settings import Settings, parse_slot
from core.tokens import bot_id_from_token, is_token_format, redact

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


def test_contract_key_names():
    assert keys.bot_status("booking-bot-pool-3") == "bot_status:booking-bot-pool-3"
    assert keys.bot_config("booking-bot-pool-3") == "bot_config:booking-bot-pool-3"
    assert keys.fsm_prefix("client_003") == "client_003:fsm"
    assert keys.ratelimit("client_003", 42) == "client_003:ratelimit:42"
    assert keys.slot_from_status_key("bot_status:booking-bot-pool-12") == "booking-bot-pool-12"


@pytest.mark.parametrize(
    "bad", ["client_01", "client_abc", "Client_001", "client_001; drop", "", "client_001\n"]
)
def test_client_id_is_checked_before_building_a_key(bad):
    with pytest.raises(ValueError, match="client_NNN"):
        keys.fsm_prefix(bad)


def test_token_format_and_bot_id():
    assert is_token_format(TOKEN)
    assert bot_id_from_token(TOKEN) == 7012345678
    for bad in [
        "",
        "123:abc",
        "abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
        TOKEN + " ",
        TOKEN + "\n",
        "7012345678",
    ]:
        assert not is_token_format(bad)


def test_redact_hides_tokens_and_url_passwords():
    text = f"GET https://api.telegram.org/bot{TOKEN}/getMe via postgresql://u:s3cret@db/x"
    out = redact(text)
    assert "AAHdqTcv" not in out and "s3cret" not in out
    assert "7012345678:***" in out and "postgresql://u:***@db/x" in out


def test_cipher_round_trip_and_wrong_key():
    cipher = TokenCipher(TokenCipher.generate_key())
    sealed = cipher.encrypt(TOKEN)
    assert TOKEN not in sealed
    assert cipher.decrypt(sealed) == TOKEN
    assert cipher.fingerprint(TOKEN) == cipher.fingerprint(TOKEN)
    other = TokenCipher(TokenCipher.generate_key())
    assert other.fingerprint(TOKEN) != cipher.fingerprint(TOKEN)
    with pytest.raises(TokenCipherError, match="TOKEN_ENCRYPTION_KEY differs"):
        other.decrypt(sealed)


def test_bad_key_is_a_clear_error():
    with pytest.raises(TokenCipherError, match="genkey"):
        TokenCipher("not-a-key")


def test_slot_parsing():
    assert parse_slot(3) == ("booking-bot-pool-3", 3)
    assert parse_slot("booking-bot-pool-12") == ("booking-bot-pool-12", 12)
    for bad in ["0", "-1", "pool-3", "booking-bot-pool-", "x"]:
        with pytest.raises(ValueError, match="bad slot"):
            parse_slot(bad)


def test_settings_fill_password_into_dsn(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://booking_user@db:5432/booking_saas")
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss/word")
    monkeypatch.setenv("BOT_POOL_ID", "4")
    settings = Settings(_env_file=None)
    assert settings.dsn == "postgresql://booking_user:p%40ss%2Fword@db:5432/booking_saas"
    assert settings.slot_id == "booking-bot-pool-4"
    assert "p@ss" not in repr(settings)


def test_settings_without_slot_explain_themselves(monkeypatch):
    monkeypatch.delenv("BOT_POOL_ID", raising=False)
    with pytest.raises(ValueError, match="BOT_POOL_ID"):
        _ = Settings(_env_file=None).slot_id


@pytest.mark.parametrize(
    ("status", "count"),
    [("UPDATE 1", 1), ("UPDATE 0", 0), ("DELETE 42", 42), ("INSERT 0 3", 3), ("SELECT 7", 7)],
)
def test_affected_rows_reads_the_count_of_a_command_status(status, count):
    assert affected_rows(status) == count


@pytest.mark.parametrize("status", ["CREATE TABLE", "BEGIN", ""])
def test_affected_rows_refuses_a_status_without_a_count(status):
    with pytest.raises(ValueError, match="no row count"):
        affected_rows(status)


async def test_a_users_updates_are_handled_one_at_a_time_and_other_users_do_not_wait():
    """Sales and the Master too: a press that follows a screen change at once must see the
    screen's saved state (aiogram-dialog saves it after showing it)."""
    import asyncio
    from datetime import UTC, datetime

    from aiogram import Bot
    from aiogram.types import Chat, Message, Update, User

    from core.telegram import UserOrderedDispatcher

    dp = UserOrderedDispatcher()
    events: list[str] = []
    release = asyncio.Event()

    @dp.message()
    async def handle(message: Message) -> None:
        events.append(f"start {message.from_user.id} {message.text}")
        if message.text == "slow":
            await release.wait()
        events.append(f"end {message.from_user.id} {message.text}")

    def update(n: int, user: int, text: str) -> Update:
        sender = User(id=user, is_bot=False, first_name="u")
        message = Message(
            message_id=n,
            date=datetime.now(UTC),
            chat=Chat(id=user, type="private"),
            from_user=sender,
            text=text,
        )
        return Update(update_id=n, message=message)

    bot = Bot("123456:" + "a" * 35)
    first = asyncio.create_task(dp.feed_update(bot, update(1, 1, "slow")))
    second = asyncio.create_task(dp.feed_update(bot, update(2, 1, "next")))
    other = asyncio.create_task(dp.feed_update(bot, update(3, 2, "other")))
    await other  # another user is not held up by user 1's slow update
    assert events == ["start 1 slow", "start 2 other", "end 2 other"]
    release.set()
    await asyncio.gather(first, second)
    assert events[3:] == ["end 1 slow", "start 1 next", "end 1 next"]
    await bot.session.close()


def test_sales_and_the_master_show_one_date_in_the_platforms_named_zone():
    """An end at 22:30 UTC on 31.12 is 01.01 in Moscow: both bots say so (issue 13, item 8)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from core.localtime import time_text, zone_name
    from core.status import SubscriptionStatus
    from master.views import subscription_text
    from sales.validation import format_date

    ends = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    assert format_date(ends) == "01.01.2027"
    assert "01.01.2027" in subscription_text(SubscriptionStatus.ACTIVE, ends)
    assert time_text(ends) == "01.01 01:30 МСК"
    assert zone_name(ZoneInfo("Asia/Yekaterinburg")) == "МСК+2"
    assert zone_name(ZoneInfo("Europe/Berlin")) in ("UTC+1", "UTC+2")
    assert time_text(None) == "—"


def test_dialogs_opened_in_the_same_second_get_different_intent_ids():
    # aiogram-dialog's own ids allow 100 per second: 2000 dialogs opened at once would share ids,
    # and a press on an older dialog's button would run in a newer one
    from aiogram import Dispatcher
    from aiogram.fsm.state import State, StatesGroup
    from aiogram_dialog.api.entities import Stack

    from core.screens import setup_screens

    class Screen(StatesGroup):
        one = State()

    setup_screens(Dispatcher())
    ids = [Stack().push(Screen.one, None).id for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert max(len(i) for i in ids) <= 6  # callback data keeps its size (Telegram: 64 bytes)
