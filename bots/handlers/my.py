"""«Мои записи»: upcoming bookings, cancel (up to the cut-off), reschedule; the reminder's
«Подтверждаю» / «Отменить» buttons land here too."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, notify, texts, views
from bots.callbacks import MenuAction, MenuCallback, MyAction, MyCallback
from bots.context import TenantContext
from bots.errors import BookingCutoffPassed, NotAllowed
from bots.handlers.booking import show_days
from bots.services import BookingService
from bots.status import ACTIVE_STATUSES, BookingStatus


def build_router() -> Router:
    router = Router(name="my")

    async def _list(booking: BookingService, user_id: int):
        items = await booking.upcoming(user_id)
        settings = await booking.settings()
        if not items:
            return texts.MY_EMPTY, keyboards.home_only()
        return texts.MY_TITLE, keyboards.my_list(items, settings.tz)

    @router.message(Command("my"))
    async def my_command(message: Message, state: FSMContext, booking: BookingService) -> None:
        await state.clear()
        text, markup = await _list(booking, message.from_user.id)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.MY))
    @router.callback_query(MyCallback.filter(F.action == MyAction.LIST))
    async def my_list(query: CallbackQuery, state: FSMContext, booking: BookingService) -> None:
        await state.clear()
        text, markup = await _list(booking, query.from_user.id)
        await query.answer()
        await query.message.edit_text(text, reply_markup=markup)

    @router.callback_query(MyCallback.filter(F.action == MyAction.OPEN))
    async def open_card(
        query: CallbackQuery, callback_data: MyCallback, state: FSMContext, booking: BookingService
    ) -> None:
        await state.clear()
        b = await booking.customer_booking(query.from_user.id, callback_data.id)
        if b is None or b.status == BookingStatus.CANCELLED:
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        settings = await booking.settings()
        can_change = await booking.can_change(b, settings)
        await query.answer()
        await query.message.edit_text(
            views.booking_card(b, settings.tz), reply_markup=keyboards.my_card(b.id, can_change)
        )

    @router.callback_query(MyCallback.filter(F.action == MyAction.CANCEL))
    async def ask_cancel(
        query: CallbackQuery, callback_data: MyCallback, booking: BookingService
    ) -> None:
        b = await booking.customer_booking(query.from_user.id, callback_data.id)
        if b is None or b.status not in ACTIVE_STATUSES:
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        settings = await booking.settings()
        if not await booking.can_change(b, settings):
            await query.answer(views.cutoff_text(settings.cancel_cutoff_min), show_alert=True)
            return
        await query.answer()
        await query.message.edit_text(
            texts.MY_CANCEL_ASK.format(when=views.when(b.starts_at, settings.tz)),
            reply_markup=keyboards.my_cancel_confirm(b.id),
        )

    @router.callback_query(MyCallback.filter(F.action == MyAction.CANCEL_YES))
    async def do_cancel(
        query: CallbackQuery,
        callback_data: MyCallback,
        booking: BookingService,
        tenant: TenantContext,
        bot: Bot,
    ) -> None:
        settings = await booking.settings()
        try:
            b = await booking.cancel_by_customer(query.from_user.id, callback_data.id)
        except BookingCutoffPassed:
            await query.answer(views.cutoff_text(settings.cancel_cutoff_min), show_alert=True)
            return
        except NotAllowed:
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        await query.answer()
        await query.message.edit_text(
            texts.MY_CANCELLED.format(when=views.when(b.starts_at, settings.tz)),
            reply_markup=keyboards.home_only(),
        )
        await notify.send(
            bot,
            tenant.admin_telegram_id,
            views.owner_notice(texts.NOTICE_CANCELLED, b, settings.tz),
        )

    @router.callback_query(MyCallback.filter(F.action == MyAction.RESCHEDULE))
    async def reschedule(
        query: CallbackQuery, callback_data: MyCallback, state: FSMContext, booking: BookingService
    ) -> None:
        b = await booking.customer_booking(query.from_user.id, callback_data.id)
        if b is None or b.status not in ACTIVE_STATUSES:
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        settings = await booking.settings()
        if not await booking.can_change(b, settings):
            await query.answer(views.cutoff_text(settings.cancel_cutoff_min), show_alert=True)
            return
        await state.clear()
        await state.update_data(service_id=b.service_id, staff_id=b.staff_id, reschedule_id=b.id)
        await show_days(query, state, booking)

    @router.callback_query(MyCallback.filter(F.action == MyAction.CONFIRM_VISIT))
    async def confirm_visit(
        query: CallbackQuery, callback_data: MyCallback, booking: BookingService
    ) -> None:
        try:
            b = await booking.confirm_visit(query.from_user.id, callback_data.id)
        except NotAllowed:
            await query.answer(texts.MY_MISSING, show_alert=True)
            return
        settings = await booking.settings()
        await query.answer()
        await query.message.edit_text(
            texts.VISIT_CONFIRMED.format(when=views.when(b.starts_at, settings.tz))
        )

    return router
