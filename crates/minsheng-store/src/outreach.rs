//! The registers of going to the people and settling disputes early: what the store
//! keeps of contacts, reception days, field visits, screening campaigns and disputes,
//! mediation records, published replies, consultations and the county's settings.
//! Every change is one transaction with its audit record.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_core::outreach::{
    DisputeKind, DisputeState, FollowUp, MediationOutcome, NewConsultation, NewContact, NewDispute,
    NewReception, NewScreening, NewVisit, PlaceKind, Risk, VisitState,
};
use minsheng_core::{AppealNo, RegionCode};

use crate::{Page, Result};

/// A cadre's contact responsibility for a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Its id.
    pub id: i64,
    /// What kind of place.
    pub kind: PlaceKind,
    /// Where.
    pub region: RegionCode,
    /// The place's name.
    pub name: String,
    /// The cadre.
    pub staff_id: i64,
    /// The cadre's name (an official's name is public).
    pub staff_name: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// A leader's reception day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reception {
    /// Its id.
    pub id: i64,
    /// The leader receiving.
    pub leader_id: i64,
    /// The leader's name.
    pub leader_name: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Its topic.
    pub topic: String,
    /// Visitors registered at it.
    pub visitors: i64,
}

/// A field visit (下访), planned or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldVisit {
    /// Its id.
    pub id: i64,
    /// The cadre.
    pub staff_id: i64,
    /// The cadre's name.
    pub staff_name: String,
    /// Where.
    pub region: RegionCode,
    /// When.
    pub on: NaiveDate,
    /// Why.
    pub purpose: String,
    /// Whom they met.
    pub people: String,
    /// What was done.
    pub notes: String,
    /// Planned or done.
    pub state: VisitState,
    /// The cases it took up, and whether each was settled on it.
    pub cases: Vec<(AppealNo, bool)>,
}

/// Which field visits to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitFilter {
    /// Only this cadre's.
    pub staff: Option<i64>,
    /// Only in these areas (region prefixes); empty: anywhere.
    pub areas: Vec<RegionCode>,
    /// From this day.
    pub from: Option<NaiveDate>,
    /// To this day.
    pub to: Option<NaiveDate>,
}

/// A screening campaign (矛盾纠纷排查).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub title: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// What it covers.
    pub region: RegionCode,
    /// Disputes reported in it.
    pub disputes: i64,
    /// Of them, those still at high risk and not settled.
    pub high_open: i64,
}

/// A dispute in the risk register, its parties masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// Its id.
    pub id: i64,
    /// The campaign it was found in.
    pub screening_id: Option<i64>,
    /// Where.
    pub region: RegionCode,
    /// Who reported it.
    pub reported_by: i64,
    /// Its kind.
    pub kind: DisputeKind,
    /// Its risk now.
    pub risk: Risk,
    /// What it is about.
    pub summary: String,
    /// The parties, masked.
    pub parties_mask: String,
    /// Where it stands.
    pub state: DisputeState,
    /// The appeal it became.
    pub appeal_no: Option<AppealNo>,
    /// Reported.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which disputes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeFilter {
    /// Only those of this campaign.
    pub screening: Option<i64>,
    /// Only at this risk.
    pub risk: Option<Risk>,
    /// Only in this state; `None`: those not settled and not become appeals.
    pub state: Option<DisputeState>,
    /// Only in these areas (region prefixes); empty: anywhere.
    pub areas: Vec<RegionCode>,
}

/// A follow-up on a dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeNote {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub staff_name: String,
    /// What.
    pub note: String,
    /// The risk then.
    pub risk: Risk,
    /// The state then.
    pub state: DisputeState,
}

/// A mediation record (人民调解), its parties masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mediation {
    /// Its id.
    pub id: i64,
    /// The dispute it settles.
    pub dispute_id: Option<i64>,
    /// The appeal it settles.
    pub appeal_no: Option<AppealNo>,
    /// The mediator's name.
    pub mediator_name: String,
    /// When.
    pub held_on: NaiveDate,
    /// The parties, masked.
    pub parties_mask: String,
    /// The agreement.
    pub agreement: String,
    /// How it ended.
    pub outcome: MediationOutcome,
    /// When to check on it.
    pub follow_up_on: Option<NaiveDate>,
    /// Whether judicial confirmation was requested.
    pub judicial: bool,
}

/// A mediation record to store: the checked form with its appeal's id looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediationRecord {
    /// The checked form.
    pub record: minsheng_core::outreach::NewMediation,
    /// The appeal's id, if it names one.
    pub appeal_id: Option<i64>,
    /// Where: the dispute's village, else the appeal's.
    pub region: RegionCode,
}

/// A reply the appellant agreed to publish, with what is needed to take personal data
/// out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentedReply {
    /// The appeal's category code.
    pub category: String,
    /// Where.
    pub region: RegionCode,
    /// The appeal's title.
    pub title: String,
    /// The latest reply.
    pub reply: String,
    /// When it was replied.
    pub replied_at: DateTime<Utc>,
    /// The appellant's and representatives' names and the home address, in full, to
    /// be taken out.
    pub names: Vec<String>,
}

/// A public consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// The proposal.
    pub proposal: String,
    /// First day.
    pub opens: NaiveDate,
    /// Last day.
    pub closes: NaiveDate,
    /// The published response.
    pub response: Option<String>,
    /// When it was published.
    pub responded_at: Option<DateTime<Utc>>,
    /// Opinions received.
    pub opinions: i64,
}

/// Registers of going to the people; every change audited.
#[async_trait]
pub trait Outreach: Send + Sync {
    /// Makes `contact.staff` the contact for a place; returns the assignment's id.
    async fn add_contact(&self, contact: &NewContact, actor: i64) -> Result<i64>;
    /// Ends an assignment (`NotFound` if it is not current).
    async fn end_contact(&self, id: i64, actor: i64) -> Result<()>;
    /// Current assignments, by place; with `region`, only those at it.
    async fn contacts(&self, region: Option<&RegionCode>) -> Result<Vec<Contact>>;

    /// Schedules a reception day; returns its id.
    async fn add_reception(&self, reception: &NewReception, actor: i64) -> Result<i64>;
    /// Reception days ending at or after `from`, the soonest first (at most `limit`).
    async fn receptions(&self, from: DateTime<Utc>, limit: i64) -> Result<Vec<Reception>>;
    /// One reception day.
    async fn reception(&self, id: i64) -> Result<Reception>;

    /// Records a field visit (a new one, or `id`'s plan or log updated) by `staff`,
    /// with its cases as (appeal id, settled on it); returns its id.
    async fn save_visit(
        &self,
        id: Option<i64>,
        visit: &NewVisit,
        cases: &[(i64, bool)],
        staff: i64,
    ) -> Result<i64>;
    /// Field visits, the latest first.
    async fn visits(
        &self,
        filter: &VisitFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<FieldVisit>>;
    /// One field visit.
    async fn visit(&self, id: i64) -> Result<FieldVisit>;
    /// The field visits that took up an appeal.
    async fn visits_of_appeal(&self, appeal_id: i64) -> Result<Vec<FieldVisit>>;
    /// Cases settled on field visits made from `from` to `to`, in `areas` (empty:
    /// anywhere).
    async fn settled_on_visits(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        areas: &[RegionCode],
    ) -> Result<i64>;

    /// Starts a screening campaign; returns its id.
    async fn add_screening(&self, screening: &NewScreening, actor: i64) -> Result<i64>;
    /// Screening campaigns, the latest first, their disputes counted in `areas` only
    /// (empty: anywhere).
    async fn screenings(&self, areas: &[RegionCode]) -> Result<Vec<Screening>>;
    /// Records a reported dispute, its parties sealed; returns its id.
    async fn report_dispute(&self, dispute: &NewDispute, actor: i64) -> Result<i64>;
    /// The risk register: high risk first, then the longest untouched.
    async fn disputes(
        &self,
        filter: &DisputeFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Dispute>>;
    /// One dispute, with its follow-ups (oldest first) and mediation records.
    async fn dispute(&self, id: i64) -> Result<(Dispute, Vec<DisputeNote>, Vec<Mediation>)>;
    /// Records a follow-up and the dispute's risk and state after it.
    async fn follow_up(&self, id: i64, follow_up: &FollowUp, actor: i64) -> Result<()>;

    /// The parties of a dispute in full, for someone who said why; the reading is an
    /// audit record.
    async fn reveal_parties(&self, dispute: i64, actor: i64, reason: &str) -> Result<String>;

    /// Records a mediation, its parties sealed; returns its id.
    async fn record_mediation(&self, mediation: &MediationRecord, actor: i64) -> Result<i64>;
    /// Mediation records in `areas` (empty: anywhere), the latest first; with
    /// `appeal_id`, only that appeal's.
    async fn mediations(
        &self,
        areas: &[RegionCode],
        appeal_id: Option<i64>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Mediation>>;

    /// Closed appeals whose appellants agreed to publish the reply, the latest
    /// closed first.
    async fn consented_replies(&self, page: i64, per_page: i64) -> Result<Page<ConsentedReply>>;

    /// Opens a consultation; returns its id.
    async fn add_consultation(&self, consultation: &NewConsultation, actor: i64) -> Result<i64>;
    /// Consultations, the latest opened first.
    async fn consultations(&self, page: i64, per_page: i64) -> Result<Page<Consultation>>;
    /// One consultation.
    async fn consultation(&self, id: i64) -> Result<Consultation>;
    /// Stores an opinion from the public (the audit record holds its hash).
    async fn add_opinion(&self, consultation: i64, text: &str) -> Result<i64>;
    /// The opinions on a consultation, oldest first, with when they came.
    async fn opinions(&self, consultation: i64) -> Result<Vec<(DateTime<Utc>, String)>>;
    /// Publishes the response to a consultation's opinions.
    async fn respond(&self, consultation: i64, response: &str, actor: i64) -> Result<()>;

    /// A county setting, as stored (JSON).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets a county setting.
    async fn set_setting(&self, key: &str, value: &str, actor: i64) -> Result<()>;
}
