//! The figures benchmark (issue: leaders go down, the people judge): what a leader
//! waits for the county's dashboard of a year and for a month's Excel report, beside a
//! raw `GROUP BY` over the same appeals in the same run.
//!
//! Logs in as `--user` (password `demo-2026`), then `--rounds` times in turn:
//! `GET /staff/dashboard` for the year, `GET /staff/reports.xlsx` for its last month,
//! and two raw queries over `--db-url`: the year's appeals counted by category, and
//! by unit and status (what the dashboard would scan without its kept sums). Prints a
//! Markdown table.
//!
//!   bench_figures --url http://127.0.0.1:8080 --db-url sqlite:///tmp/x.db \
//!     --year 2026 [--month 2026-10] [--user leader1] [--rounds 20]

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use common::{flags, number, percentile};

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The raw queries: the year's appeals by category, then by unit and status.
const BY_CATEGORY: &str = "SELECT category, COUNT(*) FROM appeals \
     WHERE received_at >= $1 AND received_at < $2 GROUP BY category";
const BY_UNIT: &str = "SELECT handler_unit_id, status, COUNT(*) FROM appeals \
     WHERE received_at >= $1 AND received_at < $2 GROUP BY handler_unit_id, status";

impl Raw {
    async fn connect(url: &str) -> Raw {
        if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(url).await.expect("sqlite"))
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.expect("postgres"))
        }
    }

    /// Both raw queries; returns the time and the appeals counted.
    async fn group_by(
        &self,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> (Duration, i64) {
        let started = Instant::now();
        macro_rules! both {
            ($p:expr) => {{
                let a: Vec<(String, i64)> = sqlx::query_as(BY_CATEGORY)
                    .bind(from)
                    .bind(to)
                    .fetch_all($p)
                    .await
                    .expect("raw");
                let _: Vec<(Option<i64>, String, i64)> = sqlx::query_as(BY_UNIT)
                    .bind(from)
                    .bind(to)
                    .fetch_all($p)
                    .await
                    .expect("raw");
                a.iter().map(|r| r.1).sum()
            }};
        }
        let n: i64 = match self {
            Raw::Sqlite(p) => both!(p),
            Raw::Postgres(p) => both!(p),
        };
        (started.elapsed(), n)
    }
}

async fn timed(client: &reqwest::Client, url: &str, cookie: &str) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let r = client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    let body = r.bytes().await.expect("body").to_vec();
    (started.elapsed(), body)
}

#[tokio::main]
async fn main() {
    let f = flags(&["url", "db-url", "year", "month", "user", "rounds"]);
    let url = f.get("url").expect("--url");
    let year: i32 = number(&f, "year", 2026);
    let month = f
        .get("month")
        .cloned()
        .unwrap_or_else(|| format!("{year}-10"));
    let user = f.get("user").cloned().unwrap_or_else(|| "leader1".into());
    let rounds: usize = number(&f, "rounds", 20);
    let raw = Raw::connect(f.get("db-url").expect("--db-url")).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .post(format!("{url}/staff/login"))
        .header("origin", url.as_str())
        .form(&[("username", user.as_str()), ("password", "demo-2026")])
        .send()
        .await
        .expect("login");
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let dashboard = format!("{url}/staff/dashboard?from={year}-01&to={year}-12");
    let report = format!("{url}/staff/reports.xlsx?period={month}");
    // China's year, as the figures count it.
    let china = minsheng_core::clock::china();
    let start = |y: i32| {
        china
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(y, 1, 1)
                    .expect("day")
                    .and_hms_opt(0, 0, 0)
                    .expect("time"),
            )
            .single()
            .expect("instant")
            .with_timezone(&Utc)
    };
    let (from, to) = (start(year), start(year + 1));
    let (mut dash, mut xlsx, mut group) = (Vec::new(), Vec::new(), Vec::new());
    let (mut received, mut bytes) = (String::new(), 0);
    let mut counted = 0;
    for round in 0..=rounds {
        let (d, page) = timed(&client, &dashboard, &cookie).await;
        let (x, book) = timed(&client, &report, &cookie).await;
        let (g, n) = raw.group_by(from, to).await;
        if round == 0 {
            let page = String::from_utf8_lossy(&page);
            received = page
                .split("data-test=\"headline-value\">")
                .nth(1)
                .and_then(|s| s.split('<').next())
                .unwrap_or("?")
                .to_owned();
            bytes = book.len();
            counted = n;
            continue;
        }
        dash.push(d);
        xlsx.push(x);
        group.push(g);
    }
    dash.sort();
    xlsx.sort();
    group.sort();
    println!("| what | result | p50 | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| dashboard, county, {year} (`GET /staff/dashboard`) | {received} received | {:.1} ms | {:.1} ms |",
        percentile(&dash, 0.5),
        percentile(&dash, 0.99)
    );
    println!(
        "| Excel report, {month} (`GET /staff/reports.xlsx`) | {bytes} bytes | {:.1} ms | {:.1} ms |",
        percentile(&xlsx, 0.5),
        percentile(&xlsx, 0.99)
    );
    println!(
        "| raw `GROUP BY` category + unit/status over {year}'s appeals | {counted} counted | {:.1} ms | {:.1} ms |",
        percentile(&group, 0.5),
        percentile(&group, 0.99)
    );
}
