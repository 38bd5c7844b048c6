//! Going to the people and settling disputes early: contact responsibility, leader
//! reception days, field visits, dispute screening and the risk register, mediation
//! records, published replies, public consultations and the county's ranking weights.
//!
//! Who may do what: the county's desk (dispatchers, supervisors, administrators) and
//! leaders assign contacts, schedule reception days and start screening campaigns;
//! any staff member logs their own field visits, reports disputes and records
//! mediations; registers are read within the areas a person sees (someone who sees no
//! area, such as a bureau's handler, sees only their own visits); parties are shown
//! masked, in full only to roles that may read personal data, with a reason on record.

use chrono::{DateTime, Utc};
use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::kpi::Weights;
use minsheng_core::outreach::{
    ConsultationForm, ContactForm, DisputeForm, DisputeState, FollowUpForm, MediationForm,
    PlaceKind, ReceptionForm, ScreeningForm, VisitForm, check_opinion, check_response,
    published_reply,
};
use minsheng_core::region::Region;
use minsheng_core::staff::Role;
use minsheng_core::{Lang, RegionCode};
use minsheng_store::{
    Consultation, Contact, Dispute, DisputeFilter, DisputeNote, FieldVisit, Mediation,
    MediationRecord, Page, Reception, Screening, StaffFilter, StoreError, VisitFilter,
};

use crate::meetings::county_desk;
use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// The setting that holds the ranking's weights.
const WEIGHTS: &str = "ranking_weights";

/// Who arranges the county's side of going to the people: the county's desk and
/// leaders.
pub fn may_arrange(me: &SignedIn) -> bool {
    county_desk(me) || me.staff.has(Role::Leader)
}

/// The areas a person's registers cover: the regions they see whole (`None`: they
/// see no area, only what they did themselves).
fn areas(me: &SignedIn) -> Option<Vec<RegionCode>> {
    (!me.scope.regions.is_empty()).then(|| me.scope.regions.clone())
}

/// Whether `me` sees a record placed in `region`.
fn sees(me: &SignedIn, region: &RegionCode) -> bool {
    me.scope
        .regions
        .iter()
        .any(|r| region.as_str().starts_with(r.prefix()))
}

fn invalid(field: &'static str, error: FieldError) -> Error {
    Error::Invalid(FieldErrors(vec![(field, error)]))
}

/// A reply published with the appellant's consent, as the public reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedReply {
    /// The category's name.
    pub category: String,
    /// The township's name.
    pub township: String,
    /// The appeal's title, personal data taken out.
    pub title: String,
    /// The reply, personal data taken out.
    pub reply: String,
    /// When it was replied.
    pub replied_at: DateTime<Utc>,
}

/// What the contact page shows.
#[derive(Debug, Clone)]
pub struct ContactsView {
    /// Current assignments in `me`'s areas.
    pub contacts: Vec<Contact>,
    /// Villages and communities in `me`'s areas that no cadre is the contact for.
    pub uncovered: Vec<Region>,
    /// The staff who may be assigned, as (id, name).
    pub staff: Vec<(i64, String)>,
    /// The villages and communities a contact may be for.
    pub villages: Vec<Region>,
}

impl App {
    /// Active staff as (id, name), with `role` if given.
    pub async fn staff_choices(&self, role: Option<Role>) -> Result<Vec<(i64, String)>> {
        let filter = StaffFilter {
            active: Some(true),
            role,
            ..StaffFilter::default()
        };
        Ok(self
            .store
            .staff_members(&filter)
            .await?
            .into_iter()
            .map(|m| (m.staff.id, m.staff.display_name))
            .collect())
    }

    /// The villages and communities within `me`'s areas.
    async fn my_villages(&self, me: &SignedIn) -> Result<Vec<Region>> {
        Ok(self
            .store
            .villages()
            .await?
            .into_iter()
            .filter(|v| sees(me, &v.code))
            .collect())
    }

    /// The contact page: assignments, places with no contact, and the form's choices.
    pub async fn contacts_view(&self, me: &SignedIn) -> Result<ContactsView> {
        let villages = self.my_villages(me).await?;
        let contacts: Vec<Contact> = self
            .store
            .contacts(None)
            .await?
            .into_iter()
            .filter(|c| sees(me, &c.region))
            .collect();
        let uncovered = villages
            .iter()
            .filter(|v| {
                !contacts.iter().any(|c| {
                    c.region == v.code
                        && matches!(c.kind, PlaceKind::Village | PlaceKind::Community)
                })
            })
            .cloned()
            .collect();
        Ok(ContactsView {
            contacts,
            uncovered,
            staff: self.staff_choices(None).await?,
            villages,
        })
    }

    /// Makes a cadre the contact for a place (the county's desk and leaders).
    pub async fn add_contact(&self, me: &SignedIn, form: &ContactForm) -> Result<i64> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let staff: Vec<i64> = self
            .staff_choices(None)
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        let contact = form
            .validate(&self.my_villages(me).await?, &staff)
            .map_err(Error::Invalid)?;
        // The same cadre for the same place once.
        let current = self.store.contacts(Some(&contact.region)).await?;
        if current.iter().any(|c| {
            c.kind == contact.kind && c.name == contact.name && c.staff_id == contact.staff
        }) {
            return Err(invalid("staff", FieldError::Taken));
        }
        Ok(self.store.add_contact(&contact, me.staff.id).await?)
    }

    /// Ends an assignment (the county's desk and leaders).
    pub async fn end_contact(&self, me: &SignedIn, id: i64) -> Result<()> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let here = self.store.contacts(None).await?;
        match here.iter().find(|c| c.id == id) {
            Some(c) if sees(me, &c.region) => Ok(self.store.end_contact(id, me.staff.id).await?),
            _ => Err(Error::NotFound),
        }
    }

    /// The contacts for the place of an appeal (shown on its page).
    pub async fn contacts_at(&self, region: &RegionCode) -> Result<Vec<Contact>> {
        Ok(self.store.contacts(Some(region)).await?)
    }

    /// What an appeal's page shows of going to the people: the contact cadres of its
    /// place, the field visits that took it up and its mediation records.
    pub async fn outreach_of(
        &self,
        appeal_id: i64,
        region: &RegionCode,
    ) -> Result<(Vec<Contact>, Vec<FieldVisit>, Vec<Mediation>)> {
        Ok((
            self.contacts_at(region).await?,
            self.store.visits_of_appeal(appeal_id).await?,
            self.store
                .mediations(&[], Some(appeal_id), 1, 50)
                .await?
                .items,
        ))
    }

    /// Reception days from now on, the soonest first (published on the portal).
    pub async fn upcoming_receptions(&self, limit: i64) -> Result<Vec<Reception>> {
        Ok(self.store.receptions(minsheng_store::now(), limit).await?)
    }

    /// Schedules a leader's reception day (the county's desk and leaders).
    pub async fn schedule_reception(&self, me: &SignedIn, form: &ReceptionForm) -> Result<i64> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let leaders: Vec<i64> = self
            .staff_choices(Some(Role::Leader))
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        let reception = form.validate(&leaders).map_err(Error::Invalid)?;
        Ok(self.store.add_reception(&reception, me.staff.id).await?)
    }

    /// A reception day visitors may be registered at now (else why not, as a field
    /// error of `reception`).
    pub async fn open_reception(&self, id: i64) -> Result<Reception> {
        let r = match self.store.reception(id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => {
                return Err(invalid("reception", FieldError::UnknownChoice));
            }
            Err(e) => return Err(e.into()),
        };
        if minsheng_core::outreach::reception_open(r.starts_at, r.ends_at, minsheng_store::now()) {
            Ok(r)
        } else {
            Err(invalid("reception", FieldError::NotOpen))
        }
    }

    /// Field visits `me` sees, the latest first: those in their areas, or only their
    /// own when they see no area.
    pub async fn visits(&self, me: &SignedIn, page: i64) -> Result<Page<FieldVisit>> {
        let filter = match areas(me) {
            Some(areas) => VisitFilter {
                areas,
                ..VisitFilter::default()
            },
            None => VisitFilter {
                staff: Some(me.staff.id),
                ..VisitFilter::default()
            },
        };
        Ok(self.store.visits(&filter, page, 50).await?)
    }

    /// One field visit, if `me` sees it.
    pub async fn visit(&self, me: &SignedIn, id: i64) -> Result<FieldVisit> {
        let v = self.store.visit(id).await?;
        if v.staff_id == me.staff.id || sees(me, &v.region) {
            Ok(v)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Plans or logs a field visit (a new one, or `id`, which only its cadre or the
    /// county's desk may change); the cases it names must be ones `me` sees.
    pub async fn save_visit(
        &self,
        me: &SignedIn,
        id: Option<i64>,
        form: &VisitForm,
    ) -> Result<i64> {
        if let Some(id) = id {
            let v = self.visit(me, id).await?;
            if v.staff_id != me.staff.id && !county_desk(me) {
                return Err(Error::Forbidden);
            }
        }
        let mut villages = self.my_villages(me).await?;
        if villages.is_empty() {
            // A bureau's cadre goes anywhere in the county.
            villages = self.store.villages().await?;
        }
        let visit = form
            .validate(&villages, self.today())
            .map_err(Error::Invalid)?;
        let mut cases = Vec::with_capacity(visit.cases.len());
        for no in &visit.cases {
            match self.store.appeal(no, &me.scope).await {
                Ok(a) => cases.push((a.summary.id, visit.resolved.contains(no))),
                Err(StoreError::NotFound) => {
                    return Err(invalid("cases", FieldError::UnknownChoice));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self
            .store
            .save_visit(id, &visit, &cases, me.staff.id)
            .await?)
    }

    /// Screening campaigns.
    /// Screening campaigns, their disputes counted in `me`'s areas (someone who sees
    /// no area has none).
    pub async fn screenings(&self, me: &SignedIn) -> Result<Vec<Screening>> {
        let Some(areas) = areas(me) else {
            return Err(Error::Forbidden);
        };
        Ok(self.store.screenings(&areas).await?)
    }

    /// The areas a campaign may cover: the county and its townships, within `me`'s.
    pub async fn screening_areas(&self, me: &SignedIn) -> Result<Vec<Region>> {
        let Some(county) = self.store.county().await? else {
            return Ok(Vec::new());
        };
        let mut areas = vec![county.clone()];
        areas.extend(self.store.children(&county.code).await?);
        Ok(areas.into_iter().filter(|r| sees(me, &r.code)).collect())
    }

    /// Starts a screening campaign (the county's desk and leaders).
    pub async fn start_screening(&self, me: &SignedIn, form: &ScreeningForm) -> Result<i64> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let screening = form
            .validate(&self.screening_areas(me).await?)
            .map_err(Error::Invalid)?;
        Ok(self.store.add_screening(&screening, me.staff.id).await?)
    }

    /// Reports a potential dispute in one of `me`'s villages.
    pub async fn report_dispute(&self, me: &SignedIn, form: &DisputeForm) -> Result<i64> {
        let screenings: Vec<i64> = self
            .store
            .screenings(&[])
            .await?
            .iter()
            .map(|s| s.id)
            .collect();
        let dispute = form
            .validate(&screenings, &self.my_villages(me).await?)
            .map_err(Error::Invalid)?;
        Ok(self.store.report_dispute(&dispute, me.staff.id).await?)
    }

    /// The risk register within `me`'s areas (someone who sees no area has none).
    pub async fn disputes(
        &self,
        me: &SignedIn,
        filter: DisputeFilter,
        page: i64,
    ) -> Result<Page<Dispute>> {
        let Some(areas) = areas(me) else {
            return Err(Error::Forbidden);
        };
        Ok(self
            .store
            .disputes(&DisputeFilter { areas, ..filter }, page, 50)
            .await?)
    }

    /// One dispute with its follow-ups and mediations, if `me` sees it.
    pub async fn dispute(
        &self,
        me: &SignedIn,
        id: i64,
    ) -> Result<(Dispute, Vec<DisputeNote>, Vec<Mediation>)> {
        let found = self.store.dispute(id).await?;
        if sees(me, &found.0.region) || found.0.reported_by == me.staff.id {
            Ok(found)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Records a follow-up on a dispute `me` sees (not one become an appeal).
    pub async fn follow_up(&self, me: &SignedIn, id: i64, form: &FollowUpForm) -> Result<()> {
        let (d, _, _) = self.dispute(me, id).await?;
        if d.state == DisputeState::Case {
            return Err(invalid("state", FieldError::AlreadyDone));
        }
        let f = form.validate().map_err(Error::Invalid)?;
        Ok(self.store.follow_up(id, &f, me.staff.id).await?)
    }

    /// A dispute that may be registered as an appeal now (open or followed, seen by
    /// `me`), else why not as a field error of `dispute`.
    pub async fn dispute_to_register(&self, me: &SignedIn, id: i64) -> Result<Dispute> {
        match self.dispute(me, id).await {
            Ok((d, _, _)) if matches!(d.state, DisputeState::Open | DisputeState::Following) => {
                Ok(d)
            }
            Ok(_) => Err(invalid("dispute", FieldError::AlreadyDone)),
            Err(Error::NotFound | Error::Store(StoreError::NotFound)) => {
                Err(invalid("dispute", FieldError::UnknownChoice))
            }
            Err(e) => Err(e),
        }
    }

    /// The parties of a dispute in full, for roles that may read personal data, in
    /// the dispute's area, who say why (on record).
    pub async fn reveal_parties(&self, me: &SignedIn, id: i64, reason: &str) -> Result<String> {
        if !me.staff.roles.iter().any(|r| r.may_reveal_personal_data()) {
            return Err(Error::Forbidden);
        }
        let reason = crate::cases::check_reason(reason)?;
        self.dispute(me, id).await?;
        Ok(self.store.reveal_parties(id, me.staff.id, &reason).await?)
    }

    /// Records a mediation of a dispute or an appeal `me` sees (placed where the
    /// dispute is, else where the appeal is); the mediator is any active staff member.
    pub async fn record_mediation(&self, me: &SignedIn, form: &MediationForm) -> Result<i64> {
        let dispute = match form.dispute.trim().parse::<i64>() {
            Ok(id) => self.dispute(me, id).await.ok().map(|(d, _, _)| d),
            Err(_) => None,
        };
        let disputes: Vec<i64> = dispute.iter().map(|d| d.id).collect();
        let mediators: Vec<i64> = self
            .staff_choices(None)
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        let record = form
            .validate(&disputes, &mediators)
            .map_err(Error::Invalid)?;
        let appeal = match &record.appeal {
            Some(no) => match self.store.appeal(no, &me.scope).await {
                Ok(a) => Some(a.summary),
                Err(StoreError::NotFound) => {
                    return Err(invalid("appeal", FieldError::UnknownChoice));
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let region = match (&dispute, &appeal) {
            (Some(d), _) => d.region.clone(),
            (None, Some(a)) => a.region_code.clone(),
            (None, None) => return Err(invalid("dispute", FieldError::Required)),
        };
        let record = MediationRecord {
            record,
            appeal_id: appeal.map(|a| a.id),
            region,
        };
        Ok(self.store.record_mediation(&record, me.staff.id).await?)
    }

    /// Mediation records in `me`'s areas, the latest first (someone who sees no area
    /// has none).
    pub async fn mediations(&self, me: &SignedIn, page: i64) -> Result<Page<Mediation>> {
        let Some(areas) = areas(me) else {
            return Err(Error::Forbidden);
        };
        Ok(self.store.mediations(&areas, None, page, 50).await?)
    }

    /// Replies the appellants agreed to publish, with names and long numbers taken
    /// out, the latest first.
    pub async fn published_replies(&self, page: i64, lang: Lang) -> Result<Page<PublishedReply>> {
        let found = self.store.consented_replies(page, 20).await?;
        let directory = self.directory().await?;
        let region_name = |code: &RegionCode| {
            let township = minsheng_core::kpi::township_of(code);
            directory
                .regions
                .iter()
                .find(|r| r.region.code == township)
                .map(|r| r.region.name.clone())
                .unwrap_or_default()
        };
        let items = found
            .items
            .into_iter()
            .map(|r| {
                let names: Vec<&str> = r.names.iter().map(String::as_str).collect();
                PublishedReply {
                    category: directory
                        .categories
                        .iter()
                        .find(|c| c.code == r.category)
                        .map(|c| c.label(lang).to_owned())
                        .unwrap_or(r.category.clone()),
                    township: region_name(&r.region),
                    title: published_reply(&r.title, &names),
                    reply: published_reply(&r.reply, &names),
                    replied_at: r.replied_at,
                }
            })
            .collect();
        Ok(Page {
            items,
            total: found.total,
            page: found.page,
            per_page: found.per_page,
        })
    }

    /// Opens a public consultation (the county's desk and leaders).
    pub async fn open_consultation(&self, me: &SignedIn, form: &ConsultationForm) -> Result<i64> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let c = form.validate().map_err(Error::Invalid)?;
        Ok(self.store.add_consultation(&c, me.staff.id).await?)
    }

    /// Consultations, the latest opened first.
    pub async fn consultations(&self, page: i64) -> Result<Page<Consultation>> {
        Ok(self.store.consultations(page, 20).await?)
    }

    /// One consultation.
    pub async fn consultation(&self, id: i64) -> Result<Consultation> {
        Ok(self.store.consultation(id).await?)
    }

    /// Whether a consultation takes opinions today.
    pub fn takes_opinions(&self, c: &Consultation) -> bool {
        let today = self.today();
        c.opens <= today && today <= c.closes && c.response.is_none()
    }

    /// Takes an opinion from the public while the consultation is open.
    pub async fn give_opinion(&self, id: i64, text: &str) -> Result<()> {
        let c = self.consultation(id).await?;
        if !self.takes_opinions(&c) {
            return Err(invalid("opinion", FieldError::NotOpen));
        }
        let text = check_opinion(text).map_err(Error::Invalid)?;
        self.store.add_opinion(id, &text).await?;
        Ok(())
    }

    /// The opinions on a consultation (staff who arrange consultations).
    pub async fn opinions(&self, me: &SignedIn, id: i64) -> Result<Vec<(DateTime<Utc>, String)>> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        Ok(self.store.opinions(id).await?)
    }

    /// Publishes the response to a consultation (the county's desk and leaders).
    pub async fn respond(&self, me: &SignedIn, id: i64, text: &str) -> Result<()> {
        if !may_arrange(me) {
            return Err(Error::Forbidden);
        }
        let text = check_response(text).map_err(Error::Invalid)?;
        Ok(self.store.respond(id, &text, me.staff.id).await?)
    }

    /// The weights the ranking uses: the county's own, or the defaults.
    pub async fn ranking_weights(&self) -> Result<Weights> {
        Ok(match self.store.setting(WEIGHTS).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Weights::default(),
        })
    }

    /// Sets the ranking's weights from the county's form (administrators).
    pub async fn set_ranking_weights(
        &self,
        me: &SignedIn,
        fields: &[(String, String)],
    ) -> Result<Weights> {
        if !me.staff.has(Role::Admin) {
            return Err(Error::Forbidden);
        }
        let weights = Weights::from_form(fields).map_err(Error::Invalid)?;
        let json = serde_json::to_string(&weights).map_err(|e| Error::Output(e.to_string()))?;
        self.store.set_setting(WEIGHTS, &json, me.staff.id).await?;
        Ok(weights)
    }
}
