//! Registering appeals (every channel) and acting on cases.

use chrono::{DateTime, Utc};
use minsheng_core::intake::{AppealForm, Catalog, FieldError, FieldErrors, Origin};
use minsheng_core::routing::route;
use minsheng_core::staff::Scope;
use minsheng_core::workflow::{self as wf, Actor, CaseFacts, Command, Decision, open_case};
use minsheng_core::{AppealNo, RegionCode, TrackingCode};
use minsheng_store::{PublicView, Receipt, Registered, Registration, StepAdds, StoreError};

use crate::{App, Error, Result};

/// The form key of an appeal a system sends with its own id: the same for the same
/// sender and id, so a repeat is recognised as the same form.
pub fn api_form_key(staff_id: i64, external_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{staff_id}|{external_id}"));
    format!("api-{}", &hex::encode(digest)[..32])
}

/// What a sending system adds to a form (see [`App::register_with`]).
#[derive(Debug, Clone, Default)]
pub struct Intake {
    /// When the appeal was received, if before now.
    pub received_at: Option<DateTime<Utc>>,
    /// The sender's own id of the appeal (kept per sender: another sender's same id
    /// is another appeal).
    pub external_id: Option<String>,
    /// Where it happened (latitude, longitude), checked here.
    pub lat: Option<f64>,
    /// See `lat`.
    pub long: Option<f64>,
    /// The Open311 key it came in with.
    pub api_key_id: Option<i64>,
    /// Whether the channel asks the category's extra fields (then required ones must
    /// be answered).
    pub asks_extra_fields: bool,
    /// Whether it may come without a village (its `village` is then the county's
    /// code): Open311 requests are never refused for lack of a place, the dispatch
    /// centre places them.
    pub may_be_unplaced: bool,
    /// Files sent with it, checked here and stored before the appeal.
    pub files: Vec<crate::attachments::Upload>,
    /// A consultation answered on the spot (当场解答办结) by this call-taker, with this
    /// answer: registered closed, never dispatched.
    pub answer_now: Option<(Actor, String)>,
    /// The leader's reception day it is registered at (领导接访): that leader takes
    /// charge of it (包案) from the start, and it counts among the day's visitors.
    pub reception: Option<i64>,
    /// The screened dispute it registers (checked by the caller with
    /// [`App::dispute_to_register`]).
    pub dispute: Option<i64>,
}

/// A registration's answer.
#[derive(Debug, Clone)]
pub struct Registering {
    /// The number and tracking code.
    pub receipt: Receipt,
    /// Whether it was stored before (the same form key or external id).
    pub repeat: bool,
}

/// A reason someone must give (for a reveal, for lifting a recusal): 2 to 200
/// characters, counted as sent (the documented limit) and once cleaned (something must
/// be said).
pub(crate) fn check_reason(reason: &str) -> Result<String> {
    let sent = reason.chars().count();
    let reason = minsheng_core::intake::clean_text(reason);
    let length = reason.chars().count();
    if length < 2 || sent > 200 {
        let error = if length == 0 {
            FieldError::Required
        } else if length < 2 {
            FieldError::TooShort(2)
        } else {
            FieldError::TooLong(200)
        };
        return Err(Error::Invalid(FieldErrors(vec![("reason", error)])));
    }
    Ok(reason)
}

/// What the public sees of a case behind its tracking code.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The public view.
    pub view: PublicView,
    /// The deadline the public is told.
    pub due: Option<DateTime<Utc>>,
    /// Until when the appellant may give a verdict on the answer, while they may.
    pub verdict_until: Option<DateTime<Utc>>,
}

impl App {
    /// Registers one appeal from any channel: checks the form against the county's
    /// categories and villages, routes it, opens its case and stores it with its audit
    /// records. A repeated post of the same form returns the earlier receipt; a form
    /// key reused for other content, like any bad field, is [`Error::Invalid`].
    pub async fn register(
        &self,
        form: &AppealForm,
        origin: Origin,
        actor_id: Option<i64>,
    ) -> Result<Receipt> {
        let intake = Intake::default();
        Ok(self
            .register_with(form, origin, actor_id, intake)
            .await?
            .receipt)
    }

    /// [`App::register`] for systems that send appeals (the JSON API): the time the
    /// appeal was received, when earlier than now (a letter entered days later: its
    /// clock starts at receipt), and the sender's own id, which makes a repeat return
    /// the first receipt.
    pub async fn register_with(
        &self,
        form: &AppealForm,
        origin: Origin,
        actor_id: Option<i64>,
        intake: Intake,
    ) -> Result<Registering> {
        let now = minsheng_store::now();
        let received_at = match intake.received_at {
            // A few minutes' difference between two clocks is not the future.
            Some(at) if at > now + chrono::Duration::minutes(5) => {
                return Err(Error::Invalid(FieldErrors(vec![(
                    "received_at",
                    FieldError::InFuture,
                )])));
            }
            // Nothing reaches a county's desk from before its records began: a time
            // before 2000 is a mistake (and a year outside 0–9999 makes no number).
            Some(at) if at < minsheng_core::intake::earliest_receipt() => {
                return Err(Error::Invalid(FieldErrors(vec![(
                    "received_at",
                    FieldError::TooEarly,
                )])));
            }
            Some(at) => at.min(now),
            None => now,
        };
        let external_id = match intake.external_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) if id.chars().any(char::is_control) => {
                return Err(Error::Invalid(FieldErrors(vec![(
                    "external_id",
                    FieldError::UnknownChoice,
                )])));
            }
            Some(id) if id.chars().count() > 100 => {
                return Err(Error::Invalid(FieldErrors(vec![(
                    "external_id",
                    FieldError::TooLong(100),
                )])));
            }
            // An id is the sender's own: two senders may use the same one, and
            // neither learns of the other's appeal through it.
            Some(id) => Some(match actor_id {
                Some(sender) => format!("s{sender}:{id}"),
                None => id.to_owned(),
            }),
        };
        let directory = self.directory().await?;
        let checks = Catalog {
            categories: &directory.categories,
            villages: &directory.villages,
            asks_extra_fields: intake.asks_extra_fields,
            unplaced_in: directory.county.as_ref().filter(|_| intake.may_be_unplaced),
        };
        let point = minsheng_core::intake::check_point(intake.lat, intake.long);
        let files = self.check_uploads(&intake.files);
        let appeal = match (form.validate(origin, &checks, received_at), point, files) {
            (Ok(mut appeal), Ok(location), Ok(kinds)) => {
                appeal.location = location;
                // The files are on disk before the row that names them is written.
                appeal.attachments = self.store_uploads(intake.files, kinds).await?;
                appeal
            }
            (appeal, point, files) => {
                let mut errors = appeal.err().unwrap_or_default();
                if let Err(e) = point {
                    errors.0.push(("lat", e));
                }
                if let Err(e) = files {
                    errors.0.extend(e.0);
                }
                return Err(Error::Invalid(errors));
            }
        };
        let routing = route(
            &appeal.category,
            &appeal.region,
            &directory.rules,
            &directory.categories,
            &directory.units,
            &crate::recusal::accused_units(&appeal, &directory.units),
        );
        let facts = CaseFacts::of(&appeal, &routing);
        let calendar = self.calendar();
        let mut opening = open_case(&facts, &self.policy, &calendar);
        let mut tags = Vec::new();
        if let Some(id) = intake.reception {
            let reception = self.open_reception(id).await?;
            opening.steps.push(wf::Happened {
                at: appeal.received_at,
                actor: None,
                command: Command::AssignLeader {
                    leader: reception.leader_id,
                },
            });
            opening.settle(&facts, &self.policy, &calendar, now);
            tags.push(minsheng_core::outreach::reception_tag(id));
        }
        if let Some((actor, text)) = &intake.answer_now {
            // Decided on the case as it arrives, before any dispatch.
            let command = Command::AnswerOnSpot {
                text: minsheng_core::intake::clean_text(text),
            };
            let arrived = wf::Case::new(&facts, &self.policy);
            let d = wf::decide(&arrived, command, actor, &self.policy, &calendar, now).map_err(
                |e| match e {
                    wf::WorkflowError::TextTooLong(n) => {
                        Error::Invalid(FieldErrors(vec![("answer", FieldError::TooLong(n))]))
                    }
                    wf::WorkflowError::EmptyText => {
                        Error::Invalid(FieldErrors(vec![("answer", FieldError::Required)]))
                    }
                    _ => Error::Invalid(FieldErrors(vec![("answer", FieldError::AnswerNow)])),
                },
            )?;
            opening.steps = vec![d.event];
            opening.settle(&facts, &self.policy, &calendar, now);
        }
        let effects = wf::opening_effects(
            &facts,
            &opening,
            appeal.appellant.phone.is_some(),
            &self.policy,
            &calendar,
        );
        let registration = Registration {
            opening,
            routing,
            appeal,
            actor_id,
            tags,
            external_id,
            api_key_id: intake.api_key_id,
            index_terms: Vec::new(),
            signals: Vec::new(),
            dispute: intake.dispute,
            effects,
        };
        let stored = self.store_registrations(vec![registration]).await?.pop();
        if let Some(Registered::Stored(_) | Registered::Repeat(_)) = &stored {
            self.metrics
                .registered(matches!(stored, Some(Registered::Repeat(_))));
        }
        match stored {
            Some(Registered::Stored(receipt)) => Ok(Registering {
                receipt,
                repeat: false,
            }),
            Some(Registered::Repeat(receipt)) => Ok(Registering {
                receipt,
                repeat: true,
            }),
            Some(Registered::DisputeTaken) => Err(Error::Invalid(FieldErrors(vec![(
                "dispute",
                FieldError::AlreadyDone,
            )]))),
            Some(Registered::KeyReused) => Err(Error::Invalid(FieldErrors(vec![(
                "submission_key",
                FieldError::SubmissionKeyReused,
            )]))),
            None => Err(Error::Store(StoreError::Conflict(
                "registration returned no receipt".into(),
            ))),
        }
    }

    /// Whether `me` must contact this appeal's appellant (`workflow::may_contact`: the
    /// handling units, the call centre, the leader in charge).
    pub fn may_contact(
        &self,
        detail: &minsheng_store::AppealDetail,
        me: &crate::sessions::SignedIn,
    ) -> bool {
        let calendar = self.calendar();
        let case = wf::Case::replay(&detail.facts, &detail.history, &self.policy, &calendar);
        wf::may_contact(&case, &me.actor())
    }

    /// An appeal's personal data in full (name, phone, ID number, home address,
    /// representatives), shown on screen and in the API only masked: for someone whose
    /// area covers the appeal (anyone else: not found) and who must contact the
    /// appellant (anyone else: forbidden), who must say why; every reveal is an audit
    /// record naming who, which appeal and the reason, and is shown on the case's
    /// internal timeline.
    pub async fn reveal_appellant(
        &self,
        no: &AppealNo,
        me: &crate::sessions::SignedIn,
        reason: &str,
    ) -> Result<minsheng_core::appellant::Appellant> {
        let (scope, actor_id) = (&me.scope, me.staff.id);
        let reason = check_reason(reason)?;
        let detail = self.store.appeal(no, scope).await?;
        if !self.may_contact(&detail, me) {
            return Err(Error::Forbidden);
        }
        self.store
            .record_reveal(detail.summary.id, actor_id, &reason)
            .await?;
        tracing::info!(appeal = %no, staff = actor_id, "personal data revealed");
        Ok(detail.appellant)
    }

    /// The place a sender names: a region code, or a village's name (with its
    /// township's name when village names repeat); `None` when nothing matches.
    pub async fn place_named(
        &self,
        code: &str,
        township: &str,
        village: &str,
    ) -> Result<Option<RegionCode>> {
        let directory = self.directory().await?;
        Ok(minsheng_core::history::place(
            code.trim(),
            township.trim(),
            village.trim(),
            &directory.places,
        )
        .ok())
    }

    /// What anyone holding a tracking code may see, with the deadline the public is
    /// told (the stage's, not an internal supervision order's) and, while an answer
    /// awaits their verdict, until when they may give it.
    pub async fn track(&self, code: &TrackingCode) -> Result<Tracked> {
        let view = self.store.public_view(code).await?;
        let calendar = self.calendar();
        let (policy, calendar) = (self.policy.as_ref(), calendar.as_ref());
        let case = wf::Case::replay(&view.facts, &view.history, policy, calendar);
        let now = minsheng_store::now();
        Ok(Tracked {
            due: case.public_due(policy, calendar),
            verdict_until: case
                .verdict_open_until(policy, calendar)
                .filter(|until| now <= *until),
            view,
        })
    }

    /// The appellant's own verdict on an answer, given through the tracking code's
    /// public link: once per answer (the case moves on with it), within the policy's
    /// days; recorded as a return visit with no staff actor.
    pub async fn give_verdict(
        &self,
        code: &TrackingCode,
        rating: wf::Rating,
        solved: wf::Solved,
        note: &str,
    ) -> Result<()> {
        let view = self.store.public_view(code).await?;
        let calendar = self.calendar();
        let case = wf::Case::replay(&view.facts, &view.history, &self.policy, &calendar);
        let note = minsheng_core::intake::clean_text(note);
        let decision = wf::decide_verdict(
            &case,
            rating,
            solved,
            note,
            &self.policy,
            &calendar,
            minsheng_store::now(),
        )?;
        self.record_decision(&view.facts, &case, view.version, &decision)
            .await
    }

    /// The database id of the case to merge `merged` into: one the actor may see, that
    /// is still open and not led by a unit `merged` accuses (else the workflow's
    /// refusal).
    pub async fn merge_target(
        &self,
        merged: &AppealNo,
        no: &AppealNo,
        scope: &Scope,
    ) -> Result<i64> {
        let source = self.store.appeal(merged, scope).await?;
        let target = self.store.appeal(no, scope).await?.summary;
        let calendar = self.calendar();
        let case = wf::Case::replay(&source.facts, &source.history, &self.policy, &calendar);
        let units = &self.directory().await?.units;
        wf::check_merge_target(&case, target.status, target.handler_unit_id, units)?;
        Ok(target.id)
    }

    /// Acts on a case: replays it from its events, checks the units the command names,
    /// asks the workflow to decide, and stores the event, the new outcome, the outbox
    /// messages of its effects and the audit records in one transaction, against the
    /// `version` the actor saw (else [`Error::Stale`]).
    pub async fn act(
        &self,
        actor: &Actor,
        no: &AppealNo,
        version: i64,
        command: Command,
    ) -> Result<Decision> {
        let appeal = self.store.appeal(no, &actor.scope).await?;
        // Read on an older version: say so first, not what the newer state refuses.
        if appeal.version != version {
            return Err(Error::Stale);
        }
        let calendar = self.calendar();
        let (policy, calendar) = (self.policy.as_ref(), calendar.as_ref());
        let case = wf::Case::replay(&appeal.facts, &appeal.history, policy, calendar);
        wf::check_references(&command, &case, &self.directory().await?.units)?;
        let now = minsheng_store::now();
        let decision = wf::decide(&case, command, actor, policy, calendar, now)?;
        self.record_decision(&appeal.facts, &case, version, &decision)
            .await?;
        Ok(decision)
    }

    /// Stores a decided step of `case` (read at `version`) with all it brings, in one
    /// transaction: the new outcome, the outbox messages of its effects, its figures,
    /// the signs it shows, its contest labels, the reply's print and the audit records.
    pub(crate) async fn record_decision(
        &self,
        facts: &CaseFacts,
        case: &wf::Case,
        version: i64,
        decision: &Decision,
    ) -> Result<()> {
        let calendar = self.calendar();
        let (policy, calendar) = (self.policy.as_ref(), calendar.as_ref());
        let step = &decision.event;
        let mut after = case.clone();
        after.apply(step, policy, calendar);
        let outcome = after.outcome(policy, calendar, step.at);
        let (put, taken) = minsheng_core::closure::contest_labels(&step.command);
        let (up, down) = minsheng_core::closure::escalation_labels(case, &after);
        let adds = StepAdds {
            tallies: minsheng_core::kpi::of_step(facts, case, step, &after, policy, calendar)
                .into_iter()
                .collect(),
            tags: minsheng_core::closure::signs(case, step, &after)
                .iter()
                .map(|s| s.tag())
                .chain(put)
                .map(str::to_owned)
                .chain(up)
                .collect(),
            untags: taken.into_iter().map(str::to_owned).chain(down).collect(),
            reply_print: match &step.command {
                wf::Command::Reply { text, .. } => minsheng_core::closure::reply_print(text),
                _ => None,
            },
        };
        match self
            .store
            .record_step(facts.id, version, step, &outcome, &decision.effects, &adds)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(Error::Stale),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(
            appeal_id = facts.id,
            action = step.command.code(),
            "workflow step recorded"
        );
        if matches!(
            step.command,
            wf::Command::Reply { .. } | wf::Command::IssueReview { .. }
        ) {
            // The reply is searchable from now on; the step stands even if this fails
            // (the backlog indexer does not redo it, `minsheng reindex` does).
            if let Err(e) = self.reindex(facts.id).await {
                tracing::error!(appeal_id = facts.id, error = %e, "the reply was not indexed for search");
            }
        }
        Ok(())
    }
}

/// What the call-taker learns of a caller by their phone: their earlier appeals in
/// the call-taker's area, newest first, and two warnings.
#[derive(Debug, Clone)]
pub struct CallerHistory {
    /// Their appeals, newest first (at most 50).
    pub appeals: Vec<minsheng_store::AppealSummary>,
    /// How many they raised within the repeat window (30 days).
    pub recent: usize,
    /// Whether that makes them a repeat appellant (3 or more).
    pub repeat: bool,
    /// Their matters already closed after re-review (复核终结): not to be taken up
    /// again as new petitions.
    pub concluded: Vec<minsheng_core::AppealNo>,
}

impl App {
    /// Records that the appellant called again about an open case (催单), as one who
    /// takes calls, instead of registering a new appeal; the lead unit is reminded.
    pub async fn urge(
        &self,
        me: &crate::sessions::SignedIn,
        no: &AppealNo,
        note: &str,
    ) -> Result<Decision> {
        let note = minsheng_core::intake::clean_text(note);
        // A follow-up adds to the case whatever landed meanwhile (two call-takers, a
        // double click): it is tried again on the newer version, a few times.
        let mut tries = 0;
        loop {
            let detail = self.store.appeal(no, &me.scope).await?;
            let command = Command::FollowUp { note: note.clone() };
            match self.act(&me.actor(), no, detail.version, command).await {
                Err(Error::Stale) if tries < 5 => tries += 1,
                other => return other,
            }
        }
    }

    /// A caller's history by phone, scope-checked (the store reads only appeals in
    /// `me`'s area); for those who take calls.
    pub async fn caller_history(
        &self,
        me: &crate::sessions::SignedIn,
        phone: &minsheng_core::Phone,
    ) -> Result<CallerHistory> {
        let rules = minsheng_core::alerts::AlertPolicy::default();
        let appeals = self.store.appeals_by_phone(phone, &me.scope).await?;
        let since = minsheng_store::now() - chrono::Duration::days(i64::from(rules.repeat_days));
        let recent = appeals.iter().filter(|a| a.received_at >= since).count();
        Ok(CallerHistory {
            repeat: recent >= rules.repeat_count as usize,
            recent,
            concluded: appeals
                .iter()
                .filter(|a| a.status == wf::State::Final)
                .map(|a| a.no.clone())
                .collect(),
            appeals,
        })
    }
}

/// Whether `me` may put labels on cases: everyone who works them (not an auditor, who
/// only reads).
pub fn may_label(me: &crate::sessions::SignedIn) -> bool {
    !me.staff
        .roles
        .iter()
        .all(|r| *r == minsheng_core::staff::Role::Auditor)
}

/// Most cases one bulk action takes.
pub const MAX_BULK: usize = 200;

/// One action on several cases at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bulk {
    /// Dispatch (or dispatch again) to this unit.
    Dispatch {
        /// The lead unit.
        lead: i64,
        /// Its urgency.
        urgency: wf::Urgency,
    },
    /// Merge into this case.
    Merge(AppealNo),
    /// Put this label on each.
    Label(String),
}

/// What a bulk action did: the cases it acted on, and each refused one with why.
#[derive(Debug, Default)]
pub struct BulkReport {
    /// Acted on, each with its own step (or label) and audit record.
    pub done: Vec<AppealNo>,
    /// Refused: the number and the reason.
    pub refused: Vec<(AppealNo, Error)>,
}

impl App {
    /// Takes one action on each of `nos` as `me`, one case at a time (each its own
    /// transaction, event and audit record, exactly as if done on its page); a case
    /// refused does not stop the others and is reported by number.
    pub async fn bulk(
        &self,
        me: &crate::sessions::SignedIn,
        nos: &[AppealNo],
        action: &Bulk,
    ) -> Result<BulkReport> {
        if nos.is_empty() {
            return Err(Error::Invalid(FieldErrors(vec![(
                "no",
                FieldError::Required,
            )])));
        }
        if nos.len() > MAX_BULK {
            return Err(Error::Invalid(FieldErrors(vec![(
                "no",
                FieldError::Range(1, MAX_BULK as i64),
            )])));
        }
        if matches!(action, Bulk::Label(_)) && !may_label(me) {
            return Err(Error::Forbidden);
        }
        let label = match action {
            Bulk::Label(l) => Some(
                minsheng_core::intake::check_label(l)
                    .map_err(|e| Error::Invalid(FieldErrors(vec![("label", e)])))?,
            ),
            _ => None,
        };
        let mut report = BulkReport::default();
        for no in nos {
            let outcome = async {
                let detail = self.store.appeal(no, &me.scope).await?;
                let command = match action {
                    Bulk::Label(_) => {
                        let label = label.as_deref().unwrap_or_default();
                        self.store
                            .add_label(detail.summary.id, label, me.staff.id)
                            .await?;
                        return Ok(());
                    }
                    Bulk::Dispatch { lead, urgency } => Command::Dispatch {
                        lead: *lead,
                        co: Vec::new(),
                        urgency: *urgency,
                    },
                    Bulk::Merge(target) => Command::Merge {
                        into: self.merge_target(no, target, &me.scope).await?,
                    },
                };
                self.act(&me.actor(), no, detail.version, command)
                    .await
                    .map(|_| ())
            }
            .await;
            match outcome {
                Ok(()) => report.done.push(no.clone()),
                Err(e) => report.refused.push((no.clone(), e)),
            }
        }
        Ok(report)
    }
}
