"""/start (and a specialist's invite, /start staff-<token>), the main menu, «О нас», /help,
/cancel."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from bots import keyboards, menu, texts
from bots.callbacks import MenuAction, MenuCallback
from bots.context import TenantContext
from bots.dialogs import specialist
from bots.dialogs.admin.menu import in_admin, open_admin
from bots.dialogs.common import leave, show_menu
from bots.errors import AlreadyStaff, InviteInvalid
from bots.services import CustomerService, SalonService, StaffAccessService
from bots.services.staff_access import INVITE_PREFIX


def build_router() -> Router:
    router = Router(name="start")

    @router.message(
        CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)),
        F.chat.type == ChatType.PRIVATE,
    )
    async def accept_invite(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        dialog_manager: DialogManager,
        staff_access: StaffAccessService,
        salon: SalonService,
        tenant: TenantContext,
    ) -> None:
        """A specialist's invite link: bind this Telegram user to the specialist, once."""
        await state.clear()
        await leave(dialog_manager)
        user = message.from_user
        try:
            me = await staff_access.accept(command.args, user.id)
        except AlreadyStaff as taken:
            await message.answer(texts.INVITE_TAKEN.format(name=taken.name))
            return
        except InviteInvalid:
            await message.answer(texts.INVITE_INVALID, reply_markup=keyboards.main_menu())
            return
        await menu.staff_menu(message.bot, user.id, tenant.admin_telegram_id)
        company = (await salon.settings()).company_name
        await message.answer(texts.STAFF_WELCOME.format(company=company, name=me.name))
        await specialist.open_menu(message, dialog_manager, me)

    @router.message(CommandStart())
    async def start(
        message: Message,
        state: FSMContext,
        dialog_manager: DialogManager,
        customers: CustomerService,
        salon: SalonService,
        staff_access: StaffAccessService,
    ) -> None:
        await state.clear()
        await leave(dialog_manager)
        user = message.from_user
        is_owner = await customers.greet(user.id, user.first_name, user.username)
        settings = await customers.settings()
        text = texts.GREETING.format(company=settings.company_name)
        is_staff = await staff_access.member(user.id) is not None
        if is_owner:
            # Telegram takes it once the chat exists
            await menu.owner_menu(message.bot, user.id, staff=is_staff)
            if not await salon.is_ready() and await salon.claim_owner_greeting():
                text += "\n\n" + texts.SETUP_GUIDE.format(company=settings.company_name)
            else:
                text += "\n\n" + texts.OWNER_GREETING
        if is_staff:
            text += "\n\n" + texts.STAFF_HINT
        await message.answer(text, reply_markup=keyboards.main_menu())

    @router.message(Command("help"))
    async def help_(
        message: Message,
        customers: CustomerService,
        tenant: TenantContext,
        staff_access: StaffAccessService,
    ) -> None:
        settings = await customers.settings()
        text = texts.HELP.format(company=settings.company_name)
        if message.from_user.id == tenant.admin_telegram_id:
            text += texts.HELP_OWNER
        if await staff_access.member(message.from_user.id) is not None:
            text += texts.HELP_STAFF
        await message.answer(text)

    @router.message(Command("cancel"))
    async def cancel(
        message: Message,
        state: FSMContext,
        dialog_manager: DialogManager,
        staff_access: StaffAccessService,
    ) -> None:
        await state.clear()
        if in_admin(dialog_manager):  # the owner was in /admin: back to its menu
            await open_admin(message, dialog_manager)
            return
        if specialist.on_staff_screen(dialog_manager):  # a specialist: back to /staff
            me = await staff_access.member(message.from_user.id)
            if me is not None:
                await specialist.open_menu(message, dialog_manager, me)
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
