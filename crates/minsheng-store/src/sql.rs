//! The SQL behind [`Store`], for SQLite and PostgreSQL at once.
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
use minsheng_core::intake::SubmissionKey;
use minsheng_core::mask;
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::staff::{Role, Scope, Staff};
use minsheng_core::unit::{NewUnit, Unit, UnitKind};
use minsheng_core::workflow::{CaseFacts, Command, Effect, Happened, Outcome, State, Track};
use minsheng_core::{AppealKind, AppealNo, Channel, TrackingCode};
use rand::RngCore;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, Pool, Postgres, Sqlite, Transaction};

use crate::audit::{self, AuditEntry, AuditReport, StoredAudit};
use crate::crypto::Keyring;
use crate::{
    AppealDetail, AppealSummary, Counts, InboxFilter, ListScope, NewStaff, OpenCase, Page,
    PublicView, Receipt, Refresh, Registered, Registration, Result, Store, StoreError,
};

enum Db {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

pub(crate) struct SqlStore {
    db: Db,
    keys: Keyring,
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

/// Appends one record to the audit chain inside the open transaction `$tx`.
macro_rules! append_audit {
    ($tx:ident, $chain:ident, $at:expr, $actor:expr, $action:expr, $appeal:expr, $data:expr) => {{
        let entry = AuditEntry {
            seq: $chain.seq + 1,
            at: $at,
            actor_id: $actor,
            action: String::from($action),
            appeal_id: $appeal,
            data: $data,
        };
        let hash = entry.hash(&$chain.hash);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, action, appeal_id, data, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(&entry.action)
        .bind(entry.appeal_id)
        .bind(entry.data.to_string())
        .bind(&$chain.hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        $chain = Chain {
            seq: entry.seq,
            hash,
        };
    }};
}

/// The head of the audit chain as a write transaction moves it: read once when the
/// transaction starts (under its write lock), stored once before it commits.
struct Chain {
    seq: i64,
    hash: String,
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
        let step: &Step = $step;
        let (data, note) = match step {
            Step::Registered => (None, None),
            Step::Act(c) => (
                Some(serde_json::to_string(c).map_err(StoreError::other)?),
                c.note().map(str::to_owned),
            ),
        };
        sqlx::query(
            "INSERT INTO appeal_events (appeal_id, at, kind, actor_id, unit_id, note, data, public) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($appeal)
        .bind($at)
        .bind(step.code())
        .bind($actor)
        .bind($unit)
        .bind(note)
        .bind(&data)
        .bind(step.is_public())
        .execute(&mut *$tx)
        .await?;
        let outcome: &Outcome = $outcome;
        append_audit!($tx, $chain, crate::now(), $actor, format!("appeal.{}", step.code()), Some($appeal), json!({
            "at": $at.to_rfc3339(),
            "step": data.map(|d| serde_json::from_str::<serde_json::Value>(&d).unwrap_or_default()),
            "unit_id": $unit,
            "state": outcome.state.code(),
            "lead": outcome.lead,
            "due_at": outcome.due_at.map(|d| d.to_rfc3339()),
        }));
    }};
}

/// A value bound to a dynamically built query.
enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// Binds every `Arg` in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Time(t) => q.bind(*t),
                Arg::Bool(b) => q.bind(*b),
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
        } else {
            self.clauses.push(format!("({})", any.join(" OR ")));
        }
    }
}

const SUMMARY_COLUMNS: &str = "a.id, a.no, a.title, a.category, a.channel, a.kind, a.track, a.status, \
    a.region_code, a.handler_unit_id, a.received_at, a.due_at, a.clock_started_at, a.supervision_due, \
    a.backlog, a.hard, a.name_mask, a.phone_mask, a.headcount";

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

const EVENT_QUERY: &str = "SELECT e.at, e.kind, e.actor_id, s.display_name AS actor, e.unit_id, \
     u.name AS unit, e.note, e.data, e.public \
     FROM appeal_events e LEFT JOIN staff s ON s.id = e.actor_id LEFT JOIN units u ON u.id = e.unit_id \
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

impl SqlStore {
    /// One attempt at registering a batch, in one transaction.
    async fn register_once(&self, registrations: &[Registration]) -> Result<Vec<Registered>> {
        let keys = &self.keys;

        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let mut counters: HashMap<(String, i32), i64> = HashMap::new();
            let mut receipts = Vec::with_capacity(registrations.len());
            for reg in registrations {
                let a = &reg.appeal;
                let submission_hash = a
                    .submission_key
                    .as_ref()
                    .map(|k| keys.blind_index(&format!("{}|{:?}|{}", k.as_str(), reg.actor_id, a.repeat_fingerprint())));
                if let (Some(key), Some(hash)) = (&a.submission_key, &submission_hash) {
                    let earlier: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
                        "SELECT id, no, tracking_code, submission_hash FROM appeals WHERE submission_key = $1",
                    )
                    .bind(key.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id, no, code, earlier_hash)) = earlier {
                        if earlier_hash.as_deref() != Some(hash.as_str()) {
                            receipts.push(Registered::KeyReused);
                            continue;
                        }
                        receipts.push(Registered::Repeat(Receipt {
                            id,
                            no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                            tracking_code: TrackingCode::parse(&code)
                                .map_err(|_| corrupt("tracking code", &code))?,
                        }));
                        continue;
                    }
                }
                let outcome = &reg.opening.outcome;
                let county = a.region.county();
                let year = local_year(a.received_at);
                // Each (county, year) counter is read once per batch and written back
                // before commit: numbers stay gapless because it is one transaction.
                let key = (county.to_string(), year);
                let seq = match counters.get_mut(&key) {
                    Some(v) => {
                        *v += 1;
                        *v
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO counters (county_code, year, value) VALUES ($1, $2, 0) \
                             ON CONFLICT (county_code, year) DO NOTHING",
                        )
                        .bind(county.as_str())
                        .bind(i64::from(year))
                        .execute(&mut *tx)
                        .await?;
                        let (v,): (i64,) = sqlx::query_as(
                            "SELECT value FROM counters WHERE county_code = $1 AND year = $2",
                        )
                        .bind(county.as_str())
                        .bind(i64::from(year))
                        .fetch_one(&mut *tx)
                        .await?;
                        counters.insert(key, v + 1);
                        v + 1
                    }
                };
                let no = AppealNo::new(year, u64::try_from(seq).unwrap_or_default());
                let mut random = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut random);
                let code = TrackingCode::from_random(random);
                let who = &a.appellant;
                let has_pii = !who.is_anonymous()
                    || who.id_number.is_some()
                    || who.address.is_some()
                    || !who.representatives.is_empty();
                let seal = |field: &str, v: Option<&str>| v.map(|v| keys.seal(field, v));
                let representatives = (!who.representatives.is_empty())
                    .then(|| serde_json::to_string(&who.representatives))
                    .transpose()
                    .map_err(StoreError::other)?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO appeals (county_code, no, tracking_code, submission_key, channel, kind, category, \
                     title, body, region_code, address, lat, lng, status, handler_unit_id, received_at, due_at, \
                     created_by, headcount, name_mask, phone_mask, pii_key_id, name_enc, phone_enc, id_number_enc, \
                     home_address_enc, representatives_enc, phone_bidx, track, clock_started_at, supervision_due, \
                     backlog, hard, leader_id, version, submission_hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
                     $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36) RETURNING id",
                )
                .bind(county.as_str())
                .bind(no.as_str())
                .bind(code.as_str())
                .bind(a.submission_key.as_ref().map(SubmissionKey::as_str))
                .bind(a.channel.code())
                .bind(a.kind.code())
                .bind(&a.category)
                .bind(&a.title)
                .bind(&a.text)
                .bind(a.region.as_str())
                .bind(a.address.as_deref())
                .bind(a.location.map(|l| l.0))
                .bind(a.location.map(|l| l.1))
                .bind(outcome.state.code())
                .bind(outcome.lead)
                .bind(a.received_at)
                .bind(outcome.due_at)
                .bind(reg.actor_id)
                .bind(i64::from(who.headcount))
                .bind(who.name.as_deref().map(mask::name))
                .bind(who.phone.as_ref().map(Phone::masked))
                .bind(has_pii.then(|| keys.current_id().to_owned()))
                .bind(seal("name", who.name.as_deref()))
                .bind(seal("phone", who.phone.as_ref().map(Phone::as_str)))
                .bind(seal("id_number", who.id_number.as_ref().map(IdNumber::as_str)))
                .bind(seal("home_address", who.address.as_deref()))
                .bind(seal("representatives", representatives.as_deref()))
                .bind(who.phone.as_ref().map(|ph| keys.blind_index(ph.as_str())))
                .bind(reg.opening.track.code())
                .bind(outcome.clock_started_at)
                .bind(outcome.supervision_due)
                .bind(outcome.backlog)
                .bind(outcome.hard)
                .bind(outcome.leader)
                .bind(1 + i64::try_from(reg.opening.steps.len()).unwrap_or(0))
                .bind(submission_hash)
                .fetch_one(&mut *tx)
                .await?;
                for att in &a.attachments {
                    sqlx::query(
                        "INSERT INTO attachments (appeal_id, file_name, content_type, size, sha256) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(&att.file_name)
                    .bind(&att.content_type)
                    .bind(i64::try_from(att.size).unwrap_or(i64::MAX))
                    .bind(&att.sha256)
                    .execute(&mut *tx)
                    .await?;
                }
                for tag in &reg.tags {
                    sqlx::query("INSERT INTO appeal_tags (appeal_id, tag) VALUES ($1, $2)")
                        .bind(id)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
                // The registration's own record carries what the appeal is, without
                // personal data; then one record per step the system took.
                append_audit!(tx, chain, crate::now(), reg.actor_id, "appeal.receive", Some(id), json!({
                    "received_at": a.received_at.to_rfc3339(),
                    "content_sha256": sha256_hex(&[&a.title, &a.text, a.address.as_deref().unwrap_or("")]),
                    "no": no.as_str(),
                    "channel": a.channel.code(),
                    "kind": a.kind.code(),
                    "category": a.category,
                    "region": a.region.as_str(),
                    "track": reg.opening.track.code(),
                    "pii_key_id": has_pii.then(|| keys.current_id()),
                    "tags": reg.tags,
                }));
                insert_step!(tx, chain, id, a.received_at, reg.actor_id, &Step::Registered, reg.routed_unit, outcome);
                for step in &reg.opening.steps {
                    insert_step!(tx, chain, id, step.at, step.actor, &Step::Act(step.command.clone()), step.command.unit(), outcome);
                }
                receipts.push(Registered::Stored(Receipt { id, no, tracking_code: code }));
            }
            for ((county, year), value) in &counters {
                sqlx::query("UPDATE counters SET value = $1 WHERE county_code = $2 AND year = $3")
                    .bind(value)
                    .bind(county)
                    .bind(i64::from(*year))
                    .execute(&mut *tx)
                    .await?;
            }
            commit_chain!(tx, chain);
            Ok(receipts)
        })
    }

    fn roles(rows: Vec<(String,)>) -> Vec<Role> {
        rows.into_iter()
            .filter_map(|(r,)| Role::from_code(&r))
            .collect()
    }

    fn open_pii(&self, row: &PiiRow, headcount: i64) -> Result<Appellant> {
        let Some(key_id) = row.pii_key_id.as_deref() else {
            return Ok(Appellant {
                headcount: u32::try_from(headcount).unwrap_or(1),
                ..Appellant::anonymous()
            });
        };
        let open = |field: &str, v: &Option<String>| -> Result<Option<String>> {
            v.as_deref()
                .map(|s| self.keys.open(key_id, field, s))
                .transpose()
                .map_err(StoreError::from)
        };
        let phone = open("phone", &row.phone_enc)?
            .map(|p| Phone::parse(&p).map_err(|_| corrupt("phone", "(sealed)")))
            .transpose()?;
        let id_number = open("id_number", &row.id_number_enc)?
            .map(|p| IdNumber::parse(&p).map_err(|_| corrupt("ID number", "(sealed)")))
            .transpose()?;
        let representatives = open("representatives", &row.representatives_enc)?
            .map(|r| serde_json::from_str(&r).map_err(StoreError::other))
            .transpose()?
            .unwrap_or_default();
        Ok(Appellant {
            name: open("name", &row.name_enc)?,
            phone,
            id_number,
            address: open("home_address", &row.home_address_enc)?,
            headcount: u32::try_from(headcount).unwrap_or(1),
            representatives,
        })
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<()> {
        with_db!(self, p => {
            let _: (i64,) = sqlx::query_as("SELECT CAST(1 AS BIGINT)").fetch_one(p).await?;
        });
        Ok(())
    }

    async fn counts(&self) -> Result<Counts> {
        with_db!(self, p => {
            let (regions, units, staff, appeals): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM regions), (SELECT COUNT(*) FROM units), \
                 (SELECT COUNT(*) FROM staff), (SELECT COUNT(*) FROM appeals)",
            )
            .fetch_one(p)
            .await?;
            Ok(Counts { regions, units, staff, appeals })
        })
    }

    async fn insert_regions(&self, regions: &[Region]) -> Result<()> {
        let (Some(first), Some(last)) = (regions.first(), regions.last()) else {
            return Ok(());
        };
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            for r in regions {
                sqlx::query("INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)")
                    .bind(r.code.as_str())
                    .bind(&r.name)
                    .bind(format!("{:?}", r.level()).to_lowercase())
                    .bind(r.code.parent().map(String::from))
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(tx, chain, at, None, "region.insert", None, json!({
                "count": regions.len(), "first": first.code.as_str(), "last": last.code.as_str(),
                "regions_sha256": sha256_hex(
                    &regions.iter().flat_map(|r| [r.code.as_str(), r.name.as_str()]).collect::<Vec<_>>()
                ),
            }));
            commit_chain!(tx, chain);
        });
        Ok(())
    }

    async fn county(&self) -> Result<Option<Region>> {
        with_db!(self, p => {
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT code, name FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1",
            )
            .fetch_optional(p)
            .await?;
            row.map(|(c, n)| region_from(c, n)).transpose()
        })
    }

    async fn children(&self, parent: &RegionCode) -> Result<Vec<Region>> {
        with_db!(self, p => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM regions WHERE parent_code = $1 ORDER BY code")
                    .bind(parent.as_str())
                    .fetch_all(p)
                    .await?;
            rows.into_iter().map(|(c, n)| region_from(c, n)).collect()
        })
    }

    async fn villages(&self) -> Result<Vec<Region>> {
        with_db!(self, p => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM regions WHERE level = 'village' ORDER BY code")
                    .fetch_all(p)
                    .await?;
            rows.into_iter().map(|(c, n)| region_from(c, n)).collect()
        })
    }

    async fn insert_units(&self, units: &[NewUnit]) -> Result<Vec<Unit>> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let existing: Vec<(String, i64)> =
                sqlx::query_as("SELECT key, id FROM units").fetch_all(&mut *tx).await?;
            let mut ids: HashMap<String, i64> = existing.into_iter().collect();
            let mut created = Vec::with_capacity(units.len());
            for u in units {
                let parent_id = match &u.parent_key {
                    None => None,
                    Some(k) => Some(*ids.get(k).ok_or_else(|| {
                        StoreError::msg(format!("unit {} names unknown parent {k}", u.key))
                    })?),
                };
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO units (key, name, kind, parent_id) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&u.key)
                .bind(&u.name)
                .bind(u.kind.code())
                .bind(parent_id)
                .fetch_one(&mut *tx)
                .await?;
                for r in &u.jurisdiction {
                    sqlx::query("INSERT INTO unit_regions (unit_id, region_code) VALUES ($1, $2)")
                        .bind(id)
                        .bind(r.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                append_audit!(tx, chain, at, None, "unit.create", None, json!({
                    "id": id, "key": u.key, "name": u.name, "kind": u.kind.code(), "parent_id": parent_id,
                    "jurisdiction": u.jurisdiction.iter().map(RegionCode::as_str).collect::<Vec<_>>(),
                }));
                ids.insert(u.key.clone(), id);
                created.push(Unit {
                    id,
                    key: u.key.clone(),
                    name: u.name.clone(),
                    kind: u.kind,
                    parent_id,
                    jurisdiction: u.jurisdiction.clone(),
                });
            }
            commit_chain!(tx, chain);
            Ok(created)
        })
    }

    async fn units(&self) -> Result<Vec<Unit>> {
        with_db!(self, p => {
            let rows: Vec<(i64, String, String, String, Option<i64>)> =
                sqlx::query_as("SELECT id, key, name, kind, parent_id FROM units ORDER BY id")
                    .fetch_all(p)
                    .await?;
            let regions: Vec<(i64, String)> =
                sqlx::query_as("SELECT unit_id, region_code FROM unit_regions ORDER BY region_code")
                    .fetch_all(p)
                    .await?;
            let mut by_unit: HashMap<i64, Vec<RegionCode>> = HashMap::new();
            for (u, code) in regions {
                by_unit
                    .entry(u)
                    .or_default()
                    .push(RegionCode::parse(&code).map_err(|_| corrupt("region", &code))?);
            }
            rows.into_iter()
                .map(|(id, key, name, kind, parent_id)| {
                    Ok(Unit {
                        id,
                        kind: UnitKind::from_code(&kind).ok_or_else(|| corrupt("unit kind", &kind))?,
                        key,
                        name,
                        parent_id,
                        jurisdiction: by_unit.remove(&id).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    async fn unit(&self, id: i64) -> Result<Unit> {
        self.units()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn upsert_categories(&self, categories: &[Category]) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            for (i, c) in categories.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO categories (code, name, name_en, unit_key, position) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
                     unit_key = excluded.unit_key, position = excluded.position",
                )
                .bind(&c.code)
                .bind(&c.name)
                .bind(&c.name_en)
                .bind(&c.unit)
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
                append_audit!(tx, chain, at, None, "category.upsert", None, json!({
                    "code": c.code, "name": c.name, "name_en": c.name_en, "unit": c.unit,
                    "position": i,
                }));
            }
            commit_chain!(tx, chain);
        });
        Ok(())
    }

    async fn categories(&self) -> Result<Vec<Category>> {
        with_db!(self, p => {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT code, name, name_en, unit_key FROM categories ORDER BY position, code",
            )
            .fetch_all(p)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(code, name, name_en, unit)| Category {
                    code,
                    name,
                    name_en,
                    unit,
                })
                .collect())
        })
    }

    async fn create_staff(&self, s: &NewStaff) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (unit_id,): (i64,) = sqlx::query_as("SELECT id FROM units WHERE key = $1")
                .bind(&s.unit_key)
                .fetch_one(&mut *tx)
                .await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO staff (username, display_name, unit_id, password_hash, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&s.username)
            .bind(&s.display_name)
            .bind(unit_id)
            .bind(&s.password_hash)
            .bind(true)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            for r in &s.roles {
                sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
                    .bind(id)
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(tx, chain, at, None, "staff.create", None, json!({
                "id": id, "username": s.username, "unit_id": unit_id,
                "roles": s.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn staff_by_username(&self, username: &str) -> Result<Option<(Staff, String)>> {
        with_db!(self, p => {
            let row: Option<(i64, String, String, i64, String)> = sqlx::query_as(
                "SELECT id, username, display_name, unit_id, password_hash FROM staff \
                 WHERE username = $1 AND active = $2",
            )
            .bind(username)
            .bind(true)
            .fetch_optional(p)
            .await?;
            let Some((id, username, display_name, unit_id, hash)) = row else {
                return Ok(None);
            };
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(id).fetch_all(p).await?;
            Ok(Some((
                Staff { id, username, display_name, unit_id, roles: Self::roles(roles) },
                hash,
            )))
        })
    }

    async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        with_db!(self, p => {
            sqlx::query("INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(staff_id)
                .bind(crate::now())
                .bind(expires_at.trunc_subsecs(6))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn session_staff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Staff>> {
        with_db!(self, p => {
            let row: Option<StaffRow> = sqlx::query_as(
                "SELECT s.id, s.username, s.display_name, s.unit_id FROM sessions x \
                 JOIN staff s ON s.id = x.staff_id \
                 WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.active = $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(true)
            .fetch_optional(p)
            .await?;
            let Some(s) = row else { return Ok(None) };
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(s.id).fetch_all(p).await?;
            Ok(Some(Staff {
                id: s.id,
                username: s.username,
                display_name: s.display_name,
                unit_id: s.unit_id,
                roles: Self::roles(roles),
            }))
        })
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_db!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn register_appeals(&self, registrations: &[Registration]) -> Result<Vec<Registered>> {
        match self.register_once(registrations).await {
            // Two posts of one form raced (PostgreSQL lets both look before either
            // writes): the loser's retry finds the winner's receipt.
            Err(StoreError::Conflict(_))
                if registrations
                    .iter()
                    .any(|r| r.appeal.submission_key.is_some()) =>
            {
                self.register_once(registrations).await
            }
            other => other,
        }
    }

    async fn list_appeals(
        &self,
        scope: &ListScope,
        filter: &InboxFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AppealSummary>> {
        let per_page = per_page.clamp(1, 200);
        let page = page.clamp(1, 1_000_000);
        let mut w = Where::default();
        match scope {
            ListScope::Unit(u) => {
                let p = w.arg(Arg::Int(*u));
                w.clauses.push(format!("a.handler_unit_id = {p}"));
            }
            ListScope::Visible(s) => w.scope(s),
        }
        if let Some(s) = filter.status {
            let p = w.arg(Arg::Text(s.code().into()));
            w.clauses.push(format!("a.status = {p}"));
        }
        if let Some(c) = &filter.category {
            let p = w.arg(Arg::Text(c.clone()));
            w.clauses.push(format!("a.category = {p}"));
        }
        if let Some(t) = &filter.township {
            let p = w.arg(Arg::Text(format!("{}%", t.prefix())));
            w.clauses.push(format!("a.region_code LIKE {p}"));
        }
        if let Some(c) = filter.channel {
            let p = w.arg(Arg::Text(c.code().into()));
            w.clauses.push(format!("a.channel = {p}"));
        }
        if let Some(t) = filter.received_from {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.received_at >= {p}"));
        }
        if let Some(t) = filter.received_before {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.received_at < {p}"));
        }
        if let Some(t) = filter.due_before {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.due_at < {p}"));
        }
        if filter.supervised {
            w.clauses.push("a.supervision_due IS NOT NULL".into());
        }
        if filter.flagged {
            let p = w.arg(Arg::Bool(true));
            let q = w.arg(Arg::Bool(true));
            w.clauses.push(format!("(a.backlog = {p} OR a.hard = {q})"));
        }
        if let Some(tag) = &filter.tag {
            let p = w.arg(Arg::Text(tag.clone()));
            w.clauses.push(format!(
                "a.id IN (SELECT appeal_id FROM appeal_tags WHERE tag = {p})"
            ));
        }
        if let Some(n) = &filter.number {
            let n: String = n
                .trim()
                .to_ascii_uppercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let p = w.arg(Arg::Text(format!("%{n}%")));
            w.clauses.push(format!("a.no LIKE {p}"));
        }
        let where_sql = w.sql();
        let count_sql = format!("SELECT COUNT(*) FROM appeals a{where_sql}");
        let mut page_args = Where {
            clauses: Vec::new(),
            args: Vec::new(),
        };
        let limit = page_args.arg(Arg::Int(per_page));
        let offset = page_args.arg(Arg::Int((page - 1) * per_page));
        // Page placeholders come after the filter's.
        let shift = |ph: &str| format!("${}", ph[1..].parse::<usize>().unwrap_or(0) + w.args.len());
        let list_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a{where_sql} \
             ORDER BY (a.due_at IS NULL), a.due_at, a.received_at, a.id LIMIT {} OFFSET {}",
            shift(&limit),
            shift(&offset)
        );
        with_db!(self, p => {
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count_sql), &w.args).fetch_one(p).await?;
            let rows: Vec<SummaryRow> = bind_args!(
                bind_args!(sqlx::query_as(&list_sql), &w.args),
                &page_args.args
            )
            .fetch_all(p)
            .await?;
            Ok(Page {
                items: rows.into_iter().map(AppealSummary::try_from).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn appeal(&self, no: &AppealNo, scope: &Scope) -> Result<AppealDetail> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a WHERE a.no = $1 ORDER BY a.id LIMIT 1"
        );
        with_db!(self, p => {
            let row: SummaryRow = sqlx::query_as(&sql).bind(no.as_str()).fetch_one(p).await?;
            let summary = AppealSummary::try_from(row)?;
            // Outside the scope it does not exist; nothing is decrypted for it.
            if !scope.allows(&summary.region_code, summary.handler_unit_id) {
                return Err(StoreError::NotFound);
            }
            let pii: PiiRow = sqlx::query_as(
                "SELECT tracking_code, body, address, pii_key_id, name_enc, phone_enc, id_number_enc, \
                 home_address_enc, representatives_enc FROM appeals WHERE id = $1",
            )
            .bind(summary.id)
            .fetch_one(p)
            .await?;
            let rows: Vec<EventRow> = sqlx::query_as(EVENT_QUERY).bind(summary.id).fetch_all(p).await?;
            let (events, history, routed_unit) = history(&rows)?;
            let (category, version): (String, i64) =
                sqlx::query_as("SELECT category, version FROM appeals WHERE id = $1")
                    .bind(summary.id)
                    .fetch_one(p)
                    .await?;
            let tags: Vec<(String,)> =
                sqlx::query_as("SELECT tag FROM appeal_tags WHERE appeal_id = $1 ORDER BY tag")
                    .bind(summary.id)
                    .fetch_all(p)
                    .await?;
            Ok(AppealDetail {
                tags: tags.into_iter().map(|(t,)| t).collect(),
                appellant: self.open_pii(&pii, summary.headcount)?,
                tracking_code: TrackingCode::parse(&pii.tracking_code)
                    .map_err(|_| corrupt("tracking code", &pii.tracking_code))?,
                text: pii.body,
                address: pii.address,
                events,
                facts: CaseFacts {
                    id: summary.id,
                    kind: summary.kind,
                    category,
                    region: summary.region_code.clone(),
                    received_at: summary.received_at,
                    routed_unit,
                },
                history,
                version,
                summary,
            })
        })
    }

    async fn public_view(&self, code: &TrackingCode) -> Result<PublicView> {
        with_db!(self, p => {
            let (id, no, category, status, received_at, due_at): (i64, String, String, String, DateTime<Utc>, Option<DateTime<Utc>>) =
                sqlx::query_as(
                    "SELECT id, no, category, status, received_at, due_at FROM appeals WHERE tracking_code = $1",
                )
                .bind(code.as_str())
                .fetch_one(p)
                .await?;
            let events: Vec<EventRow> = sqlx::query_as(EVENT_QUERY).bind(id).fetch_all(p).await?;
            Ok(PublicView {
                no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                status: State::from_code(&status).ok_or_else(|| corrupt("status", &status))?,
                category,
                received_at,
                due_at,
                // The public sees which unit acted and what it said, never who: each
                // entry is rebuilt from the decided step's allow-list, not the stored note.
                events: events
                    .iter()
                    .map(EventRow::event)
                    .collect::<Result<Vec<_>>>()?
                    .iter()
                    .filter_map(Event::public_entry)
                    .collect(),
            })
        })
    }

    async fn record_step(
        &self,
        appeal_id: i64,
        version: i64,
        step: &Happened,
        outcome: &Outcome,
        effects: &[Effect],
    ) -> Result<()> {
        let unit = step.command.unit();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let changed = sqlx::query(
                "UPDATE appeals SET version = version + 1, status = $1, handler_unit_id = $2, due_at = $3, \
                 clock_started_at = $4, supervision_due = $5, backlog = $6, hard = $7, leader_id = $8 \
                 WHERE id = $9 AND version = $10",
            )
            .bind(outcome.state.code())
            .bind(outcome.lead)
            .bind(outcome.due_at)
            .bind(outcome.clock_started_at)
            .bind(outcome.supervision_due)
            .bind(outcome.backlog)
            .bind(outcome.hard)
            .bind(outcome.leader)
            .bind(appeal_id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict(
                    "the case changed since it was read; reload and try again".into(),
                ));
            }
            insert_step!(tx, chain, appeal_id, step.at, step.actor, &Step::Act(step.command.clone()), unit, outcome);
            // The effects become outbox messages in the same transaction, each with an
            // audit record, so a step and the messages it causes land together or not
            // at all.
            for effect in effects {
                let payload = serde_json::to_string(effect).map_err(StoreError::other)?;
                let (message,): (i64,) = sqlx::query_as(
                    "INSERT INTO outbox (created_at, appeal_id, kind, payload, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $1) RETURNING id",
                )
                .bind(step.at)
                .bind(appeal_id)
                .bind(effect.code())
                .bind(&payload)
                .fetch_one(&mut *tx)
                .await?;
                append_audit!(tx, chain, crate::now(), step.actor, "outbox.enqueue", Some(appeal_id), json!({
                    "message": message,
                    "kind": effect.code(),
                    "payload_sha256": sha256_hex(&[&payload]),
                }));
            }
            commit_chain!(tx, chain);
        });
        Ok(())
    }

    async fn max_appeal_id(&self) -> Result<i64> {
        with_db!(self, p => {
            let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM appeals").fetch_one(p).await?;
            Ok(max.unwrap_or(0))
        })
    }

    async fn open_cases(&self, after: i64, up_to: i64, limit: i64) -> Result<Vec<OpenCase>> {
        let terminal: Vec<String> = State::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| format!("'{}'", s.code()))
            .collect();
        let open = format!(
            "a.status NOT IN ({}) AND a.id > $1 AND a.id <= $2",
            terminal.join(", ")
        );
        let cases_sql = format!(
            "SELECT a.id, a.kind, a.category, a.region_code, a.received_at, a.status, a.handler_unit_id, \
             a.due_at, a.clock_started_at, a.supervision_due, a.backlog, a.hard, a.leader_id, a.version \
             FROM appeals a WHERE {open} ORDER BY a.id LIMIT $3"
        );
        // Names of actors and units are not needed to replay a case.
        let events_sql = format!(
            "SELECT e.appeal_id, e.at, e.kind, e.actor_id, NULL AS actor, e.unit_id, NULL AS unit, \
             e.note, e.data, e.public FROM appeal_events e \
             WHERE e.appeal_id IN (SELECT a.id FROM appeals a WHERE {open} ORDER BY a.id LIMIT $3) \
             ORDER BY e.appeal_id, e.id"
        );
        with_db!(self, p => {
            let cases: Vec<OpenRow> =
                sqlx::query_as(&cases_sql).bind(after).bind(up_to).bind(limit).fetch_all(p).await?;
            let events: Vec<EventWithAppeal> =
                sqlx::query_as(&events_sql).bind(after).bind(up_to).bind(limit).fetch_all(p).await?;
            let mut by_case: HashMap<i64, Vec<EventRow>> = HashMap::with_capacity(cases.len());
            for e in events {
                by_case.entry(e.appeal_id).or_default().push(e.row);
            }
            cases
                .into_iter()
                .map(|c| {
                    let rows = by_case.remove(&c.id).unwrap_or_default();
                    let (_, history, routed_unit) = history(&rows)?;
                    c.into_open_case(history, routed_unit)
                })
                .collect()
        })
    }

    async fn save_outcomes(&self, outcomes: &[Refresh]) -> Result<u64> {
        // Many rows per statement: VALUES columns are named column1, column2, … by both
        // engines, so one UPDATE … FROM (VALUES …) text serves both.
        const ROWS: usize = 500;
        let mut changed = 0;
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            for chunk in outcomes.chunks(ROWS) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = i * 7;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
                        )
                    })
                    .collect();
                let sql = format!(
                    "UPDATE appeals SET due_at = v.column2, clock_started_at = v.column3, \
                     supervision_due = v.column4, backlog = v.column5, hard = v.column6 \
                     FROM (VALUES {}) AS v WHERE appeals.id = v.column1 AND appeals.version = v.column7",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    let o = &r.outcome;
                    q = q
                        .bind(r.id)
                        .bind(o.due_at)
                        .bind(o.clock_started_at)
                        .bind(o.supervision_due)
                        .bind(o.backlog)
                        .bind(o.hard)
                        .bind(r.version);
                }
                changed += q.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        });
        Ok(changed)
    }

    async fn final_precedents(&self, appeal_id: i64) -> Result<Vec<AppealNo>> {
        with_db!(self, p => {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT b.no FROM appeals a JOIN appeals b ON b.phone_bidx = a.phone_bidx \
                 AND b.category = a.category AND b.status = $2 AND b.id <> a.id \
                 WHERE a.id = $1 AND a.phone_bidx IS NOT NULL ORDER BY b.id",
            )
            .bind(appeal_id)
            .bind(State::Final.code())
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|(no,)| AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no)))
                .collect()
        })
    }

    async fn appeals_by_phone(&self, phone: &Phone, scope: &Scope) -> Result<Vec<AppealSummary>> {
        let mut w = Where::default();
        let p1 = w.arg(Arg::Text(self.keys.blind_index(phone.as_str())));
        w.clauses.push(format!("a.phone_bidx = {p1}"));
        w.scope(scope);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a{} ORDER BY a.received_at DESC LIMIT 50",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<SummaryRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            rows.into_iter().map(AppealSummary::try_from).collect()
        })
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        const BATCH: i64 = 5000;
        let mut report = AuditReport {
            records: 0,
            first_bad: None,
        };
        let mut prev = audit::GENESIS.to_owned();
        let mut last_seq = 0i64;
        with_db!(self, p => {
            // The head first: records appended while we walk lie beyond it and are left
            // for the next check, so a live system is never reported as tampered.
            let (head_seq, head_hash): (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?;
            while last_seq < head_seq {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT seq, at, actor_id, action, appeal_id, data, prev_hash, hash FROM audit_log \
                     WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                )
                .bind(last_seq)
                .bind(head_seq)
                .bind(BATCH)
                .fetch_all(p)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for r in rows {
                    let stored = StoredAudit {
                        seq: r.seq,
                        at: r.at,
                        actor_id: r.actor_id,
                        action: r.action,
                        appeal_id: r.appeal_id,
                        data: r.data,
                        prev_hash: r.prev_hash,
                        hash: r.hash,
                    };
                    if let Some(why) = audit::check(&stored, last_seq + 1, &prev) {
                        report.first_bad = Some((stored.seq, why));
                        return Ok(report);
                    }
                    report.records += 1;
                    last_seq = stored.seq;
                    prev = stored.hash;
                }
            }
            if last_seq < head_seq {
                report.first_bad = Some((
                    last_seq + 1,
                    format!("the chain ends at record {last_seq} but its head says {head_seq}: records were removed"),
                ));
            } else if head_hash != prev {
                report.first_bad = Some((
                    head_seq,
                    "the chain's head does not hold the last record's hash (the head was edited)".into(),
                ));
            }
            Ok(report)
        })
    }
}

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
            .pragma("temp_store", "memory");
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
    Ok(std::sync::Arc::new(SqlStore { db, keys }))
}
