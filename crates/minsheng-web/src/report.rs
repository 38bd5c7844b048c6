//! Reports: `/staff/reports` (a printable page) and `/staff/reports.xlsx` (the same as
//! an Excel workbook), for a period of months and an area; the CLI's
//! `minsheng report` renders the same page with [`report_html`].

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use minsheng_app::figures::Period;
use minsheng_app::report::{Report, to_xlsx};
use minsheng_core::Lang;
use minsheng_core::kpi::{Kpi, Measure, Sums, average_reply_days};
use minsheng_core::region::RegionCode;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::{Texts, UiLang, texts};

/// `from` and `to` as `YYYY-MM` (one month when `to` is missing), or `period` as the
/// CLI takes it (`2026`, `2026-10`, `2026-01..2026-06`); else last month.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    from: String,
    to: String,
    period: String,
    township: String,
}

impl ReportQuery {
    fn period(&self, today: chrono::NaiveDate) -> Period {
        let spec = if !self.period.trim().is_empty() {
            self.period.clone()
        } else if self.to.trim().is_empty() {
            self.from.clone()
        } else {
            format!("{}..{}", self.from, self.to)
        };
        Period::parse(&spec).unwrap_or_else(|| last_month(today))
    }

    fn query_string(&self, p: &Period) -> String {
        let ym = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
        let mut q = vec![("from", ym(p.from)), ("to", ym(p.last_month()))];
        if !self.township.trim().is_empty() {
            q.push(("township", self.township.trim().to_owned()));
        }
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

/// The month before `today`'s: the report a county usually wants.
pub fn last_month(today: chrono::NaiveDate) -> Period {
    let this = today.with_day0(0).unwrap_or(today);
    let prev = this.pred_opt().unwrap_or(this);
    Period::months(prev, prev).unwrap_or(Period {
        from: this,
        until: this,
    })
}

use chrono::Datelike;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    t: &'static Texts,
    r: &'a Report,
    standalone: bool,
    css: &'static str,
    period_end: String,
    made: String,
    xlsx_href: String,
    back_href: String,
    figures: Vec<(String, String, String)>,
    header: Vec<String>,
    units: Vec<(String, String, Vec<String>)>,
    categories: Vec<(String, Vec<String>)>,
    townships: Vec<(String, Vec<String>)>,
}

fn cells(s: &Sums) -> Vec<String> {
    let mut v = vec![
        s.get(Measure::Received).to_string(),
        s.get(Measure::Closed).to_string(),
    ];
    v.extend(Kpi::ALL.iter().map(|k| k.of(s).show()));
    v.push(average_reply_days(s).map_or_else(|| "—".into(), |d| format!("{d:.1}")));
    v
}

/// The report as a page; `standalone` carries its stylesheet inside (a file written by
/// the CLI), else it links it (served, where the security policy forbids inline
/// styles). `links` is the query string the served page's links carry.
pub fn report_html(
    r: &Report,
    lang: Lang,
    standalone: bool,
    links: &str,
) -> Result<String, AppError> {
    let t = texts(lang);
    let d = &r.figures;
    let mut figures: Vec<(String, String, String)> =
        [Measure::Received, Measure::Closed, Measure::HardClosed]
            .iter()
            .map(|m| {
                (
                    m.label(lang).to_owned(),
                    d.totals.get(*m).to_string(),
                    String::new(),
                )
            })
            .collect();
    figures.extend([
        (
            t.kpi_open_now.to_owned(),
            d.open.open.to_string(),
            String::new(),
        ),
        (
            t.kpi_overdue_now.to_owned(),
            d.open.overdue.to_string(),
            String::new(),
        ),
    ]);
    figures.extend(Kpi::ALL.iter().map(|k| {
        let rate = k.of(&d.totals);
        (
            k.label(lang).to_owned(),
            rate.show(),
            format!("{} / {}", rate.of, rate.out_of),
        )
    }));
    let mut header = vec![
        Measure::Received.label(lang).to_owned(),
        Measure::Closed.label(lang).to_owned(),
    ];
    header.extend(Kpi::ALL.iter().map(|k| k.label(lang).to_owned()));
    header.push(t.kpi_reply_days.to_owned());
    let page = ReportPage {
        t,
        r,
        standalone,
        css: include_str!("../static/report.css"),
        period_end: d.period.last_day().to_string(),
        made: minsheng_store::now()
            .with_timezone(&minsheng_core::clock::china())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        xlsx_href: format!("/staff/reports.xlsx?{links}"),
        back_href: format!("/staff/dashboard?{links}"),
        figures,
        header,
        units: d
            .units
            .iter()
            .map(|u| {
                let mut c = cells(&u.sums);
                c.push(u.load.open.to_string());
                c.push(u.load.overdue.to_string());
                (
                    u.name.clone(),
                    u.score.map_or_else(|| "—".into(), |s| format!("{s:.1}")),
                    c,
                )
            })
            .collect(),
        categories: d
            .categories
            .iter()
            .map(|c| (c.name.clone(), cells(&c.sums)))
            .collect(),
        townships: d
            .townships
            .iter()
            .map(|c| (c.name.clone(), cells(&c.sums)))
            .collect(),
    };
    page.render().map_err(|e| AppError::Internal(e.to_string()))
}

async fn load(
    state: &AppState,
    me: &CurrentStaff,
    q: &ReportQuery,
    lang: Lang,
) -> Result<(Report, String), AppError> {
    let period = q.period(state.today());
    let township = match q.township.trim() {
        "" => None,
        t => Some(RegionCode::parse(t).map_err(|_| AppError::NotFound)?),
    };
    let report = state.report_for(me, period, township, lang).await?;
    Ok((report, q.query_string(&period)))
}

pub async fn page(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<ReportQuery>,
) -> Result<impl IntoResponse, AppError> {
    let (report, links) = load(&state, &me, &q, lang).await?;
    Ok(Html(report_html(&report, lang, false, &links)?))
}

pub async fn xlsx(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<ReportQuery>,
) -> Result<impl IntoResponse, AppError> {
    let (report, _) = load(&state, &me, &q, lang).await?;
    let bytes = to_xlsx(&report, lang)?;
    let name = format!("{}.xlsx", report.title);
    Ok(crate::files::xlsx_download(&name, bytes))
}
