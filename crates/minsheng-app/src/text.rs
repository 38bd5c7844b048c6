//! Reading appeals' text: one segmenter for the county (jieba, the mass-work terms and
//! the county's own places, units and categories), the search index written with each
//! appeal and after each reply, and older appeals indexed in the background.

use std::sync::{Arc, PoisonError, RwLock};

use minsheng_core::alerts::Signal;
use minsheng_store::{IndexSource, Registration, SealedBatch};
use minsheng_text::Segmenter;
use minsheng_text::risk::{RiskKind, threats};
use minsheng_text::search::{Piece, Query, snippet};

use crate::pipeline::Directory;
use crate::{App, Error, Result};

/// Registrations segmented on the caller's task up to this many; more go to the
/// blocking pool.
const INLINE: usize = 8;

/// Appeals indexed per transaction by [`App::index_backlog`].
const INDEX_BATCH: i64 = 2_000;

/// The segmenters: jieba's (loaded once, some 0.4 s) and the county's (rebuilt when the
/// directory changes).
#[derive(Default)]
pub(crate) struct Segmenters {
    base: tokio::sync::OnceCell<Arc<Segmenter>>,
    county: RwLock<Option<(i64, Arc<Segmenter>)>>,
}

/// The county's words: its places (and their stems), units and categories.
fn county_words(d: &Directory) -> Vec<String> {
    let mut words: Vec<String> = d.regions.iter().map(|r| r.region.name.clone()).collect();
    for u in &d.units {
        words.push(u.name.clone());
        if let Some(short) = u.name.strip_prefix('县') {
            words.push(short.to_owned());
        }
    }
    for c in &d.categories {
        words.push(c.name.clone());
        words.extend(c.keywords.iter().cloned());
    }
    words
}

impl App {
    /// The county's segmenter, as of the directory's current version.
    pub async fn segmenter(&self) -> Result<Arc<Segmenter>> {
        let directory = self.directory().await?;
        let cached = self
            .segmenters
            .county
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((_, s)) = cached.filter(|(v, _)| *v == directory.version) {
            return Ok(s);
        }
        let base = self
            .segmenters
            .base
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(|| Arc::new(Segmenter::new()))
                    .await
                    .map_err(|e| Error::Task(e.to_string()))
            })
            .await?
            .clone();
        let words = county_words(&directory);
        let county = tokio::task::spawn_blocking(move || {
            Arc::new(base.with_words(words.iter().map(String::as_str)))
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?;
        *self
            .segmenters
            .county
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some((directory.version, county.clone()));
        Ok(county)
    }

    /// Seals registrations for the writer with their search terms.
    pub async fn seal(&self, mut registrations: Vec<Registration>) -> Result<SealedBatch> {
        if !self.read_text {
            return Ok(self.store.seal_registrations(registrations)?);
        }
        let segmenter = self.segmenter().await?;
        let fill = move |mut regs: Vec<Registration>| {
            for r in &mut regs {
                if r.index_terms.is_empty() {
                    let a = &r.appeal;
                    let source = IndexSource {
                        id: 0,
                        title: a.title.clone(),
                        text: a.text.clone(),
                        address: a.address.clone(),
                        replies: Vec::new(),
                    };
                    r.index_terms = segmenter.index_terms(&source.joined());
                }
                if r.signals.is_empty() {
                    r.signals = signals(&r.appeal);
                }
            }
            regs
        };
        registrations = if registrations.len() <= INLINE {
            fill(registrations)
        } else {
            tokio::task::spawn_blocking(move || fill(registrations))
                .await
                .map_err(|e| Error::Task(e.to_string()))?
        };
        Ok(self.store.seal_registrations(registrations)?)
    }

    /// Indexes one appeal again (after a reply).
    pub(crate) async fn reindex(&self, id: i64) -> Result<()> {
        let source = self.store.index_source(id).await?;
        let terms = self.segmenter().await?.index_terms(&source.joined());
        self.store.index_appeals(&[(id, terms)]).await?;
        Ok(())
    }

    /// Indexes every appeal that has no search terms yet (stored before search
    /// existed, or by an older version); `progress` hears how many so far. Returns how
    /// many were indexed.
    pub async fn index_backlog(&self, progress: impl Fn(usize)) -> Result<usize> {
        let segmenter = self.segmenter().await?;
        let (mut after, mut done) = (0, 0);
        loop {
            let sources = self.store.unindexed_appeals(after, INDEX_BATCH).await?;
            let Some(last) = sources.last() else {
                return Ok(done);
            };
            after = last.id;
            let s = segmenter.clone();
            let rows = tokio::task::spawn_blocking(move || {
                sources
                    .iter()
                    .map(|src| (src.id, s.index_terms(&src.joined())))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| Error::Task(e.to_string()))?;
            done += rows.len();
            self.store.index_appeals(&rows).await?;
            progress(done);
        }
    }

    /// What a person typed into a search box, as a query.
    pub async fn search_query(&self, typed: &str) -> Result<Query> {
        Ok(self.segmenter().await?.query(typed))
    }
}

/// What an appeal's words and form signal to the duty desk: the first threat to a life
/// and the first to public order in its words, and the people it speaks for.
pub fn signals(appeal: &minsheng_core::intake::NewAppeal) -> Vec<Signal> {
    let text = format!("{}\n{}", appeal.title, appeal.text);
    let hits = threats(&text);
    let mut signals = Vec::new();
    for kind in [RiskKind::Life, RiskKind::Order] {
        if let Some(h) = hits.iter().find(|h| h.kind == kind) {
            let (phrase, suspected) = (h.phrase.clone(), h.suspected);
            signals.push(match kind {
                RiskKind::Life => Signal::Life { phrase, suspected },
                RiskKind::Order => Signal::Order { phrase, suspected },
            });
        }
    }
    if appeal.appellant.headcount > 1 {
        signals.push(Signal::Group {
            headcount: appeal.appellant.headcount,
        });
    }
    signals
}

/// The part of `text` around the query's first match, matches marked.
pub fn highlight(text: &str, query: &Query, width: usize) -> Vec<Piece> {
    snippet(text, &query.marks(), width)
}
