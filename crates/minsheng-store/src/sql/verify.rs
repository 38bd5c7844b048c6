//! Walking the audit chain.

use super::*;
use crate::AuditTrail;

#[async_trait]
impl AuditTrail for SqlStore {
    async fn audit_head(&self) -> Result<(i64, String)> {
        with_db!(self, p => {
            Ok(sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?)
        })
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<crate::BackupInfo> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::msg(
                "PostgreSQL is backed up with pg_dump (see the README) / PostgreSQL 请用 pg_dump 备份",
            ));
        };
        if path.exists() {
            return Err(StoreError::msg(format!(
                "{} exists already: a backup is written to a new file / 备份文件已存在",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::msg("the backup path is not UTF-8"))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        // The copy is checked on its own connection before anyone relies on it.
        let url = format!("sqlite://{target}?mode=ro");
        let mut copy = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
        let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut copy)
            .await?;
        if verdict != "ok" {
            return Err(StoreError::msg(format!(
                "the backup copy is damaged: {verdict}"
            )));
        }
        let (appeals,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appeals")
            .fetch_one(&mut copy)
            .await?;
        let audit_head = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut copy)
            .await?;
        Ok(crate::BackupInfo {
            appeals,
            audit_head,
        })
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        const BATCH: i64 = 5000;
        let mut report = AuditReport {
            records: 0,
            first_bad: None,
        };
        let mut prev = audit::GENESIS.to_owned();
        let mut last_seq = 0i64;
        with_db!(self, p => {
            // The head first: records appended while we walk lie beyond it and are left
            // for the next check, so a live system is never reported as tampered.
            let (head_seq, head_hash): (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?;
            while last_seq < head_seq {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT seq, at, actor_id, action, appeal_id, data, prev_hash, hash FROM audit_log \
                     WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                )
                .bind(last_seq)
                .bind(head_seq)
                .bind(BATCH)
                .fetch_all(p)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for r in rows {
                    let stored = StoredAudit {
                        seq: r.seq,
                        at: r.at,
                        actor_id: r.actor_id,
                        action: r.action,
                        appeal_id: r.appeal_id,
                        data: r.data,
                        prev_hash: r.prev_hash,
                        hash: r.hash,
                    };
                    if let Some(why) = audit::check(&stored, last_seq + 1, &prev) {
                        report.first_bad = Some((stored.seq, why));
                        return Ok(report);
                    }
                    report.records += 1;
                    last_seq = stored.seq;
                    prev = stored.hash;
                }
            }
            if last_seq < head_seq {
                report.first_bad = Some((
                    last_seq + 1,
                    format!("the chain ends at record {last_seq} but its head says {head_seq}: records were removed"),
                ));
            } else if head_hash != prev {
                report.first_bad = Some((
                    head_seq,
                    "the chain's head does not hold the last record's hash (the head was edited)".into(),
                ));
            }
            Ok(report)
        })
    }
}
