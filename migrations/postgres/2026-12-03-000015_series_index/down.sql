DROP INDEX bookings_series;
