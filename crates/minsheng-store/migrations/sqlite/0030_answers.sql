-- Answers kept by administrators (issue 11): reply templates per category for
-- handlers, and the knowledge base call-takers answer consultations from. A category
-- of NULL is an answer for any.
CREATE TABLE answers (
    id         INTEGER PRIMARY KEY,
    category   TEXT,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES staff(id)
);
CREATE INDEX answers_by_category ON answers(category);
