//! What reading the appeals' text keeps: the routing models learnt from the county's
//! history, and the history they learn from.

use super::*;
use crate::{Analysis, StoredModel, TrainingExample};

/// States in which a unit has handled an appeal to its end: what it was and who
/// handled it are settled.
const SETTLED: &str = "('replied', 'reviewed', 'final', 'answered', 'closed')";

#[async_trait]
impl Analysis for SqlStore {
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
