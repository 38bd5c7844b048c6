-- Clusters of similar appeals (the same problem at the same place and time), grown as
-- appeals come in; each member keeps the evidence it joined on.
CREATE TABLE clusters (
    id          INTEGER PRIMARY KEY,
    category    TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    size        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cluster_members (
    appeal_id   INTEGER PRIMARY KEY REFERENCES appeals(id),
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    received_at TEXT NOT NULL,
    evidence    TEXT
);
CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id, received_at);
