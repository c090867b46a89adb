"""What the salon offers: its services, its specialists, and who does what."""

from __future__ import annotations

from bots.errors import ServiceGone, StaffGone
from bots.repository import ServiceRow, StaffRow
from bots.services.base import BaseService


class CatalogueService(BaseService):
    # --- services --------------------------------------------------------------------------

    async def services(self) -> list[ServiceRow]:
        async with self.db.acquire() as conn:
            return await self.repo.services(conn)

    async def service(self, service_id: int) -> ServiceRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.service(conn, service_id)

    async def add_service(self, name: str, duration_min: int, price: int) -> int:
        async with self.db.acquire() as conn:
            return await self.repo.add_service(conn, name, duration_min, price)

    async def update_service(
        self, service_id: int, name: str, duration_min: int, price: int
    ) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.update_service(conn, service_id, name, duration_min, price)

    async def delete_service(self, service_id: int) -> bool:
        """Nobody can book it from then on; bookings of it being made finish first (the
        caller then settles every booking ahead)."""
        async with self.db.acquire() as conn, conn.transaction():
            if not await self.repo.lock_service(conn, service_id):
                return False
            return await self.repo.deactivate_service(conn, service_id)

    # --- staff -----------------------------------------------------------------------------

    async def staff(self) -> list[StaffRow]:
        async with self.db.acquire() as conn:
            return await self.repo.staff(conn)

    async def staff_member(self, staff_id: int) -> StaffRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.staff_member(conn, staff_id)

    async def add_staff(self, name: str) -> int:
        async with self.db.acquire() as conn:
            return await self.repo.add_staff(conn, name)

    async def delete_staff(self, staff_id: int) -> bool:
        """Nobody can book them from then on; bookings of theirs being made finish first (the
        caller then settles every booking ahead)."""
        async with self.db.acquire() as conn, conn.transaction():
            if not await self.repo.lock_staff_schedule(conn, staff_id):
                return False
            return await self.repo.deactivate_staff(conn, staff_id)

    async def staff_services(self, staff_id: int) -> tuple[list[ServiceRow], set[int]]:
        async with self.db.acquire() as conn:
            return await self.repo.services(conn), await self.repo.staff_service_ids(conn, staff_id)

    async def toggle_staff_service(self, staff_id: int, service_id: int) -> bool:
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            if await self.repo.service(conn, service_id) is None:
                raise ServiceGone
            return await self.repo.toggle_staff_service(conn, staff_id, service_id)
