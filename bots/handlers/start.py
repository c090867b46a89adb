"""/start, the main menu, «О нас», /help, /cancel."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from bots import keyboards, menu, texts
from bots.callbacks import MenuAction, MenuCallback
from bots.context import TenantContext
from bots.dialogs.admin.menu import in_admin, open_admin
from bots.dialogs.common import leave, show_menu
from bots.services import CustomerService, SalonService


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(
        message: Message,
        state: FSMContext,
        dialog_manager: DialogManager,
        customers: CustomerService,
        salon: SalonService,
    ) -> None:
        await state.clear()
        await leave(dialog_manager)
        user = message.from_user
        is_owner = await customers.greet(user.id, user.first_name, user.username)
        settings = await customers.settings()
        text = texts.GREETING.format(company=settings.company_name)
        if is_owner:
            await menu.owner_menu(message.bot, user.id)  # Telegram takes it once the chat exists
            if not await salon.is_ready() and await salon.claim_owner_greeting():
                text += "\n\n" + texts.SETUP_GUIDE.format(company=settings.company_name)
            else:
                text += "\n\n" + texts.OWNER_GREETING
        await message.answer(text, reply_markup=keyboards.main_menu())

    @router.message(Command("help"))
    async def help_(message: Message, customers: CustomerService, tenant: TenantContext) -> None:
        settings = await customers.settings()
        text = texts.HELP.format(company=settings.company_name)
        if message.from_user.id == tenant.admin_telegram_id:
            text += texts.HELP_OWNER
        await message.answer(text)

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, dialog_manager: DialogManager) -> None:
        await state.clear()
        if in_admin(dialog_manager):  # the owner was in /admin: back to its menu
            await open_admin(message, dialog_manager)
            return
        await leave(dialog_manager)
        await message.answer(texts.CANCELLED_INPUT, reply_markup=keyboards.remove_reply())

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.HOME))
    async def home(
        query: CallbackQuery,
        state: FSMContext,
        dialog_manager: DialogManager,
        customers: CustomerService,
    ) -> None:
        await state.clear()
        await leave(dialog_manager)
        await query.answer()
        await show_menu(query.message, customers)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.ABOUT))
    async def about(query: CallbackQuery, customers: CustomerService) -> None:
        settings = await customers.settings()
        lines = [texts.ABOUT_TITLE.format(company=settings.company_name)]
        if settings.description:
            lines.append(settings.description)
        if settings.address:
            lines.append(texts.ABOUT_ADDRESS.format(value=settings.address))
        if settings.phone:
            lines.append(texts.ABOUT_PHONE.format(value=settings.phone))
        if len(lines) == 1:
            lines.append(texts.ABOUT_EMPTY)
        await query.answer()
        await query.message.answer("\n\n".join(lines), reply_markup=keyboards.home_only())

    return router
