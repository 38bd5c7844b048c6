-- Anti-retaliation (回避): the units an accusation (举报) names. Neither they nor the
-- units under them handle or see the appeal; every scope check reads this table.
CREATE TABLE appeal_accused (
    appeal_id BIGINT NOT NULL REFERENCES appeals(id),
    unit_id   BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (appeal_id, unit_id)
);
CREATE INDEX appeal_accused_unit ON appeal_accused(unit_id);
