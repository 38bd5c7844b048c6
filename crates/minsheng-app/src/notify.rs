//! Delivering the outbox. Steps put messages in the outbox in their own transaction;
//! this worker claims what is due, and:
//!
//! - a staff notice is fanned out, in one transaction, to a notice in the bell of
//!   each person it concerns and an e-mail message for each who chose it by e-mail;
//! - an SMS to the appellant is written from the county's template with the appeal's
//!   number, tracking code and link, and handed to the SMS gateway;
//! - an e-mail goes to the SMTP server.
//!
//! A failed attempt is tried again with a growing wait ([`backoff`]) and given up
//! after [`MAX_ATTEMPTS`] (admins see it and may put it back). Each message carries
//! its id to the gateway (`Idempotency-Key`), so a message tried again after a crash
//! between sending and marking it sent can be dropped there: delivered once per id.
//! Nothing here blocks intake: registering only writes rows.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use minsheng_core::i18n::Lang;
use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::notify::{
    AppellantNotice, MAX_ATTEMPTS, Notice, Recipients, backoff, check_email, check_template, render,
};
use minsheng_core::workflow::Effect;
use minsheng_store::{Message, NoticePrefs, NoticeRow, OutboxState, Page};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// How long a claimed message is held before another worker may claim it again.
const LEASE: Duration = Duration::from_secs(120);

/// Messages claimed per round.
const BATCH: i64 = 100;

/// Where SMS go.
#[derive(Debug, Clone, Default)]
pub enum SmsGateway {
    /// Nowhere: SMS wait (and are tried again) until a gateway is configured.
    #[default]
    None,
    /// Appended to a file, one JSON line per message (development and tests).
    File(PathBuf),
    /// Posted to an HTTP gateway: `template` is the body, with `{id}`, `{to}` and
    /// `{text}` filled in (JSON-escaped).
    Http {
        /// The gateway's address.
        url: String,
        /// The request body.
        template: String,
    },
}

/// The request body an HTTP SMS gateway gets unless configured otherwise.
pub const DEFAULT_SMS_BODY: &str = r#"{"id":"{id}","to":"{to}","text":"{text}"}"#;

/// Where e-mail goes.
#[derive(Debug, Clone, Default)]
pub enum MailGateway {
    /// Nowhere: e-mail waits until a server is configured.
    #[default]
    None,
    /// Appended to a file, one JSON line per message (development and tests).
    File(PathBuf),
    /// An SMTP server without TLS (a relay on the machine or the county's network),
    /// sending as `from`.
    Smtp {
        /// The server's host.
        host: String,
        /// Its port (25, or the relay's).
        port: u16,
        /// The sender.
        from: String,
    },
}

/// How messages leave the system.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// The SMS gateway.
    pub sms: SmsGateway,
    /// The mail server.
    pub mail: MailGateway,
    /// The address the public reaches Minsheng at, for links in messages.
    pub public_url: String,
}

/// An e-mail to send, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Mail {
    to: String,
    subject: String,
    body: String,
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Messages delivered (a notice fanned out counts once).
    pub sent: u64,
    /// Attempts that failed.
    pub failed: u64,
}

/// Why one attempt failed (kept with the message, shown to admins).
type Attempt = std::result::Result<(), String>;

impl App {
    /// Delivers what is due at `now`, round after round until nothing is due.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Delivered> {
        let mut done = Delivered::default();
        loop {
            let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            let batch = self.store.claim_messages(now, lease, BATCH).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for m in &batch {
                match self.deliver(m, now).await {
                    Ok(()) => done.sent += 1,
                    Err(why) => {
                        done.failed += 1;
                        let attempts = m.attempts.saturating_add(1);
                        let retry = (attempts < MAX_ATTEMPTS).then(|| {
                            now + chrono::Duration::from_std(backoff(attempts)).unwrap_or_default()
                        });
                        tracing::warn!(message = m.id, kind = %m.kind, attempts, error = %why, "delivery failed");
                        self.store
                            .message_failed(m.id, attempts, retry, &why)
                            .await?;
                    }
                }
            }
        }
    }

    /// Delivers every few seconds, logging failures and going on.
    pub async fn deliver_every(self, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = self.deliver_due(minsheng_store::now()).await {
                tracing::error!(error = %e, "delivery round failed");
            }
        }
    }

    async fn deliver(&self, m: &Message, now: DateTime<Utc>) -> Attempt {
        match m.kind.as_str() {
            "notify_staff" => match serde_json::from_str(&m.payload) {
                Ok(Effect::NotifyStaff { to, notice }) => self.fan_out(m, &[to], notice, now).await,
                _ => Err(format!("unreadable notice: {}", m.payload)),
            },
            // An early warning: the dispatch centre and the supervisors.
            "alert" => {
                let to = [Recipients::DispatchCentre, Recipients::Supervisors];
                self.fan_out(m, &to, Notice::Alert, now).await
            }
            "notify_appellant" => match serde_json::from_str(&m.payload) {
                Ok(Effect::NotifyAppellant(what)) => self.text_appellant(m, what, now).await,
                _ => Err(format!("unreadable SMS: {}", m.payload)),
            },
            "email" => match serde_json::from_str::<Mail>(&m.payload) {
                Ok(mail) => {
                    self.send_mail(m.id, &mail).await?;
                    self.sent(m.id, "email", now).await
                }
                Err(e) => Err(format!("unreadable e-mail: {e}")),
            },
            other => Err(format!("unknown message kind {other}")),
        }
    }

    async fn sent(&self, id: i64, channel: &str, now: DateTime<Utc>) -> Attempt {
        self.store
            .message_sent(id, channel, now)
            .await
            .map_err(|e| e.to_string())
    }

    /// A notice in the bell of everyone it concerns, and an e-mail message for each
    /// who chose it by e-mail, with the message marked sent: one transaction.
    async fn fan_out(
        &self,
        m: &Message,
        to: &[Recipients],
        notice: Notice,
        now: DateTime<Utc>,
    ) -> Attempt {
        let mut staff: Vec<i64> = Vec::new();
        let mut mails = Vec::new();
        let no = match m.appeal_id {
            Some(id) => Some(
                self.store
                    .addressed(id)
                    .await
                    .map_err(|e| e.to_string())?
                    .no,
            ),
            None => None,
        };
        for r in to {
            let people = self
                .store
                .addressees(*r, notice)
                .await
                .map_err(|e| e.to_string())?;
            for p in people {
                if staff.contains(&p.id) {
                    continue;
                }
                staff.push(p.id);
                if let Some(address) = p.email {
                    let mail = self.notice_mail(notice, no.as_ref().map(|n| n.as_str()), address);
                    mails.push((
                        "email".to_owned(),
                        serde_json::to_string(&mail).map_err(|e| e.to_string())?,
                    ));
                }
            }
        }
        self.store
            .fan_out(m.id, notice, &staff, &mails, now)
            .await
            .map_err(|e| e.to_string())
    }

    fn notice_mail(&self, notice: Notice, no: Option<&str>, to: String) -> Mail {
        let label = notice.label(Lang::Zh);
        let base = self.delivery.public_url.trim_end_matches('/');
        let (subject, link) = match no {
            Some(no) => (
                format!("【民声】{label}：{no}"),
                format!("{base}/staff/appeals/{no}"),
            ),
            None => (format!("【民声】{label}"), format!("{base}/staff/notices")),
        };
        Mail {
            to,
            body: format!(
                "{subject}\n\n请登录民声查看并处理：{link}\n\n（本邮件由系统发出，请勿回复。）"
            ),
            subject,
        }
    }

    /// The SMS to the appellant, if they gave a phone (else nothing to send).
    async fn text_appellant(
        &self,
        m: &Message,
        what: AppellantNotice,
        now: DateTime<Utc>,
    ) -> Attempt {
        let appeal = m.appeal_id.ok_or("an SMS without an appeal")?;
        let to = self
            .store
            .addressed(appeal)
            .await
            .map_err(|e| e.to_string())?;
        // No phone, or a landline: nothing to text (the call-back reaches them).
        let Some(phone) = to.phone.filter(minsheng_core::Phone::is_mobile) else {
            return self.sent(m.id, "none", now).await;
        };
        let text = self
            .sms_text(what, to.no.as_str(), to.code.as_str())
            .await
            .map_err(|e| e.to_string())?;
        self.send_sms(m.id, phone.as_str(), &text).await?;
        self.sent(m.id, "sms", now).await
    }

    /// An SMS as the county's template (or the default) words it.
    pub async fn sms_text(&self, what: AppellantNotice, no: &str, code: &str) -> Result<String> {
        let template = self
            .store
            .sms_templates()
            .await?
            .into_iter()
            .find(|(k, _)| k == what.code())
            .map(|(_, t)| t)
            .unwrap_or_else(|| what.default_template().to_owned());
        let base = self.delivery.public_url.trim_end_matches('/');
        let link = if what.links_to_verdict() {
            format!("{base}/track/{code}/verdict")
        } else {
            format!("{base}/track")
        };
        Ok(render(&template, no, code, &link))
    }

    async fn send_sms(&self, id: i64, to: &str, text: &str) -> Attempt {
        match &self.delivery.sms {
            SmsGateway::None => Err("短信网关未配置 / no SMS gateway configured".into()),
            SmsGateway::File(path) => {
                let line = serde_json::json!({ "to": to, "text": text });
                append_once(path, id, &line).await
            }
            SmsGateway::Http { url, template } => {
                let json = |s: &str| {
                    let quoted = serde_json::Value::from(s).to_string();
                    quoted[1..quoted.len() - 1].to_owned()
                };
                let body = template
                    .replace("{id}", &id.to_string())
                    .replace("{to}", &json(to))
                    .replace("{text}", &json(text));
                let response = reqwest::Client::new()
                    .post(url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", format!("minsheng-{id}"))
                    .timeout(Duration::from_secs(10))
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| format!("SMS gateway unreachable: {e}"))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("SMS gateway answered {}", response.status()))
                }
            }
        }
    }

    async fn send_mail(&self, id: i64, mail: &Mail) -> Attempt {
        match &self.delivery.mail {
            MailGateway::None => Err("邮件服务器未配置 / no mail server configured".into()),
            MailGateway::File(path) => {
                let line = serde_json::json!({ "to": mail.to, "subject": mail.subject, "body": mail.body });
                append_once(path, id, &line).await
            }
            MailGateway::Smtp { host, port, from } => {
                use lettre::message::header::ContentType;
                use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
                let message = Message::builder()
                    .from(from.parse().map_err(|e| format!("sender {from}: {e}"))?)
                    .to(mail.to.parse().map_err(|e| format!("recipient: {e}"))?)
                    .subject(&mail.subject)
                    .message_id(Some(format!("<minsheng-{id}@minsheng>")))
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.body.clone())
                    .map_err(|e| e.to_string())?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(*port)
                    .timeout(Some(Duration::from_secs(10)))
                    .build();
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("mail server: {e}"))
            }
        }
    }

    /// What the outbox holds, for admins.
    pub async fn outbox_state(&self, me: &SignedIn) -> Result<OutboxState> {
        require_admin(me)?;
        Ok(self.store.outbox_state(50).await?)
    }

    /// Puts a message given up on back in the queue.
    pub async fn retry_message(&self, me: &SignedIn, id: i64) -> Result<()> {
        require_admin(me)?;
        Ok(self
            .store
            .retry_message(id, me.staff.id, minsheng_store::now())
            .await?)
    }

    /// The SMS templates: (what, the text in use, whether an admin changed it).
    pub async fn sms_templates(&self) -> Result<Vec<(AppellantNotice, String, bool)>> {
        let changed = self.store.sms_templates().await?;
        Ok(AppellantNotice::ALL
            .into_iter()
            .map(|n| match changed.iter().find(|(k, _)| k == n.code()) {
                Some((_, t)) => (n, t.clone(), true),
                None => (n, n.default_template().to_owned(), false),
            })
            .collect())
    }

    /// Saves an SMS template after checking it; an empty text restores the default.
    pub async fn save_sms_template(&self, me: &SignedIn, key: &str, text: &str) -> Result<()> {
        require_admin(me)?;
        let what = AppellantNotice::parse(key).ok_or(Error::NotFound)?;
        let text = if text.trim().is_empty() {
            None
        } else {
            Some(check_template(what, text).map_err(|e| invalid("text", e.into()))?)
        };
        Ok(self
            .store
            .save_sms_template(what.code(), text.as_deref(), me.staff.id)
            .await?)
    }

    /// A staff member's unread notices.
    pub async fn unread_notices(&self, me: &SignedIn) -> Result<i64> {
        Ok(self.store.unread_notices(me.staff.id).await?)
    }

    /// A staff member's notices, newest first.
    pub async fn notices(
        &self,
        me: &SignedIn,
        page: i64,
        per_page: i64,
    ) -> Result<Page<NoticeRow>> {
        Ok(self.store.notices(me.staff.id, page, per_page).await?)
    }

    /// Marks a staff member's notices read (these, or all).
    pub async fn read_notices(&self, me: &SignedIn, ids: &[i64]) -> Result<u64> {
        Ok(self
            .store
            .read_notices(me.staff.id, ids, minsheng_store::now())
            .await?)
    }

    /// A staff member's e-mail choices.
    pub async fn notice_prefs(&self, me: &SignedIn) -> Result<NoticePrefs> {
        Ok(self.store.notice_prefs(me.staff.id).await?)
    }

    /// Saves a staff member's e-mail choices: an address that looks like one (or none).
    pub async fn save_notice_prefs(
        &self,
        me: &SignedIn,
        email: &str,
        by_email: Vec<Notice>,
    ) -> Result<()> {
        let email = check_email(email).map_err(|e| invalid("email", e))?;
        if email.is_none() && !by_email.is_empty() {
            return Err(invalid("email", FieldError::EmailNeeded));
        }
        Ok(self
            .store
            .save_notice_prefs(me.staff.id, &NoticePrefs { email, by_email })
            .await?)
    }
}

fn invalid(field: &'static str, error: FieldError) -> Error {
    Error::Invalid(FieldErrors(vec![(field, error)]))
}

fn require_admin(me: &SignedIn) -> Result<()> {
    if me.staff.roles.contains(&minsheng_core::staff::Role::Admin) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Appends a JSON line (`{"id":…,` then `fields`) to a sink file unless a line with
/// this message id is there already (a message tried again after a crash is written
/// once).
async fn append_once(path: &PathBuf, id: i64, fields: &serde_json::Value) -> Attempt {
    let marker = format!("{{\"id\":{id},");
    let rest = fields.to_string();
    let line = format!("{marker}{}", rest.strip_prefix('{').unwrap_or(&rest));
    match tokio::fs::read_to_string(path).await {
        Ok(existing) if existing.lines().any(|l| l.starts_with(&marker)) => return Ok(()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = line;
    text.push('\n');
    file.write_all(text.as_bytes())
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.sync_data()
        .await
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl App {
    /// The county's answers for `category` (and those for any), or all; whose title or
    /// text holds `words`. Any staff member reads them.
    pub async fn answers(
        &self,
        category: Option<&str>,
        words: &str,
    ) -> Result<Vec<minsheng_store::Answer>> {
        let words: String = words.chars().take(50).collect();
        Ok(self.store.answers(category, &words, 200).await?)
    }

    /// Adds or changes an answer (administrators), checked against the categories.
    pub async fn save_answer(
        &self,
        me: &SignedIn,
        id: Option<i64>,
        form: &minsheng_core::answers::AnswerForm,
    ) -> Result<i64> {
        require_admin(me)?;
        let dir = self.directory().await?;
        let codes: Vec<&str> = dir.categories.iter().map(|c| c.code.as_str()).collect();
        let answer = form.validate(&codes).map_err(Error::Invalid)?;
        Ok(self.store.save_answer(id, &answer, me.staff.id).await?)
    }

    /// Removes an answer (administrators).
    pub async fn remove_answer(&self, me: &SignedIn, id: i64) -> Result<()> {
        require_admin(me)?;
        Ok(self.store.remove_answer(id, me.staff.id).await?)
    }
}
