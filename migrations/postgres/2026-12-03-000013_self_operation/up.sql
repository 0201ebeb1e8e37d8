-- Who may run a resource alone: anyone ('open'), qualified users while others are assisted by an
-- operator ('assisted'), or qualified users only ('qualified_only'). Replaces the boolean
-- requires_qualification, whose true meant 'assisted'.
ALTER TABLE resources ADD COLUMN self_operation TEXT NOT NULL DEFAULT 'open';
UPDATE resources SET self_operation = 'assisted' WHERE requires_qualification;
ALTER TABLE resources DROP COLUMN requires_qualification;
