-- Delivering the outbox (issue 11): a message fanned out from another names it; a
-- failed attempt keeps its error. The messages written before there was a worker
-- carried the reply's own words; they are never sent.
ALTER TABLE outbox ADD COLUMN parent_id INTEGER REFERENCES outbox(id);
ALTER TABLE outbox ADD COLUMN last_error TEXT;
UPDATE outbox SET status = 'superseded' WHERE status = 'pending';

-- The bell: one notice per message and staff member, never two.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    message_id INTEGER NOT NULL REFERENCES outbox(id),
    appeal_id  INTEGER REFERENCES appeals(id),
    alert_id   INTEGER,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT,
    UNIQUE (message_id, staff_id)
);
CREATE INDEX notices_by_staff ON notices(staff_id, read_at, id);

-- Which notices a staff member also wants by e-mail (codes, comma-separated).
ALTER TABLE staff ADD COLUMN email TEXT;
ALTER TABLE staff ADD COLUMN email_notices TEXT NOT NULL DEFAULT '';

-- SMS templates an admin changed from the defaults.
CREATE TABLE sms_templates (
    key        TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES staff(id)
);
