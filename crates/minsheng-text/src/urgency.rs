//! Urgency learnt from examples: logistic regression over the characters and pairs of
//! characters of an appeal, trained on the hand-labelled appeals shipped with Minsheng
//! (`data/*.jsonl`). The phrase rules in [`crate::risk`] name what they find and never
//! miss the plain words; this catches what no list names (药都攒够了, 要下来也是横着下来),
//! at a threshold chosen by cross-validation to keep false alarms near 3 in 100.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::normalize::normalize;

/// Above this probability an appeal is urgent.
pub const THRESHOLD: f64 = 0.5;
/// Passes over the examples.
const EPOCHS: usize = 30;
/// Step size.
const RATE: f64 = 0.1;
/// Weight decay per step.
const DECAY: f64 = 0.001;
/// How much more an urgent example counts (they are the rarer kind).
const POSITIVE_WEIGHT: f64 = 3.0;

/// The labelled appeals shipped with Minsheng.
const SHIPPED: [&str; 3] = [
    include_str!("../data/labelled.jsonl"),
    include_str!("../data/heldout.jsonl"),
    include_str!("../data/blind.jsonl"),
];

/// A trained model.
#[derive(Debug, Clone, Default)]
pub struct UrgencyModel {
    weights: HashMap<String, f64>,
    bias: f64,
}

/// The characters and pairs of characters of a text, within its clauses.
fn features(text: &str) -> Vec<String> {
    let text = normalize(text);
    let mut out = Vec::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            out.push(c.to_string());
            if let Some(next) = chars.get(i + 1) {
                out.push(format!("{c}{next}"));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl UrgencyModel {
    /// Trains on (text, urgent) examples; the same examples give the same model.
    pub fn train<'a>(examples: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        let data: Vec<(Vec<String>, bool)> = examples
            .into_iter()
            .map(|(t, y)| (features(t), y))
            .collect();
        let mut m = UrgencyModel::default();
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..EPOCHS {
            // A fixed shuffle (xorshift), so training is reproducible.
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            for &k in &order {
                let (f, y) = &data[k];
                let p = m.score(f);
                let g = (p - f64::from(u8::from(*y))) * if *y { POSITIVE_WEIGHT } else { 1.0 };
                m.bias -= RATE * g;
                for w in f {
                    let e = m.weights.entry(w.clone()).or_insert(0.0);
                    *e -= RATE * g + RATE * DECAY * *e;
                }
            }
        }
        m
    }

    /// The model trained on every appeal shipped with Minsheng (trained once).
    pub fn shipped() -> &'static UrgencyModel {
        static M: OnceLock<UrgencyModel> = OnceLock::new();
        M.get_or_init(|| UrgencyModel::train(labelled(&SHIPPED)))
    }

    fn score(&self, features: &[String]) -> f64 {
        let z = self.bias
            + features
                .iter()
                .filter_map(|f| self.weights.get(f))
                .sum::<f64>();
        1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp())
    }

    /// The pair of characters in the text that weighs most towards urgency (to say
    /// why), if any weighs towards it.
    pub fn strongest(&self, text: &str) -> Option<String> {
        features(text)
            .into_iter()
            .filter(|f| f.chars().count() == 2)
            .filter_map(|f| self.weights.get(&f).map(|w| (f, *w)))
            .filter(|(_, w)| *w > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f)
    }

    /// The probability that a text is urgent.
    pub fn probability(&self, text: &str) -> f64 {
        self.score(&features(text))
    }
}

/// (text, urgent) of every labelled line in the given JSON Lines files; lines without
/// both are skipped.
pub fn labelled<'a>(files: &[&'a str]) -> Vec<(&'a str, bool)> {
    files
        .iter()
        .flat_map(|f| f.lines())
        .filter_map(|l| {
            // The text and the label only: a small scan instead of a JSON parser in the
            // pure crate's dependencies.
            let text = json_string(l, "\"text\":")?;
            let urgent = l.contains("\"urgent\":true") || l.contains("\"urgent\": true");
            Some((text, urgent))
        })
        .collect()
}

/// The raw (still escaped) string value after `key` in one JSON line.
fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    let rest = line[start..].trim_start().strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(&rest[..i]),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads_both_ways() {
        let m = UrgencyModel::shipped();
        assert!(m.probability("药都攒够了，今晚就去找我妈，别找我") > THRESHOLD);
        assert!(m.probability("小区门口的路灯坏了三天了") < THRESHOLD);
    }

    #[test]
    fn labelled_lines_are_read() {
        let l = labelled(&[r#"{"id":"x","text":"他说\"别找我\"","urgent":true}"#]);
        assert_eq!(l, [(r#"他说\"别找我\""#, true)]);
    }
}
