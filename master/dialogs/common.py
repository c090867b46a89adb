"""What the Master Bot's dialogs share: the typed data of the client card dialog."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from aiogram_dialog import DialogManager

CARD_KEY = "card"


class CardAction(StrEnum):
    """An action from a client's card that asks for a confirmation first."""

    EXTEND = "extend"
    SUSPEND = "suspend"
    RESUME = "resume"
    RESEND = "resend"


@dataclass(frozen=True)
class CardData:
    """Where the operator is: the list's page, the client, the action waiting for «Да» (days to
    extend by, the order to re-send) and, once done, what it gave."""

    page: int = 0
    client_id: str = ""
    action: CardAction | None = None
    days: int = 0
    order: str = ""  # an order id, hex
    result: str = ""

    def __post_init__(self) -> None:
        if self.action is not None:
            object.__setattr__(self, "action", CardAction(self.action))


def card_data(manager: DialogManager) -> CardData:
    return CardData(**manager.dialog_data[CARD_KEY])


def update_card(manager: DialogManager, **changes) -> CardData:
    data = replace(card_data(manager), **changes)
    manager.dialog_data[CARD_KEY] = asdict(data)
    return data
