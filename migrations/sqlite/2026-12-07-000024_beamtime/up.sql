-- Beamtime calls at major facilities: a facility's manager opens a call with the shifts on offer
-- in a beam period, bookers propose, reviewers of other organisations score the proposals, and
-- the manager allocates the shifts, which become bookings. Lists (criteria, dates, team members,
-- scores) are kept as JSON arrays.

CREATE TABLE beam_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  title_en TEXT NOT NULL,
  title_zh TEXT NOT NULL,
  description TEXT NOT NULL,
  opens_at TIMESTAMP NOT NULL,
  closes_at TIMESTAMP NOT NULL,
  reviews_due_at TIMESTAMP NOT NULL,
  beam_from TIMESTAMP NOT NULL,
  beam_to TIMESTAMP NOT NULL,
  criteria TEXT NOT NULL,
  created_by BIGINT NOT NULL REFERENCES users (id),
  created_at TIMESTAMP NOT NULL,
  -- Set once, when the shifts are allocated.
  allocated_at TIMESTAMP,
  CHECK (opens_at < closes_at AND closes_at < reviews_due_at AND reviews_due_at <= beam_from
    AND beam_from < beam_to)
);
CREATE INDEX beam_calls_organization ON beam_calls (organization_id, id);

CREATE TABLE beam_call_reviewers (
  call_id BIGINT NOT NULL REFERENCES beam_calls (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  PRIMARY KEY (call_id, user_id)
);

CREATE TABLE beam_proposals (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  call_id BIGINT NOT NULL REFERENCES beam_calls (id),
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  proposer_id BIGINT NOT NULL REFERENCES users (id),
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  title TEXT NOT NULL,
  abstract TEXT NOT NULL,
  shifts_requested BIGINT NOT NULL CHECK (shifts_requested >= 1),
  preferred_dates TEXT NOT NULL,
  unavailable_dates TEXT NOT NULL,
  team TEXT NOT NULL,
  decision TEXT CHECK (decision IN ('allocated', 'not_allocated')),
  decision_reason TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  submitted_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX beam_proposals_call ON beam_proposals (call_id, id);
CREATE INDEX beam_proposals_organization ON beam_proposals (organization_id, id);

-- The shifts a call offers; an allocated shift names its proposal and the booking made for it.
CREATE TABLE beam_shifts (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  call_id BIGINT NOT NULL REFERENCES beam_calls (id),
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  start_at TIMESTAMP NOT NULL,
  end_at TIMESTAMP NOT NULL,
  proposal_id BIGINT REFERENCES beam_proposals (id),
  booking_id BIGINT REFERENCES bookings (id),
  CHECK (start_at < end_at),
  UNIQUE (call_id, resource_id, start_at)
);

-- Who reviews which proposal: never someone of the proposer's organisation.
CREATE TABLE beam_assignments (
  proposal_id BIGINT NOT NULL REFERENCES beam_proposals (id),
  reviewer_id BIGINT NOT NULL REFERENCES users (id),
  PRIMARY KEY (proposal_id, reviewer_id)
);
CREATE INDEX beam_assignments_reviewer ON beam_assignments (reviewer_id, proposal_id);

CREATE TABLE beam_reviews (
  proposal_id BIGINT NOT NULL REFERENCES beam_proposals (id),
  reviewer_id BIGINT NOT NULL REFERENCES users (id),
  scores TEXT NOT NULL,
  comment TEXT NOT NULL,
  reviewed_at TIMESTAMP NOT NULL,
  PRIMARY KEY (proposal_id, reviewer_id)
);
