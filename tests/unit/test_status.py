"""Typed statuses and outcomes: stored values parsed into their enums (an unknown one fails
loudly), errors as classes, and the places outside Python that spell the values — Lua scripts,
JSON in Redis, texts keyed by status — kept in step with the enums."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from bots import texts as bot_texts
from bots.errors import (
    BookingCutoffPassed,
    BookingError,
    BookingNotActive,
    BookingNotFound,
    BookingNotStarted,
    NotAllowed,
    ServiceGone,
    SlotTaken,
    StaffGone,
)
from bots.repository import BookingRow
from bots.status import ACTIVE_STATUSES, BookingStatus, CancelledBy
from core.status import (
    AlertKind,
    OrderKind,
    OrderStatus,
    SubscriptionStatus,
)
from master import services as master_services
from master import texts as master_texts
from pool import scripts
from pool.status import SlotStatus, parse, status_doc
from sales.repository import BuyerBot, Order

AT = datetime(2030, 3, 4, 7, 0, tzinfo=UTC)


def booking(**fields) -> BookingRow:
    values = dict(
        id=1, request_key="k", customer_id=10, customer_name="Анна", customer_phone="+7999",
        service_id=1, service_name="Стрижка", staff_id=1, staff_name="Ольга", price=1000,
        starts_at=AT, ends_at=AT, blocked_until=AT, status="booked", cancelled_by=None,
    )  # fmt: skip
    return BookingRow(**{**values, **fields})


def test_a_stored_status_becomes_its_enum_and_still_equals_the_stored_text():
    row = booking(status="cancelled", cancelled_by="owner")
    assert row.status is BookingStatus.CANCELLED
    assert row.cancelled_by is CancelledBy.OWNER
    assert row.status == "cancelled"  # what PostgreSQL holds, and what asyncpg is sent
    assert booking().cancelled_by is None
    assert booking(status="confirmed").status in ACTIVE_STATUSES


def test_an_unknown_stored_value_fails_naming_the_field_and_the_known_values():
    with pytest.raises(ValueError) as error:
        booking(status="archived")
    assert str(error.value) == (
        "BookingRow.status: unknown BookingStatus 'archived'"
        " (known: booked, confirmed, cancelled, no_show)"
    )


def test_sales_rows_parse_order_and_subscription_statuses():
    order = Order(
        id=uuid4(), kind="renewal", buyer_telegram_id=1, tariff_id=1, days=30, amount=None,
        currency="RUB", client_id="client_001", company_name=None, admin_telegram_id=None,
        bot_id=None, bot_username=None, token_encrypted=None, token_fingerprint=None,
        status="needs_token", payment_id=None, confirmation_url=None, slot=None, attempts=0,
        last_error=None, queued_at=None, created_at=AT, paid_at=None, activated_at=None,
    )  # fmt: skip
    assert (order.kind, order.status) == (OrderKind.RENEWAL, OrderStatus.NEEDS_TOKEN)
    bot = BuyerBot("client_001", "grace", AT, "a_bot", "Салон", None, None, None, waiting=None)
    assert bot.status is SubscriptionStatus.GRACE and bot.waiting is None
    with pytest.raises(ValueError, match=r"BuyerBot\.waiting: unknown OrderStatus 'lost'"):
        BuyerBot("client_001", "active", AT, None, None, None, None, None, waiting="lost")


def test_slot_status_is_written_to_redis_as_its_plain_value():
    doc = json.loads(status_doc("booking-bot-pool-1", 1, SlotStatus.WAITING))
    assert doc["status"] == "waiting" and type(doc["status"]) is str
    assert parse(status_doc("booking-bot-pool-1", 1, SlotStatus.ACTIVE))["status"] == "active"
    assert parse("not json") == {"status": "corrupt"}


def test_the_lua_scripts_read_and_write_only_slot_statuses():
    spelled = set()
    for script in (scripts.CLAIM, scripts.ACTIVATE, scripts.REPLACE_IF):
        spelled |= set(re.findall(r"st\.status\s*(?:==|~=|=)\s*'([a-z_]+)'", script))
    assert spelled == {SlotStatus.WAITING, SlotStatus.RESERVED, SlotStatus.ACTIVATING}


def test_every_status_shown_to_a_person_has_its_text():
    assert set(bot_texts.STATUS) == set(bot_texts.OWNER_STATUS) == set(BookingStatus)
    assert set(master_texts.SUBSCRIPTION) == set(SubscriptionStatus)
    assert set(master_texts.SLOT_ICONS) == set(SlotStatus)
    # the Master's own alerts carry their text; every kind Sales records has a template
    assert set(master_texts.ALERT_SALES) == set(AlertKind) - {AlertKind.MASTER}


def test_booking_errors_are_classes_a_handler_can_tell_apart():
    for error in (BookingNotFound, BookingNotActive, BookingCutoffPassed, BookingNotStarted):
        assert issubclass(error, BookingError)
    for error in (BookingError, ServiceGone, StaffGone):
        assert issubclass(error, NotAllowed)
    taken = SlotTaken([AT])
    assert isinstance(taken, BookingError) and taken.alternatives == [AT]


def test_every_client_action_error_has_the_operators_message():
    errors = master_services.ClientActionError.__subclasses__()
    assert master_services.NoFreeSlot in errors
    for error in errors:
        assert error.code in master_texts.CLIENT_ERRORS
    failed = master_services.ActivationFailed("no answer")
    assert (failed.code, failed.detail, str(failed)) == (
        "activation_failed",
        "no answer",
        "activation_failed: no answer",
    )
