"""/clients, /client and /extend: each opens the clients dialog (`master.dialogs.clients`) at
its screen; the buttons live there."""

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram_dialog import DialogManager

from master import texts
from master.dialogs.clients import open_clients
from master.dialogs.common import CardAction

_CLIENT_ARG = re.compile(r"^(?:client_)?([0-9]{1,9})$")


def client_id_of(value: str) -> str | None:
    """`client_003`, `003` or `3` → `client_003`; None when it is not a client id."""
    match = _CLIENT_ARG.fullmatch(value.strip().lower())
    if match is None:
        return None
    digits = match.group(1)
    return f"client_{digits if len(digits) >= 3 else digits.zfill(3)}"


def build_router() -> Router:
    router = Router(name="clients")

    @router.message(Command("clients"))
    async def clients_command(
        message: Message, command: CommandObject, dialog_manager: DialogManager
    ):
        arg = (command.args or "").strip()
        await open_clients(dialog_manager, page=int(arg) - 1 if arg.isdigit() else 0)

    @router.message(Command("client"))
    async def client_command(
        message: Message, command: CommandObject, dialog_manager: DialogManager
    ):
        client_id = client_id_of(command.args or "")
        if client_id is None:
            await message.answer(texts.CLIENT_USAGE)
            return
        await open_clients(dialog_manager, client_id=client_id)

    @router.message(Command("extend"))
    async def extend_command(
        message: Message, command: CommandObject, dialog_manager: DialogManager
    ):
        parts = (command.args or "").split()
        client_id = client_id_of(parts[0]) if len(parts) == 2 else None
        if client_id is None or not parts[1].isdigit() or not 1 <= int(parts[1]) <= 3650:
            await message.answer(texts.EXTEND_USAGE)
            return
        await open_clients(
            dialog_manager, client_id=client_id, action=CardAction.EXTEND, days=int(parts[1])
        )

    return router
