//! The `minsheng` command: serve, init, demo, verify-audit.
//!
//! Error rule: this binary uses `anyhow` with `.context(..)` wherever an error crosses
//! into the library crates; libraries keep their own typed errors.

mod admin;
mod backup;
mod demo;
mod setup;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Minsheng (民声): citizen appeals, routed, on time, in the open.
#[derive(Parser)]
#[command(name = "minsheng", version, about)]
struct Cli {
    /// Database URL: sqlite://FILE (created on first use) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "MINSHENG_DATABASE_URL",
        default_value = "sqlite://minsheng.db",
        global = true
    )]
    database_url: String,

    /// File holding the 32-byte data key (64 hex digits) that protects personal data.
    /// Ignored when MINSHENG_DATA_KEY is set.
    #[arg(
        long,
        env = "MINSHENG_KEY_FILE",
        default_value = "minsheng.key",
        global = true
    )]
    key_file: PathBuf,

    /// An extra calendar file (holidays and make-up working days) that adds years to,
    /// or replaces years of, the calendar shipped with Minsheng.
    #[arg(long, env = "MINSHENG_CALENDAR", global = true)]
    calendar: Option<PathBuf>,

    /// Where attached files (photos, scanned letters) are kept, one file per content;
    /// back it up with the database (the sweep removes files no appeal names).
    #[arg(
        long,
        env = "MINSHENG_FILES_DIR",
        default_value = "minsheng-files",
        global = true
    )]
    files_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal and the staff console.
    Serve {
        /// Listen address.
        #[arg(long, env = "MINSHENG_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// First fill an empty database with the demo county (and make a key file if none).
        #[arg(long)]
        demo: bool,
        /// How many appeals the demo county gets.
        #[arg(long, default_value_t = 20_000)]
        demo_appeals: u32,
        /// Mark session cookies Secure (when served over HTTPS). The variable takes
        /// 1/0, true/false, yes/no, on/off.
        #[arg(
            long,
            env = "MINSHENG_SECURE_COOKIES",
            action = clap::ArgAction::SetTrue,
            value_parser = clap::builder::FalseyValueParser::new()
        )]
        secure_cookies: bool,
        /// A reverse proxy (IP address) whose X-Forwarded-For and X-Forwarded-Proto are
        /// believed; repeat, or comma-separate in the variable.
        #[arg(
            long = "trusted-proxy",
            env = "MINSHENG_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Sign staff out after this many minutes without a request (5–1440).
        #[arg(long, env = "MINSHENG_SESSION_IDLE_MINUTES", default_value_t = 60,
              value_parser = clap::value_parser!(u16).range(5..=1440))]
        session_idle_minutes: u16,
        /// Sign staff out this many hours after they signed in, whatever (1–72).
        #[arg(long, env = "MINSHENG_SESSION_HOURS", default_value_t = 12,
              value_parser = clap::value_parser!(u16).range(1..=72))]
        session_hours: u16,
        /// The largest attached file, in MB (1–100).
        #[arg(long, env = "MINSHENG_MAX_FILE_MB", default_value_t = 10,
              value_parser = clap::value_parser!(u16).range(1..=100))]
        max_file_mb: u16,
        /// The most files on one appeal (1–20).
        #[arg(long, env = "MINSHENG_MAX_FILES", default_value_t = 5,
              value_parser = clap::value_parser!(u16).range(1..=20))]
        max_files: u16,
        /// JSON API requests a minute per token, a tenth of it at once (0: no limit).
        #[arg(long, env = "MINSHENG_API_RATE", default_value_t = minsheng_web::DEFAULT_API_RATE)]
        api_rate: u32,
        /// Open311 requests a minute per client address (0: no limit).
        #[arg(long, env = "MINSHENG_OPEN311_RATE", default_value_t = minsheng_web::DEFAULT_OPEN311_RATE)]
        open311_rate: u32,
        /// Portal submissions a minute per client address, ten at once (0: no limit).
        #[arg(long, env = "MINSHENG_PORTAL_RATE", default_value_t = minsheng_web::DEFAULT_PORTAL_RATE)]
        portal_rate: u32,
        /// Serve /metrics (Prometheus text) on this address, for the monitoring
        /// network only (default: not served).
        #[arg(long, env = "MINSHENG_METRICS_BIND")]
        metrics_bind: Option<SocketAddr>,
        /// The address the public reaches Minsheng at (e.g. https://12345.example.gov.cn),
        /// for the links Open311 hands out; default: the request's Host.
        #[arg(long, env = "MINSHENG_PUBLIC_URL", value_parser = public_url)]
        public_url: Option<String>,
        /// Whether intake reads the text (search terms, risk alerts). `off` only to
        /// measure what reading costs (scripts/bench-intake); appeals taken while off
        /// are indexed at the next start, but raise no alerts.
        #[arg(long, env = "MINSHENG_TEXT_PIPELINE", default_value = "on", value_parser = ["on", "off"])]
        text_pipeline: String,
        /// The SMS gateway: messages are POSTed here (http://…) with the body
        /// `--sms-body`; without it they are written to `--sms-file`.
        #[arg(long, env = "MINSHENG_SMS_URL", value_parser = public_url)]
        sms_url: Option<String>,
        /// The body posted to the SMS gateway; {id}, {to} and {text} are filled in
        /// (JSON-escaped), and the message id is also sent as Idempotency-Key.
        #[arg(long, env = "MINSHENG_SMS_BODY", default_value = minsheng_app::notify::DEFAULT_SMS_BODY)]
        sms_body: String,
        /// Where SMS are written, one JSON line each, when no gateway is set
        /// (development and tests).
        #[arg(long, env = "MINSHENG_SMS_FILE", default_value = "minsheng-sms.jsonl")]
        sms_file: PathBuf,
        /// The SMTP relay for staff e-mail, as host:port (no TLS); without it e-mail is
        /// written to `--mail-file`.
        #[arg(long, env = "MINSHENG_SMTP")]
        smtp: Option<String>,
        /// The sender of staff e-mail.
        #[arg(long, env = "MINSHENG_MAIL_FROM", default_value = "minsheng@localhost")]
        mail_from: String,
        /// Where e-mail is written, one JSON line each, when no SMTP relay is set.
        #[arg(
            long,
            env = "MINSHENG_MAIL_FILE",
            default_value = "minsheng-mail.jsonl"
        )]
        mail_file: PathBuf,
    },
    /// Create the database with the standard county units and categories and an
    /// administrator, and print the administrator's one-time password.
    Init {
        /// The county's 12-digit administrative division code.
        #[arg(long, default_value = "370999000000")]
        county_code: String,
        /// The county's name.
        #[arg(long, default_value = "示例县")]
        county_name: String,
    },
    /// Fill an empty database with a fictional county and a year of appeals.
    Demo {
        /// Random seed: the same seed and end day give the same county.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Number of appeals.
        #[arg(long, default_value_t = 20_000)]
        appeals: u32,
        /// Last day of the year of appeals (YYYY-MM-DD); default today.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        /// Leave every case open as registered instead of playing it forward (to
        /// benchmark the sweep on many open cases).
        #[arg(long)]
        all_open: bool,
    },
    /// Walk the audit chain and name the first bad record; exits 1 if there is one.
    VerifyAudit,
    /// Copy a SQLite database, while it serves, into a new FILE, with a manifest
    /// (FILE.manifest.json: counts, audit head, SHA-256, the data key's id).
    Backup {
        /// The new backup file.
        file: PathBuf,
    },
    /// Restore a backup FILE into a new SQLite database (--database-url), checking it
    /// against its manifest, the data key and the audit chain.
    Restore {
        /// The backup file (its manifest beside it).
        file: PathBuf,
    },
    /// Recompute every open case's clocks and flags from its events (the nightly sweep;
    /// `serve` also runs it every hour).
    Sweep,
    /// Train the routing suggestions on the appeals units handled to their end (`serve`
    /// does this at start when the model is missing or behind) and print how well they
    /// rank appeals held out of the training.
    Train,
    /// Measure the text work on a labelled file of appeals (JSON Lines with `text` and
    /// any of `title`, `category`, `urgent`, `litigation`): routing top-1/top-3 with this
    /// database's model and learnt from the file (5-fold), life-safety recall and false
    /// alarms, litigation flags.
    Evaluate {
        /// The labelled file.
        file: PathBuf,
        /// Also list every appeal judged wrongly.
        #[arg(long)]
        mistakes: bool,
    },
    /// Build the clusters of similar appeals again from every appeal, oldest first (the
    /// demo does this after filling; an import should be followed by it).
    Recluster,
    /// Recompute the figures (dashboard, KPIs, reports) from every case's events and
    /// say whether the sums kept with each step agreed (`serve` does this at start
    /// when a database from before the figures were kept has none yet). Writers wait
    /// while it runs.
    Kpi {
        /// Only compare; write nothing. Exits non-zero when any cell differs.
        #[arg(long)]
        check: bool,
    },
    /// Write the monthly or annual report of the county (or a township): headline
    /// sentences, figures, unit ranking, categories, townships, days.
    Report {
        /// `2026-10` (a month), `2026` (a year) or `2026-01..2026-06` (months).
        #[arg(long)]
        period: String,
        /// `xlsx` (Excel) or `html` (a printable page).
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "html"])]
        format: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// One township's code (e.g. 370999001000) instead of the whole county.
        #[arg(long)]
        area: Option<String>,
        /// The report's language: zh or en.
        #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
        lang: String,
    },
    /// Index appeals for search that are not yet (`serve` does this at start), or, with
    /// --all, every appeal again (after the county's words changed a lot).
    Reindex {
        /// Drop the index and build it again from every appeal.
        #[arg(long)]
        all: bool,
    },
    /// Answer calendar questions: due dates, and whether a calendar file is valid.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Administer regions (the official division codes).
    #[command(subcommand)]
    Regions(admin::RegionsCommand),
    /// Administer units (departments, townships, village committees…).
    #[command(subcommand)]
    Units(admin::UnitsCommand),
    /// Administer routing rules (category × region → lead unit and co-handlers).
    #[command(subcommand)]
    Routing(admin::RoutingCommand),
    /// Administer staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Administer staff API tokens (`Authorization: Bearer` on /api/v1).
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Administer Open311 API keys (`api_key` on POST /open311/v2/requests).
    #[command(subcommand)]
    ApiKey(admin::ApiKeyCommand),
    /// Import historical appeals from CSV or XLSX (a header row; UTF-8 or GBK) or JSON
    /// Lines, with the standard field names (external_id, received_at, channel,
    /// category, township, village or region, lat, long, address, text, headcount,
    /// name, phone, id_number, status, closed_at) or common Chinese headers. Every row
    /// is checked first; any bad row writes nothing (exit 1). Importing the same file
    /// again, or resuming one that stopped, stores nothing twice.
    Import {
        /// The file.
        file: PathBuf,
        /// Only check the file: list every bad row with its line, write nothing.
        #[arg(long)]
        check: bool,
        /// A mapping of the file's headers to field names, one `header=field` a line
        /// (e.g. `受理时间=received_at`).
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create an account and print its one-time password (changed at first sign-in).
    Create {
        /// Login name: 3–32 lowercase letters, digits, '.', '_' or '-'.
        #[arg(long)]
        username: String,
        /// Name shown to colleagues.
        #[arg(long)]
        name: String,
        /// Key of the home unit (e.g. zjj).
        #[arg(long)]
        unit: String,
        /// A role (repeat for several): call_taker, dispatcher, handler, unit_head,
        /// leader, supervisor, grid_worker, auditor, admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Deactivate an account; its sessions end at once.
    Deactivate {
        /// Login name.
        username: String,
    },
    /// Reset a password to a one-time password (printed) that must be changed at the
    /// next sign-in; every session of the account ends.
    ResetPassword {
        /// Login name.
        username: String,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print the due date (YYYY-MM-DD) of a limit started on a day. N working days
    /// after a day is the N-th working day after it; the start day is not counted.
    Due {
        /// The start day, YYYY-MM-DD.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// A limit in working days.
        #[arg(
            long,
            conflicts_with = "calendar_days",
            required_unless_present = "calendar_days"
        )]
        working_days: Option<u32>,
        /// A limit in calendar days.
        #[arg(long)]
        calendar_days: Option<u32>,
    },
    /// Check a calendar file; errors name their line. Exits 1 if the file is invalid.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Put a calendar file in use in the database (as the console's upload does): the
    /// years it declares replace those years. Checked first; a bad file changes nothing.
    Upload {
        /// The file.
        file: PathBuf,
        /// Only check it.
        #[arg(long)]
        check: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINSHENG_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    // One JSON object a line for log collectors (MINSHENG_LOG_FORMAT=json), else text.
    if std::env::var("MINSHENG_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            bind,
            demo,
            demo_appeals,
            secure_cookies,
            session_idle_minutes,
            session_hours,
            trusted_proxies,
            max_file_mb,
            max_files,
            api_rate,
            open311_rate,
            portal_rate,
            metrics_bind,
            public_url,
            text_pipeline,
            sms_url,
            sms_body,
            sms_file,
            smtp,
            mail_from,
            mail_file,
        } => {
            let files_dir = cli.files_dir.clone();
            let keys = setup::keyring(&cli.key_file, demo)?;
            let mut app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            app = app.with_files(minsheng_app::attachments::FileRules {
                blobs: minsheng_store::Blobs::new(files_dir),
                limits: minsheng_core::attachment::Limits {
                    max_bytes: u64::from(max_file_mb) * 1024 * 1024,
                    max_files: usize::from(max_files),
                },
            });
            app = app.with_delivery(delivery(
                sms_url.map(|url| (url, sms_body)),
                sms_file,
                smtp.as_deref(),
                mail_from,
                mail_file,
                public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{bind}")),
            )?);
            if text_pipeline == "off" {
                app = app.without_text();
            }
            app.session_rules = minsheng_app::sessions::SessionRules {
                idle: chrono::Duration::minutes(i64::from(session_idle_minutes)),
                absolute: chrono::Duration::hours(i64::from(session_hours)),
            };
            if demo {
                if app.store.counts().await?.regions == 0 {
                    let options = demo::Options {
                        seed: 2026,
                        appeals: demo_appeals,
                        until: None,
                        calendar: app.calendar().as_ref().clone(),
                        all_open: false,
                    };
                    demo::fill(&app, &options).await?;
                } else {
                    println!(
                        "数据库已有数据，跳过演示数据生成 / database not empty: demo data not added"
                    );
                }
            }
            if let Some(r) = app.ensure_figures().await? {
                println!(
                    "统计数据已重算 / figures rebuilt: {} 件诉求 appeals, {} 个单元 cells",
                    r.cases, r.cells
                );
            }
            // Signals are caught from here on, before the server says it runs.
            let stop = minsheng_web::shutdown_signal();
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("listening on {bind} (MINSHENG_BIND)"))?;
            let addr = listener.local_addr()?;
            println!("民声已启动 / Minsheng is running: http://{addr}/");
            println!("  工作人员入口 / staff console: http://{addr}/staff");
            if demo {
                demo::print_logins();
            }
            tokio::spawn(
                app.clone()
                    .sweep_every(std::time::Duration::from_secs(3600)),
            );
            tokio::spawn(app.clone().deliver_every(std::time::Duration::from_secs(5)));
            // In the background: appeals stored before search existed become
            // searchable, and a missing or stale routing model is trained.
            let reader = app.clone();
            tokio::spawn(async move {
                match reader.index_backlog(|_| {}).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(appeals = n, "older appeals indexed for search"),
                    Err(e) => {
                        tracing::error!(error = %e, "indexing older appeals for search failed")
                    }
                }
                match reader.routing_model_is_stale().await {
                    Ok(false) => {}
                    Ok(true) => match reader.train_routing().await {
                        Ok(r) => tracing::info!(
                            examples = r.examples,
                            category_top1 = r.category_top1,
                            "routing model trained"
                        ),
                        Err(e) => tracing::error!(error = %e, "training the routing model failed"),
                    },
                    Err(e) => tracing::error!(error = %e, "checking the routing model failed"),
                }
            });
            let state = minsheng_web::AppState {
                secure_cookies,
                trusted_proxies: std::sync::Arc::new(trusted_proxies),
                rate_limits: std::sync::Arc::new(minsheng_web::rate::RateLimits::per_minute(
                    api_rate,
                    open311_rate,
                    portal_rate,
                )),
                public_url: public_url.map(std::sync::Arc::from),
                ..minsheng_web::AppState::new(app)
            };
            if let Some(addr) = metrics_bind {
                let metrics = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr} (MINSHENG_METRICS_BIND)"))?;
                println!(
                    "  监控指标 / metrics: http://{}/metrics",
                    metrics.local_addr()?
                );
                tokio::spawn(minsheng_web::metrics::serve(metrics, state.clone()));
            }
            minsheng_web::serve(listener, state, stop).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            let started = std::time::Instant::now();
            let r = app.train_routing().await?;
            println!(
                "分流建议模型已训练 / routing model trained on {} appeals ({:.1} s)",
                r.examples,
                started.elapsed().as_secs_f64()
            );
            println!("留出检验 / held out: {} appeals", r.held_out);
            println!("                    首选 top-1   前三 top-3");
            println!(
                "类别 category       {:>9.1}%  {:>9.1}%",
                r.category_top1 * 100.0,
                r.category_top3 * 100.0
            );
            println!(
                "承办单位 unit       {:>9.1}%  {:>9.1}%",
                r.unit_top1 * 100.0,
                r.unit_top3 * 100.0
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Evaluate { file, mistakes } => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("读取 / reading {}", file.display()))?;
            let mut items = Vec::new();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let item: minsheng_app::evaluate::Labelled = serde_json::from_str(line)
                    .with_context(|| format!("第 {} 行 / line {}", i + 1, i + 1))?;
                items.push(item);
            }
            let e = app.evaluate(&items).await?;
            let pct = |x: f64| format!("{:.1}%", x * 100.0);
            println!("{} 件诉求 / appeals", e.appeals);
            println!(
                "分流 routing (本库模型 this database's model, n={}): top-1 {}  top-3 {}",
                e.routing.n,
                pct(e.routing.top1),
                pct(e.routing.top3)
            );
            println!(
                "分流 routing (文件内5折 learnt from the file, 5-fold): top-1 {}  top-3 {}",
                pct(e.routing_learnt.top1),
                pct(e.routing_learnt.top3)
            );
            println!(
                "生命安全与秩序 urgent: 召回 recall {} ({}/{}), 误报 false alarms {} ({}/{})",
                pct(e.urgent.recall()),
                e.urgent.hits,
                e.urgent.hits + e.urgent.misses,
                pct(e.urgent.false_alarm_rate()),
                e.urgent.false_alarms,
                e.urgent.false_alarms + e.urgent.quiet
            );
            println!(
                "涉法涉诉 litigation: 召回 recall {}, 精确 precision {}",
                pct(e.litigation.recall()),
                pct(e.litigation.precision())
            );
            if mistakes {
                for (id, what) in &e.mistakes {
                    println!("  {id}: {what}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Recluster => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            demo::recluster(&app).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            period,
            format,
            out,
            area,
            lang,
        } => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            let lang = if lang == "en" {
                minsheng_core::Lang::En
            } else {
                minsheng_core::Lang::Zh
            };
            let Some(period) = minsheng_app::figures::Period::parse(&period) else {
                anyhow::bail!(
                    "期间应写作 2026-10、2026 或 2026-01..2026-06（至多 36 个月） / the period must read 2026-10, 2026 or 2026-01..2026-06 (at most 36 months): {period:?}"
                );
            };
            let area = area
                .map(|a| {
                    minsheng_core::RegionCode::parse(&a).map_err(|_| {
                        anyhow::anyhow!("不是有效的区划代码 / not a region code: {a:?}")
                    })
                })
                .transpose()?;
            let Some(county) = app.directory().await?.county.clone() else {
                anyhow::bail!("数据库中还没有县 / the database has no county yet");
            };
            let scope = minsheng_core::staff::Scope {
                regions: vec![county],
                units: Vec::new(),
                above: Vec::new(),
            };
            let started = std::time::Instant::now();
            let report = match app.report(&scope, period, area, lang).await {
                Err(minsheng_app::Error::NotFound) => {
                    anyhow::bail!(
                        "--area 应为本县的一个乡镇（街道）代码 / --area must be a township of the county"
                    )
                }
                r => r?,
            };
            let bytes = if format == "html" {
                minsheng_web::report::report_html(&report, lang, true, "")
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?
                    .into_bytes()
            } else {
                minsheng_app::report::to_xlsx(&report, lang)?
            };
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("{}", report.title);
            for s in &report.sentences {
                println!("  {s}");
            }
            println!(
                "已写入 / written: {} ({} bytes, {:.2} s)",
                out.display(),
                bytes.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Kpi { check } => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            let started = std::time::Instant::now();
            let r = app.rebuild_figures(!check).await?;
            println!(
                "{} 件诉求 appeals replayed, {} 个统计单元 cells, {} 个与保存的不一致 differing from the kept sums ({:.1} s){}",
                r.cases,
                r.cells,
                r.differing,
                started.elapsed().as_secs_f64(),
                if r.written {
                    "; 已写入 / written"
                } else {
                    ""
                }
            );
            Ok(if check && r.differing > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Reindex { all } => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            if all {
                app.store.clear_search_index().await?;
            }
            let bar = indicatif::ProgressBar::new(app.store.counts().await?.appeals.max(0) as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} {per_sec} 剩余 {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("建立检索索引 / indexing");
            let started = std::time::Instant::now();
            let n = app
                .index_backlog(|done| bar.set_position(done as u64))
                .await?;
            bar.finish_and_clear();
            println!(
                "已为 {n} 件诉求建立检索索引 / {n} appeals indexed for search ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Init {
            county_code,
            county_name,
        } => {
            let keys = setup::keyring(&cli.key_file, true)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            let password = app
                .init_county(&county_code, &county_name)
                .await
                .map_err(|e| {
                    use minsheng_app::setup::SetupError;
                    match e {
                        SetupError::NotACounty => {
                            anyhow::anyhow!("--county-code 应为以 000000 结尾的12位县级代码 / {e}")
                        }
                        SetupError::AlreadyInitialised => anyhow::anyhow!("数据库已初始化 / {e}"),
                        e => anyhow::Error::new(e),
                    }
                })?;
            println!("已初始化 {county_name}（{county_code}） / initialised.");
            println!("管理员 / administrator: admin");
            println!("一次性密码 / one-time password: {password}");
            println!("请妥善保管，此密码只显示这一次。/ Keep it safe: it is shown only once.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            seed,
            appeals,
            until,
            all_open,
        } => {
            let keys = setup::keyring(&cli.key_file, true)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            anyhow::ensure!(
                app.store.counts().await?.regions == 0,
                "数据库不是空的 / the database is not empty: demo fills only an empty database"
            );
            demo::fill(
                &app,
                &demo::Options {
                    seed,
                    appeals,
                    until,
                    calendar: app.calendar().as_ref().clone(),
                    all_open,
                },
            )
            .await?;
            demo::print_logins();
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            staff(&app, command).await
        }
        Command::Import {
            file,
            check,
            mapping,
        } => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            import(&app, &file, check, mapping.as_deref()).await
        }
        Command::Regions(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            admin::regions(&app, command).await
        }
        Command::Units(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            admin::units(&app, command).await
        }
        Command::Token(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            admin::token(&app, command).await
        }
        Command::ApiKey(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            admin::api_key(&app, command).await
        }
        Command::Routing(command) => {
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref()).await?;
            admin::routing(&app, command).await
        }
        Command::Calendar(c) => {
            calendar(c, &cli.database_url, &cli.key_file, cli.calendar.as_deref()).await
        }
        Command::Sweep => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let app = setup::app(&cli.database_url, keys, cli.calendar.as_deref())
                .await?
                .with_files(minsheng_app::attachments::FileRules {
                    blobs: minsheng_store::Blobs::new(&cli.files_dir),
                    ..Default::default()
                });
            let report = app.sweep(minsheng_store::now()).await?;
            println!(
                "已重算 / recomputed {} 件在办诉求 / open cases, {} 件有变化 / changed, {} 件回访期满办结 / closed unrated, {:.2} s",
                report.cases, report.changed, report.steps, report.seconds
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => {
            if !cli.database_url.starts_with("sqlite:") {
                anyhow::bail!(
                    "PostgreSQL 请用 pg_dump 备份（见 README）/ back PostgreSQL up with pg_dump (see the README)"
                );
            }
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            backup::backup(&cli.database_url, keys, &file).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let keys = setup::keyring(&cli.key_file, false)?;
            backup::restore(&cli.database_url, keys, &file).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyAudit => {
            setup::existing_database(&cli.database_url)?;
            let keys = setup::keyring(&cli.key_file, false)?;
            let store = minsheng_store::open(&cli.database_url, keys).await?;
            let report = store.verify_audit().await?;
            match report.first_bad {
                None => {
                    println!(
                        "审计链完整 / audit chain intact: {} 条记录 / records",
                        report.records
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    println!(
                        "审计链在第 {seq} 条记录处被破坏 / audit chain broken at record {seq}: {why}"
                    );
                    println!(
                        "（此前 {} 条记录完好 / {} records before it are intact）",
                        report.records, report.records
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// The calendar commands; `upload` needs the database, `due` uses it when there is one
/// (to count with the uploaded calendars), `check` reads only the file.
async fn calendar(
    command: CalendarCommand,
    database_url: &str,
    key_file: &std::path::Path,
    extra: Option<&std::path::Path>,
) -> Result<ExitCode> {
    use minsheng_core::clock::{Calendar, Limit};
    use minsheng_core::i18n::Explain;
    match command {
        CalendarCommand::Due {
            from,
            working_days,
            calendar_days,
        } => {
            let calendar = setup::calendar_in_use(database_url, key_file, extra).await?;
            let limit = match (working_days, calendar_days) {
                (Some(n), _) => Limit::WorkingDays(n),
                (None, Some(n)) => Limit::CalendarDays(n),
                (None, None) => anyhow::bail!("--working-days or --calendar-days is required"),
            };
            let due = limit.due(from, 0, &calendar);
            let horizon = calendar.horizon();
            match limit {
                Limit::WorkingDays(_) if due.date > horizon => {
                    let e = minsheng_core::clock::BeyondCalendar { horizon };
                    eprintln!("{} / {e}", e.explain(minsheng_core::Lang::Zh));
                    return Ok(ExitCode::FAILURE);
                }
                Limit::CalendarDays(_) if due.date == chrono::NaiveDate::MAX => {
                    eprintln!("天数过大 / too many days");
                    return Ok(ExitCode::FAILURE);
                }
                _ => {}
            }
            println!("{}", due.date);
            if !due.covered {
                eprintln!(
                    "注意：日历未覆盖所涉年份，按周一至周五计算 / note: the calendar does not cover \
                     every year counted; Monday to Friday were taken as working days"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CalendarCommand::Check { file } => {
            let text = setup::read_text(&file)?;
            match Calendar::parse(&text) {
                Ok(c) => {
                    let (holidays, workdays) = c.counts();
                    let years: Vec<String> = c.years().map(|y| y.to_string()).collect();
                    println!(
                        "有效 / valid: {} 年 / years {}; {holidays} 天放假 / days off, {workdays} 天调休上班 / make-up working days",
                        years.len(),
                        years.join(", ")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("{}: {}", file.display(), e.explain(minsheng_core::Lang::Zh));
                    println!("{}: {e}", file.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        CalendarCommand::Upload { file, check } => {
            let app = setup::app(database_url, setup::keyring(key_file, false)?, extra).await?;
            admin::upload_calendar(&app, &file, check).await
        }
    }
}

/// `minsheng staff …`: the command line's twin of the console's staff page. The
/// operator at the server manages every account.
async fn staff(app: &minsheng_app::App, command: StaffCommand) -> Result<ExitCode> {
    use minsheng_core::i18n::Explain;
    let refused = |e: minsheng_app::Error| -> Result<ExitCode> {
        match e {
            minsheng_app::Error::Invalid(errors) => {
                for (field, e) in &errors.0 {
                    println!("{field}: {} / {e}", e.explain(minsheng_core::Lang::Zh));
                }
                Ok(ExitCode::FAILURE)
            }
            minsheng_app::Error::NotFound => {
                println!("没有这个账号 / no such account");
                Ok(ExitCode::FAILURE)
            }
            e => Err(e.into()),
        }
    };
    match command {
        StaffCommand::Create {
            username,
            name,
            unit,
            roles,
        } => {
            let mut parsed = Vec::new();
            for r in &roles {
                match minsheng_core::Role::from_code(r.trim()) {
                    Some(role) => parsed.push(role),
                    None => {
                        println!("--role {r}: 未知角色 / unknown role");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            let input = minsheng_app::staff::StaffInput {
                username,
                display_name: name,
                unit_key: unit,
                roles: parsed,
            };
            match app.create_staff_account(None, &input).await {
                Ok((_, password)) => {
                    println!("已创建 / created: {}", input.username.trim().to_lowercase());
                    println!("一次性密码 / one-time password: {password}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        StaffCommand::Deactivate { username } => {
            match app.staff_account_named(None, &username).await {
                Ok(m) => {
                    app.set_staff_account_active(None, m.staff.id, false)
                        .await?;
                    println!("已停用 / deactivated: {username}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        StaffCommand::ResetPassword { username } => {
            match app.staff_account_named(None, &username).await {
                Ok(m) => {
                    let password = app.reset_staff_password(None, m.staff.id).await?;
                    println!("一次性密码 / one-time password: {password}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
    }
}

/// `minsheng import`: historical appeals, with a progress bar.
async fn import(
    app: &minsheng_app::App,
    file: &std::path::Path,
    check: bool,
    mapping: Option<&std::path::Path>,
) -> Result<ExitCode> {
    use indicatif::{ProgressBar, ProgressStyle};
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mapping = mapping
        .map(|m| std::fs::read(m).with_context(|| format!("reading {}", m.display())))
        .transpose()?
        .map(|m| minsheng_app::files::text(&m))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--mapping: {e}"))?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "导入 importing [{bar:40.red/white}] {pos}/{len} {per_sec} 剩余 {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let result = app
        .import_history(&bytes, mapping.as_deref(), check, &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            let seconds = started.elapsed().as_secs_f64();
            if r.applied {
                println!(
                    "已导入 / imported: {} 行 / rows, 新增 {} / stored, 已存在跳过 {} / already in, {:.1} s ({:.0} 行/秒 rows/s)",
                    r.rows,
                    r.stored,
                    r.skipped,
                    seconds,
                    r.rows as f64 / seconds.max(1e-9)
                );
            } else {
                println!(
                    "检查通过，未写入 / checked, nothing written: {} 行可导入 / rows to import",
                    r.rows
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => admin::refused(file, e),
    }
}

/// `--public-url`: an http or https address without a path, query or fragment.
/// How messages leave: the SMS gateway or its file, the SMTP relay or its file.
fn delivery(
    sms: Option<(String, String)>,
    sms_file: PathBuf,
    smtp: Option<&str>,
    from: String,
    mail_file: PathBuf,
    public_url: String,
) -> anyhow::Result<minsheng_app::notify::Delivery> {
    use minsheng_app::notify::{Delivery, MailGateway, SmsGateway};
    let mail = match smtp {
        Some(relay) => {
            let (host, port) = relay
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .with_context(|| {
                    format!("MINSHENG_SMTP 应写成 主机:端口 / should read host:port, not {relay}")
                })?;
            MailGateway::Smtp { host, port, from }
        }
        None => MailGateway::File(mail_file),
    };
    Ok(Delivery {
        sms: match sms {
            Some((url, template)) => SmsGateway::Http { url, template },
            None => SmsGateway::File(sms_file),
        },
        mail,
        public_url,
    })
}

fn public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("应以 http:// 或 https:// 开头 / must start with http:// or https://")?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if host_ok {
        Ok(s.to_owned())
    } else {
        Err(
            "只写协议和主机名（可带端口），不带路径 / scheme and host (and port) only, no path"
                .into(),
        )
    }
}
