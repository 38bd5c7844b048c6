//! The hand-labelled appeals (data/labelled.jsonl, written by us in the many ways
//! people write and speak): the risk phrases' recall and false alarms, and the
//! litigation flag, measured and held to a floor.

use minsheng_text::risk::{litigation, threats};
use serde_json::Value;

/// Both sets the rules were developed on: ours, and the one first held out (it was
/// held out for one measurement, recorded in docs/benchmarks.md, then read).
fn corpus() -> Vec<Value> {
    [
        include_str!("../data/labelled.jsonl"),
        include_str!("../data/heldout.jsonl"),
    ]
    .iter()
    .flat_map(|f| f.lines())
    .map(|l| serde_json::from_str(l).expect("a labelled line is JSON"))
    .collect()
}

fn text(v: &Value) -> String {
    format!(
        "{}\n{}",
        v["title"].as_str().unwrap_or(""),
        v["text"].as_str().unwrap_or("")
    )
}

#[test]
fn risk_phrases_find_threats_without_crying_wolf() {
    let (mut tp, mut fn_, mut fp, mut tn) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for v in corpus() {
        let urgent = v["urgent"].as_bool().unwrap_or(false);
        let found = !threats(&text(&v)).is_empty();
        match (urgent, found) {
            (true, true) => tp += 1,
            (true, false) => {
                fn_ += 1;
                misses.push(format!("missed {}: {}", v["id"], v["text"]));
            }
            (false, true) => {
                fp += 1;
                misses.push(format!(
                    "false alarm {}: {:?} in {}",
                    v["id"],
                    threats(&text(&v)),
                    v["text"]
                ));
            }
            (false, false) => tn += 1,
        }
    }
    let recall = f64::from(tp) / f64::from(tp + fn_);
    let false_alarms = f64::from(fp) / f64::from(fp + tn);
    println!(
        "risk: recall {recall:.3} ({tp}/{}), false alarms {false_alarms:.3} ({fp}/{})",
        tp + fn_,
        fp + tn
    );
    for m in &misses {
        println!("  {m}");
    }
    // The rules were written with these sets in view: the floors keep them from
    // sliding back; a blind set (blind.jsonl) says how they do on text they were not
    // written for.
    assert!(recall >= 0.95, "recall {recall}");
    assert!(false_alarms <= 0.02, "false alarms {false_alarms}");
}

#[test]
fn litigation_is_flagged() {
    let (mut tp, mut fn_, mut fp, mut tn) = (0, 0, 0, 0);
    for v in corpus() {
        let labelled = v["litigation"].as_bool().unwrap_or(false);
        let found = litigation(&text(&v));
        match (labelled, found.is_some()) {
            (true, true) => tp += 1,
            (true, false) => {
                fn_ += 1;
                println!("  missed {}: {}", v["id"], v["text"]);
            }
            (false, true) => {
                fp += 1;
                println!("  false {} ({found:?}): {}", v["id"], v["text"]);
            }
            (false, false) => tn += 1,
        }
    }
    println!(
        "litigation: recall {tp}/{} false {fp}/{}",
        tp + fn_,
        fp + tn
    );
}

/// The blind set (data/blind.jsonl) measured with a model trained only on the other two
/// sets: how the rules and the model do on text neither was written for. The model
/// shipped is trained on all three.
#[test]
fn the_blind_set_is_read_by_rules_and_a_model_that_never_saw_it() {
    use minsheng_text::risk::{rule_threats, threats_with};
    use minsheng_text::urgency::{UrgencyModel, labelled};
    let dev = UrgencyModel::train(labelled(&[
        include_str!("../data/labelled.jsonl"),
        include_str!("../data/heldout.jsonl"),
    ]));
    let blind: Vec<Value> = include_str!("../data/blind.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let measure = |found: &dyn Fn(&str) -> bool| {
        let (mut tp, mut fn_, mut fp, mut tn) = (0u32, 0u32, 0u32, 0u32);
        for v in &blind {
            let urgent = v["urgent"].as_bool().unwrap_or(false);
            match (urgent, found(&text(v))) {
                (true, true) => tp += 1,
                (true, false) => fn_ += 1,
                (false, true) => fp += 1,
                (false, false) => tn += 1,
            }
        }
        (
            f64::from(tp) / f64::from(tp + fn_),
            f64::from(fp) / f64::from(fp + tn),
        )
    };
    let rules = measure(&|t| !rule_threats(t).is_empty());
    let both = measure(&|t| !threats_with(t, &dev).is_empty());
    println!(
        "blind: rules alone recall {:.3} false alarms {:.3}",
        rules.0, rules.1
    );
    println!(
        "blind: rules and model recall {:.3} false alarms {:.3}",
        both.0, both.1
    );
    assert!(both.0 > rules.0, "the model adds what the rules miss");
    assert!(both.1 <= 0.08, "false alarms {}", both.1);
}

/// Clusters on the three labelled sets: pairwise precision and recall of the full join
/// (category, place, time, TF-IDF words, MinHash/LSH) against MinHash alone.
#[test]
fn similar_appeals_cluster_as_labelled() {
    use minsheng_text::Segmenter;
    use minsheng_text::minhash::{Hasher, shingles};
    use minsheng_text::similar::{Item, Rules, cluster_all, pairwise};
    use std::collections::HashMap;
    let segmenter = Segmenter::new();
    for (name, file) in [
        ("labelled", include_str!("../data/labelled.jsonl")),
        ("heldout", include_str!("../data/heldout.jsonl")),
        ("blind", include_str!("../data/blind.jsonl")),
    ] {
        let rows: Vec<Value> = file
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        let mut items: Vec<Item> = rows
            .iter()
            .enumerate()
            .map(|(i, v)| Item {
                id: i as i64,
                words: segmenter.features(&text(v)),
                category: v["category"].as_str().unwrap_or("").into(),
                village: format!(
                    "{}/{}",
                    v["township"].as_str().unwrap_or(""),
                    v["village"].as_str().unwrap_or("")
                ),
                location: None,
                day: v["day"].as_f64().unwrap_or(0.0),
            })
            .collect();
        items.sort_by(|a, b| a.day.total_cmp(&b.day).then(a.id.cmp(&b.id)));
        let labels: HashMap<i64, String> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v["cluster"].as_str().map(|c| (i as i64, c.to_owned())))
            .collect();
        let found = cluster_all(Rules::default(), items.iter().cloned());
        let (p, r) = pairwise(&found, &labels);
        // MinHash alone: pairs above the LSH threshold, joined transitively.
        let h = Hasher::default();
        let sigs: Vec<_> = items
            .iter()
            .map(|it| {
                h.signature(
                    shingles(&segmenter.content_words(&text(&rows[it.id as usize])))
                        .iter()
                        .map(String::as_str),
                )
            })
            .collect();
        let mut parent: Vec<usize> = (0..items.len()).collect();
        fn root(p: &mut [usize], i: usize) -> usize {
            let mut i = i;
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                if sigs[i].similarity(&sigs[j]) >= Rules::default().lsh {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
            }
        }
        let alone: Vec<(i64, u64)> = (0..items.len())
            .map(|i| (items[i].id, root(&mut parent, i) as u64))
            .collect();
        let (mp, mr) = pairwise(&alone, &labels);
        println!(
            "clusters {name}: full join precision {p:.3} recall {r:.3}; MinHash alone precision {mp:.3} recall {mr:.3}"
        );
        assert!(p >= 0.5 && r >= 0.4, "{name}: precision {p}, recall {r}");
    }
}
