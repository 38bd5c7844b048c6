//! The routing model: multinomial naive Bayes over an appeal's content words (each
//! counted once per appeal) and its place, trained on the county's own routed history.
//! Category keywords enter as small pseudo-appeals, so a county with no history yet
//! still gets suggestions, and its dispatchers' corrections enter as the history grows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How much a keyword weighs against one word of one appeal.
const KEYWORD_WEIGHT: f64 = 3.0;
/// Laplace smoothing.
const ALPHA: f64 = 0.2;

/// A label with its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guess {
    /// The label (a category code or a unit key).
    pub label: String,
    /// Probability in 0..=1 among the labels the model knows.
    pub confidence: f64,
}

/// Collects examples.
#[derive(Debug, Default)]
pub struct Trainer {
    labels: Vec<String>,
    index: HashMap<String, usize>,
    docs: Vec<f64>,
    words: HashMap<String, Vec<(usize, f64)>>,
    examples: usize,
}

impl Trainer {
    /// An empty trainer.
    pub fn new() -> Self {
        Self::default()
    }

    fn label(&mut self, label: &str) -> usize {
        if let Some(i) = self.index.get(label) {
            return *i;
        }
        let i = self.labels.len();
        self.labels.push(label.to_owned());
        self.index.insert(label.to_owned(), i);
        self.docs.push(0.0);
        i
    }

    fn count(&mut self, word: &str, label: usize, weight: f64) {
        let e = self.words.entry(word.to_owned()).or_default();
        match e.iter_mut().find(|(l, _)| *l == label) {
            Some((_, w)) => *w += weight,
            None => e.push((label, weight)),
        }
    }

    /// One appeal: its features (content words and place features) and where it went.
    pub fn add(&mut self, features: &[String], label: &str) {
        let l = self.label(label);
        self.docs[l] += 1.0;
        self.examples += 1;
        let mut seen: Vec<&String> = features.iter().collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            self.count(w, l, 1.0);
        }
    }

    /// A label's keywords, as a prior (worth a fraction of one appeal).
    pub fn add_keywords(&mut self, keywords: &[String], label: &str) {
        let l = self.label(label);
        self.docs[l] += 0.5;
        for k in keywords {
            self.count(k, l, KEYWORD_WEIGHT);
        }
    }

    /// Real examples added (keywords not counted).
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// The model.
    pub fn finish(self) -> Model {
        let n = self.labels.len();
        let mut totals = vec![0.0; n];
        for counts in self.words.values() {
            for (l, w) in counts {
                totals[*l] += w;
            }
        }
        let vocab = self.words.len() as f64;
        let denominators: Vec<f64> = totals.iter().map(|t| (t + ALPHA * vocab).ln()).collect();
        let all_docs: f64 = self.docs.iter().sum();
        let priors = self
            .docs
            .iter()
            .map(|d| ((d + 1.0) / (all_docs + n as f64)).ln())
            .collect();
        let unseen: Vec<f64> = denominators.iter().map(|d| ALPHA.ln() - d).collect();
        let words = self
            .words
            .into_iter()
            .map(|(w, counts)| {
                // Stored as the gain over an unseen word, sparse.
                let gains = counts
                    .into_iter()
                    .map(|(l, c)| (l as u32, ((c + ALPHA).ln() - denominators[l]) - unseen[l]))
                    .collect();
                (w, gains)
            })
            .collect();
        Model {
            labels: self.labels,
            priors,
            unseen,
            words,
            examples: self.examples,
        }
    }
}

/// A trained model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    labels: Vec<String>,
    priors: Vec<f64>,
    /// Log-probability of a word a label never saw.
    unseen: Vec<f64>,
    /// Per word, the labels that saw it and how much more likely it is there.
    words: HashMap<String, Vec<(u32, f64)>>,
    examples: usize,
}

impl Model {
    /// The labels, best first, with probabilities; empty for a model with no labels.
    pub fn predict(&self, features: &[String]) -> Vec<Guess> {
        let mut scores = self.priors.clone();
        let mut seen: Vec<&String> = features.iter().collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            let Some(gains) = self.words.get(w.as_str()) else {
                continue;
            };
            for (s, u) in scores.iter_mut().zip(&self.unseen) {
                *s += u;
            }
            for (l, g) in gains {
                scores[*l as usize] += g;
            }
        }
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let mut guesses: Vec<Guess> = self
            .labels
            .iter()
            .zip(exp)
            .map(|(l, e)| Guess {
                label: l.clone(),
                confidence: e / sum,
            })
            .collect();
        guesses.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.label.cmp(&b.label))
        });
        guesses
    }

    /// Appeals it learnt from.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// Labels it knows.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn it_learns_from_examples_and_keywords() {
        let mut t = Trainer::new();
        t.add_keywords(&words("暖气 供暖 室温"), "gongre");
        t.add_keywords(&words("停水 自来水 水质"), "gongshui");
        t.add(&words("屋里 冰凉 暖气片"), "gongre");
        t.add(&words("水 发黄 水龙头"), "gongshui");
        let m = t.finish();
        assert_eq!(m.predict(&words("暖气片 冰凉"))[0].label, "gongre");
        assert_eq!(m.predict(&words("水龙头 发黄"))[0].label, "gongshui");
        assert_eq!(
            m.predict(&words("室温"))[0].label,
            "gongre",
            "keywords alone"
        );
        let total: f64 = m
            .predict(&words("随便 什么"))
            .iter()
            .map(|g| g.confidence)
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn it_survives_a_round_trip_through_json() {
        let mut t = Trainer::new();
        t.add(&words("路灯 不亮"), "chengxiang");
        t.add(&words("欠薪"), "laodong");
        let m = t.finish();
        let back: Model =
            serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("back");
        assert_eq!(back.predict(&words("路灯")), m.predict(&words("路灯")));
    }

    proptest! {
        #[test]
        fn confidences_are_probabilities(
            docs in proptest::collection::vec((proptest::collection::vec("[a-e]{1,2}", 0..6), 0..4u8), 0..20),
            query in proptest::collection::vec("[a-f]{1,2}", 0..8),
        ) {
            let mut t = Trainer::new();
            for (f, l) in &docs {
                t.add(f, &l.to_string());
            }
            let m = t.finish();
            let g = m.predict(&query);
            prop_assert_eq!(g.len(), m.labels().len());
            for w in g.windows(2) {
                prop_assert!(w[0].confidence >= w[1].confidence);
            }
            for x in &g {
                prop_assert!((0.0..=1.0).contains(&x.confidence));
            }
        }
    }
}
