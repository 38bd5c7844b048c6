-- Open311 API keys: a city's app or a partner platform posts requests with one. Only
-- the key's SHA-256 is kept; its first characters are shown to tell keys apart.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   INTEGER REFERENCES staff(id),
    revoked_at   TEXT,
    last_used_at TEXT
);
-- The key an appeal came in with, if any.
ALTER TABLE appeals ADD COLUMN api_key_id INTEGER REFERENCES api_keys(id);
-- Answers to the category's extra fields (Open311 attributes), as JSON:
-- [{"code": …, "label": …, "values": […]}].
ALTER TABLE appeals ADD COLUMN answers TEXT;
