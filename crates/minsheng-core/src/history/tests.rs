use chrono::TimeZone;
use rstest::rstest;

use super::*;

fn regions() -> Vec<Region> {
    let r = |c: &str, n: &str| Region {
        code: RegionCode::parse(c).expect("code"),
        name: n.into(),
    };
    vec![
        r("370999001000", "城关街道"),
        r("370999001001", "幸福社区"),
        r("370999001002", "东关村"),
        r("370999002000", "柳林镇"),
        r("370999002001", "李官屯村"),
        r("370999002002", "东关村"),
    ]
}

fn categories() -> Vec<Category> {
    vec![Category::heating()]
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0)
        .single()
        .expect("t")
}

fn table(lines: &[&str]) -> Table {
    Table::from_lines(lines, '|')
}

fn read(lines: &[&str], mapping: Option<&str>) -> Result<Vec<Historic>, Vec<ImportError>> {
    let t = table(lines);
    let map = ColumnMap::new(&t, mapping)?;
    let (c, r) = (categories(), regions());
    read_all(
        &t,
        &map,
        &Known {
            categories: &c,
            regions: &r,
            now: now(),
            id_prefix: "file",
        },
    )
}

/// As a 12345 system exports it: Chinese headers, local times, names for places.
const EXPORT: [&str; 4] = [
    "工单编号|受理时间|来源渠道|诉求类别|所属乡镇|村（社区）|诉求内容|来电人|联系电话|办理状态|办结时间",
    "GD2025-0001|2025/12/3 9:15|热线|供热|城关街道|幸福社区|暖气不热，家里只有十二度|张三|13800138000|已办结|2025-12-05 17:00",
    "GD2025-0002|2025-12-04 10:00:00|12345|gongre|柳林镇|东关村|锅炉房冒黑烟||||",
    "GD2025-0003|2026-01-05T08:00:00+08:00|网站|Heating||李官屯村|小区供暖停了三天|李四||在办|",
];

#[test]
fn a_typical_export_reads_with_chinese_headers() {
    let rows = read(&EXPORT, None).expect("valid");
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(first.external_id, "GD2025-0001");
    assert_eq!(
        first.appeal.received_at,
        Utc.with_ymd_and_hms(2025, 12, 3, 1, 15, 0)
            .single()
            .expect("t")
    );
    assert_eq!(first.appeal.channel, Channel::Hotline);
    assert_eq!(first.appeal.region.as_str(), "370999001001");
    assert_eq!(first.appeal.appellant.name.as_deref(), Some("张三"));
    assert!(matches!(first.ending, Ending::Ended(State::Closed, _)));
    // 东关村 exists in two townships: the township picks the right one.
    assert_eq!(rows[1].appeal.region.as_str(), "370999002002");
    assert!(rows[1].appeal.appellant.is_anonymous());
    assert_eq!(rows[1].ending, Ending::Open);
    assert_eq!(rows[2].appeal.channel, Channel::Web);
    assert_eq!(rows[2].appeal.category, "gongre");
}

#[test]
fn a_mapping_file_names_unusual_headers() {
    let lines = [
        "单号|时间|问题|区域代码|分类名",
        "A1|2026-03-02 09:00|路灯坏了|370999001002|供热",
    ];
    assert!(read(&lines, None).is_err());
    let mapping = "# 表头=字段\n单号=external_id\n时间=received_at\n问题=text\n区域代码=region\n分类名=category\n";
    let rows = read(&lines, Some(mapping)).expect("mapped");
    assert_eq!(rows[0].appeal.region.as_str(), "370999001002");
    let errors = read(&lines, Some("时间=when\nnonsense")).expect_err("bad mapping");
    assert!(
        errors
            .iter()
            .any(|e| matches!(e.problem, ImportProblem::UnknownField(_)))
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(e.problem, ImportProblem::BadMapping(_)))
    );
}

#[rstest]
#[case::future("2027-01-01 00:00|供热|幸福社区|x||", "晚于现在")]
#[case::bad_time("昨天|供热|幸福社区|x||", "不是时间")]
#[case::unknown_category("2026-01-01|水电|幸福社区|x||", "“category”的值“水电”无法识别")]
#[case::ambiguous_village("2026-01-01|供热|东关村|x||", "找不到地点")]
#[case::unknown_village("2026-01-01|供热|桃花源|x||", "找不到地点")]
#[case::empty_text("2026-01-01|供热|幸福社区|||", "“text”为空")]
#[case::closed_before("2026-01-05|供热|幸福社区|x|已办结|2026-01-01", "办结时间早于受理时间")]
#[case::unknown_status("2026-01-05|供热|幸福社区|x|搁置|", "“status”的值“搁置”无法识别")]
fn bad_rows_are_named_with_the_reason(#[case] row: &str, #[case] says: &str) {
    let lines = ["受理时间|类别|村|内容|状态|办结时间", row];
    let errors = read(&lines, None).expect_err("bad");
    assert!(errors.iter().all(|e| e.line == 2));
    let said: Vec<String> = errors.iter().map(|e| e.explain(Lang::Zh)).collect();
    assert!(said.iter().any(|s| s.contains(says)), "{said:?}");
}

#[test]
fn missing_columns_and_repeated_ids_are_reported() {
    let errors = read(&["编号|内容", "1|x"], None).expect_err("bad");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().all(|e| e.line == 1));
    let lines = [
        "编号|受理时间|类别|村|内容",
        "A|2026-01-01|供热|幸福社区|一",
        "A|2026-01-02|供热|幸福社区|二",
        "|2026-01-03|供热|幸福社区|三",
    ];
    let errors = read(&lines, None).expect_err("dup");
    assert_eq!(errors.len(), 1);
    assert!(matches!(
        errors[0].problem,
        ImportProblem::DuplicateId { first_line: 2, .. }
    ));
    let ok = read(&[lines[0], lines[1], lines[3]], None).expect("ok");
    assert_eq!(
        ok[1].external_id, "file:3",
        "no id: made from the file and line"
    );
}

#[rstest]
#[case("2026-03-02T09:15:00+08:00", "2026-03-02T01:15:00Z")]
#[case("2026-03-02T01:15:00Z", "2026-03-02T01:15:00Z")]
#[case("2026-03-02 09:15", "2026-03-02T01:15:00Z")]
#[case("2026/3/2 9:15:30", "2026-03-02T01:15:30Z")]
#[case("2026-03-02", "2026-03-01T16:00:00Z")]
#[case("2026年3月2日", "2026-03-01T16:00:00Z")]
#[case("46083.5", "2026-03-02T04:00:00Z")]
fn times_are_read_as_people_write_them(#[case] written: &str, #[case] utc: &str) {
    let expected = DateTime::parse_from_rfc3339(utc)
        .expect("t")
        .with_timezone(&Utc);
    assert_eq!(parse_time(written), Some(expected), "{written}");
}

#[rstest]
#[case("1999-12-31 23:59")]
#[case("1900-01-01")]
#[case("0005-01-01T00:00:00Z")]
#[case("-0001-01-01T00:00:00Z")]
#[case("not a time")]
fn times_before_2000_or_unreadable_are_refused(#[case] written: &str) {
    assert_eq!(parse_time(written), None, "{written}");
}
