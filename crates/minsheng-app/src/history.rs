//! Importing historical appeals (CSV, XLSX or JSONL) through the same registration path
//! as every other channel: routed by the county's rules, personal data encrypted, every
//! appeal audited, idempotent by external id (re-running a file, or resuming one that
//! stopped half-way, skips what is already in).

use minsheng_core::history::{self, ColumnMap, Ending, ImportProblem, Known};
use minsheng_core::region::RegionLevel;
use minsheng_core::routing::route;
use minsheng_core::workflow::{CaseFacts, open_imported};
use minsheng_store::{Registered, Registration};
use sha2::{Digest, Sha256};

use crate::files::{FileImportError, read_records};
use crate::{App, Error};

/// Rows stored per transaction.
const BATCH: usize = 5_000;

/// Why a history file was not imported.
pub type HistoryImportError = FileImportError<ImportProblem>;

/// What an import did (or, for a check, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryReport {
    /// Good rows in the file.
    pub rows: usize,
    /// Appeals stored now.
    pub stored: usize,
    /// Rows already imported earlier (same external id), skipped.
    pub skipped: usize,
    /// Whether anything was written (false for a check).
    pub applied: bool,
}

fn tally(report: &mut HistoryReport, registered: Vec<Registered>) {
    for r in registered {
        match r {
            Registered::Stored(_) => report.stored += 1,
            Registered::Repeat(_) | Registered::KeyReused | Registered::DisputeTaken => {
                report.skipped += 1
            }
        }
    }
}

fn joined(
    r: Result<crate::Result<Vec<Registered>>, tokio::task::JoinError>,
) -> Result<Vec<Registered>, HistoryImportError> {
    Ok(r.map_err(|e| Error::Task(e.to_string()))??)
}

impl App {
    /// Imports historical appeals from `bytes` (CSV or XLSX with a header row, or JSON
    /// Lines with the standard field names), with an optional mapping of headers to
    /// fields (`header=field` lines). Every row is checked first: any bad row writes
    /// nothing. Then rows are stored in batches, each one transaction; `progress` is
    /// told how many rows are done, of how many.
    pub async fn import_history(
        &self,
        bytes: &[u8],
        mapping: Option<&str>,
        check_only: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<HistoryReport, HistoryImportError> {
        let table = read_records(bytes, &history::FIELDS)?;
        let map = ColumnMap::new(&table, mapping).map_err(HistoryImportError::Rows)?;
        let categories = self.store.categories().await.map_err(Error::from)?;
        let regions: Vec<_> = self
            .store
            .regions()
            .await
            .map_err(Error::from)?
            .into_iter()
            // History may come from places retired since.
            .filter(|r| r.region.level() != RegionLevel::County)
            .map(|r| r.region)
            .collect();
        // Rows without an external id get one from the file's content and their line,
        // so running the same file again (or resuming it) stores nothing twice.
        let id_prefix = format!("file-{}", &hex::encode(Sha256::digest(bytes))[..16]);
        let now = minsheng_store::now();
        let rows = history::read_all(
            &table,
            &map,
            &Known {
                categories: &categories,
                regions: &regions,
                now,
                id_prefix: &id_prefix,
            },
        )
        .map_err(HistoryImportError::Rows)?;
        let mut report = HistoryReport {
            rows: rows.len(),
            applied: !check_only,
            ..HistoryReport::default()
        };
        if check_only {
            return Ok(report);
        }
        let units = self.store.units().await.map_err(Error::from)?;
        let rules = self.store.routing_rules().await.map_err(Error::from)?;
        let calendar = self.calendar();
        let (policy, calendar) = (self.policy.as_ref(), calendar.as_ref());
        // Each batch is prepared (routed, its case opened, its rows built and personal
        // data sealed) while the one before is being written, so the two cores share
        // the work; batches are still stored in file order, so numbers follow the file.
        let mut writing: Option<(
            usize,
            tokio::task::JoinHandle<crate::Result<Vec<Registered>>>,
        )> = None;
        let mut done = 0;
        for chunk in rows.chunks(BATCH) {
            // Rows stored by an earlier run are skipped before any work is done on them.
            let ids: Vec<String> = chunk.iter().map(|h| h.external_id.clone()).collect();
            let known: std::collections::HashSet<String> = self
                .store
                .known_external_ids(&ids)
                .await
                .map_err(Error::from)?
                .into_iter()
                .collect();
            report.skipped += known.len();
            let batch: Vec<Registration> = chunk
                .iter()
                .filter(|h| !known.contains(&h.external_id))
                .map(|h| {
                    let routing = route(
                        &h.appeal.category,
                        &h.appeal.region,
                        &rules,
                        &categories,
                        &units,
                        &crate::recusal::accused_units(&h.appeal, &units),
                    );
                    let facts = CaseFacts::of(&h.appeal, &routing);
                    let ended = match h.ending {
                        Ending::Open => None,
                        Ending::Ended(state, at) => Some((state, at)),
                    };
                    Registration {
                        opening: open_imported(&facts, ended, policy, calendar, now),
                        routing,
                        appeal: h.appeal.clone(),
                        actor_id: None,
                        tags: vec!["import".to_owned()],
                        external_id: Some(h.external_id.clone()),
                        api_key_id: None,
                        index_terms: Vec::new(),
                        signals: Vec::new(),
                        dispute: None,
                        effects: Vec::new(),
                    }
                })
                .collect();
            let sealed = self.seal(batch).await?;
            if let Some((n, task)) = writing.take() {
                tally(&mut report, joined(task.await)?);
                done += n;
                progress(done, rows.len());
            }
            if known.len() == chunk.len() {
                done += chunk.len();
                progress(done, rows.len());
                continue;
            }
            let app = self.clone();
            writing = Some((
                chunk.len(),
                tokio::spawn(async move { app.write_sealed(sealed).await }),
            ));
        }
        if let Some((n, task)) = writing.take() {
            tally(&mut report, joined(task.await)?);
            done += n;
            progress(done, rows.len());
        }
        Ok(report)
    }
}
