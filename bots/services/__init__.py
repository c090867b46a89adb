"""Tenant bot services, one module per domain: no aiogram here; each owns its transaction.

The Dispatcher injects one of each into handlers: `salon`, `catalogue`, `schedule`, `booking`,
`customers`, `reminders`, `reports`, `staff_access`, `notices` (see `bots.factory`).
"""

from bots.services.base import SETTING_KEYS, BaseService, SalonSettings, SettingsCache
from bots.services.bookings import (
    EXCLUSION_VIOLATION,
    BookingService,
    BookResult,
    Draft,
    Move,
    Tell,
    new_request_key,
)
from bots.services.calendar import CalendarService, StaffDay
from bots.services.catalogue import CatalogueService
from bots.services.clients import ClientService
from bots.services.customers import CustomerService
from bots.services.notices import NoticeService
from bots.services.reminders import REMINDER_ATTEMPTS, REMINDER_STUCK_AFTER, ReminderService
from bots.services.reports import ReportService, Stats
from bots.services.salon import SalonService
from bots.services.schedule import ScheduleService
from bots.services.staff_access import StaffAccessService

__all__ = [
    "EXCLUSION_VIOLATION",
    "REMINDER_ATTEMPTS",
    "REMINDER_STUCK_AFTER",
    "SETTING_KEYS",
    "BaseService",
    "BookResult",
    "BookingService",
    "CalendarService",
    "CatalogueService",
    "ClientService",
    "CustomerService",
    "Draft",
    "Move",
    "NoticeService",
    "ReminderService",
    "ReportService",
    "SalonService",
    "SalonSettings",
    "ScheduleService",
    "SettingsCache",
    "StaffAccessService",
    "StaffDay",
    "Stats",
    "Tell",
    "new_request_key",
]
