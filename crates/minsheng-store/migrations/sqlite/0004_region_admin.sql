-- Regions as a county maintains them: an optional centroid per region (WGS-84) and
-- retirement instead of deletion (a retired region keeps its history but takes no new
-- appeals).
ALTER TABLE regions ADD COLUMN lat REAL;
ALTER TABLE regions ADD COLUMN lng REAL;
ALTER TABLE regions ADD COLUMN retired_at TEXT;
