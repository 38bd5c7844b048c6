//! MinHash signatures over an appeal's word shingles, and the LSH index that finds the
//! appeals whose signatures may agree (the fast first filter for similar appeals;
//! whether two really belong together is decided in [`crate::similar`]).
//!
//! The permutations are datasketch's: `(a·h + b) mod (2⁶¹ − 1)` over a 32-bit hash of
//! each shingle, `a` and `b` drawn once from a fixed seed, so signatures stay comparable
//! across processes and versions.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

/// Permutations per signature.
pub const PERMUTATIONS: usize = 64;
const MERSENNE: u64 = (1 << 61) - 1;

/// A MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u32>);

/// The permutations, fixed by a seed.
#[derive(Debug, Clone)]
pub struct Hasher {
    a: Vec<u64>,
    b: Vec<u64>,
}

/// FNV-1a, 32 bits: a cheap, stable hash of a shingle.
fn hash32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `(a * x + b) mod 2^61 - 1` without overflow.
fn permute(a: u64, b: u64, x: u64) -> u64 {
    let p = u128::from(a) * u128::from(x) + u128::from(b);
    let folded = (p & u128::from(MERSENNE)) + (p >> 61);
    let folded = ((folded & u128::from(MERSENNE)) + (folded >> 61)) as u64;
    // Two folds leave at most 2^61 - 1 + 1: one subtraction is the remainder (no
    // division on the hottest line of a signature).
    if folded >= MERSENNE {
        folded - MERSENNE
    } else {
        folded
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new(PERMUTATIONS, 1)
    }
}

impl Hasher {
    /// `n` permutations drawn from `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        // splitmix64: a fixed, portable stream.
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let a = (0..n).map(|_| 1 + next() % (MERSENNE - 1)).collect();
        let b = (0..n).map(|_| next() % MERSENNE).collect();
        Hasher { a, b }
    }

    /// The signature of a set of shingles (empty: all maxima, similar to nothing).
    pub fn signature<'a>(&self, shingles: impl IntoIterator<Item = &'a str>) -> Signature {
        let mut mins = vec![u32::MAX; self.a.len()];
        for s in shingles {
            let h = u64::from(hash32(s));
            for (m, (a, b)) in mins.iter_mut().zip(self.a.iter().zip(&self.b)) {
                let v = (permute(*a, *b, h) & 0xffff_ffff) as u32;
                if v < *m {
                    *m = v;
                }
            }
        }
        Signature(mins)
    }
}

/// The shingles of a text's content words: each word, and each pair of neighbours.
pub fn shingles(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = words.to_vec();
    out.extend(words.windows(2).map(|w| format!("{} {}", w[0], w[1])));
    out.sort_unstable();
    out.dedup();
    out
}

impl Signature {
    /// The estimated Jaccard similarity of the two shingle sets.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let n = self.0.len().min(other.0.len());
        if n == 0 || self.0.iter().all(|v| *v == u32::MAX) {
            return 0.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / n as f64
    }
}

/// Bands and rows for a threshold, as datasketch chooses them: the split of the
/// permutations that minimises the (equally weighted) chance of a false positive
/// below the threshold and a false negative above it.
pub fn bands_for(threshold: f64, permutations: usize) -> (usize, usize) {
    let integrate = |f: &dyn Fn(f64) -> f64, a: f64, b: f64| {
        let steps = 200;
        let h = (b - a) / steps as f64;
        (0..steps)
            .map(|i| f(a + (i as f64 + 0.5) * h) * h)
            .sum::<f64>()
    };
    let mut best = (1, permutations);
    let mut best_err = f64::MAX;
    for b in 1..=permutations {
        for r in 1..=permutations / b {
            let (bf, rf) = (b as f64, r as i32);
            let fp = integrate(&|s| 1.0 - (1.0 - s.powi(rf)).powf(bf), 0.0, threshold);
            let fnr = integrate(
                &|s| 1.0 - (1.0 - (1.0 - s.powi(rf)).powf(bf)),
                threshold,
                1.0,
            );
            let err = 0.5 * fp + 0.5 * fnr;
            if err < best_err {
                best_err = err;
                best = (b, r);
            }
        }
    }
    best
}

/// Takes `id` out of a list of ids held in the order they came: the oldest, which
/// leaves first, is at the front, so this is usually one step.
pub(crate) fn forget(ids: &mut VecDeque<i64>, id: i64) {
    if ids.front() == Some(&id) {
        ids.pop_front();
    } else if let Some(at) = ids.iter().position(|x| *x == id) {
        ids.remove(at);
    }
}

/// An LSH index over signatures: appeals whose signatures agree on a whole band.
#[derive(Debug, Clone)]
pub struct Lsh {
    bands: usize,
    rows: usize,
    buckets: Vec<FxHashMap<u64, VecDeque<i64>>>,
}

impl Lsh {
    /// An index for `threshold` over signatures of `permutations`.
    pub fn new(threshold: f64, permutations: usize) -> Self {
        let (bands, rows) = bands_for(threshold, permutations);
        Lsh {
            bands,
            rows,
            buckets: vec![FxHashMap::default(); bands],
        }
    }

    fn band_keys<'a>(&'a self, s: &'a Signature) -> impl Iterator<Item = u64> + 'a {
        (0..self.bands).map(move |b| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for v in &s.0[b * self.rows..((b + 1) * self.rows).min(s.0.len())] {
                h ^= u64::from(*v);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        })
    }

    /// A band's key within an area (see [`Lsh::insert_in`]).
    fn in_area(key: u64, area: u64) -> u64 {
        (key ^ area.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0x0000_0100_0000_01b3)
    }

    /// Adds an appeal.
    pub fn insert(&mut self, id: i64, s: &Signature) {
        self.insert_in(0, id, s);
    }

    /// Adds an appeal under an area (a place): [`Lsh::candidates_in`] finds it only
    /// when asked about that area.
    pub fn insert_in(&mut self, area: u64, id: i64, s: &Signature) {
        let keys: Vec<u64> = self.band_keys(s).collect();
        for (band, key) in keys.into_iter().enumerate() {
            self.buckets[band]
                .entry(Self::in_area(key, area))
                .or_default()
                .push_back(id);
        }
    }

    /// The appeals sharing a band with this signature, each once.
    pub fn candidates(&self, s: &Signature) -> Vec<i64> {
        self.candidates_in(&[0], s, usize::MAX)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// The appeals held under any of `areas` sharing a band with this signature,
    /// each once with the number of bands it shares, by id. Of a bucket only the
    /// `latest` added are read: a flood of near-copies (a campaign of one letter
    /// sent by thousands) fills its buckets, and reading them all would make every
    /// arrival cost as much as the flood is large.
    pub fn candidates_in(&self, areas: &[u64], s: &Signature, latest: usize) -> Vec<(i64, u32)> {
        let mut ids: Vec<i64> = Vec::new();
        for (band, key) in self.band_keys(s).enumerate() {
            for area in areas {
                if let Some(bucket) = self.buckets[band].get(&Self::in_area(key, *area)) {
                    ids.extend(bucket.iter().rev().take(latest));
                }
            }
        }
        ids.sort_unstable();
        let mut out: Vec<(i64, u32)> = Vec::with_capacity(ids.len());
        for id in ids {
            match out.last_mut() {
                Some((last, n)) if *last == id => *n += 1,
                _ => out.push((id, 1)),
            }
        }
        out
    }

    /// Forgets an appeal (one older than the window), by the signature it was
    /// inserted with: only its own buckets are visited.
    pub fn remove(&mut self, id: i64, s: &Signature) {
        self.remove_in(0, id, s);
    }

    /// Forgets an appeal held under an area.
    pub fn remove_in(&mut self, area: u64, id: i64, s: &Signature) {
        let keys: Vec<u64> = self.band_keys(s).collect();
        for (band, key) in keys.into_iter().enumerate() {
            let key = Self::in_area(key, area);
            if let Some(ids) = self.buckets[band].get_mut(&key) {
                forget(ids, id);
                if ids.is_empty() {
                    self.buckets[band].remove(&key);
                }
            }
        }
    }

    /// (bands, rows).
    pub fn shape(&self) -> (usize, usize) {
        (self.bands, self.rows)
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
    fn similar_sets_have_similar_signatures() {
        let h = Hasher::default();
        let a = h.signature(
            shingles(&words("暖气 不热 室温 十二度 孩子 感冒"))
                .iter()
                .map(String::as_str),
        );
        let b = h.signature(
            shingles(&words("暖气 不热 室温 十二度 老人 感冒"))
                .iter()
                .map(String::as_str),
        );
        let c = h.signature(
            shingles(&words("路灯 不亮 晚上 摔倒"))
                .iter()
                .map(String::as_str),
        );
        assert!(a.similarity(&b) > 0.3, "{}", a.similarity(&b));
        assert!(a.similarity(&c) < 0.15, "{}", a.similarity(&c));
        assert_eq!(a.similarity(&a), 1.0);
        let empty = h.signature(std::iter::empty());
        assert_eq!(
            empty.similarity(&empty),
            0.0,
            "nothing is similar to nothing"
        );
    }

    #[test]
    fn lsh_finds_near_duplicates() {
        let h = Hasher::default();
        let mut lsh = Lsh::new(0.5, PERMUTATIONS);
        let sig = |s: &str| h.signature(shingles(&words(s)).iter().map(String::as_str));
        lsh.insert(1, &sig("暖气 不热 室温 十二度 孩子 感冒 供热 公司"));
        lsh.insert(2, &sig("路灯 不亮 晚上 摔倒 老人"));
        let found = lsh.candidates(&sig("暖气 不热 室温 十二度 孩子 感冒 供热 站"));
        assert!(found.contains(&1) && !found.contains(&2), "{found:?}");
        // Removing by another signature leaves it; by its own, it goes.
        lsh.remove(1, &sig("路灯 不亮"));
        assert!(
            !lsh.candidates(&sig("暖气 不热 室温 十二度 孩子 感冒 供热 公司"))
                .is_empty()
        );
        lsh.remove(1, &sig("暖气 不热 室温 十二度 孩子 感冒 供热 公司"));
        assert!(
            lsh.candidates(&sig("暖气 不热 室温 十二度 孩子 感冒 供热 公司"))
                .is_empty()
        );
    }

    #[test]
    fn bands_fit_the_permutations_and_the_threshold() {
        // A higher threshold needs longer bands (fewer, stricter agreements).
        let (b, r) = bands_for(0.5, 64);
        let (_, r_high) = bands_for(0.8, 64);
        assert!(r_high > r, "{r_high} > {r}");
        assert!(b * r <= 64 && (4..=8).contains(&r), "{b}×{r}");
    }

    proptest! {
        #[test]
        fn similarity_is_symmetric_and_bounded(a in proptest::collection::vec("[a-f]{1,3}", 0..12), b in proptest::collection::vec("[a-f]{1,3}", 0..12)) {
            let h = Hasher::default();
            let sa = h.signature(a.iter().map(String::as_str));
            let sb = h.signature(b.iter().map(String::as_str));
            prop_assert_eq!(sa.similarity(&sb), sb.similarity(&sa));
                        prop_assert!((0.0..=1.0).contains(&sa.similarity(&sb)));
        }

        #[test]
        fn permuting_is_the_plain_remainder(a in 1u64..MERSENNE, b in 0u64..MERSENNE, x in proptest::num::u64::ANY) {
            let plain = ((u128::from(a) * u128::from(x) + u128::from(b)) % u128::from(MERSENNE)) as u64;
            prop_assert_eq!(permute(a, b, x), plain);
        }
    }
}
