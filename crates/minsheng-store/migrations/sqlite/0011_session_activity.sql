-- When a session was last used: a session idle longer than the configured time ends
-- (besides its absolute expiry).
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_staff ON sessions(staff_id);
