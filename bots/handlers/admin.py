"""The owner's /admin: services, staff and their services, hours and exceptions, settings,
bookings by day (cancel with a notice, no-show), statistics and a CSV export.

Only the tenant's `admin_telegram_id` gets here; anyone else typing /admin gets the
customers' menu, and an owner's button pressed by someone else is refused.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message, TelegramObject

from bots import keyboards, notify, texts, views
from bots.callbacks import AdminAction, AdminCallback
from bots.context import TenantContext
from bots.errors import BookingNotStarted, NotAllowed
from bots.parsing import (
    InputError,
    parse_date,
    parse_int,
    parse_intervals,
    parse_minutes_list,
    parse_service,
    parse_timezone,
    parse_week,
)
from bots.services import (
    SETTING_KEYS,
    BookingService,
    CatalogueService,
    ReportService,
    SalonService,
    SalonSettings,
    ScheduleService,
)
from bots.status import ACTIVE_STATUSES, BookingStatus
from bots.views import fmt_interval, week_lines
from core.text import clean_text

EDITABLE = list(SETTING_KEYS)
INT_LIMITS = {
    "slot_step_min": (10, 240),
    "buffer_min": (0, 240),
    "min_notice_min": (0, 10080),
    "horizon_days": (1, 120),
    "cancel_cutoff_min": (0, 10080),
}
TEXT_LIMITS = {"company_name": 100, "address": 300, "phone": 50, "description": 1000}


class IsOwner(BaseFilter):
    async def __call__(self, event: TelegramObject, tenant: TenantContext) -> bool:
        user = getattr(event, "from_user", None)
        return user is not None and user.id == tenant.admin_telegram_id


class AdminStates(StatesGroup):
    service_add = State()
    service_edit = State()
    staff_add = State()
    week = State()
    exception = State()
    setting = State()
    date_pick = State()


def parse_setting(key: str, text: str) -> Any:
    text = (text or "").strip()
    if key in TEXT_LIMITS:
        if key != "company_name" and text == "-":
            return ""
        if not 1 <= len(text) <= TEXT_LIMITS[key]:
            raise InputError(f"Нужно от 1 до {TEXT_LIMITS[key]} символов.")
        return text
    if key == "timezone":
        return parse_timezone(text)
    if key == "reminders_min":
        return parse_minutes_list(text)
    low, high = INT_LIMITS[key]
    return parse_int(text, texts.SETTING_LABELS[key][0], low, high)


def show_setting(key: str, settings: SalonSettings) -> str:
    value = getattr(settings, key)
    if key == "reminders_min":
        return ", ".join(str(v // 60) for v in value) or texts.NONE
    return str(value) if value not in ("", None) else "—"


def build_router() -> Router:
    router = Router(name="admin")
    owner = Router(name="admin-owner")
    # the owner's screens show customers' phones: only in the private chat with the bot
    owner.message.filter(IsOwner(), F.chat.type == ChatType.PRIVATE)
    owner.callback_query.filter(IsOwner(), F.message.chat.type == ChatType.PRIVATE)

    # --- entry -----------------------------------------------------------------------------

    async def home_text(salon: SalonService) -> str:
        settings = await salon.settings()
        progress = await salon.setup_progress()
        extra = ""
        if not progress["ready"]:
            extra = texts.ADMIN_PROGRESS.format(
                services="✅" if progress["services"] else "⬜",
                staff="✅" if progress["staff"] else "⬜",
                ready="✅" if progress["ready"] else "⬜",
            )
        return texts.ADMIN_HOME.format(company=settings.company_name, progress=extra)

    @owner.message(Command("admin"))
    async def admin_command(message: Message, state: FSMContext, salon: SalonService) -> None:
        await state.clear()
        await message.answer(await home_text(salon), reply_markup=keyboards.admin_home())

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.HOME))
    async def admin_home(query: CallbackQuery, state: FSMContext, salon: SalonService) -> None:
        await state.clear()
        await query.answer()
        await query.message.edit_text(await home_text(salon), reply_markup=keyboards.admin_home())

    # --- services --------------------------------------------------------------------------

    async def services_view(catalogue: CatalogueService) -> tuple[str, Any]:
        items = await catalogue.services()
        text = texts.SERVICES_TITLE.format(count=len(items)) if items else texts.SERVICES_EMPTY
        for s in items:
            text += "\n• " + texts.SERVICE_BUTTON.format(
                name=s.name, duration=s.duration_min, price=s.price
            )
        return text, keyboards.admin_services(items)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SERVICES))
    async def services(
        query: CallbackQuery, state: FSMContext, catalogue: CatalogueService
    ) -> None:
        await state.clear()
        text, markup = await services_view(catalogue)
        await query.answer()
        await query.message.edit_text(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SERVICE))
    async def service_card(
        query: CallbackQuery, callback_data: AdminCallback, catalogue: CatalogueService
    ) -> None:
        s = await catalogue.service(callback_data.id)
        if s is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        await query.answer()
        await query.message.edit_text(
            texts.SERVICE_CARD.format(name=s.name, duration=s.duration_min, price=s.price),
            reply_markup=keyboards.admin_service(s.id),
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SERVICE_ADD))
    async def service_add(query: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(AdminStates.service_add)
        await query.answer()
        await query.message.answer(texts.ASK_SERVICE)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SERVICE_EDIT))
    async def service_edit(
        query: CallbackQuery,
        callback_data: AdminCallback,
        state: FSMContext,
        catalogue: CatalogueService,
    ) -> None:
        s = await catalogue.service(callback_data.id)
        if s is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        await state.set_state(AdminStates.service_edit)
        await state.update_data(service_id=s.id)
        await query.answer()
        await query.message.answer(
            texts.ASK_SERVICE + f"\n\nСейчас: {s.name}; {s.duration_min}; {s.price}"
        )

    @owner.message(AdminStates.service_add, F.text)
    @owner.message(AdminStates.service_edit, F.text)
    async def service_input(
        message: Message, state: FSMContext, catalogue: CatalogueService
    ) -> None:
        try:
            parsed = parse_service(message.text)
        except InputError as exc:
            await message.answer(f"{exc}\n\n{texts.ADMIN_HINT_INPUT}")
            return
        data = await state.get_data()
        if await state.get_state() == AdminStates.service_edit.state:
            ok = await catalogue.update_service(
                data["service_id"], parsed.name, parsed.duration_min, parsed.price
            )
            if not ok:
                await state.clear()
                await message.answer(texts.ADMIN_STALE)
                return
        else:
            await catalogue.add_service(parsed.name, parsed.duration_min, parsed.price)
        await state.clear()
        text, markup = await services_view(catalogue)
        await message.answer(texts.SERVICE_SAVED + "\n\n" + text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SERVICE_DEL))
    async def service_delete(
        query: CallbackQuery, callback_data: AdminCallback, catalogue: CatalogueService
    ) -> None:
        if not await catalogue.delete_service(callback_data.id):
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        text, markup = await services_view(catalogue)
        await query.answer(texts.SERVICE_DELETED)
        await query.message.edit_text(text, reply_markup=markup)

    # --- staff -----------------------------------------------------------------------------

    async def staff_list_view(catalogue: CatalogueService) -> tuple[str, Any]:
        items = await catalogue.staff()
        text = texts.STAFF_TITLE.format(count=len(items)) if items else texts.STAFF_EMPTY
        return text, keyboards.admin_staff_list(items)

    async def staff_view(
        catalogue: CatalogueService, schedule: ScheduleService, staff_id: int
    ) -> tuple[str, Any] | None:
        member = await catalogue.staff_member(staff_id)
        if member is None:
            return None
        services, selected = await catalogue.staff_services(staff_id)
        names = [s.name for s in services if s.id in selected]
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
            services=", ".join(names) or texts.NONE,
            week="\n".join(week_lines(week)),
            exceptions=exc_text,
        )
        return text, keyboards.admin_staff(staff_id, sorted(exceptions)[:10])

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF_LIST))
    async def staff_list(
        query: CallbackQuery, state: FSMContext, catalogue: CatalogueService
    ) -> None:
        await state.clear()
        text, markup = await staff_list_view(catalogue)
        await query.answer()
        await query.message.edit_text(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF))
    async def staff_card(
        query: CallbackQuery,
        callback_data: AdminCallback,
        state: FSMContext,
        catalogue: CatalogueService,
        schedule: ScheduleService,
    ) -> None:
        await state.clear()
        view = await staff_view(catalogue, schedule, callback_data.id)
        if view is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        await query.answer()
        await query.message.edit_text(view[0], reply_markup=view[1])

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF_ADD))
    async def staff_add(query: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(AdminStates.staff_add)
        await query.answer()
        await query.message.answer(texts.ASK_STAFF)

    @owner.message(AdminStates.staff_add, F.text)
    async def staff_input(
        message: Message, state: FSMContext, catalogue: CatalogueService, schedule: ScheduleService
    ) -> None:
        name = clean_text(message.text)
        if not 1 <= len(name) <= 100 or name.startswith("/"):
            await message.answer(f"Имя — от 1 до 100 символов.\n\n{texts.ADMIN_HINT_INPUT}")
            return
        staff_id = await catalogue.add_staff(name)
        await state.clear()
        view = await staff_view(catalogue, schedule, staff_id)
        await message.answer(
            texts.STAFF_SAVED.format(name=name) + "\n\n" + view[0], reply_markup=view[1]
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF_DEL))
    async def staff_delete(
        query: CallbackQuery, callback_data: AdminCallback, catalogue: CatalogueService
    ) -> None:
        if not await catalogue.delete_staff(callback_data.id):
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        text, markup = await staff_list_view(catalogue)
        await query.answer(texts.STAFF_DELETED)
        await query.message.edit_text(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF_SERVICES))
    async def staff_services(
        query: CallbackQuery, callback_data: AdminCallback, catalogue: CatalogueService
    ) -> None:
        member = await catalogue.staff_member(callback_data.id)
        if member is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        services, selected = await catalogue.staff_services(member.id)
        await query.answer()
        text = texts.STAFF_SERVICES_TITLE.format(name=member.name)
        if not services:
            text += "\n\n" + texts.NO_SERVICES_YET
        await query.message.edit_text(
            text, reply_markup=keyboards.admin_staff_services(member.id, services, selected)
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STAFF_TOGGLE))
    async def staff_toggle(
        query: CallbackQuery, callback_data: AdminCallback, catalogue: CatalogueService
    ) -> None:
        try:
            await catalogue.toggle_staff_service(callback_data.id, callback_data.extra)
        except NotAllowed:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        services, selected = await catalogue.staff_services(callback_data.id)
        await query.answer()
        await query.message.edit_reply_markup(
            reply_markup=keyboards.admin_staff_services(callback_data.id, services, selected)
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.HOURS_EDIT))
    async def hours_edit(
        query: CallbackQuery,
        callback_data: AdminCallback,
        state: FSMContext,
        catalogue: CatalogueService,
    ) -> None:
        if await catalogue.staff_member(callback_data.id) is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        await state.set_state(AdminStates.week)
        await state.update_data(staff_id=callback_data.id)
        await query.answer()
        await query.message.answer(texts.ASK_WEEK)

    @owner.message(AdminStates.week, F.text)
    async def week_input(
        message: Message, state: FSMContext, catalogue: CatalogueService, schedule: ScheduleService
    ) -> None:
        try:
            week = parse_week(message.text)
        except InputError as exc:
            await message.answer(f"{exc}\n\n{texts.ADMIN_HINT_INPUT}")
            return
        staff_id = (await state.get_data())["staff_id"]
        await state.clear()
        try:
            await schedule.set_week(staff_id, week)
        except NotAllowed:
            await message.answer(texts.ADMIN_STALE)
            return
        view = await staff_view(catalogue, schedule, staff_id)
        await message.answer(texts.WEEK_SAVED + "\n\n" + view[0], reply_markup=view[1])

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.EXC_ADD))
    async def exception_add(
        query: CallbackQuery,
        callback_data: AdminCallback,
        state: FSMContext,
        catalogue: CatalogueService,
    ) -> None:
        if await catalogue.staff_member(callback_data.id) is None:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        await state.set_state(AdminStates.exception)
        await state.update_data(staff_id=callback_data.id)
        await query.answer()
        await query.message.answer(texts.ASK_EXCEPTION)

    @owner.message(AdminStates.exception, F.text)
    async def exception_input(
        message: Message,
        state: FSMContext,
        salon: SalonService,
        catalogue: CatalogueService,
        schedule: ScheduleService,
    ) -> None:
        head, _, rest = message.text.strip().partition(" ")
        today = await salon.today()
        try:
            day = parse_date(head, today)
            rest = rest.strip()
            if not rest:
                raise InputError("После даты укажите часы (10:00-15:00) или «выходной».")
            intervals = [] if rest.lower() in ("выходной", "-") else parse_intervals(rest)
            if day < today:
                raise InputError(texts.EXCEPTION_PAST)
        except InputError as exc:
            await message.answer(f"{exc}\n\n{texts.ADMIN_HINT_INPUT}")
            return
        staff_id = (await state.get_data())["staff_id"]
        await state.clear()
        try:
            await schedule.set_exception(staff_id, day, intervals)
        except NotAllowed:
            await message.answer(texts.ADMIN_STALE)
            return
        view = await staff_view(catalogue, schedule, staff_id)
        await message.answer(
            texts.EXCEPTION_SAVED.format(day=views.day_label(day)) + "\n\n" + view[0],
            reply_markup=view[1],
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.EXC_DEL))
    async def exception_delete(
        query: CallbackQuery,
        callback_data: AdminCallback,
        catalogue: CatalogueService,
        schedule: ScheduleService,
    ) -> None:
        try:
            day = views.day_from_id(callback_data.extra)
        except ValueError:
            day = None
        if day is None or not await schedule.delete_exception(callback_data.id, day):
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        view = await staff_view(catalogue, schedule, callback_data.id)
        await query.answer(texts.EXCEPTION_DELETED)
        if view is not None:
            await query.message.edit_text(view[0], reply_markup=view[1])

    # --- settings --------------------------------------------------------------------------

    async def settings_view(salon: SalonService) -> tuple[str, Any]:
        settings = await salon.settings()
        lines = [texts.SETTINGS_TITLE]
        labels = []
        for key in EDITABLE:
            label = texts.SETTING_LABELS[key][0]
            labels.append(label)
            lines.append(f"• {label}: {show_setting(key, settings)}")
        return "\n".join(lines), keyboards.admin_settings(labels)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SETTINGS))
    async def settings_screen(query: CallbackQuery, state: FSMContext, salon: SalonService) -> None:
        await state.clear()
        text, markup = await settings_view(salon)
        await query.answer()
        await query.message.edit_text(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.SETTING))
    async def setting_ask(
        query: CallbackQuery, callback_data: AdminCallback, state: FSMContext, salon: SalonService
    ) -> None:
        if not 0 <= callback_data.extra < len(EDITABLE):
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        key = EDITABLE[callback_data.extra]
        settings = await salon.settings()
        label, hint = texts.SETTING_LABELS[key]
        await state.set_state(AdminStates.setting)
        await state.update_data(key=key)
        await query.answer()
        await query.message.answer(
            texts.SETTING_ASK.format(label=label, value=show_setting(key, settings), hint=hint)
        )

    @owner.message(AdminStates.setting, F.text)
    async def setting_input(message: Message, state: FSMContext, salon: SalonService) -> None:
        key = (await state.get_data()).get("key")
        if key not in EDITABLE:
            await state.clear()
            await message.answer(texts.ADMIN_STALE)
            return
        try:
            value = parse_setting(key, message.text)
        except InputError as exc:
            await message.answer(f"{exc}\n\n{texts.ADMIN_HINT_INPUT}")
            return
        await salon.update_setting(key, value)
        await state.clear()
        text, markup = await settings_view(salon)
        await message.answer(texts.SETTING_SAVED + "\n\n" + text, reply_markup=markup)

    # --- bookings by day -------------------------------------------------------------------

    async def day_view(salon: SalonService, booking: BookingService, day: date) -> tuple[str, Any]:
        items = await booking.bookings_on(day)
        settings = await salon.settings()
        tz = settings.tz
        if not items:
            text = texts.DAY_EMPTY.format(day=views.day_long(day))
        else:
            lines = [texts.DAY_TITLE.format(day=views.day_long(day))]
            for b in items:
                status = (
                    "" if b.status == BookingStatus.BOOKED else f" ({texts.OWNER_STATUS[b.status]})"
                )
                lines.append(
                    texts.DAY_ITEM.format(
                        time=views.hhmm(b.starts_at, tz),
                        service=b.service_name,
                        staff=b.staff_name,
                        name=b.customer_name,
                        phone=b.customer_phone,
                        status=status + (texts.UNREACHABLE_MARK if b.customer_unreachable else ""),
                    )
                )
            text = "\n".join(lines)
        return text, keyboards.admin_day(items, tz, salon.now())

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.BOOKINGS))
    async def bookings(query: CallbackQuery, state: FSMContext, salon: SalonService) -> None:
        await state.clear()
        await query.answer()
        await query.message.edit_text(
            texts.BOOKINGS_TITLE, reply_markup=keyboards.admin_bookings(await salon.today())
        )

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.DAY))
    async def bookings_day(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        booking: BookingService,
    ) -> None:
        try:
            day = views.day_from_id(callback_data.extra)
        except ValueError:
            await query.answer(texts.ADMIN_STALE, show_alert=True)
            return
        text, markup = await day_view(salon, booking, day)
        await query.answer()
        await query.message.edit_text(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.DAY_PICK))
    async def day_pick(query: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(AdminStates.date_pick)
        await query.answer()
        await query.message.answer(texts.ASK_DATE)

    @owner.message(AdminStates.date_pick, F.text)
    async def day_input(
        message: Message, state: FSMContext, salon: SalonService, booking: BookingService
    ) -> None:
        try:
            day = parse_date(message.text, await salon.today() - timedelta(days=180))
        except InputError as exc:
            await message.answer(f"{exc}\n\n{texts.ADMIN_HINT_INPUT}")
            return
        await state.clear()
        text, markup = await day_view(salon, booking, day)
        await message.answer(text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.BK_CANCEL))
    async def booking_cancel_ask(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        booking: BookingService,
    ) -> None:
        b = await booking.booking(callback_data.id)
        if b is None or b.status not in ACTIVE_STATUSES:
            await query.answer(texts.BK_NOT_ACTIVE, show_alert=True)
            return
        settings = await salon.settings()
        await query.answer()
        await query.message.edit_text(
            texts.BK_CANCEL_ASK.format(
                time=views.when(b.starts_at, settings.tz), service=b.service_name,
                name=b.customer_name,
            ),
            reply_markup=keyboards.admin_cancel_confirm(
                b.id, b.starts_at.astimezone(settings.tz).date()
            ),
        )  # fmt: skip

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.BK_CANCEL_YES))
    async def booking_cancel(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        booking: BookingService,
        bot: Bot,
    ) -> None:
        try:
            b = await booking.cancel_by_owner(callback_data.id)
        except NotAllowed:
            await query.answer(texts.BK_NOT_ACTIVE, show_alert=True)
            return
        settings = await salon.settings()
        delivered = await notify.send(
            bot,
            b.customer_id,
            texts.NOTICE_CUSTOMER_CANCELLED_BY_OWNER.format(
                service=b.service_name, when=views.when(b.starts_at, settings.tz)
            ),
        )
        note = (
            texts.BK_CANCELLED
            if delivered
            else texts.BK_CANCELLED_UNREACHABLE.format(phone=b.customer_phone)
        )
        text, markup = await day_view(salon, booking, b.starts_at.astimezone(settings.tz).date())
        await query.answer()
        await query.message.edit_text(note + "\n\n" + text, reply_markup=markup)

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.BK_NOSHOW))
    async def booking_no_show(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        booking: BookingService,
    ) -> None:
        try:
            b = await booking.mark_no_show(callback_data.id)
        except BookingNotStarted:
            await query.answer(texts.BK_FUTURE, show_alert=True)
            return
        except NotAllowed:
            await query.answer(texts.BK_NOT_ACTIVE, show_alert=True)
            return
        settings = await salon.settings()
        text, markup = await day_view(salon, booking, b.starts_at.astimezone(settings.tz).date())
        await query.answer(texts.BK_NOSHOW)
        await query.message.edit_text(texts.BK_NOSHOW + "\n\n" + text, reply_markup=markup)

    # --- statistics ------------------------------------------------------------------------

    def _period(today: date, days: int) -> tuple[date, date]:
        days = days if days in (7, 30) else 7
        return today - timedelta(days=days - 1), today

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.STATS))
    async def stats(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        reports: ReportService,
    ) -> None:
        if not callback_data.extra:
            await query.answer()
            await query.message.edit_text(texts.STATS_PICK, reply_markup=keyboards.admin_stats())
            return
        first, last = _period(await salon.today(), callback_data.extra)
        result = await reports.stats(first, last)
        text = texts.STATS_TEXT.format(
            first=f"{first:%d.%m.%Y}",
            last=f"{last:%d.%m.%Y}",
            total=result.total,
            cancelled=result.cancelled,
            no_show=result.no_show,
            revenue=result.revenue,
        )
        if result.by_service:
            text += texts.STATS_BY_SERVICE + "\n".join(
                texts.STATS_SERVICE_LINE.format(name=n, count=c, revenue=r)
                for n, c, r in result.by_service
            )
        await query.answer()
        await query.message.edit_text(text, reply_markup=keyboards.admin_stats(callback_data.extra))

    @owner.callback_query(AdminCallback.filter(F.action == AdminAction.CSV))
    async def export(
        query: CallbackQuery,
        callback_data: AdminCallback,
        salon: SalonService,
        reports: ReportService,
    ) -> None:
        first, last = _period(await salon.today(), callback_data.extra)
        data = await reports.export_csv(first, last)
        await query.answer()
        await query.message.answer_document(
            BufferedInputFile(data, filename=f"bookings_{first:%Y%m%d}_{last:%Y%m%d}.csv"),
            caption=texts.CSV_CAPTION.format(first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}"),
        )

    # --- not the owner ---------------------------------------------------------------------

    @router.message(Command("admin"), F.chat.type != ChatType.PRIVATE)
    async def not_in_private(message: Message) -> None:
        await message.answer(texts.ADMIN_PRIVATE_ONLY)

    @router.message(Command("admin"))
    async def not_owner(message: Message) -> None:
        await message.answer(texts.ADMIN_ONLY, reply_markup=keyboards.main_menu())

    @router.callback_query(AdminCallback.filter())
    async def not_owner_button(query: CallbackQuery) -> None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)

    parent = Router(name="admin-all")
    parent.include_router(owner)
    parent.include_router(router)
    return parent
