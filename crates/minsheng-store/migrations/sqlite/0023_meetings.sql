-- Joint meetings (联席会议): agenda items drawn from alerts and cases, minutes, and the
-- action items each decision produces, tracked until closed with a result.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    convener_id INTEGER NOT NULL REFERENCES staff(id),
    attendance  TEXT NOT NULL DEFAULT '',
    minutes     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE meeting_members (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (meeting_id, unit_id)
);
CREATE INDEX meeting_members_unit ON meeting_members(unit_id);
CREATE TABLE meeting_agenda (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    alert_id   INTEGER REFERENCES alerts(id),
    appeal_id  INTEGER REFERENCES appeals(id),
    note       TEXT NOT NULL
);
CREATE INDEX meeting_agenda_meeting ON meeting_agenda(meeting_id);
CREATE TABLE meeting_actions (
    id            INTEGER PRIMARY KEY,
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    decision      TEXT NOT NULL,
    owner_unit_id INTEGER NOT NULL REFERENCES units(id),
    due_at        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'open',
    result        TEXT,
    closed_at     TEXT,
    closed_by     INTEGER REFERENCES staff(id)
);
CREATE INDEX meeting_actions_meeting ON meeting_actions(meeting_id);
CREATE INDEX meeting_actions_open ON meeting_actions(state, due_at);
