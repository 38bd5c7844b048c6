//! Delivering what the outbox holds: claiming due messages, fanning a staff notice out
//! to the bell and to e-mail, marking what was sent or failed; the notices staff read;
//! the SMS templates admins edit. Every change is one transaction with its audit
//! record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_core::appeal::TrackingCode;
use minsheng_core::notify::{Notice, Recipients};
use minsheng_core::{AppealNo, Phone};

use crate::{Page, Result};

/// A message claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id, which a gateway may use to drop a repeat.
    pub id: i64,
    /// The appeal it concerns, if any.
    pub appeal_id: Option<i64>,
    /// What it is (`notify_appellant`, `notify_staff`, `alert`, `sms`, `email`).
    pub kind: String,
    /// Its JSON payload.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// A staff member a notice goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    /// Staff id.
    pub id: i64,
    /// Their e-mail, if they gave one and chose this notice by e-mail.
    pub email: Option<String>,
}

/// A staff member's choice of notices by e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticePrefs {
    /// Their address.
    pub email: Option<String>,
    /// The notices they want by e-mail too.
    pub by_email: Vec<Notice>,
}

/// One notice in a staff member's bell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    /// Its id.
    pub id: i64,
    /// Of what.
    pub notice: Notice,
    /// The appeal, if any: its number.
    pub appeal_no: Option<AppealNo>,
    /// The alert, for an early warning.
    pub alert_id: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it was read.
    pub read: bool,
}

/// What the outbox holds, by status, and the messages given up on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxState {
    /// Waiting or being tried.
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up after the last attempt.
    pub failed: i64,
    /// The latest given up: (id, kind, attempts, last error, when created).
    pub failures: Vec<(i64, String, u32, String, DateTime<Utc>)>,
}

/// What an SMS to an appellant needs: whom, and what to fill in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    /// The appeal's number.
    pub no: AppealNo,
    /// Its tracking code.
    pub code: TrackingCode,
    /// The appellant's phone, if they gave one.
    pub phone: Option<Phone>,
}

/// The outbox and the notices.
#[async_trait]
pub trait Outbox {
    /// Claims up to `limit` messages due at `now`, oldest first, for delivery until
    /// `lease_until` (after which another worker may claim them again).
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Message>>;

    /// The staff a notice goes to, each with their e-mail if they chose `notice` by
    /// e-mail; active staff only.
    async fn addressees(&self, to: Recipients, notice: Notice) -> Result<Vec<Addressee>>;

    /// Fans a claimed message out, in one transaction: a notice in the bell of each of
    /// `staff` (once per message and person), the `children` messages (kind,
    /// payload) to deliver next, and the message marked sent.
    async fn fan_out(
        &self,
        message: i64,
        notice: Notice,
        staff: &[i64],
        children: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Marks a claimed message delivered through `channel`.
    async fn message_sent(&self, message: i64, channel: &str, now: DateTime<Utc>) -> Result<()>;

    /// Records a failed attempt: tried again at `retry_at`, or given up if `None`.
    async fn message_failed(
        &self,
        message: i64,
        attempts: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<()>;

    /// The number, tracking code and phone an SMS about `appeal` needs (the phone
    /// decrypted here, for the gateway only).
    async fn addressed(&self, appeal: i64) -> Result<Addressed>;

    /// What the outbox holds.
    async fn outbox_state(&self, failures: i64) -> Result<OutboxState>;

    /// Puts a message given up on back in the queue, now, audited.
    async fn retry_message(&self, message: i64, actor: i64, now: DateTime<Utc>) -> Result<()>;

    /// A staff member's unread notices.
    async fn unread_notices(&self, staff: i64) -> Result<i64>;

    /// A staff member's notices, newest first.
    async fn notices(&self, staff: i64, page: i64, per_page: i64) -> Result<Page<NoticeRow>>;

    /// Marks notices read: these, or all when `ids` is empty. Returns how many.
    async fn read_notices(&self, staff: i64, ids: &[i64], now: DateTime<Utc>) -> Result<u64>;

    /// A staff member's e-mail choices.
    async fn notice_prefs(&self, staff: i64) -> Result<NoticePrefs>;

    /// Saves a staff member's e-mail choices, audited.
    async fn save_notice_prefs(&self, staff: i64, prefs: &NoticePrefs) -> Result<()>;

    /// The SMS templates admins changed: (key, text).
    async fn sms_templates(&self) -> Result<Vec<(String, String)>>;

    /// Saves an SMS template, audited (`None` goes back to the default).
    async fn save_sms_template(&self, key: &str, text: Option<&str>, actor: i64) -> Result<()>;
}
