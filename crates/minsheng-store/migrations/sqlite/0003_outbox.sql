-- Messages that a decided step asks to send (the workflow's effects), written in the
-- same transaction as the step, delivered later by a worker. No personal data here:
-- the recipient is named by role (the appellant of appeal_id, a supervisor, a staff
-- id) and resolved when the message is delivered.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    appeal_id       INTEGER REFERENCES appeals(id),
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
