"""The owner's /admin as dialogs: menu, services, staff, hours, bookings, settings, reports.

Only the tenant's `admin_telegram_id`, in the private chat with the bot, opens them or presses
their buttons (the screens show customers' phones). Anyone else typing /admin gets the
customers' menu; a crafted or forwarded admin button finds no dialog of theirs and is
answered as outdated.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from bots import keyboards, texts
from bots.dialogs.admin import (
    bookings,
    clients,
    hours,
    menu,
    reports,
    services,
    settings,
    staff,
)
from bots.dialogs.admin.common import AwaitingInput, DialogButton, IsOwner

DIALOGS = (menu, services, staff, hours, bookings, clients, settings, reports)


async def not_in_private(message: Message) -> None:
    await message.answer(texts.ADMIN_PRIVATE_ONLY)


async def not_owner(message: Message) -> None:
    await message.answer(texts.ADMIN_ONLY, reply_markup=keyboards.main_menu())


def build_router() -> Router:
    owner = Router(name="admin-owner")
    owner.message.filter(IsOwner(), F.chat.type == ChatType.PRIVATE)
    owner.callback_query.filter(IsOwner(), F.message.chat.type == ChatType.PRIVATE)
    owner.message.register(menu.open_admin, Command("admin"))
    for module in DIALOGS:
        dialog = module.dialog()
        dialog.message.filter(AwaitingInput())
        dialog.callback_query.filter(DialogButton())
        owner.include_router(dialog)

    others = Router(name="admin-others")
    others.message.register(not_in_private, Command("admin"), F.chat.type != ChatType.PRIVATE)
    others.message.register(not_owner, Command("admin"))

    parent = Router(name="admin")
    parent.include_router(owner)
    parent.include_router(others)
    return parent
