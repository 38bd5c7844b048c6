//! Persistence for Minsheng: one [`Store`] trait with a SQLite backend (the embedded
//! default) and a PostgreSQL backend (production), migrations for each, the audit
//! chain, and encryption of personal data.
//!
//! This crate owns SQL; it must not depend on axum or any HTTP crate. Business decisions
//! (validation, routing, masking) come from `minsheng-core`; this crate persists them.
//!
//! Error rule: every method returns [`StoreError`]; `sqlx::Error` is mapped once, in
//! `From<sqlx::Error>`, so a unique violation becomes `Conflict` and a missing row
//! `NotFound` everywhere.

mod answers;
pub mod audit;
pub mod blobs;
pub mod crypto;
mod outbox;
mod outreach;
mod sql;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use minsheng_core::appeal::Event;
use minsheng_core::appellant::Appellant;
use minsheng_core::category::Category;
use minsheng_core::intake::NewAppeal;
use minsheng_core::kpi::{Sums, Tally};
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::region_import::{KnownRegion, RegionPlan};
use minsheng_core::routing::{Routing, RoutingRule};
use minsheng_core::staff::{Role, Scope, Staff};
use minsheng_core::unit::{NewUnit, Unit};
use minsheng_core::workflow::{CaseFacts, Effect, Happened, Opening, Outcome, State, Track};
use minsheng_core::{AppealKind, AppealNo, Channel, TrackingCode};
use thiserror::Error;

pub use answers::*;
pub use audit::AuditReport;
pub use blobs::Blobs;
pub use crypto::{DataKey, Keyring};
pub use outbox::*;
pub use outreach::*;

/// What can go wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: the database is down, a migration failed, data is corrupt.
    #[error(transparent)]
    Other(#[from] anyhow_like::BoxError),
}

/// A boxed error without pulling anyhow into the library.
pub mod anyhow_like {
    /// Any error, boxed.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct BoxError(pub Box<dyn std::error::Error + Send + Sync>);
}

impl StoreError {
    fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Other(anyhow_like::BoxError(Box::new(e)))
    }

    fn msg(s: impl Into<String>) -> StoreError {
        StoreError::Other(anyhow_like::BoxError(s.into().into()))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> StoreError {
        match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound,
            _ => StoreError::other(e),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            e => StoreError::other(e),
        }
    }
}

impl From<crypto::CryptoError> for StoreError {
    fn from(e: crypto::CryptoError) -> StoreError {
        StoreError::other(e)
    }
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current time as stored: UTC, truncated to microseconds so it round-trips exactly
/// through both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A staff member to be created. Its `Debug` leaves out the password hash.
#[derive(Clone)]
pub struct NewStaff {
    /// Login name (already checked).
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Key of the home unit.
    pub unit_key: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the password is a one-time password to be changed at first login.
    pub must_change_password: bool,
}

/// Which staff a list shows; all optional.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Only this unit's.
    pub unit_id: Option<i64>,
    /// Only those holding this role.
    pub role: Option<Role>,
    /// Only active (or only deactivated) accounts.
    pub active: Option<bool>,
    /// Login or display name containing this text.
    pub text: Option<String>,
}

/// A staff account as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// The staff member.
    pub staff: Staff,
    /// Whether the account may sign in.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// New name, unit and roles for a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChange {
    /// Which staff member.
    pub id: i64,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Home unit.
    pub unit_id: i64,
    /// Roles.
    pub roles: Vec<Role>,
}

impl std::fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewStaff")
            .field("username", &self.username)
            .field("unit_key", &self.unit_key)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A new appeal with its case opened, decided before it is stored.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The checked appeal.
    pub appeal: NewAppeal,
    /// Where routing sent it, and why.
    pub routing: Routing,
    /// Its track, the steps taken at once and where they leave it.
    pub opening: Opening,
    /// The staff member who registered it, if not the appellant.
    pub actor_id: Option<i64>,
    /// Labels to attach, e.g. `demo:heating`.
    pub tags: Vec<String>,
    /// Its id in the system it came from; registering it again returns the earlier
    /// receipt.
    pub external_id: Option<String>,
    /// The Open311 key it came in with, if any.
    pub api_key_id: Option<i64>,
    /// Its search terms (title, text and address, segmented); stored with it.
    pub index_terms: Vec<String>,
    /// What its words and form signal (threats, a group); each that reaches the
    /// county's thresholds raises an alert in the same transaction. An appellant's
    /// repeats are found by the store.
    pub signals: Vec<minsheng_core::alerts::Signal>,
    /// The screened dispute it registers (矛盾纠纷转为诉求): marked as become this
    /// appeal in the same transaction, unless another appeal took it first.
    pub dispute: Option<i64>,
    /// The messages its arrival sets off (the receipt SMS, the notice of new work),
    /// put in the outbox in the same transaction. None for history brought in.
    pub effects: Vec<minsheng_core::workflow::Effect>,
}

/// One audited look at an appellant's personal data in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (their name).
    pub staff: String,
    /// Why, as they said.
    pub reason: String,
}

/// What an appeal is searched by: its title, text, address and replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSource {
    /// Database id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// What was said.
    pub text: String,
    /// Where exactly, if given.
    pub address: Option<String>,
    /// The public replies, oldest first.
    pub replies: Vec<String>,
}

impl IndexSource {
    /// Everything indexed, as one text.
    pub fn joined(&self) -> String {
        let mut all = format!("{}\n{}", self.title, self.text);
        for part in self.address.iter().chain(&self.replies) {
            all.push('\n');
            all.push_str(part);
        }
        all
    }
}

/// What the appellant is told after submitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Database id.
    pub id: i64,
    /// The number to read aloud.
    pub no: AppealNo,
    /// The public tracking code.
    pub tracking_code: TrackingCode,
}

/// What became of one registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Stored as a new appeal.
    Stored(Receipt),
    /// A repeated post of the same content with the same form key: the earlier receipt.
    Repeat(Receipt),
    /// The form key was already used for different content: nothing was stored.
    KeyReused,
    /// The screened dispute it registers is no longer open (another appeal took it,
    /// perhaps a moment earlier): nothing was stored.
    DisputeTaken,
}

impl Registered {
    /// The receipt, unless nothing was stored.
    pub fn receipt(&self) -> Option<&Receipt> {
        match self {
            Registered::Stored(r) | Registered::Repeat(r) => Some(r),
            Registered::KeyReused | Registered::DisputeTaken => None,
        }
    }
}

/// One row of a list: no personal data beyond masks.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealSummary {
    /// Database id.
    pub id: i64,
    /// Number.
    pub no: AppealNo,
    /// Title.
    pub title: String,
    /// Category code.
    pub category: String,
    /// Channel.
    pub channel: Channel,
    /// Kind.
    pub kind: AppealKind,
    /// Track.
    pub track: Track,
    /// Where it stands.
    pub status: State,
    /// Village or community.
    pub region_code: RegionCode,
    /// Handling unit.
    pub handler_unit_id: Option<i64>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// The soonest deadline the unit owes.
    pub due_at: Option<DateTime<Utc>>,
    /// When that deadline's clock started.
    pub clock_started_at: Option<DateTime<Utc>>,
    /// The soonest open supervision order's deadline.
    pub supervision_due: Option<DateTime<Utc>>,
    /// 积案
    pub backlog: bool,
    /// 难案
    pub hard: bool,
    /// Masked name (张**), if any.
    pub name_mask: Option<String>,
    /// Masked phone (138****1234), if any.
    pub phone_mask: Option<String>,
    /// People the appeal speaks for.
    pub headcount: i64,
    /// Its text, in a list searched by words (for the snippet); `None` otherwise.
    pub excerpt: Option<String>,
    /// `life` or `order` when its words threaten either.
    pub risk: Option<String>,
}

/// Everything about one appeal, for staff allowed to see it.
#[derive(Debug, Clone)]
pub struct AppealDetail {
    /// The staff member who registered it, if not the appellant.
    pub created_by: Option<i64>,
    /// Who saw the appellant's personal data in full, oldest first (internal).
    pub reveals: Vec<Reveal>,
    /// The list fields.
    pub summary: AppealSummary,
    /// Public tracking code.
    pub tracking_code: TrackingCode,
    /// Full text.
    pub text: String,
    /// Where exactly.
    pub address: Option<String>,
    /// The appellant, decrypted.
    pub appellant: Appellant,
    /// Full timeline.
    pub events: Vec<Event>,
    /// Labels.
    pub tags: Vec<String>,
    /// The facts its case is built from.
    pub facts: CaseFacts,
    /// Its decided steps, in order, to replay the case.
    pub history: Vec<Happened>,
    /// Number of events, against which the next step is stored.
    pub version: i64,
    /// Why it went to the unit it was routed to at registration (none for appeals
    /// stored before reasons were kept).
    pub routing_reason: Option<minsheng_core::routing::RoutingReason>,
    /// Where it happened (latitude, longitude), if known.
    pub location: Option<(f64, f64)>,
    /// Answers to the category's extra fields.
    pub answers: Vec<minsheng_core::category::Answer>,
    /// Its files, in the order given.
    pub attachments: Vec<AttachedFile>,
}

/// A file attached to an appeal, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    /// Its id (unique across appeals).
    pub id: i64,
    /// The appeal it belongs to.
    pub appeal_id: i64,
    /// Name, type, size and content hash.
    pub file: minsheng_core::appeal::Attachment,
}

/// An open case as the sweep reads it.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// The facts.
    pub facts: CaseFacts,
    /// Number of events when read; a refreshed outcome is saved only against it.
    pub version: i64,
    /// The decided steps.
    pub history: Vec<Happened>,
    /// What is stored now.
    pub stored: Outcome,
}

/// A recomputed outcome for the sweep to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// The appeal.
    pub id: i64,
    /// The version it was computed from.
    pub version: i64,
    /// What it comes to now.
    pub outcome: Outcome,
}

/// What anyone holding the tracking code may see.
#[derive(Debug, Clone)]
pub struct PublicView {
    /// Number.
    pub no: AppealNo,
    /// The case's version (a verdict given through the public link is stored against
    /// it).
    pub version: i64,
    /// Category code.
    pub category: String,
    /// Where it stands.
    pub status: State,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// The case's facts and decided steps, from which the deadline the public may see
    /// is derived; never shown as such (they include internal steps).
    pub facts: CaseFacts,
    /// The decided steps (see `facts`).
    pub history: Vec<Happened>,
    /// Public timeline entries only, built by [`Event::public_entry`].
    pub events: Vec<minsheng_core::appeal::PublicEntry>,
}

/// Which requests an Open311 client asks for; the publication rule comes in as the
/// kinds, track and categories that may be shown.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Only these numbers (none: any).
    pub numbers: Vec<AppealNo>,
    /// Received at or after this instant.
    pub received_from: Option<DateTime<Utc>>,
    /// Received at or before this instant.
    pub received_until: Option<DateTime<Utc>>,
    /// Only in these states (none: any).
    pub states: Vec<State>,
    /// Only of these kinds (the published ones).
    pub kinds: Vec<AppealKind>,
    /// Only on this track.
    pub track: Option<Track>,
    /// Only in these categories (the public ones, or those asked for among them).
    pub categories: Vec<String>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// An appeal as Open311 publishes it: nothing about who raised it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRequest {
    /// Number.
    pub no: AppealNo,
    /// Category code.
    pub category: String,
    /// Kind.
    pub kind: AppealKind,
    /// Track.
    pub track: Track,
    /// Where it stands.
    pub status: State,
    /// What was said (to be hidden of long numbers before it is shown).
    pub text: String,
    /// Where exactly, if given.
    pub address: Option<String>,
    /// Where it happened (latitude, longitude), if known.
    pub location: Option<(f64, f64)>,
    /// The unit handling it.
    pub handler_unit_id: Option<i64>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// The latest entry of its timeline.
    pub updated_at: DateTime<Utc>,
    /// The soonest deadline the unit owes.
    pub due_at: Option<DateTime<Utc>>,
    /// Its first image, if any (shown, without metadata, as the request's media).
    pub media_id: Option<i64>,
}

/// Inbox filters; all optional.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Only this status.
    pub status: Option<State>,
    /// Only open appeals due before this instant (the overdue list).
    pub due_before: Option<DateTime<Utc>>,
    /// Only appeals with an open supervision order, or gone up to their unit's head
    /// for want of an answer (the supervisors' list).
    pub supervised: bool,
    /// Only backlog (积案) or hard (难案) cases.
    pub flagged: bool,
    /// Only this category.
    pub category: Option<String>,
    /// Only within this township.
    pub township: Option<RegionCode>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Received at or after this instant.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before this instant.
    pub received_before: Option<DateTime<Utc>>,
    /// An appeal number, or part of one.
    pub number: Option<String>,
    /// Only these appeals (a selection of rows), if any are named.
    pub numbers: Vec<AppealNo>,
    /// Only appeals with this label.
    pub tag: Option<String>,
    /// Only the appeals this alert names.
    pub alert: Option<i64>,
    /// Only the appeals of this group of related appeals.
    pub cluster: Option<i64>,
    /// Only appeals this unit leads now.
    pub unit: Option<i64>,
    /// Only appeals whose words match, best match first (an empty query matches
    /// nothing).
    pub text: Option<minsheng_text::search::Query>,
    /// Only the open cases of this work queue, as the staff member with this id sees
    /// it (their own 包案 for a leader's).
    pub queue: Option<(minsheng_core::queue::Queue, i64)>,
}

/// Which appeals a list covers.
#[derive(Debug, Clone)]
pub enum ListScope {
    /// Those handled by one unit (an inbox).
    Unit(i64),
    /// Everything a staff member may see.
    Visible(Scope),
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows in all pages.
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
}

impl<T> Page<T> {
    /// Number of pages (at least 1).
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Counts for a quick overview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Regions of every level.
    pub regions: i64,
    /// Units.
    pub units: i64,
    /// Staff.
    pub staff: i64,
    /// Appeals.
    pub appeals: i64,
    /// Outbox messages not yet delivered.
    pub outbox_pending: i64,
}

/// Everything Minsheng keeps: one trait per aggregate, and `Store` for all of them. One
/// implementation per database; the application holds it as `Arc<dyn Store>`, on which
/// every aggregate's methods can be called.
pub trait Store:
    Directory
    + Sessions
    + ApiTokens
    + ApiKeys
    + Appeals
    + Cases
    + Analysis
    + Alerts
    + Meetings
    + Outreach
    + Outbox
    + Answers
    + AuditTrail
    + Figures
    + Send
    + Sync
{
}

impl<
    T: Directory
        + Sessions
        + ApiTokens
        + ApiKeys
        + Appeals
        + Cases
        + Analysis
        + Meetings
        + Outreach
        + Outbox
        + Answers
        + Alerts
        + AuditTrail
        + Figures
        + Send
        + Sync,
> Store for T
{
}

/// An appeal a unit handled to its end: what the routing model learns from.
#[derive(Debug, Clone)]
pub struct TrainingExample {
    /// Title.
    pub title: String,
    /// What was said.
    pub text: String,
    /// Its category.
    pub category: String,
    /// The unit that handled it.
    pub unit_id: Option<i64>,
    /// Where.
    pub region: RegionCode,
}

/// A model learnt from the county's history, serialised.
#[derive(Debug, Clone)]
pub struct StoredModel {
    /// Its name (`routing`).
    pub name: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// Appeals it learnt from.
    pub examples: i64,
    /// The model (JSON).
    pub data: String,
}

/// An early-warning alert as the board lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSummary {
    /// Id.
    pub id: i64,
    /// What raised it.
    pub rule: minsheng_core::alerts::AlertRule,
    /// How urgent.
    pub level: minsheng_core::alerts::AlertLevel,
    /// Where it stands.
    pub state: minsheng_core::alerts::AlertState,
    /// Why (the signal that raised it, or the latest that joined it).
    pub signal: minsheng_core::alerts::Signal,
    /// Where (the first appeal's place).
    pub region: RegionCode,
    /// Raised.
    pub raised_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The unit that took it.
    pub unit_id: Option<i64>,
    /// The leader in charge.
    pub leader_id: Option<i64>,
    /// How it ended.
    pub outcome: Option<String>,
    /// Appeals it names.
    pub members: i64,
}

/// Which alerts a board shows.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only this one.
    pub id: Option<i64>,
    /// Only those not resolved.
    pub active_only: bool,
    /// Only this rule's.
    pub rule: Option<minsheng_core::alerts::AlertRule>,
    /// Only this level.
    pub level: Option<minsheng_core::alerts::AlertLevel>,
    /// Only those naming this appeal.
    pub appeal_id: Option<i64>,
}

/// What the duty desk does with an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertChange {
    /// Take it: a unit handles it, a leader is in charge.
    Take {
        /// The unit.
        unit_id: Option<i64>,
        /// The leader.
        leader_id: Option<i64>,
    },
    /// Put it before a joint meeting.
    Escalate,
    /// It is over.
    Resolve {
        /// How it ended.
        outcome: String,
    },
}

/// Early-warning alerts.
#[async_trait]
pub trait Alerts: Send + Sync {
    /// Alerts naming an appeal the scope allows, most urgent and newest first.
    async fn alerts(
        &self,
        scope: &Scope,
        filter: &AlertFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AlertSummary>>;
    /// The appeals the given alerts name that the scope allows: (alert id, appeal id,
    /// appeal number), by alert and appeal.
    async fn alert_members(
        &self,
        alerts: &[i64],
        scope: &Scope,
    ) -> Result<Vec<(i64, i64, AppealNo)>>;
    /// Moves an alert on; a resolved alert stays resolved (NotFound). Audited.
    async fn change_alert(&self, id: i64, change: &AlertChange, actor: i64) -> Result<()>;
}

/// An appeal as the clustering reads it.
#[derive(Debug, Clone)]
pub struct ClusterSource {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// What was said.
    pub text: String,
    /// Category.
    pub category: String,
    /// Village or community.
    pub region: RegionCode,
    /// Where (latitude, longitude), if known.
    pub location: Option<(f64, f64)>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Its cluster, if placed.
    pub cluster_id: Option<i64>,
}

/// Where the clustering puts an appeal.
#[derive(Debug, Clone)]
pub struct ClusterPlacement {
    /// The appeal.
    pub appeal_id: i64,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its category (a new cluster takes it).
    pub category: String,
    /// Its region (a new cluster takes it).
    pub region: RegionCode,
    /// The cluster it joins: a stored one, or one this call starts (the same key
    /// within one call is the same new cluster).
    pub cluster: ClusterRef,
    /// Why it joined (JSON), if it did.
    pub evidence: Option<String>,
}

/// A cluster a placement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterRef {
    /// A stored cluster, by id.
    Stored(i64),
    /// A cluster started in this call, by a key of the caller's.
    New(u64),
}

/// How many appeals of a category came in from a township on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCount {
    /// The category's code.
    pub category: String,
    /// The township.
    pub township: RegionCode,
    /// The local day.
    pub day: chrono::NaiveDate,
    /// Appeals.
    pub count: u32,
}

/// A cluster as the appeal page shows it.
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Id.
    pub id: i64,
    /// Category of its first appeal.
    pub category: String,
    /// Region of its first appeal.
    pub region: RegionCode,
    /// Appeals in it.
    pub size: i64,
    /// The members the viewer may see, oldest first.
    pub members: Vec<ClusterMember>,
}

/// One appeal of a cluster.
#[derive(Debug, Clone)]
pub struct ClusterMember {
    /// Its id.
    pub appeal_id: i64,
    /// Its number.
    pub no: AppealNo,
    /// Its title.
    pub title: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Why it joined (JSON of the evidence), if it joined rather than started it.
    pub evidence: Option<String>,
}

/// What reading the appeals' text keeps.
#[async_trait]
pub trait Analysis: Send + Sync {
    /// Appeals received at or after `since`, oldest first, after (`received_at`, id)
    /// `after`, at most `limit`.
    async fn cluster_sources(
        &self,
        since: DateTime<Utc>,
        after: Option<(DateTime<Utc>, i64)>,
        limit: i64,
    ) -> Result<Vec<ClusterSource>>;
    /// Places appeals in clusters, in one transaction; a cluster that now holds
    /// `policy.cluster_size` appeals within `policy.cluster_hours` raises (or grows) a
    /// cluster alert. Returns each placement's cluster id, in order.
    async fn place_in_clusters(
        &self,
        placements: &[ClusterPlacement],
        policy: &minsheng_core::alerts::AlertPolicy,
    ) -> Result<Vec<i64>>;
    /// The cluster of an appeal, with the members the scope allows.
    async fn cluster_of(&self, appeal_id: i64, scope: &Scope) -> Result<Option<ClusterView>>;
    /// Appeals received in `from..to`, counted by category, township and day (China's
    /// local day).
    async fn daily_counts(&self, from: DateTime<Utc>, to: DateTime<Utc>)
    -> Result<Vec<DailyCount>>;
    /// Raises, or grows, the surge alert of `category` in `township` for the day
    /// `from..to` (one per pair and day), naming that day's appeals of the category in
    /// the township; audited. Returns the alert's id.
    async fn raise_surge(
        &self,
        category: &str,
        township: &RegionCode,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        raise: &minsheng_core::alerts::Raise,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    /// Drops every cluster (and the alerts they raised), to build them again; audited.
    async fn clear_clusters(&self) -> Result<()>;
    /// (appeal id, label) of every appeal with a label starting with `prefix`.
    async fn labelled_appeals(&self, prefix: &str) -> Result<Vec<(i64, String)>>;
    /// Appeals a unit handled to their end, newest first, at most `limit`.
    async fn training_examples(&self, limit: i64) -> Result<Vec<TrainingExample>>;
    /// How many appeals a unit has handled to their end.
    async fn settled_appeals(&self) -> Result<i64>;
    /// A stored model, by name.
    async fn model(&self, name: &str) -> Result<Option<StoredModel>>;
    /// Stores a model in place of the one of the same name; audited.
    async fn save_model(&self, model: &StoredModel) -> Result<()>;
}

/// A joint meeting (联席会议).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Database id.
    pub id: i64,
    /// Its name.
    pub title: String,
    /// The day it is held.
    pub held_on: chrono::NaiveDate,
    /// Who called it (staff id).
    pub convener_id: i64,
    /// Member units.
    pub members: Vec<i64>,
    /// Who came (as the minutes name them).
    pub attendance: String,
    /// The minutes.
    pub minutes: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its action items not done yet.
    pub open_actions: i64,
}

/// Something put before a meeting: an alert or a case, with a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItem {
    /// Database id.
    pub id: i64,
    /// The alert, if it is one.
    pub alert_id: Option<i64>,
    /// The case's number, if it is one.
    pub appeal_no: Option<AppealNo>,
    /// What is to be discussed.
    pub note: String,
}

/// An action item: a decision's owner unit, deadline and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    /// Database id.
    pub id: i64,
    /// The meeting that decided it.
    pub meeting_id: i64,
    /// That meeting's name.
    pub meeting_title: String,
    /// What is to be done.
    pub decision: String,
    /// The unit that does it.
    pub owner_unit_id: i64,
    /// By when.
    pub due_at: DateTime<Utc>,
    /// Open or done.
    pub state: minsheng_core::meeting::ActionState,
    /// What was done, once done.
    pub result: Option<String>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A meeting with its agenda and action items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingDetail {
    /// The meeting.
    pub meeting: Meeting,
    /// Its agenda, in the order added.
    pub agenda: Vec<AgendaItem>,
    /// Its action items, in the order decided.
    pub actions: Vec<ActionItem>,
}

/// Joint meetings, their agendas, minutes and action items; every change audited.
#[async_trait]
pub trait Meetings: Send + Sync {
    /// Records a meeting called by `convener`; returns its id.
    async fn create_meeting(
        &self,
        meeting: &minsheng_core::meeting::NewMeeting,
        convener: i64,
    ) -> Result<i64>;
    /// Meetings, the latest first; with `(unit, staff)`, only those the unit is a member
    /// of or owns an action item of, and those the staff member called.
    async fn meetings(
        &self,
        viewer: Option<(i64, i64)>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Meeting>>;
    /// One meeting in full.
    async fn meeting(&self, id: i64) -> Result<MeetingDetail>;
    /// Puts an alert (which then stands escalated, if active) or a case before the
    /// meeting.
    async fn add_agenda(
        &self,
        meeting: i64,
        alert: Option<i64>,
        appeal: Option<i64>,
        note: &str,
        actor: i64,
    ) -> Result<()>;
    /// Records who came and the minutes.
    async fn record_minutes(
        &self,
        meeting: i64,
        attendance: &str,
        minutes: &str,
        actor: i64,
    ) -> Result<()>;
    /// Records a decision's action item; returns its id.
    async fn add_action(
        &self,
        meeting: i64,
        action: &minsheng_core::meeting::NewAction,
        actor: i64,
    ) -> Result<i64>;
    /// Closes an open action item with its result (`NotFound` if it is not open).
    async fn close_action(&self, action: i64, result: &str, actor: i64) -> Result<()>;
    /// One action item.
    async fn action(&self, id: i64) -> Result<ActionItem>;
    /// Open action items past their deadline at `now`, the most overdue first; with
    /// `unit`, only its own.
    async fn overdue_actions(
        &self,
        now: DateTime<Utc>,
        unit: Option<i64>,
    ) -> Result<Vec<ActionItem>>;
}

/// Regions, units, categories and staff: the county's organisation.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Answers when the database answers.
    async fn ping(&self) -> Result<()>;
    /// A number every change to regions, units, categories, routing rules or calendars
    /// raises (in the change's transaction): what was read at one version is still
    /// true while the number stays.
    async fn directory_version(&self) -> Result<i64>;
    /// How much is stored.
    async fn counts(&self) -> Result<Counts>;
    /// Adds regions; parents must come before children.
    async fn insert_regions(&self, regions: &[Region]) -> Result<()>;
    /// Every region, retired or not, with its centroid.
    async fn regions(&self) -> Result<Vec<KnownRegion>>;
    /// Carries out a region import (new regions, renames, coordinates) and creates the
    /// units given (the new townships' governments), in one transaction, audited.
    async fn apply_regions(
        &self,
        plan: &RegionPlan,
        units: &[NewUnit],
        actor: Option<i64>,
    ) -> Result<()>;
    /// Retires a region and everything under it (it keeps its history but takes no new
    /// appeals), or brings it back, audited; returns how many appeals there are still
    /// open in it (they go on as before).
    async fn set_region_retired(
        &self,
        code: &RegionCode,
        retired: bool,
        actor: Option<i64>,
    ) -> Result<i64>;
    /// Holiday calendar files uploaded in the console, oldest first.
    async fn calendar_files(&self) -> Result<Vec<String>>;
    /// Stores an uploaded (already checked) calendar file, audited.
    async fn add_calendar_file(&self, text: &str, actor: Option<i64>) -> Result<()>;
    /// The county (root region), if set up.
    async fn county(&self) -> Result<Option<Region>>;
    /// Direct children of a region that are not retired, by code.
    async fn children(&self, parent: &RegionCode) -> Result<Vec<Region>>;
    /// All villages and communities that are not retired, by code.
    async fn villages(&self) -> Result<Vec<Region>>;
    /// Saves units by key (new keys created, stored ones changed), audited, in one
    /// transaction; parents must come before children.
    async fn save_units(&self, units: &[NewUnit], actor: Option<i64>) -> Result<Vec<Unit>>;
    /// All units, by id.
    async fn units(&self) -> Result<Vec<Unit>>;
    /// One unit.
    async fn unit(&self, id: i64) -> Result<Unit>;
    /// Saves categories by code, audited: new ones go last in the given order, stored
    /// ones keep their place.
    async fn save_categories(&self, categories: &[Category], actor: Option<i64>) -> Result<()>;
    /// All categories in display order.
    async fn categories(&self) -> Result<Vec<Category>>;
    /// Every routing rule, oldest first.
    async fn routing_rules(&self) -> Result<Vec<RoutingRule>>;
    /// Stores a routing rule (its `id` is ignored) made by `actor`; returns its id.
    async fn add_routing_rule(&self, rule: &RoutingRule, actor: Option<i64>) -> Result<i64>;
    /// Removes a routing rule (appeals already routed keep their reason).
    async fn remove_routing_rule(&self, id: i64, actor: Option<i64>) -> Result<()>;
    /// Adds a staff member (created by `actor`); a taken login name is a `Conflict`.
    async fn create_staff(&self, staff: &NewStaff, actor: Option<i64>) -> Result<i64>;
    /// An active staff member and their password hash, by login name.
    async fn staff_by_username(&self, username: &str) -> Result<Option<(Staff, String)>>;
    /// Staff accounts, by login name, at most 1,000.
    async fn staff_members(&self, filter: &StaffFilter) -> Result<Vec<StaffMember>>;
    /// Changes a staff member's name, unit and roles, audited.
    async fn update_staff(&self, change: &StaffChange, actor: Option<i64>) -> Result<()>;
    /// Activates or deactivates an account; deactivating ends its sessions at once.
    async fn set_staff_active(&self, id: i64, active: bool, actor: Option<i64>) -> Result<()>;
    /// Sets a password hash (`must_change` for a one-time password) and ends every
    /// session of the account but `keep_session` (a token hash), audited.
    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        actor: Option<i64>,
    ) -> Result<()>;
}

/// Staff sessions, kept in the database so any node can serve any request.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Stores a session for `staff_id` under the hash of its token.
    async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The staff member of a session that has neither expired nor been idle since
    /// `idle_cutoff`; its last use becomes `now` (written at most once a minute).
    async fn session_staff(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> Result<Option<Staff>>;
    /// Ends every session of a staff member but `keep` (a token hash), audited with
    /// `actor`; returns how many ended.
    async fn end_sessions(
        &self,
        staff_id: i64,
        keep: Option<&str>,
        actor: Option<i64>,
    ) -> Result<u64>;
    /// Deletes sessions expired at `now` or idle since `idle_cutoff`, and sign-in
    /// failures older than `failures_before`; returns how many sessions went.
    async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<u64>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Failed sign-ins so far under each key: (key, failures, last failure).
    async fn login_failures(&self, keys: &[String]) -> Result<Vec<(String, i64, DateTime<Utc>)>>;
    /// Counts one more failed sign-in under each key.
    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>) -> Result<()>;
    /// Forgets the failures under a key (after a successful sign-in).
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
}

/// A batch of registrations whose rows are built (personal data sealed, masks, blind
/// indexes and hashes computed) but not yet numbered or written; see
/// [`Appeals::seal_registrations`].
pub struct SealedBatch(sql::Sealed);

impl SealedBatch {
    /// How many registrations it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The registrations it was sealed from (to seal them again for a retry).
    pub fn registrations(&self) -> &[Registration] {
        self.0.registrations()
    }

    /// One batch of all of these, in order: written in one transaction, its answers
    /// come back in the same order.
    pub fn merge(batches: Vec<SealedBatch>) -> SealedBatch {
        SealedBatch(sql::Sealed::merge(
            batches.into_iter().map(|b| b.0).collect(),
        ))
    }
}

/// Appeals: registering (numbering, encrypting, auditing), lists and reading.
#[async_trait]
pub trait Appeals: Send + Sync {
    /// Numbers, encrypts and stores appeals with their first events and audit records,
    /// all in one transaction. A repeated submission key with the same content returns
    /// the earlier receipt; with other content nothing is stored for that row.
    async fn register_appeals(&self, registrations: &[Registration]) -> Result<Vec<Registered>>;
    /// Replaces the search terms of appeals (after a reply; when indexing older ones).
    async fn index_appeals(&self, rows: &[(i64, Vec<String>)]) -> Result<()>;
    /// Up to `limit` appeals with an id above `after` that have no search terms yet,
    /// by id, with what they are searched by.
    async fn unindexed_appeals(&self, after: i64, limit: i64) -> Result<Vec<IndexSource>>;
    /// What one appeal is searched by.
    async fn index_source(&self, id: i64) -> Result<IndexSource>;
    /// Empties the search index (to build it again).
    async fn clear_search_index(&self) -> Result<()>;
    /// The first half of [`Appeals::register_appeals`] for bulk work: builds a batch's
    /// rows outside any transaction (CPU only), so the next batch can be built while the
    /// store writes this one with [`Appeals::write_registrations`].
    fn seal_registrations(&self, registrations: Vec<Registration>) -> Result<SealedBatch>;
    /// The second half: numbers and writes a sealed batch in one transaction, as
    /// [`Appeals::register_appeals`] does.
    async fn write_registrations(&self, batch: SealedBatch) -> Result<Vec<Registered>>;
    /// Which of these external ids are already stored (an import run again or resumed
    /// skips them before doing any work).
    async fn known_external_ids(&self, ids: &[String]) -> Result<Vec<String>>;
    /// A list page, sorted by due time then received time.
    async fn list_appeals(
        &self,
        scope: &ListScope,
        filter: &InboxFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AppealSummary>>;
    /// One appeal in full, decrypted, if `scope` allows it (else `NotFound`, and
    /// nothing is decrypted).
    async fn appeal(&self, no: &AppealNo, scope: &Scope) -> Result<AppealDetail>;
    /// The public view by tracking code.
    async fn public_view(&self, code: &TrackingCode) -> Result<PublicView>;
    /// Earlier cases of the same appellant (by phone) in the same category that ended
    /// after re-review (Final): the same matter is not accepted again.
    async fn final_precedents(&self, appeal_id: i64) -> Result<Vec<AppealNo>>;
    /// Appeals as Open311 publishes them, newest first.
    async fn published_requests(&self, query: &RequestQuery) -> Result<Vec<PublishedRequest>>;
    /// One attached file by its id.
    async fn attached_file(&self, id: i64) -> Result<AttachedFile>;
    /// Which of these file hashes some appeal's attachment names.
    async fn known_file_hashes(&self, hashes: &[String]) -> Result<Vec<String>>;
    /// Records that `actor` saw an appeal's personal data in full, and why (an audit
    /// record only: nothing else changes).
    async fn record_reveal(&self, appeal_id: i64, actor: i64, reason: &str) -> Result<()>;

    /// Puts a label on an appeal, audited; `false` if it already had it.
    async fn add_label(&self, appeal_id: i64, label: &str, actor: i64) -> Result<bool>;
    /// Records that `actor` exported a list (`what`: its filters, and how many rows
    /// went out); an audit record only.
    async fn record_export(&self, actor: i64, what: serde_json::Value) -> Result<()>;
    /// Takes a unit off an appeal's accused units (a recusal lifted), with the reason;
    /// audited in the same transaction.
    async fn lift_accusation(
        &self,
        appeal_id: i64,
        unit: i64,
        actor: i64,
        reason: &str,
    ) -> Result<()>;
    /// Earlier appeals from a phone number, newest first, within a scope.
    async fn appeals_by_phone(
        &self,
        phone: &minsheng_core::Phone,
        scope: &Scope,
    ) -> Result<Vec<AppealSummary>>;
}

/// A staff API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Database id.
    pub id: i64,
    /// Whose: the token acts as this staff member.
    pub staff_id: i64,
    /// Their login name.
    pub username: String,
    /// What it is for, e.g. "12345 热线对接".
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token to store: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// Whose.
    pub staff_id: i64,
    /// What it is for.
    pub name: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Its first characters.
    pub prefix: String,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Staff API tokens, kept hashed.
#[async_trait]
pub trait ApiTokens: Send + Sync {
    /// Stores a token, audited with `actor`; returns its id.
    async fn create_api_token(&self, token: &NewApiToken, actor: Option<i64>) -> Result<i64>;
    /// The active staff member of a token that is neither revoked nor expired at
    /// `now`; its last use becomes `now` (written at most once a minute).
    async fn api_token_staff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Staff>>;
    /// Tokens, newest first: of one staff member, or all.
    async fn api_tokens(&self, staff_id: Option<i64>) -> Result<Vec<ApiToken>>;
    /// One token by id.
    async fn api_token(&self, id: i64) -> Result<ApiToken>;
    /// Revokes a token (once; revoking again changes nothing), audited with `actor`.
    async fn revoke_api_token(&self, id: i64, actor: Option<i64>) -> Result<()>;
}

/// An Open311 API key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Database id.
    pub id: i64,
    /// Whose: the app or platform it was given to.
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Open311 API keys, kept hashed.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// Stores a key (its name, SHA-256 and first characters), audited with `actor`;
    /// returns its id.
    async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        prefix: &str,
        actor: Option<i64>,
    ) -> Result<i64>;
    /// The key with this hash if it is not revoked; its last use becomes `now`
    /// (written at most once a minute).
    async fn api_key_by_hash(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>>;
    /// Every key, newest first.
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key (once; again changes nothing), audited with `actor`.
    async fn revoke_api_key(&self, id: i64, actor: Option<i64>) -> Result<()>;
}

/// The workflow: storing decided steps with their outbox messages, and the sweep.
#[async_trait]
pub trait Cases: Send + Sync {
    /// Stores one decided step with what it comes to and the messages its effects ask
    /// for (into the outbox), in one transaction with its audit record. `version` is
    /// the number of events the step was decided on; if another step landed meanwhile
    /// the store refuses with `Conflict`.
    async fn record_step(
        &self,
        appeal_id: i64,
        version: i64,
        step: &Happened,
        outcome: &Outcome,
        effects: &[Effect],
        adds: &StepAdds,
    ) -> Result<()>;
    /// Open cases with ids in `after < id <= up_to`, in id order, at most `limit`.
    async fn open_cases(&self, after: i64, up_to: i64, limit: i64) -> Result<Vec<OpenCase>>;
    /// The highest appeal id (0 when there is none), to split work into id ranges.
    async fn max_appeal_id(&self) -> Result<i64>;
    /// Saves recomputed outcomes (the nightly sweep): a derived cache, not a state
    /// change, so no audit record. Each is saved only if the case's version is still
    /// the one it was computed from, so a sweep never overwrites a step that landed
    /// meanwhile. Returns how many rows changed.
    async fn save_outcomes(&self, outcomes: &[Refresh]) -> Result<u64>;
}

/// What a step adds besides its event, in the same transaction: its tallies to the
/// figures, and labels on the case (signs of a false closure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepAdds {
    /// Added to the figures (see `minsheng_core::kpi::of_step`).
    pub tallies: Vec<Tally>,
    /// Put on the case, once each.
    pub tags: Vec<String>,
    /// Taken off the case (a contest ruled on is no longer pending).
    pub untags: Vec<String>,
    /// The reply's print (`minsheng_core::closure::reply_print`), if the step is a
    /// reply long enough to judge: the case is marked `sign:copied-reply` when another
    /// case's reply has the same print.
    pub reply_print: Option<String>,
}

/// One cell of the monthly figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCell {
    /// The first day of the month.
    pub month: NaiveDate,
    /// The township code.
    pub township: String,
    /// The category code.
    pub category: String,
    /// The unit answerable (0: none).
    pub unit: i64,
    /// The cadre credited (0: nobody in particular).
    pub staff: i64,
    /// The sums.
    pub sums: Sums,
}

/// A unit's open cases now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLoad {
    /// The lead unit (None: not yet placed).
    pub unit: Option<i64>,
    /// Open cases.
    pub open: i64,
    /// Of them, past their deadline.
    pub overdue: i64,
    /// Of them, in the backlog (积案).
    pub backlog: i64,
    /// Of them, hard cases (难案).
    pub hard: i64,
}

/// A group of related appeals, by size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSize {
    /// Its id.
    pub id: i64,
    /// Category of its first appeal.
    pub category: String,
    /// Region of its first appeal.
    pub region: String,
    /// Appeals in it.
    pub size: i64,
    /// When it last grew.
    pub updated_at: DateTime<Utc>,
}

/// What a rebuild of the figures found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiRebuild {
    /// Cases replayed.
    pub cases: u64,
    /// Cells the events make (months and days).
    pub cells: u64,
    /// Cells whose stored sums differed from the recomputed ones (missing, extra or
    /// unequal): 0 when the kept sums were exact.
    pub differing: u64,
    /// Whether the recomputed sums were written.
    pub written: bool,
}

/// Recomputes the figures of one case from its history (the core's `kpi::of_history`,
/// with the county's policy and calendar).
pub type TallyCase = dyn Fn(&OpenCase) -> Vec<Tally> + Send + Sync;

/// The figures leaders read: sums kept with every step (see `minsheng_core::kpi`).
#[async_trait]
pub trait Figures: Send + Sync {
    /// The monthly cells of months `from..until` (first days of months), in one
    /// township if given.
    async fn month_cells(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        township: Option<&str>,
    ) -> Result<Vec<MonthCell>>;
    /// The daily sums of days `from..until` over all townships, or in one.
    async fn day_sums(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        township: Option<&str>,
    ) -> Result<Vec<(NaiveDate, Sums)>>;
    /// Open cases now, per lead unit, of those `scope` may see (in one township if
    /// given): how many, how many overdue at `now`, in the backlog, hard.
    async fn open_load(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenLoad>>;
    /// The largest groups of related appeals active in `from..until` within `scope`
    /// (and the township if given), largest first.
    async fn largest_clusters(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClusterSize>>;
    /// How many appeals `scope` may see (in the township if given) carry each label
    /// starting with `prefix`.
    async fn tag_counts(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        prefix: &str,
    ) -> Result<Vec<(String, i64)>>;
    /// Whether the sums cover every event (false after an upgrade from before they
    /// were kept, until the first rebuild).
    async fn kpi_built(&self) -> Result<bool>;
    /// Recomputes every sum from the events with `tally` and compares it with what is
    /// kept; writes the recomputed sums if `write`. Other writers wait meanwhile.
    async fn rebuild_kpi(&self, tally: &TallyCase, write: bool) -> Result<KpiRebuild>;
}

/// The audit chain.
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Walks the audit chain from the start.
    async fn verify_audit(&self) -> Result<AuditReport>;
    /// The chain's head: the last record's number and hash.
    async fn audit_head(&self) -> Result<(i64, String)>;
    /// Writes a consistent copy of the whole database to a new file while it serves
    /// (SQLite's `VACUUM INTO`, one read transaction), then checks the copy's
    /// integrity. PostgreSQL is backed up with its own tools (pg_dump): refused.
    async fn backup_to(&self, path: &std::path::Path) -> Result<BackupInfo>;
}

/// What a backup copy holds, read from the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// Appeals in it.
    pub appeals: i64,
    /// Its audit chain's head: last record number and hash.
    pub audit_head: (i64, String),
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`), creating a SQLite
/// file on first use, and applies migrations.
pub async fn open(url: &str, keyring: Keyring) -> Result<Arc<dyn Store>> {
    sql::open(url, keyring).await
}

/// Stores a county with the shipped template's county-level units (their jurisdiction
/// is the county) and categories; returns the template.
pub async fn county_with_template(
    store: &dyn Store,
    county: &Region,
) -> Result<minsheng_core::category::CountyTemplate> {
    let template: minsheng_core::category::CountyTemplate =
        serde_json::from_str(minsheng_core::category::DEFAULT_TEMPLATE_JSON)
            .map_err(StoreError::other)?;
    store.insert_regions(std::slice::from_ref(county)).await?;
    let units: Vec<NewUnit> = template
        .units
        .iter()
        .map(|u| NewUnit {
            key: u.key.clone(),
            name: u.name.clone(),
            kind: u.kind(),
            parent_key: None,
            jurisdiction: vec![county.code.clone()],
            contact_phone: None,
        })
        .collect();
    store.save_units(&units, None).await?;
    store.save_categories(&template.categories, None).await?;
    Ok(template)
}
