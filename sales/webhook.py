"""The YooKassa notification endpoint, an aiohttp app served in the Sales process."""

from __future__ import annotations

from aiohttp import web

from sales.orders import OrderProcessor
from sales.payments import IpAllowlist


def client_ip(
    remote: str | None, forwarded_for: str | None, proxies: IpAllowlist | None
) -> str | None:
    """The sender's address. Behind a reverse proxy (TLS termination) that is listed in
    `SALES_WEBHOOK_TRUSTED_PROXIES`, it is the right-most `X-Forwarded-For` entry that is not
    one of those proxies; otherwise the TCP peer. A client cannot forge it by sending the header
    directly, because then the TCP peer is not a trusted proxy."""
    if proxies is None or remote not in proxies or not forwarded_for:
        return remote
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in proxies:
            return hop
    return remote


def build_webhook_app(
    processor: OrderProcessor, path: str, proxies: IpAllowlist | None = None
) -> web.Application:
    async def notification(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"status": "not json"}, status=400)
        # every header line: a proxy may add its own line after one the client sent
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", [])) or None
        ip = client_ip(request.remote, forwarded, proxies)
        status, reason = await processor.handle_notification(ip, body)
        return web.json_response({"status": reason}, status=status)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=256 * 1024)
    app.router.add_post(path, notification)
    app.router.add_get("/health", health)
    return app
