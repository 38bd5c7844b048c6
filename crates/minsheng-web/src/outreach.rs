//! Going to the people, for staff: leader reception days (`/staff/receptions`),
//! contact cadres (`/staff/contacts`), field visits (`/staff/visits`), dispute
//! screening and the risk register (`/staff/disputes`), mediation records
//! (`/staff/mediations`), consultations (`/staff/consultations`) and the ranking's
//! weights (`/staff/admin/weights`). Each page lists, and offers the form that adds
//! to it; a refused form comes back with what was typed and why.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_app::outreach::may_arrange;
use minsheng_core::Lang;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::FieldErrors;
use minsheng_core::outreach::{
    ConsultationForm, ContactForm, DisputeForm, DisputeKind, DisputeState, FollowUpForm,
    MediationForm, MediationOutcome, PlaceKind, ReceptionForm, Risk, ScreeningForm, VisitForm,
};
use minsheng_store::DisputeFilter;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Path, Query};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::{Catalog, Choice, DoneQuery, Nav, local};

/// A field's label, for saying what is wrong with it.
fn label(t: &Texts, field: &str) -> &'static str {
    match field {
        "leader" => t.f_leader,
        "day" => t.f_day,
        "from" => t.f_from,
        "to" => t.f_to,
        "place" => t.f_place,
        "topic" => t.f_topic,
        "kind" => t.f_place_kind,
        "region" => t.f_region,
        "name" => t.f_place_name,
        "staff" => t.f_cadre,
        "purpose" => t.f_purpose,
        "people" => t.f_people,
        "notes" => t.f_notes,
        "cases" => t.f_cases,
        "resolved" => t.f_resolved,
        "title" => t.f_name,
        "screening" => t.f_screening,
        "risk" => t.f_risk,
        "parties" => t.f_parties,
        "summary" => t.f_summary,
        "note" => t.f_follow,
        "state" => t.f_state,
        "reason" => t.f_why,
        "mediator" => t.f_mediator,
        "held_on" => t.f_held_on,
        "agreement" => t.f_agreement,
        "outcome" => t.f_outcome,
        "follow_up_on" => t.f_follow_up_on,
        "appeal" => t.f_appeal_no,
        "dispute" => t.f_dispute_no,
        "proposal" => t.f_proposal,
        "opens" => t.f_opens,
        "closes" => t.f_closes,
        "response" => t.f_response,
        "opinion" => t.f_opinion,
        "email" => t.notices_email,
        "text" => t.messages_template,
        "label" => t.bulk_label,
        "no" => t.bulk_select,
        _ => t.weights_title,
    }
}

/// Field errors in the person's language, each named by its label.
pub(crate) fn explain(errors: &FieldErrors, lang: Lang) -> String {
    let t = texts(lang);
    errors
        .0
        .iter()
        .map(|(f, e)| {
            // The ranking's weights are named by their rates.
            let name = minsheng_core::kpi::Kpi::ALL
                .iter()
                .find(|k| k.code() == *f)
                .map_or_else(|| label(t, f), |k| k.label(lang));
            format!("{name}：{}", e.explain(lang))
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// What a refused use case says on the page, or the error that ends the request.
pub(crate) fn refusal(e: minsheng_app::Error, lang: Lang) -> Result<String, AppError> {
    match e {
        minsheng_app::Error::Invalid(errors) => Ok(explain(&errors, lang)),
        e => Err(e.into()),
    }
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    code: fn(T) -> &'static str,
    name: impl Fn(T) -> &'static str,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_owned(),
            label: name(*v).to_owned(),
            selected: code(*v) == current,
            group: String::new(),
        })
        .collect()
}

fn people(list: &[(i64, String)], current: &str) -> Vec<Choice> {
    list.iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: id.to_string() == current,
            group: String::new(),
        })
        .collect()
}

fn places(
    regions: &[minsheng_core::region::Region],
    names: &std::collections::HashMap<String, String>,
    catalog: &Catalog,
    current: &str,
) -> Vec<Choice> {
    regions
        .iter()
        .map(|r| Choice {
            value: r.code.to_string(),
            label: catalog.place(names, &r.code),
            selected: r.code.as_str() == current,
            group: String::new(),
        })
        .collect()
}

/// Free text as the registers list it: phone, ID and card numbers hidden (the
/// record itself keeps them).
fn hide_numbers(text: &str) -> String {
    minsheng_core::mask::numbers_in_text(text)
}

/// A page answer: the page, with 422 when it carries a refusal.
pub(crate) fn answer<P: IntoResponse>(page: P, refused: bool) -> Response {
    if refused {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: String,
    done: String,
    risk: String,
    state: String,
    screening: String,
}

impl PageQuery {
    fn page(&self) -> i64 {
        crate::view::page_number(&self.page)
    }
    fn saved(&self) -> bool {
        self.done == "1"
    }
}

// ---------------------------------------------------------------- reception days

pub(crate) struct ReceptionRow {
    pub(crate) id: i64,
    pub(crate) leader: String,
    pub(crate) when: String,
    pub(crate) place: String,
    pub(crate) topic: String,
    pub(crate) visitors: i64,
}

pub(crate) fn reception_rows(list: &[minsheng_store::Reception]) -> Vec<ReceptionRow> {
    list.iter()
        .map(|r| ReceptionRow {
            id: r.id,
            leader: r.leader_name.clone(),
            when: format!(
                "{} – {}",
                local(r.starts_at),
                local(r.ends_at).get(11..).unwrap_or_default()
            ),
            place: r.place.clone(),
            topic: r.topic.clone(),
            visitors: r.visitors,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "receptions.html")]
struct ReceptionsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    rows: Vec<ReceptionRow>,
    may_arrange: bool,
    leaders: Vec<Choice>,
    form: ReceptionForm,
}

async fn receptions_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    form: ReceptionForm,
    saved: bool,
    error: String,
) -> Result<ReceptionsPage, AppError> {
    let leaders = state
        .staff_choices(Some(minsheng_core::staff::Role::Leader))
        .await?;
    Ok(ReceptionsPage {
        t: texts(lang),
        here: "/staff/receptions",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: reception_rows(&state.upcoming_receptions(100).await?),
        may_arrange: may_arrange(me),
        leaders: people(&leaders, &form.leader),
        form,
    })
}

pub async fn receptions(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    let form = ReceptionForm {
        day: state.today().to_string(),
        from: "09:00".into(),
        to: "12:00".into(),
        ..ReceptionForm::default()
    };
    receptions_page(&state, lang, &me, form, q.saved(), String::new()).await
}

pub async fn schedule_reception(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<ReceptionForm>,
) -> Result<Response, AppError> {
    match state.schedule_reception(&me, &form).await {
        Ok(_) => Ok(Redirect::to("/staff/receptions?done=1").into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            Ok(answer(
                receptions_page(&state, lang, &me, form, false, error).await?,
                true,
            ))
        }
    }
}

// ---------------------------------------------------------------- contacts

pub struct ContactRow {
    id: i64,
    kind: &'static str,
    place: String,
    name: String,
    cadre: String,
    since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts.html")]
struct ContactsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    rows: Vec<ContactRow>,
    uncovered: Vec<String>,
    may_arrange: bool,
    kinds: Vec<Choice>,
    villages: Vec<Choice>,
    staff: Vec<Choice>,
    form: ContactForm,
}

async fn contacts_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    form: ContactForm,
    saved: bool,
    error: String,
) -> Result<ContactsPage, AppError> {
    let view = state.contacts_view(me).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    Ok(ContactsPage {
        t: texts(lang),
        here: "/staff/contacts",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: view
            .contacts
            .iter()
            .map(|c| ContactRow {
                id: c.id,
                kind: c.kind.label(lang),
                place: catalog.place(&names, &c.region),
                name: c.name.clone(),
                cadre: c.staff_name.clone(),
                since: local(c.since).get(..10).unwrap_or_default().to_owned(),
            })
            .collect(),
        uncovered: view
            .uncovered
            .iter()
            .map(|r| catalog.place(&names, &r.code))
            .collect(),
        may_arrange: may_arrange(me),
        kinds: choices(
            PlaceKind::ALL,
            PlaceKind::code,
            |k| k.label(lang),
            &form.kind,
        ),
        villages: places(&view.villages, &names, &catalog, &form.region),
        staff: people(&view.staff, &form.staff),
        form,
    })
}

pub async fn contacts(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    contacts_page(
        &state,
        lang,
        &me,
        ContactForm::default(),
        q.saved(),
        String::new(),
    )
    .await
}

pub async fn add_contact(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    match state.add_contact(&me, &form).await {
        Ok(_) => Ok(Redirect::to("/staff/contacts?done=1").into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            Ok(answer(
                contacts_page(&state, lang, &me, form, false, error).await?,
                true,
            ))
        }
    }
}

pub async fn end_contact(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    state.end_contact(&me, id).await?;
    Ok(Redirect::to("/staff/contacts?done=1").into_response())
}

// ---------------------------------------------------------------- field visits

pub struct VisitRow {
    id: i64,
    on: String,
    cadre: String,
    place: String,
    purpose: String,
    people: String,
    state: &'static str,
    cases: Vec<(String, bool)>,
    mine: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "visits.html")]
struct VisitsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    rows: Vec<VisitRow>,
    total: i64,
    page: i64,
    pages: i64,
    /// The visit being edited, if any.
    editing: Option<i64>,
    villages: Vec<Choice>,
    form: VisitForm,
}

fn visit_row(
    v: &minsheng_store::FieldVisit,
    me: &CurrentStaff,
    catalog: &Catalog,
    names: &std::collections::HashMap<String, String>,
    lang: Lang,
) -> VisitRow {
    VisitRow {
        id: v.id,
        on: v.on.to_string(),
        cadre: v.staff_name.clone(),
        place: catalog.place(names, &v.region),
        purpose: hide_numbers(&v.purpose),
        people: hide_numbers(&v.people),
        state: v.state.label(lang),
        cases: v.cases.iter().map(|(no, r)| (no.to_string(), *r)).collect(),
        mine: v.staff_id == me.staff.id,
    }
}

#[allow(clippy::too_many_arguments)]
async fn visits_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    page: i64,
    editing: Option<i64>,
    form: VisitForm,
    saved: bool,
    error: String,
) -> Result<VisitsPage, AppError> {
    let found = state.visits(me, page).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let mut villages: Vec<minsheng_core::region::Region> = catalog
        .villages
        .iter()
        .filter(|v| {
            me.scope
                .regions
                .iter()
                .any(|r| v.code.as_str().starts_with(r.prefix()))
        })
        .cloned()
        .collect();
    if villages.is_empty() {
        villages = catalog.villages.clone();
    }
    Ok(VisitsPage {
        t: texts(lang),
        here: "/staff/visits",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: found
            .items
            .iter()
            .map(|v| visit_row(v, me, &catalog, &names, lang))
            .collect(),
        total: found.total,
        page: found.page,
        pages: found.pages(),
        editing,
        villages: places(&villages, &names, &catalog, &form.region),
        form,
    })
}

pub async fn visits(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    let form = VisitForm {
        day: state.today().to_string(),
        done: "on".into(),
        ..VisitForm::default()
    };
    visits_page(
        &state,
        lang,
        &me,
        q.page(),
        None,
        form,
        q.saved(),
        String::new(),
    )
    .await
}

/// `GET /staff/visits/{id}`: the visit's form filled in, to log a plan or correct it.
pub async fn visit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, AppError> {
    let v = state.visit(&me, id).await?;
    let join = |resolved: Option<bool>| {
        v.cases
            .iter()
            .filter(|(_, r)| resolved.is_none_or(|want| *r == want))
            .map(|(no, _)| no.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let form = VisitForm {
        region: v.region.to_string(),
        day: v.on.to_string(),
        purpose: v.purpose.clone(),
        people: v.people.clone(),
        notes: v.notes.clone(),
        cases: join(Some(false)),
        resolved: join(Some(true)),
        done: if v.state == minsheng_core::outreach::VisitState::Done {
            "on".into()
        } else {
            String::new()
        },
    };
    visits_page(&state, lang, &me, 1, Some(id), form, false, String::new()).await
}

async fn save_visit_as(
    state: AppState,
    lang: Lang,
    me: CurrentStaff,
    id: Option<i64>,
    form: VisitForm,
) -> Result<Response, AppError> {
    match state.save_visit(&me, id, &form).await {
        Ok(_) => Ok(Redirect::to("/staff/visits?done=1").into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            Ok(answer(
                visits_page(&state, lang, &me, 1, id, form, false, error).await?,
                true,
            ))
        }
    }
}

pub async fn add_visit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<VisitForm>,
) -> Result<Response, AppError> {
    save_visit_as(state, lang, me, None, form).await
}

pub async fn update_visit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<VisitForm>,
) -> Result<Response, AppError> {
    save_visit_as(state, lang, me, Some(id), form).await
}

// ---------------------------------------------------------------- screening and disputes

pub struct ScreeningRow {
    id: i64,
    title: String,
    span: String,
    area: String,
    disputes: i64,
    high_open: i64,
}

pub struct DisputeRow {
    id: i64,
    place: String,
    kind: &'static str,
    risk: &'static str,
    high: bool,
    parties: String,
    summary: String,
    state: &'static str,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "disputes.html")]
struct DisputesPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    screenings: Vec<ScreeningRow>,
    rows: Vec<DisputeRow>,
    total: i64,
    may_arrange: bool,
    risks: Vec<Choice>,
    states: Vec<Choice>,
    screening_choices: Vec<Choice>,
    kinds: Vec<Choice>,
    villages: Vec<Choice>,
    areas: Vec<Choice>,
    form: DisputeForm,
    campaign: ScreeningForm,
}

fn dispute_row(
    d: &minsheng_store::Dispute,
    catalog: &Catalog,
    names: &std::collections::HashMap<String, String>,
    lang: Lang,
) -> DisputeRow {
    DisputeRow {
        id: d.id,
        place: catalog.place(names, &d.region),
        kind: d.kind.label(lang),
        risk: d.risk.label(lang),
        high: d.risk == Risk::High,
        parties: d.parties_mask.clone(),
        summary: hide_numbers(&d.summary),
        state: d.state.label(lang),
        updated: local(d.updated_at),
    }
}

#[allow(clippy::too_many_arguments)]
async fn disputes_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    q: &PageQuery,
    form: DisputeForm,
    campaign: ScreeningForm,
    error: String,
) -> Result<DisputesPage, AppError> {
    let filter = DisputeFilter {
        screening: q.screening.parse().ok(),
        risk: Risk::from_code(&q.risk),
        state: DisputeState::from_code(&q.state),
        areas: Vec::new(),
    };
    let found = state.disputes(me, filter, q.page()).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let screenings = state.screenings(me).await?;
    let villages: Vec<minsheng_core::region::Region> = catalog
        .villages
        .iter()
        .filter(|v| {
            me.scope
                .regions
                .iter()
                .any(|r| v.code.as_str().starts_with(r.prefix()))
        })
        .cloned()
        .collect();
    let areas = state.screening_areas(me).await?;
    let mut screening_choices = vec![Choice {
        value: String::new(),
        label: texts(lang).f_daily.to_owned(),
        selected: form.screening.is_empty(),
        group: String::new(),
    }];
    screening_choices.extend(screenings.iter().map(|s| Choice {
        value: s.id.to_string(),
        label: s.title.clone(),
        selected: s.id.to_string() == form.screening,
        group: String::new(),
    }));
    let mut states = vec![Choice {
        value: String::new(),
        label: format!(
            "{}/{}",
            DisputeState::Open.label(lang),
            DisputeState::Following.label(lang)
        ),
        selected: q.state.is_empty(),
        group: String::new(),
    }];
    states.extend(choices(
        DisputeState::ALL,
        DisputeState::code,
        |s| s.label(lang),
        &q.state,
    ));
    let mut risks = vec![Choice {
        value: String::new(),
        label: texts(lang).f_all.to_owned(),
        selected: q.risk.is_empty(),
        group: String::new(),
    }];
    risks.extend(choices(Risk::ALL, Risk::code, |r| r.label(lang), &q.risk));
    Ok(DisputesPage {
        t: texts(lang),
        here: "/staff/disputes",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved: q.saved(),
        error,
        screenings: screenings
            .iter()
            .map(|s| ScreeningRow {
                id: s.id,
                title: s.title.clone(),
                span: format!("{} – {}", s.from, s.to),
                area: areas
                    .iter()
                    .find(|a| a.code == s.region)
                    .map(|a| a.name.clone())
                    .or_else(|| names.get(s.region.as_str()).cloned())
                    .unwrap_or_else(|| s.region.to_string()),
                disputes: s.disputes,
                high_open: s.high_open,
            })
            .collect(),
        rows: found
            .items
            .iter()
            .map(|d| dispute_row(d, &catalog, &names, lang))
            .collect(),
        total: found.total,
        may_arrange: may_arrange(me),
        risks,
        states,
        screening_choices,
        kinds: choices(
            DisputeKind::ALL,
            DisputeKind::code,
            |k| k.label(lang),
            &form.kind,
        ),
        villages: places(&villages, &names, &catalog, &form.region),
        areas: areas
            .iter()
            .map(|r| Choice {
                value: r.code.to_string(),
                label: r.name.clone(),
                selected: r.code.as_str() == campaign.region,
                group: String::new(),
            })
            .collect(),
        form,
        campaign,
    })
}

pub async fn disputes(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    let form = DisputeForm {
        risk: "medium".into(),
        ..DisputeForm::default()
    };
    let today = state.today().to_string();
    let campaign = ScreeningForm {
        from: today.clone(),
        to: today,
        ..ScreeningForm::default()
    };
    disputes_page(&state, lang, &me, &q, form, campaign, String::new()).await
}

pub async fn report_dispute(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<DisputeForm>,
) -> Result<Response, AppError> {
    match state.report_dispute(&me, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/staff/disputes/{id}?done=1")).into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = disputes_page(
                &state,
                lang,
                &me,
                &PageQuery::default(),
                form,
                ScreeningForm::default(),
                error,
            )
            .await?;
            Ok(answer(page, true))
        }
    }
}

pub async fn start_screening(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(campaign): Form<ScreeningForm>,
) -> Result<Response, AppError> {
    match state.start_screening(&me, &campaign).await {
        Ok(_) => Ok(Redirect::to("/staff/disputes?done=1").into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = disputes_page(
                &state,
                lang,
                &me,
                &PageQuery::default(),
                DisputeForm::default(),
                campaign,
                error,
            )
            .await?;
            Ok(answer(page, true))
        }
    }
}

pub struct NoteRow {
    at: String,
    who: String,
    note: String,
    risk: &'static str,
    state: &'static str,
}

pub struct MediationRow {
    held_on: String,
    mediator: String,
    parties: String,
    agreement: String,
    outcome: &'static str,
    follow_up_on: String,
    judicial: bool,
    appeal: String,
    dispute: String,
}

fn mediation_row(m: &minsheng_store::Mediation, lang: Lang) -> MediationRow {
    MediationRow {
        held_on: m.held_on.to_string(),
        mediator: m.mediator_name.clone(),
        parties: m.parties_mask.clone(),
        agreement: hide_numbers(&m.agreement),
        outcome: m.outcome.label(lang),
        follow_up_on: m.follow_up_on.map(|d| d.to_string()).unwrap_or_default(),
        judicial: m.judicial,
        appeal: m
            .appeal_no
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        dispute: m.dispute_id.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// A mediation form's choices (outcomes, mediators) and the form itself, its mediator
/// `me` unless one was chosen and its day today unless one was typed.
async fn mediation_form(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    mediation: MediationForm,
) -> Result<(Vec<Choice>, Vec<Choice>, MediationForm), AppError> {
    let mediator = if mediation.mediator.is_empty() {
        me.staff.id.to_string()
    } else {
        mediation.mediator.clone()
    };
    let held_on = if mediation.held_on.is_empty() {
        state.today().to_string()
    } else {
        mediation.held_on.clone()
    };
    let staff = state.staff_choices(None).await?;
    Ok((
        choices(
            MediationOutcome::ALL,
            MediationOutcome::code,
            |o| o.label(lang),
            &mediation.outcome,
        ),
        people(&staff, &mediator),
        MediationForm {
            mediator,
            held_on,
            ..mediation
        },
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "dispute.html")]
struct DisputePage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    d: DisputeRow,
    appeal: String,
    open: bool,
    notes: Vec<NoteRow>,
    mediations: Vec<MediationRow>,
    revealed: Option<String>,
    may_reveal: bool,
    risks: Vec<Choice>,
    states: Vec<Choice>,
    outcomes: Vec<Choice>,
    staff: Vec<Choice>,
    follow: FollowUpForm,
    mediation: MediationForm,
}

#[allow(clippy::too_many_arguments)]
async fn dispute_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    id: i64,
    follow: FollowUpForm,
    mediation: MediationForm,
    revealed: Option<String>,
    saved: bool,
    error: String,
) -> Result<DisputePage, AppError> {
    let (d, notes, mediations) = state.dispute(me, id).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let follow = FollowUpForm {
        risk: if follow.risk.is_empty() {
            d.risk.code().to_owned()
        } else {
            follow.risk
        },
        state: if follow.state.is_empty() {
            DisputeState::Following.code().to_owned()
        } else {
            follow.state
        },
        ..follow
    };
    let (outcomes, staff, mediation) = mediation_form(state, me, lang, mediation).await?;
    Ok(DisputePage {
        t: texts(lang),
        here: "/staff/disputes",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        appeal: d
            .appeal_no
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        open: matches!(d.state, DisputeState::Open | DisputeState::Following),
        d: dispute_row(&d, &catalog, &names, lang),
        notes: notes
            .iter()
            .map(|n| NoteRow {
                at: local(n.at),
                who: n.staff_name.clone(),
                note: hide_numbers(&n.note),
                risk: n.risk.label(lang),
                state: n.state.label(lang),
            })
            .collect(),
        mediations: mediations.iter().map(|m| mediation_row(m, lang)).collect(),
        revealed,
        may_reveal: me.staff.roles.iter().any(|r| r.may_reveal_personal_data()),
        risks: choices(Risk::ALL, Risk::code, |r| r.label(lang), &follow.risk),
        states: choices(
            &DisputeState::ALL[..3],
            DisputeState::code,
            |s| s.label(lang),
            &follow.state,
        ),
        outcomes,
        staff,
        follow,
        mediation: MediationForm {
            dispute: id.to_string(),
            ..mediation
        },
    })
}

pub async fn dispute(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    dispute_page(
        &state,
        lang,
        &me,
        id,
        FollowUpForm::default(),
        MediationForm::default(),
        None,
        q.done(),
        String::new(),
    )
    .await
}

pub async fn follow_up(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<FollowUpForm>,
) -> Result<Response, AppError> {
    match state.follow_up(&me, id, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/disputes/{id}?done=1")).into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = dispute_page(
                &state,
                lang,
                &me,
                id,
                form,
                MediationForm::default(),
                None,
                false,
                error,
            )
            .await?;
            Ok(answer(page, true))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevealForm {
    reason: String,
}

pub async fn reveal_parties(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> Result<Response, AppError> {
    match state.reveal_parties(&me, id, &form.reason).await {
        Ok(parties) => Ok(dispute_page(
            &state,
            lang,
            &me,
            id,
            FollowUpForm::default(),
            MediationForm::default(),
            Some(parties),
            false,
            String::new(),
        )
        .await?
        .into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = dispute_page(
                &state,
                lang,
                &me,
                id,
                FollowUpForm::default(),
                MediationForm::default(),
                None,
                false,
                error,
            )
            .await?;
            Ok(answer(page, true))
        }
    }
}

// ---------------------------------------------------------------- mediation

#[derive(Template, WebTemplate)]
#[template(path = "mediations.html")]
struct MediationsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    rows: Vec<MediationRow>,
    total: i64,
    page: i64,
    pages: i64,
    outcomes: Vec<Choice>,
    staff: Vec<Choice>,
    mediation: MediationForm,
}

async fn mediations_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    page: i64,
    mediation: MediationForm,
    saved: bool,
    error: String,
) -> Result<MediationsPage, AppError> {
    let found = state.mediations(me, page).await?;
    let (outcomes, staff, mediation) = mediation_form(state, me, lang, mediation).await?;
    Ok(MediationsPage {
        t: texts(lang),
        here: "/staff/mediations",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: found.items.iter().map(|m| mediation_row(m, lang)).collect(),
        total: found.total,
        page: found.page,
        pages: found.pages(),
        outcomes,
        staff,
        mediation,
    })
}

pub async fn mediations(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    mediations_page(
        &state,
        lang,
        &me,
        q.page(),
        MediationForm::default(),
        q.saved(),
        String::new(),
    )
    .await
}

/// `POST /staff/mediations`: a mediation record, from the list or from a dispute's
/// page (which it returns to).
pub async fn record_mediation(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<MediationForm>,
) -> Result<Response, AppError> {
    let from_dispute = form.dispute.trim().parse::<i64>().ok();
    match state.record_mediation(&me, &form).await {
        Ok(_) => Ok(Redirect::to(&match from_dispute {
            Some(d) => format!("/staff/disputes/{d}?done=1"),
            None => "/staff/mediations?done=1".to_owned(),
        })
        .into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let page = match from_dispute {
                Some(d) => dispute_page(
                    &state,
                    lang,
                    &me,
                    d,
                    FollowUpForm::default(),
                    form,
                    None,
                    false,
                    error,
                )
                .await?
                .into_response(),
                None => mediations_page(&state, lang, &me, 1, form, false, error)
                    .await?
                    .into_response(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- consultations

pub(crate) struct ConsultationRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) span: String,
    pub(crate) opinions: i64,
    pub(crate) responded: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "consultations.html")]
struct ConsultationsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    rows: Vec<ConsultationRow>,
    may_arrange: bool,
    form: ConsultationForm,
}

pub(crate) fn consultation_rows(list: &[minsheng_store::Consultation]) -> Vec<ConsultationRow> {
    list.iter()
        .map(|c| ConsultationRow {
            id: c.id,
            title: c.title.clone(),
            span: format!("{} – {}", c.opens, c.closes),
            opinions: c.opinions,
            responded: c.response.is_some(),
        })
        .collect()
}

async fn consultations_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    page: i64,
    form: ConsultationForm,
    saved: bool,
    error: String,
) -> Result<ConsultationsPage, AppError> {
    let found = state.consultations(page).await?;
    Ok(ConsultationsPage {
        t: texts(lang),
        here: "/staff/consultations",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: consultation_rows(&found.items),
        may_arrange: may_arrange(me),
        form,
    })
}

pub async fn consultations(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<PageQuery>,
) -> Result<impl IntoResponse, AppError> {
    let today = state.today();
    let form = ConsultationForm {
        opens: today.to_string(),
        closes: (today + chrono::Days::new(14)).to_string(),
        ..ConsultationForm::default()
    };
    consultations_page(&state, lang, &me, q.page(), form, q.saved(), String::new()).await
}

pub async fn open_consultation(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<ConsultationForm>,
) -> Result<Response, AppError> {
    match state.open_consultation(&me, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/staff/consultations/{id}?done=1")).into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            Ok(answer(
                consultations_page(&state, lang, &me, 1, form, false, error).await?,
                true,
            ))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "consultation.html")]
struct ConsultationPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    c: minsheng_store::Consultation,
    opinions: Vec<(String, String)>,
    response: String,
}

async fn consultation_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    id: i64,
    response: String,
    saved: bool,
    error: String,
) -> Result<ConsultationPage, AppError> {
    let c = state.consultation(id).await?;
    let opinions = state.opinions(me, id).await?;
    Ok(ConsultationPage {
        t: texts(lang),
        here: "/staff/consultations",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        response: if response.is_empty() {
            c.response.clone().unwrap_or_default()
        } else {
            response
        },
        c,
        opinions: opinions
            .into_iter()
            .map(|(at, text)| (local(at), text))
            .collect(),
    })
}

pub async fn consultation(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    consultation_page(
        &state,
        lang,
        &me,
        id,
        String::new(),
        q.done(),
        String::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResponseForm {
    response: String,
}

pub async fn respond(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<ResponseForm>,
) -> Result<Response, AppError> {
    match state.respond(&me, id, &form.response).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/consultations/{id}?done=1")).into_response()),
        Err(minsheng_app::Error::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let error = refusal(e, lang)?;
            Ok(answer(
                consultation_page(&state, lang, &me, id, form.response, false, error).await?,
                true,
            ))
        }
    }
}

// ---------------------------------------------------------------- the ranking's weights

#[derive(Template, WebTemplate)]
#[template(path = "admin_weights.html")]
struct WeightsPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    saved: bool,
    error: String,
    /// Code, label, typed value.
    rows: Vec<(&'static str, &'static str, String)>,
}

fn weights_page(
    lang: Lang,
    me: &CurrentStaff,
    typed: &dyn Fn(minsheng_core::kpi::Kpi) -> String,
    saved: bool,
    error: String,
) -> WeightsPage {
    WeightsPage {
        t: texts(lang),
        here: "/staff/admin/weights",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        saved,
        error,
        rows: minsheng_core::kpi::Kpi::ALL
            .iter()
            .map(|k| (k.code(), k.label(lang), typed(*k)))
            .collect(),
    }
}

pub async fn weights(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(q): Query<DoneQuery>,
) -> Result<impl IntoResponse, AppError> {
    crate::admin::require_admin(&me)?;
    let w = state.ranking_weights().await?;
    Ok(weights_page(
        lang,
        &me,
        &|k| w.of(k).to_string(),
        q.done(),
        String::new(),
    ))
}

pub async fn set_weights(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    crate::admin::require_admin(&me)?;
    match state.set_ranking_weights(&me, &fields).await {
        Ok(_) => Ok(Redirect::to("/staff/admin/weights?done=1").into_response()),
        Err(e) => {
            let error = refusal(e, lang)?;
            let typed = |k: minsheng_core::kpi::Kpi| {
                fields
                    .iter()
                    .find(|(c, _)| c == k.code())
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            Ok(answer(weights_page(lang, &me, &typed, false, error), true))
        }
    }
}
