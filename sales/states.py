"""States of the Sales Bot: the purchase dialog's windows, and the plain FSM steps that wait for
a replacement token."""

from aiogram.fsm.state import State, StatesGroup


class Purchase(StatesGroup):
    """The purchase dialog (`sales.dialogs.purchase`), one window per step."""

    tariff = State()
    token = State()
    company = State()
    owner = State()
    confirm = State()


class NewToken(StatesGroup):
    """A replacement token: for an order whose activation failed, or for a running bot."""

    for_order = State()
    for_bot = State()
