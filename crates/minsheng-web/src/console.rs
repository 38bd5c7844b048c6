//! The staff console: inbox, appeal page, registering calls, visits and letters, and
//! the caller history by phone.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate, Utc};
use minsheng_app::cases::Intake;
use minsheng_app::sessions::SignedIn;
use minsheng_app::text::highlight;
use minsheng_core::appellant::Phone;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::{AppealForm, Origin};
use minsheng_core::queue::Queue;
use minsheng_core::workflow::{
    self as wf, Command, LegalChannel, Rating, ReturnReason, Solved, Urgency,
};
use minsheng_core::{AppealNo, Channel, Lang, RegionCode, State as CaseState, mask};
use minsheng_store::{AppealSummary, InboxFilter, ListScope};
use minsheng_text::search::{Piece, Query as SearchQuery};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::{Form, Path, Query, Submitted};
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Nav;
use crate::view::{self, Catalog, Choice, Errors, FormView, TimelineItem, form_key, local};

const PER_PAGE: i64 = 50;
/// Characters of text shown around a search's first match.
const SNIPPET_CHARS: usize = 80;

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
    /// An alert's id: the appeals it names.
    alert: String,
    /// A group of related appeals (cluster id).
    cluster: String,
    /// A unit's id: the appeals it leads now.
    unit: String,
    /// `overdue`, `supervision` or `flagged`: the special lists.
    list: String,
    page: String,
}

impl InboxQuery {
    fn filter(&self, now: chrono::DateTime<Utc>) -> InboxFilter {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        InboxFilter {
            status: CaseState::from_code(&self.status),
            due_before: (self.list == "overdue").then_some(now),
            supervised: false,
            flagged: self.list == "flagged",
            category: some(&self.category),
            township: RegionCode::parse(&self.township).ok(),
            channel: Channel::from_code(&self.channel),
            received_from: day(&self.from).and_then(view::day_start),
            received_before: day(&self.to)
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .and_then(view::day_start),
            number: self.number().map(str::to_owned),
            numbers: Vec::new(),
            tag: some(self.tag.trim()),
            alert: self.alert.trim().parse().ok(),
            cluster: self.cluster.trim().parse().ok(),
            unit: self.unit.trim().parse().ok(),
            text: None,
            queue: None,
        }
    }

    /// The work queue the list shows: the one named, or on the plain inbox (no list,
    /// no filter: what needs me now) the person's first. A link with filters (a
    /// figure, an alert, a label, a search) lists everything they match.
    fn queue(&self, me: &SignedIn) -> Option<Queue> {
        let plain = [
            &self.view,
            &self.q,
            &self.status,
            &self.category,
            &self.township,
            &self.channel,
            &self.from,
            &self.to,
            &self.tag,
            &self.alert,
            &self.cluster,
            &self.unit,
        ]
        .iter()
        .all(|v| v.trim().is_empty());
        match self.list.as_str() {
            "" if plain => Queue::of(&me.staff.roles).first().copied(),
            code => Queue::from_code(code),
        }
    }

    /// The search box holds an appeal number (or part of one) when it is only ASCII
    /// letters, digits and dashes with `MS` or at least four digits (`0` alone would
    /// match every number); anything else is words to search for.
    fn number(&self) -> Option<&str> {
        let q = self.q.trim();
        let digits = q.chars().filter(char::is_ascii_digit).count();
        let number_like = (digits >= 4 || (digits > 0 && q.to_ascii_uppercase().starts_with("MS")))
            && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        number_like.then_some(q)
    }

    /// The words to search for, if the search box holds words.
    fn words(&self) -> Option<&str> {
        let q = self.q.trim();
        (!q.is_empty() && self.number().is_none()).then_some(q)
    }

    /// The page asked for: anything that is not a sensible number is page 1.
    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }

    /// Filters the form has no field for (they come from links: a dashboard figure, an
    /// alert, a group), carried along when the form is sent again.
    fn kept(&self) -> Vec<(&'static str, String)> {
        [
            ("alert", &self.alert),
            ("cluster", &self.cluster),
            ("unit", &self.unit),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
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
    title: Vec<Piece>,
    /// The text around the search's first match (empty without a search).
    snippet: Vec<Piece>,
    category: String,
    place: String,
    channel: &'static str,
    appellant: String,
    received: String,
    due: String,
    overdue: bool,
    light: &'static str,
    light_label: &'static str,
    status: &'static str,
    flags: String,
}

struct Listing<'a> {
    catalog: &'a Catalog,
    names: std::collections::HashMap<String, String>,
    lang: Lang,
    t: &'static Texts,
    policy: &'a wf::Policy,
    search: Option<&'a SearchQuery>,
}

fn row(a: &AppealSummary, l: &Listing<'_>) -> Row {
    let (catalog, names, lang, t, policy) = (l.catalog, &l.names, l.lang, l.t, l.policy);
    let now = Utc::now();
    let light = view::light(policy, a.clock_started_at, a.due_at, now);
    Row {
        no: a.no.to_string(),
        title: match l.search {
            Some(q) => highlight(&a.title, q, usize::MAX),
            None => vec![Piece {
                text: a.title.clone(),
                hit: false,
            }],
        },
        snippet: l
            .search
            .zip(a.excerpt.as_deref())
            .map(|(q, text)| highlight(&mask::numbers_in_text(text), q, SNIPPET_CHARS))
            .unwrap_or_default(),
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
        light: light.map_or("", |l| l.code()),
        light_label: light.map_or("", |l| l.label(lang)),
        status: a.status.label(lang),
        flags: [
            (a.risk.as_deref() == Some("life"), t.risk_life),
            (a.risk.as_deref() == Some("order"), t.risk_order),
            (a.backlog, t.backlog),
            (a.hard, t.hard),
            (a.supervision_due.is_some(), t.supervised),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, label)| label)
        .collect::<Vec<_>>()
        .join(" "),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
struct InboxPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    sees_region: bool,
    view_all: bool,
    list: String,
    /// The label typed in the filter.
    tag: String,
    /// Rows may be dispatched or merged together (the dispatch centre).
    bulk_dispatch: bool,
    /// Rows may be labelled and exported together (all but auditors).
    bulk_label: bool,
    /// Units to dispatch to.
    units: Vec<Choice>,
    /// The lists offered: (code, label, a work queue counted in the navigation).
    tabs: Vec<(&'static str, &'static str, bool)>,
    view_query: &'static str,
    q: String,
    from: String,
    to: String,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    townships: Vec<Choice>,
    channels: Vec<Choice>,
    rows: Vec<Row>,
    /// Words were searched for (results are ranked; an empty list says why).
    searching: bool,
    /// The words searched for were all punctuation or courtesies.
    search_empty: bool,
    total: i64,
    page: i64,
    pages: i64,
    /// The same list as Excel: its query string.
    export: String,
    /// Filters carried in hidden fields.
    kept: Vec<(&'static str, String)>,
    prev: Option<String>,
    next: Option<String>,
    /// On the supervision list: joint meetings' action items past their deadline.
    overdue: Vec<crate::meetings::ActionRow>,
}

/// The list an inbox query asks for, as `me` may see it: whether it is everything
/// they see (else their unit's inbox), whose appeals, and which.
async fn listing_of(
    state: &AppState,
    me: &SignedIn,
    query: &InboxQuery,
) -> Result<(bool, ListScope, InboxFilter), AppError> {
    // A number identifies one case, so searching by number looks everywhere one may see.
    let queue = query.queue(me);
    let wide = queue.is_some_and(|q| !q.by_unit());
    let view_all = me.sees_region() && (query.view == "all" || wide || !query.q.trim().is_empty());
    let scope = if view_all {
        ListScope::Visible(me.scope.clone())
    } else {
        ListScope::Unit(me.unit.id)
    };
    let mut filter = query.filter(Utc::now());
    filter.queue = queue.map(|q| (q, me.staff.id));
    if let Some(words) = query.words() {
        filter.text = Some(state.search_query(words).await?);
    }
    Ok((view_all, scope, filter))
}

/// `GET /staff/export.xlsx`: the list the same query shows, as Excel (names and
/// phones masked as in the list), audited.
pub async fn export(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(query): Query<InboxQuery>,
) -> Result<impl IntoResponse, AppError> {
    let (_, scope, filter) = listing_of(&state, &me, &query).await?;
    let out = state.export_appeals(&me, &scope, &filter, lang).await?;
    let name = format!(
        "{}-{}.xlsx",
        texts(lang).export_name,
        Utc::now()
            .with_timezone(&minsheng_core::clock::china())
            .format("%Y%m%d-%H%M")
    );
    Ok(crate::files::xlsx_download(&name, out.bytes))
}

/// `GET /staff/queues`: how many cases wait in each of the person's work queues (and
/// under `default`, their first), for the navigation to show without a reload.
pub async fn queue_counts(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<impl IntoResponse, AppError> {
    let mut counts = serde_json::Map::new();
    for (i, q) in Queue::of(&me.staff.roles).into_iter().enumerate() {
        let query = InboxQuery {
            list: q.code().to_owned(),
            ..InboxQuery::default()
        };
        let (_, scope, filter) = listing_of(&state, &me, &query).await?;
        let n = state.store.list_appeals(&scope, &filter, 1, 1).await?.total;
        counts.insert(q.code().to_owned(), n.into());
        if i == 0 {
            counts.insert("default".to_owned(), n.into());
        }
    }
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::Value::Object(counts)),
    ))
}

pub async fn inbox(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Query(query): Query<InboxQuery>,
) -> Result<impl IntoResponse, AppError> {
    let t = texts(lang);
    let (view_all, scope, filter) = listing_of(&state, &me, &query).await?;
    let page = state
        .store
        .list_appeals(&scope, &filter, query.page(), PER_PAGE)
        .await?;
    let catalog = Catalog::load(&state).await?;
    let listing = Listing {
        catalog: &catalog,
        names: catalog.place_names(),
        lang,
        t,
        policy: &state.policy,
        search: filter.text.as_ref(),
    };
    let pages = page.pages();
    let queues = Queue::of(&me.staff.roles);
    let current = match query.queue(&me) {
        Some(q) => q.code(),
        None if query.list.is_empty() => "all",
        None => query.list.as_str(),
    };
    let mut tabs: Vec<(&'static str, &'static str, bool)> = queues
        .iter()
        .map(|q| (q.code(), q.label(lang), true))
        .collect();
    tabs.push(("all", t.list_all, false));
    tabs.push(("overdue", t.list_overdue, false));
    if !queues.contains(&Queue::Supervision) {
        tabs.push(("supervision", t.list_supervision, false));
    }
    tabs.push(("flagged", t.list_flagged, false));
    Ok(InboxPage {
        t,
        here: "/staff",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(&me),
        sees_region: me.sees_region(),
        view_all,
        list: current.to_owned(),
        tabs,
        view_query: if view_all { "view=all&" } else { "" },
        q: query.q.clone(),
        tag: query.tag.clone(),
        bulk_dispatch: me.staff.has(minsheng_core::staff::Role::Dispatcher)
            || me.staff.has(minsheng_core::staff::Role::Admin),
        bulk_label: minsheng_app::cases::may_label(&me),
        units: catalog.unit_choices(None),
        from: query.from.clone(),
        to: query.to.clone(),
        statuses: view::status_choices(lang, &query.status),
        categories: catalog.category_choices(lang, &query.category),
        townships: catalog.township_choices(&query.township),
        channels: view::channel_choices(lang, &query.channel),
        rows: page.items.iter().map(|a| row(a, &listing)).collect(),
        searching: filter.text.is_some(),
        search_empty: filter.text.as_ref().is_some_and(SearchQuery::is_empty),
        total: page.total,
        page: page.page,
        pages,
        export: query.with_page(1),
        kept: query.kept(),
        prev: (page.page > 1).then(|| query.with_page(page.page - 1)),
        next: (page.page < pages).then(|| query.with_page(page.page + 1)),
        overdue: if current == "supervision" {
            crate::meetings::overdue_rows(&state, &me, lang).await?
        } else {
            Vec::new()
        },
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "appeal.html")]
struct AppealPage {
    t: &'static Texts,
    here: String,
    /// Contact cadres of its place: (kind, name of the place, cadre).
    contacts: Vec<(&'static str, String, String)>,
    /// Field visits that took it up: (day, cadre, purpose, settled on it).
    field_visits: Vec<(String, String, String, bool)>,
    /// Its mediation records: (day, mediator, outcome, agreement).
    mediation_records: Vec<(String, String, &'static str, String)>,
    me_name: String,
    me_unit: String,
    nav: Nav,
    no: String,
    title: String,
    status: &'static str,
    track: &'static str,
    category: String,
    kind: &'static str,
    channel: &'static str,
    place: String,
    address: String,
    /// Answers to the category's extra fields: (what was asked, the values).
    answers: Vec<(String, String)>,
    /// Whether the personal data is shown in full (after an audited reveal).
    revealed: bool,
    /// Right after registering, for the one who registered it: the tracking code to
    /// read to the caller.
    receipt_code: Option<String>,
    /// The county's answers for its category, to start a reply from: (title, text).
    kept_answers: Vec<(String, String)>,
    /// Open supervision orders: (issued, by whom, deadline, the order, past due).
    supervisions: Vec<(String, String, String, String, bool)>,
    /// Whether this person may ask to see it in full.
    may_reveal: bool,
    /// The appeal's files: id, name, size in words, whether a picture.
    files: Vec<(i64, String, String, bool)>,
    unit: String,
    received: String,
    due: String,
    due_what: &'static str,
    light: &'static str,
    light_label: &'static str,
    paused: bool,
    leader: bool,
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
    actions: Vec<ActionView>,
    /// Earlier cases of this appellant on this matter that ended after re-review.
    not_again: Vec<String>,
    version: i64,
    error: Option<String>,
    units: Vec<Choice>,
    /// The alerts naming it: id, level code, level label, rule label, reason.
    alerts: Vec<(i64, &'static str, &'static str, &'static str, String)>,
    /// Suggested categories: label and percent.
    suggested_categories: Vec<(String, u32)>,
    /// Suggested lead units: id, name and percent (one click dispatches).
    suggested_units: Vec<(i64, String, u32)>,
    /// What the model learnt from (0: the keywords only).
    learnt_from: usize,
    /// Whether a suggested unit is a one-click dispatch.
    may_dispatch: bool,
    /// Its cluster of similar appeals: id, size, and the members the viewer may see.
    cluster: Option<(i64, i64, Vec<ClusterRow>)>,
    /// The court or arbitration word that makes it look litigation-related (涉法涉诉),
    /// when it is not on the legal track already.
    litigation: Option<String>,
    /// The units the appeal accuses, which stand aside (回避): id and name.
    accused: Vec<(i64, String)>,
    /// Whether this person may lift a wrongly read recusal.
    may_lift: bool,
}

/// A member of an appeal's cluster: number, title, received, why it joined.
type ClusterRow = (String, String, String, String);

/// One action the page offers, with what its form needs.
struct ActionView {
    code: &'static str,
    title: &'static str,
}

fn action_title(code: &str, t: &Texts) -> &'static str {
    match code {
        "accept" => t.act_accept,
        "decline" => t.act_decline,
        "transfer" => t.act_transfer,
        "advise_legal" => t.act_advise_legal,
        "dispatch" => t.act_dispatch,
        "sign_for" => t.act_sign_for,
        "return" => t.act_return,
        "rule" => t.act_rule,
        "reply" => t.act_reply,
        "extend" => t.act_extend,
        "return_visit" => t.act_return_visit,
        "request_review" => t.act_request_review,
        "issue_review" => t.act_issue_review,
        "pause" => t.act_pause,
        "resume" => t.act_resume,
        "supervise" => t.act_supervise,
        "assign_leader" => t.act_assign_leader,
        "merge" => t.act_merge,
        "reopen" => t.act_reopen,
        "contest" => t.act_contest,
        "rule_contest" => t.act_rule_contest,
        "contact" => t.act_contact,
        "follow_up" => t.act_follow_up,
        _ => t.act_close,
    }
}

async fn appeal_page(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    no: &AppealNo,
    error: Option<String>,
) -> Result<AppealPage, AppError> {
    let t = texts(lang);
    // Outside one's scope an appeal is not found, so numbers reveal nothing.
    let a = state.store.appeal(no, &me.scope).await?;
    let catalog = Catalog::load(state).await?;
    let names = catalog.place_names();
    let unit_name = |id: Option<i64>| {
        id.and_then(|id| catalog.units.iter().find(|u| u.id == id))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let now = Utc::now();
    let calendar = state.calendar();
    let case = wf::Case::replay(&a.facts, &a.history, &state.policy, &calendar);
    let actions: Vec<ActionView> = wf::available(&case, &me.actor(), &state.policy, &calendar, now)
        .into_iter()
        .map(|code| ActionView {
            code,
            title: action_title(code, t),
        })
        .collect();
    let next = case.next_due(&state.policy, &calendar, now);
    let s = &a.summary;
    let who = &a.appellant;
    let suggestions = state.suggest_for(&a).await?;
    let alert_filter = minsheng_store::AlertFilter {
        appeal_id: Some(s.id),
        ..Default::default()
    };
    let alerts = state.alerts(me, &alert_filter, 1, 20).await?;
    let pct = |c: f64| (c * 100.0).round() as u32;
    let cluster = state.cluster_of(me, s.id).await?.filter(|c| c.size > 1);
    let (contacts, field_visits, mediation_records) =
        state.outreach_of(s.id, &s.region_code).await?;
    Ok(AppealPage {
        contacts: contacts
            .into_iter()
            .map(|c| (c.kind.label(lang), c.name, c.staff_name))
            .collect(),
        field_visits: field_visits
            .into_iter()
            .map(|v| {
                let settled = v.cases.iter().any(|(n, r)| *r && n == no);
                (v.on.to_string(), v.staff_name, v.purpose, settled)
            })
            .collect(),
        mediation_records: mediation_records
            .into_iter()
            .map(|m| {
                (
                    m.held_on.to_string(),
                    m.mediator_name,
                    m.outcome.label(lang),
                    m.agreement,
                )
            })
            .collect(),
        cluster: cluster.map(|c| {
            let others = c
                .members
                .iter()
                .map(|m| {
                    (
                        m.no.to_string(),
                        m.title.clone(),
                        local(m.received_at),
                        m.evidence
                            .as_deref()
                            .and_then(|e| minsheng_app::cluster::explain(e, lang))
                            .unwrap_or_default(),
                    )
                })
                .collect();
            (c.id, c.size, others)
        }),
        alerts: alerts
            .items
            .iter()
            .map(|l| {
                (
                    l.id,
                    l.level.code(),
                    l.level.label(lang),
                    l.rule.label(lang),
                    l.signal.explain(lang),
                )
            })
            .collect(),
        suggested_categories: suggestions
            .categories
            .iter()
            .map(|c| (catalog.category_label(&c.value, lang), pct(c.confidence)))
            .collect(),
        suggested_units: suggestions
            .units
            .iter()
            .map(|u| (u.value, unit_name(Some(u.value)), pct(u.confidence)))
            .collect(),
        learnt_from: suggestions.learnt_from,
        litigation: (s.track != wf::Track::Legal)
            .then(|| minsheng_text::risk::litigation(&a.text))
            .flatten(),
        may_dispatch: actions.iter().any(|a: &ActionView| a.code == "dispatch"),
        accused: a
            .facts
            .accused
            .iter()
            .map(|u| (*u, unit_name(Some(*u))))
            .collect(),
        may_lift: minsheng_app::meetings::county_desk(me),
        t,
        here: format!("/staff/appeals/{no}"),
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(me),
        no: s.no.to_string(),
        title: s.title.clone(),
        status: s.status.label(lang),
        track: s.track.label(lang),
        category: catalog.category_label(&s.category, lang),
        kind: s.kind.label(lang),
        channel: s.channel.label(lang),
        place: catalog.place(&names, &s.region_code),
        address: a.address.clone().unwrap_or_default(),
        answers: a
            .answers
            .iter()
            .map(|x| (x.label.clone(), x.values.join("、")))
            .collect(),
        revealed: false,
        kept_answers: if actions
            .iter()
            .any(|a| matches!(a.code, "reply" | "issue_review"))
        {
            state
                .answers(Some(&s.category), "")
                .await?
                .into_iter()
                .map(|a| (a.title, a.body))
                .collect()
        } else {
            Vec::new()
        },
        supervisions: case
            .supervisions
            .iter()
            .map(|(issued, due)| {
                let order = a.events.iter().find(|e| {
                    e.at == *issued
                        && matches!(
                            &e.step,
                            minsheng_core::appeal::Step::Act(Command::Supervise { .. })
                        )
                });
                let by = order
                    .map(|e| match (&e.actor, &e.actor_unit) {
                        (Some(n), Some(u)) => format!("{n}（{u}）"),
                        (Some(n), None) => n.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default();
                let note = order.and_then(|e| e.note.clone()).unwrap_or_default();
                (local(*issued), by, local(*due), note, *due < now)
            })
            .collect(),
        // Only the one who just registered it reads the tracking code to the caller.
        receipt_code: (a.created_by == Some(me.staff.id))
            .then(|| a.tracking_code.as_str().to_owned()),
        may_reveal: state.may_contact(&a, me),
        files: a
            .attachments
            .iter()
            .map(|f| {
                let kb = f.file.size.div_ceil(1024);
                let size = if kb >= 1024 {
                    format!("{:.1} MB", kb as f64 / 1024.0)
                } else {
                    format!("{kb} KB")
                };
                (
                    f.id,
                    f.file.file_name.clone(),
                    size,
                    f.file.content_type.starts_with("image/"),
                )
            })
            .collect(),
        unit: unit_name(case.lead),
        received: local(s.received_at),
        due: next.as_ref().map(|(c, _)| local(c.due)).unwrap_or_default(),
        due_what: next.as_ref().map_or("", |(c, _)| c.what.label(lang)),
        light: next.as_ref().map_or("", |(_, l)| l.code()),
        light_label: next.as_ref().map_or("", |(_, l)| l.label(lang)),
        paused: case.paused_since.is_some(),
        leader: case.leader.is_some(),
        text: a.text.clone(),
        anonymous: who.is_anonymous(),
        // Masked like everything personal; in full only on an audited reveal.
        name: who.name.as_deref().map(mask::name).unwrap_or_default(),
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
        items: view::timeline(&a.events, &a.reveals, lang),
        actions,
        not_again: state
            .store
            .final_precedents(a.summary.id)
            .await?
            .into_iter()
            .map(|n| n.to_string())
            .collect(),
        version: a.version,
        error,
        units: catalog.unit_choices(case.lead),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    /// `1` right after registering: the number and tracking code to read aloud.
    registered: String,
}

pub async fn show_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<impl IntoResponse, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    let mut page = appeal_page(&state, lang, &me, &no, None).await?;
    if q.registered != "1" {
        page.receipt_code = None;
    }
    Ok(page)
}

#[derive(Template, WebTemplate)]
#[template(path = "appeal_sheet.html")]
struct SheetPage {
    t: &'static Texts,
    no: String,
    printed: String,
    received: String,
    channel: &'static str,
    category: String,
    kind: &'static str,
    place: String,
    appellant: String,
    phone: String,
    title: String,
    text: String,
    unit: String,
    urgency: &'static str,
    due: String,
    status: &'static str,
    leader: String,
    supervision: Vec<String>,
}

/// `GET /staff/appeals/{no}/sheet`: the printable assignment sheet (交办单) of a case
/// one may see, personal data masked as on the case page.
pub async fn appeal_sheet(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    let t = texts(lang);
    let a = state.store.appeal(&no, &me.scope).await?;
    let catalog = Catalog::load(&state).await?;
    let names = catalog.place_names();
    let calendar = state.calendar();
    let case = wf::Case::replay(&a.facts, &a.history, &state.policy, &calendar);
    let s = &a.summary;
    let leader = match case.leader {
        Some(id) => state
            .leaders()
            .await?
            .into_iter()
            .find(|l| l.staff.id == id)
            .map(|l| l.staff.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let place = match &a.address {
        Some(addr) => format!("{} {addr}", catalog.place(&names, &s.region_code)),
        None => catalog.place(&names, &s.region_code),
    };
    Ok(SheetPage {
        t,
        no: s.no.to_string(),
        printed: local(Utc::now()),
        received: local(s.received_at),
        channel: s.channel.label(lang),
        category: catalog.category_label(&s.category, lang),
        kind: s.kind.label(lang),
        place,
        appellant: s
            .name_mask
            .clone()
            .unwrap_or_else(|| t.anonymous.to_owned()),
        phone: s.phone_mask.clone().unwrap_or_default(),
        title: s.title.clone(),
        text: a.text.clone(),
        unit: case
            .lead
            .and_then(|id| catalog.units.iter().find(|u| u.id == id))
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        urgency: match case.urgency {
            Urgency::Urgent => t.urgency_urgent,
            Urgency::Complex => t.urgency_complex,
            Urgency::Normal => t.urgency_normal,
        },
        due: case
            .public_due(&state.policy, &calendar)
            .map(local)
            .unwrap_or_default(),
        status: s.status.label(lang),
        leader,
        supervision: a
            .history
            .iter()
            .filter_map(|h| match &h.command {
                Command::Supervise { note, days } => Some(format!(
                    "{} · {note}（{days} {}）",
                    local(h.at),
                    t.working_days
                )),
                _ => None,
            })
            .collect(),
    })
}

/// An action's form as posted; each action reads the fields it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    action: String,
    version: i64,
    text: String,
    days: String,
    rating: String,
    solved: String,
    lead: String,
    urgency: String,
    reason: String,
    channel: String,
    into: String,
}

/// Why an action form does not make a command.
pub(crate) enum FormProblem {
    /// No such action: the request did not come from the page.
    UnknownAction,
    /// A field is wrong: said on the page, in Chinese and English.
    Field(&'static str, &'static str),
}

impl ActionForm {
    /// The form of an action sent with typed fields (the JSON API), so that one
    /// reading of actions serves both.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn typed(
        action: &str,
        version: i64,
        text: &str,
        days: Option<u64>,
        rating: &str,
        solved: &str,
        lead: Option<i64>,
        urgency: &str,
        reason: &str,
        channel: &str,
    ) -> ActionForm {
        ActionForm {
            action: action.to_owned(),
            version,
            text: text.to_owned(),
            days: days.map(|d| d.to_string()).unwrap_or_default(),
            rating: rating.to_owned(),
            solved: solved.to_owned(),
            lead: lead.map(|l| l.to_string()).unwrap_or_default(),
            urgency: urgency.to_owned(),
            reason: reason.to_owned(),
            channel: channel.to_owned(),
            into: String::new(),
        }
    }

    /// The command the form asks for; `into` is the merged-into case's id, looked up.
    pub(crate) fn command(
        &self,
        me: &minsheng_app::sessions::SignedIn,
        into: Option<i64>,
    ) -> Result<Command, FormProblem> {
        let bad = FormProblem::Field("表单内容不完整或有误", "The form is incomplete or wrong.");
        let text = minsheng_core::intake::clean_text(&self.text);
        // A whole number too large for the core's type is still a whole number: it is
        // passed on (saturated) so the core names the allowed range.
        let days = || {
            self.days
                .trim()
                .parse::<u64>()
                .map(|d| u32::try_from(d).unwrap_or(u32::MAX))
                .map_err(|_| FormProblem::Field("天数应为正整数", "Days must be a whole number."))
        };
        Ok(match self.action.as_str() {
            "accept" => Command::Accept,
            "decline" => Command::Decline { reason: text },
            "transfer" => Command::Transfer { organ: text },
            "advise_legal" => Command::AdviseLegal {
                channel: match self.channel.as_str() {
                    "lawsuit" => LegalChannel::Lawsuit,
                    "arbitration" => LegalChannel::Arbitration,
                    "reconsideration" => LegalChannel::AdministrativeReconsideration,
                    _ => return Err(bad),
                },
                note: text,
            },
            "dispatch" => Command::Dispatch {
                lead: self
                    .lead
                    .parse()
                    .map_err(|_| FormProblem::Field("请选择承办单位", "Choose a unit."))?,
                co: Vec::new(),
                urgency: match self.urgency.as_str() {
                    "urgent" => Urgency::Urgent,
                    "complex" => Urgency::Complex,
                    "normal" | "" => Urgency::Normal,
                    _ => return Err(bad),
                },
            },
            "sign_for" => Command::SignFor,
            "return" => Command::Return {
                reason: match self.reason.as_str() {
                    "wrong_place" => ReturnReason::WrongPlace,
                    "unclear_ownership" => ReturnReason::UnclearOwnership,
                    "overlapping_duties" => ReturnReason::OverlappingDuties,
                    "other" => ReturnReason::Other,
                    _ => return Err(bad),
                },
                note: text,
            },
            "rule" => Command::Rule,
            "reply" => Command::Reply {
                text,
                call_back: None,
            },
            "extend" => Command::Extend {
                days: days()?,
                reason: text,
            },
            "return_visit" => Command::ReturnVisit {
                rating: Rating::from_code(&self.rating).ok_or(FormProblem::Field(
                    "请选择群众满意度（满意、基本满意或不满意）",
                    "Choose how satisfied the appellant was.",
                ))?,
                solved: Some(Solved::from_code(&self.solved).ok_or(FormProblem::Field(
                    "请选择问题解决情况（已解决、部分解决或未解决）",
                    "Choose whether the problem was solved.",
                ))?),
                note: text,
                by_appellant: false,
            },
            "request_review" => Command::RequestReview,
            "issue_review" => Command::IssueReview { text },
            "pause" => Command::Pause { reason: text },
            "resume" => Command::Resume,
            "supervise" => Command::Supervise {
                note: text,
                days: days()?,
            },
            "assign_leader" => Command::AssignLeader {
                leader: me.staff.id,
            },
            "merge" => Command::Merge {
                into: into.ok_or(bad)?,
            },
            "reopen" => Command::Reopen { reason: text },
            "contest" => Command::Contest { reason: text },
            "rule_contest" => Command::RuleContest {
                upheld: match self.reason.as_str() {
                    "upheld" => true,
                    "rejected" => false,
                    _ => {
                        return Err(FormProblem::Field(
                            "请选择异议是否成立",
                            "Say whether the contest is upheld or rejected.",
                        ));
                    }
                },
                note: text,
            },
            "close" => Command::Close,
            "follow_up" => Command::FollowUp { note: text },
            "contact" => Command::Contact {
                outcome: wf::ContactOutcome::from_code(&self.reason).ok_or(FormProblem::Field(
                    "请选择联系结果（已接通、无人接听或号码错误）",
                    "Choose how the call went.",
                ))?,
                note: text,
            },
            _ => return Err(FormProblem::UnknownAction),
        })
    }
}

/// Decides and stores one action; on refusal the page comes back with the reason.
pub async fn act_on_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    let refused = |message: String| async {
        let page = appeal_page(&state, lang, &me, &no, Some(message)).await?;
        Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let catalog = Catalog::load(&state).await?;
    let why = |e: &wf::WorkflowError| e.explain_named(lang, |u| catalog.unit_name(u));
    let into = match (form.action.as_str(), AppealNo::parse(&form.into)) {
        ("merge", Ok(n)) => match state.merge_target(&no, &n, &me.scope).await {
            Ok(id) => Some(id),
            Err(minsheng_app::Error::Refused(e)) => return refused(why(&e)).await,
            Err(minsheng_app::Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    // A field that cannot be read comes back on the page, like a refusal; an unknown
    // action is a plain bad request.
    let command = match form.command(&me, into) {
        Ok(c) => c,
        Err(FormProblem::Field(zh, en)) => {
            return refused(minsheng_core::i18n::pick(lang, zh, en).to_owned()).await;
        }
        Err(FormProblem::UnknownAction) => {
            return Err(AppError::BadRequest("未知的操作", "Unknown action."));
        }
    };
    match state.act(&me.actor(), &no, form.version, command).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/appeals/{no}")).into_response()),
        Err(minsheng_app::Error::Refused(e)) => refused(why(&e)).await,
        Err(minsheng_app::Error::Stale) => refused(texts(lang).changed_meanwhile.to_owned()).await,
        Err(e) => Err(e.into()),
    }
}

struct HistoryRow {
    no: String,
    received: String,
    category: String,
    title: String,
    status: &'static str,
    /// Still open: a follow-up (催单) may be added to it.
    open: bool,
}

impl HistoryRow {
    fn of(a: &AppealSummary, catalog: &Catalog, lang: Lang) -> HistoryRow {
        HistoryRow {
            no: a.no.to_string(),
            received: local(a.received_at),
            category: catalog.category_label(&a.category, lang),
            title: a.title.clone(),
            status: a.status.label(lang),
            open: !a.status.is_terminal(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
struct IntakePage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    v: FormView,
    lookup_error: Option<String>,
    looked_up: bool,
    history: Vec<HistoryRow>,
    /// Appeals within the repeat window.
    recent: usize,
    /// A repeat appellant (3 or more within 30 days).
    repeat: bool,
    /// Their matters closed after re-review.
    concluded: Vec<String>,
    /// The county's answers to answer a consultation from: (title, text).
    kept_answers: Vec<(String, String)>,
    /// The answer given on the spot, as typed.
    answer: String,
    /// What the appeal is registered from: a reception day or a screened dispute, as
    /// (field, id, what it is in words).
    from: Option<(&'static str, i64, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IntakeQuery {
    reception: String,
    dispute: String,
}

/// The reception day or screened dispute an intake form is for, from its query or
/// its posted fields, said in words (else why not).
async fn intake_from(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    reception: &str,
    dispute: &str,
) -> Result<Option<(&'static str, i64, String)>, minsheng_app::Error> {
    let t = texts(lang);
    let (reception, dispute) = (reception.trim(), dispute.trim());
    let bad = |field| {
        minsheng_app::Error::Invalid(minsheng_core::intake::FieldErrors(vec![(
            field,
            minsheng_core::intake::FieldError::UnknownChoice,
        )]))
    };
    // One or the other, each a number, or neither.
    if !reception.is_empty() && (!dispute.is_empty() || reception.parse::<i64>().is_err()) {
        return Err(bad("reception"));
    }
    if !dispute.is_empty() && dispute.parse::<i64>().is_err() {
        return Err(bad("dispute"));
    }
    if let Ok(id) = reception.parse::<i64>() {
        let r = state.open_reception(id).await?;
        return Ok(Some((
            "reception",
            id,
            format!(
                "{}{} · {} · {}",
                t.intake_reception,
                r.leader_name,
                local(r.starts_at),
                r.place
            ),
        )));
    }
    if let Ok(id) = dispute.parse::<i64>() {
        let d = state.dispute_to_register(me, id).await?;
        return Ok(Some((
            "dispute",
            id,
            format!("{}#{} {}", t.intake_dispute, d.id, d.summary),
        )));
    }
    Ok(None)
}

impl IntakePage {
    async fn new(
        state: &AppState,
        lang: Lang,
        me: &CurrentStaff,
        v: FormView,
    ) -> Result<IntakePage, AppError> {
        Ok(IntakePage {
            kept_answers: state
                .answers(None, "")
                .await?
                .into_iter()
                .map(|a| (a.title, a.body))
                .collect(),
            answer: String::new(),
            t: texts(lang),
            here: "/staff/intake",
            me_name: me.staff.display_name.clone(),
            me_unit: me.unit.name.clone(),
            nav: Nav::of(me),
            v,
            lookup_error: None,
            looked_up: false,
            history: Vec::new(),
            recent: 0,
            repeat: false,
            concluded: Vec::new(),
            from: None,
        })
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
    Query(q): Query<IntakeQuery>,
) -> Result<Response, AppError> {
    require_intake(&me)?;
    let catalog = Catalog::load(&state).await?;
    let mut form = blank_intake_form();
    let (from, errors) = match intake_from(&state, &me, lang, &q.reception, &q.dispute).await {
        Ok(from) => (from, Errors::default()),
        Err(minsheng_app::Error::Invalid(e)) => (None, Errors::explain(&e, lang)),
        Err(e) => return Err(e.into()),
    };
    if let Some((field, id, _)) = &from {
        // A visitor at a reception, or the parties of a dispute, came in person.
        form.channel = Channel::Visit.code().into();
        if *field == "dispute" {
            let (d, _, _) = state.dispute(&me, *id).await?;
            form.kind = minsheng_core::AppealKind::Dispute.code().into();
            form.township = d.region.parent().map(|t| t.to_string()).unwrap_or_default();
            form.village = d.region.to_string();
            form.text = d.summary;
        }
    }
    let refused = !errors.is_empty();
    let mut page = IntakePage::new(
        &state,
        lang,
        &me,
        catalog.form_view(lang, false, form, errors),
    )
    .await?;
    page.from = from;
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

pub async fn register_appeal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    submitted: Submitted,
) -> Result<Response, AppError> {
    require_intake(&me)?;
    let form: AppealForm = submitted.form()?;
    let field = |name: &str| {
        submitted
            .pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (reception, dispute) = (field("reception"), field("dispute"));
    let registered = match intake_from(&state, &me, lang, &reception, &dispute).await {
        Ok(from) => {
            let intake = Intake {
                files: submitted.files,
                reception: from.as_ref().filter(|f| f.0 == "reception").map(|f| f.1),
                dispute: from.as_ref().filter(|f| f.0 == "dispute").map(|f| f.1),
                answer_now: (field("answer_now") == "on").then(|| (me.actor(), field("answer"))),
                ..Intake::default()
            };
            state
                .register_with(&form, Origin::Staff, Some(me.staff.id), intake)
                .await
                .map_err(|e| (e, from))
        }
        Err(e) => Err((e, None)),
    };
    let receipt = match registered {
        Ok(r) => r.receipt,
        Err((minsheng_app::Error::Invalid(errors), from)) => {
            let catalog = Catalog::load(&state).await?;
            let (status, form) = view::refused_form(form, &errors);
            let v = catalog.form_view(lang, false, form, Errors::explain(&errors, lang));
            let mut page = IntakePage::new(&state, lang, &me, v).await?;
            page.from = from;
            page.answer = field("answer");
            return Ok((status, page).into_response());
        }
        Err((e, _)) => return Err(e.into()),
    };
    // The call-taker reads the number and tracking code to the caller from there.
    Ok(Redirect::to(&format!("/staff/appeals/{}?registered=1", receipt.no)).into_response())
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    reason: String,
}

/// Lifting a wrongly read recusal: which unit, and why.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiftForm {
    unit: String,
    reason: String,
}

/// Lifts a recusal the text was wrongly read for (the county desk, with a reason).
pub async fn lift_recusal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
    Form(form): Form<LiftForm>,
) -> Result<Response, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    let unit = form.unit.trim().parse::<i64>().map_err(|_| {
        AppError::BadRequest("请从列表中选择单位", "Choose the unit from the list.")
    })?;
    match state.lift_recusal(&me, &no, unit, &form.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/appeals/{no}")).into_response()),
        Err(minsheng_app::Error::Invalid(errors)) => {
            let message = Errors::explain(&errors, lang)
                .of("reason")
                .map(|e| {
                    let colon = if lang == Lang::Zh { "：" } else { ": " };
                    format!("{}{colon}{e}", texts(lang).lift_reason)
                })
                .unwrap_or_default();
            let page = appeal_page(&state, lang, &me, &no, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The appeal page with the appellant's personal data in full, after saying why; the
/// reveal is audited. A POST, so the data never sits behind a URL.
pub async fn reveal(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
    Form(form): Form<RevealForm>,
) -> Result<Response, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    match state.reveal_appellant(&no, &me, &form.reason).await {
        Ok(who) => {
            let mut page = appeal_page(&state, lang, &me, &no, None).await?;
            page.revealed = true;
            page.name = who.name.unwrap_or_default();
            page.phone = who.phone.map(|p| p.as_str().to_owned()).unwrap_or_default();
            page.id_number = who
                .id_number
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default();
            page.home_address = who.address.unwrap_or_default();
            Ok(page.into_response())
        }
        Err(minsheng_app::Error::Invalid(errors)) => {
            let message = Errors::explain(&errors, lang)
                .of("reason")
                .map(|e| {
                    let colon = if lang == Lang::Zh { "：" } else { ": " };
                    format!("{}{colon}{e}", texts(lang).reveal_reason)
                })
                .unwrap_or_default();
            let page = appeal_page(&state, lang, &me, &no, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CallerForm {
    #[serde(default)]
    phone: String,
}

/// Earlier appeals from a phone number. A POST, so the number never appears in a URL
/// or an access log.
/// `POST /staff/callers`: the intake form sent with 查询来电记录 — the caller's history
/// by the phone typed, and the form back as typed (nothing is lost but files, which
/// must be chosen again).
pub async fn caller_history(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    submitted: Submitted,
) -> Result<impl IntoResponse, AppError> {
    require_intake(&me)?;
    let catalog = Catalog::load(&state).await?;
    let mut typed: AppealForm = submitted.form()?;
    if typed.submission_key.trim().is_empty() {
        typed.submission_key = form_key();
    }
    let mut page = IntakePage::new(
        &state,
        lang,
        &me,
        catalog.form_view(lang, false, typed.clone(), Errors::default()),
    )
    .await?;
    match Phone::parse(&typed.phone) {
        Ok(phone) => {
            let found = state.caller_history(&me, &phone).await?;
            page.history = found
                .appeals
                .iter()
                .map(|a| HistoryRow::of(a, &catalog, lang))
                .collect();
            page.recent = found.recent;
            page.repeat = found.repeat;
            page.concluded = found.concluded.iter().map(ToString::to_string).collect();
            page.looked_up = true;
        }
        Err(e) => page.lookup_error = Some(e.explain(lang)),
    }
    Ok(page)
}

/// `POST /staff/callers.json`: the same history as the phone is typed, for the page
/// to show without a reload (POST, so the number stays out of URLs and logs).
pub async fn caller_history_json(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(form): Form<CallerForm>,
) -> Result<Response, AppError> {
    require_intake(&me)?;
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({ "error": e.explain(lang) })),
            )
                .into_response());
        }
    };
    let catalog = Catalog::load(&state).await?;
    let found = state.caller_history(&me, &phone).await?;
    let t = texts(lang);
    let rows: Vec<serde_json::Value> = found
        .appeals
        .iter()
        .map(|a| {
            let h = HistoryRow::of(a, &catalog, lang);
            serde_json::json!({
                "no": h.no, "received": h.received, "category": h.category,
                "title": h.title, "status": h.status, "open": h.open,
            })
        })
        .collect();
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "appeals": rows,
            "recent": found.recent,
            "repeat": found.repeat.then(|| t.caller_repeat.replace("{n}", &found.recent.to_string())),
            "concluded": found.concluded.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "concluded_warning": (!found.concluded.is_empty()).then_some(t.caller_concluded),
            "urge": t.caller_urge,
            "urge_note": t.caller_urge_note,
            "none": t.no_history,
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct UrgeForm {
    #[serde(default)]
    note: String,
}

/// `POST /staff/appeals/{no}/follow-up`: the caller's 催单 on an open case, recorded on
/// it instead of a new appeal.
pub async fn urge(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Path(no): Path<String>,
    Form(form): Form<UrgeForm>,
) -> Result<Response, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    match state.urge(&me, &no, &form.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/appeals/{no}")).into_response()),
        Err(minsheng_app::Error::Refused(e)) => {
            let catalog = Catalog::load(&state).await?;
            let why = e.explain_named(lang, |u| catalog.unit_name(u));
            let page = appeal_page(&state, lang, &me, &no, Some(why)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bulk.html")]
struct BulkPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    done: Vec<String>,
    /// (number, why).
    refused: Vec<(String, String)>,
    back: String,
}

/// `POST /staff/bulk`: one action on the rows selected in the inbox (`no` repeated,
/// `action`: dispatch, merge, label or export), each case acted on as on its own page;
/// the refused ones are listed by number with the reason.
pub async fn bulk(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let t = texts(lang);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let nos: Vec<AppealNo> = fields
        .iter()
        .filter(|(k, _)| k == "no")
        .filter_map(|(_, v)| AppealNo::parse(v.trim()).ok())
        .collect();
    if nos.is_empty() {
        return Err(AppError::BadRequest(
            "请先勾选诉求",
            "Select appeals first.",
        ));
    }
    let action = match field("action").as_str() {
        "export" => {
            let scope = if me.sees_region() {
                ListScope::Visible(me.scope.clone())
            } else {
                ListScope::Unit(me.unit.id)
            };
            let filter = InboxFilter {
                numbers: nos,
                ..InboxFilter::default()
            };
            let out = state.export_appeals(&me, &scope, &filter, lang).await?;
            let name = format!(
                "{}-{}.xlsx",
                t.export_name,
                Utc::now()
                    .with_timezone(&minsheng_core::clock::china())
                    .format("%Y%m%d-%H%M")
            );
            return Ok(crate::files::xlsx_download(&name, out.bytes).into_response());
        }
        "dispatch" => minsheng_app::cases::Bulk::Dispatch {
            lead: field("lead")
                .parse()
                .map_err(|_| AppError::BadRequest("请选择承办单位", "Choose a unit."))?,
            urgency: match field("urgency").as_str() {
                "urgent" => Urgency::Urgent,
                "complex" => Urgency::Complex,
                _ => Urgency::Normal,
            },
        },
        "merge" => {
            minsheng_app::cases::Bulk::Merge(AppealNo::parse(&field("into")).map_err(|_| {
                AppError::BadRequest("请填写要合并到的诉求编号", "Give the number to merge into.")
            })?)
        }
        "label" => minsheng_app::cases::Bulk::Label(field("label")),
        _ => return Err(AppError::BadRequest("未知的操作", "Unknown action.")),
    };
    let report = match state.bulk(&me, &nos, &action).await {
        Ok(r) => r,
        Err(minsheng_app::Error::Invalid(errors)) => {
            let why = crate::outreach::explain(&errors, lang);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, why).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let catalog = Catalog::load(&state).await?;
    let refused = report
        .refused
        .iter()
        .map(|(no, e)| {
            let why = match e {
                minsheng_app::Error::Refused(w) => w.explain_named(lang, |u| catalog.unit_name(u)),
                minsheng_app::Error::NotFound => t.bulk_not_found.to_owned(),
                minsheng_app::Error::Stale => t.changed_meanwhile.to_owned(),
                minsheng_app::Error::Invalid(errors) => crate::outreach::explain(errors, lang),
                other => other.to_string(),
            };
            (no.to_string(), why)
        })
        .collect();
    Ok(BulkPage {
        t,
        here: "/staff",
        me_name: me.staff.display_name.clone(),
        me_unit: me.unit.name.clone(),
        nav: Nav::of(&me),
        done: report.done.iter().map(ToString::to_string).collect(),
        refused,
        back: "/staff".to_owned(),
    }
    .into_response())
}
