-- A rate card is per unit-hour or per shift (a shift is the resource's granularity). A booking
-- priced per shift keeps the shift's length it was priced with, so captures follow it even if the
-- resource's grid changes later; per unit-hour it is NULL.
ALTER TABLE resource_rates ADD COLUMN per TEXT NOT NULL DEFAULT 'unit_hour';
ALTER TABLE bookings ADD COLUMN shift_min INTEGER;
