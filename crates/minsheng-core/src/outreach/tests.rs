//! The registers' forms: what each accepts and what it says is wrong.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn villages() -> Vec<Region> {
    vec![
        Region {
            code: RegionCode::parse("370999001001").expect("code"),
            name: "幸福社区".into(),
        },
        Region {
            code: RegionCode::parse("370999002001").expect("code"),
            name: "王家庄村".into(),
        },
    ]
}

fn fields(e: &FieldErrors) -> Vec<&'static str> {
    e.0.iter().map(|(f, _)| *f).collect()
}

#[test]
fn a_village_contact_takes_the_village_name_and_an_enterprise_needs_its_own() {
    let form = ContactForm {
        kind: "village".into(),
        region: "370999002001".into(),
        name: String::new(),
        staff: "5".into(),
    };
    let c = form.validate(&villages(), &[5, 6]).expect("valid");
    assert_eq!(
        (c.kind, c.name.as_str(), c.staff),
        (PlaceKind::Village, "王家庄村", 5)
    );
    let school = ContactForm {
        kind: "school".into(),
        ..form.clone()
    };
    assert_eq!(
        fields(&school.validate(&villages(), &[5]).expect_err("name")),
        ["name"]
    );
    let bad = ContactForm {
        kind: "temple".into(),
        region: "370999009009".into(),
        name: String::new(),
        staff: "7".into(),
    };
    assert_eq!(
        fields(&bad.validate(&villages(), &[5]).expect_err("bad")),
        ["kind", "region", "staff", "name"]
    );
}

#[test]
fn a_reception_runs_on_china_time_and_ends_after_it_starts() {
    let form = ReceptionForm {
        leader: "3".into(),
        day: "2026-12-08".into(),
        from: "09:00".into(),
        to: "11:30".into(),
        place: "县信访局接待大厅".into(),
        topic: "征地拆迁".into(),
    };
    let r = form.validate(&[3]).expect("valid");
    assert_eq!(
        r.starts_at,
        Utc.with_ymd_and_hms(2026, 12, 8, 1, 0, 0)
            .single()
            .expect("t")
    );
    assert_eq!(
        r.ends_at,
        Utc.with_ymd_and_hms(2026, 12, 8, 3, 30, 0)
            .single()
            .expect("t")
    );
    // Visitors are registered from an hour before until the end of the day.
    let at = |h, m| {
        Utc.with_ymd_and_hms(2026, 12, 8, h, m, 0)
            .single()
            .expect("t")
    };
    assert!(!reception_open(
        r.starts_at,
        r.ends_at,
        at(0, 0) - chrono::Duration::minutes(1)
    ));
    assert!(reception_open(r.starts_at, r.ends_at, at(0, 0)));
    assert!(reception_open(r.starts_at, r.ends_at, at(15, 59)));
    assert!(!reception_open(r.starts_at, r.ends_at, at(16, 0)));
    let backwards = ReceptionForm {
        from: "11:30".into(),
        to: "09:00".into(),
        ..form.clone()
    };
    assert_eq!(
        fields(&backwards.validate(&[3]).expect_err("order")),
        ["to"]
    );
    let not_a_leader = ReceptionForm {
        leader: "4".into(),
        from: "9点".into(),
        ..form
    };
    assert_eq!(
        fields(&not_a_leader.validate(&[3]).expect_err("bad")),
        ["leader", "from"]
    );
}

#[test]
fn a_logged_visit_says_whom_it_met_and_a_plan_settles_nothing() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
    let log = VisitForm {
        region: "370999001001".into(),
        day: "2026-11-30".into(),
        purpose: "走访供暖困难户".into(),
        people: "社区两委、12户居民代表".into(),
        notes: "现场协调热力公司排气".into(),
        cases: "MS2026-000012，MS2026-000013".into(),
        resolved: "MS2026-000014".into(),
        done: "on".into(),
    };
    let v = log.validate(&villages(), today).expect("valid");
    assert_eq!(v.state, VisitState::Done);
    let nos: Vec<&str> = v.cases.iter().map(|n| n.as_str()).collect();
    assert_eq!(nos, ["MS2026-000012", "MS2026-000013", "MS2026-000014"]);
    assert_eq!(v.resolved.len(), 1);
    let unmet = VisitForm {
        people: String::new(),
        day: "2026-12-02".into(),
        cases: "MS2026-000012 第二件".into(),
        ..log.clone()
    };
    assert_eq!(
        fields(&unmet.validate(&villages(), today).expect_err("bad")),
        ["people", "cases", "day"]
    );
    let plan = VisitForm {
        done: String::new(),
        people: String::new(),
        day: "2026-12-05".into(),
        ..log
    };
    assert_eq!(
        fields(&plan.validate(&villages(), today).expect_err("plan")),
        ["resolved"]
    );
    let plan = VisitForm {
        resolved: String::new(),
        ..plan
    };
    assert_eq!(
        plan.validate(&villages(), today).expect("plan").state,
        VisitState::Planned
    );
}

#[test]
fn disputes_follow_ups_and_mediation_records_are_checked() {
    let dispute = DisputeForm {
        screening: String::new(),
        region: "370999002001".into(),
        kind: "land".into(),
        risk: "high".into(),
        parties: "王建国（村民）、李大山（村民）".into(),
        summary: "两户因宅基地边界争执，扬言动手".into(),
    };
    let d = dispute.validate(&[1], &villages()).expect("valid");
    assert_eq!(
        (d.screening, d.kind, d.risk),
        (None, DisputeKind::Land, Risk::High)
    );
    let unknown = DisputeForm {
        screening: "9".into(),
        risk: "extreme".into(),
        ..dispute
    };
    assert_eq!(
        fields(&unknown.validate(&[1], &villages()).expect_err("bad")),
        ["screening", "risk"]
    );
    // A follow-up may not claim the dispute became an appeal.
    let follow = FollowUpForm {
        note: "已约双方到村委会面谈".into(),
        risk: "medium".into(),
        state: "case".into(),
    };
    assert_eq!(fields(&follow.validate().expect_err("case")), ["state"]);
    let mediation = MediationForm {
        dispute: "1".into(),
        appeal: "MS2026-000012".into(),
        mediator: "8".into(),
        held_on: "2026-11-28".into(),
        parties: "王建国、李大山".into(),
        agreement: "以村里1998年丈量为准，各退半米".into(),
        outcome: "agreed".into(),
        follow_up_on: "2026-12-28".into(),
        judicial: "on".into(),
    };
    let m = mediation.validate(&[1], &[8]).expect("valid");
    assert!(m.judicial && m.follow_up_on.is_some() && m.appeal.is_some());
    let unlinked = MediationForm {
        dispute: String::new(),
        appeal: String::new(),
        ..mediation.clone()
    };
    assert_eq!(
        fields(&unlinked.validate(&[1], &[8]).expect_err("unlinked")),
        ["dispute"]
    );
    let backwards = MediationForm {
        follow_up_on: "2026-11-01".into(),
        appeal: "12号".into(),
        ..mediation
    };
    assert_eq!(
        fields(&backwards.validate(&[1], &[8]).expect_err("bad")),
        ["appeal", "follow_up_on"]
    );
}

#[test]
fn parties_and_published_replies_hide_names_and_numbers() {
    assert_eq!(
        mask_parties("王建国（申请人）、李大山（被申请人），13812345678"),
        "王**（申请人）、李**（被申请人），***********"
    );
    assert_eq!(mask_parties("张三 和 李四"), "张* 和 李*");
    // A name in brackets is a name; a role stays a role.
    assert_eq!(
        mask_parties("王小明、李大海（村民 张三丰）"),
        "王**、李**（村民 张**）"
    );
    let reply = published_reply(
        "王秀英女士您好，已联系热力公司维修，联系电话0531-88886666。",
        &["王秀英", "X"],
    );
    assert_eq!(
        reply,
        "王**女士您好，已联系热力公司维修，联系电话****-********。"
    );
    // However the name is spaced, and the home address too.
    let reply = published_reply(
        "欧阳 明华先生：经查人民路1号门前积水已排除。",
        &["欧阳明华", "人民路1号"],
    );
    assert_eq!(reply, "欧***先生：经查人****门前积水已排除。");
}

#[test]
fn consultations_close_after_they_open() {
    let form = ConsultationForm {
        title: "城关街道老旧小区加装电梯方案".into(),
        proposal: "拟对城关街道12个老旧小区加装电梯，费用由政府补贴40%，其余按楼层分摊。".into(),
        opens: "2026-12-01".into(),
        closes: "2026-12-15".into(),
    };
    assert!(form.validate().is_ok());
    let backwards = ConsultationForm {
        closes: "2026-11-15".into(),
        ..form
    };
    assert_eq!(
        fields(&backwards.validate().expect_err("order")),
        ["closes"]
    );
    assert!(check_opinion("好").is_err());
    assert!(check_opinion("建议按楼层分摊时照顾一楼住户").is_ok());
    assert!(check_response("短").is_err());
}

proptest! {
    /// Whatever a person types, masking keeps no digit run of seven or more, and
    /// never panics.
    #[test]
    fn masked_parties_keep_no_long_number(text in "[王李张 、（）()0-9a-z]{0,40}") {
        let masked = mask_parties(&text);
        let mut run = 0;
        for ch in masked.chars() {
            run = if ch.is_ascii_digit() { run + 1 } else { 0 };
            prop_assert!(run < 7, "{masked}");
        }
    }
}
