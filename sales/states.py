"""FSM states of the Sales Bot."""

from aiogram.fsm.state import State, StatesGroup


class Purchase(StatesGroup):
    token = State()
    company = State()
    owner = State()
    confirm = State()


class NewToken(StatesGroup):
    """A replacement token: for an order whose activation failed, or for a running bot."""

    for_order = State()
    for_bot = State()
