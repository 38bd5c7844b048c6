-- Administering the organisation: a unit's contact phone; categories as a two-level
-- tree with keywords, a public flag (shown on the portal and to Open311 clients) and
-- extra fields (JSON, exposed as Open311 service attributes); holiday calendars
-- uploaded in the console, each a whole file, the latest overriding the years it
-- declares.
ALTER TABLE units ADD COLUMN contact_phone TEXT;
ALTER TABLE categories ADD COLUMN parent_code TEXT REFERENCES categories(code);
ALTER TABLE categories ADD COLUMN keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE categories ADD COLUMN public INTEGER NOT NULL DEFAULT 1;
ALTER TABLE categories ADD COLUMN fields TEXT NOT NULL DEFAULT '[]';
CREATE TABLE calendar_files (
    id          INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES staff(id)
);
