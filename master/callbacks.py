"""Callback data of the Master Bot."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.ids import DbInt


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
