"""Specialists in the bot (issue 13, item 7): the owner invites a specialist by a one-time deep
link; the specialist sees their own day and week, closes their own time, gets notices of their
own bookings, and nothing else of the admin; the owner revokes the access."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta

from aiogram.types import BotCommandScopeChat

from bots import menu, texts
from bots.services import StaffAccessService
from sandbox.harness import wait_until
from tests.integration.booking_stand import OWNER, set_up
from tests.integration.test_booking_more import book
from tests.integration.test_owner_bookings import owner_summary

ANNA = 7700001  # Анна's own Telegram account
OLEG = 7700002
ALICE = 7700101  # customers
BOB = 7700102
LINK = re.compile(r"https://t\.me/(\w+)\?start=(staff-[A-Za-z0-9_-]+)")


async def staff_card(salon, name: str = "Анна") -> dict:
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    return await tg.click(bot, OWNER, name)


async def invite(salon, name: str = "Анна") -> str:
    """The owner presses «Пригласить в бот» on `name`'s card: the link's start parameter."""
    tg, bot = salon.tg, salon.username
    await staff_card(salon, name)
    sent = await tg.click(bot, OWNER, texts.STAFF_INVITE_BTN)  # the link, then the card
    card = (await tg.transcript(bot, OWNER))[-1]
    assert card["text"].startswith(texts.STAFF_INVITE_SENT)
    found = LINK.search(sent["text"])
    assert found[1] == salon.username
    payload = found[2]
    assert len(payload) <= 64  # Telegram's limit for a start parameter
    return payload


async def join(salon, user: int, name: str = "Анна") -> dict:
    """`user` accepts a fresh invite for `name`: the specialist's menu they are shown."""
    payload = await invite(salon, name)
    welcome = await salon.tg.ask(salon.username, user, f"/start {payload}")
    assert welcome["text"] == texts.STAFF_WELCOME.format(company="Салон Анны", name=name)
    return (await salon.tg.transcript(salon.username, user))[-1]


async def press_answer(salon, user: int, label: str) -> tuple[str | None, bool]:
    """Press `label` on `user`'s newest message that has it: the answer's text and alert."""
    tg, bot = salon.tg, salon.username
    query = await tg.press_button(bot, user, label)
    for message in await tg.transcript(bot, user):
        for press in message["callbacks"]:
            if press["id"] == query:
                assert press["answered"]
                return press["text"], press["show_alert"]
    raise AssertionError("the press was not found")


async def only_told_outdated(salon, user: int, message_id: int, data: str) -> None:
    """`user` presses a button with `data` on their message `message_id` (a forged or forwarded
    press): the bot only answers that the button is outdated, and does nothing else."""
    tg = salon.tg
    before = len(tg.requests(salon.bot))
    query = await tg.forge_press(salon.username, user, message_id, data)
    made = [(r.method, r.params) for r in tg.requests(salon.bot)[before:]]
    stale = {"callback_query_id": query, "text": texts.STALE_BUTTON, "show_alert": "true"}
    assert made == [("answerCallbackQuery", stale)]


async def texts_to(salon, user: int) -> list[str]:
    return [m["text"] or "" for m in await salon.tg.transcript(salon.username, user)]


async def bound(salon) -> dict[str, int | None]:
    rows = await salon.fetch("SELECT name, telegram_id FROM client_001.staff ORDER BY id")
    return {r["name"]: r["telegram_id"] for r in rows}


async def test_invite_accept_and_the_specialist_sees_only_their_own_day_and_week(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Пн 04.03", at="11:00")
    await book(salon, BOB, staff="Олег", day="Пн 04.03", at="12:00", phone="+79990000002")
    card = await staff_card(salon)
    assert texts.STAFF_NOT_CONNECTED.strip() in card["text"]

    payload = await invite(salon)
    token = payload.removeprefix("staff-")
    stored = await salon.fetch("SELECT token_hash, used_at FROM client_001.staff_invites")
    assert [(r["token_hash"], r["used_at"]) for r in stored] == [
        (hashlib.sha256(token.encode()).hexdigest(), None)  # only the hash is kept
    ]
    await tg.ask(bot, ANNA, f"/start {payload}")
    home = (await tg.transcript(bot, ANNA))[-1]
    assert home["text"].startswith(texts.STAFF_HOME.format(name="Анна", company="Салон Анны"))
    assert (await bound(salon))["Анна"] == ANNA
    used = await salon.fetch("SELECT used_at, used_by FROM client_001.staff_invites")
    assert used[0]["used_at"] is not None and used[0]["used_by"] == ANNA
    commands = await salon.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ANNA))
    assert [c.command for c in commands] == ["start", "my", "help", "staff", "cancel"]

    day = await tg.click(bot, ANNA, texts.STAFF_MY_DAY)
    assert day["text"].startswith("📋 Записи на пн, 4 марта:")
    assert "11:00 · Стрижка · Анна" in day["text"] and "Олег" not in day["text"]
    assert "👤 Анна: 10:00-13:00, 14:00-18:00" in day["text"]
    buttons = [b["text"] for row in day["reply_markup"]["inline_keyboard"] for b in row]
    assert not any(b.startswith("❌") or b.startswith("🚫") for b in buttons)  # no cancel
    day = await tg.click(bot, ANNA, texts.CAL_NEXT)
    assert day["text"].startswith(texts.DAY_EMPTY.format(day="вт, 5 марта"))
    week = await tg.click(bot, ANNA, texts.CAL_WEEK)
    assert week["text"].startswith("🗓 Неделя Пн 04.03 – Вс 10.03")
    assert "Анна: 1 зап." in week["text"] and "Олег" not in week["text"]
    await tg.click(bot, ANNA, texts.BACK)
    week = await tg.click(bot, ANNA, texts.STAFF_MY_WEEK)
    assert week["text"].startswith("🗓 Неделя Пн 04.03 – Вс 10.03")

    card = await staff_card(salon)
    assert "📲 Подключён к боту с пн, 4 марта, 08:00" in card["text"]

    # the link was used: nobody else, and not Анна again, gets anything from it
    reply = await tg.ask(bot, BOB, f"/start {payload}")
    assert reply["text"] == texts.INVITE_INVALID
    reply = await tg.ask(bot, ANNA, f"/start {payload}")
    assert reply["text"] == texts.INVITE_INVALID
    assert await bound(salon) == {"Анна": ANNA, "Олег": None}
    # a plain /start still greets as a customer, with a hint
    reply = await tg.ask(bot, ANNA, "/start")
    assert reply["text"].startswith(texts.GREETING.format(company="Салон Анны"))
    assert texts.STAFF_HINT in reply["text"]
    reply = await tg.ask(bot, ANNA, "/help")
    assert "/staff" in reply["text"] and "/admin" not in reply["text"]


async def test_expired_unknown_and_replaced_links_are_refused(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    old = await invite(salon)
    new = await invite(salon)  # replaces the unused one
    assert (await tg.ask(bot, ANNA, f"/start {old}"))["text"] == texts.INVITE_INVALID
    reply = await tg.ask(bot, ANNA, "/start staff-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert reply["text"] == texts.INVITE_INVALID
    assert (await bound(salon))["Анна"] is None

    salon.clock.advance(timedelta(days=7, minutes=1))
    assert (await tg.ask(bot, ANNA, f"/start {new}"))["text"] == texts.INVITE_INVALID
    assert (await bound(salon))["Анна"] is None

    await join(salon, ANNA, "Анна")
    payload = await invite(salon, "Олег")  # Анна cannot be Олег too
    reply = await tg.ask(bot, ANNA, f"/start {payload}")
    assert reply["text"] == texts.INVITE_TAKEN.format(name="Анна")
    assert await bound(salon) == {"Анна": ANNA, "Олег": None}
    reply = await tg.ask(bot, OLEG, f"/start {payload}")  # the link still works for Олег
    assert reply["text"] == texts.STAFF_WELCOME.format(company="Салон Анны", name="Олег")
    # a customer's ordinary deep link is an ordinary /start
    reply = await tg.ask(bot, ALICE, "/start promo")
    assert reply["text"].startswith(texts.GREETING.format(company="Салон Анны"))


async def test_the_specialist_is_told_of_their_own_bookings_only(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await join(salon, ANNA)
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    new = texts.STAFF_NOTICE_NEW.format(
        service="Стрижка", when="вт, 5 марта, 10:00", name="Клиент 1", phone="+79991234567"
    )
    assert (await texts_to(salon, ANNA)).count(new) == 1
    assert any(
        t.startswith("🆕 Новая запись\nСтрижка — Анна") for t in await texts_to(salon, OWNER)
    )
    await book(salon, BOB, staff="Олег", day="Вт 05.03", at="10:00", phone="+79990000002")
    assert not any("Клиент 2" in t for t in await texts_to(salon, ANNA))

    # the customer moves it: Анна is told
    await tg.ask(bot, ALICE, "/my")
    await tg.click(bot, ALICE, "вт, 5 марта, 10:00")
    await tg.click(bot, ALICE, texts.MY_RESCHEDULE)
    await tg.click(bot, ALICE, "Ср 06.03")
    await tg.click(bot, ALICE, "15:00")
    await tg.click(bot, ALICE, texts.MY_RESCHEDULE_YES)
    moved = texts.STAFF_NOTICE_RESCHEDULED.format(
        service="Стрижка",
        old="вт, 5 марта, 10:00",
        new="ср, 6 марта, 15:00",
        name="Клиент 1",
        phone="+79991234567",
    )
    assert (await texts_to(salon, ANNA)).count(moved) == 1

    # the customer cancels: Анна is told
    await tg.ask(bot, ALICE, "/my")
    await tg.click(bot, ALICE, "ср, 6 марта, 15:00")
    await tg.click(bot, ALICE, texts.MY_CANCEL)
    await tg.click(bot, ALICE, texts.MY_CANCEL_YES)
    cancelled = texts.STAFF_NOTICE_CANCELLED.format(
        service="Стрижка", when="ср, 6 марта, 15:00", name="Клиент 1"
    )
    assert (await texts_to(salon, ANNA)).count(cancelled) == 1

    # the owner cancels one from the calendar: Анна is told, the owner is not told twice
    await book(salon, ALICE, staff="Анна", day="Ср 06.03", at="11:00")
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    await tg.click(bot, OWNER, texts.PICK_DATE)
    await tg.ask(bot, OWNER, "06.03")
    await tg.click(bot, OWNER, "❌ 11:00 Клиент 1")
    before = len(await texts_to(salon, OWNER))
    await tg.click(bot, OWNER, texts.BK_CANCEL_YES)
    by_salon = texts.STAFF_NOTICE_CANCELLED_BY_SALON.format(
        service="Стрижка", when="ср, 6 марта, 11:00", name="Клиент 1"
    )
    assert (await texts_to(salon, ANNA)).count(by_salon) == 1
    assert not any("отменил" in t for t in (await texts_to(salon, OWNER))[before:])


async def test_an_owner_who_is_the_specialist_gets_one_notice_and_a_blocked_chat_blocks_nothing(
    salon,
):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await join(salon, OWNER, "Олег")
    owner_chat = BotCommandScopeChat(chat_id=OWNER)
    commands = await salon.bot.get_my_commands(scope=owner_chat)
    assert [c.command for c in commands] == ["start", "my", "help", "admin", "cancel", "staff"]
    # the bot's start (a restart of its slot) sets the owner's menu again: /staff stays
    await menu.owner_menu(salon.bot, OWNER)  # as it was before she was a specialist
    background = salon.dp["background"]
    await background.on_startup(salon.bot)
    try:

        async def with_staff() -> bool:
            return "staff" in [c.command for c in await salon.bot.get_my_commands(scope=owner_chat)]

        await wait_until(with_staff, what="the owner's menu with /staff")
    finally:
        await background.on_shutdown()
    await book(salon, ALICE, staff="Олег", day="Вт 05.03", at="10:00")
    told = [t for t in await texts_to(salon, OWNER) if "Клиент 1" in t and "Новая запись" in t]
    assert len(told) == 1

    await join(salon, ANNA, "Анна")
    await tg.block(bot, ANNA)  # Анна blocked the bot: the customer still books
    await book(salon, BOB, staff="Анна", day="Вт 05.03", at="11:00", phone="+79990000002")
    rows = await salon.fetch("SELECT status FROM client_001.bookings ORDER BY id")
    assert [r["status"] for r in rows] == ["booked", "booked"]


async def test_the_specialist_closes_their_own_time(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await join(salon, ANNA)
    ask = await tg.click(bot, ANNA, texts.STAFF_BLOCK)
    assert ask["text"] == texts.ASK_BLOCK
    home = await tg.ask(bot, ANNA, "/cancel")  # changed her mind: back to her menu
    assert home["text"] == texts.STAFF_HOME.format(name="Анна", company="Салон Анны")
    await tg.click(bot, ANNA, texts.STAFF_BLOCK)
    bad = await tg.ask(bot, ANNA, "05.03")
    assert bad["text"].startswith(texts.BLOCK_HOURS_MISSING)
    home = await tg.ask(bot, ANNA, "05.03 15:00-16:00 учёба")
    assert home["text"].startswith(texts.BLOCK_SAVED.format(day="Вт 05.03", interval="15:00-16:00"))
    rows = await salon.fetch("SELECT staff_id, note FROM client_001.time_blocks")
    anna = (await salon.fetch("SELECT id FROM client_001.staff WHERE name = 'Анна'"))[0]["id"]
    assert [(r["staff_id"], r["note"]) for r in rows] == [(anna, "учёба")]
    await tg.ask(bot, ALICE, "/start")  # the customer's times that day
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Стрижка")
    await tg.click(bot, ALICE, "Анна")
    times = await tg.click(bot, ALICE, "Вт 05.03")
    offered = [b["text"] for row in times["reply_markup"]["inline_keyboard"] for b in row]
    assert "14:00" in offered and "16:00" in offered
    assert "14:30" not in offered and "15:00" not in offered and "15:30" not in offered

    # an hour over a booking: the same check as the owner's, then the customer is told
    await book(salon, BOB, staff="Анна", day="Ср 06.03", at="10:00", phone="+79990000002")
    await tg.ask(bot, ANNA, "/staff")
    await tg.click(bot, ANNA, texts.STAFF_BLOCK)
    confirm = await tg.ask(bot, ANNA, "06.03 10:00-11:00")
    assert (
        confirm["text"].startswith(texts.HOURS_STRAND) and "Записи впереди (1)" in confirm["text"]
    )
    home = await tg.click(bot, ANNA, texts.HOURS_SAVE_AND_CANCEL)
    assert texts.AFFECTED_CANCELLED.format(count=1) in home["text"]
    assert home["text"].endswith(texts.STAFF_HOME.format(name="Анна", company="Салон Анны"))
    assert any("отменена салоном" in t for t in await texts_to(salon, BOB))
    assert any(t.startswith("❌ Мастер закрыл время") for t in await texts_to(salon, OWNER))
    assert not any("Салон отменил" in t for t in await texts_to(salon, ANNA))  # she did it


async def test_a_specialist_gets_nothing_of_the_admin(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await join(salon, ANNA)
    reply = await tg.ask(bot, ANNA, "/admin")
    assert reply["text"] == texts.ADMIN_ONLY

    # an admin button (the owner's «Мастера»), pressed by Анна on a message of hers
    await tg.ask(bot, OWNER, "/admin")
    _, data = await tg._find_button(bot, OWNER, texts.ADMIN_STAFF)
    menu = await tg.ask(bot, ANNA, "/staff")
    await only_told_outdated(salon, ANNA, menu["message_id"], data)
    # and a customer's /staff is the customers' menu
    reply = await tg.ask(bot, ALICE, "/staff")
    assert reply["text"] == texts.STAFF_ONLY
    # Анна's «Мой день», pressed by the customer (forwarded, or typed by hand): nothing of hers
    _, day = await tg._find_button(bot, ANNA, texts.STAFF_MY_DAY)
    await only_told_outdated(salon, ALICE, reply["message_id"], day)


async def test_revoking_or_deleting_ends_the_access_at_once(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await join(salon, ANNA)
    await staff_card(salon)
    ask = await tg.click(bot, OWNER, texts.STAFF_REVOKE_BTN)
    assert ask["text"] == texts.STAFF_REVOKE_ASK.format(name="Анна")
    card = await tg.click(bot, OWNER, texts.STAFF_REVOKE_NO)
    assert (await bound(salon))["Анна"] == ANNA and "📲 Подключён" in card["text"]
    await tg.click(bot, OWNER, texts.STAFF_REVOKE_BTN)
    card = await tg.click(bot, OWNER, texts.STAFF_REVOKE_YES)
    assert card["text"].startswith(texts.STAFF_REVOKED)
    assert texts.STAFF_NOT_CONNECTED.strip() in card["text"]
    assert (await bound(salon))["Анна"] is None

    # her menu, still on screen, answers that the access ended; /staff too
    assert await press_answer(salon, ANNA, texts.STAFF_MY_DAY) == (texts.STAFF_ACCESS_ENDED, True)
    assert (await tg.ask(bot, ANNA, "/staff"))["text"] == texts.STAFF_ACCESS_ENDED
    assert await salon.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ANNA)) == []
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    assert not any("Новая запись к вам" in t for t in await texts_to(salon, ANNA))

    # deleting a specialist ends theirs too
    await join(salon, OLEG, "Олег")
    await staff_card(salon, "Олег")
    await tg.click(bot, OWNER, texts.DELETE)
    await tg.click(bot, OWNER, texts.DELETE_YES)
    assert (await bound(salon))["Олег"] is None
    assert await press_answer(salon, OLEG, texts.STAFF_MY_WEEK) == (texts.STAFF_ACCESS_ENDED, True)
    assert (await tg.ask(bot, OLEG, "/staff"))["text"] == texts.STAFF_ACCESS_ENDED


async def test_one_link_pressed_twice_at_once_binds_one_person_and_one_person_one_specialist(
    salon,
):
    ids = await set_up(salon)
    access = StaffAccessService(salon.db, salon.tenant, salon.clock)
    payload = await access.invite(ids["anna"])
    results = await asyncio.gather(
        access.accept(payload, ANNA), access.accept(payload, OLEG), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["InviteInvalid", "StaffRow"]
    assert list((await bound(salon)).values()).count(None) == 1

    # one person, two invites at once (Олег's and a new one of Анна's): one specialist only
    await access.revoke(ids["anna"])
    first, second = await access.invite(ids["anna"]), await access.invite(ids["oleg"])
    results = await asyncio.gather(
        access.accept(first, BOB), access.accept(second, BOB), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyStaff", "StaffRow"]
    assert list((await bound(salon)).values()).count(BOB) == 1


async def test_a_booking_the_owner_makes_or_moves_is_told_to_the_specialists(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await join(salon, ANNA, "Анна")
    await join(salon, OLEG, "Олег")
    await owner_summary(salon)  # a caller, booked by the owner with Анна on Tuesday at 10:00
    await tg.click(bot, OWNER, texts.CONFIRM)
    new = texts.STAFF_NOTICE_NEW.format(
        service="Стрижка", when="вт, 5 марта, 10:00", name="Мария", phone="+79990001122"
    )
    assert (await texts_to(salon, ANNA)).count(new) == 1

    # Анна's day off moves it to Олег: each of them hears of it
    await staff_card(salon)
    await tg.click(bot, OWNER, texts.STAFF_EXC_BTN)
    await tg.ask(bot, OWNER, "05.03 выходной")
    await tg.click(bot, OWNER, texts.MOVE_BTN)
    await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE)
    away = texts.STAFF_NOTICE_MOVED_AWAY.format(
        to="Олег", service="Стрижка", when="вт, 5 марта, 10:00", name="Мария"
    )
    to_you = texts.STAFF_NOTICE_MOVED_TO_YOU.format(
        service="Стрижка", when="вт, 5 марта, 10:00", name="Мария", phone="+79990001122"
    )
    assert (await texts_to(salon, ANNA)).count(away) == 1
    assert (await texts_to(salon, OLEG)).count(to_you) == 1
