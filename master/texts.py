"""Every text of the Master Bot (Russian), in one place."""

HELP = (
    "🛠 Управление платформой Bot Pool\n\n"
    "/pool — состояние пула: свободные и занятые слоты, пульс\n"
    "/stats — активации по часам и дням, загрузка пула\n"
    "/grow N — добавить N слотов в пул\n"
    "/help — эта справка\n\n"
    "Оповещения (пул заполнен > {threshold} %, слот без пульса, ошибка активации, "
    "отозванный токен) приходят сюда сами, по одному разу, пока проблема не уйдёт."
)
POOL_TITLE = "🏊 СТАТУС ПУЛА БОТОВ"
POOL_FREE = "⚪ Свободно: {free}/{total}"
POOL_BUSY = "🟢 Занято: {busy}/{total}"
POOL_STALE = "🔴 Без пульса: {stale}/{total}"
POOL_LOAD = "Загрузка: {percent} %"
POOL_EMPTY = "Ни одного слота не зарегистрировано: запущены ли воркеры (supervisorctl status)?"
SLOT_ICONS = {
    "waiting": "⚪",
    "active": "🟢",
    "reserved": "🟡",
    "activating": "🟡",
    "resuming": "🟡",
}
SLOT_STALE = "🔴"
SLOT_LINE = "{icon} {pool_id}. {status}{client}{bot}{since} · пульс {heartbeat}"
SLOT_DEAD = " — НЕТ ПУЛЬСА"
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
    "Активации за 24 часа: {day} (ошибок: {day_failed})\n"
    "Активации за 7 дней: {week}\n"
    "Средняя активация: {avg_ms} мс\n\n"
    "По часам (последние 12 ч):\n{hours}\n\n"
    "По дням (последние 7 дн.):\n{days}\n\n"
    "Загрузка пула сейчас: {busy}/{total} ({percent} %)"
)
STATS_NONE = "—"

ALERT_POOL_FULL = "⚠️ Пул заполнен на {percent} %: занято {busy} из {total}, свободно {free}."
ALERT_STALE = "🔴 Слот {slot} не отвечает: пульс {age} назад{client}."
ALERT_ACTIVATION_FAILED = "❌ Активация {client} в {slot} не удалась: {detail}"
ALERT_TOKEN_REVOKED = "🔑 Токен бота {client} отозван в Telegram ({slot}): бот остановлен."
ALERT_CLEARED = "✅ Снято: {text}"
ALERT_GROWN = "➕ Свободных слотов мало — пул увеличен автоматически: +{n} (всего {size})."
ALERT_GROW_FAILED = "⚠️ Свободных слотов мало, но увеличить пул не удалось: {error}"
