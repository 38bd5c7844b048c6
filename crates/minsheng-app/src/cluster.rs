//! Similar-appeal clusters: each appeal that comes in is compared with the recent ones
//! (this node keeps the window in memory, loaded from the database on first use) and
//! joins a cluster or starts one; the store keeps the clusters and their evidence, and
//! raises a cluster alert when one grows fast. `minsheng recluster` builds them all
//! again from the history, oldest first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_core::alerts::AlertPolicy;
use minsheng_store::{ClusterPlacement, ClusterRef, ClusterSource};
use minsheng_text::Segmenter;
use minsheng_text::similar::{Clusterer, Item, Prepared, Rules};
use tokio::sync::Mutex;

use crate::{App, Error, Result};

/// Appeals read (and written) per page when loading or rebuilding.
const PAGE: i64 = 5_000;
/// Keys of clusters not yet stored start here (stored ids stay far below).
const NEW_KEYS: u64 = 1 << 62;

/// This node's clusterer, loaded on first use.
#[derive(Default)]
pub(crate) struct Clustering(Mutex<Option<Clusterer>>);

/// What one appeal brings to the clustering (as the store reads it back).
pub type Arrival = ClusterSource;

/// The villages' centroids, so an appeal without a point of its own is placed at its
/// village's (distance then counts between neighbouring villages).
type Centroids = HashMap<String, (f64, f64)>;

fn centroids(d: &crate::pipeline::Directory) -> Centroids {
    d.regions
        .iter()
        .filter_map(|r| r.centroid.map(|c| (r.region.code.to_string(), c)))
        .collect()
}

fn item(segmenter: &Segmenter, places: &Centroids, a: &Arrival) -> Item {
    let village = a.region.to_string();
    Item {
        id: a.id,
        words: segmenter.features(&format!("{}\n{}", a.title, a.text)),
        category: a.category.clone(),
        location: a.location.or_else(|| places.get(&village).copied()),
        village,
        day: a.received_at.timestamp() as f64 / 86_400.0,
    }
}

/// An appeal prepared for the clusterer, with what the store needs of it.
type Ready = (Prepared, Arrival);

fn prepare(segmenter: &Segmenter, places: &Centroids, page: Vec<Arrival>) -> Vec<Ready> {
    page.into_iter()
        .map(|a| (Prepared::new(item(segmenter, places, &a)), a))
        .collect()
}

/// Decides the clusters of a run of appeals (in the order they came in): what to store
/// for each. New clusters get keys from `next_key` up.
fn decide(clusterer: &mut Clusterer, run: Vec<Ready>, next_key: &mut u64) -> Vec<ClusterPlacement> {
    run.into_iter()
        .map(|(prepared, a)| {
            let found = clusterer.add_prepared(prepared);
            let key = found.cluster.unwrap_or_else(|| {
                *next_key += 1;
                *next_key
            });
            clusterer.place(a.id, key);
            ClusterPlacement {
                appeal_id: a.id,
                received_at: a.received_at,
                category: a.category,
                region: a.region,
                cluster: if key >= NEW_KEYS {
                    ClusterRef::New(key)
                } else {
                    ClusterRef::Stored(key as i64)
                },
                evidence: found
                    .evidence
                    .as_ref()
                    .and_then(|e| serde_json::to_string(e).ok()),
            }
        })
        .collect()
}

/// Stores placements and returns each one's cluster id. A cluster begun in an earlier
/// run, whose key the clusterer still uses, is found in `known`; the clusters begun in
/// this run are added to it.
async fn store(
    app: &App,
    placements: &mut [ClusterPlacement],
    known: &mut HashMap<u64, i64>,
) -> Result<Vec<i64>> {
    for pl in placements.iter_mut() {
        if let ClusterRef::New(key) = pl.cluster
            && let Some(id) = known.get(&key)
        {
            pl.cluster = ClusterRef::Stored(*id);
        }
    }
    let ids = app
        .store
        .place_in_clusters(placements, &AlertPolicy::default())
        .await?;
    for (pl, id) in placements.iter().zip(&ids) {
        if let ClusterRef::New(key) = pl.cluster {
            known.insert(key, *id);
        }
    }
    Ok(ids)
}

/// What a rebuild did.
#[derive(Debug, Clone, Default)]
pub struct Rebuilt {
    /// Appeals read.
    pub appeals: usize,
    /// Clusters of two or more.
    pub clusters: usize,
    /// Appeals in a cluster of two or more.
    pub clustered: usize,
    /// (appeal id, cluster id) of every appeal, to measure against labels.
    pub placed: Vec<(i64, i64)>,
}

/// How the clusters found the planted situations (demo labels).
#[derive(Debug, Clone, Default)]
pub struct Planted {
    /// Pairwise precision against the labels.
    pub precision: f64,
    /// Pairwise recall against the labels.
    pub recall: f64,
    /// Per label: appeals, and the cluster alerts naming some of them.
    pub labels: Vec<(String, usize, usize)>,
}

/// Why an appeal joined its cluster, in words: shared terms, how alike, where, when.
pub fn explain(evidence: &str, lang: minsheng_core::Lang) -> Option<String> {
    use minsheng_core::Lang;
    use minsheng_text::similar::{Evidence, PlaceMatch};
    let e: Evidence = serde_json::from_str(evidence).ok()?;
    let zh = lang == Lang::Zh;
    let mut parts = Vec::new();
    if !e.shared.is_empty() {
        let shared = e.shared.join(if zh { "、" } else { ", " });
        parts.push(if zh {
            format!("共同词：{shared}")
        } else {
            format!("shared: {shared}")
        });
    }
    parts.push(if zh {
        format!("词语相似度 {:.2}", e.cosine)
    } else {
        format!("word similarity {:.2}", e.cosine)
    });
    parts.push(match (&e.place, zh) {
        (Some(PlaceMatch::Village), true) => "同一村（社区）".into(),
        (Some(PlaceMatch::Village), false) => "same village".into(),
        (Some(PlaceMatch::Named { place }), true) => format!("同一地点「{place}」"),
        (Some(PlaceMatch::Named { place }), false) => format!("same place “{place}”"),
        (Some(PlaceMatch::Near { km }), true) => format!("相距 {km:.1} 公里"),
        (Some(PlaceMatch::Near { km }), false) => format!("{km:.1} km apart"),
        (None, true) => "地点不同".into(),
        (None, false) => "different places".into(),
    });
    if !e.same_category {
        parts.push(if zh {
            "类别不同".into()
        } else {
            "another category".into()
        });
    }
    parts.push(if zh {
        format!("相隔 {:.0} 天", e.days)
    } else {
        format!("{:.0} days apart", e.days)
    });
    Some(parts.join(" · "))
}

impl App {
    /// The cluster of an appeal in `me`'s scope, with the members they may see.
    pub async fn cluster_of(
        &self,
        me: &crate::sessions::SignedIn,
        appeal_id: i64,
    ) -> Result<Option<minsheng_store::ClusterView>> {
        Ok(self.store.cluster_of(appeal_id, &me.scope).await?)
    }

    /// Measures a rebuild against labels starting with `prefix` (the demo's planted
    /// `demo:` situations).
    pub async fn planted(&self, rebuilt: &Rebuilt, prefix: &str) -> Result<Planted> {
        let labelled = self.store.labelled_appeals(prefix).await?;
        let labels: HashMap<i64, String> = labelled.iter().cloned().collect();
        let (precision, recall) = minsheng_text::similar::pairwise(&rebuilt.placed, &labels);
        let county = self.directory().await?.county.clone();
        let scope = minsheng_core::staff::Scope {
            regions: county.into_iter().collect(),
            units: Vec::new(),
            above: Vec::new(),
        };
        let filter = minsheng_store::AlertFilter {
            rule: Some(minsheng_core::alerts::AlertRule::Cluster),
            ..Default::default()
        };
        let alerts = self.store.alerts(&scope, &filter, 1, 200).await?;
        let ids: Vec<i64> = alerts.items.iter().map(|a| a.id).collect();
        let members = self.store.alert_members(&ids, &scope).await?;
        let mut names: Vec<String> = labels.values().cloned().collect();
        names.sort();
        names.dedup();
        let per_label = names
            .into_iter()
            .map(|name| {
                let count = labels.values().filter(|l| **l == name).count();
                let mut alerted: Vec<i64> = members
                    .iter()
                    .filter(|(_, appeal, _)| labels.get(appeal) == Some(&name))
                    .map(|(alert, _, _)| *alert)
                    .collect();
                alerted.sort_unstable();
                alerted.dedup();
                (name, count, alerted.len())
            })
            .collect();
        Ok(Planted {
            precision,
            recall,
            labels: per_label,
        })
    }

    /// Places newly stored appeals in clusters (appeals received before the window,
    /// from an import or the demo, wait for `minsheng recluster`).
    pub async fn cluster_arrivals(&self, arrivals: Vec<Arrival>) -> Result<()> {
        let rules = Rules::default();
        let since = minsheng_store::now() - chrono::Duration::days(rules.days as i64);
        let arrivals: Vec<Arrival> = arrivals
            .into_iter()
            .filter(|a| a.received_at >= since)
            .collect();
        if arrivals.is_empty() || !self.read_text {
            return Ok(());
        }
        let segmenter = self.segmenter().await?;
        let places = centroids(&*self.directory().await?);
        let mut guard = self.clustering.0.lock().await;
        let clusterer = match guard.as_mut() {
            Some(c) => c,
            None => {
                let mut c = Clusterer::new(rules);
                let mut after = None;
                loop {
                    let page = self.store.cluster_sources(since, after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = Some((last.received_at, last.id));
                    for s in page {
                        // An appeal taken while clustering did not run is held, unplaced.
                        let cluster = s
                            .cluster_id
                            .and_then(|c| u64::try_from(c).ok())
                            .unwrap_or(0);
                        c.add_known(item(&segmenter, &places, &s), cluster);
                    }
                }
                guard.insert(c)
            }
        };
        let mut next_key = NEW_KEYS;
        let mut placements = decide(
            clusterer,
            prepare(&segmenter, &places, arrivals),
            &mut next_key,
        );
        let ids = store(self, &mut placements, &mut HashMap::new()).await?;
        // The clusterer learns the stored ids of the clusters this run began.
        for (pl, id) in placements.iter().zip(ids) {
            if matches!(pl.cluster, ClusterRef::New(_)) {
                clusterer.place(pl.appeal_id, u64::try_from(id).unwrap_or(0));
            }
        }
        Ok(())
    }

    /// Drops every cluster and builds them again from all appeals, oldest first;
    /// `progress` hears how many appeals so far.
    ///
    /// Three stages run at once, each a page behind the one before: reading a page
    /// and preparing its appeals (segmentation, signatures), deciding their clusters
    /// in order on a thread of its own, and storing the decisions. New clusters keep
    /// the keys the decider gave them until the end (the store maps each to the id it
    /// stored it under), so deciding never waits for the store.
    pub async fn recluster(&self, progress: impl Fn(usize)) -> Result<Rebuilt> {
        let segmenter = self.segmenter().await?;
        let places = std::sync::Arc::new(centroids(&*self.directory().await?));
        let mut guard = self.clustering.0.lock().await;
        *guard = None;
        self.store.clear_clusters().await?;
        let origin = DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default();
        let (pages, mut to_decide) = tokio::sync::mpsc::channel::<Vec<Ready>>(2);
        let (decided, mut to_store) = tokio::sync::mpsc::channel::<Vec<ClusterPlacement>>(2);
        let decider = tokio::task::spawn_blocking(move || {
            let mut clusterer = Clusterer::new(Rules::default());
            let mut next_key = NEW_KEYS;
            while let Some(page) = to_decide.blocking_recv() {
                let placements = decide(&mut clusterer, page, &mut next_key);
                if decided.blocking_send(placements).is_err() {
                    break;
                }
            }
        });
        let read = async {
            let mut after = None;
            loop {
                let page = self.store.cluster_sources(origin, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = Some((last.received_at, last.id));
                let (s, at) = (segmenter.clone(), places.clone());
                let prepared = tokio::task::spawn_blocking(move || prepare(&s, &at, page))
                    .await
                    .map_err(|e| Error::Task(e.to_string()))?;
                if pages.send(prepared).await.is_err() {
                    break;
                }
            }
            drop(pages);
            Ok::<(), Error>(())
        };
        let write = async {
            let mut rebuilt = Rebuilt::default();
            let mut known = HashMap::new();
            while let Some(mut placements) = to_store.recv().await {
                let ids = store(self, &mut placements, &mut known).await?;
                rebuilt
                    .placed
                    .extend(placements.iter().map(|p| p.appeal_id).zip(ids));
                rebuilt.appeals += placements.len();
                progress(rebuilt.appeals);
            }
            Ok::<Rebuilt, Error>(rebuilt)
        };
        let ((), mut rebuilt) = tokio::try_join!(read, write)?;
        decider.await.map_err(|e| Error::Task(e.to_string()))?;
        let mut sizes: HashMap<i64, usize> = HashMap::new();
        for (_, c) in &rebuilt.placed {
            *sizes.entry(*c).or_default() += 1;
        }
        rebuilt.clusters = sizes.values().filter(|n| **n > 1).count();
        rebuilt.clustered = sizes.values().filter(|n| **n > 1).sum();
        // The next arrival loads the window afresh, with the stored ids.
        drop(guard);
        Ok(rebuilt)
    }
}
