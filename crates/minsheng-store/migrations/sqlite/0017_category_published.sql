-- Whether Open311 publishes a public category's requests: complaints about officials'
-- conduct (the template's zuofeng) name people, and are raised but not published.
ALTER TABLE categories ADD COLUMN published INTEGER NOT NULL DEFAULT 1;
UPDATE categories SET published = 0 WHERE code = 'zuofeng';
