"""/pool, /stats, /grow and the release and grow confirmations."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from master import keyboards, texts, views
from master.callbacks import PoolAction, PoolCallback
from master.services import PoolService
from pool.manager import PoolError
from pool.scaler import ScalerError


async def ask_release(message: Message, pool: PoolService, pool_id: int) -> None:
    """The confirmation to release slot `pool_id` (from /pool or from a client's card)."""
    slot = await pool.slot(pool_id)
    if slot is None:
        await message.answer(texts.STALE_BUTTON)
        return
    client = f" ({slot['client_id']}, @{slot['bot_username']})" if slot["client_id"] else ""
    await message.answer(
        texts.CONFIRM_RELEASE.format(slot=slot["container_id"], client=client),
        reply_markup=keyboards.confirm(
            PoolAction.RELEASE_DO, texts.BTN_CONFIRM_RELEASE, slot=pool_id
        ),
    )


def build_router(*, alert_threshold: float) -> Router:
    router = Router(name="pool")

    async def pool_screen(pool: PoolService):
        status = await pool.status()
        markup = keyboards.pool_screen(
            status, can_grow=pool.scaler is not None, grow_step=pool.grow_step
        )
        return views.pool_text(status), markup

    @router.message(CommandStart())
    @router.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer(texts.HELP.format(threshold=round(alert_threshold * 100)))

    @router.message(Command("pool"))
    async def show_pool(message: Message, pool: PoolService) -> None:
        text, markup = await pool_screen(pool)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.REFRESH))
    async def refresh(query: CallbackQuery, pool: PoolService) -> None:
        text, markup = await pool_screen(pool)
        await query.answer()
        if text != query.message.text:
            await query.message.edit_text(text, reply_markup=markup)

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.RELEASE_ASK))
    async def release_ask(query: CallbackQuery, callback_data: PoolCallback, pool: PoolService):
        await query.answer()
        await ask_release(query.message, pool, callback_data.slot)

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.RELEASE_DO))
    async def release_do(query: CallbackQuery, callback_data: PoolCallback, pool: PoolService):
        await query.answer()
        slot = f"booking-bot-pool-{callback_data.slot}"
        try:
            result = await pool.release(callback_data.slot)
        except PoolError as exc:
            await query.message.edit_text(texts.RELEASE_FAILED.format(slot=slot, error=exc))
            return
        if not result["released"]:
            await query.message.edit_text(texts.RELEASE_NOTHING.format(slot=slot))
            return
        client = f" ({result['client_id']})" if result["client_id"] else ""
        await query.message.edit_text(texts.RELEASED.format(slot=slot, client=client))

    @router.message(Command("grow"))
    async def grow_command(message: Message, command: CommandObject, pool: PoolService) -> None:
        if pool.scaler is None:
            await message.answer(texts.GROW_OFF)
            return
        arg = (command.args or "").strip()
        if not arg.isdigit() or not 1 <= int(arg) <= pool.max_size:
            await message.answer(texts.GROW_USAGE.format(max=pool.max_size))
            return
        await ask_grow(message, pool, int(arg))

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.GROW_ASK))
    async def grow_button(query: CallbackQuery, callback_data: PoolCallback, pool: PoolService):
        await query.answer()
        if pool.scaler is None:
            await query.message.answer(texts.GROW_OFF)
            return
        await ask_grow(query.message, pool, callback_data.n)

    async def ask_grow(message: Message, pool: PoolService, n: int) -> None:
        try:
            size = await pool.scaler.size()
        except ScalerError as exc:
            await message.answer(texts.GROW_FAILED.format(error=exc))
            return
        await message.answer(
            texts.CONFIRM_GROW.format(n=n, size=size, max=pool.max_size),
            reply_markup=keyboards.confirm(PoolAction.GROW_DO, texts.BTN_CONFIRM_GROW, n=n),
        )

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.GROW_DO))
    async def grow_do(query: CallbackQuery, callback_data: PoolCallback, pool: PoolService):
        await query.answer()
        try:
            result = await pool.grow(callback_data.n)
        except ScalerError as exc:
            await query.message.edit_text(texts.GROW_FAILED.format(error=exc))
            return
        added = ", ".join(str(n) for n in result.added)
        await query.message.edit_text(texts.GROWN.format(added=added, size=result.size_after))

    @router.callback_query(PoolCallback.filter(F.action == PoolAction.CANCEL))
    async def cancel(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.edit_text(texts.CANCELLED)

    @router.message(Command("stats"))
    async def stats(message: Message, pool: PoolService) -> None:
        await message.answer(views.stats_text(await pool.stats(), await pool.status()))

    return router
