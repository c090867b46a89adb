"""The Sales service's YooKassa gateway against the YooKassa stand-in, served in-process on
127.0.0.1, and the stand-in's own validation."""

from __future__ import annotations

import socket
import time
from decimal import Decimal

import aiohttp
import pytest

from sales.payments import GatewayRejected, GatewayUnavailable, YooKassaGateway
from sandbox.yookassa.app import YooKassaServer, YooKassaState

SECRET = "live_SecretKey_abcdef0123456789"


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
