//! The outbox's delivery and the bell, on both engines.

use minsheng_core::notify::{Notice, Recipients};
use minsheng_core::staff::Role;

use super::*;
use crate::Page;
use crate::outbox::{Addressed, Addressee, Message, NoticePrefs, NoticeRow, Outbox, OutboxState};

/// Notice codes as stored in `staff.email_notices`.
fn notice_codes(list: &[Notice]) -> String {
    list.iter().map(|n| n.code()).collect::<Vec<_>>().join(",")
}

fn notices_of(codes: &str) -> Vec<Notice> {
    codes.split(',').filter_map(Notice::parse).collect()
}

#[async_trait]
impl Outbox for SqlStore {
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        // On PostgreSQL two workers never claim the same row; on SQLite the one
        // writer at a time does the same.
        let lock = if matches!(self.db, Db::Postgres(_)) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE outbox SET status = 'sending', next_attempt_at = $2 WHERE id IN (\
             SELECT id FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING id, appeal_id, kind, payload, attempts"
        );
        with_db!(self, p => {
            let mut rows: Vec<(i64, Option<i64>, String, String, i32)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.sort_by_key(|r| r.0);
            Ok(rows
                .into_iter()
                .map(|(id, appeal_id, kind, payload, attempts)| Message {
                    id,
                    appeal_id,
                    kind,
                    payload,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                })
                .collect())
        })
    }

    async fn addressees(&self, to: Recipients, notice: Notice) -> Result<Vec<Addressee>> {
        let roles = |list: &[Role]| {
            list.iter()
                .map(|r| format!("'{}'", r.code()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (filter, arg) = match to {
            Recipients::Unit(u) => (
                format!(
                    "s.unit_id = $1 AND s.id IN (SELECT staff_id FROM staff_roles WHERE role IN ({}))",
                    roles(&[Role::Handler, Role::UnitHead])
                ),
                Some(u),
            ),
            Recipients::UnitHeads(u) => (
                format!(
                    "s.unit_id = $1 AND s.id IN (SELECT staff_id FROM staff_roles WHERE role IN ({}))",
                    roles(&[Role::UnitHead])
                ),
                Some(u),
            ),
            Recipients::DispatchCentre => (
                format!(
                    "s.id IN (SELECT staff_id FROM staff_roles WHERE role IN ({}))",
                    roles(&[Role::Dispatcher])
                ),
                None,
            ),
            Recipients::Supervisors => (
                format!(
                    "s.id IN (SELECT staff_id FROM staff_roles WHERE role IN ({}))",
                    roles(&[Role::Supervisor])
                ),
                None,
            ),
            Recipients::Staff(id) => ("s.id = $1".to_owned(), Some(id)),
        };
        let sql = format!(
            "SELECT s.id, s.email, s.email_notices FROM staff s WHERE s.active AND {filter} ORDER BY s.id"
        );
        with_db!(self, p => {
            let mut q = sqlx::query_as::<_, (i64, Option<String>, String)>(&sql);
            if let Some(a) = arg {
                q = q.bind(a);
            }
            let rows = q.fetch_all(p).await?;
            Ok(rows
                .into_iter()
                .map(|(id, email, wants)| Addressee {
                    id,
                    email: email.filter(|_| notices_of(&wants).contains(&notice)),
                })
                .collect())
        })
    }

    async fn fan_out(
        &self,
        message: i64,
        notice: Notice,
        staff: &[i64],
        children: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (appeal_id, payload): (Option<i64>, String) =
                sqlx::query_as("SELECT appeal_id, payload FROM outbox WHERE id = $1 AND status = 'sending'")
                    .bind(message)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            let alert_id = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v.get("alert_id").and_then(serde_json::Value::as_i64));
            for s in staff {
                sqlx::query(
                    "INSERT INTO notices (staff_id, message_id, appeal_id, alert_id, kind, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id, staff_id) DO NOTHING",
                )
                .bind(s)
                .bind(message)
                .bind(appeal_id)
                .bind(alert_id)
                .bind(notice.code())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for (kind, body) in children {
                sqlx::query(
                    "INSERT INTO outbox (created_at, appeal_id, kind, payload, next_attempt_at, parent_id) \
                     VALUES ($1, $2, $3, $4, $1, $5)",
                )
                .bind(now)
                .bind(appeal_id)
                .bind(kind)
                .bind(body)
                .bind(message)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE outbox SET status = 'sent', delivered_at = $1 WHERE id = $2")
                .bind(now)
                .bind(message)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, chain, now, None, "outbox.deliver", appeal_id, json!({
                "message": message, "channel": "notice", "notice": notice.code(),
                "staff": staff, "emails": children.len(),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn message_sent(&self, message: i64, channel: &str, now: DateTime<Utc>) -> Result<()> {
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let appeal: Option<(Option<i64>,)> = sqlx::query_as(
                "UPDATE outbox SET status = 'sent', delivered_at = $1, last_error = NULL \
                 WHERE id = $2 AND status = 'sending' RETURNING appeal_id",
            )
            .bind(now)
            .bind(message)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((appeal_id,)) = appeal else {
                return Err(StoreError::NotFound);
            };
            append_audit!(tx, chain, now, None, "outbox.deliver", appeal_id, json!({
                "message": message, "channel": channel,
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn message_failed(
        &self,
        message: i64,
        attempts: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<()> {
        let now = crate::now();
        let error: String = error.chars().take(500).collect();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let appeal: Option<(Option<i64>,)> = sqlx::query_as(
                "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4 \
                 WHERE id = $5 AND status = 'sending' RETURNING appeal_id",
            )
            .bind(if retry_at.is_some() { "pending" } else { "failed" })
            .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
            .bind(retry_at.unwrap_or(now))
            .bind(&error)
            .bind(message)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((appeal_id,)) = appeal else {
                return Err(StoreError::NotFound);
            };
            append_audit!(tx, chain, now, None, "outbox.fail", appeal_id, json!({
                "message": message, "attempts": attempts, "given_up": retry_at.is_none(), "error": error,
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn addressed(&self, appeal: i64) -> Result<Addressed> {
        with_db!(self, p => {
            let (no, headcount): (String, i64) =
                sqlx::query_as("SELECT no, headcount FROM appeals WHERE id = $1")
                    .bind(appeal)
                    .fetch_optional(p)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            let pii: PiiRow = sqlx::query_as(
                "SELECT tracking_code, body, address, pii_key_id, name_enc, phone_enc, id_number_enc, \
                 home_address_enc, representatives_enc FROM appeals WHERE id = $1",
            )
            .bind(appeal)
            .fetch_one(p)
            .await?;
            let appellant = self.open_pii(&pii, headcount)?;
            Ok(Addressed {
                no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                code: TrackingCode::parse(&pii.tracking_code)
                    .map_err(|_| corrupt("tracking code", &pii.tracking_code))?,
                phone: appellant.phone,
            })
        })
    }

    async fn outbox_state(&self, failures: i64) -> Result<OutboxState> {
        with_db!(self, p => {
            let counts: Vec<(String, i64)> =
                sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                    .fetch_all(p)
                    .await?;
            let count = |names: &[&str]| {
                counts.iter().filter(|(s, _)| names.contains(&s.as_str())).map(|(_, n)| n).sum()
            };
            let failed: Vec<(i64, String, i32, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT id, kind, attempts, last_error, created_at FROM outbox WHERE status = 'failed' \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(failures)
            .fetch_all(p)
            .await?;
            Ok(OutboxState {
                pending: count(&["pending", "sending"]),
                sent: count(&["sent"]),
                failed: count(&["failed"]),
                failures: failed
                    .into_iter()
                    .map(|(id, kind, n, e, at)| (id, kind, u32::try_from(n).unwrap_or(0), e.unwrap_or_default(), at))
                    .collect(),
            })
        })
    }

    async fn retry_message(&self, message: i64, actor: i64, now: DateTime<Utc>) -> Result<()> {
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let done = sqlx::query(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 \
                 WHERE id = $2 AND status = 'failed'",
            )
            .bind(now)
            .bind(message)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, now, Some(actor), "outbox.retry", None, json!({ "message": message }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn unread_notices(&self, staff: i64) -> Result<i64> {
        with_db!(self, p => {
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM notices WHERE staff_id = $1 AND read_at IS NULL")
                    .bind(staff)
                    .fetch_one(p)
                    .await?;
            Ok(n)
        })
    }

    async fn notices(&self, staff: i64, page: i64, per_page: i64) -> Result<Page<NoticeRow>> {
        let offset = (page.max(1) - 1) * per_page;
        with_db!(self, p => {
            let rows: Vec<(i64, String, Option<String>, Option<i64>, DateTime<Utc>, Option<DateTime<Utc>>)> =
                sqlx::query_as(
                    "SELECT n.id, n.kind, a.no, n.alert_id, n.created_at, n.read_at FROM notices n \
                     LEFT JOIN appeals a ON a.id = n.appeal_id WHERE n.staff_id = $1 \
                     ORDER BY n.id DESC LIMIT $2 OFFSET $3",
                )
                .bind(staff)
                .bind(per_page)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notices WHERE staff_id = $1")
                .bind(staff)
                .fetch_one(p)
                .await?;
            Ok(Page {
                items: rows
                    .into_iter()
                    .map(|(id, kind, no, alert_id, at, read)| {
                        Ok(NoticeRow {
                            id,
                            notice: Notice::parse(&kind).ok_or_else(|| corrupt("notice", &kind))?,
                            appeal_no: no.map(|n| AppealNo::parse(&n).map_err(|_| corrupt("appeal number", &n))).transpose()?,
                            alert_id,
                            at,
                            read: read.is_some(),
                        })
                    })
                    .collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn read_notices(&self, staff: i64, ids: &[i64], now: DateTime<Utc>) -> Result<u64> {
        let mut w = Where::default();
        let s = w.arg(Arg::Int(staff));
        let t = w.arg(Arg::Time(now));
        let mut sql =
            format!("UPDATE notices SET read_at = {t} WHERE staff_id = {s} AND read_at IS NULL");
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().map(|i| w.arg(Arg::Int(*i))).collect();
            sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
        }
        with_db!(self, p => {
            Ok(bind_args!(sqlx::query(&sql), &w.args).execute(p).await?.rows_affected())
        })
    }

    async fn notice_prefs(&self, staff: i64) -> Result<NoticePrefs> {
        with_db!(self, p => {
            let (email, wants): (Option<String>, String) =
                sqlx::query_as("SELECT email, email_notices FROM staff WHERE id = $1")
                    .bind(staff)
                    .fetch_optional(p)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            Ok(NoticePrefs { email, by_email: notices_of(&wants) })
        })
    }

    async fn save_notice_prefs(&self, staff: i64, prefs: &NoticePrefs) -> Result<()> {
        let now = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let done = sqlx::query("UPDATE staff SET email = $1, email_notices = $2 WHERE id = $3")
                .bind(&prefs.email)
                .bind(notice_codes(&prefs.by_email))
                .bind(staff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, now, Some(staff), "staff.notice_prefs", None, json!({
                "staff": staff,
                "email_sha256": prefs.email.as_deref().map(|e| sha256_hex(&[e])),
                "by_email": notice_codes(&prefs.by_email),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn sms_templates(&self) -> Result<Vec<(String, String)>> {
        with_db!(self, p => {
            Ok(sqlx::query_as("SELECT key, body FROM sms_templates ORDER BY key").fetch_all(p).await?)
        })
    }

    async fn save_sms_template(&self, key: &str, text: Option<&str>, actor: i64) -> Result<()> {
        let now = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            sqlx::query("DELETE FROM sms_templates WHERE key = $1").bind(key).execute(&mut *tx).await?;
            if let Some(body) = text {
                sqlx::query("INSERT INTO sms_templates (key, body, updated_at, updated_by) VALUES ($1, $2, $3, $4)")
                    .bind(key)
                    .bind(body)
                    .bind(now)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(tx, chain, now, Some(actor), "sms_template.save", None, json!({
                "key": key, "text": text,
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }
}
