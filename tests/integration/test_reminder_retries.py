"""Reminders stuck in `sending` (a worker died while sending) are tried again, a bounded number
of times; then the reminder is `failed` and the owner is told."""

from __future__ import annotations

from datetime import timedelta

from bots import texts
from bots.services import REMINDER_ATTEMPTS
from tests.integration.booking_stand import OWNER, START, set_up
from tests.integration.test_booking_more import ALICE, BOB, _contains, book


async def test_stuck_reminders_are_retried_with_a_bound_then_the_owner_is_told(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")  # the owner can be messaged
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    await book(salon, BOB, staff="Олег", day="Вт 05.03", at="10:00", phone="+79990000002")
    # both 24 h reminders were claimed by a worker that died before sending them; Bob's had
    # already been tried the last allowed time
    async with salon.db.acquire() as conn:
        await conn.execute(
            "UPDATE client_001.reminders r SET state = 'sending', claimed_at = $1,"
            " attempts = CASE WHEN b.customer_id = $2 THEN $3 - 1 ELSE 0 END"
            " FROM client_001.bookings b WHERE b.id = r.booking_id AND r.offset_min = 1440",
            START + timedelta(hours=2),
            BOB,
            REMINDER_ATTEMPTS,
        )
    salon.clock.set(START + timedelta(hours=2, minutes=11))
    assert await salon.reminder_round() == 1  # Alice's, tried again; Bob's given up
    assert await _contains(salon, ALICE, "Напоминаем")
    assert await _contains(salon, OWNER, "Не удалось отправить напоминание")
    rows = await salon.fetch(
        "SELECT b.customer_id, r.state, r.attempts FROM client_001.reminders r"
        " JOIN client_001.bookings b ON b.id = r.booking_id WHERE r.offset_min = 1440"
    )
    states = {r["customer_id"]: (r["state"], r["attempts"]) for r in rows}
    assert states == {ALICE: ("sent", 1), BOB: ("failed", REMINDER_ATTEMPTS)}
    assert not await _contains(salon, BOB, "Напоминаем")
    owner_texts = [m["text"] or "" for m in await tg.transcript(bot, OWNER)]
    notice = next(t for t in owner_texts if "Не удалось отправить напоминание" in t)
    assert "+79990000002" in notice
    assert texts.REMINDER_GIVEN_UP.split("{")[0] in notice
