ALTER TABLE resources ADD COLUMN requires_qualification BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE resources SET requires_qualification = (self_operation <> 'open');
ALTER TABLE resources DROP COLUMN self_operation;
