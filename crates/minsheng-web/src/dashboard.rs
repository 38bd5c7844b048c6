//! The leader dashboard (`/staff/dashboard`): headline figures for a period and an
//! area, with the trend, category mix, township map, unit ranking, overdue load and
//! the largest groups of related appeals. Every figure links to the list behind it;
//! every chart's numbers are also a table, so the page reads without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use minsheng_app::figures::{Dashboard, Period, reads_figures};
use minsheng_core::Lang;
use minsheng_core::kpi::{Kpi, Measure, Rate, Sums, average_reply_days};
use minsheng_core::region::RegionCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Choice;
use crate::view::Nav;

/// The dashboard's query string: months as `YYYY-MM`; anything malformed falls back
/// to this year so far.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DashboardQuery {
    from: String,
    to: String,
    township: String,
}

/// A headline figure: its name, value, what it is made of, and the list behind it.
pub struct Headline {
    key: &'static str,
    label: &'static str,
    value: String,
    detail: String,
    href: String,
}

/// A line of a breakdown table.
pub struct Line {
    name: String,
    href: String,
    received: i64,
    rates: Vec<String>,
    extra: Vec<String>,
    score: String,
    heat: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    t: &'static Texts,
    here: String,
    me_name: String,
    me_unit: String,
    nav: Nav,
    from: String,
    to: String,
    townships: Vec<Choice>,
    area: String,
    headlines: Vec<Headline>,
    rate_labels: Vec<&'static str>,
    categories: Vec<Line>,
    places: Vec<Line>,
    units: Vec<Line>,
    groups: Vec<Line>,
    cadres: Vec<Line>,
    /// Signs of false closures: what, how many, the list.
    signs: Vec<(&'static str, i64, String)>,
    trend: Vec<(String, i64, i64)>,
    charts: String,
    report_href: String,
}

/// The inbox's query for the area, for the period's received appeals when `period`
/// (else what stands now), plus `extra`.
fn inbox_href(d: &Dashboard, period: bool, extra: &[(&str, String)]) -> String {
    let mut q: Vec<(&str, String)> = vec![("view", "all".into())];
    if period {
        q.push(("from", d.period.from.to_string()));
        q.push(("to", d.period.last_day().to_string()));
    }
    if let Some(t) = &d.township {
        q.push(("township", t.as_str().to_owned()));
    }
    q.extend(extra.iter().cloned());
    format!(
        "/staff?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

/// The inbox's query for the period and area, plus `extra`.
fn list_href(d: &Dashboard, extra: &[(&str, String)]) -> String {
    inbox_href(d, true, extra)
}

/// The inbox's query for what is open now (no period), plus `extra`.
fn now_href(d: &Dashboard, extra: &[(&str, String)]) -> String {
    inbox_href(d, false, extra)
}

/// The rates a breakdown shows, in its columns' order.
const RATES: [Kpi; 5] = [
    Kpi::Response,
    Kpi::OnTimeReply,
    Kpi::Resolution,
    Kpi::Satisfaction,
    Kpi::ReturnShare,
];

fn rates(s: &Sums) -> Vec<String> {
    RATES.iter().map(|k| k.of(s).show()).collect()
}

fn detail(r: Rate) -> String {
    format!("{} / {}", r.of, r.out_of)
}

/// How hot a unit's overdue load is: a share of its open cases.
fn heat(overdue: i64, open: i64) -> &'static str {
    match (overdue, open) {
        (0, _) => "heat0",
        (o, n) if o * 10 >= n * 3 => "heat3",
        (o, n) if o * 10 >= n => "heat2",
        _ => "heat1",
    }
}

/// A township on the map: name, received, satisfaction (percent or null), centre
/// (latitude, longitude) if known.
type Tile = (String, i64, Option<f64>, Option<(f64, f64)>);

/// The charts' numbers, for static/dashboard.js.
#[derive(Serialize)]
struct Charts<'a> {
    lang: &'a str,
    labels: ChartLabels,
    days: Vec<String>,
    received: Vec<i64>,
    closed: Vec<i64>,
    categories: Vec<(String, i64)>,
    map: Vec<Tile>,
    /// Units by overdue cases now: name, overdue, open.
    overdue: Vec<(String, i64, i64)>,
}

#[derive(Serialize)]
struct ChartLabels {
    received: &'static str,
    closed: &'static str,
    overdue: &'static str,
    open: &'static str,
    satisfaction: &'static str,
}

pub async fn dashboard(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<DashboardQuery>,
) -> Result<impl IntoResponse, AppError> {
    if !reads_figures(&me) {
        return Err(AppError::Forbidden);
    }
    let today = state.today();
    let period = Period::parse(&format!("{}..{}", q.from, q.to))
        .or_else(|| Period::parse(&q.from))
        .unwrap_or_else(|| Period::year_to_date(today));
    let township = RegionCode::parse(q.township.trim()).ok();
    let d = state.dashboard(&me, period, township, lang).await?;
    let t = texts(lang);
    let totals = &d.totals;
    let rate = |k: Kpi| d.rate(k);
    let period_href = list_href(&d, &[]);
    let mut headlines = vec![Headline {
        key: "received",
        label: t.kpi_received,
        value: totals.get(Measure::Received).to_string(),
        detail: String::new(),
        href: period_href.clone(),
    }];
    for k in [
        Kpi::Response,
        Kpi::Resolution,
        Kpi::Satisfaction,
        Kpi::OnTimeReply,
    ] {
        headlines.push(Headline {
            key: k.code(),
            label: k.label(lang),
            value: rate(k).show(),
            detail: detail(rate(k)),
            href: period_href.clone(),
        });
    }
    headlines.extend([
        Headline {
            key: "overdue",
            label: t.kpi_overdue_now,
            value: d.open.overdue.to_string(),
            detail: format!("{} {}", t.kpi_open_now, d.open.open),
            href: now_href(&d, &[("list", "overdue".into())]),
        },
        Headline {
            key: "backlog",
            label: t.kpi_backlog_hard,
            value: format!("{} / {}", d.open.backlog, d.open.hard),
            detail: format!("{} {}", t.kpi_hard_closed, totals.get(Measure::HardClosed)),
            href: now_href(&d, &[("list", "flagged".into())]),
        },
        Headline {
            key: "reply_days",
            label: t.kpi_reply_days,
            value: average_reply_days(totals).map_or_else(|| "—".into(), |v| format!("{v:.1}")),
            detail: format!("{}: {}", t.kpi_replies, totals.get(Measure::Replied)),
            href: period_href.clone(),
        },
        Headline {
            key: "settled_on_visits",
            label: t.settled_on_visits,
            value: d.settled_on_visits.to_string(),
            detail: String::new(),
            href: "/staff/visits".into(),
        },
    ]);
    let line = |name: String, href: String, s: &Sums| Line {
        name,
        href,
        received: s.get(Measure::Received),
        rates: rates(s),
        extra: Vec::new(),
        score: String::new(),
        heat: "",
    };
    let categories: Vec<Line> = d
        .categories
        .iter()
        .map(|r| {
            line(
                r.name.clone(),
                list_href(&d, &[("category", r.key.clone())]),
                &r.sums,
            )
        })
        .collect();
    let places: Vec<Line> = d
        .townships
        .iter()
        .map(|r| {
            let href = if RegionCode::parse(&r.key)
                .is_ok_and(|c| c.level() == minsheng_core::RegionLevel::Township)
            {
                list_href(&d, &[("township", r.key.clone())])
            } else {
                period_href.clone()
            };
            line(r.name.clone(), href, &r.sums)
        })
        .collect();
    let units: Vec<Line> = d
        .units
        .iter()
        .map(|u| {
            let mut l = line(
                u.name.clone(),
                if u.id > 0 {
                    now_href(&d, &[("unit", u.id.to_string())])
                } else {
                    now_href(&d, &[])
                },
                &u.sums,
            );
            l.score = u.score.map_or_else(|| "—".into(), |s| format!("{s:.1}"));
            l.extra = vec![u.load.open.to_string(), u.load.overdue.to_string()];
            l.heat = heat(u.load.overdue, u.load.open);
            l
        })
        .collect();
    let groups: Vec<Line> = d
        .groups
        .iter()
        .map(|g| Line {
            name: format!("{} · {}", g.category, g.place),
            href: now_href(&d, &[("cluster", g.cluster.id.to_string())]),
            received: g.cluster.size,
            rates: Vec::new(),
            extra: vec![
                g.cluster
                    .updated_at
                    .with_timezone(&minsheng_core::clock::china())
                    .format("%Y-%m-%d")
                    .to_string(),
            ],
            score: String::new(),
            heat: "",
        })
        .collect();
    let trend: Vec<(String, i64, i64)> = d
        .trend
        .iter()
        .map(|(day, s)| {
            (
                day.to_string(),
                s.get(Measure::Received),
                s.get(Measure::Closed),
            )
        })
        .collect();
    let centre = |code: &str| {
        d.townships_known
            .iter()
            .find(|t| t.code.as_str() == code)
            .and_then(|t| t.centroid)
    };
    let mut overdue: Vec<(String, i64, i64)> = d
        .units
        .iter()
        .filter(|u| u.load.open > 0)
        .map(|u| (u.name.clone(), u.load.overdue, u.load.open))
        .collect();
    overdue.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
    overdue.truncate(15);
    let charts = Charts {
        lang: if lang == Lang::Zh { "zh" } else { "en" },
        labels: ChartLabels {
            received: t.kpi_received,
            closed: t.kpi_closed,
            overdue: t.kpi_overdue_now,
            open: t.kpi_open_now,
            satisfaction: Kpi::Satisfaction.label(lang),
        },
        days: trend.iter().map(|(d, _, _)| d.clone()).collect(),
        received: trend.iter().map(|(_, r, _)| *r).collect(),
        closed: trend.iter().map(|(_, _, c)| *c).collect(),
        categories: d
            .categories
            .iter()
            .map(|r| (r.name.clone(), r.sums.get(Measure::Received)))
            .collect(),
        map: d
            .townships
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.sums.get(Measure::Received),
                    Kpi::Satisfaction.of(&r.sums).percent(),
                    centre(&r.key),
                )
            })
            .collect(),
        overdue,
    };
    let mut townships = vec![Choice {
        value: String::new(),
        label: t.kpi_whole_area.to_owned(),
        selected: d.township.is_none(),
        group: String::new(),
    }];
    townships.extend(d.townships_known.iter().map(|tw| Choice {
        value: tw.code.as_str().to_owned(),
        label: tw.name.clone(),
        selected: d.township.as_ref() == Some(&tw.code),
        group: String::new(),
    }));
    let area = d
        .township
        .as_ref()
        .and_then(|c| d.townships_known.iter().find(|t| &t.code == c))
        .map_or_else(|| t.kpi_whole_area.to_owned(), |t| t.name.clone());
    let ym = |day: NaiveDate| format!("{:04}-{:02}", day.year(), day.month());
    let (from, to) = (ym(d.period.from), ym(d.period.last_month()));
    let mut report_q = vec![("from", from.clone()), ("to", to.clone())];
    if let Some(c) = &d.township {
        report_q.push(("township", c.as_str().to_owned()));
    }
    let here_q = serde_urlencoded::to_string(&report_q).unwrap_or_default();
    Ok(DashboardPage {
        t,
        here: format!("/staff/dashboard?{here_q}"),
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(&me),
        from,
        to,
        townships,
        area,
        headlines,
        rate_labels: RATES.iter().map(|k| k.label(lang)).collect(),
        categories,
        places,
        units,
        groups,
        cadres: d
            .cadres
            .iter()
            .map(|c| {
                let mut l = line(format!("{} · {}", c.name, c.unit), String::new(), &c.sums);
                l.received = c.sums.get(Measure::Replied);
                l.score = c.score.map_or_else(|| "—".into(), |s| format!("{s:.1}"));
                l.extra = vec![c.sums.get(Measure::Visited).to_string()];
                l
            })
            .collect(),
        signs: d
            .signs
            .iter()
            .map(|(s, n)| {
                (
                    s.label(lang),
                    *n,
                    now_href(&d, &[("tag", s.tag().to_owned())]),
                )
            })
            .collect(),
        trend,
        charts: serde_json::to_string(&charts).map_err(|e| AppError::Internal(e.to_string()))?,
        report_href: format!("/staff/reports?{here_q}"),
    })
}
