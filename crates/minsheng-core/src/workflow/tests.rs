//! Tables for every legal and illegal transition on every track, clock arithmetic, and
//! a model test over random command sequences.

use chrono::{Duration, TimeZone};
use proptest::prelude::*;
use rstest::rstest;

use super::*;

const COUNTY: &str = "370999000000";
const VILLAGE: &str = "370999001001";
const LEAD: i64 = 7;
const OTHER: i64 = 8;

fn at(days: i64, hours: i64) -> DateTime<Utc> {
    // 2026-03-02 is a Monday, 09:00 China time.
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("time")
        + Duration::days(days)
        + Duration::hours(hours)
}

fn actor(roles: &[Role], unit: i64) -> Actor {
    Actor {
        id: 100 + unit,
        unit_id: unit,
        roles: roles.to_vec(),
        scope: Scope {
            regions: vec![RegionCode::parse(COUNTY).expect("code")],
            units: vec![unit],
            above: Vec::new(),
        },
    }
}

fn admin() -> Actor {
    actor(&[Role::Admin], 1)
}

fn facts(track: Track) -> CaseFacts {
    let (kind, category) = match track {
        Track::Petition => (AppealKind::Petition, "tudi"),
        Track::WorkOrder => (AppealKind::Complaint, "gongre"),
        Track::Legal => (AppealKind::Complaint, "shefa"),
    };
    CaseFacts {
        id: 1,
        kind,
        category: category.into(),
        region: RegionCode::parse(VILLAGE).expect("code"),
        received_at: at(0, 0),
        routed_unit: None,
        routed_co: Vec::new(),
        accused: Vec::new(),
    }
}

fn new_case(track: Track) -> Case {
    let case = Case::new(&facts(track), &Policy::default());
    assert_eq!(case.track, track);
    case
}

/// A valid instance of each command, by name.
fn command(name: &str) -> Command {
    match name {
        "accept" => Command::Accept,
        "decline" => Command::Decline {
            reason: "不属于信访事项，请向法院起诉".into(),
        },
        "transfer" => Command::Transfer {
            organ: "市自然资源局".into(),
        },
        "extend" => Command::Extend {
            days: 30,
            reason: "需要现场测量".into(),
        },
        "reply" => Command::Reply {
            text: "已答复".into(),
            call_back: None,
        },
        "request_review" => Command::RequestReview,
        "issue_review" => Command::IssueReview {
            text: "维持原答复".into(),
        },
        "dispatch" => Command::Dispatch {
            lead: LEAD,
            co: vec![OTHER],
            urgency: Urgency::Normal,
        },
        "sign_for" => Command::SignFor,
        "return" => Command::Return {
            reason: ReturnReason::WrongPlace,
            note: "不在本辖区".into(),
        },
        "rule" => Command::Rule,
        "visit_ok" => Command::ReturnVisit {
            rating: Rating::Satisfied,
            solved: Some(Solved::Solved),
            note: "满意".into(),
            by_appellant: false,
        },
        "visit_bad" => Command::ReturnVisit {
            rating: Rating::Unsatisfied,
            solved: Some(Solved::Unsolved),
            note: "不满意".into(),
            by_appellant: false,
        },
        "advise_legal" => Command::AdviseLegal {
            channel: LegalChannel::Lawsuit,
            note: "请依法向法院起诉".into(),
        },
        "pause" => Command::Pause {
            reason: "等待补充材料".into(),
        },
        "resume" => Command::Resume,
        "supervise" => Command::Supervise {
            note: "请加快办理".into(),
            days: 3,
        },
        "assign_leader" => Command::AssignLeader { leader: 55 },
        "merge" => Command::Merge { into: 2 },
        "reopen" => Command::Reopen {
            reason: "群众反映问题复发".into(),
        },
        "close" => Command::Close,
        other => panic!("unknown command {other}"),
    }
}

const COMMANDS: [&str; 21] = [
    "accept",
    "decline",
    "transfer",
    "extend",
    "reply",
    "request_review",
    "issue_review",
    "dispatch",
    "sign_for",
    "return",
    "rule",
    "visit_ok",
    "visit_bad",
    "advise_legal",
    "pause",
    "resume",
    "supervise",
    "assign_leader",
    "merge",
    "reopen",
    "close",
];

/// How long after the stage starts a command is given: closing waits for the review
/// window to pass; everything else comes within the hour.
fn delay(name: &str) -> Duration {
    if name == "close" {
        Duration::days(31)
    } else {
        Duration::minutes(30)
    }
}

fn run(case: &mut Case, name: &str, who: &Actor) -> Result<Decision, WorkflowError> {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let now = case
        .stage_started
        .max(case.paused_since.unwrap_or(case.stage_started))
        + delay(name);
    let d = decide(case, command(name), who, &policy, &calendar, now)?;
    case.apply(&d.event, &policy, &calendar);
    Ok(d)
}

/// A case driven to `state` along the shortest path.
fn case_in(track: Track, state: State) -> Case {
    use State as S;
    let path: &[&str] = match (track, state) {
        (_, S::Registered) => &[],
        (Track::Petition, S::Accepted) => &["accept"],
        (Track::Petition, S::Declined) => &["decline"],
        (Track::Petition, S::Transferred) => &["transfer"],
        (Track::Petition, S::Replied) => &["accept", "reply"],
        (Track::Petition, S::UnderReview) => &["accept", "reply", "request_review"],
        (Track::Petition, S::Reviewed) => &["accept", "reply", "request_review", "issue_review"],
        (Track::Petition, S::UnderReReview) => &[
            "accept",
            "reply",
            "request_review",
            "issue_review",
            "request_review",
        ],
        (Track::Petition, S::Final) => &[
            "accept",
            "reply",
            "request_review",
            "issue_review",
            "request_review",
            "issue_review",
        ],
        (Track::Petition, S::Closed) => &["accept", "reply", "close"],
        (Track::WorkOrder, S::Dispatched) => &["dispatch"],
        (Track::WorkOrder, S::Returned) => &["dispatch", "return"],
        (Track::WorkOrder, S::Handling) => &["dispatch", "sign_for"],
        (Track::WorkOrder, S::Answered) => &["dispatch", "sign_for", "reply"],
        (Track::WorkOrder, S::Closed) => &["dispatch", "sign_for", "reply", "visit_ok"],
        (Track::WorkOrder, S::Escalated) => &[
            "dispatch",
            "sign_for",
            "reply",
            "visit_bad",
            "reply",
            "visit_bad",
        ],
        (Track::Legal, S::LegalAdvised) => &["advise_legal"],
        (_, S::Merged) => &["merge"],
        other => panic!("{other:?} is not a state of that track"),
    };
    let mut case = new_case(track);
    for step in path {
        run(&mut case, step, &admin())
            .unwrap_or_else(|e| panic!("{step} on the way to {state:?}: {e}"));
    }
    assert_eq!(case.state, state);
    case
}

/// The states each track can reach.
fn states(track: Track) -> &'static [State] {
    use State as S;
    match track {
        Track::Petition => &[
            S::Registered,
            S::Accepted,
            S::Declined,
            S::Transferred,
            S::Replied,
            S::UnderReview,
            S::Reviewed,
            S::UnderReReview,
            S::Final,
            S::Closed,
            S::Merged,
        ],
        Track::WorkOrder => &[
            S::Registered,
            S::Dispatched,
            S::Returned,
            S::Handling,
            S::Answered,
            S::Escalated,
            S::Closed,
            S::Merged,
        ],
        Track::Legal => &[S::Registered, S::LegalAdvised, S::Merged],
    }
}

/// Every legal transition: (track, from, command) → to. Anything else is refused.
fn legal(track: Track, from: State, name: &str) -> Option<State> {
    use State as S;
    use Track as T;
    let open = !from.is_terminal();
    let pausable = matches!(
        from,
        S::Registered | S::Accepted | S::Handling | S::UnderReview | S::UnderReReview
    );
    Some(match (track, from, name) {
        (T::Petition, S::Registered, "accept") => S::Accepted,
        (T::Petition, S::Registered, "decline") => S::Declined,
        (T::Petition, S::Registered, "transfer") => S::Transferred,
        (T::Petition, S::Accepted, "extend") => S::Accepted,
        (T::Petition, S::Accepted, "reply") => S::Replied,
        (T::Petition, S::Replied, "request_review") => S::UnderReview,
        (T::Petition, S::UnderReview, "issue_review") => S::Reviewed,
        (T::Petition, S::Reviewed, "request_review") => S::UnderReReview,
        (T::Petition, S::UnderReReview, "issue_review") => S::Final,
        (T::Petition, S::Replied | S::Reviewed, "close") => S::Closed,
        (T::Petition, S::Closed, "reopen") => S::Accepted,
        (T::WorkOrder, S::Registered | S::Returned, "dispatch") => S::Dispatched,
        (T::WorkOrder, S::Dispatched, "sign_for") => S::Handling,
        (T::WorkOrder, S::Dispatched, "return") => S::Returned,
        (T::WorkOrder, S::Returned, "rule") => S::Dispatched,
        (T::WorkOrder, S::Handling, "reply") => S::Answered,
        (T::WorkOrder, S::Answered, "visit_ok") => S::Closed,
        (T::WorkOrder, S::Answered, "visit_bad") => S::Handling,
        (T::WorkOrder, S::Escalated, "close") => S::Closed,
        (T::WorkOrder, S::Closed, "reopen") => S::Handling,
        (T::Legal, S::Registered, "advise_legal") => S::LegalAdvised,
        (_, s, "pause") if pausable => s,
        (_, s, "supervise" | "assign_leader") if open => s,
        (_, _, "merge") if open => S::Merged,
        _ => return None,
    })
}

#[test]
fn every_transition_on_every_track_is_legal_exactly_when_the_table_says() {
    let mut checked = 0;
    for track in [Track::Petition, Track::WorkOrder, Track::Legal] {
        for &from in states(track) {
            for name in COMMANDS {
                let mut case = case_in(track, from);
                let result = run(&mut case, name, &admin());
                match (legal(track, from, name), result) {
                    (Some(to), Ok(d)) => {
                        assert_eq!(case.state, to, "{track:?} {from:?} --{name}-->");
                        assert_eq!(d.event.actor, Some(admin().id));
                    }
                    (None, Err(WorkflowError::WrongState(s))) => assert_eq!(s, from),
                    // Resuming a clock that is not paused; see the test below.
                    (None, Err(WorkflowError::Clock)) => assert_eq!(name, "resume"),
                    (expected, got) => {
                        panic!("{track:?} {from:?} --{name}--> expected {expected:?}, got {got:?}")
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (11 + 8 + 3) * COMMANDS.len());
}

#[test]
fn resume_is_legal_only_while_paused() {
    let mut case = case_in(Track::Petition, State::Accepted);
    assert_eq!(
        run(&mut case, "resume", &admin()).map(|_| ()),
        Err(WorkflowError::Clock)
    );
    run(&mut case, "pause", &admin()).expect("pause");
    assert_eq!(
        run(&mut case, "pause", &admin()).map(|_| ()),
        Err(WorkflowError::Clock)
    );
    run(&mut case, "resume", &admin()).expect("resume");
    assert!(case.paused_since.is_none());
}

#[rstest]
// The lead unit's handler works the order; another unit's handler may not.
#[case::handler_signs(Track::WorkOrder, State::Dispatched, "sign_for", &[Role::Handler], LEAD, true)]
#[case::other_unit_cannot_sign(Track::WorkOrder, State::Dispatched, "sign_for", &[Role::Handler], OTHER, false)]
#[case::call_taker_cannot_dispatch(Track::WorkOrder, State::Registered, "dispatch", &[Role::CallTaker], 1, false)]
#[case::dispatcher_dispatches(Track::WorkOrder, State::Registered, "dispatch", &[Role::Dispatcher], 1, true)]
#[case::dispatcher_rules(Track::WorkOrder, State::Returned, "rule", &[Role::Dispatcher], 1, true)]
#[case::handler_cannot_rule(Track::WorkOrder, State::Returned, "rule", &[Role::Handler], LEAD, false)]
#[case::call_taker_visits(Track::WorkOrder, State::Answered, "visit_ok", &[Role::CallTaker], 1, true)]
#[case::handler_cannot_judge_own_work(Track::WorkOrder, State::Answered, "visit_ok", &[Role::Handler], LEAD, false)]
#[case::handler_cannot_extend(Track::Petition, State::Accepted, "extend", &[Role::Handler], LEAD, false)]
#[case::supervisor_supervises(Track::WorkOrder, State::Handling, "supervise", &[Role::Supervisor], 1, true)]
#[case::handler_cannot_supervise(Track::WorkOrder, State::Handling, "supervise", &[Role::Handler], LEAD, false)]
#[case::leader_reviews(Track::Petition, State::UnderReview, "issue_review", &[Role::Leader], 1, true)]
#[case::handler_cannot_review_itself(Track::Petition, State::UnderReview, "issue_review", &[Role::Handler], LEAD, false)]
#[case::leader_takes_charge(Track::Petition, State::Accepted, "assign_leader", &[Role::Leader], 1, true)]
#[case::grid_worker_cannot_close(Track::WorkOrder, State::Escalated, "close", &[Role::GridWorker], LEAD, false)]
fn who_may_act(
    #[case] track: Track,
    #[case] state: State,
    #[case] name: &str,
    #[case] roles: &[Role],
    #[case] unit: i64,
    #[case] allowed: bool,
) {
    let mut case = case_in(track, state);
    if track == Track::Petition && case.lead.is_none() {
        case.lead = Some(LEAD);
    }
    let result = run(&mut case, name, &actor(roles, unit));
    assert_eq!(result.is_ok(), allowed, "{result:?}");
    if !allowed {
        assert_eq!(result.map(|_| ()), Err(WorkflowError::NotAllowed));
    }
}

#[rstest]
#[case::zero(0, true)]
#[case::one(1, false)]
#[case::the_most(30, false)]
#[case::one_too_many(31, true)]
#[case::absurd(u32::MAX, true)]
fn supervision_days_have_a_documented_range(#[case] days: u32, #[case] refused: bool) {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::WorkOrder, State::Handling);
    let order = Command::Supervise {
        note: "请尽快办理".into(),
        days,
    };
    let got = decide(&case, order, &admin(), &policy, &calendar, at(1, 0));
    assert_eq!(
        matches!(got, Err(WorkflowError::OutOfRange { .. })),
        refused,
        "{days}"
    );
}

#[test]
fn a_supervision_order_past_the_calendar_horizon_is_refused() {
    let calendar = Calendar::shipped();
    // With a policy that allows long orders, the calendar's horizon still holds.
    let policy = Policy {
        max_supervision_days: 10_000,
        ..Policy::default()
    };
    let case = case_in(Track::WorkOrder, State::Handling);
    let order = Command::Supervise {
        note: "请尽快办理".into(),
        days: 5_000,
    };
    let got = decide(&case, order, &admin(), &policy, &calendar, at(1, 0)).map(|_| ());
    assert!(
        matches!(got, Err(WorkflowError::BeyondCalendar(_))),
        "{got:?}"
    );
}

#[test]
fn replaying_an_absurd_stored_number_stays_cheap() {
    // Rows written before the ranges existed may hold any u32: replay must not count
    // day by day, overflow, or panic.
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = case_in(Track::Petition, State::Accepted);
    for command in [
        Command::Extend {
            days: u32::MAX,
            reason: "x".into(),
        },
        Command::Supervise {
            note: "x".into(),
            days: u32::MAX,
        },
    ] {
        let e = Happened {
            at: at(1, 0),
            actor: Some(1),
            command,
        };
        case.apply(&e, &policy, &calendar);
    }
    let clocks = case.clocks(&policy, &calendar);
    assert!(!clocks.is_empty());
    let _ = case.outcome(&policy, &calendar, at(2, 0));
}

#[test]
fn nobody_acts_outside_their_scope() {
    let mut case = case_in(Track::WorkOrder, State::Registered);
    let mut outsider = actor(&[Role::Dispatcher], 1);
    outsider.scope = Scope {
        regions: vec![RegionCode::parse("370999002000").expect("code")],
        units: vec![1],
        above: Vec::new(),
    };
    assert_eq!(
        run(&mut case, "dispatch", &outsider).map(|_| ()),
        Err(WorkflowError::NotAllowed)
    );
}

#[test]
fn one_extension_of_at_most_thirty_days_with_a_public_reason() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::Petition, State::Accepted);
    let too_long = Command::Extend {
        days: 31,
        reason: "x".into(),
    };
    assert_eq!(
        decide(&case, too_long, &admin(), &policy, &calendar, at(1, 0)).map(|_| ()),
        Err(WorkflowError::OutOfRange {
            what: "extension days",
            what_zh: "延期天数",
            min: 1,
            max: 30
        })
    );
    let mut case = case;
    let d = run(&mut case, "extend", &admin()).expect("extend");
    assert_eq!(
        d.effects,
        vec![Effect::NotifyAppellant(AppellantNotice::Extended)]
    );
    assert_eq!(
        run(&mut case, "extend", &admin()).map(|_| ()),
        Err(WorkflowError::Extension(30))
    );
}

#[test]
fn a_return_comes_within_the_sign_for_window_and_not_after_a_ruling() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::WorkOrder, State::Dispatched);
    let late = case.stage_started + Duration::days(1);
    assert_eq!(
        decide(&case, command("return"), &admin(), &policy, &calendar, late).map(|_| ()),
        Err(WorkflowError::TooLate)
    );
    let mut case = case_in(Track::WorkOrder, State::Returned);
    run(&mut case, "rule", &admin()).expect("rule");
    assert_eq!(
        run(&mut case, "return", &admin()).map(|_| ()),
        Err(WorkflowError::AlreadyRuled)
    );
}

#[test]
fn review_must_be_asked_within_thirty_days_of_the_reply() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::Petition, State::Replied);
    let late = case.stage_started + Duration::days(32);
    assert_eq!(
        decide(
            &case,
            Command::RequestReview,
            &admin(),
            &policy,
            &calendar,
            late
        )
        .map(|_| ()),
        Err(WorkflowError::TooLate)
    );
    // And the case closes only after the window.
    let early = case.stage_started + Duration::days(5);
    assert!(decide(&case, Command::Close, &admin(), &policy, &calendar, early).is_err());
}

#[test]
fn a_second_unsatisfied_visit_goes_to_a_supervisor() {
    let mut case = case_in(Track::WorkOrder, State::Answered);
    let to_supervisors = |d: &Decision| {
        d.effects.contains(&Effect::NotifyStaff {
            to: Recipients::Supervisors,
            notice: Notice::Escalation,
        })
    };
    let d = run(&mut case, "visit_bad", &admin()).expect("first");
    assert!(!to_supervisors(&d));
    assert_eq!(case.state, State::Handling, "one redo");
    run(&mut case, "reply", &admin()).expect("reply");
    let d = run(&mut case, "visit_bad", &admin()).expect("second");
    assert!(to_supervisors(&d));
    assert_eq!(case.state, State::Escalated);
    assert!(case.flags(&Policy::default(), case.stage_started).hard);
}

#[test]
fn litigation_matters_never_take_the_petition_track() {
    let case = new_case(Track::Legal);
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    for name in ["accept", "decline", "transfer", "dispatch"] {
        assert!(matches!(
            decide(&case, command(name), &admin(), &policy, &calendar, at(0, 1)),
            Err(WorkflowError::WrongState(State::Registered))
        ));
    }
    assert_eq!(
        Policy::default().track_for(AppealKind::Petition, "shefa"),
        Track::Legal
    );
}

fn due_of(case: &Case, kind: ClockKind) -> String {
    let c = case.clocks(&Policy::default(), &Calendar::shipped());
    let clock = c
        .iter()
        .find(|c| c.what == kind)
        .unwrap_or_else(|| panic!("no {kind:?} clock in {c:?}"));
    clock
        .due
        .with_timezone(&crate::clock::china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn statutory_clocks_run_in_calendar_days() {
    let case = new_case(Track::Petition);
    assert_eq!(due_of(&case, ClockKind::Acceptance), "2026-03-17 23:59");
    let mut case = case_in(Track::Petition, State::Accepted);
    assert_eq!(due_of(&case, ClockKind::Handling), "2026-05-01 23:59");
    run(&mut case, "extend", &admin()).expect("extend");
    assert_eq!(due_of(&case, ClockKind::Handling), "2026-05-31 23:59");
    let mut case = case_in(Track::Petition, State::UnderReview);
    assert_eq!(due_of(&case, ClockKind::Review), "2026-04-01 23:59");
    // A pause of five days moves the due date five days later.
    let policy = Policy::default();
    let calendar = Calendar::shipped();
    let pause = decide(
        &case,
        command("pause"),
        &admin(),
        &policy,
        &calendar,
        at(1, 0),
    )
    .expect("pause");
    case.apply(&pause.event, &policy, &calendar);
    let resume = decide(
        &case,
        Command::Resume,
        &admin(),
        &policy,
        &calendar,
        at(6, 0),
    )
    .expect("resume");
    case.apply(&resume.event, &policy, &calendar);
    assert_eq!(due_of(&case, ClockKind::Review), "2026-04-06 23:59");
}

#[test]
fn work_orders_run_in_working_days_and_hours() {
    let case = case_in(Track::WorkOrder, State::Dispatched);
    // Dispatched Monday 09:30: four working hours for sign-for.
    assert_eq!(due_of(&case, ClockKind::SignFor), "2026-03-02 13:30");
    let case = case_in(Track::WorkOrder, State::Handling);
    // A complaint: five working days after Monday is the next Monday.
    assert_eq!(due_of(&case, ClockKind::Reply), "2026-03-09 23:59");
    let mut urgent = new_case(Track::WorkOrder);
    let policy = Policy::default();
    let calendar = Calendar::shipped();
    for cmd in [
        Command::Dispatch {
            lead: LEAD,
            co: vec![],
            urgency: Urgency::Urgent,
        },
        Command::SignFor,
    ] {
        let d = decide(&urgent, cmd, &admin(), &policy, &calendar, at(0, 1)).expect("ok");
        urgent.apply(&d.event, &policy, &calendar);
    }
    assert_eq!(due_of(&urgent, ClockKind::Reply), "2026-03-03 23:59");
    let case = case_in(Track::WorkOrder, State::Answered);
    assert_eq!(due_of(&case, ClockKind::ReturnVisit), "2026-03-04 23:59");
}

#[test]
fn lights_and_flags() {
    let policy = Policy::default();
    let calendar = Calendar::shipped();
    let case = case_in(Track::WorkOrder, State::Handling);
    let (_, light) = case.next_due(&policy, &calendar, at(1, 0)).expect("due");
    assert_eq!(light, Light::Green);
    let (_, light) = case.next_due(&policy, &calendar, at(6, 12)).expect("due");
    assert_eq!(light, Light::Yellow);
    let (_, light) = case.next_due(&policy, &calendar, at(8, 0)).expect("due");
    assert_eq!(light, Light::Red);
    assert!(!case.flags(&policy, at(30, 0)).backlog);
    assert!(case.flags(&policy, at(91, 0)).backlog);
    let closed = case_in(Track::WorkOrder, State::Closed);
    assert_eq!(closed.flags(&policy, at(200, 0)), Flags::default());
    assert!(closed.next_due(&policy, &calendar, at(1, 0)).is_none());
}

/// Commands that never change the stage, so they must never bring a deadline forward.
const STAGE_KEEPING: [&str; 5] = ["extend", "pause", "resume", "supervise", "assign_leader"];

fn role_set() -> impl Strategy<Value = (Vec<Role>, i64)> {
    (
        prop::sample::subsequence(Role::ALL.to_vec(), 1..3),
        prop_oneof![Just(1i64), Just(LEAD), Just(OTHER)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_command_sequences_keep_the_invariants(
        track in prop_oneof![Just(Track::Petition), Just(Track::WorkOrder), Just(Track::Legal)],
        steps in prop::collection::vec((0usize..COMMANDS.len(), role_set(), 0i64..72), 1..40),
    ) {
        let policy = Policy::default();
        let calendar = Calendar::shipped();
        let mut case = new_case(track);
        let mut log: Vec<Happened> = Vec::new();
        let mut now = case.received_at;
        for (i, (roles, unit), hours) in steps {
            now += Duration::hours(hours);
            let name = COMMANDS[i];
            let who = actor(&roles, unit);
            let before = case.clocks(&policy, &calendar);
            if let Ok(d) = decide(&case, command(name), &who, &policy, &calendar, now) {
                    log.push(d.event.clone());
                    case.apply(&d.event, &policy, &calendar);
                    if STAGE_KEEPING.contains(&name) {
                        let after = case.clocks(&policy, &calendar);
                        for b in &before {
                            // The same clock: same kind, started at the same time.
                            if let Some(a) = after.iter().find(|a| a.what == b.what && a.start == b.start) {
                                prop_assert!(a.due >= b.due, "{name} moved {:?} earlier", b.what);
                            }
                        }
                    }
            }
            // Never an undocumented state.
            prop_assert!(states(track).contains(&case.state), "{:?} reached {:?}", track, case.state);
        }
        // The state is the fold of the log: replaying it gives the same case.
        prop_assert_eq!(Case::replay(&facts(track), &log, &policy, &calendar), case);
    }
}

#[test]
fn codes_round_trip_and_public_steps_hide_internal_notes() {
    for s in State::ALL {
        assert_eq!(State::from_code(s.code()), Some(s));
    }
    // The specification, written out by hand: which steps the public sees, and which
    // text goes with them. Notes of return visits, reopenings, returns, pauses and
    // supervision orders are staff-only.
    let expected: [(&str, Option<Option<&str>>); 21] = [
        ("accept", Some(None)),
        ("decline", Some(Some("不属于信访事项，请向法院起诉"))),
        ("transfer", Some(Some("市自然资源局"))),
        ("extend", Some(Some("需要现场测量"))),
        ("reply", Some(Some("已答复"))),
        ("request_review", Some(None)),
        ("issue_review", Some(Some("维持原答复"))),
        ("dispatch", Some(None)),
        ("sign_for", Some(None)),
        ("return", None),
        ("rule", None),
        ("visit_ok", Some(None)),
        ("visit_bad", Some(None)),
        ("advise_legal", Some(Some("请依法向法院起诉"))),
        ("pause", None),
        ("resume", None),
        ("supervise", None),
        ("assign_leader", None),
        ("merge", None),
        ("reopen", Some(None)),
        ("close", Some(None)),
    ];
    for (name, public) in expected {
        let c = command(name);
        assert!(!c.label(Lang::Zh).is_empty());
        let got = match c.disclosure() {
            Disclosure::Internal => None,
            Disclosure::Public(text) => Some(text),
        };
        assert_eq!(got, public, "{name}");
        assert_eq!(c.is_public(), public.is_some(), "{name}");
        // Staff always see the text a step carries.
        if let Some(Some(text)) = public {
            assert_eq!(c.note(), Some(text), "{name}");
        }
    }
    assert_eq!(expected.len(), COMMANDS.len());
}

#[test]
fn the_page_offers_exactly_what_the_actor_may_do_now() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::WorkOrder, State::Dispatched);
    let handler = actor(&[Role::Handler], LEAD);
    let now = case.stage_started + Duration::minutes(10);
    assert_eq!(
        available(&case, &handler, &policy, &calendar, now),
        ["sign_for", "return", "contact"]
    );
    // A co-handling unit may only call the appellant; an unrelated one nothing.
    let co = actor(&[Role::Handler], OTHER);
    assert_eq!(available(&case, &co, &policy, &calendar, now), ["contact"]);
    let unrelated = actor(&[Role::Handler], 99);
    assert!(available(&case, &unrelated, &policy, &calendar, now).is_empty());
    let dispatcher = actor(&[Role::Dispatcher], 1);
    assert_eq!(
        available(&case, &dispatcher, &policy, &calendar, now),
        ["merge", "contact", "follow_up"]
    );
}

#[test]
fn a_supervision_order_past_its_deadline_escalates_to_the_hard_list() {
    let policy = Policy::default();
    let mut case = case_in(Track::WorkOrder, State::Handling);
    run(&mut case, "supervise", &admin()).expect("supervise");
    let (issued, due) = case.supervisions[0];
    assert!(!case.flags(&policy, issued + Duration::hours(1)).hard);
    assert!(case.flags(&policy, due + Duration::hours(1)).hard);
    assert_eq!(
        case.outcome(&policy, &Calendar::shipped(), issued)
            .supervision_due,
        Some(due)
    );
}

/// The units of the anti-retaliation tests: the county's dispatch centre (1) above the
/// lead unit (`LEAD`), which has a section (`SECTION`) under it, and another office
/// (`OTHER`) beside it.
const SECTION: i64 = 90;

fn unit_tree() -> Vec<crate::unit::Unit> {
    let unit = |id: i64, parent: Option<i64>| crate::unit::Unit {
        id,
        key: format!("u{id}"),
        name: format!("单位{id}"),
        kind: crate::unit::UnitKind::Department,
        parent_id: parent,
        jurisdiction: vec![RegionCode::parse(COUNTY).expect("code")],
        contact_phone: None,
    };
    vec![
        unit(1, None),
        unit(LEAD, Some(1)),
        unit(SECTION, Some(LEAD)),
        unit(OTHER, Some(1)),
    ]
}

#[test]
fn an_accused_unit_neither_handles_nor_acts_on_the_accusation() {
    let units = unit_tree();
    let mut case = new_case(Track::WorkOrder);
    case.accused = vec![LEAD];
    for u in [LEAD, SECTION] {
        let dispatch = Command::Dispatch {
            lead: u,
            co: Vec::new(),
            urgency: Urgency::Normal,
        };
        assert_eq!(
            check_references(&dispatch, &case, &units),
            Err(WorkflowError::Recused(u))
        );
        let as_co = Command::Dispatch {
            lead: OTHER,
            co: vec![u],
            urgency: Urgency::Normal,
        };
        assert_eq!(
            check_references(&as_co, &case, &units),
            Err(WorkflowError::Recused(u))
        );
    }
    let fine = Command::Dispatch {
        lead: OTHER,
        co: Vec::new(),
        urgency: Urgency::Normal,
    };
    assert_eq!(check_references(&fine, &case, &units), Ok(()));
    assert!(
        WorkflowError::Recused(LEAD)
            .explain(Lang::Zh)
            .contains("回避")
    );
    // Merging the accusation into a case the accused unit leads is refused too.
    assert_eq!(
        check_merge_target(&case, State::Handling, Some(SECTION), &units),
        Err(WorkflowError::Recused(SECTION))
    );
    assert_eq!(
        check_merge_target(&case, State::Handling, Some(OTHER), &units),
        Ok(())
    );
}

proptest! {
    /// Anti-retaliation on every path through the workflow: whatever an actor of an
    /// accused unit (or a unit under it) tries, with whatever roles, it is refused;
    /// and no dispatch the workflow accepts names an accused unit.
    #[test]
    fn no_path_hands_an_accusation_to_the_accused(
        track in prop_oneof![Just(Track::Petition), Just(Track::WorkOrder), Just(Track::Legal)],
        accused in prop::sample::subsequence(vec![1i64, LEAD, SECTION, OTHER], 1..3),
        steps in prop::collection::vec((0usize..COMMANDS.len(), role_set(), 0i64..72), 1..30),
        lead in prop_oneof![Just(1i64), Just(LEAD), Just(SECTION), Just(OTHER)],
        co in prop::sample::subsequence(vec![1i64, LEAD, SECTION, OTHER], 0..3),
    ) {
        let (policy, calendar, units) = (Policy::default(), Calendar::shipped(), unit_tree());
        let mut case = new_case(track);
        case.accused = accused.clone();
        let mut now = case.received_at;
        for (i, (roles, unit), hours) in steps {
            now += Duration::hours(hours);
            let mut cmd = command(COMMANDS[i]);
            if let Command::Dispatch { lead: l, co: c, .. } = &mut cmd {
                *l = lead;
                c.clone_from(&co);
            }
            let mut who = actor(&roles, unit);
            who.scope.above = crate::unit::lineage(unit, &units)[1..].to_vec();
            let checked = check_references(&cmd, &case, &units);
            let decided = decide(&case, cmd.clone(), &who, &policy, &calendar, now);
            if crate::unit::barred(unit, &accused, &units) {
                prop_assert!(decided.is_err(), "{} by an accused unit", COMMANDS[i]);
            }
            if let (Ok(()), Ok(d)) = (checked, decided) {
                if let Command::Dispatch { lead: l, co: c, .. } = &d.event.command {
                    for u in std::iter::once(l).chain(c) {
                        prop_assert!(!crate::unit::barred(*u, &accused, &units));
                    }
                }
                case.apply(&d.event, &policy, &calendar);
            }
            if let Some(l) = case.lead {
                // The lead a case ends up with came from an accepted dispatch or the
                // routing it was opened with (none here): never an accused unit.
                prop_assert!(!crate::unit::barred(l, &accused, &units), "lead {} accused", l);
            }
        }
    }
}

#[test]
fn return_visits_stored_before_the_three_grades_still_read() {
    let old: Command =
        serde_json::from_str(r#"{"ReturnVisit":{"satisfied":true,"note":"满意"}}"#).expect("old");
    assert_eq!(
        old,
        Command::ReturnVisit {
            rating: Rating::Satisfied,
            solved: None,
            note: "满意".into(),
            by_appellant: false,
        }
    );
    let old: Command =
        serde_json::from_str(r#"{"ReturnVisit":{"satisfied":false,"note":"x"}}"#).expect("old");
    assert!(matches!(
        old,
        Command::ReturnVisit {
            rating: Rating::Unsatisfied,
            ..
        }
    ));
    let new = command("visit_ok");
    let again: Command =
        serde_json::from_str(&serde_json::to_string(&new).expect("json")).expect("new");
    assert_eq!(again, new);
}

#[test]
fn a_fairly_satisfied_visit_closes_and_a_visit_must_say_whether_it_was_solved() {
    let mut case = new_case(Track::WorkOrder);
    case.state = State::Answered;
    case.lead = Some(LEAD);
    let caller = actor(&[Role::CallTaker], 1);
    let policy = Policy::default();
    let calendar = Calendar::shipped();
    let unsaid = Command::ReturnVisit {
        rating: Rating::Satisfied,
        solved: None,
        note: "满意".into(),
        by_appellant: false,
    };
    assert_eq!(
        decide(&case, unsaid, &caller, &policy, &calendar, at(1, 0)),
        Err(WorkflowError::SolvedNotSaid)
    );
    let basic = Command::ReturnVisit {
        rating: Rating::Basic,
        solved: Some(Solved::Partly),
        note: "基本满意".into(),
        by_appellant: false,
    };
    let d = decide(&case, basic, &caller, &policy, &calendar, at(1, 0)).expect("decided");
    case.apply(&d.event, &policy, &calendar);
    assert_eq!(case.state, State::Closed);
}

/// A help request (not a kind always called back) answered at `at(1, 0)`, its answer
/// drawn or not for a call-back as `call_back` says.
fn answered_help(call_back: bool) -> Case {
    let (calendar, share) = (Calendar::shipped(), if call_back { 100 } else { 0 });
    let policy = Policy {
        call_back_share: share,
        ..Policy::default()
    };
    let mut f = facts(Track::WorkOrder);
    f.kind = AppealKind::Help;
    let mut case = Case::new(&f, &policy);
    for (name, hour) in [("dispatch", 0), ("sign_for", 1), ("reply", 2)] {
        let d = decide(
            &case,
            command(name),
            &admin(),
            &policy,
            &calendar,
            at(1, hour),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        case.apply(&d.event, &policy, &calendar);
    }
    assert_eq!(case.state, State::Answered);
    assert_eq!(case.call_back, call_back);
    case
}

proptest! {
    /// Outside the kinds and cases always called back, the draw alone decides, and the
    /// share of rolls called back is the policy's share exactly.
    #[test]
    fn the_draw_alone_decides_who_is_called_back(share in 0u32..=100, roll in 0u32..100) {
        let policy = Policy { call_back_share: share, ..Policy::default() };
        let mut case = new_case(Track::WorkOrder);
        case.kind = AppealKind::Help;
        prop_assert_eq!(calls_back(&case, &policy, roll), roll < share);
        let drawn = (0..100).filter(|r| calls_back(&case, &policy, *r)).count();
        prop_assert_eq!(drawn, share as usize);
        // A complaint, a redo, a leader's case or a supervised one: always.
        case.kind = AppealKind::Complaint;
        prop_assert!(calls_back(&case, &policy, roll));
        case.kind = AppealKind::Help;
        case.unsatisfied = 1;
        prop_assert!(calls_back(&case, &policy, roll));
        case.unsatisfied = 0;
        case.leader = Some(55);
        prop_assert!(calls_back(&case, &policy, roll));
    }
}

#[test]
fn the_draw_is_the_systems_and_petitions_have_none() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case = case_in(Track::WorkOrder, State::Handling);
    // Whatever the one replying asks, the system draws.
    let asked = Command::Reply {
        text: "已派人维修，供暖恢复正常".into(),
        call_back: Some(false),
    };
    let d = decide(&case, asked, &admin(), &policy, &calendar, at(1, 0)).expect("reply");
    // A complaint is always called back.
    assert!(matches!(
        d.event.command,
        Command::Reply {
            call_back: Some(true),
            ..
        }
    ));
    let petition = case_in(Track::Petition, State::Accepted);
    let d = decide(
        &petition,
        command("reply"),
        &admin(),
        &policy,
        &calendar,
        at(1, 0),
    )
    .expect("reply");
    assert!(matches!(
        d.event.command,
        Command::Reply {
            call_back: None,
            ..
        }
    ));
}

#[test]
fn an_answer_not_called_back_waits_for_the_appellant_then_closes_by_itself() {
    let calendar = Calendar::shipped();
    let policy = Policy {
        call_back_share: 0,
        ..Policy::default()
    };
    let case = answered_help(false);
    // The appellant's window is not the unit's deadline.
    let clocks = case.clocks(&policy, &calendar);
    assert_eq!(clocks.len(), 1);
    assert_eq!(clocks[0].what, ClockKind::Verdict);
    assert!(case.next_due(&policy, &calendar, at(1, 3)).is_none());
    let until = case.verdict_open_until(&policy, &calendar).expect("open");
    // Answered on 3 March: seven calendar days, to the end of 10 March (China time).
    assert_eq!(
        until
            .with_timezone(&crate::clock::china())
            .date_naive()
            .to_string(),
        "2026-03-10"
    );
    let centre = actor(&[Role::Dispatcher], 1);
    assert_eq!(
        decide(&case, Command::Close, &centre, &policy, &calendar, until).map(|_| ()),
        Err(WorkflowError::WrongState(State::Answered))
    );
    assert!(system_step(&case, &policy, &calendar, until).is_none());
    let later = until + Duration::seconds(1);
    let step = system_step(&case, &policy, &calendar, later).expect("closes");
    assert_eq!(
        (step.event.actor, &step.event.command),
        (None, &Command::Close)
    );
    assert!(decide(&case, Command::Close, &centre, &policy, &calendar, later).is_ok());
    // An answer called back waits for the call, however long: the centre is only
    // reminded of it.
    let called = answered_help(true);
    assert!(matches!(
        system_step(&called, &policy, &calendar, at(60, 0)).map(|d| d.event.command),
        Some(Command::Remind {
            clock: ClockKind::ReturnVisit,
            ..
        })
    ));
    assert_eq!(
        called.clocks(&policy, &calendar)[0].what,
        ClockKind::ReturnVisit
    );
}

#[test]
fn the_appellant_gives_a_verdict_through_the_link_within_the_window() {
    let calendar = Calendar::shipped();
    let policy = Policy::default();
    let case = answered_help(false);
    let until = case.verdict_open_until(&policy, &calendar).expect("open");
    let d = decide_verdict(
        &case,
        Rating::Basic,
        Solved::Partly,
        "还行".into(),
        &policy,
        &calendar,
        until,
    )
    .expect("verdict");
    assert_eq!(d.event.actor, None);
    assert!(matches!(
        d.event.command,
        Command::ReturnVisit {
            by_appellant: true,
            ..
        }
    ));
    let mut closed = case.clone();
    closed.apply(&d.event, &policy, &calendar);
    assert_eq!(closed.state, State::Closed);
    // Too late, or once the case has moved on: refused.
    assert_eq!(
        decide_verdict(
            &case,
            Rating::Satisfied,
            Solved::Solved,
            String::new(),
            &policy,
            &calendar,
            until + Duration::seconds(1)
        )
        .map(|_| ()),
        Err(WorkflowError::TooLate)
    );
    assert_eq!(
        decide_verdict(
            &closed,
            Rating::Satisfied,
            Solved::Solved,
            String::new(),
            &policy,
            &calendar,
            at(2, 0)
        )
        .map(|_| ()),
        Err(WorkflowError::WrongState(State::Closed))
    );
    // Staff cannot pass a call off as the appellant's own answer.
    let claimed = Command::ReturnVisit {
        rating: Rating::Satisfied,
        solved: Some(Solved::Solved),
        note: "满意".into(),
        by_appellant: true,
    };
    let d = decide(
        &case,
        claimed,
        &actor(&[Role::CallTaker], 1),
        &policy,
        &calendar,
        at(2, 0),
    )
    .expect("call");
    assert!(matches!(
        d.event.command,
        Command::ReturnVisit {
            by_appellant: false,
            ..
        }
    ));
}

#[test]
fn a_unit_contests_a_verdict_and_a_supervisor_rules_with_both_on_record() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let facts = facts(Track::WorkOrder);
    let handler = actor(&[Role::Handler], LEAD);
    let mut case = case_in(Track::WorkOrder, State::Handling);
    let mut history = Vec::new();
    let mut step = |case: &mut Case, cmd: Command, who: &Actor, when| {
        let d = decide(case, cmd, who, &policy, &calendar, when)?;
        case.apply(&d.event, &policy, &calendar);
        history.push(d.event);
        Ok::<(), WorkflowError>(())
    };
    let contest = || Command::Contest {
        reason: "群众诉求超出政策规定，已依法解释".into(),
    };
    // Nothing to contest before a verdict.
    assert_eq!(
        step(&mut case, contest(), &handler, at(1, 0)),
        Err(WorkflowError::NothingToContest)
    );
    step(&mut case, command("reply"), &admin(), at(1, 0)).expect("reply");
    step(&mut case, command("visit_bad"), &admin(), at(1, 2)).expect("visit");
    assert_eq!(case.unsatisfied, 1);
    // Another unit may not contest; a supervisor rules only on a pending contest.
    let supervisor = actor(&[Role::Supervisor], 1);
    let rule = |upheld| Command::RuleContest {
        upheld,
        note: "经核实，异议成立".into(),
    };
    assert_eq!(
        step(
            &mut case,
            contest(),
            &actor(&[Role::Handler], OTHER),
            at(2, 0)
        ),
        Err(WorkflowError::NotAllowed)
    );
    assert_eq!(
        step(&mut case, rule(true), &supervisor, at(2, 0)),
        Err(WorkflowError::NothingToContest)
    );
    step(&mut case, contest(), &handler, at(2, 0)).expect("contest");
    assert_eq!(
        step(&mut case, contest(), &handler, at(2, 1)),
        Err(WorkflowError::NothingToContest)
    );
    // The unit does not rule on its own contest.
    assert_eq!(
        step(&mut case, rule(true), &handler, at(2, 1)),
        Err(WorkflowError::NotAllowed)
    );
    step(&mut case, rule(true), &supervisor, at(3, 0)).expect("ruling");
    assert_eq!(case.unsatisfied, 0);
    assert_eq!(
        case.verdict.as_ref().map(|v| v.contest),
        Some(ContestState::Upheld)
    );
    // Both stay on record; neither is public.
    let codes: Vec<&str> = history.iter().map(|h| h.command.code()).collect();
    assert!(codes.ends_with(&["contest", "rule_contest"]), "{codes:?}");
    assert!(history.iter().rev().take(2).all(|h| !h.command.is_public()));
    // The verdict set aside leaves the figures of the day it was given.
    let tallies = crate::kpi::of_history(&facts, &history, &policy, &calendar);
    let sum = |m| tallies.iter().map(|t| t.sums.get(m)).sum::<i64>();
    assert_eq!(sum(crate::kpi::Measure::Visited), 1);
    assert_eq!(sum(crate::kpi::Measure::RatedUnsatisfied), 0);
    assert_eq!(sum(crate::kpi::Measure::SolvedNo), 0);
    assert!(tallies.iter().all(|t| t.sums.0.iter().all(|n| *n >= 0)));
}

#[test]
fn a_verdict_may_be_contested_only_within_the_policys_days() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = case_in(Track::WorkOrder, State::Answered);
    let d = decide(
        &case,
        command("visit_bad"),
        &admin(),
        &policy,
        &calendar,
        at(1, 0),
    )
    .expect("visit");
    case.apply(&d.event, &policy, &calendar);
    let contest = Command::Contest {
        reason: "理由".into(),
    };
    let late = at(1, 0) + Duration::days(i64::from(policy.contest_days));
    assert_eq!(
        decide(
            &case,
            contest,
            &actor(&[Role::Handler], LEAD),
            &policy,
            &calendar,
            late
        )
        .map(|_| ()),
        Err(WorkflowError::TooLate)
    );
}

#[test]
fn a_newer_verdict_leaves_the_contest_on_the_verdict_it_names() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let facts = facts(Track::WorkOrder);
    let handler = actor(&[Role::Handler], LEAD);
    let supervisor = actor(&[Role::Supervisor], 1);
    let mut case = case_in(Track::WorkOrder, State::Handling);
    let mut history = Vec::new();
    let mut step = |case: &mut Case, cmd: Command, who: &Actor, when| {
        let d = decide(case, cmd, who, &policy, &calendar, when)?;
        case.apply(&d.event, &policy, &calendar);
        history.push(d.event);
        Ok::<(), WorkflowError>(())
    };
    step(&mut case, command("reply"), &admin(), at(1, 0)).expect("reply");
    step(&mut case, command("visit_bad"), &admin(), at(1, 1)).expect("visit");
    step(
        &mut case,
        Command::Contest {
            reason: "超出政策".into(),
        },
        &handler,
        at(1, 2),
    )
    .expect("contest");
    // The unit answers again and the appellant is content this time.
    step(&mut case, command("reply"), &admin(), at(1, 3)).expect("reply");
    step(&mut case, command("visit_ok"), &admin(), at(1, 4)).expect("visit");
    // A satisfied, solved verdict is not the unit's to contest.
    assert_eq!(
        step(
            &mut case,
            Command::Contest { reason: "x".into() },
            &handler,
            at(1, 5)
        ),
        Err(WorkflowError::NothingToContest)
    );
    // The pending contest is still ruled, on the first verdict.
    step(
        &mut case,
        Command::RuleContest {
            upheld: true,
            note: "成立".into(),
        },
        &supervisor,
        at(2, 0),
    )
    .expect("ruling");
    let tallies = crate::kpi::of_history(&facts, &history, &policy, &calendar);
    let sum = |m| tallies.iter().map(|t| t.sums.get(m)).sum::<i64>();
    assert_eq!(sum(crate::kpi::Measure::Visited), 2);
    assert_eq!(sum(crate::kpi::Measure::RatedUnsatisfied), 0);
    assert_eq!(sum(crate::kpi::Measure::RatedSatisfied), 1);
}

#[test]
fn a_second_supervision_order_waits_for_the_first_to_fall_due() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = case_in(Track::WorkOrder, State::Handling);
    let supervisor = actor(&[Role::Supervisor], 1);
    let order = || Command::Supervise {
        note: "请三日内办结".into(),
        days: 3,
    };
    let d = decide(&case, order(), &supervisor, &policy, &calendar, at(1, 0)).expect("first");
    case.apply(&d.event, &policy, &calendar);
    let due = case.supervisions[0].1;
    let again = decide(&case, order(), &supervisor, &policy, &calendar, at(2, 0));
    assert_eq!(
        again.map(|_| ()),
        Err(WorkflowError::SupervisionOpen(local_day(due)))
    );
    assert!(
        WorkflowError::SupervisionOpen(local_day(due))
            .explain(Lang::Zh)
            .contains("期限内不能重复督办")
    );
    // The page does not offer it meanwhile; once the first is past due, a new order may
    // follow.
    assert!(!available(&case, &supervisor, &policy, &calendar, at(2, 0)).contains(&"supervise"));
    let later = due + Duration::seconds(1);
    assert!(decide(&case, order(), &supervisor, &policy, &calendar, later).is_ok());
}

/// An instant in China time.
fn china(d: (i32, u32, u32), hour: u32, minute: u32) -> DateTime<Utc> {
    crate::clock::china()
        .with_ymd_and_hms(d.0, d.1, d.2, hour, minute, 0)
        .single()
        .expect("time")
        .with_timezone(&Utc)
}

/// Takes the system's step at `now`, if any, and says what it was.
fn nudge_now(case: &mut Case, now: DateTime<Utc>) -> Option<String> {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let d = system_step(case, &policy, &calendar, now)?;
    let said = match &d.event.command {
        Command::Remind { clock, .. } => format!("remind {clock:?}"),
        Command::Escalate { clock, to, .. } => format!("escalate {clock:?} {}", to.code()),
        other => other.code().to_owned(),
    };
    case.apply(&d.event, &policy, &calendar);
    Some(said)
}

#[rstest]
// Friday afternoon: one working hour left, the rest on Monday.
#[case::across_a_weekend(china((2026, 3, 6), 16, 30), china((2026, 3, 9), 11, 30), china((2026, 3, 9), 15, 30))]
// Before the make-up Saturday of 劳动节 (9 May 2026 is worked).
#[case::into_a_make_up_day(china((2026, 5, 8), 15, 30), china((2026, 5, 9), 10, 30), china((2026, 5, 9), 14, 30))]
// Before the May holiday: the clock stops from 1 to 5 May.
#[case::across_a_holiday(china((2026, 4, 30), 16, 30), china((2026, 5, 6), 11, 30), china((2026, 5, 6), 15, 30))]
fn a_late_sign_for_is_reminded_then_goes_up_to_the_dispatch_centre(
    #[case] dispatched: DateTime<Utc>,
    #[case] due: DateTime<Utc>,
    #[case] up: DateTime<Utc>,
) {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = new_case(Track::WorkOrder);
    let d = decide(
        &case,
        command("dispatch"),
        &admin(),
        &policy,
        &calendar,
        dispatched,
    )
    .expect("dispatch");
    assert!(d.effects.contains(&Effect::NotifyStaff {
        to: Recipients::Unit(LEAD),
        notice: Notice::NewWork
    }));
    case.apply(&d.event, &policy, &calendar);
    assert_eq!(case.clocks(&policy, &calendar)[0].due, due);
    let second = Duration::seconds(1);
    assert_eq!(nudge_now(&mut case, due), None, "on time to the second");
    assert_eq!(
        nudge_now(&mut case, due + second).as_deref(),
        Some("remind SignFor")
    );
    assert_eq!(nudge_now(&mut case, due + second), None, "reminded once");
    assert_eq!(nudge_now(&mut case, up), None);
    // Only the dispatch centre may take it back, and only once it went up.
    let centre = actor(&[Role::Dispatcher], 1);
    let redispatch =
        |c: &Case, now| decide(c, command("dispatch"), &centre, &policy, &calendar, now);
    assert_eq!(
        redispatch(&case, up).map(|_| ()),
        Err(WorkflowError::WrongState(State::Dispatched))
    );
    let before = case.clone();
    assert_eq!(
        nudge_now(&mut case, up + second).as_deref(),
        Some("escalate SignFor dispatch")
    );
    assert_eq!(
        nudge_now(&mut case, up + second * 2),
        None,
        "escalated once"
    );
    assert_eq!(
        crate::closure::escalation_labels(&before, &case),
        (Some("escalated:dispatch".to_owned()), None)
    );
    assert!(redispatch(&case, up + second * 3).is_ok());
    // Signing for it after all ends the escalation; the late sign-for was counted
    // when it went up, as one not on time, and is not counted again.
    let unit = actor(&[Role::Handler], LEAD);
    let late = decide(
        &case,
        Command::SignFor,
        &unit,
        &policy,
        &calendar,
        up + second * 4,
    )
    .expect("sign for");
    let mut after = case.clone();
    after.apply(&late.event, &policy, &calendar);
    assert_eq!(after.escalated, None);
    assert_eq!(
        crate::closure::escalation_labels(&case, &after),
        (None, Some("escalated:dispatch".to_owned()))
    );
    let counted = |c: &Case, step: &Happened| {
        let mut a = c.clone();
        a.apply(step, &policy, &calendar);
        crate::kpi::of_step(&facts(Track::WorkOrder), c, step, &a, &policy, &calendar)
            .map(|t| {
                (
                    t.sums.get(crate::kpi::Measure::Signed),
                    t.sums.get(crate::kpi::Measure::SignedOnTime),
                )
            })
            .unwrap_or((0, 0))
    };
    let went_up = system_step(&before, &policy, &calendar, up + second).expect("up");
    assert_eq!(counted(&before, &went_up.event), (1, 0));
    assert_eq!(counted(&case, &late.event), (0, 0));
}

#[test]
fn an_answer_is_reminded_at_four_fifths_and_goes_up_to_the_unit_head_when_overdue() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = new_case(Track::WorkOrder);
    let unit = actor(&[Role::Handler], LEAD);
    for (cmd, who, when) in [
        ("dispatch", admin(), china((2026, 3, 2), 9, 0)),
        ("sign_for", unit.clone(), china((2026, 3, 2), 10, 0)),
    ] {
        let d = decide(&case, command(cmd), &who, &policy, &calendar, when).expect(cmd);
        case.apply(&d.event, &policy, &calendar);
    }
    let clock = case.clocks(&policy, &calendar)[0].clone();
    assert_eq!(clock.what, ClockKind::Reply);
    let yellow = Light::turns_yellow(clock.start, clock.due, policy.yellow_share);
    assert_eq!(
        Light::at(clock.start, clock.due, yellow, 0.8),
        Light::Yellow
    );
    assert_eq!(nudge_now(&mut case, yellow), None);
    let d = system_step(&case, &policy, &calendar, yellow + Duration::seconds(1)).expect("remind");
    assert_eq!(
        d.effects,
        vec![Effect::NotifyStaff {
            to: Recipients::Unit(LEAD),
            notice: Notice::Reminder
        }]
    );
    assert_eq!(
        nudge_now(&mut case, yellow + Duration::seconds(1)).as_deref(),
        Some("remind Reply")
    );
    assert_eq!(nudge_now(&mut case, clock.due), None);
    // Paused, nothing is taken; resumed, the deadline moved and it goes up later.
    let late = clock.due + Duration::seconds(1);
    let d = system_step(&case, &policy, &calendar, late).expect("escalate");
    assert_eq!(
        d.effects,
        vec![
            Effect::NotifyStaff {
                to: Recipients::UnitHeads(LEAD),
                notice: Notice::Escalation
            },
            Effect::NotifyStaff {
                to: Recipients::Supervisors,
                notice: Notice::Escalation
            }
        ]
    );
    let before = case.clone();
    assert_eq!(
        nudge_now(&mut case, late).as_deref(),
        Some("escalate Reply head")
    );
    assert_eq!(case.escalated, Some(EscalateTo::UnitHead));
    assert_eq!(
        crate::closure::escalation_labels(&before, &case),
        (Some("escalated:head".to_owned()), None)
    );
    // Nobody may take the system's steps by hand.
    for cmd in [
        d.event.command.clone(),
        Command::Remind {
            clock: ClockKind::Reply,
            due: clock.due,
        },
    ] {
        assert_eq!(
            decide(&case, cmd, &admin(), &policy, &calendar, late).map(|_| ()),
            Err(WorkflowError::NotAllowed)
        );
    }
    let reply = decide(&case, command("reply"), &unit, &policy, &calendar, late).expect("reply");
    case.apply(&reply.event, &policy, &calendar);
    assert_eq!(case.escalated, None);
}

#[test]
fn a_paused_clock_and_an_ended_case_are_never_nudged() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = case_in(Track::Petition, State::Accepted);
    let pause = decide(
        &case,
        command("pause"),
        &admin(),
        &policy,
        &calendar,
        at(1, 0),
    )
    .expect("pause");
    case.apply(&pause.event, &policy, &calendar);
    assert!(system_step(&case, &policy, &calendar, at(400, 0)).is_none());
    let closed = case_in(Track::Petition, State::Closed);
    assert!(system_step(&closed, &policy, &calendar, at(400, 0)).is_none());
    // A petition's acceptance runs 15 days: reminded on the 13th, up after the 15th.
    let mut fresh = new_case(Track::Petition);
    assert_eq!(nudge_now(&mut fresh, at(11, 0)), None);
    assert_eq!(
        nudge_now(&mut fresh, at(13, 0)).as_deref(),
        Some("remind Acceptance")
    );
    assert_eq!(
        nudge_now(&mut fresh, at(16, 0)).as_deref(),
        Some("escalate Acceptance head")
    );
    assert_eq!(nudge_now(&mut fresh, at(17, 0)), None);
}

#[test]
fn only_those_who_must_contact_the_appellant_may_call_them() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut case = case_in(Track::WorkOrder, State::Handling);
    case.leader = Some(555);
    let call = |outcome| Command::Contact {
        outcome,
        note: "约定周三上午上门查看".into(),
    };
    let leader_in_charge = Actor {
        id: 555,
        ..actor(&[Role::Leader], 1)
    };
    for (who, may) in [
        (actor(&[Role::Handler], LEAD), true),
        (actor(&[Role::UnitHead], OTHER), true),
        (actor(&[Role::CallTaker], 1), true),
        (actor(&[Role::Dispatcher], 1), true),
        (leader_in_charge, true),
        (admin(), true),
        (actor(&[Role::Handler], 99), false),
        (actor(&[Role::Leader], 1), false),
        (actor(&[Role::Supervisor], 1), false),
        (actor(&[Role::GridWorker], LEAD), false),
        (actor(&[Role::Auditor], LEAD), false),
    ] {
        assert_eq!(may_contact(&case, &who), may, "{:?}", who.roles);
        let d = decide(
            &case,
            call(ContactOutcome::NoAnswer),
            &who,
            &policy,
            &calendar,
            at(3, 0),
        );
        assert_eq!(d.is_ok(), may, "{:?}", who.roles);
    }
    let d = decide(
        &case,
        call(ContactOutcome::Reached),
        &admin(),
        &policy,
        &calendar,
        at(3, 0),
    )
    .expect("call");
    assert!(!d.event.command.is_public(), "a call is internal");
    assert!(d.effects.is_empty());
    let before = case.clone();
    case.apply(&d.event, &policy, &calendar);
    assert_eq!(case, before, "a call changes nothing of the case");
    let closed = case_in(Track::WorkOrder, State::Closed);
    assert!(
        decide(
            &closed,
            call(ContactOutcome::Reached),
            &admin(),
            &policy,
            &calendar,
            at(3, 0)
        )
        .is_err()
    );
    for o in ContactOutcome::ALL {
        assert_eq!(ContactOutcome::from_code(o.code()), Some(o));
    }
}

#[test]
fn a_consultation_is_answered_on_the_spot_by_the_call_centre_and_closes() {
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let mut f = facts(Track::WorkOrder);
    f.kind = AppealKind::Consultation;
    let case = Case::new(&f, &policy);
    let answer = || Command::AnswerOnSpot {
        text: "社保卡补办请携带身份证到县政务服务中心二楼窗口办理，当场可取。".into(),
    };
    let caller = actor(&[Role::CallTaker], 1);
    assert_eq!(
        decide(
            &case,
            answer(),
            &actor(&[Role::Handler], LEAD),
            &policy,
            &calendar,
            at(0, 1)
        )
        .map(|_| ()),
        Err(WorkflowError::NotAllowed)
    );
    let d = decide(&case, answer(), &caller, &policy, &calendar, at(0, 1)).expect("answered");
    assert!(d.event.command.is_public(), "the answer is the appellant's");
    assert_eq!(
        d.effects,
        vec![Effect::NotifyAppellant(AppellantNotice::Answered)]
    );
    let mut closed = case.clone();
    closed.apply(&d.event, &policy, &calendar);
    assert_eq!(closed.state, State::Closed);
    let tally =
        crate::kpi::of_step(&f, &case, &d.event, &closed, &policy, &calendar).expect("counted");
    assert_eq!(tally.sums.get(crate::kpi::Measure::RepliedOnTime), 1);
    // Only a consultation, and only before its unit signed for it.
    let complaint = new_case(Track::WorkOrder);
    assert!(decide(&complaint, answer(), &caller, &policy, &calendar, at(0, 1)).is_err());
    let mut signed = case.clone();
    for name in ["dispatch", "sign_for"] {
        let d = decide(
            &signed,
            command(name),
            &admin(),
            &policy,
            &calendar,
            at(0, 2),
        )
        .expect(name);
        signed.apply(&d.event, &policy, &calendar);
    }
    assert_eq!(
        decide(&signed, answer(), &caller, &policy, &calendar, at(0, 3)).map(|_| ()),
        Err(WorkflowError::WrongState(State::Handling))
    );
}
