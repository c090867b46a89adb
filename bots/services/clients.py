"""The owner's client card: customers found by name or phone, one customer's history with the
salon (visits, bookings ahead, cancellations, no-shows) and the owner's note on them."""

from __future__ import annotations

import re

from bots.errors import NotAllowed
from bots.repository import ClientCard, ClientRow
from bots.services.base import BaseService

MAX_FOUND = 10
MIN_DIGITS = 3  # a phone is searched by at least this many of its digits


class ClientService(BaseService):
    async def find(self, text: str) -> list[ClientRow]:
        """Customers whose name holds `text` (any case) or whose phone holds its digits (at
        least MIN_DIGITS of them); the most recent first, at most MAX_FOUND."""
        wanted = " ".join(text.split()).casefold()
        digits = re.sub(r"\D", "", text)
        async with self.db.acquire() as conn:
            everyone = await self.repo.clients(conn)
        found = [
            c
            for c in everyone
            if wanted in c.name.casefold()
            or (len(digits) >= MIN_DIGITS and digits in re.sub(r"\D", "", c.phone))
        ]
        return found[:MAX_FOUND]

    async def card(self, customer_id: int) -> ClientCard | None:
        async with self.db.acquire() as conn:
            return await self.repo.client_card(conn, customer_id, self.now())

    async def set_note(self, customer_id: int, note: str) -> None:
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.client_card(conn, customer_id, self.now()) is None:
                raise NotAllowed  # not a customer of this salon
            await self.repo.set_client_note(conn, customer_id, note)
