"""What the customer has chosen so far: one typed draft, kept in the dialog's data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from aiogram_dialog import DialogManager

from bots import views
from bots.dialogs.common import time_at
from bots.services import Draft

_KEY = "draft"


@dataclass
class BookingDraft:
    service_id: int = 0
    staff_id: int = 0  # 0 = any free specialist
    day: int = 0  # views.day_id
    starts: int = 0  # common.time_id
    name: str = ""
    phone: str = ""
    key: str = ""  # the request key of the summary on screen (a double tap books once)
    reschedule_id: int = 0  # moving this booking instead of making a new one
    taken: bool = False  # the chosen time was just taken: say so on the next screen
    notice: str = ""  # why the input was refused, shown instead of the question
    outcome: str = ""  # the last screen's text
    for_client: bool = False  # the owner books for a client by name and phone (/admin)

    @classmethod
    def of(cls, manager: DialogManager) -> BookingDraft:
        stored = manager.dialog_data.get(_KEY, {})
        return cls(**{f.name: stored[f.name] for f in fields(cls) if f.name in stored})

    def save(self, manager: DialogManager) -> None:
        manager.dialog_data[_KEY] = asdict(self)

    def restart(self, service_id: int) -> BookingDraft:
        """Another service: the steps after it start over; whom the booking is for stays."""
        return BookingDraft(
            service_id=service_id, name=self.name, phone=self.phone, for_client=self.for_client
        )

    @property
    def the_day(self) -> date:
        return views.day_from_id(self.day)

    @property
    def starts_at(self) -> datetime:
        return time_at(self.starts)

    def for_booking(self, customer_id: int) -> Draft:
        """What `BookingService.book` takes."""
        return Draft(
            service_id=self.service_id,
            staff_id=self.staff_id,
            starts_at=self.starts_at,
            request_key=self.key,
            customer_id=customer_id,
            name=self.name,
            phone=self.phone,
            by_owner=self.for_client,
        )
