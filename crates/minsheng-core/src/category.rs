//! The category taxonomy and the default unit of each category.
//!
//! Categories are data: the default set for a Chinese county ships as
//! `data/county-template.json`, is loaded into the database at `init`, and can be
//! edited there. Routing reads them from the database, never from this file.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::intake::{FieldError, FieldErrors, check_code, clean_name};
use crate::unit::{Unit, UnitKind};

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
    /// The top-level category it belongs to (categories have two levels).
    #[serde(default)]
    pub parent: Option<String>,
    /// Words that suggest it when they appear in an appeal's text.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Whether citizens see it (on the portal, and Open311 clients as a service).
    #[serde(default = "yes")]
    pub public: bool,
    /// Whether Open311 publishes its requests (when it is public): off for matters
    /// whose text names people, such as complaints about officials' conduct, which
    /// citizens may raise but the county does not put on a public map.
    #[serde(default = "yes")]
    pub published: bool,
    /// Extra fields asked for appeals of it, exposed to Open311 as service attributes.
    #[serde(default)]
    pub fields: Vec<ExtraField>,
}

#[cfg(test)]
impl Category {
    /// 供热 (heating), handled by the housing bureau `zjj`: the category of many tests.
    pub(crate) fn heating() -> Category {
        Category {
            code: "gongre".into(),
            name: "供热".into(),
            name_en: "Heating".into(),
            unit: "zjj".into(),
            parent: None,
            keywords: vec![],
            public: true,
            published: true,
            fields: vec![],
        }
    }
}

fn yes() -> bool {
    true
}

/// The kind of value an extra field takes (Open311's attribute datatypes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    /// A short line of text.
    String,
    /// Longer text.
    Text,
    /// A number.
    Number,
    /// A date and time.
    Datetime,
    /// One of `choices`.
    Singlevaluelist,
    /// Any of `choices`.
    Multivaluelist,
}

impl Datatype {
    const ALL: [Datatype; 6] = [
        Datatype::String,
        Datatype::Text,
        Datatype::Number,
        Datatype::Datetime,
        Datatype::Singlevaluelist,
        Datatype::Multivaluelist,
    ];

    /// The Open311 name.
    pub fn code(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Text => "text",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }

    /// Reads the Open311 name or a Chinese one (文本, 长文本, 数字, 日期, 单选, 多选).
    pub fn parse(s: &str) -> Option<Datatype> {
        let s = s.trim();
        Datatype::ALL
            .into_iter()
            .find(|d| d.code().eq_ignore_ascii_case(s))
            .or(match s {
                "" | "文本" => Some(Datatype::String),
                "长文本" => Some(Datatype::Text),
                "数字" => Some(Datatype::Number),
                "日期" | "时间" | "日期时间" => Some(Datatype::Datetime),
                "单选" => Some(Datatype::Singlevaluelist),
                "多选" => Some(Datatype::Multivaluelist),
                _ => None,
            })
    }

    /// Whether values come from a list of choices.
    pub fn is_list(self) -> bool {
        matches!(self, Datatype::Singlevaluelist | Datatype::Multivaluelist)
    }
}

/// An extra field of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    /// Stable code, e.g. `meter_no`.
    pub code: String,
    /// What the appellant is asked, e.g. 表号.
    pub label: String,
    /// The kind of value.
    pub datatype: Datatype,
    /// Whether an answer is needed.
    pub required: bool,
    /// The choices of a list.
    #[serde(default)]
    pub choices: Vec<String>,
}

impl ExtraField {
    /// The line that describes it: `code | label | type | required | a/b/c`.
    pub fn line(&self) -> String {
        format!(
            "{} | {} | {} | {} | {}",
            self.code,
            self.label,
            self.datatype.code(),
            if self.required { "yes" } else { "no" },
            self.choices.join("/")
        )
    }

    /// Reads lines of `code | label | type | required | a/b/c` (type, required and the
    /// choices may be left out; `｜` works too); blank lines are skipped. The error
    /// names the first bad line.
    pub fn parse_lines(text: &str) -> Result<Vec<ExtraField>, FieldError> {
        let mut fields: Vec<ExtraField> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = || FieldError::ExtraField(i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
            if parts.len() < 2 || parts.len() > 5 {
                return Err(bad());
            }
            let part = |n: usize| parts.get(n).copied().unwrap_or("");
            let code = check_code(part(0)).map_err(|_| bad())?;
            let label = clean_name(part(1));
            let datatype = Datatype::parse(part(2)).ok_or_else(bad)?;
            let required = match part(3).to_lowercase().as_str() {
                "" | "no" | "false" | "否" | "选填" => false,
                "yes" | "true" | "是" | "必填" => true,
                _ => return Err(bad()),
            };
            let choices: Vec<String> = part(4)
                .split(['/', '、', ','])
                .map(clean_name)
                .filter(|c| !c.is_empty())
                .collect();
            if label.is_empty()
                || label.chars().count() > 40
                || datatype.is_list() == choices.is_empty()
                || fields.iter().any(|f| f.code == code)
            {
                return Err(bad());
            }
            fields.push(ExtraField {
                code,
                label,
                datatype,
                required,
                choices,
            });
        }
        Ok(fields)
    }
}

/// An answer to one of a category's extra fields, as stored with the appeal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The field's code.
    pub code: String,
    /// What was asked (kept, so the answer reads the same after the field changes).
    pub label: String,
    /// The values given: one, or any number for a multiple choice.
    pub values: Vec<String>,
}

/// Longest answer to an extra field, in characters.
const MAX_ANSWER_CHARS: usize = 500;

impl ExtraField {
    /// Checks the values given for this field: a required field needs one, a number
    /// must read as one, a time as ISO 8601, a choice must be among the choices (one
    /// for a single choice). `None` when nothing was given (refused for a required
    /// field when `required` holds: the channel asked it).
    pub fn check(&self, values: &[String], required: bool) -> Result<Option<Answer>, FieldError> {
        let values: Vec<String> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if values.is_empty() {
            return if self.required && required {
                Err(FieldError::AttributeMissing(self.code.clone()))
            } else {
                Ok(None)
            };
        }
        let bad = || FieldError::AttributeValue(self.code.clone());
        let one = values.len() == 1;
        let ok = match self.datatype {
            Datatype::String | Datatype::Text => {
                one && values[0].chars().count() <= MAX_ANSWER_CHARS
                    && !values[0].chars().any(|c| c.is_control() && c != '\n')
            }
            Datatype::Number => one && values[0].parse::<f64>().is_ok_and(f64::is_finite),
            Datatype::Datetime => one && chrono::DateTime::parse_from_rfc3339(&values[0]).is_ok(),
            Datatype::Singlevaluelist => one && self.choices.contains(&values[0]),
            Datatype::Multivaluelist => values.iter().all(|v| self.choices.contains(v)),
        };
        if !ok {
            return Err(bad());
        }
        let mut values = values;
        values.dedup();
        Ok(Some(Answer {
            code: self.code.clone(),
            label: self.label.clone(),
            values,
        }))
    }
}

/// Checks the answers given (`code` → values) against a category's extra fields, in
/// the fields' order; a code the category does not ask for is refused by name. A
/// required field must be answered when the channel `asks` the fields.
pub fn check_answers(
    fields: &[ExtraField],
    given: &[(String, Vec<String>)],
    asks: bool,
) -> Result<Vec<Answer>, FieldError> {
    if let Some((code, _)) = given
        .iter()
        .find(|(code, _)| !fields.iter().any(|f| &f.code == code))
    {
        return Err(FieldError::AttributeUnknown(
            code.chars().take(40).collect(),
        ));
    }
    let mut answers = Vec::new();
    for field in fields {
        let values: Vec<String> = given
            .iter()
            .filter(|(code, _)| *code == field.code)
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        answers.extend(field.check(&values, asks)?);
    }
    Ok(answers)
}

/// A category as an administrator writes it in the console: the text as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryFields {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name; the Chinese one when empty.
    pub name_en: String,
    /// The top-level category's code; empty for a top-level one.
    pub parent: String,
    /// Default unit's key.
    pub unit: String,
    /// Keywords separated by spaces, commas or 、.
    pub keywords: String,
    /// Whether citizens see it.
    pub public: bool,
    /// Whether Open311 publishes its requests.
    pub published: bool,
    /// Extra fields, one a line (see [`ExtraField::parse_lines`]).
    pub fields: String,
}

impl CategoryFields {
    /// The fields of a stored category, as its edit form shows them.
    pub fn of(c: &Category) -> CategoryFields {
        CategoryFields {
            code: c.code.clone(),
            name: c.name.clone(),
            name_en: c.name_en.clone(),
            parent: c.parent.clone().unwrap_or_default(),
            unit: c.unit.clone(),
            keywords: c.keywords.join(" "),
            public: c.public,
            published: c.published,
            fields: c
                .fields
                .iter()
                .map(ExtraField::line)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

const MAX_CATEGORY_NAME: usize = 40;
const MAX_KEYWORDS: usize = 100;
const MAX_KEYWORD_CHARS: usize = 20;

/// Checks a category against the stored ones and the units: a code, names, a default
/// unit that exists, and two levels at most (the parent must be top-level, and a
/// category that has sub-categories cannot be put under another).
pub fn check_category(
    f: &CategoryFields,
    categories: &[Category],
    units: &[Unit],
) -> Result<Category, FieldErrors> {
    let mut errors = FieldErrors::default();
    let code = check_code(&f.code)
        .map_err(|e| errors.0.push(("code", e)))
        .ok();
    let mut name = |field: &'static str, text: &str, required: bool| {
        let text = clean_name(text);
        if text.is_empty() && required {
            errors.0.push((field, FieldError::Required));
        } else if text.chars().count() > MAX_CATEGORY_NAME {
            errors
                .0
                .push((field, FieldError::TooLong(MAX_CATEGORY_NAME)));
        }
        text
    };
    let zh = name("name", &f.name, true);
    let en = name("name_en", &f.name_en, false);
    let parent = match f.parent.trim() {
        "" => None,
        p => {
            let top = categories
                .iter()
                .find(|c| c.code == p)
                .map(|c| c.parent.is_none());
            let has_children = code
                .as_ref()
                .is_some_and(|me| categories.iter().any(|c| c.parent.as_ref() == Some(me)));
            match top {
                None => errors.0.push(("parent", FieldError::UnknownChoice)),
                Some(_) if code.as_deref() == Some(p) => {
                    errors.0.push(("parent", FieldError::ParentLoop))
                }
                Some(false) => errors.0.push(("parent", FieldError::TwoLevels)),
                Some(true) if has_children => errors.0.push(("parent", FieldError::TwoLevels)),
                Some(true) => {}
            }
            Some(p.to_owned())
        }
    };
    if !units.iter().any(|u| u.key == f.unit.trim()) {
        errors.0.push(("unit", FieldError::UnknownChoice));
    }
    let mut keywords: Vec<String> = Vec::new();
    for k in f
        .keywords
        .split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
        .map(clean_name)
        .filter(|k| !k.is_empty())
    {
        if k.chars().count() > MAX_KEYWORD_CHARS {
            errors
                .0
                .push(("keywords", FieldError::TooLong(MAX_KEYWORD_CHARS)));
            break;
        }
        if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    if keywords.len() > MAX_KEYWORDS {
        errors
            .0
            .push(("keywords", FieldError::TooLong(MAX_KEYWORDS)));
    }
    let fields = ExtraField::parse_lines(&f.fields)
        .map_err(|e| errors.0.push(("fields", e)))
        .unwrap_or_default();
    match code {
        Some(code) if errors.is_empty() => Ok(Category {
            code,
            name_en: if en.is_empty() { zh.clone() } else { en },
            name: zh,
            unit: f.unit.trim().to_owned(),
            parent,
            keywords,
            public: f.public,
            published: f.published,
            fields,
        }),
        _ => Err(errors),
    }
}

impl Category {
    /// Whether citizens are offered it: it is public, and so is its parent.
    pub fn offered_publicly(&self, all: &[Category]) -> bool {
        self.public
            && self
                .parent
                .as_ref()
                .is_none_or(|p| all.iter().any(|c| &c.code == p && c.public))
    }

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

/// The shipped template's catch-all category (其他), whose default unit is the county's
/// 12345 centre: an appeal sent without a category goes there to be sorted.
pub const CATCH_ALL: &str = "qita";

/// The template shipped with Minsheng.
pub const DEFAULT_TEMPLATE_JSON: &str = include_str!("../data/county-template.json");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::FieldError;

    fn template() -> CountyTemplate {
        serde_json::from_str(DEFAULT_TEMPLATE_JSON).expect("template parses")
    }

    fn units() -> Vec<Unit> {
        template()
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| Unit {
                id: i as i64 + 1,
                key: u.key.clone(),
                name: u.name.clone(),
                kind: u.kind(),
                parent_id: None,
                jurisdiction: vec![],
                contact_phone: None,
            })
            .collect()
    }

    fn fields(code: &str, parent: &str) -> CategoryFields {
        CategoryFields {
            code: code.into(),
            name: "物业管理".into(),
            parent: parent.into(),
            unit: template().categories[0].unit.clone(),
            keywords: "物业费、电梯 停车位,电梯".into(),
            public: true,
            published: true,
            fields: "building | 楼栋号\n\nkind | 问题类型 | 单选 | 是 | 收费/服务/维修".into(),
            ..CategoryFields::default()
        }
    }

    #[test]
    fn the_template_publishes_every_public_category_but_officials_conduct() {
        let t = template();
        let unpublished: Vec<&str> = t
            .categories
            .iter()
            .filter(|c| !c.published)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(unpublished, ["zuofeng"]);
        let zuofeng = t
            .categories
            .iter()
            .find(|c| c.code == "zuofeng")
            .expect("zuofeng");
        assert!(zuofeng.public, "citizens may still raise it");
    }

    #[test]
    fn a_sub_category_with_keywords_and_extra_fields() {
        let t = template();
        let top = &t.categories[0];
        let c = check_category(&fields("wuye", &top.code), &t.categories, &units()).expect("good");
        assert_eq!(c.parent.as_deref(), Some(top.code.as_str()));
        assert_eq!(c.keywords, ["物业费", "电梯", "停车位"]);
        assert_eq!(c.name_en, "物业管理");
        assert_eq!(c.fields.len(), 2);
        assert_eq!(c.fields[0].datatype, Datatype::String);
        assert!(!c.fields[0].required);
        assert_eq!(c.fields[1].datatype, Datatype::Singlevaluelist);
        assert!(c.fields[1].required);
        assert_eq!(c.fields[1].choices, ["收费", "服务", "维修"]);
        // What the edit form shows reads back the same.
        let again = check_category(&CategoryFields::of(&c), &t.categories, &units()).expect("same");
        assert_eq!(again, c);
    }

    #[test]
    fn categories_have_two_levels_and_real_units() {
        let mut t = template();
        let top = t.categories[0].code.clone();
        let sub = check_category(&fields("wuye", &top), &t.categories, &units()).expect("good");
        t.categories.push(sub);
        let errs =
            |f: &CategoryFields| check_category(f, &t.categories, &units()).expect_err("bad");
        assert_eq!(
            errs(&fields("x", "wuye")).get("parent"),
            Some(&FieldError::TwoLevels)
        );
        let second = t.categories[1].code.clone();
        assert_eq!(
            errs(&fields(&top, &second)).get("parent"),
            Some(&FieldError::TwoLevels)
        );
        assert_eq!(
            errs(&fields("x", "nope")).get("parent"),
            Some(&FieldError::UnknownChoice)
        );
        assert_eq!(
            errs(&fields(&top, &top)).get("parent"),
            Some(&FieldError::ParentLoop)
        );
        let bad = CategoryFields {
            code: "Bad Code".into(),
            name: String::new(),
            unit: "nobody".into(),
            fields: "a | b | 单选".into(),
            ..CategoryFields::default()
        };
        let e = errs(&bad);
        assert_eq!(e.get("code"), Some(&FieldError::Code));
        assert_eq!(e.get("name"), Some(&FieldError::Required));
        assert_eq!(e.get("unit"), Some(&FieldError::UnknownChoice));
        assert_eq!(e.get("fields"), Some(&FieldError::ExtraField(1)));
    }

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

    #[test]
    fn answers_are_checked_against_the_fields() {
        let fields = ExtraField::parse_lines(
            "meter | 表号 | 文本 | 是\nfloor | 楼层 | 数字\nkind | 问题类型 | 单选 | 否 | 收费/服务\nwho | 涉及人群 | 多选 | 否 | 老人/儿童/残疾人",
        )
        .expect("fields");
        let given = |pairs: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
            pairs
                .iter()
                .map(|(c, v)| ((*c).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect()
        };
        let answers = check_answers(
            &fields,
            &given(&[
                ("who", &["老人", "儿童"]),
                ("meter", &[" A-17 "]),
                ("floor", &["3"]),
            ]),
            true,
        )
        .expect("good answers");
        let codes: Vec<&str> = answers.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["meter", "floor", "who"], "in the fields' order");
        assert_eq!(answers[0].values, ["A-17"]);
        assert_eq!(answers[2].values, ["老人", "儿童"]);
        for (bad, error) in [
            (
                given(&[("floor", &["3"])]),
                FieldError::AttributeMissing("meter".into()),
            ),
            (
                given(&[("meter", &["1"]), ("floor", &["三"])]),
                FieldError::AttributeValue("floor".into()),
            ),
            (
                given(&[("meter", &["1"]), ("kind", &["维修"])]),
                FieldError::AttributeValue("kind".into()),
            ),
            (
                given(&[("meter", &["1"]), ("kind", &["收费", "服务"])]),
                FieldError::AttributeValue("kind".into()),
            ),
            (
                given(&[("meter", &["1"]), ("who", &["老人", "青年"])]),
                FieldError::AttributeValue("who".into()),
            ),
            (
                given(&[("meter", &["1"]), ("colour", &["red"])]),
                FieldError::AttributeUnknown("colour".into()),
            ),
        ] {
            assert_eq!(check_answers(&fields, &bad, true), Err(error));
        }
        // A channel that does not ask the fields is not held to the required ones.
        assert_eq!(check_answers(&fields, &[], false), Ok(vec![]));
    }
}
