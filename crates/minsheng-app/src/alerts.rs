//! The alert board's use cases: what a person may see (alerts naming an appeal in
//! their scope) and do (the duty roles take, escalate and resolve alerts).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use minsheng_core::AppealNo;
use minsheng_core::alerts::AlertPolicy;
use minsheng_core::clock::{china, local_day};
use minsheng_core::intake::{FieldError, FieldErrors, clean_text};
use minsheng_core::region::{RegionCode, RegionLevel};
use minsheng_core::staff::Role;
use minsheng_store::{AlertChange, AlertFilter, AlertSummary, Page, StaffFilter, StaffMember};

use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// Roles that work the alert board.
pub fn works_alerts(me: &SignedIn) -> bool {
    me.staff.roles.iter().any(|r| {
        matches!(
            r,
            Role::Dispatcher | Role::Leader | Role::Supervisor | Role::UnitHead | Role::Admin
        )
    })
}

/// The longest outcome note.
pub const MAX_OUTCOME: usize = 500;

impl App {
    /// The active accounts that may be put in charge of an alert (leaders).
    pub async fn leaders(&self) -> Result<Vec<StaffMember>> {
        Ok(self
            .store
            .staff_members(&StaffFilter {
                role: Some(Role::Leader),
                active: Some(true),
                ..StaffFilter::default()
            })
            .await?)
    }

    /// Alerts naming an appeal in `me`'s scope, most urgent and newest first.
    pub async fn alerts(
        &self,
        me: &SignedIn,
        filter: &AlertFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AlertSummary>> {
        Ok(self.store.alerts(&me.scope, filter, page, per_page).await?)
    }

    /// One alert in `me`'s scope and the appeals it names (id, number).
    pub async fn alert(
        &self,
        me: &SignedIn,
        id: i64,
    ) -> Result<(AlertSummary, Vec<(i64, AppealNo)>)> {
        let filter = AlertFilter {
            id: Some(id),
            ..AlertFilter::default()
        };
        let found = self.store.alerts(&me.scope, &filter, 1, 1).await?;
        let alert = found.items.into_iter().next().ok_or(Error::NotFound)?;
        let members = self.store.alert_members(&[id], &me.scope).await?;
        Ok((
            alert,
            members.into_iter().map(|(_, a, no)| (a, no)).collect(),
        ))
    }

    /// Takes an alert (a unit handles it, a leader is in charge), puts it before a
    /// joint meeting, or resolves it with an outcome.
    pub async fn change_alert(&self, me: &SignedIn, id: i64, change: AlertChange) -> Result<()> {
        if !works_alerts(me) {
            return Err(Error::Forbidden);
        }
        // Outside the scope it does not exist.
        self.alert(me, id).await?;
        let change = match change {
            AlertChange::Take { unit_id, leader_id } => {
                let mut errors = Vec::new();
                if let Some(u) = unit_id
                    && self.unit(u).await.is_err()
                {
                    errors.push(("unit", FieldError::UnknownChoice));
                }
                if let Some(l) = leader_id {
                    let leaders = self.leaders().await?;
                    if !leaders.iter().any(|m| m.staff.id == l) {
                        errors.push(("leader", FieldError::UnknownChoice));
                    }
                }
                if !errors.is_empty() {
                    return Err(Error::Invalid(FieldErrors(errors)));
                }
                AlertChange::Take { unit_id, leader_id }
            }
            AlertChange::Resolve { outcome } => {
                let sent = outcome.chars().count();
                let outcome = clean_text(&outcome);
                let n = outcome.chars().count();
                if n < 2 || sent > MAX_OUTCOME {
                    let e = match n {
                        0 => FieldError::Required,
                        1 => FieldError::TooShort(2),
                        _ => FieldError::TooLong(MAX_OUTCOME),
                    };
                    return Err(Error::Invalid(FieldErrors(vec![("outcome", e)])));
                }
                AlertChange::Resolve { outcome }
            }
            AlertChange::Escalate => AlertChange::Escalate,
        };
        self.store.change_alert(id, &change, me.staff.id).await?;
        tracing::info!(alert = id, staff = me.staff.id, "alert moved on");
        Ok(())
    }
}

impl App {
    /// The surge rule, as of `now`: each category's count today in each township
    /// against its own last `surge_weeks` weeks (robust z-score of the day); a day far
    /// above raises one alert for the pair and day, grown as more come. Run by the
    /// sweep. Returns how many pairs are surging.
    pub async fn surge_alerts(&self, now: DateTime<Utc>) -> Result<usize> {
        let policy = AlertPolicy::default();
        let today = local_day(now);
        let midnight = |d: NaiveDate| -> DateTime<Utc> {
            china()
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()
                .map_or(now, |t| t.with_timezone(&Utc))
        };
        let days = i64::from(policy.surge_weeks) * 7;
        let start = midnight(today - chrono::Duration::days(days));
        let (today_from, today_to) = (midnight(today), midnight(today + chrono::Duration::days(1)));
        let counts = self.store.daily_counts(start, today_to).await?;
        // Per pair: the baseline days (quiet ones stay 0) and today.
        let mut series: HashMap<(String, RegionCode), (Vec<u32>, u32)> = HashMap::new();
        for c in counts {
            let entry = series
                .entry((c.category, c.township))
                .or_insert_with(|| (vec![0; days as usize], 0));
            let back = (today - c.day).num_days();
            if back == 0 {
                entry.1 = c.count;
            } else if (1..=days).contains(&back) {
                entry.0[(days - back) as usize] = c.count;
            }
        }
        let directory = self.directory().await?;
        let mut surging = 0;
        for ((category, township), (history, count)) in series {
            // Appeals not yet placed in a village are no township's.
            if count < policy.surge_min || township.level() != RegionLevel::Township {
                continue;
            }
            let names = directory
                .categories
                .iter()
                .find(|c| c.code == category)
                .map_or((category.as_str(), ""), |c| {
                    (c.name.as_str(), c.name_en.as_str())
                });
            let township_name = directory
                .regions
                .iter()
                .find(|r| r.region.code == township)
                .map_or(township.as_str(), |r| r.region.name.as_str());
            let Some(raise) = policy
                .surge(names, township_name, count, &history)
                .and_then(|s| policy.raise(&s))
            else {
                continue;
            };
            self.store
                .raise_surge(&category, &township, (today_from, today_to), &raise, now)
                .await?;
            surging += 1;
        }
        Ok(surging)
    }
}

/// Members read for an alert's summary, at most.
const SUMMARY_MEMBERS: i64 = 200;

/// A place among an alert's appeals: the village or community, its appeals, and its
/// centroid if known.
pub type DigestPlace = (RegionCode, usize, Option<(f64, f64)>);

/// What an alert's appeals have in common, at a glance: the words they use most, where
/// they are, and when they came.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertDigest {
    /// The most frequent content words, with the number of appeals using each.
    pub terms: Vec<(String, usize)>,
    /// Each place (village or community) with its number of appeals and its centroid
    /// if known, most first.
    pub places: Vec<DigestPlace>,
    /// Appeals per local day, from the first to the last (quiet days as 0).
    pub days: Vec<(NaiveDate, usize)>,
}

impl App {
    /// The digest of an alert's appeals that `me` may see.
    pub async fn alert_digest(&self, me: &SignedIn, id: i64) -> Result<AlertDigest> {
        let filter = minsheng_store::InboxFilter {
            alert: Some(id),
            ..Default::default()
        };
        let members = self
            .store
            .list_appeals(
                &minsheng_store::ListScope::Visible(me.scope.clone()),
                &filter,
                1,
                SUMMARY_MEMBERS,
            )
            .await?
            .items;
        let segmenter = self.segmenter().await?;
        let directory = self.directory().await?;
        let mut terms: HashMap<String, usize> = HashMap::new();
        let mut places: HashMap<RegionCode, usize> = HashMap::new();
        let mut days: HashMap<NaiveDate, usize> = HashMap::new();
        for m in &members {
            let source = self.store.index_source(m.id).await?;
            let mut words = segmenter.content_words(&format!("{}\n{}", source.title, source.text));
            words.sort();
            words.dedup();
            for w in words.into_iter().filter(|w| w.chars().count() >= 2) {
                *terms.entry(w).or_default() += 1;
            }
            *places.entry(m.region_code.clone()).or_default() += 1;
            *days.entry(local_day(m.received_at)).or_default() += 1;
        }
        let mut terms: Vec<(String, usize)> = terms
            .into_iter()
            .filter(|(_, n)| *n > 1 || members.len() == 1)
            .collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        terms.truncate(12);
        let mut places: Vec<DigestPlace> = places
            .into_iter()
            .map(|(code, n)| {
                let centroid = directory
                    .regions
                    .iter()
                    .find(|r| r.region.code == code)
                    .and_then(|r| r.centroid);
                (code, n, centroid)
            })
            .collect();
        places.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (first, last) = (days.keys().min().copied(), days.keys().max().copied());
        let days = match (first, last) {
            (Some(first), Some(last)) => first
                .iter_days()
                .take_while(|d| *d <= last)
                .take(366)
                .map(|d| (d, days.get(&d).copied().unwrap_or(0)))
                .collect(),
            _ => Vec::new(),
        };
        Ok(AlertDigest {
            terms,
            places,
            days,
        })
    }
}
