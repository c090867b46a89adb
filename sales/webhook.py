"""The YooKassa notification endpoint, an aiohttp app served in the Sales process."""

from __future__ import annotations

from aiohttp import web

from sales.orders import OrderProcessor


def build_webhook_app(processor: OrderProcessor, path: str) -> web.Application:
    async def notification(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"status": "not json"}, status=400)
        status, reason = await processor.handle_notification(request.remote, body)
        return web.json_response({"status": reason}, status=status)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=256 * 1024)
    app.router.add_post(path, notification)
    app.router.add_get("/health", health)
    return app
