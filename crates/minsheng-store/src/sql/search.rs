//! Full-text search, where the engines differ most: an FTS5 table of space-separated
//! terms on SQLite, a GIN-indexed tsvector on PostgreSQL. The terms come segmented
//! from `minsheng-text`; neither engine's own parser splits Chinese.

use minsheng_text::search::{Query, tsvector};

/// The rows to index as the one JSON parameter of [`index_statements`]:
/// `[[id, terms], …]`, the terms as each engine takes them.
pub(super) fn index_json(numbered: bool, rows: &[(i64, &[String])]) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, terms)| {
            let terms = if numbered {
                tsvector(terms)
            } else {
                terms.join(" ")
            };
            serde_json::json!([id, terms])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// The statements that replace the terms of the rows in `$1` (see [`index_json`]).
pub(super) fn index_statements(numbered: bool) -> &'static [&'static str] {
    if numbered {
        &["INSERT INTO appeal_search (appeal_id, terms) \
           SELECT (e->>0)::bigint, (e->>1)::tsvector FROM jsonb_array_elements($1::jsonb) e \
           ON CONFLICT (appeal_id) DO UPDATE SET terms = excluded.terms"]
    } else {
        &[
            "DELETE FROM appeal_search WHERE rowid IN (SELECT value->>0 FROM json_each($1))",
            "INSERT INTO appeal_search (rowid, terms) SELECT value->>0, value->>1 FROM json_each($1)",
        ]
    }
}

/// The query's argument as the engine takes it.
pub(super) fn query_arg(numbered: bool, query: &Query) -> String {
    if numbered {
        query.tsquery()
    } else {
        query.fts5()
    }
}

/// The FROM of a search: the appeals `a` whose terms match the query in placeholder
/// `p`, with a `score` (higher is better) to sort by when `scored`. On SQLite the
/// matches drive (`CROSS JOIN` fixes the order): left to itself the planner may walk
/// all the viewer's appeals and ask the full-text index about each one (a minute for a
/// handler at a million appeals).
pub(super) fn match_from(numbered: bool, p: &str, scored: bool) -> String {
    match (numbered, scored) {
        (true, true) => format!(
            "appeals a JOIN (SELECT appeal_id AS id, ts_rank(terms, {p}::tsquery) AS score \
             FROM appeal_search WHERE terms @@ {p}::tsquery) s ON s.id = a.id"
        ),
        (true, false) => format!(
            "appeals a JOIN (SELECT appeal_id AS id FROM appeal_search \
             WHERE terms @@ {p}::tsquery) s ON s.id = a.id"
        ),
        (false, true) => format!(
            "(SELECT rowid AS id, -rank AS score FROM appeal_search \
             WHERE appeal_search MATCH {p}) s CROSS JOIN appeals a ON a.id = s.id"
        ),
        (false, false) => format!(
            "(SELECT rowid AS id FROM appeal_search WHERE appeal_search MATCH {p}) s \
             CROSS JOIN appeals a ON a.id = s.id"
        ),
    }
}

/// Replaces the search terms of `$rows` (`&[(i64, &[String])]`) in the open
/// transaction `$tx`.
macro_rules! write_index {
    ($tx:ident, $rows:expr) => {{
        let rows: &[(i64, &[String])] = $rows;
        if !rows.is_empty() {
            let json = search::index_json(numbered(&$tx), rows);
            for sql in search::index_statements(numbered(&$tx)) {
                sqlx::query(sql).bind(&json).execute(&mut *$tx).await?;
            }
        }
    }};
}
