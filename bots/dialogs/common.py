"""What every dialog of the tenant bot shares: the one answer to an outdated button, the
message manager (a handler may answer a press itself; old screens stay as they were), and
the customer's shared pieces: the time codec of widget ids, choice lists, the navigation
row, message inputs for "a button was expected"."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from aiogram import Bot, F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode
from aiogram_dialog.api.entities import OldMessage
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.utils import remove_intent_id
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Keyboard, Row, Select
from aiogram_dialog.widgets.text import Const, Format
from loguru import logger

from bots import keyboards, notify, texts
from bots.repository import BookingRow
from bots.services import BookingService, CustomerService

# a button of a dialog that is closed, replaced or someone else's
STALE_DIALOG_ERRORS = (UnknownIntent, UnknownState, OutdatedIntent)


class AnsweringMessageManager(MessageManager):
    """aiogram-dialog answers every button press after its handler ran. A handler that
    answered it itself (through `answer`) is not answered twice: Telegram refuses that."""

    LIMIT = 1000  # ids kept for presses whose dialog failed before aiogram-dialog answered

    def __init__(self) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()

    def answered(self, query_id: str) -> None:
        self._answered[query_id] = None
        while len(self._answered) > self.LIMIT:
            self._answered.popitem(last=False)

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        if callback_query.id in self._answered:
            del self._answered[callback_query.id]
            return
        await super().answer_callback(bot, callback_query)


async def answer(
    callback: CallbackQuery, manager: DialogManager, text: str, *, alert: bool = False
) -> None:
    """Answer the press with `text` (a notice, or an alert the user must close)."""
    await callback.answer(text, show_alert=alert)
    message_manager = getattr(manager, "message_manager", None)
    if isinstance(message_manager, AnsweringMessageManager):
        message_manager.answered(callback.id)


async def on_stale_dialog(event: ErrorEvent, dialog_manager: DialogManager | None = None) -> None:
    """A button (or a reply to a message) of a dialog that no longer exists: say so and offer
    the start, as the bot does for any outdated button. A screen this version no longer has
    (UnknownState) also closes the user's dialogs, so that /start works again."""
    if isinstance(event.exception, UnknownState) and dialog_manager is not None:
        await leave(dialog_manager)
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)
    elif update.message is not None:
        await update.message.answer(texts.STALE_BUTTON, reply_markup=keyboards.main_menu())


# --- the customer's dialogs ----------------------------------------------------------------

# a command typed while a dialog waits for text is a command (handled by its router)
NOT_COMMAND = F.func(lambda message: not (message.text or "").startswith("/"))

# Telegram allows 100 buttons per keyboard: at most 30 days and 96 times, plus navigation.
MAX_DAYS = 30
MAX_TIMES = 96


# --- times in widget ids and dialog data: one codec ----------------------------------------


def time_id(moment: datetime) -> int:
    """A start time as whole minutes since the epoch (UTC): short, and an int for JSON."""
    return int(moment.timestamp()) // 60


def time_at(value: int) -> datetime:
    return datetime.fromtimestamp(value * 60, UTC)


# --- services from the Dispatcher's workflow data ------------------------------------------


def booking_of(manager: DialogManager) -> BookingService:
    return manager.middleware_data["booking"]


def customers_of(manager: DialogManager) -> CustomerService:
    return manager.middleware_data["customers"]


def user_id(manager: DialogManager) -> int:
    return manager.event.from_user.id


# --- notices to the salon ------------------------------------------------------------------


async def tell_salon(manager: DialogManager, b: BookingRow, owner: str | None, staff: str) -> None:
    """Tell the salon of a change to booking `b`: the owner gets `owner` (None: the owner made
    the change), the Telegram user bound to the booking's specialist gets `staff` — one notice
    per person (an owner who is also the specialist gets the owner's), none to whoever made the
    change. Called after the change is saved: a notice that cannot be delivered is logged and
    never undoes nor blocks it."""
    bot, tenant = manager.middleware_data["bot"], manager.middleware_data["tenant"]
    told = {user_id(manager)}
    try:
        if owner is not None:
            told.add(tenant.admin_telegram_id)
            await notify.send(bot, tenant.admin_telegram_id, owner)
        specialist = await manager.middleware_data["staff_access"].telegram_of(b.staff_id)
        if specialist is None or specialist in told:
            return
        if not await notify.send(bot, specialist, staff):
            logger.info("specialist's notice of booking {} not delivered", b.id)
    except Exception:  # the customer's (or the owner's) action stands; the log says what failed
        logger.exception("notice of booking {} failed", b.id)


# --- widgets -------------------------------------------------------------------------------

OnChoice = Callable[[CallbackQuery, Any, DialogManager, int], Awaitable[None]]


def choices(widget_id: str, items: str, on_click: OnChoice, width: int | None = None) -> Keyboard:
    """Buttons of `(label, id)` pairs from the getter's `items`; `width` per row, else one."""
    select = Select(
        Format("{item[0]}"),
        id=widget_id,
        item_id_getter=itemgetter(1),
        items=items,
        type_factory=int,
        on_click=on_click,
    )
    return Group(select, width=width) if width else Column(select)


async def show_menu(message: Message, customers: CustomerService) -> None:
    """The main menu in place of `message` (the screen a «Главное меню» button was on)."""
    settings = await customers.settings()
    await message.edit_text(
        texts.MENU_TITLE.format(company=settings.company_name), reply_markup=keyboards.main_menu()
    )


async def go_home(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await leave(manager)
    await show_menu(callback.message, customers_of(manager))


def home() -> Button:
    return Button(Const(texts.HOME), id="home", on_click=go_home)


def nav(back: Keyboard | None = None, when: Any = None) -> Row:
    """The last row of a screen: «Назад» (if any) and «Главное меню»."""
    return Row(*([back] if back else []), home(), when=when)


async def leave(manager: DialogManager) -> None:
    """The customer left the flow: its buttons are stale from now on; the screen stays."""
    await manager.reset_stack(remove_keyboard=False)


async def alert(
    callback: CallbackQuery, manager: DialogManager, text: str, *, refresh: bool = False
) -> None:
    """Answer a button with an alert; the screen stays as it is unless `refresh`."""
    if not refresh:
        manager.show_mode = ShowMode.NO_UPDATE
    await answer(callback, manager, text, alert=True)


# --- message inputs ------------------------------------------------------------------------


async def _pass_on(message: Message, _: MessageInput, manager: DialogManager) -> None:
    raise SkipHandler  # the bot's other routers answer it (a command, or «не понял»)


async def _expect_button(message: Message, _: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.NO_UPDATE
    await message.answer(texts.INPUT_EXPECTED_BUTTON)


PASS_ON = MessageInput(_pass_on)
EXPECT_BUTTON = (MessageInput(_expect_button, filter=NOT_COMMAND), PASS_ON)


def only_own_buttons(dialog: Dialog) -> Dialog:
    """A dialog takes only its own buttons: a menu or reminder button pressed while a dialog
    is open goes to its handler (routers before the dialogs), an unknown one to the stale
    answer (the fallback router), never to the open screen."""
    dialog.callback_query.filter(F.data.func(lambda data: remove_intent_id(data)[0] is not None))
    return dialog


class KeepScreens(AnsweringMessageManager):
    """Old screens stay as the customer saw them: a new screen never deletes the previous
    message nor strips its buttons (a pressed old button is answered as stale). The reply
    keyboard of the phone question is removed by the answer that ends the input."""

    async def remove_inline_kbd(self, bot, old_message: OldMessage | None) -> None:
        return None

    async def remove_reply_kbd(self, bot, old_message: OldMessage | None) -> None:
        return None

    async def remove_message_safe(self, bot, old_message: OldMessage, new_message) -> None:
        return None
