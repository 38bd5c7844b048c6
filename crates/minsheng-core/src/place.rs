//! Placing an appeal that names no village (Open311 requests, mostly): by its point,
//! in the village whose centroid is nearest and within reach; or by the village and
//! community names its address mentions. What cannot be placed is left to the dispatch
//! centre, never refused.

use crate::region::{Region, RegionCode, RegionLevel};
use crate::region_import::Centroid;

/// How far from a village's centroid a point may lie and still be placed in it, in
/// kilometres: farther than this from every village, a point is outside the county
/// (or in a corner whose villages have no coordinates yet).
pub const REACH_KM: f64 = 8.0;

/// The great-circle distance between two points, in kilometres (haversine, on a sphere
/// of the Earth's mean radius: good to 0.5 % at a county's scale).
pub fn distance_km(a: Centroid, b: Centroid) -> f64 {
    const EARTH_KM: f64 = 6371.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().min(1.0).asin()
}

/// The village whose centroid is nearest to `point`, if one lies within [`REACH_KM`].
/// Ties go to the first in `villages`.
pub fn nearest_village(villages: &[(RegionCode, Centroid)], point: Centroid) -> Option<RegionCode> {
    villages
        .iter()
        .map(|(code, c)| (code, distance_km(*c, point)))
        .filter(|(_, d)| *d <= REACH_KM)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(code, _)| code.clone())
}

/// Endings of village, community and township names that people leave out or write
/// another way (王家庄村委会 is 王家庄村; 城关镇 is 城关).
const VILLAGE_ENDINGS: [&str; 6] = [
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "村委会",
    "居委会",
    "社区",
];
const TOWNSHIP_ENDINGS: [&str; 4] = ["街道办事处", "街道", "镇", "乡"];

/// The ways a name may be written in an address: as registered, and with its ending
/// swapped for the everyday one (村 for 村委会, 社区 for 社区居委会).
fn spellings(name: &str, endings: &[&str], everyday: &[&str]) -> Vec<String> {
    let mut out = vec![name.to_owned()];
    let base = endings
        .iter()
        .chain(["村"].iter())
        .find_map(|e| name.strip_suffix(e))
        .filter(|b| b.chars().count() >= 2);
    if let Some(base) = base {
        for e in everyday {
            let s = format!("{base}{e}");
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The village or community an address names, when exactly one fits: its name must
/// appear in the text (王家庄村, or 王家庄村委会 written as 王家庄村), and when a
/// township's name appears too, the village must lie in it. Where one found name is
/// part of another (王庄村 in 东王庄村), the longer wins. Retired regions should not
/// be passed in.
pub fn village_in_text(regions: &[Region], text: &str) -> Option<RegionCode> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if text.is_empty() {
        return None;
    }
    let township = regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Township)
        .filter(|r| {
            spellings(&r.name, &TOWNSHIP_ENDINGS, &["镇", "乡", "街道"])
                .iter()
                .any(|s| s.chars().count() >= 3 && text.contains(s.as_str()))
        })
        .map(|r| &r.code)
        .collect::<Vec<_>>();
    let township = match township.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    // Every village named, with where its name was found.
    let mut found: Vec<(&RegionCode, usize, usize)> = Vec::new();
    for r in regions.iter().filter(|r| r.level() == RegionLevel::Village) {
        if township.is_some_and(|t| !r.code.is_within(t)) {
            continue;
        }
        let best = spellings(&r.name, &VILLAGE_ENDINGS, &["村", "社区"])
            .into_iter()
            .filter(|s| s.chars().count() >= 2)
            .filter_map(|s| text.find(s.as_str()).map(|at| (at, at + s.len())))
            .max_by_key(|(at, end)| end - at);
        if let Some((at, end)) = best {
            found.push((&r.code, at, end));
        }
    }
    // A name inside a longer name that was found is not a name of its own.
    let kept: Vec<&RegionCode> = found
        .iter()
        .filter(|(_, at, end)| {
            !found
                .iter()
                .any(|(_, a2, e2)| a2 <= at && end <= e2 && (e2 - a2) > (end - at))
        })
        .map(|(code, _, _)| *code)
        .collect();
    match kept.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn region(code: &str, name: &str) -> Region {
        Region {
            code: RegionCode::parse(code).expect("code"),
            name: name.into(),
        }
    }

    fn county() -> Vec<Region> {
        vec![
            region("370999000000", "临河县"),
            region("370999001000", "城关街道"),
            region("370999002000", "河口镇"),
            region("370999001001", "幸福社区居委会"),
            region("370999001002", "王庄村"),
            region("370999002001", "东王庄村委会"),
            region("370999002002", "前进村"),
            region("370999001003", "前进村"),
        ]
    }

    #[rstest]
    #[case("临河县幸福社区3号楼", Some("370999001001"))]
    #[case("幸福社区居委会门口", Some("370999001001"))]
    #[case("东王庄村村口的路灯", Some("370999002001"))]
    #[case("王庄村小学旁", Some("370999001002"))]
    #[case("河口镇前进村", Some("370999002002"))]
    #[case("城关街道前进村东头", Some("370999001003"))]
    #[case("前进村", None)]
    #[case("前进路18号", None)]
    #[case("建设路与人民路交叉口", None)]
    #[case("", None)]
    fn finds_the_village_an_address_names(#[case] text: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            village_in_text(&county(), text).map(|c| c.to_string()),
            expected.map(str::to_owned),
            "{text}"
        );
    }

    #[test]
    fn distances_are_about_right() {
        // One degree of latitude is about 111 km.
        let d = distance_km((35.0, 117.0), (36.0, 117.0));
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert!(distance_km((35.0, 117.0), (35.0, 117.0)) < 1e-9);
    }

    #[test]
    fn a_point_goes_to_the_nearest_village_within_reach() {
        let villages = vec![
            (
                RegionCode::parse("370999001001").expect("code"),
                (35.40, 117.30),
            ),
            (
                RegionCode::parse("370999001002").expect("code"),
                (35.45, 117.35),
            ),
        ];
        let near_second = nearest_village(&villages, (35.449, 117.349));
        assert_eq!(near_second, Some(villages[1].0.clone()));
        // Beijing is not in this county.
        assert_eq!(nearest_village(&villages, (39.9, 116.4)), None);
        assert_eq!(nearest_village(&[], (35.4, 117.3)), None);
    }

    proptest! {
        /// The village chosen is never farther than another, and never out of reach.
        #[test]
        fn nearest_is_nearest(
            points in proptest::collection::vec((35.0f64..35.5, 117.0f64..117.5), 1..20),
            at in (34.9f64..35.6, 116.9f64..117.6),
        ) {
            let villages: Vec<(RegionCode, Centroid)> = points
                .iter()
                .enumerate()
                .map(|(i, p)| (RegionCode::village(&RegionCode::township(&RegionCode::parse("370999000000").expect("county"), 1), i as u16 + 1), *p))
                .collect();
            match nearest_village(&villages, at) {
                Some(code) => {
                    let chosen = villages.iter().find(|(c, _)| *c == code).map(|(_, p)| distance_km(*p, at)).expect("chosen");
                    prop_assert!(chosen <= REACH_KM);
                    for (_, p) in &villages {
                        prop_assert!(chosen <= distance_km(*p, at));
                    }
                }
                None => {
                    for (_, p) in &villages {
                        prop_assert!(distance_km(*p, at) > REACH_KM);
                    }
                }
            }
        }
    }
}
