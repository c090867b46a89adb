-- A booking as the bot shows it: the columns of a BookingRow (bots/repository.py), with the
-- service's and the master's names and whether the customer can be reached. Every booking query
-- of bots/repository.sql reads this view, so the join is written once.

CREATE VIEW booking_rows AS
SELECT b.id, b.request_key, b.customer_id, b.customer_name, b.customer_phone, b.service_id,
       s.name AS service_name, b.staff_id, st.name AS staff_name, b.price, b.starts_at,
       b.ends_at, b.blocked_until, b.status, b.cancelled_by,
       EXISTS (SELECT 1 FROM bot_users u
                WHERE u.telegram_id = b.customer_id AND u.unreachable_at IS NOT NULL)
           AS customer_unreachable
  FROM bookings b
  JOIN services s ON s.id = b.service_id
  JOIN staff st ON st.id = b.staff_id;
