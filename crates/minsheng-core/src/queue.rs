//! Work queues: what needs a person now, by role. Each queue is a fixed selection of
//! open cases (never an ended one); the store turns it into a query, the console makes
//! the person's first queue their default list and counts each in the navigation.

use crate::i18n::{Lang, pick};
use crate::staff::Role;
use crate::workflow::{State, Track};

/// A work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// A unit's new cases: work orders to sign for, petitions to accept or not
    /// (待签收).
    Incoming,
    /// A unit's cases in hand: to handle and answer, a redo (办理中).
    Handling,
    /// The dispatch centre's: new appeals not yet placed, returns (退单) to rule on,
    /// orders gone up for want of a sign-for (待派单).
    Dispatch,
    /// The dispatch centre's merge candidates: open appeals grouped with similar ones
    /// (可合并).
    MergeCandidates,
    /// The call centre's return visits due (待回访).
    ReturnVisits,
    /// The supervisors': open supervision orders and overdue answers gone up (督办).
    Supervision,
    /// A leader's own cases (包案).
    Leading,
}

impl Queue {
    /// All queues, in display order.
    pub const ALL: [Queue; 7] = [
        Queue::Incoming,
        Queue::Handling,
        Queue::Dispatch,
        Queue::MergeCandidates,
        Queue::ReturnVisits,
        Queue::Supervision,
        Queue::Leading,
    ];

    /// The stable identifier (the inbox's `list=`).
    pub fn code(self) -> &'static str {
        match self {
            Queue::Incoming => "incoming",
            Queue::Handling => "handling",
            Queue::Dispatch => "dispatch",
            Queue::MergeCandidates => "merge",
            Queue::ReturnVisits => "visits",
            Queue::Supervision => "supervision",
            Queue::Leading => "leading",
        }
    }

    /// The queue named by `code`.
    pub fn from_code(code: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.code() == code)
    }

    /// How it reads on its tab.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Queue::Incoming => pick(lang, "待签收", "to sign for"),
            Queue::Handling => pick(lang, "办理中", "in hand"),
            Queue::Dispatch => pick(lang, "待派单", "to dispatch"),
            Queue::MergeCandidates => pick(lang, "可合并", "merge candidates"),
            Queue::ReturnVisits => pick(lang, "待回访", "return visits due"),
            Queue::Supervision => pick(lang, "督办", "supervision"),
            Queue::Leading => pick(lang, "我包案的", "my cases (包案)"),
        }
    }

    /// The queues a person's roles give them, their default first (none for a role
    /// with no work of its own, such as the auditor).
    pub fn of(roles: &[Role]) -> Vec<Queue> {
        let has = |r| roles.contains(&r) || roles.contains(&Role::Admin);
        Queue::ALL
            .into_iter()
            .filter(|q| match q {
                Queue::Incoming | Queue::Handling => {
                    has(Role::Handler) || has(Role::UnitHead) || has(Role::GridWorker)
                }
                Queue::Dispatch | Queue::MergeCandidates => has(Role::Dispatcher),
                Queue::ReturnVisits => has(Role::CallTaker) || has(Role::Dispatcher),
                Queue::Supervision => has(Role::Supervisor),
                Queue::Leading => has(Role::Leader),
            })
            .collect()
    }

    /// Whether the queue lists a unit's own cases (else everything in the person's
    /// area).
    pub fn by_unit(self) -> bool {
        matches!(self, Queue::Incoming | Queue::Handling)
    }

    /// Which cases it holds, for the store to query.
    pub fn selection(self) -> Selection {
        use State as S;
        let none = Selection {
            states: &[],
            not_track: None,
            due: false,
            or_tag: None,
            supervised: false,
            led: false,
            grouped: false,
        };
        match self {
            Queue::Incoming => Selection {
                states: &[S::Registered, S::Dispatched],
                ..none
            },
            Queue::Handling => Selection {
                states: &[S::Accepted, S::Handling, S::Escalated],
                ..none
            },
            Queue::Dispatch => Selection {
                states: &[S::Registered, S::Returned],
                not_track: Some(Track::Petition),
                or_tag: Some("escalated:dispatch"),
                ..none
            },
            Queue::MergeCandidates => Selection {
                grouped: true,
                ..none
            },
            Queue::ReturnVisits => Selection {
                states: &[S::Answered],
                due: true,
                ..none
            },
            Queue::Supervision => Selection {
                supervised: true,
                ..none
            },
            Queue::Leading => Selection { led: true, ..none },
        }
    }
}

/// The cases a queue holds: always open ones, then narrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// In one of these states (empty: any open state).
    pub states: &'static [State],
    /// Not on this track.
    pub not_track: Option<Track>,
    /// With a deadline running (an answer not called back waits for the appellant,
    /// not the call centre).
    pub due: bool,
    /// Or, in any open state, carrying this label.
    pub or_tag: Option<&'static str>,
    /// With an open supervision order or an overdue answer gone up to the head.
    pub supervised: bool,
    /// Led by the person looking (包案).
    pub led: bool,
    /// In a group of similar appeals with company (a merge candidate).
    pub grouped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_its_own_queue_first() {
        assert_eq!(
            Queue::of(&[Role::Handler]),
            [Queue::Incoming, Queue::Handling]
        );
        assert_eq!(
            Queue::of(&[Role::Dispatcher]),
            [Queue::Dispatch, Queue::MergeCandidates, Queue::ReturnVisits]
        );
        assert_eq!(Queue::of(&[Role::CallTaker]), [Queue::ReturnVisits]);
        assert_eq!(Queue::of(&[Role::Supervisor]), [Queue::Supervision]);
        assert_eq!(
            Queue::of(&[Role::UnitHead, Role::Leader]),
            [Queue::Incoming, Queue::Handling, Queue::Leading]
        );
        assert!(Queue::of(&[Role::Auditor]).is_empty());
        assert_eq!(Queue::of(&[Role::Admin]), Queue::ALL);
        for q in Queue::ALL {
            assert_eq!(Queue::from_code(q.code()), Some(q));
        }
    }

    #[test]
    fn no_queue_names_an_ended_state() {
        for q in Queue::ALL {
            let sel = q.selection();
            assert!(sel.states.iter().all(|s| !s.is_terminal()), "{q:?}");
        }
        assert_eq!(
            Queue::Dispatch.selection().or_tag,
            Some(crate::workflow::EscalateTo::DispatchCentre.tag().as_str())
        );
    }
}
