DROP TABLE beam_reviews;
DROP TABLE beam_assignments;
DROP TABLE beam_shifts;
DROP TABLE beam_proposals;
DROP TABLE beam_call_reviewers;
DROP TABLE beam_calls;
