//! Importing the official administrative division codes (统计用区划代码) of a county from a
//! table: `code,name` (or `代码,名称`), optionally `lat,long` (`纬度,经度`) for a village's
//! centroid. The parent of each region follows from its code; rows may come in any
//! order; importing the same file twice changes nothing. Every problem names its line.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::i18n::{Explain, Lang};
use crate::intake::clean_name;
use crate::region::{Region, RegionCode, RegionCodeError, RegionLevel};
use crate::table::{LineError, Table};

/// A point (latitude, longitude) in degrees, WGS-84.
pub type Centroid = (f64, f64);

/// A region as stored, with what the import compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownRegion {
    /// The region.
    pub region: Region,
    /// Its centroid, if known.
    pub centroid: Option<Centroid>,
    /// Whether it was retired (it keeps its history but takes no new appeals).
    pub retired: bool,
}

/// What an import will change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionPlan {
    /// New regions, parents before children, with their centroids.
    pub add: Vec<(Region, Option<Centroid>)>,
    /// Existing regions whose name changes: (region with the new name, old name).
    pub rename: Vec<(Region, String)>,
    /// Existing regions that get (new) coordinates.
    pub locate: Vec<(RegionCode, Centroid)>,
    /// New townships without a township government unit: one is made for each.
    pub new_township_units: Vec<Region>,
    /// Rows that change nothing.
    pub unchanged: usize,
}

impl RegionPlan {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.rename.is_empty()
            && self.locate.is_empty()
            && self.new_township_units.is_empty()
    }
}

/// A problem with one line of the file (line 1 is the header).
pub type RowError = LineError<RowProblem>;

/// What can be wrong in a region file.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RowProblem {
    /// The header lacks a needed column.
    #[error("the header has no {0} column")]
    MissingColumn(&'static str),
    /// The code does not parse.
    #[error("bad code {code:?}: {error}")]
    BadCode {
        /// As written.
        code: String,
        /// Why.
        error: RegionCodeError,
    },
    /// Grids are not part of the official codes.
    #[error("{0} is a grid code; grids are not part of the official codes and are not imported")]
    Grid(RegionCode),
    /// The code lies in another county.
    #[error("{0} does not belong to this county ({1})")]
    OtherCounty(RegionCode, RegionCode),
    /// The name is empty.
    #[error("the name is empty")]
    EmptyName,
    /// The name is too long.
    #[error("the name is longer than {0} characters")]
    NameTooLong(usize),
    /// The parent is neither stored nor in the file.
    #[error("the parent {parent} of {code} is neither in the file nor already known")]
    ParentMissing {
        /// The region.
        code: RegionCode,
        /// Its missing parent.
        parent: RegionCode,
    },
    /// The parent was retired: nothing new goes under it.
    #[error("the parent {0} has been retired; nothing new goes under it")]
    ParentRetired(RegionCode),
    /// The same code twice with different names.
    #[error("{code} is listed again with another name (first on line {first_line})")]
    Duplicate {
        /// The code.
        code: RegionCode,
        /// Where it first appeared.
        first_line: usize,
    },
    /// A latitude or longitude that is not a number in range.
    #[error("bad coordinates {0:?}: latitude −90..90 and longitude −180..180, both or neither")]
    BadCoordinates(String),
    /// The county row names the county differently from the one set up.
    #[error("the county {0} is already set up; its row must match it")]
    CountyMismatch(RegionCode),
}

impl Explain for RowProblem {
    fn explain(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            RowProblem::MissingColumn(c) => format!("表头缺少“{c}”列"),
            RowProblem::BadCode { code, error } => {
                format!("代码“{code}”有误：{}", error.explain(Lang::Zh))
            }
            RowProblem::Grid(c) => format!("{c} 是网格代码，网格不属于统计用区划代码，不能导入"),
            RowProblem::OtherCounty(c, county) => format!("{c} 不属于本县（{county}）"),
            RowProblem::EmptyName => "名称为空".into(),
            RowProblem::NameTooLong(n) => format!("名称超过{n}个字"),
            RowProblem::ParentMissing { code, parent } => {
                format!("{code} 的上级 {parent} 既不在文件中，也不在系统中")
            }
            RowProblem::ParentRetired(p) => format!("上级 {p} 已停用，不能在其下新增"),
            RowProblem::Duplicate { code, first_line } => {
                format!("{code} 重复出现且名称不同（首次出现在第 {first_line} 行）")
            }
            RowProblem::BadCoordinates(v) => {
                format!("坐标“{v}”有误：纬度 −90～90、经度 −180～180，须同时填写或同时留空")
            }
            RowProblem::CountyMismatch(c) => format!("本县已设为 {c}，县级行须与之一致"),
        }
    }
}

const MAX_NAME_CHARS: usize = 60;

fn coordinates(lat: &str, lng: &str) -> Result<Option<Centroid>, RowProblem> {
    let bad = || RowProblem::BadCoordinates(format!("{lat},{lng}"));
    match (lat.trim(), lng.trim()) {
        ("", "") => Ok(None),
        ("", _) | (_, "") => Err(bad()),
        (a, b) => {
            let (a, b): (f64, f64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) {
                Ok(Some((a, b)))
            } else {
                Err(bad())
            }
        }
    }
}

/// Plans an import into `county`: checks every row against the file and what is
/// stored (`known`), and says what changes. `township_units` are the townships that
/// already have a township government unit. Every bad row is reported; nothing is
/// planned unless all are good.
pub fn plan(
    table: &Table,
    county: &RegionCode,
    known: &[KnownRegion],
    township_units: &[RegionCode],
) -> Result<RegionPlan, Vec<RowError>> {
    let code_col = table.column(&["code", "代码", "区划代码", "统计用区划代码"]);
    let name_col = table.column(&["name", "名称", "区划名称"]);
    let lat_col = table.column(&["lat", "latitude", "纬度"]);
    let lng_col = table.column(&["long", "lng", "lon", "longitude", "经度"]);
    let mut errors = Vec::new();
    for (col, name) in [(code_col, "code/代码"), (name_col, "name/名称")] {
        if col.is_none() {
            errors.push(RowError {
                line: 1,
                problem: RowProblem::MissingColumn(name),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let known_by_code: BTreeMap<&RegionCode, &KnownRegion> =
        known.iter().map(|k| (&k.region.code, k)).collect();
    // First pass: every row on its own, and duplicates within the file.
    let mut rows: BTreeMap<RegionCode, (usize, String, Option<Centroid>)> = BTreeMap::new();
    for row in &table.rows {
        let err = |problem| RowError {
            line: row.line,
            problem,
        };
        let raw = row.cell(code_col);
        let code = match RegionCode::parse(raw) {
            Ok(c) => c,
            Err(error) => {
                errors.push(err(RowProblem::BadCode {
                    code: raw.to_owned(),
                    error,
                }));
                continue;
            }
        };
        if code.level() == RegionLevel::Grid {
            errors.push(err(RowProblem::Grid(code)));
            continue;
        }
        if &code.county() != county {
            errors.push(err(RowProblem::OtherCounty(code, county.clone())));
            continue;
        }
        let name = clean_name(row.cell(name_col));
        if name.is_empty() {
            errors.push(err(RowProblem::EmptyName));
            continue;
        }
        if name.chars().count() > MAX_NAME_CHARS {
            errors.push(err(RowProblem::NameTooLong(MAX_NAME_CHARS)));
            continue;
        }
        let centroid = match coordinates(row.cell(lat_col), row.cell(lng_col)) {
            Ok(c) => c,
            Err(p) => {
                errors.push(err(p));
                continue;
            }
        };
        match rows.get(&code) {
            Some((first_line, first_name, _)) if *first_name != name => {
                errors.push(err(RowProblem::Duplicate {
                    code,
                    first_line: *first_line,
                }));
            }
            Some(_) => {}
            None => {
                rows.insert(code, (row.line, name, centroid));
            }
        }
    }
    // Second pass: parents, and what changes.
    let mut plan = RegionPlan::default();
    let with_units: BTreeSet<&RegionCode> = township_units.iter().collect();
    for (code, (line, name, centroid)) in &rows {
        if code.level() == RegionLevel::County {
            if !known_by_code.contains_key(code) {
                errors.push(RowError {
                    line: *line,
                    problem: RowProblem::CountyMismatch(county.clone()),
                });
                continue;
            }
        } else if let Some(parent) = code.parent()
            && !rows.contains_key(&parent)
            && !known_by_code.contains_key(&parent)
        {
            errors.push(RowError {
                line: *line,
                problem: RowProblem::ParentMissing {
                    code: code.clone(),
                    parent,
                },
            });
            continue;
        }
        let region = Region {
            code: code.clone(),
            name: name.clone(),
        };
        // Nothing new goes under a retired region: it takes no new appeals.
        if let Some(parent) = code.parent()
            && !known_by_code.contains_key(code)
            && known_by_code.get(&parent).is_some_and(|k| k.retired)
        {
            errors.push(RowError {
                line: *line,
                problem: RowProblem::ParentRetired(parent),
            });
            continue;
        }
        match known_by_code.get(code) {
            None => {
                if code.level() == RegionLevel::Township && !with_units.contains(code) {
                    plan.new_township_units.push(region.clone());
                }
                plan.add.push((region, *centroid));
            }
            Some(k) => {
                let mut same = true;
                if k.region.name != *name {
                    plan.rename.push((region, k.region.name.clone()));
                    same = false;
                }
                if let Some(c) = centroid
                    && k.centroid != Some(*c)
                {
                    plan.locate.push((code.clone(), *c));
                    same = false;
                }
                if same {
                    plan.unchanged += 1;
                }
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    // Codes sort parents first (a parent's code is its children's prefix padded with
    // zeros, and zeros sort first), but make it explicit by level.
    plan.add
        .sort_by(|a, b| (a.0.level(), &a.0.code).cmp(&(b.0.level(), &b.0.code)));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn county() -> RegionCode {
        RegionCode::parse("370999000000").expect("code")
    }

    fn table(lines: &[&str]) -> Table {
        Table::from_lines(lines, ',')
    }

    fn known_county() -> Vec<KnownRegion> {
        vec![KnownRegion {
            region: Region {
                code: county(),
                name: "示例县".into(),
            },
            centroid: None,
            retired: false,
        }]
    }

    const FILE: [&str; 5] = [
        "代码,名称,纬度,经度",
        "370999001001,幸福社区,36.5,117.1",
        "370999001000,城关街道,,",
        "370999002000,柳林镇,,",
        "370999002001,李官屯村,,",
    ];

    #[test]
    fn nothing_new_goes_under_a_retired_region_and_names_are_one_line() {
        let mut known = known_county();
        known.push(KnownRegion {
            region: Region {
                code: RegionCode::parse("370999003000").expect("code"),
                name: "旧镇".into(),
            },
            centroid: None,
            retired: true,
        });
        let errors = plan(
            &table(&[
                "code,name",
                "370999003002,新村",
                "370999004000,新\u{0}镇\u{202e}",
            ]),
            &county(),
            &known,
            &[],
        )
        .expect_err("under a retired township");
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].problem,
            RowProblem::ParentRetired(RegionCode::parse("370999003000").expect("code"))
        );
        let plan = plan(
            &table(&["code,name", "370999004000,新\u{0}镇\u{202e}"]),
            &county(),
            &known,
            &[],
        )
        .expect("a new township");
        assert_eq!(plan.add[0].0.name, "新镇");
    }

    #[test]
    fn the_plainest_file_in_any_order_adds_parents_first_with_township_units() {
        let plan = plan(&table(&FILE), &county(), &known_county(), &[]).expect("valid");
        let codes: Vec<&str> = plan.add.iter().map(|(r, _)| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "370999001000",
                "370999002000",
                "370999001001",
                "370999002001"
            ]
        );
        assert_eq!(plan.add[2].1, Some((36.5, 117.1)));
        assert_eq!(plan.new_township_units.len(), 2);
        let english = table(&["code,name", "370999003000,新区街道"]);
        assert_eq!(
            super::plan(&english, &county(), &known_county(), &[])
                .expect("valid")
                .add
                .len(),
            1
        );
    }

    #[test]
    fn importing_what_is_stored_changes_nothing() {
        let first = plan(&table(&FILE), &county(), &known_county(), &[]).expect("valid");
        let mut known = known_county();
        known.extend(first.add.iter().map(|(r, c)| KnownRegion {
            region: r.clone(),
            centroid: *c,
            retired: false,
        }));
        let towns: Vec<RegionCode> = first
            .new_township_units
            .iter()
            .map(|r| r.code.clone())
            .collect();
        let again = plan(&table(&FILE), &county(), &known, &towns).expect("valid");
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(again.unchanged, 4);
        // A renamed village and new coordinates are changes.
        let renamed = table(&[
            "代码,名称,纬度,经度",
            "370999001001,幸福社区居委会,36.6,117.1",
        ]);
        let p = plan(&renamed, &county(), &known, &towns).expect("valid");
        assert_eq!(p.rename.len(), 1);
        assert_eq!(p.rename[0].1, "幸福社区");
        assert_eq!(p.locate.len(), 1);
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let bad = table(&[
            "代码,名称,纬度,经度",
            "37099900100,短代码,,",
            "370888001000,外县,,",
            "370999003001,无上级村,,",
            "370999001000,,,",
            "370999001000,城关街道,,",
            "370999001000,城关镇,,",
            "370999001002,坐标坏,91,117",
            "370999001003,半个坐标,36,",
            "370999001001001,网格,,",
        ]);
        let errors = plan(&bad, &county(), &known_county(), &[]).expect_err("bad");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 7, 8, 9, 10]);
        assert!(matches!(
            errors[2].problem,
            RowProblem::ParentMissing { .. }
        ));
        assert!(matches!(
            errors[4].problem,
            RowProblem::Duplicate { first_line: 6, .. }
        ));
        for e in &errors {
            assert!(
                e.explain(Lang::Zh)
                    .starts_with(&format!("第 {} 行", e.line))
            );
        }
        let no_header = table(&["区县,名字", "370999001000,城关街道"]);
        let errors = plan(&no_header, &county(), &known_county(), &[]).expect_err("bad");
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| e.line == 1));
    }

    proptest! {
        #[test]
        fn any_row_order_gives_the_same_plan(seed in any::<u64>()) {
            let mut rows: Vec<&str> = FILE[1..].to_vec();
            // A cheap deterministic shuffle from the seed.
            let n = rows.len();
            for i in 0..n {
                let j = ((seed >> (i * 8)) as usize) % n;
                rows.swap(i, j);
            }
            let mut lines = vec![FILE[0]];
            lines.extend(rows);
            let a = plan(&table(&FILE), &county(), &known_county(), &[]).expect("valid");
            let b = plan(&table(&lines), &county(), &known_county(), &[]).expect("valid");
            prop_assert_eq!(a.add, b.add);
        }
    }
}
