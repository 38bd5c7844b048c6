//! The leader's picture: headline figures, trend, category mix, townships, unit
//! ranking and open load for a period and an area, read from the sums kept with every
//! step (never from a scan of the appeals), and their rebuild.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use minsheng_core::clock::{china, local_day};
use minsheng_core::kpi::{self, Kpi, Rate, Sums};
use minsheng_core::region::{RegionCode, RegionLevel};
use minsheng_core::staff::{Role, Scope};
use minsheng_store::{ClusterSize, KpiRebuild, OpenCase, OpenLoad};

use crate::pipeline::Directory;
use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// Roles that read the figures (a leader's landing page).
pub fn reads_figures(me: &SignedIn) -> bool {
    me.sees_region()
        && me.staff.roles.iter().any(|r| {
            matches!(
                r,
                Role::Leader | Role::Supervisor | Role::Admin | Role::Dispatcher
            )
        })
}

/// Whole months, `from` to `until` (first days of months; `until` excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day of the first month.
    pub from: NaiveDate,
    /// First day of the month after the last.
    pub until: NaiveDate,
}

impl Period {
    /// The longest period one view covers.
    pub const MAX_MONTHS: u32 = 36;

    /// The months `first..=last` (each any day within its month); `None` when `last`
    /// comes before `first` or the span is longer than [`Period::MAX_MONTHS`].
    pub fn months(first: NaiveDate, last: NaiveDate) -> Option<Period> {
        let from = first.with_day(1)?;
        let until = last.with_day(1)?.checked_add_months(Months::new(1))?;
        let p = Period { from, until };
        (from < until && p.month_count() <= Self::MAX_MONTHS as i32).then_some(p)
    }

    /// Reads `2026` (a year), `2026-10` (a month) or `2026-01..2026-06` (months).
    pub fn parse(s: &str) -> Option<Period> {
        let month =
            |m: &str| NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok();
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            return Period::months(month(a)?, month(b)?);
        }
        if let Some(m) = month(s) {
            return Period::months(m, m);
        }
        let year: i32 = s.parse().ok().filter(|y| (1900..=9999).contains(y))?;
        Period::months(
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 1)?,
        )
    }

    /// How many months it covers.
    pub fn month_count(&self) -> i32 {
        (self.until.year() - self.from.year()) * 12 + self.until.month() as i32
            - self.from.month() as i32
    }

    /// Whether it is one calendar year, January to December.
    pub fn is_year(&self) -> bool {
        self.from.month() == 1 && self.month_count() == 12
    }

    /// This year so far, as of `today`.
    pub fn year_to_date(today: NaiveDate) -> Period {
        let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        Period::months(first, today).unwrap_or(Period {
            from: first,
            until: first,
        })
    }

    /// The last month of the period.
    pub fn last_month(&self) -> NaiveDate {
        self.until
            .checked_sub_months(Months::new(1))
            .unwrap_or(self.from)
    }

    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        self.until.pred_opt().unwrap_or(self.from)
    }

    /// The period's start and end as instants (China time).
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(china()).single())
                .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
        };
        (at(self.from), at(self.until))
    }

    /// Every day of the period.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d < self.until)
    }
}

/// A row of a breakdown: what it is, its name and its sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<K> {
    /// Its key (a code or an id).
    pub key: K,
    /// Its name in the interface language.
    pub name: String,
    /// The sums.
    pub sums: Sums,
}

/// A unit's line in the ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLine {
    /// The unit's id (0: not yet placed).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its sums over the period.
    pub sums: Sums,
    /// Its score out of 100 by the county's weights, if it had anything to score.
    pub score: Option<f64>,
    /// Its open cases now.
    pub load: OpenLoad,
}

/// A cadre's line: what they replied and how the people judged it.
#[derive(Debug, Clone, PartialEq)]
pub struct CadreLine {
    /// Staff id.
    pub id: i64,
    /// Name shown to colleagues.
    pub name: String,
    /// Their unit's name.
    pub unit: String,
    /// Their sums over the period (replies, visits of their replies, …).
    pub sums: Sums,
    /// Their score by the county's weights.
    pub score: Option<f64>,
}

/// Open cases now, all units together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenNow {
    /// Open.
    pub open: i64,
    /// Past their deadline.
    pub overdue: i64,
    /// In the backlog.
    pub backlog: i64,
    /// Hard cases.
    pub hard: i64,
}

/// A group of related appeals, named.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Its size and place.
    pub cluster: ClusterSize,
    /// The category's name.
    pub category: String,
    /// The place's name.
    pub place: String,
}

/// A township the viewer sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Township {
    /// Its code.
    pub code: RegionCode,
    /// Its name.
    pub name: String,
    /// Its centre (latitude, longitude), if known.
    pub centroid: Option<(f64, f64)>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The period.
    pub period: Period,
    /// The township, if one was chosen.
    pub township: Option<RegionCode>,
    /// The townships that may be chosen, by code.
    pub townships_known: Vec<Township>,
    /// Everything summed.
    pub totals: Sums,
    /// Open cases now.
    pub open: OpenNow,
    /// Day by day.
    pub trend: Vec<(NaiveDate, Sums)>,
    /// By category, most received first.
    pub categories: Vec<Row<String>>,
    /// By township, most received first.
    pub townships: Vec<Row<String>>,
    /// Units, best score first (those with nothing to score last).
    pub units: Vec<UnitLine>,
    /// The largest groups of related appeals active in the period.
    pub groups: Vec<Group>,
    /// Cadres who replied or were judged in the period (群众口碑), best score first.
    pub cadres: Vec<CadreLine>,
    /// Signs of false closures (any time), with how many appeals show each.
    pub signs: Vec<(minsheng_core::closure::Sign, i64)>,
    /// Cases settled on field visits (下访化解) made in the period.
    pub settled_on_visits: i64,
}

impl Dashboard {
    /// A rate over the whole area and period.
    pub fn rate(&self, kpi: Kpi) -> Rate {
        kpi.of(&self.totals)
    }
}

/// A region's name in the directory (its code if it has none).
pub(crate) fn region_name(dir: &Directory, code: &str) -> String {
    dir.regions
        .iter()
        .find(|r| r.region.code.as_str() == code)
        .map_or_else(|| code.to_owned(), |r| r.region.name.clone())
}

/// A category's name in the interface language (its code if it has none).
fn category_name(dir: &Directory, code: &str, lang: minsheng_core::Lang) -> String {
    dir.categories.iter().find(|c| c.code == code).map_or_else(
        || code.to_owned(),
        |c| minsheng_core::i18n::pick_in(lang, &c.name, &c.name_en).to_owned(),
    )
}

fn within(scope_regions: &[RegionCode], code: &str) -> bool {
    RegionCode::parse(code).is_ok_and(|c| scope_regions.iter().any(|r| c.is_within(r)))
}

impl App {
    /// The dashboard for `period` in the area `me` sees (or one township of it).
    pub async fn dashboard(
        &self,
        me: &SignedIn,
        period: Period,
        township: Option<RegionCode>,
        lang: minsheng_core::Lang,
    ) -> Result<Dashboard> {
        if !reads_figures(me) {
            return Err(Error::Forbidden);
        }
        self.figures(&me.scope, period, township, lang).await
    }

    /// The figures for `period` in what `scope` sees (or one township of it): the
    /// dashboard's and the reports' one source.
    pub async fn figures(
        &self,
        scope: &Scope,
        period: Period,
        township: Option<RegionCode>,
        lang: minsheng_core::Lang,
    ) -> Result<Dashboard> {
        let regions = &scope.regions;
        if let Some(t) = &township
            && (t.level() != RegionLevel::Township || !regions.iter().any(|r| t.is_within(r)))
        {
            return Err(Error::NotFound);
        }
        let dir = self.directory().await?;
        let t = township.as_ref().map(RegionCode::as_str);
        let (from, until) = period.instants();
        let now = minsheng_store::now();
        let visit_areas = match &township {
            Some(t) => vec![t.clone()],
            None => regions.clone(),
        };
        let last_day = period.until.pred_opt().unwrap_or(period.until);
        let (cells, days, load, clusters, tags, settled_on_visits) = tokio::try_join!(
            self.store.month_cells(period.from, period.until, t),
            self.store.day_sums(period.from, period.until, t),
            self.store.open_load(scope, township.as_ref(), now),
            self.store
                .largest_clusters(scope, township.as_ref(), from, until, 10),
            self.store.tag_counts(scope, township.as_ref(), "sign:"),
            self.store
                .settled_on_visits(period.from, last_day, &visit_areas),
        )?;
        let signs = minsheng_core::closure::Sign::ALL
            .iter()
            .map(|s| {
                let n = tags
                    .iter()
                    .find(|(t, _)| t == s.tag())
                    .map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect();
        let county_wide = regions.iter().any(|r| r.level() == RegionLevel::County);
        let cells: Vec<_> = cells
            .into_iter()
            .filter(|c| county_wide || within(regions, &c.township))
            .collect();
        let mut totals = Sums::zero();
        let mut by_category: BTreeMap<String, Sums> = BTreeMap::new();
        let mut by_township: BTreeMap<String, Sums> = BTreeMap::new();
        let mut by_unit: BTreeMap<i64, Sums> = BTreeMap::new();
        let mut by_staff: BTreeMap<i64, Sums> = BTreeMap::new();
        for c in &cells {
            totals.add(&c.sums);
            by_category
                .entry(c.category.clone())
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            by_township
                .entry(c.township.clone())
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            by_unit
                .entry(c.unit)
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            if c.staff > 0 {
                by_staff
                    .entry(c.staff)
                    .or_insert_with(Sums::zero)
                    .add(&c.sums);
            }
        }
        // The day table is summed over townships: for a leader who sees only part of
        // the county it is read per township.
        let trend = if county_wide || township.is_some() {
            days
        } else {
            let mut sum: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
            for r in regions
                .iter()
                .filter(|r| r.level() == RegionLevel::Township)
            {
                for (d, s) in self
                    .store
                    .day_sums(period.from, period.until, Some(r.as_str()))
                    .await?
                {
                    sum.entry(d).or_insert_with(Sums::zero).add(&s);
                }
            }
            sum.into_iter().collect()
        };
        let mut trend_map: BTreeMap<NaiveDate, Sums> = trend.into_iter().collect();
        // Days still to come are not drawn as days without appeals.
        let today = self.today();
        let trend = period
            .days()
            .take_while(|d| *d <= today)
            .map(|d| (d, trend_map.remove(&d).unwrap_or_else(Sums::zero)))
            .collect();
        let region_name = |code: &str| region_name(&dir, code);
        let category_name = |code: &str| category_name(&dir, code, lang);
        let unit_name = |id: i64| {
            dir.units.iter().find(|u| u.id == id).map_or_else(
                || minsheng_core::i18n::pick(lang, "未派单", "not yet placed").to_owned(),
                |u| u.name.clone(),
            )
        };
        let most_received = |a: &Sums, b: &Sums| {
            b.get(kpi::Measure::Received)
                .cmp(&a.get(kpi::Measure::Received))
        };
        let mut categories: Vec<Row<String>> = by_category
            .into_iter()
            .map(|(key, sums)| Row {
                name: category_name(&key),
                key,
                sums,
            })
            .collect();
        categories.sort_by(|a, b| most_received(&a.sums, &b.sums));
        let mut townships: Vec<Row<String>> = by_township
            .into_iter()
            .map(|(key, sums)| Row {
                name: region_name(&key),
                key,
                sums,
            })
            .collect();
        townships.sort_by(|a, b| most_received(&a.sums, &b.sums));
        let mut open = OpenNow::default();
        let mut loads: BTreeMap<i64, OpenLoad> = BTreeMap::new();
        for l in load {
            open.open += l.open;
            open.overdue += l.overdue;
            open.backlog += l.backlog;
            open.hard += l.hard;
            loads.insert(l.unit.unwrap_or(0), l);
        }
        let weights = self.ranking_weights().await?;
        let mut unit_ids: Vec<i64> = by_unit.keys().chain(loads.keys()).copied().collect();
        unit_ids.sort_unstable();
        unit_ids.dedup();
        let mut units: Vec<UnitLine> = unit_ids
            .into_iter()
            .map(|id| {
                let sums = by_unit.remove(&id).unwrap_or_else(Sums::zero);
                UnitLine {
                    id,
                    name: unit_name(id),
                    score: weights.score(&sums),
                    load: loads.remove(&id).unwrap_or(OpenLoad {
                        unit: Some(id),
                        open: 0,
                        overdue: 0,
                        backlog: 0,
                        hard: 0,
                    }),
                    sums,
                }
            })
            .collect();
        units.sort_by(|a, b| {
            b.score
                .unwrap_or(-1.0)
                .total_cmp(&a.score.unwrap_or(-1.0))
                .then(a.id.cmp(&b.id))
        });
        let people = if by_staff.is_empty() {
            Vec::new()
        } else {
            self.store
                .staff_members(&minsheng_store::StaffFilter::default())
                .await?
        };
        let mut cadres: Vec<CadreLine> = by_staff
            .into_iter()
            .filter(|(_, s)| s.get(kpi::Measure::Replied) + s.get(kpi::Measure::Visited) > 0)
            .map(|(id, sums)| {
                let who = people.iter().find(|p| p.staff.id == id);
                CadreLine {
                    id,
                    name: who.map_or_else(|| format!("#{id}"), |p| p.staff.display_name.clone()),
                    unit: who.map(|p| unit_name(p.staff.unit_id)).unwrap_or_default(),
                    score: weights.score(&sums),
                    sums,
                }
            })
            .collect();
        cadres.sort_by(|a, b| {
            b.score
                .unwrap_or(-1.0)
                .total_cmp(&a.score.unwrap_or(-1.0))
                .then(a.id.cmp(&b.id))
        });
        let groups = clusters
            .into_iter()
            .map(|c| Group {
                category: category_name(&c.category),
                place: region_name(&c.region),
                cluster: c,
            })
            .collect();
        let mut townships_known: Vec<Township> = dir
            .regions
            .iter()
            .filter(|r| {
                !r.retired
                    && r.region.level() == RegionLevel::Township
                    && regions.iter().any(|s| r.region.code.is_within(s))
            })
            .map(|r| Township {
                code: r.region.code.clone(),
                name: r.region.name.clone(),
                centroid: r.centroid,
            })
            .collect();
        townships_known.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Dashboard {
            period,
            township,
            townships_known,
            totals,
            open,
            trend,
            categories,
            townships,
            units,
            groups,
            cadres,
            signs,
            settled_on_visits,
        })
    }

    /// Recomputes the figures from every case's events and compares them with the
    /// sums kept; writes the recomputed ones when `write`.
    pub async fn rebuild_figures(&self, write: bool) -> Result<KpiRebuild> {
        let calendar = self.calendar();
        let policy = self.policy.clone();
        let tally = move |c: &OpenCase| kpi::of_history(&c.facts, &c.history, &policy, &calendar);
        Ok(self.store.rebuild_kpi(&tally, write).await?)
    }

    /// Rebuilds the figures once if they do not yet cover every event (a database from
    /// before they were kept); returns the rebuild if one ran.
    pub async fn ensure_figures(&self) -> Result<Option<KpiRebuild>> {
        if self.store.kpi_built().await? {
            return Ok(None);
        }
        Ok(Some(self.rebuild_figures(true).await?))
    }

    /// Today in China.
    pub fn today(&self) -> NaiveDate {
        local_day(minsheng_store::now())
    }
}

/// A published line: name, received, closed, satisfaction in percent (`None`:
/// withheld, or nothing to count).
pub type PublicLine = (String, Option<i64>, Option<i64>, Option<f64>);

/// The public figures: the last twelve whole months by township and category, every
/// small count withheld ([`kpi::suppress`]).
#[derive(Debug, Clone)]
pub struct PublicFigures {
    /// The months covered.
    pub period: Period,
    /// Townships (rows) by name.
    pub townships: Vec<String>,
    /// Categories (columns) by name.
    pub categories: Vec<String>,
    /// Appeals received, township by category; `None` where withheld.
    pub cells: Vec<Vec<Option<i64>>>,
    /// Per township: received, closed and the satisfaction rate (withheld when the
    /// township received fewer than the minimum).
    pub by_township: Vec<PublicLine>,
    /// Per category, likewise.
    pub by_category: Vec<PublicLine>,
    /// The county month by month: received and closed (withheld when small).
    pub months: Vec<(NaiveDate, Option<i64>, Option<i64>)>,
}

impl App {
    /// The figures anyone may see, as of `today`: the twelve whole months before this
    /// one, for the whole county.
    pub async fn public_figures(
        &self,
        today: NaiveDate,
        lang: minsheng_core::Lang,
    ) -> Result<PublicFigures> {
        let this = today.with_day(1).unwrap_or(today);
        let from = this.checked_sub_months(Months::new(12)).unwrap_or(this);
        let period = Period { from, until: this };
        let cells = self
            .store
            .month_cells(period.from, period.until, None)
            .await?;
        let dir = self.directory().await?;
        let mut townships: BTreeMap<String, Sums> = BTreeMap::new();
        let mut categories: BTreeMap<String, Sums> = BTreeMap::new();
        let mut cross: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut months: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
        for c in &cells {
            townships
                .entry(c.township.clone())
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            categories
                .entry(c.category.clone())
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            months
                .entry(c.month)
                .or_insert_with(Sums::zero)
                .add(&c.sums);
            *cross
                .entry((c.township.clone(), c.category.clone()))
                .or_default() += c.sums.get(kpi::Measure::Received);
        }
        let region_name = |code: &str| region_name(&dir, code);
        let category_name = |code: &str| category_name(&dir, code, lang);
        let shown = |n: i64| (n == 0 || n >= kpi::MIN_PUBLISHED).then_some(n);
        let line = |s: &Sums, name: String| {
            let received = s.get(kpi::Measure::Received);
            let big = received >= kpi::MIN_PUBLISHED;
            (
                name,
                shown(received),
                big.then(|| s.get(kpi::Measure::Closed)),
                big.then(|| Kpi::Satisfaction.of(s).percent()).flatten(),
            )
        };
        let t_codes: Vec<&String> = townships.keys().collect();
        let c_codes: Vec<&String> = categories.keys().collect();
        let table: Vec<Vec<i64>> = t_codes
            .iter()
            .map(|t| {
                c_codes
                    .iter()
                    .map(|c| {
                        cross
                            .get(&((*t).clone(), (*c).clone()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        Ok(PublicFigures {
            period,
            townships: t_codes.iter().map(|t| region_name(t)).collect(),
            categories: c_codes.iter().map(|c| category_name(c)).collect(),
            cells: kpi::suppress(&table, kpi::MIN_PUBLISHED),
            by_township: townships
                .iter()
                .map(|(c, s)| line(s, region_name(c)))
                .collect(),
            by_category: categories
                .iter()
                .map(|(c, s)| line(s, category_name(c)))
                .collect(),
            months: months
                .iter()
                .map(|(m, s)| {
                    (
                        *m,
                        shown(s.get(kpi::Measure::Received)),
                        shown(s.get(kpi::Measure::Closed)),
                    )
                })
                .collect(),
        })
    }
}
