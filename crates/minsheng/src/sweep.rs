//! The sweep: recomputes every open case's clocks and flags from its events, so lists
//! sorted by deadline and the backlog/hard flags stay true as time passes. It changes
//! no case; it refreshes the store's derived columns.

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Utc};
use minsheng_core::workflow::Case;
use minsheng_web::AppState;

/// Cases read per round trip.
const BATCH: i64 = 5_000;

/// What a sweep did.
pub struct Report {
    /// Open cases read.
    pub cases: u64,
    /// Cases whose stored outcome changed.
    pub changed: u64,
    /// Wall time.
    pub seconds: f64,
}

/// One sweep over every open case, as of `now`.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> Result<Report> {
    let started = Instant::now();
    let (mut cases, mut changed, mut after) = (0u64, 0u64, 0i64);
    loop {
        let batch = state.store.open_cases(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.facts.id;
        cases += batch.len() as u64;
        let updates: Vec<_> = batch
            .iter()
            .filter_map(|c| {
                let outcome = Case::replay(&c.facts, &c.history, &state.policy, &state.calendar)
                    .outcome(&state.policy, &state.calendar, now);
                (outcome != c.stored).then_some((c.facts.id, outcome))
            })
            .collect();
        if !updates.is_empty() {
            changed += state.store.save_outcomes(&updates).await?;
        }
    }
    Ok(Report {
        cases,
        changed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Sweeps now and then every `period`, logging failures and going on.
pub async fn every(state: AppState, period: Duration) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        match run(&state, minsheng_store::now()).await {
            Ok(r) => tracing::info!(
                cases = r.cases,
                changed = r.changed,
                seconds = r.seconds,
                "sweep done"
            ),
            Err(e) => tracing::error!(error = %e, "sweep failed"),
        }
    }
}
