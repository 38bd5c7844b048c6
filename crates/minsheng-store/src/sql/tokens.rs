//! Staff API tokens and Open311 API keys: both kept as hashes, both revoked once.

use super::*;
use crate::{ApiKey, ApiKeys, ApiToken, ApiTokens, NewApiToken};

/// Revokes row `$id` of `$table` once, with its audit record `$action`; revoking again
/// changes nothing, and an unknown id is `NotFound`.
macro_rules! revoke_once {
    ($self:ident, $table:literal, $action:literal, $field:literal, $id:expr, $actor:expr) => {{
        let (id, actor, at) = ($id, $actor, crate::now());
        with_db!($self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let changed = sqlx::query(concat!("UPDATE ", $table, " SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"))
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                let (n,): (i64,) = sqlx::query_as(concat!("SELECT COUNT(*) FROM ", $table, " WHERE id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                return Ok(());
            }
            append_audit!(tx, chain, at, actor, $action, None, json!({ $field: id }));
            commit_access!($self, tx, chain);
            Ok(())
        })
    }};
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    staff_id: i64,
    username: String,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> ApiToken {
        ApiToken {
            id: r.id,
            staff_id: r.staff_id,
            username: r.username,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        }
    }
}

const TOKEN_COLUMNS: &str = "t.id, t.staff_id, s.username, t.name, t.prefix, t.created_at, \
     t.expires_at, t.revoked_at, t.last_used_at FROM api_tokens t JOIN staff s ON s.id = t.staff_id";

#[async_trait]
impl ApiTokens for SqlStore {
    async fn create_api_token(&self, token: &NewApiToken, actor: Option<i64>) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_tokens (staff_id, name, token_hash, prefix, created_at, created_by, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(token.staff_id)
            .bind(&token.name)
            .bind(&token.token_hash)
            .bind(&token.prefix)
            .bind(at)
            .bind(actor)
            .bind(token.expires_at.map(|e| e.trunc_subsecs(6)))
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, actor, "api_token.create", None, json!({
                "token_id": id, "staff_id": token.staff_id, "name": token.name,
                "prefix": token.prefix, "expires_at": token.expires_at.map(|e| e.to_rfc3339()),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn api_token_staff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Staff>> {
        use std::sync::atomic::Ordering;
        let changes = self.tokens.changes.load(Ordering::SeqCst);
        {
            let checked = self
                .tokens
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, then, until, staff)) = checked.get(token_hash)
                && *then == changes
                && at.elapsed() < TOKEN_FRESH
                && now < *until
            {
                return Ok(Some(staff.clone()));
            }
        }
        let checked_at = std::time::Instant::now();
        let found = self.check_api_token(token_hash, now).await?;
        let mut checked = self
            .tokens
            .checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if checked.len() > 10_000 {
            checked.clear();
        }
        match &found {
            Some((staff, until)) => {
                checked.insert(
                    token_hash.to_owned(),
                    (checked_at, changes, *until, staff.clone()),
                );
            }
            None => {
                checked.remove(token_hash);
            }
        }
        Ok(found.map(|(staff, _)| staff))
    }
    async fn api_tokens(&self, staff_id: Option<i64>) -> Result<Vec<ApiToken>> {
        with_db!(self, p => {
            let rows: Vec<TokenRow> = match staff_id {
                Some(s) => sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} WHERE t.staff_id = $1 ORDER BY t.id DESC"))
                    .bind(s)
                    .fetch_all(p)
                    .await?,
                None => sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} ORDER BY t.id DESC"))
                    .fetch_all(p)
                    .await?,
            };
            Ok(rows.into_iter().map(ApiToken::from).collect())
        })
    }

    async fn api_token(&self, id: i64) -> Result<ApiToken> {
        with_db!(self, p => {
            let row: Option<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} WHERE t.id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await?;
            row.map(ApiToken::from).ok_or(StoreError::NotFound)
        })
    }

    async fn revoke_api_token(&self, id: i64, actor: Option<i64>) -> Result<()> {
        revoke_once!(
            self,
            "api_tokens",
            "api_token.revoke",
            "token_id",
            id,
            actor
        )
    }
}

#[derive(FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for ApiKey {
    fn from(r: KeyRow) -> ApiKey {
        ApiKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        }
    }
}

const KEY_COLUMNS: &str = "id, name, prefix, created_at, revoked_at, last_used_at FROM api_keys";

#[async_trait]
impl ApiKeys for SqlStore {
    async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        prefix: &str,
        actor: Option<i64>,
    ) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_keys (name, key_hash, prefix, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(name)
            .bind(key_hash)
            .bind(prefix)
            .bind(at)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, actor, "api_key.create", None, json!({
                "key_id": id, "name": name, "prefix": prefix,
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn api_key_by_hash(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>> {
        let now = now.trunc_subsecs(6);
        let sql = format!("SELECT {KEY_COLUMNS} WHERE key_hash = $1 AND revoked_at IS NULL");
        with_db!(self, p => {
            let row: Option<KeyRow> = sqlx::query_as(&sql).bind(key_hash).fetch_optional(p).await?;
            let Some(row) = row else { return Ok(None) };
            touch_last_use!(p, "api_keys", "last_used_at", "id", row.id, row.last_used_at, now);
            Ok(Some(row.into()))
        })
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} ORDER BY id DESC");
        with_db!(self, p => {
            let rows: Vec<KeyRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            Ok(rows.into_iter().map(ApiKey::from).collect())
        })
    }

    async fn revoke_api_key(&self, id: i64, actor: Option<i64>) -> Result<()> {
        revoke_once!(self, "api_keys", "api_key.revoke", "key_id", id, actor)
    }
}

impl SqlStore {
    /// Asks the database whether a token is live; its staff member and until when
    /// the answer holds (its expiry, or far off).
    async fn check_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Staff, DateTime<Utc>)>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS}, t.id, t.last_used_at, t.expires_at FROM api_tokens t JOIN staff s ON s.id = t.staff_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
             AND s.active = $3"
        );
        let now = now.trunc_subsecs(6);
        with_db!(self, p => {
            #[allow(clippy::type_complexity)]
            let row: Option<(
                i64, String, String, i64, bool, bool, DateTime<Utc>, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>,
            )> = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .bind(now)
                    .bind(true)
                    .fetch_optional(p)
                    .await?;
            let Some((id, username, display_name, unit_id, must_change_password, active, created_at, token_id, used, expires)) =
                row
            else {
                return Ok(None);
            };
            touch_last_use!(p, "api_tokens", "last_used_at", "id", token_id, used, now);
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(id).fetch_all(p).await?;
            let row = StaffRow { id, username, display_name, unit_id, must_change_password, active, created_at };
            Ok(Some((row.staff(roles), expires.unwrap_or(DateTime::<Utc>::MAX_UTC))))
        })
    }
}
