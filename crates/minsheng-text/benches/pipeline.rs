//! The text pipeline's throughput on the hand-labelled appeals: segmentation, search
//! terms, risk phrases (and, as they are added, signatures and LSH lookups).
//! `cargo bench -p minsheng-text` (see docs/benchmarks.md).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use minsheng_text::Segmenter;
use minsheng_text::minhash::{Hasher, Lsh, PERMUTATIONS, shingles};
use minsheng_text::risk::{rule_threats, threats};
use minsheng_text::urgency::UrgencyModel;

fn corpus() -> Vec<String> {
    include_str!("../data/labelled.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect()
}

fn pipeline(c: &mut Criterion) {
    let texts = corpus();
    let segmenter = Segmenter::new();
    let mut g = c.benchmark_group("per appeal");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("content words", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| segmenter.content_words(t).len())
                .sum::<usize>()
        })
    });
    g.bench_function("search terms", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| segmenter.index_terms(t).len())
                .sum::<usize>()
        })
    });
    g.bench_function("risk rules", |b| {
        b.iter(|| texts.iter().map(|t| rule_threats(t).len()).sum::<usize>())
    });
    let model = UrgencyModel::shipped();
    g.bench_function("urgency model", |b| {
        b.iter(|| texts.iter().map(|t| model.probability(t)).sum::<f64>())
    });
    g.bench_function("risk (rules, then the model)", |b| {
        b.iter(|| texts.iter().map(|t| threats(t).len()).sum::<usize>())
    });
    // Segmentation, signature and LSH lookup against an index of the corpus: the
    // first filter of similar appeals.
    let hasher = Hasher::default();
    let mut lsh = Lsh::new(0.3, PERMUTATIONS);
    for (i, t) in texts.iter().enumerate() {
        let sig = hasher.signature(
            shingles(&segmenter.content_words(t))
                .iter()
                .map(String::as_str),
        );
        lsh.insert(i as i64, &sig);
    }
    g.bench_function("segment + signature + LSH lookup", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| {
                    let sig = hasher.signature(
                        shingles(&segmenter.content_words(t))
                            .iter()
                            .map(String::as_str),
                    );
                    lsh.candidates(&sig).len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
