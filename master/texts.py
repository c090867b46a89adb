"""Every text of the Master Bot (Russian), in one place."""

from core.status import AlertKind, SubscriptionStatus
from pool.status import SlotStatus

HELP = (
    "🛠 Управление платформой Bot Pool\n\n"
    "/pool — состояние пула: свободные и занятые слоты, пульс\n"
    "/clients — клиенты (по страницам), /client client_003 — карточка клиента:\n"
    "   продление, приостановка, возобновление, повтор зависшего заказа\n"
    "/extend client_003 30 — продлить подписку на N дней\n"
    "/stats — выручка, активации по часам и дням, загрузка пула, очередь заказов\n"
    "/grow N — добавить N слотов в пул\n"
    "/help — эта справка\n\n"
    "Оповещения (пул заполнен > {threshold} %, слот без пульса, ошибка активации, "
    "отклонённое уведомление о платеже, заказы ждут слот, отозванный токен) приходят сюда "
    "сами, по одному разу, пока проблема не уйдёт."
)
POOL_TITLE = "🏊 СТАТУС ПУЛА БОТОВ"
POOL_FREE = "⚪ Свободно: {free}/{total}"
POOL_BUSY = "🟢 Занято: {busy}/{total}"
POOL_STALE = "🔴 Без пульса: {stale}/{total}"
POOL_LOAD = "Загрузка: {percent} %"
POOL_EMPTY = "Ни одного слота не зарегистрировано: запущены ли воркеры (supervisorctl status)?"
SLOT_ICONS = {
    SlotStatus.WAITING: "⚪",
    SlotStatus.ACTIVE: "🟢",
    SlotStatus.RESERVED: "🟡",
    SlotStatus.ACTIVATING: "🟡",
    SlotStatus.RESUMING: "🟡",
}
SLOT_STALE = "🔴"
SLOT_LINE = "{icon} {pool_id}. {status}{client}{bot}{since} · пульс {heartbeat}"
SLOT_DEAD = " — НЕТ ПУЛЬСА"
SLOT_FAILING = "\n    ⚠️ {error}"
HEARTBEAT_NONE = "нет"
BTN_REFRESH = "🔄 Обновить"
BTN_RELEASE = "🔓 Освободить {pool_id}"
BTN_GROW = "➕ Добавить {n} сл."
BTN_CONFIRM_RELEASE = "✅ Да, освободить"
BTN_CONFIRM_GROW = "✅ Да, добавить"
BTN_CANCEL = "✖️ Отмена"
CONFIRM_RELEASE = (
    "Освободить слот {slot}{client}?\n\n"
    "Бот клиента остановится, слот вернётся в ожидание. Данные клиента сохранятся."
)
CONFIRM_GROW = "Добавить в пул {n} сл.? Сейчас слотов: {size}, максимум: {max}."
RELEASED = "🔓 Слот {slot} освобождён{client}."
RELEASE_NOTHING = "Слот {slot} уже свободен."
RELEASE_FAILED = "❌ Не удалось освободить {slot}: {error}"
GROWN = "➕ Пул увеличен: добавлены слоты {added}. Всего слотов: {size}."
GROW_FAILED = "❌ Не удалось увеличить пул: {error}"
GROW_OFF = "Рост пула выключен: не задан SUPERVISOR_URL."
GROW_USAGE = "Укажите, сколько слотов добавить: /grow 2 (от 1 до {max})."
CANCELLED = "Отменено."
STALE_BUTTON = "Кнопка устарела — откройте /pool заново."
UNKNOWN = "Не понял команду. /help — список команд."

STATS = (
    "📊 Статистика\n\n"
    "Выручка: за 24 ч {revenue_day} · за 7 дн. {revenue_week} · за 30 дн. {revenue_month}\n"
    "Оплаченные заказы ждут слот: {waiting}\n\n"
    "Активации за 24 часа: {day} (ошибок: {day_failed})\n"
    "Активации за 7 дней: {week}\n"
    "Средняя активация: {avg_ms} мс\n\n"
    "По часам (последние 12 ч, время {zone}):\n{hours}\n\n"
    "По дням (последние 7 дн.):\n{days}\n\n"
    "Загрузка пула сейчас: {busy}/{total} ({percent} %)\n"
    "Загрузка по часам:\n{utilization}"
)
STATS_NONE = "—"

ALERT_POOL_FULL = "⚠️ Пул заполнен на {percent} %: занято {busy} из {total}, свободно {free}."
ALERT_STALE = "🔴 Слот {slot} не отвечает: пульс {age} назад{client}."
ALERT_POLLING = "📡 Бот {client} в {slot} не получает обновления из Telegram: {error}"
ALERT_RESUME = "🔁 Слот {slot} не может восстановить бота {client}: {error}. Повтор с паузой."
ALERT_REDIS_MEMORY = (
    "🧠 Redis занят на {percent} % от maxmemory ({used} из {limit} МБ, политика {policy})."
)
ALERT_ACTIVATION_FAILED = "❌ Активация {client} в {slot} не удалась: {detail}"
ALERT_TOKEN_REVOKED = "🔑 Токен бота {client} отозван в Telegram ({slot}): бот остановлен."
ALERT_CLEARED = "✅ Снято: {text}"
ALERT_GROWN = "➕ Свободных слотов мало — пул увеличен автоматически: +{n} (всего {size})."
ALERT_GROW_FAILED = "⚠️ Свободных слотов мало, но увеличить пул не удалось: {error}"

CLIENTS_TITLE = "👥 Клиенты: {total} · страница {page}/{pages}"
CLIENTS_EMPTY = "Клиентов пока нет."
CLIENTS_HINT = "Нажмите на клиента или отправьте /client client_003."
CLIENT_USAGE = "Укажите клиента: /client client_003"
CLIENT_NOT_FOUND = "Клиент {client_id} не найден."
SUBSCRIPTION = {
    SubscriptionStatus.ACTIVE: "активна до {date}",
    SubscriptionStatus.GRACE: "закончилась {date}, льготный период",
    SubscriptionStatus.RELEASED: "закончилась {date}, бот отключён",
    SubscriptionStatus.PENDING: "оплачена, ждёт активации",
}
SUBSCRIPTION_NONE = "нет"
CLIENT_CARD = (
    "👤 {client_id} · «{company}»\n"
    "Владелец (Telegram ID): {admin}\n"
    "Покупатель: {buyer}\n"
    "Бот: {bot}\n"
    "Слот: {slot}\n"
    "Подписка: {subscription}{suspended}"
)
CLIENT_SUSPENDED = "\n⏸ Приостановлен оператором"
CLIENT_NO_SLOT = "не запущен"
CLIENT_PAYMENTS = "\n\n💳 Платежи:\n{lines}"
CLIENT_PAYMENT_LINE = "{date} · {amount} · {kind}"
CLIENT_NO_PAYMENTS = "\n\n💳 Платежей нет"
CLIENT_ORDERS = "\n\n⏳ Незавершённые заказы:\n{lines}"
CLIENT_ORDER_LINE = "{short} · {status} · оплачен {paid}{error}"
BTN_EXTEND = "➕ {days} дн."
BTN_SUSPEND = "⏸ Приостановить"
BTN_RESUME = "▶️ Возобновить"
BTN_RESEND = "🔁 Заказ {short}"
BTN_BACK = "◀️ К списку"
BTN_PREV = "◀️"
BTN_NEXT = "▶️"
BTN_CONFIRM = "✅ Да"
CONFIRM_EXTEND = "Продлить подписку {client_id} на {days} дн.?"
CONFIRM_SUSPEND = (
    "Приостановить {client_id}? Бот клиента остановится и не запустится, пока вы его не "
    "возобновите. Данные и подписка сохранятся."
)
CONFIRM_RESUME = "Возобновить {client_id}? Бот запустится в свободном слоте."
CONFIRM_RESEND = "Отправить заказ {short} клиента {client_id} на активацию заново?"
EXTENDED = "➕ Подписка {client_id} продлена до {date}."
EXTENDED_STARTED = "\n▶️ Бот снова запущен: {slot}, @{bot}."
SUSPENDED = "⏸ {client_id} приостановлен{slot}."
RESUMED = "▶️ {client_id} возобновлён{started}."
RESUMED_STARTED = ": {slot}, @{bot}"
RESENT = "🔁 Заказ {short} ({client_id}) отправлен на активацию: Sales возьмёт его в работу."
EXTEND_USAGE = "Формат: /extend client_003 30 (дней, от 1 до 3650)."
CLIENT_ERRORS = {
    "no_subscription": "У клиента нет подписки: продлевать нечего.",
    "already_suspended": "Клиент уже приостановлен.",
    "not_suspended": "Клиент не приостановлен.",
    "release_failed": "Не удалось освободить слот: {detail}",
    "order_not_stuck": "Этот заказ уже не ждёт активации.",
    "no_bot": "У клиента нет сохранённого бота.",
    "no_free_slot": "Нет свободного слота: добавьте слоты (/grow) и повторите.",
    "activation_failed": "Активация не удалась: {detail}",
}

ALERT_WAITING_ORDERS = "⏳ Оплаченные заказы ждут свободный слот: {n}."
ALERT_SALES = {
    AlertKind.PAYMENT_REJECTED: "💳 Уведомление о платеже отклонено: {detail}",
    AlertKind.PAYMENT_MISMATCH: "💳 Платёж не сошёлся с заказом: {detail}",
    AlertKind.POOL_FULL: "⏳ Заказ ждёт слот: {detail}",
    AlertKind.ACTIVATION_FAILED: (
        "❌ Заказ не активирован, покупателя попросили новый токен: {detail}"
    ),
    AlertKind.ORDER_HELD: (
        "⛔ Оплачен заказ приостановленного клиента — ждёт возобновления: {detail}"
    ),
    AlertKind.TENANT_RELEASED: "🔒 Бот остановлен: клиенту нельзя работать ({detail})",
    AlertKind.REFUND: "💸 Возврат: {detail}",
}
ALERT_SALES_OTHER = "⚠️ {kind}: {detail}"
