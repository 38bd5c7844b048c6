-- Who saw an appellant's personal data in full, when and why (issue 11): each reveal
-- is also an audit record; this table puts it on the case's internal timeline without
-- reading the audit log.
CREATE TABLE reveals (
    id        INTEGER PRIMARY KEY,
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    staff_id  INTEGER NOT NULL REFERENCES staff(id),
    at        TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX reveals_by_appeal ON reveals(appeal_id, at);
