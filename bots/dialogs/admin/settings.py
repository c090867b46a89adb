"""The salon's settings: the list with current values, and one value typed anew."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.text import Format

from bots import menu, texts
from bots.dialogs.admin import common
from bots.dialogs.common import answer
from bots.dialogs.states import AdminSettings
from bots.parsing import InputError, parse_int, parse_minutes_list, parse_timezone
from bots.services import SETTING_KEYS

if TYPE_CHECKING:
    from bots.services import SalonService, SalonSettings

EDITABLE = list(SETTING_KEYS)
INT_LIMITS = {
    "slot_step_min": (10, 240),
    "buffer_min": (0, 240),
    "min_notice_min": (0, 10080),
    "horizon_days": (1, 120),
    "cancel_cutoff_min": (0, 10080),
}
TEXT_LIMITS = {"company_name": 100, "address": 300, "phone": 50, "description": 1000}


def parse_setting(key: str, text: str) -> Any:
    text = (text or "").strip()
    if key in TEXT_LIMITS:
        if key != "company_name" and text == "-":
            return ""
        if not 1 <= len(text) <= TEXT_LIMITS[key]:
            raise InputError(texts.SETTING_TEXT_LENGTH.format(limit=TEXT_LIMITS[key]))
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


@dataclass
class SettingDraft(common.Draft):
    index: int = 0  # in EDITABLE


async def list_getter(
    dialog_manager: DialogManager, salon: SalonService, **_: Any
) -> dict[str, Any]:
    settings = await salon.settings()
    lines = [texts.SETTINGS_TITLE]
    for key in EDITABLE:
        lines.append(f"• {texts.SETTING_LABELS[key][0]}: {show_setting(key, settings)}")
    return {
        "text": common.take_note(dialog_manager, SettingDraft) + "\n".join(lines),
        "keys": [(i, texts.SETTING_LABELS[key][0]) for i, key in enumerate(EDITABLE)],
    }


async def ask_getter(
    dialog_manager: DialogManager, salon: SalonService, **_: Any
) -> dict[str, Any]:
    key = EDITABLE[common.draft(dialog_manager, SettingDraft).index]
    label, hint = texts.SETTING_LABELS[key]
    value = show_setting(key, await salon.settings())
    return {"text": texts.SETTING_ASK.format(label=label, value=value, hint=hint)}


async def choose(callback: CallbackQuery, _widget: Any, manager: DialogManager, index: int) -> None:
    if not 0 <= index < len(EDITABLE):
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    await common.go(manager, AdminSettings.ask, SettingDraft, index=index)


async def on_value(message: Message, _widget: Any, manager: DialogManager) -> None:
    key = EDITABLE[common.draft(manager, SettingDraft).index]
    value = await common.parsed(message, manager, lambda text: parse_setting(key, text))
    if value is None:
        return
    await common.salon(manager).update_setting(key, value)
    if key == "company_name":  # the descriptions Telegram shows name the salon
        await menu.introduce(message.bot, value, message.from_user.id)
    await common.go(manager, AdminSettings.list, SettingDraft, note=texts.SETTING_SAVED)


def dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            common.choices("se", "keys", choose),
            common.back_to_menu(),
            state=AdminSettings.list,
            getter=list_getter,
        ),
        Window(
            Format("{text}"),
            *common.text_input(on_value),
            state=AdminSettings.ask,
            getter=ask_getter,
        ),
    )
