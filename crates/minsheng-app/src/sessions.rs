//! Signing in and out. Sessions live in the database under the SHA-256 of their
//! token, so any node behind a load balancer can serve any request and a stolen
//! database holds no usable token.

use chrono::Duration;
use minsheng_core::staff::{Scope, Staff, Username};
use minsheng_core::unit::Unit;
use minsheng_core::workflow::Actor;
use rand::RngCore;
use sha2::{Digest, Sha256};

use minsheng_core::throttle;

use crate::{App, Result, passwords};

/// How long sessions last: ended after `idle` without a request, and `absolute` after
/// sign-in whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    /// Longest time between two requests.
    pub idle: Duration,
    /// Longest session.
    pub absolute: Duration,
}

impl Default for SessionRules {
    /// An hour idle, twelve hours in all (a working day with its overtime).
    fn default() -> SessionRules {
        SessionRules {
            idle: Duration::minutes(60),
            absolute: Duration::hours(12),
        }
    }
}

/// What a sign-in came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the staff member and the session token for the cookie.
    Ok(Staff, String),
    /// Wrong login name or password.
    Refused,
    /// Too many failures: try again after this many seconds.
    Throttled(i64),
}

/// A signed-in staff member, their unit and what they may see.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who.
    pub staff: Staff,
    /// Their home unit.
    pub unit: Unit,
    /// What they may see and act on.
    pub scope: Scope,
}

impl SignedIn {
    /// The staff member as the workflow sees an actor.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.staff.id,
            unit_id: self.staff.unit_id,
            roles: self.staff.roles.clone(),
            scope: self.scope.clone(),
        }
    }

    /// Whether they look across a region, not just their unit.
    pub fn sees_region(&self) -> bool {
        !self.scope.regions.is_empty()
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// Checks a login name and password (on the blocking pool) and opens a session.
    /// Failures are counted per account and per client address (`client`, when known)
    /// with a growing back-off ([`minsheng_core::throttle`]); while one applies, the
    /// password is not even checked.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<SignIn> {
        let name = username.trim().to_lowercase();
        let mut keys = vec![format!("user:{name}")];
        if let Some(ip) = client {
            keys.push(format!("ip:{ip}"));
        }
        let now = minsheng_store::now();
        let failures = self.store.login_failures(&keys).await?;
        if let Some(wait) = failures
            .iter()
            .filter_map(|(_, n, last)| throttle::wait(*n, *last, now))
            .max()
        {
            tracing::warn!(username = %name, client = ?client, "sign-in throttled");
            return Ok(SignIn::Throttled(wait.num_seconds().max(1)));
        }
        let found = match Username::parse(username) {
            Ok(u) => self.store.staff_by_username(u.as_str()).await?,
            Err(_) => None,
        };
        let stored = found.as_ref().map(|(_, hash)| hash.clone());
        let ok = passwords::verify(password.to_owned(), stored).await?;
        let Some((staff, _)) = found.filter(|_| ok) else {
            // Failures an hour old are forgotten: such a count starts again.
            for (key, _, last) in &failures {
                if (now - *last).num_seconds() > throttle::FORGET_AFTER_SECONDS {
                    self.store.clear_login_failures(key).await?;
                }
            }
            self.store.record_login_failure(&keys, now).await?;
            tracing::warn!(username = %name, client = ?client, "failed staff sign-in");
            return Ok(SignIn::Refused);
        };
        self.store.clear_login_failures(&keys[0]).await?;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = hex::encode(raw);
        self.store
            .create_session(
                &token_hash(&token),
                staff.id,
                minsheng_store::now() + self.session_rules.absolute,
            )
            .await?;
        Ok(SignIn::Ok(staff, token))
    }

    /// The staff member behind a session token, if the session is live.
    pub async fn session(&self, token: &str) -> Result<Option<SignedIn>> {
        let now = minsheng_store::now();
        let Some(staff) = self
            .store
            .session_staff(&token_hash(token), now, now - self.session_rules.idle)
            .await?
        else {
            return Ok(None);
        };
        let unit = self.unit(staff.unit_id).await?;
        let above =
            minsheng_core::unit::lineage(unit.id, &self.directory().await?.units)[1..].to_vec();
        let scope = staff.scope(&unit.jurisdiction, above);
        Ok(Some(SignedIn { staff, unit, scope }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// "Log out everywhere else": ends every session of the signed-in staff member but
    /// this one (`token`); returns how many ended.
    pub async fn end_other_sessions(&self, me: &SignedIn, token: &str) -> Result<u64> {
        Ok(self
            .store
            .end_sessions(me.staff.id, Some(&token_hash(token)), Some(me.staff.id))
            .await?)
    }

    /// An administrator ends every session of an account they manage (a lost phone, a
    /// shared computer), without deactivating it; returns how many ended.
    pub async fn end_staff_sessions(&self, actor: Option<&Actor>, id: i64) -> Result<u64> {
        self.staff_account(actor, id).await?;
        Ok(self
            .store
            .end_sessions(id, None, actor.map(|a| a.id))
            .await?)
    }
}
