-- Foundation schema (SQLite). Times are RFC 3339 text in UTC with microseconds.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code)
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE units (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    parent_id INTEGER REFERENCES units(id)
);

CREATE TABLE unit_regions (
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    PRIMARY KEY (unit_id, region_code)
);

CREATE TABLE categories (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    unit_key TEXT NOT NULL REFERENCES units(key),
    position INTEGER NOT NULL
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE staff_roles (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    role     TEXT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE counters (
    county_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (county_code, year)
);

CREATE TABLE appeals (
    id                INTEGER PRIMARY KEY,
    county_code       TEXT NOT NULL,
    no                TEXT NOT NULL,
    tracking_code     TEXT NOT NULL UNIQUE,
    submission_key    TEXT UNIQUE,
    channel           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    category          TEXT NOT NULL REFERENCES categories(code),
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions(code),
    address           TEXT,
    lat               REAL,
    lng               REAL,
    -- The workflow's outcome, recomputed from appeal_events on every step and by the
    -- nightly sweep; kept here only to sort and filter lists.
    track             TEXT NOT NULL,
    status            TEXT NOT NULL,
    handler_unit_id   INTEGER REFERENCES units(id),
    clock_started_at  TEXT,
    supervision_due   TEXT,
    backlog           INTEGER NOT NULL DEFAULT 0,
    hard              INTEGER NOT NULL DEFAULT 0,
    leader_id         INTEGER REFERENCES staff(id),
    -- Number of events: a step is stored only against the version it was decided on.
    version           INTEGER NOT NULL DEFAULT 0,
    received_at       TEXT NOT NULL,
    due_at            TEXT,
    created_by        INTEGER REFERENCES staff(id),
    headcount         INTEGER NOT NULL,
    name_mask         TEXT,
    phone_mask        TEXT,
    pii_key_id        TEXT,
    name_enc          TEXT,
    phone_enc         TEXT,
    id_number_enc     TEXT,
    home_address_enc  TEXT,
    representatives_enc TEXT,
    phone_bidx        TEXT,
    UNIQUE (county_code, no)
);
CREATE INDEX appeals_inbox ON appeals(handler_unit_id, status, due_at, received_at);
CREATE INDEX appeals_region ON appeals(region_code, received_at);
CREATE INDEX appeals_received ON appeals(received_at);
CREATE INDEX appeals_status ON appeals(status, due_at);
CREATE INDEX appeals_supervision ON appeals(supervision_due);
CREATE INDEX appeals_phone ON appeals(phone_bidx);

CREATE TABLE appeal_events (
    id        INTEGER PRIMARY KEY,
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor_id  INTEGER REFERENCES staff(id),
    unit_id   INTEGER REFERENCES units(id),
    note      TEXT,
    -- The decided workflow command as JSON (NULL for the registration itself).
    data      TEXT,
    public    INTEGER NOT NULL
);
CREATE INDEX appeal_events_appeal ON appeal_events(appeal_id, at);

-- Free labels on a case: planted demo situations, later hard-case flags and the like.
CREATE TABLE appeal_tags (
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (appeal_id, tag)
);
CREATE INDEX appeal_tags_tag ON appeal_tags(tag);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL REFERENCES appeals(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    appeal_id INTEGER,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
