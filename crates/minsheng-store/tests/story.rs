//! The store story: one sequence of operations run on SQLite always and on PostgreSQL
//! when `MINSHENG_TEST_PG_URL` is set (CI always sets it). Each run gets its own
//! database (a temporary SQLite file, or a fresh PostgreSQL schema dropped afterwards).

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use minsheng_core::appellant::{Appellant, IdNumber};
use minsheng_core::category::Category;
use minsheng_core::clock::Calendar;
use minsheng_core::intake::{NewAppeal, SubmissionKey};
use minsheng_core::kpi;
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::routing::{Routing, RoutingReason, RoutingRule};
use minsheng_core::staff::{Role, Scope};
use minsheng_core::unit::{NewUnit, UnitKind};
use minsheng_core::workflow::{CaseFacts, Command, Happened, Policy, State, open_case};
use minsheng_core::{AppealKind, AppealNo, Channel, Phone};
use minsheng_store::{
    DataKey, InboxFilter, Keyring, ListScope, NewStaff, Receipt, Refresh, Registered, Registration,
    StaffChange, StaffFilter, Store, StoreError,
};
use sqlx::Connection;

/// The receipts of registrations that must all have been stored.
fn stored(registered: &[Registered]) -> Vec<Receipt> {
    registered
        .iter()
        .map(|r| match r {
            Registered::Stored(r) => r.clone(),
            other => panic!("not stored: {other:?}"),
        })
        .collect()
}

fn keyring() -> Keyring {
    Keyring::new(DataKey::from_hex(&"5a".repeat(32)).expect("key"))
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("valid code")
}

/// A raw connection for tampering, the way an attacker with file access would.
enum Raw {
    Sqlite(String),
    Pg(String),
}

impl Raw {
    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("raw sqlite");
                sqlx::query(sql).execute(&mut c).await.expect("raw sql");
            }
            Raw::Pg(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.expect("raw pg");
                sqlx::query(sql).execute(&mut c).await.expect("raw sql");
            }
        }
    }
}

fn appeal(village: &RegionCode, category: &str, days_ago: i64, phone: Option<&str>) -> NewAppeal {
    let received_at = Utc
        .with_ymd_and_hms(2026, 11, 20, 2, 0, 0)
        .single()
        .expect("time")
        - Duration::days(days_ago);
    NewAppeal {
        channel: Channel::Hotline,
        kind: AppealKind::Complaint,
        category: category.into(),
        title: "暖气不热".into(),
        text: "<b>暖气</b>不热，室内只有12度".into(),
        region: village.clone(),
        address: Some("建设路1号".into()),
        location: None,
        appellant: Appellant {
            name: phone.map(|_| "张三丰".to_owned()),
            phone: phone.map(|p| Phone::parse(p).expect("phone")),
            id_number: phone.map(|_| IdNumber::parse("11010519491231002X").expect("id")),
            address: phone.map(|_| "临河县建设路18号".to_owned()),
            headcount: 1,
            representatives: vec![],
        },
        received_at,
        attachments: vec![],
        answers: vec![],
        publish_consent: false,
        submission_key: None,
    }
}

/// A registration routed to the unit `(key, id)`, its case opened by the core.
fn registration(a: NewAppeal, (key, id): (&str, i64)) -> Registration {
    let routing = Routing {
        lead: Some(id),
        co: Vec::new(),
        reason: RoutingReason::CategoryDefault,
        accused: Vec::new(),
    };
    let facts = CaseFacts::of(&a, &routing);
    let opening = open_case(&facts, &Policy::default(), &Calendar::shipped());
    Registration {
        appeal: a,
        routing,
        opening,
        actor_id: None,
        tags: vec![format!("unit:{key}")],
        external_id: None,
        api_key_id: None,
        index_terms: Vec::new(),
        signals: Vec::new(),
        dispute: None,
        effects: Vec::new(),
    }
}

async fn story(store: Arc<dyn Store>, raw: Raw) {
    store.ping().await.expect("ping");
    assert_eq!(store.counts().await.expect("counts").appeals, 0);
    assert!(store.county().await.expect("county").is_none());

    // Regions: county, two townships, three villages.
    let county = code("370999000000");
    let t1 = RegionCode::township(&county, 1);
    let t2 = RegionCode::township(&county, 2);
    let v11 = RegionCode::village(&t1, 1);
    let v12 = RegionCode::village(&t1, 2);
    let v21 = RegionCode::village(&t2, 1);
    let template = minsheng_store::county_with_template(
        store.as_ref(),
        &Region {
            code: county.clone(),
            name: "澄河县".into(),
        },
    )
    .await
    .expect("county and template");
    let regions = vec![
        Region {
            code: t1.clone(),
            name: "城关街道".into(),
        },
        Region {
            code: t2.clone(),
            name: "柳林镇".into(),
        },
        Region {
            code: v11.clone(),
            name: "王家庄村".into(),
        },
        Region {
            code: v12.clone(),
            name: "幸福社区".into(),
        },
        Region {
            code: v21.clone(),
            name: "李官屯村".into(),
        },
    ];
    store.insert_regions(&regions).await.expect("regions");
    assert_eq!(
        store.county().await.expect("county").map(|r| r.name),
        Some("澄河县".into())
    );
    let towns = store.children(&county).await.expect("children");
    assert_eq!(
        towns.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["城关街道", "柳林镇"]
    );
    assert_eq!(store.villages().await.expect("villages").len(), 3);

    // Units and categories came with the template; add a township government.
    let units = vec![NewUnit {
        key: "t1".into(),
        name: "城关街道办事处".into(),
        kind: UnitKind::TownshipGovernment,
        parent_key: Some("qzgzb".into()),
        jurisdiction: vec![t1.clone()],
        contact_phone: None,
    }];
    let created = store.save_units(&units, None).await.expect("units");
    assert_eq!(created.len(), 1);
    assert_eq!(
        store.units().await.expect("units").len(),
        template.units.len() + 1
    );
    let all_units = store.units().await.expect("units");
    let zjj = all_units
        .iter()
        .find(|u| u.key == "zjj")
        .expect("zjj")
        .clone();
    let slj = all_units
        .iter()
        .find(|u| u.key == "slj")
        .expect("slj")
        .clone();
    let t1_gov = all_units.iter().find(|u| u.key == "t1").expect("t1");
    assert_eq!(t1_gov.jurisdiction, vec![t1.clone()]);
    assert!(t1_gov.parent_id.is_some());
    assert_eq!(store.unit(zjj.id).await.expect("unit").name, zjj.name);
    assert!(matches!(store.unit(-1).await, Err(StoreError::NotFound)));
    store
        .save_categories(&template.categories, None)
        .await
        .expect("categories");
    store
        .save_categories(&template.categories, None)
        .await
        .expect("saving again is idempotent");
    let cats = store.categories().await.expect("categories");
    assert_eq!(cats.len(), template.categories.len());
    assert_eq!(cats[1].code, "gongre", "display order kept");

    // A unit saved again under its key is changed, not duplicated.
    let changed = NewUnit {
        contact_phone: Some("0539-1234567".into()),
        jurisdiction: vec![t1.clone(), t2.clone()],
        parent_key: None,
        ..units[0].clone()
    };
    let saved = store.save_units(&[changed], None).await.expect("change");
    assert_eq!(saved[0].id, created[0].id);
    let again = store.unit(created[0].id).await.expect("unit");
    assert_eq!(again.contact_phone.as_deref(), Some("0539-1234567"));
    assert_eq!(again.jurisdiction, vec![t1.clone(), t2.clone()]);
    assert_eq!(again.parent_id, None);
    store.save_units(&units, None).await.expect("change back");

    // A sub-category with keywords, extra fields and hidden from the public: it keeps
    // them all, goes last, and a changed top-level category keeps its place.
    let sub = Category {
        code: "wuye".into(),
        name: "物业管理".into(),
        name_en: "Property management".into(),
        unit: "zjj".into(),
        parent: Some(cats[0].code.clone()),
        keywords: vec!["物业费".into(), "电梯".into()],
        public: false,
        published: false,
        fields: vec![minsheng_core::category::ExtraField {
            code: "building".into(),
            label: "楼栋号".into(),
            datatype: minsheng_core::category::Datatype::String,
            required: true,
            choices: vec![],
        }],
    };
    let renamed = Category {
        name: "城乡建设管理".into(),
        ..cats[0].clone()
    };
    store
        .save_categories(&[sub.clone(), renamed.clone()], None)
        .await
        .expect("save");
    let cats = store.categories().await.expect("categories");
    assert_eq!(cats.last(), Some(&sub));
    assert_eq!(cats[0], renamed);

    // Staff: roles round-trip, a taken name is a conflict.
    let handler = NewStaff {
        username: "zjj.handler".into(),
        display_name: "王承办".into(),
        unit_key: "zjj".into(),
        roles: vec![Role::Handler, Role::UnitHead],
        password_hash: "$argon2id$fake".into(),
        must_change_password: false,
    };
    let hid = store.create_staff(&handler, None).await.expect("staff");
    assert!(matches!(
        store.create_staff(&handler, None).await,
        Err(StoreError::Conflict(_))
    ));
    let (staff, hash) = store
        .staff_by_username("zjj.handler")
        .await
        .expect("q")
        .expect("found");
    assert_eq!((staff.id, hash.as_str()), (hid, "$argon2id$fake"));
    assert_eq!(staff.roles, vec![Role::Handler, Role::UnitHead]);
    assert!(
        store
            .staff_by_username("nobody")
            .await
            .expect("q")
            .is_none()
    );

    // Sessions: live, expired, deleted.
    let now = Utc::now();
    store
        .create_session("tok-live", hid, now + Duration::hours(8))
        .await
        .expect("session");
    store
        .create_session("tok-old", hid, now - Duration::hours(1))
        .await
        .expect("session");
    assert_eq!(
        store
            .session_staff("tok-live", now, now - Duration::hours(1))
            .await
            .expect("q")
            .map(|s| s.id),
        Some(hid)
    );
    assert!(
        store
            .session_staff("tok-old", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_none()
    );
    // A session unused since before the idle cutoff has ended, though not expired.
    assert!(
        store
            .session_staff("tok-live", now, now + Duration::minutes(1))
            .await
            .expect("q")
            .is_none()
    );
    // API tokens: found by hash while live; not once expired or revoked; revoking
    // twice changes nothing; an unknown id is not found.
    let live = minsheng_store::NewApiToken {
        staff_id: hid,
        name: "热线对接".into(),
        token_hash: "hash-live".into(),
        prefix: "mst_abcd1234".into(),
        expires_at: Some(now + Duration::days(30)),
    };
    let live_id = store.create_api_token(&live, None).await.expect("token");
    let old = minsheng_store::NewApiToken {
        token_hash: "hash-old".into(),
        expires_at: Some(now - Duration::days(1)),
        ..live.clone()
    };
    store.create_api_token(&old, None).await.expect("token");
    assert_eq!(
        store
            .api_token_staff("hash-live", now)
            .await
            .expect("q")
            .map(|s| s.id),
        Some(hid)
    );
    assert!(
        store
            .api_token_staff("hash-old", now)
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store
            .api_token_staff("hash-none", now)
            .await
            .expect("q")
            .is_none()
    );
    let listed = store.api_tokens(Some(hid)).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].prefix, "mst_abcd1234");
    assert!(
        listed
            .iter()
            .any(|t| t.id == live_id && t.last_used_at.is_some())
    );
    store
        .revoke_api_token(live_id, Some(hid))
        .await
        .expect("revoke");
    store
        .revoke_api_token(live_id, Some(hid))
        .await
        .expect("revoke again");
    assert!(
        store
            .api_token_staff("hash-live", now)
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store
            .api_token(live_id)
            .await
            .expect("token")
            .revoked_at
            .is_some()
    );
    assert!(matches!(
        store.revoke_api_token(999_999, None).await,
        Err(minsheng_store::StoreError::NotFound)
    ));
    // Ending all but one; purging what expired or idled.
    store
        .create_session("tok-other", hid, now + Duration::hours(8))
        .await
        .expect("session");
    assert_eq!(
        store
            .end_sessions(hid, Some("tok-live"), None)
            .await
            .expect("end"),
        2
    );
    assert!(
        store
            .session_staff("tok-other", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store
            .session_staff("tok-live", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_some()
    );
    store
        .create_session("tok-stale", hid, now + Duration::hours(8))
        .await
        .expect("session");
    assert_eq!(
        store
            .purge_sessions(now, now + Duration::minutes(1), now - Duration::hours(1))
            .await
            .expect("purge"),
        2,
        "both live sessions count as idle at a cutoff after their last use"
    );
    store
        .create_session("tok-live", hid, now + Duration::hours(8))
        .await
        .expect("session");
    store.delete_session("tok-live").await.expect("delete");

    // Failed sign-ins are counted per key and forgotten on request.
    let keys = vec!["user:zjj.handler".to_owned(), "ip:127.0.0.1".to_owned()];
    store.record_login_failure(&keys, now).await.expect("fail");
    store
        .record_login_failure(&keys[..1], now)
        .await
        .expect("fail");
    let mut seen = store.login_failures(&keys).await.expect("read");
    seen.sort();
    assert_eq!(
        seen.iter()
            .map(|(k, n, _)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        [("ip:127.0.0.1", 1), ("user:zjj.handler", 2)]
    );
    store.clear_login_failures(&keys[0]).await.expect("clear");
    assert_eq!(store.login_failures(&keys).await.expect("read").len(), 1);

    // Staff administration: list with filters, change, passwords and deactivation end
    // sessions (but the one kept).
    let listed = store
        .staff_members(&StaffFilter {
            role: Some(Role::UnitHead),
            text: Some("zjj".into()),
            ..StaffFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].active && !listed[0].staff.must_change_password);
    assert!(
        store
            .staff_members(&StaffFilter {
                text: Some("%".into()),
                ..StaffFilter::default()
            })
            .await
            .expect("list")
            .is_empty(),
        "a typed % is literal"
    );
    store
        .update_staff(
            &StaffChange {
                id: hid,
                display_name: "王承办（改）".into(),
                unit_id: slj.id,
                roles: vec![Role::Handler],
            },
            None,
        )
        .await
        .expect("update");
    for token in ["tok-a", "tok-b"] {
        store
            .create_session(token, hid, now + Duration::hours(8))
            .await
            .expect("session");
    }
    store
        .set_password(hid, "$argon2id$new", true, Some("tok-a"), None)
        .await
        .expect("password");
    let me = store
        .session_staff("tok-a", now, now - Duration::hours(1))
        .await
        .expect("q")
        .expect("kept");
    assert_eq!(
        (me.unit_id, me.roles.clone(), me.must_change_password),
        (slj.id, vec![Role::Handler], true)
    );
    assert!(
        store
            .session_staff("tok-b", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_none()
    );
    store.set_staff_active(hid, false, None).await.expect("off");
    assert!(
        store
            .session_staff("tok-a", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store
            .staff_by_username("zjj.handler")
            .await
            .expect("q")
            .is_none()
    );
    store.set_staff_active(hid, true, None).await.expect("on");
    store
        .update_staff(
            &StaffChange {
                id: hid,
                display_name: "王承办".into(),
                unit_id: zjj.id,
                roles: vec![Role::Handler, Role::UnitHead],
            },
            None,
        )
        .await
        .expect("restore");
    assert!(matches!(
        store.set_staff_active(999_999, false, None).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .session_staff("tok-live", now, now - Duration::hours(1))
            .await
            .expect("q")
            .is_none()
    );

    // Appeals: gapless numbers, due-ordered inbox, duplicate posts land once.
    let mut keyed = appeal(&v11, "gongre", 1, Some("13800138000"));
    keyed.submission_key = Some(SubmissionKey::parse("form-123").expect("key"));
    let receipts = store
        .register_appeals(&[
            registration(appeal(&v11, "gongre", 3, None), ("zjj", zjj.id)),
            registration(keyed.clone(), ("zjj", zjj.id)),
            registration(
                appeal(&v21, "gongshui", 2, Some("13900139000")),
                ("slj", slj.id),
            ),
        ])
        .await
        .expect("register");
    let receipts = stored(&receipts);
    let numbers: Vec<&str> = receipts.iter().map(|r| r.no.as_str()).collect();
    assert_eq!(numbers, ["MS2026-000001", "MS2026-000002", "MS2026-000003"]);
    let again = store
        .register_appeals(&[registration(keyed.clone(), ("zjj", zjj.id))])
        .await
        .expect("again");
    assert_eq!(again, [Registered::Repeat(receipts[1].clone())]);
    // The same key with other content (another person, another text) stores nothing
    // and hands out no receipt.
    let before_reuse = store.counts().await.expect("counts");
    let mut other = keyed.clone();
    other.text = "另一个人的另一件事".into();
    let mut other_person = keyed;
    other_person.appellant.name = Some("李四".into());
    let reused = store
        .register_appeals(&[
            registration(other, ("zjj", zjj.id)),
            registration(other_person, ("zjj", zjj.id)),
        ])
        .await
        .expect("reused");
    assert_eq!(reused, [Registered::KeyReused, Registered::KeyReused]);
    assert_eq!(store.counts().await.expect("counts"), before_reuse);
    // Two posts of one form at the same moment (a double click) land once.
    let mut raced = appeal(&v12, "gongre", 0, None);
    raced.submission_key = Some(SubmissionKey::parse("form-race").expect("key"));
    let first = [registration(raced.clone(), ("zjj", zjj.id))];
    let second = [registration(raced, ("zjj", zjj.id))];
    let (a, b) = tokio::join!(
        store.register_appeals(&first),
        store.register_appeals(&second)
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a[0].receipt().map(|r| &r.no), b[0].receipt().map(|r| &r.no));
    let new = [&a[0], &b[0]]
        .iter()
        .filter(|r| matches!(r, Registered::Stored(_)))
        .count();
    assert_eq!(new, 1, "exactly one is new");

    // A failing batch leaves no row and no gap in the numbers.
    let before = store.counts().await.expect("counts");
    let bad = store
        .register_appeals(&[
            registration(appeal(&v12, "gongre", 0, None), ("zjj", zjj.id)),
            registration(appeal(&v12, "gongre", 0, None), ("none", 999_999)),
        ])
        .await;
    assert!(bad.is_err());
    assert_eq!(store.counts().await.expect("counts"), before);
    let next = store
        .register_appeals(&[registration(
            appeal(&v12, "gongre", 0, None),
            ("zjj", zjj.id),
        )])
        .await
        .expect("next");
    let next = stored(&next);
    assert_eq!(next[0].no.as_str(), "MS2026-000005");
    // A new year starts again at 1.
    let mut new_year = appeal(&v12, "gongre", 0, None);
    new_year.received_at = Utc
        .with_ymd_and_hms(2026, 12, 31, 16, 30, 0)
        .single()
        .expect("time");
    let ny = store
        .register_appeals(&[registration(new_year, ("zjj", zjj.id))])
        .await
        .expect("ny");
    let ny = stored(&ny);
    assert_eq!(
        ny[0].no.as_str(),
        "MS2027-000001",
        "the year is China's calendar year"
    );

    // The inbox: only the unit's appeals, soonest due first.
    let inbox = store
        .list_appeals(&ListScope::Unit(zjj.id), &InboxFilter::default(), 1, 50)
        .await
        .expect("inbox");
    assert_eq!(inbox.total, 5);
    let due: Vec<_> = inbox.items.iter().map(|a| a.due_at).collect();
    assert!(
        due.windows(2).all(|w| w[0] <= w[1]),
        "sorted by due: {due:?}"
    );
    // Sign-for is due four working hours after receipt: the oldest first.
    assert_eq!(inbox.items[0].no, receipts[0].no);
    let keyed_row = inbox
        .items
        .iter()
        .find(|a| a.no == receipts[1].no)
        .expect("listed");
    assert_eq!(keyed_row.phone_mask.as_deref(), Some("138****8000"));
    assert_eq!(keyed_row.name_mask.as_deref(), Some("张**"));
    assert_eq!(keyed_row.status, State::Dispatched);
    assert!(keyed_row.due_at.is_some() && keyed_row.clock_started_at.is_some());
    let paged = store
        .list_appeals(&ListScope::Unit(zjj.id), &InboxFilter::default(), 2, 3)
        .await
        .expect("page 2");
    assert_eq!((paged.items.len(), paged.pages()), (2, 2));
    let filtered = |f: InboxFilter| {
        let store = store.clone();
        async move {
            store
                .list_appeals(&ListScope::Unit(zjj.id), &f, 1, 50)
                .await
                .expect("filter")
                .total
        }
    };
    assert_eq!(
        filtered(InboxFilter {
            township: Some(t2.clone()),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        filtered(InboxFilter {
            number: Some("ms2026-000002".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        filtered(InboxFilter {
            category: Some("gongshui".into()),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        filtered(InboxFilter {
            channel: Some(Channel::Web),
            ..Default::default()
        })
        .await,
        0
    );
    let tagged = |t: &str| InboxFilter {
        tag: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(filtered(tagged("unit:zjj")).await, 5);
    assert_eq!(filtered(tagged("unit:slj")).await, 0);
    assert_eq!(
        filtered(InboxFilter {
            status: Some(State::Dispatched),
            ..Default::default()
        })
        .await,
        5
    );
    let nov19 = Utc
        .with_ymd_and_hms(2026, 11, 19, 0, 0, 0)
        .single()
        .expect("time");
    assert_eq!(
        filtered(InboxFilter {
            received_from: Some(nov19),
            ..Default::default()
        })
        .await,
        4
    );
    assert_eq!(
        filtered(InboxFilter {
            received_before: Some(nov19),
            ..Default::default()
        })
        .await,
        1
    );

    // Scopes: a township leader sees township 1 only; a handler sees the unit only.
    let town_scope = Scope {
        regions: vec![t1.clone()],
        units: vec![],
        above: Vec::new(),
    };
    let seen = store
        .list_appeals(
            &ListScope::Visible(town_scope.clone()),
            &InboxFilter::default(),
            1,
            50,
        )
        .await
        .expect("visible");
    assert!(seen.items.iter().all(|a| a.region_code.is_within(&t1)));
    assert_eq!(seen.total, 5);
    let slj_scope = Scope {
        regions: vec![],
        units: vec![slj.id],
        above: Vec::new(),
    };
    let seen = store
        .list_appeals(
            &ListScope::Visible(slj_scope.clone()),
            &InboxFilter::default(),
            1,
            50,
        )
        .await
        .expect("visible");
    assert_eq!(
        seen.items.iter().map(|a| a.no.as_str()).collect::<Vec<_>>(),
        ["MS2026-000003"]
    );

    // The appeal page decrypts; the public view shows no people.
    let county_wide = Scope {
        regions: vec![county.clone()],
        units: vec![],
        above: Vec::new(),
    };
    let detail = store
        .appeal(&receipts[1].no, &county_wide)
        .await
        .expect("detail");
    let other_unit = Scope {
        regions: vec![],
        units: vec![slj.id],
        above: Vec::new(),
    };
    assert!(matches!(
        store.appeal(&receipts[1].no, &other_unit).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        detail.appellant.phone.as_ref().map(Phone::as_str),
        Some("13800138000")
    );
    assert_eq!(detail.appellant.name.as_deref(), Some("张三丰"));
    assert_eq!(
        detail.appellant.address.as_deref(),
        Some("临河县建设路18号")
    );
    assert_eq!(detail.text, "<b>暖气</b>不热，室内只有12度");
    assert_eq!(detail.events.len(), 2);
    assert_eq!(detail.tags, vec!["unit:zjj".to_owned()]);
    assert_eq!(detail.events[1].unit.as_deref(), Some(zjj.name.as_str()));
    assert!(matches!(
        store.appeal(&AppealNo::new(2020, 1), &county_wide).await,
        Err(StoreError::NotFound)
    ));
    // A decided step is stored against the version it was decided on.
    assert_eq!(detail.facts.routed_unit, Some(zjj.id));
    assert_eq!(detail.version, 2);
    assert!(matches!(detail.history[0].command, Command::Dispatch { lead, .. } if lead == zjj.id));
    let (policy, calendar) = (Policy::default(), Calendar::shipped());
    let case =
        minsheng_core::workflow::Case::replay(&detail.facts, &detail.history, &policy, &calendar);
    assert_eq!(case.state, State::Dispatched);
    let handler_actor = minsheng_core::workflow::Actor {
        id: hid,
        unit_id: zjj.id,
        roles: vec![Role::Handler],
        scope: Scope {
            regions: vec![],
            units: vec![zjj.id],
            above: Vec::new(),
        },
    };
    let now = detail.summary.received_at + Duration::hours(1);
    let d = minsheng_core::workflow::decide(
        &case,
        Command::SignFor,
        &handler_actor,
        &policy,
        &calendar,
        now,
    )
    .expect("sign for");
    let mut after = case.clone();
    after.apply(&d.event, &policy, &calendar);
    let outcome = after.outcome(&policy, &calendar, now);
    let tally = kpi::of_step(&detail.facts, &case, &d.event, &after, &policy, &calendar);
    let records_before = store.verify_audit().await.expect("verify").records;
    store
        .record_step(
            detail.summary.id,
            detail.version,
            &d.event,
            &outcome,
            &d.effects,
            &minsheng_store::StepAdds {
                tallies: tally.into_iter().collect(),
                tags: Vec::new(),
                ..Default::default()
            },
        )
        .await
        .expect("record");
    assert_eq!(
        store.verify_audit().await.expect("verify").records,
        records_before + 1,
        "exactly one audit record per step"
    );
    assert!(matches!(
        store
            .record_step(
                detail.summary.id,
                detail.version,
                &d.event,
                &outcome,
                &[],
                &minsheng_store::StepAdds::default()
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let reread = store
        .appeal(&receipts[1].no, &county_wide)
        .await
        .expect("reread");
    assert_eq!(reread.summary.status, State::Handling);
    assert_eq!(reread.version, 3);
    assert_eq!(reread.history.len(), 2);
    assert_eq!(
        reread.history[1],
        Happened {
            at: now,
            actor: Some(hid),
            command: Command::SignFor
        }
    );
    assert_eq!(reread.events[2].actor.as_deref(), Some("王承办"));
    assert_eq!(reread.summary.due_at, outcome.due_at);

    // A petition driven to its final re-review makes the same appellant's next appeal
    // on the same matter a "not again" case.
    assert!(
        store
            .final_precedents(detail.summary.id)
            .await
            .expect("none")
            .is_empty()
    );
    let admin_actor = minsheng_core::workflow::Actor {
        id: hid,
        unit_id: zjj.id,
        roles: vec![Role::Admin],
        scope: county_wide.clone(),
    };
    let petition = || {
        let mut p = appeal(&v21, "tudi", 40, Some("13800138000"));
        p.kind = AppealKind::Petition;
        registration(p, ("zjj", zjj.id))
    };
    let first = store
        .register_appeals(&[petition()])
        .await
        .expect("petition");
    let first = stored(&first);
    let mut at = detail.summary.received_at;
    for command in [
        Command::Accept,
        Command::Reply {
            text: "答复".into(),
            call_back: None,
        },
        Command::RequestReview,
        Command::IssueReview {
            text: "复查".into(),
        },
        Command::RequestReview,
        Command::IssueReview {
            text: "复核".into(),
        },
    ] {
        let d = store
            .appeal(&first[0].no, &county_wide)
            .await
            .expect("petition");
        let case = minsheng_core::workflow::Case::replay(&d.facts, &d.history, &policy, &calendar);
        at += Duration::days(1);
        let step =
            minsheng_core::workflow::decide(&case, command, &admin_actor, &policy, &calendar, at)
                .expect("legal step");
        let mut next = case.clone();
        next.apply(&step.event, &policy, &calendar);
        let before = store.verify_audit().await.expect("verify").records;
        store
            .record_step(
                d.summary.id,
                d.version,
                &step.event,
                &next.outcome(&policy, &calendar, at),
                &step.effects,
                &minsheng_store::StepAdds {
                    tallies: kpi::of_step(&d.facts, &case, &step.event, &next, &policy, &calendar)
                        .into_iter()
                        .collect(),
                    tags: vec!["sign:test".into(), "sign:test".into()],
                    ..Default::default()
                },
            )
            .await
            .expect("step");
        // One record for the step and one for each outbox message it enqueued.
        assert_eq!(
            store.verify_audit().await.expect("verify").records,
            before + 1 + step.effects.len() as u64
        );
    }
    let second = stored(&store.register_appeals(&[petition()]).await.expect("again"));
    assert_eq!(
        store.final_precedents(second[0].id).await.expect("flag"),
        vec![first[0].no.clone()]
    );
    assert!(
        store
            .final_precedents(first[0].id)
            .await
            .expect("self")
            .is_empty()
    );

    // The sweep reads open cases with their histories and saves recomputed outcomes.
    let open = store
        .open_cases(0, i64::MAX, 1000)
        .await
        .expect("open cases");
    assert_eq!(open.len(), 7, "six work orders and the new petition");
    let mine = open
        .iter()
        .find(|c| c.facts.id == detail.summary.id)
        .expect("open");
    assert_eq!(mine.history.len(), 2);
    assert_eq!(mine.stored, outcome);
    assert_eq!(
        store
            .open_cases(detail.summary.id, i64::MAX, 2)
            .await
            .expect("after")
            .len(),
        2
    );
    assert_eq!(
        store.max_appeal_id().await.expect("max"),
        open.iter().map(|c| c.facts.id).max().unwrap_or(0)
    );
    let first_half = store
        .open_cases(0, detail.summary.id, 1000)
        .await
        .expect("range");
    assert!(first_half.iter().all(|c| c.facts.id <= detail.summary.id));
    let flagged = minsheng_core::workflow::Outcome {
        backlog: true,
        ..outcome.clone()
    };
    // A refresh computed from an older version is not saved over a newer step.
    let stale = Refresh {
        id: detail.summary.id,
        version: mine.version - 1,
        outcome: flagged.clone(),
    };
    assert_eq!(store.save_outcomes(&[stale]).await.expect("save"), 0);
    let fresh = Refresh {
        id: detail.summary.id,
        version: mine.version,
        outcome: flagged,
    };
    assert_eq!(store.save_outcomes(&[fresh]).await.expect("save"), 1);
    let listed = store
        .list_appeals(
            &ListScope::Unit(zjj.id),
            &InboxFilter {
                flagged: true,
                ..Default::default()
            },
            1,
            50,
        )
        .await
        .expect("flagged");
    assert_eq!(listed.total, 1);

    let public = store
        .public_view(&receipts[1].tracking_code)
        .await
        .expect("public");
    assert_eq!(public.no, receipts[1].no);
    assert!(public.events.iter().all(|e| e.step.is_public()));

    // Caller history by phone, within scope.
    let phone = Phone::parse("138 0013 8000").expect("phone");
    let county_scope = Scope {
        regions: vec![county.clone()],
        units: vec![],
        above: Vec::new(),
    };
    let history = store
        .appeals_by_phone(&phone, &county_scope)
        .await
        .expect("history");
    // Newest first: the heating complaint, then the two land petitions.
    let mut numbers: Vec<_> = history.iter().map(|a| a.no.clone()).collect();
    assert_eq!(numbers.remove(0), receipts[1].no);
    numbers.sort();
    assert_eq!(numbers, vec![first[0].no.clone(), second[0].no.clone()]);
    assert!(
        store
            .appeals_by_phone(&phone, &slj_scope)
            .await
            .expect("history")
            .is_empty()
    );

    // An external id registers once: the second time is the earlier receipt.
    let external = || Registration {
        external_id: Some("GD2025-0001".into()),
        ..registration(appeal(&v11, "gongre", 40, None), ("zjj", zjj.id))
    };
    let first_import = store.register_appeals(&[external()]).await.expect("import");
    let again = store.register_appeals(&[external()]).await.expect("again");
    assert!(matches!(first_import[0], Registered::Stored(_)));
    assert_eq!(
        again[0],
        Registered::Repeat(stored(&first_import)[0].clone())
    );
    // Open311 keys: stored hashed, found while live, revoked once, audited.
    let before = store.verify_audit().await.expect("verify").records;
    let key_id = store
        .create_api_key("城市通 App", "key-hash", "msk_abc123", None)
        .await
        .expect("key");
    let found = store
        .api_key_by_hash("key-hash", Utc::now())
        .await
        .expect("by hash")
        .expect("live");
    assert_eq!((found.id, found.name.as_str()), (key_id, "城市通 App"));
    assert!(
        store
            .api_key_by_hash("other", Utc::now())
            .await
            .expect("q")
            .is_none()
    );
    // A request with its key, point and answers; what Open311 publishes of it.
    let mut sent = appeal(&v11, "gongre", 1, Some("13800138000"));
    sent.location = Some((35.25, 117.125));
    sent.answers = vec![minsheng_core::category::Answer {
        code: "who".into(),
        label: "涉及人群".into(),
        values: vec!["老人".into(), "儿童".into()],
    }];
    // Its files: a scanned letter first, then a photo (the photo is its media).
    let file = |name: &str, content_type: &str, sha: char| minsheng_core::appeal::Attachment {
        file_name: name.into(),
        content_type: content_type.into(),
        size: 1234,
        sha256: sha.to_string().repeat(64),
    };
    sent.attachments = vec![
        file("信件.pdf", "application/pdf", 'a'),
        file("现场.jpg", "image/jpeg", 'b'),
    ];
    let with_key = Registration {
        api_key_id: Some(key_id),
        ..registration(sent.clone(), ("zjj", zjj.id))
    };
    let receipt = stored(&store.register_appeals(&[with_key]).await.expect("open311"))[0].clone();
    let detail = store
        .appeal(&receipt.no, &county_scope)
        .await
        .expect("detail");
    assert_eq!(detail.answers, sent.answers);
    assert_eq!(detail.location, Some((35.25, 117.125)));
    let files: Vec<_> = detail.attachments.iter().map(|f| f.file.clone()).collect();
    assert_eq!(files, sent.attachments, "in the order given");
    let photo = &detail.attachments[1];
    assert_eq!(store.attached_file(photo.id).await.expect("file"), *photo);
    assert_eq!(photo.appeal_id, detail.summary.id);
    assert!(matches!(
        store.attached_file(999_999).await,
        Err(StoreError::NotFound)
    ));
    let query = minsheng_store::RequestQuery {
        numbers: vec![receipt.no.clone(), stored(&first_import)[0].no.clone()],
        kinds: vec![AppealKind::Complaint],
        track: Some(minsheng_core::workflow::Track::WorkOrder),
        categories: vec!["gongre".into()],
        limit: 10,
        ..Default::default()
    };
    let published = store.published_requests(&query).await.expect("published");
    assert_eq!(published.len(), 2, "both numbers, newest first");
    assert_eq!(published[0].no, receipt.no);
    assert_eq!(published[0].location, Some((35.25, 117.125)));
    assert_eq!(published[0].text, sent.text);
    assert!(published[0].updated_at >= published[0].received_at);
    assert_eq!(published[0].handler_unit_id, Some(zjj.id));
    assert_eq!(
        published[0].media_id,
        Some(photo.id),
        "its first image, not the letter"
    );
    assert_eq!(published[1].media_id, None);
    // Each filter narrows: kinds, categories, states, the window, the limit.
    for (narrowed, expected) in [
        (
            minsheng_store::RequestQuery {
                kinds: vec![AppealKind::Report],
                ..query.clone()
            },
            0,
        ),
        (
            minsheng_store::RequestQuery {
                categories: vec!["gongshui".into()],
                ..query.clone()
            },
            0,
        ),
        (
            minsheng_store::RequestQuery {
                categories: vec![],
                ..query.clone()
            },
            0,
        ),
        (
            minsheng_store::RequestQuery {
                states: vec![State::Closed],
                ..query.clone()
            },
            0,
        ),
        (
            minsheng_store::RequestQuery {
                states: vec![published[0].status],
                ..query.clone()
            },
            2,
        ),
        (
            minsheng_store::RequestQuery {
                received_from: Some(sent.received_at - Duration::hours(1)),
                received_until: Some(sent.received_at + Duration::hours(1)),
                ..query.clone()
            },
            1,
        ),
        (
            minsheng_store::RequestQuery {
                limit: 1,
                ..query.clone()
            },
            1,
        ),
    ] {
        assert_eq!(
            store.published_requests(&narrowed).await.expect("q").len(),
            expected,
            "{narrowed:?}"
        );
    }
    store.revoke_api_key(key_id, None).await.expect("revoke");
    store
        .revoke_api_key(key_id, None)
        .await
        .expect("again: nothing");
    assert!(
        store
            .api_key_by_hash("key-hash", Utc::now())
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store.api_keys().await.expect("keys")[0]
            .revoked_at
            .is_some()
    );
    assert!(matches!(
        store.revoke_api_key(999_999, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.verify_audit().await.expect("verify").records,
        before + 3,
        "made, the request, revoked"
    );

    // Routing rules: added with their co-handlers, listed, removed, all audited.
    let before = store.verify_audit().await.expect("verify").records;
    let rule = RoutingRule {
        id: 0,
        category: "gongre".into(),
        region: t1.clone(),
        lead: slj.id,
        co: vec![zjj.id],
    };
    let id = store.add_routing_rule(&rule, None).await.expect("rule");
    assert_eq!(
        store.routing_rules().await.expect("rules"),
        vec![RoutingRule { id, ..rule }]
    );
    store.remove_routing_rule(id, None).await.expect("remove");
    assert!(store.routing_rules().await.expect("rules").is_empty());
    assert!(matches!(
        store.remove_routing_rule(id, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.verify_audit().await.expect("verify").records,
        before + 2
    );
    // Regions: every region with its centroid; an import plan renames and locates.
    let known = store.regions().await.expect("regions");
    let v11_known = known.iter().find(|k| k.region.code == v11).expect("v11");
    assert_eq!(v11_known.centroid, None);
    let plan = minsheng_core::region_import::RegionPlan {
        rename: vec![(
            minsheng_core::region::Region {
                code: v11.clone(),
                name: "新名字社区".into(),
            },
            v11_known.region.name.clone(),
        )],
        locate: vec![(v11.clone(), (36.5, 117.25))],
        ..Default::default()
    };
    store.apply_regions(&plan, &[], None).await.expect("apply");
    let known = store.regions().await.expect("regions");
    let v11_known = known.iter().find(|k| k.region.code == v11).expect("v11");
    assert_eq!(v11_known.region.name, "新名字社区");
    assert_eq!(v11_known.centroid, Some((36.5, 117.25)));

    // Retiring a township retires its villages too and counts the appeals still open
    // there; they stay open. Bringing it back restores the villages.
    let villages = store.villages().await.expect("villages").len();
    let open = store
        .set_region_retired(&t1, true, None)
        .await
        .expect("retire");
    assert!(open > 0, "township 1 has open appeals");
    let known = store.regions().await.expect("regions");
    assert!(
        known
            .iter()
            .filter(|k| k.region.code.is_within(&t1))
            .all(|k| k.retired)
    );
    assert!(store.villages().await.expect("villages").len() < villages);
    assert!(
        store
            .children(&t1.county())
            .await
            .expect("children")
            .iter()
            .all(|r| r.code != t1)
    );
    let again = store
        .set_region_retired(&t1, false, None)
        .await
        .expect("restore");
    assert_eq!(again, open);
    assert_eq!(store.villages().await.expect("villages").len(), villages);

    search(store.as_ref(), (&v11, &v21), (zjj.id, slj.id)).await;
    alerts(store.as_ref(), (&v11, &v21), zjj.id).await;
    meetings(store.as_ref(), (zjj.id, slj.id), hid).await;
    outreach(store.as_ref(), (&v11, &v21), hid, &receipts[0]).await;

    // Labels a step adds land once, in its transaction, and are counted by prefix
    // (wildcards in the prefix are only characters).
    assert_eq!(
        store
            .tag_counts(&county_wide, None, "sign:")
            .await
            .expect("tags"),
        [("sign:test".to_owned(), 1)]
    );
    assert!(
        store
            .tag_counts(&county_wide, None, "sign%")
            .await
            .expect("tags")
            .is_empty()
    );
    assert!(
        store
            .tag_counts(&county_wide, Some(&code("370999009000")), "sign:")
            .await
            .expect("tags")
            .is_empty()
    );

    // The figures: kept with every registration and step, they equal a recomputation
    // from the events; a hand edit is found and a rebuild repairs it.
    assert!(store.kpi_built().await.expect("built"));
    let tally = |c: &minsheng_store::OpenCase| {
        kpi::of_history(
            &c.facts,
            &c.history,
            &Policy::default(),
            &Calendar::shipped(),
        )
    };
    let check = store.rebuild_kpi(&tally, false).await.expect("check");
    let appeals = store.counts().await.expect("counts").appeals;
    assert_eq!(
        (check.cases, check.differing, check.written),
        (appeals as u64, 0, false)
    );
    let (from, until) = (
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("day"),
        chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("day"),
    );
    let cells = store.month_cells(from, until, None).await.expect("months");
    let received: i64 = cells
        .iter()
        .map(|c| c.sums.get(kpi::Measure::Received))
        .sum();
    assert_eq!(received, appeals);
    let days = store.day_sums(from, until, None).await.expect("days");
    let by_day: i64 = days
        .iter()
        .map(|(_, s)| s.get(kpi::Measure::Received))
        .sum();
    assert_eq!(by_day, appeals);
    assert!(
        days.windows(2).all(|w| w[0].0 < w[1].0),
        "one row per day, in order"
    );
    let t = kpi::township_of(&v11);
    let here: i64 = store
        .month_cells(from, until, Some(t.as_str()))
        .await
        .expect("township")
        .iter()
        .map(|c| c.sums.get(kpi::Measure::Received))
        .sum();
    assert!(here > 0 && here < appeals, "{here} of {appeals}");
    raw.exec("UPDATE kpi_days SET received = received + 1")
        .await;
    let check = store.rebuild_kpi(&tally, true).await.expect("rebuild");
    assert!(check.differing > 0 && check.written);
    assert_eq!(
        store
            .rebuild_kpi(&tally, false)
            .await
            .expect("check")
            .differing,
        0
    );
    // Open load: every open case of the county once, in the unit that leads it.
    let load = store
        .open_load(&county_wide, None, chrono::Utc::now())
        .await
        .expect("load");
    let open: i64 = load.iter().map(|l| l.open).sum();
    let listed = store
        .list_appeals(
            &ListScope::Visible(county_wide.clone()),
            &InboxFilter::default(),
            1,
            1,
        )
        .await
        .expect("list")
        .total;
    assert!(open > 0 && open <= listed, "{open} of {listed}");
    assert!(
        load.iter()
            .all(|l| l.overdue <= l.open && l.backlog <= l.open)
    );

    // Uploaded calendars are kept whole, oldest first.
    assert!(store.calendar_files().await.expect("calendars").is_empty());
    store
        .add_calendar_file("year 2031\n", None)
        .await
        .expect("upload");
    store
        .add_calendar_file("year 2032\n", None)
        .await
        .expect("upload");
    assert_eq!(
        store.calendar_files().await.expect("calendars"),
        ["year 2031\n", "year 2032\n"]
    );

    // The audit chain holds, and any hand edit or deletion breaks it.
    let report = store.verify_audit().await.expect("verify");
    assert!(report.first_bad.is_none(), "{report:?}");
    assert!(report.records > 20);
    raw.exec("UPDATE audit_log SET data = replace(data, 'gongshui', 'gongre') WHERE action = 'appeal.receive'").await;
    let report = store.verify_audit().await.expect("verify");
    let (seq, why) = report.first_bad.expect("tampering found");
    assert!(why.contains("hash"), "{why}");
    assert!(seq > 1);
    raw.exec(&format!("DELETE FROM audit_log WHERE seq > {}", seq - 1))
        .await;
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad.map(|b| b.0), Some(seq));
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("minsheng-story-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let file = dir.join("story.db");
    let _ = std::fs::remove_file(&file);
    let url = format!("sqlite://{}", file.display());
    let store = minsheng_store::open(&url, keyring())
        .await
        .expect("open sqlite");
    story(store.clone(), Raw::Sqlite(url)).await;
    drop(store);
    // Personal data is not in the file or its WAL in plain text.
    for name in ["story.db", "story.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            for secret in [
                "13800138000",
                "11010519491231002X",
                "张三丰",
                "临河县建设路18号",
                "王建国",
            ] {
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "{secret} found in plain text in {name}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn story_on_postgres() {
    let Ok(base) = std::env::var("MINSHENG_TEST_PG_URL") else {
        eprintln!("MINSHENG_TEST_PG_URL is not set: the PostgreSQL story did not run");
        assert!(
            std::env::var("CI").is_err(),
            "CI must set MINSHENG_TEST_PG_URL"
        );
        return;
    };
    let schema = format!("story_{}_{}", std::process::id(), rand_suffix());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to MINSHENG_TEST_PG_URL={base}: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = minsheng_store::open(&url, keyring())
        .await
        .expect("open postgres");
    story(store, Raw::Pg(url)).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop");
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    u64::from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    )
}

/// Full-text search: the same segmented terms answered by FTS5 and by tsvector, ranked,
/// inside the scope and the other filters, never failing on what is typed.
async fn search(
    store: &dyn Store,
    (here, there): (&RegionCode, &RegionCode),
    (zjj, slj): (i64, i64),
) {
    let words = minsheng_text::Segmenter::new().with_words(["王家庄村", "李官屯村"]);
    let write = |village: &RegionCode, category: &str, title: &str, text: &str, unit: i64| {
        let mut a = appeal(village, category, 1, None);
        a.title = title.into();
        a.text = text.into();
        a.address = None;
        let mut r = registration(a, ("x", unit));
        r.index_terms = words.index_terms(&format!("{title}\n{text}"));
        r
    };
    let regs = vec![
        write(
            here,
            "gongre",
            "屋里冷",
            "锅炉房说暖气片坏了，家里只有十二度，老人冻病了",
            zjj,
        ),
        write(
            here,
            "gongre",
            "暖气不热",
            "暖气不热暖气不热，暖气一直不热",
            zjj,
        ),
        write(there, "gongre", "暖气不热", "李官屯村东头暖气也不热", zjj),
        write(here, "gongshui", "停水", "王家庄村停水三天，水管爆了", slj),
    ];
    let receipts = stored(&store.register_appeals(&regs).await.expect("register"));
    let everywhere = ListScope::Visible(Scope {
        regions: vec![here.county()],
        units: vec![],
        above: Vec::new(),
    });
    let find = |typed: &str, filter: InboxFilter, scope: ListScope| {
        let q = words.query(typed);
        let typed = typed.to_owned();
        async move {
            let filter = InboxFilter {
                text: Some(q),
                ..filter
            };
            store
                .list_appeals(&scope, &filter, 1, 50)
                .await
                .unwrap_or_else(|e| panic!("{typed}: {e}"))
        }
    };
    let nos = |page: &minsheng_store::Page<minsheng_store::AppealSummary>| {
        page.items.iter().map(|a| a.no.clone()).collect::<Vec<_>>()
    };
    let heat = find("暖气 不热", InboxFilter::default(), everywhere.clone()).await;
    assert_eq!(heat.total, 2, "both words needed: {:?}", nos(&heat));
    assert_eq!(
        nos(&heat)[0],
        receipts[1].no,
        "the fullest match ranks first"
    );
    assert!(
        heat.items
            .iter()
            .all(|a| a.excerpt.as_deref().is_some_and(|t| t.contains("暖气")))
    );
    // A word inside a longer one (暖气 in 暖气片), a lone character as a prefix, a
    // place name's stem.
    assert_eq!(
        find("暖气", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        3
    );
    assert_eq!(
        find("水", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        1
    );
    assert_eq!(
        find("李官屯", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        1
    );
    // The other filters and the scope apply inside the search.
    let in_water = InboxFilter {
        category: Some("gongshui".into()),
        ..InboxFilter::default()
    };
    assert_eq!(find("暖气", in_water, everywhere.clone()).await.total, 0);
    let elsewhere = ListScope::Visible(Scope {
        regions: vec![there.clone()],
        units: vec![],
        above: Vec::new(),
    });
    assert_eq!(
        find("暖气", InboxFilter::default(), elsewhere).await.total,
        1
    );
    assert_eq!(
        find("暖气", InboxFilter::default(), ListScope::Unit(slj))
            .await
            .total,
        0
    );
    // Whatever is typed, nothing fails; only punctuation matches nothing.
    for typed in [
        "\"",
        "暖气\" OR \"",
        "NEAR(暖气 停水)",
        "'; DROP TABLE appeals; --",
        "*",
        "暖气 -不热",
        "a:b & c | !d",
        "！？。",
    ] {
        find(typed, InboxFilter::default(), everywhere.clone()).await;
    }
    assert_eq!(
        find("！？。", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        0
    );
    // A reply is found once indexed again; older appeals are found by the backlog.
    let id = heat.items[0].id;
    assert_eq!(
        find("换热站", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        0
    );
    let mut source = store.index_source(id).await.expect("source");
    source.replies.push("已联系换热站维修".into());
    store
        .index_appeals(&[(id, words.index_terms(&source.joined()))])
        .await
        .expect("reindex");
    assert_eq!(
        find("换热站", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        1
    );
    assert_eq!(
        find("暖气 不热", InboxFilter::default(), everywhere.clone())
            .await
            .total,
        2,
        "replaced, not added"
    );
    assert!(
        store
            .unindexed_appeals(0, 10_000)
            .await
            .expect("backlog")
            .is_empty()
    );
    store.clear_search_index().await.expect("clear");
    let backlog = store.unindexed_appeals(0, 10_000).await.expect("backlog");
    assert!(backlog.len() >= receipts.len());
    assert!(backlog.windows(2).all(|w| w[0].id < w[1].id));
    let rows: Vec<(i64, Vec<String>)> = backlog
        .iter()
        .map(|s| (s.id, words.index_terms(&s.joined())))
        .collect();
    store.index_appeals(&rows).await.expect("index backlog");
    assert_eq!(
        find("李官屯 暖气", InboxFilter::default(), everywhere)
            .await
            .total,
        1
    );
}

/// Alerts are raised in the transaction that registers their appeals: one per
/// threatening or collective appeal, an appellant's repeats gathered into one; the
/// board shows only what the scope allows; a resolved alert stays resolved.
async fn alerts(store: &dyn Store, (here, there): (&RegionCode, &RegionCode), zjj: i64) {
    use minsheng_core::alerts::{AlertLevel, AlertRule, AlertState, Signal};
    use minsheng_store::{AlertChange, AlertFilter};
    let county = Scope {
        regions: vec![here.county()],
        units: vec![],
        above: Vec::new(),
    };
    let before = store
        .alerts(&county, &AlertFilter::default(), 1, 200)
        .await
        .expect("alerts")
        .total;
    let with = |village: &RegionCode, phone: Option<&str>, signals: Vec<Signal>, days_ago: i64| {
        let mut r = registration(appeal(village, "laodong", days_ago, phone), ("x", zjj));
        r.signals = signals;
        r
    };
    let life = vec![Signal::Life {
        phrase: "跳楼".into(),
        suspected: false,
    }];
    let group = vec![Signal::Group { headcount: 30 }];
    let few = vec![Signal::Group { headcount: 2 }];
    let got = stored(
        &store
            .register_appeals(&[
                with(here, None, life, 0),
                with(there, None, group, 0),
                with(there, None, few, 0),
                with(here, Some("13912345678"), vec![], 20),
                with(here, Some("13912345678"), vec![], 10),
            ])
            .await
            .expect("register"),
    );
    let active = AlertFilter {
        active_only: true,
        ..AlertFilter::default()
    };
    let page = store
        .alerts(&county, &active, 1, 200)
        .await
        .expect("alerts");
    let new: Vec<_> = page
        .items
        .iter()
        .filter(|a| a.raised_at >= minsheng_store::now() - Duration::minutes(5))
        .collect();
    assert_eq!(
        page.total - before,
        2,
        "life and a group of 30; two people and two appeals of one phone raise nothing: {new:?}"
    );
    assert_eq!(page.items[0].rule, AlertRule::LifeSafety, "red first");
    assert_eq!(page.items[0].level, AlertLevel::Red);
    let life_alert = page.items[0].id;
    let members = store
        .alert_members(&[life_alert], &county)
        .await
        .expect("members");
    assert_eq!(
        members.iter().map(|m| m.2.clone()).collect::<Vec<_>>(),
        [got[0].no.clone()]
    );
    let listed = store
        .list_appeals(
            &ListScope::Visible(county.clone()),
            &InboxFilter {
                alert: Some(life_alert),
                ..InboxFilter::default()
            },
            1,
            10,
        )
        .await
        .expect("list");
    assert_eq!(listed.items[0].risk.as_deref(), Some("life"));
    // The third appeal of one phone within 30 days raises a repeat alert naming all
    // three; the fourth joins it.
    store
        .register_appeals(&[with(here, Some("13912345678"), vec![], 1)])
        .await
        .expect("third");
    store
        .register_appeals(&[with(there, Some("13912345678"), vec![], 0)])
        .await
        .expect("fourth");
    let repeats = store
        .alerts(
            &county,
            &AlertFilter {
                rule: Some(AlertRule::Repeat),
                ..AlertFilter::default()
            },
            1,
            10,
        )
        .await
        .expect("repeats");
    assert_eq!(repeats.total, 1);
    assert_eq!(repeats.items[0].members, 4);
    assert_eq!(
        repeats.items[0].signal,
        Signal::Repeat { count: 4, days: 30 }
    );
    // A township's head sees the alert and only their own township's members.
    let only_there = Scope {
        regions: vec![there.clone()],
        units: vec![],
        above: Vec::new(),
    };
    let seen = store
        .alert_members(&[repeats.items[0].id], &only_there)
        .await
        .expect("members");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let life_there = store
        .alerts(
            &only_there,
            &AlertFilter {
                id: Some(life_alert),
                ..AlertFilter::default()
            },
            1,
            10,
        )
        .await
        .expect("scoped");
    assert_eq!(
        life_there.total, 0,
        "an alert outside the scope does not exist"
    );
    // Taken, resolved, and then it stays resolved.
    store
        .change_alert(
            life_alert,
            &AlertChange::Take {
                unit_id: Some(zjj),
                leader_id: None,
            },
            1,
        )
        .await
        .expect("take");
    store
        .change_alert(
            life_alert,
            &AlertChange::Resolve {
                outcome: "已上门稳控，当事人情绪平稳".into(),
            },
            1,
        )
        .await
        .expect("resolve");
    let after = store
        .alerts(
            &county,
            &AlertFilter {
                id: Some(life_alert),
                ..AlertFilter::default()
            },
            1,
            1,
        )
        .await
        .expect("alert");
    assert_eq!(after.items[0].state, AlertState::Resolved);
    assert_eq!(after.items[0].unit_id, Some(zjj));
    assert!(matches!(
        store
            .change_alert(life_alert, &AlertChange::Escalate, 1)
            .await,
        Err(StoreError::NotFound)
    ));
    let report = store.verify_audit().await.expect("verify");
    assert!(report.first_bad.is_none(), "{report:?}");
}

/// Joint meetings on either engine: members, agenda (an alert put before one stands
/// escalated), minutes, action items overdue and closed once; every step audited.
async fn meetings(store: &dyn Store, (zjj, slj): (i64, i64), convener: i64) {
    use minsheng_core::meeting::{ActionState, NewAction, NewMeeting};
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("day");
    let audit_before = store.verify_audit().await.expect("verify").records;
    let id = store
        .create_meeting(
            &NewMeeting {
                title: "供暖问题联席会议".into(),
                held_on: day,
                members: vec![zjj],
            },
            convener,
        )
        .await
        .expect("create");
    let mine = store.meetings(Some((zjj, 0)), 1, 10).await.expect("list");
    assert!(
        mine.items
            .iter()
            .any(|m| m.id == id && m.members == vec![zjj])
    );
    let theirs = store.meetings(Some((slj, 0)), 1, 10).await.expect("list");
    assert!(!theirs.items.iter().any(|m| m.id == id), "not a member");
    let county = Scope {
        regions: vec![code("370999000000")],
        units: vec![],
        above: Vec::new(),
    };
    let alert = store
        .alerts(
            &county,
            &minsheng_store::AlertFilter {
                active_only: true,
                ..Default::default()
            },
            1,
            1,
        )
        .await
        .expect("alerts")
        .items
        .first()
        .map(|a| a.id);
    store
        .add_agenda(id, alert, None, "小区集中反映暖气不热", convener)
        .await
        .expect("agenda");
    if let Some(a) = alert {
        let after = store
            .alerts(
                &county,
                &minsheng_store::AlertFilter {
                    id: Some(a),
                    ..Default::default()
                },
                1,
                1,
            )
            .await
            .expect("alert");
        assert_eq!(
            after.items[0].state,
            minsheng_core::alerts::AlertState::Escalated
        );
    }
    store
        .record_minutes(id, "住建局张局长", "研究了供暖问题", convener)
        .await
        .expect("minutes");
    let due = minsheng_core::clock::end_of_day(day + chrono::Duration::days(1));
    let action = store
        .add_action(
            id,
            &NewAction {
                decision: "排查管网".into(),
                owner: slj,
                due,
            },
            convener,
        )
        .await
        .expect("action");
    // An owner that is not a member sees the meeting through its item.
    let theirs = store.meetings(Some((slj, 0)), 1, 10).await.expect("list");
    assert!(
        theirs
            .items
            .iter()
            .any(|m| m.id == id && m.open_actions == 1)
    );
    let detail = store.meeting(id).await.expect("detail");
    assert_eq!(detail.agenda.len(), 1);
    assert_eq!(detail.meeting.minutes, "研究了供暖问题");
    assert_eq!(detail.actions[0].due_at, due);
    let now = minsheng_store::now();
    let late = store
        .overdue_actions(now, Some(slj))
        .await
        .expect("overdue");
    assert!(late.iter().any(|a| a.id == action));
    assert!(
        store
            .overdue_actions(now, Some(zjj))
            .await
            .expect("overdue")
            .iter()
            .all(|a| a.id != action)
    );
    store
        .close_action(action, "已排查", convener)
        .await
        .expect("close");
    assert!(matches!(
        store.close_action(action, "再办一次", convener).await,
        Err(minsheng_store::StoreError::NotFound)
    ));
    let closed = store.action(action).await.expect("action");
    assert_eq!(
        (closed.state, closed.result.as_deref()),
        (ActionState::Done, Some("已排查"))
    );
    assert!(
        store
            .overdue_actions(now, None)
            .await
            .expect("overdue")
            .iter()
            .all(|a| a.id != action)
    );
    let report = store.verify_audit().await.expect("verify");
    assert!(report.records >= audit_before + 5, "each step audited");
}

/// The registers of going to the people, on both engines: contacts, reception days,
/// field visits with their cases, screening and the risk register with sealed parties,
/// mediation records, consultations and the county's settings; every change audited.
async fn outreach(
    store: &dyn Store,
    (here, there): (&RegionCode, &RegionCode),
    staff: i64,
    case: &Receipt,
) {
    use minsheng_core::outreach::{
        DisputeKind, DisputeState, FollowUp, MediationOutcome, NewConsultation, NewContact,
        NewDispute, NewMediation, NewReception, NewScreening, NewVisit, PlaceKind, Risk,
        VisitState,
    };
    use minsheng_store::{DisputeFilter, MediationRecord, StoreError, VisitFilter};
    let audit_before = store.verify_audit().await.expect("verify").records;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");

    // Contacts: one place, one cadre; ended, gone.
    let contact = store
        .add_contact(
            &NewContact {
                kind: PlaceKind::Community,
                region: here.clone(),
                name: "幸福社区".into(),
                staff,
            },
            staff,
        )
        .await
        .expect("contact");
    let at_here = store.contacts(Some(here)).await.expect("contacts");
    assert_eq!(at_here.len(), 1);
    assert_eq!(
        (at_here[0].staff_id, at_here[0].kind),
        (staff, PlaceKind::Community)
    );
    assert!(
        store
            .contacts(Some(there))
            .await
            .expect("contacts")
            .is_empty()
    );
    store.end_contact(contact, staff).await.expect("end");
    assert!(
        store
            .contacts(None)
            .await
            .expect("contacts")
            .iter()
            .all(|c| c.id != contact)
    );
    assert!(matches!(
        store.end_contact(contact, staff).await,
        Err(StoreError::NotFound)
    ));

    // A reception day.
    let starts_at = Utc
        .with_ymd_and_hms(2026, 12, 8, 1, 0, 0)
        .single()
        .expect("t");
    let reception = store
        .add_reception(
            &NewReception {
                leader: staff,
                starts_at,
                ends_at: starts_at + chrono::Duration::hours(3),
                place: "县信访局接待大厅".into(),
                topic: "征地拆迁".into(),
            },
            staff,
        )
        .await
        .expect("reception");
    let upcoming = store
        .receptions(starts_at - chrono::Duration::days(1), 10)
        .await
        .expect("list");
    assert!(
        upcoming
            .iter()
            .any(|r| r.id == reception && r.visitors == 0)
    );
    assert!(
        store
            .receptions(starts_at + chrono::Duration::days(1), 10)
            .await
            .expect("list")
            .iter()
            .all(|r| r.id != reception)
    );
    assert_eq!(
        store.reception(reception).await.expect("one").place,
        "县信访局接待大厅"
    );

    // A field visit that settled a case; re-saved as a plan, its cases go.
    let visit = NewVisit {
        region: here.clone(),
        on: day,
        purpose: "走访供暖困难户".into(),
        people: "社区两委".into(),
        notes: "现场协调".into(),
        cases: vec![case.no.clone()],
        resolved: vec![case.no.clone()],
        state: VisitState::Done,
    };
    let v = store
        .save_visit(None, &visit, &[(case.id, true)], staff)
        .await
        .expect("visit");
    let listed = store
        .visits(
            &VisitFilter {
                areas: vec![here.parent().expect("township")],
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .expect("visits");
    assert_eq!(
        listed
            .items
            .iter()
            .find(|x| x.id == v)
            .map(|x| x.cases.clone()),
        Some(vec![(case.no.clone(), true)])
    );
    assert!(
        store
            .visits(
                &VisitFilter {
                    areas: vec![there.clone()],
                    ..Default::default()
                },
                1,
                10
            )
            .await
            .expect("visits")
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .visits_of_appeal(case.id)
            .await
            .expect("of appeal")
            .len(),
        1
    );
    assert_eq!(
        store
            .settled_on_visits(day, day, &[])
            .await
            .expect("settled"),
        1
    );
    assert_eq!(
        store
            .settled_on_visits(day, day, std::slice::from_ref(there))
            .await
            .expect("settled"),
        0
    );
    let plan = NewVisit {
        state: VisitState::Planned,
        cases: Vec::new(),
        resolved: Vec::new(),
        ..visit
    };
    store
        .save_visit(Some(v), &plan, &[], staff)
        .await
        .expect("update");
    assert!(store.visit(v).await.expect("visit").cases.is_empty());
    assert_eq!(
        store
            .settled_on_visits(day, day, &[])
            .await
            .expect("settled"),
        0
    );
    assert!(matches!(
        store.save_visit(Some(999_999), &plan, &[], staff).await,
        Err(StoreError::NotFound)
    ));

    // Screening: a dispute reported, its parties sealed and masked; followed up,
    // settled, and its parties read only with a reason, on record.
    let screening = store
        .add_screening(
            &NewScreening {
                title: "冬季矛盾纠纷大排查".into(),
                from: day,
                to: day + chrono::Duration::days(30),
                region: here.parent().expect("t"),
            },
            staff,
        )
        .await
        .expect("screening");
    let dispute = store
        .report_dispute(
            &NewDispute {
                screening: Some(screening),
                region: here.clone(),
                kind: DisputeKind::Land,
                risk: Risk::High,
                parties: "王建国（村民）、李大山（村民）".into(),
                summary: "宅基地边界争执".into(),
            },
            staff,
        )
        .await
        .expect("dispute");
    let register = store
        .disputes(&DisputeFilter::default(), 1, 10)
        .await
        .expect("register");
    let d = register
        .items
        .iter()
        .find(|d| d.id == dispute)
        .expect("listed");
    assert_eq!(d.parties_mask, "王**（村民）、李**（村民）");
    assert_eq!(
        store.screenings(&[]).await.expect("screenings")[0].high_open,
        1
    );
    // Counted only in the areas asked for.
    assert_eq!(
        store
            .screenings(std::slice::from_ref(there))
            .await
            .expect("screenings")[0]
            .high_open,
        0
    );
    store
        .follow_up(
            dispute,
            &FollowUp {
                note: "双方达成谅解".into(),
                risk: Risk::Low,
                state: DisputeState::Resolved,
            },
            staff,
        )
        .await
        .expect("follow up");
    assert!(
        store
            .disputes(&DisputeFilter::default(), 1, 10)
            .await
            .expect("register")
            .items
            .iter()
            .all(|d| d.id != dispute)
    );
    let settled = DisputeFilter {
        state: Some(DisputeState::Resolved),
        ..Default::default()
    };
    assert_eq!(
        store
            .disputes(&settled, 1, 10)
            .await
            .expect("register")
            .total,
        1
    );
    assert_eq!(
        store
            .reveal_parties(dispute, staff, "调解需要")
            .await
            .expect("reveal"),
        "王建国（村民）、李大山（村民）"
    );
    assert!(store.reveal_parties(999_999, staff, "x").await.is_err());

    // A mediation record of it, for the case too.
    let m = store
        .record_mediation(
            &MediationRecord {
                record: NewMediation {
                    dispute: Some(dispute),
                    appeal: Some(case.no.clone()),
                    mediator: staff,
                    held_on: day,
                    parties: "王建国、李大山".into(),
                    agreement: "各退半米".into(),
                    outcome: MediationOutcome::Agreed,
                    follow_up_on: Some(day + chrono::Duration::days(30)),
                    judicial: true,
                },
                appeal_id: Some(case.id),
                region: here.clone(),
            },
            staff,
        )
        .await
        .expect("mediation");
    let (_, notes, mediations) = store.dispute(dispute).await.expect("dispute");
    assert_eq!(notes.len(), 1);
    assert_eq!(
        mediations
            .iter()
            .map(|x| (x.id, x.judicial))
            .collect::<Vec<_>>(),
        [(m, true)]
    );
    assert_eq!(
        store
            .mediations(&[], Some(case.id), 1, 10)
            .await
            .expect("of case")
            .items[0]
            .appeal_no,
        Some(case.no.clone())
    );
    // Listed in its own area only.
    assert_eq!(
        store
            .mediations(std::slice::from_ref(there), None, 1, 10)
            .await
            .expect("there")
            .total,
        0
    );
    assert_eq!(
        store
            .mediations(std::slice::from_ref(here), None, 1, 10)
            .await
            .expect("here")
            .total,
        1
    );
    assert!(matches!(
        store
            .follow_up(
                999_999,
                &FollowUp {
                    note: "再跟进".into(),
                    risk: Risk::Low,
                    state: DisputeState::Following
                },
                staff
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // A consultation with two opinions and a response.
    let c = store
        .add_consultation(
            &NewConsultation {
                title: "老旧小区加装电梯方案".into(),
                proposal: "拟对12个小区加装电梯".into(),
                opens: day,
                closes: day + chrono::Duration::days(14),
            },
            staff,
        )
        .await
        .expect("consultation");
    store
        .add_opinion(c, "建议照顾一楼住户")
        .await
        .expect("opinion");
    store.add_opinion(c, "支持").await.expect("opinion");
    assert_eq!(store.consultation(c).await.expect("one").opinions, 2);
    assert_eq!(
        store.opinions(c).await.expect("opinions")[0].1,
        "建议照顾一楼住户"
    );
    store
        .respond(c, "采纳一楼住户补偿建议", staff)
        .await
        .expect("respond");
    assert!(
        store
            .consultation(c)
            .await
            .expect("one")
            .responded_at
            .is_some()
    );
    assert!(matches!(
        store.respond(999_999, "x", staff).await,
        Err(StoreError::NotFound)
    ));

    // Settings: set, read, set again.
    assert_eq!(store.setting("ranking_weights").await.expect("read"), None);
    store
        .set_setting("ranking_weights", "[1]", staff)
        .await
        .expect("set");
    store
        .set_setting("ranking_weights", "[2]", staff)
        .await
        .expect("set");
    assert_eq!(
        store
            .setting("ranking_weights")
            .await
            .expect("read")
            .as_deref(),
        Some("[2]")
    );

    // Every change above is one audit record (the reveal too); the chain holds.
    let report = store.verify_audit().await.expect("verify");
    assert!(report.first_bad.is_none());
    assert_eq!(report.records, audit_before + 16);
}
