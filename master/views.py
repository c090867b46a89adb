"""Pure formatting of Master Bot screens (unit-tested)."""

from __future__ import annotations

from datetime import datetime

from master import texts
from master.services import ActivationStats


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
        return " · с " + datetime.fromisoformat(value).strftime("%d.%m %H:%M")
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
            since=_since(s["activated_at"] or s["since"]) if s["status"] != "waiting" else "",
            heartbeat=_age(s["heartbeat_age"]),
        )
        lines.append(line + (texts.SLOT_DEAD if s["stale"] else ""))
    return "\n".join(lines)


def _series(points: list[tuple[str, int]]) -> str:
    if not points:
        return texts.STATS_NONE
    width = max(n for _, n in points)
    return "\n".join(f"{label}  {'▇' * max(1, round(8 * n / width))} {n}" for label, n in points)


def stats_text(stats: ActivationStats, status: dict) -> str:
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
    )
