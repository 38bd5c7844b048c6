-- The figures leaders read (docs/kpi.md): sums kept up to date in the same transaction
-- as the steps they count, by month and by day; `minsheng kpi rebuild` recomputes
-- them from the events and says whether they agreed.
CREATE TABLE kpi_months (
    month             TEXT NOT NULL,
    township          TEXT NOT NULL,
    category          TEXT NOT NULL,
    unit_id           INTEGER NOT NULL,
    staff_id          INTEGER NOT NULL,
    received          INTEGER NOT NULL DEFAULT 0,
    dispatched        INTEGER NOT NULL DEFAULT 0,
    returned          INTEGER NOT NULL DEFAULT 0,
    signed            INTEGER NOT NULL DEFAULT 0,
    signed_on_time    INTEGER NOT NULL DEFAULT 0,
    decided           INTEGER NOT NULL DEFAULT 0,
    accepted          INTEGER NOT NULL DEFAULT 0,
    replied           INTEGER NOT NULL DEFAULT 0,
    replied_on_time   INTEGER NOT NULL DEFAULT 0,
    reply_days        INTEGER NOT NULL DEFAULT 0,
    order_replies     INTEGER NOT NULL DEFAULT 0,
    visited           INTEGER NOT NULL DEFAULT 0,
    rated_satisfied   INTEGER NOT NULL DEFAULT 0,
    rated_basic       INTEGER NOT NULL DEFAULT 0,
    rated_unsatisfied INTEGER NOT NULL DEFAULT 0,
    solved_yes        INTEGER NOT NULL DEFAULT 0,
    solved_partly     INTEGER NOT NULL DEFAULT 0,
    solved_no         INTEGER NOT NULL DEFAULT 0,
    closed            INTEGER NOT NULL DEFAULT 0,
    hard_closed       INTEGER NOT NULL DEFAULT 0,
    reopened          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, township, category, unit_id, staff_id)
);
CREATE TABLE kpi_days (
    day               TEXT NOT NULL,
    township          TEXT NOT NULL,
    received          INTEGER NOT NULL DEFAULT 0,
    dispatched        INTEGER NOT NULL DEFAULT 0,
    returned          INTEGER NOT NULL DEFAULT 0,
    signed            INTEGER NOT NULL DEFAULT 0,
    signed_on_time    INTEGER NOT NULL DEFAULT 0,
    decided           INTEGER NOT NULL DEFAULT 0,
    accepted          INTEGER NOT NULL DEFAULT 0,
    replied           INTEGER NOT NULL DEFAULT 0,
    replied_on_time   INTEGER NOT NULL DEFAULT 0,
    reply_days        INTEGER NOT NULL DEFAULT 0,
    order_replies     INTEGER NOT NULL DEFAULT 0,
    visited           INTEGER NOT NULL DEFAULT 0,
    rated_satisfied   INTEGER NOT NULL DEFAULT 0,
    rated_basic       INTEGER NOT NULL DEFAULT 0,
    rated_unsatisfied INTEGER NOT NULL DEFAULT 0,
    solved_yes        INTEGER NOT NULL DEFAULT 0,
    solved_partly     INTEGER NOT NULL DEFAULT 0,
    solved_no         INTEGER NOT NULL DEFAULT 0,
    closed            INTEGER NOT NULL DEFAULT 0,
    hard_closed       INTEGER NOT NULL DEFAULT 0,
    reopened          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, township)
);
-- Set once the sums cover every event (after the first rebuild of a database that had
-- appeals before these tables existed).
CREATE TABLE kpi_built (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    built_at TEXT NOT NULL
);
INSERT INTO kpi_built (id, built_at)
SELECT 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE NOT EXISTS (SELECT 1 FROM appeals);
