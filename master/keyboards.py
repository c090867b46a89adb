"""One builder per screen of the Master Bot."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from master import texts
from master.callbacks import ClientAction, ClientCallback, PoolAction, PoolCallback
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


def _client_button(text: str, **data) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ClientCallback(**data).pack())


def digits(client_id: str) -> str:
    return client_id.removeprefix("client_")


def clients_page(rows, page: int, pages: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for row in rows:
        kb.add(
            _client_button(
                f"{row.client_id} · {row.company_name}"[:60],
                action=ClientAction.SHOW,
                client=digits(row.client_id),
            )
        )
    kb.adjust(1)
    nav = []
    if page > 0:
        nav.append(_client_button(texts.BTN_PREV, action=ClientAction.LIST, n=page - 1))
    if page + 1 < pages:
        nav.append(_client_button(texts.BTN_NEXT, action=ClientAction.LIST, n=page + 1))
    if nav:
        kb.row(*nav)
    return kb.as_markup()


def client_card(card, *, extend_days: tuple[int, ...] = (30, 7)) -> InlineKeyboardMarkup:
    client = digits(card.client.client_id)
    kb = InlineKeyboardBuilder()
    kb.row(
        *(
            _client_button(
                texts.BTN_EXTEND.format(days=d), action=ClientAction.EXTEND_ASK, client=client, n=d
            )
            for d in extend_days
        )
    )
    if card.client.suspended:
        kb.row(_client_button(texts.BTN_RESUME, action=ClientAction.RESUME_ASK, client=client))
    else:
        kb.row(_client_button(texts.BTN_SUSPEND, action=ClientAction.SUSPEND_ASK, client=client))
    if card.client.slot:
        pool_id = int(card.client.slot.rsplit("-", 1)[1])
        kb.row(
            _button(
                texts.BTN_RELEASE.format(pool_id=pool_id),
                action=PoolAction.RELEASE_ASK,
                slot=pool_id,
            )
        )
    for order in card.open_orders:
        kb.row(
            _client_button(
                texts.BTN_RESEND.format(short=order.id.hex[:8]),
                action=ClientAction.RESEND_ASK,
                client=client,
                order=order.id.hex,
            )
        )
    kb.row(_client_button(texts.BTN_BACK, action=ClientAction.LIST))
    return kb.as_markup()


def client_confirm(action: ClientAction, **data) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _client_button(texts.BTN_CONFIRM, action=action, **data),
                _client_button(texts.BTN_CANCEL, action=ClientAction.SHOW, client=data["client"]),
            ]
        ]
    )
