//! Staff sessions.

use super::*;
use crate::Sessions;

#[async_trait]
impl Sessions for SqlStore {
    async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        with_db!(self, p => {
            let now = crate::now();
            sqlx::query("INSERT INTO sessions (token_hash, staff_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)")
                .bind(token_hash)
                .bind(staff_id)
                .bind(now)
                .bind(expires_at.trunc_subsecs(6))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn session_staff(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> Result<Option<Staff>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS}, x.last_seen_at FROM sessions x JOIN staff s ON s.id = x.staff_id \
             WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.active = $3 AND x.last_seen_at > $4"
        );
        let now = now.trunc_subsecs(6);
        with_db!(self, p => {
            let row: Option<(i64, String, String, i64, bool, bool, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(now)
                .bind(true)
                .bind(idle_cutoff.trunc_subsecs(6))
                .fetch_optional(p)
                .await?;
            let Some((id, username, display_name, unit_id, must_change_password, active, created_at, seen)) = row
            else {
                return Ok(None);
            };
            let s = StaffRow { id, username, display_name, unit_id, must_change_password, active, created_at };
            touch_last_use!(p, "sessions", "last_seen_at", "token_hash", token_hash, Some(seen), now);
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(s.id).fetch_all(p).await?;
            Ok(Some(s.staff(roles)))
        })
    }

    async fn end_sessions(
        &self,
        staff_id: i64,
        keep: Option<&str>,
        actor: Option<i64>,
    ) -> Result<u64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let ended = sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND token_hash <> $2")
                .bind(staff_id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            append_audit!(tx, chain, at, actor, "session.end_all", None, json!({
                "staff_id": staff_id, "ended": ended, "kept_one": keep.is_some(),
            }));
            commit_chain!(tx, chain);
            Ok(ended)
        })
    }

    async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> Result<u64> {
        with_db!(self, p => {
            let gone = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now.trunc_subsecs(6))
                .bind(idle_cutoff.trunc_subsecs(6))
                .execute(p)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1")
                .bind(failures_before.trunc_subsecs(6))
                .execute(p)
                .await?;
            Ok(gone)
        })
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_db!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn login_failures(&self, keys: &[String]) -> Result<Vec<(String, i64, DateTime<Utc>)>> {
        let mut out = Vec::new();
        with_db!(self, p => {
            for key in keys {
                let row: Option<(String, i64, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT key, CAST(failures AS BIGINT), last_failure_at FROM login_throttle WHERE key = $1",
                )
                .bind(key)
                .fetch_optional(p)
                .await?;
                out.extend(row);
            }
        });
        Ok(out)
    }

    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>) -> Result<()> {
        with_db!(self, p => {
            for key in keys {
                sqlx::query(
                    "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = $2",
                )
                .bind(key)
                .bind(at.trunc_subsecs(6))
                .execute(p)
                .await?;
            }
        });
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        with_db!(self, p => {
            sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                .bind(key)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
