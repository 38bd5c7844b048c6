//! The category taxonomy and the default unit of each category.
//!
//! Categories are data: the default set for a Chinese county ships as
//! `data/county-template.json`, is loaded into the database at `init`, and can be
//! edited there. Routing reads them from the database, never from this file.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::unit::UnitKind;

/// A category of appeal and the unit that handles it by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code, e.g. `gongre`.
    pub code: String,
    /// Chinese name, e.g. 供热.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Key of the unit that handles it unless a rule says otherwise.
    pub unit: String,
}

impl Category {
    /// The name in the interface language.
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.name,
            Lang::En => &self.name_en,
        }
    }
}

/// A unit in a county template; its jurisdiction is the whole county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUnit {
    /// Short stable key.
    pub key: String,
    /// Full name.
    pub name: String,
    /// Kind code, see [`UnitKind::code`].
    pub kind: String,
}

impl TemplateUnit {
    /// The kind, falling back to a department for an unknown code.
    pub fn kind(&self) -> UnitKind {
        UnitKind::from_code(&self.kind).unwrap_or(UnitKind::Department)
    }
}

/// The standard county-level units and categories a new county starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyTemplate {
    /// County-level units.
    pub units: Vec<TemplateUnit>,
    /// Categories with their default unit keys.
    pub categories: Vec<Category>,
}

/// The template shipped with Minsheng.
pub const DEFAULT_TEMPLATE_JSON: &str = include_str!("../data/county-template.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_routes_every_category_to_one_of_its_units() {
        let t: CountyTemplate =
            serde_json::from_str(DEFAULT_TEMPLATE_JSON).expect("template parses");
        for c in &t.categories {
            assert!(
                t.units.iter().any(|u| u.key == c.unit),
                "{} → {}",
                c.code,
                c.unit
            );
        }
        let names: Vec<&str> = t.categories.iter().map(|c| c.name.as_str()).collect();
        for required in [
            "城乡建设",
            "供热",
            "供水与饮水安全",
            "供电供气",
            "土地征收",
            "房屋征收与安置",
            "劳动与社会保障",
            "农业农村",
            "生态环境",
            "交通运输",
            "教育",
            "医疗卫生",
            "市场监管",
            "社会治安",
            "涉法涉诉",
            "干部作风",
            "其他",
        ] {
            assert!(names.contains(&required), "{required} missing");
        }
        assert_eq!(
            t.units
                .iter()
                .filter(|u| u.kind() == UnitKind::CountyMassWork)
                .count(),
            1
        );
    }
}
