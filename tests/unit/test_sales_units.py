"""Pure parts of the Sales service, and the YooKassa gateway against the stand-in (in-process)."""

from __future__ import annotations

import socket
import time
from decimal import Decimal

import aiohttp
import pytest

from sales import keyboards, texts
from sales.callbacks import BotAction, BotCallback, OrderAction, OrderCallback, TariffCallback
from sales.payments import GatewayRejected, GatewayUnavailable, IpAllowlist, YooKassaGateway
from sales.repository import Tariff
from sales.validation import (
    InputError,
    format_price,
    parse_company,
    parse_owner_id,
    parse_token,
    short_order,
)
from sandbox.yookassa.app import YooKassaServer, YooKassaState

SECRET = "live_SecretKey_abcdef0123456789"


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


@pytest.fixture
async def yookassa():
    state = YooKassaState("100500", SECRET)
    server = YooKassaServer(state)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def _create(gateway: YooKassaGateway, key: str, amount: str = "990.00"):
    return await gateway.create_payment(
        order_id="order-1",
        amount=Decimal(amount),
        currency="RUB",
        description="test",
        return_url="https://t.me/sales_bot",
        idempotence_key=key,
    )


async def test_gateway_creates_and_fetches_payments_idempotently(yookassa):
    gateway = YooKassaGateway("100500", SECRET, yookassa.url + "/v3", timeout=2)
    try:
        first = await _create(gateway, "key-1")
        again = await _create(gateway, "key-1")
        other = await _create(gateway, "key-2")
        assert first.id == again.id != other.id
        assert (first.status, first.paid, first.amount, first.currency) == (
            "pending",
            False,
            Decimal("990.00"),
            "RUB",
        )
        assert first.metadata["order_id"] == "order-1"
        assert first.confirmation_url.startswith("https://")
        assert len(yookassa.state.payments) == 2
        with pytest.raises(GatewayRejected, match="400"):
            await _create(gateway, "key-1", amount="10.00")  # same key, other body
        yookassa.state.succeed(first.id)
        paid = await gateway.get_payment(first.id)
        assert (paid.status, paid.paid) == ("succeeded", True)
        with pytest.raises(GatewayRejected, match="404"):
            await gateway.get_payment("no-such-payment")
    finally:
        gateway.close()


async def test_gateway_errors_are_bounded_and_carry_no_secret(yookassa):
    wrong = YooKassaGateway("100500", "wrong_secret", yookassa.url + "/v3", timeout=1)
    try:
        with pytest.raises(GatewayRejected, match="401") as error:
            await _create(wrong, "k")
        assert "wrong_secret" not in str(error.value)
    finally:
        wrong.close()

    gateway = YooKassaGateway("100500", SECRET, yookassa.url + "/v3", timeout=1)
    try:
        yookassa.state.fault.delay, yookassa.state.fault.count = 2.5, 1
        started = time.monotonic()
        with pytest.raises(GatewayUnavailable, match="no answer within 1 s"):
            await _create(gateway, "slow")
        assert time.monotonic() - started < 3
        yookassa.state.fault.delay, yookassa.state.fault.status, yookassa.state.fault.count = (
            0,
            500,
            1,
        )
        with pytest.raises(GatewayUnavailable, match="500"):
            await _create(gateway, "err")
    finally:
        gateway.close()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = YooKassaGateway("100500", SECRET, f"http://127.0.0.1:{port}/v3", timeout=1)
    try:
        with pytest.raises(GatewayUnavailable, match="unreachable") as error:
            await _create(refused, "k")
        assert SECRET not in str(error.value)
    finally:
        refused.close()


async def test_yookassa_sandbox_validates_like_the_real_api(yookassa):
    import base64

    auth = "Basic " + base64.b64encode(f"100500:{SECRET}".encode()).decode()
    url = yookassa.url + "/v3/payments"
    body = {"amount": {"value": "10.00", "currency": "RUB"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers={"Authorization": auth}) as r:
            error = await r.json()
            assert r.status == 400 and error["parameter"] == "Idempotence-Key"
            assert error["type"] == "error" and error["code"] == "invalid_request"
        async with http.post(url, json=body, headers={"Idempotence-Key": "k"}) as r:
            assert r.status == 401 and (await r.json())["code"] == "invalid_credentials"
        bad = {"amount": {"value": "-1", "currency": "RUB"}}
        async with http.post(
            url, json=bad, headers={"Authorization": auth, "Idempotence-Key": "k2"}
        ) as r:
            assert r.status == 400 and (await r.json())["parameter"] == "amount.value"
        async with http.get(url + "/nope", headers={"Authorization": auth}) as r:
            assert r.status == 404 and (await r.json())["code"] == "not_found"
