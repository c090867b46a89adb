"""The owner's specialists: the list, a card (services, hours, exceptions), add, delete, and
the services each one does; inviting a specialist into the bot by a one-time link, and revoking
that access. Hours and exceptions are typed in the hours dialog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import menu, texts, views
from bots.dialogs.admin import affected, common, reopen
from bots.dialogs.admin.hours import HoursStart
from bots.dialogs.common import answer
from bots.dialogs.states import AdminBookings, AdminHours, AdminStaff
from bots.errors import NotAllowed
from bots.parsing import InputError
from bots.services.staff_access import INVITE_TTL
from bots.views import fmt_interval, week_lines
from core.text import clean_text

if TYPE_CHECKING:
    from bots.services import CatalogueService, ScheduleService, StaffAccessService

MAX_EXCEPTION_BUTTONS = 10


@dataclass
class StaffDraft(common.Draft):
    staff_id: int = 0
    exception_day: int = 0  # yyyymmdd of the exception being deleted
    block_id: int = 0  # the blocked range being opened again


REOPENING = reopen.Reopening(
    StaffDraft, AdminStaff.card, exception=AdminStaff.unexcept, block=AdminStaff.unblock
)


async def list_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    items = await catalogue.staff()
    text = texts.STAFF_TITLE.format(count=len(items)) if items else texts.STAFF_EMPTY
    return {"text": common.take_note(dialog_manager, StaffDraft) + text, "staff": items}


async def card_getter(
    dialog_manager: DialogManager,
    catalogue: CatalogueService,
    schedule: ScheduleService,
    staff_access: StaffAccessService,
    **_: Any,
) -> dict[str, Any]:
    staff_id = common.draft(dialog_manager, StaffDraft).staff_id
    member = await catalogue.staff_member(staff_id)
    access = await staff_access.access(staff_id)
    if member is None or access is None:
        return {"text": texts.ADMIN_STALE, "found": False, "exceptions": []}
    services, selected = await catalogue.staff_services(staff_id)
    week, exceptions = await schedule.schedule(staff_id)
    exc_text = ""
    if exceptions:
        exc_text = texts.EXCEPTIONS_TITLE + "\n".join(
            f"{views.day_label(d)}: "
            + (", ".join(fmt_interval(i) for i in intervals) or texts.DAY_OFF)
            for d, intervals in sorted(exceptions.items())
        )
    text = texts.STAFF_CARD.format(
        name=member.name,
        services=", ".join(s.name for s in services if s.id in selected) or texts.NONE,
        week="\n".join(week_lines(week)),
        exceptions=exc_text,
    )
    buttons = [
        (views.day_id(d), f"🗑 {views.day_label(d)}")
        for d in sorted(exceptions)[:MAX_EXCEPTION_BUTTONS]
    ]
    blocks = await schedule.blocks(staff_id)
    tz = (await common.salon(dialog_manager).settings()).tz
    if blocks:
        text += texts.BLOCKS_TITLE + "\n".join(
            texts.BLOCK_LINE.format(
                **reopen.block_words(k, tz), note=f" — {k.note}" if k.note else ""
            )
            for k in blocks
        )
    if access.connected_at is None:
        text += texts.STAFF_NOT_CONNECTED
    else:
        text += texts.STAFF_CONNECTED.format(since=views.when(access.connected_at, tz))
    return {
        "text": common.take_note(dialog_manager, StaffDraft) + text,
        "found": True,
        "connected": access.connected_at is not None,
        "invitable": access.connected_at is None,
        "exceptions": buttons,
        "blocks": [
            (k.id, texts.BLOCK_DELETE_BTN.format(**reopen.block_words(k, tz)))
            for k in blocks[:MAX_EXCEPTION_BUTTONS]
        ],
    }


async def services_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    member = await catalogue.staff_member(common.draft(dialog_manager, StaffDraft).staff_id)
    if member is None:
        return {"text": texts.ADMIN_STALE, "services": []}
    services, selected = await catalogue.staff_services(member.id)
    text = texts.STAFF_SERVICES_TITLE.format(name=member.name)
    if not services:
        text += "\n\n" + texts.NO_SERVICES_YET
    marked = [(s.id, f"{'✅' if s.id in selected else '▫️'} {s.name}") for s in services]
    return {"text": text, "services": marked}


async def open_card(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, staff_id: int
) -> None:
    if await common.catalogue(manager).staff_member(staff_id) is None:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    await common.go(manager, AdminStaff.card, StaffDraft, staff_id=staff_id)


def _staff_name(text: str) -> str:
    name = clean_text(text)
    if not 1 <= len(name) <= 100 or name.startswith("/"):
        raise InputError(texts.STAFF_NAME_INVALID)
    return name


async def on_name(message: Message, _widget: Any, manager: DialogManager) -> None:
    name = await common.parsed(message, manager, _staff_name)
    if name is None:
        return
    staff_id = await common.catalogue(manager).add_staff(name)
    note = texts.STAFF_SAVED.format(name=name)
    await common.go(manager, AdminStaff.card, StaffDraft, staff_id=staff_id, note=note)


async def _member_name(manager: DialogManager, staff_id: int) -> str | None:
    member = await common.catalogue(manager).staff_member(staff_id)
    return member.name if member else None


async def _listed(manager: DialogManager, note: str) -> None:
    await common.go(manager, AdminStaff.list, StaffDraft, note=note)


def _access(manager: DialogManager) -> StaffAccessService:
    return manager.middleware_data["staff_access"]


async def _deactivate(manager: DialogManager, staff_id: int) -> bool:
    """Delete the specialist; their access to the bot ends with it (their menu too)."""
    had = await _access(manager).telegram_of(staff_id)
    if not await common.catalogue(manager).delete_staff(staff_id):
        return False
    if had is not None:
        await _menu_back(manager, had)
    return True


async def _menu_back(manager: DialogManager, user: int) -> None:
    owner = manager.middleware_data["tenant"].admin_telegram_id
    await menu.default_menu(manager.middleware_data["bot"], user, owner)


DELETION = affected.Deletion(
    ask=texts.STAFF_DELETE_ASK,
    done=texts.STAFF_DELETED,
    owns="staff_id",
    chosen=lambda manager: common.draft(manager, StaffDraft).staff_id,
    name=_member_name,
    deactivate=_deactivate,
    listed=_listed,
    ask_move=texts.STAFF_MOVE_ASK,
)


async def invite(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """A new one-time link for the specialist, sent as its own message for the owner to
    forward; the card again under it, saying so."""
    staff_id = common.draft(manager, StaffDraft).staff_id
    member = await common.catalogue(manager).staff_member(staff_id)
    if member is None:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    try:
        payload = await _access(manager).invite(staff_id)
    except NotAllowed:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    bot = manager.middleware_data["bot"]
    company = (await common.salon(manager).settings()).company_name
    link = f"https://t.me/{(await bot.me()).username}?start={payload}"
    days = INVITE_TTL.days
    await callback.message.answer(
        texts.STAFF_INVITE.format(company=company, name=member.name, link=link, days=days)
    )
    common.keep(manager, StaffDraft, note=texts.STAFF_INVITE_SENT)
    manager.show_mode = ShowMode.SEND  # the card again, under the link


async def revoke_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    member = await catalogue.staff_member(common.draft(dialog_manager, StaffDraft).staff_id)
    return {"text": texts.STAFF_REVOKE_ASK.format(name=member.name if member else "—")}


async def revoke(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    staff_id = common.draft(manager, StaffDraft).staff_id
    had = await _access(manager).revoke(staff_id)
    if had is not None:
        await _menu_back(manager, had)
    await common.go(manager, AdminStaff.card, StaffDraft, note=texts.STAFF_REVOKED)


async def toggle(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, service_id: int
) -> None:
    try:
        await common.catalogue(manager).toggle_staff_service(
            common.draft(manager, StaffDraft).staff_id, service_id
        )
    except NotAllowed:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)


async def calendar(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """The calendar (day, week, typed date) of this specialist alone."""
    staff_id = common.draft(manager, StaffDraft).staff_id
    await manager.start(AdminBookings.pick, data={"staff_id": staff_id})


async def _start_hours(manager: DialogManager, state) -> None:
    start = HoursStart(staff_id=common.draft(manager, StaffDraft).staff_id)
    await manager.start(state, data=start.as_data())


async def edit_week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _start_hours(manager, AdminHours.week)


async def add_exception(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _start_hours(manager, AdminHours.exception)


async def add_block(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _start_hours(manager, AdminHours.block)


async def hours_done(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """Back from the hours dialog: its note («Часы работы сохранены ✅») above the card."""
    common.keep(manager, StaffDraft, note=result or "")


def dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            common.named("st", "staff", open_card),
            SwitchTo(Const(texts.ADMIN_ADD_STAFF), id="add", state=AdminStaff.add),
            common.back_to_menu(),
            state=AdminStaff.list,
            getter=list_getter,
        ),
        Window(
            Format("{text}"),
            SwitchTo(
                Const(texts.STAFF_SERVICES_BTN), id="svs", state=AdminStaff.services, when="found"
            ),
            Button(Const(texts.STAFF_CALENDAR_BTN), id="cal", on_click=calendar, when="found"),
            Button(Const(texts.STAFF_HOURS_BTN), id="week", on_click=edit_week, when="found"),
            Button(Const(texts.STAFF_EXC_BTN), id="exc", on_click=add_exception, when="found"),
            common.choices("exd", "exceptions", REOPENING.ask_exception),
            Button(Const(texts.STAFF_BLOCK_BTN), id="blk", on_click=add_block, when="found"),
            common.choices("bkd", "blocks", REOPENING.ask_block),
            Button(Const(texts.STAFF_INVITE_BTN), id="inv", on_click=invite, when="invitable"),
            SwitchTo(
                Const(texts.STAFF_REVOKE_BTN), id="rvk", state=AdminStaff.revoke, when="connected"
            ),
            SwitchTo(Const(texts.DELETE), id="del", state=AdminStaff.delete, when="found"),
            common.back_to(AdminStaff.list),
            state=AdminStaff.card,
            getter=card_getter,
        ),
        Window(
            Format("{text}"),
            Button(Const(texts.STAFF_REVOKE_YES), id="yes", on_click=revoke),
            SwitchTo(Const(texts.STAFF_REVOKE_NO), id="no", state=AdminStaff.card),
            state=AdminStaff.revoke,
            getter=revoke_getter,
        ),
        Window(Const(texts.ASK_STAFF), *common.text_input(on_name), state=AdminStaff.add),
        Window(
            Format("{text}"),
            common.choices("tg", "services", toggle),
            common.back_to(AdminStaff.card),
            state=AdminStaff.services,
            getter=services_getter,
        ),
        affected.confirm_delete(DELETION, AdminStaff.delete, AdminStaff.card, AdminStaff.move),
        affected.confirm_move(DELETION, AdminStaff.move, AdminStaff.card),
        *REOPENING.windows(),
        on_process_result=hours_done,
    )
