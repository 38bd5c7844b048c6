//! Similar appeals: which appeals are the same problem at the same place and time.
//!
//! Word overlap alone is weak (one says 暖气不热, another 屋里只有十二度) and misleading
//! (two neighbours' different problems share the compound's name), so a join weighs
//! several signals: the category, the place (same village or community, a place named
//! in both texts — a compound, a road, a factory — or the distance between their
//! points), the time, and the content words weighted by rarity (TF-IDF cosine), with a
//! MinHash/LSH index as the fast first filter beside the (village, category) block.
//! Since no two appeals join unless at one place, the index files each signature under
//! its village and its cell of a grid the join distance across, and an appeal looks
//! only there and in the neighbouring cells: the work per appeal stays the same as the
//! county grows.
//! Every join keeps its evidence, so a person can see why two appeals were joined.

use std::collections::{HashMap, VecDeque};

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::minhash::{Hasher, Lsh, PERMUTATIONS, Signature, forget, shingles};

/// What the clustering reads of one appeal.
#[derive(Debug, Clone)]
pub struct Item {
    /// The appeal's id.
    pub id: i64,
    /// Its features ([`crate::Segmenter::features`]: content words and their
    /// characters, so 暖气片 and 暖气 still share something).
    pub words: Vec<String>,
    /// Its category (as chosen at intake, or the top suggestion).
    pub category: String,
    /// Its village or community (a code or a name).
    pub village: String,
    /// Where it is (latitude, longitude), if known.
    pub location: Option<(f64, f64)>,
    /// When it came in, in days (any fixed origin).
    pub day: f64,
}

/// The thresholds of a join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Appeals further apart in time never join (days).
    pub days: f64,
    /// Appeals with points this close count as one place (km).
    pub km: f64,
    /// Same category and place: the least word similarity (TF-IDF cosine).
    pub same_category: f64,
    /// Another category, same place: the least word similarity.
    pub other_category: f64,
    /// The LSH threshold (estimated Jaccard of word shingles).
    pub lsh: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            days: 30.0,
            km: 5.0,
            same_category: 0.08,
            other_category: 0.45,
            lsh: 0.3,
        }
    }
}

/// How two places agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PlaceMatch {
    /// The same village or community.
    Village,
    /// Both texts name this place (a compound, road, factory …).
    Named {
        /// The place.
        place: String,
    },
    /// Their points are this close.
    Near {
        /// Kilometres.
        km: f64,
    },
}

/// Why two appeals were (or were not) joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The appeal compared with.
    pub with: i64,
    /// Content words both use, rarest first (at most 8).
    pub shared: Vec<String>,
    /// TF-IDF cosine of their content words.
    pub cosine: f64,
    /// Estimated Jaccard of their word shingles (MinHash).
    pub minhash: f64,
    /// Same category.
    pub same_category: bool,
    /// How their places agree, if they do.
    pub place: Option<PlaceMatch>,
    /// Days between them.
    pub days: f64,
}

/// Words that end a named place (幸福家园 + 小区, 化工 + 路, 鑫达 + 厂).
const PLACE_MARKERS: &str = "小区 花园 家园 公寓 大厦 号楼 号院 楼 路 街 大道 巷 厂 公司 学校 小学 中学 \
    幼儿园 医院 卫生院 市场 广场 工地 超市 酒店 宾馆 车站 站 大桥 桥 河 水库";

/// The places an appeal's words name.
pub fn named_places(words: &[String]) -> Vec<String> {
    static MARKERS: std::sync::LazyLock<std::collections::HashSet<&str>> =
        std::sync::LazyLock::new(|| PLACE_MARKERS.split_whitespace().collect());
    let is_marker = |w: &str| MARKERS.contains(w);
    // A word ending in a marker with at least two characters before it (幸福家园小区).
    let ends_in_marker = |w: &str| {
        let n = w.chars().count();
        w.char_indices()
            .rev()
            .take(3)
            .enumerate()
            .any(|(k, (at, _))| n >= k + 3 && is_marker(&w[at..]))
    };
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let name_like = |p: &str| p.chars().count() >= 2 && !p.chars().all(|c| c.is_ascii_digit());
        if is_marker(w) {
            if let Some(prev) = i.checked_sub(1).map(|j| &words[j])
                && name_like(prev)
                && !is_marker(prev)
            {
                out.push(format!("{prev}{w}"));
            }
        } else if ends_in_marker(w) {
            out.push(w.clone());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Document frequencies of the recent appeals' words. Words are numbered once (a
/// vocabulary), so comparing two appeals compares numbers, and weights read a table
/// of logarithms instead of computing one per word.
#[derive(Debug, Clone, Default)]
pub struct Idf {
    docs: usize,
    ids: FxHashMap<String, u32>,
    words: Vec<String>,
    df: Vec<u32>,
    /// ln(k) for k = 1, 2, …: the document frequencies' logarithms, grown as needed.
    ln: Vec<f64>,
}

/// An appeal's words as numbers with their counts, sorted by number.
type Terms = Vec<(u32, f64)>;

impl Idf {
    /// Counts an appeal's words; returns them as numbered terms with their counts.
    pub fn add(&mut self, words: &[String]) -> Vec<(u32, f64)> {
        self.docs += 1;
        let mut terms: Terms = Vec::with_capacity(words.len());
        for w in words {
            let id = match self.ids.get(w.as_str()) {
                Some(id) => *id,
                None => {
                    let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
                    self.ids.insert(w.clone(), id);
                    self.words.push(w.clone());
                    self.df.push(0);
                    id
                }
            };
            terms.push((id, 1.0));
        }
        terms.sort_unstable_by_key(|t| t.0);
        terms.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += 1.0;
            }
            same
        });
        for (id, _) in &terms {
            self.df[*id as usize] += 1;
        }
        let needed = self.docs + 2;
        while self.ln.len() < needed {
            let k = self.ln.len() + 1;
            self.ln.push((k as f64).ln());
        }
        terms
    }

    /// Forgets an appeal's terms (as [`Idf::add`] returned them).
    pub fn remove(&mut self, terms: &[(u32, f64)]) {
        self.docs = self.docs.saturating_sub(1);
        for (id, _) in terms {
            if let Some(n) = self.df.get_mut(*id as usize) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// ln(k), from the table when it holds it.
    fn ln_of(&self, k: usize) -> f64 {
        match self.ln.get(k.wrapping_sub(1)) {
            Some(v) => *v,
            None => (k as f64).ln(),
        }
    }

    /// A numbered word's weight: rarer weighs more.
    fn weight_of(&self, id: u32) -> f64 {
        let df = self.df.get(id as usize).copied().unwrap_or(0) as usize;
        self.ln_of(self.docs + 1) - self.ln_of(df + 1) + 1.0
    }

    /// A word's weight: rarer weighs more.
    pub fn weight(&self, w: &str) -> f64 {
        match self.ids.get(w) {
            Some(id) => self.weight_of(*id),
            None => self.ln_of(self.docs + 1) + 1.0,
        }
    }

    /// The length of an appeal's weighted term vector.
    fn norm(&self, terms: &[(u32, f64)]) -> f64 {
        terms
            .iter()
            .map(|(id, n)| (n * self.weight_of(*id)).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Kilometres to a degree of latitude, rounded down so grid cells come out a little
/// larger than asked.
const KM_PER_DEGREE: f64 = 110.0;

/// A grid of cells at least `km` across, so two points within `km` of each other lie in
/// the same or neighbouring cells: rows by latitude, and in each row columns as wide as
/// `km` is at that row's edge furthest from the equator (and a row beyond).
#[derive(Debug)]
struct Grid {
    height: f64,
    km: f64,
}

impl Grid {
    fn new(km: f64) -> Self {
        let km = if km.is_finite() { km.max(0.01) } else { 0.01 };
        Grid {
            height: km / KM_PER_DEGREE,
            km,
        }
    }

    fn row(&self, lat: f64) -> i64 {
        (lat / self.height).floor() as i64
    }

    fn column(&self, row: i64, lon: f64) -> i64 {
        let far = ((row as f64 + 0.5).abs() + 1.5) * self.height;
        if far >= 85.0 {
            return 0;
        }
        let width = self.km / (KM_PER_DEGREE * far.to_radians().cos());
        (lon / width).floor() as i64
    }

    /// The cell a point lies in, as an area key.
    fn cell(&self, (lat, lon): (f64, f64)) -> Option<u64> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let row = self.row(lat);
        Some(cell_key(row, self.column(row, lon)))
    }

    /// The cells within `km` of a point: its own and its neighbours.
    fn near(&self, (lat, lon): (f64, f64)) -> Vec<u64> {
        if !lat.is_finite() || !lon.is_finite() {
            return Vec::new();
        }
        let row = self.row(lat);
        let mut out = Vec::with_capacity(9);
        for r in row - 1..=row + 1 {
            let c = self.column(r, lon);
            out.extend((c - 1..=c + 1).map(|c| cell_key(r, c)));
        }
        out
    }
}

fn cell_key(row: i64, column: i64) -> u64 {
    ((row as u64) << 32) ^ (column as u64 & 0xffff_ffff) ^ 0x6c62_272e_0000_0000
}

/// A village's area key.
fn village_key(village: u32) -> u64 {
    0x5eed_0000_0000_0000 | u64::from(village)
}

/// One appeal as the clusterer holds it.
#[derive(Debug, Clone)]
struct Held {
    item: Item,
    signature: Signature,
    places: Vec<String>,
    /// Its numbered words and their counts ([`Idf::add`]), counted once when taken.
    terms: Terms,
    /// Its village as a number (`u32::MAX`: none), compared with every candidate.
    village: u32,
    /// The areas its signature is filed under in the LSH index (its village, its cell).
    areas: Vec<u64>,
    cluster: u64,
}

/// The numbered words two term lists share, each with its product of counts (both
/// sorted by number).
fn shared_counts(ta: &[(u32, f64)], tb: &[(u32, f64)]) -> Vec<(u32, f64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < ta.len() && j < tb.len() {
        match ta[i].0.cmp(&tb[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((ta[i].0, ta[i].1 * tb[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The weighted dot product of two term lists (both sorted by number), without
/// allocating: the inner loop of every comparison.
fn dot(ta: &[(u32, f64)], tb: &[(u32, f64)], idf: &Idf) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < ta.len() && j < tb.len() {
        let (x, y) = (ta[i].0, tb[j].0);
        if x < y {
            i += 1;
        } else if x > y {
            j += 1;
        } else {
            sum += ta[i].1 * tb[j].1 * idf.weight_of(x).powi(2);
            i += 1;
            j += 1;
        }
    }
    sum
}

/// How the places of two appeals agree, if they do.
fn place_of(a: &Held, b: &Held) -> Option<PlaceMatch> {
    if a.village == b.village && a.village != u32::MAX {
        Some(PlaceMatch::Village)
    } else if let Some(p) = a.places.iter().find(|p| b.places.contains(p)) {
        Some(PlaceMatch::Named { place: p.clone() })
    } else {
        a.item
            .location
            .zip(b.item.location)
            .map(|(x, y)| PlaceMatch::Near {
                km: distance_km(x, y),
            })
    }
}

/// Whether places that agree this way are one place under the rules.
fn one_place(place: &Option<PlaceMatch>, rules: &Rules) -> bool {
    match place {
        Some(PlaceMatch::Village | PlaceMatch::Named { .. }) => true,
        Some(PlaceMatch::Near { km }) => *km <= rules.km,
        None => false,
    }
}

/// Compares appeal `a` (whose weighted length is `na`) with `b`, whose places agree
/// as `place`; the shared words of the evidence are left empty (see
/// [`shared_terms`], worked out only for the match that is kept).
fn compare(a: &Held, na: f64, b: &Held, place: Option<PlaceMatch>, idf: &Idf) -> Evidence {
    let dot = dot(&a.terms, &b.terms, idf);
    let nb = idf.norm(&b.terms);
    let cosine = if na > 0.0 && nb > 0.0 {
        dot / (na * nb)
    } else {
        0.0
    };
    Evidence {
        with: b.item.id,
        shared: Vec::new(),
        cosine,
        minhash: a.signature.similarity(&b.signature),
        same_category: a.item.category == b.item.category,
        place,
        days: (a.item.day - b.item.day).abs(),
    }
}

/// The words two appeals share, rarest first: whole words, then the characters they
/// share; at most 8.
fn shared_terms(a: &Held, b: &Held, idf: &Idf) -> Vec<String> {
    let mut shared: Vec<(&str, f64)> = shared_counts(&a.terms, &b.terms)
        .into_iter()
        .map(|(id, _)| (idf.words[id as usize].as_str(), idf.weight_of(id)))
        .collect();
    shared.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(y.0)));
    shared
        .iter()
        .filter(|(w, _)| !w.starts_with('#'))
        .chain(shared.iter().filter(|(w, _)| w.starts_with('#')))
        .take(8)
        .map(|(w, _)| w.trim_start_matches('#').to_owned())
        .collect()
}

/// Whether the evidence joins two appeals under the rules.
pub fn joins(e: &Evidence, rules: &Rules) -> bool {
    let place = one_place(&e.place, rules);
    let named = matches!(e.place, Some(PlaceMatch::Named { .. }));
    let topic = if e.same_category {
        e.cosine >= rules.same_category || e.minhash >= rules.lsh || named
    } else {
        e.cosine >= rules.other_category
    };
    e.days <= rules.days && place && topic
}

/// Where an appeal went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The cluster it joined, or `None`: a new one (the caller numbers it and tells
    /// the clusterer with [`Clusterer::place`]).
    pub cluster: Option<u64>,
    /// Why it joined: the evidence against the member it matched best.
    pub evidence: Option<Evidence>,
}

/// An appeal with the work done that needs no other appeal: its MinHash signature
/// and the places it names. Made apart from the [`Clusterer`], so a run of appeals
/// can be prepared on one thread while another clusters the run before.
#[derive(Debug, Clone)]
pub struct Prepared {
    item: Item,
    signature: Signature,
    places: Vec<String>,
}

impl Prepared {
    /// Prepares an appeal.
    pub fn new(item: Item) -> Self {
        static HASHER: std::sync::LazyLock<Hasher> = std::sync::LazyLock::new(Hasher::default);
        Prepared {
            signature: HASHER.signature(shingles(&item.words).iter().map(String::as_str)),
            places: named_places(&item.words),
            item,
        }
    }

    /// The appeal's id.
    pub fn id(&self) -> i64 {
        self.item.id
    }
}

/// How many of the latest appeals of one village and category are compared beside
/// the text's near neighbours.
const RECENT: usize = 50;
/// How many of an LSH bucket's latest appeals are read ([`Lsh::candidates_in`]).
const PER_BUCKET: usize = 40;
/// How many of the text's nearest neighbours by signature are compared.
const NEAREST: usize = 100;

/// Clusters appeals as they come, keeping the recent ones (the rules' window).
#[derive(Debug)]
pub struct Clusterer {
    rules: Rules,

    lsh: Lsh,
    idf: Idf,
    held: FxHashMap<i64, Held>,
    by_block: HashMap<(String, String), VecDeque<i64>>,

    villages: FxHashMap<String, u32>,
    grid: Grid,
    order: VecDeque<(f64, i64)>,
}

impl Clusterer {
    /// An empty clusterer.
    pub fn new(rules: Rules) -> Self {
        Clusterer {
            lsh: Lsh::new(rules.lsh, PERMUTATIONS),
            grid: Grid::new(rules.km),
            rules,

            idf: Idf::default(),
            held: FxHashMap::default(),
            by_block: HashMap::new(),

            villages: FxHashMap::default(),
            order: VecDeque::new(),
        }
    }

    /// Forgets appeals older than the window before `day`.
    fn expire(&mut self, day: f64) {
        while let Some((d, id)) = self.order.front().copied() {
            if day - d <= self.rules.days {
                break;
            }
            self.order.pop_front();
            if let Some(h) = self.held.remove(&id) {
                self.idf.remove(&h.terms);
                if let Some(ids) = self
                    .by_block
                    .get_mut(&(h.item.village.clone(), h.item.category.clone()))
                {
                    forget(ids, id);
                }

                for area in &h.areas {
                    self.lsh.remove_in(*area, id, &h.signature);
                }
            }
        }
    }

    /// Takes one appeal (in the order they came in) and says which held appeal's
    /// cluster it joins, if any; the caller then [`Clusterer::place`]s it.
    pub fn add(&mut self, item: Item) -> Assignment {
        self.add_prepared(Prepared::new(item))
    }

    /// [`Clusterer::add`] for an appeal prepared beforehand (perhaps on another
    /// thread).
    pub fn add_prepared(&mut self, item: Prepared) -> Assignment {
        self.expire(item.item.day);
        let me = self.hold(item);
        let block = (me.item.village.clone(), me.item.category.clone());
        // Appeals join only at one place: the text's near neighbours are looked up in
        // the village and the cells around the point (the place the LSH index files
        // them under), and beside them come the latest of the same village and category.
        let mut near: Vec<u64> = me
            .item
            .location
            .map(|l| self.grid.near(l))
            .unwrap_or_default();
        if me.village != u32::MAX {
            near.push(village_key(me.village));
        }
        let mut found = self.lsh.candidates_in(&near, &me.signature, PER_BUCKET);
        // The nearest by the signature: those sharing the most bands, then the latest.
        if found.len() > NEAREST {
            found.select_nth_unstable_by(NEAREST, |a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            found.truncate(NEAREST);
        }
        let mut candidates: Vec<i64> = found.into_iter().map(|(id, _)| id).collect();
        if let Some(ids) = self.by_block.get(&block) {
            candidates.extend(ids.iter().rev().take(RECENT));
        }

        candidates.sort_unstable();
        candidates.dedup();
        let na = self.idf.norm(&me.terms);
        let mut best = candidates
            .iter()
            .filter(|id| **id != me.item.id)
            .filter_map(|id| self.held.get(id))
            .filter(|other| other.cluster != 0)
            .filter_map(|other| {
                // No join without one place: the words are weighed only when it is.
                let place = place_of(&me, other);
                one_place(&place, &self.rules).then(|| compare(&me, na, other, place, &self.idf))
            })
            .filter(|e| joins(e, &self.rules))
            .max_by(|a, b| a.cosine.total_cmp(&b.cosine).then(b.with.cmp(&a.with)));
        if let Some(e) = &mut best {
            e.shared = shared_terms(&me, &self.held[&e.with], &self.idf);
        }
        let assignment = Assignment {
            cluster: best.as_ref().map(|e| self.held[&e.with].cluster),
            evidence: best,
        };
        self.keep(me);
        assignment
    }

    /// Takes one appeal whose cluster is already known (rebuilding the window at start).
    pub fn add_known(&mut self, item: Item, cluster: u64) {
        self.expire(item.day);
        let mut me = self.hold(Prepared::new(item));
        me.cluster = cluster;
        self.keep(me);
    }

    /// Says which cluster a taken appeal is in.
    pub fn place(&mut self, id: i64, cluster: u64) {
        if let Some(h) = self.held.get_mut(&id) {
            h.cluster = cluster;
        }
    }

    fn hold(&mut self, prepared: Prepared) -> Held {
        let Prepared {
            item,
            signature,
            places,
        } = prepared;
        let terms = self.idf.add(&item.words);
        let village = if item.village.is_empty() {
            u32::MAX
        } else {
            let next = u32::try_from(self.villages.len()).unwrap_or(u32::MAX - 1);
            *self.villages.entry(item.village.clone()).or_insert(next)
        };
        let mut areas: Vec<u64> = item
            .location
            .and_then(|l| self.grid.cell(l))
            .into_iter()
            .collect();
        if village != u32::MAX {
            areas.push(village_key(village));
        }
        Held {
            terms,
            village,
            areas,
            item,
            signature,
            places,
            cluster: 0,
        }
    }

    fn keep(&mut self, me: Held) {
        let id = me.item.id;
        for area in &me.areas {
            self.lsh.insert_in(*area, id, &me.signature);
        }

        self.by_block
            .entry((me.item.village.clone(), me.item.category.clone()))
            .or_default()
            .push_back(id);
        self.order.push_back((me.item.day, id));
        self.held.insert(id, me);
    }

    /// Appeals held (the window).
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

/// Clusters appeals in the order given, numbering new clusters from 1: (id, cluster).
pub fn cluster_all(rules: Rules, items: impl IntoIterator<Item = Item>) -> Vec<(i64, u64)> {
    let mut c = Clusterer::new(rules);
    let mut next = 1;
    items
        .into_iter()
        .map(|it| {
            let id = it.id;
            let cluster = c.add(it).cluster.unwrap_or_else(|| {
                next += 1;
                next - 1
            });
            c.place(id, cluster);
            (id, cluster)
        })
        .collect()
}

/// Pairwise precision and recall of a clustering against labels (appeals without a
/// label are each their own cluster), counted by cells rather than pairs.
pub fn pairwise<C: Eq + std::hash::Hash + Copy>(
    found: &[(i64, C)],
    labels: &HashMap<i64, String>,
) -> (f64, f64) {
    let pairs = |n: usize| n * n.saturating_sub(1) / 2;
    let mut by_cluster: HashMap<C, usize> = HashMap::new();
    let mut by_label: HashMap<&str, usize> = HashMap::new();
    let mut by_cell: HashMap<(C, &str), usize> = HashMap::new();
    for (id, c) in found {
        *by_cluster.entry(*c).or_default() += 1;
        if let Some(l) = labels.get(id) {
            *by_label.entry(l.as_str()).or_default() += 1;
            *by_cell.entry((*c, l.as_str())).or_default() += 1;
        }
    }
    let tp: usize = by_cell.values().map(|n| pairs(*n)).sum();
    let found_pairs: usize = by_cluster.values().map(|n| pairs(*n)).sum();
    let label_pairs: usize = by_label.values().map(|n| pairs(*n)).sum();
    let p = if found_pairs == 0 {
        1.0
    } else {
        tp as f64 / found_pairs as f64
    };
    let r = if label_pairs == 0 {
        1.0
    } else {
        tp as f64 / label_pairs as f64
    };
    (p, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::tests::segmenter;

    fn item(id: i64, text: &str, category: &str, village: &str, day: f64) -> Item {
        Item {
            id,
            words: segmenter().features(text),
            category: category.into(),
            village: village.into(),
            location: None,
            day,
        }
    }

    #[test]
    fn the_same_problem_in_one_place_joins_and_others_do_not() {
        let mut c = Clusterer::new(Rules::default());
        let mut take = |id, text, category, village, day| {
            let a = c.add(item(id, text, category, village, day));
            c.place(id, a.cluster.unwrap_or(id as u64));
            a
        };
        let a = take(
            1,
            "幸福家园小区暖气不热，屋里只有十二度",
            "gongre",
            "v1",
            0.0,
        );
        let b = take(
            2,
            "我们小区供暖不达标，孩子冻感冒了，暖气片冰凉",
            "gongre",
            "v1",
            1.0,
        );
        let water = take(3, "幸福家园小区停水两天了，水管爆了", "gongshui", "v1", 1.0);
        let far = take(4, "暖气不热，屋里只有十二度", "gongre", "v9", 1.0);
        let late = take(5, "暖气不热，屋里只有十二度", "gongre", "v1", 60.0);
        assert!(a.cluster.is_none() && b.cluster == Some(1), "{b:?}");
        let e = b.evidence.expect("why");
        assert_eq!(e.place, Some(PlaceMatch::Village));
        assert!(e.shared.iter().any(|w| w == "暖"), "{e:?}");
        assert!(
            water.cluster.is_none(),
            "another problem in the same place: {water:?}"
        );
        assert!(far.cluster.is_none(), "the same problem elsewhere: {far:?}");
        assert!(late.cluster.is_none(), "two months later: {late:?}");
    }

    proptest::proptest! {
        #[test]
        fn points_within_the_distance_lie_in_neighbouring_cells(
            lat in -84.0f64..84.0,
            lon in -179.0f64..179.0,
            bearing in 0.0f64..std::f64::consts::TAU,
            part in 0.0f64..1.0,
            km in 0.05f64..50.0,
        ) {
            // A point `part` of `km` away on `bearing` (small-distance approximation,
            // checked with the haversine below).
            let d = km * part / 6371.0;
            let lat2 = lat + (d * bearing.cos()).to_degrees();
            let lon2 = lon + (d * bearing.sin() / lat.to_radians().cos()).to_degrees();
            proptest::prop_assume!(distance_km((lat, lon), (lat2, lon2)) <= km);
            let grid = Grid::new(km);
            let cell = grid.cell((lat2, lon2)).expect("a cell");
            proptest::prop_assert!(grid.near((lat, lon)).contains(&cell));
        }
    }

    #[test]
    fn named_places_are_read_from_words() {
        let p = named_places(
            &segmenter().content_words("幸福家园小区3号楼暖气不热，化工路东段鑫达建材厂冒黑烟"),
        );
        assert!(p.iter().any(|x| x.contains("幸福家园")), "{p:?}");
        assert!(p.iter().any(|x| x.ends_with('路')), "{p:?}");
    }

    #[test]
    fn pairwise_counts_pairs() {
        let labels: HashMap<i64, String> =
            [(1, "A".into()), (2, "A".into()), (3, "B".into())].into();
        assert_eq!(pairwise(&[(1, 7u64), (2, 7), (3, 8)], &labels), (1.0, 1.0));
        let (p, r) = pairwise(&[(1, 7u64), (2, 8), (3, 7)], &labels);
        assert_eq!((p, r), (0.0, 0.0));
    }
}
