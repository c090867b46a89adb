"""The webhook reads `X-Forwarded-For` from every header line: a client's own line before the
proxy's cannot choose the sender's address."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from sales.payments import IpAllowlist
from sales.webhook import build_webhook_app


class Recorder:
    def __init__(self) -> None:
        self.ips: list[str | None] = []

    async def handle_notification(self, ip, body):
        self.ips.append(ip)
        return 200, "ok"


async def test_every_forwarded_for_line_is_read():
    recorder = Recorder()
    app = build_webhook_app(recorder, "/hook", IpAllowlist("127.0.0.1/32", empty_means_none=True))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        # the client forged a line with YooKassa's address; the proxy added the real one
        headers = CIMultiDict(
            [("X-Forwarded-For", "185.71.76.5"), ("X-Forwarded-For", "203.0.113.9")]
        )
        response = await client.post("/hook", json={}, headers=headers)
        assert response.status == 200
        response = await client.post(
            "/hook", json={}, headers={"X-Forwarded-For": "203.0.113.9, 185.71.76.5"}
        )
        assert response.status == 200
    assert recorder.ips == ["203.0.113.9", "185.71.76.5"]
