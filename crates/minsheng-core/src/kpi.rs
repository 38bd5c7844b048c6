//! What the figures count: which step of a case adds to which measure, and how the
//! rates a county reports are made of the measures. Definitions in docs/kpi.md.
//!
//! Every step of a case adds to at most one cell, keyed by its local day, the
//! appeal's township and category, the unit answerable for the step and the cadre who
//! took it. Stores keep the sums in the same transaction as the step
//! ([`of_step`]), and a rebuild recomputes them from the events ([`of_history`]):
//! one function serves both, so the two agree by construction, and a test checks the
//! stored sums against the rebuild.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{Calendar, local_day};
use crate::i18n::{Lang, pick};
use crate::region::{RegionCode, RegionLevel};
use crate::workflow::{
    Case, CaseFacts, ClockKind, Command, EscalateTo, Happened, Policy, Rating, Solved, State, Track,
};

macro_rules! measures {
    ($($name:ident => $column:literal, $zh:literal, $en:literal;)+) => {
        /// One thing counted per cell.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Measure {
            $(
                #[doc = $en]
                $name,
            )+
        }

        impl Measure {
            /// Every measure, in storage order.
            pub const ALL: &'static [Measure] = &[$(Measure::$name),+];

            /// The column that keeps it.
            pub fn column(self) -> &'static str {
                match self {
                    $(Measure::$name => $column,)+
                }
            }

            /// Its name in the interface language.
            pub fn label(self, lang: Lang) -> &'static str {
                match self {
                    $(Measure::$name => pick(lang, $zh, $en),)+
                }
            }
        }
    };
}

measures! {
    Received => "received", "受理诉求", "appeals received";
    Dispatched => "dispatched", "派单", "work orders dispatched";
    Returned => "returned", "退单", "work orders returned";
    Signed => "signed", "签收", "work orders signed for";
    SignedOnTime => "signed_on_time", "按时签收", "signed for on time";
    Decided => "decided", "受理告知", "petitions decided (accept or not)";
    Accepted => "accepted", "受理信访事项", "petitions accepted";
    Replied => "replied", "答复办结", "replies";
    RepliedOnTime => "replied_on_time", "按时答复", "replies on time";
    ReplyDays => "reply_days", "办理工作日合计", "working days to reply, summed";
    OrderReplies => "order_replies", "工单办结", "work-order replies";
    Visited => "visited", "回访", "return visits";
    RatedSatisfied => "rated_satisfied", "满意", "satisfied";
    RatedBasic => "rated_basic", "基本满意", "fairly satisfied";
    RatedUnsatisfied => "rated_unsatisfied", "不满意", "not satisfied";
    SolvedYes => "solved_yes", "已解决", "solved";
    SolvedPartly => "solved_partly", "部分解决", "partly solved";
    SolvedNo => "solved_no", "未解决", "not solved";
    Closed => "closed", "办结归档", "cases closed";
    HardClosed => "hard_closed", "化解积案难案", "backlog or hard cases ended";
    Reopened => "reopened", "重新办理", "cases reopened";
}

/// The sums of one cell, one per [`Measure`], in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums(pub Vec<i64>);

impl Sums {
    /// All zero.
    pub fn zero() -> Sums {
        Sums(vec![0; Measure::ALL.len()])
    }

    /// The count of one measure.
    pub fn get(&self, m: Measure) -> i64 {
        self.0.get(m as usize).copied().unwrap_or(0)
    }

    /// Adds `n` to one measure.
    pub fn bump(&mut self, m: Measure, n: i64) {
        if self.0.len() < Measure::ALL.len() {
            self.0.resize(Measure::ALL.len(), 0);
        }
        self.0[m as usize] += n;
    }

    /// Adds another cell's sums.
    pub fn add(&mut self, other: &Sums) {
        for m in Measure::ALL {
            self.bump(*m, other.get(*m));
        }
    }

    /// Whether every measure is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }
}

/// Where a step counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The local day it happened (received, for [`Measure::Received`]).
    pub day: NaiveDate,
    /// The appeal's township (its county, for an appeal placed at county level).
    pub township: String,
    /// The appeal's category.
    pub category: String,
    /// The unit answerable for the step (0: none yet).
    pub unit: i64,
    /// The cadre it is credited to (0: nobody in particular).
    pub staff: i64,
}

/// One cell's addition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Where.
    pub key: Key,
    /// What.
    pub sums: Sums,
}

/// The township a region lies in (a county-level region counts as its own).
pub fn township_of(region: &RegionCode) -> RegionCode {
    match region.level() {
        RegionLevel::County | RegionLevel::Township => region.clone(),
        RegionLevel::Village => region.parent().unwrap_or_else(|| region.clone()),
        RegionLevel::Grid => region
            .parent()
            .and_then(|v| v.parent())
            .unwrap_or_else(|| region.clone()),
    }
}

fn key(facts: &CaseFacts, day: NaiveDate, unit: Option<i64>, staff: Option<i64>) -> Key {
    Key {
        day,
        township: township_of(&facts.region).as_str().to_owned(),
        category: facts.category.clone(),
        unit: unit.unwrap_or(0),
        staff: staff.unwrap_or(0),
    }
}

/// The appeal's arrival: counted on the day received, for the unit routing chose.
pub fn received(facts: &CaseFacts) -> Tally {
    let mut counts = Sums::zero();
    counts.bump(Measure::Received, 1);
    Tally {
        key: key(facts, local_day(facts.received_at), facts.routed_unit, None),
        sums: counts,
    }
}

/// Whether `at` falls within the stage clock `what` of `case` (a clock the case does
/// not have never makes a step late).
fn on_time(
    case: &Case,
    what: ClockKind,
    at: DateTime<Utc>,
    policy: &Policy,
    calendar: &Calendar,
) -> bool {
    case.clocks(policy, calendar)
        .iter()
        .find(|c| c.what == what)
        .is_none_or(|c| at <= c.due)
}

/// What one step adds, given the case before and after it (nothing for steps no
/// figure counts, such as a pause).
pub fn of_step(
    facts: &CaseFacts,
    before: &Case,
    step: &Happened,
    after: &Case,
    policy: &Policy,
    calendar: &Calendar,
) -> Option<Tally> {
    let mut c = Sums::zero();
    let mut unit = before.lead;
    let mut staff = step.actor;
    match &step.command {
        Command::Dispatch { lead, .. } => {
            unit = Some(*lead);
            staff = None;
            c.bump(Measure::Dispatched, 1);
        }
        Command::Return { .. } => c.bump(Measure::Returned, 1),
        // A sign-for late enough to go up to the dispatch centre counts then, as one
        // not on time; signing for it afterwards does not count it again.
        Command::Escalate {
            to: EscalateTo::DispatchCentre,
            ..
        } => c.bump(Measure::Signed, 1),
        Command::SignFor if before.escalated == Some(EscalateTo::DispatchCentre) => {}
        Command::SignFor => {
            c.bump(Measure::Signed, 1);
            if on_time(before, ClockKind::SignFor, step.at, policy, calendar) {
                c.bump(Measure::SignedOnTime, 1);
            }
        }
        Command::Accept => {
            c.bump(Measure::Decided, 1);
            c.bump(Measure::Accepted, 1);
        }
        Command::Decline { .. } | Command::Transfer { .. } => c.bump(Measure::Decided, 1),
        Command::Reply { .. } => {
            c.bump(Measure::Replied, 1);
            let clock = if before.track == Track::Petition {
                ClockKind::Handling
            } else {
                c.bump(Measure::OrderReplies, 1);
                ClockKind::Reply
            };
            if on_time(before, clock, step.at, policy, calendar) {
                c.bump(Measure::RepliedOnTime, 1);
            }
            let days =
                calendar.working_days_between(local_day(facts.received_at), local_day(step.at));
            c.bump(Measure::ReplyDays, i64::from(days));
        }
        // Answered on the spot by the call centre: a work-order reply on the day.
        Command::AnswerOnSpot { .. } => {
            c.bump(Measure::Replied, 1);
            c.bump(Measure::OrderReplies, 1);
            c.bump(Measure::RepliedOnTime, 1);
        }
        Command::ReturnVisit { rating, solved, .. } => {
            // The verdict judges the cadre who replied, not the one who called back.
            staff = before.replied_by;
            c.bump(Measure::Visited, 1);
            judged(&mut c, *rating, *solved, 1);
        }
        Command::RuleContest { upheld: true, .. } => {
            // A verdict set aside leaves the grades in the cell it was counted in (the
            // visit itself happened and still counts).
            let v = before.contested.as_ref()?;
            judged(&mut c, v.rating, v.solved, -1);
            return Some(Tally {
                key: key(facts, local_day(v.at), v.unit, v.staff),
                sums: c,
            });
        }
        Command::Reopen { .. } => c.bump(Measure::Reopened, 1),
        _ => {}
    }
    if before.state != State::Closed && after.state == State::Closed {
        c.bump(Measure::Closed, 1);
    }
    if !before.state.is_terminal() && after.state.is_terminal() {
        let flags = before.flags(policy, step.at);
        if flags.backlog || flags.hard {
            c.bump(Measure::HardClosed, 1);
        }
    }
    (!c.is_zero()).then(|| Tally {
        key: key(facts, local_day(step.at), unit, staff),
        sums: c,
    })
}

/// Adds `n` to the grade and the solved answer of a verdict.
fn judged(c: &mut Sums, rating: Rating, solved: Option<Solved>, n: i64) {
    c.bump(
        match rating {
            Rating::Satisfied => Measure::RatedSatisfied,
            Rating::Basic => Measure::RatedBasic,
            Rating::Unsatisfied => Measure::RatedUnsatisfied,
        },
        n,
    );
    if let Some(s) = solved {
        c.bump(
            match s {
                Solved::Solved => Measure::SolvedYes,
                Solved::Partly => Measure::SolvedPartly,
                Solved::Unsolved => Measure::SolvedNo,
            },
            n,
        );
    }
}

/// Everything a case's history adds, from its arrival on, summed per cell.
pub fn of_history(
    facts: &CaseFacts,
    history: &[Happened],
    policy: &Policy,
    calendar: &Calendar,
) -> Vec<Tally> {
    let mut tallies = vec![received(facts)];
    let mut case = Case::new(facts, policy);
    for step in history {
        let before = case.clone();
        case.apply(step, policy, calendar);
        tallies.extend(of_step(facts, &before, step, &case, policy, calendar));
    }
    merge(tallies)
}

/// Sums tallies of the same cell; the cells come out in key order (so that writers
/// lock rows in one order).
pub fn merge(tallies: impl IntoIterator<Item = Tally>) -> Vec<Tally> {
    let mut cells: BTreeMap<Key, Sums> = BTreeMap::new();
    for t in tallies {
        cells.entry(t.key).or_insert_with(Sums::zero).add(&t.sums);
    }
    cells
        .into_iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(key, sums)| Tally { key, sums })
        .collect()
}

/// A share: how many of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Numerator.
    pub of: i64,
    /// Denominator.
    pub out_of: i64,
}

impl Rate {
    /// The share in percent, if there is anything to share.
    pub fn percent(self) -> Option<f64> {
        (self.out_of > 0).then(|| 100.0 * self.of as f64 / self.out_of as f64)
    }

    /// The share as people read it: `95.2%`, or `—` with nothing to count.
    pub fn show(self) -> String {
        self.percent()
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
    }
}

/// The rates a county reports, each defined in docs/kpi.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kpi {
    /// 响应率: work orders signed for on time, of those signed for.
    Response,
    /// 受理率: petitions accepted, of those decided.
    Acceptance,
    /// 按时办结率: replies within their limit, of all replies.
    OnTimeReply,
    /// 解决率: visits where the appellant said solved, of visits that asked.
    Resolution,
    /// 满意率: 满意 and 基本满意, of all return visits.
    Satisfaction,
    /// 回访率: return visits, of work-order replies.
    Visit,
    /// 退单率: returns, of dispatches.
    ReturnShare,
    /// 重办率: reopened, of closed.
    Repeat,
}

impl Kpi {
    /// Every rate, in the order reports show them.
    pub const ALL: [Kpi; 8] = [
        Kpi::Response,
        Kpi::Acceptance,
        Kpi::OnTimeReply,
        Kpi::Resolution,
        Kpi::Satisfaction,
        Kpi::Visit,
        Kpi::ReturnShare,
        Kpi::Repeat,
    ];

    /// The stable identifier (weights, URLs, exports).
    pub fn code(self) -> &'static str {
        match self {
            Kpi::Response => "response",
            Kpi::Acceptance => "acceptance",
            Kpi::OnTimeReply => "on_time_reply",
            Kpi::Resolution => "resolution",
            Kpi::Satisfaction => "satisfaction",
            Kpi::Visit => "visit",
            Kpi::ReturnShare => "return",
            Kpi::Repeat => "repeat",
        }
    }

    /// Its name in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kpi::Response => pick(lang, "响应率", "response rate"),
            Kpi::Acceptance => pick(lang, "受理率", "acceptance rate"),
            Kpi::OnTimeReply => pick(lang, "按时办结率", "on-time reply rate"),
            Kpi::Resolution => pick(lang, "解决率", "resolution rate"),
            Kpi::Satisfaction => pick(lang, "满意率", "satisfaction rate"),
            Kpi::Visit => pick(lang, "回访率", "return-visit rate"),
            Kpi::ReturnShare => pick(lang, "退单率", "return rate"),
            Kpi::Repeat => pick(lang, "重办率", "repeat rate"),
        }
    }

    /// Whether a higher share is better (a return or a repeat is not).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Kpi::ReturnShare | Kpi::Repeat)
    }

    /// The share over summed counts.
    pub fn of(self, c: &Sums) -> Rate {
        use Measure as M;
        let rate = |of: i64, out_of: i64| Rate { of, out_of };
        match self {
            Kpi::Response => rate(c.get(M::SignedOnTime), c.get(M::Signed)),
            Kpi::Acceptance => rate(c.get(M::Accepted), c.get(M::Decided)),
            Kpi::OnTimeReply => rate(c.get(M::RepliedOnTime), c.get(M::Replied)),
            Kpi::Resolution => rate(
                c.get(M::SolvedYes),
                c.get(M::SolvedYes) + c.get(M::SolvedPartly) + c.get(M::SolvedNo),
            ),
            Kpi::Satisfaction => rate(
                c.get(M::RatedSatisfied) + c.get(M::RatedBasic),
                c.get(M::Visited),
            ),
            Kpi::Visit => rate(c.get(M::Visited), c.get(M::OrderReplies)),
            Kpi::ReturnShare => rate(c.get(M::Returned), c.get(M::Dispatched)),
            Kpi::Repeat => rate(c.get(M::Reopened), c.get(M::Closed)),
        }
    }
}

/// Average working days from receipt to reply, if anything was replied.
pub fn average_reply_days(c: &Sums) -> Option<f64> {
    let replied = c.get(Measure::Replied);
    (replied > 0).then(|| c.get(Measure::ReplyDays) as f64 / replied as f64)
}

/// How much each rate weighs in a ranking's score, in whole points; set by the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights(pub Vec<(Kpi, u32)>);

impl Default for Weights {
    /// Satisfaction and resolution first, as "以群众满意为标准" asks.
    fn default() -> Weights {
        Weights(vec![
            (Kpi::Satisfaction, 30),
            (Kpi::Resolution, 25),
            (Kpi::OnTimeReply, 20),
            (Kpi::Response, 15),
            (Kpi::ReturnShare, 10),
        ])
    }
}

impl Weights {
    /// The weight of `kpi` (0 when not weighed).
    pub fn of(&self, kpi: Kpi) -> u32 {
        self.0
            .iter()
            .find(|(k, _)| *k == kpi)
            .map_or(0, |(_, w)| *w)
    }

    /// Reads the county's form: one field per rate, named by its [`Kpi::code`], each a
    /// whole number of points from 0 to 100, at least one above 0 (an empty field is
    /// 0). Every rate not weighed is left out.
    pub fn from_form(fields: &[(String, String)]) -> Result<Weights, crate::intake::FieldErrors> {
        use crate::intake::{FieldError, FieldErrors};
        let mut errors = FieldErrors::default();
        let mut weights = Vec::new();
        for kpi in Kpi::ALL {
            let typed = fields
                .iter()
                .find(|(k, _)| k == kpi.code())
                .map_or("", |(_, v)| v.trim());
            match if typed.is_empty() {
                Ok(0)
            } else {
                typed.parse::<u32>()
            } {
                Ok(w) if w <= 100 => {
                    if w > 0 {
                        weights.push((kpi, w));
                    }
                }
                _ => errors.0.push((kpi.code(), FieldError::Range(0, 100))),
            }
        }
        if errors.0.is_empty() && weights.is_empty() {
            errors.0.push(("weights", FieldError::Required));
        }
        if errors.0.is_empty() {
            Ok(Weights(weights))
        } else {
            Err(errors)
        }
    }

    /// The score out of 100: each weighted rate in percent (a rate where lower is
    /// better counts as 100 minus it), over the weights of the rates that have
    /// something to count; `None` when none has.
    pub fn score(&self, c: &Sums) -> Option<f64> {
        let (mut sum, mut weight) = (0.0, 0u32);
        for (kpi, w) in &self.0 {
            if let Some(p) = kpi.of(c).percent() {
                let p = if kpi.higher_is_better() { p } else { 100.0 - p };
                sum += p * f64::from(*w);
                weight += w;
            }
        }
        (weight > 0).then(|| sum / f64::from(weight))
    }
}

#[cfg(test)]
mod tests;

/// The fewest appeals a published cell may count: smaller counts could point to a
/// person.
pub const MIN_PUBLISHED: i64 = 5;

/// A table of counts as it may be published: every cell under `min` is withheld, and
/// then, while a row or a column (whose total is published) has exactly one withheld
/// cell, its smallest other non-zero cell is withheld too, so that no withheld count
/// can be worked out from a total. Zero cells are shown: a zero points to nobody.
pub fn suppress(table: &[Vec<i64>], min: i64) -> Vec<Vec<Option<i64>>> {
    let mut out: Vec<Vec<Option<i64>>> = table
        .iter()
        .map(|row| {
            row.iter()
                .map(|&n| (n == 0 || n >= min).then_some(n))
                .collect()
        })
        .collect();
    let cols = table.iter().map(Vec::len).max().unwrap_or(0);
    // Lines are rows (true, i) or columns (false, j).
    let cells = |row: bool, i: usize| -> Vec<(usize, usize)> {
        if row {
            (0..table[i].len()).map(|j| (i, j)).collect()
        } else {
            (0..table.len())
                .filter(|&r| i < table[r].len())
                .map(|r| (r, i))
                .collect()
        }
    };
    loop {
        let mut changed = false;
        let lines = (0..table.len())
            .map(|i| (true, i))
            .chain((0..cols).map(|j| (false, j)));
        for (row, i) in lines {
            let line = cells(row, i);
            let withheld = line.iter().filter(|&&(r, c)| out[r][c].is_none()).count();
            if withheld != 1 {
                continue;
            }
            let partner = line
                .iter()
                .filter(|&&(r, c)| matches!(out[r][c], Some(n) if n > 0))
                .min_by_key(|&&(r, c)| (table[r][c], r, c));
            if let Some(&(r, c)) = partner {
                out[r][c] = None;
                changed = true;
            }
        }
        if !changed {
            return out;
        }
    }
}
