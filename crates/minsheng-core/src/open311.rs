//! Open311 GeoReport v2 in the domain's terms: the two statuses a request can have,
//! and which appeals are published to anyone who asks.

use crate::AppealKind;
use crate::workflow::{State, Track};

/// A request's status as Open311 tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Still being worked on (or waiting to be).
    Open,
    /// Nothing more is expected.
    Closed,
}

impl Status {
    /// The word Open311 uses.
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }

    /// Reads `open` or `closed` (any case).
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Status::Open),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }

    /// The status of a case in `state`: closed when nothing more is expected.
    pub fn of(state: State) -> Status {
        if state.is_terminal() {
            Status::Closed
        } else {
            Status::Open
        }
    }

    /// The states that have this status.
    pub fn states(self) -> Vec<State> {
        State::ALL
            .into_iter()
            .filter(|s| Status::of(*s) == self)
            .collect()
    }
}

/// Whether anyone may read an appeal through Open311, as a city's reports map shows its
/// reports: only work orders (12345) asking for help, complaining, suggesting or asking
/// a question, in a category citizens see. Petitions (信访), disputes between people,
/// reports of wrongdoing (举报) and litigation-related matters are never published:
/// who raised them, and what they say, is protected. Nor is any appeal whose text
/// accuses a unit, whatever its kind (the store applies that part).
pub fn is_published(kind: AppealKind, track: Track, public_category: bool) -> bool {
    track == Track::WorkOrder
        && public_category
        && matches!(
            kind,
            AppealKind::Help
                | AppealKind::Complaint
                | AppealKind::Suggestion
                | AppealKind::Consultation
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_one_status_and_terminal_ones_are_closed() {
        for s in State::ALL {
            let status = Status::of(s);
            assert_eq!(status == Status::Closed, s.is_terminal(), "{s:?}");
            assert!(status.states().contains(&s));
        }
        assert_eq!(Status::of(State::Handling), Status::Open);
        assert_eq!(Status::of(State::Closed), Status::Closed);
        assert_eq!(Status::parse(" Closed "), Some(Status::Closed));
        assert_eq!(Status::parse("pending"), None);
    }

    #[test]
    fn only_plain_work_orders_in_public_categories_are_published() {
        assert!(is_published(AppealKind::Complaint, Track::WorkOrder, true));
        assert!(!is_published(
            AppealKind::Complaint,
            Track::WorkOrder,
            false
        ));
        assert!(!is_published(AppealKind::Report, Track::WorkOrder, true));
        assert!(!is_published(AppealKind::Dispute, Track::WorkOrder, true));
        assert!(!is_published(AppealKind::Petition, Track::Petition, true));
        assert!(!is_published(AppealKind::Help, Track::Legal, true));
    }
}
