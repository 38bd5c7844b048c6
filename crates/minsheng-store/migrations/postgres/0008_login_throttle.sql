-- Failed sign-ins per account and per client address, for growing back-off (no hard
-- lockout: nobody can lock staff out by guessing on purpose).
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);
