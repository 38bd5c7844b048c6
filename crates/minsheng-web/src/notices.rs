//! The bell: a staff member's notices (new work, returns, supervision, reminders,
//! escalations), which of them also come by e-mail, and the count the navigation
//! shows; and the administrators' page of SMS templates and the outbox.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_core::Lang;
use minsheng_core::notify::{AppellantNotice, Notice};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Path, Query};
use crate::i18n::{Texts, UiLang, texts};
use crate::outreach::{answer, refusal};
use crate::view::{DoneQuery, Nav, local, page_number};

const PER_PAGE: i64 = 30;

/// One notice as the bell lists it.
pub struct NoticeLine {
    id: i64,
    what: &'static str,
    /// The appeal's number, or the alert's.
    about: String,
    at: String,
    read: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices.html")]
struct NoticesPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    rows: Vec<NoticeLine>,
    unread: i64,
    page: i64,
    prev: Option<i64>,
    next: Option<i64>,
    saved: bool,
    error: String,
    email: String,
    /// (code, label, chosen by e-mail).
    choices: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticesQuery {
    page: String,
    done: String,
}

async fn notices_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    page: i64,
    saved: bool,
    typed: Option<(String, Vec<Notice>)>,
    error: String,
) -> Result<NoticesPage, AppError> {
    let list = state.notices(me, page, PER_PAGE).await?;
    let (email, chosen) = match typed {
        Some(t) => t,
        None => {
            let prefs = state.notice_prefs(me).await?;
            (prefs.email.unwrap_or_default(), prefs.by_email)
        }
    };
    let pages = list.pages();
    Ok(NoticesPage {
        t: texts(lang),
        here: "/staff/notices",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        unread: state.unread_notices(me).await?,
        rows: list
            .items
            .iter()
            .map(|n| NoticeLine {
                id: n.id,
                what: n.notice.label(lang),
                about: match (&n.appeal_no, n.alert_id) {
                    (Some(no), _) => no.as_str().to_owned(),
                    (None, Some(a)) => format!("#{a}"),
                    (None, None) => String::new(),
                },
                at: local(n.at),
                read: n.read,
            })
            .collect(),
        page: list.page,
        prev: (list.page > 1).then(|| list.page - 1),
        next: (list.page < pages).then(|| list.page + 1),
        saved,
        error,
        email,
        choices: Notice::ALL
            .iter()
            .map(|n| (n.code(), n.label(lang), chosen.contains(n)))
            .collect(),
    })
}

/// `GET /staff/notices`: the bell, newest first, and the e-mail choices.
pub async fn list(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<NoticesQuery>,
) -> Result<impl IntoResponse, AppError> {
    let page = page_number(&q.page);
    notices_page(&state, lang, &me, page, q.done == "1", None, String::new()).await
}

/// `GET /staff/notices/count`: the unread count the navigation shows.
pub async fn count(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    let unread = state.unread_notices(&me).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "unread": unread })),
    ))
}

/// `POST /staff/notices/read`: all marked read.
pub async fn read_all(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Redirect, AppError> {
    state.read_notices(&me, &[]).await?;
    Ok(Redirect::to("/staff/notices"))
}

/// `POST /staff/notices/{id}/open`: marked read, and on to what it is about.
pub async fn open(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Redirect, AppError> {
    state.read_notices(&me, &[id]).await?;
    let list = state.notices(&me, 1, 200).await?;
    let to = list
        .items
        .iter()
        .find(|n| n.id == id)
        .map(|n| match (&n.appeal_no, n.alert_id) {
            (Some(no), _) => format!("/staff/appeals/{}", no.as_str()),
            (None, Some(a)) => format!("/staff/alerts/{a}"),
            (None, None) => "/staff/notices".to_owned(),
        })
        .unwrap_or_else(|| "/staff/notices".to_owned());
    Ok(Redirect::to(&to))
}

/// `POST /staff/notices/prefs`: the address and the notices wanted by e-mail.
pub async fn save_prefs(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let email = fields
        .iter()
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<Notice> = fields
        .iter()
        .filter(|(k, _)| k == "by_email")
        .filter_map(|(_, v)| Notice::parse(v))
        .collect();
    match state.save_notice_prefs(&me, &email, chosen.clone()).await {
        Ok(()) => Ok(Redirect::to("/staff/notices?done=1").into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page =
                notices_page(&state, lang, &me, 1, false, Some((email, chosen)), error).await?;
            Ok(answer(page, true))
        }
    }
}

// ------------------------------------------------------------- messages (administrators)

#[derive(Template, WebTemplate)]
#[template(path = "admin_messages.html")]
struct MessagesPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    /// (key, what, text, changed from the default).
    templates: Vec<(&'static str, &'static str, String, bool)>,
    pending: i64,
    sent: i64,
    failed: i64,
    /// (id, kind, attempts, last error, created).
    failures: Vec<(i64, String, u32, String, String)>,
}

async fn messages_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    saved: bool,
    typed: Option<(String, String)>,
    error: String,
) -> Result<MessagesPage, AppError> {
    let outbox = state.outbox_state(me).await?;
    Ok(MessagesPage {
        t: texts(lang),
        here: "/staff/admin/messages",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        templates: state
            .sms_templates()
            .await?
            .into_iter()
            .map(|(n, text, changed)| {
                let text = match &typed {
                    Some((k, t)) if k == n.code() => t.clone(),
                    _ => text,
                };
                (n.code(), n.label(lang), text, changed)
            })
            .collect(),
        pending: outbox.pending,
        sent: outbox.sent,
        failed: outbox.failed,
        failures: outbox
            .failures
            .into_iter()
            .map(|(id, kind, n, e, at)| (id, kind, n, e, local(at)))
            .collect(),
    })
}

/// `GET /staff/admin/messages`: the SMS templates and the outbox.
pub async fn messages(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    messages_page(&state, lang, &me, q.done(), None, String::new()).await
}

#[derive(Deserialize)]
pub struct TemplateForm {
    key: String,
    #[serde(default)]
    text: String,
}

/// `POST /staff/admin/messages/template`: one SMS template saved (empty: the default).
pub async fn save_template(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    if AppellantNotice::parse(&form.key).is_none() {
        return Err(minsheng_app::Error::NotFound.into());
    }
    match state.save_sms_template(&me, &form.key, &form.text).await {
        Ok(()) => Ok(Redirect::to("/staff/admin/messages?done=1").into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page =
                messages_page(&state, lang, &me, false, Some((form.key, form.text)), error).await?;
            Ok(answer(page, true))
        }
    }
}

/// `POST /staff/admin/messages/{id}/retry`: a message given up on, tried again now.
pub async fn retry(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Redirect, AppError> {
    state.retry_message(&me, id).await?;
    Ok(Redirect::to("/staff/admin/messages?done=1"))
}

// ----------------------------------------------------- answers (reply templates, KB)

#[derive(Template, WebTemplate)]
#[template(path = "answers.html")]
struct AnswersPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    q: String,
    categories: Vec<crate::view::Choice>,
    /// (id, category code, category label, title, body).
    rows: Vec<(i64, String, String, String, String)>,
    may_edit: bool,
    saved: bool,
    error: String,
    /// The add form as typed after a refusal.
    typed: minsheng_core::answers::AnswerForm,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswersQuery {
    q: String,
    category: String,
    done: String,
}

async fn answers_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    q: &AnswersQuery,
    error: String,
    typed: minsheng_core::answers::AnswerForm,
) -> Result<AnswersPage, AppError> {
    let catalog = crate::view::Catalog::load(state).await?;
    let category = (!q.category.trim().is_empty()).then(|| q.category.trim());
    let list = state.answers(category, &q.q).await?;
    Ok(AnswersPage {
        t: texts(lang),
        here: "/staff/answers",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        q: q.q.clone(),
        categories: catalog.category_choices(lang, &q.category),
        rows: list
            .into_iter()
            .map(|a| {
                let code = a.category.clone().unwrap_or_default();
                let label = a
                    .category
                    .as_deref()
                    .map(|c| catalog.category_label(c, lang))
                    .unwrap_or_else(|| texts(lang).all.to_owned());
                (a.id, code, label, a.title, a.body)
            })
            .collect(),
        may_edit: me.staff.has(minsheng_core::staff::Role::Admin),
        saved: q.done == "1",
        error,
        typed,
    })
}

/// `GET /staff/answers`: the county's answers, searchable; administrators keep them.
pub async fn answers(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<AnswersQuery>,
) -> Result<impl IntoResponse, AppError> {
    answers_page(&state, lang, &me, &q, String::new(), Default::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerPost {
    id: String,
    #[serde(flatten)]
    form: minsheng_core::answers::AnswerForm,
}

/// `POST /staff/answers`: an answer added (no `id`) or changed.
pub async fn save_answer(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(post): Form<AnswerPost>,
) -> Result<Response, AppError> {
    let id = match post.id.trim() {
        "" => None,
        n => Some(
            n.parse::<i64>()
                .map_err(|_| minsheng_app::Error::NotFound)?,
        ),
    };
    match state.save_answer(&me, id, &post.form).await {
        Ok(_) => Ok(Redirect::to("/staff/answers?done=1").into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = answers_page(
                &state,
                lang,
                &me,
                &AnswersQuery::default(),
                error,
                post.form,
            )
            .await?;
            Ok(answer(page, true))
        }
    }
}

/// `POST /staff/answers/{id}/remove`.
pub async fn remove_answer(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Redirect, AppError> {
    state.remove_answer(&me, id).await?;
    Ok(Redirect::to("/staff/answers?done=1"))
}
