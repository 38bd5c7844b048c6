//! Staff API tokens: made for an account (by the CLI or an administrator who manages
//! it), sent as `Authorization: Bearer`, acting with that account's roles and scope,
//! stored only as their SHA-256, revoked at will, audited.

use chrono::Duration;
use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::workflow::Actor;
use minsheng_store::{ApiToken, NewApiToken};
use rand::RngCore;

use crate::sessions::{SignedIn, token_hash};
use crate::{App, Error, Result};

/// What every token starts with, so a leaked one is easy to recognise (and to search
/// for in logs and repositories).
pub const TOKEN_PREFIX: &str = "mst_";

/// The longest name of a token, in characters.
const MAX_NAME_CHARS: usize = 100;

/// "90d", "12h", "2w" or a plain number of days: how long a token lives.
pub fn parse_lifetime(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_lowercase()),
        _ => (text, 'd'),
    };
    let n: i64 = number
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 3650)?;
    match unit {
        'h' => Some(Duration::hours(n)),
        'd' => Some(Duration::days(n)),
        'w' if n <= 520 => Some(Duration::weeks(n)),
        _ => None,
    }
}

impl App {
    /// Makes a token for the account `username` (one the actor manages), living
    /// `lifetime` if given; returns it listed and the token itself, shown only now.
    pub async fn create_api_token(
        &self,
        actor: Option<&Actor>,
        username: &str,
        name: &str,
        lifetime: Option<Duration>,
    ) -> Result<(ApiToken, String)> {
        let member = self.staff_account_named(actor, username).await?;
        if !member.active {
            return Err(Error::Forbidden);
        }
        let name = minsheng_core::intake::clean_text(name);
        let name = if name.is_empty() {
            "API".to_owned()
        } else {
            name
        };
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::Invalid(FieldErrors(vec![(
                "name",
                FieldError::TooLong(MAX_NAME_CHARS),
            )])));
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let new = NewApiToken {
            staff_id: member.staff.id,
            name,
            token_hash: token_hash(&token),
            prefix: token[..TOKEN_PREFIX.len() + 8].to_owned(),
            expires_at: lifetime.map(|l| minsheng_store::now() + l),
        };
        let id = self
            .store
            .create_api_token(&new, actor.map(|a| a.id))
            .await?;
        tracing::info!(
            token_id = id,
            staff_id = member.staff.id,
            "API token created"
        );
        Ok((self.store.api_token(id).await?, token))
    }

    /// The staff member a bearer token acts as, if it is live (not revoked, not
    /// expired, its account active).
    pub async fn api_session(&self, token: &str) -> Result<Option<SignedIn>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let now = minsheng_store::now();
        let Some(staff) = self.store.api_token_staff(&token_hash(token), now).await? else {
            return Ok(None);
        };
        let unit = self.unit(staff.unit_id).await?;
        let above =
            minsheng_core::unit::lineage(unit.id, &self.directory().await?.units)[1..].to_vec();
        let scope = staff.scope(&unit.jurisdiction, above);
        Ok(Some(SignedIn { staff, unit, scope }))
    }

    /// The tokens of the accounts the actor manages, newest first.
    pub async fn api_token_list(&self, actor: Option<&Actor>) -> Result<Vec<ApiToken>> {
        let managed: std::collections::HashSet<i64> = self
            .staff_accounts(actor, &Default::default())
            .await?
            .into_iter()
            .map(|m| m.staff.id)
            .collect();
        Ok(self
            .store
            .api_tokens(None)
            .await?
            .into_iter()
            .filter(|t| managed.contains(&t.staff_id))
            .collect())
    }

    /// Revokes a token of an account the actor manages.
    pub async fn revoke_api_token(&self, actor: Option<&Actor>, id: i64) -> Result<ApiToken> {
        let token = self.store.api_token(id).await?;
        self.staff_account(actor, token.staff_id).await?;
        self.store.revoke_api_token(id, actor.map(|a| a.id)).await?;
        tracing::info!(token_id = id, "API token revoked");
        Ok(self.store.api_token(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_as_people_write_them() {
        assert_eq!(parse_lifetime("90d"), Some(Duration::days(90)));
        assert_eq!(parse_lifetime("90"), Some(Duration::days(90)));
        assert_eq!(parse_lifetime(" 12h "), Some(Duration::hours(12)));
        assert_eq!(parse_lifetime("2W"), Some(Duration::weeks(2)));
        for bad in ["", "0d", "-3d", "d", "5y", "99999d", "1.5d", "十天"] {
            assert_eq!(parse_lifetime(bad), None, "{bad}");
        }
    }
}
