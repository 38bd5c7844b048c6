//! The mixed-load test: an open-loop generator holding `--rate` requests a second for
//! `--minutes` against a live `minsheng serve` with the demo county, as a county's
//! day looks: 80% reads (a handler's inbox, appeal pages, the public tracking page),
//! 15% portal submissions, 5% staff actions (a supervisor's supervision orders through
//! the API). Each request is timed from when it was due (no coordinated omission);
//! the server's memory (`--pid`) is read after the first minute (warm-up) and at the
//! end.
//!
//! ```sh
//! scripts/load                      # builds, starts the server, runs this, prints a table
//! scripts/load --minutes 2          # a shorter run
//! ```

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Args {
    url: String,
    /// An API token of an account that sees the county (for the supervision orders).
    token: String,
    /// The handler's API token (its open cases are what the load reads and supervises).
    handler_token: String,
    /// A handler's session cookie (`ms_session=…`).
    cookie: String,
    pid: u32,
    minutes: u64,
    rate: u64,
}

fn args() -> Args {
    let f = common::flags(&[
        "url",
        "token",
        "handler-token",
        "cookie",
        "pid",
        "minutes",
        "rate",
    ]);
    let text = |name: &str| f.get(name).cloned().unwrap_or_default();
    let a = Args {
        url: text("url"),
        token: text("token"),
        handler_token: text("handler-token"),
        cookie: text("cookie"),
        pid: common::number(&f, "pid", 0),
        minutes: common::number(&f, "minutes", 10),
        rate: common::number(&f, "rate", 200),
    };
    assert!(
        !a.url.is_empty()
            && !a.token.is_empty()
            && !a.cookie.is_empty()
            && !a.handler_token.is_empty(),
        "--url, --token, --handler-token and --cookie are needed"
    );
    a
}

/// The server's resident memory, in MB.
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Kind {
    Inbox,
    AppealPage,
    Track,
    Submit,
    Supervise,
}

/// What the run has seen: per kind, the latencies and the answers by class.
#[derive(Default)]
struct Seen {
    times: std::collections::BTreeMap<Kind, Vec<Duration>>,
    refused: std::collections::BTreeMap<Kind, u64>,
    errors: std::collections::BTreeMap<Kind, u64>,
}

/// Appeal numbers and tracking codes to read, growing as the portal takes more.
struct Targets {
    numbers: Vec<String>,
    codes: Mutex<Vec<String>>,
}

const TEXTS: [&str; 4] = [
    "小区暖气一直不热，室内只有十四度，请尽快处理。",
    "村东头的路灯坏了一个多月，晚上很黑，希望早点修好。",
    "楼下烧烤店每天营业到凌晨两点，油烟和噪音很大。",
    "自来水最近几天发黄，有异味，什么时候能解决？",
];

async fn one(
    client: &reqwest::Client,
    a: &Args,
    targets: &Targets,
    villages: &[(String, String)],
    kind: Kind,
    n: u64,
) -> Result<bool, String> {
    let i = n as usize;
    let response = match kind {
        Kind::Inbox => client
            .get(format!("{}/staff?page={}", a.url, i % 5 + 1))
            .header("cookie", &a.cookie)
            .send()
            .await,
        Kind::AppealPage => client
            .get(format!(
                "{}/staff/appeals/{}",
                a.url,
                targets.numbers[i % targets.numbers.len()]
            ))
            .header("cookie", &a.cookie)
            .send()
            .await,
        Kind::Track => {
            let code = {
                let codes = targets.codes.lock().expect("codes");
                codes[i % codes.len()].clone()
            };
            client.get(format!("{}/track/{code}", a.url)).send().await
        }
        Kind::Submit => {
            let (township, village) = &villages[i % villages.len()];
            let key = format!("{:032x}", rand::random::<u128>());
            let form = [
                ("category", "gongre"),
                ("township", township.as_str()),
                ("village", village.as_str()),
                ("text", TEXTS[i % TEXTS.len()]),
                ("anonymous", "on"),
                ("submission_key", key.as_str()),
            ];
            let r = client
                .post(format!("{}/submit", a.url))
                .header("origin", &a.url)
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if r.status() == reqwest::StatusCode::SEE_OTHER {
                if let Some(code) = r
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| l.strip_prefix("/receipt/"))
                {
                    targets.codes.lock().expect("codes").push(code.to_owned());
                }
                return Ok(true);
            }
            Ok(r)
        }
        Kind::Supervise => {
            let no = &targets.numbers[(i * 13) % targets.numbers.len()];
            let detail: Value = client
                .get(format!("{}/api/v1/appeals/{no}", a.url))
                .bearer_auth(&a.token)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            client
                .post(format!("{}/api/v1/appeals/{no}/actions", a.url))
                .bearer_auth(&a.token)
                .json(&json!({"action": "supervise", "version": detail["version"], "days": 3, "text": "请加快办理"}))
                .send()
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    let status = response.status();
    let _ = response.bytes().await;
    if status.is_server_error() {
        Err(format!("{status}"))
    } else {
        // A refusal the workflow makes (a case already closed) is an answer, not an error.
        Ok(status.is_success() || status.is_redirection())
    }
}

#[tokio::main]
async fn main() {
    let a = Arc::new(args());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // What to read: the handler's open cases, villages to submit to, tracking codes.
    let page: Value = client
        .get(format!("{}/api/v1/appeals?mine=true&limit=200", a.url))
        .bearer_auth(&a.handler_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let numbers: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["no"].as_str().map(str::to_owned))
        .collect();
    assert!(!numbers.is_empty(), "the county has no appeals");
    let regions: Vec<Value> = client
        .get(format!("{}/api/v1/regions", a.url))
        .bearer_auth(&a.token)
        .send()
        .await
        .expect("regions")
        .json()
        .await
        .expect("json");
    let villages: Arc<Vec<(String, String)>> = Arc::new(
        regions
            .iter()
            .filter(|r| r["level"] == "village" && r["retired"] == false)
            .filter_map(|r| {
                let code = r["code"].as_str()?.to_owned();
                Some((format!("{}000", &code[..9]), code))
            })
            .collect(),
    );
    let mut codes = Vec::new();
    for no in numbers.iter().take(50) {
        let detail: Value = client
            .get(format!("{}/api/v1/appeals/{no}", a.url))
            .bearer_auth(&a.token)
            .send()
            .await
            .expect("appeal")
            .json()
            .await
            .expect("json");
        if let Some(code) = detail["tracking_code"].as_str() {
            codes.push(code.to_owned());
        }
    }
    let targets = Arc::new(Targets {
        numbers,
        codes: Mutex::new(codes),
    });

    let seen = Arc::new(Mutex::new(Seen::default()));
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let total = a.rate * a.minutes * 60;
    let started = Instant::now();
    let warm_up = Duration::from_secs(60.min(a.minutes * 60 / 2));
    let mut rss_warm = f64::NAN;
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + interval * n as u32;
        tokio::time::sleep_until(due.into()).await;
        if rss_warm.is_nan() && started.elapsed() >= warm_up {
            rss_warm = rss_mb(a.pid);
        }
        // 80% reads (inbox, appeal page, track page), 15% submissions, 5% actions.
        let kind = match n % 20 {
            0..=5 => Kind::Inbox,
            6..=10 => Kind::AppealPage,
            11..=15 => Kind::Track,
            16..=18 => Kind::Submit,
            _ => Kind::Supervise,
        };
        let (client, a, targets, villages, seen) = (
            client.clone(),
            a.clone(),
            targets.clone(),
            villages.clone(),
            seen.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let result = one(&client, &a, &targets, &villages, kind, n).await;
            let took = due.elapsed();
            let mut seen = seen.lock().expect("seen");
            match result {
                Ok(true) => seen.times.entry(kind).or_default().push(took),
                Ok(false) => *seen.refused.entry(kind).or_default() += 1,
                Err(e) => {
                    if seen.errors.values().sum::<u64>() < 5 {
                        eprintln!("{kind:?}: {e}");
                    }
                    *seen.errors.entry(kind).or_default() += 1;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let rss_end = rss_mb(a.pid);
    let elapsed = started.elapsed().as_secs_f64();
    let seen = seen.lock().expect("seen");
    let mut all: Vec<Duration> = seen.times.values().flatten().copied().collect();
    all.sort();
    let errors: u64 = seen.errors.values().sum();
    println!(
        "| all ({} requests in {:.0} s, {:.0}/s) | {:.1} ms | {:.1} ms | {errors} errors, {} refused |",
        all.len() as u64 + errors + seen.refused.values().sum::<u64>(),
        elapsed,
        total as f64 / elapsed,
        common::percentile(&all, 0.5),
        common::percentile(&all, 0.99),
        seen.refused.values().sum::<u64>(),
    );
    for (kind, times) in &seen.times {
        let mut times = times.clone();
        times.sort();
        println!(
            "| {kind:?} ({}) | {:.1} ms | {:.1} ms | {} errors, {} refused |",
            times.len(),
            common::percentile(&times, 0.5),
            common::percentile(&times, 0.99),
            seen.errors.get(kind).copied().unwrap_or(0),
            seen.refused.get(kind).copied().unwrap_or(0),
        );
    }
    println!(
        "| server memory (RSS) | after warm-up {rss_warm:.0} MB | at the end {rss_end:.0} MB | growth {:+.1}% |",
        (rss_end / rss_warm - 1.0) * 100.0
    );
}
