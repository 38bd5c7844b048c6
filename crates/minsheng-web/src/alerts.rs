//! The alert board (`/staff/alerts`): active alerts most urgent first, each with its
//! reason, place and appeals; the duty roles take, escalate and resolve them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_app::alerts::works_alerts;
use minsheng_core::Lang;
use minsheng_core::alerts::{AlertLevel, AlertRule};
use minsheng_core::i18n::Explain;
use minsheng_store::{AlertChange, AlertFilter, AlertSummary};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Path, Query};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Nav;
use crate::view::{Catalog, Choice, DoneQuery, local};

const PER_PAGE: i64 = 50;

/// The board's query string; anything unknown is ignored.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BoardQuery {
    /// `all` for resolved alerts too.
    view: String,
    rule: String,
    level: String,
    page: String,
}

pub struct AlertRow {
    id: i64,
    level: &'static str,
    level_label: &'static str,
    rule: &'static str,
    reason: String,
    place: String,
    raised: String,
    state: &'static str,
    members: i64,
    unit: String,
    outcome: String,
}

fn alert_row(
    a: &AlertSummary,
    catalog: &Catalog,
    names: &std::collections::HashMap<String, String>,
    lang: Lang,
) -> AlertRow {
    AlertRow {
        id: a.id,
        level: a.level.code(),
        level_label: a.level.label(lang),
        rule: a.rule.label(lang),
        reason: a.signal.explain(lang),
        place: catalog.place(names, &a.region),
        raised: local(a.raised_at),
        state: a.state.label(lang),
        members: a.members,
        unit: a.unit_id.map(|u| catalog.unit_name(u)).unwrap_or_default(),
        outcome: a.outcome.clone().unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
struct BoardPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    all: bool,
    rules: Vec<Choice>,
    levels: Vec<Choice>,
    rows: Vec<AlertRow>,
    total: i64,
    page: i64,
    pages: i64,
}

pub async fn board(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<BoardQuery>,
) -> Result<impl IntoResponse, AppError> {
    let filter = AlertFilter {
        active_only: q.view != "all",
        rule: AlertRule::from_code(&q.rule),
        level: AlertLevel::from_code(&q.level),
        ..AlertFilter::default()
    };
    let page = crate::view::page_number(&q.page);
    let found = state.alerts(&me, &filter, page, PER_PAGE).await?;
    let catalog = Catalog::load(&state).await?;
    let names = catalog.place_names();
    let choose = |code: &str, label: &str, current: &str| Choice {
        value: code.to_owned(),
        label: label.to_owned(),
        selected: code == current,
        group: String::new(),
    };
    Ok(BoardPage {
        t: texts(lang),
        here: "/staff/alerts",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(&me),
        all: q.view == "all",
        rules: AlertRule::ALL
            .iter()
            .map(|r| choose(r.code(), r.label(lang), &q.rule))
            .collect(),
        levels: AlertLevel::ALL
            .iter()
            .map(|l| choose(l.code(), l.label(lang), &q.level))
            .collect(),
        rows: found
            .items
            .iter()
            .map(|a| alert_row(a, &catalog, &names, lang))
            .collect(),
        total: found.total,
        page: found.page,
        pages: found.pages(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
struct AlertPage {
    t: &'static Texts,
    here: String,
    me_name: String,
    me_unit: String,
    nav: Nav,
    a: AlertRow,
    active: bool,
    leader: String,
    /// Appeal number and title of each appeal it names that the viewer may see.
    appeals: Vec<(String, String)>,
    may_act: bool,
    units: Vec<Choice>,
    leaders: Vec<Choice>,
    error: String,
    done: bool,
    /// The words its appeals use most, with how many use each.
    terms: Vec<(String, usize)>,
    /// Places: name, appeals, and a point on the little map if the place has one.
    places: Vec<(String, usize, Option<MapPoint>)>,
    /// The timeline: one bar per day (x, y, width, height, label).
    bars: Vec<(u32, u32, u32, u32, String)>,
    /// First and last day of the timeline.
    span: (String, String),
    /// Whether any place has a point on the map.
    mapped: bool,
}

/// A place on the little map: x, y and radius.
type MapPoint = (u32, u32, u32);

/// Width and height of the timeline and of the map, in SVG units.
const CHART: (f64, f64) = (600.0, 80.0);
const MAP: (f64, f64) = (240.0, 160.0);

/// The timeline's bars: each day's share of the busiest day's height.
fn timeline(days: &[(chrono::NaiveDate, usize)]) -> Vec<(u32, u32, u32, u32, String)> {
    let peak = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let width = CHART.0 / days.len().max(1) as f64;
    days.iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = (CHART.1 * *n as f64 / peak).round();
            (
                (i as f64 * width).round() as u32,
                (CHART.1 - h) as u32,
                (width - 1.0).max(1.0).round() as u32,
                h as u32,
                format!("{day}: {n}"),
            )
        })
        .collect()
}

/// The places on a little map: each centroid placed in the box around them all, with a
/// radius that grows with its appeals.
fn map_points(places: &[minsheng_app::alerts::DigestPlace]) -> Vec<Option<MapPoint>> {
    let points: Vec<(f64, f64)> = places.iter().filter_map(|p| p.2).collect();
    let (lat0, lat1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (lng0, lng1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let peak = places.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let scale = |v: f64, lo: f64, hi: f64, size: f64| {
        let margin = 16.0;
        if hi - lo < 1e-9 {
            size / 2.0
        } else {
            margin + (v - lo) / (hi - lo) * (size - 2.0 * margin)
        }
    };
    places
        .iter()
        .map(|(_, n, c)| {
            c.map(|(lat, lng)| {
                (
                    scale(lng, lng0, lng1, MAP.0).round() as u32,
                    // North is up.
                    (MAP.1 - scale(lat, lat0, lat1, MAP.1)).round() as u32,
                    (4.0 + 10.0 * (*n as f64 / peak).sqrt()).round() as u32,
                )
            })
        })
        .collect()
}

async fn alert_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    id: i64,
) -> Result<AlertPage, AppError> {
    let (alert, _) = state.alert(me, id).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let digest = state.alert_digest(me, id).await?;
    let points = map_points(&digest.places);
    let mapped = points.iter().any(Option::is_some);
    let filter = minsheng_store::InboxFilter {
        alert: Some(id),
        ..Default::default()
    };
    let members = state
        .store
        .list_appeals(
            &minsheng_store::ListScope::Visible(me.scope.clone()),
            &filter,
            1,
            200,
        )
        .await?;
    let leaders = state.leaders().await?;
    let choice = |value: String, label: String, selected: bool| Choice {
        value,
        label,
        selected,
        group: String::new(),
    };
    Ok(AlertPage {
        t: texts(lang),
        here: format!("/staff/alerts/{id}"),
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        active: alert.state.is_active(),
        leader: alert
            .leader_id
            .and_then(|l| leaders.iter().find(|m| m.staff.id == l))
            .map(|m| m.staff.display_name.clone())
            .unwrap_or_default(),
        a: alert_row(&alert, &catalog, &names, lang),
        appeals: members
            .items
            .iter()
            .map(|a| (a.no.to_string(), a.title.clone()))
            .collect(),
        may_act: works_alerts(me),
        units: catalog
            .units
            .iter()
            .map(|u| {
                choice(
                    u.id.to_string(),
                    u.name.clone(),
                    alert.unit_id == Some(u.id),
                )
            })
            .collect(),
        leaders: leaders
            .iter()
            .map(|m| {
                choice(
                    m.staff.id.to_string(),
                    m.staff.display_name.clone(),
                    alert.leader_id == Some(m.staff.id),
                )
            })
            .collect(),
        error: String::new(),
        done: false,
        terms: digest.terms.clone(),
        places: digest
            .places
            .iter()
            .zip(points)
            .map(|((code, n, _), point)| (catalog.place(&names, code), *n, point))
            .collect(),
        bars: timeline(&digest.days),
        mapped,
        span: (
            digest
                .days
                .first()
                .map(|d| d.0.to_string())
                .unwrap_or_default(),
            digest
                .days
                .last()
                .map(|d| d.0.to_string())
                .unwrap_or_default(),
        ),
    })
}

pub async fn show(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    let mut page = alert_page(&state, lang, &me, id).await?;
    page.done = q.done();
    Ok(page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertForm {
    action: String,
    unit: String,
    leader: String,
    outcome: String,
}

pub async fn act(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<AlertForm>,
) -> Result<Response, AppError> {
    // An empty choice is "nobody"; anything else must be an id.
    let id_of = |v: &str, zh: &'static str, en: &'static str| -> Result<Option<i64>, AppError> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(zh, en))
    };
    let change = match form.action.as_str() {
        "take" => AlertChange::Take {
            unit_id: id_of(
                &form.unit,
                "请从列表中选择处置单位",
                "Choose the unit from the list.",
            )?,
            leader_id: id_of(
                &form.leader,
                "请从列表中选择包案领导",
                "Choose the leader from the list.",
            )?,
        },
        "escalate" => AlertChange::Escalate,
        "resolve" => AlertChange::Resolve {
            outcome: form.outcome.clone(),
        },
        _ => return Err(AppError::BadRequest("未知的操作", "Unknown action.")),
    };
    match state.change_alert(&me, id, change).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/alerts/{id}?done=1")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let mut page = alert_page(&state, lang, &me, id).await?;
            page.error = errors
                .0
                .iter()
                .map(|(f, e)| {
                    let t = texts(lang);
                    let label = match *f {
                        "unit" => t.alert_unit,
                        "leader" => t.alert_leader,
                        _ => t.alert_outcome,
                    };
                    format!("{label}：{}", e.explain(lang))
                })
                .collect::<Vec<_>>()
                .join("；");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(minsheng_app::Error::NotFound) if state.alert(&me, id).await.is_ok() => {
            // It exists but is resolved: say so.
            let mut page = alert_page(&state, lang, &me, id).await?;
            page.error = texts(lang).alert_closed.to_owned();
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minsheng_core::region::RegionCode;

    #[test]
    fn the_busiest_day_is_the_full_height_and_points_stay_on_the_map() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).expect("day");
        let bars = timeline(&[(day(1), 2), (day(2), 0), (day(3), 4)]);
        assert_eq!(
            bars.iter().map(|b| b.3).collect::<Vec<_>>(),
            vec![40, 0, 80]
        );
        assert_eq!(bars[2].1, 0, "the full bar starts at the top");
        assert!(bars.iter().all(|b| b.0 + b.2 <= 600));
        let code = |s: &str| RegionCode::parse(s).expect("code");
        let points = map_points(&[
            (code("370999001001"), 9, Some((36.60, 118.10))),
            (code("370999001002"), 1, Some((36.70, 118.30))),
            (code("370999001003"), 3, None),
        ]);
        let (a, b) = (points[0].expect("placed"), points[1].expect("placed"));
        assert!(a.0 < b.0 && a.1 > b.1, "west and south of the other");
        assert!(a.2 > b.2, "more appeals, a larger circle");
        for (x, y, r) in [a, b] {
            assert!(x >= r && x + r <= 240 && y >= r && y + r <= 160);
        }
        assert_eq!(points[2], None);
    }
}
