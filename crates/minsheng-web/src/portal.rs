//! The public portal: submit an appeal without an account, get a receipt, track it.
//! Nothing personal is ever shown here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minsheng_app::cases::{Intake, Tracked};
use minsheng_core::TrackingCode;
use minsheng_core::intake::{AppealForm, Origin};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::extract::{Form, Path, Query, Submitted};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::{self, Catalog, Errors, FormView, TimelineItem, form_key, local};

/// The portal form's field hidden from people (see `submit.html`).
const HONEYPOT: &str = "website";

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    t: &'static Texts,
    here: &'static str,
    code: String,
    error: Option<&'static str>,
}

pub async fn home(UiLang(lang): UiLang) -> impl IntoResponse {
    HomePage {
        t: texts(lang),
        here: "/",
        code: String::new(),
        error: None,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public_figures.html")]
struct FiguresPage {
    t: &'static Texts,
    here: &'static str,
    from: String,
    to: String,
    categories: Vec<String>,
    /// Township, then its cells ("" when withheld).
    rows: Vec<(String, Vec<String>)>,
    /// Name, received, closed, satisfaction.
    townships: Vec<(String, String, String, String)>,
    categories_summary: Vec<(String, String, String, String)>,
    months: Vec<(String, String, String)>,
    intro: String,
}

/// `GET /figures`: the county's figures of the last twelve months for anyone, by
/// township and category; no count under five is shown.
pub async fn figures(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
) -> Result<impl IntoResponse, AppError> {
    let t = texts(lang);
    let f = state.public_figures(state.today(), lang).await?;
    let n = |v: Option<i64>| v.map_or_else(|| t.withheld.to_owned(), |n| n.to_string());
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"));
    let summary = |rows: &[minsheng_app::figures::PublicLine]| {
        rows.iter()
            .map(|(name, r, c, s)| (name.clone(), n(*r), n(*c), pct(*s)))
            .collect()
    };
    Ok(FiguresPage {
        t,
        here: "/figures",
        from: f.period.from.format("%Y-%m").to_string(),
        to: f.period.last_month().format("%Y-%m").to_string(),
        rows: f
            .townships
            .iter()
            .zip(&f.cells)
            .map(|(name, cells)| (name.clone(), cells.iter().map(|c| n(*c)).collect()))
            .collect(),
        categories: f.categories.clone(),
        townships: summary(&f.by_township),
        categories_summary: summary(&f.by_category),
        months: f
            .months
            .iter()
            .map(|(m, r, c)| (m.format("%Y-%m").to_string(), n(*r), n(*c)))
            .collect(),
        intro: t
            .public_figures_intro
            .replace("{min}", &minsheng_core::kpi::MIN_PUBLISHED.to_string()),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "submit.html")]
struct SubmitPage {
    t: &'static Texts,
    here: &'static str,
    v: FormView,
}

pub async fn submit_form(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
) -> Result<impl IntoResponse, AppError> {
    let catalog = Catalog::load(&state).await?;
    let form = AppealForm {
        submission_key: form_key(),
        ..AppealForm::default()
    };
    Ok(SubmitPage {
        t: texts(lang),
        here: "/submit",
        v: catalog.form_view(lang, true, form, Errors::default()),
    })
}

/// The seconds to wait when a client address posts to the portal over its rate (the
/// portal's limit, shared by every public form), if it does.
fn over_rate(
    state: &AppState,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: &axum::http::HeaderMap,
) -> Option<String> {
    let (Some(limiter), Some(axum::extract::Extension(axum::extract::ConnectInfo(peer)))) =
        (&state.rate_limits.portal, peer)
    else {
        return None;
    };
    let client = crate::security::client_of(peer.ip(), headers, &state.trusted_proxies);
    let wait = limiter.check(&client.to_string(), Utc::now()).err()?;
    tracing::warn!(%client, "portal posts over the rate");
    Some(crate::rate::retry_after(wait))
}

pub async fn submit_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
    submitted: Submitted,
) -> Result<Response, AppError> {
    // Held to a rate per client address (behind a trusted proxy, the address it saw).
    if let Some(seconds) = over_rate(&state, peer, &headers) {
        // The form comes back as typed (files must be chosen again), saying when.
        let message = match lang {
            minsheng_core::Lang::Zh => format!(
                "提交过于频繁，请 {seconds} 秒后再点“提交”。您填写的内容已保留（附件需重新选择）。"
            ),
            minsheng_core::Lang::En => format!(
                "Too many submissions from this address: press submit again in {seconds} s. What you typed is kept (choose the files again)."
            ),
        };
        let form: AppealForm = submitted.form()?;
        let catalog = Catalog::load(&state).await?;
        let page = SubmitPage {
            t: texts(lang),
            here: "/submit",
            v: catalog.form_view(lang, true, form, Errors::whole_form(message)),
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&seconds) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(response);
    }
    // A field people never see, which form-filling robots fill in.
    if submitted
        .pairs
        .iter()
        .any(|(k, v)| k == HONEYPOT && !v.trim().is_empty())
    {
        tracing::warn!("portal submission with the hidden field filled refused");
        return Err(AppError::BadRequest(
            "提交未被受理：表单中的隐藏栏被填写了（可能是浏览器自动填充）。请清空后重新提交，或拨打12345热线。",
            "Not received: a hidden field of the form was filled in (perhaps by the browser's autofill). Clear it and submit again, or call the 12345 hotline.",
        ));
    }
    let form: AppealForm = submitted.form()?;
    let intake = Intake {
        files: submitted.files,
        ..Intake::default()
    };
    let receipt = match state
        .register_with(&form, Origin::Portal, None, intake)
        .await
    {
        Ok(r) => r.receipt,
        Err(minsheng_app::Error::Invalid(errors)) => {
            let catalog = Catalog::load(&state).await?;
            let (status, form) = view::refused_form(form, &errors);
            let page = SubmitPage {
                t: texts(lang),
                here: "/submit",
                v: catalog.form_view(lang, true, form, Errors::explain(&errors, lang)),
            };
            return Ok((status, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/receipt/{}", receipt.tracking_code)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    t: &'static Texts,
    here: String,
    no: String,
    code: String,
}

/// The public view behind a tracking code; a malformed code is simply not found.
async fn lookup(state: &AppState, code: &str) -> Result<(TrackingCode, Tracked), AppError> {
    let code = TrackingCode::parse(code).map_err(|_| AppError::NotFound)?;
    let tracked = state.track(&code).await?;
    Ok((code, tracked))
}

pub async fn receipt(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (code, Tracked { view, .. }) = lookup(&state, &code).await?;
    Ok(ReceiptPage {
        t: texts(lang),
        here: format!("/receipt/{code}"),
        no: view.no.to_string(),
        code: code.to_string(),
    })
}

#[derive(Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    code: String,
}

pub async fn track_lookup(UiLang(lang): UiLang, Query(q): Query<TrackQuery>) -> Response {
    match TrackingCode::parse(&q.code) {
        Ok(code) => Redirect::to(&format!("/track/{code}")).into_response(),
        Err(_) => {
            let t = texts(lang);
            let page = HomePage {
                t,
                here: "/",
                code: q.code,
                error: Some(t.track_unknown),
            };
            (StatusCode::BAD_REQUEST, page).into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "track.html")]
struct TrackPage {
    t: &'static Texts,
    here: String,
    no: String,
    status: &'static str,
    category: String,
    received_at: String,
    due_at: String,
    items: Vec<TimelineItem>,
    code: String,
    /// Until when a verdict may be given, while it may.
    verdict_until: Option<String>,
    rated: bool,
}

#[derive(Deserialize)]
pub struct TrackShown {
    #[serde(default)]
    rated: String,
}

pub async fn track(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Path(code): Path<String>,
    Query(shown): Query<TrackShown>,
) -> Result<impl IntoResponse, AppError> {
    let (code, tracked) = lookup(&state, &code).await?;
    let view = &tracked.view;
    let categories = state.store.categories().await?;
    let category = view::category_label(&categories, &view.category, lang);
    Ok(TrackPage {
        t: texts(lang),
        here: format!("/track/{code}"),
        no: view.no.to_string(),
        status: view.status.public_label(lang),
        category,
        received_at: local(view.received_at),
        due_at: tracked.due.map(local).unwrap_or_default(),
        items: view::public_timeline(&view.events, lang),
        code: code.to_string(),
        verdict_until: tracked.verdict_until.map(local),
        rated: shown.rated == "1",
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "verdict.html")]
struct VerdictPage {
    t: &'static Texts,
    here: String,
    code: String,
    no: String,
    /// The answer being judged (the latest public reply).
    reply: Option<String>,
    until: Option<String>,
    error: Option<String>,
    form: VerdictForm,
}

/// The appellant's verdict as the public form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VerdictForm {
    rating: String,
    solved: String,
    note: String,
}

async fn verdict_page(
    state: &AppState,
    lang: minsheng_core::Lang,
    code: &str,
    form: VerdictForm,
    error: Option<String>,
) -> Result<VerdictPage, AppError> {
    let (code, tracked) = lookup(state, code).await?;
    let reply = tracked
        .view
        .events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.step,
                minsheng_core::appeal::Step::Act(minsheng_core::workflow::Command::Reply { .. })
            )
        })
        .and_then(|e| e.text.clone());
    Ok(VerdictPage {
        t: texts(lang),
        here: format!("/track/{code}/verdict"),
        code: code.to_string(),
        no: tracked.view.no.to_string(),
        reply,
        until: tracked.verdict_until.map(local),
        error,
        form,
    })
}

/// `GET /track/{code}/verdict`: the appellant's one answer to the office's answer.
pub async fn verdict_form(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    verdict_page(&state, lang, &code, VerdictForm::default(), None).await
}

/// `POST /track/{code}/verdict`: records the verdict, or shows the form again saying
/// why not.
pub async fn give_verdict(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Path(code): Path<String>,
    Form(form): Form<VerdictForm>,
) -> Result<Response, AppError> {
    use minsheng_core::i18n::Explain;
    use minsheng_core::workflow::{Rating, Solved};
    let tracking = TrackingCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let choice = Rating::from_code(&form.rating).zip(Solved::from_code(&form.solved));
    let error = match choice {
        None => Some(
            minsheng_core::i18n::pick(
                lang,
                "请选择是否满意，以及问题是否解决",
                "Choose how satisfied you are and whether the problem was solved.",
            )
            .to_owned(),
        ),
        Some((rating, solved)) => match state
            .give_verdict(&tracking, rating, solved, &form.note)
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/track/{tracking}?rated=1")).into_response());
            }
            Err(minsheng_app::Error::Refused(e)) => Some(e.explain(lang)),
            Err(minsheng_app::Error::Stale) => Some(
                minsheng_core::i18n::pick(
                    lang,
                    "办理情况刚刚有了变化，请重新查看后再评价",
                    "The case changed a moment ago: look again, then give your verdict.",
                )
                .to_owned(),
            ),
            Err(e) => return Err(e.into()),
        },
    };
    let page = verdict_page(&state, lang, &code, form, error).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "public_receptions.html")]
struct ReceptionsPage {
    t: &'static Texts,
    here: &'static str,
    rows: Vec<crate::outreach::ReceptionRow>,
}

/// `GET /receptions`: the leaders' reception days to come, for anyone.
pub async fn receptions(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
) -> Result<impl IntoResponse, AppError> {
    Ok(ReceptionsPage {
        t: texts(lang),
        here: "/receptions",
        rows: crate::outreach::reception_rows(&state.upcoming_receptions(100).await?),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public_replies.html")]
struct RepliesPage {
    t: &'static Texts,
    here: &'static str,
    rows: Vec<PublishedRow>,
    page: i64,
    pages: i64,
}

pub struct PublishedRow {
    title: String,
    category: String,
    township: String,
    replied_at: String,
    reply: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageOnly {
    page: String,
    sent: String,
}

/// `GET /replies`: replies the appellants agreed to publish, without personal data.
pub async fn replies(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Query(q): Query<PageOnly>,
) -> Result<impl IntoResponse, AppError> {
    let page = crate::view::page_number(&q.page);
    let found = state.published_replies(page, lang).await?;
    Ok(RepliesPage {
        t: texts(lang),
        here: "/replies",
        page: found.page,
        pages: found.pages(),
        rows: found
            .items
            .into_iter()
            .map(|r| PublishedRow {
                title: r.title,
                category: r.category,
                township: r.township,
                replied_at: local(r.replied_at).get(..10).unwrap_or_default().to_owned(),
                reply: r.reply,
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public_consultations.html")]
struct ConsultationsPage {
    t: &'static Texts,
    here: &'static str,
    rows: Vec<crate::outreach::ConsultationRow>,
}

/// `GET /consultations`: proposed decisions open for the public's opinion.
pub async fn consultations(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Query(q): Query<PageOnly>,
) -> Result<impl IntoResponse, AppError> {
    let page = crate::view::page_number(&q.page);
    Ok(ConsultationsPage {
        t: texts(lang),
        here: "/consultations",
        rows: crate::outreach::consultation_rows(&state.consultations(page).await?.items),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public_consultation.html")]
struct ConsultationPage {
    t: &'static Texts,
    here: String,
    c: minsheng_store::Consultation,
    open: bool,
    thanks: bool,
    error: String,
    opinion: String,
}

async fn consultation_page(
    state: &AppState,
    lang: minsheng_core::Lang,
    id: i64,
    thanks: bool,
    error: String,
    opinion: String,
) -> Result<ConsultationPage, AppError> {
    let c = state.consultation(id).await?;
    Ok(ConsultationPage {
        t: texts(lang),
        here: format!("/consultations/{id}"),
        open: state.takes_opinions(&c),
        c,
        thanks,
        error,
        opinion,
    })
}

/// `GET /consultations/{id}`: the proposal, the response once published, and the
/// form for an opinion while it is open.
pub async fn consultation(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Path(id): Path<i64>,
    Query(q): Query<PageOnly>,
) -> Result<impl IntoResponse, AppError> {
    consultation_page(
        &state,
        lang,
        id,
        q.sent == "1",
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpinionForm {
    opinion: String,
    website: String,
}

/// `POST /consultations/{id}`: an opinion, held to the portal's rate per address.
pub async fn give_opinion(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<OpinionForm>,
) -> Result<Response, AppError> {
    if let Some(seconds) = over_rate(&state, peer, &headers) {
        let error = match lang {
            minsheng_core::Lang::Zh => {
                format!("提交过于频繁，请 {seconds} 秒后再试，您填写的内容已保留。")
            }
            minsheng_core::Lang::En => format!(
                "Too many posts from this address: try again in {seconds} s. What you typed is kept."
            ),
        };
        let page = consultation_page(&state, lang, id, false, error, form.opinion).await?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    if !form.website.trim().is_empty() {
        return Err(AppError::BadRequest(
            "提交未被受理：表单中的隐藏栏被填写了。",
            "Not received: a hidden field of the form was filled in.",
        ));
    }
    match state.give_opinion(id, &form.opinion).await {
        Ok(()) => Ok(Redirect::to(&format!("/consultations/{id}?sent=1")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let error = crate::outreach::explain(&errors, lang);
            let page = consultation_page(&state, lang, id, false, error, form.opinion).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
