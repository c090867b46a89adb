"""Every text of the tenant bot, in Russian, in one place."""

from bots.status import BookingStatus

GREETING = (
    "Здравствуйте! 👋\n"
    "Добро пожаловать в «{company}».\n\n"
    "Здесь можно записаться на приём и посмотреть свои записи."
)
OWNER_GREETING = "Вы — владелец этого бота. Управление: /admin"
MENU_BOOK = "📅 Записаться"
MENU_MY = "🗂 Мои записи"
MENU_ABOUT = "ℹ️ О нас / контакты"
MENU_TITLE = "Главное меню «{company}»:"
HOME = "🏠 Главное меню"
BACK = "⬅️ Назад"
CANCEL = "✖️ Отмена"
ABOUT_TITLE = "«{company}»"
ABOUT_ADDRESS = "📍 Адрес: {value}"
ABOUT_PHONE = "📞 Телефон: {value}"
ABOUT_EMPTY = "Контакты появятся, когда владелец заполнит их в настройках."
UNKNOWN = "Не совсем понял вас. Нажмите /start, чтобы открыть меню."
UNKNOWN_COMMAND = (
    "Такой команды нет. Доступно: /start — меню, /my — мои записи, /help — что умеет бот."
)
HELP = (
    "Я записываю в «{company}».\n\n"
    "📅 Записаться — выберите услугу, специалиста, день и время.\n"
    "/my — ваши записи: перенести или отменить.\n"
    "Перед визитом я пришлю напоминание.\n\n"
    "/start — главное меню, /cancel — прервать запись или ввод."
)
HELP_OWNER = (
    "\n\nВы — владелец бота. /admin — записи (день и неделя), запись клиента по телефону, "
    "клиенты, услуги, специалисты (и их приглашение в бот), часы работы и закрытое время, "
    "настройки, статистика и выгрузка."
)
# The command menu (Telegram's «Меню» button): customers see the first part, the owner all.
COMMANDS = (("start", "Главное меню"), ("my", "Мои записи"), ("help", "Что умеет бот"))
OWNER_COMMANDS = (("admin", "Управление салоном"), ("cancel", "Прервать ввод"))
# What Telegram shows in an empty chat (≤ 512 chars) and on the bot's profile (≤ 120 chars).
DESCRIPTION = (
    "Онлайн-запись в «{company}»: выберите услугу, специалиста и удобное время, а бот напомнит "
    "о визите. Нажмите «Начать»."
)
SHORT_DESCRIPTION = "Онлайн-запись в «{company}»"
ADMIN_PRIVATE_ONLY = "Управление салоном открывается только в личном чате с ботом."
STALE_BUTTON = "Эта кнопка устарела. Нажмите /start, чтобы открыть меню заново."
RATE_LIMITED = "Слишком много сообщений подряд. Пожалуйста, подождите несколько секунд 🙏"
CANCELLED_INPUT = "Хорошо, отменили. Нажмите /start, чтобы открыть меню."

# --- calendar words (views.py) ---------------------------------------------------------------
WEEKDAYS = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]  # week lines of a specialist's hours
WEEKDAY_SHORT = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
MONTHS = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip

# --- what people type: why it was not accepted (parsing.py) ----------------------------------
PHONE_NOT_DIGITS = "Номер телефона должен состоять из цифр, например +7 999 123-45-67."
PHONE_RU_LENGTH = "В российском номере 11 цифр, например +7 999 123-45-67."
PHONE_INVALID = "Не похоже на номер телефона. Пример: +7 999 123-45-67."
NAME_INVALID = "Пожалуйста, напишите имя буквами (от 2 до 60 символов)."
NAME_IS_COMMAND = "Пожалуйста, напишите имя, а не команду."
TIME_UNCLEAR = "Не понял время «{text}». Пишите так: 09:30."
TIME_IMPOSSIBLE = "Нет такого времени: «{text}»."
INTERVAL_UNCLEAR = "Не понял интервал «{text}». Пишите так: 10:00-14:00 или 9-18."
INTERVAL_BACKWARDS = "В интервале «{text}» конец раньше начала."
INTERVALS_MISSING = "Укажите хотя бы один интервал, например 10:00-19:00."
INTERVALS_OVERLAP = "Интервалы пересекаются — проверьте время."
WEEK_MISSING = "Пришлите расписание: по строке на день, например «пн 10:00-19:00»."
WEEKDAY_UNCLEAR = "Не понял день недели «{text}». Пишите: пн, вт, ср, чт, пт, сб, вс или пн-пт."
DATE_IMPOSSIBLE = "Нет такой даты: «{text}»."
DATE_UNCLEAR = "Не понял дату «{text}». Пишите так: 25.12 или 25.12.2030."
SERVICE_FORMAT = (
    "Пришлите три значения через «;»: название; длительность в минутах; цена в рублях. "
    "Например: Стрижка; 60; 1500"
)
SERVICE_NAME_LENGTH = "Название услуги — от 1 до 100 символов."
DURATION_LABEL = "Длительность"
PRICE_LABEL = "Цена"
REMINDER_HOURS_LABEL = "Часы до напоминания"
NUMBER_NOT_INTEGER = "{what}: нужно целое число от {low} до {high}."
NUMBER_OUT_OF_RANGE = "{what}: нужно число от {low} до {high}."
TIMEZONE_UNKNOWN = (
    "Не знаю часовой пояс «{text}». Напишите город («Москва», «Екатеринбург»), "
    "«МСК+2» или название пояса (Europe/Moscow)."
)
REMINDER_HOURS_COUNT = "Укажите от одного до трёх чисел часов через запятую, например: 24, 2"
SETTING_UNKNOWN = "Нет такой настройки."

# --- booking ---------------------------------------------------------------------------------
SOON = "Запись скоро откроется 🙂\nСалон ещё настраивает услуги и расписание. Загляните чуть позже!"
CHOOSE_SERVICE = "Выберите услугу:"
SERVICE_BUTTON = "{name} · {duration} мин · {price} ₽"
CHOOSE_STAFF = "Услуга: {service}\n\nВыберите специалиста:"
ANY_STAFF = "👥 Любой свободный"
ANY_STAFF_WHO = "{name} (первый свободный)"
NO_STAFF = "К сожалению, эту услугу сейчас никто не выполняет. Выберите другую."
CHOOSE_DAY = "Услуга: {service}\nСпециалист: {staff}\n\nВыберите день:"
NO_DAYS = (
    "Свободного времени в ближайшие {days} дн. нет 😔\n"
    "Попробуйте другого специалиста или другую услугу."
)
CHOOSE_TIME = "Услуга: {service}\nСпециалист: {staff}\nДень: {day}\n\nВыберите время:"
NO_TIMES = "На этот день свободного времени уже нет. Выберите другой день."
ASK_NAME = "Как вас зовут? Напишите имя одним сообщением."
ASK_PHONE = (
    "Спасибо, {name}! Теперь номер телефона: нажмите «📱 Поделиться номером» "
    "или напишите его, например +7 999 123-45-67."
)
SHARE_PHONE = "📱 Поделиться номером"
FOREIGN_CONTACT = "Пожалуйста, поделитесь своим номером (кнопкой ниже) или напишите его."
CONTACT_SAVED = "Номер сохранён ✅"
WALK_IN_ADOPTED = "\n\nМы нашли записи, сделанные для вас администратором: они в «Мои записи»."

# --- the owner books a client (a call, a walk-in) --------------------------------------------
ADMIN_BOOK_CLIENT = "📝 Записать клиента"
CLIENT_BOOK_BTN = "📝 Записать"
ASK_CLIENT_NAME = "Как зовут клиента? Напишите имя одним сообщением."
ASK_CLIENT_PHONE = (
    "Телефон клиента, например +7 999 123-45-67 (или перешлите его контакт). Если клиент "
    "откроет бота с этим номером, он получит напоминания."
)
CLIENT_PHONE_TAKEN = "Телефон клиента: {phone}"
CLIENT_BOOKED = "Клиент записан ✅\n\n👤 {name}, {phone}\n💇 {service}\n👤 {staff}\n📅 {when}"
CLIENT_TOLD = "\n\nКлиент пользуется ботом: мы сообщили ему о записи и напомним заранее."
CLIENT_NOT_IN_BOT = (
    "\n\nКлиента нет в боте: напоминания придут, если он откроет бота и поделится этим номером."
)
NOTICE_BOOKED_BY_SALON = (
    "Вас записали ✅\n\n💇 {service}\n👤 {staff}\n📅 {when}\n\n"
    "Отменить или перенести запись можно в разделе «Мои записи»."
)
BACK_TO_ADMIN = "↩️ В меню администратора"
NOT_OWNER_BOOKING = "Записывать клиентов может только владелец."
SUMMARY = (
    "Проверьте запись:\n\n"
    "💇 Услуга: {service}\n"
    "👤 Специалист: {staff}\n"
    "📅 Когда: {when} ({zone})\n"
    "⏱ Длительность: {duration} мин\n"
    "💰 Стоимость: {price} ₽\n\n"
    "Имя: {name}\nТелефон: {phone}"
)
CONFIRM = "✅ Подтвердить"
CHANGE_CONTACTS = "✏️ Изменить имя/телефон"
BOOKED = (
    "Готово! Вы записаны ✅\n\n"
    "💇 {service}\n👤 {staff}\n📅 {when}\n\n"
    "Мы напомним заранее. Отменить или перенести запись можно в разделе «Мои записи»."
)
ALREADY_BOOKED = "Эта запись уже оформлена ✅"
SLOT_TAKEN = "Увы, это время только что заняли 😔 Выберите другое:"
SLOT_TAKEN_NONE = (
    "Увы, это время только что заняли, а других свободных на этот день нет. Выберите другой день."
)
BOOKING_CANCELLED_FLOW = "Запись не оформлена. Нажмите /start, чтобы начать заново."
INPUT_EXPECTED_BUTTON = "Пожалуйста, выберите вариант кнопкой выше 👆 или нажмите /start."
SERVICE_GONE = "Эта услуга больше недоступна. Выберите другую."

# --- my bookings -----------------------------------------------------------------------------
MY_EMPTY = "У вас нет предстоящих записей. Записаться: /start → «Записаться»."
MY_TITLE = "Ваши предстоящие записи:"
MY_ITEM = "{when} — {service}"
MY_CARD = "💇 {service}\n👤 {staff}\n📅 {when}\n💰 {price} ₽\nСтатус: {status}"
MY_CANCEL = "❌ Отменить запись"
MY_RESCHEDULE = "🔁 Перенести"
MY_CANCEL_ASK = "Точно отменить запись на {when}?"
MY_CANCEL_YES = "Да, отменить"
MY_CANCELLED = "Запись на {when} отменена. Будем рады видеть вас в другой раз!"
MY_CUTOFF = "Отменить или перенести запись можно не позже чем за {hours} ч до начала. Позвоните нам, пожалуйста."
MY_MISSING = "Эта запись уже отменена или не найдена."
MY_RESCHEDULE_PICK = "Перенос записи «{service}» ({staff}). Выберите новый день:"
MY_RESCHEDULE_SUMMARY = "Перенести запись «{service}» ({staff})\nс {old}\nна {new} ({zone})?"
MY_RESCHEDULE_YES = "✅ Перенести"
MY_RESCHEDULED = "Запись перенесена ✅\n💇 {service}\n👤 {staff}\n📅 {when}"
STATUS = {
    BookingStatus.BOOKED: "ожидается",
    BookingStatus.CONFIRMED: "подтверждена вами",
    BookingStatus.CANCELLED: "отменена",
    BookingStatus.NO_SHOW: "неявка",
}
OWNER_STATUS = {
    BookingStatus.BOOKED: "ожидается",
    BookingStatus.CONFIRMED: "клиент подтвердил",
    BookingStatus.CANCELLED: "отменена",
    BookingStatus.NO_SHOW: "неявка",
}
UNREACHABLE_MARK = " ⚠️ заблокировал бота"
WALK_IN_MARK = " 📞 без Telegram"

# --- reminders -------------------------------------------------------------------------------
REMINDER = "⏰ Напоминаем: {when} у вас запись «{service}» к специалисту {staff}.\n\nВы придёте?"
REMINDER_GIVEN_UP = (
    "⚠️ Не удалось отправить напоминание клиенту {customer} ({phone}) о записи {when}. "
    "Возможно, стоит позвонить."
)
REMINDER_CONFIRM = "👍 Подтверждаю"
REMINDER_CANCEL = "❌ Отменить"
VISIT_CONFIRMED = "Спасибо! Ждём вас {when} 🙂"

# --- notices to the owner --------------------------------------------------------------------
NOTICE_NEW = "🆕 Новая запись\n{service} — {staff}\n📅 {when}\n👤 {name}, {phone}"
NOTICE_CANCELLED = "❌ Клиент отменил запись\n{service} — {staff}\n📅 {when}\n👤 {name}, {phone}"
NOTICE_RESCHEDULED = (
    "🔁 Перенос записи\n{service} — {staff}\nбыло: {old}\nстало: {new}\n👤 {name}, {phone}"
)
NOTICE_CANCELLED_BY_STAFF = (
    "❌ Мастер закрыл время и отменил запись\n{service} — {staff}\n📅 {when}\n👤 {name}, {phone}"
)
NOTICE_CUSTOMER_CANCELLED_BY_OWNER = (
    "К сожалению, ваша запись «{service}» на {when} отменена салоном. "
    "Приносим извинения! Записаться на другое время: /start"
)

NOTICE_CUSTOMER_MOVED_BY_OWNER = (
    "Ваша запись «{service}» на {when} перенесена к специалисту {staff}. Время прежнее — "
    "ждём вас! Ваши записи: /my"
)

# --- the owner -------------------------------------------------------------------------------
SETUP_GUIDE = (
    "🎉 Ваш бот «{company}» запущен!\n\n"
    "Чтобы клиенты могли записываться, настройте его за три шага в /admin:\n"
    "1️⃣ Услуги — название, длительность, цена.\n"
    "2️⃣ Мастера — кто работает и какие услуги выполняет.\n"
    "3️⃣ Часы работы каждого мастера (можно с перерывами) и исключения.\n\n"
    "В «Настройках» — адрес, телефон, часовой пояс, шаг записи и напоминания.\n"
    "Пока всё это не готово, клиенты видят «запись скоро откроется»."
)
WEBHOOK_REMOVED = (
    "ℹ️ На токене этого бота был установлен вебхук: Telegram отправлял сообщения на другой "
    "сервер, и бот записи их не получал. Мы отключили вебхук, теперь сообщения приходят сюда. "
    "Если вебхук нужен другой программе, она и бот записи не могут работать на одном токене "
    "одновременно: для неё создайте отдельного бота в @BotFather."
)
ADMIN_ONLY = "Этот раздел только для владельца. Вот меню для клиентов:"
ADMIN_HOME = "⚙️ Управление «{company}»{progress}"
ADMIN_PROGRESS = (
    "\n\nНастройка: {services} услуги · {staff} мастера · {ready} запись открыта\n"
    "Подсказка: добавьте услугу, мастера, отметьте его услуги и задайте часы работы."
)
ADMIN_SERVICES = "💇 Услуги"
ADMIN_STAFF = "👥 Мастера"
ADMIN_SETTINGS = "🔧 Настройки"
ADMIN_CLIENTS = "👤 Клиенты"
ASK_CLIENT = "Кого найти? Пришлите часть имени или телефона (от 3 цифр)."
CLIENT_SEARCH_SHORT = "Пришлите хотя бы 2 символа имени или 3 цифры телефона."
CLIENTS_NONE = "Никого не нашлось по «{query}»."
CLIENTS_FOUND = "Найдено по «{query}»:"
CLIENTS_AGAIN = "🔎 Искать ещё"
CLIENT_CARD = (
    "👤 {name}, {phone}\n\n"
    "Визитов: {visits} (на {spent} ₽), последний: {last}\n"
    "Записей впереди: {ahead}\n"
    "Отменил сам: {by_customer} · отменил салон: {by_salon} · неявок: {no_shows}\n\n"
    "📝 Заметка: {note}"
)
CLIENT_NOTE_BTN = "📝 Заметка"
ASK_CLIENT_NOTE = "Пришлите заметку о клиенте (до 1000 символов; «-» — стереть)."
CLIENT_NOTE_SAVED = "Заметка сохранена ✅"
CLIENT_NOTE_LONG = "Заметка — не длиннее {limit} символов."
ADMIN_BOOKINGS = "📋 Записи"
ADMIN_STATS = "📊 Статистика"
ADMIN_ADD_SERVICE = "➕ Добавить услугу"
ADMIN_ADD_STAFF = "➕ Добавить мастера"
EDIT = "✏️ Изменить"
DELETE = "🗑 Удалить"
SERVICES_TITLE = "Услуги ({count}):"
SERVICES_EMPTY = "Услуг пока нет. Добавьте первую."
SERVICE_CARD = "💇 {name}\n⏱ {duration} мин\n💰 {price} ₽"
ASK_SERVICE = (
    "Пришлите услугу одним сообщением: название; длительность в минутах; цена в рублях.\n"
    "Например: Стрижка женская; 60; 1500"
)
SERVICE_NOW = "\n\nСейчас: {name}; {duration}; {price}"
SERVICE_SAVED = "Услуга сохранена ✅"
SERVICE_DELETED = "Услуга удалена. Прошлые записи на неё сохранены."
STAFF_TITLE = "Мастера ({count}):"
STAFF_EMPTY = "Мастеров пока нет. Добавьте первого."
ASK_STAFF = "Как зовут мастера? Напишите имя одним сообщением."
STAFF_NAME_INVALID = "Имя — от 1 до 100 символов."
STAFF_SAVED = "Мастер «{name}» добавлен ✅ Теперь отметьте его услуги и задайте часы работы."
STAFF_DELETED = "Мастер удалён. Его прошлые записи сохранены."
STAFF_DELETE_ASK = "Удалить мастера «{name}»?{affected}"
SERVICE_DELETE_ASK = "Удалить услугу «{name}»?{affected}"
HOURS_STRAND = "Новые часы оставляют записи вне рабочего времени."
HOURS_SAVE_AND_CANCEL = "✅ Сохранить и отменить записи"
HOURS_GIVE_UP = "◀️ Не сохранять"
HOURS_NOT_SAVED = "Часы не изменены, записи остались как были."
DELETE_YES = "✅ Да, удалить"
DELETE_NO = "◀️ Нет, оставить"
AFFECTED_NONE = "\n\nЗаписей на будущее нет."
AFFECTED_TITLE = (
    "\n\nЗаписи впереди ({count}) — они будут отменены, клиентам придёт уведомление "
    "с кнопкой записаться снова:\n"
)
AFFECTED_LINE = "• {when} — {service}, {name}"
AFFECTED_MORE = "\n…и ещё {count}"
AFFECTED_CANCELLED = "Отменено записей: {count}, клиенты уведомлены."
AFFECTED_CALL = " Не получили уведомление — позвоните им: {phones}."
MOVE_BTN = "🔁 Перенести к другому специалисту"
MOVE_TITLE = (
    "\n\nПеренос к другим мастерам ({count}) — время то же, клиентам придёт уведомление; "
    "кого некому взять, те записи будут отменены:\n"
)
MOVE_TO = " → {staff}"
MOVE_NOBODY = " → некому перенести, будет отменена"
HOURS_SAVE_AND_MOVE = "✅ Сохранить и перенести"
STAFF_MOVE_ASK = "Удалить мастера «{name}» и перенести его записи?{affected}"
DELETE_AND_MOVE = "✅ Да, удалить и перенести"
AFFECTED_MOVED = "Перенесено к другим мастерам: {moved}, отменено: {cancelled}; клиенты уведомлены."
STAFF_CARD = "👤 {name}\n\nУслуги: {services}\n\nЧасы работы:\n{week}{exceptions}"
STAFF_SERVICES_BTN = "💇 Услуги мастера"
STAFF_HOURS_BTN = "🕘 Часы работы"
STAFF_CALENDAR_BTN = "📅 Календарь мастера"
STAFF_EXC_BTN = "📆 Добавить исключение"
STAFF_BLOCK_BTN = "⛔ Закрыть время"
BLOCKS_TITLE = "\n\nЗакрытое время:\n"
BLOCK_LINE = "{day} {interval}{note}"
BLOCK_DELETE_BTN = "❌ {day} {interval}"
ASK_BLOCK = (
    "Какое время закрыть для записи (перерыв, встреча)? Дата, часы и, если нужно, пометка:\n"
    "05.03 13:00-14:00 обед\n"
    "12.03 9-12 учёба"
)
BLOCK_SAVED = "Время {day} {interval} закрыто ✅"
BLOCK_DELETED = "Время снова открыто для записи."
BLOCK_DELETE_ASK = "Открыть для записи закрытое время {day} {interval}?"
REOPEN_YES = "✅ Да, открыть"
BLOCK_HOURS_MISSING = "После даты укажите часы, например 13:00-14:00."
BLOCK_NOTE_LONG = "Пометка — не длиннее 100 символов."
STAFF_SERVICES_TITLE = "Какие услуги выполняет {name}? Нажмите, чтобы отметить или снять."
NO_SERVICES_YET = "сначала добавьте услуги"
NONE = "нет"
EXCEPTIONS_TITLE = "\n\nИсключения:\n"
DAY_OFF = "выходной"
ASK_WEEK = (
    "Пришлите часы работы на неделю — по строке на день (дни, которых нет, — выходные):\n"
    "пн-пт 10:00-14:00, 15:00-20:00\n"
    "сб 11-16\n"
    "вс выходной\n"
    "Можно коротко: «пн-пт 9-18», «сб с 10 до 15»."
)
WEEK_SAVED = "Часы работы сохранены ✅"
ASK_EXCEPTION = "Пришлите дату и часы этого дня, например:\n31.12 выходной\n08.03 10:00-15:00"
EXCEPTION_SAVED = "Исключение на {day} сохранено ✅"
EXCEPTION_DELETED = "Исключение удалено."
EXCEPTION_DELETE_ASK = (
    "Удалить исключение на {day}? В этот день мастер снова работает по обычному графику."
)
EXCEPTION_PAST = "Эта дата уже прошла."
EXCEPTION_HOURS_MISSING = "После даты укажите часы (10:00-15:00) или «выходной»."
SETTINGS_TITLE = "Настройки (нажмите, чтобы изменить):"
SETTING_ASK = "{label}\nСейчас: {value}\n\n{hint}\n\nПришлите новое значение или /cancel."
SETTING_SAVED = "Сохранено ✅"
SETTING_TEXT_LENGTH = "Нужно от 1 до {limit} символов."
SETTING_LABELS = {
    "company_name": ("Название", "От 1 до 100 символов."),
    "address": ("Адрес", "Например: Москва, ул. Ленина, 1. «-» — очистить."),
    "phone": ("Телефон", "Например: +7 495 123-45-67. «-» — очистить."),
    "description": ("Описание", "Пара строк о салоне. «-» — очистить."),
    "timezone": ("Часовой пояс", "Город или пояс: Москва, Екатеринбург, МСК+2, Europe/Moscow."),
    "slot_step_min": ("Шаг записи, мин", "Через сколько минут начинаются слоты: 10–240."),
    "buffer_min": ("Перерыв после приёма, мин", "0–240."),
    "min_notice_min": ("Запись не позже чем за, мин", "0–10080 (неделя)."),
    "horizon_days": ("Запись вперёд на, дней", "1–120."),
    "cancel_cutoff_min": ("Отмена не позже чем за, мин", "0–10080."),
    "reminders_min": ("Напоминания за, часов", "Например: 24, 2 (до трёх чисел) или «нет»."),
}
BOOKINGS_TITLE = "Записи — выберите день:"
TODAY = "Сегодня"
TOMORROW = "Завтра"
PICK_DATE = "📆 Другая дата"
ASK_DATE = "Какой день показать? Например: 25.12, завтра, пятница, на этой неделе."
THIS_WEEK = "🗓 Эта неделя"
CAL_WEEK = "🗓 Неделя"
CAL_PREV = "◀️"
CAL_NEXT = "▶️"
CAL_STAFF_TITLE = "\n\nМастера:"
CAL_STAFF_FREE = "\n👤 {name}: {hours}{blocked} · свободно {free}"
CAL_STAFF_FULL = "\n👤 {name}: {hours}{blocked} · всё занято"
CAL_BLOCKED = " · закрыто {ranges}"
CAL_STAFF_OFF = "\n👤 {name}: выходной"
WEEK_TITLE = "🗓 Неделя {first} – {last}"
WEEK_DAY = "\n\n{day}"
WEEK_STAFF = "\n  {name}: {count} зап., свободно {free}"
WEEK_STAFF_OFF = "\n  {name}: выходной"
HOURS_SHORT = "{hours} ч"
HOURS_MINUTES_SHORT = "{hours} ч {minutes} мин"
MINUTES_SHORT = "{minutes} мин"
CUT_SHORT = "\n… не поместилось: откройте нужный день."
DAY_TITLE = "📋 Записи на {day}:"
DAY_EMPTY = "📋 На {day} записей нет."
DAY_ITEM = "{time} · {service} · {staff}\n   {name}, {phone}{status}"
BK_CANCEL_BTN = "❌ {time} {name}"
BK_NOSHOW_BTN = "🚫 Неявка {time} {name}"
BK_CANCEL_ASK = "Отменить запись {time} ({service}, {name})? Клиент получит уведомление."
BK_CANCEL_YES = "Да, отменить"
BK_CANCELLED = "Запись отменена, клиенту отправлено уведомление."
BK_CANCELLED_UNREACHABLE = "Запись отменена. Клиент недоступен в Telegram — позвоните ему: {phone}."
BK_NOSHOW = "Отмечена неявка."
BK_NOT_ACTIVE = "Эта запись уже отменена или отмечена."
BK_FUTURE = "Неявку можно отметить только после начала записи."
STATS_PICK = "Статистика — выберите период:"
STATS_7 = "7 дней"
STATS_30 = "30 дней"
STATS_NEXT_30 = "Следующие 30 дней"
STATS_RANGE = "📅 Другой период"
STATS_ASK_RANGE = (
    "Пришлите период: «01.12-31.12», «1.12.2026 - 15.01.2027» или один день «25.12». "
    "Можно и будущие дни — в выгрузку попадут предстоящие записи."
)
STATS_TEXT = (
    "📊 Статистика {first} – {last}\n\n"
    "Записей: {total}\nОтмен: {cancelled}\nНеявок: {no_show}\n"
    "Выручка: {revenue} ₽ (состоявшиеся визиты)"
)
STATS_EXPECTED = "\nВпереди: {count} зап., ожидается {expected} ₽"
RANGE_UNCLEAR = "Не понял период «{text}». Пример: 01.12-31.12."
RANGE_BACKWARDS = "Конец периода раньше начала."
RANGE_TOO_LONG = "Период — не больше {days} дней."
STATS_BY_SERVICE = "\n\nПо услугам:\n"
STATS_SERVICE_LINE = "• {name}: {count} — {revenue} ₽"
CSV_BTN = "⬇️ Выгрузить CSV"
CSV_CAPTION = "Записи {first} – {last}"
CSV_HEADER = ["id", "дата", "время", "услуга", "мастер", "клиент", "телефон", "цена", "статус"]
ADMIN_STALE = "Это уже неактуально. Откройте /admin заново."
ADMIN_HINT_INPUT = "Жду ответ на вопрос выше. Передумали — /cancel."
ERROR = "Что-то пошло не так 😔 Попробуйте ещё раз или нажмите /start."

# --- specialists in the bot (invite, their own menu, notices, revoke) ------------------------
STAFF_COMMANDS = (("staff", "Мои записи мастера"), ("cancel", "Прервать ввод"))
HELP_STAFF = (
    "\n\nВы — мастер салона. /staff — ваш день и неделя, закрыть время для записи; "
    "о своих записях вы получаете уведомления."
)
STAFF_HINT = "Вы — мастер салона: ваши записи — /staff"
STAFF_NOT_CONNECTED = "\n\n📵 К боту не подключён"
STAFF_CONNECTED = "\n\n📲 Подключён к боту с {since}"
STAFF_INVITE_BTN = "🔗 Пригласить в бот"
STAFF_REVOKE_BTN = "🚫 Отозвать доступ"
STAFF_INVITE = (
    "🔗 Приглашение в бот салона «{company}» для мастера «{name}»:\n{link}\n\n"
    "Откройте ссылку и нажмите «Начать»: в боте будут ваши записи на день и неделю и "
    "уведомления о новых записях. Ссылка одноразовая, действует {days} дней."
)
STAFF_INVITE_SENT = "Ссылка-приглашение — в сообщении выше: перешлите его мастеру."
STAFF_REVOKE_ASK = (
    "Отозвать доступ мастера «{name}» к боту? Он перестанет видеть свои записи "
    "и получать уведомления. Пригласить снова можно в любой момент."
)
STAFF_REVOKE_YES = "✅ Да, отозвать"
STAFF_REVOKE_NO = "◀️ Нет, оставить"
STAFF_REVOKED = "Доступ мастера к боту отозван."
INVITE_INVALID = (
    "Эта ссылка-приглашение недействительна: она уже использована, истекла или заменена новой. "
    "Попросите владельца салона прислать новую."
)
INVITE_TAKEN = (
    "Вы уже подключены к боту как мастер «{name}». Чтобы подключиться как другой мастер, "
    "попросите владельца сначала отозвать этот доступ."
)
STAFF_WELCOME = "✅ Вы подключены к боту «{company}» как мастер «{name}»."
STAFF_ONLY = "Этот раздел — для мастеров салона. Вот меню для клиентов:"
STAFF_ACCESS_ENDED = (
    "Ваш доступ мастера к боту отозван. Если это ошибка, напишите владельцу салона."
)
STAFF_HOME = "👤 {name} · «{company}»\n\nВаши записи и время:"
STAFF_MY_DAY = "📅 Мой день"
STAFF_MY_WEEK = "🗓 Моя неделя"
STAFF_BLOCK = "⛔ Закрыть время"
# a specialist's own notices of their bookings
STAFF_NOTICE_NEW = "🆕 Новая запись к вам\n{service}\n📅 {when}\n👤 {name}, {phone}"
STAFF_NOTICE_CANCELLED = "❌ Клиент отменил запись к вам\n{service}\n📅 {when}\n👤 {name}"
STAFF_NOTICE_CANCELLED_BY_SALON = "❌ Салон отменил запись к вам\n{service}\n📅 {when}\n👤 {name}"
STAFF_NOTICE_MOVED_AWAY = (
    "🔁 Вашу запись салон передал мастеру {to}\n{service}\n📅 {when}\n👤 {name}"
)
STAFF_NOTICE_MOVED_TO_YOU = "🆕 Салон передал вам запись\n{service}\n📅 {when}\n👤 {name}, {phone}"
STAFF_NOTICE_RESCHEDULED = (
    "🔁 Ваша запись перенесена\n{service}\nбыло: {old}\nстало: {new}\n👤 {name}, {phone}"
)
