//! Routing suggestions: the likeliest categories and units for an appeal's words,
//! learnt from the county's own history (appeals units handled to their end, so a
//! dispatcher's correction teaches the model) and, until that history is long, from
//! the categories' keywords. Rules still decide where an appeal goes; this only
//! suggests, and a unit an appeal accuses is never suggested for it.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use minsheng_core::region::RegionCode;
use minsheng_core::routing::route;
use minsheng_core::unit::barred;
use minsheng_store::{StoredModel, TrainingExample};
use minsheng_text::Segmenter;
use minsheng_text::classify::{Guess, Model, Trainer};
use serde::{Deserialize, Serialize};

use crate::pipeline::Directory;
use crate::{App, Error, Result};

/// The stored model's name.
const MODEL: &str = "routing";
/// The most appeals one training reads (the newest).
const MAX_EXAMPLES: i64 = 200_000;
/// Every this-many-th example is held out to measure the model.
const HOLD_OUT_EVERY: usize = 10;
/// How many appeals of history weigh as much as the keywords.
const KEYWORD_WEIGHT: f64 = 200.0;
/// How long a node believes its copy of the stored model.
const FRESH: Duration = Duration::from_secs(60);
/// Suggestions shown.
pub const SHOWN: usize = 3;

/// The models learnt from history.
#[derive(Serialize, Deserialize)]
struct Learnt {
    categories: Model,
    /// Labels are unit ids.
    units: Model,
}

/// The models in use on this node.
pub(crate) struct Loaded {
    at: Instant,
    directory_version: i64,
    learnt: Option<Learnt>,
    keywords: Model,
}

/// This node's copy of the models.
#[derive(Default)]
pub(crate) struct Models(RwLock<Option<Arc<Loaded>>>);

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggested<T> {
    /// The category code or unit id.
    pub value: T,
    /// 0..=1.
    pub confidence: f64,
}

/// What the model suggests for one appeal.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Suggestions {
    /// Categories, likeliest first.
    pub categories: Vec<Suggested<String>>,
    /// Lead units, likeliest first.
    pub units: Vec<Suggested<i64>>,
    /// Appeals of history the model learnt from (0: keywords only).
    pub learnt_from: usize,
}

/// How a training went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrainReport {
    /// Appeals learnt from.
    pub examples: usize,
    /// Appeals held out to measure.
    pub held_out: usize,
    /// Held-out share whose category was the first suggestion.
    pub category_top1: f64,
    /// … among the first three.
    pub category_top3: f64,
    /// Held-out share whose unit was the first suggestion.
    pub unit_top1: f64,
    /// … among the first three.
    pub unit_top3: f64,
}

/// What a model reads of an appeal.
pub(crate) fn words(segmenter: &Segmenter, title: &str, text: &str) -> Vec<String> {
    segmenter.features(&format!("{title}\n{text}"))
}

/// The words and the township: units differ by place.
fn unit_features(mut words: Vec<String>, region: &RegionCode) -> Vec<String> {
    words.push(format!("@t:{}", region.as_str().get(..9).unwrap_or("")));
    words
}

/// A trainer holding the categories' names and keywords.
pub(crate) fn keyword_trainer(segmenter: &Segmenter, d: &Directory) -> Trainer {
    let mut t = Trainer::new();
    for c in &d.categories {
        let mut kws: Vec<String> = segmenter.features(&c.name);
        for k in &c.keywords {
            kws.extend(segmenter.features(k));
        }
        t.add_keywords(&kws, &c.code);
    }
    t
}

fn learn(
    segmenter: &Segmenter,
    directory: &Directory,
    examples: &[TrainingExample],
) -> (Learnt, TrainReport) {
    let featured: Vec<(Vec<String>, &TrainingExample)> = examples
        .iter()
        .map(|e| (words(segmenter, &e.title, &e.text), e))
        .collect();
    let train = |skip: bool| {
        // The history learnt on top of the keywords, so a word the history never used
        // but a keyword names still counts.
        let (mut c, mut u) = (keyword_trainer(segmenter, directory), Trainer::new());
        for (i, (w, e)) in featured.iter().enumerate() {
            if skip && i % HOLD_OUT_EVERY == 0 {
                continue;
            }
            c.add(w, &e.category);
            if let Some(unit) = e.unit_id {
                u.add(&unit_features(w.clone(), &e.region), &unit.to_string());
            }
        }
        Learnt {
            categories: c.finish(),
            units: u.finish(),
        }
    };
    let trial = train(true);
    let mut report = TrainReport {
        examples: featured.len(),
        ..TrainReport::default()
    };
    let rank = |g: &[Guess], label: &str| g.iter().position(|x| x.label == label);
    for (w, e) in featured.iter().step_by(HOLD_OUT_EVERY) {
        report.held_out += 1;
        let c = rank(&trial.categories.predict(w), &e.category);
        report.category_top1 += f64::from(u8::from(c == Some(0)));
        report.category_top3 += f64::from(u8::from(c.is_some_and(|r| r < SHOWN)));
        if let Some(unit) = e.unit_id {
            let u = rank(
                &trial.units.predict(&unit_features(w.clone(), &e.region)),
                &unit.to_string(),
            );
            report.unit_top1 += f64::from(u8::from(u == Some(0)));
            report.unit_top3 += f64::from(u8::from(u.is_some_and(|r| r < SHOWN)));
        }
    }
    let n = report.held_out.max(1) as f64;
    for x in [
        &mut report.category_top1,
        &mut report.category_top3,
        &mut report.unit_top1,
        &mut report.unit_top3,
    ] {
        *x /= n;
    }
    (train(false), report)
}

/// The first three suggestions, leaving out any under 1% (noise, not a choice); the
/// first always stays.
fn worthwhile<T>(list: &mut Vec<Suggested<T>>) {
    let mut first = true;
    list.retain(|s| std::mem::replace(&mut first, false) || s.confidence >= 0.01);
    list.truncate(SHOWN);
}

/// Sums weighted distributions and keeps the best.
fn blend<T: Clone + PartialEq>(parts: &[(f64, Vec<Suggested<T>>)]) -> Vec<Suggested<T>> {
    let mut sum: Vec<Suggested<T>> = Vec::new();
    for (w, part) in parts {
        for s in part {
            match sum.iter_mut().find(|x| x.value == s.value) {
                Some(x) => x.confidence += w * s.confidence,
                None => sum.push(Suggested {
                    value: s.value.clone(),
                    confidence: w * s.confidence,
                }),
            }
        }
    }
    sum.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    sum
}

impl App {
    /// Trains the routing model on the county's history, stores it for every node and
    /// puts it in use; reports how well it ranks appeals it did not learn from.
    pub async fn train_routing(&self) -> Result<TrainReport> {
        let examples = self.store.training_examples(MAX_EXAMPLES).await?;
        let segmenter = self.segmenter().await?;
        let directory = self.directory().await?;
        let (learnt, report) =
            tokio::task::spawn_blocking(move || learn(&segmenter, &directory, &examples))
                .await
                .map_err(|e| Error::Task(e.to_string()))?;
        let data = serde_json::to_string(&learnt).map_err(|e| Error::Task(e.to_string()))?;
        self.store
            .save_model(&StoredModel {
                name: MODEL.into(),
                trained_at: minsheng_store::now(),
                examples: i64::try_from(report.examples).unwrap_or(i64::MAX),
                data,
            })
            .await?;
        *self
            .models
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        Ok(report)
    }

    /// Whether the stored model is missing or has fallen behind the history (a tenth
    /// more appeals settled since, or a week old).
    pub async fn routing_model_is_stale(&self) -> Result<bool> {
        let settled = self.store.settled_appeals().await?;
        Ok(match self.store.model(MODEL).await? {
            None => settled > 0,
            Some(m) => {
                settled.min(MAX_EXAMPLES) > m.examples + m.examples / 10
                    || minsheng_store::now() - m.trained_at > chrono::Duration::days(7)
            }
        })
    }

    async fn routing_models(&self) -> Result<Arc<Loaded>> {
        let directory = self.directory().await?;
        let cached = self
            .models
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(m) =
            cached.filter(|m| m.directory_version == directory.version && m.at.elapsed() < FRESH)
        {
            return Ok(m);
        }
        let stored = self.store.model(MODEL).await?;
        let segmenter = self.segmenter().await?;
        let loaded = tokio::task::spawn_blocking(move || {
            let learnt = stored.and_then(|m| match serde_json::from_str::<Learnt>(&m.data) {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::error!(error = %e, "the stored routing model does not read: keywords only until `minsheng train`");
                    None
                }
            });
            Arc::new(Loaded {
                at: Instant::now(),
                directory_version: directory.version,
                keywords: keyword_trainer(&segmenter, &directory).finish(),
                learnt,
            })
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?;
        *self
            .models
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(loaded.clone());
        Ok(loaded)
    }

    /// The likeliest categories and lead units for a stored case: never a unit it
    /// accuses (nor one under such a unit), never a unit that already returned it.
    pub async fn suggest_for(&self, a: &minsheng_store::AppealDetail) -> Result<Suggestions> {
        let calendar = self.calendar();
        let case =
            minsheng_core::workflow::Case::replay(&a.facts, &a.history, &self.policy, &calendar);
        let s = &a.summary;
        self.suggest_routing(
            &s.title,
            &a.text,
            Some(&s.region_code),
            &case.accused,
            &case.returned_by,
        )
        .await
    }

    /// The likeliest categories and lead units for an appeal's words, placed at
    /// `place` if known; units the appeal accuses (and those under them) and the
    /// `returned` units are never among them.
    pub async fn suggest_routing(
        &self,
        title: &str,
        text: &str,
        place: Option<&RegionCode>,
        accused: &[i64],
        returned: &[i64],
    ) -> Result<Suggestions> {
        let models = self.routing_models().await?;
        let segmenter = self.segmenter().await?;
        let directory = self.directory().await?;
        let words = words(&segmenter, title, text);
        let as_suggestions = |g: Vec<Guess>| -> Vec<Suggested<String>> {
            g.into_iter()
                .map(|g| Suggested {
                    value: g.label,
                    confidence: g.confidence,
                })
                .collect()
        };
        let from_keywords = as_suggestions(models.keywords.predict(&words));
        let learnt_from = models
            .learnt
            .as_ref()
            .map_or(0, |l| l.categories.examples());
        let w = learnt_from as f64 / (learnt_from as f64 + KEYWORD_WEIGHT);
        let mut parts = vec![(1.0 - w, from_keywords)];
        if let Some(l) = &models.learnt {
            parts.push((w, as_suggestions(l.categories.predict(&words))));
        }
        let categories = blend(&parts);
        // Units: where the rules send the likely categories, and, with history, where
        // appeals like this one went.
        let place = place.cloned().or_else(|| directory.county.clone());
        let mut via_rules: Vec<Suggested<i64>> = Vec::new();
        if let Some(place) = &place {
            for c in &categories {
                let r = route(
                    &c.value,
                    place,
                    &directory.rules,
                    &directory.categories,
                    &directory.units,
                    accused,
                );
                if let Some(lead) = r.lead {
                    via_rules.push(Suggested {
                        value: lead,
                        confidence: c.confidence,
                    });
                }
            }
        }
        let mut unit_parts = vec![(1.0 - w, blend(&[(1.0, via_rules)]))];
        if let (Some(l), Some(place)) = (&models.learnt, &place) {
            let unit_w = l.units.examples() as f64 / (l.units.examples() as f64 + KEYWORD_WEIGHT);
            let guesses = l.units.predict(&unit_features(words.clone(), place));
            let learnt_units: Vec<Suggested<i64>> = guesses
                .into_iter()
                .filter_map(|g| {
                    Some(Suggested {
                        value: g.label.parse().ok()?,
                        confidence: g.confidence,
                    })
                })
                .collect();
            unit_parts = vec![
                (1.0 - unit_w, unit_parts.remove(0).1),
                (unit_w, learnt_units),
            ];
        }
        let mut units = blend(&unit_parts);
        units.retain(|u| {
            !returned.contains(&u.value) && !barred(u.value, accused, &directory.units)
        });
        let mut categories = categories;
        worthwhile(&mut categories);
        worthwhile(&mut units);
        Ok(Suggestions {
            categories,
            units,
            learnt_from,
        })
    }
}
