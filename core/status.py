"""The values stored in schema `platform` that more than one service reads.

Each enum's values are exactly what the `CHECK` constraints (or, for `RunRefusal`, the
`platform.refusal_of` function) in `sql/platform/` allow: they are contracts with the data
already stored, so a value is never renamed here alone. A test reads the database's allowed
values back and compares them. Members are `str`s: they go to asyncpg as SQL parameters as they
are, and compare equal to the plain strings a row holds.

Sales writes orders and subscriptions, the Master reads and corrects them, the pool records
activation events: these services never import each other, so the vocabulary lives here.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """`platform.orders.status`. new -> pending (payment created) -> paid -> activating ->
    active; paid/activating -> queued (no free slot); activating -> needs_token (token
    rejected) -> paid; held (paid while suspended); expired, cancelled, refunded."""

    NEW = "new"
    PENDING = "pending"
    PAID = "paid"
    ACTIVATING = "activating"
    QUEUED = "queued"
    NEEDS_TOKEN = "needs_token"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    HELD = "held"
    EXPIRED = "expired"
    REFUNDED = "refunded"


# Waiting for the buyer's payment.
UNPAID_ORDERS = (OrderStatus.NEW, OrderStatus.PENDING)
# Paid and not running yet: Sales still has work to do (the Master's "unfinished orders").
UNFINISHED_ORDERS = (
    OrderStatus.PAID,
    OrderStatus.ACTIVATING,
    OrderStatus.QUEUED,
    OrderStatus.NEEDS_TOKEN,
)


class OrderKind(StrEnum):
    """`platform.orders.kind`."""

    NEW = "new"
    RENEWAL = "renewal"
    REPLACE_TOKEN = "replace_token"


class SubscriptionStatus(StrEnum):
    """`platform.subscriptions.status`: pending (paid, never activated) -> active -> grace
    (ended, bot still running) -> released (slot freed, data archived) -> active on renewal."""

    PENDING = "pending"
    ACTIVE = "active"
    GRACE = "grace"
    RELEASED = "released"


# The bot runs (or should): its token may be replaced, the buyer is reminded.
RUNNING_SUBSCRIPTIONS = (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE)
# Started at least once: a renewal is possible.
RENEWABLE_SUBSCRIPTIONS = (*RUNNING_SUBSCRIPTIONS, SubscriptionStatus.RELEASED)
# Not ended: the tenant holds its token.
LIVE_SUBSCRIPTIONS = (SubscriptionStatus.PENDING, *RUNNING_SUBSCRIPTIONS)


class ActivationEvent(StrEnum):
    """`platform.activation_history.event`."""

    ACTIVATED = "activated"
    RESUMED = "resumed"
    REJECTED = "rejected"
    FAILED = "failed"
    RELEASED = "released"


# Events the operator is alerted about and counts as failed activations.
FAILED_EVENTS = (ActivationEvent.REJECTED, ActivationEvent.FAILED)


class RunRefusal(StrEnum):
    """Why a tenant may not run: what `platform.run_refusal(client_id)` returns (NULL when it
    may), and the DETAIL of the error PostgreSQL raises when an assignment is refused."""

    SUSPENDED = "suspended"
    SUBSCRIPTION_ENDED = "subscription_ended"
    NO_SUBSCRIPTION = "no_subscription"


class BuyerNoticeKind(StrEnum):
    """`platform.buyer_notices.kind`: what the Master leaves for the Sales Bot to tell a buyer."""

    SUSPENDED = "suspended"
    RESUMED = "resumed"


class AlertKind(StrEnum):
    """`platform.alerts.kind`: what Sales (and the Master itself) leave for the operator. The
    column has no CHECK: the Master shows a kind it does not know as it is."""

    PAYMENT_REJECTED = "payment_rejected"  # YooKassa refused to create a payment
    PAYMENT_MISMATCH = "payment_mismatch"  # a payment does not match its order
    POOL_FULL = "pool_full"
    ACTIVATION_FAILED = "activation_failed"
    ORDER_HELD = "order_held"
    TENANT_RELEASED = "tenant_released"
    REFUND = "refund"
    MASTER = "master"  # the Master's own alert; its detail is the text


# Payment notifications the platform turned down (the Master's metrics count them).
PAYMENT_ALERTS = (AlertKind.PAYMENT_REJECTED, AlertKind.PAYMENT_MISMATCH)


def parse_stored(row: object, **enums: type[StrEnum]) -> None:
    """For a frozen dataclass's `__post_init__`: turn the named fields, as a row held them,
    into their enums (None stays None). A value the enum does not know — a migration added it
    and this code is older — fails here, naming the field, not later in a comparison that
    quietly never matches."""
    for name, enum in enums.items():
        value = getattr(row, name)
        if value is None or isinstance(value, enum):
            continue
        try:
            parsed = enum(value)
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise ValueError(
                f"{type(row).__name__}.{name}: unknown {enum.__name__} {value!r} (known: {known})"
            ) from None
        object.__setattr__(row, name, parsed)
