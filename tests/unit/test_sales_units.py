"""Pure parts of the Sales service (the YooKassa gateway: tests/integration/test_yookassa_gateway.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sales import keyboards, texts
from sales.callbacks import BotAction, BotCallback, OrderAction, OrderCallback, TariffCallback
from sales.payments import IpAllowlist
from sales.repository import Tariff
from sales.validation import (
    InputError,
    format_price,
    parse_company,
    parse_owner_id,
    parse_token,
    short_order,
)
from sales.webhook import client_ip


def test_token_company_and_owner_parsing():
    token = "7100000001:AAe2eTestToken_0001_abcdefghijklmnopqrs"
    assert parse_token(f"  {token}\n") == token
    for bad in (None, "", "hello", "123:abc", token + " extra", "abc:" + "A" * 35):
        with pytest.raises(InputError) as error:
            parse_token(bad)
        assert error.value.text == texts.TOKEN_BAD_FORMAT
    assert parse_company("  Салон   «Анна»  ") == "Салон «Анна»"
    with pytest.raises(InputError, match="300 символов"):
        parse_company("x" * 300)
    with pytest.raises(InputError):
        parse_company(" \n ")
    assert parse_company("x" * 100) == "x" * 100
    assert parse_owner_id(" 123456789 ") == 123456789
    for bad in ("abc", "-5", "0", "12.5", "١٢٣", "", None, "9" * 30):
        with pytest.raises(InputError):
            parse_owner_id(bad)


def test_prices_and_order_numbers():
    assert format_price(Decimal("990.00")) == "990 ₽"
    assert format_price(Decimal("8990")) == "8 990 ₽"
    assert format_price(Decimal("1234.50")) == "1 234.50 ₽"
    assert short_order("f4528428-d60c-4e50-b457-3f28bebb1f45") == "f4528428"


def test_callback_data_fits_telegram_limits():
    longest = [
        OrderCallback(action=OrderAction.NEW_TOKEN, order_id="f" * 32).pack(),
        TariffCallback(tariff_id=2_000_000_000, client_id="client_000123456").pack(),
        BotCallback(action=BotAction.REPLACE_TOKEN, client_id="client_000123456").pack(),
    ]
    assert all(len(x.encode()) <= 64 for x in longest), longest
    assert OrderCallback.unpack(longest[0]).order_id == "f" * 32


def test_keyboards():
    tariffs = [Tariff(1, "month", "1 месяц", 30, Decimal("990.00"), "RUB")]
    kb = keyboards.tariffs(tariffs)
    assert [b.text for row in kb.inline_keyboard for b in row] == ["1 месяц — 990 ₽", "✖️ Отмена"]
    pay = keyboards.payment("ab" * 16, "https://yoomoney.ru/checkout?x=1", "990 ₽")
    assert pay.inline_keyboard[0][0].url.startswith("https://")
    assert keyboards.open_bot("anna_bot").inline_keyboard[0][0].url == "https://t.me/anna_bot"


def test_ip_allowlist():
    default = IpAllowlist("")
    assert "185.71.76.5" in default and "77.75.156.11" in default
    assert "127.0.0.1" not in default and "2a02:5180:0:1509::1" in default
    assert None not in default and "not-an-ip" not in default
    local = IpAllowlist("127.0.0.1/32, 10.0.0.0/8")
    assert "127.0.0.1" in local and "10.2.3.4" in local and "127.0.0.2" not in local


def test_sender_address_behind_a_trusted_proxy():
    proxies = IpAllowlist("127.0.0.1/32", empty_means_none=True)
    assert client_ip("127.0.0.1", "185.71.76.5", proxies) == "185.71.76.5"
    assert client_ip("127.0.0.1", "6.6.6.6, 185.71.76.5", proxies) == "185.71.76.5"
    assert client_ip("127.0.0.1", None, proxies) == "127.0.0.1"
    # the header from anyone else is ignored
    assert client_ip("6.6.6.6", "185.71.76.5", proxies) == "6.6.6.6"
    assert client_ip("6.6.6.6", "185.71.76.5", None) == "6.6.6.6"
    assert "127.0.0.1" not in IpAllowlist("", empty_means_none=True)
