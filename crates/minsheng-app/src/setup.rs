//! Setting a county up: the county with the standard units and categories, regions,
//! units and staff. The administration console and the import commands build on these.

use minsheng_core::category::CountyTemplate;
use minsheng_core::region::{Region, RegionCode, RegionLevel};
use minsheng_core::staff::Role;
use minsheng_core::unit::{NewUnit, Unit, UnitKind};
use minsheng_store::NewStaff;

use crate::staff::StaffInput;
use crate::{App, Error, Result};

/// Why a county cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The code is not a county's.
    #[error("the county code must be 12 digits ending in 000000")]
    NotACounty,
    /// The database already holds a county.
    #[error("the database is already initialised")]
    AlreadyInitialised,
    /// The shipped template lacks the county mass-work department.
    #[error("the county template has no mass-work department")]
    Template,
    /// A use case failed.
    #[error(transparent)]
    App(#[from] Error),
}

impl App {
    /// Stores a county with the shipped template's county-level units and categories.
    pub async fn set_up_county(&self, county: &Region) -> Result<CountyTemplate> {
        Ok(minsheng_store::county_with_template(self.store.as_ref(), county).await?)
    }

    /// `minsheng init`: an empty database gets the county, its template and an
    /// administrator; returns the administrator's one-time password.
    pub async fn init_county(&self, code: &str, name: &str) -> Result<String, SetupError> {
        let code = RegionCode::parse(code).map_err(|_| SetupError::NotACounty)?;
        if code.level() != RegionLevel::County {
            return Err(SetupError::NotACounty);
        }
        if self.store.counts().await.map_err(Error::from)?.regions > 0 {
            return Err(SetupError::AlreadyInitialised);
        }
        let county = Region {
            code,
            name: name.to_owned(),
        };
        let template = self.set_up_county(&county).await?;
        let home = template
            .units
            .iter()
            .find(|u| u.kind() == UnitKind::CountyMassWork)
            .ok_or(SetupError::Template)?;
        // The same path as every new account: a one-time password, changed at the
        // first sign-in.
        let (_, password) = self
            .create_staff_account(
                None,
                &StaffInput {
                    username: "admin".into(),
                    display_name: "系统管理员".into(),
                    unit_key: home.key.clone(),
                    roles: vec![Role::Admin],
                },
            )
            .await?;
        Ok(password)
    }

    /// Adds regions; parents must come before children.
    pub async fn add_regions(&self, regions: &[Region]) -> Result<()> {
        Ok(self.store.insert_regions(regions).await?)
    }

    /// Adds units; parents must come before children.
    pub async fn add_units(&self, units: &[NewUnit]) -> Result<Vec<Unit>> {
        Ok(self.store.save_units(units, None).await?)
    }

    /// Creates a staff member whose password is already hashed (many accounts sharing
    /// one demo password are hashed once).
    pub async fn create_staff_hashed(&self, staff: NewStaff) -> Result<i64> {
        Ok(self.store.create_staff(&staff, None).await?)
    }
}
