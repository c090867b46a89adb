"""Pure formatting of Master Bot screens (unit-tested)."""

from __future__ import annotations

from datetime import datetime

from core.localtime import PLATFORM_ZONE, date_text, time_text, zone_name
from core.status import SubscriptionStatus
from master import texts
from master.services import PlatformStats
from pool.status import SlotStatus


def _age(seconds: float | None) -> str:
    if seconds is None:
        return texts.HEARTBEAT_NONE
    if seconds < 120:
        return f"{seconds:.0f} с"
    if seconds < 7200:
        return f"{seconds / 60:.0f} мин"
    return f"{seconds / 3600:.0f} ч"


def _since(value: str | None) -> str:
    if not value:
        return ""
    try:
        return " · с " + time_text(datetime.fromisoformat(value))
    except ValueError:
        return ""


def percent(part: int, total: int) -> int:
    return round(100 * part / total) if total else 0


def pool_text(status: dict) -> str:
    total = status["total"]
    lines = [
        texts.POOL_TITLE,
        texts.POOL_FREE.format(free=status["free"], total=total),
        texts.POOL_BUSY.format(busy=status["busy"], total=total),
    ]
    if status["stale"]:
        lines.append(texts.POOL_STALE.format(stale=status["stale"], total=total))
    if not total:
        return "\n".join([*lines, "", texts.POOL_EMPTY])
    lines.append(texts.POOL_LOAD.format(percent=percent(status["busy"], total)))
    lines.append("")
    for s in status["slots"]:
        icon = texts.SLOT_STALE if s["stale"] else texts.SLOT_ICONS.get(s["status"], "❔")
        line = texts.SLOT_LINE.format(
            icon=icon,
            pool_id=s["pool_id"],
            status=s["status"],
            client=f" · {s['client_id']}" if s["client_id"] else "",
            bot=f" · @{s['bot_username']}" if s["bot_username"] else "",
            since=(
                _since(s["activated_at"] or s["since"]) if s["status"] != SlotStatus.WAITING else ""
            ),
            heartbeat=_age(s["heartbeat_age"]),
        )
        line += texts.SLOT_DEAD if s["stale"] else ""
        for error in (s.get("polling_error"), s.get("resume_error")):
            if error:
                line += texts.SLOT_FAILING.format(error=error)
        lines.append(line)
    return "\n".join(lines)


def _series(points: list[tuple[str, int]]) -> str:
    if not points:
        return texts.STATS_NONE
    width = max(n for _, n in points)
    return "\n".join(f"{label}  {'▇' * max(1, round(8 * n / width))} {n}" for label, n in points)


def money(value, currency: str = "RUB") -> str:
    sign = "₽" if currency == "RUB" else currency
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + f" {sign}"


def stats_text(stats: PlatformStats, status: dict) -> str:
    return texts.STATS.format(
        day=stats.day,
        day_failed=stats.day_failed,
        week=stats.week,
        avg_ms=texts.STATS_NONE if stats.avg_ms is None else stats.avg_ms,
        hours=_series(stats.hours),
        days=_series(stats.days),
        busy=status["busy"],
        total=status["total"],
        percent=percent(status["busy"], status["total"]),
        utilization="\n".join(f"{label}  {p} %" for label, p in stats.utilization)
        or texts.STATS_NONE,
        revenue_day=money(stats.revenue.day, stats.revenue.currency),
        revenue_week=money(stats.revenue.week, stats.revenue.currency),
        revenue_month=money(stats.revenue.month, stats.revenue.currency),
        waiting=stats.waiting_orders,
        zone=zone_name(PLATFORM_ZONE),
    )


def subscription_text(status: SubscriptionStatus | None, ends_at) -> str:
    if status is None:
        return texts.SUBSCRIPTION_NONE
    return texts.SUBSCRIPTION.get(status, status).format(date=date_text(ends_at))


def clients_text(rows, page: int, pages: int, total: int) -> str:
    if not rows:
        return texts.CLIENTS_EMPTY
    lines = [texts.CLIENTS_TITLE.format(total=total, page=page + 1, pages=pages), ""]
    for row in rows:
        icon = "⏸" if row.suspended else ("🟢" if row.slot else "⚪")
        bot = f" · @{row.bot_username}" if row.bot_username else ""
        lines.append(
            f"{icon} {row.client_id} · {row.company_name}{bot} · "
            f"{subscription_text(row.subscription_status, row.ends_at)}"
        )
    lines += ["", texts.CLIENTS_HINT]
    return "\n".join(lines)


def client_card_text(card) -> str:
    c = card.client
    text = texts.CLIENT_CARD.format(
        client_id=c.client_id,
        company=c.company_name,
        admin=card.admin_telegram_id or "—",
        buyer=card.buyer_telegram_id or "—",
        bot=f"@{c.bot_username}" if c.bot_username else "—",
        slot=c.slot or texts.CLIENT_NO_SLOT,
        subscription=subscription_text(c.subscription_status, c.ends_at),
        suspended=texts.CLIENT_SUSPENDED if c.suspended else "",
    )
    if card.payments:
        text += texts.CLIENT_PAYMENTS.format(
            lines="\n".join(
                texts.CLIENT_PAYMENT_LINE.format(
                    date=date_text(p.recorded_at), amount=money(p.amount, p.currency), kind=p.kind
                )
                for p in card.payments
            )
        )
    else:
        text += texts.CLIENT_NO_PAYMENTS
    if card.open_orders:
        text += texts.CLIENT_ORDERS.format(
            lines="\n".join(
                texts.CLIENT_ORDER_LINE.format(
                    short=o.id.hex[:8],
                    status=o.status,
                    paid=time_text(o.paid_at),
                    error=f" · {o.last_error}" if o.last_error else "",
                )
                for o in card.open_orders
            )
        )
    return text


def confirm_text(action: str, client_id: str, days: int, order: str) -> str:
    """The question before an action from a client's card (`CardAction`'s values)."""
    template = {
        "extend": texts.CONFIRM_EXTEND,
        "suspend": texts.CONFIRM_SUSPEND,
        "resume": texts.CONFIRM_RESUME,
        "resend": texts.CONFIRM_RESEND,
    }[action]
    return template.format(client_id=client_id, days=days, short=order[:8])
