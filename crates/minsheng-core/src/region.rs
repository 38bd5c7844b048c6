//! The region tree: county → township/subdistrict → village/community → grid.
//!
//! Counties, townships and villages carry their 12-digit administrative division code
//! (统计用区划代码): six digits for the county, three for the township, three for the
//! village. A grid (网格) is not part of the national code, so its code is the village's
//! twelve digits followed by a three-digit grid number.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Explain, Lang};

/// The level of a region in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RegionLevel {
    /// 县/区
    County,
    /// 乡/镇/街道
    Township,
    /// 村/社区
    Village,
    /// 网格
    Grid,
}

impl RegionLevel {
    /// Chinese or English name of the level.
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::pick(
            lang,
            match self {
                RegionLevel::County => "县",
                RegionLevel::Township => "乡镇/街道",
                RegionLevel::Village => "村/社区",
                RegionLevel::Grid => "网格",
            },
            match self {
                RegionLevel::County => "county",
                RegionLevel::Township => "township",
                RegionLevel::Village => "village",
                RegionLevel::Grid => "grid",
            },
        )
    }
}

/// A valid region code: 12 digits (county, township, village) or 15 digits (grid).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

/// Why a region code was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionCodeError {
    /// Not 12 or 15 ASCII digits.
    #[error("a region code has 12 digits (15 for a grid)")]
    Malformed,
    /// The county part is all zeros.
    #[error("the county part of a region code cannot be all zeros")]
    NoCounty,
    /// A village part without a township part.
    #[error("a village code needs a township part")]
    VillageWithoutTownship,
}

impl Explain for RegionCodeError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (RegionCodeError::Malformed, Lang::Zh) => "区划代码应为12位数字（网格为15位）".into(),
            (RegionCodeError::NoCounty, Lang::Zh) => "区划代码的县级部分不能全为0".into(),
            (RegionCodeError::VillageWithoutTownship, Lang::Zh) => {
                "村级代码必须包含乡镇部分".into()
            }
            (e, Lang::En) => e.to_string(),
        }
    }
}

impl RegionCode {
    /// Parses and checks a code.
    pub fn parse(s: &str) -> Result<Self, RegionCodeError> {
        let s = s.trim();
        if !(s.len() == 12 || s.len() == 15) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::Malformed);
        }
        if &s[..6] == "000000" {
            return Err(RegionCodeError::NoCounty);
        }
        if &s[6..9] == "000" && &s[9..12] != "000" {
            return Err(RegionCodeError::VillageWithoutTownship);
        }
        if s.len() == 15 && (&s[9..12] == "000" || &s[12..] == "000") {
            return Err(RegionCodeError::Malformed);
        }
        Ok(RegionCode(s.to_owned()))
    }

    /// The code of a township within a county (`n` from 1 to 999).
    pub fn township(county: &RegionCode, n: u16) -> RegionCode {
        RegionCode(format!("{}{:03}000", &county.0[..6], n.clamp(1, 999)))
    }

    /// The code of a village within a township (`n` from 1 to 999).
    pub fn village(township: &RegionCode, n: u16) -> RegionCode {
        RegionCode(format!("{}{:03}", &township.0[..9], n.clamp(1, 999)))
    }

    /// The code of a grid within a village (`n` from 1 to 999).
    pub fn grid(village: &RegionCode, n: u16) -> RegionCode {
        RegionCode(format!("{}{:03}", &village.0[..12], n.clamp(1, 999)))
    }

    /// The level the code stands for.
    pub fn level(&self) -> RegionLevel {
        if self.0.len() == 15 {
            RegionLevel::Grid
        } else if &self.0[6..] == "000000" {
            RegionLevel::County
        } else if &self.0[9..] == "000" {
            RegionLevel::Township
        } else {
            RegionLevel::Village
        }
    }

    /// The code of the region one level up, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::County => None,
            RegionLevel::Township => Some(RegionCode(format!("{}000000", &self.0[..6]))),
            RegionLevel::Village => Some(RegionCode(format!("{}000", &self.0[..9]))),
            RegionLevel::Grid => Some(RegionCode(self.0[..12].to_owned())),
        }
    }

    /// The county this region belongs to (the distribution key for large deployments).
    pub fn county(&self) -> RegionCode {
        RegionCode(format!("{}000000", &self.0[..6]))
    }

    /// The digits every code inside this region starts with; stores use it for
    /// prefix queries, so "inside" means the same thing in SQL and here.
    pub fn prefix(&self) -> &str {
        match self.level() {
            RegionLevel::County => &self.0[..6],
            RegionLevel::Township => &self.0[..9],
            RegionLevel::Village => &self.0[..12],
            RegionLevel::Grid => &self.0[..],
        }
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &RegionCode) -> bool {
        self.0.starts_with(other.prefix())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

/// A region in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Its code; the level and parent follow from it.
    pub code: RegionCode,
    /// Its name, e.g. 城关街道 or 王家庄村.
    pub name: String,
}

impl Region {
    /// The level of the region.
    pub fn level(&self) -> RegionLevel {
        self.code.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("370999000000", RegionLevel::County, None)]
    #[case("370999001000", RegionLevel::Township, Some("370999000000"))]
    #[case("370999001017", RegionLevel::Village, Some("370999001000"))]
    #[case("370999001017003", RegionLevel::Grid, Some("370999001017"))]
    fn levels_and_parents(
        #[case] code: &str,
        #[case] level: RegionLevel,
        #[case] parent: Option<&str>,
    ) {
        let c = RegionCode::parse(code).expect("valid");
        assert_eq!(c.level(), level);
        assert_eq!(c.parent().map(|p| p.to_string()), parent.map(str::to_owned));
    }

    #[rstest]
    #[case("", RegionCodeError::Malformed)]
    #[case("37099900100", RegionCodeError::Malformed)]
    #[case("37099900100a", RegionCodeError::Malformed)]
    #[case("000000001000", RegionCodeError::NoCounty)]
    #[case("370999000017", RegionCodeError::VillageWithoutTownship)]
    #[case("370999001000003", RegionCodeError::Malformed)]
    #[case("370999001017000", RegionCodeError::Malformed)]
    fn bad_codes(#[case] code: &str, #[case] err: RegionCodeError) {
        assert_eq!(RegionCode::parse(code), Err(err));
    }

    proptest! {
        #[test]
        fn every_village_is_within_its_township_and_county(t in 1u16..999, v in 1u16..999) {
            let county = RegionCode::parse("370999000000").expect("valid");
            let town = RegionCode::township(&county, t);
            let village = RegionCode::village(&town, v);
            prop_assert_eq!(village.level(), RegionLevel::Village);
            prop_assert!(village.is_within(&town));
            prop_assert!(village.is_within(&county));
            prop_assert!(!town.is_within(&village));
            prop_assert_eq!(village.parent(), Some(town.clone()));
            prop_assert_eq!(RegionCode::parse(village.as_str()), Ok(village.clone()));
        }
    }
}
