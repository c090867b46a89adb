"""«Мои записи»: upcoming bookings, a booking's card, cancel (up to the cut-off) and
reschedule (the booking dialog's day and time screens). The reminder's «Подтверждаю» and
«Отменить» buttons land here too."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts, views
from bots.callbacks import MenuAction, MenuCallback, MyAction, MyCallback
from bots.dialogs.common import (
    PASS_ON,
    alert,
    booking_of,
    choices,
    nav,
    only_own_buttons,
    tell_salon,
    user_id,
)
from bots.dialogs.states import BookingSG, MySG
from bots.errors import BookingCutoffPassed, NotAllowed
from bots.repository import BookingRow
from bots.services import BookingService
from bots.status import ACTIVE_STATUSES, BookingStatus

_BOOKING = "booking_id"


def _booking_id(manager: DialogManager) -> int:
    return manager.dialog_data[_BOOKING]


async def _changeable(
    query: CallbackQuery, manager: DialogManager, booking_id: int
) -> BookingRow | None:
    """The customer's booking if it may still be moved or cancelled; else say why."""
    booking = booking_of(manager)
    b = await booking.customer_booking(query.from_user.id, booking_id)
    if b is None or b.status not in ACTIVE_STATUSES:
        await alert(query, manager, texts.MY_MISSING)
        return None
    settings = await booking.settings()
    if not await booking.can_change(b, settings):
        await alert(query, manager, views.cutoff_text(settings.cancel_cutoff_min))
        return None
    return b


# --- getters -------------------------------------------------------------------------------


async def get_list(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    items = await booking.upcoming(user_id(dialog_manager))
    tz = (await booking.settings()).tz
    labels = [
        texts.MY_ITEM.format(when=views.when(b.starts_at, tz), service=b.service_name)
        for b in items
    ]
    return {"items": list(zip(labels, [b.id for b in items], strict=True))}


async def get_card(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    b = await booking.customer_booking(user_id(dialog_manager), _booking_id(dialog_manager))
    if b is None or b.status == BookingStatus.CANCELLED:
        return {"card": texts.MY_MISSING, "can_change": False}
    settings = await booking.settings()
    return {
        "card": views.booking_card(b, settings.tz),
        "can_change": await booking.can_change(b, settings),
    }


async def get_cancel(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    b = await booking.customer_booking(user_id(dialog_manager), _booking_id(dialog_manager))
    tz = (await booking.settings()).tz
    return {"when": views.when(b.starts_at, tz) if b else "—"}


# --- handlers ------------------------------------------------------------------------------


async def on_start(start_data: dict | None, manager: DialogManager) -> None:
    manager.dialog_data.update(start_data or {})


async def on_open(callback: CallbackQuery, _, manager: DialogManager, booking_id: int) -> None:
    b = await booking_of(manager).customer_booking(callback.from_user.id, booking_id)
    if b is None or b.status == BookingStatus.CANCELLED:
        await alert(callback, manager, texts.MY_MISSING)
        return
    manager.dialog_data[_BOOKING] = booking_id
    await manager.switch_to(MySG.card)


async def on_reschedule(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    b = await _changeable(callback, manager, _booking_id(manager))
    if b is not None:
        moving = {"service_id": b.service_id, "staff_id": b.staff_id, "reschedule_id": b.id}
        await manager.start(BookingSG.day, data=moving)


async def on_ask_cancel(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    if await _changeable(callback, manager, _booking_id(manager)) is not None:
        await manager.switch_to(MySG.cancel)


async def on_cancel(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    booking = booking_of(manager)
    settings = await booking.settings()
    try:
        b = await booking.cancel_by_customer(callback.from_user.id, _booking_id(manager))
    except BookingCutoffPassed:
        await alert(callback, manager, views.cutoff_text(settings.cancel_cutoff_min))
        return
    except NotAllowed:
        await alert(callback, manager, texts.MY_MISSING)
        return
    outcome = texts.MY_CANCELLED.format(when=views.when(b.starts_at, settings.tz))
    manager.dialog_data["outcome"] = outcome
    await manager.switch_to(MySG.finished)
    await tell_salon(
        manager,
        b,
        views.owner_notice(texts.NOTICE_CANCELLED, b, settings.tz),
        views.owner_notice(texts.STAFF_NOTICE_CANCELLED, b, settings.tz),
    )


def build_dialog() -> Dialog:
    return only_own_buttons(
        Dialog(
            Window(
                Const(texts.MY_TITLE, when="items"),
                Const(texts.MY_EMPTY, when=~F["items"]),
                choices("booking", "items", on_open),
                nav(),
                PASS_ON,
                state=MySG.list,
                getter=get_list,
            ),
            Window(
                Format("{card}"),
                Button(
                    Const(texts.MY_RESCHEDULE), id="move", on_click=on_reschedule, when="can_change"
                ),
                Button(
                    Const(texts.MY_CANCEL), id="cancel", on_click=on_ask_cancel, when="can_change"
                ),
                nav(SwitchTo(Const(texts.BACK), id="back", state=MySG.list)),
                PASS_ON,
                state=MySG.card,
                getter=get_card,
            ),
            Window(
                Format(texts.MY_CANCEL_ASK),
                Button(Const(texts.MY_CANCEL_YES), id="yes", on_click=on_cancel),
                nav(SwitchTo(Const(texts.BACK), id="back", state=MySG.card)),
                PASS_ON,
                state=MySG.cancel,
                getter=get_cancel,
            ),
            Window(
                Format("{dialog_data[outcome]}"),
                nav(),
                PASS_ON,
                state=MySG.finished,
            ),
            on_start=on_start,
        )
    )


# --- entries: the menu, /my and the reminder's buttons -------------------------------------


async def my_command(message: Message, state: FSMContext, dialog_manager: DialogManager) -> None:
    await state.clear()
    # a command is answered with a new message, whatever screen is open, and ends the open flow
    await dialog_manager.start(MySG.list, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def my_menu(query: CallbackQuery, dialog_manager: DialogManager) -> None:
    await query.answer()
    await dialog_manager.start(MySG.list, mode=StartMode.RESET_STACK)


async def reminder_cancel(
    query: CallbackQuery,
    callback_data: MyCallback,
    dialog_manager: DialogManager,
) -> None:
    if await _changeable(query, dialog_manager, callback_data.id) is None:
        return
    await query.answer()
    data = {_BOOKING: callback_data.id}
    await dialog_manager.start(MySG.cancel, data=data, mode=StartMode.RESET_STACK)


async def confirm_visit(query: CallbackQuery, callback_data: MyCallback, booking: BookingService):
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


def build_router() -> Router:
    router = Router(name="my")
    router.message.register(my_command, Command("my"))
    router.callback_query.register(my_menu, MenuCallback.filter(F.action == MenuAction.MY))
    router.callback_query.register(reminder_cancel, MyCallback.filter(F.action == MyAction.CANCEL))
    router.callback_query.register(
        confirm_visit, MyCallback.filter(F.action == MyAction.CONFIRM_VISIT)
    )
    return router
