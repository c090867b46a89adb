"""The owner's statistics for 7 or 30 days, and those days' bookings as a CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row
from aiogram_dialog.widgets.text import Const, Format

from bots import texts
from bots.dialogs.admin import common
from bots.dialogs.states import AdminReports

if TYPE_CHECKING:
    from bots.services import ReportService, SalonService

PERIODS = (7, 30)


@dataclass
class ReportDraft(common.Draft):
    days: int = 0  # the period shown; 0: none chosen yet


def _period(today: date, days: int) -> tuple[date, date]:
    days = days if days in PERIODS else PERIODS[0]
    return today - timedelta(days=days - 1), today


async def stats_getter(
    dialog_manager: DialogManager, salon: SalonService, reports: ReportService, **_: Any
) -> dict[str, Any]:
    days = common.draft(dialog_manager, ReportDraft).days
    if not days:
        return {"text": texts.STATS_PICK, "chosen": False}
    first, last = _period(await salon.today(), days)
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
    return {"text": text, "chosen": True}


async def week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    common.keep(manager, ReportDraft, days=7)


async def month(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    common.keep(manager, ReportDraft, days=30)


async def export(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    first, last = _period(
        await common.salon(manager).today(), common.draft(manager, ReportDraft).days
    )
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
            Button(Const(texts.CSV_BTN), id="csv", on_click=export, when="chosen"),
            common.back_to_menu(),
            state=AdminReports.stats,
            getter=stats_getter,
        )
    )
