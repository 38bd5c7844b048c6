//! Small view models shared by the portal and the console: choices for selects,
//! field errors, times in China's time zone.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use minsheng_core::appeal::{Event, PublicEntry, Step};
use minsheng_core::category::Category;
use minsheng_core::clock::Light;
use minsheng_core::clock::china;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::{AppealForm, FieldError, FieldErrors};
use minsheng_core::region::Region;
use minsheng_core::unit::Unit;
use minsheng_core::workflow::{Command, Policy, State};
use minsheng_core::{AppealKind, Channel, Lang};
use minsheng_store::Reveal;

use crate::error::AppError;

/// A time as people read it: `2026-11-29 16:05`.
pub fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The first instant of a day in China, as UTC.
pub fn day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    let start = day.and_hms_opt(0, 0, 0)?;
    china()
        .from_local_datetime(&start)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// One option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// For villages: the township they belong to.
    pub group: String,
}

impl Choice {
    fn new(value: &str, label: &str, current: &str) -> Choice {
        Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
            group: String::new(),
        }
    }
}

/// Field errors explained in the person's language.
#[derive(Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    pub fn explain(errors: &FieldErrors, lang: Lang) -> Errors {
        Errors(
            errors
                .0
                .iter()
                .map(|(f, e)| (*f, e.explain(lang)))
                .collect(),
        )
    }

    /// One message about the whole form (shown at its top).
    pub fn whole_form(message: String) -> Errors {
        Errors(vec![("form", message)])
    }

    /// The message for one field.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the appeal form needs to render: the choices, what was typed, what is wrong.
pub struct FormView {
    pub categories: Vec<Choice>,
    pub townships: Vec<Choice>,
    pub villages: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub form: AppealForm,
    pub errors: Errors,
    /// What files may be attached, in words.
    pub media_hint: String,
}

/// A page number as a query gives it: 1 unless it reads as one, at most 100,000.
pub fn page_number(typed: &str) -> i64 {
    typed.trim().parse::<i64>().unwrap_or(1).clamp(1, 100_000)
}

/// The query string of a page a form redirects back to: `done=1` says it worked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

impl DoneQuery {
    /// Whether the page shows "saved".
    pub fn done(&self) -> bool {
        self.done == "1"
    }
}

/// The county's categories and villages, which forms offer and check against.
pub struct Catalog {
    pub categories: Vec<Category>,
    pub units: Vec<Unit>,
    pub townships: Vec<Region>,
    pub villages: Vec<Region>,
    pub file_limits: minsheng_core::attachment::Limits,
}

impl Catalog {
    pub async fn load(app: &minsheng_app::App) -> Result<Catalog, AppError> {
        let store = app.store.as_ref();
        let county = store.county().await?.ok_or(AppError::BadRequest(
            "系统尚未初始化",
            "Minsheng has not been set up yet.",
        ))?;
        Ok(Catalog {
            categories: store.categories().await?,
            units: store.units().await?,
            townships: store.children(&county.code).await?,
            villages: store.villages().await?,
            file_limits: app.file_limits(),
        })
    }

    /// Names of townships and villages by code.
    pub fn place_names(&self) -> HashMap<String, String> {
        self.townships
            .iter()
            .chain(&self.villages)
            .map(|r| (r.code.to_string(), r.name.clone()))
            .collect()
    }

    /// A place as people say it: township and village.
    pub fn place(
        &self,
        names: &HashMap<String, String>,
        code: &minsheng_core::RegionCode,
    ) -> String {
        let village = names
            .get(code.as_str())
            .cloned()
            .unwrap_or_else(|| code.to_string());
        match code.parent().and_then(|t| names.get(t.as_str())) {
            Some(town) => format!("{town} {village}"),
            None => village,
        }
    }

    /// A unit's name by id (its id when it is not known).
    pub fn unit_name(&self, id: i64) -> String {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    }

    pub fn category_label(&self, code: &str, lang: Lang) -> String {
        category_label(&self.categories, code, lang)
    }

    /// Every unit, `selected` chosen.
    pub fn unit_choices(&self, selected: Option<i64>) -> Vec<Choice> {
        self.units
            .iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: Some(u.id) == selected,
                group: String::new(),
            })
            .collect()
    }

    /// Every category, sub-categories (indented) under their top-level one.
    pub fn category_choices(&self, lang: Lang, current: &str) -> Vec<Choice> {
        self.categories
            .iter()
            .filter(|c| c.parent.is_none())
            .flat_map(|top| {
                std::iter::once(top).chain(
                    self.categories
                        .iter()
                        .filter(move |c| c.parent.as_deref() == Some(top.code.as_str())),
                )
            })
            .map(|c| {
                let label = match c.parent {
                    Some(_) => format!("　{}", c.label(lang)),
                    None => c.label(lang).to_owned(),
                };
                Choice::new(&c.code, &label, current)
            })
            .collect()
    }

    pub fn township_choices(&self, current: &str) -> Vec<Choice> {
        self.townships
            .iter()
            .map(|r| Choice::new(r.code.as_str(), &r.name, current))
            .collect()
    }

    /// The appeal form; citizens (`public`) are offered only the public categories.
    pub fn form_view(
        &self,
        lang: Lang,
        public: bool,
        form: AppealForm,
        errors: Errors,
    ) -> FormView {
        let villages = self
            .villages
            .iter()
            .map(|v| Choice {
                group: v.code.parent().map(|p| p.to_string()).unwrap_or_default(),
                ..Choice::new(v.code.as_str(), &v.name, &form.village)
            })
            .collect();
        FormView {
            categories: self
                .category_choices(lang, &form.category)
                .into_iter()
                .filter(|c| {
                    !public
                        || self
                            .categories
                            .iter()
                            .any(|k| k.code == c.value && k.offered_publicly(&self.categories))
                })
                .collect(),
            townships: self.township_choices(&form.township),
            villages,
            channels: channel_choices(lang, &form.channel),
            kinds: kind_choices(lang, &form.kind),
            media_hint: media_hint(lang, &self.file_limits),
            form,
            errors,
        }
    }
}

pub fn channel_choices(lang: Lang, current: &str) -> Vec<Choice> {
    Channel::ALL
        .iter()
        .map(|c| Choice::new(c.code(), c.label(lang), current))
        .collect()
}

pub fn kind_choices(lang: Lang, current: &str) -> Vec<Choice> {
    AppealKind::ALL
        .iter()
        .map(|k| Choice::new(k.code(), k.label(lang), current))
        .collect()
}

pub fn status_choices(lang: Lang, current: &str) -> Vec<Choice> {
    State::ALL
        .iter()
        .map(|s| Choice::new(s.code(), s.label(lang), current))
        .collect()
}

/// A category's name in the interface language, or its code if unknown.
pub fn category_label(categories: &[Category], code: &str, lang: Lang) -> String {
    categories
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.label(lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// A fresh one-time key for a form, against double posts.
pub fn form_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// How a refused form comes back: 409 when its one-time key was used for other
/// content, else 422. A form whose key was refused gets a fresh one, so that sending
/// it again registers it as a new appeal; everything typed is kept.
pub fn refused_form(mut form: AppealForm, errors: &FieldErrors) -> (StatusCode, AppealForm) {
    match errors.get("submission_key") {
        None => (StatusCode::UNPROCESSABLE_ENTITY, form),
        Some(e) => {
            form.submission_key = form_key();
            let status = if *e == FieldError::SubmissionKeyReused {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, form)
        }
    }
}

/// One timeline entry as shown.
pub struct TimelineItem {
    pub at: String,
    pub what: &'static str,
    pub unit: String,
    pub note: String,
}

impl TimelineItem {
    fn new(at: DateTime<Utc>, step: &Step, unit: String, note: Option<&str>, lang: Lang) -> Self {
        TimelineItem {
            at: local(at),
            what: step.label(lang),
            unit,
            note: note.unwrap_or_default().to_owned(),
        }
    }
}

/// A case's timeline as staff see it: who acted, every note, and every audited look
/// at the appellant's personal data, in the order they happened.
pub fn timeline(events: &[Event], reveals: &[Reveal], lang: Lang) -> Vec<TimelineItem> {
    let mut items: Vec<(DateTime<Utc>, TimelineItem)> = events
        .iter()
        .map(|e| {
            let command = match &e.step {
                Step::Act(c) => Some(c),
                Step::Registered => None,
            };
            // Who acted, for which unit: 赵红旗（县群众工作部）; the system's own steps
            // say so.
            let mut who = match (&e.actor, &e.actor_unit) {
                (Some(a), Some(u)) => format!("{a}（{u}）"),
                (Some(a), None) => a.clone(),
                (None, _) if command.is_some() => {
                    minsheng_core::i18n::pick(lang, "系统", "the system").to_owned()
                }
                (None, _) => String::new(),
            };
            // To whom it was sent: 派至 县住房和城乡建设局.
            if let (Some(unit), Some(c)) = (&e.unit, command)
                && c.unit().is_some()
            {
                let to = minsheng_core::i18n::pick(lang, "派至", "to");
                who = format!("{who} {to} {unit}").trim().to_owned();
            }
            // A return says its reason from the list, then the words.
            let note = match command {
                Some(Command::Return { reason, note }) => {
                    let colon = minsheng_core::i18n::pick(lang, "：", ": ");
                    Some(format!("{}{colon}{note}", reason.label(lang)))
                }
                _ => e.note.clone(),
            };
            (
                e.at,
                TimelineItem::new(e.at, &e.step, who, note.as_deref(), lang),
            )
        })
        .collect();
    items.extend(reveals.iter().map(|r| {
        let item = TimelineItem {
            at: local(r.at),
            what: minsheng_core::i18n::pick(lang, "查看完整个人信息", "personal data revealed"),
            unit: r.staff.clone(),
            note: r.reason.clone(),
        };
        (r.at, item)
    }));
    items.sort_by_key(|(at, _)| *at);
    items.into_iter().map(|(_, item)| item).collect()
}

/// The public timeline: only what each step's disclosure allows.
pub fn public_timeline(entries: &[PublicEntry], lang: Lang) -> Vec<TimelineItem> {
    entries
        .iter()
        .map(|e| {
            let unit = e.unit.clone().unwrap_or_default();
            TimelineItem::new(e.at, &e.step, unit, e.text.as_deref(), lang)
        })
        .collect()
}

/// The traffic light of a deadline at `now`, if there is one.
pub fn light(
    policy: &Policy,
    start: Option<DateTime<Utc>>,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Light> {
    Some(Light::at(start?, due?, now, policy.yellow_share))
}

/// What files a form takes, in words.
fn media_hint(lang: Lang, limits: &minsheng_core::attachment::Limits) -> String {
    let (n, mb) = (limits.max_files, limits.max_bytes / (1024 * 1024));
    match lang {
        Lang::Zh => format!(
            "可附现场照片或信件扫描件（JPEG、PNG、WebP 图片或 PDF），最多 {n} 个，每个不超过 {mb} MB。提交未成功时请重新选择文件。"
        ),
        Lang::En => format!(
            "Photos or scanned letters (JPEG, PNG, WebP or PDF), up to {n} files of at most {mb} MB each. If the form comes back with an error, choose the files again."
        ),
    }
}

/// What the staff navigation offers the signed-in person.
#[derive(Debug, Clone, Copy)]
pub struct Nav {
    /// The administration pages.
    pub admin: bool,
    /// The dashboard (leaders, supervisors, the dispatch centre, administrators).
    pub figures: bool,
    /// Registering appeals (call-takers, dispatchers, administrators).
    pub intake: bool,
    /// Dense pages unless the person switched them off (call-takers).
    pub dense: bool,
}

impl Nav {
    /// An administrator's (the administration pages are only theirs).
    pub const ADMIN: Nav = Nav {
        admin: true,
        figures: true,
        intake: true,
        dense: false,
    };

    /// What `me` is offered.
    pub fn of(me: &minsheng_app::sessions::SignedIn) -> Nav {
        Nav {
            admin: me.staff.has(minsheng_core::staff::Role::Admin),
            figures: minsheng_app::figures::reads_figures(me),
            intake: me.staff.roles.iter().any(|r| r.registers_appeals()),
            dense: me.staff.has(minsheng_core::staff::Role::CallTaker),
        }
    }
}
