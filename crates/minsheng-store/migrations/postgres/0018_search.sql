-- Full-text search over an appeal's title, text, address and replies. The terms are
-- segmented by Minsheng (jieba and the county's words) and stored as a tsvector built
-- without PostgreSQL's parser (the `simple` lexemes as given, with positions).
CREATE TABLE appeal_search (
    appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id),
    terms     TSVECTOR NOT NULL
);
CREATE INDEX appeal_search_terms ON appeal_search USING GIN (terms);
