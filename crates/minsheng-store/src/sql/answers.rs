//! The answers on both engines.

use minsheng_core::answers::NewAnswer;

use super::*;
use crate::answers::{Answer, Answers};

#[async_trait]
impl Answers for SqlStore {
    async fn answers(
        &self,
        category: Option<&str>,
        words: &str,
        limit: i64,
    ) -> Result<Vec<Answer>> {
        let mut w = Where::default();
        if let Some(c) = category {
            let p = w.arg(Arg::Text(c.to_owned()));
            w.clauses
                .push(format!("(category = {p} OR category IS NULL)"));
        }
        let words = words.trim();
        if !words.is_empty() {
            // Matched as plain text: % and _ in what was typed mean themselves.
            let escaped: String = words
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let p = w.arg(Arg::Text(format!("%{escaped}%")));
            let q = w.arg(Arg::Text(format!("%{escaped}%")));
            w.clauses.push(format!(
                "(title LIKE {p} ESCAPE '\\' OR body LIKE {q} ESCAPE '\\')"
            ));
        }
        let l = w.arg(Arg::Int(limit));
        let sql = format!(
            "SELECT id, category, title, body, updated_at FROM answers{} ORDER BY title, id LIMIT {l}",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<(i64, Option<String>, String, String, DateTime<Utc>)> =
                bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            Ok(rows
                .into_iter()
                .map(|(id, category, title, body, updated_at)| Answer { id, category, title, body, updated_at })
                .collect())
        })
    }

    async fn save_answer(&self, id: Option<i64>, a: &NewAnswer, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let id = match id {
                None => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO answers (category, title, body, updated_at, updated_by) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&a.category)
                    .bind(&a.title)
                    .bind(&a.body)
                    .bind(at)
                    .bind(actor)
                    .fetch_one(&mut *tx)
                    .await?;
                    id
                }
                Some(id) => {
                    let done = sqlx::query(
                        "UPDATE answers SET category = $1, title = $2, body = $3, updated_at = $4, updated_by = $5 \
                         WHERE id = $6",
                    )
                    .bind(&a.category)
                    .bind(&a.title)
                    .bind(&a.body)
                    .bind(at)
                    .bind(actor)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if done != 1 {
                        return Err(StoreError::NotFound);
                    }
                    id
                }
            };
            append_audit!(tx, chain, at, Some(actor), "answer.save", None, json!({
                "answer": id, "category": a.category, "title": a.title,
                "body_sha256": sha256_hex(&[&a.body]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn remove_answer(&self, id: i64, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let done = sqlx::query("DELETE FROM answers WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "answer.remove", None, json!({ "answer": id }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }
}
