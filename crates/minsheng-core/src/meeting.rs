//! Joint meetings (联席会议): the units concerned meet over a pattern an alert showed
//! or a hard case; the meeting records who came, its minutes and its decisions, and
//! each decision becomes action items (an owner unit, a deadline on the workflow
//! calendar) tracked until closed with a result. What is checked here is pure; the
//! store keeps meetings and the application layer audits every change.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{BeyondCalendar, Calendar, end_of_day};
use crate::form::Check;
use crate::i18n::{Lang, pick};
use crate::intake::{FieldError, FieldErrors, clean_text};

labelled_enum! {
    /// Where an action item stands.
    ActionState {
        /// Being done.
        Open = "open", "办理中", "open";
        /// Done, with a result.
        Done = "done", "已办结", "done";
    }
}

/// Working days an action item may be given: at most a quarter.
pub const MAX_ACTION_DAYS: u32 = 60;
/// The longest title.
pub const MAX_TITLE: usize = 100;
/// The longest minutes, decision or result text.
pub const MAX_TEXT: usize = 5_000;

/// A meeting as a form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MeetingForm {
    /// 会议名称, e.g. 城关街道供暖问题联席会议.
    pub title: String,
    /// The day, `YYYY-MM-DD`.
    pub held_on: String,
    /// Member units' ids.
    pub members: Vec<String>,
}

/// A meeting, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMeeting {
    /// Its name.
    pub title: String,
    /// The day it is held.
    pub held_on: NaiveDate,
    /// Member units.
    pub members: Vec<i64>,
}

impl MeetingForm {
    /// Checks the form against the units that exist.
    pub fn validate(&self, units: &[i64]) -> Result<NewMeeting, FieldErrors> {
        let mut check = Check::new();
        let title = check.name("title", &self.title, 2, MAX_TITLE);
        let held_on = check.day("held_on", &self.held_on).ok_or(());
        let mut errors = check.0;
        let mut members = Vec::new();
        for m in &self.members {
            match m.trim().parse::<i64>() {
                Ok(id) if units.contains(&id) => {
                    if !members.contains(&id) {
                        members.push(id);
                    }
                }
                _ => {
                    errors.0.push(("members", FieldError::UnknownChoice));
                    break;
                }
            }
        }
        if members.is_empty() && !errors.0.iter().any(|(f, _)| *f == "members") {
            errors.0.push(("members", FieldError::Required));
        }
        match held_on {
            Ok(held_on) if errors.0.is_empty() => Ok(NewMeeting {
                title,
                held_on,
                members,
            }),
            _ => Err(errors),
        }
    }
}

/// An action item as a form sends it: the decision it carries out, the owner unit and
/// the working days it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    /// What was decided, and so what is to be done.
    pub decision: String,
    /// The owner unit's id.
    pub owner: String,
    /// Working days from the meeting.
    pub days: String,
}

/// An action item, checked, with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAction {
    /// What is to be done.
    pub decision: String,
    /// Who does it.
    pub owner: i64,
    /// By when: the end of the `days`-th working day after the meeting.
    pub due: DateTime<Utc>,
}

impl ActionForm {
    /// Checks the form for a meeting held on `held_on`; the deadline counts working
    /// days on `calendar` and may not lie beyond its years.
    pub fn validate(
        &self,
        held_on: NaiveDate,
        units: &[i64],
        calendar: &Calendar,
    ) -> Result<NewAction, FieldErrors> {
        let mut errors = FieldErrors::default();
        let decision = clean_text(&self.decision);
        if decision.is_empty() {
            errors.0.push(("decision", FieldError::Required));
        } else if decision.chars().count() > MAX_TEXT {
            errors.0.push(("decision", FieldError::TooLong(MAX_TEXT)));
        }
        let owner = self
            .owner
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|u| units.contains(u));
        if owner.is_none() {
            errors.0.push(("owner", FieldError::UnknownChoice));
        }
        let days = self
            .days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_ACTION_DAYS).contains(d));
        if days.is_none() {
            errors
                .0
                .push(("days", FieldError::Range(1, i64::from(MAX_ACTION_DAYS))));
        }
        let due = days.map(|d| action_due(held_on, d, calendar));
        if let Some(Err(_)) = due {
            errors.0.push(("days", FieldError::BeyondCalendar));
        }
        match (owner, due) {
            (Some(owner), Some(Ok(due))) if errors.0.is_empty() => Ok(NewAction {
                decision,
                owner,
                due,
            }),
            _ => Err(errors),
        }
    }
}

/// The deadline of an action item given `days` working days from a meeting held on
/// `held_on`: the end of that working day, China time.
pub fn action_due(
    held_on: NaiveDate,
    days: u32,
    calendar: &Calendar,
) -> Result<DateTime<Utc>, BeyondCalendar> {
    Ok(end_of_day(calendar.due_within(held_on, days)?.date))
}

/// Whether an action item is past its deadline and not done.
pub fn overdue(state: ActionState, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    state == ActionState::Open && now > due
}

/// Checks the result note that closes an action item.
pub fn check_result(result: &str) -> Result<String, FieldErrors> {
    let text = clean_text(result);
    let error = if text.chars().count() < 2 {
        FieldError::TooShort(2)
    } else if text.chars().count() > MAX_TEXT {
        FieldError::TooLong(MAX_TEXT)
    } else {
        return Ok(text);
    };
    Err(FieldErrors(vec![("result", error)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn a_meeting_needs_a_title_a_day_and_known_members() {
        let ok = MeetingForm {
            title: " 城关街道供暖问题联席会议 ".into(),
            held_on: "2026-12-01".into(),
            members: vec!["3".into(), "5".into(), "3".into()],
        };
        let m = ok.validate(&[3, 5, 7]).expect("valid");
        assert_eq!(m.title, "城关街道供暖问题联席会议");
        assert_eq!(m.members, vec![3, 5], "each member once");
        let bad = MeetingForm {
            title: "x".into(),
            held_on: "0001-12-01".into(),
            members: vec!["99".into()],
        };
        let fields: Vec<&str> = bad
            .validate(&[3])
            .expect_err("invalid")
            .0
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(fields, vec!["title", "held_on", "members"]);
        let none = MeetingForm {
            members: Vec::new(),
            ..ok
        };
        assert!(none.validate(&[3]).is_err(), "a meeting has member units");
    }

    #[test]
    fn an_action_item_is_due_on_a_working_day() {
        let calendar = Calendar::shipped();
        // Friday 2026-12-04 + 1 working day: Monday 2026-12-07, end of day China time.
        let form = ActionForm {
            decision: "住建局牵头督促热力公司三日内排查管网".into(),
            owner: "3".into(),
            days: "1".into(),
        };
        let a = form
            .validate(day("2026-12-04"), &[3], &calendar)
            .expect("valid");
        assert_eq!(a.due, end_of_day(day("2026-12-07")));
        assert!(overdue(
            ActionState::Open,
            a.due,
            a.due + chrono::Duration::seconds(1)
        ));
        assert!(!overdue(
            ActionState::Done,
            a.due,
            a.due + chrono::Duration::days(9)
        ));
        for days in ["0", "61", "-1", "abc", "4294967296"] {
            let f = ActionForm {
                days: days.into(),
                ..form.clone()
            };
            assert!(
                f.validate(day("2026-12-04"), &[3], &calendar).is_err(),
                "{days}"
            );
        }
        let far = ActionForm {
            days: "60".into(),
            ..form.clone()
        };
        assert!(
            far.validate(day("2099-12-01"), &[3], &calendar).is_err(),
            "beyond the calendar's years"
        );
        assert!(check_result("好").is_err());
        assert_eq!(
            check_result(" 已完成管网排查 ").as_deref(),
            Ok("已完成管网排查")
        );
    }

    proptest! {
        #[test]
        fn any_form_is_answered_without_failing(
            title in "\\PC{0,120}", held in "\\PC{0,12}", owner in "\\PC{0,6}", days in "\\PC{0,6}"
        ) {
            let calendar = Calendar::shipped();
            let m = MeetingForm { title, held_on: held, members: vec![owner.clone()] }.validate(&[1]);
            if let Ok(m) = m {
                prop_assert!(m.title.chars().count() <= MAX_TITLE);
            }
            let a = ActionForm { decision: "做".into(), owner, days }
                .validate(day("2026-12-01"), &[1], &calendar);
            if let Ok(a) = a {
                prop_assert!(a.due > end_of_day(day("2026-12-01")));
            }
        }
    }
}
