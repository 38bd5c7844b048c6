-- The id an appeal had in the system it came from (an import, the provincial platform,
-- an API client): registering the same external id again returns the earlier receipt.
ALTER TABLE appeals ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX appeals_external_id ON appeals(external_id);
