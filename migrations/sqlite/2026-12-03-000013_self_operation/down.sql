ALTER TABLE resources ADD COLUMN requires_qualification BOOLEAN NOT NULL DEFAULT 0;
UPDATE resources SET requires_qualification = (self_operation <> 'open');
ALTER TABLE resources DROP COLUMN self_operation;
