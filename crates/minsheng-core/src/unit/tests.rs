use proptest::prelude::*;

use super::*;
use crate::i18n::Explain;
use crate::region::Region;

fn region(code: &str, name: &str, retired: bool) -> KnownRegion {
    KnownRegion {
        region: Region {
            code: RegionCode::parse(code).expect("code"),
            name: name.into(),
        },
        centroid: None,
        retired,
    }
}

fn regions() -> Vec<KnownRegion> {
    vec![
        region("370999000000", "示范县", false),
        region("370999001000", "城关街道", false),
        region("370999002000", "河口镇", false),
        region("370999002001", "王庄村", false),
        region("370999003001", "王庄村", false),
        region("370999004000", "旧镇", true),
    ]
}

fn row(
    line: usize,
    key: &str,
    name: &str,
    kind: &str,
    parent: &str,
    j: &str,
) -> (usize, UnitFields) {
    (
        line,
        UnitFields {
            key: key.into(),
            name: name.into(),
            kind: kind.into(),
            parent: parent.into(),
            jurisdiction: j.into(),
            phone: String::new(),
        },
    )
}

fn stored(id: i64, key: &str, parent: Option<i64>, j: &str) -> Unit {
    Unit {
        id,
        key: key.into(),
        name: format!("{key}单位"),
        kind: UnitKind::Department,
        parent_id: parent,
        jurisdiction: vec![RegionCode::parse(j).expect("code")],
        contact_phone: None,
    }
}

#[test]
fn kinds_are_read_as_people_write_them() {
    for (s, k) in [
        ("department", UnitKind::Department),
        ("县直部门", UnitKind::Department),
        ("部门", UnitKind::Department),
        ("街道", UnitKind::TownshipGovernment),
        ("乡镇", UnitKind::TownshipGovernment),
        ("社区", UnitKind::VillageCommittee),
        ("村（居）委会", UnitKind::VillageCommittee),
        ("群众工作室", UnitKind::MassWorkOffice),
        ("调度中心", UnitKind::CountyMassWork),
        ("Township Government", UnitKind::TownshipGovernment),
    ] {
        assert_eq!(UnitKind::parse(s), Some(k), "{s}");
    }
    assert_eq!(UnitKind::parse("公司"), None);
}

#[test]
fn a_plain_file_plans_parents_before_children_by_code_or_name() {
    let rows = vec![
        row(2, "hk-wz", "王庄村委会", "村委会", "gov-hk", "370999002001"),
        row(3, "gov-hk", "河口镇人民政府", "乡镇", "", "河口镇"),
        row(4, "zjj", "县住建局", "部门", "", "示范县"),
    ];
    let plan = plan_units(&rows, &regions(), &[]).expect("good file");
    let keys: Vec<&str> = plan.save.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["gov-hk", "zjj", "hk-wz"]);
    assert_eq!(plan.created, 3);
    assert_eq!(plan.save[0].jurisdiction[0].as_str(), "370999002000");
    assert_eq!(plan.save[2].parent_key.as_deref(), Some("gov-hk"));
}

#[test]
fn every_bad_row_is_named_by_its_line_and_column() {
    let mut rows = vec![
        row(2, "Bad Key", "", "公司", "", ""),
        row(3, "a", "甲", "部门", "nobody", "370999001000"),
        row(4, "b", "乙", "部门", "", "王庄村"),
        row(5, "c", "丙", "部门", "", "旧镇"),
        row(6, "a", "甲二", "部门", "", "370999001000"),
    ];
    rows.push((
        7,
        UnitFields {
            phone: "call me".into(),
            ..row(7, "d", "丁", "部门", "", "370999001000").1
        },
    ));
    let errors = plan_units(&rows, &regions(), &[]).expect_err("bad file");
    let found: Vec<(usize, &str, FieldError)> = errors
        .iter()
        .map(|e| (e.line, e.problem.column, e.problem.error.clone()))
        .collect();
    assert!(found.contains(&(2, "key", FieldError::Code)));
    assert!(found.contains(&(2, "name", FieldError::Required)));
    assert!(found.contains(&(2, "kind", FieldError::UnknownChoice)));
    assert!(found.contains(&(2, "jurisdiction", FieldError::Required)));
    assert!(found.contains(&(3, "parent", FieldError::UnknownChoice)));
    assert!(found.contains(&(
        4,
        "jurisdiction",
        FieldError::AmbiguousRegion("王庄村".into())
    )));
    assert!(found.contains(&(5, "jurisdiction", FieldError::RetiredRegion("旧镇".into()))));
    assert!(found.contains(&(6, "key", FieldError::Taken)));
    assert!(found.contains(&(7, "phone", FieldError::ContactPhone)));
    let zh = errors[0].explain(Lang::Zh);
    assert!(zh.starts_with("第 2 行："), "{zh}");
}

#[test]
fn no_unit_can_be_put_under_itself() {
    let units = vec![
        stored(1, "a", None, "370999000000"),
        stored(2, "b", Some(1), "370999000000"),
    ];
    // a under b, while b is under a.
    let errors = plan_units(
        &[row(2, "a", "甲", "部门", "b", "示范县")],
        &regions(),
        &units,
    )
    .expect_err("loop");
    assert_eq!(errors[0].problem.error, FieldError::ParentLoop);
    let errors = plan_units(
        &[row(2, "a", "甲", "部门", "a", "示范县")],
        &regions(),
        &units,
    )
    .expect_err("self");
    assert_eq!(errors[0].problem.error, FieldError::ParentLoop);
    // Moving b out first and a under it in the same file is fine.
    let plan = plan_units(
        &[
            row(2, "a", "甲", "部门", "b", "示范县"),
            row(3, "b", "乙", "部门", "", "示范县"),
        ],
        &regions(),
        &units,
    )
    .expect("no loop after the file");
    assert_eq!(plan.save[0].key, "b");
}

#[test]
fn saving_what_is_stored_changes_nothing() {
    let units = vec![
        stored(1, "a", None, "370999000000"),
        stored(2, "b", Some(1), "370999001000"),
    ];
    let rows: Vec<(usize, UnitFields)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (i + 2, UnitFields::of(u, &units)))
        .collect();
    let plan = plan_units(&rows, &regions(), &units).expect("good");
    assert_eq!((plan.save.len(), plan.unchanged, plan.created), (0, 2, 0));
    let mut changed = rows.clone();
    changed[1].1.phone = "0539-1234567".into();
    let plan = plan_units(&changed, &regions(), &units).expect("good");
    assert_eq!((plan.save.len(), plan.unchanged, plan.created), (1, 1, 0));
    assert_eq!(plan.save[0].contact_phone.as_deref(), Some("0539-1234567"));
}

#[test]
fn a_unit_keeps_a_region_retired_since_and_names_are_one_line() {
    let units = vec![stored(1, "old", None, "370999004000")];
    let mut fields = UnitFields::of(&units[0], &units);
    fields.phone = "0539-1".into();
    let plan = plan_units(&[(2, fields.clone())], &regions(), &units).expect("kept");
    assert_eq!(plan.save[0].jurisdiction[0].as_str(), "370999004000");
    // Another unit cannot newly take the retired township.
    let other = UnitFields {
        key: "new".into(),
        ..fields
    };
    let errors = plan_units(&[(2, other)], &regions(), &units).expect_err("retired");
    assert_eq!(
        errors[0].problem.error,
        FieldError::RetiredRegion("370999004000".into())
    );
    // A shared name beside the code of one of its regions means that one.
    let row = row(
        2,
        "wz",
        "王庄\n村委会\u{0}\u{202e}",
        "村委会",
        "",
        "370999002001 王庄村",
    );
    let plan = plan_units(&[row], &regions(), &[]).expect("the coded one");
    assert_eq!(plan.save[0].jurisdiction.len(), 1);
    assert_eq!(plan.save[0].name, "王庄 村委会");
}

proptest! {
    /// Whatever the order of a file describing a forest, every unit comes after its
    /// parent.
    #[test]
    fn parents_always_come_first(parents in prop::collection::vec(prop::option::of(0usize..100), 1..30), seed in any::<u64>()) {
        let n = parents.len();
        // Unit i may only hang under a unit with a smaller index: a forest.
        let mut rows: Vec<(usize, UnitFields)> = (0..n)
            .map(|i| {
                let parent = parents[i].filter(|_| i > 0).map(|p| format!("u{}", p % i)).unwrap_or_default();
                row(i + 2, &format!("u{i}"), "单位", "部门", &parent, "示范县")
            })
            .collect();
        // Shuffle deterministically.
        let mut x = seed | 1;
        for i in (1..rows.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            rows.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let plan = plan_units(&rows, &regions(), &[]).expect("a forest is fine");
        prop_assert_eq!(plan.save.len(), n);
        for (i, u) in plan.save.iter().enumerate() {
            if let Some(p) = &u.parent_key {
                let at = plan.save.iter().position(|v| &v.key == p).expect("parent planned");
                prop_assert!(at < i);
            }
        }
    }
}
