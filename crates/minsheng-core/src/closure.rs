//! Signs that a case was closed on paper but not in fact (虚假办结), shown to
//! supervisors: a case closed while the appellant said the problem was not solved, a
//! reply too short to say what was done, a closed case reopened, the same person back on
//! the same matter within 30 days of a closing, a reply copied from another case. Each
//! sign is a label on the case, set in the same transaction as the step or the arrival
//! that shows it: [`signs`] finds those one case's steps show; the store finds the two
//! that need other cases (came back, copied) with [`reply_print`] and
//! [`CAME_BACK_DAYS`].

use crate::i18n::{Lang, pick};
use crate::workflow::{Case, Command, EscalateTo, Happened, Solved, State};

/// A reply shorter than this many characters cannot say what was done.
pub const MIN_REPLY_CHARS: usize = 15;

/// One sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sign {
    /// Closed on a 满意 or 基本满意 while the appellant said it was not solved.
    UnsolvedClosed,
    /// A reply under [`MIN_REPLY_CHARS`] characters.
    ShortReply,
    /// A closed case reopened (the reopening window is the policy's 30 days).
    Reopened,
    /// The same person came back on the same matter (same category) within
    /// [`CAME_BACK_DAYS`] of its closing; the sign is put on the closed case.
    CameBack,
    /// The reply is word for word (give or take dates, numbers, spaces and punctuation)
    /// another case's reply.
    CopiedReply,
}

/// Days after a closing within which a new appeal from the same person on the same
/// matter shows the closing was not real.
pub const CAME_BACK_DAYS: i64 = 30;

/// What two replies must share to count as copies: the reply with its spacing,
/// punctuation, digits and Latin letters taken out (dates, numbers, names of streets in
/// pinyin change; the words do not). `None` for a reply too short to judge (under
/// [`MIN_REPLY_CHARS`] characters of it remain), which [`Sign::ShortReply`] covers.
pub fn reply_print(text: &str) -> Option<String> {
    let kept: String = crate::intake::clean_text(text)
        .chars()
        .filter(|c| c.is_alphabetic() && !c.is_ascii() && !is_cjk_punctuation(*c))
        .collect();
    (kept.chars().count() >= MIN_REPLY_CHARS).then_some(kept)
}

/// Full-width and CJK punctuation, which `is_alphabetic` does not always exclude.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}' | '\u{FF5B}'..='\u{FF65}')
        || c.is_numeric()
}

impl Sign {
    /// Every sign.
    pub const ALL: [Sign; 5] = [
        Sign::UnsolvedClosed,
        Sign::ShortReply,
        Sign::Reopened,
        Sign::CameBack,
        Sign::CopiedReply,
    ];

    /// The label put on the case (`sign:` then the kind).
    pub fn tag(self) -> &'static str {
        match self {
            Sign::UnsolvedClosed => "sign:unsolved-closed",
            Sign::ShortReply => "sign:short-reply",
            Sign::Reopened => "sign:reopened",
            Sign::CameBack => "sign:came-back",
            Sign::CopiedReply => "sign:copied-reply",
        }
    }

    /// What it means, in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Sign::UnsolvedClosed => pick(
                lang,
                "群众称未解决却已办结",
                "closed though the appellant said unsolved",
            ),
            Sign::ShortReply => pick(lang, "答复过于简单", "reply too short to say what was done"),
            Sign::Reopened => pick(lang, "办结后重新办理", "reopened after closing"),
            Sign::CameBack => pick(
                lang,
                "办结后30日内同一群众就同类问题再次诉求",
                "the same person came back on the same matter within 30 days",
            ),
            Sign::CopiedReply => pick(lang, "答复与其他诉求雷同", "reply copied from another case"),
        }
    }
}

/// The label of a contest awaiting a supervisor's ruling (the supervisor's list).
pub const CONTEST_PENDING: &str = "contest:pending";

/// The labels a contest step puts on the case and takes off: a contest is
/// [`CONTEST_PENDING`] until the ruling replaces it with `contest:upheld` or
/// `contest:rejected`. Other steps: none.
pub fn contest_labels(command: &Command) -> (Option<&'static str>, Option<&'static str>) {
    match command {
        Command::Contest { .. } => (Some(CONTEST_PENDING), None),
        Command::RuleContest { upheld: true, .. } => {
            (Some("contest:upheld"), Some(CONTEST_PENDING))
        }
        Command::RuleContest { upheld: false, .. } => {
            (Some("contest:rejected"), Some(CONTEST_PENDING))
        }
        _ => (None, None),
    }
}

/// The escalation labels a step puts on and takes off (`escalated:dispatch`,
/// `escalated:head`): on when a clock goes up, off when the stage it went up in ends.
pub fn escalation_labels(before: &Case, after: &Case) -> (Option<String>, Option<String>) {
    if before.escalated == after.escalated {
        return (None, None);
    }
    (
        after.escalated.map(EscalateTo::tag),
        before.escalated.map(EscalateTo::tag),
    )
}

/// The signs a step shows, given the case before and after it.
pub fn signs(before: &Case, step: &Happened, after: &Case) -> Vec<Sign> {
    let mut found = Vec::new();
    match &step.command {
        Command::ReturnVisit {
            solved: Some(Solved::Unsolved),
            ..
        } if after.state == State::Closed => found.push(Sign::UnsolvedClosed),
        Command::Reply { text, .. } if text.trim().chars().count() < MIN_REPLY_CHARS => {
            found.push(Sign::ShortReply)
        }
        Command::Reopen { .. } if before.state.is_terminal() => found.push(Sign::Reopened),
        _ => {}
    }
    found
}

/// The signs a whole history shows (a case brought in with its steps, such as the
/// demo county's), each once, in the order first seen.
pub fn signs_of_history(
    facts: &crate::workflow::CaseFacts,
    history: &[Happened],
    policy: &crate::workflow::Policy,
    calendar: &crate::clock::Calendar,
) -> Vec<Sign> {
    let mut case = Case::new(facts, policy);
    let mut found = Vec::new();
    for step in history {
        let before = case.clone();
        case.apply(step, policy, calendar);
        for s in signs(&before, step, &case) {
            if !found.contains(&s) {
                found.push(s);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::appeal::AppealKind;
    use crate::region::RegionCode;
    use crate::workflow::{CaseFacts, Policy, Rating};

    fn facts() -> CaseFacts {
        CaseFacts {
            id: 1,
            kind: AppealKind::Complaint,
            category: "gongre".into(),
            region: RegionCode::parse("370999001001").expect("code"),
            received_at: Utc
                .with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
                .single()
                .expect("time"),
            routed_unit: Some(7),
            routed_co: Vec::new(),
            accused: Vec::new(),
        }
    }

    fn case(state: State) -> Case {
        let mut c = Case::new(&facts(), &Policy::default());
        c.state = state;
        c
    }

    fn step(command: Command) -> Happened {
        Happened {
            at: Utc
                .with_ymd_and_hms(2026, 3, 5, 1, 0, 0)
                .single()
                .expect("time"),
            actor: Some(1),
            command,
        }
    }

    #[test]
    fn each_sign_is_seen_and_nothing_else_is() {
        let visit = |rating, solved| {
            step(Command::ReturnVisit {
                rating,
                solved: Some(solved),
                note: "回访".into(),
                by_appellant: false,
            })
        };
        let (answered, closed, handling) = (
            case(State::Answered),
            case(State::Closed),
            case(State::Handling),
        );
        assert_eq!(
            signs(
                &answered,
                &visit(Rating::Satisfied, Solved::Unsolved),
                &closed
            ),
            [Sign::UnsolvedClosed]
        );
        // Unsatisfied and unsolved: handled again, which is what should happen.
        assert!(
            signs(
                &answered,
                &visit(Rating::Unsatisfied, Solved::Unsolved),
                &handling
            )
            .is_empty()
        );
        assert!(signs(&answered, &visit(Rating::Basic, Solved::Partly), &closed).is_empty());
        let reply = |t: &str| {
            step(Command::Reply {
                text: t.into(),
                call_back: None,
            })
        };
        assert_eq!(
            signs(&handling, &reply("已处理。"), &answered),
            [Sign::ShortReply]
        );
        assert!(
            signs(
                &handling,
                &reply("经现场核查，已更换损坏阀门，室温恢复到20度。"),
                &answered
            )
            .is_empty()
        );
        let reopen = step(Command::Reopen {
            reason: "群众反映问题仍在".into(),
        });
        assert_eq!(signs(&closed, &reopen, &handling), [Sign::Reopened]);
    }

    #[test]
    fn a_history_shows_each_sign_once() {
        let facts = facts();
        let visit = |rating, solved| {
            step(Command::ReturnVisit {
                rating,
                solved: Some(solved),
                note: "回访".into(),
                by_appellant: false,
            })
        };
        let history = [
            step(Command::Dispatch {
                lead: 7,
                co: Vec::new(),
                urgency: crate::workflow::Urgency::Normal,
            }),
            step(Command::SignFor),
            step(Command::Reply {
                text: "好了".into(),
                call_back: None,
            }),
            visit(Rating::Unsatisfied, Solved::Unsolved),
            step(Command::Reply {
                text: "已办".into(),
                call_back: None,
            }),
            visit(Rating::Satisfied, Solved::Unsolved),
        ];
        assert_eq!(
            signs_of_history(
                &facts,
                &history,
                &Policy::default(),
                &crate::clock::Calendar::shipped()
            ),
            [Sign::ShortReply, Sign::UnsolvedClosed]
        );
    }

    #[test]
    fn copied_replies_match_whatever_dates_numbers_and_spacing_say() {
        let one =
            reply_print("经核实，已于11月3日安排维修人员到现场，更换供暖阀门2个，现已恢复供暖。");
        let two = reply_print(
            "经核实，已于 12 月 1 日安排维修人员到现场，更换供暖阀门 5 个；现已恢复供暖!",
        );
        assert!(one.is_some());
        assert_eq!(one, two);
        let other = reply_print("经核实，已于11月3日安排环卫工人清理垃圾，现已清运完毕。");
        assert_ne!(one, other);
        // Too short to judge: the short-reply sign covers it.
        assert_eq!(reply_print("已处理。"), None);
        assert_eq!(reply_print("ok ok ok ok ok ok ok ok"), None);
    }
}
