"""Edits never strand a booking (issue 13, item 1): deleting a specialist or a service asks
first, shows the bookings ahead it would cancel, and cancels them with a notice to each
customer that offers to book again."""

from __future__ import annotations

from bots import texts
from tests.integration.booking_stand import OWNER, set_up
from tests.integration.test_booking_more import book

ALICE = 7500001


async def test_deleting_a_specialist_shows_their_bookings_and_cancels_them_with_notices(salon):
    ids = await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, "Анна")
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert confirm["text"].startswith("Удалить мастера «Анна»?")
    assert "Записи впереди (1)" in confirm["text"] and "Стрижка, Клиент 1" in confirm["text"]
    card = await tg.click(bot, OWNER, texts.DELETE_NO)  # gives up: nothing changes
    assert "Анна" in card["text"]
    assert [r["status"] for r in await salon.fetch("SELECT status FROM client_001.bookings")] == [
        "booked"
    ]

    await tg.click(bot, OWNER, texts.DELETE)
    done = await tg.click(bot, OWNER, texts.DELETE_YES)
    assert done["text"].startswith(texts.AFFECTED_CANCELLED.format(count=1))
    rows = await salon.fetch("SELECT status, cancelled_by FROM client_001.bookings")
    assert [(r["status"], r["cancelled_by"]) for r in rows] == [("cancelled", "owner")]
    staff = await salon.fetch("SELECT active FROM client_001.staff WHERE id = $1", ids["anna"])
    assert [r["active"] for r in staff] == [False]
    notice = (await tg.transcript(bot, ALICE))[-1]  # the customer is told once, can rebook
    assert notice["text"].startswith("К сожалению, ваша запись «Стрижка» на")
    buttons = [b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert texts.MENU_BOOK in buttons
    assert (
        sum("отменена салоном" in (m["text"] or "") for m in await tg.transcript(bot, ALICE)) == 1
    )
    reply = await tg.click(bot, ALICE, texts.MENU_BOOK)  # rebooking: Анна is gone
    await tg.click(bot, ALICE, "Стрижка")
    staff_buttons = [
        b["text"]
        for row in (await tg.transcript(bot, ALICE))[-1]["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert "Анна" not in staff_buttons and "Олег" in staff_buttons
    assert reply is not None


async def test_deleting_a_service_with_no_bookings_still_asks(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    await tg.click(bot, OWNER, "Окрашивание")
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert confirm["text"] == texts.SERVICE_DELETE_ASK.format(
        name="Окрашивание", affected=texts.AFFECTED_NONE
    )
    await tg.click(bot, OWNER, texts.DELETE_YES)
    rows = await salon.fetch("SELECT name FROM client_001.services WHERE active ORDER BY id")
    assert [r["name"] for r in rows] == ["Стрижка"]
