//! Units (单位): the offices that receive and solve appeals.

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, pick};
use crate::region::RegionCode;

/// What kind of office a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitKind {
    /// 县委群众工作部: the county's mass-work department, home of the hotline and dispatch.
    CountyMassWork,
    /// 县直部门: a county department such as the housing bureau.
    Department,
    /// 乡镇政府/街道办事处
    TownshipGovernment,
    /// 村(居)委会
    VillageCommittee,
    /// 群众工作室: a mass-work office in a township or village.
    MassWorkOffice,
}

impl UnitKind {
    /// All kinds, in display order.
    pub const ALL: [UnitKind; 5] = [
        UnitKind::CountyMassWork,
        UnitKind::Department,
        UnitKind::TownshipGovernment,
        UnitKind::VillageCommittee,
        UnitKind::MassWorkOffice,
    ];

    /// The stable identifier stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::CountyMassWork => "county_mass_work",
            UnitKind::Department => "department",
            UnitKind::TownshipGovernment => "township_government",
            UnitKind::VillageCommittee => "village_committee",
            UnitKind::MassWorkOffice => "mass_work_office",
        }
    }

    /// Parses the stored identifier.
    pub fn from_code(code: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Name of the kind in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            UnitKind::CountyMassWork => pick(lang, "县群众工作部门", "county mass-work department"),
            UnitKind::Department => pick(lang, "县直部门", "county department"),
            UnitKind::TownshipGovernment => pick(lang, "乡镇（街道）", "township government"),
            UnitKind::VillageCommittee => pick(lang, "村（居）委会", "village committee"),
            UnitKind::MassWorkOffice => pick(lang, "群众工作室", "mass-work office"),
        }
    }
}

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Database id.
    pub id: i64,
    /// Short stable key, e.g. `zjj` for the housing bureau.
    pub key: String,
    /// Full name, e.g. 县住房和城乡建设局.
    pub name: String,
    /// Kind of office.
    pub kind: UnitKind,
    /// The unit above it, if any.
    pub parent_id: Option<i64>,
    /// The regions it answers for.
    pub jurisdiction: Vec<RegionCode>,
}

impl NewUnit {
    /// The government of a township (乡镇人民政府, or 街道办事处 for a subdistrict), which
    /// answers for the whole township and is where appeals fall when no rule places
    /// them (兜底).
    pub fn township_government(township: &crate::region::Region) -> NewUnit {
        let name = if township.name.ends_with("街道") {
            format!("{}办事处", township.name)
        } else {
            format!("{}人民政府", township.name)
        };
        NewUnit {
            key: format!("gov-{}", township.code),
            name,
            kind: UnitKind::TownshipGovernment,
            parent_key: None,
            jurisdiction: vec![township.code.clone()],
        }
    }
}

/// A unit to be created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUnit {
    /// Short stable key.
    pub key: String,
    /// Full name.
    pub name: String,
    /// Kind of office.
    pub kind: UnitKind,
    /// Key of the unit above it.
    pub parent_key: Option<String>,
    /// The regions it answers for.
    pub jurisdiction: Vec<RegionCode>,
}
