//! The demo county: a fictional county with townships, villages, units, staff and a
//! year of appeals in realistic Chinese, deterministic for a given seed and end day.
//!
//! Four situations from a county's mass-work history are planted and tagged, so that
//! later features (clustering, early warning, hard cases) have ground truth to find:
//! `demo:heating` (a winter heating-renovation delay in a few communities),
//! `demo:fluoride` (high-fluoride drinking water across a cluster of villages),
//! `demo:land` (land-requisition and relocation disputes) and `demo:wages` (wage
//! arrears at one enterprise).

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_app::App;
use minsheng_core::appellant::{Appellant, IdNumber, Phone};
use minsheng_core::clock::china;
use minsheng_core::clock::{Calendar, end_of_day};
use minsheng_core::intake::{MAX_TITLE_CHARS, NewAppeal};
use minsheng_core::region::{Region, RegionCode};
use minsheng_core::routing::route;
use minsheng_core::staff::Role;
use minsheng_core::staff::Scope;
use minsheng_core::unit::{NewUnit, UnitKind};
use minsheng_core::workflow::{
    Actor, Case, CaseFacts, Command, LegalChannel, Opening, Policy, Rating, ReturnReason, Solved,
    State, Track, decide, open_case,
};
use minsheng_core::{AppealKind, Channel};
use minsheng_store::{NewStaff, Registration};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-2026";
const VILLAGES_PER_TOWNSHIP: usize = 22;
/// The demo county's south-west corner (latitude, longitude): a plain in Shandong.
const DEMO_ORIGIN: (f64, f64) = (35.05, 117.2);
const BATCH: usize = 1000;

/// What `demo` makes.
pub struct Options {
    /// Random seed.
    pub seed: u64,
    /// Number of appeals.
    pub appeals: u32,
    /// Last day of the year of appeals; today when `None`.
    pub until: Option<NaiveDate>,
    /// The calendar the demo's clocks run on.
    pub calendar: Calendar,
    /// Leave every case as registered (for benchmarks).
    pub all_open: bool,
}

#[derive(Deserialize)]
struct Corpus {
    county: CountyInfo,
    townships: Vec<Named>,
    village_names: Vec<String>,
    surnames: Vec<String>,
    given_names: Vec<String>,
    roads: Vec<String>,
    residential_compounds: Vec<String>,
    enterprises: Vec<String>,
    texts: BTreeMap<String, Vec<Entry>>,
    situations: BTreeMap<String, Vec<Entry>>,
}

#[derive(Deserialize)]
struct CountyInfo {
    name: String,
    code: String,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Entry {
    kind: String,
    title: String,
    text: String,
}

/// Background category weights: roughly how a county's hotline year divides.
const WEIGHTS: &[(&str, u32)] = &[
    ("chengxiang", 12),
    ("gongre", 6),
    ("gongshui", 6),
    ("gongdian", 6),
    ("tudi", 3),
    ("fangwu", 3),
    ("laodong", 8),
    ("nongye", 6),
    ("shengtai", 7),
    ("jiaotong", 7),
    ("jiaoyu", 6),
    ("yiliao", 6),
    ("shichang", 8),
    ("zhian", 5),
    ("shefa", 3),
    ("zuofeng", 3),
    ("qita", 5),
];

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Hotline, 55),
    (Channel::Web, 20),
    (Channel::Api, 8),
    (Channel::Visit, 7),
    (Channel::Letter, 4),
    (Channel::Mailbox, 4),
    (Channel::Media, 2),
];

fn pick_weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// A planted situation: where, when and how it shows.
struct Situation {
    tag: &'static str,
    corpus_key: &'static str,
    category: &'static str,
    share_per_mille: u32,
    villages: Vec<usize>,
    window: (NaiveDate, NaiveDate),
    channels: &'static [(Channel, u32)],
    group_chance: f64,
}

/// One person who may call more than once.
#[derive(Clone)]
struct Person {
    name: String,
    phone: Phone,
    id_number: Option<IdNumber>,
    home: Option<String>,
}

struct Generator<'a> {
    rng: ChaCha8Rng,
    corpus: &'a Corpus,
    villages: Vec<(Region, String)>,
    people: Vec<Person>,
    start: NaiveDate,
    until: NaiveDate,
    /// No appeal arrives, and no step is taken, later than this.
    horizon: DateTime<Utc>,
}

impl Generator<'_> {
    fn day_in(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        from + Days::new(self.rng.gen_range(0..=span) as u64)
    }

    fn time_on(&mut self, day: NaiveDate) -> DateTime<Utc> {
        let hour = self.rng.gen_range(8..21);
        let minute = self.rng.gen_range(0..60);
        let local = day
            .and_hms_opt(hour, minute, self.rng.gen_range(0..60))
            .unwrap_or_default();
        let at = china()
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        if at <= self.horizon {
            return at;
        }
        // Later today than it is now: some minutes before now instead.
        self.horizon - chrono::Duration::minutes(self.rng.gen_range(1..=180))
    }

    fn fill_in(&mut self, template: &str, village: usize) -> String {
        let (region, township) = &self.villages[village];
        let c = self.corpus;
        let mut out = template
            .replace("{village}", &region.name)
            .replace("{township}", township);
        for (key, list) in [
            ("{road}", &c.roads),
            ("{compound}", &c.residential_compounds),
            ("{enterprise}", &c.enterprises),
        ] {
            while out.contains(key) {
                let v = pick(&mut self.rng, list).clone();
                out = out.replacen(key, &v, 1);
            }
        }
        while out.contains("{n}") {
            let v = self.rng.gen_range(2..=30).to_string();
            out = out.replacen("{n}", &v, 1);
        }
        while out.contains("{month}") {
            let v = self.rng.gen_range(1..=12).to_string();
            out = out.replacen("{month}", &v, 1);
        }
        while out.contains("{amount}") {
            let v = (self.rng.gen_range(8..=120) * 100).to_string();
            out = out.replacen("{amount}", &v, 1);
        }
        out
    }

    fn person(&mut self, with_id: bool) -> Person {
        if !self.people.is_empty() && self.rng.gen_bool(0.1) {
            let p = pick(&mut self.rng, &self.people).clone();
            return p;
        }
        let name = format!(
            "{}{}",
            pick(&mut self.rng, &self.corpus.surnames),
            pick(&mut self.rng, &self.corpus.given_names)
        );
        let second = *pick(&mut self.rng, &[3u8, 5, 7, 8, 9]);
        let digits = format!("1{second}{:09}", self.rng.gen_range(0..1_000_000_000u64));
        let phone = Phone::parse(&digits).expect("generated mobile numbers are valid");
        let id_number = with_id.then(|| {
            let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
                + Days::new(self.rng.gen_range(0..20_000));
            let first17 = format!(
                "{}{}{:03}",
                &self.corpus.county.code[..6],
                birth.format("%Y%m%d"),
                self.rng.gen_range(0..1000)
            );
            let check = IdNumber::check_char(&first17).unwrap_or('0');
            IdNumber::parse(&format!("{first17}{check}")).expect("generated ID numbers are valid")
        });
        let home = with_id.then(|| {
            let v = self.rng.gen_range(0..self.villages.len());
            let (region, township) = &self.villages[v];
            format!(
                "{}{township}{}{}号",
                self.corpus.county.name,
                region.name,
                self.rng.gen_range(1..200)
            )
        });
        let p = Person {
            name,
            phone,
            id_number,
            home,
        };
        self.people.push(p.clone());
        p
    }

    #[allow(clippy::too_many_arguments)]
    fn appeal(
        &mut self,
        entry_key: (&str, bool),
        category: &str,
        village: usize,
        day: NaiveDate,
        channel: Channel,
        group_chance: f64,
    ) -> Result<NewAppeal> {
        let (key, situation) = entry_key;
        let entries = if situation {
            &self.corpus.situations
        } else {
            &self.corpus.texts
        };
        let list = entries
            .get(key)
            .with_context(|| format!("demo corpus has no texts for {key}"))?;
        let entry = &list[self.rng.gen_range(0..list.len())];
        let kind = AppealKind::from_name(&entry.kind).unwrap_or(AppealKind::Help);
        let title: String = self
            .fill_in(&entry.title, village)
            .chars()
            .take(MAX_TITLE_CHARS)
            .collect();
        let text = self.fill_in(&entry.text, village);
        let formal =
            matches!(channel, Channel::Visit | Channel::Letter) || kind == AppealKind::Petition;
        let anonymous = !formal && self.rng.gen_bool(0.15);
        let appellant = if anonymous {
            Appellant::anonymous()
        } else {
            let p = self.person(formal);
            let group = self.rng.gen_bool(group_chance);
            let representatives = if group {
                (0..2)
                    .map(|_| {
                        format!(
                            "{}{}",
                            pick(&mut self.rng, &self.corpus.surnames),
                            pick(&mut self.rng, &self.corpus.given_names)
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Appellant {
                name: Some(p.name),
                phone: Some(p.phone),
                id_number: p.id_number,
                address: p.home,
                headcount: if group { self.rng.gen_range(5..40) } else { 1 },
                representatives,
            }
        };
        let address = self.rng.gen_bool(0.5).then(|| {
            format!(
                "{}{}号",
                pick(&mut self.rng, &self.corpus.roads),
                self.rng.gen_range(1..300)
            )
        });
        let received_at = self.time_on(day);
        let appeal = NewAppeal {
            channel,
            kind,
            category: category.to_owned(),
            title,
            text,
            region: self.villages[village].0.code.clone(),
            address,
            location: None,
            appellant,
            received_at,
            attachments: Vec::new(),
            answers: Vec::new(),
            // About a third agree that the reply may be published.
            publish_consent: received_at.timestamp() % 3 == 0,
            submission_key: None,
        };
        Ok(appeal)
    }
}

/// Who acts on the demo's cases.
#[derive(Default)]
struct Staffing {
    by_name: BTreeMap<String, i64>,
    /// Unit id → (handler, head).
    unit_staff: BTreeMap<i64, (i64, i64)>,
}

impl Staffing {
    fn id(&self, username: &str) -> i64 {
        self.by_name.get(username).copied().unwrap_or_default()
    }
}

/// Plays a case forward from its registration to `until` the way a county's offices
/// would: most orders signed for and answered in time, some late, a few returned,
/// unsatisfied or supervised; petitions accepted, answered, sometimes reviewed. Every
/// step goes through the workflow's own `decide`, so the demo holds only legal histories.
#[allow(clippy::too_many_arguments)]
fn simulate(
    rng: &mut ChaCha8Rng,
    facts: &CaseFacts,
    people: &Staffing,
    county: &Scope,
    until: DateTime<Utc>,
    policy: &Policy,
    calendar: &Calendar,
) -> Opening {
    let (policy, calendar) = (policy, calendar);
    let mut opening = open_case(facts, policy, calendar);
    let mut case = Case::new(facts, policy);
    for e in &opening.steps {
        case.apply(e, policy, calendar);
    }
    let actor = |id: i64, unit: i64, roles: &[Role]| Actor {
        id,
        unit_id: unit,
        roles: roles.to_vec(),
        scope: county.clone(),
    };
    let mut at = facts.received_at;
    for _ in 0..12 {
        let lead = case.lead.unwrap_or_default();
        let (handler, head) = people.unit_staff.get(&lead).copied().unwrap_or_default();
        let as_handler = actor(handler, lead, &[Role::Handler]);
        let as_head = actor(head, lead, &[Role::UnitHead, Role::Handler]);
        let as_centre = actor(people.id("dispatcher1"), 0, &[Role::Dispatcher]);
        let as_caller = actor(people.id("callcenter1"), 0, &[Role::CallTaker]);
        let as_leader = actor(people.id("leader1"), 0, &[Role::Leader]);
        let as_supervisor = actor(people.id("supervisor1"), 0, &[Role::Supervisor]);
        let hours = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| {
            chrono::Duration::hours(rng.gen_range(lo..=hi))
        };
        let text = |s: &str| s.to_owned();
        let (delay, who, command) = match (case.track, case.state) {
            (Track::WorkOrder, State::Dispatched) => {
                if rng.gen_bool(0.04) {
                    (
                        hours(rng, 1, 3),
                        as_handler,
                        Command::Return {
                            reason: ReturnReason::WrongPlace,
                            note: text("经核实不属于本单位职责范围"),
                        },
                    )
                } else {
                    (hours(rng, 1, 30), as_handler, Command::SignFor)
                }
            }
            (Track::WorkOrder, State::Returned) => (hours(rng, 2, 20), as_centre, Command::Rule),
            (Track::WorkOrder, State::Handling) => {
                if rng.gen_bool(0.03) && case.supervisions.is_empty() {
                    (
                        hours(rng, 24, 96),
                        as_supervisor,
                        Command::Supervise {
                            note: text("请加快办理并按时答复群众"),
                            days: 2,
                        },
                    )
                } else {
                    (
                        hours(rng, 20, 200),
                        as_handler,
                        Command::Reply {
                            text: pick(rng, &ORDER_REPLIES).to_string(),
                            call_back: None,
                        },
                    )
                }
            }
            (Track::WorkOrder, State::Answered) => {
                let rating = *pick_weighted(
                    rng,
                    &[
                        (Rating::Satisfied, 70),
                        (Rating::Basic, 15),
                        (Rating::Unsatisfied, 15),
                    ],
                );
                // Mostly as rated, with the odd polite 满意 on a problem not solved.
                let solved = *pick_weighted(
                    rng,
                    match rating {
                        Rating::Satisfied => &[
                            (Solved::Solved, 90),
                            (Solved::Partly, 8),
                            (Solved::Unsolved, 2),
                        ],
                        Rating::Basic => &[
                            (Solved::Solved, 50),
                            (Solved::Partly, 40),
                            (Solved::Unsolved, 10),
                        ],
                        Rating::Unsatisfied => &[
                            (Solved::Solved, 0),
                            (Solved::Partly, 30),
                            (Solved::Unsolved, 70),
                        ],
                    },
                );
                (
                    hours(rng, 4, 40),
                    as_caller,
                    Command::ReturnVisit {
                        rating,
                        solved: Some(solved),
                        note: text(match rating {
                            Rating::Satisfied => "群众表示满意",
                            Rating::Basic => "群众表示基本满意",
                            Rating::Unsatisfied => "群众表示问题未解决",
                        }),
                        by_appellant: false,
                    },
                )
            }
            (Track::WorkOrder, State::Escalated) => {
                (hours(rng, 24, 120), as_supervisor, Command::Close)
            }
            (Track::Petition, State::Registered) => {
                if rng.gen_bool(0.08) {
                    (
                        hours(rng, 24, 200),
                        as_handler,
                        Command::Decline {
                            reason: text("该事项已依法处理终结，不再受理，可依法申请行政复议"),
                        },
                    )
                } else {
                    (hours(rng, 24, 300), as_handler, Command::Accept)
                }
            }
            (Track::Petition, State::Accepted) => {
                if case.extension_days == 0 && rng.gen_bool(0.1) {
                    (
                        hours(rng, 300, 1000),
                        as_head,
                        Command::Extend {
                            days: 30,
                            reason: text("涉及多个部门，需进一步调查核实"),
                        },
                    )
                } else if case.leader.is_none() && rng.gen_bool(0.05) {
                    (
                        hours(rng, 24, 200),
                        as_leader,
                        Command::AssignLeader {
                            leader: people.id("leader1"),
                        },
                    )
                } else {
                    (
                        hours(rng, 400, 1500),
                        as_handler,
                        Command::Reply {
                            text: pick(rng, &PETITION_REPLIES).to_string(),
                            call_back: None,
                        },
                    )
                }
            }
            (Track::Petition, State::Replied | State::Reviewed) => {
                if rng.gen_bool(0.12) {
                    (hours(rng, 48, 600), as_caller, Command::RequestReview)
                } else {
                    (chrono::Duration::days(32), as_centre, Command::Close)
                }
            }
            (Track::Petition, State::UnderReview | State::UnderReReview) => (
                hours(rng, 100, 700),
                as_leader,
                Command::IssueReview {
                    text: text("经复查，原处理意见适当，予以维持。"),
                },
            ),
            (Track::Legal, State::Registered) => (
                hours(rng, 10, 100),
                as_handler,
                Command::AdviseLegal {
                    channel: LegalChannel::Lawsuit,
                    note: text("该事项属于法院受理范围，请依法向人民法院提起诉讼。"),
                },
            ),
            _ => break,
        };
        at += delay;
        if at > until {
            break;
        }
        match decide(&case, command, &who, policy, calendar, at) {
            Ok(d) => {
                case.apply(&d.event, policy, calendar);
                opening.steps.push(d.event);
            }
            Err(_) => break,
        }
    }
    opening.settle(facts, policy, calendar, until);
    opening
}

/// What units answer work orders in the demo: each a whole answer (what was found,
/// what was done, that the appellant was told).
const ORDER_REPLIES: [&str; 5] = [
    "经现场核查，所反映问题属实，我单位已安排人员到场处理完毕，并已电话告知诉求人处理结果。",
    "已联系诉求人了解具体情况，并到现场进行了维修处理，问题已解决，诉求人表示认可。",
    "经核实，该问题属于我单位职责范围，已完成整改，后续将加强日常巡查，防止问题反复。",
    "已约谈相关责任方，责令其限期整改，现已整改完毕，经复查符合要求，已向诉求人反馈。",
    "经现场查看，已协调物业和社区共同处理，目前恢复正常，已告知诉求人如有反复可再次反映。",
];

/// What units answer petitions with in the demo: finding, decision, and the way to
/// ask for review.
const PETITION_REPLIES: [&str; 3] = [
    "经调查核实，你反映的问题基本属实。我单位已依据相关政策作出处理，责成责任单位在三十日内整改到位，并将整改结果书面告知你。如对本答复不服，可自收到之日起三十日内向上一级行政机关申请复查。",
    "经调查核实，你反映的问题部分属实。对属实部分，我单位已责令相关单位依法补发相关款项；对其余诉求，因缺乏政策依据，不予支持。如对本答复不服，可自收到之日起三十日内申请复查。",
    "经调查核实，你所反映事项已由相关部门依法作出处理决定，处理程序合法、结果适当，我单位予以维持。如对本答复不服，可自收到之日起三十日内向上一级行政机关申请复查。",
];

fn in_heating_season(day: NaiveDate) -> bool {
    use chrono::Datelike;
    let md = (day.month(), day.day());
    md >= (11, 15) || md <= (3, 15)
}

/// Fills an empty database with the demo county.
pub async fn fill(app: &App, options: &Options) -> Result<()> {
    let store = app.store.as_ref();
    let started = std::time::Instant::now();
    let corpus: Corpus = serde_json::from_str(include_str!("../data/demo-corpus.json"))
        .context("the demo corpus is invalid")?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let until = options
        .until
        .unwrap_or_else(|| Utc::now().with_timezone(&china()).date_naive());
    let start = until - Days::new(364);

    // Regions.
    let county_code = RegionCode::parse(&corpus.county.code)
        .map_err(|e| anyhow::anyhow!("demo county code: {e}"))?;
    let county = Region {
        code: county_code.clone(),
        name: corpus.county.name.clone(),
    };
    let template = app.set_up_county(&county).await?;
    let mut names = corpus.village_names.clone();
    names.shuffle(&mut rng);
    let mut regions = Vec::new();
    let mut villages: Vec<(Region, String)> = Vec::new();
    let mut township_villages: Vec<Vec<usize>> = Vec::new();
    let mut grids = Vec::new();
    for (i, t) in corpus.townships.iter().enumerate() {
        let tcode = RegionCode::township(&county_code, (i + 1) as u16);
        regions.push(Region {
            code: tcode.clone(),
            name: t.name.clone(),
        });
        let urban = t.name.ends_with("街道");
        let mut mine = Vec::new();
        for j in 0..VILLAGES_PER_TOWNSHIP {
            let stem = names
                .get(i * VILLAGES_PER_TOWNSHIP + j)
                .context("the demo corpus has too few village names")?;
            let vcode = RegionCode::village(&tcode, (j + 1) as u16);
            let name = format!("{stem}{}", if urban { "社区" } else { "村" });
            if urban {
                for g in 1..=2u16 {
                    grids.push(Region {
                        code: RegionCode::grid(&vcode, g),
                        name: format!("{name}第{g}网格"),
                    });
                }
            }
            mine.push(villages.len());
            villages.push((Region { code: vcode, name }, t.name.clone()));
        }
        township_villages.push(mine);
    }
    regions.extend(villages.iter().map(|(r, _)| r.clone()));
    regions.extend(grids);
    app.add_regions(&regions).await?;
    // Every village a plausible centroid: townships on a grid some 13 km apart, their
    // villages scattered within 4 km of the township's seat (Open311 places a point
    // in the nearest one).
    let columns = (township_villages.len() as f64).sqrt().ceil().max(1.0) as usize;
    let mut located = Vec::new();
    // Its own stream, so the rest of the demo stays what the seed made it before.
    let mut at = ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(311));
    for (i, mine) in township_villages.iter().enumerate() {
        let seat = (
            DEMO_ORIGIN.0 + 0.12 * (i / columns) as f64,
            DEMO_ORIGIN.1 + 0.15 * (i % columns) as f64,
        );
        for &v in mine {
            let lat = seat.0 + at.gen_range(-0.035..0.035);
            let long = seat.1 + at.gen_range(-0.045..0.045);
            let round = |x: f64| (x * 1e5).round() / 1e5;
            located.push((villages[v].0.code.clone(), (round(lat), round(long))));
        }
    }
    store
        .apply_regions(
            &minsheng_core::region_import::RegionPlan {
                locate: located,
                ..Default::default()
            },
            &[],
            None,
        )
        .await?;

    // Units: each township's government and its mass-work office.
    let mut units = Vec::new();
    for (i, t) in corpus.townships.iter().enumerate() {
        let key = format!("t{:02}", i + 1);
        let tcode = RegionCode::township(&county_code, (i + 1) as u16);
        let gov = if t.name.ends_with("街道") {
            "办事处"
        } else {
            "人民政府"
        };
        units.push(NewUnit {
            key: key.clone(),
            name: format!("{}{gov}", t.name),
            kind: UnitKind::TownshipGovernment,
            parent_key: None,
            jurisdiction: vec![tcode.clone()],
            contact_phone: None,
        });
        units.push(NewUnit {
            key: format!("{key}.qzgzs"),
            name: format!("{}群众工作室", t.name),
            kind: UnitKind::MassWorkOffice,
            parent_key: Some(key),
            jurisdiction: vec![tcode],
            contact_phone: None,
        });
    }
    app.add_units(&units).await?;

    // Staff: one password hash for all demo accounts (hashing is deliberately slow).
    let hash = minsheng_app::passwords::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut staff: Vec<(String, String, Vec<Role>)> = vec![
        ("admin".into(), "qzgzb".into(), vec![Role::Admin]),
        ("leader1".into(), "qzgzb".into(), vec![Role::Leader]),
        ("supervisor1".into(), "qzgzb".into(), vec![Role::Supervisor]),
        ("dispatcher1".into(), "qzgzb".into(), vec![Role::Dispatcher]),
        ("dispatcher2".into(), "qzgzb".into(), vec![Role::Dispatcher]),
        ("auditor1".into(), "qzgzb".into(), vec![Role::Auditor]),
    ];
    for n in 1..=4 {
        staff.push((
            format!("callcenter{n}"),
            "qzgzb".into(),
            vec![Role::CallTaker],
        ));
    }
    for u in &template.units {
        staff.push((
            format!("{}.handler", u.key),
            u.key.clone(),
            vec![Role::Handler],
        ));
        staff.push((
            format!("{}.head", u.key),
            u.key.clone(),
            vec![Role::UnitHead, Role::Handler],
        ));
    }
    for i in 1..=corpus.townships.len() {
        let key = format!("t{i:02}");
        staff.push((format!("{key}.handler"), key.clone(), vec![Role::Handler]));
        staff.push((
            format!("{key}.head"),
            key.clone(),
            vec![Role::UnitHead, Role::Leader],
        ));
        staff.push((format!("{key}.grid"), key, vec![Role::GridWorker]));
    }
    let mut call_takers = Vec::new();
    let mut people = Staffing::default();
    for (username, unit_key, roles) in &staff {
        let display_name = format!(
            "{}{}",
            pick(&mut rng, &corpus.surnames),
            pick(&mut rng, &corpus.given_names)
        );
        let id = app
            .create_staff_hashed(NewStaff {
                username: username.clone(),
                display_name,
                unit_key: unit_key.clone(),
                roles: roles.clone(),
                password_hash: hash.clone(),
                must_change_password: false,
            })
            .await?;
        if roles.contains(&Role::CallTaker) {
            call_takers.push(id);
        }
        people.by_name.insert(username.clone(), id);
    }
    let units = store.units().await?;
    for u in &units {
        if let (Some(h), Some(d)) = (
            people.by_name.get(&format!("{}.handler", u.key)),
            people.by_name.get(&format!("{}.head", u.key)),
        ) {
            people.unit_staff.insert(u.id, (*h, *d));
        }
    }
    let county_scope = Scope {
        regions: vec![county_code.clone()],
        units: Vec::new(),
        above: Vec::new(),
    };
    let policy = Policy::default();

    // The planted situations.
    let rural: Vec<usize> = corpus
        .townships
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.name.ends_with("街道"))
        .map(|(i, _)| i)
        .collect();
    let (fluoride_town, land_town) = (
        *rural.first().context("the demo needs rural townships")?,
        *rural.get(1).context("the demo needs two rural townships")?,
    );
    let season = {
        use chrono::Datelike;
        let s = NaiveDate::from_ymd_opt(until.year() - 1, 11, 15)
            .unwrap_or(start)
            .max(start);
        (s, (s + Days::new(110)).min(until))
    };
    let situations = [
        Situation {
            tag: "demo:heating",
            corpus_key: "heating",
            category: "gongre",
            share_per_mille: 40,
            villages: township_villages[0][..3].to_vec(),
            window: (season.0, (season.0 + Days::new(45)).min(until)),
            channels: &[
                (Channel::Hotline, 70),
                (Channel::Web, 20),
                (Channel::Api, 10),
            ],
            group_chance: 0.03,
        },
        Situation {
            tag: "demo:fluoride",
            corpus_key: "fluoride",
            category: "gongshui",
            share_per_mille: 15,
            villages: township_villages[fluoride_town][..8].to_vec(),
            window: (start, until),
            channels: &[
                (Channel::Hotline, 40),
                (Channel::Visit, 30),
                (Channel::Letter, 15),
                (Channel::Web, 15),
            ],
            group_chance: 0.2,
        },
        Situation {
            tag: "demo:land",
            corpus_key: "land",
            category: "tudi",
            share_per_mille: 12,
            villages: township_villages[land_town][..4].to_vec(),
            window: (start + Days::new(90), until),
            channels: &[
                (Channel::Visit, 40),
                (Channel::Letter, 20),
                (Channel::Hotline, 40),
            ],
            group_chance: 0.25,
        },
        Situation {
            tag: "demo:wages",
            corpus_key: "wages",
            category: "laodong",
            share_per_mille: 8,
            villages: township_villages[1][..1].to_vec(),
            window: (
                (season.0 + Days::new(30)).min(until),
                (season.0 + Days::new(80)).min(until),
            ),
            channels: &[
                (Channel::Hotline, 60),
                (Channel::Visit, 30),
                (Channel::Web, 10),
            ],
            group_chance: 0.1,
        },
    ];

    let total = options.appeals as usize;
    // Nothing happens later than now, even on the last day.
    let horizon = end_of_day(until).min(Utc::now());
    let mut g = Generator {
        rng,
        corpus: &corpus,
        villages,
        people: Vec::new(),
        start,
        until,
        horizon,
    };
    let mut plan: Vec<Option<usize>> = Vec::with_capacity(total);
    for (i, s) in situations.iter().enumerate() {
        let n = (total * s.share_per_mille as usize).div_ceil(1000);
        plan.extend(std::iter::repeat_n(Some(i), n));
    }
    plan.truncate(total);
    plan.resize(total, None);
    plan.shuffle(&mut g.rng);

    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40.red/white}] {pos}/{len} {per_sec} 剩余 {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("生成诉求 / appeals");
    let categories = store.categories().await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    for slot in plan {
        let (appeal, tags) = match slot {
            Some(i) => {
                let s = &situations[i];
                let village = *pick(&mut g.rng, &s.villages);
                let day = g.day_in(s.window.0, s.window.1);
                let channel = *pick_weighted(&mut g.rng, s.channels);
                let a = g.appeal(
                    (s.corpus_key, true),
                    s.category,
                    village,
                    day,
                    channel,
                    s.group_chance,
                )?;
                *counts.entry(s.tag).or_default() += 1;
                (a, vec![s.tag.to_owned()])
            }
            None => {
                let (from, to) = (g.start, g.until);
                let day = g.day_in(from, to);
                let mut category = *pick_weighted(&mut g.rng, WEIGHTS);
                if category == "gongre" && !in_heating_season(day) {
                    category = "chengxiang";
                }
                let village = g.rng.gen_range(0..g.villages.len());
                let channel = *pick_weighted(&mut g.rng, CHANNELS);
                let a = g.appeal((category, false), category, village, day, channel, 0.01)?;
                (a, Vec::new())
            }
        };
        let accused = minsheng_app::recusal::accused_units(&appeal, &units);
        let routing = route(
            &appeal.category,
            &appeal.region,
            &[],
            &categories,
            &units,
            &accused,
        );
        // An accusation against the category's own unit waits for the dispatch centre.
        anyhow::ensure!(
            routing.lead.is_some() || !routing.accused.is_empty(),
            "category without a unit"
        );
        let facts = CaseFacts::of(&appeal, &routing);
        let opening = if options.all_open {
            open_case(&facts, &policy, &options.calendar)
        } else {
            simulate(
                &mut g.rng,
                &facts,
                &people,
                &county_scope,
                horizon,
                &policy,
                &options.calendar,
            )
        };
        // Signs of a false closure its simulated history shows, as a step would mark them.
        let mut tags = tags;
        tags.extend(
            minsheng_core::closure::signs_of_history(
                &facts,
                &opening.steps,
                &policy,
                &options.calendar,
            )
            .iter()
            .map(|s| s.tag().to_owned()),
        );
        let registered_by = matches!(
            appeal.channel,
            Channel::Hotline | Channel::Visit | Channel::Letter
        )
        .then(|| *pick(&mut g.rng, &call_takers));
        batch.push(Registration {
            routing,
            opening,
            appeal,
            actor_id: registered_by,
            tags,
            external_id: None,
            api_key_id: None,
            index_terms: Vec::new(),
            signals: Vec::new(),
            dispute: None,
            effects: Vec::new(),
        });
        if batch.len() == BATCH {
            bar.inc(batch.len() as u64);
            app.store_registrations(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .await?;
        }
    }
    if !batch.is_empty() {
        bar.inc(batch.len() as u64);
        app.store_registrations(batch).await?;
    }
    bar.finish_and_clear();

    let c = store.counts().await?;
    println!(
        "演示县「{}」已生成 / demo county ready: {} 个区划 regions, {} 个单位 units, {} 名工作人员 staff, {} 件诉求 appeals ({:.1} s)",
        corpus.county.name,
        c.regions,
        c.units,
        c.staff,
        c.appeals,
        started.elapsed().as_secs_f64()
    );
    recluster(app).await?;
    let places: Vec<Region> = g.villages.iter().map(|(r, _)| r.clone()).collect();
    outreach(app, &places, until).await?;
    println!("预置情形 / planted situations (tag → appeals):");
    for s in &situations {
        let places: Vec<&str> = s
            .villages
            .iter()
            .map(|v| g.villages[*v].0.name.as_str())
            .collect();
        println!(
            "  {:<14} {:>5}  {} – {}  {}",
            s.tag,
            counts.get(s.tag).copied().unwrap_or(0),
            s.window.0,
            s.window.1,
            places.join("、")
        );
    }
    Ok(())
}

/// The demo county's side of going to the people, so its pages are not empty: the
/// leader's reception days of the coming four weeks, contact cadres for half the
/// villages, a screening campaign with its disputes (fictional parties), two
/// mediations and two consultations (one answered).
async fn outreach(app: &App, villages: &[Region], today: NaiveDate) -> Result<()> {
    use minsheng_core::outreach::{
        DisputeKind, MediationOutcome, NewConsultation, NewContact, NewDispute, NewMediation,
        NewReception, NewScreening, PlaceKind, Risk,
    };
    let store = app.store.as_ref();
    let id = |name: &'static str| async move {
        store
            .staff_by_username(name)
            .await?
            .map(|(s, _)| s.id)
            .with_context(|| format!("the demo account {name} is missing"))
    };
    let (leader, desk) = (id("leader1").await?, id("dispatcher1").await?);
    let cadres = [leader, id("supervisor1").await?, id("t01.head").await?];
    let at = |day: NaiveDate, h: u32, m: u32| {
        day.and_hms_opt(h, m, 0)
            .and_then(|t| t.and_local_timezone(china()).single())
            .map(|t| t.with_timezone(&Utc))
            .context("a demo time")
    };
    let topics = ["征地拆迁", "冬季供暖", "", "劳资纠纷"];
    for (week, topic) in topics.iter().enumerate() {
        let day = today + Days::new(7 * week as u64 + 1);
        let reception = NewReception {
            leader,
            starts_at: at(day, 9, 0)?,
            ends_at: at(day, 11, 30)?,
            place: "县信访局接待大厅".into(),
            topic: (*topic).into(),
        };
        store.add_reception(&reception, desk).await?;
    }
    for (i, v) in villages.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let kind = if v.name.ends_with("社区") {
            PlaceKind::Community
        } else {
            PlaceKind::Village
        };
        let contact = NewContact {
            kind,
            region: v.code.clone(),
            name: v.name.clone(),
            staff: cadres[i % cadres.len()],
        };
        store.add_contact(&contact, desk).await?;
    }
    let county = villages
        .first()
        .map(|v| v.code.county())
        .context("the demo county has no villages")?;
    let screening = NewScreening {
        title: "冬季矛盾纠纷大排查".into(),
        from: today - Days::new(10),
        to: today + Days::new(20),
        region: county,
    };
    let campaign = store.add_screening(&screening, desk).await?;
    let found = [
        (
            DisputeKind::Land,
            Risk::High,
            "赵立新（村民）、钱有福（村民）",
            "两户因宅基地边界争执多年，近日扬言要动手",
        ),
        (
            DisputeKind::Wages,
            Risk::High,
            "孙建设（包工头）、农民工十余名",
            "工程完工三个月，工资尚未结清，工人商量去县政府讨薪",
        ),
        (
            DisputeKind::Neighbour,
            Risk::Medium,
            "周桂兰、吴振华",
            "楼上漏水泡坏楼下吊顶，协商赔偿不成",
        ),
        (
            DisputeKind::Property,
            Risk::Medium,
            "郑小燕（业主）、小区物业",
            "物业费上涨未公示，部分业主拒交",
        ),
        (
            DisputeKind::Family,
            Risk::Low,
            "王大伟（丈夫）、冯丽（妻子）",
            "赡养老人费用分摊分歧",
        ),
        (
            DisputeKind::Demolition,
            Risk::High,
            "陈德顺（户主）",
            "对拆迁补偿标准不满，拒绝搬迁",
        ),
    ];
    let mut disputes = Vec::new();
    for (i, (kind, risk, parties, summary)) in found.iter().enumerate() {
        let dispute = NewDispute {
            screening: Some(campaign),
            region: villages[(i * 7) % villages.len()].code.clone(),
            kind: *kind,
            risk: *risk,
            parties: (*parties).into(),
            summary: (*summary).into(),
        };
        disputes.push((
            store
                .report_dispute(&dispute, cadres[i % cadres.len()])
                .await?,
            dispute,
        ));
    }
    for (id, d) in disputes.iter().take(2) {
        let record = minsheng_store::MediationRecord {
            record: NewMediation {
                dispute: Some(*id),
                appeal: None,
                mediator: cadres[2],
                held_on: today - Days::new(3),
                parties: d.parties.clone(),
                agreement:
                    "双方同意以村委会1998年丈量记录为准，各让半米，另一方赔偿围墙修缮费800元。"
                        .into(),
                outcome: MediationOutcome::Agreed,
                follow_up_on: Some(today + Days::new(30)),
                judicial: true,
            },
            appeal_id: None,
            region: d.region.clone(),
        };
        store.record_mediation(&record, cadres[2]).await?;
    }
    let open = NewConsultation {
        title: "城关街道老旧小区加装电梯方案".into(),
        proposal: "拟对城关街道建成于2000年以前的12个老旧小区加装电梯，政府补贴工程费用的40%，其余由业主按楼层分摊，一楼住户不分摊。".into(),
        opens: today - Days::new(2),
        closes: today + Days::new(12),
    };
    store.add_consultation(&open, leader).await?;
    let closed = NewConsultation {
        title: "农贸市场搬迁选址".into(),
        proposal: "拟将县城农贸市场由人民路搬迁至城东新区，原址改建停车场。".into(),
        opens: today - Days::new(60),
        closes: today - Days::new(30),
    };
    let c = store.add_consultation(&closed, leader).await?;
    store
        .add_opinion(c, "新址离老城区太远，建议开通公交专线")
        .await?;
    store
        .respond(
            c,
            "采纳：新市场开业同时开通两条公交专线，原址保留早市。",
            leader,
        )
        .await?;
    Ok(())
}

/// Builds the clusters of similar appeals from all appeals, with a progress bar, and
/// prints what was found (and, for the demo, how the planted situations fared).
pub async fn recluster(app: &App) -> Result<()> {
    let total = app.store.counts().await?.appeals.max(0) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {per_sec} 剩余 {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("聚类 / clustering");
    let started = std::time::Instant::now();
    let rebuilt = app.recluster(|n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    println!(
        "同类诉求聚类 / clusters: {} 件诉求 appeals, {} 个聚类 clusters of two or more holding {} appeals ({:.1} s)",
        rebuilt.appeals,
        rebuilt.clusters,
        rebuilt.clustered,
        started.elapsed().as_secs_f64()
    );
    let planted = app.planted(&rebuilt, "demo:").await?;
    if !planted.labels.is_empty() {
        println!(
            "预置情形 / planted situations: pairwise precision {:.3}, recall {:.3}",
            planted.precision, planted.recall
        );
        for (label, n, alerts) in &planted.labels {
            println!("  {label:<14} {n:>5} 件 appeals, {alerts} 条聚集预警 cluster alerts");
        }
    }
    Ok(())
}

/// Prints the demo accounts.
pub fn print_logins() {
    println!("演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):");
    for (user, what) in [
        ("admin", "管理员 administrator"),
        ("callcenter1", "12345热线话务员 call-taker"),
        ("dispatcher1", "派单员 dispatcher"),
        ("leader1", "县领导 leader"),
        ("supervisor1", "督办员 supervisor"),
        (
            "zjj.handler",
            "住建局承办人 housing bureau handler (城乡建设、供热)",
        ),
        (
            "slj.handler",
            "水利局承办人 water bureau handler (供水与饮水安全)",
        ),
        (
            "t01.head",
            "街道负责人 township head (sees the township: 辖区全部)",
        ),
    ] {
        println!("  {user:<14} {what}");
    }
}
