//! The organisation in the administration console: regions one at a time (add, rename,
//! retire, restore), units (a form or a file), the category tree and the holiday
//! calendar. Each handler parses the form, calls a use case in `minsheng-app` and
//! renders its answer; the use case checks the administrator's area and audits.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_core::Lang;
use minsheng_core::category::CategoryFields;
use minsheng_core::i18n::Explain;
use minsheng_core::region::RegionCode;
use minsheng_core::unit::{UnitFields, UnitKind};

use crate::AppState;
use crate::admin::{admin_page, require_admin, unit_choices};
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Multipart, Path};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Nav;
use crate::view::{Catalog, Choice, Errors};

/// An uploaded file and whether only to check it.
pub(crate) async fn upload(Multipart(mut form): Multipart) -> Result<(Vec<u8>, bool), AppError> {
    let (mut bytes, mut check) = (Vec::new(), false);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::Rejected(e.status()))?
    {
        match field.name() {
            Some("file") => {
                bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::Rejected(e.status()))?
                    .to_vec()
            }
            Some("check") => check = true,
            _ => {}
        }
    }
    Ok((bytes, check))
}

fn field<'a>(fields: &'a HashMap<String, String>, key: &str) -> &'a str {
    fields.get(key).map_or("", |v| v.as_str())
}

/// What an upload or a change came to: whether it went through, the heading of a
/// refusal, and its lines.
pub(crate) type Outcome = Option<(bool, String, Vec<String>)>;

/// Answers a use case's refusal of a form: field errors re-render the page (422),
/// anything else is the usual error page.
fn invalid(e: minsheng_app::Error) -> Result<minsheng_core::intake::FieldErrors, AppError> {
    match e {
        minsheng_app::Error::Invalid(errors) => Ok(errors),
        e => Err(e.into()),
    }
}

// ---- Regions, one at a time ----

/// `POST /staff/admin/regions/save`: `code`, `name`, `lat`, `long`.
pub async fn save_region(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let f = |k| field(&fields, k);
    let t = texts(lang);
    let (status, outcome) = match state
        .save_region(&me.actor(), f("code"), f("name"), f("lat"), f("long"))
        .await
    {
        Ok(done) => {
            let p = &done.plan;
            let what =
                p.add
                    .iter()
                    .map(|(r, _)| format!("{} {} {}", t.admin_added, r.code, r.name))
                    .chain(p.rename.iter().map(|(r, old)| {
                        format!("{} {}：{old} → {}", t.admin_renamed, r.code, r.name)
                    }))
                    .chain(
                        p.locate
                            .iter()
                            .map(|(c, (a, b))| format!("{} {c}：{a}, {b}", t.admin_located)),
                    )
                    .collect::<Vec<_>>();
            let lines = if what.is_empty() {
                vec![format!("{}：{}", t.admin_saved, t.admin_unchanged)]
            } else {
                what
            };
            (StatusCode::OK, (true, String::new(), lines))
        }
        Err(minsheng_app::files::FileImportError::App(e)) => return Err(e.into()),
        // One region, not a file: no line numbers.
        Err(minsheng_app::files::FileImportError::Rows(rows)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (
                false,
                t.admin_not_saved.to_owned(),
                rows.iter().map(|r| r.problem.explain(lang)).collect(),
            ),
        ),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (false, t.admin_not_saved.to_owned(), e.explain_all(lang)),
        ),
    };
    let page = admin_page(&state, lang, &me, Some(outcome)).await?;
    Ok((status, page).into_response())
}

/// `POST /staff/admin/regions/retire`: `code` and `action` = `retire` or `restore`.
pub async fn retire_region(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let t = texts(lang);
    let retire = match field(&fields, "action") {
        "retire" => true,
        "restore" => false,
        _ => return Err(AppError::BadRequest("表单内容有误", "The form is wrong.")),
    };
    let code = field(&fields, "code").trim();
    let outcome = match RegionCode::parse(code) {
        Err(e) => Err(e.explain(lang)),
        Ok(code) => match state
            .set_region_retired(Some(&me.actor()), &code, retire)
            .await
        {
            Ok(open) => Ok(format!(
                "{} {code} · {}：{open}",
                if retire {
                    t.admin_retired_done
                } else {
                    t.admin_restored_done
                },
                t.admin_open_left
            )),
            Err(minsheng_app::Error::NotFound) => Err(
                minsheng_core::intake::FieldError::UnknownRegion(code.to_string()).explain(lang),
            ),
            Err(minsheng_app::Error::Invalid(errors)) => Err(errors
                .0
                .iter()
                .map(|(_, e)| e.explain(lang))
                .collect::<Vec<_>>()
                .join("；")),
            Err(e) => return Err(e.into()),
        },
    };
    let (status, outcome) = match outcome {
        Ok(line) => (StatusCode::OK, (true, String::new(), vec![line])),
        Err(line) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (false, t.admin_not_saved.to_owned(), vec![line]),
        ),
    };
    let page = admin_page(&state, lang, &me, Some(outcome)).await?;
    Ok((status, page).into_response())
}

// ---- Units ----

struct UnitRow {
    key: String,
    name: String,
    kind: String,
    parent: String,
    jurisdiction: String,
    phone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    /// The unit being edited (its key), or `None` for the list and the new-unit form.
    editing: Option<String>,
    rows: Vec<UnitRow>,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
    form: UnitFields,
    errors: Errors,
    outcome: Outcome,
}

async fn units_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    editing: Option<String>,
    form: UnitFields,
    errors: Errors,
    outcome: Outcome,
) -> Result<UnitsPage, AppError> {
    let catalog = Catalog::load(state).await?;
    let names: HashMap<String, String> = state
        .store
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.region.code.to_string(), r.region.name))
        .collect();
    let rows = catalog
        .units
        .iter()
        .map(|u| UnitRow {
            key: u.key.clone(),
            name: u.name.clone(),
            kind: u.kind.label(lang).to_owned(),
            parent: u
                .parent_id
                .and_then(|p| catalog.units.iter().find(|x| x.id == p))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            jurisdiction: u
                .jurisdiction
                .iter()
                .map(|c| {
                    names
                        .get(c.as_str())
                        .cloned()
                        .unwrap_or_else(|| c.to_string())
                })
                .collect::<Vec<_>>()
                .join("、"),
            phone: u.contact_phone.clone().unwrap_or_default(),
        })
        .collect();
    let kind = UnitKind::parse(&form.kind)
        .map(UnitKind::code)
        .unwrap_or("");
    Ok(UnitsPage {
        t: texts(lang),
        here: "/staff/admin/units",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        editing,
        rows,
        kinds: UnitKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().to_owned(),
                label: k.label(lang).to_owned(),
                selected: k.code() == kind,
                group: String::new(),
            })
            .collect(),
        parents: unit_choices(&catalog, form.parent.trim()),
        form,
        errors,
        outcome,
    })
}

fn unit_fields(fields: &HashMap<String, String>) -> UnitFields {
    let f = |k| field(fields, k).to_owned();
    UnitFields {
        key: f("key"),
        name: f("name"),
        kind: f("kind"),
        parent: f("parent"),
        jurisdiction: f("jurisdiction"),
        phone: f("phone"),
    }
}

pub async fn list_units(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    units_page(
        &state,
        lang,
        &me,
        None,
        UnitFields::default(),
        Errors::default(),
        None,
    )
    .await
}

/// `POST /staff/admin/units` (a new unit) and `POST /staff/admin/units/{key}` (a
/// change): `key`, `name`, `kind`, `parent`, `jurisdiction`, `phone`.
async fn save_unit(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    editing: Option<String>,
    mut form: UnitFields,
) -> Result<Response, AppError> {
    require_admin(me)?;
    if let Some(key) = &editing {
        form.key.clone_from(key);
    }
    match state.save_unit(&me.actor(), &form, editing.is_none()).await {
        Ok(unit) => Ok(Redirect::to(&format!("/staff/admin/units/{}", unit.key)).into_response()),
        Err(e) => {
            let errors = Errors::explain(&invalid(e)?, lang);
            let page = units_page(state, lang, me, editing, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn create_unit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    save_unit(&state, lang, &me, None, unit_fields(&fields)).await
}

pub async fn edit_unit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    let units = state.store.units().await?;
    let unit = units
        .iter()
        .find(|u| u.key == key)
        .ok_or(AppError::NotFound)?;
    let form = UnitFields::of(unit, &units);
    units_page(&state, lang, &me, Some(key), form, Errors::default(), None).await
}

pub async fn update_unit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(key): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    save_unit(&state, lang, &me, Some(key), unit_fields(&fields)).await
}

/// `POST /staff/admin/units/import`: a multipart upload with `file` and, to only
/// check, `check`.
pub async fn import_units(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    form: Multipart,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let (bytes, check) = upload(form).await?;
    let t = texts(lang);
    let (status, outcome) = match state.import_units(Some(&me.actor()), &bytes, check).await {
        Ok(done) => {
            let p = &done.plan;
            let what = if done.applied {
                t.admin_import_ok
            } else {
                t.admin_check_ok
            };
            let line = format!(
                "{what}：{} {} · {} {} · {} {}",
                t.admin_created,
                p.created,
                t.admin_changed,
                p.save.len() - p.created,
                t.admin_unchanged,
                p.unchanged
            );
            (StatusCode::OK, (true, String::new(), vec![line]))
        }
        Err(minsheng_app::files::FileImportError::App(e)) => return Err(e.into()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (false, t.admin_import_failed.to_owned(), e.explain_all(lang)),
        ),
    };
    let page = units_page(
        &state,
        lang,
        &me,
        None,
        UnitFields::default(),
        Errors::default(),
        Some(outcome),
    )
    .await?;
    Ok((status, page).into_response())
}

// ---- Categories ----

struct CategoryRow {
    code: String,
    name: String,
    sub: bool,
    unit: String,
    keywords: String,
    public: bool,
    published: bool,
    fields: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_categories.html")]
struct CategoriesPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    /// The category being edited (its code), or `None` for the list and a new one.
    editing: Option<String>,
    rows: Vec<CategoryRow>,
    parents: Vec<Choice>,
    units: Vec<Choice>,
    form: CategoryFields,
    errors: Errors,
}

async fn categories_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    editing: Option<String>,
    form: CategoryFields,
    errors: Errors,
) -> Result<CategoriesPage, AppError> {
    let catalog = Catalog::load(state).await?;
    let unit_name = |key: &str| {
        catalog
            .units
            .iter()
            .find(|u| u.key == key)
            .map_or_else(|| key.to_owned(), |u| u.name.clone())
    };
    // The tree: each top-level category followed by its sub-categories.
    let rows = catalog
        .category_choices(lang, "")
        .iter()
        .filter_map(|choice| catalog.categories.iter().find(|c| c.code == choice.value))
        .map(|c| CategoryRow {
            code: c.code.clone(),
            name: c.label(lang).to_owned(),
            sub: c.parent.is_some(),
            unit: unit_name(&c.unit),
            keywords: c.keywords.join("、"),
            public: c.public,
            published: c.published,
            fields: c.fields.len(),
        })
        .collect();
    Ok(CategoriesPage {
        t: texts(lang),
        here: "/staff/admin/categories",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        editing,
        rows,
        parents: catalog
            .categories
            .iter()
            .filter(|c| c.parent.is_none() && c.code != form.code)
            .map(|c| Choice {
                value: c.code.clone(),
                label: c.label(lang).to_owned(),
                selected: c.code == form.parent,
                group: String::new(),
            })
            .collect(),
        units: unit_choices(&catalog, &form.unit),
        form,
        errors,
    })
}

fn category_fields(fields: &HashMap<String, String>) -> CategoryFields {
    let f = |k| field(fields, k).to_owned();
    CategoryFields {
        code: f("code"),
        name: f("name"),
        name_en: f("name_en"),
        parent: f("parent"),
        unit: f("unit"),
        keywords: f("keywords"),
        public: fields.contains_key("public"),
        published: fields.contains_key("published"),
        fields: f("fields"),
    }
}

pub async fn list_categories(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    let form = CategoryFields {
        public: true,
        published: true,
        ..CategoryFields::default()
    };
    categories_page(&state, lang, &me, None, form, Errors::default()).await
}

pub async fn edit_category(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    let category = state
        .store
        .categories()
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or(AppError::NotFound)?;
    let form = CategoryFields::of(&category);
    categories_page(&state, lang, &me, Some(code), form, Errors::default()).await
}

async fn save_category(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    editing: Option<String>,
    mut form: CategoryFields,
) -> Result<Response, AppError> {
    require_admin(me)?;
    if let Some(code) = &editing {
        form.code.clone_from(code);
    }
    match state
        .save_category(&me.actor(), &form, editing.is_none())
        .await
    {
        Ok(_) => Ok(Redirect::to("/staff/admin/categories").into_response()),
        Err(e) => {
            let errors = Errors::explain(&invalid(e)?, lang);
            let page = categories_page(state, lang, me, editing, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn create_category(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    save_category(&state, lang, &me, None, category_fields(&fields)).await
}

pub async fn update_category(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(code): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    save_category(&state, lang, &me, Some(code), category_fields(&fields)).await
}

// ---- Calendar ----

#[derive(Template, WebTemplate)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    years: String,
    /// Years between the first and the last declared that are not declared.
    gaps: String,
    horizon: String,
    outcome: Outcome,
}

fn calendar_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    outcome: Outcome,
) -> CalendarPage {
    let calendar = state.calendar();
    CalendarPage {
        t: texts(lang),
        here: "/staff/admin/calendar",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::ADMIN,
        years: calendar
            .years()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join("、"),
        gaps: {
            let years: Vec<i32> = calendar.years().collect();
            match (years.first(), years.last()) {
                (Some(&a), Some(&b)) => (a..=b)
                    .filter(|y| !years.contains(y))
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
                _ => String::new(),
            }
        },
        horizon: calendar.horizon().to_string(),
        outcome,
    }
}

pub async fn show_calendar(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    require_admin(&me)?;
    Ok(calendar_page(&state, lang, &me, None))
}

/// `POST /staff/admin/calendar`: a multipart upload with `file` and, to only check,
/// `check`.
pub async fn upload_calendar(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    form: Multipart,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let (bytes, check) = upload(form).await?;
    let t = texts(lang);
    let (status, outcome) = match state
        .upload_calendar(Some(&me.actor()), &bytes, check)
        .await
    {
        Ok(done) => {
            let what = if done.applied {
                t.admin_calendar_ok
            } else {
                t.admin_check_ok
            };
            let years: Vec<String> = done.years.iter().map(i32::to_string).collect();
            let line = format!(
                "{what}：{} · {} {} · {} {}",
                years.join("、"),
                done.holidays,
                t.admin_days_off,
                done.workdays,
                t.admin_workdays
            );
            (StatusCode::OK, (true, String::new(), vec![line]))
        }
        Err(minsheng_app::files::FileImportError::App(e)) => return Err(e.into()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (
                false,
                t.admin_calendar_failed.to_owned(),
                e.explain_all(lang),
            ),
        ),
    };
    Ok((status, calendar_page(&state, lang, &me, Some(outcome))).into_response())
}
