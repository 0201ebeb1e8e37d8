DROP INDEX bookings_waiting;
DROP TABLE resource_reminders;
DROP TABLE outbox;
