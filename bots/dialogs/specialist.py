"""A specialist's own screens (/staff): their day and week, and closing their own time. Nothing
else of the admin.

Only a Telegram user bound to an active specialist (an accepted invite, not revoked), in the
private chat with the bot, opens them or presses their buttons — read from the database on
every message and press, so a revoke or a delete takes effect at once. A press on these screens
by someone no longer bound is told so; anyone else's /staff gets the customers' menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_dialog import Data, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.api.internal import CONTEXT_KEY
from aiogram_dialog.utils import remove_intent_id
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import keyboards, texts
from bots.dialogs.admin import bookings, common, hours
from bots.dialogs.admin.common import AwaitingInput, DialogButton
from bots.dialogs.states import STAFF_INPUTS, STAFF_STATES, StaffHours, StaffMenu
from bots.repository import StaffRow

if TYPE_CHECKING:
    from bots.services import SalonService, StaffAccessService


class OnStaffScreen(BaseFilter):
    """A press of a button of a specialist's screen (cheap: no database)."""

    async def __call__(self, query: CallbackQuery, **data: Any) -> bool:
        context = data.get(CONTEXT_KEY)
        intent_id, _ = remove_intent_id(query.data or "")
        return intent_id is not None and context is not None and context.state in STAFF_STATES


class IsStaff(BaseFilter):
    """The sender is bound to an active specialist now (read from the database) and, on a
    specialist's screen (`on_screen`), that screen was opened as this specialist; passes the
    specialist on as `me`."""

    def __init__(self, *, on_screen: bool = True) -> None:
        self.on_screen = on_screen

    async def __call__(
        self, event: TelegramObject, staff_access: StaffAccessService, **data: Any
    ) -> bool | dict[str, Any]:
        user = getattr(event, "from_user", None)
        if user is None:
            return False
        me = await staff_access.member(user.id)
        if me is None:
            return False
        context = data.get(CONTEXT_KEY)
        if self.on_screen and context is not None and context.state in STAFF_STATES:
            started = context.start_data if isinstance(context.start_data, dict) else {}
            if started.get("staff_id") != me.id:  # opened as another specialist, since revoked
                return False
        return {"me": me}


async def open_menu(message: Message, dialog_manager: DialogManager, me: StaffRow) -> None:
    """The specialist's menu as a new message, from anywhere (/staff, an accepted invite)."""
    dialog_manager.current_stack().last_message_id = None
    await dialog_manager.start(
        StaffMenu.home,
        data={"staff_id": me.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def on_staff_screen(manager: DialogManager) -> bool:
    """The open dialog, if any, is one of a specialist's."""
    return manager.has_context() and manager.current_context().state in STAFF_STATES


async def home_getter(
    dialog_manager: DialogManager, staff_access: StaffAccessService, salon: SalonService, **_: Any
) -> dict[str, Any]:
    me = await staff_access.member(dialog_manager.event.from_user.id)
    settings = await salon.settings()
    text = texts.STAFF_HOME.format(name=me.name if me else "—", company=settings.company_name)
    return {"text": common.take_note(dialog_manager, bookings.DayDraft) + text}


async def close_time(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    start = hours.HoursStart(staff_id=bookings.only_staff(manager))
    await manager.start(StaffHours.block, data=start.as_data())


async def hours_done(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """Back from closing time: its note («Время … закрыто ✅») above the menu."""
    common.keep(manager, bookings.DayDraft, note=result or "")


def back_home() -> SwitchTo:
    return common.back_to(StaffMenu.home)


def menu_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Row(
                Button(Const(texts.STAFF_MY_DAY), id="today", on_click=bookings.today),
                Button(Const(texts.STAFF_MY_WEEK), id="week", on_click=bookings.this_week),
            ),
            Button(Const(texts.STAFF_BLOCK), id="block", on_click=close_time),
            state=StaffMenu.home,
            getter=home_getter,
        ),
        bookings.day_window(StaffMenu.day, back_home()),
        bookings.week_window(StaffMenu.week, back_home()),
        on_process_result=hours_done,
    )


async def not_staff(message: Message, staff_access: StaffAccessService) -> None:
    """/staff by someone not bound: a former specialist is told their access ended."""
    if await staff_access.ended(message.from_user.id):
        await message.answer(texts.STAFF_ACCESS_ENDED, reply_markup=keyboards.main_menu())
        return
    await message.answer(texts.STAFF_ONLY, reply_markup=keyboards.main_menu())


async def access_ended(query: CallbackQuery, staff_access: StaffAccessService) -> None:
    """A press on a specialist's screen that their screens did not take: access revoked (or
    the specialist deleted), or — still bound — an outdated screen."""
    ended = await staff_access.member(query.from_user.id) is None
    await query.answer(texts.STAFF_ACCESS_ENDED if ended else texts.STALE_BUTTON, show_alert=True)


def build_router() -> Router:
    own = Router(name="specialist-own")
    own.message.filter(F.chat.type == ChatType.PRIVATE)
    # cheap filters first: a customer's press or message never costs a database read here
    own.callback_query.filter(F.message.chat.type == ChatType.PRIVATE, OnStaffScreen(), IsStaff())
    own.message.register(open_menu, Command("staff"), IsStaff(on_screen=False))
    for dialog in (menu_dialog(), hours.own_block_dialog()):
        dialog.message.filter(AwaitingInput(STAFF_INPUTS), IsStaff())
        dialog.callback_query.filter(DialogButton())
        own.include_router(dialog)

    others = Router(name="specialist-others")
    others.message.register(not_staff, Command("staff"))
    others.callback_query.register(access_ended, OnStaffScreen())
    others.message.register(_ended_input, AwaitingInput(STAFF_INPUTS))

    parent = Router(name="specialist")
    parent.include_routers(own, others)
    return parent


async def _ended_input(message: Message) -> None:
    """Text typed for a specialist's question by someone no longer bound."""
    await message.answer(texts.STAFF_ACCESS_ENDED, reply_markup=keyboards.main_menu())
