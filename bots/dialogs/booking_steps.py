"""What the booking screens do when pressed or answered: each handler moves the typed draft
one step on; the service enforces the rules (notice, cut-off, one booking per request key)."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from bots import keyboards, outbox, texts, views
from bots.dialogs.common import alert, booking_of, customers_of, leave, tell_salon, user_id
from bots.dialogs.draft import BookingDraft
from bots.dialogs.states import BookingSG
from bots.errors import BookingCutoffPassed, NotAllowed, ServiceGone, SlotTaken
from bots.parsing import InputError, clean_name, normalize_phone
from bots.services import Tell, new_request_key

# --- moving on -----------------------------------------------------------------------------


async def _go(manager: DialogManager, draft: BookingDraft, state) -> None:
    draft.notice = ""
    draft.save(manager)
    await manager.switch_to(state)


async def _to_summary(manager: DialogManager, draft: BookingDraft) -> None:
    draft.key = new_request_key()  # a new summary, a new request
    await _go(manager, draft, BookingSG.summary)


async def _slot_taken(manager: DialogManager, draft: BookingDraft, times_left: bool) -> None:
    """The one place for "the time was just taken": the day's other times, or other days."""
    draft.key, draft.starts, draft.taken = "", 0, True
    await _go(manager, draft, BookingSG.time if times_left else BookingSG.day)


async def _finish(manager: DialogManager, draft: BookingDraft, outcome: str) -> None:
    draft.outcome = outcome
    await _go(manager, draft, BookingSG.finished)


async def start_booking(query: CallbackQuery, dialog_manager: DialogManager) -> None:
    await query.answer()
    await dialog_manager.start(BookingSG.service, mode=StartMode.RESET_STACK)


async def on_start(start_data: dict | None, manager: DialogManager) -> None:
    BookingDraft(**(start_data or {})).save(manager)  # a reschedule starts with its booking


async def on_service(callback: CallbackQuery, _, manager: DialogManager, service_id: int) -> None:
    if await booking_of(manager).service(service_id) is None:
        await alert(callback, manager, texts.SERVICE_GONE, refresh=True)  # the list, without it
        return
    await _go(manager, BookingDraft.of(manager).restart(service_id), BookingSG.staff)


async def on_staff(callback: CallbackQuery, _, manager: DialogManager, staff_id: int) -> None:
    draft = BookingDraft.of(manager)
    draft.staff_id, draft.taken = staff_id, False
    await _go(manager, draft, BookingSG.day)


async def back_from_days(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    if BookingDraft.of(manager).reschedule_id:
        await manager.done()  # back to the booking's card
    else:
        await manager.switch_to(BookingSG.staff)


async def on_day(callback: CallbackQuery, _, manager: DialogManager, day: int) -> None:
    draft = BookingDraft.of(manager)
    free = await booking_of(manager).available_times(
        draft.service_id, draft.staff_id, views.day_from_id(day), ignore=draft.reschedule_id
    )
    if not free:
        await alert(callback, manager, texts.NO_TIMES, refresh=True)  # the days again
        return
    draft.day, draft.taken = day, False
    await _go(manager, draft, BookingSG.time)


async def on_time(callback: CallbackQuery, _, manager: DialogManager, starts: int) -> None:
    draft, booking = BookingDraft.of(manager), booking_of(manager)
    free = await booking.available_times(
        draft.service_id, draft.staff_id, draft.the_day, ignore=draft.reschedule_id
    )
    draft.starts, draft.taken = starts, False
    if draft.starts_at not in free:
        await _slot_taken(manager, draft, bool(free))
    elif draft.reschedule_id:
        if await booking.customer_booking(user_id(manager), draft.reschedule_id) is None:
            await alert(callback, manager, texts.MY_MISSING)
            await leave(manager)
            return
        await _to_summary(manager, draft)
    elif draft.for_client:  # the owner: the client's name and phone, unless the card gave them
        await (_to_summary(manager, draft) if draft.phone else _go(manager, draft, BookingSG.name))
    else:
        customer = await customers_of(manager).customer(user_id(manager))
        if customer and customer.full_name and customer.phone:  # remembered: skip the questions
            draft.name, draft.phone = customer.full_name, customer.phone
            await _to_summary(manager, draft)
        else:
            await _go(manager, draft, BookingSG.name)


async def change_contacts(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    draft = BookingDraft.of(manager)
    draft.key = ""
    await _go(manager, draft, BookingSG.name)


async def cancel_flow(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _finish(manager, BookingDraft.of(manager), texts.BOOKING_CANCELLED_FLOW)


# --- name and phone ------------------------------------------------------------------------


async def _refuse(manager: DialogManager, why: str) -> None:
    """The input was not taken: the question is sent again with the reason instead."""
    draft = BookingDraft.of(manager)
    draft.notice = why
    draft.save(manager)


async def _cancel_input(manager: DialogManager) -> None:
    chat = manager.middleware_data["event_chat"]
    await manager.middleware_data["bot"].send_message(
        chat.id, texts.CANCELLED_INPUT, reply_markup=keyboards.remove_reply()
    )
    await leave(manager)


async def on_stop(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _cancel_input(manager)


async def on_name(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if message.text == texts.CANCEL:
        await _cancel_input(manager)
        return
    try:
        name = clean_name(message.text)
    except InputError as exc:
        await _refuse(manager, str(exc))
        return
    draft = BookingDraft.of(manager)
    draft.name = name
    await _go(manager, draft, BookingSG.phone)


async def ask_name_again(message: Message, _: MessageInput, manager: DialogManager) -> None:
    await _refuse(manager, "")


async def _save_phone(message: Message, manager: DialogManager, raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except InputError as exc:
        await _refuse(manager, str(exc))
        return
    draft = BookingDraft.of(manager)
    draft.phone = phone
    if draft.for_client:  # the client's phone: nothing of the owner's own is remembered
        text = texts.CLIENT_PHONE_TAKEN.format(phone=phone)
    else:
        adopted = await booking_of(manager).save_contact(message.from_user.id, draft.name, phone)
        text = texts.CONTACT_SAVED + (texts.WALK_IN_ADOPTED if adopted else "")
    await message.answer(text, reply_markup=keyboards.remove_reply())
    await _to_summary(manager, draft)


async def on_contact(message: Message, _: MessageInput, manager: DialogManager) -> None:
    contact = message.contact
    foreign = contact.user_id is not None and contact.user_id != message.from_user.id
    if foreign and not BookingDraft.of(manager).for_client:  # the owner may forward a client's
        await _refuse(manager, texts.FOREIGN_CONTACT)
        return
    raw = contact.phone_number.strip()  # Telegram sends contacts without the «+»
    await _save_phone(message, manager, raw if raw.startswith("+") else f"+{raw}")


async def on_phone_text(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if message.text == texts.CANCEL:
        await _cancel_input(manager)
        return
    await _save_phone(message, manager, message.text)


async def not_a_phone(message: Message, _: MessageInput, manager: DialogManager) -> None:
    await _refuse(manager, texts.FOREIGN_CONTACT)


# --- confirm -------------------------------------------------------------------------------


async def on_confirm(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    draft, booking = BookingDraft.of(manager), booking_of(manager)
    tenant = manager.middleware_data["tenant"]
    if draft.for_client and callback.from_user.id != tenant.admin_telegram_id:
        await alert(callback, manager, texts.NOT_OWNER_BOOKING)  # cannot happen: say no anyway
        await leave(manager)
        return
    settings = await booking.settings()
    try:
        if draft.reschedule_id:
            old, b = await booking.reschedule(
                callback.from_user.id, draft.reschedule_id, draft.starts_at
            )
        else:
            tell = _told_of_booking(settings.tz) if draft.for_client else None
            result = await booking.book(draft.for_booking(callback.from_user.id), tell)
            b = result.booking
    except SlotTaken as taken:
        await _slot_taken(manager, draft, bool(taken.alternatives))
        return
    except ServiceGone:
        await alert(callback, manager, texts.SERVICE_GONE)
        await leave(manager)
        return
    except BookingCutoffPassed:
        await alert(callback, manager, views.cutoff_text(settings.cancel_cutoff_min))
        await leave(manager)
        return
    except NotAllowed:
        await alert(callback, manager, texts.MY_MISSING)
        await leave(manager)
        return
    when = views.when(b.starts_at, settings.tz)
    if draft.reschedule_id:
        outcome = texts.MY_RESCHEDULED.format(service=b.service_name, staff=b.staff_name, when=when)
        old_when = views.when(old.starts_at, settings.tz)
        owner, staff = (
            views.owner_notice(template, b, settings.tz, old=old_when, new=when)
            for template in (texts.NOTICE_RESCHEDULED, texts.STAFF_NOTICE_RESCHEDULED)
        )
    elif not result.created:
        await alert(callback, manager, texts.ALREADY_BOOKED)
        return
    elif draft.for_client:
        await _finish(manager, draft, await _client_booked(manager, b, when))
        return
    else:
        outcome = texts.BOOKED.format(service=b.service_name, staff=b.staff_name, when=when)
        owner = views.owner_notice(texts.NOTICE_NEW, b, settings.tz)
        staff = views.owner_notice(texts.STAFF_NOTICE_NEW, b, settings.tz)
    await _finish(manager, draft, outcome)
    await tell_salon(manager, b, owner, staff)


def _told_of_booking(tz) -> Tell:
    """The notice of a client the owner booked (queued with the booking; none for a walk-in)."""
    return lambda b: texts.NOTICE_BOOKED_BY_SALON.format(
        service=b.service_name, staff=b.staff_name, when=views.when(b.starts_at, tz)
    )


async def _client_booked(manager: DialogManager, b, when: str) -> str:
    """The owner booked a client: tell the client if they use the bot (the notice queued with
    the booking), and the booking's specialist; the owner's outcome."""
    notices = manager.middleware_data["notices"]
    told = await outbox.send_for(manager.middleware_data["bot"], notices, b.id)
    tz = (await booking_of(manager).settings()).tz
    await tell_salon(manager, b, None, views.owner_notice(texts.STAFF_NOTICE_NEW, b, tz))
    outcome = texts.CLIENT_BOOKED.format(
        name=b.customer_name,
        phone=b.customer_phone,
        service=b.service_name,
        staff=b.staff_name,
        when=when,
    )
    return outcome + (texts.CLIENT_TOLD if told else texts.CLIENT_NOT_IN_BOT)
