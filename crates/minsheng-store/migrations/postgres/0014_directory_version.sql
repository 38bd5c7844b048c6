-- A counter every change to the county's directory (regions, units, categories,
-- routing rules, calendars) raises in its own transaction: a node caches what intake
-- checks against and reloads it when the counter moved, on every node at once.
CREATE TABLE directory_version (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);
