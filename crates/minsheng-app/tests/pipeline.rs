//! The one intake pipeline under concurrency, on SQLite and (with
//! MINSHENG_TEST_PG_URL) PostgreSQL: many callers at once are gathered into few
//! transactions, each answered with its own receipt, numbers gapless; one caller's bad
//! registration does not fail the others gathered with it; a directory change is seen
//! by the next registration at once.

use std::sync::Arc;

use minsheng_app::App;
use minsheng_app::cases::Intake;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::{AppealForm, FieldError, Origin};
use minsheng_core::region::{Region, RegionCode};
use minsheng_store::{DataKey, Keyring, Store};
use sqlx::Connection;

const V11: &str = "370999001001";

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("code")
}

async fn county(store: &Arc<dyn Store>) {
    minsheng_store::county_with_template(
        store.as_ref(),
        &Region {
            code: code("370999000000"),
            name: "澄河县".into(),
        },
    )
    .await
    .expect("template");
    store
        .insert_regions(&[
            Region {
                code: code("370999001000"),
                name: "城关街道".into(),
            },
            Region {
                code: code(V11),
                name: "幸福社区".into(),
            },
        ])
        .await
        .expect("regions");
}

fn form(text: &str) -> AppealForm {
    AppealForm {
        channel: "hotline".into(),
        kind: "complaint".into(),
        category: "gongre".into(),
        village: V11.into(),
        text: text.into(),
        anonymous: "on".into(),
        submission_key: format!("{:032x}", rand::random::<u128>()),
        ..AppealForm::default()
    }
}

async fn pipeline(store: Arc<dyn Store>) {
    county(&store).await;
    let app = App::new(store.clone());

    // 120 callers at once: every one answered with its own receipt, numbers gapless.
    let mut tasks = Vec::new();
    for i in 0..120 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.register(&form(&format!("暖气不热，第{i}件")), Origin::Staff, None)
                .await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.expect("task").expect("registered").no);
    }
    let mut seqs: Vec<String> = numbers.iter().map(|n| n.as_str()[7..].to_owned()).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 120, "each caller its own number");
    let first: u64 = seqs[0].parse().expect("seq");
    let last: u64 = seqs[119].parse().expect("seq");
    assert_eq!(last - first, 119, "gapless");

    // Sent at once under one external id: the same content is one appeal; other
    // content under that id is refused, wherever the two landed.
    let send = |text: &'static str| {
        let app = app.clone();
        tokio::spawn(async move {
            let mut f = form(text);
            f.submission_key = minsheng_app::cases::api_form_key(7, "EXT-1");
            app.register_with(
                &f,
                Origin::Staff,
                None,
                Intake {
                    external_id: Some("EXT-1".into()),
                    ..Intake::default()
                },
            )
            .await
        })
    };
    let (a, b, c) = (send("同一件"), send("同一件"), send("另一件"));
    let (a, b, c) = (
        a.await.expect("a"),
        b.await.expect("b"),
        c.await.expect("c"),
    );
    let refused = |r: &Result<minsheng_app::cases::Registering, minsheng_app::Error>| {
        matches!(r, Err(minsheng_app::Error::Invalid(e))
            if e.get("submission_key") == Some(&FieldError::SubmissionKeyReused))
    };
    match (&a, &b, &c) {
        // The same content first: one appeal for both, the other content refused.
        (Ok(a), Ok(b), c) => {
            assert_eq!(
                a.receipt.no, b.receipt.no,
                "one appeal for one id and content"
            );
            assert!(a.repeat ^ b.repeat);
            assert!(refused(c), "{c:?}");
        }
        // The other content first: it is the appeal, the same content twice refused.
        (a, b, Ok(c)) => {
            assert!(!c.repeat);
            assert!(refused(a) && refused(b), "{a:?} {b:?}");
        }
        other => panic!("one content must win: {other:?}"),
    }

    // A registration the database refuses (its category does not exist: only a
    // caller that skipped the checks could send it) fails alone, not those gathered
    // into its transaction.
    let directory = app.directory().await.expect("directory");
    let catalog = minsheng_core::intake::Catalog {
        categories: &directory.categories,
        villages: &directory.villages,
        asks_extra_fields: false,
        unplaced_in: None,
    };
    let mut bad = form("坏的一件")
        .validate(Origin::Staff, &catalog, minsheng_store::now())
        .expect("valid form");
    bad.category = "no-such-category".into();
    let routing = minsheng_core::routing::route(
        &bad.category,
        &bad.region,
        &directory.rules,
        &directory.categories,
        &directory.units,
        &[],
    );
    let facts = minsheng_core::workflow::CaseFacts::of(&bad, &routing);
    let poison = minsheng_store::Registration {
        opening: minsheng_core::workflow::open_case(&facts, &app.policy, &app.calendar()),
        routing,
        appeal: bad,
        actor_id: None,
        tags: Vec::new(),
        external_id: None,
        api_key_id: None,
        index_terms: Vec::new(),
        signals: Vec::new(),
        dispute: None,
        effects: Vec::new(),
    };
    let mut good = Vec::new();
    for i in 0..30 {
        let app = app.clone();
        good.push(tokio::spawn(async move {
            app.register(&form(&format!("好的一件，第{i}件")), Origin::Staff, None)
                .await
        }));
    }
    let poisoned = app.store_registrations(vec![poison]).await;
    assert!(poisoned.is_err(), "{poisoned:?}");
    for g in good {
        g.await.expect("task").expect("the others are stored");
    }

    // A directory change is seen at once: a retired village takes no new appeal.
    store
        .set_region_retired(&code(V11), true, None)
        .await
        .expect("retire");
    match app.register(&form("退休的社区"), Origin::Staff, None).await {
        Err(minsheng_app::Error::Invalid(e)) => {
            assert_eq!(e.get("village"), Some(&FieldError::UnknownVillage));
        }
        other => panic!("a retired village: {other:?}"),
    }
    assert!(
        store
            .verify_audit()
            .await
            .expect("audit")
            .first_bad
            .is_none()
    );
}

/// Files a refused registration left on disk go an hour on; files an appeal names,
/// and young files (perhaps of a registration being committed), stay.
async fn stray_files(store: Arc<dyn Store>) {
    let dir = std::env::temp_dir().join(format!(
        "minsheng-strays-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    // The pipeline's story ends with the village retired: back in service.
    store
        .set_region_retired(&code(V11), false, None)
        .await
        .expect("restore");
    let blobs = minsheng_store::Blobs::new(&dir);
    let app = App::new(store.clone()).with_files(minsheng_app::attachments::FileRules {
        blobs: blobs.clone(),
        limits: minsheng_core::attachment::Limits::default(),
    });
    let photo = std::fs::read(format!(
        "{}/../minsheng-core/tests/fixtures/photo-gps.jpg",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let letter = std::fs::read(format!(
        "{}/../minsheng-core/tests/fixtures/letter.pdf",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    // A photo an appeal names.
    let intake = Intake {
        files: vec![minsheng_app::attachments::Upload {
            name: "现场.jpg".into(),
            bytes: photo.clone(),
        }],
        ..Intake::default()
    };
    app.register_with(&form("井盖丢了"), Origin::Staff, None, intake)
        .await
        .expect("registered");
    // A letter whose registration was refused (a reused form key): on disk, unnamed.
    let reused = form("第一件");
    app.register(&reused, Origin::Staff, None)
        .await
        .expect("first");
    let again = Intake {
        files: vec![minsheng_app::attachments::Upload {
            name: "信.pdf".into(),
            bytes: letter.clone(),
        }],
        ..Intake::default()
    };
    let refused = app
        .register_with(
            &AppealForm {
                text: "另一件".into(),
                ..reused
            },
            Origin::Staff,
            None,
            again,
        )
        .await;
    assert!(
        refused.is_err(),
        "a reused key with other content is refused"
    );
    let sha = |b: &[u8]| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b))
    };
    assert!(
        blobs.get(&sha(&letter)).is_ok(),
        "the refused letter is on disk"
    );
    // Young: both stay.
    assert_eq!(
        app.remove_stray_files(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .await
            .expect("sweep"),
        0
    );
    // An hour on: the stray goes, the named photo stays.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
    assert_eq!(app.remove_stray_files(later).await.expect("sweep"), 1);
    assert!(blobs.get(&sha(&letter)).is_err());
    assert_eq!(blobs.get(&sha(&photo)).expect("kept"), photo);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reading the text: what every channel registers is searchable at once; routing
/// suggestions come from the keywords before there is history, never name an excluded
/// unit, and a model trains on an empty history without failing.
async fn reading(store: Arc<dyn Store>) {
    let app = App::new(store.clone());
    let q = app.search_query("暖气 不热").await.expect("query");
    let filter = minsheng_store::InboxFilter {
        text: Some(q),
        ..Default::default()
    };
    let everywhere = minsheng_store::ListScope::Visible(minsheng_core::staff::Scope {
        regions: vec![code("370999000000")],
        units: vec![],
        above: Vec::new(),
    });
    let found = store
        .list_appeals(&everywhere, &filter, 1, 10)
        .await
        .expect("search");
    assert_eq!(found.total, 120, "the 120 registered at once");
    let excerpt = found.items[0].excerpt.clone().expect("an excerpt to mark");
    assert!(excerpt.contains("暖气不热"));

    let units = store.units().await.expect("units");
    let zjj = units.iter().find(|u| u.key == "zjj").expect("zjj").id;
    let s = app
        .suggest_routing(
            "",
            "屋里冻得跟冰窖似的，暖器片冰凉，孩子都冻感冒了",
            Some(&code(V11)),
            &[],
            &[],
        )
        .await
        .expect("suggest");
    assert_eq!(s.categories[0].value, "gongre", "{s:?}");
    assert_eq!(s.units[0].value, zjj, "{s:?}");
    assert!(s.categories.len() <= 3 && s.units.len() <= 3);
    let total: f64 = s.categories.iter().map(|c| c.confidence).sum();
    assert!(total > 0.0 && total <= 1.0 + 1e-9);
    let without = app
        .suggest_routing(
            "",
            "屋里冻得跟冰窖似的，暖器片冰凉",
            Some(&code(V11)),
            &[zjj],
            &[],
        )
        .await
        .expect("suggest");
    assert!(
        without.units.iter().all(|u| u.value != zjj),
        "an accused unit is never suggested"
    );
    let returned = app
        .suggest_routing(
            "",
            "屋里冻得跟冰窖似的，暖器片冰凉",
            Some(&code(V11)),
            &[],
            &[zjj],
        )
        .await
        .expect("suggest");
    assert!(
        returned.units.iter().all(|u| u.value != zjj),
        "a unit that returned the appeal is not suggested again"
    );

    assert!(
        !app.routing_model_is_stale().await.expect("stale?"),
        "nothing settled yet"
    );
    let report = app.train_routing().await.expect("train");
    assert_eq!(report.examples, 0);
    let again = app
        .suggest_routing(
            "",
            "屋里冻得跟冰窖似的，暖器片冰凉",
            Some(&code(V11)),
            &[],
            &[],
        )
        .await
        .expect("suggest");
    assert_eq!(again.categories[0].value, "gongre");

    // The 120 alike appeals registered at once are one cluster, with their evidence,
    // and it raised a cluster alert; a rebuild finds the same.
    let first = found.items[0].id;
    let me = minsheng_app::sessions::SignedIn {
        staff: minsheng_core::staff::Staff {
            id: 0,
            username: "reader".into(),
            display_name: "reader".into(),
            unit_id: zjj,
            roles: vec![],
            must_change_password: false,
        },
        unit: units.iter().find(|u| u.id == zjj).expect("zjj").clone(),
        scope: minsheng_core::staff::Scope {
            regions: vec![code("370999000000")],
            units: vec![],
            above: Vec::new(),
        },
    };
    let cluster = app
        .cluster_of(&me, first)
        .await
        .expect("cluster")
        .expect("clustered");
    assert!(cluster.size >= 120, "{}", cluster.size);
    assert!(
        cluster
            .members
            .iter()
            .filter(|m| m.evidence.is_some())
            .count()
            >= 119
    );
    let why = cluster
        .members
        .iter()
        .find_map(|m| m.evidence.as_deref())
        .and_then(|e| minsheng_app::cluster::explain(e, minsheng_core::Lang::Zh))
        .expect("explained");
    assert!(why.contains("同一村"), "{why}");
    let cluster_alerts = store
        .alerts(
            &me.scope,
            &minsheng_store::AlertFilter {
                rule: Some(minsheng_core::alerts::AlertRule::Cluster),
                appeal_id: Some(first),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .expect("alerts");
    assert_eq!(
        cluster_alerts.total, 1,
        "one alert for the cluster, grown, not repeated"
    );
    // 120 heating appeals today in one township, none before: a surge, alerted once
    // however often the sweep looks, naming the day's appeals.
    let now = minsheng_store::now();
    let counts = store
        .daily_counts(
            now - chrono::Duration::days(2),
            now + chrono::Duration::hours(1),
        )
        .await
        .expect("counts");
    let heating = counts
        .iter()
        .find(|c| c.category == "gongre")
        .expect("heating counted");
    assert_eq!(heating.township.as_str(), "370999001000");
    assert_eq!(heating.day, minsheng_core::clock::local_day(now));
    assert!(heating.count >= 120, "{heating:?}");
    assert_eq!(app.surge_alerts(now).await.expect("surge"), 1);
    assert_eq!(app.surge_alerts(now).await.expect("again"), 1);
    let surge_filter = minsheng_store::AlertFilter {
        rule: Some(minsheng_core::alerts::AlertRule::Surge),
        ..Default::default()
    };
    let surges = store
        .alerts(&me.scope, &surge_filter, 1, 10)
        .await
        .expect("alerts");
    assert_eq!(surges.total, 1, "one alert for the pair and day");
    assert!(surges.items[0].members >= 120);
    assert!(
        surges.items[0]
            .signal
            .explain(minsheng_core::Lang::Zh)
            .contains("城关街道"),
        "{:?}",
        surges.items[0].signal
    );
    // Resolved, a day that keeps surging raises a new alert; the old one stays as it was.
    store
        .change_alert(
            surges.items[0].id,
            &minsheng_store::AlertChange::Resolve {
                outcome: "已协调热力公司".into(),
            },
            1,
        )
        .await
        .expect("resolve");
    assert_eq!(app.surge_alerts(now).await.expect("after"), 1);
    let all = store
        .alerts(&me.scope, &surge_filter, 1, 10)
        .await
        .expect("alerts");
    assert_eq!(all.total, 2, "a new one beside the resolved one");

    let rebuilt = app.recluster(|_| {}).await.expect("recluster");
    assert!(rebuilt.clustered >= 120);
    let again = app
        .cluster_of(&me, first)
        .await
        .expect("cluster")
        .expect("clustered");
    assert!(again.size >= 120);

    let labelled: Vec<minsheng_app::evaluate::Labelled> = [
        r#"{"id":"a","text":"再不发工资我就从楼上跳下去","category":"laodong","urgent":true}"#,
        r#"{"id":"b","text":"我不会跳楼的，就想要回工钱","category":"laodong","urgent":false}"#,
        r#"{"id":"c","text":"法院判决两年了还没执行","category":"shefa","litigation":true}"#,
    ]
    .iter()
    .map(|l| serde_json::from_str(l).expect("labelled"))
    .collect();
    let e = app.evaluate(&labelled).await.expect("evaluate");
    assert_eq!(
        (e.urgent.hits, e.urgent.false_alarms, e.urgent.quiet),
        (1, 0, 1)
    );
    assert_eq!(e.litigation.hits, 1);
    assert_eq!(e.routing.n, 3);
}

/// Anti-retaliation end to end: an accusation against the housing bureau, whose
/// category it is, is not routed there, is invisible to it (page, list, search), cannot
/// be dispatched to it, and the bureau is never suggested for it.
async fn retaliation(store: Arc<dyn Store>) {
    let app = App::new(store.clone());
    let units = store.units().await.expect("units");
    let zjj = units.iter().find(|u| u.key == "zjj").expect("zjj").id;
    let centre = units
        .iter()
        .find(|u| u.kind == minsheng_core::unit::UnitKind::CountyMassWork)
        .expect("dispatch centre")
        .id;
    let mut accusation = form("实名举报住建局王科长收受供热公司好处费，小区暖气一直不热也没人管");
    accusation.kind = "report".into();
    let receipt = app
        .register(&accusation, Origin::Staff, None)
        .await
        .expect("registered");
    let scope = |unit: i64| minsheng_core::staff::Scope {
        regions: vec![code("370999000000")],
        units: vec![unit],
        above: Vec::new(),
    };
    let seen = store
        .appeal(&receipt.no, &scope(centre))
        .await
        .expect("the dispatch centre sees it");
    assert_eq!(seen.facts.accused, vec![zjj]);
    assert_eq!(
        seen.summary.handler_unit_id, None,
        "not routed to the accused"
    );
    assert_eq!(
        seen.routing_reason.as_ref().map(|r| r.code()),
        Some("recused")
    );
    // The bureau, even county-wide, does not see it anywhere.
    assert!(matches!(
        store.appeal(&receipt.no, &scope(zjj)).await,
        Err(minsheng_store::StoreError::NotFound)
    ));
    let q = app.search_query("好处费").await.expect("query");
    let filter = minsheng_store::InboxFilter {
        text: Some(q),
        ..Default::default()
    };
    let listed = |unit| {
        let (store, filter) = (store.clone(), filter.clone());
        async move {
            store
                .list_appeals(
                    &minsheng_store::ListScope::Visible(scope(unit)),
                    &filter,
                    1,
                    10,
                )
                .await
                .expect("list")
                .total
        }
    };
    assert_eq!(listed(centre).await, 1);
    assert_eq!(listed(zjj).await, 0, "not in the accused unit's search");
    // A dispatcher cannot send it there.
    let centre_key = units
        .iter()
        .find(|u| u.id == centre)
        .expect("centre")
        .key
        .clone();
    let dispatcher_id = store
        .create_staff(
            &minsheng_store::NewStaff {
                username: "dispatcher.recusal".into(),
                display_name: "派单员".into(),
                unit_key: centre_key,
                roles: vec![minsheng_core::staff::Role::Dispatcher],
                password_hash: "x".into(),
                must_change_password: false,
            },
            None,
        )
        .await
        .expect("staff");
    let dispatcher = minsheng_core::workflow::Actor {
        id: dispatcher_id,
        unit_id: centre,
        roles: vec![minsheng_core::staff::Role::Dispatcher],
        scope: scope(centre),
    };
    let refused = app
        .act(
            &dispatcher,
            &receipt.no,
            seen.version,
            minsheng_core::workflow::Command::Dispatch {
                lead: zjj,
                co: Vec::new(),
                urgency: minsheng_core::workflow::Urgency::Normal,
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(minsheng_app::Error::Refused(minsheng_core::workflow::WorkflowError::Recused(u))) if u == zjj
        ),
        "{refused:?}"
    );
    let suggested = app.suggest_for(&seen).await.expect("suggest");
    assert!(
        suggested.units.iter().all(|u| u.value != zjj),
        "{suggested:?}"
    );

    // Merged into another case, the accusation goes with it: the case kept cannot be
    // sent to the accused either, nor seen by it.
    let mut water = form("自来水停了两天了");
    water.category = "gongshui".into();
    let kept = app
        .register(&water, Origin::Staff, None)
        .await
        .expect("registered");
    let into = app
        .merge_target(&receipt.no, &kept.no, &scope(centre))
        .await
        .expect("a target");
    let seen = store
        .appeal(&receipt.no, &scope(centre))
        .await
        .expect("seen");
    app.act(
        &dispatcher,
        &receipt.no,
        seen.version,
        minsheng_core::workflow::Command::Merge { into },
    )
    .await
    .expect("merged");
    let target = store.appeal(&kept.no, &scope(centre)).await.expect("kept");
    assert_eq!(target.facts.accused, vec![zjj]);
    assert!(store.appeal(&kept.no, &scope(zjj)).await.is_err());
    let refused = app
        .act(
            &dispatcher,
            &kept.no,
            target.version,
            minsheng_core::workflow::Command::Dispatch {
                lead: zjj,
                co: Vec::new(),
                urgency: minsheng_core::workflow::Urgency::Normal,
            },
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

/// One step of a random workload.
#[derive(Debug, Clone)]
enum Op {
    /// A new appeal: kind (0 complaint, 1 petition, 2 help) and category.
    Register(u8, u8),
    /// A command (by number) on an earlier appeal (by number), with a visit's answers.
    Act(usize, u8, u8, u8),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        1 => (0u8..3, 0u8..4).prop_map(|(k, c)| Op::Register(k, c)),
        4 => (0usize..1000, 0u8..18, 0u8..3, 0u8..3).prop_map(|(a, c, r, s)| Op::Act(a, c, r, s)),
    ]
}

/// The figures kept with every step equal a recomputation from the events after a
/// random workload of appeals and steps (each generated case adds to the last), and
/// the dashboard's count of appeals received is the number registered.
async fn figures(store: Arc<dyn Store>) {
    use minsheng_core::staff::{Role, Scope};
    use minsheng_core::workflow::{Actor, Command, Rating, ReturnReason, Solved, Urgency};
    use proptest::test_runner::{Config, TestRunner};

    let app = App::new(store.clone());
    let dir = app.directory().await.expect("directory");
    let units: Vec<i64> = dir.units.iter().map(|u| u.id).collect();
    let zjj = dir.units.iter().find(|u| u.key == "zjj").expect("zjj").id;
    let admin = store
        .create_staff(
            &minsheng_store::NewStaff {
                username: "figures.admin".into(),
                display_name: "统计员".into(),
                unit_key: "zjj".into(),
                roles: vec![Role::Admin, Role::Leader],
                password_hash: "unused".into(),
                must_change_password: false,
            },
            None,
        )
        .await
        .expect("staff");
    let scope = Scope {
        regions: vec![code("370999000000")],
        units: Vec::new(),
        above: Vec::new(),
    };
    let actor = Actor {
        id: admin,
        unit_id: zjj,
        roles: vec![Role::Admin, Role::Leader],
        scope: scope.clone(),
    };
    let before = app.rebuild_figures(false).await.expect("check").cases;
    let registered = std::sync::Mutex::new(Vec::new());
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 6,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                for op in ops {
                    match op {
                        Op::Register(kind, category) => {
                            let mut f = form("楼道灯不亮，晚上看不见路");
                            f.kind = ["complaint", "petition", "help"][usize::from(kind)].into();
                            f.category = ["gongre", "chengxiang", "gongshui", "tudi"]
                                [usize::from(category)]
                            .into();
                            let r = app
                                .register(&f, Origin::Staff, Some(admin))
                                .await
                                .expect("registered");
                            registered.lock().expect("lock").push(r.no);
                        }
                        Op::Act(which, command, rating, solved) => {
                            let no = {
                                let all = registered.lock().expect("lock");
                                if all.is_empty() {
                                    continue;
                                }
                                all[which % all.len()].clone()
                            };
                            let appeal = store.appeal(&no, &scope).await.expect("appeal");
                            let unit = units[which % units.len()];
                            let text = || "已现场处理".to_owned();
                            let command = match command {
                                0 => Command::Accept,
                                1 => Command::Dispatch {
                                    lead: unit,
                                    co: Vec::new(),
                                    urgency: Urgency::Normal,
                                },
                                2 => Command::SignFor,
                                3 => Command::Return {
                                    reason: ReturnReason::WrongPlace,
                                    note: text(),
                                },
                                4 => Command::Rule,
                                5 | 6 => Command::Reply {
                                    text: text(),
                                    call_back: None,
                                },
                                7 | 8 => Command::ReturnVisit {
                                    rating: Rating::ALL[usize::from(rating)],
                                    solved: Some(Solved::ALL[usize::from(solved)]),
                                    note: text(),
                                    by_appellant: false,
                                },
                                9 => Command::RequestReview,
                                10 => Command::IssueReview { text: text() },
                                11 => Command::Close,
                                12 => Command::Reopen { reason: text() },
                                13 => Command::Decline { reason: text() },
                                14 => Command::Supervise {
                                    note: text(),
                                    days: 2,
                                },
                                15 => Command::Contest {
                                    reason: "诉求超出政策规定".into(),
                                },
                                16 => Command::RuleContest {
                                    upheld: rating != 1,
                                    note: text(),
                                },
                                _ => Command::AssignLeader { leader: admin },
                            };
                            // Refused steps record nothing; that is part of the workload.
                            let _ = app.act(&actor, &no, appeal.version, command).await;
                        }
                    }
                }
                let check = app.rebuild_figures(false).await.expect("check");
                assert_eq!(check.differing, 0, "kept sums differ from the events");
            });
        });
        Ok(())
    });
    outcome.expect("the kept figures always equal the recomputed ones");
    let count = registered.lock().expect("lock").len() as u64;
    let check = app.rebuild_figures(true).await.expect("rebuild");
    assert_eq!((check.cases, check.differing), (before + count, 0));
    // The dashboard reads the same sums: every appeal registered here was received
    // this month.
    let (staff, _) = store
        .staff_by_username("figures.admin")
        .await
        .expect("read")
        .expect("staff");
    let unit = dir
        .units
        .iter()
        .find(|u| u.id == zjj)
        .expect("unit")
        .clone();
    let signed_in = minsheng_app::sessions::SignedIn { staff, unit, scope };
    let today = app.today();
    let period = minsheng_app::figures::Period::months(today, today).expect("period");
    let board = app
        .dashboard(&signed_in, period, None, minsheng_core::Lang::Zh)
        .await
        .expect("dashboard");
    let received = board.totals.get(minsheng_core::kpi::Measure::Received);
    assert!(received >= count as i64, "{received} < {count}");
    // The public figures, seen from next month: this month's appeals counted, no
    // small count shown.
    let next = today
        .checked_add_months(chrono::Months::new(1))
        .expect("next month");
    let public = app
        .public_figures(next, minsheng_core::Lang::Zh)
        .await
        .expect("public");
    let month: i64 = public.months.iter().filter_map(|m| m.1).sum();
    assert!(month >= count as i64, "{month} < {count}");
    for row in &public.cells {
        for cell in row.iter().flatten() {
            assert!(*cell == 0 || *cell >= minsheng_core::kpi::MIN_PUBLISHED);
        }
    }
}

/// The people's verdict on both engines: the appellant's own verdict through the
/// tracking code, once per answer; a unit's contest and the supervisor's ruling, with
/// the figures still equal to a recomputation; the two signs that need other cases
/// (a copied reply, the same person back within 30 days); and an answer not called
/// back closed by the sweep when the appellant's window passes.
async fn verdicts(store: Arc<dyn Store>) {
    use minsheng_app::Error;
    use minsheng_core::staff::{Role, Scope};
    use minsheng_core::workflow::{Actor, Command, Policy, Rating, Solved, State, WorkflowError};

    let app = App::new(store.clone());
    let dir = app.directory().await.expect("directory");
    let zjj = dir.units.iter().find(|u| u.key == "zjj").expect("zjj").id;
    let admin = store
        .create_staff(
            &minsheng_store::NewStaff {
                username: "verdict.admin".into(),
                display_name: "督查员".into(),
                unit_key: "zjj".into(),
                roles: vec![Role::Admin],
                password_hash: "unused".into(),
                must_change_password: false,
            },
            None,
        )
        .await
        .expect("staff");
    let scope = Scope {
        regions: vec![code("370999000000")],
        units: Vec::new(),
        above: Vec::new(),
    };
    let actor = Actor {
        id: admin,
        unit_id: zjj,
        roles: vec![Role::Admin],
        scope: scope.clone(),
    };
    let with_phone = |text: &str, phone: &str| AppealForm {
        anonymous: String::new(),
        name: "王秀英".into(),
        phone: phone.into(),
        ..form(text)
    };
    let act = |no: minsheng_core::AppealNo, command: Command| {
        let (app, store, actor, scope) = (app.clone(), store.clone(), actor.clone(), scope.clone());
        async move {
            let version = store.appeal(&no, &scope).await.expect("appeal").version;
            app.act(&actor, &no, version, command).await
        }
    };
    let tags = |no: minsheng_core::AppealNo| {
        let (store, scope) = (store.clone(), scope.clone());
        async move { store.appeal(&no, &scope).await.expect("appeal").tags }
    };
    let reply = |text: &str| Command::Reply {
        text: text.into(),
        call_back: Some(false),
    };

    // A complaint: dispatched at registration, signed for, answered (and, being a
    // complaint, drawn for a call-back whatever the reply said).
    let first = app
        .register(
            &with_phone("小区暖气一直不热，室温只有十二度", "13812345678"),
            Origin::Staff,
            None,
        )
        .await
        .expect("registered");
    act(first.no.clone(), Command::SignFor).await.expect("sign");
    act(
        first.no.clone(),
        reply("经核实，已于11月3日更换单元供暖阀门2个，室温恢复到20度。"),
    )
    .await
    .expect("reply");
    let detail = store.appeal(&first.no, &scope).await.expect("appeal");
    assert!(detail.history.iter().any(|h| matches!(
        h.command,
        Command::Reply {
            call_back: Some(true),
            ..
        }
    )));

    // The appellant answers through the tracking code: once.
    let tracked = app.track(&first.tracking_code).await.expect("track");
    assert!(tracked.verdict_until.is_some());
    app.give_verdict(
        &first.tracking_code,
        Rating::Unsatisfied,
        Solved::Unsolved,
        "还是不热",
    )
    .await
    .expect("verdict");
    let again = app
        .give_verdict(&first.tracking_code, Rating::Satisfied, Solved::Solved, "")
        .await;
    assert!(
        matches!(
            again,
            Err(Error::Refused(WorkflowError::WrongState(State::Handling)))
        ),
        "{again:?}"
    );
    assert!(
        app.track(&first.tracking_code)
            .await
            .expect("track")
            .verdict_until
            .is_none()
    );
    let detail = store.appeal(&first.no, &scope).await.expect("appeal");
    let visit = detail.history.last().expect("visit");
    assert_eq!(visit.actor, None);
    assert!(matches!(
        visit.command,
        Command::ReturnVisit {
            by_appellant: true,
            ..
        }
    ));

    // The unit contests; the supervisor upholds; the figures still agree.
    act(
        first.no.clone(),
        Command::Contest {
            reason: "室温已达标，群众要求超出标准".into(),
        },
    )
    .await
    .expect("contest");
    assert!(
        tags(first.no.clone())
            .await
            .contains(&"contest:pending".to_owned())
    );
    act(
        first.no.clone(),
        Command::RuleContest {
            upheld: true,
            note: "经现场测温，室温达标".into(),
        },
    )
    .await
    .expect("ruling");
    let now = tags(first.no.clone()).await;
    assert!(
        now.contains(&"contest:upheld".to_owned()) && !now.contains(&"contest:pending".to_owned()),
        "{now:?}"
    );
    assert_eq!(
        app.rebuild_figures(false).await.expect("check").differing,
        0
    );

    // Another case answered with the same words (other dates and numbers): copied.
    let second = app
        .register(
            &with_phone("楼里暖气片冰凉，老人孩子受冻", "13900001111"),
            Origin::Staff,
            None,
        )
        .await
        .expect("registered");
    act(second.no.clone(), Command::SignFor)
        .await
        .expect("sign");
    act(
        second.no.clone(),
        reply("经核实，已于12月1日更换单元供暖阀门5个，室温恢复到18度。"),
    )
    .await
    .expect("reply");
    assert!(
        tags(second.no.clone())
            .await
            .contains(&"sign:copied-reply".to_owned())
    );
    assert!(
        !tags(first.no.clone())
            .await
            .contains(&"sign:copied-reply".to_owned())
    );

    // The first case is answered again and closed on a call; the same person comes
    // back on the same matter: the closed case shows it.
    act(
        first.no.clone(),
        reply("经再次核实，已联系热力公司对管网进行排气处理，复测室温21度。"),
    )
    .await
    .expect("reply");
    act(
        first.no.clone(),
        Command::ReturnVisit {
            rating: Rating::Satisfied,
            solved: Some(Solved::Solved),
            note: "满意".into(),
            by_appellant: false,
        },
    )
    .await
    .expect("visit");
    assert!(
        !tags(first.no.clone())
            .await
            .contains(&"sign:came-back".to_owned())
    );
    let mut back = with_phone("暖气又不热了，跟上次一样", "13812345678");
    back.submission_key = format!("{:032x}", rand::random::<u128>());
    app.register(&back, Origin::Staff, None)
        .await
        .expect("registered");
    assert!(
        tags(first.no.clone())
            .await
            .contains(&"sign:came-back".to_owned())
    );
    // Another person, or another matter, is not a sign.
    assert!(
        !tags(second.no.clone())
            .await
            .contains(&"sign:came-back".to_owned())
    );

    // A help request answered and not drawn: the sweep closes it once the appellant's
    // seven days pass without a verdict, as a step with its figures.
    let mut app = app.clone();
    app.policy = Arc::new(Policy {
        call_back_share: 0,
        ..Policy::default()
    });
    let mut help = with_phone("想咨询一下冬季供暖费补贴怎么申请", "13700002222");
    help.kind = "help".into();
    let third = app
        .register(&help, Origin::Staff, None)
        .await
        .expect("registered");
    for command in [
        Command::SignFor,
        reply("供暖补贴可携带身份证到社区服务中心申请，当场受理，五个工作日内发放。"),
    ] {
        let version = store
            .appeal(&third.no, &scope)
            .await
            .expect("appeal")
            .version;
        app.act(&actor, &third.no, version, command)
            .await
            .expect("step");
    }
    let report = app.sweep(minsheng_store::now()).await.expect("sweep");
    assert_eq!(report.steps, 0);
    let later = minsheng_store::now() + chrono::Duration::days(9);
    let report = app.sweep(later).await.expect("sweep");
    assert!(report.steps >= 1, "{report:?}");
    let detail = store.appeal(&third.no, &scope).await.expect("appeal");
    assert_eq!(detail.summary.status, State::Closed);
    assert_eq!(
        detail.history.last().map(|h| (h.actor, h.command.clone())),
        Some((None, Command::Close))
    );
    assert_eq!(
        app.rebuild_figures(false).await.expect("check").differing,
        0
    );
}

/// Going to the people, on both engines: a visitor registered at a leader's reception
/// day is that leader's case from the start; a screened dispute registered as an
/// appeal leaves the register in the same transaction; a reply published with consent
/// shows no name or phone; consultations take opinions only while open; the county's
/// weights are what the ranking uses; and the registers keep to their roles and areas.
async fn outreach(store: Arc<dyn Store>) {
    use minsheng_app::Error;
    use minsheng_app::sessions::SignedIn;
    use minsheng_core::outreach::{
        ConsultationForm, ContactForm, DisputeForm, ReceptionForm, VisitForm,
    };
    use minsheng_core::staff::{Role, Scope};
    use minsheng_core::workflow::{Command, Rating, Solved};

    let app = App::new(store.clone());
    let dir = app.directory().await.expect("directory");
    let unit = |key: &str| {
        dir.units
            .iter()
            .find(|u| u.key == key)
            .expect("unit")
            .clone()
    };
    let county = Scope {
        regions: vec![code("370999000000")],
        units: Vec::new(),
        above: Vec::new(),
    };
    let person = |name: &str, roles: Vec<Role>, scope: Scope| {
        let store = store.clone();
        let zjj = unit("zjj");
        let name = name.to_owned();
        async move {
            let id = store
                .create_staff(
                    &minsheng_store::NewStaff {
                        username: name.clone(),
                        display_name: format!("{name}同志"),
                        unit_key: "zjj".into(),
                        roles,
                        password_hash: "unused".into(),
                        must_change_password: false,
                    },
                    None,
                )
                .await
                .expect("staff");
            let (staff, _) = store
                .staff_by_username(&name)
                .await
                .expect("read")
                .expect("staff");
            assert_eq!(staff.id, id);
            SignedIn {
                staff,
                unit: zjj,
                scope,
            }
        }
    };
    let leader = person("out.leader", vec![Role::Leader], county.clone()).await;
    let desk = person(
        "out.desk",
        vec![Role::Dispatcher, Role::CallTaker],
        county.clone(),
    )
    .await;
    let bureau = person(
        "out.bureau",
        vec![Role::Handler],
        Scope {
            regions: Vec::new(),
            units: vec![unit("zjj").id],
            above: Vec::new(),
        },
    )
    .await;

    // A reception day today; a visitor registered at it is the leader's case.
    let today = app.today().to_string();
    let reception = ReceptionForm {
        leader: leader.staff.id.to_string(),
        day: today.clone(),
        from: "00:00".into(),
        to: "23:59".into(),
        place: "县信访局接待大厅".into(),
        topic: String::new(),
    };
    assert!(matches!(
        app.schedule_reception(&bureau, &reception).await,
        Err(Error::Forbidden)
    ));
    let not_a_leader = ReceptionForm {
        leader: desk.staff.id.to_string(),
        ..reception.clone()
    };
    assert!(matches!(
        app.schedule_reception(&desk, &not_a_leader).await,
        Err(Error::Invalid(_))
    ));
    let day = app
        .schedule_reception(&desk, &reception)
        .await
        .expect("scheduled");
    let mut visitor = form("征地补偿款至今未到位，请领导过问");
    visitor.channel = "visit".into();
    let receipt = app
        .register_with(
            &visitor,
            Origin::Staff,
            Some(desk.staff.id),
            Intake {
                reception: Some(day),
                ..Intake::default()
            },
        )
        .await
        .expect("registered")
        .receipt;
    let case = store.appeal(&receipt.no, &county).await.expect("appeal");
    assert!(case.summary.hard, "a leader's case is a hard case");
    assert!(case.history.iter().any(|h| h.command
        == Command::AssignLeader {
            leader: leader.staff.id
        }
        && h.actor.is_none()));
    assert!(case.tags.contains(&format!("reception:{day}")));
    assert_eq!(
        app.upcoming_receptions(10)
            .await
            .expect("upcoming")
            .iter()
            .find(|r| r.id == day)
            .map(|r| r.visitors),
        Some(1)
    );
    // Not at a reception that is not under way.
    let later = ReceptionForm {
        day: "2099-01-05".into(),
        ..reception
    };
    let not_yet = app
        .schedule_reception(&leader, &later)
        .await
        .expect("scheduled");
    let mut v2 = form("想反映村里的事");
    v2.channel = "visit".into();
    let refused = app
        .register_with(
            &v2,
            Origin::Staff,
            Some(desk.staff.id),
            Intake {
                reception: Some(not_yet),
                ..Intake::default()
            },
        )
        .await;
    assert!(
        matches!(refused, Err(Error::Invalid(ref e)) if e.0[0].0 == "reception"),
        "{refused:?}"
    );

    // Contacts: the desk assigns; the bureau's handler may not; the uncovered list shrinks.
    let uncovered = app
        .contacts_view(&desk)
        .await
        .expect("view")
        .uncovered
        .len();
    let contact = ContactForm {
        kind: "community".into(),
        region: V11.into(),
        name: String::new(),
        staff: leader.staff.id.to_string(),
    };
    assert!(matches!(
        app.add_contact(&bureau, &contact).await,
        Err(Error::Forbidden)
    ));
    app.add_contact(&desk, &contact).await.expect("assigned");
    assert!(
        matches!(
            app.add_contact(&desk, &contact).await,
            Err(Error::Invalid(_))
        ),
        "the same cadre for the same place once"
    );
    assert_eq!(
        app.contacts_view(&desk)
            .await
            .expect("view")
            .uncovered
            .len(),
        uncovered - 1
    );
    assert_eq!(
        app.contacts_at(&code(V11)).await.expect("at")[0].staff_name,
        "out.leader同志"
    );

    // A field visit that settled the reception's case counts on the dashboard.
    let visit = VisitForm {
        region: V11.into(),
        day: today.clone(),
        purpose: "走访征地补偿问题".into(),
        people: "村两委、3户村民".into(),
        resolved: receipt.no.to_string(),
        done: "on".into(),
        ..VisitForm::default()
    };
    app.save_visit(&leader, None, &visit).await.expect("visit");
    let period = minsheng_app::figures::Period::months(app.today(), app.today()).expect("period");
    let board = app
        .dashboard(&leader, period, None, minsheng_core::Lang::Zh)
        .await
        .expect("dashboard");
    assert!(board.settled_on_visits >= 1);
    // The bureau's handler sees only their own visits, and no risk register.
    assert!(
        app.visits(&bureau, 1)
            .await
            .expect("visits")
            .items
            .is_empty()
    );
    assert!(matches!(
        app.disputes(&bureau, Default::default(), 1).await,
        Err(Error::Forbidden)
    ));

    // A screened dispute registered as an appeal leaves the register.
    let dispute = app
        .report_dispute(
            &desk,
            &DisputeForm {
                region: V11.into(),
                kind: "wages".into(),
                risk: "high".into(),
                parties: "赵老板、工人十余名".into(),
                summary: "工程款拖欠，工人扬言堵路讨薪".into(),
                ..DisputeForm::default()
            },
        )
        .await
        .expect("reported");
    assert!(
        app.disputes(&desk, Default::default(), 1)
            .await
            .expect("register")
            .items
            .iter()
            .any(|d| d.id == dispute)
    );
    app.dispute_to_register(&desk, dispute)
        .await
        .expect("registrable");
    // Registered by two people at once: one appeal, the other refused.
    let register = || {
        let mut f = form("工程款拖欠，工人扬言堵路讨薪");
        f.kind = "dispute".into();
        let (app, by) = (app.clone(), desk.staff.id);
        async move {
            app.register_with(
                &f,
                Origin::Staff,
                Some(by),
                Intake {
                    dispute: Some(dispute),
                    ..Intake::default()
                },
            )
            .await
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(register()), tokio::spawn(register()));
    let outcomes = [a.expect("task"), b.expect("task")];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(
        |o| matches!(o, Err(Error::Invalid(e)) if e.0[0] == ("dispute", minsheng_core::intake::FieldError::AlreadyDone))
    ));
    assert!(
        app.disputes(&desk, Default::default(), 1)
            .await
            .expect("register")
            .items
            .iter()
            .all(|d| d.id != dispute)
    );
    assert!(matches!(
        app.dispute_to_register(&desk, dispute).await,
        Err(Error::Invalid(_))
    ));

    // A consented reply is published without the appellant's name or phone.
    let mut consent = form("小区门口路灯坏了半个月");
    consent.anonymous = String::new();
    consent.name = "钱多多".into();
    consent.phone = "13812340000".into();
    consent.publish = "on".into();
    let published = app
        .register(&consent, Origin::Staff, Some(desk.staff.id))
        .await
        .expect("registered");
    let admin = person("out.admin", vec![Role::Admin], county.clone()).await;
    let actor = admin.actor();
    for command in [
        Command::SignFor,
        Command::Reply {
            text: "钱多多您好，路灯已于昨日修复，如再损坏请拨打13812340000以外的报修电话".into(),
            call_back: None,
        },
        Command::ReturnVisit {
            rating: Rating::Satisfied,
            solved: Some(Solved::Solved),
            note: String::new(),
            by_appellant: false,
        },
    ] {
        let version = store
            .appeal(&published.no, &county)
            .await
            .expect("appeal")
            .version;
        app.act(&actor, &published.no, version, command)
            .await
            .expect("step");
    }
    let replies = app
        .published_replies(1, minsheng_core::Lang::Zh)
        .await
        .expect("published");
    assert_eq!(replies.total, 1, "only the consented and closed");
    let r = &replies.items[0];
    assert!(
        !r.reply.contains("钱多多") && !r.reply.contains("13812340000"),
        "{}",
        r.reply
    );
    assert!(r.reply.contains("钱**") && r.reply.contains("路灯已于昨日修复"));

    // A consultation takes opinions while open, then answers them.
    let open = ConsultationForm {
        title: "老旧小区加装电梯方案".into(),
        proposal: "拟对城关街道12个老旧小区加装电梯，政府补贴40%".into(),
        opens: today.clone(),
        closes: today.clone(),
    };
    let c = app.open_consultation(&leader, &open).await.expect("opened");
    app.give_opinion(c, "建议一楼住户少摊或不摊")
        .await
        .expect("opinion");
    assert!(matches!(
        app.give_opinion(c, "好").await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        app.opinions(&bureau, c).await,
        Err(Error::Forbidden)
    ));
    assert_eq!(app.opinions(&leader, c).await.expect("opinions").len(), 1);
    app.respond(&leader, c, "采纳：一楼住户不分摊费用")
        .await
        .expect("respond");
    assert!(matches!(
        app.give_opinion(c, "还有一个建议").await,
        Err(Error::Invalid(_))
    ));
    let past = ConsultationForm {
        opens: "2020-01-01".into(),
        closes: "2020-01-31".into(),
        ..open
    };
    let old = app.open_consultation(&leader, &past).await.expect("opened");
    assert!(matches!(
        app.give_opinion(old, "迟到的意见").await,
        Err(Error::Invalid(_))
    ));

    // The county's weights: administrators only; the ranking reads them.
    let fields = vec![("satisfaction".to_owned(), "100".to_owned())];
    assert!(matches!(
        app.set_ranking_weights(&leader, &fields).await,
        Err(Error::Forbidden)
    ));
    app.set_ranking_weights(&admin, &fields).await.expect("set");
    assert_eq!(
        app.ranking_weights().await.expect("weights").0,
        vec![(minsheng_core::kpi::Kpi::Satisfaction, 100)]
    );
}

fn keys() -> Keyring {
    Keyring::new(DataKey::from_hex(&"5d".repeat(32)).expect("key"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("minsheng-pipeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("p.db").display());
    let store = minsheng_store::open(&url, keys()).await.expect("open");
    pipeline(store.clone()).await;
    stray_files(store.clone()).await;
    reading(store.clone()).await;
    retaliation(store.clone()).await;
    verdicts(store.clone()).await;
    outreach(store.clone()).await;
    messages(store.clone()).await;
    figures(store).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_on_postgres() {
    let Ok(base) = std::env::var("MINSHENG_TEST_PG_URL") else {
        eprintln!("MINSHENG_TEST_PG_URL is not set: the PostgreSQL pipeline did not run");
        assert!(
            std::env::var("CI").is_err(),
            "CI must set MINSHENG_TEST_PG_URL"
        );
        return;
    };
    let schema = format!(
        "pipeline_{}_{:x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = minsheng_store::open(&url, keys()).await.expect("open");
    pipeline(store.clone()).await;
    stray_files(store.clone()).await;
    reading(store.clone()).await;
    retaliation(store.clone()).await;
    verdicts(store.clone()).await;
    outreach(store.clone()).await;
    messages(store.clone()).await;
    figures(store).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop");
}

/// Messages: a registration's receipt SMS and notice of new work land with it and
/// are delivered once; a message claimed by a worker that died is delivered once
/// after its lease; a failing gateway is tried again with a growing wait and never
/// holds up intake; a message given up on can be put back; the sweep's reminders and
/// escalations reach the people above.
async fn messages(store: Arc<dyn Store>) {
    use minsheng_app::notify::{Delivery, MailGateway, SmsGateway};
    use minsheng_core::notify::Notice;
    use minsheng_core::staff::{Role, Scope};
    use minsheng_core::workflow::{Actor, Command};
    use minsheng_store::InboxFilter;

    let dir = std::env::temp_dir().join(format!("minsheng-messages-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (sms, mail) = (dir.join("sms.jsonl"), dir.join("mail.jsonl"));
    let delivery = |sms_gateway| Delivery {
        sms: sms_gateway,
        mail: MailGateway::File(mail.clone()),
        public_url: "https://12345.example.gov.cn".into(),
    };
    let app = App::new(store.clone()).with_delivery(delivery(SmsGateway::File(sms.clone())));
    let lines = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let scope = Scope {
        regions: vec![code("370999000000")],
        units: Vec::new(),
        above: Vec::new(),
    };
    // Whatever earlier parts of the test left in the outbox goes first, elsewhere.
    App::new(store.clone())
        .with_delivery(Delivery {
            sms: SmsGateway::File(dir.join("before.jsonl")),
            mail: MailGateway::File(dir.join("before.jsonl")),
            public_url: String::new(),
        })
        .deliver_due(minsheng_store::now())
        .await
        .expect("drain");

    let with_phone = AppealForm {
        anonymous: String::new(),
        name: "李桂兰".into(),
        phone: "13900001111".into(),
        ..form("楼道灯坏了两个月，晚上老人上下楼摔倒过")
    };
    let receipt = app
        .register(&with_phone, Origin::Staff, None)
        .await
        .expect("registered");
    let detail = store.appeal(&receipt.no, &scope).await.expect("appeal");
    let lead = detail
        .summary
        .handler_unit_id
        .expect("dispatched at registration");
    let dir_now = app.directory().await.expect("directory");
    let unit_key = dir_now
        .units
        .iter()
        .find(|u| u.id == lead)
        .expect("unit")
        .key
        .clone();
    let person = |name: &str, roles: Vec<Role>, unit: &str| {
        let (store, name, unit) = (store.clone(), name.to_owned(), unit.to_owned());
        async move {
            store
                .create_staff(
                    &minsheng_store::NewStaff {
                        username: name.clone(),
                        display_name: name,
                        unit_key: unit,
                        roles,
                        password_hash: "unused".into(),
                        must_change_password: false,
                    },
                    None,
                )
                .await
                .expect("staff")
        }
    };
    let handler = person("msg.handler", vec![Role::Handler], &unit_key).await;
    let head = person("msg.head", vec![Role::UnitHead], &unit_key).await;
    let centre = person("msg.dispatcher", vec![Role::Dispatcher], &unit_key).await;
    store
        .save_notice_prefs(
            handler,
            &minsheng_store::NoticePrefs {
                email: Some("handler@zjj.example.gov.cn".into()),
                by_email: vec![Notice::NewWork],
            },
        )
        .await
        .expect("prefs");
    assert!(!sms.exists(), "nothing leaves before the worker runs");

    let now = minsheng_store::now();
    let done = app.deliver_due(now).await.expect("deliver");
    assert_eq!(done.failed, 0);
    let texts = lines(&sms);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("13900001111"));
    assert!(texts[0].contains(receipt.no.as_str()));
    assert!(texts[0].contains(receipt.tracking_code.as_str()));
    assert!(
        !texts[0].contains("李桂兰"),
        "the SMS never names the appellant"
    );
    let mails = lines(&mail);
    assert_eq!(mails.len(), 1, "only the handler chose e-mail: {mails:?}");
    assert!(
        mails[0].contains("handler@zjj.example.gov.cn") && mails[0].contains(receipt.no.as_str())
    );
    assert_eq!(store.unread_notices(handler).await.expect("unread"), 1);
    assert_eq!(store.unread_notices(head).await.expect("unread"), 1);
    assert_eq!(store.unread_notices(centre).await.expect("unread"), 0);
    let bell = store.notices(head, 1, 20).await.expect("notices");
    assert_eq!(bell.items[0].notice, Notice::NewWork);
    assert_eq!(bell.items[0].appeal_no.as_ref(), Some(&receipt.no));
    // Delivered once: another round sends nothing.
    assert_eq!(app.deliver_due(now).await.expect("again").sent, 0);
    assert_eq!((lines(&sms).len(), lines(&mail).len()), (1, 1));
    assert_eq!(store.read_notices(head, &[], now).await.expect("read"), 1);
    assert_eq!(store.unread_notices(head).await.expect("unread"), 0);

    // A worker claims the answer's SMS and dies before sending: after its lease the
    // next one sends it, once, with the link to rate the answer.
    let unit_actor = Actor {
        id: handler,
        unit_id: lead,
        roles: vec![Role::Handler],
        scope: Scope {
            regions: vec![code("370999000000")],
            units: vec![lead],
            above: Vec::new(),
        },
    };
    for command in [
        Command::SignFor,
        Command::Reply {
            text: "已更换楼道声控灯两盏，经现场查看照明正常。".into(),
            call_back: None,
        },
    ] {
        let version = store
            .appeal(&receipt.no, &scope)
            .await
            .expect("appeal")
            .version;
        app.act(&unit_actor, &receipt.no, version, command)
            .await
            .expect("act");
    }
    let now = minsheng_store::now();
    let claimed = store
        .claim_messages(now, now + chrono::Duration::minutes(2), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    assert_eq!(app.deliver_due(now).await.expect("leased").sent, 0);
    let later = now + chrono::Duration::minutes(3);
    assert_eq!(app.deliver_due(later).await.expect("after lease").sent, 1);
    assert_eq!(app.deliver_due(later).await.expect("once").sent, 0);
    let texts = lines(&sms);
    assert_eq!(texts.len(), 2);
    assert!(texts[1].contains(&format!(
        "https://12345.example.gov.cn/track/{}/verdict",
        receipt.tracking_code.as_str()
    )));

    // A gateway that is down: intake goes on; the SMS is tried again after 30 s,
    // then 60 s, and is given up after the last attempt; an admin puts it back.
    let down = App::new(store.clone()).with_delivery(delivery(SmsGateway::Http {
        url: "http://127.0.0.1:9/sms".into(),
        template: minsheng_app::notify::DEFAULT_SMS_BODY.into(),
    }));
    let started = std::time::Instant::now();
    let second = down
        .register(
            &AppealForm {
                anonymous: String::new(),
                name: "赵大姐".into(),
                phone: "13900002222".into(),
                ..form("小区电梯停了三天，物业说在等配件")
            },
            Origin::Staff,
            None,
        )
        .await
        .expect("registered while the gateway is down");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let t0 = minsheng_store::now();
    let first_try = down.deliver_due(t0).await.expect("try");
    assert_eq!(
        (first_try.sent, first_try.failed),
        (2, 1),
        "the notice and its e-mail go, the SMS fails"
    );
    let s = |n: i64| t0 + chrono::Duration::seconds(n);
    assert_eq!(
        down.deliver_due(s(29)).await.expect("wait"),
        Default::default()
    );
    assert_eq!(down.deliver_due(s(31)).await.expect("retry").failed, 1);
    assert_eq!(
        down.deliver_due(s(80)).await.expect("wait"),
        Default::default()
    );
    assert_eq!(down.deliver_due(s(92)).await.expect("retry").failed, 1);
    let mut at = s(92);
    for _ in 3..minsheng_core::notify::MAX_ATTEMPTS {
        at += chrono::Duration::hours(1);
        assert_eq!(down.deliver_due(at).await.expect("retry").failed, 1);
    }
    let state = store.outbox_state(10).await.expect("state");
    let (given_up, _, attempts, error, _) = state.failures[0].clone();
    assert_eq!(attempts, minsheng_core::notify::MAX_ATTEMPTS);
    assert!(error.contains("SMS gateway"), "{error}");
    assert_eq!(
        down.deliver_due(at + chrono::Duration::days(1))
            .await
            .expect("given up"),
        Default::default()
    );
    store
        .retry_message(given_up, handler, at)
        .await
        .expect("put back");
    assert_eq!(app.deliver_due(at).await.expect("sent at last").sent, 1);
    assert!(
        lines(&sms)
            .last()
            .expect("line")
            .contains(second.tracking_code.as_str())
    );

    // The sweep: a work order nobody signed for goes up to the dispatch centre,
    // whose dispatchers are told; an overdue answer goes up to the unit head and
    // onto the supervisors' list.
    let idle = app
        .register(&form("小区门口的路灯不亮，晚上很黑"), Origin::Staff, None)
        .await
        .expect("registered");
    let answered_late = app
        .register(
            &form("垃圾桶满了一周没人清运，气味很大"),
            Origin::Staff,
            None,
        )
        .await
        .expect("registered");
    let version = store
        .appeal(&answered_late.no, &scope)
        .await
        .expect("appeal")
        .version;
    let late_unit = store
        .appeal(&answered_late.no, &scope)
        .await
        .expect("appeal")
        .summary
        .handler_unit_id;
    let actor = Actor {
        unit_id: late_unit.expect("lead"),
        ..unit_actor.clone()
    };
    app.act(&actor, &answered_late.no, version, Command::SignFor)
        .await
        .expect("signed");
    app.deliver_due(minsheng_store::now()).await.expect("drain");
    let month = minsheng_store::now() + chrono::Duration::days(30);
    app.sweep(month).await.expect("sweep");
    let idle_tags = store.appeal(&idle.no, &scope).await.expect("appeal").tags;
    assert!(
        idle_tags.contains(&"escalated:dispatch".to_owned()),
        "{idle_tags:?}"
    );
    let late = store
        .appeal(&answered_late.no, &scope)
        .await
        .expect("appeal");
    assert!(
        late.tags.contains(&"escalated:head".to_owned()),
        "{:?}",
        late.tags
    );
    assert!(
        late.history
            .iter()
            .any(|h| h.actor.is_none() && matches!(h.command, Command::Escalate { .. }))
    );
    let supervised = store
        .list_appeals(
            &minsheng_store::ListScope::Visible(scope.clone()),
            &InboxFilter {
                supervised: true,
                ..InboxFilter::default()
            },
            1,
            100,
        )
        .await
        .expect("list");
    assert!(supervised.items.iter().any(|a| a.no == answered_late.no));
    assert!(!supervised.items.iter().any(|a| a.no == idle.no));
    // The work queues, as the store selects them on this engine: never an ended case.
    let queue = |q: minsheng_core::queue::Queue| {
        let (store, scope) = (store.clone(), scope.clone());
        async move {
            store
                .list_appeals(
                    &minsheng_store::ListScope::Visible(scope),
                    &InboxFilter {
                        queue: Some((q, handler)),
                        ..InboxFilter::default()
                    },
                    1,
                    500,
                )
                .await
                .expect("queue")
                .items
        }
    };
    use minsheng_core::queue::Queue as Q;
    let has = |items: &[minsheng_store::AppealSummary], no: &minsheng_core::AppealNo| {
        items.iter().any(|a| &a.no == no)
    };
    let dispatch = queue(Q::Dispatch).await;
    assert!(has(&dispatch, &idle.no), "gone up for want of a sign-for");
    assert!(!has(&dispatch, &answered_late.no));
    let incoming = queue(Q::Incoming).await;
    assert!(has(&incoming, &idle.no) && !has(&incoming, &answered_late.no));
    let handling = queue(Q::Handling).await;
    assert!(has(&handling, &answered_late.no) && !has(&handling, &idle.no));
    assert!(has(&queue(Q::Supervision).await, &answered_late.no));
    assert!(
        queue(Q::Leading).await.is_empty(),
        "this handler leads nothing"
    );
    for q in Q::ALL {
        assert!(
            queue(q).await.iter().all(|a| !a.status.is_terminal()),
            "{q:?} holds an ended case"
        );
    }
    // Swept again, nothing is taken twice.
    let before = store
        .appeal(&idle.no, &scope)
        .await
        .expect("appeal")
        .history
        .len();
    app.sweep(month + chrono::Duration::hours(1))
        .await
        .expect("sweep");
    assert_eq!(
        store
            .appeal(&idle.no, &scope)
            .await
            .expect("appeal")
            .history
            .len(),
        before
    );
    app.deliver_due(month).await.expect("deliver");
    let told = store.notices(centre, 1, 50).await.expect("notices");
    assert!(
        told.items
            .iter()
            .any(|n| n.notice == Notice::Escalation && n.appeal_no.as_ref() == Some(&idle.no))
    );
    // A landline takes no SMS: the receipt is marked delivered with nothing sent.
    let before = lines(&sms).len();
    app.register(
        &AppealForm {
            anonymous: String::new(),
            name: "孙师傅".into(),
            phone: "0531-88886666".into(),
            ..form("单位门口的下水道堵了，污水漫到路上")
        },
        Origin::Staff,
        None,
    )
    .await
    .expect("registered");
    let done = app.deliver_due(month).await.expect("deliver");
    assert_eq!(done.failed, 0);
    assert_eq!(lines(&sms).len(), before, "no SMS to a landline");
    let _ = std::fs::remove_dir_all(&dir);
}
