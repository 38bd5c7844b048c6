//! Units (单位): the offices that receive and solve appeals.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, pick};
use crate::intake::{FieldError, FieldErrors, check_code, clean_name};
use crate::region::RegionCode;
use crate::region_import::KnownRegion;
use crate::table::{CellError, LineError};

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

    /// Parses a kind as people write it in a file: the identifier, the name in either
    /// language, or a common short form (部门, 乡镇, 街道, 村委会, 社区, 群众工作室, 调度中心…).
    pub fn parse(s: &str) -> Option<UnitKind> {
        let s = s.trim();
        if let Some(k) = UnitKind::ALL.into_iter().find(|k| {
            k.code() == s || k.label(Lang::Zh) == s || k.label(Lang::En).eq_ignore_ascii_case(s)
        }) {
            return Some(k);
        }
        Some(match s {
            "部门" | "县直单位" | "职能部门" | "department" => UnitKind::Department,
            "乡镇" | "乡" | "镇" | "街道" | "乡镇政府" | "街道办事处" | "乡镇（街道）"
            | "township" => UnitKind::TownshipGovernment,
            "村委会" | "居委会" | "村" | "社区" | "村（居）委会" | "village" => {
                UnitKind::VillageCommittee
            }
            "群众工作室" | "工作室" => UnitKind::MassWorkOffice,
            "调度中心" | "群众工作部" | "县委群众工作部" | "热线" | "12345" | "dispatch" => {
                UnitKind::CountyMassWork
            }
            _ => return None,
        })
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
    /// The phone number people and colleagues call.
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A unit and the units above it, nearest first. The walk stops at the top, at a
/// parent that is not in `units`, or at a loop (which the directory refuses anyway).
pub fn lineage(unit: i64, units: &[Unit]) -> Vec<i64> {
    let mut chain = vec![unit];
    let mut at = unit;
    while let Some(parent) = units.iter().find(|u| u.id == at).and_then(|u| u.parent_id) {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        at = parent;
    }
    chain
}

/// Whether `unit` must stand aside (回避) from an appeal accusing the units `accused`:
/// it is one of them or lies under one, so it may neither handle nor see the appeal.
pub fn barred(unit: i64, accused: &[i64], units: &[Unit]) -> bool {
    !accused.is_empty() && lineage(unit, units).iter().any(|u| accused.contains(u))
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
            contact_phone: None,
        }
    }
}

/// A unit to be created or changed (by its key).
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
    /// The phone number people and colleagues call.
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A unit as an administrator writes it in a form or a file row: the text as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFields {
    /// Short stable key.
    pub key: String,
    /// Full name.
    pub name: String,
    /// Kind, see [`UnitKind::parse`].
    pub kind: String,
    /// Key of the unit above it; empty for none.
    pub parent: String,
    /// Region codes or names, separated by spaces, commas, semicolons or 、.
    pub jurisdiction: String,
    /// Contact phone; may be empty.
    pub phone: String,
}

impl UnitFields {
    /// The fields of a stored unit, as its edit form shows them.
    pub fn of(unit: &Unit, units: &[Unit]) -> UnitFields {
        UnitFields {
            key: unit.key.clone(),
            name: unit.name.clone(),
            kind: unit.kind.code().to_owned(),
            parent: unit
                .parent_id
                .and_then(|p| units.iter().find(|u| u.id == p))
                .map(|p| p.key.clone())
                .unwrap_or_default(),
            jurisdiction: unit
                .jurisdiction
                .iter()
                .map(RegionCode::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            phone: unit.contact_phone.clone().unwrap_or_default(),
        }
    }
}

/// What saving units will change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitPlan {
    /// Units to create or change, parents before children.
    pub save: Vec<NewUnit>,
    /// How many of them are new.
    pub created: usize,
    /// Rows that change nothing.
    pub unchanged: usize,
}

/// The longest unit name.
pub const MAX_UNIT_NAME: usize = 60;

fn check_phone(s: &str) -> Result<Option<String>, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')'));
    if allowed && (3..=20).contains(&digits) {
        Ok(Some(s.to_owned()))
    } else {
        Err(FieldError::ContactPhone)
    }
}

/// Finds regions written as codes or names in a list. Regions in service count, and a
/// retired one only if it is in `kept` (a unit's stored jurisdiction may name a region
/// retired since). A name given beside its own code is the same region, once.
pub fn parse_regions(
    text: &str,
    regions: &[KnownRegion],
    kept: &[RegionCode],
) -> Result<Vec<RegionCode>, FieldError> {
    let mut found = Vec::new();
    for token in text
        .split(|c: char| c.is_whitespace() || ",;，；、|/".contains(c))
        .filter(|t| !t.is_empty())
    {
        let matching: Vec<&KnownRegion> = if token.chars().all(|c| c.is_ascii_digit()) {
            regions
                .iter()
                .filter(|r| r.region.code.as_str() == token)
                .collect()
        } else {
            regions.iter().filter(|r| r.region.name == token).collect()
        };
        let usable: Vec<&KnownRegion> = matching
            .iter()
            .copied()
            .filter(|r| !r.retired || kept.contains(&r.region.code))
            .collect();
        let code = match (usable.as_slice(), matching.as_slice()) {
            ([one], _) => &one.region.code,
            ([], []) => return Err(FieldError::UnknownRegion(token.to_owned())),
            ([], _) => return Err(FieldError::RetiredRegion(token.to_owned())),
            // A name shared by several: the one already listed by its code is meant.
            (many, _) => match many.iter().find(|r| found.contains(&r.region.code)) {
                Some(r) => &r.region.code,
                None => return Err(FieldError::AmbiguousRegion(token.to_owned())),
            },
        };
        if !found.contains(code) {
            found.push(code.clone());
        }
    }
    if found.is_empty() {
        return Err(FieldError::Required);
    }
    Ok(found)
}

/// Checks one unit's fields on their own (not against other rows).
fn check_fields(
    f: &UnitFields,
    regions: &[KnownRegion],
    kept: &[RegionCode],
) -> Result<NewUnit, FieldErrors> {
    let mut errors = FieldErrors::default();
    let key = check_code(&f.key)
        .map_err(|e| errors.0.push(("key", e)))
        .ok();
    let name = clean_name(&f.name);
    if name.is_empty() {
        errors.0.push(("name", FieldError::Required));
    } else if name.chars().count() > MAX_UNIT_NAME {
        errors.0.push(("name", FieldError::TooLong(MAX_UNIT_NAME)));
    }
    let kind = match f.kind.trim() {
        "" => Err(FieldError::Required),
        k => UnitKind::parse(k).ok_or(FieldError::UnknownChoice),
    }
    .map_err(|e| errors.0.push(("kind", e)))
    .ok();
    let parent_key = match f.parent.trim() {
        "" => Ok(None),
        p => check_code(p).map(Some),
    }
    .map_err(|e| errors.0.push(("parent", e)))
    .ok();
    let jurisdiction = parse_regions(&f.jurisdiction, regions, kept)
        .map_err(|e| errors.0.push(("jurisdiction", e)))
        .ok();
    let contact_phone = check_phone(&f.phone)
        .map_err(|e| errors.0.push(("phone", e)))
        .ok();
    match (key, kind, parent_key, jurisdiction, contact_phone) {
        (Some(key), Some(kind), Some(parent_key), Some(jurisdiction), Some(contact_phone))
            if errors.is_empty() =>
        {
            Ok(NewUnit {
                key,
                name,
                kind,
                parent_key,
                jurisdiction,
                contact_phone,
            })
        }
        _ => Err(errors),
    }
}

/// Plans saving units (a file, or one form as a single row): checks every row on its
/// own, then against the others and what is stored (`units`): keys once in the file,
/// parents that exist (stored or in the file) and no unit under itself. A row whose key
/// is stored changes that unit; a row equal to the stored unit changes nothing. Every
/// problem names its line; nothing is planned unless all rows are good.
pub fn plan_units(
    rows: &[(usize, UnitFields)],
    regions: &[KnownRegion],
    units: &[Unit],
) -> Result<UnitPlan, Vec<LineError<CellError>>> {
    let mut errors = Vec::new();
    let mut checked: Vec<(usize, NewUnit)> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (line, fields) in rows {
        let kept = units
            .iter()
            .find(|u| u.key == fields.key.trim())
            .map_or(&[][..], |u| u.jurisdiction.as_slice());
        match check_fields(fields, regions, kept) {
            Ok(u) => {
                if first_line.insert(u.key.clone(), *line).is_some() {
                    errors.extend(CellError::of_row(
                        *line,
                        FieldErrors(vec![("key", FieldError::Taken)]),
                    ));
                } else {
                    checked.push((*line, u));
                }
            }
            Err(e) => errors.extend(CellError::of_row(*line, e)),
        }
    }
    // The parent of every key, as stored and then as the file says.
    let key_of: HashMap<i64, &str> = units.iter().map(|u| (u.id, u.key.as_str())).collect();
    let mut parent: HashMap<&str, Option<&str>> = units
        .iter()
        .map(|u| {
            (
                u.key.as_str(),
                u.parent_id.and_then(|p| key_of.get(&p).copied()),
            )
        })
        .collect();
    for (_, u) in &checked {
        parent.insert(u.key.as_str(), u.parent_key.as_deref());
    }
    for (line, u) in &checked {
        let Some(p) = u.parent_key.as_deref() else {
            continue;
        };
        let problem = if !parent.contains_key(p) {
            Some(FieldError::UnknownChoice)
        } else {
            // Walk up from the parent; meeting the unit itself means a loop.
            let mut at = Some(p);
            let mut steps = 0;
            while let Some(k) = at {
                if k == u.key || steps > parent.len() {
                    break;
                }
                at = parent.get(k).copied().flatten();
                steps += 1;
            }
            at.map(|_| FieldError::ParentLoop)
        };
        if let Some(e) = problem {
            errors.extend(CellError::of_row(*line, FieldErrors(vec![("parent", e)])));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    let mut plan = UnitPlan::default();
    let mut pending: Vec<NewUnit> = Vec::new();
    for (_, u) in checked {
        match units.iter().find(|s| s.key == u.key) {
            Some(s) if same(s, &u, &key_of) => plan.unchanged += 1,
            Some(_) => pending.push(u),
            None => {
                plan.created += 1;
                pending.push(u);
            }
        }
    }
    // Parents before children: a unit waits while its parent is still to be saved.
    while !pending.is_empty() {
        let waiting: BTreeSet<String> = pending.iter().map(|u| u.key.clone()).collect();
        let (ready, rest): (Vec<NewUnit>, Vec<NewUnit>) = pending
            .into_iter()
            .partition(|u| u.parent_key.as_ref().is_none_or(|p| !waiting.contains(p)));
        if ready.is_empty() {
            // Unreachable after the loop check; keep the rest in file order.
            plan.save.extend(rest);
            break;
        }
        plan.save.extend(ready);
        pending = rest;
    }
    Ok(plan)
}

fn same(stored: &Unit, new: &NewUnit, key_of: &HashMap<i64, &str>) -> bool {
    let parent = stored.parent_id.and_then(|p| key_of.get(&p).copied());
    let set = |j: &[RegionCode]| j.iter().cloned().collect::<BTreeSet<_>>();
    stored.name == new.name
        && stored.kind == new.kind
        && parent == new.parent_key.as_deref()
        && set(&stored.jurisdiction) == set(&new.jurisdiction)
        && stored.contact_phone == new.contact_phone
}

#[cfg(test)]
mod tests;
