//! The county's answers: reply templates and the knowledge base (one list).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_core::answers::NewAnswer;

use crate::Result;

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its id.
    pub id: i64,
    /// The category it answers, if one (else any).
    pub category: Option<String>,
    /// Its title.
    pub title: String,
    /// The answer.
    pub body: String,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// The answers.
#[async_trait]
pub trait Answers {
    /// Answers whose title or text contains `words` (all when empty), for `category`
    /// and those for any category when one is given, title order; at most `limit`.
    async fn answers(&self, category: Option<&str>, words: &str, limit: i64)
    -> Result<Vec<Answer>>;

    /// Adds an answer (`id` None) or changes one, audited; returns its id.
    async fn save_answer(&self, id: Option<i64>, answer: &NewAnswer, actor: i64) -> Result<i64>;

    /// Removes an answer, audited.
    async fn remove_answer(&self, id: i64, actor: i64) -> Result<()>;
}
