//! Measuring the text work on a labelled file of appeals (JSON Lines: `text`, and any
//! of `title`, `category`, `urgent`, `litigation`): routing accuracy with the county's
//! model as it stands and learnt from the file itself (k-fold), life-safety recall and
//! false alarms, litigation flags. The same numbers for our own hand-labelled set and
//! for any set a county labels.

use minsheng_text::risk::{litigation, threats};
use serde::{Deserialize, Serialize};

use crate::suggest::{SHOWN, keyword_trainer, words};
use crate::{App, Error, Result};

/// Folds for the file-learnt routing accuracy.
const FOLDS: usize = 5;

/// One labelled appeal.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    /// Its id in the file.
    #[serde(default)]
    pub id: String,
    /// Title, if any.
    #[serde(default)]
    pub title: String,
    /// What was said.
    pub text: String,
    /// The right category code.
    pub category: Option<String>,
    /// Whether it threatens life or public order.
    pub urgent: Option<bool>,
    /// Whether it is before a court, arbitration or procuratorate.
    pub litigation: Option<bool>,
}

/// Counts of a yes/no judgement against labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Confusion {
    /// Found and labelled.
    pub hits: usize,
    /// Labelled, not found.
    pub misses: usize,
    /// Found, not labelled.
    pub false_alarms: usize,
    /// Neither.
    pub quiet: usize,
}

impl Confusion {
    fn add(&mut self, labelled: bool, found: bool) {
        match (labelled, found) {
            (true, true) => self.hits += 1,
            (true, false) => self.misses += 1,
            (false, true) => self.false_alarms += 1,
            (false, false) => self.quiet += 1,
        }
    }

    /// Share of the labelled that were found.
    pub fn recall(&self) -> f64 {
        ratio(self.hits, self.hits + self.misses)
    }

    /// Share of the unlabelled that were found anyway.
    pub fn false_alarm_rate(&self) -> f64 {
        ratio(self.false_alarms, self.false_alarms + self.quiet)
    }

    /// Share of the found that were labelled.
    pub fn precision(&self) -> f64 {
        ratio(self.hits, self.hits + self.false_alarms)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Top-1 and top-3 shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    /// Appeals with a label.
    pub n: usize,
    /// First suggestion right.
    pub top1: f64,
    /// Right among the first three.
    pub top3: f64,
}

impl Accuracy {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        self.top1 += f64::from(u8::from(rank == Some(0)));
        self.top3 += f64::from(u8::from(rank.is_some_and(|r| r < SHOWN)));
    }

    fn finish(mut self) -> Self {
        let n = self.n.max(1) as f64;
        self.top1 /= n;
        self.top3 /= n;
        self
    }
}

/// What [`App::evaluate`] measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Appeals read.
    pub appeals: usize,
    /// Categories as the county's model suggests them now.
    pub routing: Accuracy,
    /// Categories learnt from the file itself, each fold predicted by a model that
    /// learnt from the others (and the keywords).
    pub routing_learnt: Accuracy,
    /// Threats to life or public order.
    pub urgent: Confusion,
    /// Litigation-related.
    pub litigation: Confusion,
    /// Appeals judged wrongly, for reading: (id, what went wrong).
    pub mistakes: Vec<(String, String)>,
}

impl App {
    /// Measures the text work on labelled appeals.
    pub async fn evaluate(&self, items: &[Labelled]) -> Result<Evaluation> {
        let mut e = Evaluation {
            appeals: items.len(),
            ..Evaluation::default()
        };
        let mut routing = Accuracy::default();
        for it in items {
            let text = format!("{}\n{}", it.title, it.text);
            if let Some(c) = &it.category {
                let s = self
                    .suggest_routing(&it.title, &it.text, None, &[], &[])
                    .await?;
                let rank = s.categories.iter().position(|x| &x.value == c);
                routing.add(rank);
                if rank != Some(0) {
                    let said = s.categories.first().map_or("-", |x| x.value.as_str());
                    e.mistakes
                        .push((it.id.clone(), format!("category {c}, suggested {said}")));
                }
            }
            let found = threats(&text);
            if let Some(u) = it.urgent {
                e.urgent.add(u, !found.is_empty());
                if u == found.is_empty() {
                    e.mistakes
                        .push((it.id.clone(), format!("urgent {u}, found {found:?}")));
                }
            }
            if let Some(l) = it.litigation {
                let f = litigation(&text);
                e.litigation.add(l, f.is_some());
                if l != f.is_some() {
                    e.mistakes
                        .push((it.id.clone(), format!("litigation {l}, found {f:?}")));
                }
            }
        }
        e.routing = routing.finish();
        e.routing_learnt = self.cross_validate(items).await?;
        Ok(e)
    }

    async fn cross_validate(&self, items: &[Labelled]) -> Result<Accuracy> {
        let segmenter = self.segmenter().await?;
        let directory = self.directory().await?;
        let labelled: Vec<(Vec<String>, String)> = items
            .iter()
            .filter_map(|it| Some((words(&segmenter, &it.title, &it.text), it.category.clone()?)))
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut acc = Accuracy::default();
            for fold in 0..FOLDS {
                let mut t = keyword_trainer(&segmenter, &directory);
                for (i, (w, c)) in labelled.iter().enumerate() {
                    if i % FOLDS != fold {
                        t.add(w, c);
                    }
                }
                let m = t.finish();
                for (i, (w, c)) in labelled.iter().enumerate() {
                    if i % FOLDS == fold {
                        acc.add(m.predict(w).iter().position(|g| &g.label == c));
                    }
                }
            }
            acc.finish()
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))
    }
}
