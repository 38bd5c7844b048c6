//! Administering staff accounts: create, change name/unit/roles, deactivate (sessions
//! end at once), reset a password to a one-time password that must be changed at the
//! next sign-in, and a staff member's own password change.
//!
//! An administrator manages only accounts whose unit lies inside their area (a
//! township administrator, that township's units); the command line (`actor` `None`)
//! is the operator with access to the server and manages all.

use minsheng_core::intake::{FieldError, FieldErrors, clean_name};
use minsheng_core::staff::{NewPassword, Role, Username};
use minsheng_core::unit::Unit;
use minsheng_core::workflow::Actor;
use minsheng_store::{NewStaff, StaffChange, StaffFilter, StaffMember, StoreError};
use rand::Rng;

use crate::routing::manages;
use crate::sessions::SignedIn;
use crate::{App, Error, Result, passwords};

/// A staff account as an administrator asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffInput {
    /// Login name (new accounts only; ignored on a change).
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Home unit's key.
    pub unit_key: String,
    /// Roles.
    pub roles: Vec<Role>,
}

const MAX_DISPLAY_NAME: usize = 40;

/// A fresh one-time password: 14 letters and digits, with both kinds.
fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    loop {
        let pw: String = (0..14)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        if pw.chars().any(|c| c.is_ascii_digit()) && pw.chars().any(|c| c.is_ascii_alphabetic()) {
            return pw;
        }
    }
}

impl App {
    /// Checks an account's name, unit and roles; returns the unit.
    async fn check_staff_input(
        &self,
        actor: Option<&Actor>,
        input: &StaffInput,
        errors: &mut FieldErrors,
    ) -> Result<Option<Unit>> {
        let name = clean_name(&input.display_name);
        if name.is_empty() {
            errors.0.push(("display_name", FieldError::Required));
        } else if name.chars().count() > MAX_DISPLAY_NAME {
            errors
                .0
                .push(("display_name", FieldError::TooLong(MAX_DISPLAY_NAME)));
        }
        if input.roles.is_empty() {
            errors.0.push(("roles", FieldError::Required));
        }
        let unit = self
            .store
            .units()
            .await?
            .into_iter()
            .find(|u| u.key == input.unit_key.trim());
        match &unit {
            None => errors.0.push(("unit", FieldError::UnknownChoice)),
            Some(u) if !manages(actor, &u.jurisdiction) => {
                errors.0.push(("unit", FieldError::OutsideArea))
            }
            Some(_) => {}
        }
        Ok(unit)
    }

    /// Creates an account with a one-time password (returned, shown once), which the
    /// new staff member must change at their first sign-in.
    pub async fn create_staff_account(
        &self,
        actor: Option<&Actor>,
        input: &StaffInput,
    ) -> Result<(i64, String)> {
        if actor.is_some_and(|a| !a.roles.contains(&Role::Admin)) {
            return Err(Error::Forbidden);
        }
        let mut errors = FieldErrors::default();
        let username = Username::parse(&input.username)
            .map_err(|e| errors.0.push(("username", e.into())))
            .ok();
        let unit = self.check_staff_input(actor, input, &mut errors).await?;
        let (Some(username), Some(unit)) = (username, unit) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let password = one_time_password();
        let password_hash = passwords::hash(password.clone()).await?;
        let created = self
            .store
            .create_staff(
                &NewStaff {
                    username: username.as_str().to_owned(),
                    display_name: clean_name(&input.display_name),
                    unit_key: unit.key,
                    roles: input.roles.clone(),
                    password_hash,
                    must_change_password: true,
                },
                actor.map(|a| a.id),
            )
            .await;
        match created {
            Ok(id) => Ok((id, password)),
            Err(StoreError::Conflict(_)) => Err(Error::Invalid(FieldErrors(vec![(
                "username",
                FieldError::Taken,
            )]))),
            Err(e) => Err(e.into()),
        }
    }

    /// An account the actor manages, by id (else not found).
    pub async fn staff_account(&self, actor: Option<&Actor>, id: i64) -> Result<StaffMember> {
        let member = self
            .store
            .staff_members(&StaffFilter::default())
            .await?
            .into_iter()
            .find(|m| m.staff.id == id)
            .ok_or(Error::NotFound)?;
        let unit = self.unit(member.staff.unit_id).await?;
        if manages(actor, &unit.jurisdiction) {
            Ok(member)
        } else {
            Err(Error::NotFound)
        }
    }

    /// An account the actor manages, by login name (else not found).
    pub async fn staff_account_named(
        &self,
        actor: Option<&Actor>,
        username: &str,
    ) -> Result<StaffMember> {
        let username = Username::parse(username).map_err(|_| Error::NotFound)?;
        let id = self
            .store
            .staff_members(&StaffFilter {
                text: Some(username.as_str().to_owned()),
                ..StaffFilter::default()
            })
            .await?
            .into_iter()
            .find(|m| m.staff.username == username.as_str())
            .ok_or(Error::NotFound)?
            .staff
            .id;
        self.staff_account(actor, id).await
    }

    /// The accounts the actor manages, filtered.
    pub async fn staff_accounts(
        &self,
        actor: Option<&Actor>,
        filter: &StaffFilter,
    ) -> Result<Vec<StaffMember>> {
        let units = self.store.units().await?;
        Ok(self
            .store
            .staff_members(filter)
            .await?
            .into_iter()
            .filter(|m| {
                units
                    .iter()
                    .find(|u| u.id == m.staff.unit_id)
                    .is_some_and(|u| manages(actor, &u.jurisdiction))
            })
            .collect())
    }

    /// Changes an account's name, unit and roles.
    pub async fn update_staff_account(
        &self,
        actor: Option<&Actor>,
        id: i64,
        input: &StaffInput,
    ) -> Result<()> {
        self.staff_account(actor, id).await?;
        let mut errors = FieldErrors::default();
        let unit = self.check_staff_input(actor, input, &mut errors).await?;
        // Nobody takes away their own administration (their role, or the unit that
        // sets their area): they could not give it back.
        if let Some(a) = actor.filter(|a| a.id == id) {
            if !input.roles.contains(&Role::Admin) {
                errors.0.push(("roles", FieldError::OwnAdminRole));
            }
            if unit.as_ref().is_some_and(|u| u.id != a.unit_id) {
                errors.0.push(("unit", FieldError::OwnAdminRole));
            }
        }
        let Some(unit) = unit.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        Ok(self
            .store
            .update_staff(
                &StaffChange {
                    id,
                    display_name: clean_name(&input.display_name),
                    unit_id: unit.id,
                    roles: input.roles.clone(),
                },
                actor.map(|a| a.id),
            )
            .await?)
    }

    /// Activates or deactivates an account; deactivating ends its sessions at once.
    /// Nobody deactivates their own account.
    pub async fn set_staff_account_active(
        &self,
        actor: Option<&Actor>,
        id: i64,
        active: bool,
    ) -> Result<()> {
        self.staff_account(actor, id).await?;
        if actor.is_some_and(|a| a.id == id) && !active {
            return Err(Error::Forbidden);
        }
        Ok(self
            .store
            .set_staff_active(id, active, actor.map(|a| a.id))
            .await?)
    }

    /// Resets a password to a one-time password (returned, shown once) that must be
    /// changed at the next sign-in; every session of the account ends.
    pub async fn reset_staff_password(&self, actor: Option<&Actor>, id: i64) -> Result<String> {
        self.staff_account(actor, id).await?;
        // One's own password is changed with the current one, at /staff/password.
        if actor.is_some_and(|a| a.id == id) {
            return Err(Error::Forbidden);
        }
        let password = one_time_password();
        let hash = passwords::hash(password.clone()).await?;
        self.store
            .set_password(id, &hash, true, None, actor.map(|a| a.id))
            .await?;
        Ok(password)
    }

    /// A staff member changes their own password: the current one, then the new one
    /// twice. Their other sessions end; this one (`session_token`) stays.
    pub async fn change_own_password(
        &self,
        me: &SignedIn,
        session_token: &str,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<()> {
        let stored = self
            .store
            .staff_by_username(&me.staff.username)
            .await?
            .map(|(_, hash)| hash);
        let mut errors = FieldErrors::default();
        if !passwords::verify(current.to_owned(), stored).await? {
            errors.0.push(("current", FieldError::WrongPassword));
        }
        let new = match NewPassword::parse(new, &me.staff.username) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.0.push(("new", e.into()));
                None
            }
        };
        if new.as_ref().is_some_and(|p| p.as_str() != repeat) {
            errors.0.push(("repeat", FieldError::PasswordMismatch));
        }
        let Some(new) = new.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        let hash = passwords::hash(new.as_str().to_owned()).await?;
        Ok(self
            .store
            .set_password(
                me.staff.id,
                &hash,
                false,
                Some(&crate::sessions::token_hash(session_token)),
                Some(me.staff.id),
            )
            .await?)
    }
}
