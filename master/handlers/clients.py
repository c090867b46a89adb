"""/clients, /client, /extend and the client actions, each with a confirmation step."""

import re
from uuid import UUID

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from master import keyboards, texts, views
from master.callbacks import ClientAction, ClientCallback
from master.services import ClientActionError, ClientService

_CLIENT_ARG = re.compile(r"^(?:client_)?([0-9]{1,9})$")


def client_id_of(value: str) -> str | None:
    """`client_003`, `003` or `3` → `client_003`; None when it is not a client id."""
    match = _CLIENT_ARG.fullmatch(value.strip().lower())
    if match is None:
        return None
    digits = match.group(1)
    return f"client_{digits if len(digits) >= 3 else digits.zfill(3)}"


def error_text(exc: ClientActionError) -> str:
    return "❌ " + texts.CLIENT_ERRORS.get(exc.code, exc.code).format(detail=exc.detail)


def build_router() -> Router:
    router = Router(name="clients")

    async def send_page(message: Message, clients: ClientService, page: int, *, edit: bool):
        rows, page, pages, total = await clients.page(page)
        text = views.clients_text(rows, page, pages, total)
        markup = keyboards.clients_page(rows, page, pages)
        if edit:
            await message.edit_text(text, reply_markup=markup)
        else:
            await message.answer(text, reply_markup=markup)

    async def show_card(message: Message, clients: ClientService, client_id: str, *, edit: bool):
        card = await clients.card(client_id)
        if card is None:
            text, markup = texts.CLIENT_NOT_FOUND.format(client_id=client_id), None
        else:
            text, markup = views.client_card_text(card), keyboards.client_card(card)
        if edit:
            await message.edit_text(text, reply_markup=markup)
        else:
            await message.answer(text, reply_markup=markup)

    @router.message(Command("clients"))
    async def clients_command(message: Message, command: CommandObject, clients: ClientService):
        arg = (command.args or "").strip()
        page = int(arg) - 1 if arg.isdigit() else 0
        await send_page(message, clients, page, edit=False)

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.LIST))
    async def clients_button(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        await send_page(query.message, clients, callback_data.n, edit=True)

    @router.message(Command("client"))
    async def client_command(message: Message, command: CommandObject, clients: ClientService):
        client_id = client_id_of(command.args or "")
        if client_id is None:
            await message.answer(texts.CLIENT_USAGE)
            return
        await show_card(message, clients, client_id, edit=False)

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.SHOW))
    async def client_button(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        await show_card(query.message, clients, f"client_{callback_data.client}", edit=True)

    @router.message(Command("extend"))
    async def extend_command(message: Message, command: CommandObject):
        parts = (command.args or "").split()
        client_id = client_id_of(parts[0]) if len(parts) == 2 else None
        if client_id is None or not parts[1].isdigit() or not 1 <= int(parts[1]) <= 3650:
            await message.answer(texts.EXTEND_USAGE)
            return
        await ask(message, ClientAction.EXTEND_DO, client_id, n=int(parts[1]))

    async def ask(
        message: Message, action: ClientAction, client_id: str, *, n: int = 0, order: str = ""
    ):
        template = {
            ClientAction.EXTEND_DO: texts.CONFIRM_EXTEND,
            ClientAction.SUSPEND_DO: texts.CONFIRM_SUSPEND,
            ClientAction.RESUME_DO: texts.CONFIRM_RESUME,
            ClientAction.RESEND_DO: texts.CONFIRM_RESEND,
        }[action]
        await message.answer(
            template.format(client_id=client_id, days=n, short=order[:8]),
            reply_markup=keyboards.client_confirm(
                action, client=keyboards.digits(client_id), n=n, order=order
            ),
        )

    @router.callback_query(
        ClientCallback.filter(
            F.action.in_(
                {
                    ClientAction.EXTEND_ASK,
                    ClientAction.SUSPEND_ASK,
                    ClientAction.RESUME_ASK,
                    ClientAction.RESEND_ASK,
                }
            )
        )
    )
    async def ask_button(query: CallbackQuery, callback_data: ClientCallback):
        await query.answer()
        do = {
            ClientAction.EXTEND_ASK: ClientAction.EXTEND_DO,
            ClientAction.SUSPEND_ASK: ClientAction.SUSPEND_DO,
            ClientAction.RESUME_ASK: ClientAction.RESUME_DO,
            ClientAction.RESEND_ASK: ClientAction.RESEND_DO,
        }[callback_data.action]
        await ask(
            query.message,
            do,
            f"client_{callback_data.client}",
            n=callback_data.n,
            order=callback_data.order,
        )

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.EXTEND_DO))
    async def extend_do(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        client_id = f"client_{callback_data.client}"
        try:
            ends_at, started = await clients.extend(client_id, callback_data.n)
        except ClientActionError as exc:
            await query.message.edit_text(error_text(exc))
            return
        text = texts.EXTENDED.format(client_id=client_id, date=ends_at.strftime("%d.%m.%Y"))
        if started is not None:
            text += texts.EXTENDED_STARTED.format(slot=started.slot, bot=started.bot_username)
        await query.message.edit_text(text)

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.SUSPEND_DO))
    async def suspend_do(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        client_id = f"client_{callback_data.client}"
        try:
            slot = await clients.suspend(client_id)
        except ClientActionError as exc:
            await query.message.edit_text(error_text(exc))
            return
        await query.message.edit_text(
            texts.SUSPENDED.format(
                client_id=client_id, slot=f", слот {slot} освобождён" if slot else ""
            )
        )

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.RESUME_DO))
    async def resume_do(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        client_id = f"client_{callback_data.client}"
        try:
            started = await clients.resume(client_id)
        except ClientActionError as exc:
            await query.message.edit_text(error_text(exc))
            return
        extra = (
            texts.RESUMED_STARTED.format(slot=started.slot, bot=started.bot_username)
            if started
            else ""
        )
        await query.message.edit_text(texts.RESUMED.format(client_id=client_id, started=extra))

    @router.callback_query(ClientCallback.filter(F.action == ClientAction.RESEND_DO))
    async def resend_do(
        query: CallbackQuery, callback_data: ClientCallback, clients: ClientService
    ):
        await query.answer()
        try:
            order_id = UUID(hex=callback_data.order)
            client_id = await clients.resend_order(order_id)
        except ValueError:
            await query.message.edit_text(texts.STALE_BUTTON)
            return
        except ClientActionError as exc:
            await query.message.edit_text(error_text(exc))
            return
        await query.message.edit_text(
            texts.RESENT.format(short=callback_data.order[:8], client_id=client_id or "—")
        )

    return router
