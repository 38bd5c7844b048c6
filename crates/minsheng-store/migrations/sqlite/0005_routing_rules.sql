-- Explicit routing rules (category × region subtree → lead unit and co-handlers) and,
-- on each appeal, why it went where it went.
CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    category    TEXT NOT NULL REFERENCES categories(code),
    region_code TEXT NOT NULL REFERENCES regions(code),
    lead_unit_id INTEGER NOT NULL REFERENCES units(id),
    co_units    TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES staff(id)
);
CREATE INDEX routing_rules_category ON routing_rules(category);
ALTER TABLE appeals ADD COLUMN routing_reason TEXT;
