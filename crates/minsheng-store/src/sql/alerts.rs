//! Early-warning alerts: raised in the transaction that registers the appeals they
//! name, read for the alert board, moved on by the duty desk; every change audited.

use minsheng_core::alerts::{AlertLevel, AlertRule, AlertState, Signal};

use super::*;
use crate::{AlertChange, AlertFilter, AlertSummary};

/// An appeal stored in a registration transaction, as alerts see it.
pub(super) struct Arriving {
    /// Its id.
    pub id: i64,
    /// Its region.
    pub region: String,
    /// What its text and form signal.
    pub signals: Vec<Signal>,
    /// Its phone's blind index and when it was received, if a phone was given.
    pub phone: Option<(String, DateTime<Utc>)>,
}

/// The appeals to raise alerts for in one registration transaction.
pub(super) type Raised = Vec<Arriving>;

/// Marks the closed cases the arrivals `$new` (id, phone blind index, category,
/// received) come back to: the same person, the same category, closed within
/// [`CAME_BACK_DAYS`] before the new appeal arrived (the sign of a closing that was
/// not real). One statement per batch; each mark is an audit record.
macro_rules! mark_came_back {
    ($tx:ident, $chain:ident, $new:expr) => {{
        let new: Vec<(i64, String, String, DateTime<Utc>)> = $new;
        let window = chrono::Duration::days(CAME_BACK_DAYS);
        if let Some(from) = new.iter().map(|r| r.3).min() {
            let phones: Vec<&str> = new.iter().map(|r| r.1.as_str()).collect();
            let list = serde_json::to_string(&phones).map_err(StoreError::other)?;
            let sql = format!(
                "SELECT a.id, a.phone_bidx, a.category, e.at FROM appeals a \
                 JOIN appeal_events e ON e.appeal_id = a.id \
                 WHERE a.phone_bidx {} AND a.status = 'closed' \
                 AND e.kind IN ('return_visit', 'close', 'imported') AND e.at >= $2",
                in_json_list(numbered(&$tx))
            );
            let closings: Vec<(i64, String, String, DateTime<Utc>)> = sqlx::query_as(&sql)
                .persistent(false)
                .bind(list)
                .bind(from - window)
                .fetch_all(&mut *$tx)
                .await?;
            let mut marked: Vec<i64> = Vec::new();
            for (appeal, bidx, category, at) in &new {
                for (closed, b, c, closed_at) in &closings {
                    if closed != appeal && b == bidx && c == category
                        && *closed_at <= *at && *closed_at >= *at - window
                        && !marked.contains(closed)
                    {
                        marked.push(*closed);
                        let tag = Sign::CameBack.tag();
                        let added = sqlx::query("INSERT INTO appeal_tags (appeal_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                            .bind(*closed)
                            .bind(tag)
                            .execute(&mut *$tx)
                            .await?
                            .rows_affected();
                        if added > 0 {
                            append_audit!($tx, $chain, crate::now(), None, "appeal.sign", Some(*closed), json!({
                                "tag": tag, "came_back_as": appeal,
                            }));
                        }
                    }
                }
            }
        }
    }};
}

/// Raises the alerts of `$raised` ([`Raised`]) at `$now` in the open transaction `$tx`,
/// recording each in `$chain`: one alert per threatening or collective appeal, and an
/// appellant's repeats gathered into one alert while it is active.
macro_rules! raise_alerts {
    ($tx:ident, $chain:ident, $raised:expr, $now:expr) => {{
        let raised: alerts::Raised = $raised;
        let now: DateTime<Utc> = $now;
        let policy = AlertPolicy::default();
        for alerts::Arriving { id: appeal, region, signals, .. } in &raised {
            for signal in signals {
                let Some(raise) = policy.raise(signal) else { continue };
                if let Signal::Life { .. } | Signal::Order { .. } = signal {
                    let risk = if matches!(signal, Signal::Life { .. }) { "life" } else { "order" };
                    // Life outranks order: set once, never lowered.
                    sqlx::query("UPDATE appeals SET risk = $1 WHERE id = $2 AND (risk IS NULL OR risk = 'order')")
                        .bind(risk)
                        .bind(*appeal)
                        .execute(&mut *$tx)
                        .await?;
                }
                let id = insert_alert!($tx, raise, None::<String>, region, now);
                join_alert!($tx, $chain, id, *appeal, &raise, now, "alert.raise");
            }
        }
        // One appellant's appeals in the window, by the phone's blind index.
        let new: Vec<(i64, &String, DateTime<Utc>, &String)> = raised
            .iter()
            .filter_map(|r| r.phone.as_ref().map(|(b, at)| (r.id, b, *at, &r.region)))
            .collect();
        let window = chrono::Duration::days(i64::from(policy.repeat_days));
        {
            if let Some(from) = new.iter().map(|r| r.2).min() {
                let phones: Vec<&str> = new.iter().map(|r| r.1.as_str()).collect();
                let list = serde_json::to_string(&phones).map_err(StoreError::other)?;
                let sql = format!(
                    "SELECT id, phone_bidx, received_at FROM appeals WHERE received_at >= $2 AND phone_bidx {} ORDER BY id",
                    in_json_list(numbered(&$tx))
                );
                let earlier: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(&sql)
                    .persistent(false)
                    .bind(list)
                    .bind(from - window)
                    .fetch_all(&mut *$tx)
                    .await?;
                for (appeal, bidx, at, region) in &new {
                    let within: Vec<i64> = earlier
                        .iter()
                        .filter(|(_, b, t)| b == *bidx && *t <= *at && *t >= *at - window)
                        .map(|(id, _, _)| *id)
                        .collect();
                    let signal = Signal::Repeat {
                        count: u32::try_from(within.len()).unwrap_or(u32::MAX),
                        days: policy.repeat_days,
                    };
                    let Some(raise) = policy.raise(&signal) else { continue };
                    let grouping = format!("repeat:{bidx}");
                    let active: Option<(i64,)> = sqlx::query_as(
                        "SELECT id FROM alerts WHERE grouping = $1 AND state <> 'resolved'",
                    )
                    .bind(&grouping)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    match active {
                        Some((id,)) => {
                            sqlx::query("UPDATE alerts SET level = $1, signal = $2, updated_at = $3 WHERE id = $4")
                                .bind(raise.level.code())
                                .bind(serde_json::to_string(&raise.signal).map_err(StoreError::other)?)
                                .bind(now)
                                .bind(id)
                                .execute(&mut *$tx)
                                .await?;
                            join_alert!($tx, $chain, id, *appeal, &raise, now, "alert.join");
                        }
                        None => {
                            let id = insert_alert!($tx, raise, Some(grouping), region, now);
                            for member in within {
                                join_alert!($tx, $chain, id, member, &raise, now, "alert.raise");
                            }
                        }
                    }
                }
            }
        }
    }};
}

/// Inserts an alert and returns its id.
macro_rules! insert_alert {
    ($tx:ident, $raise:expr, $grouping:expr, $region:expr, $now:expr) => {{
        let raise: &Raise = &$raise;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO alerts (rule, level, state, signal, grouping, region_code, raised_at, updated_at) \
             VALUES ($1, $2, 'open', $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(raise.rule.code())
        .bind(raise.level.code())
        .bind(serde_json::to_string(&raise.signal).map_err(StoreError::other)?)
        .bind($grouping)
        .bind($region.as_str())
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        if matches!(raise.level, AlertLevel::Red | AlertLevel::Orange) {
            // The duty desk is told now, not at the next look at the board.
            sqlx::query(
                "INSERT INTO outbox (created_at, appeal_id, kind, payload, next_attempt_at) \
                 VALUES ($1, NULL, 'alert', $2, $1)",
            )
            .bind($now)
            .bind(json!({ "alert_id": id, "level": raise.level.code() }).to_string())
            .execute(&mut *$tx)
            .await?;
        }
        id
    }};
}

/// Names an appeal in an alert, audited.
macro_rules! join_alert {
    ($tx:ident, $chain:ident, $alert:expr, $appeal:expr, $raise:expr, $now:expr, $action:expr) => {{
        let raise: &Raise = $raise;
        sqlx::query("INSERT INTO alert_members (alert_id, appeal_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind($alert)
            .bind($appeal)
            .execute(&mut *$tx)
            .await?;
        append_audit!($tx, $chain, $now, None, $action, Some($appeal), json!({
            "alert": $alert, "rule": raise.rule.code(), "level": raise.level.code(), "signal": raise.signal,
        }));
    }};
}

#[derive(FromRow)]
struct AlertRow {
    id: i64,
    rule: String,
    level: String,
    state: String,
    signal: String,
    region_code: String,
    raised_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    unit_id: Option<i64>,
    leader_id: Option<i64>,
    outcome: Option<String>,
    members: i64,
}

impl TryFrom<AlertRow> for AlertSummary {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<AlertSummary> {
        Ok(AlertSummary {
            id: r.id,
            rule: AlertRule::from_code(&r.rule).ok_or_else(|| corrupt("alert rule", &r.rule))?,
            level: AlertLevel::from_code(&r.level)
                .ok_or_else(|| corrupt("alert level", &r.level))?,
            state: AlertState::from_code(&r.state)
                .ok_or_else(|| corrupt("alert state", &r.state))?,
            signal: serde_json::from_str(&r.signal)
                .map_err(|_| corrupt("alert signal", &r.signal))?,
            region: RegionCode::parse(&r.region_code)
                .map_err(|_| corrupt("region", &r.region_code))?,
            raised_at: r.raised_at,
            updated_at: r.updated_at,
            unit_id: r.unit_id,
            leader_id: r.leader_id,
            outcome: r.outcome,
            members: r.members,
        })
    }
}

const ALERT_COLUMNS: &str = "l.id, l.rule, l.level, l.state, l.signal, l.region_code, l.raised_at, \
    l.updated_at, l.unit_id, l.leader_id, l.outcome, \
    (SELECT COUNT(*) FROM alert_members m WHERE m.alert_id = l.id) AS members";

/// Alerts naming at least one appeal the scope allows (the scope applies to the
/// member appeals `a`).
fn alert_scope(w: &mut Where, scope: &Scope) {
    w.scope(scope);
    let clause = w.clauses.pop().unwrap_or_else(|| "1 = 0".into());
    w.clauses.push(format!(
        "EXISTS (SELECT 1 FROM alert_members m JOIN appeals a ON a.id = m.appeal_id \
         WHERE m.alert_id = l.id AND {clause})"
    ));
}

#[async_trait]
impl crate::Alerts for SqlStore {
    async fn alerts(
        &self,
        scope: &Scope,
        filter: &AlertFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AlertSummary>> {
        let per_page = per_page.clamp(1, 200);
        let page = page.clamp(1, 100_000);
        let mut w = Where::default();
        alert_scope(&mut w, scope);
        if let Some(id) = filter.id {
            let p = w.arg(Arg::Int(id));
            w.clauses.push(format!("l.id = {p}"));
        }
        if filter.active_only {
            w.clauses.push("l.state <> 'resolved'".into());
        }
        if let Some(r) = filter.rule {
            let p = w.arg(Arg::Text(r.code().into()));
            w.clauses.push(format!("l.rule = {p}"));
        }
        if let Some(l) = filter.level {
            let p = w.arg(Arg::Text(l.code().into()));
            w.clauses.push(format!("l.level = {p}"));
        }
        if let Some(appeal) = filter.appeal_id {
            let p = w.arg(Arg::Int(appeal));
            w.clauses.push(format!(
                "l.id IN (SELECT alert_id FROM alert_members WHERE appeal_id = {p})"
            ));
        }
        let where_sql = w.sql();
        let n = w.args.len();
        let count_sql = format!("SELECT COUNT(*) FROM alerts l{where_sql}");
        let list_sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts l{where_sql} \
             ORDER BY CASE l.level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END, \
             l.raised_at DESC, l.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        with_db!(self, p => {
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count_sql), &w.args).fetch_one(p).await?;
            let rows: Vec<AlertRow> = bind_args!(sqlx::query_as(&list_sql), &w.args)
                .bind(per_page)
                .bind((page - 1) * per_page)
                .fetch_all(p)
                .await?;
            Ok(Page {
                items: rows.into_iter().map(AlertSummary::try_from).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn alert_members(
        &self,
        alerts: &[i64],
        scope: &Scope,
    ) -> Result<Vec<(i64, i64, AppealNo)>> {
        let (Some(first), Some(last)) = (alerts.iter().min(), alerts.iter().max()) else {
            return Ok(Vec::new());
        };
        let mut w = Where::default();
        let (from, to) = (w.arg(Arg::Int(*first)), w.arg(Arg::Int(*last)));
        w.clauses
            .push(format!("m.alert_id BETWEEN {from} AND {to}"));
        w.scope(scope);
        let sql = format!(
            "SELECT m.alert_id, m.appeal_id, a.no FROM alert_members m JOIN appeals a ON a.id = m.appeal_id{} \
             ORDER BY m.alert_id, m.appeal_id",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<(i64, i64, String)> =
                bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            rows.into_iter()
                .filter(|(alert, _, _)| alerts.contains(alert))
                .map(|(alert, appeal, no)| {
                    Ok((alert, appeal, AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?))
                })
                .collect()
        })
    }

    async fn change_alert(&self, id: i64, change: &AlertChange, actor: i64) -> Result<()> {
        let at = crate::now();
        let (state, data) = match change {
            AlertChange::Take { unit_id, leader_id } => (
                AlertState::Acknowledged,
                json!({ "alert": id, "unit_id": unit_id, "leader_id": leader_id }),
            ),
            AlertChange::Escalate => (AlertState::Escalated, json!({ "alert": id })),
            AlertChange::Resolve { outcome } => (
                AlertState::Resolved,
                json!({ "alert": id, "outcome_sha256": sha256_hex(&[outcome.as_str()]) }),
            ),
        };
        let (unit, leader, outcome) = match change {
            AlertChange::Take { unit_id, leader_id } => (*unit_id, *leader_id, None),
            AlertChange::Resolve { outcome } => (None, None, Some(outcome.as_str())),
            AlertChange::Escalate => (None, None, None),
        };
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            // Taking sets the unit and the leader as given (none: nobody yet), so the
            // audit record says what the alert holds.
            let done = match change {
                AlertChange::Take { .. } => {
                    sqlx::query(
                        "UPDATE alerts SET state = $1, updated_at = $2, unit_id = $3, leader_id = $4 \
                         WHERE id = $5 AND state <> 'resolved'",
                    )
                    .bind(state.code())
                    .bind(at)
                    .bind(unit)
                    .bind(leader)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                }
                AlertChange::Escalate => {
                    sqlx::query("UPDATE alerts SET state = $1, updated_at = $2 WHERE id = $3 AND state <> 'resolved'")
                        .bind(state.code())
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                }
                AlertChange::Resolve { .. } => {
                    sqlx::query(
                        "UPDATE alerts SET state = $1, updated_at = $2, outcome = $3 \
                         WHERE id = $4 AND state <> 'resolved'",
                    )
                    .bind(state.code())
                    .bind(at)
                    .bind(outcome)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), format!("alert.{}", state.code()), None, data);
            commit_chain!(tx, chain);
            Ok(())
        })
    }
}
