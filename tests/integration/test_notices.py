"""The salon's notices to customers survive a worker dying after the change (sql/tenant/009):
queued in the change's transaction, sent right after it, or by the next background round."""

from __future__ import annotations

from datetime import timedelta

from bots import texts
from tests.integration.booking_stand import OWNER, START, set_up
from tests.integration.test_booking_more import book, texts_of

ALICE = 7800001
TOLD = "отменена салоном"


async def _told(salon) -> int:
    return sum(TOLD in t for t in await texts_of(salon, ALICE))


async def _cancel_and_die(salon) -> int:
    """The salon cancels Alice's booking and the worker dies before sending anything: the
    change is committed with its notice queued."""
    [row] = await salon.fetch("SELECT id FROM client_001.bookings")

    def tell(b):
        return texts.NOTICE_CUSTOMER_CANCELLED_BY_OWNER.format(
            service=b.service_name, when="вт, 5 марта, 10:00", staff=b.staff_name
        )

    await salon.dp["booking"].cancel_by_owner(row["id"], tell)
    return row["id"]


async def test_a_notice_left_by_a_dead_worker_goes_out_once_with_the_next_round(salon):
    await set_up(salon)
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    await _cancel_and_die(salon)
    background = salon.dp["background"]
    assert await _told(salon) == 0
    assert await background.send_left_notices(salon.bot) == 0  # its sender may still be at it
    salon.clock.set(START + timedelta(seconds=31))
    assert await background.send_left_notices(salon.bot) == 1
    assert await background.send_left_notices(salon.bot) == 0
    assert await _told(salon) == 1
    states = await salon.fetch("SELECT state, attempts FROM client_001.notices")
    assert [(r["state"], r["attempts"]) for r in states] == [("sent", 1)]

    # sent ones are deleted after 30 days
    salon.clock.set(START + timedelta(days=31))
    await background.send_left_notices(salon.bot)
    assert await salon.fetch("SELECT 1 FROM client_001.notices") == []


async def test_a_notice_claimed_by_a_worker_that_died_is_sent_again_after_ten_minutes(salon):
    await set_up(salon)
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    booking_id = await _cancel_and_die(salon)
    await salon.dp["notices"].claim_for(booking_id)  # claimed, then the worker died
    background = salon.dp["background"]
    salon.clock.set(START + timedelta(minutes=5))
    assert await background.send_left_notices(salon.bot) == 0  # maybe still being sent
    salon.clock.set(START + timedelta(minutes=11))
    assert await background.send_left_notices(salon.bot) == 1
    assert await _told(salon) == 1


async def test_the_owners_cancel_sends_at_once_and_leaves_nothing_queued(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    await tg.click(bot, OWNER, texts.TOMORROW)
    await tg.click(bot, OWNER, "❌ 10:00 Клиент 1")
    day = await tg.click(bot, OWNER, texts.BK_CANCEL_YES)
    assert day["text"].startswith(texts.BK_CANCELLED)
    assert await _told(salon) == 1
    states = await salon.fetch("SELECT state FROM client_001.notices")
    assert [r["state"] for r in states] == ["sent"]
    salon.clock.set(START + timedelta(minutes=11))
    assert await salon.dp["background"].send_left_notices(salon.bot) == 0
    assert await _told(salon) == 1
