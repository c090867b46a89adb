"""`SandboxYooKassa`: drives the fake YooKassa's control API (pay, cancel, replay, faults)."""

from __future__ import annotations

from typing import Any

import aiohttp


class SandboxYooKassaError(Exception):
    pass


class SandboxYooKassa:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxYooKassa:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def _request(self, method: str, path: str, body: dict | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            method,
            f"{self.base_url}/_sandbox/{path}",
            json=body,
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise SandboxYooKassaError(f"{method} {path}: HTTP {response.status}: {data}")
            return data

    async def set_webhook(self, url: str | None) -> None:
        await self._request("POST", "webhook", {"url": url})

    async def succeed(self, payment_id: str, *, notify: bool = True) -> dict[str, Any]:
        """The buyer pays; the notification goes to the webhook unless `notify=False`."""
        return await self._request("POST", f"payments/{payment_id}/succeed", {"notify": notify})

    async def cancel(self, payment_id: str, *, notify: bool = True) -> dict[str, Any]:
        return await self._request("POST", f"payments/{payment_id}/cancel", {"notify": notify})

    async def notify(self, payment_id: str, times: int = 1) -> list:
        """Deliver the payment's last notification again, `times` times in a row."""
        return (await self._request("POST", f"payments/{payment_id}/notify", {"times": times}))[
            "delivered"
        ]

    async def refund(self, payment_id: str, amount: str | None = None, *, times: int = 1):
        """The shop refunds (part of) a payment; `refund.succeeded` is delivered `times` times.
        Returns the refund object."""
        body = {"times": times} if amount is None else {"amount": amount, "times": times}
        return (await self._request("POST", f"payments/{payment_id}/refund", body))["refund"]

    async def notify_refund(self, refund_id: str, times: int = 1) -> list:
        return (await self._request("POST", f"refunds/{refund_id}/notify", {"times": times}))[
            "delivered"
        ]

    async def fault(self, *, delay: float = 0.0, count: int = 1, status: int | None = None) -> None:
        """The next `count` API calls wait `delay` seconds, then answer `status` if given."""
        await self._request("POST", "faults", {"delay": delay, "count": count, "status": status})

    async def payments(self) -> list[dict[str, Any]]:
        return (await self._request("GET", "payments"))["payments"]

    async def state(self) -> dict[str, Any]:
        return await self._request("GET", "payments")
