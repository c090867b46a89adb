"""Booking: service → specialist (or any) → day → time → name and phone → summary → confirm.

The reschedule of «Мои записи» runs the same day, time and summary screens (started at
`day` with `reschedule_id` in the draft). What the buttons do is in `booking_steps`; the
booking rules live in `BookingService`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.types import ContentType
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, RequestContact, Row, SwitchTo
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Const, Format, Multi

from bots import texts, views
from bots.callbacks import MenuAction, MenuCallback
from bots.dialogs import booking_steps as steps
from bots.dialogs.common import (
    EXPECT_BUTTON,
    MAX_DAYS,
    MAX_TIMES,
    NOT_COMMAND,
    PASS_ON,
    choices,
    nav,
    only_own_buttons,
    time_id,
    user_id,
)
from bots.dialogs.draft import BookingDraft
from bots.dialogs.states import BookingSG
from bots.services import BookingService
from core.localtime import zone_name


def day_choices(days: list[date]) -> list[tuple[str, int]]:
    return [(views.day_label(d), views.day_id(d)) for d in days[:MAX_DAYS]]


def time_choices(times: list[datetime], tz: ZoneInfo) -> list[tuple[str, int]]:
    return [(views.hhmm(t, tz), time_id(t)) for t in times[:MAX_TIMES]]


# --- getters: ask the service, hand the window its data ------------------------------------


async def _names(booking: BookingService, draft: BookingDraft) -> dict[str, str]:
    service = await booking.service(draft.service_id)
    staff_name = texts.ANY_STAFF
    if draft.staff_id:
        staff = await booking.staff_for(draft.service_id)
        staff_name = next((s.name for s in staff if s.id == draft.staff_id), "—")
    return {"service": service.name if service else "—", "staff": staff_name}


async def get_services(booking: BookingService, **_) -> dict:
    services = await booking.bookable_services()
    labels = [
        texts.SERVICE_BUTTON.format(name=s.name, duration=s.duration_min, price=s.price)
        for s in services
    ]
    return {"items": list(zip(labels, [s.id for s in services], strict=True))}


async def get_staff(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    draft = BookingDraft.of(dialog_manager)
    service = await booking.service(draft.service_id)
    staff = await booking.staff_for(draft.service_id) if service else []
    items = [(texts.ANY_STAFF, 0), *((s.name, s.id) for s in staff)]
    return {"items": items if staff else [], "service": service.name if service else "—"}


async def get_days(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    draft = BookingDraft.of(dialog_manager)
    days, settings = await booking.available_days(
        draft.service_id, draft.staff_id, draft.reschedule_id
    )
    return {
        "items": day_choices(days),
        "days": settings.horizon_days,
        "reschedule": bool(draft.reschedule_id),
        "taken": draft.taken,
        **await _names(booking, draft),
    }


async def get_times(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    draft = BookingDraft.of(dialog_manager)
    free = await booking.available_times(
        draft.service_id, draft.staff_id, draft.the_day, ignore=draft.reschedule_id
    )
    settings = await booking.settings()
    return {
        "items": time_choices(list(free), settings.tz),
        "taken": draft.taken,
        "day": views.day_long(draft.the_day),
        **await _names(booking, draft),
    }


async def get_question(dialog_manager: DialogManager, **_) -> dict:
    draft = BookingDraft.of(dialog_manager)
    return {
        "name": draft.name,
        "notice": draft.notice,
        "outcome": draft.outcome,
        "for_client": draft.for_client,
    }


async def get_summary(dialog_manager: DialogManager, booking: BookingService, **_) -> dict:
    draft = BookingDraft.of(dialog_manager)
    settings = await booking.settings()
    when = views.when(draft.starts_at, settings.tz)
    zone = zone_name(settings.tz)  # named where a time is agreed: the salon's, not the reader's
    if draft.reschedule_id:
        old = await booking.customer_booking(user_id(dialog_manager), draft.reschedule_id)
        return {
            "reschedule": True,
            "service": old.service_name if old else "—",
            "staff": old.staff_name if old else "—",
            "old": views.when(old.starts_at, settings.tz) if old else "—",
            "new": when,
            "zone": zone,
        }
    service = await booking.service(draft.service_id)
    names = await _names(booking, draft)
    if not draft.staff_id:  # «any»: name who it will be, so nobody is surprised at the door
        staff = await booking.first_free_staff(draft.service_id, draft.starts_at)
        if staff is not None:
            names["staff"] = texts.ANY_STAFF_WHO.format(name=staff.name)
    return {
        **names,
        "reschedule": False,
        "when": when,
        "zone": zone,
        "duration": service.duration_min if service else 0,
        "price": service.price if service else 0,
        "name": draft.name,
        "phone": draft.phone,
    }


# --- screens -------------------------------------------------------------------------------

_BACK_TO_DAYS = SwitchTo(Const(texts.BACK), id="to_days", state=BookingSG.day)
_NEW = ~F["reschedule"]


def build_dialog() -> Dialog:
    return only_own_buttons(
        Dialog(
            Window(
                Const(texts.CHOOSE_SERVICE, when="items"),
                Const(texts.SOON, when=~F["items"]),
                choices("service", "items", steps.on_service),
                nav(),
                PASS_ON,
                state=BookingSG.service,
                getter=get_services,
            ),
            Window(
                Format(texts.CHOOSE_STAFF, when="items"),
                Const(texts.NO_STAFF, when=~F["items"]),
                choices("staff", "items", steps.on_staff),
                nav(SwitchTo(Const(texts.BACK), id="back", state=BookingSG.service, when="items")),
                *EXPECT_BUTTON,
                state=BookingSG.staff,
                getter=get_staff,
            ),
            Window(
                Multi(
                    Const(texts.SLOT_TAKEN_NONE, when="taken"),
                    Format(texts.CHOOSE_DAY, when=F["items"] & _NEW),
                    Format(texts.MY_RESCHEDULE_PICK, when=F["items"] & F["reschedule"]),
                    Format(texts.NO_DAYS, when=~F["items"]),
                    sep="\n\n",
                ),
                choices("day", "items", steps.on_day, width=3),
                nav(Button(Const(texts.BACK), id="back", on_click=steps.back_from_days)),
                *EXPECT_BUTTON,
                state=BookingSG.day,
                getter=get_days,
            ),
            Window(
                Const(texts.SLOT_TAKEN, when="taken"),
                Format(texts.CHOOSE_TIME, when=~F["taken"]),
                choices("time", "items", steps.on_time, width=4),
                nav(_BACK_TO_DAYS),
                *EXPECT_BUTTON,
                state=BookingSG.time,
                getter=get_times,
            ),
            Window(
                Format("{notice}", when="notice"),
                Const(texts.ASK_NAME, when=~F["notice"] & ~F["for_client"]),
                Const(texts.ASK_CLIENT_NAME, when=~F["notice"] & F["for_client"]),
                MessageInput(steps.on_name, content_types=ContentType.TEXT, filter=NOT_COMMAND),
                MessageInput(steps.ask_name_again, filter=NOT_COMMAND),
                PASS_ON,
                state=BookingSG.name,
                getter=get_question,
            ),
            Window(
                Format("{notice}", when="notice"),
                Format(texts.ASK_PHONE, when=~F["notice"] & ~F["for_client"]),
                Const(texts.ASK_CLIENT_PHONE, when=~F["notice"] & F["for_client"]),
                RequestContact(Const(texts.SHARE_PHONE), when=~F["for_client"]),
                Button(Const(texts.CANCEL), id="stop", on_click=steps.on_stop),
                MessageInput(steps.on_contact, content_types=ContentType.CONTACT),
                MessageInput(
                    steps.on_phone_text, content_types=ContentType.TEXT, filter=NOT_COMMAND
                ),
                MessageInput(steps.not_a_phone, filter=NOT_COMMAND),
                PASS_ON,
                markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
                state=BookingSG.phone,
                getter=get_question,
            ),
            Window(
                Format(texts.SUMMARY, when=_NEW),
                Format(texts.MY_RESCHEDULE_SUMMARY, when="reschedule"),
                Button(Const(texts.CONFIRM), id="confirm", on_click=steps.on_confirm, when=_NEW),
                Button(
                    Const(texts.MY_RESCHEDULE_YES),
                    id="move",
                    on_click=steps.on_confirm,
                    when="reschedule",
                ),
                Button(
                    Const(texts.CHANGE_CONTACTS),
                    id="contacts",
                    on_click=steps.change_contacts,
                    when=_NEW,
                ),
                Row(
                    _BACK_TO_DAYS,
                    Button(Const(texts.CANCEL), id="cancel", on_click=steps.cancel_flow),
                ),
                *EXPECT_BUTTON,
                state=BookingSG.summary,
                getter=get_summary,
            ),
            Window(
                Format("{outcome}"),
                Cancel(Const(texts.BACK_TO_ADMIN), when="for_client"),  # back to /admin
                nav(when=~F["for_client"]),
                PASS_ON,
                state=BookingSG.finished,
                getter=get_question,
            ),
            on_start=steps.on_start,
        )
    )


def build_router() -> Router:
    router = Router(name="booking")
    router.callback_query.register(
        steps.start_booking, MenuCallback.filter(F.action == MenuAction.BOOK)
    )
    return router
