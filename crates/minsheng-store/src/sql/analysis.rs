//! What reading the appeals' text keeps: the routing models learnt from the county's
//! history and the history they learn from, and the clusters of similar appeals.

use minsheng_core::alerts::{AlertLevel, AlertPolicy, Raise, Signal};

use super::*;
use crate::{
    Analysis, ClusterMember, ClusterPlacement, ClusterRef, ClusterSource, ClusterView, DailyCount,
    StoredModel, TrainingExample,
};

/// States in which a unit has handled an appeal to its end: what it was and who
/// handled it are settled.
const SETTLED: &str = "('replied', 'reviewed', 'final', 'answered', 'closed')";

#[async_trait]
impl Analysis for SqlStore {
    async fn cluster_sources(
        &self,
        since: DateTime<Utc>,
        after: Option<(DateTime<Utc>, i64)>,
        limit: i64,
    ) -> Result<Vec<ClusterSource>> {
        let (at, id) = after.unwrap_or((since, 0));
        with_db!(self, p => {
            #[allow(clippy::type_complexity)]
            let rows: Vec<(i64, String, String, String, String, Option<f64>, Option<f64>, DateTime<Utc>, Option<i64>)> =
                sqlx::query_as(
                    "SELECT a.id, a.title, a.body, a.category, a.region_code, a.lat, a.lng, a.received_at, m.cluster_id \
                     FROM appeals a LEFT JOIN cluster_members m ON m.appeal_id = a.id \
                     WHERE a.received_at >= $1 AND (a.received_at > $2 OR (a.received_at = $2 AND a.id > $3)) \
                     ORDER BY a.received_at, a.id LIMIT $4",
                )
                .bind(since)
                .bind(at)
                .bind(id)
                .bind(limit.clamp(1, 100_000))
                .fetch_all(p)
                .await?;
            rows.into_iter()
                .map(|(id, title, text, category, region, lat, lng, received_at, cluster_id)| {
                    Ok(ClusterSource {
                        region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                        id,
                        title,
                        text,
                        category,
                        location: lat.zip(lng),
                        received_at,
                        cluster_id,
                    })
                })
                .collect()
        })
    }

    async fn place_in_clusters(
        &self,
        placements: &[ClusterPlacement],
        policy: &AlertPolicy,
    ) -> Result<Vec<i64>> {
        if placements.is_empty() {
            return Ok(Vec::new());
        }
        let now = crate::now();
        let short = chrono::Duration::hours(i64::from(policy.cluster_hours));
        let long = chrono::Duration::days(i64::from(policy.cluster_days));
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            // A run of placements is written in a handful of statements whatever its
            // length: new clusters numbered here and stored many rows a statement with
            // their sizes, every member likewise, the clusters that grew in one UPDATE.
            let mut grown: HashMap<i64, (i64, DateTime<Utc>, String)> = HashMap::new();
            // Each new cluster once, in order, with its first member (its category and
            // place).
            let mut fresh: Vec<(u64, &ClusterPlacement)> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for pl in placements {
                if let ClusterRef::New(key) = pl.cluster
                    && seen.insert(key)
                {
                    fresh.push((key, pl));
                }
            }
            let numbers: Vec<i64> = if fresh.is_empty() {
                Vec::new()
            } else if numbered(&tx) {
                let n = i64::try_from(fresh.len()).map_err(StoreError::other)?;
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT nextval(pg_get_serial_sequence('clusters', 'id')) FROM generate_series(1, $1)",
                )
                .bind(n)
                .fetch_all(&mut *tx)
                .await?;
                rows.into_iter().map(|(id,)| id).collect()
            } else {
                // The write transaction holds SQLite's one write lock: nobody else numbers.
                let (top,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM clusters")
                    .fetch_one(&mut *tx)
                    .await?;
                (1..=fresh.len() as i64).map(|k| top + k).collect()
            };
            let started: HashMap<u64, i64> = fresh.iter().map(|(k, _)| *k).zip(numbers).collect();
            let ids: Vec<i64> = placements
                .iter()
                .map(|pl| match pl.cluster {
                    ClusterRef::Stored(c) => c,
                    ClusterRef::New(key) => started[&key],
                })
                .collect();
            for (pl, c) in placements.iter().zip(&ids) {
                let e = grown.entry(*c).or_insert((0, pl.received_at, pl.region.to_string()));
                e.0 += 1;
                if pl.received_at > e.1 {
                    e.1 = pl.received_at;
                }
            }
            let mut sizes: HashMap<i64, i64> = HashMap::new();
            let new_rows: Vec<Vec<Arg>> = fresh
                .iter()
                .map(|(key, pl)| {
                    let id = started[key];
                    let size = grown[&id].0;
                    sizes.insert(id, size);
                    vec![
                        Arg::Int(id),
                        Arg::Text(pl.category.clone()),
                        Arg::Text(pl.region.to_string()),
                        Arg::Time(now),
                        Arg::Time(now),
                        Arg::Int(size),
                    ]
                })
                .collect();
            insert_rows!(tx, "INSERT INTO clusters (id, category, region_code, created_at, updated_at, size)", new_rows);
            let rows: Vec<Vec<Arg>> = placements
                .iter()
                .zip(&ids)
                .map(|(pl, c)| {
                    vec![
                        Arg::Int(pl.appeal_id),
                        Arg::Int(*c),
                        Arg::Time(pl.received_at),
                        Arg::OptText(pl.evidence.clone()),
                    ]
                })
                .collect();
            insert_rows!(tx, "INSERT INTO cluster_members (appeal_id, cluster_id, received_at, evidence)", rows);
            // Sizes after this run: the new clusters' are known, the older ones' read
            // back from the one UPDATE that grows them.
            let older: Vec<serde_json::Value> = grown
                .iter()
                .filter(|(c, _)| !sizes.contains_key(c))
                .map(|(c, (n, _, _))| serde_json::json!([c, n]))
                .collect();
            if !older.is_empty() {
                let sql = if numbered(&tx) {
                    "UPDATE clusters c SET size = c.size + (j->>1)::bigint, updated_at = $2 \
                     FROM jsonb_array_elements($1::jsonb) j WHERE c.id = (j->>0)::bigint RETURNING c.id, c.size"
                } else {
                    "UPDATE clusters SET size = size + (j.value ->> 1), updated_at = $2 \
                     FROM json_each($1) j WHERE clusters.id = (j.value ->> 0) RETURNING clusters.id, clusters.size"
                };
                let after: Vec<(i64, i64)> = sqlx::query_as(sql)
                    .bind(serde_json::Value::Array(older).to_string())
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                sizes.extend(after);
            }
            // A cluster smaller than an alert's least count cannot raise one.
            grown.retain(|c, _| sizes.get(c).is_some_and(|n| *n >= i64::from(policy.cluster_size)));
            // Clusters that grew: enough members within the short window, or many
            // within the long one, raise or grow an alert naming them.
            let mut grown: Vec<(i64, (i64, DateTime<Utc>, String))> = grown.into_iter().collect();
            grown.sort_by_key(|(c, _)| *c);
            // Their members within the long window, all in one query.
            let mut by_cluster: HashMap<i64, Vec<(i64, DateTime<Utc>)>> = HashMap::new();
            if let Some(earliest) = grown.iter().map(|(_, (_, latest, _))| *latest - long).min() {
                let wanted: Vec<i64> = grown.iter().map(|(c, _)| *c).collect();
                let sql = if numbered(&tx) {
                    "SELECT cluster_id, appeal_id, received_at FROM cluster_members \
                     WHERE cluster_id = ANY(ARRAY(SELECT (jsonb_array_elements_text($1::jsonb))::bigint)) \
                     AND received_at >= $2 ORDER BY cluster_id, appeal_id"
                } else {
                    "SELECT cluster_id, appeal_id, received_at FROM cluster_members \
                     WHERE cluster_id IN (SELECT value FROM json_each($1)) \
                     AND received_at >= $2 ORDER BY cluster_id, appeal_id"
                };
                let rows: Vec<(i64, i64, DateTime<Utc>)> = sqlx::query_as(sql)
                    .bind(serde_json::to_string(&wanted).map_err(StoreError::other)?)
                    .bind(earliest)
                    .fetch_all(&mut *tx)
                    .await?;
                for (cluster, appeal, at) in rows {
                    by_cluster.entry(cluster).or_default().push((appeal, at));
                }
            }
            for (cluster, (_, latest, region)) in grown {
                let members: Vec<(i64, DateTime<Utc>)> = by_cluster
                    .remove(&cluster)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(_, at)| *at >= latest - long && *at <= latest)
                    .collect();
                if members.len() < 2 {
                    continue;
                }
                let recent = members.iter().filter(|(_, at)| *at >= latest - short).count();
                let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                let raise = policy
                    .raise(&Signal::Cluster { cluster, count: count(recent), hours: policy.cluster_hours })
                    .or_else(|| {
                        policy.raise(&Signal::Cluster {
                            cluster,
                            count: count(members.len()),
                            hours: policy.cluster_days * 24,
                        })
                        .filter(|_| members.len() >= (policy.cluster_size * 2) as usize)
                    });
                let Some(raise) = raise else { continue };
                let grouping = format!("cluster:{cluster}");
                let active: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM alerts WHERE grouping = $1 AND state <> 'resolved'")
                        .bind(&grouping)
                        .fetch_optional(&mut *tx)
                        .await?;
                let (id, action) = match active {
                    Some((id,)) => {
                        sqlx::query("UPDATE alerts SET level = $1, signal = $2, updated_at = $3 WHERE id = $4")
                            .bind(raise.level.code())
                            .bind(serde_json::to_string(&raise.signal).map_err(StoreError::other)?)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        (id, "alert.join")
                    }
                    None => (insert_alert!(tx, raise, Some(grouping), region, now), "alert.raise"),
                };
                let named: Vec<(i64,)> = sqlx::query_as("SELECT appeal_id FROM alert_members WHERE alert_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                let named: std::collections::HashSet<i64> = named.into_iter().map(|(a,)| a).collect();
                for (appeal, _) in members.iter().filter(|(a, _)| !named.contains(a)) {
                    join_alert!(tx, chain, id, *appeal, &raise, now, action);
                }
            }
            commit_chain!(tx, chain);
            Ok(ids)
        })
    }

    async fn daily_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DailyCount>> {
        with_db!(self, p => {
            // China's day, at its fixed offset (as the workflow calendar reads it).
            let day = if numbered_pool(p) {
                "to_char((received_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
            } else {
                "date(received_at, '+8 hours')"
            };
            let sql = format!(
                "SELECT category, substr(region_code, 1, 9), {day}, COUNT(*) FROM appeals \
                 WHERE received_at >= $1 AND received_at < $2 GROUP BY 1, 2, 3"
            );
            let rows: Vec<(String, String, String, i64)> =
                sqlx::query_as(&sql).bind(from).bind(to).fetch_all(p).await?;
            rows.into_iter()
                .map(|(category, township, day, count)| {
                    let code = format!("{township}000");
                    Ok(DailyCount {
                        category,
                        township: RegionCode::parse(&code).map_err(|_| corrupt("region", &code))?,
                        day: chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                            .map_err(|_| corrupt("day", &day))?,
                        count: u32::try_from(count).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        })
    }

    async fn raise_surge(
        &self,
        category: &str,
        township: &RegionCode,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        raise: &Raise,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let grouping = format!("surge:{category}:{township}:{}", from.timestamp());
        let prefix = format!("{}%", &township.as_str()[..9]);
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            // The day's active alert grows; once resolved, a day that keeps surging
            // raises a new one.
            let active: Option<(i64, String)> =
                sqlx::query_as("SELECT id, signal FROM alerts WHERE grouping = $1 AND state <> 'resolved'")
                    .bind(&grouping)
                    .fetch_optional(&mut *tx)
                    .await?;
            let signal = serde_json::to_string(&raise.signal).map_err(StoreError::other)?;
            let (id, action) = match active {
                Some((id, stored)) => {
                    if stored != signal {
                        sqlx::query("UPDATE alerts SET level = $1, signal = $2, updated_at = $3 WHERE id = $4")
                            .bind(raise.level.code())
                            .bind(&signal)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    (id, "alert.join")
                }
                None => (insert_alert!(tx, raise, Some(grouping), township, now), "alert.raise"),
            };
            let members: Vec<(i64,)> = sqlx::query_as(
                "SELECT a.id FROM appeals a WHERE a.category = $1 AND a.region_code LIKE $2 \
                 AND a.received_at >= $3 AND a.received_at < $4 \
                 AND NOT EXISTS (SELECT 1 FROM alert_members m WHERE m.alert_id = $5 AND m.appeal_id = a.id) \
                 ORDER BY a.id",
            )
            .bind(category)
            .bind(&prefix)
            .bind(from)
            .bind(to)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for (appeal,) in members {
                join_alert!(tx, chain, id, appeal, raise, now, action);
            }
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn cluster_of(&self, appeal_id: i64, scope: &Scope) -> Result<Option<ClusterView>> {
        with_db!(self, p => {
            let head: Option<(i64, String, String, i64)> = sqlx::query_as(
                "SELECT c.id, c.category, c.region_code, c.size FROM cluster_members m \
                 JOIN clusters c ON c.id = m.cluster_id WHERE m.appeal_id = $1",
            )
            .bind(appeal_id)
            .fetch_optional(p)
            .await?;
            let Some((id, category, region, size)) = head else {
                return Ok(None);
            };
            let mut w = Where::default();
            let c = w.arg(Arg::Int(id));
            w.clauses.push(format!("m.cluster_id = {c}"));
            w.scope(scope);
            let sql = format!(
                "SELECT a.id, a.no, a.title, m.received_at, m.evidence FROM cluster_members m \
                 JOIN appeals a ON a.id = m.appeal_id{} ORDER BY m.received_at, a.id LIMIT 200",
                w.sql()
            );
            #[allow(clippy::type_complexity)]
            let rows: Vec<(i64, String, String, DateTime<Utc>, Option<String>)> =
                bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            Ok(Some(ClusterView {
                id,
                category,
                region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                size,
                members: rows
                    .into_iter()
                    .map(|(appeal_id, no, title, received_at, evidence)| {
                        Ok(ClusterMember {
                            no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                            appeal_id,
                            title,
                            received_at,
                            evidence,
                        })
                    })
                    .collect::<Result<_>>()?,
            }))
        })
    }

    async fn labelled_appeals(&self, prefix: &str) -> Result<Vec<(i64, String)>> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        with_db!(self, p => {
            Ok(sqlx::query_as("SELECT appeal_id, tag FROM appeal_tags WHERE tag LIKE $1 ORDER BY appeal_id")
                .bind(pattern)
                .fetch_all(p)
                .await?)
        })
    }

    async fn clear_clusters(&self) -> Result<()> {
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (clusters,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clusters").fetch_one(&mut *tx).await?;
            sqlx::query("DELETE FROM alert_members WHERE alert_id IN (SELECT id FROM alerts WHERE rule = 'cluster')")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM alerts WHERE rule = 'cluster'").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM cluster_members").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM clusters").execute(&mut *tx).await?;
            append_audit!(tx, chain, crate::now(), None, "cluster.rebuild", None, json!({ "clusters_dropped": clusters }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }
    async fn training_examples(&self, limit: i64) -> Result<Vec<TrainingExample>> {
        let sql = format!(
            "SELECT title, body, category, handler_unit_id, region_code FROM appeals \
             WHERE status IN {SETTLED} AND handler_unit_id IS NOT NULL ORDER BY id DESC LIMIT $1"
        );
        with_db!(self, p => {
            let rows: Vec<(String, String, String, Option<i64>, String)> =
                sqlx::query_as(&sql).bind(limit.max(0)).fetch_all(p).await?;
            rows.into_iter()
                .map(|(title, text, category, unit_id, region)| {
                    Ok(TrainingExample {
                        region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                        title,
                        text,
                        category,
                        unit_id,
                    })
                })
                .collect()
        })
    }

    async fn settled_appeals(&self) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM appeals WHERE status IN {SETTLED} AND handler_unit_id IS NOT NULL"
        );
        with_db!(self, p => {
            let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(p).await?;
            Ok(n)
        })
    }

    async fn model(&self, name: &str) -> Result<Option<StoredModel>> {
        with_db!(self, p => {
            let row: Option<(String, DateTime<Utc>, i64, String)> = sqlx::query_as(
                "SELECT name, trained_at, examples, data FROM text_models WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(p)
            .await?;
            Ok(row.map(|(name, trained_at, examples, data)| StoredModel { name, trained_at, examples, data }))
        })
    }

    async fn save_model(&self, model: &StoredModel) -> Result<()> {
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            sqlx::query(
                "INSERT INTO text_models (name, trained_at, examples, data) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET trained_at = excluded.trained_at, \
                 examples = excluded.examples, data = excluded.data",
            )
            .bind(&model.name)
            .bind(model.trained_at)
            .bind(model.examples)
            .bind(&model.data)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, chain, crate::now(), None, "model.train", None, json!({
                "name": model.name, "examples": model.examples,
                "sha256": sha256_hex(&[model.data.as_str()]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }
}
