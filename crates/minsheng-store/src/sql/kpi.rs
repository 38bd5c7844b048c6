//! The figures: sums kept with each step by month (with township, category, unit and
//! cadre) and by day (with township), read for dashboards and reports, and rebuilt
//! from the events.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use minsheng_core::kpi::{Measure, Sums, Tally};

use super::*;
use crate::{ClusterSize, Figures, KpiRebuild, MonthCell, OpenLoad, TallyCase};

type MonthKey = (NaiveDate, String, String, i64, i64);
type DayKey = (NaiveDate, String);

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Tallies summed into month cells and day cells.
fn cells<'a>(
    tallies: impl IntoIterator<Item = &'a Tally>,
) -> (BTreeMap<MonthKey, Sums>, BTreeMap<DayKey, Sums>) {
    let (mut months, mut days) = (BTreeMap::new(), BTreeMap::new());
    for t in tallies {
        let k = &t.key;
        months
            .entry((
                month_of(k.day),
                k.township.clone(),
                k.category.clone(),
                k.unit,
                k.staff,
            ))
            .or_insert_with(Sums::zero)
            .add(&t.sums);
        days.entry((k.day, k.township.clone()))
            .or_insert_with(Sums::zero)
            .add(&t.sums);
    }
    (months, days)
}

fn measures(s: &Sums) -> impl Iterator<Item = Arg> + '_ {
    Measure::ALL.iter().map(|m| Arg::Int(s.get(*m)))
}

/// The rows to add for `tallies`, months then days, each cell once (a statement may
/// not update one row twice) and in key order (writers lock rows in one order).
pub(super) fn rows<'a>(
    tallies: impl IntoIterator<Item = &'a Tally>,
) -> (Vec<Vec<Arg>>, Vec<Vec<Arg>>) {
    let (months, days) = cells(tallies);
    (month_rows(months), day_rows(days))
}

fn month_rows(months: BTreeMap<MonthKey, Sums>) -> Vec<Vec<Arg>> {
    months
        .into_iter()
        .map(|((month, township, category, unit, staff), s)| {
            let mut row = vec![
                Arg::Date(month),
                Arg::Text(township),
                Arg::Text(category),
                Arg::Int(unit),
                Arg::Int(staff),
            ];
            row.extend(measures(&s));
            row
        })
        .collect()
}

fn day_rows(days: BTreeMap<DayKey, Sums>) -> Vec<Vec<Arg>> {
    days.into_iter()
        .map(|((day, township), s)| {
            let mut row = vec![Arg::Date(day), Arg::Text(township)];
            row.extend(measures(&s));
            row
        })
        .collect()
}

fn columns() -> String {
    Measure::ALL
        .iter()
        .map(|m| m.column())
        .collect::<Vec<_>>()
        .join(", ")
}

fn add_on_conflict(table: &str, key: &str) -> String {
    let set: Vec<String> = Measure::ALL
        .iter()
        .map(|m| format!("{c} = {table}.{c} + excluded.{c}", c = m.column()))
        .collect();
    format!(" ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "))
}

const MONTH_KEY: &str = "month, township, category, unit_id, staff_id";
const DAY_KEY: &str = "day, township";

pub(super) static MONTHS_INSERT: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO kpi_months ({MONTH_KEY}, {})", columns()));
pub(super) static MONTHS_ADD: LazyLock<String> =
    LazyLock::new(|| add_on_conflict("kpi_months", MONTH_KEY));
pub(super) static DAYS_INSERT: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO kpi_days ({DAY_KEY}, {})", columns()));
pub(super) static DAYS_ADD: LazyLock<String> =
    LazyLock::new(|| add_on_conflict("kpi_days", DAY_KEY));

/// The sums from column `first` on.
fn sums_at<R: sqlx::Row>(row: &R, first: usize) -> Result<Sums>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut s = Sums::zero();
    for (i, m) in Measure::ALL.iter().enumerate() {
        s.bump(*m, row.try_get::<i64, _>(first + i)?);
    }
    Ok(s)
}

/// `SELECT` of the months table (key, then sums), with an optional township.
fn month_sql(township: bool) -> String {
    format!(
        "SELECT {MONTH_KEY}, {} FROM kpi_months WHERE month >= $1 AND month < $2{}",
        columns(),
        if township { " AND township = $3" } else { "" }
    )
}

fn day_sql(township: bool) -> String {
    let sums: Vec<String> = Measure::ALL
        .iter()
        .map(|m| format!("CAST(SUM({c}) AS BIGINT) AS {c}", c = m.column()))
        .collect();
    format!(
        "SELECT day, {} FROM kpi_days WHERE day >= $1 AND day < $2{} GROUP BY day ORDER BY day",
        sums.join(", "),
        if township { " AND township = $3" } else { "" }
    )
}

fn month_cell<R: sqlx::Row>(row: &R) -> Result<MonthCell>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(MonthCell {
        month: row.try_get(0)?,
        township: row.try_get(1)?,
        category: row.try_get(2)?,
        unit: row.try_get(3)?,
        staff: row.try_get(4)?,
        sums: sums_at(row, 5)?,
    })
}

/// How many cells differ between what is kept and what is recomputed.
fn differing<K: Ord>(kept: &BTreeMap<K, Sums>, fresh: &BTreeMap<K, Sums>) -> u64 {
    let missing_or_unequal = fresh.iter().filter(|(k, s)| kept.get(k) != Some(s)).count();
    let extra = kept
        .iter()
        .filter(|(k, s)| !fresh.contains_key(k) && !s.is_zero())
        .count();
    (missing_or_unequal + extra) as u64
}

/// Cases read per round of a rebuild.
const REBUILD_BATCH: i64 = 5_000;

#[async_trait]
impl Figures for SqlStore {
    async fn month_cells(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        township: Option<&str>,
    ) -> Result<Vec<MonthCell>> {
        let sql = month_sql(township.is_some());
        with_db!(self, p => {
            let mut q = sqlx::query(&sql).bind(from).bind(until);
            if let Some(t) = township {
                q = q.bind(t);
            }
            q.fetch_all(p).await?.iter().map(month_cell).collect()
        })
    }

    async fn day_sums(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        township: Option<&str>,
    ) -> Result<Vec<(NaiveDate, Sums)>> {
        let sql = day_sql(township.is_some());
        with_db!(self, p => {
            let mut q = sqlx::query(&sql).bind(from).bind(until);
            if let Some(t) = township {
                q = q.bind(t);
            }
            q.fetch_all(p)
                .await?
                .iter()
                .map(|row| Ok((row.try_get::<NaiveDate, _>(0)?, sums_at(row, 1)?)))
                .collect()
        })
    }

    async fn open_load(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenLoad>> {
        let mut w = Where::default();
        w.scope(scope);
        // The open states named (not the ended ones excluded): the status index then
        // reads only the open cases, a few percent of a large county.
        let open: Vec<String> = State::ALL
            .iter()
            .filter(|s| !s.is_terminal())
            .map(|s| format!("'{}'", s.code()))
            .collect();
        w.clauses.push(format!("a.status IN ({})", open.join(", ")));
        if let Some(t) = township {
            let p = w.arg(Arg::Text(format!("{}%", t.prefix())));
            w.clauses.push(format!("a.region_code LIKE {p}"));
        }
        let now = w.arg(Arg::Time(now));
        let sql = format!(
            "SELECT a.handler_unit_id, COUNT(*), \
             CAST(SUM(CASE WHEN a.due_at < {now} THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN a.backlog THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN a.hard THEN 1 ELSE 0 END) AS BIGINT) \
             FROM appeals a{} GROUP BY a.handler_unit_id",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<(Option<i64>, i64, i64, i64, i64)> =
                bind_args!(sqlx::query_as(&sql), w.args).fetch_all(p).await?;
            Ok(rows
                .into_iter()
                .map(|(unit, open, overdue, backlog, hard)| OpenLoad { unit, open, overdue, backlog, hard })
                .collect())
        })
    }

    async fn largest_clusters(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClusterSize>> {
        let mut w = Where::default();
        // A group is placed where its first appeal was: `a` is the cluster here.
        let mut any = Vec::new();
        for r in &scope.regions {
            let p = w.arg(Arg::Text(format!("{}%", r.prefix())));
            any.push(format!("a.region_code LIKE {p}"));
        }
        if any.is_empty() {
            return Ok(Vec::new());
        }
        w.clauses.push(format!("({})", any.join(" OR ")));
        if let Some(t) = township {
            let p = w.arg(Arg::Text(format!("{}%", t.prefix())));
            w.clauses.push(format!("a.region_code LIKE {p}"));
        }
        let (from, until) = (w.arg(Arg::Time(from)), w.arg(Arg::Time(until)));
        w.clauses.push(format!(
            "a.updated_at >= {from} AND a.created_at < {until} AND a.size > 1"
        ));
        let limit = w.arg(Arg::Int(limit));
        let sql = format!(
            "SELECT a.id, a.category, a.region_code, a.size, a.updated_at FROM clusters a{} \
             ORDER BY a.size DESC, a.id LIMIT {limit}",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<(i64, String, String, i64, DateTime<Utc>)> =
                bind_args!(sqlx::query_as(&sql), w.args).fetch_all(p).await?;
            Ok(rows
                .into_iter()
                .map(|(id, category, region, size, updated_at)| ClusterSize { id, category, region, size, updated_at })
                .collect())
        })
    }

    async fn tag_counts(
        &self,
        scope: &Scope,
        township: Option<&RegionCode>,
        prefix: &str,
    ) -> Result<Vec<(String, i64)>> {
        let mut w = Where::default();
        w.scope(scope);
        if let Some(t) = township {
            let p = w.arg(Arg::Text(format!("{}%", t.prefix())));
            w.clauses.push(format!("a.region_code LIKE {p}"));
        }
        // The labels starting with `prefix`: on SQLite a range of its binary order,
        // which the label index reads (its LIKE ignores case and so no index); on
        // PostgreSQL LIKE, right under any collation, wildcards in the prefix escaped.
        if matches!(self.db, Db::Sqlite(_)) {
            let mut end = prefix.to_owned();
            end.push(char::MAX);
            let (lo, hi) = (w.arg(Arg::Text(prefix.to_owned())), w.arg(Arg::Text(end)));
            w.clauses.push(format!("t.tag >= {lo} AND t.tag < {hi}"));
        } else {
            let escaped: String = prefix
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let like = w.arg(Arg::Text(format!("{escaped}%")));
            w.clauses.push(format!("t.tag LIKE {like} ESCAPE '\\'"));
        }
        let sql = format!(
            "SELECT t.tag, COUNT(*) FROM appeal_tags t JOIN appeals a ON a.id = t.appeal_id{} \
             GROUP BY t.tag ORDER BY t.tag",
            w.sql()
        );
        with_db!(self, p => {
            Ok(bind_args!(sqlx::query_as(&sql), w.args).fetch_all(p).await?)
        })
    }

    async fn kpi_built(&self) -> Result<bool> {
        with_db!(self, p => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM kpi_built").fetch_one(p).await?;
            Ok(n > 0)
        })
    }

    async fn rebuild_kpi(&self, tally: &TallyCase, write: bool) -> Result<KpiRebuild> {
        let all_months = format!("SELECT {MONTH_KEY}, {} FROM kpi_months", columns());
        let all_days = format!("SELECT {DAY_KEY}, {} FROM kpi_days", columns());
        with_db!(self, p => {
            // The writer's lock first: no step lands between the reading and the
            // writing, so the recomputed sums are exact when written.
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let mut kept_months = BTreeMap::new();
            for row in sqlx::query(&all_months).fetch_all(&mut *tx).await? {
                let c = month_cell(&row)?;
                kept_months.insert((c.month, c.township, c.category, c.unit, c.staff), c.sums);
            }
            let mut kept_days = BTreeMap::new();
            for row in sqlx::query(&all_days).fetch_all(&mut *tx).await? {
                let key: DayKey = (row.try_get(0)?, row.try_get(1)?);
                kept_days.insert(key, sums_at(&row, 2)?);
            }
            let (max,): (Option<i64>,) =
                sqlx::query_as("SELECT MAX(id) FROM appeals").fetch_one(&mut *tx).await?;
            let max = max.unwrap_or(0);
            let (mut fresh_months, mut fresh_days) = (BTreeMap::new(), BTreeMap::new());
            let (mut after, mut cases) = (0, 0u64);
            loop {
                // Read on other connections: they see everything committed before
                // this transaction took the lock, and nothing can commit after.
                let batch = self.cases_where("1 = 1", after, max, REBUILD_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = last.facts.id;
                cases += batch.len() as u64;
                let tallies: Vec<Tally> = batch.iter().flat_map(tally).collect();
                let (months, days) = cells(&tallies);
                for (k, s) in months {
                    fresh_months.entry(k).or_insert_with(Sums::zero).add(&s);
                }
                for (k, s) in days {
                    fresh_days.entry(k).or_insert_with(Sums::zero).add(&s);
                }
            }
            let report = KpiRebuild {
                cases,
                cells: (fresh_months.len() + fresh_days.len()) as u64,
                differing: differing(&kept_months, &fresh_months) + differing(&kept_days, &fresh_days),
                written: write,
            };
            if write {
                sqlx::query("DELETE FROM kpi_months").execute(&mut *tx).await?;
                sqlx::query("DELETE FROM kpi_days").execute(&mut *tx).await?;
                let (months, days) = (month_rows(fresh_months), day_rows(fresh_days));
                insert_rows!(tx, MONTHS_INSERT.as_str(), months);
                insert_rows!(tx, DAYS_INSERT.as_str(), days);
                sqlx::query(
                    "INSERT INTO kpi_built (id, built_at) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET built_at = excluded.built_at",
                )
                .bind(crate::now())
                .execute(&mut *tx)
                .await?;
                append_audit!(tx, chain, crate::now(), None, "kpi.rebuild", None, json!({
                    "cases": report.cases,
                    "cells": report.cells,
                    "differing": report.differing,
                }));
                commit_chain!(tx, chain);
            } else {
                tx.rollback().await?;
            }
            Ok(report)
        })
    }
}
