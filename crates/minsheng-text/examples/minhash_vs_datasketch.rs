//! The Rust half of `scripts/bench-minhash`: builds a corpus of appeal-like texts from
//! the hand-labelled sentences (with near-duplicates, as clusters produce), segments
//! it, writes each text's shingles and the pairs whose exact Jaccard similarity
//! reaches the threshold, and times MinHash signatures plus LSH insert and query over
//! the same shingles, as `scripts/datasketch_lsh.py` does with datasketch.
//!
//! `cargo run --release -p minsheng-text --example minhash_vs_datasketch -- DOCS DIR`

use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

use minsheng_text::Segmenter;
use minsheng_text::minhash::{Hasher, Lsh, PERMUTATIONS, shingles};

const THRESHOLD: f64 = 0.3;

/// A fixed stream of pseudo-random numbers (splitmix64), so every run has one corpus.
struct Stream(u64);

impl Stream {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % below.max(1) as u64) as usize
    }
}

fn sentences() -> Vec<String> {
    let files = [
        include_str!("../data/labelled.jsonl"),
        include_str!("../data/heldout.jsonl"),
        include_str!("../data/blind.jsonl"),
    ];
    let mut out = Vec::new();
    for line in files.iter().flat_map(|f| f.lines()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let text = v["text"].as_str().unwrap_or_default();
        out.extend(
            text.split(['，', '。', '！', '？', '；'])
                .map(str::trim)
                .filter(|s| s.chars().count() >= 4)
                .map(str::to_owned),
        );
    }
    out
}

/// `n` texts: most are 2 to 5 sentences drawn at random; about a third retell an
/// earlier text with one sentence changed or added (a neighbour's appeal about the
/// same problem).
fn corpus(n: usize) -> Vec<String> {
    let pool = sentences();
    let mut rng = Stream(7);
    let mut docs: Vec<Vec<usize>> = Vec::with_capacity(n);
    for i in 0..n {
        let doc = if i > 0 && rng.next(3) == 0 {
            let mut d = docs[rng.next(i)].clone();
            let at = rng.next(d.len());
            if rng.next(2) == 0 {
                d[at] = rng.next(pool.len());
            } else {
                d.insert(at, rng.next(pool.len()));
            }
            d
        } else {
            (0..2 + rng.next(4)).map(|_| rng.next(pool.len())).collect()
        };
        docs.push(doc);
    }
    docs.iter()
        .map(|d| {
            d.iter()
                .map(|&s| pool[s].as_str())
                .collect::<Vec<_>>()
                .join("，")
        })
        .collect()
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    // Both sorted and deduplicated (as `shingles` gives them).
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let dir = std::path::PathBuf::from(args.get(2).map_or("/tmp/minhash-bench", String::as_str));
    std::fs::create_dir_all(&dir)?;
    let texts = corpus(n);
    let segmenter = Segmenter::new();
    let started = Instant::now();
    let sets: Vec<Vec<String>> = texts
        .iter()
        .map(|t| shingles(&segmenter.content_words(t)))
        .collect();
    let segmenting = started.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("shingles.jsonl"))?);
    for s in &sets {
        writeln!(out, "{}", serde_json::to_string(s).unwrap_or_default())?;
    }
    out.flush()?;
    // The truth: every pair at or above the threshold, by exact Jaccard.
    let mut truth = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if jaccard(&sets[i], &sets[j]) >= THRESHOLD {
                truth.push((i, j));
            }
        }
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("truth.txt"))?);
    for (i, j) in &truth {
        writeln!(out, "{i} {j}")?;
    }
    out.flush()?;
    // Signatures, then insert every text, then query every text; best of three.
    let mut best = f64::MAX;
    let mut found = HashSet::new();
    for _ in 0..3 {
        let started = Instant::now();
        let hasher = Hasher::default();
        let sigs: Vec<_> = sets
            .iter()
            .map(|s| hasher.signature(s.iter().map(String::as_str)))
            .collect();
        let mut lsh = Lsh::new(THRESHOLD, PERMUTATIONS);
        for (i, s) in sigs.iter().enumerate() {
            lsh.insert(i as i64, s);
        }
        let mut pairs = HashSet::new();
        for (i, s) in sigs.iter().enumerate() {
            for j in lsh.candidates(s) {
                let j = j as usize;
                if j != i {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
        found = pairs;
    }
    let hit = truth.iter().filter(|p| found.contains(p)).count();
    let recall = if truth.is_empty() {
        1.0
    } else {
        hit as f64 / truth.len() as f64
    };
    println!(
        "{}",
        serde_json::json!({
            "docs": n,
            "truth_pairs": truth.len(),
            "seconds": best,
            "recall": recall,
            "candidate_pairs": found.len(),
            "segmenting_seconds": segmenting,
        })
    );
    Ok(())
}
