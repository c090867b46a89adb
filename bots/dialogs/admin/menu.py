"""The owner's /admin menu: the salon's name, the setup progress, the sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.types import Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Row, Start
from aiogram_dialog.widgets.text import Const, Format

from bots import texts
from bots.dialogs.draft import BookingDraft
from bots.dialogs.states import (
    ADMIN_STATES,
    AdminBookings,
    AdminClients,
    AdminMenu,
    AdminReports,
    AdminServices,
    AdminSettings,
    AdminStaff,
    BookingSG,
)

if TYPE_CHECKING:
    from bots.services import SalonService


async def open_admin(message: Message, dialog_manager: DialogManager) -> None:
    """/admin: the menu as a new message, from anywhere. Earlier screens stay as they are (as
    before the dialogs); their buttons are outdated now and say so when pressed."""
    dialog_manager.current_stack().last_message_id = None  # send anew, leave the old one be
    await dialog_manager.start(AdminMenu.home, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


def in_admin(manager: DialogManager) -> bool:
    """The open dialog, if any, is one of the owner's: /admin and its sections, or the booking
    screens the owner runs for a client («📝 Записать клиента»)."""
    if not manager.has_context():
        return False
    return manager.current_context().state in ADMIN_STATES or BookingDraft.of(manager).for_client


async def home_getter(salon: SalonService, **_: Any) -> dict[str, Any]:
    settings = await salon.settings()
    progress = await salon.setup_progress()
    extra = ""
    if not progress["ready"]:
        extra = texts.ADMIN_PROGRESS.format(
            services="✅" if progress["services"] else "⬜",
            staff="✅" if progress["staff"] else "⬜",
            ready="✅" if progress["ready"] else "⬜",
        )
    return {"text": texts.ADMIN_HOME.format(company=settings.company_name, progress=extra)}


def dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Row(
                Start(Const(texts.ADMIN_BOOKINGS), id="bookings", state=AdminBookings.pick),
                Start(
                    Const(texts.ADMIN_BOOK_CLIENT),
                    id="book",
                    state=BookingSG.service,
                    data={"for_client": True},
                ),
            ),
            Row(
                Start(Const(texts.ADMIN_SERVICES), id="services", state=AdminServices.list),
                Start(Const(texts.ADMIN_STAFF), id="staff", state=AdminStaff.list),
            ),
            Row(
                Start(Const(texts.ADMIN_CLIENTS), id="clients", state=AdminClients.search),
                Start(Const(texts.ADMIN_STATS), id="stats", state=AdminReports.stats),
            ),
            Start(Const(texts.ADMIN_SETTINGS), id="settings", state=AdminSettings.list),
            state=AdminMenu.home,
            getter=home_getter,
        )
    )
