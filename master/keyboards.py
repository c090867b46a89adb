"""One builder per screen of the Master Bot."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from master import texts
from master.callbacks import PoolAction, PoolCallback
from pool.status import SlotStatus


def _button(text: str, **data) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PoolCallback(**data).pack())


def pool_screen(status: dict, *, can_grow: bool, grow_step: int) -> InlineKeyboardMarkup:
    """A release button per occupied slot (three a row), then refresh and grow."""
    kb = InlineKeyboardBuilder()
    for s in status["slots"]:
        if s["status"] != SlotStatus.WAITING:
            kb.add(
                _button(
                    texts.BTN_RELEASE.format(pool_id=s["pool_id"]),
                    action=PoolAction.RELEASE_ASK,
                    slot=s["pool_id"],
                )
            )
    kb.adjust(3)
    bottom = [_button(texts.BTN_REFRESH, action=PoolAction.REFRESH)]
    if can_grow:
        bottom.append(
            _button(texts.BTN_GROW.format(n=grow_step), action=PoolAction.GROW_ASK, n=grow_step)
        )
    kb.row(*bottom)
    return kb.as_markup()


def confirm(action: PoolAction, label: str, *, slot: int = 0, n: int = 0) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(label, action=action, slot=slot, n=n),
                _button(texts.BTN_CANCEL, action=PoolAction.CANCEL),
            ]
        ]
    )
