"""Master Bot: screens, alert conditions, callback data, the admin gate."""

import asyncio

from master import texts
from master.alerts import event_alert, pool_conditions
from master.app import AdminsOnly
from master.callbacks import PoolAction, PoolCallback
from master.keyboards import pool_screen
from master.repository import FailedActivation
from master.views import pool_text
from pool.manager import pool_problems


def slot(n, status="waiting", *, stale=False, client=None, bot=None, age=1.0):
    return {
        "container_id": f"booking-bot-pool-{n}",
        "pool_id": n,
        "status": status,
        "stale": stale,
        "heartbeat_age": age,
        "client_id": client,
        "bot_username": bot,
        "activated_at": "2026-11-24T18:30:00+00:00" if status == "active" else None,
        "since": "2026-11-24T18:00:00+00:00",
        "pid": 1,
        "host": "h",
        "last_error": None,
    }


def status_of(slots):
    free = sum(1 for s in slots if s["status"] == "waiting" and not s["stale"])
    return {
        "total": len(slots),
        "free": free,
        "busy": len(slots) - free,
        "stale": sum(s["stale"] for s in slots),
        "slots": slots,
    }


def test_pool_screen_shows_seed_summary_and_flags_dead_slots():
    status = status_of(
        [
            slot(1, "active", client="client_003", bot="anna_bot"),
            slot(2),
            slot(3, "active", stale=True, client="client_001", bot="b_bot", age=95),
            slot(10),
        ]
    )
    text = pool_text(status)
    assert text.splitlines()[:4] == [
        "🏊 СТАТУС ПУЛА БОТОВ",
        "⚪ Свободно: 2/4",
        "🟢 Занято: 2/4",
        "🔴 Без пульса: 1/4",
    ]
    lines = {line.split(".")[0][-2:].strip(): line for line in text.splitlines() if ". " in line}
    assert (
        "client_003" in lines["1"]
        and "@anna_bot" in lines["1"]
        and "с 24.11 21:30 МСК" in lines["1"]
    )
    assert lines["3"].startswith("🔴") and "НЕТ ПУЛЬСА" in lines["3"] and "95 с" in lines["3"]
    assert lines["2"].startswith("⚪") and "НЕТ ПУЛЬСА" not in lines["2"]


def test_empty_pool_says_what_to_check():
    assert "supervisorctl status" in pool_text(status_of([]))
    assert pool_problems(status_of([])) == ["no slots registered"]


def test_problems_name_dead_slots_and_full_pool():
    assert pool_problems(status_of([slot(1), slot(2)])) == []
    full = status_of([slot(1, "active", client="client_001"), slot(2, stale=True)])
    assert pool_problems(full) == ["1 slot(s) without heartbeat", "no free slot"]


def test_conditions_over_threshold_and_per_dead_slot():
    busy = status_of([slot(n, "active", client=f"client_00{n}") for n in range(1, 5)] + [slot(5)])
    keys = [a.key for a in pool_conditions(busy, 0.8)]
    assert keys == []  # 4/5 = 80 % is not above 80 %
    busy["slots"][4]["status"] = "active"
    busy = status_of(busy["slots"])
    alerts = pool_conditions(busy, 0.8)
    assert [a.key for a in alerts] == ["pool_full"]
    assert "100 %" in alerts[0].text
    dead = status_of([slot(1), slot(2, stale=True, age=None)])
    assert [a.key for a in pool_conditions(dead, 0.8)] == ["stale:booking-bot-pool-2"]


def test_event_alerts_tell_a_revoked_token_from_other_failures():
    revoked = event_alert(
        FailedActivation(
            id=7,
            slot="booking-bot-pool-1",
            client_id="client_002",
            detail="token rejected by Telegram (401 Unauthorized)",
        )
    )
    assert (
        revoked.key == "event:7" and revoked.text.startswith("🔑") and "client_002" in revoked.text
    )
    other = event_alert(
        FailedActivation(
            id=8,
            slot="booking-bot-pool-1",
            client_id="client_002",
            detail="client_002 is already active on booking-bot-pool-2",
        )
    )
    assert other.text.startswith("❌") and "already active" in other.text


def test_callback_data_fits_telegram_limit_and_round_trips():
    data = PoolCallback(action=PoolAction.RELEASE_DO, slot=9999, n=50).pack()
    assert len(data.encode()) <= 64
    assert PoolCallback.unpack(data) == PoolCallback(action=PoolAction.RELEASE_DO, slot=9999, n=50)


def test_pool_keyboard_offers_release_for_occupied_slots_only():
    status = status_of([slot(1, "active", client="client_001"), slot(2), slot(3, "reserved")])
    markup = pool_screen(status, can_grow=True, grow_step=2)
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["🔓 Освободить 1", "🔓 Освободить 3", texts.BTN_REFRESH, "➕ Добавить 2 сл."]
    labels = [
        b.text
        for row in pool_screen(status, can_grow=False, grow_step=2).inline_keyboard
        for b in row
    ]
    assert "➕ Добавить 2 сл." not in labels


def test_admins_only_drops_everyone_else_silently():
    seen = []

    async def handler(event, data):
        seen.append(data["event_from_user"].id)
        return "handled"

    class User:
        def __init__(self, id):
            self.id = id

    gate = AdminsOnly({42})
    assert asyncio.run(gate(handler, object(), {"event_from_user": User(42)})) == "handled"
    assert asyncio.run(gate(handler, object(), {"event_from_user": User(7)})) is None
    assert asyncio.run(gate(handler, object(), {})) is None
    assert seen == [42]
