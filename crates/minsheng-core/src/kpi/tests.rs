//! Hand-computed cases: what each history adds, and what the rates come to.

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::appeal::AppealKind;
use crate::workflow::{ReturnReason, Urgency};

const UNIT: i64 = 7;
const HANDLER: i64 = 70;
const CALLER: i64 = 5;

fn at(days: i64, hours: i64, minutes: i64) -> DateTime<Utc> {
    // 2026-03-02 is a Monday, 09:00 China time; no holiday until 4 April.
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("time")
        + Duration::days(days)
        + Duration::hours(hours)
        + Duration::minutes(minutes)
}

fn facts(kind: AppealKind, category: &str) -> CaseFacts {
    CaseFacts {
        id: 1,
        kind,
        category: category.into(),
        region: RegionCode::parse("370999001001").expect("code"),
        received_at: at(0, 0, 0),
        routed_unit: Some(UNIT),
        routed_co: Vec::new(),
        accused: Vec::new(),
    }
}

fn step(at: DateTime<Utc>, actor: i64, command: Command) -> Happened {
    Happened {
        at,
        actor: Some(actor),
        command,
    }
}

fn dispatch(at: DateTime<Utc>) -> Happened {
    step(
        at,
        1,
        Command::Dispatch {
            lead: UNIT,
            co: Vec::new(),
            urgency: Urgency::Normal,
        },
    )
}

fn reply(at: DateTime<Utc>) -> Happened {
    step(
        at,
        HANDLER,
        Command::Reply {
            text: "已处理".into(),
            call_back: None,
        },
    )
}

fn visit(at: DateTime<Utc>, rating: Rating, solved: Solved) -> Happened {
    step(
        at,
        CALLER,
        Command::ReturnVisit {
            rating,
            solved: Some(solved),
            note: "回访".into(),
            by_appellant: false,
        },
    )
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("day")
}

fn cell(tallies: &[Tally], day: NaiveDate, staff: i64) -> Sums {
    let found: Vec<&Tally> = tallies
        .iter()
        .filter(|t| t.key.day == day && t.key.staff == staff)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one cell on {day} for staff {staff}: {tallies:?}"
    );
    found[0].sums.clone()
}

fn counts(pairs: &[(Measure, i64)]) -> Sums {
    let mut c = Sums::zero();
    for (m, n) in pairs {
        c.bump(*m, *n);
    }
    c
}

fn total(tallies: &[Tally]) -> Sums {
    let mut sum = Sums::zero();
    for t in tallies {
        sum.add(&t.sums);
    }
    sum
}

#[test]
fn a_work_order_done_on_time_counts_on_each_day_for_its_cadre() {
    use Measure as M;
    let history = vec![
        dispatch(at(0, 0, 10)),
        step(at(0, 1, 0), HANDLER, Command::SignFor),
        reply(at(3, 0, 0)),
        visit(at(3, 3, 0), Rating::Basic, Solved::Partly),
    ];
    let policy = Policy::default();
    let t = of_history(
        &facts(AppealKind::Complaint, "gongre"),
        &history,
        &policy,
        &Calendar::shipped(),
    );
    assert!(t.iter().all(|t| t.key.township == "370999001000"));
    assert!(
        t.iter()
            .all(|t| t.key.category == "gongre" && t.key.unit == UNIT)
    );
    // Arrival and dispatch on the Monday, credited to nobody in particular.
    assert_eq!(
        cell(&t, day(2), 0),
        counts(&[(M::Received, 1), (M::Dispatched, 1)])
    );
    // Signed for 50 minutes into a 4-working-hour window.
    assert_eq!(
        cell(&t, day(2), HANDLER),
        counts(&[(M::Signed, 1), (M::SignedOnTime, 1)])
    );
    // Thursday: the reply (3 working days after receipt, within 5), and the visit's
    // verdict, which judges the cadre who replied.
    assert_eq!(
        cell(&t, day(5), HANDLER),
        counts(&[
            (M::Replied, 1),
            (M::RepliedOnTime, 1),
            (M::ReplyDays, 3),
            (M::OrderReplies, 1),
            (M::Visited, 1),
            (M::RatedBasic, 1),
            (M::SolvedPartly, 1),
            (M::Closed, 1),
        ])
    );
    assert_eq!(t.len(), 3);
}

#[test]
fn a_late_order_redone_after_an_unsatisfied_visit_counts_both_replies() {
    use Measure as M;
    let history = vec![
        dispatch(at(0, 0, 10)),
        // Next morning: past 13:10 on the day of dispatch.
        step(at(1, 0, 0), HANDLER, Command::SignFor),
        // Thursday 12 March: due at the end of Tuesday 10 March (5 working days
        // from the sign-for on Tuesday 3 March).
        reply(at(10, 0, 0)),
        visit(at(10, 2, 0), Rating::Unsatisfied, Solved::Unsolved),
        reply(at(11, 0, 0)),
        visit(at(11, 2, 0), Rating::Satisfied, Solved::Solved),
    ];
    let policy = Policy::default();
    let t = of_history(
        &facts(AppealKind::Complaint, "gongre"),
        &history,
        &policy,
        &Calendar::shipped(),
    );
    assert_eq!(cell(&t, day(3), HANDLER), counts(&[(M::Signed, 1)]));
    assert_eq!(
        cell(&t, day(12), HANDLER),
        counts(&[
            (M::Replied, 1),
            (M::ReplyDays, 8),
            (M::OrderReplies, 1),
            (M::Visited, 1),
            (M::RatedUnsatisfied, 1),
            (M::SolvedNo, 1),
        ])
    );
    assert_eq!(
        cell(&t, day(13), HANDLER),
        counts(&[
            (M::Replied, 1),
            (M::RepliedOnTime, 1),
            (M::ReplyDays, 9),
            (M::OrderReplies, 1),
            (M::Visited, 1),
            (M::RatedSatisfied, 1),
            (M::SolvedYes, 1),
            (M::Closed, 1),
        ])
    );
    let sum = total(&t);
    assert_eq!(Kpi::Response.of(&sum), Rate { of: 0, out_of: 1 });
    assert_eq!(Kpi::OnTimeReply.of(&sum), Rate { of: 1, out_of: 2 });
    assert_eq!(Kpi::Satisfaction.of(&sum), Rate { of: 1, out_of: 2 });
    assert_eq!(Kpi::Resolution.of(&sum), Rate { of: 1, out_of: 2 });
    assert_eq!(Kpi::Visit.of(&sum), Rate { of: 2, out_of: 2 });
    assert_eq!(average_reply_days(&sum), Some(8.5));
}

#[test]
fn a_return_counts_against_the_unit_that_returned_it() {
    use Measure as M;
    let history = vec![
        dispatch(at(0, 0, 10)),
        step(
            at(0, 0, 30),
            HANDLER,
            Command::Return {
                reason: ReturnReason::WrongPlace,
                note: "不属本辖区".into(),
            },
        ),
    ];
    let t = of_history(
        &facts(AppealKind::Complaint, "gongre"),
        &history,
        &Policy::default(),
        &Calendar::shipped(),
    );
    assert_eq!(cell(&t, day(2), HANDLER), counts(&[(M::Returned, 1)]));
    assert_eq!(Kpi::ReturnShare.of(&total(&t)), Rate { of: 1, out_of: 1 });
}

#[test]
fn a_petition_counts_its_acceptance_and_its_statutory_clock() {
    use Measure as M;
    // Accepted after 3 days; replied on day 70, past the 60-day handling limit.
    let history = vec![
        step(at(3, 0, 0), HANDLER, Command::Accept),
        reply(at(70, 0, 0)),
    ];
    let t = of_history(
        &facts(AppealKind::Petition, "tudi"),
        &history,
        &Policy::default(),
        &Calendar::shipped(),
    );
    let sum = total(&t);
    assert_eq!(Kpi::Acceptance.of(&sum), Rate { of: 1, out_of: 1 });
    assert_eq!(Kpi::OnTimeReply.of(&sum), Rate { of: 0, out_of: 1 });
    // A petition reply is not a work order waiting for a return visit.
    assert_eq!(sum.get(M::OrderReplies), 0);
    assert_eq!(sum.get(M::Closed), 0);
}

#[test]
fn a_case_ended_while_in_the_backlog_counts_as_a_backlog_case_resolved() {
    use Measure as M;
    // Open for more than 90 days when it is closed.
    let history = vec![
        step(at(3, 0, 0), HANDLER, Command::Accept),
        reply(at(100, 0, 0)),
        step(at(135, 0, 0), 1, Command::Close),
    ];
    let t = of_history(
        &facts(AppealKind::Petition, "tudi"),
        &history,
        &Policy::default(),
        &Calendar::shipped(),
    );
    let sum = total(&t);
    assert_eq!(sum.get(M::Closed), 1);
    assert_eq!(sum.get(M::HardClosed), 1);
}

#[test]
fn rates_with_nothing_to_count_show_a_dash() {
    let nothing = Sums::zero();
    for kpi in Kpi::ALL {
        assert_eq!(kpi.of(&nothing).percent(), None, "{kpi:?}");
        assert_eq!(kpi.of(&nothing).show(), "—");
    }
    assert_eq!(Rate { of: 2, out_of: 3 }.show(), "66.7%");
    assert_eq!(Weights::default().score(&nothing), None);
}

#[test]
fn the_score_weighs_only_rates_with_something_to_count() {
    use Measure as M;
    // Satisfaction 3 of 4 (75%), returns 1 of 4 (counts as 75%); nothing else.
    let c = counts(&[
        (M::Visited, 4),
        (M::RatedSatisfied, 2),
        (M::RatedBasic, 1),
        (M::RatedUnsatisfied, 1),
        (M::Dispatched, 4),
        (M::Returned, 1),
    ]);
    let w = Weights(vec![
        (Kpi::Satisfaction, 3),
        (Kpi::ReturnShare, 1),
        (Kpi::Response, 5),
    ]);
    assert_eq!(w.score(&c), Some(75.0));
    let c = counts(&[
        (M::Visited, 4),
        (M::RatedSatisfied, 4),
        (M::Dispatched, 4),
        (M::Returned, 2),
    ]);
    // (100 × 3 + 50 × 1) / 4
    assert_eq!(w.score(&c), Some(87.5));
}

#[test]
fn townships_are_found_from_every_level() {
    let t = |code: &str| {
        township_of(&RegionCode::parse(code).expect("code"))
            .as_str()
            .to_owned()
    };
    assert_eq!(t("370999001001"), "370999001000");
    assert_eq!(t("370999001001002"), "370999001000");
    assert_eq!(t("370999001000"), "370999001000");
    assert_eq!(t("370999000000"), "370999000000");
}

proptest! {
    /// Merging never loses or invents a count, however the tallies are split.
    #[test]
    fn merging_keeps_every_count(
        parts in proptest::collection::vec((0u32..5, 0i64..3, 0usize..21, -3i64..10), 0..60)
    ) {
        let tallies: Vec<Tally> = parts
            .iter()
            .map(|(d, unit, m, n)| {
                let mut c = Sums::zero();
                c.bump(Measure::ALL[*m], *n);
                Tally {
                    key: Key {
                        day: day(2 + d),
                        township: "370999001000".into(),
                        category: "gongre".into(),
                        unit: *unit,
                        staff: 0,
                    },
                    sums: c,
                }
            })
            .collect();
        let merged = merge(tallies.clone());
        prop_assert_eq!(total(&merged), total(&tallies));
        prop_assert!(merged.windows(2).all(|w| w[0].key < w[1].key));
        prop_assert!(merged.iter().all(|t| !t.sums.is_zero()));
    }
}

#[test]
fn small_counts_are_withheld_with_a_partner_in_their_row_and_column() {
    let t = vec![vec![12, 3, 40], vec![7, 9, 0], vec![20, 30, 50]];
    let s = suppress(&t, MIN_PUBLISHED);
    // 3 is withheld; then its row's smallest other (12), the first column's smallest
    // other (7) and the second column's (9), so every line has two or none.
    assert_eq!(s[0][1], None);
    assert_eq!(s[0][0], None);
    assert_eq!(s[1][1], None);
    assert_eq!(s[1][0], None);
    assert_eq!(s[1][2], Some(0), "zeros are shown");
    assert_eq!(s[2], vec![Some(20), Some(30), Some(50)]);
}

proptest! {
    /// Whatever the table: nothing under the minimum is shown (but zeros), what is
    /// shown is the true count, and no row or column has exactly one withheld cell
    /// when it has another non-zero cell to withhold.
    #[test]
    fn a_published_table_gives_away_no_small_count(
        table in proptest::collection::vec(proptest::collection::vec(0i64..30, 4), 1..6)
    ) {
        let s = suppress(&table, MIN_PUBLISHED);
        for (r, row) in s.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let n = table[r][c];
                match cell {
                    Some(shown) => prop_assert!(*shown == n && (n == 0 || n >= MIN_PUBLISHED)),
                    None => prop_assert!(n > 0),
                }
            }
        }
        let lines: Vec<Vec<(usize, usize)>> = (0..table.len())
            .map(|r| (0..4).map(|c| (r, c)).collect())
            .chain((0..4).map(|c| (0..table.len()).map(|r| (r, c)).collect()))
            .collect();
        for line in lines {
            let withheld = line.iter().filter(|&&(r, c)| s[r][c].is_none()).count();
            let spare = line.iter().filter(|&&(r, c)| s[r][c].is_some_and(|n| n > 0)).count();
            prop_assert!(withheld != 1 || spare == 0, "a lone withheld cell in {line:?}: {s:?}");
        }
    }
}

#[test]
fn the_countys_weights_are_whole_points_and_at_least_one_counts() {
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let w = Weights::from_form(&form(&[
        ("satisfaction", "50"),
        ("resolution", " 50 "),
        ("visit", ""),
    ]))
    .expect("valid");
    assert_eq!(w.0, vec![(Kpi::Resolution, 50), (Kpi::Satisfaction, 50)]);
    assert_eq!((w.of(Kpi::Satisfaction), w.of(Kpi::Visit)), (50, 0));
    let e = Weights::from_form(&form(&[
        ("satisfaction", "101"),
        ("response", "-1"),
        ("repeat", "x"),
    ]))
    .expect_err("bad");
    let fields: Vec<&str> = e.0.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["response", "satisfaction", "repeat"]);
    let e = Weights::from_form(&form(&[("satisfaction", "0")])).expect_err("nothing");
    assert_eq!(e.0[0].0, "weights");
    // The defaults read back through the form.
    let d = Weights::default();
    let typed: Vec<(String, String)> =
        d.0.iter()
            .map(|(k, w)| (k.code().to_owned(), w.to_string()))
            .collect();
    let mut again = Weights::from_form(&typed).expect("defaults").0;
    let mut expected = d.0.clone();
    again.sort_by_key(|(k, _)| k.code());
    expected.sort_by_key(|(k, _)| k.code());
    assert_eq!(again, expected);
}
