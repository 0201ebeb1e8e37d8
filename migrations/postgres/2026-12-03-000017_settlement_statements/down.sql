DROP INDEX audit_events_party;
ALTER TABLE audit_events DROP COLUMN party_id;
DROP TABLE settlement_lines;
DROP TABLE settlement_statements;
