-- Early-warning alerts and the appeals each names. An alert that gathers appeals (one
-- appellant's repeats, later a cluster) has a grouping; while it is active, new
-- appeals of the grouping join it instead of raising another.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,
    level       TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open',
    signal      TEXT NOT NULL,
    grouping    TEXT,
    region_code TEXT NOT NULL REFERENCES regions(code),
    raised_at   TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units(id),
    leader_id   INTEGER REFERENCES staff(id),
    outcome     TEXT
);
CREATE UNIQUE INDEX alerts_active_grouping ON alerts(grouping)
    WHERE grouping IS NOT NULL AND state <> 'resolved';
CREATE INDEX alerts_state ON alerts(state, raised_at);
CREATE TABLE alert_members (
    alert_id  INTEGER NOT NULL REFERENCES alerts(id),
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    PRIMARY KEY (alert_id, appeal_id)
);
CREATE INDEX alert_members_appeal ON alert_members(appeal_id);
-- 'life' or 'order' when the appeal's words threaten either (for lists and badges).
ALTER TABLE appeals ADD COLUMN risk TEXT;
