//! The binary as an operator runs it.

use std::path::Path;
use std::process::Command;

use sqlx::Connection;

fn minsheng(dir: &Path, args: &[&str]) -> std::process::Output {
    command(dir, "cli.db", "cli.key")
        .args(args)
        .output()
        .expect("run minsheng")
}

/// The binary in `dir`, on the database file `db` with the key file `key` there.
fn command(dir: &Path, db: &str, key: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minsheng"));
    c.current_dir(dir)
        .env_remove("MINSHENG_DATA_KEY")
        .env(
            "MINSHENG_DATABASE_URL",
            format!("sqlite://{}", dir.join(db).display()),
        )
        .env("MINSHENG_KEY_FILE", dir.join(key));
    c
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("minsheng-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp");
    dir
}

#[tokio::test]
async fn demo_then_verify_audit_catches_a_hand_edit() {
    let dir = temp("audit");
    let out = minsheng(
        &dir,
        &[
            "demo",
            "--appeals",
            "120",
            "--seed",
            "7",
            "--until",
            "2026-11-29",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("120 件诉求"), "{said}");
    for tag in ["demo:heating", "demo:fluoride", "demo:land", "demo:wages"] {
        assert!(said.contains(tag), "{tag} planted");
    }
    assert!(dir.join("cli.key").exists(), "a key file was made");
    // Demo refuses a database that is not empty.
    assert!(!minsheng(&dir, &["demo", "--appeals", "5"]).status.success());

    // The sweep recomputes open cases from their events and leaves the chain intact.
    let out = minsheng(&dir, &["sweep"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("open cases"), "{}", text(&out));
    let out = minsheng(&dir, &["verify-audit"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain intact"));

    // The figures the demo kept agree with its events; a hand edit is found and a
    // rebuild repairs it.
    let out = minsheng(&dir, &["kpi", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("120 件诉求"), "{}", text(&out));
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    sqlx::query("UPDATE kpi_months SET closed = closed + 2")
        .execute(&mut c)
        .await
        .expect("tamper");
    let out = minsheng(&dir, &["kpi", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(minsheng(&dir, &["kpi"]).status.success());
    assert!(minsheng(&dir, &["kpi", "--check"]).status.success());

    // Reports: Excel and a printable page, for a month and a year.
    let out = minsheng(&dir, &["report", "--period", "2026-10", "--out", "m.xlsx"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("2026年10月群众诉求办理情况报告"),
        "{}",
        text(&out)
    );
    let xlsx = std::fs::read(dir.join("m.xlsx")).expect("written");
    assert_eq!(&xlsx[..2], b"PK", "an Excel file is a zip");
    let out = minsheng(
        &dir,
        &[
            "report", "--period", "2026", "--format", "html", "--out", "y.html", "--lang", "en",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let html = std::fs::read_to_string(dir.join("y.html")).expect("written");
    assert!(
        html.contains("This year") && html.contains("<style>"),
        "a page that stands alone"
    );
    for (period, area, why) in [
        ("2026-13", "370999001000", "期间应写作"),
        ("2026-10", "110101001000", "--area"),
    ] {
        let out = minsheng(
            &dir,
            &[
                "report", "--period", period, "--area", area, "--out", "x.xlsx",
            ],
        );
        assert!(!out.status.success(), "{period} {area} refused");
        assert!(text(&out).contains(why), "{}", text(&out));
        assert!(!dir.join("x.xlsx").exists());
    }

    let (seq,): (i64,) =
        sqlx::query_as("SELECT MIN(seq) FROM audit_log WHERE action = 'appeal.receive'")
            .fetch_one(&mut c)
            .await
            .expect("seq");
    sqlx::query(
        r#"UPDATE audit_log SET data = replace(data, '"channel":"', '"channel":"x') WHERE seq = $1"#,
    )
    .bind(seq)
    .execute(&mut c)
    .await
    .expect("tamper");
    c.close().await.expect("close");
    let out = minsheng(&dir, &["verify-audit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("record {seq}")),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

async fn appeals_of(name: &str, seed: &str) -> Vec<Row> {
    let dir = temp(name);
    let out = minsheng(
        &dir,
        &[
            "demo",
            "--appeals",
            "80",
            "--seed",
            seed,
            "--until",
            "2026-06-30",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT no, title, body, region_code, category, received_at, name_mask, phone_mask \
         FROM appeals ORDER BY no",
    )
    .fetch_all(&mut c)
    .await
    .expect("rows");
    c.close().await.expect("close");
    let _ = std::fs::remove_dir_all(&dir);
    rows
}

#[tokio::test]
async fn the_same_seed_and_day_give_the_same_county() {
    let a = appeals_of("seed-a", "11").await;
    assert_eq!(a.len(), 80);
    assert_eq!(a, appeals_of("seed-b", "11").await);
    assert_ne!(a, appeals_of("seed-c", "12").await);
}

#[test]
fn init_makes_an_admin_once_and_serve_refuses_without_a_key() {
    let dir = temp("init");
    let out = minsheng(&dir, &["init", "--county-name", "测试县"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("one-time password"));
    let again = minsheng(&dir, &["init"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("已初始化"));
    std::fs::remove_file(dir.join("cli.key")).expect("rm key");
    let out = minsheng(&dir, &["verify-audit"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("MINSHENG_KEY_FILE"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn calendar_due_dates_and_file_checks() {
    let dir = temp("calendar");
    let due = |args: &[&str]| {
        let mut all = vec!["calendar", "due"];
        all.extend_from_slice(args);
        let out = minsheng(&dir, &all);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // National Day 2026: 10-01..07 off, 10-10 (Sat) worked.
    assert_eq!(
        due(&["--from", "2026-09-30", "--working-days", "5"]),
        "2026-10-13"
    );
    // Spring Festival 2026: 02-15..23 off, 02-14 (Sat) worked.
    assert_eq!(
        due(&["--from", "2026-02-13", "--working-days", "1"]),
        "2026-02-14"
    );
    assert_eq!(
        due(&["--from", "2026-01-20", "--calendar-days", "15"]),
        "2026-02-04"
    );
    let out = minsheng(
        &dir,
        &[
            "calendar",
            "due",
            "--from",
            "2027-01-01",
            "--working-days",
            "1",
        ],
    );
    assert!(text(&out).contains("日历未覆盖"));
    // Far past the calendar's years: a clear error at once, not a guess.
    for (limit, n, says) in [
        ("--working-days", "4294967295", "超出节假日日历"),
        ("--working-days", "600", "超出节假日日历"),
        ("--calendar-days", "4294967295", "天数过大"),
    ] {
        let out = minsheng(&dir, &["calendar", "due", "--from", "2026-01-01", limit, n]);
        assert!(!out.status.success());
        assert!(text(&out).contains(says), "{}", text(&out));
    }

    let good = dir.join("2027.txt");
    std::fs::write(&good, "year 2027\nholiday 2027-01-01 元旦\n").expect("write");
    let out = minsheng(&dir, &["calendar", "check", good.to_str().expect("utf8")]);
    assert!(
        out.status.success() && text(&out).contains("2027"),
        "{}",
        text(&out)
    );
    // Adding a year is a data change: the same file moves a due date.
    let out = minsheng(
        &dir,
        &[
            "--calendar",
            good.to_str().expect("utf8"),
            "calendar",
            "due",
            "--from",
            "2026-12-31",
            "--working-days",
            "1",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-04");

    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "year 2027\n# fine\nworkday 2027-01-05 周二上班\n").expect("write");
    let out = minsheng(&dir, &["calendar", "check", bad.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("第 3 行") && text(&out).contains("line 3"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_new_county_imports_its_regions_from_a_gbk_csv_once() {
    let dir = temp("regions");
    let out = minsheng(&dir, &["init", "--county-name", "测试县"]);
    assert!(out.status.success(), "{}", text(&out));
    // As Excel in China saves it: GBK, villages before their townships.
    let csv = "代码,名称,纬度,经度\n\
               370999001001,幸福社区,36.51,117.12\n\
               370999001000,城关街道,,\n\
               370999002001,李官屯村,,\n\
               370999002000,柳林镇,,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let file = dir.join("regions.csv");
    std::fs::write(&file, &gbk).expect("write");
    let path = file.to_str().expect("utf8");
    let check = minsheng(&dir, &["regions", "import", path, "--check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("新增 4 个区划"), "{}", text(&check));
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let count = |sql: &'static str| {
        let url = url.clone();
        async move {
            let mut db = sqlx::SqliteConnection::connect(&url).await.expect("db");
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut db).await.expect("q");
            n
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM regions").await,
        1,
        "a check writes nothing"
    );
    let out = minsheng(&dir, &["regions", "import", path]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("新建乡镇政府单位 2"), "{}", text(&out));
    assert_eq!(count("SELECT COUNT(*) FROM regions").await, 5);
    assert_eq!(
        count("SELECT COUNT(*) FROM units WHERE kind = 'township_government'").await,
        2
    );
    // The same file again changes nothing.
    let again = minsheng(&dir, &["regions", "import", path]);
    assert!(text(&again).contains("新增 0 个区划"), "{}", text(&again));
    assert!(text(&again).contains("未变 4"), "{}", text(&again));
    assert_eq!(count("SELECT COUNT(*) FROM units").await, 21);
    // Bad rows are named by line and nothing is written.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "code,name\n370999003000,新区街道\n370999009001,无主村\n12345,短\n",
    )
    .expect("write");
    let out = minsheng(&dir, &["regions", "import", bad.to_str().expect("utf8")]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("第 3 行") && said.contains("第 4 行"),
        "{said}"
    );
    assert!(!said.contains("第 2 行"), "{said}");
    assert_eq!(count("SELECT COUNT(*) FROM regions").await, 5);
    let out = minsheng(&dir, &["verify-audit"]);
    assert!(out.status.success(), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn staff_accounts_from_the_command_line() {
    let dir = temp("staff");
    assert!(minsheng(&dir, &["init"]).status.success());
    let create = |user: &str, role: &str| {
        minsheng(
            &dir,
            &[
                "staff",
                "create",
                "--username",
                user,
                "--name",
                "李四",
                "--unit",
                "zjj",
                "--role",
                role,
            ],
        )
    };
    let out = create("li.si", "handler");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("one-time password"));
    let again = create("li.si", "handler");
    assert!(!again.status.success());
    assert!(text(&again).contains("已被占用"), "{}", text(&again));
    let bad_role = create("wang.wu", "emperor");
    assert!(!bad_role.status.success());
    assert!(text(&bad_role).contains("未知角色"));
    let out = minsheng(&dir, &["staff", "reset-password", "li.si"]);
    assert!(out.status.success() && text(&out).contains("one-time password"));
    // API tokens: made, listed by prefix only, refused for a bad lifetime or an
    // unknown account, revoked.
    let out = minsheng(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "li.si",
            "--expires",
            "90d",
            "--name",
            "热线对接",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let token = text(&out)
        .lines()
        .find(|l| l.starts_with("mst_"))
        .expect("token printed")
        .to_owned();
    let out = minsheng(&dir, &["token", "list"]);
    let listed = text(&out);
    assert!(
        listed.contains("热线对接") && listed.contains(&token[..12]) && !listed.contains(&token),
        "{listed}"
    );
    assert!(listed.contains("有效 live"));
    let out = minsheng(
        &dir,
        &["token", "create", "--user", "li.si", "--expires", "5y"],
    );
    assert!(!out.status.success() && text(&out).contains("90d"));
    let out = minsheng(&dir, &["token", "create", "--user", "nobody"]);
    assert!(!out.status.success() && text(&out).contains("没有这个账号"));
    let id = listed
        .lines()
        .find(|l| l.contains("热线对接"))
        .and_then(|l| l.split('\t').next())
        .expect("id")
        .to_owned();
    assert!(minsheng(&dir, &["token", "revoke", &id]).status.success());
    assert!(text(&minsheng(&dir, &["token", "list"])).contains("已吊销 revoked"));
    assert!(!minsheng(&dir, &["token", "revoke", "999"]).status.success());
    // Open311 keys: made, listed by prefix only, revoked.
    let out = minsheng(&dir, &["api-key", "create", "城市通 App"]);
    assert!(out.status.success(), "{}", text(&out));
    let key = text(&out)
        .lines()
        .find(|l| l.starts_with("msk_"))
        .expect("key printed")
        .to_owned();
    let listed = text(&minsheng(&dir, &["api-key", "list"]));
    assert!(
        listed.contains("城市通 App") && listed.contains(&key[..10]) && !listed.contains(&key),
        "{listed}"
    );
    assert!(
        !minsheng(&dir, &["api-key", "create", "  "])
            .status
            .success()
    );
    let id = listed
        .lines()
        .find(|l| l.contains("城市通 App"))
        .and_then(|l| l.split('\t').next())
        .expect("id")
        .to_owned();
    assert!(minsheng(&dir, &["api-key", "revoke", &id]).status.success());
    assert!(text(&minsheng(&dir, &["api-key", "list"])).contains("已吊销 revoked"));
    assert!(
        !minsheng(&dir, &["api-key", "revoke", "999"])
            .status
            .success()
    );
    let out = minsheng(&dir, &["staff", "deactivate", "li.si"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = minsheng(&dir, &["staff", "deactivate", "nobody"]);
    assert!(!out.status.success() && text(&out).contains("没有这个账号"));
    assert!(minsheng(&dir, &["verify-audit"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn last_years_cases_come_in_once_with_their_status() {
    let dir = temp("history");
    assert!(minsheng(&dir, &["init"]).status.success());
    let regions = dir.join("regions.csv");
    std::fs::write(
        &regions,
        "代码,名称\n370999001000,城关街道\n370999001001,幸福社区\n370999002000,柳林镇\n370999002001,李官屯村\n",
    )
    .expect("write");
    let out = minsheng(
        &dir,
        &["regions", "import", regions.to_str().expect("utf8")],
    );
    assert!(out.status.success(), "{}", text(&out));
    // As a 12345 system exports it, saved by Excel in China: GBK, Chinese headers.
    let csv = "工单编号,受理时间,来源渠道,诉求类别,所属乡镇,村（社区）,诉求内容,来电人,联系电话,办理状态,办结时间\n\
               GD-1,2025/12/3 9:15,热线,供热,城关街道,幸福社区,暖气不热,张三,13800138000,已办结,2025-12-05 17:00\n\
               GD-2,2025-12-04 10:00,12345,供热,柳林镇,李官屯村,锅炉房冒黑烟,,,在办,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let file = dir.join("history.csv");
    std::fs::write(&file, &gbk).expect("write");
    let path = file.to_str().expect("utf8");
    let out = minsheng(&dir, &["import", path, "--check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 行可导入"), "{}", text(&out));
    let out = minsheng(&dir, &["import", path]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("新增 2"), "{}", text(&out));
    let again = minsheng(&dir, &["import", path]);
    assert!(
        text(&again).contains("新增 0") && text(&again).contains("已存在跳过 2"),
        "{}",
        text(&again)
    );
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("db");
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT external_id, status, name_mask FROM appeals ORDER BY external_id")
            .fetch_all(&mut db)
            .await
            .expect("q");
    assert_eq!(
        rows,
        vec![
            (
                "GD-1".to_owned(),
                "closed".to_owned(),
                Some("张*".to_owned())
            ),
            ("GD-2".to_owned(), "dispatched".to_owned(), None),
        ]
    );
    let (plain,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM appeals WHERE name_enc LIKE '%张三%'")
            .fetch_one(&mut db)
            .await
            .expect("q");
    assert_eq!(plain, 0, "personal data encrypted as for new appeals");
    // Bad rows: every one named, nothing written.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"external_id\":\"J-1\",\"received_at\":\"2026-01-05T08:00:00+08:00\",\"category\":\"gongre\",\"region\":\"370999001001\",\"text\":\"好的一行\"}\n\
         {\"external_id\":\"J-2\",\"received_at\":\"明天\",\"category\":\"gongre\",\"region\":\"370999001001\",\"text\":\"x\"}\n\
         {\"external_id\":\"J-3\",\"received_at\":\"2026-01-05\",\"category\":\"无此类\",\"region\":\"370999009001\",\"text\":\"x\",\"phone\":\"123\"}\n",
    )
    .expect("write");
    let out = minsheng(&dir, &["import", bad.to_str().expect("utf8")]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("第 2 行") && said.contains("第 3 行") && !said.contains("第 1 行"),
        "{said}"
    );
    assert!(said.contains("nothing was written"));
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appeals")
        .fetch_one(&mut db)
        .await
        .expect("q");
    assert_eq!(count, 2);
    // A mapping file names headers of another system.
    let odd = dir.join("odd.csv");
    std::fs::write(
        &odd,
        "单号,时间,问题,区域代码,分类名\nA-1,2026-03-02 09:00,路灯坏了,370999002001,供热\n",
    )
    .expect("write");
    let mapping = dir.join("mapping.txt");
    std::fs::write(
        &mapping,
        "单号=external_id\n时间=received_at\n问题=text\n区域代码=region\n分类名=category\n",
    )
    .expect("write");
    let out = minsheng(
        &dir,
        &[
            "import",
            odd.to_str().expect("utf8"),
            "--mapping",
            mapping.to_str().expect("utf8"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(minsheng(&dir, &["verify-audit"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_new_county_is_set_up_from_the_command_line_alone() {
    let dir = temp("journey");
    let run = |args: &[&str]| {
        let out = minsheng(&dir, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    };
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write");
        path.to_str().expect("utf8").to_owned()
    };
    run(&["init", "--county-name", "测试县"]);
    let regions = write(
        "regions.csv",
        "代码,名称\n370999001000,城关街道\n370999001001,幸福社区\n370999002000,柳林镇\n370999002001,李官屯村\n",
    );
    run(&["regions", "import", &regions]);
    let units = write(
        "units.csv",
        "编码,名称,类型,上级,辖区,电话\n\
         ll-heat,柳林镇供热服务站,部门,gov-370999002000,柳林镇,0539-8888888\n\
         lgt,李官屯村村委会,村委会,gov-370999002000,李官屯村,\n",
    );
    let checked = run(&["units", "import", &units, "--check"]);
    assert!(checked.contains("新建 2"), "{checked}");
    let done = run(&["units", "import", &units]);
    assert!(done.contains("新建 2"), "{done}");
    assert!(run(&["units", "import", &units]).contains("未变 2"));
    let bad = write(
        "bad-units.csv",
        "key,name,kind,jurisdiction\nBad,某,部门,火星\n",
    );
    let out = minsheng(&dir, &["units", "import", &bad]);
    assert!(!out.status.success());
    assert!(text(&out).contains("第 2 行"), "{}", text(&out));
    assert!(
        run(&["units", "list"]).contains("ll-heat\tdepartment\t柳林镇供热服务站\t370999002000")
    );
    let created = run(&[
        "staff",
        "create",
        "--username",
        "heat.handler",
        "--name",
        "赵六",
        "--unit",
        "ll-heat",
        "--role",
        "handler",
    ]);
    assert!(created.contains("one-time password"), "{created}");
    run(&[
        "routing",
        "add",
        "--category",
        "gongre",
        "--region",
        "370999002000",
        "--lead",
        "ll-heat",
        "--co",
        "lgt",
    ]);
    let rules = run(&["routing", "list"]);
    assert!(
        rules.contains("gongre\t370999002000\tll-heat\tlgt"),
        "{rules}"
    );
    let out = minsheng(
        &dir,
        &[
            "routing",
            "add",
            "--category",
            "nope",
            "--region",
            "370999002000",
            "--lead",
            "ll-heat",
        ],
    );
    assert!(!out.status.success() && text(&out).contains("category"));
    // Next year's holidays, checked line by line; a bad file changes nothing.
    let bad_cal = write("bad.txt", "year 2030\nholiday 2030-13-01 元旦\n");
    let out = minsheng(&dir, &["calendar", "upload", &bad_cal]);
    assert!(
        !out.status.success() && text(&out).contains("第 2 行"),
        "{}",
        text(&out)
    );
    let cal = write("2030.txt", "year 2030\nholiday 2030-01-01 元旦\n");
    assert!(run(&["calendar", "upload", &cal]).contains("2030"));
    // Due dates on the command line count with it at once.
    let due = run(&[
        "calendar",
        "due",
        "--from",
        "2029-12-31",
        "--working-days",
        "1",
    ]);
    assert!(due.starts_with("2030-01-02"), "{due}");
    // A retired region takes no appeals; restored, it does again.
    assert!(run(&["regions", "retire", "370999001001"]).contains("0 件诉求在办"));
    run(&["regions", "restore", "370999001001"]);

    // The county now takes appeals: a heating complaint from 李官屯村 lands with the
    // heating station by the rule.
    let appeal = write(
        "appeal.jsonl",
        "{\"external_id\":\"h-1\",\"received_at\":\"2026-11-20T09:00:00+08:00\",\"channel\":\"hotline\",\"category\":\"gongre\",\"region\":\"370999002001\",\"text\":\"家里暖气一直不热，屋里只有十二度。\",\"phone\":\"13800001111\"}\n",
    );
    run(&["import", &appeal]);
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("db");
    let (unit, reason): (String, String) = sqlx::query_as(
        "SELECT u.key, a.routing_reason FROM appeals a JOIN units u ON u.id = a.handler_unit_id",
    )
    .fetch_one(&mut db)
    .await
    .expect("the appeal");
    assert_eq!(unit, "ll-heat");
    assert!(reason.contains("\"Rule\""), "{reason}");
    run(&["verify-audit"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_stops_cleanly_on_sigterm_and_logs_json_when_asked() {
    use std::io::{BufRead, BufReader};
    let dir = temp("sigterm");
    assert!(minsheng(&dir, &["init"]).status.success());
    let mut child = command(&dir, "cli.db", "cli.key")
        .env("MINSHENG_LOG_FORMAT", "json")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("Minsheng is running"));
    assert!(started.is_some(), "the server started");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let shutdown = rest
        .iter()
        .find(|l| l.contains("shutting down"))
        .expect("a shutdown line");
    let json: serde_json::Value = serde_json::from_str(shutdown).expect("a JSON log line");
    assert_eq!(json["level"], "INFO");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_backup_taken_while_serving_restores_into_the_same_county() {
    let dir = temp("backup");
    let out = minsheng(&dir, &["demo", "--appeals", "150", "--until", "2026-11-29"]);
    assert!(out.status.success(), "{}", text(&out));
    // Taken while the server runs (and keeps its connections open).
    let mut server = command(&dir, "cli.db", "cli.key")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let backup = dir.join("backup.db");
    let out = minsheng(&dir, &["backup", backup.to_str().expect("utf-8")]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("150 件诉求"), "{}", text(&out));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("backup.db.manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["appeals"], 150);
    assert!(
        !text(&out).contains(
            &std::fs::read_to_string(dir.join("cli.key"))
                .expect("key")
                .trim()
                .to_owned()
        ),
        "never the key"
    );
    // A backup never overwrites a file.
    assert!(
        !minsheng(&dir, &["backup", backup.to_str().expect("utf-8")])
            .status
            .success()
    );

    let restore = |db: &str, key: &str| {
        command(&dir, db, key)
            .args(["restore", backup.to_str().expect("utf-8")])
            .output()
            .expect("restore")
    };
    // Under another data key the personal data would not open: refused.
    std::fs::write(dir.join("other.key"), "ab".repeat(32)).expect("key");
    let out = restore("wrong-key.db", "other.key");
    assert!(!out.status.success());
    assert!(text(&out).contains("数据密钥"), "{}", text(&out));
    assert!(!dir.join("wrong-key.db").exists());
    // Into a fresh file: the same appeals, the audit chain intact and the same head.
    let out = restore("restored.db", "cli.key");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("与清单一致"), "{}", text(&out));
    let verify = command(&dir, "restored.db", "cli.key")
        .arg("verify-audit")
        .output()
        .expect("verify");
    assert!(verify.status.success(), "{}", text(&verify));
    // A manifest rewritten to match something else does not pass without the key.
    let manifest_file = dir.join("backup.db.manifest.json");
    let original = std::fs::read_to_string(&manifest_file).expect("manifest");
    let mut forged: serde_json::Value = serde_json::from_str(&original).expect("json");
    forged["appeals"] = serde_json::json!(151);
    std::fs::write(&manifest_file, forged.to_string()).expect("forge");
    let out = restore("forged.db", "cli.key");
    assert!(!out.status.success());
    assert!(text(&out).contains("改动"), "{}", text(&out));
    std::fs::write(&manifest_file, original).expect("put back");
    // verify-audit and backup name a missing database instead of making an empty one.
    let missing = command(&dir, "typo.db", "cli.key")
        .arg("verify-audit")
        .output()
        .expect("run");
    assert!(!missing.status.success() && text(&missing).contains("没有这个数据库文件"));
    assert!(!dir.join("typo.db").exists());
    // Not over an existing database, and not from a file changed since.
    assert!(!restore("restored.db", "cli.key").status.success());
    let mut bytes = std::fs::read(&backup).expect("backup");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    std::fs::write(&backup, bytes).expect("tamper");
    let out = restore("tampered.db", "cli.key");
    assert!(!out.status.success());
    assert!(text(&out).contains("不符"), "{}", text(&out));
}

#[tokio::test]
async fn the_demo_ends_now_and_its_replies_are_whole() {
    let dir = temp("now");
    let out = minsheng(&dir, &["demo", "--appeals", "150", "--seed", "3"]);
    assert!(out.status.success(), "{}", text(&out));
    let now = chrono::Utc::now();
    let url = format!("sqlite://{}", dir.join("cli.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    let (latest,): (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT MAX(received_at) FROM appeals")
            .fetch_one(&mut c)
            .await
            .expect("latest");
    assert!(latest <= now, "an appeal arrives at {latest}, after {now}");
    let (last_step,): (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT MAX(at) FROM appeal_events")
            .fetch_one(&mut c)
            .await
            .expect("last step");
    assert!(
        last_step <= now,
        "a step is taken at {last_step}, after {now}"
    );
    let replies: Vec<(String,)> =
        sqlx::query_as("SELECT note FROM appeal_events WHERE kind = 'reply' AND note IS NOT NULL")
            .fetch_all(&mut c)
            .await
            .expect("replies");
    assert!(!replies.is_empty());
    for (reply,) in &replies {
        assert!(
            reply.ends_with('。') && !reply.ends_with("如下。") && reply.chars().count() >= 30,
            "an incomplete reply: {reply}"
        );
    }
    c.close().await.expect("close");
    let _ = std::fs::remove_dir_all(&dir);
}
