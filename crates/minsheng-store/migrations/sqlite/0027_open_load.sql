-- The dashboard's open load (open cases by unit: overdue, backlog, hard) answered from
-- the index alone: the open cases' rows are wide (sealed personal data), and reading
-- them one by one was most of a county dashboard's time on SQLite.
CREATE INDEX appeals_open_load ON appeals(status, handler_unit_id, due_at, backlog, hard, region_code);
