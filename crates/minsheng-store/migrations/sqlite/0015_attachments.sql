-- An appeal's files are read with the appeal and, for Open311, its first image.
CREATE INDEX attachments_appeal ON attachments(appeal_id, id);
