"""The YooKassa stand-in: `POST /v3/payments`, `GET /v3/payments/{id}`, and `/_sandbox/*`.

Behaves like the real API where our code relies on it: Basic auth with shop id and secret key,
a mandatory `Idempotence-Key` (same key and body → the same payment; same key, other body → 400),
the real JSON shapes of payments and errors, and a payment that is `pending` until someone pays.

Control API (no auth, loopback only):
    POST /_sandbox/payments/{id}/succeed   {"notify": true}   pay; POST the notification
    POST /_sandbox/payments/{id}/cancel    {"notify": true}   cancel; POST the notification
    POST /_sandbox/payments/{id}/notify    {"times": 1}       deliver the last event again
    POST /_sandbox/webhook                 {"url": "..."}     where notifications go
    POST /_sandbox/faults                  {"delay": 30, "count": 1, "status": null}
    GET  /_sandbox/payments                                   every payment, newest last
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from aiohttp import web

_AMOUNT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
CURRENCIES = {"RUB", "USD", "EUR"}


def _now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _error(status: int, code: str, description: str, parameter: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "type": "error",
        "id": str(uuid.uuid4()),
        "code": code,
        "description": description,
    }
    if parameter:
        body["parameter"] = parameter
    return web.json_response(body, status=status)


class ApiFault(Exception):
    def __init__(self, status: int, code: str, description: str, parameter: str | None = None):
        super().__init__(description)
        self.response = _error(status, code, description, parameter)


def _bad(description: str, parameter: str) -> ApiFault:
    return ApiFault(400, "invalid_request", description, parameter)


@dataclass
class Fault:
    delay: float = 0.0
    count: int = 0
    status: int | None = None


@dataclass
class YooKassaState:
    shop_id: str
    secret_key: str
    webhook_url: str | None = None
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)  # payment id -> last event
    idempotence: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    fault: Fault = field(default_factory=Fault)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    api_calls: int = 0
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check_auth(self, header: str | None) -> None:
        expected = base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        if header != f"Basic {expected}":
            raise ApiFault(
                401,
                "invalid_credentials",
                "Login and password or token are invalid. Specify your shopId and secret key "
                "or a valid OAuth token.",
            )

    def create(self, key: str | None, body: Any) -> dict[str, Any]:
        if not key:
            raise _bad("Idempotence key is missing. Specify it in the header.", "Idempotence-Key")
        if len(key) > 64:
            raise _bad("Idempotence key is too long: at most 64 characters.", "Idempotence-Key")
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if key in self.idempotence:
            seen, payment = self.idempotence[key]
            if seen != digest:
                raise _bad(
                    "Idempotence key duplicated: it was used with other request parameters.",
                    "Idempotence-Key",
                )
            return self.payments[payment["id"]]
        payment = self._new_payment(body)
        self.payments[payment["id"]] = payment
        self.idempotence[key] = (digest, payment)
        return payment

    def _new_payment(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.", "body")
        amount = body.get("amount")
        if not isinstance(amount, dict):
            raise _bad("Amount is missing.", "amount")
        value = amount.get("value")
        if not isinstance(value, str | int | float) or not _AMOUNT.match(str(value)):
            raise _bad("Invalid amount value.", "amount.value")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _bad("Invalid amount value.", "amount.value") from None
        if number <= 0:
            raise _bad("Amount must be greater than zero.", "amount.value")
        currency = amount.get("currency")
        if currency not in CURRENCIES:
            raise _bad("Invalid currency.", "amount.currency")
        confirmation = body.get("confirmation")
        if confirmation is not None:
            if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
                raise _bad("Unsupported confirmation type.", "confirmation.type")
            if not isinstance(confirmation.get("return_url"), str) or not re.match(
                r"^https?://", confirmation["return_url"]
            ):
                raise _bad("Invalid return_url.", "confirmation.return_url")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 128):
            raise _bad("Description is too long: at most 128 characters.", "description")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict) or len(metadata) > 16:
            raise _bad("Metadata: at most 16 keys.", "metadata")
        for k, v in metadata.items():
            if len(str(k)) > 32 or len(str(v)) > 512:
                raise _bad("Metadata key or value is too long.", "metadata")
        payment_id = f"{uuid.uuid4().hex[:8]}-000f-5000-9000-{uuid.uuid4().hex[:12]}"
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": {"value": f"{number:.2f}", "currency": currency},
            "created_at": _now(),
            "description": description,
            "metadata": {str(k): str(v) for k, v in metadata.items()},
            "recipient": {"account_id": self.shop_id, "gateway_id": "2000001"},
            "refundable": False,
            "test": True,
        }
        if confirmation is not None:
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": confirmation["return_url"],
                "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
            }
        if description is None:
            del payment["description"]
        payment["_capture"] = bool(body.get("capture", False))
        return payment

    def get(self, payment_id: str) -> dict[str, Any]:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise ApiFault(
                404,
                "not_found",
                "Incorrect payment_id. Payment doesn't exist or access denied. "
                "Specify the payment ID created in your store.",
                "payment_id",
            )
        return payment

    def succeed(self, payment_id: str) -> str:
        payment = self.get(payment_id)
        if payment["status"] not in ("pending", "waiting_for_capture"):
            raise ApiFault(400, "invalid_request", f"payment is {payment['status']}", "status")
        payment.update(paid=True, refundable=True)
        payment["payment_method"] = {
            "type": "bank_card",
            "id": payment_id,
            "saved": False,
            "title": "Bank card *4444",
            "card": {
                "first6": "555555",
                "last4": "4444",
                "expiry_month": "12",
                "expiry_year": "2030",
                "card_type": "MasterCard",
            },
        }
        payment.pop("confirmation", None)
        if payment["_capture"] or payment["status"] == "waiting_for_capture":
            value = Decimal(payment["amount"]["value"])
            payment.update(status="succeeded", captured_at=_now())
            payment["income_amount"] = {
                "value": f"{value * Decimal('0.965'):.2f}",
                "currency": payment["amount"]["currency"],
            }
            payment["refunded_amount"] = {
                "value": "0.00",
                "currency": payment["amount"]["currency"],
            }
            event = "payment.succeeded"
        else:
            payment.update(status="waiting_for_capture", expires_at=_now())
            event = "payment.waiting_for_capture"
        self.events[payment_id] = event
        return event

    def cancel(self, payment_id: str) -> str:
        payment = self.get(payment_id)
        if payment["status"] not in ("pending", "waiting_for_capture"):
            raise ApiFault(400, "invalid_request", f"payment is {payment['status']}", "status")
        payment.update(status="canceled", paid=False)
        payment.pop("confirmation", None)
        payment["cancellation_details"] = {
            "party": "yoo_money",
            "reason": "expired_on_confirmation",
        }
        self.events[payment_id] = "payment.canceled"
        return "payment.canceled"

    def refund(self, payment_id: str, amount: str | None) -> dict[str, Any]:
        """A succeeded refund of (part of) a succeeded payment, as the shop's dashboard makes."""
        payment = self.get(payment_id)
        if payment["status"] != "succeeded":
            raise ApiFault(400, "invalid_request", f"payment is {payment['status']}", "status")
        paid = Decimal(payment["amount"]["value"])
        done = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        value = Decimal(amount) if amount is not None else paid - done
        if value <= 0 or done + value > paid:
            raise _bad("Refund amount exceeds what can be refunded.", "amount")
        currency = payment["amount"]["currency"]
        refund = {
            "id": f"{uuid.uuid4()}",
            "payment_id": payment_id,
            "status": "succeeded",
            "created_at": _now(),
            "amount": {"value": f"{value:.2f}", "currency": currency},
        }
        self.refunds[refund["id"]] = refund
        payment["refunded_amount"] = {"value": f"{done + value:.2f}", "currency": currency}
        return refund

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise ApiFault(404, "not_found", "Refund doesn't exist or access denied.", "refund_id")
        return refund


def public(payment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payment.items() if not k.startswith("_")}


def notification(event: str, payment: dict[str, Any]) -> dict[str, Any]:
    return {"type": "notification", "event": event, "object": public(payment)}


STATE = web.AppKey("state", YooKassaState)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def _state(request: web.Request) -> YooKassaState:
    return request.app[STATE]


async def _api_guard(request: web.Request) -> Fault | None:
    """Auth first (as the real API), then whatever fault the test asked for."""
    state = _state(request)
    state.api_calls += 1
    state.check_auth(request.headers.get("Authorization"))
    fault = state.fault
    if fault.count > 0:
        fault.count -= 1
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status:
            raise ApiFault(fault.status, "internal_server_error", "Internal server error")
    return None


async def create_payment(request: web.Request) -> web.Response:
    try:
        await _api_guard(request)
        try:
            body = await request.json()
        except ValueError:
            raise _bad("The request body is not valid JSON.", "body") from None
        payment = _state(request).create(request.headers.get("Idempotence-Key"), body)
    except ApiFault as fault:
        return fault.response
    return web.json_response(public(payment))


async def get_payment(request: web.Request) -> web.Response:
    try:
        await _api_guard(request)
        payment = _state(request).get(request.match_info["payment_id"])
    except ApiFault as fault:
        return fault.response
    return web.json_response(public(payment))


async def _deliver(request: web.Request, payment_id: str, times: int = 1) -> list[int | str]:
    state = _state(request)
    payment = state.get(payment_id)
    event = state.events.get(payment_id)
    url = state.webhook_url
    if not url or not event:
        return []
    body = notification(event, payment)
    results: list[int | str] = []
    session = request.app[SESSION]
    for _ in range(times):
        try:
            async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=30)) as r:
                results.append(r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            results.append(type(exc).__name__)
        state.deliveries.append({"payment_id": payment_id, "event": event, "result": results[-1]})
    return results


async def get_refund(request: web.Request) -> web.Response:
    try:
        await _api_guard(request)
        refund = _state(request).get_refund(request.match_info["refund_id"])
    except ApiFault as fault:
        return fault.response
    return web.json_response(refund)


async def _post_refund(request: web.Request, refund: dict[str, Any], times: int) -> list:
    state = _state(request)
    if not state.webhook_url:
        return []
    body = {"type": "notification", "event": "refund.succeeded", "object": refund}
    results: list[int | str] = []
    for _ in range(times):
        try:
            async with request.app[SESSION].post(
                state.webhook_url, json=body, timeout=aiohttp.ClientTimeout(total=30)
            ) as r:
                results.append(r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            results.append(type(exc).__name__)
        state.deliveries.append(
            {"refund_id": refund["id"], "event": body["event"], "result": results[-1]}
        )
    return results


async def control_refund(request: web.Request) -> web.Response:
    """Refund a payment (all of what is left, or `amount`) and notify `times` times."""
    try:
        body = await _control_body(request)
        state = _state(request)
        refund = state.refund(request.match_info["payment_id"], body.get("amount"))
        delivered = await _post_refund(request, refund, int(body.get("times", 1)))
    except ApiFault as fault:
        return fault.response
    return web.json_response({"refund": refund, "delivered": delivered})


async def control_refund_notify(request: web.Request) -> web.Response:
    try:
        body = await _control_body(request)
        refund = _state(request).get_refund(request.match_info["refund_id"])
        delivered = await _post_refund(request, refund, int(body.get("times", 1)))
    except ApiFault as fault:
        return fault.response
    return web.json_response({"refund": refund, "delivered": delivered})


async def _control_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ApiFault(400, "invalid_request", "control body must be JSON", "body") from None
    return body if isinstance(body, dict) else {}


async def control_pay(request: web.Request) -> web.Response:
    try:
        body = await _control_body(request)
        state = _state(request)
        payment_id = request.match_info["payment_id"]
        action = request.match_info["action"]
        if action == "succeed":
            event = state.succeed(payment_id)
        elif action == "cancel":
            event = state.cancel(payment_id)
        else:
            event = state.events.get(payment_id)
            if event is None:
                raise ApiFault(400, "invalid_request", "nothing to notify yet", "status")
        delivered = []
        if action == "notify" or body.get("notify", True):
            delivered = await _deliver(request, payment_id, int(body.get("times", 1)))
    except ApiFault as fault:
        return fault.response
    return web.json_response(
        {"payment": public(state.payments[payment_id]), "event": event, "delivered": delivered}
    )


async def control_webhook(request: web.Request) -> web.Response:
    body = await _control_body(request)
    _state(request).webhook_url = body.get("url") or None
    return web.json_response({"url": _state(request).webhook_url})


async def control_faults(request: web.Request) -> web.Response:
    body = await _control_body(request)
    _state(request).fault = Fault(
        delay=float(body.get("delay", 0)),
        count=int(body.get("count", 1)),
        status=body.get("status"),
    )
    return web.json_response({"ok": True})


async def control_list(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response(
        {
            "payments": [public(p) for p in state.payments.values()],
            "deliveries": state.deliveries,
            "api_calls": state.api_calls,
        }
    )


async def _session_ctx(app: web.Application):
    app[SESSION] = aiohttp.ClientSession()
    yield
    await app[SESSION].close()


def build_app(state: YooKassaState) -> web.Application:
    app = web.Application()
    app[STATE] = state
    app.cleanup_ctx.append(_session_ctx)
    app.router.add_post("/v3/payments", create_payment)
    app.router.add_get("/v3/payments/{payment_id}", get_payment)
    app.router.add_post(
        "/_sandbox/payments/{payment_id}/{action:succeed|cancel|notify}", control_pay
    )
    app.router.add_get("/v3/refunds/{refund_id}", get_refund)
    app.router.add_post("/_sandbox/payments/{payment_id}/refund", control_refund)
    app.router.add_post("/_sandbox/refunds/{refund_id}/notify", control_refund_notify)
    app.router.add_post("/_sandbox/webhook", control_webhook)
    app.router.add_post("/_sandbox/faults", control_faults)
    app.router.add_get("/_sandbox/payments", control_list)
    return app


class YooKassaServer:
    def __init__(self, state: YooKassaState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(build_app(self.state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
