//! Administering the county's organisation: regions from the official code list.

use minsheng_core::i18n::{Explain, Lang};
use minsheng_core::region::RegionCode;
use minsheng_core::region_import::{self, RegionPlan, RowError};
use minsheng_core::unit::{NewUnit, UnitKind};
use thiserror::Error;

use minsheng_core::workflow::Actor;

use crate::files::{FileError, read_table};
use crate::routing::require_admin_over;
use crate::{App, Error};

/// Why a region file was not imported; nothing was written.
#[derive(Debug, Error)]
pub enum RegionImportError {
    /// The file cannot be read as a table.
    #[error(transparent)]
    File(#[from] FileError),
    /// Rows are wrong, each named by its line.
    #[error("{} rows are wrong", .0.len())]
    Rows(Vec<RowError>),
    /// `minsheng init` has not been run.
    #[error("the county is not set up yet: run `minsheng init` first")]
    NotSetUp,
    /// A use case failed.
    #[error(transparent)]
    App(#[from] Error),
}

impl RegionImportError {
    /// Every line of the explanation, in the person's language.
    pub fn explain_all(&self, lang: Lang) -> Vec<String> {
        match (self, lang) {
            (RegionImportError::File(e), _) => vec![e.explain(lang)],
            (RegionImportError::Rows(rows), _) => rows.iter().map(|e| e.explain(lang)).collect(),
            (RegionImportError::NotSetUp, Lang::Zh) => {
                vec!["尚未初始化本县：请先运行 minsheng init".into()]
            }
            (e, _) => vec![e.to_string()],
        }
    }
}

/// What a region import did (or, for a check, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionImport {
    /// The changes.
    pub plan: RegionPlan,
    /// The township government units made for new townships.
    pub units: Vec<NewUnit>,
    /// Whether they were written (false for a check).
    pub applied: bool,
}

impl App {
    /// Imports the official division codes from a CSV or XLSX file (UTF-8 or GBK):
    /// plans the changes against what is stored and, unless `check_only`, writes them
    /// in one transaction. A bad file or any bad row writes nothing.
    ///
    /// `actor` is the administrator doing it in the console, who must administer the
    /// whole county; `None` is the operator on the command line.
    pub async fn import_regions(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        check_only: bool,
    ) -> Result<RegionImport, RegionImportError> {
        let county = self
            .store
            .county()
            .await
            .map_err(Error::from)?
            .ok_or(RegionImportError::NotSetUp)?;
        if let Some(actor) = actor {
            require_admin_over(actor, &county.code)?;
        }
        let table = read_table(bytes)?;
        let known = self.store.regions().await.map_err(Error::from)?;
        let units = self.store.units().await.map_err(Error::from)?;
        // A township already answered for by a township government needs no new one.
        let governed: Vec<RegionCode> = units
            .iter()
            .filter(|u| u.kind == UnitKind::TownshipGovernment)
            .flat_map(|u| u.jurisdiction.iter().cloned())
            .collect();
        let plan = region_import::plan(&table, &county.code, &known, &governed)
            .map_err(RegionImportError::Rows)?;
        let new_units: Vec<NewUnit> = plan
            .new_township_units
            .iter()
            .map(NewUnit::township_government)
            .collect();
        if !check_only {
            self.store
                .apply_regions(&plan, &new_units, actor.map(|a| a.id))
                .await
                .map_err(Error::from)?;
        }
        Ok(RegionImport {
            plan,
            units: new_units,
            applied: !check_only,
        })
    }
}
