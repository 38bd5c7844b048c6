//! The staff console: inbox, appeal page, registering calls, visits and letters, and
//! the caller history by phone.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate, Utc};
use minsheng_core::appellant::Phone;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::{AppealForm, Origin};
use minsheng_core::{AppealNo, Channel, Lang, RegionCode, Status, mask};
use minsheng_store::{AppealSummary, InboxFilter, ListScope};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::i18n::{Texts, UiLang, texts};
use crate::view::{self, Catalog, Choice, Errors, FormView, TimelineItem, form_key, local};

const PER_PAGE: i64 = 50;

/// The inbox query string; unknown or malformed values are ignored, not errors.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InboxQuery {
    view: String,
    q: String,
    status: String,
    category: String,
    township: String,
    channel: String,
    from: String,
    to: String,
    tag: String,
    page: String,
}

impl InboxQuery {
    fn filter(&self) -> InboxFilter {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        InboxFilter {
            status: Status::from_code(&self.status),
            category: some(&self.category),
            township: RegionCode::parse(&self.township).ok(),
            channel: Channel::from_code(&self.channel),
            received_from: day(&self.from).and_then(view::day_start),
            received_before: day(&self.to)
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .and_then(view::day_start),
            number: some(self.q.trim()),
            tag: some(self.tag.trim()),
        }
    }

    /// The page asked for: anything that is not a sensible number is page 1.
    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }

    fn with_page(&self, page: i64) -> String {
        let q = InboxQuery {
            page: page.to_string(),
            ..self.clone()
        };
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

struct Row {
    no: String,
    title: String,
    category: String,
    place: String,
    channel: &'static str,
    appellant: String,
    received: String,
    due: String,
    overdue: bool,
    status: &'static str,
}

fn row(
    a: &AppealSummary,
    catalog: &Catalog,
    names: &std::collections::HashMap<String, String>,
    lang: Lang,
    t: &Texts,
) -> Row {
    let now = Utc::now();
    Row {
        no: a.no.to_string(),
        title: a.title.clone(),
        category: catalog.category_label(&a.category, lang),
        place: catalog.place(names, &a.region_code),
        channel: a.channel.label(lang),
        appellant: match (&a.name_mask, &a.phone_mask) {
            (None, None) => t.anonymous.to_owned(),
            (n, p) => format!(
                "{} {}",
                n.as_deref().unwrap_or(""),
                p.as_deref().unwrap_or("")
            ),
        },
        received: local(a.received_at),
        due: a.due_at.map(local).unwrap_or_default(),
        overdue: a.due_at.is_some_and(|d| d < now),
        status: a.status.label(lang),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
struct InboxPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    sees_region: bool,
    view_all: bool,
    q: String,
    from: String,
    to: String,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    townships: Vec<Choice>,
    channels: Vec<Choice>,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn inbox(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(query): Query<InboxQuery>,
) -> Result<impl IntoResponse, AppError> {
    let t = texts(lang);
    // A number identifies one case, so searching by number looks everywhere one may see.
    let view_all = me.sees_region() && (query.view == "all" || !query.q.trim().is_empty());
    let scope = if view_all {
        ListScope::Visible(me.scope.clone())
    } else {
        ListScope::Unit(me.unit.id)
    };
    let page = state
        .store
        .list_appeals(&scope, &query.filter(), query.page(), PER_PAGE)
        .await?;
    let catalog = Catalog::load(state.store.as_ref()).await?;
    let names = catalog.place_names();
    let pages = page.pages();
    Ok(InboxPage {
        t,
        here: "/staff",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        sees_region: me.sees_region(),
        view_all,
        q: query.q.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        statuses: view::status_choices(lang, &query.status),
        categories: catalog.category_choices(lang, &query.category),
        townships: catalog.township_choices(&query.township),
        channels: view::channel_choices(lang, &query.channel),
        rows: page
            .items
            .iter()
            .map(|a| row(a, &catalog, &names, lang, t))
            .collect(),
        total: page.total,
        page: page.page,
        pages,
        prev: (page.page > 1).then(|| query.with_page(page.page - 1)),
        next: (page.page < pages).then(|| query.with_page(page.page + 1)),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "appeal.html")]
struct AppealPage {
    t: &'static Texts,
    here: String,
    me_name: String,
    me_unit: String,
    no: String,
    title: String,
    status: &'static str,
    category: String,
    kind: &'static str,
    channel: &'static str,
    place: String,
    address: String,
    unit: String,
    received: String,
    due: String,
    overdue: bool,
    text: String,
    anonymous: bool,
    name: String,
    phone: String,
    id_number: String,
    home_address: String,
    headcount: i64,
    /// Each label and the inbox query that lists its appeals.
    tags: Vec<(String, String)>,
    items: Vec<TimelineItem>,
}

pub async fn show_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    // Outside one's scope an appeal is not found, so numbers reveal nothing.
    let a = state.store.appeal(&no, &me.scope).await?;
    let catalog = Catalog::load(state.store.as_ref()).await?;
    let names = catalog.place_names();
    let unit = match a.summary.handler_unit_id {
        Some(id) => state.store.unit(id).await?.name,
        None => String::new(),
    };
    let s = &a.summary;
    let who = &a.appellant;
    Ok(AppealPage {
        t: texts(lang),
        here: format!("/staff/appeals/{no}"),
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        no: s.no.to_string(),
        title: s.title.clone(),
        status: s.status.label(lang),
        category: catalog.category_label(&s.category, lang),
        kind: s.kind.label(lang),
        channel: s.channel.label(lang),
        place: catalog.place(&names, &s.region_code),
        address: a.address.clone().unwrap_or_default(),
        unit,
        received: local(s.received_at),
        due: s.due_at.map(local).unwrap_or_default(),
        overdue: s.due_at.is_some_and(|d| d < Utc::now()),
        text: a.text.clone(),
        anonymous: who.is_anonymous(),
        name: who.name.clone().unwrap_or_default(),
        phone: who.phone.as_ref().map(Phone::masked).unwrap_or_default(),
        id_number: who
            .id_number
            .as_ref()
            .map(|i| mask::id_number(i.as_str()))
            .unwrap_or_default(),
        home_address: who
            .address
            .as_deref()
            .map(mask::address)
            .unwrap_or_default(),
        headcount: s.headcount,
        tags: a
            .tags
            .iter()
            .map(|t| {
                let q = serde_urlencoded::to_string([("view", "all"), ("tag", t.as_str())])
                    .unwrap_or_default();
                (t.clone(), q)
            })
            .collect(),
        items: view::timeline(&a.events, lang),
    })
}

struct HistoryRow {
    no: String,
    received: String,
    category: String,
    title: String,
    status: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
struct IntakePage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    v: FormView,
    lookup_phone: String,
    lookup_error: Option<String>,
    looked_up: bool,
    history: Vec<HistoryRow>,
}

impl IntakePage {
    fn new(lang: Lang, me: &CurrentStaff, v: FormView) -> IntakePage {
        IntakePage {
            t: texts(lang),
            here: "/staff/intake",
            me_name: me.staff.display_name.clone(),
            me_unit: me.unit.name.clone(),
            v,
            lookup_phone: String::new(),
            lookup_error: None,
            looked_up: false,
            history: Vec::new(),
        }
    }
}

fn require_intake(me: &CurrentStaff) -> Result<(), AppError> {
    if me.staff.roles.iter().any(|r| r.registers_appeals()) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn blank_intake_form() -> AppealForm {
    AppealForm {
        channel: Channel::Hotline.code().into(),
        kind: minsheng_core::AppealKind::Help.code().into(),
        submission_key: form_key(),
        ..AppealForm::default()
    }
}

pub async fn intake_form(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_intake(&me)?;
    let catalog = Catalog::load(state.store.as_ref()).await?;
    Ok(IntakePage::new(
        lang,
        &me,
        catalog.form_view(lang, blank_intake_form(), Errors::default()),
    ))
}

pub async fn register_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<AppealForm>,
) -> Result<Response, AppError> {
    require_intake(&me)?;
    let catalog = Catalog::load(state.store.as_ref()).await?;
    let actor = Some(me.staff.id);
    let receipt =
        match view::register(state.store.as_ref(), &catalog, &form, Origin::Staff, actor).await? {
            Ok(r) => r,
            Err(errors) => {
                let v = catalog.form_view(lang, form, Errors::explain(&errors, lang));
                let page = IntakePage::new(lang, &me, v);
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        };
    Ok(Redirect::to(&format!("/staff/appeals/{}", receipt.no)).into_response())
}

#[derive(Deserialize)]
pub struct CallerForm {
    #[serde(default)]
    phone: String,
}

/// Earlier appeals from a phone number. A POST, so the number never appears in a URL
/// or an access log.
pub async fn caller_history(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<CallerForm>,
) -> Result<impl IntoResponse, AppError> {
    require_intake(&me)?;
    let catalog = Catalog::load(state.store.as_ref()).await?;
    let mut intake = blank_intake_form();
    let mut page_history = Vec::new();
    let mut lookup_error = None;
    match Phone::parse(&form.phone) {
        Ok(phone) => {
            intake.phone = phone.as_str().to_owned();
            let found = state.store.appeals_by_phone(&phone, &me.scope).await?;
            page_history = found
                .iter()
                .map(|a| HistoryRow {
                    no: a.no.to_string(),
                    received: local(a.received_at),
                    category: catalog.category_label(&a.category, lang),
                    title: a.title.clone(),
                    status: a.status.label(lang),
                })
                .collect();
        }
        Err(e) => lookup_error = Some(e.explain(lang)),
    }
    let mut page = IntakePage::new(
        lang,
        &me,
        catalog.form_view(lang, intake, Errors::default()),
    );
    page.lookup_phone = form.phone;
    page.looked_up = lookup_error.is_none();
    page.lookup_error = lookup_error;
    page.history = page_history;
    Ok(page)
}
