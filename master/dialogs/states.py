"""States of the Master Bot's dialogs."""

from aiogram.fsm.state import State, StatesGroup


class ClientCard(StatesGroup):
    """The clients list, a client's card, an action's confirmation and its outcome."""

    page = State()
    card = State()
    confirm = State()
    result = State()
