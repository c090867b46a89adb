"""/start and the main menu."""

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.callbacks import MenuAction, MenuCallback
from bots.context import TenantContext
from bots.services import CustomerService


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, tenant: TenantContext, customers: CustomerService) -> None:
        user = message.from_user
        is_owner = await customers.greet(user.id, user.first_name, user.username)
        text = texts.GREETING.format(company=tenant.company_name)
        if is_owner:
            text += "\n\n" + texts.OWNER_GREETING.format(company=tenant.company_name)
        await message.answer(text, reply_markup=keyboards.main_menu())

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.ABOUT))
    async def about(query: CallbackQuery, tenant: TenantContext) -> None:
        await query.answer()
        await query.message.answer(texts.ABOUT.format(company=tenant.company_name))

    @router.callback_query(MenuCallback.filter())
    async def section_soon(query: CallbackQuery) -> None:
        await query.answer(texts.SECTION_SOON, show_alert=True)

    return router
