//! The SQL behind [`Store`], for SQLite and PostgreSQL at once: this module holds what
//! every aggregate shares (pools, the write transaction, the audit-chain macros, the
//! filter builder, row types); one file per aggregate implements its trait.
//!
//! Every query is written once, in SQL both engines accept (`$n` placeholders, which
//! sqlx's SQLite driver also binds, `RETURNING`, `ON CONFLICT`). The `with_db!` macro
//! expands a method body once per backend so the same text runs on each pool; only
//! connecting, migrating and beginning a write transaction differ.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::SubsecRound;
use chrono::{DateTime, Datelike, Utc};
use minsheng_core::appeal::{Event, Step};
use minsheng_core::appellant::{Appellant, IdNumber, Phone};
use minsheng_core::category::Category;
use minsheng_core::closure::{CAME_BACK_DAYS, Sign};
use minsheng_core::mask;
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::region_import::{KnownRegion, RegionPlan};
use minsheng_core::routing::RoutingRule;
use minsheng_core::staff::{Role, Scope, Staff};
use minsheng_core::unit::{NewUnit, Unit, UnitKind};
use minsheng_core::workflow::{CaseFacts, Command, Effect, Happened, Outcome, State, Track};
use minsheng_core::{AppealKind, AppealNo, Channel, TrackingCode};
use rand::RngCore;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, Pool, Postgres, Row as _, Sqlite, Transaction};

use crate::audit::{self, AuditEntry, AuditReport, DataBut, StoredAudit};
use crate::crypto::Keyring;
use crate::{
    AppealDetail, AppealSummary, Counts, InboxFilter, IndexSource, ListScope, NewStaff, OpenCase,
    Page, PublicView, PublishedRequest, Receipt, Refresh, Registered, Registration, RequestQuery,
    Result, StaffChange, StaffFilter, StaffMember, Store, StoreError,
};

enum Db {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

pub(crate) struct SqlStore {
    db: Db,
    keys: Keyring,
    directory: DirectorySeen,
    tokens: TokenCache,
}

/// How long a bearer token's check is believed without asking the database again,
/// unless this process changed a token or an account meanwhile: a revocation on
/// another node takes effect within this time, on this node at once.
const TOKEN_FRESH: Duration = Duration::from_secs(1);

/// A bearer token checked lately: when, `TokenCache::changes` then, valid until,
/// whose.
type Checked = (std::time::Instant, u64, DateTime<Utc>, Staff);

/// Bearer tokens checked lately, by token hash.
#[derive(Default)]
struct TokenCache {
    /// Raised after each change to a token or an account this process commits.
    changes: std::sync::atomic::AtomicU64,
    checked: std::sync::Mutex<HashMap<String, Checked>>,
}

/// Commits a change to tokens or accounts and forgets the tokens checked so far.
macro_rules! commit_access {
    ($self:ident, $tx:ident, $chain:ident) => {{
        commit_chain!($tx, $chain);
        $self
            .tokens
            .changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }};
}

/// How long a directory version read from the database is believed without asking
/// again, unless this process changed the directory meanwhile: another node's change
/// is seen within this time, this node's at once.
const DIRECTORY_FRESH: Duration = Duration::from_millis(250);

/// The directory version last read, and this process's directory changes since start.
#[derive(Default)]
struct DirectorySeen {
    /// Raised after each directory change this process commits.
    local_changes: std::sync::atomic::AtomicU64,
    /// (when read, the version read, `local_changes` when read).
    last: std::sync::Mutex<Option<(std::time::Instant, i64, u64)>>,
}

/// Runs `$body` with `$p` bound to whichever pool this store has.
macro_rules! with_db {
    ($self:ident, $p:ident => $body:expr) => {
        match &$self.db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so a transaction that reads
/// before it writes never fails to upgrade its lock; a plain `BEGIN` on PostgreSQL.
trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>>;
}

impl BeginWrite for Pool<Sqlite> {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for Pool<Postgres> {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.begin().await?;
        // Every write ends by appending to the audit chain; taking its head first gives
        // all writers one lock order, so two writers can never deadlock.
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Records the last use of a session, token or key, to the minute: written only when
/// the stored one (`$last`, an `Option`) is a minute old, so a request is not a write
/// that would queue behind the one writer.
macro_rules! touch_last_use {
    ($p:ident, $table:literal, $column:literal, $key:literal, $key_value:expr, $last:expr, $now:expr) => {{
        let stale = $now - chrono::Duration::minutes(1);
        if $last.is_none_or(|u: DateTime<Utc>| u < stale) {
            sqlx::query(concat!(
                "UPDATE ",
                $table,
                " SET ",
                $column,
                " = $1 WHERE ",
                $key,
                " = $2 AND (",
                $column,
                " IS NULL OR ",
                $column,
                " < $3)"
            ))
            .bind($now)
            .bind($key_value)
            .bind(stale)
            .execute($p)
            .await?;
        }
    }};
}

/// Raises the directory's version inside the open transaction `$tx` (see
/// [`crate::Directory::directory_version`]).
macro_rules! bump_directory {
    ($tx:ident) => {{
        sqlx::query("UPDATE directory_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Commits a directory change (see [`bump_directory`]) and tells this process's
/// readers of the version at once.
macro_rules! commit_directory {
    ($self:ident, $tx:ident, $chain:ident) => {{
        commit_chain!($tx, $chain);
        $self
            .directory
            .local_changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }};
}

/// Appends one record to the audit chain inside the open transaction `$tx`.
macro_rules! append_audit {
    ($tx:ident, $chain:ident, $at:expr, $actor:expr, $action:expr, $appeal:expr, $data:expr) => {{
        let audit = $chain.record($at, $actor, String::from($action), $appeal, $data);
        insert_rows!($tx, AUDIT_INSERT, vec![audit.into_args()]);
    }};
}

/// The head of the audit chain as a write transaction moves it: read once when the
/// transaction starts (under its write lock), stored once before it commits.
struct Chain {
    seq: i64,
    hash: String,
}

/// An audit record computed ahead of a multi-row insert.
struct AuditRowOut {
    /// The record but its data (left `Null`).
    entry: AuditEntry,
    /// The record's data as compact JSON, written once for the hash and the row.
    data: String,
    prev_hash: String,
    hash: String,
}

impl Chain {
    /// The next record of the chain, hashed; the chain's head moves to it.
    fn record(
        &mut self,
        at: DateTime<Utc>,
        actor_id: Option<i64>,
        action: String,
        appeal_id: Option<i64>,
        data: serde_json::Value,
    ) -> AuditRowOut {
        self.record_text(at, actor_id, action, appeal_id, data.to_string())
    }

    /// [`Chain::record`] with the data already written as compact JSON, keys sorted.
    fn record_text(
        &mut self,
        at: DateTime<Utc>,
        actor_id: Option<i64>,
        action: String,
        appeal_id: Option<i64>,
        data: String,
    ) -> AuditRowOut {
        let entry = AuditEntry {
            seq: self.seq + 1,
            at,
            actor_id,
            action,
            appeal_id,
            // The record carries its data as text (`AuditRowOut::data`) only.
            data: serde_json::Value::Null,
        };
        let hash = entry.hash_with(&self.hash, &data);
        let prev_hash = std::mem::replace(&mut self.hash, hash.clone());
        self.seq = entry.seq;
        AuditRowOut {
            entry,
            data,
            prev_hash,
            hash,
        }
    }
}

impl AuditRowOut {
    fn into_args(self) -> Vec<Arg> {
        let e = self.entry;
        vec![
            Arg::Int(e.seq),
            Arg::Time(e.at),
            Arg::OptInt(e.actor_id),
            Arg::Text(e.action),
            Arg::OptInt(e.appeal_id),
            Arg::Text(self.data),
            Arg::Text(self.prev_hash),
            Arg::Text(self.hash),
        ]
    }
}

const AUDIT_INSERT: &str =
    "INSERT INTO audit_log (seq, at, actor_id, action, appeal_id, data, prev_hash, hash)";

/// A timeline entry to store, and the data of its audit record.
struct NewEvent {
    appeal_id: i64,
    at: DateTime<Utc>,
    kind: &'static str,
    actor: Option<i64>,
    unit: Option<i64>,
    note: Option<String>,
    data: Option<String>,
    public: bool,
    audit: serde_json::Value,
}

const EVENT_INSERT: &str =
    "INSERT INTO appeal_events (appeal_id, at, kind, actor_id, unit_id, note, data, public)";

impl NewEvent {
    /// The entry for `step` of appeal `appeal_id`, which leaves the case at `outcome`.
    fn new(
        appeal_id: i64,
        at: DateTime<Utc>,
        actor: Option<i64>,
        step: &Step,
        unit: Option<i64>,
        outcome: &Outcome,
    ) -> Result<NewEvent> {
        let (value, note) = match step {
            Step::Registered => (None, None),
            Step::Act(c) => (
                Some(serde_json::to_value(c).map_err(StoreError::other)?),
                c.note().map(str::to_owned),
            ),
        };
        let data = value.as_ref().map(serde_json::Value::to_string);
        let audit = json!({
            "at": at.to_rfc3339(),
            "step": value,
            "unit_id": unit,
            "state": outcome.state.code(),
            "lead": outcome.lead,
            "due_at": outcome.due_at.map(|d| d.to_rfc3339()),
        });
        Ok(NewEvent {
            appeal_id,
            at,
            kind: step.code(),
            actor,
            unit,
            note,
            data,
            public: step.is_public(),
            audit,
        })
    }

    fn into_args(self) -> Vec<Arg> {
        vec![
            Arg::Int(self.appeal_id),
            Arg::Time(self.at),
            Arg::Text(self.kind.to_owned()),
            Arg::OptInt(self.actor),
            Arg::OptInt(self.unit),
            Arg::OptText(self.note),
            Arg::OptText(self.data),
            Arg::Bool(self.public),
        ]
    }

    /// Its audit record, next in `chain` (the audit data moves into it).
    fn audit(&mut self, chain: &mut Chain) -> AuditRowOut {
        chain.record(
            crate::now(),
            self.actor,
            format!("appeal.{}", self.kind),
            Some(self.appeal_id),
            std::mem::take(&mut self.audit),
        )
    }
}

/// How each engine takes the placeholders of a long statement. SQLite accepts `$n`
/// and `?n`, but as *named* parameters, and the driver asks each one's name, which
/// SQLite finds by a linear walk: a statement with thousands of them binds in
/// quadratic time. Plain `?` (in order) has no name.
trait Marks {
    const NUMBERED: bool;
}

impl Marks for Sqlite {
    const NUMBERED: bool = false;
}

impl Marks for Postgres {
    const NUMBERED: bool = true;
}

/// Whether the engine of an open transaction takes numbered (`$n`) placeholders.
fn numbered<DB: sqlx::Database + Marks>(_: &Transaction<'_, DB>) -> bool {
    DB::NUMBERED
}

/// Whether the engine of a pool takes numbered (`$n`) placeholders.
fn numbered_pool<DB: sqlx::Database + Marks>(_: &Pool<DB>) -> bool {
    DB::NUMBERED
}

/// `IN (…)` over the one parameter of a statement, bound to a JSON array of strings: a
/// lookup of thousands of keys is one short statement on either engine. On PostgreSQL
/// it is `= ANY(ARRAY(…))`: the list is read first and the column's index is used even
/// when the index is not unique (an `IN (SELECT …)` there became a hash join over a
/// scan of the whole table).
fn in_json_list(numbered: bool) -> String {
    in_json_list_at(numbered, "$1")
}

/// [`in_json_list`] over the parameter `p` (`$n`) of a longer statement.
fn in_json_list_at(numbered: bool, p: &str) -> String {
    if numbered {
        format!("= ANY(ARRAY(SELECT jsonb_array_elements_text({p}::jsonb)))")
    } else {
        format!("IN (SELECT value FROM json_each({p}))")
    }
}

/// `INSERT … VALUES ($1, …), (…), …` (or `(?, …)`) for `rows` rows of `cols` values,
/// then `tail`.
fn values_sql(numbered: bool, head: &str, cols: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + rows * cols * 6 + tail.len() + 16);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&(r * cols + c + 1).to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Rows per multi-row statement: under both engines' limits on bound values.
fn rows_per_statement(cols: usize) -> usize {
    (30_000 / cols.max(1)).clamp(1, 500)
}

/// Inserts `$rows` (each a `Vec<Arg>` of the same length) many to a statement in the
/// open transaction `$tx`; `$head` is `INSERT INTO t (a, b, …)`.
macro_rules! insert_rows {
    ($tx:ident, $head:expr, $rows:expr) => {
        insert_rows!($tx, $head, $rows, "")
    };
    ($tx:ident, $head:expr, $rows:expr, $tail:expr) => {{
        let rows: Vec<Vec<Arg>> = $rows;
        if let Some(cols) = rows.first().map(Vec::len) {
            let per_statement = rows_per_statement(cols);
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
                let sql = values_sql(numbered(&$tx), $head, cols, chunk.len(), $tail);
                bind_args!(sqlx::query(&sql), chunk.into_iter().flatten())
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

/// Adds tallies to the figures in the open transaction `$tx` (see `kpi.rs`).
macro_rules! add_tallies {
    ($tx:ident, $tallies:expr) => {{
        let (months, days) = kpi::rows($tallies);
        insert_rows!(
            $tx,
            kpi::MONTHS_INSERT.as_str(),
            months,
            kpi::MONTHS_ADD.as_str()
        );
        insert_rows!($tx, kpi::DAYS_INSERT.as_str(), days, kpi::DAYS_ADD.as_str());
    }};
}

/// Reads the chain's head inside the open transaction `$tx`.
macro_rules! open_chain {
    ($tx:ident) => {{
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *$tx)
                .await?;
        Chain { seq, hash }
    }};
}

/// Stores the chain's new head and commits `$tx`.
macro_rules! commit_chain {
    ($tx:ident, $chain:ident) => {{
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind($chain.seq)
            .bind(&$chain.hash)
            .execute(&mut *$tx)
            .await?;
        $tx.commit().await?;
    }};
}

/// Stores one timeline entry in the open transaction `$tx` with its audit record: the
/// registration itself, or a decided workflow command.
macro_rules! insert_step {
    ($tx:ident, $chain:ident, $appeal:expr, $at:expr, $actor:expr, $step:expr, $unit:expr, $outcome:expr) => {{
        let mut event = NewEvent::new($appeal, $at, $actor, $step, $unit, $outcome)?;
        let audit = event.audit(&mut $chain);
        insert_rows!($tx, EVENT_INSERT, vec![event.into_args()]);
        insert_rows!($tx, AUDIT_INSERT, vec![audit.into_args()]);
    }};
}

/// A value bound to a dynamically built query.
enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    Bool(bool),
    Date(chrono::NaiveDate),
    // Typed NULLs: PostgreSQL refuses a NULL bound with another column's type.
    OptText(Option<String>),
    OptInt(Option<i64>),
    OptTime(Option<DateTime<Utc>>),
    OptFloat(Option<f64>),
}

/// Binds every `Arg` in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            // Owned arguments move into the query (a long insert copies no text
            // on the way); borrowed ones are copied.
            q = match a {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Time(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Date(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
                Arg::OptInt(v) => q.bind(v),
                Arg::OptTime(v) => q.bind(v),
                Arg::OptFloat(v) => q.bind(v),
            };
        }
        q
    }};
}

/// A WHERE clause built up with numbered placeholders.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    /// Adds an argument and returns its placeholder.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Restricts to what `scope` allows; one rule with `Scope::allows` in the core.
    fn scope(&mut self, scope: &Scope) {
        let mut any = Vec::new();
        for r in &scope.regions {
            let p = self.arg(Arg::Text(format!("{}%", r.prefix())));
            any.push(format!("a.region_code LIKE {p}"));
        }
        for u in &scope.units {
            let p = self.arg(Arg::Int(*u));
            any.push(format!("a.handler_unit_id = {p}"));
        }
        if any.is_empty() {
            self.clauses.push("1 = 0".into());
            return;
        }
        // What accuses the viewer's unit or one above it is not there for them. One
        // clause, so callers can move it into a subquery.
        let own: Vec<String> = scope
            .units
            .iter()
            .chain(&scope.above)
            .map(|u| self.arg(Arg::Int(*u)))
            .collect();
        let unaccused = if own.is_empty() {
            String::new()
        } else {
            format!(
                " AND NOT EXISTS (SELECT 1 FROM appeal_accused x WHERE x.appeal_id = a.id \
                 AND x.unit_id IN ({}))",
                own.join(", ")
            )
        };
        self.clauses
            .push(format!("(({}){unaccused})", any.join(" OR ")));
    }
}

const SUMMARY_COLUMNS: &str = "a.id, a.no, a.title, a.category, a.channel, a.kind, a.track, a.status, \
    a.region_code, a.handler_unit_id, a.received_at, a.due_at, a.clock_started_at, a.supervision_due, \
    a.backlog, a.hard, a.name_mask, a.phone_mask, a.headcount, a.risk";

#[derive(FromRow)]
struct SummaryRow {
    id: i64,
    no: String,
    title: String,
    category: String,
    channel: String,
    kind: String,
    track: String,
    status: String,
    region_code: String,
    handler_unit_id: Option<i64>,
    received_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    clock_started_at: Option<DateTime<Utc>>,
    supervision_due: Option<DateTime<Utc>>,
    backlog: bool,
    hard: bool,
    name_mask: Option<String>,
    phone_mask: Option<String>,
    headcount: i64,
    risk: Option<String>,
    #[sqlx(default)]
    excerpt: Option<String>,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::msg(format!("stored {what} {value:?} is not valid"))
}

impl TryFrom<SummaryRow> for AppealSummary {
    type Error = StoreError;
    fn try_from(r: SummaryRow) -> Result<AppealSummary> {
        Ok(AppealSummary {
            id: r.id,
            no: AppealNo::parse(&r.no).map_err(|_| corrupt("appeal number", &r.no))?,
            channel: Channel::from_code(&r.channel)
                .ok_or_else(|| corrupt("channel", &r.channel))?,
            kind: AppealKind::from_code(&r.kind).ok_or_else(|| corrupt("kind", &r.kind))?,
            track: Track::from_code(&r.track).ok_or_else(|| corrupt("track", &r.track))?,
            status: State::from_code(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            region_code: RegionCode::parse(&r.region_code)
                .map_err(|_| corrupt("region", &r.region_code))?,
            title: r.title,
            category: r.category,
            handler_unit_id: r.handler_unit_id,
            received_at: r.received_at,
            due_at: r.due_at,
            clock_started_at: r.clock_started_at,
            supervision_due: r.supervision_due,
            backlog: r.backlog,
            hard: r.hard,
            name_mask: r.name_mask,
            phone_mask: r.phone_mask,
            headcount: r.headcount,
            excerpt: r.excerpt,
            risk: r.risk,
        })
    }
}

#[derive(FromRow)]
struct PiiRow {
    tracking_code: String,
    body: String,
    address: Option<String>,
    pii_key_id: Option<String>,
    name_enc: Option<String>,
    phone_enc: Option<String>,
    id_number_enc: Option<String>,
    home_address_enc: Option<String>,
    representatives_enc: Option<String>,
}

#[derive(FromRow)]
struct EventRow {
    at: DateTime<Utc>,
    kind: String,
    actor_id: Option<i64>,
    actor: Option<String>,
    actor_unit: Option<String>,
    unit_id: Option<i64>,
    unit: Option<String>,
    note: Option<String>,
    data: Option<String>,
    public: bool,
}

impl EventRow {
    fn step(&self) -> Result<Step> {
        match &self.data {
            None if self.kind == "registered" => Ok(Step::Registered),
            None => Err(corrupt("event without data", &self.kind)),
            Some(d) => serde_json::from_str::<Command>(d)
                .map(Step::Act)
                .map_err(|_| corrupt("event data", &self.kind)),
        }
    }

    fn event(&self) -> Result<Event> {
        Ok(Event {
            at: self.at,
            step: self.step()?,
            actor: self.actor.clone(),
            actor_unit: self.actor_unit.clone(),
            unit: self.unit.clone(),
            note: self.note.clone(),
            public: self.public,
        })
    }
}

/// The timeline, the decided steps and the unit routed to at registration.
fn history(rows: &[EventRow]) -> Result<(Vec<Event>, Vec<Happened>, Option<i64>)> {
    let mut events = Vec::with_capacity(rows.len());
    let mut steps = Vec::with_capacity(rows.len());
    let mut routed = None;
    for r in rows {
        let e = r.event()?;
        match &e.step {
            Step::Registered => routed = r.unit_id,
            Step::Act(c) => steps.push(Happened {
                at: r.at,
                actor: r.actor_id,
                command: c.clone(),
            }),
        }
        events.push(e);
    }
    Ok((events, steps, routed))
}

const EVENT_QUERY: &str = "SELECT e.at, e.kind, e.actor_id, s.display_name AS actor, su.name AS actor_unit, \
     e.unit_id, u.name AS unit, e.note, e.data, e.public \
     FROM appeal_events e LEFT JOIN staff s ON s.id = e.actor_id LEFT JOIN units su ON su.id = s.unit_id \
     LEFT JOIN units u ON u.id = e.unit_id \
     WHERE e.appeal_id = $1 ORDER BY e.id";

#[derive(FromRow)]
struct EventWithAppeal {
    appeal_id: i64,
    #[sqlx(flatten)]
    row: EventRow,
}

#[derive(FromRow)]
struct OpenRow {
    id: i64,
    kind: String,
    category: String,
    region_code: String,
    received_at: DateTime<Utc>,
    status: String,
    handler_unit_id: Option<i64>,
    due_at: Option<DateTime<Utc>>,
    clock_started_at: Option<DateTime<Utc>>,
    supervision_due: Option<DateTime<Utc>>,
    backlog: bool,
    hard: bool,
    leader_id: Option<i64>,
    version: i64,
}

impl OpenRow {
    fn into_open_case(self, history: Vec<Happened>, routed_unit: Option<i64>) -> Result<OpenCase> {
        Ok(OpenCase {
            facts: CaseFacts {
                id: self.id,
                kind: AppealKind::from_code(&self.kind)
                    .ok_or_else(|| corrupt("kind", &self.kind))?,
                category: self.category,
                region: RegionCode::parse(&self.region_code)
                    .map_err(|_| corrupt("region", &self.region_code))?,
                received_at: self.received_at,
                routed_unit,
                routed_co: Vec::new(),
                // The sweep moves clocks for no one's unit.
                accused: Vec::new(),
            },
            history,
            version: self.version,
            stored: Outcome {
                state: State::from_code(&self.status)
                    .ok_or_else(|| corrupt("status", &self.status))?,
                lead: self.handler_unit_id,
                due_at: self.due_at,
                clock_started_at: self.clock_started_at,
                supervision_due: self.supervision_due,
                backlog: self.backlog,
                hard: self.hard,
                leader: self.leader_id,
            },
        })
    }
}

#[derive(FromRow)]
struct StaffRow {
    id: i64,
    username: String,
    display_name: String,
    unit_id: i64,
    must_change_password: bool,
    active: bool,
    created_at: DateTime<Utc>,
}

/// The columns of a [`StaffRow`], for `SELECT … FROM staff s`.
const STAFF_COLUMNS: &str =
    "s.id, s.username, s.display_name, s.unit_id, s.must_change_password, s.active, s.created_at";

impl StaffRow {
    fn staff(self, roles: Vec<(String,)>) -> Staff {
        Staff {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            unit_id: self.unit_id,
            roles: roles_of(roles),
            must_change_password: self.must_change_password,
        }
    }
}

#[derive(FromRow)]
struct AuditRow {
    seq: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    action: String,
    appeal_id: Option<i64>,
    data: String,
    prev_hash: String,
    hash: String,
}

/// The year an appeal number counts in: the calendar year in China (UTC+8).
fn local_year(at: DateTime<Utc>) -> i32 {
    minsheng_core::clock::local_day(at).year()
}

const ROLES_QUERY: &str = "SELECT role FROM staff_roles WHERE staff_id = $1 ORDER BY role";

fn sha256_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

fn region_from(code: String, name: String) -> Result<Region> {
    Ok(Region {
        code: RegionCode::parse(&code).map_err(|_| corrupt("region", &code))?,
        name,
    })
}

/// A write that must have touched a row: none is `NotFound`.
fn found(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Roles as stored; unknown codes (from a newer version) are skipped.
fn roles_of(rows: Vec<(String,)>) -> Vec<Role> {
    rows.into_iter()
        .filter_map(|(r,)| Role::from_code(&r))
        .collect()
}

#[macro_use]
mod search;
#[macro_use]
mod alerts;
mod analysis;
mod appeals;
pub(crate) use appeals::Sealed;
mod answers;
mod cases;
mod directory;
mod kpi;
mod meetings;
mod outbox;
mod outreach;
mod sessions;
mod tokens;
mod verify;

/// Opens the store named by `url`.
pub(crate) async fn open(url: &str, keys: Keyring) -> Result<std::sync::Arc<dyn Store>> {
    let db = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // A 64 MiB page cache per connection keeps large write transactions (a demo
            // batch, a sweep) from spilling pages to the WAL again and again.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Checkpoint the WAL every 40 MiB rather than 4: big write transactions
            // (imports, the demo) then copy pages back to the database less often.
            // Durability is the same: every commit is synced to the WAL.
            .pragma("wal_autocheckpoint", "10000")
            // sqlx hands each row from SQLite's thread to ours through a channel; with
            // room for few, a long read stops and wakes both threads every few rows.
            .row_buffer_size(1024);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(StoreError::other)?;
        Db::Sqlite(pool)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // Never asynchronous commit: a receipt number is a promise.
        let options = PgConnectOptions::from_str(url)?.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(StoreError::other)?;
        Db::Postgres(pool)
    } else {
        return Err(StoreError::msg(format!(
            "unsupported database URL {url:?}: use sqlite://FILE or postgres://…"
        )));
    };
    Ok(std::sync::Arc::new(SqlStore {
        db,
        keys,
        directory: DirectorySeen::default(),
        tokens: TokenCache::default(),
    }))
}
