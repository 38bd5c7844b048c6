//! Administering the county's organisation: regions from the official code list (or
//! one at a time), units (a file or a form), the category tree, and the holiday
//! calendar. Every change is audited by the store and takes effect at once.
//!
//! The administrator's area decides what they may touch: a township administrator
//! adds villages and units within that township; categories, the calendar and region
//! files are for administrators of the whole county. `actor` `None` is the operator on
//! the command line, who manages all.

use minsheng_core::category::{Category, CategoryFields, check_category};
use minsheng_core::clock::{Calendar, CalendarProblem};
use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::region_import::{self, RegionPlan, RowProblem};
use minsheng_core::table::{CellError, LineError, Row, Table};
use minsheng_core::unit::{NewUnit, Unit, UnitFields, UnitKind, UnitPlan, plan_units};
use minsheng_core::workflow::Actor;

use crate::files::{FileImportError, read_table};
use crate::routing::{manages, require_admin_over};
use crate::{App, Error, Result};

/// Why a region file was not imported; nothing was written.
pub type RegionImportError = FileImportError<RowProblem>;

/// Why a unit file was not imported; nothing was written.
pub type UnitImportError = FileImportError<CellError>;

/// What a region import did (or, for a check, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionImport {
    /// The changes.
    pub plan: RegionPlan,
    /// The township government units made for new townships.
    pub units: Vec<NewUnit>,
    /// Keys a new township's government would have had but another unit holds: that
    /// township has no government unit until one is made.
    pub keys_taken: Vec<String>,
    /// Whether they were written (false for a check).
    pub applied: bool,
}

/// What a unit import did (or, for a check, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitImport {
    /// The changes.
    pub plan: UnitPlan,
    /// Whether they were written (false for a check).
    pub applied: bool,
}

/// What a calendar upload declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarUpload {
    /// The years the file declares (they replace those years of the calendar in use).
    pub years: Vec<i32>,
    /// Days off and make-up working days it lists.
    pub holidays: usize,
    /// Make-up working days.
    pub workdays: usize,
    /// Whether it is now in use (false for a check).
    pub applied: bool,
}

/// The columns of a unit file, each with the headers it may have.
const UNIT_COLUMNS: [(&str, &[&str], bool); 6] = [
    ("key", &["key", "编码", "单位编码", "代码", "code"], true),
    ("name", &["name", "名称", "单位名称"], true),
    ("kind", &["kind", "类型", "单位类型"], true),
    ("parent", &["parent", "上级", "上级单位", "上级编码"], false),
    (
        "jurisdiction",
        &["jurisdiction", "辖区", "管辖区域", "管辖范围"],
        true,
    ),
    ("phone", &["phone", "电话", "联系电话"], false),
];

fn unit_rows(table: &Table) -> Result<Vec<(usize, UnitFields)>, Vec<LineError<CellError>>> {
    let columns: Vec<Option<usize>> = UNIT_COLUMNS
        .iter()
        .map(|(_, names, _)| table.column(names))
        .collect();
    let missing: Vec<LineError<CellError>> = UNIT_COLUMNS
        .iter()
        .zip(&columns)
        .filter(|((_, _, required), at)| *required && at.is_none())
        .map(|((column, _, _), _)| LineError {
            line: 1,
            problem: CellError {
                column,
                error: FieldError::NoColumn,
            },
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let cell = |row: &Row, i: usize| row.cell(columns[i]).to_owned();
    Ok(table
        .rows
        .iter()
        .map(|row| {
            (
                row.line,
                UnitFields {
                    key: cell(row, 0),
                    name: cell(row, 1),
                    kind: cell(row, 2),
                    parent: cell(row, 3),
                    jurisdiction: cell(row, 4),
                    phone: cell(row, 5),
                },
            )
        })
        .collect())
}

/// The units of a plan the actor may not save, as row errors: a unit must answer only
/// for regions in the actor's area, before and after the change; its parent must be a
/// unit the actor manages; only an administrator of the whole county makes a
/// county-level mass-work department.
fn outside_area(
    actor: Option<&Actor>,
    county: &RegionCode,
    rows: &[(usize, UnitFields)],
    plan: &UnitPlan,
    units: &[Unit],
) -> Vec<LineError<CellError>> {
    let area_of = |key: &str| {
        plan.save
            .iter()
            .find(|u| u.key == key)
            .map(|u| u.jurisdiction.clone())
            .or_else(|| {
                units
                    .iter()
                    .find(|u| u.key == key)
                    .map(|u| u.jurisdiction.clone())
            })
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    for u in &plan.save {
        let Some((line, _)) = rows.iter().find(|(_, f)| f.key.trim() == u.key) else {
            continue;
        };
        let stored = units.iter().find(|s| s.key == u.key);
        let mut problems = Vec::new();
        if !manages(actor, &u.jurisdiction)
            || stored.is_some_and(|s| !manages(actor, &s.jurisdiction))
        {
            problems.push(("jurisdiction", FieldError::OutsideArea));
        }
        if u.parent_key
            .as_deref()
            .is_some_and(|p| !manages(actor, &area_of(p)))
        {
            problems.push(("parent", FieldError::OutsideArea));
        }
        if u.kind == UnitKind::CountyMassWork && !manages(actor, std::slice::from_ref(county)) {
            problems.push(("kind", FieldError::OutsideArea));
        }
        errors.extend(CellError::of_row(*line, FieldErrors(problems)));
    }
    errors
}

impl App {
    async fn county_region(&self) -> Result<Option<Region>> {
        Ok(self.store.county().await?)
    }

    /// Plans a region table against what is stored and, unless `check_only`, writes it.
    async fn apply_region_table(
        &self,
        actor: Option<&Actor>,
        county: &RegionCode,
        table: &Table,
        check_only: bool,
    ) -> Result<RegionImport, RegionImportError> {
        let known = self.store.regions().await.map_err(Error::from)?;
        let units = self.store.units().await.map_err(Error::from)?;
        // A township already answered for by a township government needs no new one.
        let governed: Vec<RegionCode> = units
            .iter()
            .filter(|u| u.kind == UnitKind::TownshipGovernment)
            .flat_map(|u| u.jurisdiction.iter().cloned())
            .collect();
        let plan = region_import::plan(table, county, &known, &governed)
            .map_err(RegionImportError::Rows)?;
        // A unit already holding the key a new township's government would get keeps
        // it, untouched; the answer says so.
        let (keys_taken, new_units): (Vec<NewUnit>, Vec<NewUnit>) = plan
            .new_township_units
            .iter()
            .map(NewUnit::township_government)
            .partition(|n| units.iter().any(|u| u.key == n.key));
        let keys_taken = keys_taken.into_iter().map(|u| u.key).collect();
        if !check_only {
            self.store
                .apply_regions(&plan, &new_units, actor.map(|a| a.id))
                .await
                .map_err(Error::from)?;
        }
        Ok(RegionImport {
            plan,
            units: new_units,
            keys_taken,
            applied: !check_only,
        })
    }

    /// Imports the official division codes from a CSV or XLSX file (UTF-8 or GBK):
    /// plans the changes against what is stored and, unless `check_only`, writes them
    /// in one transaction. A bad file or any bad row writes nothing.
    ///
    /// `actor` is the administrator doing it in the console, who must administer the
    /// whole county.
    pub async fn import_regions(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        check_only: bool,
    ) -> Result<RegionImport, RegionImportError> {
        let county = self
            .county_region()
            .await?
            .ok_or(RegionImportError::NotSetUp)?;
        if let Some(actor) = actor {
            require_admin_over(actor, &county.code)?;
        }
        let table = read_table(bytes)?;
        self.apply_region_table(actor, &county.code, &table, check_only)
            .await
    }

    /// Adds one region or renames it, with an optional centroid (`lat`, `long` as
    /// typed): the same checks as a file of one row. The actor must administer the
    /// region's parent (a township administrator adds villages of that township).
    pub async fn save_region(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        lat: &str,
        long: &str,
    ) -> Result<RegionImport, RegionImportError> {
        let county = self
            .county_region()
            .await?
            .ok_or(RegionImportError::NotSetUp)?;
        // A code of this county needs its parent's administrator; anything else is
        // refused by the plan with its reason (another county, a bad code).
        match RegionCode::parse(code.trim()) {
            Ok(c) if c.county() == county.code => {
                require_admin_over(actor, &c.parent().unwrap_or(c.clone()))?
            }
            _ => require_admin_over(actor, &county.code)?,
        }
        let table = Table {
            header: ["code", "name", "lat", "long"].map(String::from).to_vec(),
            rows: vec![Row {
                line: 2,
                cells: [code, name, lat, long]
                    .map(|c| c.trim().to_owned())
                    .to_vec(),
            }],
        };
        self.apply_region_table(Some(actor), &county.code, &table, false)
            .await
    }

    /// Retires a region and everything under it (it keeps its history and its open
    /// appeals go on, but it takes no new ones), or brings it back. Returns how many
    /// appeals are still open in it. The county itself cannot be retired.
    pub async fn set_region_retired(
        &self,
        actor: Option<&Actor>,
        code: &RegionCode,
        retired: bool,
    ) -> Result<i64> {
        if let Some(actor) = actor {
            require_admin_over(actor, code)?;
        }
        let known = self.store.regions().await?;
        let region = known
            .iter()
            .find(|r| &r.region.code == code)
            .ok_or(Error::NotFound)?;
        if retired && region.region.code.parent().is_none() {
            return Err(Error::Invalid(FieldErrors(vec![(
                "code",
                FieldError::CountyStays,
            )])));
        }
        Ok(self
            .store
            .set_region_retired(code, retired, actor.map(|a| a.id))
            .await?)
    }

    /// Creates or changes units from a CSV or XLSX file (columns `key`, `name`, `kind`,
    /// `parent`, `jurisdiction`, `phone`, or 编码, 名称, 类型, 上级, 辖区, 电话): a stored
    /// key is changed, a row equal to what is stored changes nothing. Any bad row
    /// writes nothing; every unit must lie in the actor's area.
    pub async fn import_units(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        check_only: bool,
    ) -> Result<UnitImport, UnitImportError> {
        if self.county_region().await?.is_none() {
            return Err(UnitImportError::NotSetUp);
        }
        if actor.is_some_and(|a| !a.roles.contains(&minsheng_core::Role::Admin)) {
            return Err(Error::Forbidden.into());
        }
        let table = read_table(bytes)?;
        let rows = unit_rows(&table).map_err(UnitImportError::Rows)?;
        let plan = self
            .plan_units(actor, &rows)
            .await?
            .map_err(UnitImportError::Rows)?;
        if !check_only {
            self.store
                .save_units(&plan.save, actor.map(|a| a.id))
                .await
                .map_err(Error::from)?;
        }
        Ok(UnitImport {
            plan,
            applied: !check_only,
        })
    }

    async fn plan_units(
        &self,
        actor: Option<&Actor>,
        rows: &[(usize, UnitFields)],
    ) -> Result<Result<UnitPlan, Vec<LineError<CellError>>>> {
        let county = self.county_region().await?.ok_or(Error::NotFound)?;
        let regions = self.store.regions().await?;
        let units = self.store.units().await?;
        Ok(plan_units(rows, &regions, &units).and_then(|plan| {
            let outside = outside_area(actor, &county.code, rows, &plan, &units);
            if outside.is_empty() {
                Ok(plan)
            } else {
                Err(outside)
            }
        }))
    }

    /// Creates (`creating`) or changes one unit from the console's form; the fields'
    /// errors come back as a form's.
    pub async fn save_unit(
        &self,
        actor: &Actor,
        fields: &UnitFields,
        creating: bool,
    ) -> Result<Unit> {
        if !actor.roles.contains(&minsheng_core::Role::Admin) {
            return Err(Error::Forbidden);
        }
        let units = self.store.units().await?;
        let stored = units.iter().find(|u| u.key == fields.key.trim());
        if creating && stored.is_some() {
            return Err(Error::Invalid(FieldErrors(vec![(
                "key",
                FieldError::Taken,
            )])));
        }
        if !creating && stored.is_none() {
            return Err(Error::NotFound);
        }
        let plan = self
            .plan_units(Some(actor), &[(1, fields.clone())])
            .await?
            .map_err(|errors| {
                Error::Invalid(FieldErrors(
                    errors
                        .into_iter()
                        .map(|e| (e.problem.column, e.problem.error))
                        .collect(),
                ))
            })?;
        let saved = self.store.save_units(&plan.save, Some(actor.id)).await?;
        match saved.into_iter().next() {
            Some(unit) => Ok(unit),
            // Nothing changed: the stored unit is the answer.
            None => stored.cloned().ok_or(Error::NotFound),
        }
    }

    /// Creates (`creating`) or changes a category; for administrators of the whole
    /// county.
    pub async fn save_category(
        &self,
        actor: &Actor,
        fields: &CategoryFields,
        creating: bool,
    ) -> Result<Category> {
        let county = self.county_region().await?.ok_or(Error::NotFound)?;
        require_admin_over(actor, &county.code)?;
        let categories = self.store.categories().await?;
        let exists = categories.iter().any(|c| c.code == fields.code.trim());
        if creating && exists {
            return Err(Error::Invalid(FieldErrors(vec![(
                "code",
                FieldError::Taken,
            )])));
        }
        if !creating && !exists {
            return Err(Error::NotFound);
        }
        let units = self.store.units().await?;
        let category = check_category(fields, &categories, &units).map_err(Error::Invalid)?;
        self.store
            .save_categories(std::slice::from_ref(&category), Some(actor.id))
            .await?;
        Ok(category)
    }

    /// Checks a holiday calendar file (the format `minsheng calendar check` reads) and,
    /// unless `check_only`, stores it and puts it in use at once: the years it declares
    /// replace those years. For administrators of the whole county.
    pub async fn upload_calendar(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        check_only: bool,
    ) -> Result<CalendarUpload, FileImportError<CalendarProblem>> {
        let text = &crate::files::text(bytes)?;
        let county = self
            .county_region()
            .await?
            .ok_or(FileImportError::NotSetUp)?;
        if let Some(actor) = actor {
            require_admin_over(actor, &county.code)?;
        }
        let calendar = Calendar::parse(text).map_err(|e| FileImportError::Rows(vec![e]))?;
        if calendar.years().next().is_none() {
            return Err(crate::files::FileError::Empty.into());
        }
        let (holidays, workdays) = calendar.counts();
        if !check_only {
            self.store
                .add_calendar_file(text, actor.map(|a| a.id))
                .await
                .map_err(Error::from)?;
            self.load_calendars().await?;
        }
        Ok(CalendarUpload {
            years: calendar.years().collect(),
            holidays,
            workdays,
            applied: !check_only,
        })
    }
}
