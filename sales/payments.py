"""YooKassa through the official SDK, called off the event loop with a bound on time.

The SDK is synchronous (`requests`) and sets no timeout. Each call runs in a small dedicated
thread pool under `asyncio.wait_for`; its HTTP session also gets a socket timeout, so a silent
server cannot pin a thread forever. The SDK's configuration is global: `configure()` is called
once, here, with `api_url` (calling it again without `api_url` would reset it to production).
"""

from __future__ import annotations

import asyncio
import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import requests
from yookassa import Configuration, Payment, Refund
from yookassa.client import ApiClient
from yookassa.domain.common import SecurityHelper
from yookassa.domain.exceptions import ApiError


class PaymentStatus(StrEnum):
    """YooKassa's `status` of a payment (a refund is pending, succeeded or canceled too).
    Values are YooKassa's: `canceled` with one l."""

    PENDING = "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class ReceivedVia(StrEnum):
    """How a payment reached us (`platform.payments.received_via`)."""

    WEBHOOK = "webhook"  # YooKassa's notification
    POLLER = "poller"  # Sales asked about a pending payment
    CHECK = "check"  # the buyer pressed «Проверить оплату» (or the payment was paid at once)


class GatewayError(Exception):
    """YooKassa could not be used; the message is safe to log (no secrets)."""


class GatewayUnavailable(GatewayError):
    """Timed out, unreachable, or a 5xx: the same call may be retried later."""


class GatewayRejected(GatewayError):
    """YooKassa answered 4xx: retrying the same call will not help."""


@dataclass(frozen=True)
class PaymentInfo:
    id: str
    status: str  # a PaymentStatus value, as YooKassa sent it
    paid: bool
    amount: Decimal
    currency: str
    metadata: dict[str, str]
    confirmation_url: str | None


@dataclass(frozen=True)
class RefundInfo:
    id: str
    payment_id: str
    status: str  # a PaymentStatus value: pending | succeeded | canceled
    amount: Decimal
    currency: str


def _refund_info(response) -> RefundInfo:
    return RefundInfo(
        id=response.id,
        payment_id=response.payment_id,
        status=response.status,
        amount=Decimal(str(response.amount.value)),
        currency=str(response.amount.currency),
    )


def _info(response) -> PaymentInfo:
    confirmation = getattr(response, "confirmation", None)
    amount = response.amount
    return PaymentInfo(
        id=response.id,
        status=response.status,
        paid=bool(response.paid),
        amount=Decimal(str(amount.value)),
        currency=str(amount.currency),
        metadata={str(k): str(v) for k, v in (response.metadata or {}).items()},
        confirmation_url=getattr(confirmation, "confirmation_url", None) if confirmation else None,
    )


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _bounded_payment(timeout: float, base: type = Payment) -> type:
    """`Payment` (or `Refund`) whose API client's HTTP session has a socket timeout (the SDK's
    has none)."""

    class _Client(ApiClient):
        def get_session(self):
            session = _TimeoutSession(timeout)
            base = super().get_session()
            session.adapters = base.adapters
            return session

    class _Payment(base):
        def __init__(self) -> None:
            self.client = _Client()

    return _Payment


class YooKassaGateway:
    def __init__(
        self, shop_id: str, secret_key: str, api_url: str, *, timeout: float = 10.0
    ) -> None:
        if not shop_id or not secret_key:
            raise GatewayError("YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY must be set")
        Configuration.configure(shop_id, secret_key, api_url=api_url.rstrip("/"), max_attempts=1)
        self.timeout = timeout
        self._payment = _bounded_payment(timeout)
        self._refund = _bounded_payment(timeout, Refund)
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="yookassa")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _call(self, what: str, func, *args) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._executor, func, *args), self.timeout + 1
            )
        except TimeoutError:
            raise GatewayUnavailable(f"{what}: no answer within {self.timeout:g} s") from None
        except ApiError as exc:
            code = getattr(exc, "HTTP_CODE", None) or 0
            detail = exc.args[0] if exc.args else {}
            text = detail.get("description") if isinstance(detail, dict) else None
            message = f"{what}: YooKassa answered {code} ({text or type(exc).__name__})"
            if code >= 500 or code == 429:
                raise GatewayUnavailable(message) from None
            raise GatewayRejected(message) from None
        except Exception as exc:
            # The SDK turns a transport error into `AttributeError` ('NoneType' has no
            # 'status_code'); the real cause is the exception it was handling.
            cause = exc.__context__ or exc
            if isinstance(cause, requests.Timeout):
                raise GatewayUnavailable(f"{what}: no answer within {self.timeout:g} s") from None
            raise GatewayUnavailable(
                f"{what}: YooKassa unreachable ({type(cause).__name__})"
            ) from None

    async def create_payment(
        self,
        *,
        order_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        idempotence_key: str,
    ) -> PaymentInfo:
        params = {
            "amount": {"value": f"{amount:.2f}", "currency": currency},
            "confirmation": {"type": "redirect", "return_url": return_url},
            "capture": True,
            "description": description[:128],
            "metadata": {"order_id": order_id},
        }
        response = await self._call("create payment", self._payment.create, params, idempotence_key)
        return _info(response)

    async def get_payment(self, payment_id: str) -> PaymentInfo:
        return _info(await self._call("get payment", self._payment.find_one, payment_id))

    async def get_refund(self, refund_id: str) -> RefundInfo:
        return _refund_info(await self._call("get refund", self._refund.find_one, refund_id))


class IpAllowlist:
    """Who may send notifications: the given networks, or YooKassa's published ones."""

    def __init__(self, networks: str = "", *, empty_means_none: bool = False) -> None:
        items = [n.strip() for n in networks.split(",") if n.strip()]
        if not items and not empty_means_none:
            items = list(SecurityHelper.YOOKASSA_NETWORKS)
        self.networks = [ipaddress.ip_network(n, strict=False) for n in items]

    def __contains__(self, ip: str | None) -> bool:
        if not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in net for net in self.networks if net.version == address.version)
