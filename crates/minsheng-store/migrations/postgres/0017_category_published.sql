-- Whether Open311 publishes a public category's requests: complaints about officials'
-- conduct (the template's zuofeng) name people, and are raised but not published.
ALTER TABLE categories ADD COLUMN published BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE categories SET published = FALSE WHERE code = 'zuofeng';
