"""Callback data of the Master Bot."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.ids import ClientDigits, DbInt, HexId


class PoolAction(StrEnum):
    REFRESH = "refresh"
    RELEASE_ASK = "rel_ask"
    RELEASE_DO = "rel_do"
    GROW_ASK = "grow_ask"
    GROW_DO = "grow_do"
    CANCEL = "cancel"


class PoolCallback(CallbackData, prefix="pool"):
    action: PoolAction
    slot: DbInt = 0
    n: DbInt = 0


class ClientAction(StrEnum):
    LIST = "list"
    SHOW = "show"
    EXTEND_ASK = "ext_ask"
    EXTEND_DO = "ext_do"
    SUSPEND_ASK = "sus_ask"
    SUSPEND_DO = "sus_do"
    RESUME_ASK = "res_ask"
    RESUME_DO = "res_do"
    RESEND_ASK = "rs_ask"
    RESEND_DO = "rs_do"


class ClientCallback(CallbackData, prefix="cl"):
    action: ClientAction
    client: ClientDigits = ""  # the digits of client_NNN
    n: DbInt = 0  # days to extend, or the page of the list
    order: HexId = ""  # an order id, hex
