DROP INDEX outbox_waiting_age;
ALTER TABLE outbox ADD COLUMN text_body TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN html_body TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN ics TEXT;
UPDATE outbox SET text_body = c.text_body, html_body = c.html_body, ics = c.ics
  FROM outbox_contents c WHERE c.message_id = outbox.id;
DROP TABLE outbox_contents;
