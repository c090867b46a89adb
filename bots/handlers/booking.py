"""Booking: service → specialist (or any) → day → time → name and phone → summary → confirm.

Also the reschedule path of «Мои записи» (same day and time screens, `reschedule_id` in the
FSM data). What the customer chose lives in the FSM data (Redis); a button whose step does
not match that data is stale and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots import keyboards, notify, texts, views
from bots.callbacks import BookAction, BookCallback, MenuAction, MenuCallback, MyAction, MyCallback
from bots.context import TenantContext
from bots.errors import BookingCutoffPassed, NotAllowed, ServiceGone, SlotTaken
from bots.parsing import InputError, clean_name, normalize_phone
from bots.services import (
    BookingService,
    CustomerService,
    Draft,
    new_request_key,
)

# a command typed while we wait for a name or a phone is a command (handled by its router)
NOT_COMMAND = F.func(lambda message: not (message.text or "").startswith("/"))


class BookingStates(StatesGroup):
    name = State()
    phone = State()


async def _stale(query: CallbackQuery) -> None:
    await query.answer(texts.STALE_BUTTON, show_alert=True)


def _days_back(data: dict) -> CallbackData:
    if data.get("reschedule_id"):
        return MyCallback(action=MyAction.OPEN, id=data["reschedule_id"])
    return BookCallback(action=BookAction.BACK_STAFF)


async def show_services(query: CallbackQuery, state: FSMContext, booking: BookingService) -> None:
    await state.clear()
    services = await booking.bookable_services()
    await query.answer()
    if not services:
        await query.message.edit_text(texts.SOON, reply_markup=keyboards.home_only())
        return
    await query.message.edit_text(texts.CHOOSE_SERVICE, reply_markup=keyboards.services(services))


async def show_staff(query: CallbackQuery, state: FSMContext, booking: BookingService) -> None:
    data = await state.get_data()
    service = await booking.service(data.get("service_id", 0))
    if service is None:
        await query.answer(texts.SERVICE_GONE, show_alert=True)
        await show_services(query, state, booking)
        return
    staff = await booking.staff_for(service.id)
    await query.answer()
    if not staff:
        await query.message.edit_text(texts.NO_STAFF, reply_markup=keyboards.home_only())
        return
    await query.message.edit_text(
        texts.CHOOSE_STAFF.format(service=service.name), reply_markup=keyboards.staff(staff)
    )


async def _names(booking: BookingService, data: dict) -> tuple[str, str]:
    service = await booking.service(data["service_id"])
    staff_name = texts.ANY_STAFF
    if data.get("staff_id"):
        member = next(
            (s for s in await booking.staff_for(data["service_id"]) if s.id == data["staff_id"]),
            None,
        )
        staff_name = member.name if member else "—"
    return (service.name if service else "—"), staff_name


async def show_days(
    query: CallbackQuery, state: FSMContext, booking: BookingService, *, prefix: str = ""
) -> None:
    data = await state.get_data()
    days, settings = await booking.available_days(
        data["service_id"], data.get("staff_id", 0), data.get("reschedule_id", 0)
    )
    service_name, staff_name = await _names(booking, data)
    await query.answer()
    back = _days_back(data)
    if not days:
        text = texts.NO_DAYS.format(days=settings.horizon_days)
        await query.message.edit_text(prefix + text, reply_markup=keyboards.days([], back))
        return
    text = texts.CHOOSE_DAY.format(service=service_name, staff=staff_name)
    if data.get("reschedule_id"):
        text = texts.MY_RESCHEDULE_PICK.format(service=service_name, staff=staff_name)
    await query.message.edit_text(prefix + text, reply_markup=keyboards.days(days, back))


async def show_summary(
    target: Message, state: FSMContext, booking: BookingService, *, edit: bool
) -> None:
    data = await state.get_data()
    settings = await booking.settings()
    service = await booking.service(data["service_id"])
    _, staff_name = await _names(booking, data)
    starts = datetime.fromtimestamp(data["starts"] * 60, UTC)
    key = new_request_key()
    await state.update_data(key=key)
    text = texts.SUMMARY.format(
        service=service.name if service else "—",
        staff=staff_name,
        when=views.when(starts, settings.tz),
        duration=service.duration_min if service else 0,
        price=service.price if service else 0,
        name=data["name"],
        phone=data["phone"],
    )
    markup = keyboards.summary(key)
    if edit:
        await target.edit_text(text, reply_markup=markup)
    else:
        await target.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="booking")

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.BOOK))
    async def start_booking(
        query: CallbackQuery, state: FSMContext, booking: BookingService
    ) -> None:
        await show_services(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.BACK_SERVICES))
    async def back_services(
        query: CallbackQuery, state: FSMContext, booking: BookingService
    ) -> None:
        await show_services(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.SERVICE))
    async def pick_service(
        query: CallbackQuery,
        callback_data: BookCallback,
        state: FSMContext,
        booking: BookingService,
    ) -> None:
        await state.clear()
        await state.update_data(service_id=callback_data.id)
        await show_staff(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.BACK_STAFF))
    async def back_staff(query: CallbackQuery, state: FSMContext, booking: BookingService) -> None:
        data = await state.get_data()
        if "service_id" not in data or data.get("reschedule_id"):
            await _stale(query)
            return
        await show_staff(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.STAFF))
    async def pick_staff(
        query: CallbackQuery,
        callback_data: BookCallback,
        state: FSMContext,
        booking: BookingService,
    ) -> None:
        data = await state.get_data()
        if "service_id" not in data or data.get("reschedule_id"):
            await _stale(query)
            return
        if callback_data.id:
            staff = await booking.staff_for(data["service_id"])
            if callback_data.id not in {s.id for s in staff}:
                await _stale(query)
                return
        await state.update_data(staff_id=callback_data.id)
        await show_days(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.BACK_DAYS))
    async def back_days(query: CallbackQuery, state: FSMContext, booking: BookingService) -> None:
        data = await state.get_data()
        if "staff_id" not in data:
            await _stale(query)
            return
        await state.set_state(None)
        await show_days(query, state, booking)

    @router.callback_query(BookCallback.filter(F.action == BookAction.DAY))
    async def pick_day(
        query: CallbackQuery,
        callback_data: BookCallback,
        state: FSMContext,
        booking: BookingService,
    ) -> None:
        data = await state.get_data()
        try:
            day = views.day_from_id(callback_data.id)
        except ValueError:
            day = None
        if "staff_id" not in data or day is None:
            await _stale(query)
            return
        free = await booking.available_times(
            data["service_id"], data["staff_id"], day, ignore=data.get("reschedule_id", 0)
        )
        if not free:
            await query.answer(texts.NO_TIMES, show_alert=True)
            await show_days(query, state, booking)
            return
        await state.update_data(day=callback_data.id)
        settings = await booking.settings()
        service_name, staff_name = await _names(booking, data)
        await query.answer()
        await query.message.edit_text(
            texts.CHOOSE_TIME.format(
                service=service_name, staff=staff_name, day=views.day_long(day)
            ),
            reply_markup=keyboards.times(free, settings.tz),
        )

    @router.callback_query(BookCallback.filter(F.action == BookAction.TIME))
    async def pick_time(
        query: CallbackQuery,
        callback_data: BookCallback,
        state: FSMContext,
        booking: BookingService,
        customers: CustomerService,
    ) -> None:
        data = await state.get_data()
        if "day" not in data:
            await _stale(query)
            return
        starts = datetime.fromtimestamp(callback_data.id * 60, UTC)
        day = views.day_from_id(data["day"])
        free = await booking.available_times(
            data["service_id"], data["staff_id"], day, ignore=data.get("reschedule_id", 0)
        )
        settings = await booking.settings()
        if starts not in free:
            await query.answer()
            if free:
                await query.message.edit_text(
                    texts.SLOT_TAKEN, reply_markup=keyboards.times(free, settings.tz)
                )
            else:
                await show_days(query, state, booking, prefix=texts.SLOT_TAKEN_NONE + "\n\n")
            return
        await state.update_data(starts=callback_data.id)
        if data.get("reschedule_id"):
            await _reschedule_summary(query, state, booking, starts)
            return
        customer = await customers.customer(query.from_user.id)
        await query.answer()
        if customer and customer.full_name and customer.phone:
            await state.update_data(name=customer.full_name, phone=customer.phone)
            await show_summary(query.message, state, booking, edit=True)
            return
        await state.set_state(BookingStates.name)
        await query.message.edit_text(texts.ASK_NAME)

    async def _reschedule_summary(
        query: CallbackQuery, state: FSMContext, booking: BookingService, starts: datetime
    ) -> None:
        data = await state.get_data()
        old = await booking.customer_booking(query.from_user.id, data["reschedule_id"])
        if old is None:
            await state.clear()
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        settings = await booking.settings()
        key = new_request_key()
        await state.update_data(key=key)
        await query.answer()
        await query.message.edit_text(
            texts.MY_RESCHEDULE_SUMMARY.format(
                service=old.service_name,
                staff=old.staff_name,
                old=views.when(old.starts_at, settings.tz),
                new=views.when(starts, settings.tz),
            ),
            reply_markup=keyboards.summary(key, reschedule=True),
        )

    @router.message(BookingStates.name, F.text, NOT_COMMAND)
    async def got_name(message: Message, state: FSMContext) -> None:
        if message.text == texts.CANCEL:
            await state.clear()
            await message.answer(texts.CANCELLED_INPUT, reply_markup=keyboards.remove_reply())
            return
        try:
            name = clean_name(message.text)
        except InputError as exc:
            await message.answer(str(exc))
            return
        await state.update_data(name=name)
        await state.set_state(BookingStates.phone)
        await message.answer(
            texts.ASK_PHONE.format(name=name), reply_markup=keyboards.share_phone()
        )

    @router.message(BookingStates.name, NOT_COMMAND)
    async def name_not_text(message: Message) -> None:
        await message.answer(texts.ASK_NAME)

    @router.message(BookingStates.phone, F.contact)
    async def got_contact(message: Message, state: FSMContext, booking: BookingService) -> None:
        contact = message.contact
        if contact.user_id is not None and contact.user_id != message.from_user.id:
            await message.answer(texts.FOREIGN_CONTACT, reply_markup=keyboards.share_phone())
            return
        raw = contact.phone_number.strip()  # Telegram sends contacts without the «+»
        await _save_phone(message, state, booking, raw if raw.startswith("+") else f"+{raw}")

    @router.message(BookingStates.phone, F.text, NOT_COMMAND)
    async def got_phone_text(message: Message, state: FSMContext, booking: BookingService) -> None:
        if message.text == texts.CANCEL:
            await state.clear()
            await message.answer(texts.CANCELLED_INPUT, reply_markup=keyboards.remove_reply())
            return
        await _save_phone(message, state, booking, message.text)

    @router.message(BookingStates.phone, NOT_COMMAND)
    async def phone_other(message: Message) -> None:
        await message.answer(texts.FOREIGN_CONTACT, reply_markup=keyboards.share_phone())

    async def _save_phone(
        message: Message, state: FSMContext, booking: BookingService, raw: str
    ) -> None:
        try:
            phone = normalize_phone(raw)
        except InputError as exc:
            await message.answer(str(exc), reply_markup=keyboards.share_phone())
            return
        data = await state.update_data(phone=phone)
        await state.set_state(None)
        await booking.save_contact(message.from_user.id, data["name"], phone)  # remembered
        await message.answer(texts.CONTACT_SAVED, reply_markup=keyboards.remove_reply())
        await show_summary(message, state, booking, edit=False)

    @router.callback_query(BookCallback.filter(F.action == BookAction.CONTACTS))
    async def change_contacts(query: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        if "starts" not in data:
            await _stale(query)
            return
        await state.update_data(key=None)
        await state.set_state(BookingStates.name)
        await query.answer()
        await query.message.edit_text(texts.ASK_NAME)

    @router.callback_query(BookCallback.filter(F.action == BookAction.CANCEL))
    async def cancel_flow(query: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await query.answer()
        await query.message.edit_text(
            texts.BOOKING_CANCELLED_FLOW, reply_markup=keyboards.home_only()
        )

    @router.callback_query(BookCallback.filter(F.action == BookAction.CONFIRM))
    async def confirm(
        query: CallbackQuery,
        callback_data: BookCallback,
        state: FSMContext,
        booking: BookingService,
        tenant: TenantContext,
        bot: Bot,
    ) -> None:
        data = await state.get_data()
        key = callback_data.key
        if not key or data.get("key") != key:
            done = await booking.booking_by_key(key) if key else None
            if done is not None:
                await query.answer(texts.ALREADY_BOOKED, show_alert=True)
            else:
                await _stale(query)
            return
        if data.get("reschedule_id"):
            await _confirm_reschedule(query, state, booking, tenant, bot, data)
            return
        starts = datetime.fromtimestamp(data["starts"] * 60, UTC)
        draft = Draft(
            service_id=data["service_id"],
            staff_id=data["staff_id"],
            starts_at=starts,
            request_key=key,
            customer_id=query.from_user.id,
            name=data["name"],
            phone=data["phone"],
        )
        settings = await booking.settings()
        try:
            result = await booking.book(draft)
        except SlotTaken as taken:
            await state.update_data(key=None, starts=None)
            await query.answer()
            if taken.alternatives:
                await query.message.edit_text(
                    texts.SLOT_TAKEN, reply_markup=keyboards.times(taken.alternatives, settings.tz)
                )
            else:
                await show_days(query, state, booking, prefix=texts.SLOT_TAKEN_NONE + "\n\n")
            return
        except ServiceGone:
            await state.clear()
            await query.answer(texts.SERVICE_GONE, show_alert=True)
            return
        if not result.created:
            await query.answer(texts.ALREADY_BOOKED, show_alert=True)
            return
        await state.clear()
        b = result.booking
        await query.answer()
        await query.message.edit_text(
            texts.BOOKED.format(
                service=b.service_name,
                staff=b.staff_name,
                when=views.when(b.starts_at, settings.tz),
            ),
            reply_markup=keyboards.home_only(),
        )
        await notify.send(
            bot, tenant.admin_telegram_id, views.owner_notice(texts.NOTICE_NEW, b, settings.tz)
        )

    async def _confirm_reschedule(
        query: CallbackQuery,
        state: FSMContext,
        booking: BookingService,
        tenant: TenantContext,
        bot: Bot,
        data: dict,
    ) -> None:
        settings = await booking.settings()
        starts = datetime.fromtimestamp(data["starts"] * 60, UTC)
        try:
            old, new = await booking.reschedule(query.from_user.id, data["reschedule_id"], starts)
        except SlotTaken as taken:
            await state.update_data(key=None, starts=None)
            await query.answer()
            if taken.alternatives:
                await query.message.edit_text(
                    texts.SLOT_TAKEN, reply_markup=keyboards.times(taken.alternatives, settings.tz)
                )
            else:
                await show_days(query, state, booking, prefix=texts.SLOT_TAKEN_NONE + "\n\n")
            return
        except BookingCutoffPassed:
            await state.clear()
            await query.answer(views.cutoff_text(settings.cancel_cutoff_min), show_alert=True)
            return
        except NotAllowed:
            await state.clear()
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        await state.clear()
        await query.answer()
        await query.message.edit_text(
            texts.MY_RESCHEDULED.format(
                service=new.service_name,
                staff=new.staff_name,
                when=views.when(new.starts_at, settings.tz),
            ),
            reply_markup=keyboards.home_only(),
        )
        await notify.send(
            bot,
            tenant.admin_telegram_id,
            views.owner_notice(
                texts.NOTICE_RESCHEDULED,
                new,
                settings.tz,
                old=views.when(old.starts_at, settings.tz),
                new=views.when(new.starts_at, settings.tz),
            ),
        )

    return router
