"""Every `StatesGroup` of the tenant bot's dialogs (one group per dialog)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

# --- the customer --------------------------------------------------------------------------


class BookingSG(StatesGroup):
    """Booking: service → specialist → day → time → name → phone → summary; also the
    reschedule of «Мои записи», which starts at `day`."""

    service = State()
    staff = State()
    day = State()
    time = State()
    name = State()
    phone = State()
    summary = State()
    finished = State()


class MySG(StatesGroup):
    """«Мои записи»: the list, a booking's card, «Точно отменить?», the outcome."""

    list = State()
    card = State()
    cancel = State()
    finished = State()
