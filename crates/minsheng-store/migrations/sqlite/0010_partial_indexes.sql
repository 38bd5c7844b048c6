-- Indexes over columns that are empty for most appeals keep only the rows that have a
-- value: most appeals have no open supervision order, anonymous ones no phone, and
-- only imported or API appeals an external id. Every lookup by these columns names a
-- value (or asks for one), so each index still serves it, and registering an appeal
-- writes fewer index entries.
DROP INDEX appeals_supervision;
CREATE INDEX appeals_supervision ON appeals(supervision_due) WHERE supervision_due IS NOT NULL;
DROP INDEX appeals_phone;
CREATE INDEX appeals_phone ON appeals(phone_bidx) WHERE phone_bidx IS NOT NULL;
DROP INDEX appeals_external_id;
CREATE UNIQUE INDEX appeals_external_id ON appeals(external_id) WHERE external_id IS NOT NULL;
