//! Going to the people, and settling disputes before they become appeals: contact
//! responsibility (包村居、企业、学校), leader reception days (领导接访日), field visits
//! (下访), dispute screening (矛盾纠纷排查) with its risk register, people's mediation
//! (人民调解), publishing replies the appellants agreed to publish, and public
//! consultations on proposed decisions (民主决策). The forms are checked here; the
//! store keeps the registers and the application layer audits every change.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::AppealNo;
use crate::clock::china;
use crate::form::Check;
use crate::i18n::{Lang, pick};
use crate::intake::{FieldError, FieldErrors};
use crate::region::{Region, RegionCode};

/// The longest name, title or place.
pub const MAX_NAME: usize = 100;
/// The longest free text (a summary, notes, an agreement, a proposal).
pub const MAX_TEXT: usize = 5_000;
/// The longest opinion a member of the public may send on a consultation.
pub const MAX_OPINION: usize = 2_000;

labelled_enum! {
    /// What a cadre is the contact for.
    PlaceKind {
        /// 村
        Village = "village", "村", "village";
        /// 社区
        Community = "community", "社区", "community";
        /// 企业
        Enterprise = "enterprise", "企业", "enterprise";
        /// 学校
        School = "school", "学校", "school";
    }
}

/// A contact assignment as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    /// [`PlaceKind`] code.
    pub kind: String,
    /// The village or community (for an enterprise or school: where it lies).
    pub region: String,
    /// The enterprise's or school's name (a village's or community's is its own).
    pub name: String,
    /// The cadre's staff id.
    pub staff: String,
}

/// A contact assignment, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// What kind of place.
    pub kind: PlaceKind,
    /// Where.
    pub region: RegionCode,
    /// The place's name.
    pub name: String,
    /// The cadre.
    pub staff: i64,
}

impl ContactForm {
    /// Checks the form against the county's villages and its staff.
    pub fn validate(&self, villages: &[Region], staff: &[i64]) -> Result<NewContact, FieldErrors> {
        let mut c = Check::new();
        let kind = c.choice("kind", &self.kind, PlaceKind::from_code);
        let region = c.choice("region", &self.region, |v| {
            villages.iter().find(|r| r.code.as_str() == v).cloned()
        });
        let staff = c.one_of("staff", &self.staff, staff);
        let name = match (kind, &region) {
            (Some(PlaceKind::Village | PlaceKind::Community), Some(r)) => r.name.clone(),
            _ => c.name("name", &self.name, 2, MAX_NAME),
        };
        let contact = match (kind, region, staff) {
            (Some(kind), Some(region), Some(staff)) => Some(NewContact {
                kind,
                region: region.code,
                name,
                staff,
            }),
            _ => None,
        };
        c.done(contact)
    }
}

/// A reception day as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ReceptionForm {
    /// The receiving leader's staff id.
    pub leader: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// From, `HH:MM` China time.
    pub from: String,
    /// To, `HH:MM`.
    pub to: String,
    /// Where, e.g. 县信访局接待大厅.
    pub place: String,
    /// What it is about, if anything in particular (e.g. 征地拆迁).
    pub topic: String,
}

/// A reception day, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReception {
    /// The leader receiving.
    pub leader: i64,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Its topic (may be empty).
    pub topic: String,
}

/// The instant `time` on `day`, China time.
fn at_china(day: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    day.and_time(time)
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

impl ReceptionForm {
    /// Checks the form; `leaders` are the staff who may receive (leaders).
    pub fn validate(&self, leaders: &[i64]) -> Result<NewReception, FieldErrors> {
        let mut c = Check::new();
        let leader = c.one_of("leader", &self.leader, leaders);
        let day = c.day("day", &self.day);
        let from = c.time("from", &self.from);
        let to = c.time("to", &self.to);
        let place = c.name("place", &self.place, 2, MAX_NAME);
        let topic = c.name("topic", &self.topic, 0, MAX_NAME);
        let times = match (day, from, to) {
            (Some(day), Some(from), Some(to)) if to > from => {
                at_china(day, from).zip(at_china(day, to))
            }
            (Some(_), Some(_), Some(_)) => {
                c.refuse("to", FieldError::EndBeforeStart);
                None
            }
            _ => None,
        };
        let reception = match (leader, times) {
            (Some(leader), Some((starts_at, ends_at))) => Some(NewReception {
                leader,
                starts_at,
                ends_at,
                place,
                topic,
            }),
            _ => None,
        };
        c.done(reception)
    }
}

/// The label of an appeal registered at a reception day (counted as its visitors).
pub fn reception_tag(reception: i64) -> String {
    format!("reception:{reception}")
}

/// Whether visitors may be registered at a reception at `now`: from an hour before it
/// starts to the end of its day (a reception runs over).
pub fn reception_open(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let end_of_day = crate::clock::end_of_day(ends_at.with_timezone(&china()).date_naive());
    now >= starts_at - chrono::Duration::hours(1) && now <= end_of_day
}

labelled_enum! {
    /// Where a field visit stands.
    VisitState {
        /// Planned.
        Planned = "planned", "计划下访", "planned";
        /// Made and logged.
        Done = "done", "已下访", "done";
    }
}

/// A field visit as the form sends it: planned (a day to come, a purpose) or logged
/// (who was met, what was done, the cases it took up and those settled there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct VisitForm {
    /// The village or community visited.
    pub region: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Why (e.g. 走访供暖困难户).
    pub purpose: String,
    /// Whom they met (e.g. 村两委、12户居民代表).
    pub people: String,
    /// What was done and found.
    pub notes: String,
    /// Appeal numbers the visit took up, separated by spaces, commas or 、.
    pub cases: String,
    /// Those of them settled on the visit.
    pub resolved: String,
    /// "on" when the visit was made (a log, not a plan).
    pub done: String,
}

/// A field visit, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVisit {
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
    /// The cases it took up (settled ones included).
    pub cases: Vec<AppealNo>,
    /// The cases settled on it.
    pub resolved: Vec<AppealNo>,
    /// Planned or done.
    pub state: VisitState,
}

/// Appeal numbers in a line typed by a person: separated by spaces, commas, 、 or
/// semicolons; `None` if any is not an appeal number.
pub fn appeal_numbers(text: &str) -> Option<Vec<AppealNo>> {
    let mut out: Vec<AppealNo> = Vec::new();
    for piece in text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|p| !p.is_empty())
    {
        let no = AppealNo::parse(piece).ok()?;
        if !out.contains(&no) {
            out.push(no);
        }
    }
    Some(out)
}

impl VisitForm {
    /// Checks the form: a visit logged as done is on or before `today`, says whom it
    /// met, and may name cases settled on it; a plan may not.
    pub fn validate(&self, villages: &[Region], today: NaiveDate) -> Result<NewVisit, FieldErrors> {
        let mut c = Check::new();
        let region = c.choice("region", &self.region, |v| {
            villages
                .iter()
                .find(|r| r.code.as_str() == v)
                .map(|r| r.code.clone())
        });
        let on = c.day("day", &self.day);
        let done = self.done == "on";
        let purpose = c.text("purpose", &self.purpose, 2, 500);
        let people = c.text("people", &self.people, if done { 2 } else { 0 }, 500);
        let notes = c.text("notes", &self.notes, 0, MAX_TEXT);
        let cases = c.choice("cases", &self.cases, appeal_numbers);
        let resolved = c.choice("resolved", &self.resolved, appeal_numbers);
        if done && on.is_some_and(|d| d > today) {
            c.refuse("day", FieldError::InFuture);
        }
        if !done && resolved.as_ref().is_some_and(|r| !r.is_empty()) {
            c.refuse("resolved", FieldError::UnknownChoice);
        }
        let visit = match (region, on, cases, resolved) {
            (Some(region), Some(on), Some(mut cases), Some(resolved)) => {
                for no in &resolved {
                    if !cases.contains(no) {
                        cases.push(no.clone());
                    }
                }
                Some(NewVisit {
                    region,
                    on,
                    purpose,
                    people,
                    notes,
                    cases,
                    resolved,
                    state: if done {
                        VisitState::Done
                    } else {
                        VisitState::Planned
                    },
                })
            }
            _ => None,
        };
        c.done(visit)
    }
}

labelled_enum! {
    /// The kind of a potential dispute, as 矛盾纠纷排查 registers count them.
    DisputeKind {
        /// 邻里纠纷
        Neighbour = "neighbour", "邻里纠纷", "between neighbours";
        /// 婚姻家庭纠纷
        Family = "family", "婚姻家庭纠纷", "marriage and family";
        /// 土地山林纠纷
        Land = "land", "土地山林纠纷", "land and forest";
        /// 劳资纠纷
        Wages = "wages", "劳资纠纷", "wages and labour";
        /// 征地拆迁纠纷
        Demolition = "demolition", "征地拆迁纠纷", "land taking and demolition";
        /// 物业纠纷
        Property = "property", "物业纠纷", "property management";
        /// 医疗纠纷
        Medical = "medical", "医疗纠纷", "medical";
        /// 其他纠纷
        Other = "other", "其他纠纷", "other";
    }
}

labelled_enum! {
    /// How likely a dispute is to turn into a case, or worse.
    Risk {
        /// 高: could escalate to violence or a mass incident.
        High = "high", "高风险", "high";
        /// 中
        Medium = "medium", "中风险", "medium";
        /// 低
        Low = "low", "低风险", "low";
    }
}

labelled_enum! {
    /// Where a screened dispute stands in the risk register.
    DisputeState {
        /// Found, not yet worked on.
        Open = "open", "待化解", "open";
        /// Being followed up.
        Following = "following", "跟进中", "being followed up";
        /// Settled.
        Resolved = "resolved", "已化解", "settled";
        /// Registered as an appeal (a case takes it from here).
        Case = "case", "已转为诉求", "became an appeal";
    }
}

/// A screening campaign as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ScreeningForm {
    /// 排查活动名称, e.g. 2026年冬季矛盾纠纷大排查.
    pub title: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The township (or the county) it covers.
    pub region: String,
}

/// A screening campaign, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScreening {
    /// Its name.
    pub title: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// What it covers.
    pub region: RegionCode,
}

impl ScreeningForm {
    /// Checks the form against the county and its townships (`areas`).
    pub fn validate(&self, areas: &[Region]) -> Result<NewScreening, FieldErrors> {
        let mut c = Check::new();
        let title = c.name("title", &self.title, 2, MAX_NAME);
        let from = c.day("from", &self.from);
        let to = c.day("to", &self.to);
        let region = c.choice("region", &self.region, |v| {
            areas
                .iter()
                .find(|r| r.code.as_str() == v)
                .map(|r| r.code.clone())
        });
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            c.refuse("to", FieldError::EndBeforeStart);
        }
        let screening = match (from, to, region) {
            (Some(from), Some(to), Some(region)) => Some(NewScreening {
                title,
                from,
                to,
                region,
            }),
            _ => None,
        };
        c.done(screening)
    }
}

/// A potential dispute as a grid worker or village cadre reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DisputeForm {
    /// The campaign it was found in (empty: found in daily work).
    pub screening: String,
    /// The village or community.
    pub region: String,
    /// [`DisputeKind`] code.
    pub kind: String,
    /// [`Risk`] code.
    pub risk: String,
    /// The parties (personal data: sealed, shown masked).
    pub parties: String,
    /// What it is about.
    pub summary: String,
}

/// A reported dispute, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDispute {
    /// The campaign.
    pub screening: Option<i64>,
    /// Where.
    pub region: RegionCode,
    /// Its kind.
    pub kind: DisputeKind,
    /// Its risk.
    pub risk: Risk,
    /// The parties, in full (the store seals them).
    pub parties: String,
    /// What it is about.
    pub summary: String,
}

impl DisputeForm {
    /// Checks the form against the campaigns and villages that exist.
    pub fn validate(
        &self,
        screenings: &[i64],
        villages: &[Region],
    ) -> Result<NewDispute, FieldErrors> {
        let mut c = Check::new();
        let screening = if self.screening.trim().is_empty() {
            Some(None)
        } else {
            c.one_of("screening", &self.screening, screenings).map(Some)
        };
        let region = c.choice("region", &self.region, |v| {
            villages
                .iter()
                .find(|r| r.code.as_str() == v)
                .map(|r| r.code.clone())
        });
        let kind = c.choice("kind", &self.kind, DisputeKind::from_code);
        let risk = c.choice("risk", &self.risk, Risk::from_code);
        let parties = c.text("parties", &self.parties, 2, 500);
        let summary = c.text("summary", &self.summary, 5, MAX_TEXT);
        let dispute = match (screening, region, kind, risk) {
            (Some(screening), Some(region), Some(kind), Some(risk)) => Some(NewDispute {
                screening,
                region,
                kind,
                risk,
                parties,
                summary,
            }),
            _ => None,
        };
        c.done(dispute)
    }
}

/// A follow-up on a dispute as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FollowUpForm {
    /// What was done or found.
    pub note: String,
    /// The risk now.
    pub risk: String,
    /// Where it stands now (open, following or resolved; a dispute becomes an appeal
    /// only by being registered as one).
    pub state: String,
}

/// A follow-up, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// What was done.
    pub note: String,
    /// The risk now.
    pub risk: Risk,
    /// Where it stands now.
    pub state: DisputeState,
}

impl FollowUpForm {
    /// Checks the form.
    pub fn validate(&self) -> Result<FollowUp, FieldErrors> {
        let mut c = Check::new();
        let note = c.text("note", &self.note, 2, MAX_TEXT);
        let risk = c.choice("risk", &self.risk, Risk::from_code);
        let state = c.choice("state", &self.state, |v| {
            DisputeState::from_code(v).filter(|s| *s != DisputeState::Case)
        });
        let follow_up = risk
            .zip(state)
            .map(|(risk, state)| FollowUp { note, risk, state });
        c.done(follow_up)
    }
}

labelled_enum! {
    /// How a mediation ended.
    MediationOutcome {
        /// 调解成功: an agreement.
        Agreed = "agreed", "调解成功", "agreed";
        /// 部分达成
        Partly = "partly", "部分达成协议", "partly agreed";
        /// 调解不成: the parties are told their other ways (lawsuit, arbitration).
        Failed = "failed", "调解不成", "failed";
        /// Still going on.
        Ongoing = "ongoing", "调解中", "ongoing";
    }
}

/// A mediation record (人民调解) as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MediationForm {
    /// The dispute it settles, by id (may be empty).
    pub dispute: String,
    /// The appeal it settles, by number (may be empty).
    pub appeal: String,
    /// The mediator's staff id.
    pub mediator: String,
    /// The day it was held.
    pub held_on: String,
    /// The parties (personal data: sealed, shown masked).
    pub parties: String,
    /// The agreement, or what was said.
    pub agreement: String,
    /// [`MediationOutcome`] code.
    pub outcome: String,
    /// When to check the agreement is kept (may be empty).
    pub follow_up_on: String,
    /// "on" when judicial confirmation (司法确认) was requested.
    pub judicial: String,
}

/// A mediation record, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMediation {
    /// The dispute.
    pub dispute: Option<i64>,
    /// The appeal.
    pub appeal: Option<AppealNo>,
    /// The mediator.
    pub mediator: i64,
    /// When.
    pub held_on: NaiveDate,
    /// The parties, in full.
    pub parties: String,
    /// The agreement.
    pub agreement: String,
    /// How it ended.
    pub outcome: MediationOutcome,
    /// When to check on it.
    pub follow_up_on: Option<NaiveDate>,
    /// Whether judicial confirmation was requested.
    pub judicial: bool,
}

impl MediationForm {
    /// Checks the form against the disputes and mediators that exist.
    pub fn validate(
        &self,
        disputes: &[i64],
        mediators: &[i64],
    ) -> Result<NewMediation, FieldErrors> {
        let mut c = Check::new();
        let dispute = if self.dispute.trim().is_empty() {
            Some(None)
        } else {
            c.one_of("dispute", &self.dispute, disputes).map(Some)
        };
        let appeal = if self.appeal.trim().is_empty() {
            Some(None)
        } else {
            c.choice("appeal", &self.appeal, |v| AppealNo::parse(v).ok())
                .map(Some)
        };
        let mediator = c.one_of("mediator", &self.mediator, mediators);
        let held_on = c.day("held_on", &self.held_on);
        let parties = c.text("parties", &self.parties, 2, 500);
        let agreement = c.text("agreement", &self.agreement, 2, MAX_TEXT);
        let outcome = c.choice("outcome", &self.outcome, MediationOutcome::from_code);
        let follow_up_on = c.optional_day("follow_up_on", &self.follow_up_on);
        // A mediation settles a dispute on the register or an appeal (or both).
        if self.dispute.trim().is_empty() && self.appeal.trim().is_empty() {
            c.refuse("dispute", FieldError::Required);
        }
        if let (Some(h), Some(f)) = (held_on, follow_up_on)
            && f < h
        {
            c.refuse("follow_up_on", FieldError::EndBeforeStart);
        }
        let record = match (dispute, appeal, mediator, held_on, outcome) {
            (Some(dispute), Some(appeal), Some(mediator), Some(held_on), Some(outcome)) => {
                Some(NewMediation {
                    dispute,
                    appeal,
                    mediator,
                    held_on,
                    parties,
                    agreement,
                    outcome,
                    follow_up_on,
                    judicial: self.judicial == "on",
                })
            }
            _ => None,
        };
        c.done(record)
    }
}

/// Words that say a party's role, not who they are: kept unmasked (in brackets or
/// standing alone).
const ROLE_WORDS: &[&str] = &[
    "申请人",
    "被申请人",
    "当事人",
    "一方",
    "另一方",
    "双方",
    "村民",
    "居民",
    "业主",
    "租户",
    "工人",
    "农民工",
    "老板",
    "雇主",
    "房东",
    "物业",
    "原告",
    "被告",
    "丈夫",
    "妻子",
    "家属",
    "代理人",
    "户主",
    "包工头",
    "租客",
    "村委会",
    "居委会",
    "村集体",
    "施工方",
    "开发商",
];

/// The parties as lists show them: each name masked to its surname (张三、李四 →
/// 张*、李*), inside brackets too unless it is a role word (（村民）stays), long
/// numbers hidden; separators stay.
pub fn mask_parties(parties: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            if ROLE_WORDS.contains(&word.as_str()) {
                out.push_str(word);
            } else {
                out.push_str(&crate::mask::name(word));
            }
            word.clear();
        }
    };
    for ch in crate::mask::numbers_in_text(parties).chars() {
        if ch.is_whitespace() || "、,，;；与和及（）()：:".contains(ch) {
            flush(&mut word, &mut out);
            out.push(ch);
        } else {
            word.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Replaces every occurrence of `name` in `text` by its masked form, however it is
/// spaced there (欧阳 明华 is 欧阳明华).
fn mask_spaced(text: &str, name: &str) -> String {
    let wanted: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    let chars: Vec<char> = text.chars().collect();
    let masked = crate::mask::name(&wanted.iter().collect::<String>());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let (mut j, mut k) = (i, 0);
        while k < wanted.len() && j < chars.len() {
            if chars[j] == wanted[k] {
                k += 1;
                j += 1;
            } else if k > 0 && chars[j].is_whitespace() {
                j += 1;
            } else {
                break;
            }
        }
        if k == wanted.len() && !wanted.is_empty() {
            out.push_str(&masked);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A reply as the public may read it: long numbers hidden, and each of `personal`
/// (the appellant's and representatives' names, their home address) replaced by its
/// masked form wherever it stands, however spaced.
pub fn published_reply(text: &str, personal: &[&str]) -> String {
    let mut out = crate::mask::numbers_in_text(text);
    for p in personal
        .iter()
        .filter(|n| n.chars().filter(|c| !c.is_whitespace()).count() >= 2)
    {
        out = mask_spaced(&out, p);
    }
    out
}

/// A public consultation (民主决策) as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ConsultationForm {
    /// What is proposed, in a line.
    pub title: String,
    /// The proposal in full.
    pub proposal: String,
    /// First day opinions are taken.
    pub opens: String,
    /// Last day.
    pub closes: String,
}

/// A consultation, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConsultation {
    /// Its title.
    pub title: String,
    /// The proposal.
    pub proposal: String,
    /// First day.
    pub opens: NaiveDate,
    /// Last day.
    pub closes: NaiveDate,
}

impl ConsultationForm {
    /// Checks the form.
    pub fn validate(&self) -> Result<NewConsultation, FieldErrors> {
        let mut c = Check::new();
        let title = c.name("title", &self.title, 4, MAX_NAME);
        let proposal = c.text("proposal", &self.proposal, 10, MAX_TEXT);
        let opens = c.day("opens", &self.opens);
        let closes = c.day("closes", &self.closes);
        if let (Some(o), Some(cl)) = (opens, closes)
            && cl < o
        {
            c.refuse("closes", FieldError::EndBeforeStart);
        }
        let consultation = opens.zip(closes).map(|(opens, closes)| NewConsultation {
            title,
            proposal,
            opens,
            closes,
        });
        c.done(consultation)
    }
}

/// Checks an opinion sent on a consultation.
pub fn check_opinion(text: &str) -> Result<String, FieldErrors> {
    let mut c = Check::new();
    let text = c.text("opinion", text, 5, MAX_OPINION);
    c.done(Some(text))
}

/// Checks the published response to a consultation's opinions.
pub fn check_response(text: &str) -> Result<String, FieldErrors> {
    let mut c = Check::new();
    let text = c.text("response", text, 10, MAX_TEXT);
    c.done(Some(text))
}

#[cfg(test)]
mod tests;
