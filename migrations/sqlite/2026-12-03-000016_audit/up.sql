-- Every change of the catalogue, accounts, programmes, vouchers, allocations and qualifications,
-- append-only: who, when, what before and after, and why. `organization_id` is whose record it is
-- (the resource's institution, the programme's agency, the organisation itself), for tenancy.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  at TIMESTAMP NOT NULL,
  actor_id BIGINT REFERENCES users (id),
  organization_id BIGINT REFERENCES organizations (id),
  subject_kind TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  reason TEXT
);
CREATE INDEX audit_events_organization ON audit_events (organization_id, id);
CREATE INDEX audit_events_subject ON audit_events (subject_kind, subject_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
