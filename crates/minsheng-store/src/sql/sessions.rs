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
            sqlx::query("INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(staff_id)
                .bind(crate::now())
                .bind(expires_at.trunc_subsecs(6))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn session_staff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Staff>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS} FROM sessions x JOIN staff s ON s.id = x.staff_id \
             WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.active = $3"
        );
        with_db!(self, p => {
            let row: Option<StaffRow> = sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(now)
                .bind(true)
                .fetch_optional(p)
                .await?;
            let Some(s) = row else { return Ok(None) };
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(s.id).fetch_all(p).await?;
            Ok(Some(s.staff(roles)))
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
}
