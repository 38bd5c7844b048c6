//! The administration console (`/staff/admin`, administrators only): regions from the
//! official code list, and routing rules with a "test this appeal" box. Every change is
//! a use case in `minsheng-app`, audited and checked against the administrator's area.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_app::directory::RegionImport;
use minsheng_core::region::RegionCode;
use minsheng_core::routing::RoutingRule;
use minsheng_core::staff::Role;
use minsheng_core::{Lang, RegionLevel};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Multipart, Path, Query};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Nav;
use crate::view::{Catalog, Choice, Errors};

pub(crate) fn require_admin(me: &CurrentStaff) -> Result<(), AppError> {
    if me.staff.has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

struct TownshipRow {
    code: String,
    name: String,
    villages: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    townships: Vec<TownshipRow>,
    /// What an import or a change came to, see [`crate::admin_org::Outcome`].
    outcome: crate::admin_org::Outcome,
}

pub(crate) async fn admin_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    outcome: crate::admin_org::Outcome,
) -> Result<AdminPage, AppError> {
    let catalog = Catalog::load(state).await?;
    let townships = catalog
        .townships
        .iter()
        .map(|t| TownshipRow {
            code: t.code.to_string(),
            name: t.name.clone(),
            villages: catalog
                .villages
                .iter()
                .filter(|v| v.code.is_within(&t.code))
                .count(),
        })
        .collect();
    Ok(AdminPage {
        t: texts(lang),
        here: "/staff/admin",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        townships,
        outcome,
    })
}

pub async fn admin_home(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    admin_page(&state, lang, &me, None).await
}

fn import_summary(done: &RegionImport, t: &Texts) -> Vec<String> {
    let p = &done.plan;
    let what = if done.applied {
        t.admin_import_ok
    } else {
        t.admin_check_ok
    };
    vec![format!(
        "{what}：{} {} · {} {} · {} {} · {} {} · {} {}",
        t.admin_added,
        p.add.len(),
        t.admin_renamed,
        p.rename.len(),
        t.admin_located,
        p.locate.len(),
        t.admin_unchanged,
        p.unchanged,
        t.admin_new_units,
        done.units.len()
    )]
    .into_iter()
    .chain(
        done.keys_taken
            .iter()
            .map(|k| format!("{k}：{}", t.admin_key_taken)),
    )
    .collect()
}

/// `POST /staff/admin/regions`: a multipart upload with `file` and, to only check,
/// `check`.
pub async fn import_regions(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    form: Multipart,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let (bytes, check) = crate::admin_org::upload(form).await?;
    let t = texts(lang);
    let (status, outcome) = match state.import_regions(Some(&me.actor()), &bytes, check).await {
        Ok(done) => (
            StatusCode::OK,
            (true, String::new(), import_summary(&done, t)),
        ),
        Err(minsheng_app::files::FileImportError::App(e)) => return Err(e.into()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (false, t.admin_import_failed.to_owned(), e.explain_all(lang)),
        ),
    };
    let page = admin_page(&state, lang, &me, Some(outcome)).await?;
    Ok((status, page).into_response())
}

struct RuleRow {
    id: i64,
    category: String,
    region: String,
    lead: String,
    co: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    rules: Vec<RuleRow>,
    categories: Vec<Choice>,
    regions: Vec<Choice>,
    units: Vec<Choice>,
    errors: Errors,
    /// The preview: (lead, co-handlers, reason).
    preview: Option<(String, String, String)>,
}

/// The preview box's query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewQuery {
    category: String,
    region: String,
}

async fn routing_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    query: &PreviewQuery,
    errors: Errors,
) -> Result<RoutingPage, AppError> {
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let unit_name = |id: i64| {
        catalog
            .units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let place = |code: &RegionCode| match code.level() {
        RegionLevel::County => texts(lang).admin_whole_county.to_owned(),
        _ => catalog.place(&names, code),
    };
    let rules = state
        .store
        .routing_rules()
        .await?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id,
            category: catalog.category_label(&r.category, lang),
            region: place(&r.region),
            lead: unit_name(r.lead),
            co: r
                .co
                .iter()
                .map(|u| unit_name(*u))
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect();
    let preview = match (query.category.as_str(), RegionCode::parse(&query.region)) {
        ("", _) | (_, Err(_)) => None,
        (category, Ok(region)) => {
            let r = state.routing_preview(category, &region).await?;
            Some((
                r.lead
                    .map_or_else(|| texts(lang).admin_nobody.to_owned(), unit_name),
                r.co.iter()
                    .map(|u| unit_name(*u))
                    .collect::<Vec<_>>()
                    .join("、"),
                r.reason.explain(lang),
            ))
        }
    };
    // The whole county first, then townships and villages.
    let county = state.store.county().await?;
    let regions = county
        .iter()
        .chain(&catalog.townships)
        .chain(&catalog.villages)
        .map(|r| Choice {
            value: r.code.to_string(),
            label: place(&r.code),
            selected: r.code.as_str() == query.region,
            group: String::new(),
        })
        .collect();
    Ok(RoutingPage {
        t: texts(lang),
        here: "/staff/admin/routing",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        rules,
        categories: catalog.category_choices(lang, &query.category),
        regions,
        units: catalog.unit_choices(None),
        errors,
        preview,
    })
}

pub async fn show_routing(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(query): Query<PreviewQuery>,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    routing_page(&state, lang, &me, &query, Errors::default()).await
}

/// `POST /staff/admin/routing`: `category`, `region`, `lead`, and one `co_<unit id>`
/// checkbox per co-handler.
pub async fn add_rule(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    let bad = |f: &'static str| {
        minsheng_core::intake::FieldErrors(vec![(
            f,
            minsheng_core::intake::FieldError::UnknownChoice,
        )])
    };
    let parsed = (|| {
        let region = RegionCode::parse(field("region")).map_err(|_| bad("region"))?;
        let lead = field("lead").parse::<i64>().map_err(|_| bad("lead"))?;
        let co = form
            .keys()
            .filter_map(|k| k.strip_prefix("co_").and_then(|id| id.parse::<i64>().ok()))
            .collect();
        Ok::<_, minsheng_core::intake::FieldErrors>(RoutingRule {
            id: 0,
            category: field("category").to_owned(),
            region,
            lead,
            co,
        })
    })();
    let result = match parsed {
        Ok(rule) => state
            .add_routing_rule(Some(&me.actor()), rule)
            .await
            .map(|_| ()),
        Err(errors) => Err(minsheng_app::Error::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/staff/admin/routing").into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let page = routing_page(
                &state,
                lang,
                &me,
                &PreviewQuery::default(),
                Errors::explain(&errors, lang),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_rule(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    state.remove_routing_rule(Some(&me.actor()), id).await?;
    Ok(Redirect::to("/staff/admin/routing").into_response())
}

/// The staff list's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StaffQuery {
    q: String,
    unit: String,
    role: String,
    active: String,
}

struct StaffRowView {
    id: i64,
    username: String,
    name: String,
    unit: String,
    roles: String,
    active: bool,
    must_change: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_staff.html")]
struct StaffPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    query: StaffQuery,
    rows: Vec<StaffRowView>,
    units: Vec<Choice>,
    roles: Vec<Choice>,
    form: StaffForm,
    errors: Errors,
    /// A new account's login name and one-time password, shown once.
    created: Option<(String, String)>,
}

/// The create and edit form: `username`, `display_name`, `unit` (key) and one
/// `role_<code>` checkbox per role.
#[derive(Debug, Default, Clone)]
pub struct StaffForm {
    username: String,
    display_name: String,
    unit: String,
    roles: Vec<Role>,
}

impl StaffForm {
    fn from_fields(fields: &HashMap<String, String>) -> StaffForm {
        let get = |k: &str| fields.get(k).map_or("", |v| v.trim()).to_owned();
        StaffForm {
            username: get("username"),
            display_name: get("display_name"),
            unit: get("unit"),
            roles: Role::ALL
                .into_iter()
                .filter(|r| fields.contains_key(&format!("role_{}", r.code())))
                .collect(),
        }
    }

    fn input(&self) -> minsheng_app::staff::StaffInput {
        minsheng_app::staff::StaffInput {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            unit_key: self.unit.clone(),
            roles: self.roles.clone(),
        }
    }

    fn has(&self, code: &str) -> bool {
        self.roles.iter().any(|r| r.code() == code)
    }
}

fn role_choices(lang: Lang, current: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.code().to_owned(),
            label: r.label(lang).to_owned(),
            selected: r.code() == current,
            group: String::new(),
        })
        .collect()
}

/// Every unit as a choice by key.
pub(crate) fn unit_choices(catalog: &Catalog, current: &str) -> Vec<Choice> {
    catalog
        .units
        .iter()
        .map(|u| Choice {
            value: u.key.clone(),
            label: u.name.clone(),
            selected: u.key == current,
            group: String::new(),
        })
        .collect()
}

async fn staff_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    query: StaffQuery,
    form: StaffForm,
    errors: Errors,
    created: Option<(String, String)>,
) -> Result<StaffPage, AppError> {
    let catalog = Catalog::load(state).await?;
    let filter = minsheng_store::StaffFilter {
        unit_id: catalog
            .units
            .iter()
            .find(|u| u.key == query.unit)
            .map(|u| u.id),
        role: Role::from_code(&query.role),
        active: match query.active.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        text: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
    };
    let rows = state
        .staff_accounts(Some(&me.actor()), &filter)
        .await?
        .into_iter()
        .map(|m| StaffRowView {
            id: m.staff.id,
            username: m.staff.username.clone(),
            name: m.staff.display_name.clone(),
            unit: catalog
                .units
                .iter()
                .find(|u| u.id == m.staff.unit_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            roles: m
                .staff
                .roles
                .iter()
                .map(|r| r.label(lang))
                .collect::<Vec<_>>()
                .join("、"),
            active: m.active,
            must_change: m.staff.must_change_password,
        })
        .collect();
    Ok(StaffPage {
        t: texts(lang),
        here: "/staff/admin/staff",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        units: unit_choices(&catalog, &form.unit),
        roles: role_choices(lang, &query.role),
        query,
        rows,
        form,
        errors,
        created,
    })
}

pub async fn list_staff(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(query): Query<StaffQuery>,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    staff_page(
        &state,
        lang,
        &me,
        query,
        StaffForm::default(),
        Errors::default(),
        None,
    )
    .await
}

pub async fn create_staff(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let form = StaffForm::from_fields(&fields);
    match state
        .create_staff_account(Some(&me.actor()), &form.input())
        .await
    {
        Ok((_, password)) => {
            let created = Some((form.username.trim().to_lowercase(), password));
            let page = staff_page(
                &state,
                lang,
                &me,
                StaffQuery::default(),
                StaffForm::default(),
                Errors::default(),
                created,
            )
            .await?;
            Ok(page.into_response())
        }
        Err(minsheng_app::Error::Invalid(errors)) => {
            let errors = Errors::explain(&errors, lang);
            let page =
                staff_page(&state, lang, &me, StaffQuery::default(), form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_staff_edit.html")]
struct StaffEditPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    id: i64,
    username: String,
    active: bool,
    form: StaffForm,
    units: Vec<Choice>,
    roles: Vec<Choice>,
    errors: Errors,
    one_time: Option<String>,
    /// How many sessions the kill switch just ended.
    sessions_ended: Option<u64>,
}

async fn staff_edit_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    id: i64,
    form: Option<StaffForm>,
    errors: Errors,
    one_time: Option<String>,
) -> Result<StaffEditPage, AppError> {
    let member = state.staff_account(Some(&me.actor()), id).await?;
    let catalog = Catalog::load(state).await?;
    let form = form.unwrap_or_else(|| StaffForm {
        username: member.staff.username.clone(),
        display_name: member.staff.display_name.clone(),
        unit: catalog
            .units
            .iter()
            .find(|u| u.id == member.staff.unit_id)
            .map(|u| u.key.clone())
            .unwrap_or_default(),
        roles: member.staff.roles.clone(),
    });
    Ok(StaffEditPage {
        t: texts(lang),
        here: "/staff/admin/staff",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        id,
        username: member.staff.username,
        active: member.active,
        units: unit_choices(&catalog, &form.unit),
        roles: role_choices(lang, ""),
        form,
        errors,
        one_time,
        sessions_ended: None,
    })
}

pub async fn edit_staff(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    staff_edit_page(&state, lang, &me, id, None, Errors::default(), None).await
}

pub async fn update_staff(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let form = StaffForm::from_fields(&fields);
    match state
        .update_staff_account(Some(&me.actor()), id, &form.input())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/staff/{id}")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let errors = Errors::explain(&errors, lang);
            let page = staff_edit_page(&state, lang, &me, id, Some(form), errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /staff/admin/staff/{id}/active` with `active` = `1` or `0`.
pub async fn set_staff_active(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let active = match fields.get("active").map(String::as_str) {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(AppError::BadRequest("表单内容有误", "The form is wrong.")),
    };
    state
        .set_staff_account_active(Some(&me.actor()), id, active)
        .await?;
    Ok(Redirect::to(&format!("/staff/admin/staff/{id}")).into_response())
}

/// `POST /staff/admin/staff/{id}/sessions/end`: the account's sessions end at once.
pub async fn end_staff_sessions(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let ended = state.end_staff_sessions(Some(&me.actor()), id).await?;
    let mut page = staff_edit_page(&state, lang, &me, id, None, Errors::default(), None).await?;
    page.sessions_ended = Some(ended);
    Ok(page.into_response())
}

pub async fn reset_staff_password(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let password = state.reset_staff_password(Some(&me.actor()), id).await?;
    let page = staff_edit_page(
        &state,
        lang,
        &me,
        id,
        None,
        Errors::default(),
        Some(password),
    )
    .await?;
    Ok(page.into_response())
}

struct TokenRow {
    id: i64,
    username: String,
    name: String,
    prefix: String,
    expires: String,
    last_used: String,
    live: bool,
    state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    rows: Vec<TokenRow>,
    /// A token just made, shown this once.
    created: Option<String>,
    error: Option<String>,
    /// Open311 keys, for county administrators (`None` for others).
    keys: Option<Vec<TokenRow>>,
    /// A key just made, shown this once.
    created_key: Option<String>,
}

/// What a token page adds to its list: a token or key just made (shown this once),
/// or why a form was refused.
#[derive(Default)]
struct TokensNote {
    created: Option<String>,
    created_key: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    note: TokensNote,
) -> Result<TokensPage, AppError> {
    let t = texts(lang);
    let now = minsheng_store::now();
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(crate::view::local).unwrap_or_else(|| "—".into())
    };
    let rows = state
        .api_token_list(Some(&me.actor()))
        .await?
        .into_iter()
        .map(|tok| {
            let (live, state) = if tok.revoked_at.is_some() {
                (false, t.admin_token_revoked)
            } else if tok.expires_at.is_some_and(|e| e <= now) {
                (false, t.admin_token_expired)
            } else {
                (true, t.admin_token_live)
            };
            TokenRow {
                id: tok.id,
                username: tok.username,
                name: tok.name,
                prefix: tok.prefix,
                expires: when(tok.expires_at),
                last_used: when(tok.last_used_at),
                live,
                state,
            }
        })
        .collect();
    let keys = match state.api_key_list(Some(&me.actor())).await {
        Ok(keys) => Some(
            keys.into_iter()
                .map(|k| TokenRow {
                    id: k.id,
                    username: String::new(),
                    name: k.name,
                    prefix: k.prefix,
                    expires: when(Some(k.created_at)),
                    last_used: when(k.last_used_at),
                    live: k.revoked_at.is_none(),
                    state: if k.revoked_at.is_some() {
                        t.admin_token_revoked
                    } else {
                        t.admin_token_live
                    },
                })
                .collect(),
        ),
        // A township's administrator does not hand out the county's keys.
        Err(minsheng_app::Error::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(TokensPage {
        t,
        here: "/staff/admin/tokens",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        rows,
        created: note.created,
        error: note.error,
        keys,
        created_key: note.created_key,
    })
}

pub async fn list_tokens(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    tokens_page(&state, lang, &me, TokensNote::default()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let t = texts(lang);
    let refused = |message: String| refused_tokens(&state, lang, &me, message);
    let lifetime = match form.days.trim() {
        "" => None,
        days => match days.parse::<u32>().ok().filter(|d| (1..=3650).contains(d)) {
            Some(d) => Some(chrono::Duration::days(i64::from(d))),
            None => return refused(t.admin_token_bad_days.to_owned()).await,
        },
    };
    match state
        .create_api_token(Some(&me.actor()), &form.username, &form.name, lifetime)
        .await
    {
        Ok((_, token)) => {
            let note = TokensNote {
                created: Some(token),
                ..TokensNote::default()
            };
            Ok(tokens_page(&state, lang, &me, note).await?.into_response())
        }
        Err(minsheng_app::Error::NotFound | minsheng_app::Error::Forbidden) => {
            refused(t.admin_token_no_account.to_owned()).await
        }
        Err(minsheng_app::Error::Invalid(errors)) => refused(explained(&errors, lang)).await,
        Err(e) => Err(e.into()),
    }
}

/// Every problem of a form, in one line.
fn explained(errors: &minsheng_core::intake::FieldErrors, lang: Lang) -> String {
    errors
        .0
        .iter()
        .map(|(_, e)| minsheng_core::i18n::Explain::explain(e, lang))
        .collect::<Vec<_>>()
        .join("；")
}

/// The token page again, with why its form was refused (422).
async fn refused_tokens(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    message: String,
) -> Result<Response, AppError> {
    let note = TokensNote {
        error: Some(message),
        ..TokensNote::default()
    };
    let page = tokens_page(state, lang, me, note).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
}

/// `POST /staff/admin/keys`: makes an Open311 key (county administrators).
pub async fn create_key(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<KeyForm>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    match state.create_api_key(Some(&me.actor()), &form.name).await {
        Ok((_, key)) => {
            let note = TokensNote {
                created_key: Some(key),
                ..TokensNote::default()
            };
            Ok(tokens_page(&state, lang, &me, note).await?.into_response())
        }
        Err(minsheng_app::Error::Invalid(errors)) => {
            refused_tokens(&state, lang, &me, explained(&errors, lang)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /staff/admin/keys/{id}/revoke`.
pub async fn revoke_key(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    state.revoke_api_key(Some(&me.actor()), id).await?;
    Ok(Redirect::to("/staff/admin/tokens").into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    state.revoke_api_token(Some(&me.actor()), id).await?;
    Ok(Redirect::to("/staff/admin/tokens").into_response())
}
