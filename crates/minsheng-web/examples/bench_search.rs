//! The search benchmark (issue: read every appeal): what a person waits for a search
//! of a large county, beside the database's own full-text query on the same terms.
//!
//! For each query, `--rounds` times in turn: `GET /api/v1/appeals?q=…&limit=20` as a
//! county-wide account (`--token`) and as a handler whose scope is one unit
//! (`--scoped-token`), and the raw full-text query (the 20 best matches, no join, no
//! scope, no count) over `--db-url`. Prints a Markdown table.
//!
//!   bench_search --url http://127.0.0.1:8080 --token mst_… --scoped-token mst_… \
//!     --db-url sqlite:///tmp/x.db [--rounds 30]

mod common;

use std::time::{Duration, Instant};

use common::{flags, number, percentile};
use minsheng_text::Segmenter;

/// What people type: common and rare words, a compound, a village, a phrase, a lone
/// character, an unsegmented sentence, stray operators.
const QUERIES: &[&str] = &[
    "暖气",
    "暖气不热",
    "路灯",
    "下水道 堵塞",
    "拖欠工资",
    "幸福家园小区",
    "柳树湾",
    "心脏病",
    "水",
    "来电人反映小区楼道灯长期不亮",
    "\"噪音 OR (扰民",
    "wifi",
];

struct Timings {
    county: Vec<Duration>,
    scoped: Vec<Duration>,
    raw: Vec<Duration>,
    hits: i64,
}

async fn api(client: &reqwest::Client, url: &str, token: &str, q: &str) -> (Duration, i64) {
    let started = Instant::now();
    let r = client
        .get(format!("{url}/api/v1/appeals"))
        .query(&[("q", q), ("limit", "20")])
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{q}: {}", r.status());
    let body: serde_json::Value = r.json().await.expect("json");
    (started.elapsed(), body["total"].as_i64().unwrap_or(-1))
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(url: &str) -> Raw {
        if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(url).await.expect("sqlite"))
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.expect("postgres"))
        }
    }

    /// The engine's own ranked query: the 20 best matches' ids.
    async fn top20(&self, query: &minsheng_text::search::Query) -> Duration {
        let started = Instant::now();
        match self {
            Raw::Sqlite(p) => {
                let _: Vec<(i64,)> = sqlx::query_as(
                    "SELECT rowid FROM appeal_search WHERE appeal_search MATCH ?1 ORDER BY rank LIMIT 20",
                )
                .bind(query.fts5())
                .fetch_all(p)
                .await
                .expect("fts5");
            }
            Raw::Postgres(p) => {
                let _: Vec<(i64,)> = sqlx::query_as(
                    "SELECT appeal_id FROM appeal_search WHERE terms @@ $1::tsquery \
                     ORDER BY ts_rank(terms, $1::tsquery) DESC LIMIT 20",
                )
                .bind(query.tsquery())
                .fetch_all(p)
                .await
                .expect("tsquery");
            }
        }
        started.elapsed()
    }
}

#[tokio::main]
async fn main() {
    let f = flags(&["url", "token", "scoped-token", "db-url", "rounds"]);
    let url = f.get("url").expect("--url");
    let token = f.get("token").expect("--token");
    let scoped = f.get("scoped-token").expect("--scoped-token");
    let rounds: usize = number(&f, "rounds", 30);
    let client = reqwest::Client::new();
    let raw = Raw::connect(f.get("db-url").expect("--db-url")).await;
    let segmenter = Segmenter::new();
    let mut all: Vec<Timings> = QUERIES
        .iter()
        .map(|_| Timings {
            county: Vec::new(),
            scoped: Vec::new(),
            raw: Vec::new(),
            hits: 0,
        })
        .collect();
    // One warm-up pass, then the rounds, every query in turn (so caches hold what a
    // busy server would have, not one query's pages).
    for round in 0..=rounds {
        for (q, t) in QUERIES.iter().zip(all.iter_mut()) {
            let (county, hits) = api(&client, url, token, q).await;
            let (scope, _) = api(&client, url, scoped, q).await;
            let query = segmenter.query(q);
            let raw = if query.is_empty() {
                Duration::ZERO
            } else {
                raw.top20(&query).await
            };
            if round > 0 {
                t.county.push(county);
                t.scoped.push(scope);
                t.raw.push(raw);
                t.hits = hits;
            }
        }
    }
    println!(
        "| query | matches | county-wide p50 / p99 | one unit's handler p50 / p99 | raw FTS top 20 p50 / p99 |"
    );
    println!("|---|---|---|---|---|");
    let (mut county, mut scoped, mut rawt) = (Vec::new(), Vec::new(), Vec::new());
    for (q, t) in QUERIES.iter().zip(all.iter_mut()) {
        t.county.sort();
        t.scoped.sort();
        t.raw.sort();
        println!(
            "| `{}` | {} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.1} / {:.1} ms |",
            q.replace('|', "\\|"),
            t.hits,
            percentile(&t.county, 0.5),
            percentile(&t.county, 0.99),
            percentile(&t.scoped, 0.5),
            percentile(&t.scoped, 0.99),
            percentile(&t.raw, 0.5),
            percentile(&t.raw, 0.99),
        );
        county.extend(&t.county);
        scoped.extend(&t.scoped);
        rawt.extend(&t.raw);
    }
    county.sort();
    scoped.sort();
    rawt.sort();
    println!(
        "| **all** | — | **{:.1} / {:.1} ms** | **{:.1} / {:.1} ms** | {:.1} / {:.1} ms |",
        percentile(&county, 0.5),
        percentile(&county, 0.99),
        percentile(&scoped, 0.5),
        percentile(&scoped, 0.99),
        percentile(&rawt, 0.5),
        percentile(&rawt, 0.99),
    );
}
