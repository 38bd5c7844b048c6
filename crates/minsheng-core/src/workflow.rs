//! The case workflow as a pure decision function.
//!
//! A case's state is never stored on its own: it is the fold of its events
//! ([`Case::apply`]). [`decide`] takes the case, a command, the acting staff member, the
//! policy and the time, and returns exactly one event (or why not), plus the effects the
//! caller must carry out. Deadlines are derived from the case and the calendar by
//! [`Case::clocks`], never kept as counters.
//!
//! Three tracks (chosen per appeal by [`Policy::track_for`]):
//! - petition (信访事项, 信访工作条例 2022): accept / decline / transfer within 15 days,
//!   handle within 60 days (one extension of up to 30), reply, review and re-review;
//! - work order (12345 工单): dispatch, sign-for within working hours, reply within
//!   working days, return visit, one redo, then a supervisor;
//! - litigation-related (涉法涉诉): advised to a legal channel, never the petition track.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::appeal::AppealKind;
use crate::clock::{BeyondCalendar, Calendar, Light, Limit, WorkingHours, end_of_day, local_day};
use crate::i18n::{Explain, Lang, pick};
use crate::notify::{AppellantNotice, Notice, Recipients};
use crate::region::RegionCode;
use crate::staff::{Role, Scope};
use crate::unit::{Unit, barred};

/// Which rules a case follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Track {
    /// 信访事项: statutory calendar-day clocks.
    Petition,
    /// 12345 工单: working-day clocks.
    WorkOrder,
    /// 涉法涉诉: guided to a legal channel.
    Legal,
}

/// Where a case stands. Every state is listed in docs/workflow.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    /// Received and numbered; waiting for acceptance (petition) or dispatch (work order).
    Registered,
    /// Petition accepted (受理); being handled.
    Accepted,
    /// Petition not accepted (不予受理); the proper channel was named.
    Declined,
    /// Petition transferred to the competent organ (转送).
    Transferred,
    /// Petition answered in writing (答复意见); the review window runs.
    Replied,
    /// Review (复查) requested; the opinion is due.
    UnderReview,
    /// Review opinion given; the re-review window runs.
    Reviewed,
    /// Re-review (复核) requested; the decision is due.
    UnderReReview,
    /// Re-review decided: the matter is final and not accepted again.
    Final,
    /// Work order sent to a lead unit; waiting for sign-for (签收).
    Dispatched,
    /// Returned by the unit (退单); the dispatch centre must decide.
    Returned,
    /// Signed for; being handled.
    Handling,
    /// The unit replied (办结); waiting for the return visit (回访).
    Answered,
    /// Unsatisfied twice: with a supervisor.
    Escalated,
    /// Litigation-related: the appellant was advised which legal channel to use.
    LegalAdvised,
    /// Done.
    Closed,
    /// Merged into another case.
    Merged,
}

/// Why a work order may be returned (退单理由), a fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReturnReason {
    /// 属地不符
    WrongPlace,
    /// 权属不清
    UnclearOwnership,
    /// 职能交叉
    OverlappingDuties,
    /// 其他
    Other,
}

/// How a call to the appellant went (联系群众).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// 已接通
    Reached,
    /// 无人接听
    NoAnswer,
    /// 号码错误
    WrongNumber,
}

impl ContactOutcome {
    /// All, in display order.
    pub const ALL: [ContactOutcome; 3] = [
        ContactOutcome::Reached,
        ContactOutcome::NoAnswer,
        ContactOutcome::WrongNumber,
    ];

    /// The stable identifier used in forms and the API.
    pub fn code(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "reached",
            ContactOutcome::NoAnswer => "no_answer",
            ContactOutcome::WrongNumber => "wrong_number",
        }
    }

    /// Parses the identifier.
    pub fn from_code(code: &str) -> Option<ContactOutcome> {
        ContactOutcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ContactOutcome::Reached => pick(lang, "已接通", "reached"),
            ContactOutcome::NoAnswer => pick(lang, "无人接听", "no answer"),
            ContactOutcome::WrongNumber => pick(lang, "号码错误", "wrong number"),
        }
    }
}

impl ReturnReason {
    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ReturnReason::WrongPlace => pick(lang, "属地不符", "not in our area"),
            ReturnReason::UnclearOwnership => pick(lang, "权属不清", "unclear ownership"),
            ReturnReason::OverlappingDuties => pick(lang, "职能交叉", "overlapping duties"),
            ReturnReason::Other => pick(lang, "其他", "other"),
        }
    }
}

/// The appellant's verdict at the return visit (满意度), three grades as hotlines ask it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rating {
    /// 满意
    Satisfied,
    /// 基本满意
    Basic,
    /// 不满意: the case is handled again.
    Unsatisfied,
}

impl Rating {
    /// Every grade, best first.
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Basic, Rating::Unsatisfied];

    /// Whether the case may close on it (满意 or 基本满意).
    pub fn content(self) -> bool {
        self != Rating::Unsatisfied
    }

    /// The stable identifier used in forms and the API.
    pub fn code(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basic => "basic",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    /// Parses the identifier.
    pub fn from_code(code: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Rating::Satisfied => pick(lang, "满意", "satisfied"),
            Rating::Basic => pick(lang, "基本满意", "fairly satisfied"),
            Rating::Unsatisfied => pick(lang, "不满意", "not satisfied"),
        }
    }

    /// Reads a stored grade, or the yes/no of records from before the three grades.
    fn read<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Rating, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Grade(Rating),
            YesNo(bool),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Grade(r) => r,
            Stored::YesNo(true) => Rating::Satisfied,
            Stored::YesNo(false) => Rating::Unsatisfied,
        })
    }
}

/// Whether the problem was actually solved (解决情况), asked apart from the rating: a
/// polite 满意 on an unsolved problem is a sign of a false closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Solved {
    /// 已解决
    Solved,
    /// 部分解决
    Partly,
    /// 未解决
    Unsolved,
}

impl Solved {
    /// Every answer, best first.
    pub const ALL: [Solved; 3] = [Solved::Solved, Solved::Partly, Solved::Unsolved];

    /// The stable identifier used in forms and the API.
    pub fn code(self) -> &'static str {
        match self {
            Solved::Solved => "solved",
            Solved::Partly => "partly",
            Solved::Unsolved => "unsolved",
        }
    }

    /// Parses the identifier.
    pub fn from_code(code: &str) -> Option<Solved> {
        Solved::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Solved::Solved => pick(lang, "已解决", "solved"),
            Solved::Partly => pick(lang, "部分解决", "partly solved"),
            Solved::Unsolved => pick(lang, "未解决", "not solved"),
        }
    }
}

/// The legal channel a litigation-related matter is advised to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LegalChannel {
    /// 诉讼
    Lawsuit,
    /// 仲裁
    Arbitration,
    /// 行政复议
    AdministrativeReconsideration,
}

/// How urgent a work order is; sets its working-day limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Urgency {
    /// 紧急: 1 working day by default.
    Urgent,
    /// 一般: by kind (help and consultation 3, others 5).
    Normal,
    /// 复杂: 15 working days by default.
    Complex,
}

impl Urgency {
    /// The urgency an appeal of this kind starts with: disputes are complex.
    pub fn for_kind(kind: AppealKind) -> Urgency {
        if kind == AppealKind::Dispute {
            Urgency::Complex
        } else {
            Urgency::Normal
        }
    }
}

impl Track {
    /// The stable identifier stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Track::Petition => "petition",
            Track::WorkOrder => "work_order",
            Track::Legal => "legal",
        }
    }

    /// Parses the stored identifier.
    pub fn from_code(code: &str) -> Option<Track> {
        [Track::Petition, Track::WorkOrder, Track::Legal]
            .into_iter()
            .find(|t| t.code() == code)
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Track::Petition => pick(lang, "信访事项", "petition"),
            Track::WorkOrder => pick(lang, "工单", "work order"),
            Track::Legal => pick(lang, "涉法涉诉", "litigation-related"),
        }
    }
}

/// The fixed facts of an appeal a case is built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// Database id of the appeal.
    pub id: i64,
    /// Its kind.
    pub kind: AppealKind,
    /// Its category code.
    pub category: String,
    /// Where it happened.
    pub region: RegionCode,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The unit it was routed to at registration.
    pub routed_unit: Option<i64>,
    /// The co-handlers routing named (used when the case opens; a work order keeps them
    /// in its dispatch step).
    #[serde(default)]
    pub routed_co: Vec<i64>,
    /// The units the appeal accuses (举报), which must stand aside (回避).
    #[serde(default)]
    pub accused: Vec<i64>,
}

impl CaseFacts {
    /// The facts of an appeal about to be registered (its id is not known yet).
    pub fn of(appeal: &crate::intake::NewAppeal, routing: &crate::routing::Routing) -> CaseFacts {
        CaseFacts {
            id: 0,
            kind: appeal.kind,
            category: appeal.category.clone(),
            region: appeal.region.clone(),
            received_at: appeal.received_at,
            routed_unit: routing.lead,
            routed_co: routing.co.clone(),
            accused: routing.accused.clone(),
        }
    }
}

/// A staff member acting on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Staff id.
    pub id: i64,
    /// Home unit.
    pub unit_id: i64,
    /// Roles held.
    pub roles: Vec<Role>,
    /// What they may see.
    pub scope: Scope,
}

impl Actor {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }
}

/// What someone asks to do with a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// 受理 (petition).
    Accept,
    /// 不予受理, with the reason and the proper channel.
    Decline {
        /// Why.
        reason: String,
    },
    /// 转送 to the competent organ.
    Transfer {
        /// The organ.
        organ: String,
    },
    /// 延期: one extension, approved by the unit head, reason shown to the appellant.
    Extend {
        /// Days (at most the policy's maximum).
        days: u32,
        /// Why; shown publicly.
        reason: String,
    },
    /// 答复 (petition) / 办结 (work order): the written answer.
    Reply {
        /// The answer.
        text: String,
        /// Whether the return-visit staff call the appellant back about this answer
        /// (回访抽样): drawn by [`decide`] for a work order, never chosen by the one
        /// replying; absent on petitions and on answers from before the draw (which
        /// were all called back).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_back: Option<bool>,
    },
    /// The appellant asks for review (复查) or re-review (复核).
    RequestReview,
    /// The review or re-review opinion.
    IssueReview {
        /// The opinion.
        text: String,
    },
    /// 派单 to a lead unit and co-handlers.
    Dispatch {
        /// Lead unit.
        lead: i64,
        /// Co-handling units.
        co: Vec<i64>,
        /// Urgency, which sets the limit.
        urgency: Urgency,
    },
    /// 签收.
    SignFor,
    /// 退单 within the sign-for window.
    Return {
        /// Why, from the fixed list.
        reason: ReturnReason,
        /// Details.
        note: String,
    },
    /// 审定: the returned order stays with the unit, which may not return it again.
    Rule,
    /// 回访 with the appellant's verdict.
    ReturnVisit {
        /// How satisfied (records from before the three grades read `satisfied: bool`).
        #[serde(alias = "satisfied", deserialize_with = "Rating::read")]
        rating: Rating,
        /// Whether the problem was actually solved, asked separately (absent in records
        /// from before it was asked).
        #[serde(default)]
        solved: Option<Solved>,
        /// What they said.
        note: String,
        /// Given by the appellant through the public link rather than on a call.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_appellant: bool,
    },
    /// The unit answerable contests the latest verdict (对评价提出异议), with its reason.
    Contest {
        /// Why the verdict should not count (e.g. the demand lies outside the law).
        reason: String,
    },
    /// A supervisor rules on a contest: upheld, the verdict is set aside and no longer
    /// counts in the figures; either way both stay on record.
    RuleContest {
        /// Whether the contest is upheld.
        upheld: bool,
        /// The ruling's reasons.
        note: String,
    },
    /// Advise a litigation-related matter to its legal channel.
    AdviseLegal {
        /// Which channel.
        channel: LegalChannel,
        /// What was explained.
        note: String,
    },
    /// Stop the clock (waiting for the appellant's supplement, a hearing).
    Pause {
        /// Why.
        reason: String,
    },
    /// Restart the clock.
    Resume,
    /// 督办: an order with its own deadline.
    Supervise {
        /// The order.
        note: String,
        /// Working days to act.
        days: u32,
    },
    /// 包案: a leader takes charge.
    AssignLeader {
        /// The leader's staff id.
        leader: i64,
    },
    /// Merge into another case (a duplicate).
    Merge {
        /// The case kept.
        into: i64,
    },
    /// Reopen a closed case.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Close: after the return visit, or when the review window has passed.
    Close,
    /// 催办: the system reminds whoever owes a clock that it is running out (at the
    /// policy's `yellow_share` of its time, or once a sign-for is late). Only
    /// [`system_step`] takes it.
    Remind {
        /// The clock.
        clock: ClockKind,
        /// Its deadline then (a reminder is taken once per clock and deadline).
        due: DateTime<Utc>,
    },
    /// 升级: a clock past its limit goes up, to whom the policy says. Only
    /// [`system_step`] takes it.
    Escalate {
        /// The clock.
        clock: ClockKind,
        /// Its deadline then.
        due: DateTime<Utc>,
        /// Where it went.
        to: EscalateTo,
    },
    /// 当场解答办结: a consultation (咨询) answered on the spot by the call centre, without
    /// dispatching it; the case closes with this answer.
    AnswerOnSpot {
        /// The answer given.
        text: String,
    },
    /// 催单: the appellant calls again about an open case; the call centre records it
    /// (instead of registering a new appeal) and the lead unit is reminded.
    FollowUp {
        /// What they said.
        note: String,
    },
    /// 联系群众: a call to the appellant (先联系后办理, the return visit's calls), with
    /// how it went; by those who must contact them ([`may_contact`]).
    Contact {
        /// How it went.
        outcome: ContactOutcome,
        /// What was said.
        note: String,
    },
    /// A historical case brought in from an earlier system with the status it ended
    /// in there. Only the import use case records it; [`decide`] never accepts it.
    Imported {
        /// The status it had (an ended one).
        state: State,
    },
}

impl Command {
    /// The stable identifier stored in the database (the timeline entry's kind).
    pub fn code(&self) -> &'static str {
        match self {
            Command::Accept => "accept",
            Command::Decline { .. } => "decline",
            Command::Transfer { .. } => "transfer",
            Command::Extend { .. } => "extend",
            Command::Reply { .. } => "reply",
            Command::RequestReview => "request_review",
            Command::IssueReview { .. } => "issue_review",
            Command::Dispatch { .. } => "dispatch",
            Command::SignFor => "sign_for",
            Command::Return { .. } => "return",
            Command::Rule => "rule",
            Command::ReturnVisit { .. } => "return_visit",
            Command::Contest { .. } => "contest",
            Command::RuleContest { .. } => "rule_contest",
            Command::AdviseLegal { .. } => "advise_legal",
            Command::Pause { .. } => "pause",
            Command::Resume => "resume",
            Command::Supervise { .. } => "supervise",
            Command::AssignLeader { .. } => "assign_leader",
            Command::Merge { .. } => "merge",
            Command::Reopen { .. } => "reopen",
            Command::Close => "close",
            Command::Remind { .. } => "remind",
            Command::Contact { .. } => "contact",
            Command::FollowUp { .. } => "follow_up",
            Command::AnswerOnSpot { .. } => "answer_on_spot",
            Command::Escalate { .. } => "escalate",
            Command::Imported { .. } => "imported",
        }
    }

    /// How it reads on a timeline and on its button.
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            Command::Accept => pick(lang, "受理", "accepted"),
            Command::Decline { .. } => pick(lang, "不予受理", "not accepted"),
            Command::Transfer { .. } => pick(
                lang,
                "转送有权处理机关",
                "transferred to the competent organ",
            ),
            Command::Extend { .. } => pick(lang, "延期办理", "handling extended"),
            Command::Reply { .. } => pick(lang, "答复/办结", "answered"),
            Command::RequestReview => pick(lang, "申请复查/复核", "review requested"),
            Command::IssueReview { .. } => pick(lang, "出具复查/复核意见", "review opinion given"),
            Command::Dispatch { .. } => {
                pick(lang, "派单至承办单位", "dispatched to the handling unit")
            }
            Command::SignFor => pick(lang, "承办单位签收", "signed for"),
            Command::Return { .. } => pick(lang, "退单", "returned by the unit"),
            Command::Rule => pick(lang, "审定由原单位办理", "ruled to stay with the unit"),
            Command::ReturnVisit { rating, .. } => match rating {
                Rating::Satisfied => pick(lang, "回访：满意", "return visit: satisfied"),
                Rating::Basic => pick(lang, "回访：基本满意", "return visit: fairly satisfied"),
                Rating::Unsatisfied => {
                    pick(lang, "回访：不满意，重办", "return visit: not satisfied")
                }
            },
            Command::Contest { .. } => pick(lang, "承办单位对评价提出异议", "verdict contested"),
            Command::RuleContest { upheld: true, .. } => pick(
                lang,
                "异议成立，该评价不计入考核",
                "contest upheld: verdict set aside",
            ),
            Command::RuleContest { upheld: false, .. } => pick(
                lang,
                "异议不成立，评价维持",
                "contest rejected: verdict stands",
            ),
            Command::AdviseLegal { .. } => pick(lang, "导入法律途径", "advised to a legal channel"),
            Command::Pause { .. } => pick(lang, "暂停计时", "clock paused"),
            Command::Resume => pick(lang, "恢复计时", "clock resumed"),
            Command::Supervise { .. } => pick(lang, "督办", "supervision order"),
            Command::AssignLeader { .. } => pick(lang, "领导包案", "leader in charge"),
            Command::Merge { .. } => pick(lang, "合并至其他诉求", "merged"),
            Command::Reopen { .. } => pick(lang, "重新办理", "reopened"),
            Command::Close => pick(lang, "办结归档", "closed"),
            Command::FollowUp { .. } => pick(lang, "群众来电催办", "the appellant followed up"),
            Command::AnswerOnSpot { .. } => pick(lang, "当场解答办结", "answered on the spot"),
            Command::Contact { outcome, .. } => match outcome {
                ContactOutcome::Reached => {
                    pick(lang, "联系群众：已接通", "appellant called: reached")
                }
                ContactOutcome::NoAnswer => {
                    pick(lang, "联系群众：无人接听", "appellant called: no answer")
                }
                ContactOutcome::WrongNumber => {
                    pick(lang, "联系群众：号码错误", "appellant called: wrong number")
                }
            },
            Command::Remind {
                clock: ClockKind::SignFor,
                ..
            } => pick(lang, "超时未签收，系统催办", "sign-for late: reminded"),
            Command::Remind { .. } => pick(lang, "期限将至，系统催办", "deadline near: reminded"),
            Command::Escalate {
                to: EscalateTo::DispatchCentre,
                ..
            } => pick(
                lang,
                "超时未签收，升级至派单中心",
                "not signed for: escalated to the dispatch centre",
            ),
            Command::Escalate {
                to: EscalateTo::UnitHead,
                ..
            } => pick(
                lang,
                "超期未办结，升级至单位负责人并列入督办",
                "overdue: escalated to the unit head and the supervision list",
            ),
            Command::Imported { .. } => pick(
                lang,
                "历史件导入（原系统状态）",
                "imported with its earlier status",
            ),
        }
    }

    /// What the appellant and the public may learn of this step: an explicit
    /// allow-list with one arm per command and no catch-all, so a new command cannot
    /// compile until someone decides what of it is public. Internal notes (a return
    /// visit's record of the call, a reopen reason, a supervision order) never are.
    pub fn disclosure(&self) -> Disclosure<'_> {
        use Disclosure::{Internal, Public};
        match self {
            Command::Accept
            | Command::RequestReview
            | Command::Dispatch { .. }
            | Command::SignFor
            | Command::ReturnVisit { .. }
            | Command::Reopen { .. }
            | Command::Close
            | Command::FollowUp { .. }
            | Command::Imported { .. } => Public(None),
            Command::Decline { reason } | Command::Extend { reason, .. } => Public(Some(reason)),
            Command::Reply { text, .. }
            | Command::IssueReview { text }
            | Command::AnswerOnSpot { text } => Public(Some(text)),
            Command::Transfer { organ } => Public(Some(organ)),
            Command::AdviseLegal { note, .. } => Public(Some(note)),
            Command::Return { .. }
            | Command::Rule
            | Command::Pause { .. }
            | Command::Resume
            | Command::Supervise { .. }
            | Command::AssignLeader { .. }
            | Command::Contest { .. }
            | Command::RuleContest { .. }
            | Command::Remind { .. }
            | Command::Escalate { .. }
            | Command::Contact { .. }
            | Command::Merge { .. } => Internal,
        }
    }

    /// Whether the appellant and the public see this step on the track page.
    pub fn is_public(&self) -> bool {
        matches!(self.disclosure(), Disclosure::Public(_))
    }

    /// The unit a step names (the lead unit of a dispatch).
    pub fn unit(&self) -> Option<i64> {
        match self {
            Command::Dispatch { lead, .. } => Some(*lead),
            _ => None,
        }
    }

    /// The text staff see with this step on the case's timeline, public or not.
    pub fn note(&self) -> Option<&str> {
        match self {
            Command::Decline { reason }
            | Command::Extend { reason, .. }
            | Command::Pause { reason }
            | Command::Reopen { reason }
            | Command::Contest { reason } => Some(reason),
            Command::Reply { text, .. }
            | Command::IssueReview { text }
            | Command::AnswerOnSpot { text } => Some(text),
            Command::Transfer { organ } => Some(organ),
            Command::Return { note, .. }
            | Command::ReturnVisit { note, .. }
            | Command::Supervise { note, .. }
            | Command::RuleContest { note, .. }
            | Command::Contact { note, .. }
            | Command::FollowUp { note }
            | Command::AdviseLegal { note, .. } => Some(note),
            Command::Accept
            | Command::RequestReview
            | Command::Dispatch { .. }
            | Command::SignFor
            | Command::Rule
            | Command::Resume
            | Command::AssignLeader { .. }
            | Command::Merge { .. }
            | Command::Close
            | Command::Remind { .. }
            | Command::Escalate { .. }
            | Command::Imported { .. } => None,
        }
    }
}

/// Where an overdue clock goes up (see [`Command::Escalate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalateTo {
    /// A work order not signed for: the dispatch centre, which may dispatch it again.
    DispatchCentre,
    /// An overdue answer: the lead unit's head, and the supervisors' list.
    UnitHead,
}

impl EscalateTo {
    /// The stable identifier, also the label (`escalated:…`) the case carries.
    pub fn code(self) -> &'static str {
        match self {
            EscalateTo::DispatchCentre => "dispatch",
            EscalateTo::UnitHead => "head",
        }
    }

    /// The label a case carries while it stands escalated there.
    pub fn tag(self) -> String {
        format!("escalated:{}", self.code())
    }
}

/// A reminder or escalation taken on one clock and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nudged {
    /// The clock.
    pub clock: ClockKind,
    /// Its deadline then.
    pub due: DateTime<Utc>,
    /// Whether it went up (else it was a reminder).
    pub escalated: bool,
}

/// What of a step the public may see (see [`Command::disclosure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure<'a> {
    /// Staff only: the step does not appear on the track page at all.
    Internal,
    /// The step appears, with this text for the appellant, if any.
    Public(Option<&'a str>),
}

/// What happened: one per decided command. Stored with the case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Happened {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (staff id), if a person.
    pub actor: Option<i64>,
    /// The command that was decided, which is also the event.
    pub command: Command,
}

/// Something the caller must do after storing the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Tell the appellant by SMS, if they gave a phone.
    NotifyAppellant(AppellantNotice),
    /// Tell staff of work for them (the bell, and e-mail for those who chose it).
    NotifyStaff {
        /// Whom.
        to: Recipients,
        /// Of what.
        notice: Notice,
    },
}

impl Effect {
    /// The stable identifier stored with an outbox message.
    pub fn code(&self) -> &'static str {
        match self {
            Effect::NotifyAppellant(_) => "notify_appellant",
            Effect::NotifyStaff { .. } => "notify_staff",
        }
    }

    fn staff(to: Recipients, notice: Notice) -> Effect {
        Effect::NotifyStaff { to, notice }
    }
}

/// The messages a step sets off, given the case before it (the command as stored).
pub fn effects_of(case: &Case, command: &Command) -> Vec<Effect> {
    use AppellantNotice as A;
    use Recipients as R;
    let lead = |notice| case.lead.map(|u| Effect::staff(R::Unit(u), notice));
    let mut out = Vec::new();
    match command {
        Command::Decline { .. } => out.push(Effect::NotifyAppellant(A::Declined)),
        Command::Extend { .. } => out.push(Effect::NotifyAppellant(A::Extended)),
        Command::Reply { .. } if case.track == Track::WorkOrder => {
            out.push(Effect::NotifyAppellant(A::AnsweredRate))
        }
        Command::Reply { .. } | Command::IssueReview { .. } | Command::AnswerOnSpot { .. } => {
            out.push(Effect::NotifyAppellant(A::Answered))
        }
        Command::AdviseLegal { .. } => out.push(Effect::NotifyAppellant(A::LegalAdvice)),
        Command::Dispatch { lead, co, .. } => out.extend(
            std::iter::once(lead)
                .chain(co)
                .map(|u| Effect::staff(R::Unit(*u), Notice::NewWork)),
        ),
        Command::Return { .. } => out.push(Effect::staff(R::DispatchCentre, Notice::Returned)),
        Command::ReturnVisit { rating, .. } if !rating.content() => {
            out.extend(lead(Notice::Redo));
            // A second 不满意 goes to a supervisor.
            if case.unsatisfied >= 1 {
                out.push(Effect::staff(R::Supervisors, Notice::Escalation));
            }
        }
        Command::Contest { .. } => out.push(Effect::staff(R::Supervisors, Notice::Contest)),
        Command::FollowUp { .. } => out.extend(lead(Notice::Reminder)),
        Command::Supervise { .. } => {
            out.extend(lead(Notice::Supervision));
            out.extend(
                case.leader
                    .map(|l| Effect::staff(R::Staff(l), Notice::Supervision)),
            );
        }
        Command::AssignLeader { leader } => {
            out.push(Effect::staff(R::Staff(*leader), Notice::NewWork))
        }
        Command::Remind { clock, .. } => match clock {
            ClockKind::ReturnVisit | ClockKind::Redispatch => {
                out.push(Effect::staff(R::DispatchCentre, Notice::Reminder))
            }
            _ => out.extend(lead(Notice::Reminder)),
        },
        Command::Escalate {
            to: EscalateTo::DispatchCentre,
            ..
        } => out.push(Effect::staff(R::DispatchCentre, Notice::Escalation)),
        Command::Escalate {
            to: EscalateTo::UnitHead,
            ..
        } => {
            out.extend(
                case.lead
                    .map(|u| Effect::staff(R::UnitHeads(u), Notice::Escalation)),
            );
            out.push(Effect::staff(R::Supervisors, Notice::Escalation));
        }
        _ => {}
    }
    out
}

/// The messages a registration sets off: the receipt to an appellant who gave a
/// phone, and the notices of the steps taken at once (a dispatch, a leader in
/// charge at a reception day).
pub fn opening_effects(
    facts: &CaseFacts,
    opening: &Opening,
    has_phone: bool,
    policy: &Policy,
    calendar: &Calendar,
) -> Vec<Effect> {
    let mut out = Vec::new();
    if has_phone {
        out.push(Effect::NotifyAppellant(AppellantNotice::Receipt));
    }
    let mut case = Case::new(facts, policy);
    for step in &opening.steps {
        out.extend(effects_of(&case, &step.command));
        case.apply(step, policy, calendar);
    }
    out
}

/// A decision: the one event to store, and the effects to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The event.
    pub event: Happened,
    /// The effects.
    pub effects: Vec<Effect>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    /// Not possible in this state on this track.
    #[error("this action is not possible while the case is {0:?}")]
    WrongState(State),
    /// The actor lacks the role or the scope.
    #[error("you may not do this on this case")]
    NotAllowed,
    /// The one extension was already used, or is too long.
    #[error("an extension is granted once, for at most {0} days")]
    Extension(u32),
    /// The window for this has passed.
    #[error("the time allowed for this has passed")]
    TooLate,
    /// A required text is empty.
    #[error("please give a reason or text")]
    EmptyText,
    /// A return visit that does not say whether the problem was solved.
    #[error("say whether the problem was solved (solved, partly or unsolved)")]
    SolvedNotSaid,
    /// The clock is already paused or not paused.
    #[error("the clock is already in that state")]
    Clock,
    /// The returned order was ruled (审定) and must be handled.
    #[error("the dispatch centre ruled that this unit must handle it")]
    AlreadyRuled,
    /// Merging a case into itself.
    #[error("a case cannot be merged into itself")]
    SelfMerge,
    /// A number outside its documented range.
    #[error("{what} must be from {min} to {max}")]
    OutOfRange {
        /// Which number, in English.
        what: &'static str,
        /// Its name in Chinese.
        what_zh: &'static str,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// A deadline beyond the holiday calendar's years.
    #[error(transparent)]
    BeyondCalendar(#[from] BeyondCalendar),
    /// The command names a unit that does not exist.
    #[error("there is no unit with id {0}")]
    UnknownUnit(i64),
    /// A text longer than allowed.
    #[error("the text is longer than {0} characters")]
    TextTooLong(usize),
    /// A case can be merged only into a case still open.
    #[error("a case can be merged only into an open case; that one is {0:?}")]
    MergeTargetEnded(State),
    /// A supervision order is open until the day given: a second is not issued
    /// within its deadline.
    #[error("a supervision order is open until {0}; another cannot be issued before it is due")]
    SupervisionOpen(NaiveDate),
    /// There is no verdict awaiting this: none to contest, or no contest to rule on.
    #[error("there is no verdict to contest, or no contest awaiting a ruling")]
    NothingToContest,
    /// The unit is accused by the appeal, or lies under one that is (回避).
    #[error(
        "unit {0} is accused by this appeal (or lies under a unit that is) and must stand aside"
    )]
    Recused(i64),
}

/// Why a unit (named as given) may not handle an appeal that accuses it.
fn recused(unit: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{unit}是本件的被举报对象（或其下属），须回避，不能承办"),
        Lang::En => format!(
            "{unit} is accused by this appeal (or lies under a unit that is) and must stand aside"
        ),
    }
}

impl WorkflowError {
    /// The explanation, with units named by `name` instead of by id.
    pub fn explain_named(&self, lang: Lang, name: impl Fn(i64) -> String) -> String {
        match self {
            WorkflowError::Recused(id) => recused(&name(*id), lang),
            e => e.explain(lang),
        }
    }
}

impl Explain for WorkflowError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (e, Lang::En) => e.to_string(),
            (WorkflowError::WrongState(s), Lang::Zh) => {
                format!("当前状态（{}）下不能执行此操作", s.label(Lang::Zh))
            }
            (WorkflowError::NotAllowed, Lang::Zh) => "您无权对此诉求执行该操作".into(),
            (WorkflowError::Extension(n), Lang::Zh) => format!("延期只能申请一次，且不超过{n}天"),
            (WorkflowError::TooLate, Lang::Zh) => "已超过允许的期限".into(),
            (WorkflowError::EmptyText, Lang::Zh) => "请填写理由或内容".into(),
            (WorkflowError::SolvedNotSaid, Lang::Zh) => {
                "请选择问题解决情况（已解决、部分解决或未解决）".into()
            }
            (WorkflowError::Clock, Lang::Zh) => "计时已处于该状态".into(),
            (WorkflowError::AlreadyRuled, Lang::Zh) => {
                "派单中心已审定由本单位办理，不能再退单".into()
            }
            (WorkflowError::SelfMerge, Lang::Zh) => "不能合并到自身".into(),
            (WorkflowError::SupervisionOpen(due), Lang::Zh) => {
                format!("本件已有督办令，期限至{due}，期限内不能重复督办")
            }
            (WorkflowError::NothingToContest, Lang::Zh) => {
                "没有可提出异议的评价，或没有待裁定的异议".into()
            }
            (
                WorkflowError::OutOfRange {
                    what_zh, min, max, ..
                },
                Lang::Zh,
            ) => format!("{what_zh}应在 {min} 到 {max} 之间"),
            (WorkflowError::BeyondCalendar(e), Lang::Zh) => e.explain(Lang::Zh),
            (WorkflowError::UnknownUnit(id), Lang::Zh) => format!("不存在编号为 {id} 的单位"),
            (WorkflowError::Recused(id), Lang::Zh) => recused(&format!("编号为 {id} 的单位"), lang),
            (WorkflowError::TextTooLong(n), Lang::Zh) => format!("内容过长，最多{n}个字"),
            (WorkflowError::MergeTargetEnded(s), Lang::Zh) => format!(
                "只能合并到仍在办理的诉求，目标诉求当前为“{}”",
                s.label(Lang::Zh)
            ),
        }
    }
}

impl State {
    /// Every state, for documentation and tests.
    pub const ALL: [State; 17] = [
        State::Registered,
        State::Accepted,
        State::Declined,
        State::Transferred,
        State::Replied,
        State::UnderReview,
        State::Reviewed,
        State::UnderReReview,
        State::Final,
        State::Dispatched,
        State::Returned,
        State::Handling,
        State::Answered,
        State::Escalated,
        State::LegalAdvised,
        State::Closed,
        State::Merged,
    ];

    /// The stable identifier stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Transferred => "transferred",
            State::Replied => "replied",
            State::UnderReview => "under_review",
            State::Reviewed => "reviewed",
            State::UnderReReview => "under_re_review",
            State::Final => "final",
            State::Dispatched => "dispatched",
            State::Returned => "returned",
            State::Handling => "handling",
            State::Answered => "answered",
            State::Escalated => "escalated",
            State::LegalAdvised => "legal_advised",
            State::Closed => "closed",
            State::Merged => "merged",
        }
    }

    /// Parses the stored identifier.
    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            State::Registered => pick(lang, "已登记", "registered"),
            State::Accepted => pick(lang, "已受理", "accepted"),
            State::Declined => pick(lang, "不予受理", "declined"),
            State::Transferred => pick(lang, "已转送", "transferred"),
            State::Replied => pick(lang, "已答复", "replied"),
            State::UnderReview => pick(lang, "复查中", "under review"),
            State::Reviewed => pick(lang, "已复查", "reviewed"),
            State::UnderReReview => pick(lang, "复核中", "under re-review"),
            State::Final => pick(lang, "已复核（终结）", "final"),
            State::Dispatched => pick(lang, "待签收", "awaiting sign-for"),
            State::Returned => pick(lang, "已退单", "returned"),
            State::Handling => pick(lang, "办理中", "in hand"),
            State::Answered => pick(lang, "待回访", "awaiting return visit"),
            State::Escalated => pick(lang, "已提请督办", "with a supervisor"),
            State::LegalAdvised => pick(lang, "已导入法律途径", "advised to legal channel"),
            State::Closed => pick(lang, "已办结", "closed"),
            State::Merged => pick(lang, "已合并", "merged"),
        }
    }

    /// The label the public sees: a return to the dispatch centre is internal, so a
    /// returned order reads as being assigned.
    pub fn public_label(self, lang: Lang) -> &'static str {
        match self {
            State::Returned => pick(lang, "派单中", "being assigned"),
            other => other.label(lang),
        }
    }

    /// Whether nothing more is expected.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Declined
                | State::Transferred
                | State::Final
                | State::LegalAdvised
                | State::Closed
                | State::Merged
        )
    }
}

/// The configurable rules. Defaults follow 信访工作条例 (2022) and common 12345 practice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Kinds that go on the petition track.
    pub petition_kinds: Vec<AppealKind>,
    /// Categories that are litigation-related.
    pub legal_categories: Vec<String>,
    /// Days to decide acceptance (15).
    pub acceptance_days: u32,
    /// Days to handle after acceptance (60).
    pub handling_days: u32,
    /// Longest extension (30).
    pub max_extension_days: u32,
    /// Days the appellant has to ask for review or re-review (30).
    pub review_request_days: u32,
    /// Days to give a review or re-review opinion (30).
    pub review_days: u32,
    /// Working hours to sign for a work order.
    pub sign_for_hours: u32,
    /// Working days for an urgent order (1).
    pub urgent_days: u32,
    /// Working days for help and consultation (3).
    pub help_days: u32,
    /// Working days for other orders (5).
    pub normal_days: u32,
    /// Working days for complex orders (15).
    pub complex_days: u32,
    /// Working days for the return visit after the reply.
    pub return_visit_days: u32,
    /// Share of a clock's time after which its light turns yellow (0.8).
    pub yellow_share: f64,
    /// Days open after which a case is backlog (积案) (90).
    pub backlog_days: u32,
    /// Days after closing within which a case may be reopened (30).
    pub reopen_days: u32,
    /// Longest supervision order, in working days (30).
    pub max_supervision_days: u32,
    /// Kinds whose every answer is called back (投诉).
    pub call_back_kinds: Vec<AppealKind>,
    /// Percent of the other answers called back, drawn at random (30).
    pub call_back_share: u32,
    /// Calendar days the appellant may give a verdict through the public link after an
    /// answer (7); an answer not called back closes when they pass without one.
    pub verdict_days: u32,
    /// Calendar days after a verdict within which the unit may contest it (5).
    pub contest_days: u32,
    /// Working hours after a late sign-for's reminder until it goes up to the
    /// dispatch centre (4).
    pub sign_for_escalate_hours: u32,
    /// The working day's hours.
    pub working_hours: WorkingHours,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            petition_kinds: vec![AppealKind::Petition],
            legal_categories: vec!["shefa".into()],
            acceptance_days: 15,
            handling_days: 60,
            max_extension_days: 30,
            review_request_days: 30,
            review_days: 30,
            sign_for_hours: 4,
            urgent_days: 1,
            help_days: 3,
            normal_days: 5,
            complex_days: 15,
            return_visit_days: 2,
            yellow_share: 0.8,
            backlog_days: 90,
            reopen_days: 30,
            max_supervision_days: 30,
            call_back_kinds: vec![AppealKind::Complaint],
            call_back_share: 30,
            verdict_days: 7,
            contest_days: 5,
            sign_for_escalate_hours: 4,
            working_hours: WorkingHours::default(),
        }
    }
}

impl Policy {
    /// The track for an appeal of this kind and category.
    pub fn track_for(&self, kind: AppealKind, category: &str) -> Track {
        if self.legal_categories.iter().any(|c| c == category) {
            Track::Legal
        } else if self.petition_kinds.contains(&kind) {
            Track::Petition
        } else {
            Track::WorkOrder
        }
    }

    fn order_days(&self, urgency: Urgency, kind: AppealKind) -> u32 {
        match urgency {
            Urgency::Urgent => self.urgent_days,
            Urgency::Complex => self.complex_days,
            Urgency::Normal if matches!(kind, AppealKind::Help | AppealKind::Consultation) => {
                self.help_days
            }
            Urgency::Normal => self.normal_days,
        }
    }
}

/// A case: the appeal's fixed facts and everything its events made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Database id of the appeal.
    pub id: i64,
    /// Its track.
    pub track: Track,
    /// Its kind.
    pub kind: AppealKind,
    /// Where it happened.
    pub region: RegionCode,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Where it stands.
    pub state: State,
    /// The lead unit.
    pub lead: Option<i64>,
    /// Co-handling units.
    pub co: Vec<i64>,
    /// Urgency of a work order.
    pub urgency: Urgency,
    /// When the current stage's clock started.
    pub stage_started: DateTime<Utc>,
    /// Extension granted, in days (0 if none).
    pub extension_days: u32,
    /// Whether the dispatch centre ruled the order stays with its unit.
    pub ruled: bool,
    /// Unsatisfied return visits so far.
    pub unsatisfied: u32,
    /// Whether the petition already went through review (so the next request is re-review).
    pub reviewed_once: bool,
    /// When the clock was paused, if it is.
    pub paused_since: Option<DateTime<Utc>>,
    /// Whole days (in the stage clock's unit) already spent paused in this stage.
    pub paused_days: u32,
    /// Open supervision orders: (issued, due).
    pub supervisions: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Leader in charge.
    pub leader: Option<i64>,
    /// When it was closed or ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The case it was merged into.
    pub merged_into: Option<i64>,
    /// The units the appeal accuses: never its handlers, never its readers.
    #[serde(default)]
    pub accused: Vec<i64>,
    /// The units that returned it (退单), once each.
    #[serde(default)]
    pub returned_by: Vec<i64>,
    /// Who wrote the latest reply: the cadre the return visit judges.
    #[serde(default)]
    pub replied_by: Option<i64>,
    /// Whether the latest answer is called back (see [`Command::Reply`]).
    #[serde(default)]
    pub call_back: bool,
    /// The latest return-visit verdict.
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// The verdict the unit contested last, with where its contest stands (a newer
    /// verdict does not take its place: the contest is ruled on the verdict it names).
    #[serde(default)]
    pub contested: Option<Verdict>,
    /// Reminders and escalations taken, each once per clock and deadline.
    #[serde(default)]
    pub nudged: Vec<Nudged>,
    /// Where the current stage stands escalated, if it does (cleared when the stage
    /// changes).
    #[serde(default)]
    pub escalated: Option<EscalateTo>,
}

/// A return-visit verdict as the figures counted it, kept so that a contest can set it
/// aside in the same cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// The grade.
    pub rating: Rating,
    /// Whether the problem was solved, if asked.
    pub solved: Option<Solved>,
    /// The unit answerable then.
    pub unit: Option<i64>,
    /// The cadre it judged (who wrote the reply).
    pub staff: Option<i64>,
    /// Where a contest of it stands.
    pub contest: ContestState,
}

impl Verdict {
    /// Whether it counts against the unit: 不满意, or the problem not (fully) solved.
    pub fn against_unit(&self) -> bool {
        self.rating == Rating::Unsatisfied
            || matches!(self.solved, Some(Solved::Unsolved | Solved::Partly))
    }
}

/// Where a unit's contest of a verdict stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContestState {
    /// Not contested.
    None,
    /// Contested, awaiting a supervisor.
    Pending,
    /// Upheld: the verdict no longer counts.
    Upheld,
    /// Rejected: the verdict stands.
    Rejected,
}

/// One running clock of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// What is due.
    pub what: ClockKind,
    /// When the clock started.
    pub start: DateTime<Utc>,
    /// When it is due.
    pub due: DateTime<Utc>,
    /// Whether it is stopped.
    pub paused: bool,
}

/// The clocks a case can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClockKind {
    /// Acceptance decision (15 days).
    Acceptance,
    /// Handling (60 days plus any extension).
    Handling,
    /// Review or re-review opinion (30 days).
    Review,
    /// The appellant's window to ask for review (30 days); passing it lets the case close.
    ReviewWindow,
    /// Sign-for (working hours).
    SignFor,
    /// Reply to a work order (working days).
    Reply,
    /// Return visit (working days).
    ReturnVisit,
    /// The appellant's window to give a verdict on an answer not called back; passing
    /// it closes the case.
    Verdict,
    /// The dispatch centre's decision on a returned order.
    Redispatch,
    /// A supervision order.
    Supervision,
}

impl ClockKind {
    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ClockKind::Acceptance => pick(lang, "受理告知期限", "acceptance decision"),
            ClockKind::Handling => pick(lang, "办理期限", "handling"),
            ClockKind::Review => pick(lang, "复查/复核期限", "review opinion"),
            ClockKind::ReviewWindow => pick(lang, "申请复查/复核期限", "window to ask for review"),
            ClockKind::SignFor => pick(lang, "签收期限", "sign-for"),
            ClockKind::Reply => pick(lang, "办结期限", "reply"),
            ClockKind::ReturnVisit => pick(lang, "回访期限", "return visit"),
            ClockKind::Verdict => pick(lang, "群众评价期限", "appellant's verdict"),
            ClockKind::Redispatch => pick(lang, "退单审核期限", "decision on a return"),
            ClockKind::Supervision => pick(lang, "督办期限", "supervision order"),
        }
    }

    /// Whether the unit (rather than the appellant) owes something by this clock.
    pub fn binds_unit(self) -> bool {
        !matches!(self, ClockKind::ReviewWindow | ClockKind::Verdict)
    }
}

/// What a case's events come to, as a store keeps it for sorting and filtering; always
/// recomputed from the events, never edited by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Where it stands.
    pub state: State,
    /// The lead unit.
    pub lead: Option<i64>,
    /// The soonest deadline the unit owes.
    pub due_at: Option<DateTime<Utc>>,
    /// When that deadline's clock started (for its light).
    pub clock_started_at: Option<DateTime<Utc>>,
    /// The soonest open supervision order's deadline.
    pub supervision_due: Option<DateTime<Utc>>,
    /// 积案
    pub backlog: bool,
    /// 难案
    pub hard: bool,
    /// Leader in charge.
    pub leader: Option<i64>,
}

/// A new case: its track, the steps the system takes at once, and where that leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// Its track.
    pub track: Track,
    /// Steps already decided: those the system takes at registration, and, for cases
    /// imported with their history, everything after.
    pub steps: Vec<Happened>,
    /// Where they leave it.
    pub outcome: Outcome,
    /// What its arrival and these steps add to the figures.
    pub tallies: Vec<crate::kpi::Tally>,
}

impl Opening {
    /// Sets the outcome at `now` and the figures after its steps changed (the demo
    /// county simulates a history on top of an opening).
    pub fn settle(
        &mut self,
        facts: &CaseFacts,
        policy: &Policy,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) {
        let case = Case::replay(facts, &self.steps, policy, calendar);
        self.outcome = case.outcome(policy, calendar, now);
        self.tallies = crate::kpi::of_history(facts, &self.steps, policy, calendar);
    }
}

/// Opens the case of an appeal just registered.
pub fn open_case(facts: &CaseFacts, policy: &Policy, calendar: &Calendar) -> Opening {
    let mut case = Case::new(facts, policy);
    let steps: Vec<Happened> = on_registration(case.track, facts)
        .into_iter()
        .map(|command| Happened {
            at: facts.received_at,
            actor: None,
            command,
        })
        .collect();
    for e in &steps {
        case.apply(e, policy, calendar);
    }
    Opening {
        track: case.track,
        tallies: crate::kpi::of_history(facts, &steps, policy, calendar),
        steps,
        outcome: case.outcome(policy, calendar, facts.received_at),
    }
}

/// Opens the case of a historical appeal brought in from an earlier system: opened as a
/// new one would be, then, if it ended there, an [`Command::Imported`] step puts it in
/// that state at that time. Its outcome is as of `now`.
pub fn open_imported(
    facts: &CaseFacts,
    ended: Option<(State, DateTime<Utc>)>,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Opening {
    let mut opening = open_case(facts, policy, calendar);
    if let Some((state, at)) = ended {
        opening.steps.push(Happened {
            at,
            actor: None,
            command: Command::Imported { state },
        });
    }
    opening.settle(facts, policy, calendar, now);
    opening
}

/// Flags derived from a case by the configurable rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags {
    /// 积案: open longer than the policy allows.
    pub backlog: bool,
    /// 难案: at the re-review stage, escalated, with a leader in charge, or with a
    /// supervision order past its deadline.
    pub hard: bool,
}

impl Case {
    /// A new case for an appeal just registered.
    pub fn new(facts: &CaseFacts, policy: &Policy) -> Case {
        Case {
            id: facts.id,
            track: policy.track_for(facts.kind, &facts.category),
            kind: facts.kind,
            region: facts.region.clone(),
            received_at: facts.received_at,
            state: State::Registered,
            lead: facts.routed_unit,
            co: Vec::new(),
            urgency: Urgency::for_kind(facts.kind),
            stage_started: facts.received_at,
            extension_days: 0,
            ruled: false,
            unsatisfied: 0,
            reviewed_once: false,
            paused_since: None,
            paused_days: 0,
            supervisions: Vec::new(),
            leader: None,
            ended_at: None,
            merged_into: None,
            accused: facts.accused.clone(),
            returned_by: Vec::new(),
            replied_by: None,
            call_back: false,
            verdict: None,
            contested: None,
            nudged: Vec::new(),
            escalated: None,
        }
    }

    /// The case its events make of it.
    pub fn replay(
        facts: &CaseFacts,
        history: &[Happened],
        policy: &Policy,
        calendar: &Calendar,
    ) -> Case {
        let mut case = Case::new(facts, policy);
        for e in history {
            case.apply(e, policy, calendar);
        }
        case
    }

    fn stage(&mut self, state: State, at: DateTime<Utc>) {
        self.state = state;
        self.stage_started = at;
        self.paused_days = 0;
        self.paused_since = None;
        self.escalated = None;
        if state.is_terminal() {
            self.ended_at = Some(at);
        }
    }

    /// The case after an event (events come from [`decide`], so they are valid).
    pub fn apply(&mut self, e: &Happened, policy: &Policy, calendar: &Calendar) {
        let at = e.at;
        match &e.command {
            Command::Accept => self.stage(State::Accepted, at),
            Command::Decline { .. } => self.stage(State::Declined, at),
            Command::Transfer { .. } => self.stage(State::Transferred, at),
            Command::Extend { days, .. } => self.extension_days = *days,
            Command::Reply { call_back, .. } => {
                self.replied_by = e.actor;
                self.call_back = call_back.unwrap_or(true);
                let next = if self.track == Track::Petition {
                    State::Replied
                } else {
                    State::Answered
                };
                self.stage(next, at);
            }
            Command::RequestReview => {
                let next = if self.reviewed_once {
                    State::UnderReReview
                } else {
                    State::UnderReview
                };
                self.stage(next, at);
            }
            Command::IssueReview { .. } => {
                let next = if self.state == State::UnderReReview {
                    State::Final
                } else {
                    State::Reviewed
                };
                self.reviewed_once = true;
                self.stage(next, at);
            }
            Command::Dispatch { lead, co, urgency } => {
                self.lead = Some(*lead);
                self.co = co.clone();
                self.urgency = *urgency;
                self.ruled = false;
                self.stage(State::Dispatched, at);
            }
            Command::SignFor => self.stage(State::Handling, at),
            Command::Return { .. } => {
                self.returned_by
                    .extend(self.lead.filter(|u| !self.returned_by.contains(u)));
                self.stage(State::Returned, at);
            }
            Command::Rule => {
                self.ruled = true;
                self.stage(State::Dispatched, at);
            }
            Command::ReturnVisit { rating, solved, .. } => {
                self.verdict = Some(Verdict {
                    at,
                    rating: *rating,
                    solved: *solved,
                    unit: self.lead,
                    staff: self.replied_by,
                    contest: ContestState::None,
                });
                self.after_verdict(*rating, at);
            }
            Command::Contest { .. } => {
                if let Some(v) = &mut self.verdict {
                    v.contest = ContestState::Pending;
                    self.contested = Some(v.clone());
                }
            }
            Command::RuleContest { upheld, .. } => {
                if let Some(v) = &mut self.contested {
                    v.contest = if *upheld {
                        ContestState::Upheld
                    } else {
                        ContestState::Rejected
                    };
                    if let Some(latest) = self.verdict.as_mut().filter(|l| l.at == v.at) {
                        latest.contest = v.contest;
                    }
                    if *upheld && v.rating == Rating::Unsatisfied {
                        self.unsatisfied = self.unsatisfied.saturating_sub(1);
                    }
                }
            }
            Command::AdviseLegal { .. } => self.stage(State::LegalAdvised, at),
            Command::Pause { .. } => self.paused_since = Some(at),
            Command::Resume => {
                if let (Some(since), Some(limit)) =
                    (self.paused_since.take(), self.stage_limit(policy))
                {
                    self.paused_days = self.paused_days.saturating_add(limit.days_between(
                        local_day(since),
                        local_day(at),
                        calendar,
                    ));
                }
            }
            Command::Supervise { days, .. } => {
                let due = end_of_day(calendar.add_working_days(local_day(at), *days).date);
                self.supervisions.push((at, due));
            }
            Command::AssignLeader { leader } => self.leader = Some(*leader),
            Command::Merge { into } => {
                self.merged_into = Some(*into);
                self.stage(State::Merged, at);
            }
            Command::Reopen { .. } => {
                self.ended_at = None;
                let next = if self.track == Track::Petition {
                    State::Accepted
                } else {
                    State::Handling
                };
                self.stage(next, at);
            }
            Command::Close => self.stage(State::Closed, at),
            Command::Contact { .. } | Command::FollowUp { .. } => {}
            Command::AnswerOnSpot { .. } => {
                self.replied_by = e.actor;
                self.stage(State::Closed, at);
            }
            Command::Remind { clock, due } => self.nudged.push(Nudged {
                clock: *clock,
                due: *due,
                escalated: false,
            }),
            Command::Escalate { clock, due, to } => {
                self.nudged.push(Nudged {
                    clock: *clock,
                    due: *due,
                    escalated: true,
                });
                self.escalated = Some(*to);
            }
            Command::Imported { state } => self.stage(*state, at),
        }
        if !matches!(e.command, Command::Supervise { .. }) && self.state.is_terminal() {
            self.supervisions.clear();
        }
    }

    /// Where a verdict leaves the case: closed on 满意 or 基本满意, else handled again
    /// (by a supervisor after the second 不满意).
    fn after_verdict(&mut self, rating: Rating, at: DateTime<Utc>) {
        if rating.content() {
            self.stage(State::Closed, at);
            return;
        }
        self.unsatisfied += 1;
        let next = if self.unsatisfied >= 2 {
            State::Escalated
        } else {
            State::Handling
        };
        self.stage(next, at);
    }

    /// Until when the appellant may give a verdict through the public link: the end of
    /// the policy's `verdict_days`-th calendar day after a work order's answer.
    pub fn verdict_open_until(
        &self,
        policy: &Policy,
        calendar: &Calendar,
    ) -> Option<DateTime<Utc>> {
        (self.track == Track::WorkOrder && self.state == State::Answered).then(|| {
            let last = Limit::CalendarDays(policy.verdict_days).due(
                local_day(self.stage_started),
                self.paused_days,
                calendar,
            );
            end_of_day(last.date)
        })
    }

    /// The limit of the current stage's clock, if the stage has one.
    fn stage_limit(&self, policy: &Policy) -> Option<Limit> {
        Some(match self.state {
            State::Registered if self.track == Track::Petition => {
                Limit::CalendarDays(policy.acceptance_days)
            }
            State::Accepted => {
                Limit::CalendarDays(policy.handling_days.saturating_add(self.extension_days))
            }
            State::UnderReview | State::UnderReReview => Limit::CalendarDays(policy.review_days),
            State::Replied | State::Reviewed => Limit::CalendarDays(policy.review_request_days),
            State::Handling => Limit::WorkingDays(policy.order_days(self.urgency, self.kind)),
            State::Answered if !self.call_back => Limit::CalendarDays(policy.verdict_days),
            State::Answered => Limit::WorkingDays(policy.return_visit_days),
            State::Returned | State::Registered => Limit::WorkingDays(1),
            _ => return None,
        })
    }

    /// The clocks running now, with their due times.
    pub fn clocks(&self, policy: &Policy, calendar: &Calendar) -> Vec<Clock> {
        let mut clocks = Vec::new();
        let paused = self.paused_since.is_some();
        let kind = match self.state {
            State::Registered if self.track == Track::Petition => Some(ClockKind::Acceptance),
            State::Registered | State::Returned => Some(ClockKind::Redispatch),
            State::Accepted => Some(ClockKind::Handling),
            State::UnderReview | State::UnderReReview => Some(ClockKind::Review),
            State::Replied | State::Reviewed => Some(ClockKind::ReviewWindow),
            State::Handling => Some(ClockKind::Reply),
            State::Answered if !self.call_back => Some(ClockKind::Verdict),
            State::Answered => Some(ClockKind::ReturnVisit),
            _ => None,
        };
        if self.state == State::Dispatched {
            let due = policy
                .working_hours
                .add(self.stage_started, policy.sign_for_hours, calendar);
            clocks.push(Clock {
                what: ClockKind::SignFor,
                start: self.stage_started,
                due,
                paused: false,
            });
        }
        if let (Some(kind), Some(limit)) = (kind, self.stage_limit(policy)) {
            // A work order's reply limit runs from dispatch; a redo restarts it.
            let due = limit.due(local_day(self.stage_started), self.paused_days, calendar);
            clocks.push(Clock {
                what: kind,
                start: self.stage_started,
                due: end_of_day(due.date),
                paused,
            });
        }
        for (issued, due) in &self.supervisions {
            clocks.push(Clock {
                what: ClockKind::Supervision,
                start: *issued,
                due: *due,
                paused: false,
            });
        }
        clocks
    }

    /// The soonest deadline the unit owes, and its light at `now`.
    pub fn next_due(
        &self,
        policy: &Policy,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Option<(Clock, Light)> {
        self.clocks(policy, calendar)
            .into_iter()
            .filter(|c| c.what.binds_unit())
            .min_by_key(|c| c.due)
            .map(|c| {
                let light = Light::at(c.start, c.due, now, policy.yellow_share);
                (c, light)
            })
    }

    /// The deadline the appellant and the public are told: the current stage's clock
    /// (acceptance, handling, reply, review…), never an internal supervision order's.
    pub fn public_due(&self, policy: &Policy, calendar: &Calendar) -> Option<DateTime<Utc>> {
        self.clocks(policy, calendar)
            .into_iter()
            .filter(|c| c.what.binds_unit() && c.what != ClockKind::Supervision)
            .map(|c| c.due)
            .min()
    }

    /// What the case comes to at `now`.
    pub fn outcome(&self, policy: &Policy, calendar: &Calendar, now: DateTime<Utc>) -> Outcome {
        let next = self.next_due(policy, calendar, now).map(|(c, _)| c);
        let flags = self.flags(policy, now);
        Outcome {
            state: self.state,
            lead: self.lead,
            due_at: next.as_ref().map(|c| c.due),
            clock_started_at: next.as_ref().map(|c| c.start),
            supervision_due: self.supervisions.iter().map(|(_, due)| *due).min(),
            backlog: flags.backlog,
            hard: flags.hard,
            leader: self.leader,
        }
    }

    /// Backlog and hard-case flags by the policy's rules.
    pub fn flags(&self, policy: &Policy, now: DateTime<Utc>) -> Flags {
        let open = !self.state.is_terminal();
        Flags {
            backlog: open && (now - self.received_at).num_days() > i64::from(policy.backlog_days),
            // A supervision order left unanswered past its deadline escalates the case
            // to the hard-case list.
            hard: open
                && (matches!(self.state, State::UnderReReview | State::Escalated)
                    || self.leader.is_some()
                    || self.supervisions.iter().any(|(_, due)| *due < now)),
        }
    }
}

/// Checks a number a person typed against its documented range.
fn in_range(
    n: u32,
    min: u32,
    max: u32,
    what: &'static str,
    what_zh: &'static str,
) -> Result<(), WorkflowError> {
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(WorkflowError::OutOfRange {
            what,
            what_zh,
            min,
            max,
        })
    }
}

fn need_text(s: &str) -> Result<(), WorkflowError> {
    if s.trim().is_empty() {
        Err(WorkflowError::EmptyText)
    } else {
        Ok(())
    }
}

/// Who may give a command: the roles, and whether they must belong to the lead unit.
/// Whether `actor` must contact the appellant of `case`, and so may see their phone
/// in full (an audited reveal) and record a call: the lead or a co-handling unit's
/// handlers and heads, the call centre (call-takers and dispatchers, who register and
/// call back), the leader in charge, and administrators. Everyone else sees masks.
pub fn may_contact(case: &Case, actor: &Actor) -> bool {
    let handles = case.lead == Some(actor.unit_id) || case.co.contains(&actor.unit_id);
    actor.has(Role::Admin)
        || ((actor.has(Role::Handler) || actor.has(Role::UnitHead)) && handles)
        || actor.has(Role::CallTaker)
        || actor.has(Role::Dispatcher)
        || case.leader == Some(actor.id)
}

fn authorise(case: &Case, cmd: &Command, actor: &Actor) -> Result<(), WorkflowError> {
    if !actor.scope.allows(&case.region, case.lead, &case.accused) {
        return Err(WorkflowError::NotAllowed);
    }
    let in_lead_unit = case.lead == Some(actor.unit_id) || actor.has(Role::Admin);
    let handler = (actor.has(Role::Handler) || actor.has(Role::UnitHead)) && in_lead_unit;
    let centre = actor.has(Role::Dispatcher);
    let ok = match cmd {
        // A petition is accepted by the unit it was sent to, or by the mass-work office.
        Command::Accept | Command::Decline { .. } | Command::Transfer { .. } => handler || centre,
        Command::Extend { .. } => actor.has(Role::UnitHead) && in_lead_unit,
        Command::Reply { .. }
        | Command::SignFor
        | Command::Return { .. }
        | Command::Pause { .. }
        | Command::Resume => handler,
        Command::RequestReview | Command::ReturnVisit { .. } => {
            centre || actor.has(Role::CallTaker)
        }
        Command::Contest { .. } => handler,
        Command::RuleContest { .. } => actor.has(Role::Supervisor),
        Command::IssueReview { .. } => actor.has(Role::Leader) || actor.has(Role::Supervisor),
        Command::Dispatch { .. } | Command::Rule | Command::Merge { .. } => centre,
        Command::AdviseLegal { .. } => handler || centre,
        Command::Supervise { .. } => actor.has(Role::Supervisor) || actor.has(Role::Leader),
        Command::AssignLeader { .. } => actor.has(Role::Leader),
        Command::Reopen { .. } => actor.has(Role::Supervisor) || centre,
        Command::Close => centre || actor.has(Role::Supervisor),
        Command::Contact { .. } => may_contact(case, actor),
        Command::FollowUp { .. } | Command::AnswerOnSpot { .. } => {
            centre || actor.has(Role::CallTaker)
        }
        Command::Remind { .. } | Command::Escalate { .. } | Command::Imported { .. } => false,
    };
    if ok {
        Ok(())
    } else {
        Err(WorkflowError::NotAllowed)
    }
}

/// Checks every unit a command names against the directory's `units`: it must exist
/// (a dispatch to a made-up unit is refused with a reason instead of failing in
/// storage), and it must not be accused by the case or lie under a unit that is
/// (anti-retaliation: an accused office never handles the accusation).
pub fn check_references(cmd: &Command, case: &Case, units: &[Unit]) -> Result<(), WorkflowError> {
    let named: Vec<i64> = match cmd {
        Command::Dispatch { lead, co, .. } => {
            std::iter::once(*lead).chain(co.iter().copied()).collect()
        }
        _ => Vec::new(),
    };
    for u in named {
        if !units.iter().any(|x| x.id == u) {
            return Err(WorkflowError::UnknownUnit(u));
        }
        if barred(u, &case.accused, units) {
            return Err(WorkflowError::Recused(u));
        }
    }
    Ok(())
}

/// Checks the case another (`merged`) is to be merged into: it must still be open, so
/// merged cases always lead to one that someone handles (no chains into ended cases,
/// no cycles: a merged case is ended); and its lead must not be a unit `merged`
/// accuses, which would hand the accusation to the accused.
pub fn check_merge_target(
    merged: &Case,
    target: State,
    target_lead: Option<i64>,
    units: &[Unit],
) -> Result<(), WorkflowError> {
    if target.is_terminal() {
        return Err(WorkflowError::MergeTargetEnded(target));
    }
    match target_lead {
        Some(u) if barred(u, &merged.accused, units) => Err(WorkflowError::Recused(u)),
        _ => Ok(()),
    }
}

/// Whether an answer not called back may be closed without a verdict: the appellant's
/// window has passed.
fn closes_unvisited(case: &Case, policy: &Policy, calendar: &Calendar, now: DateTime<Utc>) -> bool {
    !case.call_back
        && case
            .verdict_open_until(policy, calendar)
            .is_some_and(|until| now > until)
}

/// A number from 0 to 99 that nobody can choose: drawn from the case and the instant
/// of its answer to the nanosecond.
fn roll(case: i64, now: DateTime<Utc>) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (case, now.timestamp(), now.timestamp_subsec_nanos()).hash(&mut h);
    u32::try_from(h.finish() % 100).unwrap_or(0)
}

/// Whether an answer to a work order is called back (回访抽样): always for the policy's
/// kinds, a redo after a 不满意, a case with a leader in charge or a supervision order;
/// otherwise when `roll` (0–99) falls under the policy's share.
pub fn calls_back(case: &Case, policy: &Policy, roll: u32) -> bool {
    policy.call_back_kinds.contains(&case.kind)
        || case.unsatisfied > 0
        || case.leader.is_some()
        || !case.supervisions.is_empty()
        || roll < policy.call_back_share
}

/// The appellant's own verdict through the public link: only on a work order's answer,
/// within the policy's `verdict_days`; the step has no staff actor.
pub fn decide_verdict(
    case: &Case,
    rating: Rating,
    solved: Solved,
    note: String,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<Decision, WorkflowError> {
    let until = case
        .verdict_open_until(policy, calendar)
        .ok_or(WorkflowError::WrongState(case.state))?;
    if now > until {
        return Err(WorkflowError::TooLate);
    }
    let max = crate::intake::MAX_TEXT_CHARS;
    if note.chars().count() > max {
        return Err(WorkflowError::TextTooLong(max));
    }
    let command = Command::ReturnVisit {
        rating,
        solved: Some(solved),
        note,
        by_appellant: true,
    };
    Ok(Decision {
        effects: effects_of(case, &command),
        event: Happened {
            at: now,
            actor: None,
            command,
        },
    })
}

/// The step the system takes by itself on a case at `now`, if any: an answer not
/// called back closes once the appellant's window passes without a verdict
/// (回访期满办结). The sweep records it.
pub fn system_step(
    case: &Case,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Option<Decision> {
    let command = if closes_unvisited(case, policy, calendar, now) {
        Some(Command::Close)
    } else {
        nudge(case, policy, calendar, now)
    };
    command.map(|command| Decision {
        effects: effects_of(case, &command),
        event: Happened {
            at: now,
            actor: None,
            command,
        },
    })
}

/// The reminder or escalation a running clock calls for at `now`, if one is due and
/// not yet taken for that clock and deadline; an escalation due is taken instead of
/// its reminder (after a long pause of the sweep, say).
///
/// - A sign-for is reminded once late, and goes up to the dispatch centre the
///   policy's `sign_for_escalate_hours` working hours later.
/// - An answer (work-order reply, petition acceptance, handling or review) is
///   reminded at `yellow_share` of its time and goes up to the unit head when overdue.
/// - A return visit and a returned order's ruling are reminded at `yellow_share`
///   (they are the centre's own work, with no one above it to go to).
pub fn nudge(
    case: &Case,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Option<Command> {
    if case.state.is_terminal() || case.paused_since.is_some() {
        return None;
    }
    for clock in case.clocks(policy, calendar) {
        if clock.paused {
            continue;
        }
        let yellow = Light::turns_yellow(clock.start, clock.due, policy.yellow_share);
        let (remind_at, escalate) = match clock.what {
            ClockKind::SignFor => {
                let up =
                    policy
                        .working_hours
                        .add(clock.due, policy.sign_for_escalate_hours, calendar);
                (clock.due, Some((up, EscalateTo::DispatchCentre)))
            }
            ClockKind::Reply | ClockKind::Acceptance | ClockKind::Handling | ClockKind::Review => {
                (yellow, Some((clock.due, EscalateTo::UnitHead)))
            }
            ClockKind::ReturnVisit | ClockKind::Redispatch => (yellow, None),
            ClockKind::ReviewWindow | ClockKind::Verdict | ClockKind::Supervision => continue,
        };
        let taken = |escalated: bool| {
            case.nudged
                .iter()
                .any(|n| n.clock == clock.what && n.due == clock.due && n.escalated >= escalated)
        };
        if let Some((at, to)) = escalate
            && now > at
            && !taken(true)
        {
            return Some(Command::Escalate {
                clock: clock.what,
                due: clock.due,
                to,
            });
        }
        if now > remind_at && !taken(false) {
            return Some(Command::Remind {
                clock: clock.what,
                due: clock.due,
            });
        }
    }
    None
}

/// The steps the system itself takes when an appeal is registered: a work order goes
/// straight to the routed unit; petitions and litigation-related matters wait there for
/// the acceptance decision or the legal advice.
pub fn on_registration(track: Track, facts: &CaseFacts) -> Vec<Command> {
    match (track, facts.routed_unit) {
        (Track::WorkOrder, Some(lead)) => vec![Command::Dispatch {
            lead,
            co: facts.routed_co.clone(),
            urgency: Urgency::for_kind(facts.kind),
        }],
        _ => Vec::new(),
    }
}

/// The actions `actor` may take on `case` now, as [`Command::code`]s, in display order:
/// each is tried with [`decide`] on a representative command, so the page offers exactly
/// what would be accepted.
pub fn available(
    case: &Case,
    actor: &Actor,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Vec<&'static str> {
    let text = || "-".to_owned();
    let samples = [
        Command::Accept,
        Command::Decline { reason: text() },
        Command::Transfer { organ: text() },
        Command::AdviseLegal {
            channel: LegalChannel::Lawsuit,
            note: text(),
        },
        Command::Dispatch {
            lead: case.lead.unwrap_or(actor.unit_id),
            co: Vec::new(),
            urgency: case.urgency,
        },
        Command::SignFor,
        Command::Return {
            reason: ReturnReason::Other,
            note: text(),
        },
        Command::Rule,
        Command::Reply {
            text: text(),
            call_back: None,
        },
        Command::Extend {
            days: 1,
            reason: text(),
        },
        Command::ReturnVisit {
            rating: Rating::Satisfied,
            solved: Some(Solved::Solved),
            note: text(),
            by_appellant: false,
        },
        Command::Contest { reason: text() },
        Command::RuleContest {
            upheld: true,
            note: text(),
        },
        Command::RequestReview,
        Command::IssueReview { text: text() },
        Command::Pause { reason: text() },
        Command::Resume,
        Command::Supervise {
            note: text(),
            days: 1,
        },
        Command::AssignLeader { leader: actor.id },
        Command::Merge { into: -1 },
        Command::Reopen { reason: text() },
        Command::Close,
        Command::Contact {
            outcome: ContactOutcome::Reached,
            note: text(),
        },
        Command::FollowUp { note: text() },
        Command::AnswerOnSpot { text: text() },
    ];
    samples
        .into_iter()
        .filter(|c| decide(case, c.clone(), actor, policy, calendar, now).is_ok())
        .map(|c| c.code())
        .collect()
}

/// Decides a command: checks the state, the track, the actor and the windows, and
/// returns the one event to store.
pub fn decide(
    case: &Case,
    cmd: Command,
    actor: &Actor,
    policy: &Policy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<Decision, WorkflowError> {
    use State as S;
    use Track as T;
    let wrong = || WorkflowError::WrongState(case.state);
    let max = crate::intake::MAX_TEXT_CHARS;
    if cmd.note().is_some_and(|n| n.chars().count() > max) {
        return Err(WorkflowError::TextTooLong(max));
    }
    match (&cmd, case.track, case.state) {
        (Command::Accept, T::Petition, S::Registered) => {}
        (Command::Decline { reason }, T::Petition, S::Registered) => {
            need_text(reason)?;
        }
        (Command::Transfer { organ }, T::Petition, S::Registered) => need_text(organ)?,
        (Command::Extend { days, reason }, T::Petition, S::Accepted) => {
            need_text(reason)?;
            if case.extension_days > 0 {
                return Err(WorkflowError::Extension(policy.max_extension_days));
            }
            in_range(
                *days,
                1,
                policy.max_extension_days,
                "extension days",
                "延期天数",
            )?;
        }
        (Command::Reply { text, .. }, T::Petition, S::Accepted)
        | (Command::Reply { text, .. }, T::WorkOrder, S::Handling) => {
            need_text(text)?;
        }
        (Command::RequestReview, T::Petition, S::Replied | S::Reviewed) => {
            let window = Limit::CalendarDays(policy.review_request_days).due(
                local_day(case.stage_started),
                0,
                calendar,
            );
            if now > end_of_day(window.date) {
                return Err(WorkflowError::TooLate);
            }
        }
        (Command::IssueReview { text }, T::Petition, S::UnderReview | S::UnderReReview) => {
            need_text(text)?;
        }
        (Command::Dispatch { .. }, T::WorkOrder, S::Registered | S::Returned) => {}
        // A work order escalated for want of a sign-for may be dispatched again.
        (Command::Dispatch { .. }, T::WorkOrder, S::Dispatched)
            if case.escalated == Some(EscalateTo::DispatchCentre) => {}
        (Command::SignFor, T::WorkOrder, S::Dispatched) => {}
        (Command::Return { note, .. }, T::WorkOrder, S::Dispatched) => {
            need_text(note)?;
            if case.ruled {
                return Err(WorkflowError::AlreadyRuled);
            }
            let window =
                policy
                    .working_hours
                    .add(case.stage_started, policy.sign_for_hours, calendar);
            if now > window {
                return Err(WorkflowError::TooLate);
            }
        }
        (Command::Rule, T::WorkOrder, S::Returned) => {}
        (Command::ReturnVisit { solved, .. }, T::WorkOrder, S::Answered) => {
            // A verdict must say whether the problem was solved.
            if solved.is_none() {
                return Err(WorkflowError::SolvedNotSaid);
            }
        }
        (Command::Contest { reason }, _, s) if s != S::Merged => {
            need_text(reason)?;
            let pending = case
                .contested
                .as_ref()
                .is_some_and(|v| v.contest == ContestState::Pending);
            match &case.verdict {
                // Only a verdict that counts against the unit, one contest at a time.
                Some(v) if v.contest == ContestState::None && !pending && v.against_unit() => {
                    if (now - v.at).num_days() >= i64::from(policy.contest_days) {
                        return Err(WorkflowError::TooLate);
                    }
                }
                _ => return Err(WorkflowError::NothingToContest),
            }
        }
        (Command::RuleContest { note, .. }, _, _) => {
            need_text(note)?;
            if !case
                .contested
                .as_ref()
                .is_some_and(|v| v.contest == ContestState::Pending)
            {
                return Err(WorkflowError::NothingToContest);
            }
        }
        (Command::AdviseLegal { note, .. }, T::Legal, S::Registered) => {
            need_text(note)?;
        }
        (
            Command::Pause { reason },
            _,
            S::Registered | S::Accepted | S::Handling | S::UnderReview | S::UnderReReview,
        ) => {
            need_text(reason)?;
            if case.paused_since.is_some() {
                return Err(WorkflowError::Clock);
            }
        }
        (Command::Resume, _, _) if !case.state.is_terminal() => {
            if case.paused_since.is_none() {
                return Err(WorkflowError::Clock);
            }
        }
        (Command::Supervise { note, days }, _, s) if !s.is_terminal() => {
            need_text(note)?;
            in_range(
                *days,
                1,
                policy.max_supervision_days,
                "supervision days",
                "督办期限天数",
            )?;
            calendar.due_within(local_day(now), *days)?;
            // One order at a time: a second within the first's deadline is refused.
            if let Some(due) = case
                .supervisions
                .iter()
                .map(|(_, due)| *due)
                .filter(|due| *due >= now)
                .max()
            {
                return Err(WorkflowError::SupervisionOpen(local_day(due)));
            }
        }
        (Command::AssignLeader { .. }, _, s) if !s.is_terminal() => {}
        (Command::Contact { .. }, _, s) if !s.is_terminal() => {}
        (Command::FollowUp { note }, _, s) if !s.is_terminal() => need_text(note)?,
        // Only a consultation, and only before its unit signed for it.
        (Command::AnswerOnSpot { text }, T::WorkOrder, S::Registered | S::Dispatched)
            if case.kind == AppealKind::Consultation =>
        {
            need_text(text)?
        }
        (Command::Merge { into }, _, s) if !s.is_terminal() => {
            if *into == case.id {
                return Err(WorkflowError::SelfMerge);
            }
        }
        (Command::Reopen { reason }, T::Petition | T::WorkOrder, S::Closed) => {
            need_text(reason)?;
            let ended = case.ended_at.unwrap_or(case.stage_started);
            if (now - ended).num_days() > i64::from(policy.reopen_days) {
                return Err(WorkflowError::TooLate);
            }
        }
        (Command::Close, T::Petition, S::Replied | S::Reviewed) => {
            // Only once the appellant's window for review has passed.
            let window = Limit::CalendarDays(policy.review_request_days).due(
                local_day(case.stage_started),
                0,
                calendar,
            );
            if now <= end_of_day(window.date) {
                return Err(WorkflowError::WrongState(case.state));
            }
        }
        (Command::Close, T::WorkOrder, S::Escalated) => {}
        (Command::Close, T::WorkOrder, S::Answered)
            if closes_unvisited(case, policy, calendar, now) => {}
        (Command::Remind { .. } | Command::Escalate { .. } | Command::Imported { .. }, _, _) => {
            return Err(WorkflowError::NotAllowed);
        }
        _ => return Err(wrong()),
    }
    authorise(case, &cmd, actor)?;
    // What only the system says: whether an answer is called back, and that staff
    // record a verdict as given on a call.
    let cmd = match cmd {
        Command::Reply { text, .. } => Command::Reply {
            call_back: (case.track == T::WorkOrder)
                .then(|| calls_back(case, policy, roll(case.id, now))),
            text,
        },
        Command::ReturnVisit {
            rating,
            solved,
            note,
            ..
        } => Command::ReturnVisit {
            rating,
            solved,
            note,
            by_appellant: false,
        },
        other => other,
    };
    // Nobody is told of what they did themselves (a leader taking charge).
    let effects = effects_of(case, &cmd)
        .into_iter()
        .filter(|e| {
            !matches!(e, Effect::NotifyStaff { to: Recipients::Staff(s), .. } if *s == actor.id)
        })
        .collect();
    Ok(Decision {
        effects,
        event: Happened {
            at: now,
            actor: Some(actor.id),
            command: cmd,
        },
    })
}

#[cfg(test)]
mod tests;
