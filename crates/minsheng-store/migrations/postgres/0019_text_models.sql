-- Models learnt from the county's own history (the routing suggestions), stored so
-- that every node suggests the same and a restart need not train again.
CREATE TABLE text_models (
    name       TEXT PRIMARY KEY,
    trained_at TIMESTAMPTZ NOT NULL,
    examples   BIGINT NOT NULL,
    data       TEXT NOT NULL
);
