"""deploy-test's simulated users, driven from the host through the sandboxes' control APIs.

    sandbox_user.py ask API BOT USER_ID TEXT EXPECT...   a message to a bot; the reply (text or a
                                                         button) must contain every EXPECT
    sandbox_user.py buy API YOOKASSA SALES_BOT USER_ID COMPANY   (the tenant's token on stdin)
        a purchase through the Sales Bot, paid in the YooKassa stand-in; waits for the notice

Run with the repository's virtualenv and the repository on PYTHONPATH (sandbox/ is imported).
"""

from __future__ import annotations

import asyncio
import sys

from sandbox.buyer import SalesBuyer
from sandbox.telegram.client import SandboxTelegram
from sandbox.yookassa.client import SandboxYooKassa


def _texts(message: dict) -> list[str]:
    buttons = [
        button.get("text", "")
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]
    return [message.get("text") or "", *buttons]


async def ask(api: str, bot: str, user_id: str, text: str, *expect: str) -> None:
    async with SandboxTelegram(api) as tg:
        reply = await tg.ask(bot, int(user_id), text, timeout=30)
    texts = _texts(reply)
    missing = [e for e in expect if not any(e in t for t in texts)]
    print(" | ".join(t.replace("\n", " / ") for t in texts))
    if missing:
        raise SystemExit(f"@{bot} answered {text!r} without {missing}")


async def buy(api: str, yookassa: str, sales_bot: str, user_id: str, company: str) -> None:
    token = sys.stdin.readline().strip()
    async with SandboxTelegram(api) as tg, SandboxYooKassa(yookassa) as yk:
        buyer = SalesBuyer(tg, sales_bot, int(user_id))
        payment_id = await buyer.order(token, company)
        print(f"order placed, payment {payment_id}")
        delivered = (await yk.succeed(payment_id))["delivered"]
        print(f"paid; the webhook answered {delivered}")
        notice = await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=90)
        print(notice["text"].replace("\n", " / "))


def main() -> None:
    command, *args = sys.argv[1:]
    asyncio.run({"ask": ask, "buy": buy}[command](*args))


if __name__ == "__main__":
    main()
