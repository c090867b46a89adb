-- Customers the owner books by phone (a call, a walk-in) before they ever write to the bot.
-- Each has a bot_users row with a negative id from walk_in_ids (Telegram user ids are positive),
-- found again by phone; nothing is ever sent to it. When someone shares that phone with the
-- bot, their Telegram id takes over its bookings and note (BookingService.save_contact), so
-- they get their reminders from then on.

CREATE SEQUENCE walk_in_ids INCREMENT BY -1 MAXVALUE -1 START WITH -1;

CREATE UNIQUE INDEX bot_users_walk_in_phone ON bot_users (phone) WHERE telegram_id < 0;

CREATE INDEX bot_users_phone ON bot_users (phone) WHERE telegram_id > 0;
