-- A staff member given a one-time password must choose their own before anything else.
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
