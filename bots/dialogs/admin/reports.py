"""The owner's statistics for the last 7 or 30 days, the next 30 or any typed period (up to a
year, upcoming days too), and that period's bookings as a CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts
from bots.dialogs.admin import common
from bots.dialogs.states import AdminReports
from bots.parsing import parse_range

if TYPE_CHECKING:
    from bots.services import ReportService


@dataclass
class ReportDraft(common.Draft):
    first: int = 0  # the period shown, as date ordinals; 0: none chosen yet
    last: int = 0

    def period(self) -> tuple[date, date]:
        return date.fromordinal(self.first), date.fromordinal(self.last)


async def stats_getter(
    dialog_manager: DialogManager, reports: ReportService, **_: Any
) -> dict[str, Any]:
    chosen = common.draft(dialog_manager, ReportDraft)
    if not chosen.first:
        return {"text": texts.STATS_PICK, "chosen": False}
    first, last = chosen.period()
    result = await reports.stats(first, last)
    text = texts.STATS_TEXT.format(
        first=f"{first:%d.%m.%Y}",
        last=f"{last:%d.%m.%Y}",
        total=result.total,
        cancelled=result.cancelled,
        no_show=result.no_show,
        revenue=result.revenue,
    )
    if result.upcoming:
        text += texts.STATS_EXPECTED.format(count=result.upcoming, expected=result.expected)
    if result.by_service:
        text += texts.STATS_BY_SERVICE + "\n".join(
            texts.STATS_SERVICE_LINE.format(name=n, count=c, revenue=r)
            for n, c, r in result.by_service
        )
    return {"text": text, "chosen": True}


async def _show(manager: DialogManager, first: date, last: date) -> None:
    common.keep(manager, ReportDraft, first=first.toordinal(), last=last.toordinal())


async def week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    await _show(manager, today - timedelta(days=6), today)


async def month(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    await _show(manager, today - timedelta(days=29), today)


async def next_month(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    await _show(manager, today, today + timedelta(days=29))


async def on_range(message: Message, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    period = await common.parsed(message, manager, lambda text: parse_range(text, today))
    if period is None:
        return
    first, last = period
    await common.go(
        manager, AdminReports.stats, ReportDraft, first=first.toordinal(), last=last.toordinal()
    )


async def export(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    first, last = common.draft(manager, ReportDraft).period()
    data = await common.reports(manager).export_csv(first, last)
    await callback.message.answer_document(
        BufferedInputFile(data, filename=f"bookings_{first:%Y%m%d}_{last:%Y%m%d}.csv"),
        caption=texts.CSV_CAPTION.format(first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}"),
    )
    manager.show_mode = ShowMode.NO_UPDATE  # the statistics above stay as they are


def dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Row(
                Button(Const(texts.STATS_7), id="d7", on_click=week),
                Button(Const(texts.STATS_30), id="d30", on_click=month),
            ),
            Row(
                Button(Const(texts.STATS_NEXT_30), id="n30", on_click=next_month),
                SwitchTo(Const(texts.STATS_RANGE), id="range", state=AdminReports.range),
            ),
            Button(Const(texts.CSV_BTN), id="csv", on_click=export, when="chosen"),
            common.back_to_menu(),
            state=AdminReports.stats,
            getter=stats_getter,
        ),
        Window(
            Const(texts.STATS_ASK_RANGE),
            *common.text_input(on_range),
            state=AdminReports.range,
        ),
    )
