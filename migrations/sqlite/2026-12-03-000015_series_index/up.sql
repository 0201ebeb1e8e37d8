-- A series is read and cancelled by its id.
CREATE INDEX bookings_series ON bookings (series_id) WHERE series_id IS NOT NULL;
