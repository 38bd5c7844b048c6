-- Going to the people and settling disputes early (issue 9 §5–§7): contact
-- responsibility, leader reception days, field visits, dispute screening and its risk
-- register, people's mediation, publishing replies with the appellant's consent,
-- public consultations, and the county's own settings (the ranking's weights).
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    staff_id    INTEGER NOT NULL REFERENCES staff(id),
    since       TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX contacts_region ON contacts(region_code) WHERE ended_at IS NULL;

CREATE TABLE receptions (
    id         INTEGER PRIMARY KEY,
    leader_id  INTEGER NOT NULL REFERENCES staff(id),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    place      TEXT NOT NULL,
    topic      TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES staff(id),
    created_at TEXT NOT NULL
);
CREATE INDEX receptions_starts ON receptions(starts_at);

CREATE TABLE field_visits (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    visit_on    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    people      TEXT NOT NULL,
    notes       TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX field_visits_on ON field_visits(visit_on);
CREATE TABLE field_visit_cases (
    visit_id  INTEGER NOT NULL REFERENCES field_visits(id),
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    resolved  INTEGER NOT NULL,
    PRIMARY KEY (visit_id, appeal_id)
);
CREATE INDEX field_visit_cases_appeal ON field_visit_cases(appeal_id);

CREATE TABLE screenings (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    created_by  INTEGER NOT NULL REFERENCES staff(id),
    created_at  TEXT NOT NULL
);
-- The parties are personal data: sealed like an appellant's, shown masked.
CREATE TABLE disputes (
    id           INTEGER PRIMARY KEY,
    screening_id INTEGER REFERENCES screenings(id),
    region_code  TEXT NOT NULL REFERENCES regions(code),
    reported_by  INTEGER NOT NULL REFERENCES staff(id),
    kind         TEXT NOT NULL,
    risk         TEXT NOT NULL,
    summary      TEXT NOT NULL,
    parties_mask TEXT NOT NULL,
    pii_key_id   TEXT NOT NULL,
    parties_enc  TEXT NOT NULL,
    state        TEXT NOT NULL,
    appeal_id    INTEGER REFERENCES appeals(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX disputes_register ON disputes(state, risk);
CREATE TABLE dispute_notes (
    id         INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes(id),
    at         TEXT NOT NULL,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    note       TEXT NOT NULL,
    risk       TEXT NOT NULL,
    state      TEXT NOT NULL
);
CREATE INDEX dispute_notes_dispute ON dispute_notes(dispute_id);

CREATE TABLE mediations (
    id           INTEGER PRIMARY KEY,
    dispute_id   INTEGER REFERENCES disputes(id),
    appeal_id    INTEGER REFERENCES appeals(id),
    mediator_id  INTEGER NOT NULL REFERENCES staff(id),
    region_code  TEXT NOT NULL REFERENCES regions(code),
    held_on      TEXT NOT NULL,
    parties_mask TEXT NOT NULL,
    pii_key_id   TEXT NOT NULL,
    parties_enc  TEXT NOT NULL,
    agreement    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    follow_up_on TEXT,
    judicial     INTEGER NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES staff(id),
    created_at   TEXT NOT NULL
);
CREATE INDEX mediations_dispute ON mediations(dispute_id);
CREATE INDEX mediations_appeal ON mediations(appeal_id);

ALTER TABLE appeals ADD COLUMN publish_consent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX appeals_published ON appeals(id) WHERE publish_consent AND status = 'closed';

CREATE TABLE consultations (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    proposal     TEXT NOT NULL,
    opens_on     TEXT NOT NULL,
    closes_on    TEXT NOT NULL,
    response     TEXT,
    responded_at TEXT,
    created_by   INTEGER NOT NULL REFERENCES staff(id),
    created_at   TEXT NOT NULL
);
CREATE TABLE consultation_opinions (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations(id),
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX consultation_opinions_of ON consultation_opinions(consultation_id);

CREATE TABLE county_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
