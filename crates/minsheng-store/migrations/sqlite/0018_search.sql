-- Full-text search over an appeal's title, text, address and replies. The terms are
-- segmented by Minsheng (jieba and the county's words) and stored space-separated;
-- contentless, since the words are in `appeals` already. The rowid is the appeal's id.
CREATE VIRTUAL TABLE appeal_search USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
