-- What each reply says once dates, numbers, spacing and punctuation are taken out
-- (minsheng_core::closure::reply_print), hashed: a reply whose print another case's
-- reply already has is marked as copied (sign:copied-reply).
CREATE TABLE reply_prints (
    print     TEXT NOT NULL,
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    at        TEXT NOT NULL
);
CREATE INDEX reply_prints_print ON reply_prints(print);
