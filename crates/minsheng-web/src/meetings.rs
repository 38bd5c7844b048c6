//! Joint meetings (`/staff/meetings`): the list with overdue action items and a form
//! to call one; a meeting's page with its agenda, minutes and action items and the
//! forms that add to them; the minutes as a printable page and a Word document.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_app::meetings::{docx, minutes_lines};
use minsheng_core::i18n::Explain;
use minsheng_core::meeting::{ActionForm, ActionState, MeetingForm, overdue};
use minsheng_core::{AppealNo, Lang};
use minsheng_store::{ActionItem, MeetingDetail};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Path, Query};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Nav;
use crate::view::{Catalog, Choice, DoneQuery, local};

const PER_PAGE: i64 = 30;

/// An action item as a page shows it.
pub struct ActionRow {
    pub(crate) id: i64,
    pub(crate) meeting_id: i64,
    pub(crate) meeting: String,
    pub(crate) decision: String,
    pub(crate) owner: String,
    pub(crate) due: String,
    pub(crate) state: &'static str,
    pub(crate) open: bool,
    pub(crate) overdue: bool,
    pub(crate) result: String,
}

fn action_row(a: &ActionItem, catalog: &Catalog, lang: Lang) -> ActionRow {
    ActionRow {
        id: a.id,
        meeting_id: a.meeting_id,
        meeting: a.meeting_title.clone(),
        decision: a.decision.clone(),
        owner: catalog.unit_name(a.owner_unit_id),
        due: local(a.due_at),
        state: a.state.label(lang),
        open: a.state == ActionState::Open,
        overdue: overdue(a.state, a.due_at, minsheng_store::now()),
        result: a.result.clone().unwrap_or_default(),
    }
}

/// The overdue action items `me` should see, as rows (for the supervision list too).
pub async fn overdue_rows(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
) -> Result<Vec<ActionRow>, AppError> {
    let catalog = Catalog::load(state).await?;
    Ok(state
        .overdue_actions(me)
        .await?
        .iter()
        .map(|a| action_row(a, &catalog, lang))
        .collect())
}

pub struct MeetingRow {
    id: i64,
    title: String,
    held_on: String,
    members: String,
    open_actions: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings.html")]
struct ListPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    may_call: bool,
    rows: Vec<MeetingRow>,
    overdue: Vec<ActionRow>,
    units: Vec<Choice>,
    today: String,
    error: String,
    total: i64,
    page: i64,
    pages: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    page: String,
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    page: i64,
) -> Result<ListPage, AppError> {
    let found = state.meetings(me, page, PER_PAGE).await?;
    let catalog = Catalog::load(state).await?;
    Ok(ListPage {
        t: texts(lang),
        here: "/staff/meetings",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        may_call: minsheng_app::meetings::may_call(me),
        rows: found
            .items
            .iter()
            .map(|m| MeetingRow {
                id: m.id,
                title: m.title.clone(),
                held_on: m.held_on.to_string(),
                members: m
                    .members
                    .iter()
                    .map(|u| catalog.unit_name(*u))
                    .collect::<Vec<_>>()
                    .join("、"),
                open_actions: m.open_actions,
            })
            .collect(),
        overdue: overdue_rows(state, me, lang).await?,
        units: unit_choices(&catalog, &[]),
        today: minsheng_core::clock::local_day(minsheng_store::now()).to_string(),
        error: String::new(),
        total: found.total,
        page: found.page,
        pages: found.pages(),
    })
}

fn unit_choices(catalog: &Catalog, selected: &[i64]) -> Vec<Choice> {
    catalog
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: selected.contains(&u.id),
            group: String::new(),
        })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<impl IntoResponse, AppError> {
    let page = crate::view::page_number(&q.page);
    list_page(&state, lang, &me, page).await
}

/// Field errors in the person's language, each named by its label.
fn explain_errors(errors: &minsheng_core::intake::FieldErrors, lang: Lang) -> String {
    let t = texts(lang);
    errors
        .0
        .iter()
        .map(|(f, e)| {
            let label = match *f {
                "title" => t.meeting_name,
                "held_on" => t.meeting_date,
                "members" => t.meeting_members,
                "alert" => t.meeting_alert,
                "appeal" => t.meeting_appeal,
                "note" => t.meeting_note,
                "attendance" => t.meeting_attendance,
                "minutes" => t.meeting_minutes,
                "decision" => t.meeting_decision,
                "owner" => t.meeting_owner,
                "days" => t.meeting_days,
                _ => t.meeting_result,
            };
            format!("{label}：{}", e.explain(lang))
        })
        .collect::<Vec<_>>()
        .join("；")
}

pub async fn create(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Member units come as repeated `members` fields.
    let mut form = MeetingForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "title" => form.title = v,
            "held_on" => form.held_on = v,
            "members" => form.members.push(v),
            _ => {}
        }
    }
    match state.create_meeting(&me, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/staff/meetings/{id}")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let mut page = list_page(&state, lang, &me, 1).await?;
            page.error = explain_errors(&errors, lang);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meeting.html")]
struct MeetingPage {
    t: &'static Texts,
    here: String,
    me_name: String,
    me_unit: String,
    nav: Nav,
    id: i64,
    title: String,
    held_on: String,
    members: String,
    attendance: String,
    minutes: String,
    /// What the viewer may see of each agenda item: alert id, appeal number, note.
    agenda: Vec<(Option<i64>, Option<String>, String)>,
    actions: Vec<ActionRow>,
    may_run: bool,
    /// The county's desk: closes any item.
    desk: bool,
    my_unit: i64,
    owners: Vec<(i64, i64)>,
    units: Vec<Choice>,
    error: String,
    done: bool,
}

impl MeetingPage {
    /// Whether the viewer may close action item `id` (the county's desk, or its owner).
    fn may_close(&self, id: &i64) -> bool {
        self.desk
            || self
                .owners
                .iter()
                .any(|(a, u)| a == id && *u == self.my_unit)
    }
}

/// The agenda lines the viewer may see: a case outside their sight shows only its
/// note.
async fn visible_agenda(
    state: &AppState,
    me: &CurrentStaff,
    d: &MeetingDetail,
) -> Result<Vec<(Option<i64>, Option<String>, String)>, AppError> {
    let mut out = Vec::new();
    for item in &d.agenda {
        let no = match &item.appeal_no {
            Some(no) => match state.store.appeal(no, &me.scope).await {
                Ok(_) => Some(no.to_string()),
                Err(minsheng_store::StoreError::NotFound) => None,
                Err(e) => return Err(minsheng_app::Error::from(e).into()),
            },
            None => None,
        };
        out.push((item.alert_id, no, item.note.clone()));
    }
    Ok(out)
}

async fn meeting_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    id: i64,
) -> Result<MeetingPage, AppError> {
    let d = state.meeting(me, id).await?;
    let catalog = Catalog::load(state).await?;
    let m = &d.meeting;
    Ok(MeetingPage {
        t: texts(lang),
        here: format!("/staff/meetings/{id}"),
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        id,
        title: m.title.clone(),
        held_on: m.held_on.to_string(),
        members: m
            .members
            .iter()
            .map(|u| catalog.unit_name(*u))
            .collect::<Vec<_>>()
            .join("、"),
        attendance: m.attendance.clone(),
        minutes: m.minutes.clone(),
        agenda: visible_agenda(state, me, &d).await?,
        actions: d
            .actions
            .iter()
            .map(|a| action_row(a, &catalog, lang))
            .collect(),
        may_run: minsheng_app::meetings::may_run(me, m),
        desk: minsheng_app::meetings::county_desk(me),
        my_unit: me.staff.unit_id,
        owners: d.actions.iter().map(|a| (a.id, a.owner_unit_id)).collect(),
        units: unit_choices(&catalog, &m.members),
        error: String::new(),
        done: false,
    })
}

pub async fn show(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    let mut page = meeting_page(&state, lang, &me, id).await?;
    page.done = q.done();
    Ok(page)
}

/// Every form on a meeting's page, told apart by `action`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MeetingAction {
    action: String,
    alert: String,
    appeal: String,
    note: String,
    attendance: String,
    minutes: String,
    decision: String,
    owner: String,
    days: String,
    item: String,
    result: String,
}

pub async fn act(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<MeetingAction>,
) -> Result<Response, AppError> {
    let bad = |zh: &'static str, en: &'static str| AppError::BadRequest(zh, en);
    let done = match form.action.as_str() {
        "agenda" => {
            let alert =
                match form.alert.trim() {
                    "" => None,
                    a => Some(a.parse::<i64>().map_err(|_| {
                        bad("预警编号应为数字", "An alert number is a whole number.")
                    })?),
                };
            let appeal = match form.appeal.trim() {
                "" => None,
                a => Some(AppealNo::parse(a).map_err(|_| {
                    bad(
                        "诉求编号格式应如 MS2026-000123",
                        "An appeal number looks like MS2026-000123.",
                    )
                })?),
            };
            state
                .add_agenda(&me, id, alert, appeal.as_ref(), &form.note)
                .await
        }
        "minutes" => {
            state
                .record_minutes(&me, id, &form.attendance, &form.minutes)
                .await
        }
        "action" => {
            let f = ActionForm {
                decision: form.decision.clone(),
                owner: form.owner.clone(),
                days: form.days.clone(),
            };
            state.add_action(&me, id, &f).await.map(|_| ())
        }
        "close" => {
            let item = form
                .item
                .trim()
                .parse::<i64>()
                .map_err(|_| bad("未知的议定事项", "Unknown action item."))?;
            state.close_action(&me, id, item, &form.result).await
        }
        _ => return Err(bad("未知的操作", "Unknown action.")),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/staff/meetings/{id}?done=1")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let mut page = meeting_page(&state, lang, &me, id).await?;
            page.error = explain_errors(&errors, lang);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "minutes.html")]
struct MinutesPage {
    t: &'static Texts,
    id: i64,
    lines: Vec<(bool, String)>,
}

/// The minutes' lines, with the agenda as the viewer may see it.
async fn lines(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    lang: Lang,
) -> Result<Vec<(bool, String)>, AppError> {
    let d = state.meeting(me, id).await?;
    let catalog = Catalog::load(state).await?;
    let agenda: Vec<String> = visible_agenda(state, me, &d)
        .await?
        .into_iter()
        .map(|(alert, no, note)| {
            let mut parts = Vec::new();
            if let Some(a) = alert {
                parts.push(format!("{} #{a}", texts(lang).meeting_alert));
            }
            if let Some(no) = no {
                parts.push(no);
            }
            if !note.is_empty() {
                parts.push(note);
            }
            parts.join(if lang == Lang::Zh { "：" } else { ": " })
        })
        .collect();
    Ok(minutes_lines(&d, &|u| catalog.unit_name(u), &agenda, lang))
}

/// The minutes, for printing (the browser's print to PDF makes the PDF).
pub async fn minutes(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, AppError> {
    Ok(MinutesPage {
        t: texts(lang),
        id,
        lines: lines(&state, &me, id, lang).await?,
    })
}

/// The minutes as a Word document.
pub async fn minutes_docx(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let bytes = docx(&lines(&state, &me, id, lang).await?)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=\"meeting-{id}-minutes.docx\"") as &str,
            ),
        ],
        bytes,
    )
        .into_response())
}
