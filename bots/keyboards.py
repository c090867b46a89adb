"""One builder per screen."""

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots import texts
from bots.callbacks import MenuAction, MenuCallback


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.MENU_BOOK, callback_data=MenuCallback(action=MenuAction.BOOK))
    kb.button(text=texts.MENU_MY, callback_data=MenuCallback(action=MenuAction.MY))
    kb.button(text=texts.MENU_ABOUT, callback_data=MenuCallback(action=MenuAction.ABOUT))
    kb.adjust(1)
    return kb.as_markup()
