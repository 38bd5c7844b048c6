-- The figures leaders read (docs/kpi.md): sums kept up to date in the same transaction
-- as the steps they count, by month and by day; `minsheng kpi rebuild` recomputes
-- them from the events and says whether they agreed.
CREATE TABLE kpi_months (
    month             DATE NOT NULL,
    township          TEXT NOT NULL,
    category          TEXT NOT NULL,
    unit_id           BIGINT NOT NULL,
    staff_id          BIGINT NOT NULL,
    received          BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    returned          BIGINT NOT NULL DEFAULT 0,
    signed            BIGINT NOT NULL DEFAULT 0,
    signed_on_time    BIGINT NOT NULL DEFAULT 0,
    decided           BIGINT NOT NULL DEFAULT 0,
    accepted          BIGINT NOT NULL DEFAULT 0,
    replied           BIGINT NOT NULL DEFAULT 0,
    replied_on_time   BIGINT NOT NULL DEFAULT 0,
    reply_days        BIGINT NOT NULL DEFAULT 0,
    order_replies     BIGINT NOT NULL DEFAULT 0,
    visited           BIGINT NOT NULL DEFAULT 0,
    rated_satisfied   BIGINT NOT NULL DEFAULT 0,
    rated_basic       BIGINT NOT NULL DEFAULT 0,
    rated_unsatisfied BIGINT NOT NULL DEFAULT 0,
    solved_yes        BIGINT NOT NULL DEFAULT 0,
    solved_partly     BIGINT NOT NULL DEFAULT 0,
    solved_no         BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    hard_closed       BIGINT NOT NULL DEFAULT 0,
    reopened          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, township, category, unit_id, staff_id)
);
CREATE TABLE kpi_days (
    day               DATE NOT NULL,
    township          TEXT NOT NULL,
    received          BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    returned          BIGINT NOT NULL DEFAULT 0,
    signed            BIGINT NOT NULL DEFAULT 0,
    signed_on_time    BIGINT NOT NULL DEFAULT 0,
    decided           BIGINT NOT NULL DEFAULT 0,
    accepted          BIGINT NOT NULL DEFAULT 0,
    replied           BIGINT NOT NULL DEFAULT 0,
    replied_on_time   BIGINT NOT NULL DEFAULT 0,
    reply_days        BIGINT NOT NULL DEFAULT 0,
    order_replies     BIGINT NOT NULL DEFAULT 0,
    visited           BIGINT NOT NULL DEFAULT 0,
    rated_satisfied   BIGINT NOT NULL DEFAULT 0,
    rated_basic       BIGINT NOT NULL DEFAULT 0,
    rated_unsatisfied BIGINT NOT NULL DEFAULT 0,
    solved_yes        BIGINT NOT NULL DEFAULT 0,
    solved_partly     BIGINT NOT NULL DEFAULT 0,
    solved_no         BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    hard_closed       BIGINT NOT NULL DEFAULT 0,
    reopened          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, township)
);
-- Set once the sums cover every event (after the first rebuild of a database that had
-- appeals before these tables existed).
CREATE TABLE kpi_built (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    built_at TIMESTAMPTZ NOT NULL
);
INSERT INTO kpi_built (id, built_at) SELECT 1, now() WHERE NOT EXISTS (SELECT 1 FROM appeals);
