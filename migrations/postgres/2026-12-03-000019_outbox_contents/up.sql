-- A message's bodies live beside its delivery state: claiming, renewing and recording a delivery
-- then rewrite a small row, not the text, HTML and calendar of every message they touch.
CREATE TABLE outbox_contents (
  message_id BIGINT PRIMARY KEY REFERENCES outbox (id),
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  ics TEXT
);
INSERT INTO outbox_contents (message_id, text_body, html_body, ics)
  SELECT id, text_body, html_body, ics FROM outbox;
ALTER TABLE outbox DROP COLUMN text_body;
ALTER TABLE outbox DROP COLUMN html_body;
ALTER TABLE outbox DROP COLUMN ics;
-- The age of the oldest message still to go, read from the index at each metrics scrape.
CREATE INDEX outbox_waiting_age ON outbox (status, created_at);
