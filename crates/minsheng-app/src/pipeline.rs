//! The one intake pipeline every channel's appeals go through (portal, console, JSON
//! API, Open311, history import, the demo): checked against a cached copy of the
//! county's directory, routed, opened, sealed on the caller's task, then stored by a
//! single writer that gathers whatever is waiting into one transaction. Each caller is
//! answered only after the transaction that holds its appeal committed, so durability
//! stays `synchronous=FULL` (one fsync per transaction, not per appeal).

use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use minsheng_core::category::Category;
use minsheng_core::region::RegionCode;
use minsheng_core::region_import::KnownRegion;
use minsheng_core::routing::RoutingRule;
use minsheng_core::unit::Unit;
use minsheng_store::{Registered, Registration, SealedBatch, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::{App, Error, Result};

/// The most registrations one transaction gathers (an import's batch may bring more on
/// its own; it is then written alone).
const MAX_ROWS: usize = 2_000;

/// How long the writer waits for more appeals to join a transaction.
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

/// How many callers may wait for the writer before the next one waits to be queued.
const QUEUE: usize = 4_096;

/// What intake checks an appeal against, read at one directory version.
#[derive(Debug)]
pub struct Directory {
    /// The version it was read at.
    pub version: i64,
    /// The county, if set up.
    pub county: Option<RegionCode>,
    /// Every region, with its centroid and whether it was retired.
    pub regions: Vec<KnownRegion>,
    /// Villages and communities that take appeals (not retired).
    pub villages: Vec<RegionCode>,
    /// Categories in display order.
    pub categories: Vec<Category>,
    /// Units.
    pub units: Vec<Unit>,
    /// Routing rules.
    pub rules: Vec<RoutingRule>,
    /// The regions that take appeals, by code and by name.
    pub places: minsheng_core::history::Places,
}

/// The directory last read, shared by every clone of the application.
#[derive(Default)]
pub(crate) struct DirectoryCache(RwLock<Option<Arc<Directory>>>);

/// One caller's registrations, sealed, and where to send the answer.
struct Job {
    sealed: SealedBatch,
    reply: oneshot::Sender<Result<Vec<Registered>, StoreError>>,
}

/// The writer's queue, started on first use on the caller's runtime.
#[derive(Default)]
pub(crate) struct Writer(OnceLock<mpsc::Sender<Job>>);

impl App {
    /// The county's directory as intake checks against it: read again only when
    /// another change to it was committed (on any node) since it was last read.
    pub async fn directory(&self) -> Result<Arc<Directory>> {
        let version = self.store.directory_version().await?;
        let cached = self
            .directory
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(d) = cached.filter(|d| d.version == version) {
            return Ok(d);
        }
        let regions = self.store.regions().await?;
        let live: Vec<_> = regions
            .iter()
            .filter(|r| !r.retired)
            .map(|r| r.region.clone())
            .collect();
        let fresh = Arc::new(Directory {
            places: minsheng_core::history::Places::new(&live),
            version,
            county: self.store.county().await?.map(|c| c.code),
            villages: regions
                .iter()
                .filter(|r| !r.retired && r.region.level() == minsheng_core::RegionLevel::Village)
                .map(|r| r.region.code.clone())
                .collect(),
            regions,
            categories: self.store.categories().await?,
            units: self.store.units().await?,
            rules: self.store.routing_rules().await?,
        });
        *self
            .directory
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(fresh.clone());
        Ok(fresh)
    }

    /// A unit, from the cached directory.
    pub async fn unit(&self, id: i64) -> Result<Unit> {
        self.directory()
            .await?
            .units
            .iter()
            .find(|u| u.id == id)
            .cloned()
            .ok_or(Error::NotFound)
    }

    /// Stores registrations (already checked, routed and opened) through the writer;
    /// answers once they are committed, in their order.
    pub async fn store_registrations(
        &self,
        registrations: Vec<Registration>,
    ) -> Result<Vec<Registered>> {
        let arriving: Vec<crate::cluster::Arrival> = registrations
            .iter()
            .map(|r| crate::cluster::Arrival {
                id: 0,
                title: r.appeal.title.clone(),
                text: r.appeal.text.clone(),
                category: r.appeal.category.clone(),
                region: r.appeal.region.clone(),
                location: r.appeal.location,
                received_at: r.appeal.received_at,
                cluster_id: None,
            })
            .collect();
        let sealed = self.seal(registrations).await?;
        let written = self.write_sealed(sealed).await?;
        // Stored: now placed among similar appeals. The appeal stands if this fails
        // (`minsheng recluster` places it later).
        let stored: Vec<crate::cluster::Arrival> = written
            .iter()
            .zip(arriving)
            .filter_map(|(w, a)| match w {
                Registered::Stored(r) => Some(crate::cluster::Arrival { id: r.id, ..a }),
                _ => None,
            })
            .collect();
        if let Err(e) = self.cluster_arrivals(stored).await {
            tracing::error!(error = %e, "new appeals were not placed in clusters");
        }
        Ok(written)
    }

    /// Stores a batch sealed by the caller (an import seals the next batch while this
    /// one is written) through the writer.
    pub async fn write_sealed(&self, sealed: SealedBatch) -> Result<Vec<Registered>> {
        if sealed.is_empty() {
            return Ok(Vec::new());
        }
        let queue = self
            .writer
            .0
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(write_loop(self.store.clone(), rx));
                tx
            })
            .clone();
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { sealed, reply })
            .await
            .map_err(|_| Error::Task("the intake writer stopped".into()))?;
        match answer.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(Error::Task("the intake writer stopped".into())),
        }
    }
}

/// The writer: takes the first job waiting, gathers every other job already queued (up
/// to [`MAX_ROWS`] registrations), writes them in one transaction and answers each.
async fn write_loop(store: Arc<dyn Store>, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut rows = first.sealed.len();
        let mut jobs = vec![first];
        // Whatever is queued, then whatever arrives while the gathering keeps growing
        // (up to LINGER): under load a transaction carries many appeals; a lone appeal
        // waits at most LINGER.
        let until = tokio::time::Instant::now() + LINGER;
        while rows < MAX_ROWS {
            let job = match queue.try_recv() {
                Ok(job) => job,
                Err(_) => match tokio::time::timeout_at(until, queue.recv()).await {
                    Ok(Some(job)) => job,
                    _ => break,
                },
            };
            rows += job.sealed.len();
            jobs.push(job);
        }
        tracing::debug!(jobs = jobs.len(), rows, "intake transaction");
        if jobs.len() == 1 {
            let job = jobs.remove(0);
            let result = write_alone(store.as_ref(), job.sealed).await;
            let _ = job.reply.send(result);
            continue;
        }
        // Kept to write each job alone if the gathered transaction fails (one bad row
        // must not fail the others).
        let again: Vec<Vec<Registration>> = jobs
            .iter()
            .map(|j| j.sealed.registrations().to_vec())
            .collect();
        let sizes: Vec<usize> = jobs.iter().map(|j| j.sealed.len()).collect();
        let (batches, replies): (Vec<SealedBatch>, Vec<_>) =
            jobs.into_iter().map(|j| (j.sealed, j.reply)).unzip();
        let t = std::time::Instant::now();
        let written = store.write_registrations(SealedBatch::merge(batches)).await;
        tracing::debug!(us = t.elapsed().as_micros() as u64, rows, "intake written");
        match written {
            Ok(mut answers) => {
                for (size, reply) in sizes.into_iter().zip(replies) {
                    let rest = answers.split_off(size.min(answers.len()));
                    let _ = reply.send(Ok(std::mem::replace(&mut answers, rest)));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = sizes.len(), "a gathered intake transaction failed: writing each alone");
                for (regs, reply) in again.into_iter().zip(replies) {
                    let result = match store.seal_registrations(regs) {
                        Ok(sealed) => write_alone(store.as_ref(), sealed).await,
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Writes one caller's batch; a conflict on a form key (two nodes took the same form
/// at once: each looked before either wrote) is written once more, when the earlier
/// receipt is found.
async fn write_alone(
    store: &dyn Store,
    sealed: SealedBatch,
) -> Result<Vec<Registered>, StoreError> {
    let keyed = sealed
        .registrations()
        .iter()
        .any(|r| r.appeal.submission_key.is_some());
    let again = keyed.then(|| sealed.registrations().to_vec());
    match store.write_registrations(sealed).await {
        Err(StoreError::Conflict(_)) if keyed => {
            let regs = again.unwrap_or_default();
            store
                .write_registrations(store.seal_registrations(regs)?)
                .await
        }
        other => other,
    }
}
