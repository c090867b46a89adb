"""What the Master Bot's e2e tests share: the operator's chat read back, waiting for an alert."""

from __future__ import annotations

from sandbox.harness import wait_until
from sandbox.telegram.client import UserActions


async def operator_texts(tg: UserActions, bot: str, admin: int) -> list[str]:
    """The texts of the bot's messages to the operator, oldest first."""
    return [m["text"] or "" for m in await tg.transcript(bot, admin) if m["from"] == "bot"]


async def wait_for_alert(
    tg: UserActions, bot: str, admin: int, needle: str, timeout: float = 30
) -> None:
    """Until one of the bot's messages to the operator contains `needle`."""

    async def seen():
        return any(needle in text for text in await operator_texts(tg, bot, admin))

    await wait_until(seen, timeout=timeout, interval=0.2, what=f"alert {needle!r}")
