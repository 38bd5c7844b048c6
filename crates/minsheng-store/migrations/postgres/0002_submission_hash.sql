-- A keyed hash of what was submitted with a form's one-time key: a repeat with the
-- same content returns the earlier receipt; a reused key with other content is refused.
-- Rows from before this migration have none, so any repeat of their keys is refused.
ALTER TABLE appeals ADD COLUMN submission_hash TEXT;
