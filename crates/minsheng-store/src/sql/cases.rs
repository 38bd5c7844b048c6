//! Workflow steps and the sweep.

use super::*;
use crate::{Cases, StepAdds};

#[async_trait]
impl Cases for SqlStore {
    async fn record_step(
        &self,
        appeal_id: i64,
        version: i64,
        step: &Happened,
        outcome: &Outcome,
        effects: &[Effect],
        adds: &StepAdds,
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
                        add_tallies!(tx, &adds.tallies);
                        let mut tags: Vec<&str> = adds.tags.iter().map(String::as_str).collect();
            if let Some(print) = &adds.reply_print {
                let print = sha256_hex(&[print]);
                let copied: Option<(i64,)> = sqlx::query_as(
                    "SELECT appeal_id FROM reply_prints WHERE print = $1 AND appeal_id <> $2 LIMIT 1",
                )
                .bind(&print)
                .bind(appeal_id)
                .fetch_optional(&mut *tx)
                .await?;
                if copied.is_some() {
                    tags.push(Sign::CopiedReply.tag());
                }
                sqlx::query("INSERT INTO reply_prints (print, appeal_id, at) VALUES ($1, $2, $3)")
                    .bind(&print)
                    .bind(appeal_id)
                    .bind(step.at)
                    .execute(&mut *tx)
                    .await?;
            }
            for tag in tags {
                sqlx::query("INSERT INTO appeal_tags (appeal_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(appeal_id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            for tag in &adds.untags {
                sqlx::query("DELETE FROM appeal_tags WHERE appeal_id = $1 AND tag = $2")
                    .bind(appeal_id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            // A case merged into another hands it its accusations: the case kept
            // stands aside from the same units from now on.
            if let Command::Merge { into } = &step.command {
                sqlx::query(
                    "INSERT INTO appeal_accused (appeal_id, unit_id) \
                     SELECT $1, unit_id FROM appeal_accused WHERE appeal_id = $2 ON CONFLICT DO NOTHING",
                )
                .bind(into)
                .bind(appeal_id)
                .execute(&mut *tx)
                .await?;
            }
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
        self.cases_where(&open_status_sql(), after, up_to, limit)
            .await
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
}

/// The SQL condition that appeal `a` is still open (not in a terminal state).
pub(super) fn open_status_sql() -> String {
    let terminal: Vec<String> = State::ALL
        .iter()
        .filter(|s| s.is_terminal())
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!("a.status NOT IN ({})", terminal.join(", "))
}

impl SqlStore {
    /// The cases with ids in `after+1..=up_to` that meet `condition` (on appeal `a`),
    /// `limit` of them in id order, with their histories.
    pub(super) async fn cases_where(
        &self,
        condition: &str,
        after: i64,
        up_to: i64,
        limit: i64,
    ) -> Result<Vec<OpenCase>> {
        let open = format!("{condition} AND a.id > $1 AND a.id <= $2");
        let cases_sql = format!(
            "SELECT a.id, a.kind, a.category, a.region_code, a.received_at, a.status, a.handler_unit_id, \
             a.due_at, a.clock_started_at, a.supervision_due, a.backlog, a.hard, a.leader_id, a.version \
             FROM appeals a WHERE {open} ORDER BY a.id LIMIT $3"
        );
        // Names of actors and units are not needed to replay a case.
        let events_sql = format!(
            "SELECT e.appeal_id, e.at, e.kind, e.actor_id, NULL AS actor, NULL AS actor_unit, e.unit_id, NULL AS unit, \
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
}
