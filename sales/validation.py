"""Pure parsing of what the buyer types: each function returns a clean value or raises
`InputError` with the Russian text to show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from core.localtime import date_text
from core.text import clean_text
from core.tokens import is_token_format
from sales import texts

COMPANY_LIMIT = 100


class InputError(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def parse_token(text: str | None) -> str:
    token = (text or "").strip()
    if not is_token_format(token):
        raise InputError(texts.TOKEN_BAD_FORMAT)
    return token


def parse_company(text: str | None) -> str:
    name = clean_text(text)
    if not name:
        raise InputError(texts.COMPANY_EMPTY)
    if len(name) > COMPANY_LIMIT:
        raise InputError(texts.COMPANY_TOO_LONG.format(length=len(name), limit=COMPANY_LIMIT))
    return name


def parse_owner_id(text: str | None) -> int:
    value = (text or "").strip().removeprefix("id").strip()
    if not value.isdigit() or not value.isascii():
        raise InputError(texts.OWNER_BAD)
    number = int(value)
    if not 0 < number < 2**63:
        raise InputError(texts.OWNER_BAD)
    return number


def format_price(amount: Decimal, currency: str = "RUB") -> str:
    whole = amount == amount.to_integral_value()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    number = number.replace(",", " ")
    return f"{number} ₽" if currency == "RUB" else f"{number} {currency}"


def short_order(order_id: UUID | str) -> str:
    return str(order_id).replace("-", "")[:8]


def format_date(moment: datetime | None) -> str:
    return date_text(moment)  # the platform's zone, as the Master shows it
