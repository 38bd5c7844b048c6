//! The intake benchmark: `POST /api/v1/appeals` against a live `minsheng serve`
//! (the whole pipeline: token, validation, routing, numbering, encryption, audit), and
//! the same database's bare insert of a row of the same size, for the ratio.
//!
//! ```sh
//! scripts/bench-intake          # builds, starts the servers, runs this, prints tables
//! cargo run --release -p minsheng-web --example bench_intake -- \
//!     --url http://127.0.0.1:8080 --token mst_… --db-url sqlite://minsheng.db
//! ```
//!
//! 1. Closed loop: `--clients` clients each send an appeal, wait for the answer, send
//!    the next, for `--seconds`: appeals stored per second and latency percentiles.
//! 2. Open loop: one appeal every 1/`--rate` s for `--seconds`, each timed from when
//!    it was due to be sent (no coordinated omission): latency percentiles.
//! 3. Bare insert: `--clients` tasks each insert one row of the same columns and sizes
//!    into a plain table of the same database and commit it, for `--seconds`.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Args {
    url: String,
    token: String,
    db_url: String,
    clients: usize,
    seconds: u64,
    rate: u64,
}

fn args() -> Args {
    let f = common::flags(&["url", "token", "db-url", "clients", "seconds", "rate"]);
    let text = |name: &str| f.get(name).cloned().unwrap_or_default();
    let a = Args {
        url: text("url"),
        token: text("token"),
        db_url: text("db-url"),
        clients: common::number(&f, "clients", 16),
        seconds: common::number(&f, "seconds", 10),
        rate: common::number(&f, "rate", 200),
    };
    assert!(
        !a.url.is_empty() && !a.token.is_empty(),
        "--url and --token are needed"
    );
    a
}

/// Appeals as people send them: varied text, category, place and caller.
struct Corpus {
    villages: Vec<String>,
    categories: Vec<String>,
    sent: AtomicU64,
}

const TEXTS: [&str; 6] = [
    "小区暖气一直不热，室内只有十四度，家里老人冻得受不了，物业说是热力公司的问题，请尽快处理。",
    "村东头的路灯坏了一个多月，晚上孩子放学回家路上很黑，已经有人摔倒了，希望早点修好。",
    "我在县城一家饭店打工，老板拖欠了三个月工资共六千元，多次讨要都说没钱，请帮忙协调。",
    "楼下烧烤店每天营业到凌晨两点，油烟和噪音很大，影响休息，跟店主说过几次也没有改。",
    "自来水最近几天发黄，有异味，不敢给孩子喝，想问问是不是管道出了问题，什么时候能解决。",
    "反映一下，镇上到县城的公交车经常不按时刻表发车，有时候等一个多小时，上班的人很不方便。",
];

impl Corpus {
    fn appeal(&self) -> Value {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let i = n as usize;
        let channel = ["hotline", "letter", "visit"][i % 3];
        let mut body = json!({
            "text": format!("{}（第{n}件）", TEXTS[i % TEXTS.len()]),
            "category": self.categories[i % self.categories.len()],
            "region": self.villages[(i * 7) % self.villages.len()],
            "channel": channel,
            "address": format!("建设路{}号", i % 300 + 1),
        });
        if !i.is_multiple_of(4) {
            let name = ["王秀英", "李建国", "张伟", "刘芳"][i % 4];
            body["name"] = json!(name);
            body["phone"] = json!(format!("139{:08}", n % 100_000_000));
        }
        if i.is_multiple_of(2) {
            body["external_id"] = json!(format!("bench-{}-{n}", std::process::id()));
        }
        body
    }
}

async fn post(client: &reqwest::Client, a: &Args, body: &Value) -> bool {
    match client
        .post(format!("{}/api/v1/appeals", a.url))
        .bearer_auth(&a.token)
        .json(body)
        .send()
        .await
    {
        Ok(r) => {
            let ok = r.status().is_success();
            if !ok {
                eprintln!("{}: {}", r.status(), r.text().await.unwrap_or_default());
            } else {
                let _ = r.bytes().await;
            }
            ok
        }
        Err(e) => {
            eprintln!("request failed: {e}");
            false
        }
    }
}

#[tokio::main]
async fn main() {
    let a = Arc::new(args());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let get = |path: &str| {
        client
            .get(format!("{}/api/v1/{path}", a.url))
            .bearer_auth(&a.token)
            .send()
    };
    let regions: Vec<Value> = get("regions")
        .await
        .expect("regions")
        .json()
        .await
        .expect("json");
    let categories: Vec<Value> = get("categories")
        .await
        .expect("categories")
        .json()
        .await
        .expect("json");
    let corpus = Arc::new(Corpus {
        villages: regions
            .iter()
            .filter(|r| r["level"] == "village" && r["retired"] == false)
            .map(|r| r["code"].as_str().expect("code").to_owned())
            .collect(),
        categories: categories
            .iter()
            .map(|c| c["code"].as_str().expect("code").to_owned())
            .collect(),
        sent: AtomicU64::new(0),
    });
    assert!(!corpus.villages.is_empty(), "the county has no villages");

    // 1. Closed loop.
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, a, corpus) = (client.clone(), a.clone(), corpus.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                let body = corpus.appeal();
                let t = Instant::now();
                if post(&client, &a, &body).await {
                    times.push(t.elapsed());
                } else {
                    failed += 1;
                }
            }
            (times, failed)
        }));
    }
    let mut times = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (mut ts, f) = t.await.expect("client task");
        times.append(&mut ts);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let intake_rate = times.len() as f64 / elapsed;
    println!(
        "| API intake, {} clients, closed loop, {} s | {:.0} appeals/s ({} stored, {failed} failed) | p50 {:.1} ms, p99 {:.1} ms |",
        a.clients,
        a.seconds,
        intake_rate,
        times.len(),
        common::percentile(&times, 0.50),
        common::percentile(&times, 0.99),
    );

    // 2. Open loop at a fixed rate.
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let total = a.rate * a.seconds;
    let begin = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..total {
        let due = begin + interval * k as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, a, corpus) = (client.clone(), a.clone(), corpus.clone());
        tasks.push(tokio::spawn(async move {
            let body = corpus.appeal();
            let ok = post(&client, &a, &body).await;
            (ok, due.elapsed())
        }));
    }
    let mut times = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (ok, d) = t.await.expect("task");
        if ok {
            times.push(d);
        } else {
            failed += 1;
        }
    }
    times.sort();
    println!(
        "| API intake, open loop at {} requests/s, {} s | {} stored, {failed} failed | p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms |",
        a.rate,
        a.seconds,
        times.len(),
        common::percentile(&times, 0.50),
        common::percentile(&times, 0.95),
        common::percentile(&times, 0.99),
    );

    // 3. The same database's bare insert of a row of the same size.
    if !a.db_url.is_empty() {
        let bare = bare_insert(&a, &corpus).await;
        println!(
            "| bare insert of the same row, {} clients, one commit each | {bare:.0} rows/s | ratio intake/bare {:.2} |",
            a.clients,
            intake_rate / bare
        );
    }
}

/// A row of the bare table: the columns and sizes an appeal's row has.
type BareRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn bare_row(corpus: &Corpus, n: u64) -> BareRow {
    let body = corpus.appeal();
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    (
        n as i64,
        format!("MS2026-{n:06}"),
        format!("{n:026x}"),
        body["category"].as_str().unwrap_or_default().to_owned(),
        text.chars().take(30).collect::<String>(),
        text,
        body["region"].as_str().unwrap_or_default().to_owned(),
        body["address"].as_str().unwrap_or_default().to_owned(),
        "x".repeat(60),
        "x".repeat(72),
        "x".repeat(64),
        "2026-11-30T08:00:00Z".to_owned(),
    )
}

/// Rows per second that `--clients` tasks insert, one row (and so one commit) each.
async fn bare_insert(a: &Args, corpus: &Arc<Corpus>) -> f64 {
    const CREATE: &str = "CREATE TABLE IF NOT EXISTS bench_bare (id BIGINT, no TEXT, tracking TEXT, \
        category TEXT, title TEXT, body TEXT, region TEXT, address TEXT, name_enc TEXT, phone_enc TEXT, \
        phone_bidx TEXT, received_at TEXT)";
    const INSERT: &str = "INSERT INTO bench_bare (id, no, tracking, category, title, body, region, address, \
        name_enc, phone_enc, phone_bidx, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let rows = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    macro_rules! run {
        ($pool:expr) => {{
            let pool = $pool;
            sqlx::query(CREATE).execute(&pool).await.expect("create");
            let mut tasks = Vec::new();
            for _ in 0..a.clients {
                let (pool, rows, corpus) = (pool.clone(), rows.clone(), corpus.clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let r = bare_row(&corpus, rows.load(Ordering::Relaxed));
                        sqlx::query(INSERT)
                            .bind(r.0)
                            .bind(r.1)
                            .bind(r.2)
                            .bind(r.3)
                            .bind(r.4)
                            .bind(r.5)
                            .bind(r.6)
                            .bind(r.7)
                            .bind(r.8)
                            .bind(r.9)
                            .bind(r.10)
                            .bind(r.11)
                            .execute(&pool)
                            .await
                            .expect("insert");
                        rows.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
        }};
    }
    if a.db_url.starts_with("sqlite:") {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&a.db_url)
            .expect("url")
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        run!(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .expect("sqlite")
        );
    } else {
        run!(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(&a.db_url)
                .await
                .expect("postgres")
        );
    }
    rows.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
