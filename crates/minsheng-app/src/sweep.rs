//! The sweep: recomputes every open case's clocks and flags from its events, so lists
//! sorted by deadline and the backlog/hard flags stay true as time passes and when the
//! calendar (it reloads uploaded calendars first) or the policy changes. It refreshes
//! the store's derived columns, each only against the version it read, so it never
//! overwrites a step that landed meanwhile. It takes the steps the workflow says the
//! system takes by itself as time passes (`workflow::system_step`: an answer not
//! called back closes when the appellant's window passes; a clock running late is
//! reminded, then escalated), each like any step, with the messages it sets off. It
//! also raises the day's surge alerts (a category far above its own baseline in a
//! township).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use minsheng_core::workflow::{Case, system_step};
use minsheng_store::Refresh;

use crate::{App, Error, Result};

/// Cases read per round trip.
const BATCH: i64 = 5_000;

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Open cases read.
    pub cases: u64,
    /// Cases whose stored outcome changed.
    pub changed: u64,
    /// Steps the system took by itself (an answer not called back closed when the
    /// appellant's window passed, a reminder, an escalation).
    pub steps: u64,
    /// Wall time.
    pub seconds: f64,
}

/// How long a stored file no appeal names is kept before the sweep removes it.
const STRAY_FILE_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

impl App {
    /// Sweeps the cases with ids in `after < id <= up_to`.
    async fn sweep_lane(
        &self,
        mut after: i64,
        up_to: i64,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64, u64)> {
        let (mut cases, mut changed, mut steps) = (0u64, 0u64, 0u64);
        let calendar = self.calendar();
        loop {
            let batch = self.store.open_cases(after, up_to, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.facts.id;
            cases += batch.len() as u64;
            let mut updates: Vec<Refresh> = Vec::new();
            for c in &batch {
                let case = Case::replay(&c.facts, &c.history, &self.policy, &calendar);
                if let Some(decision) = system_step(&case, &self.policy, &calendar, now) {
                    // A step that landed meanwhile wins; the next sweep looks again.
                    match self
                        .record_decision(&c.facts, &case, c.version, &decision)
                        .await
                    {
                        Ok(()) => steps += 1,
                        Err(Error::Stale) => {}
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                let outcome = case.outcome(&self.policy, &calendar, now);
                if outcome != c.stored {
                    updates.push(Refresh {
                        id: c.facts.id,
                        version: c.version,
                        outcome,
                    });
                }
            }
            if !updates.is_empty() {
                changed += self.store.save_outcomes(&updates).await?;
            }
        }
        Ok((cases, changed, steps))
    }

    /// One sweep over every open case, as of `now`: the id space is cut in two halves
    /// swept on two tasks (and two connections) at once, as the machine has two cores.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<Report> {
        let started = Instant::now();
        // Another node may have taken a calendar upload.
        self.load_calendars().await?;
        // Sessions expired or idle, and sign-in failures long forgotten, go.
        self.store
            .purge_sessions(
                now,
                now - self.session_rules.idle,
                now - chrono::Duration::seconds(minsheng_core::throttle::FORGET_AFTER_SECONDS),
            )
            .await?;
        // Files a refused registration left behind, an hour on.
        self.remove_stray_files(std::time::SystemTime::now() - STRAY_FILE_AGE)
            .await?;
        let max = self.store.max_appeal_id().await?;
        let half = max / 2;
        let spawn = |after, up_to| {
            let app = self.clone();
            tokio::spawn(async move { app.sweep_lane(after, up_to, now).await })
        };
        let (low, high) = (spawn(0, half), spawn(half, max));
        let joined = |r: std::result::Result<Result<(u64, u64, u64)>, tokio::task::JoinError>| {
            r.map_err(|e| Error::Task(e.to_string()))?
        };
        let (a, b) = (joined(low.await)?, joined(high.await)?);
        // A category far above its own baseline today, in a township.
        self.surge_alerts(now).await?;
        Ok(Report {
            cases: a.0 + b.0,
            changed: a.1 + b.1,
            steps: a.2 + b.2,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Sweeps now and then every `period`, logging failures and going on.
    pub async fn sweep_every(self, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            let outcome = self.sweep(minsheng_store::now()).await;
            self.metrics
                .swept(outcome.as_ref().ok().map(|r| (r.seconds, r.cases)));
            match outcome {
                Ok(r) => tracing::info!(
                    cases = r.cases,
                    changed = r.changed,
                    steps = r.steps,
                    seconds = r.seconds,
                    "sweep done"
                ),
                Err(e) => tracing::error!(error = %e, "sweep failed"),
            }
        }
    }
}
