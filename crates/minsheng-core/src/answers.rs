//! Answers the county keeps: reply templates for handlers (per category, or for any)
//! and the knowledge base call-takers answer consultations from. One list serves both.

use serde::Deserialize;

use crate::form::Check;
use crate::intake::FieldErrors;

/// An answer as an administrator types it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    /// The category it answers (a code), or empty for any.
    pub category: String,
    /// Its title, 2–60 characters.
    pub title: String,
    /// The answer, 10–2000 characters.
    pub body: String,
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    /// The category it answers, if one.
    pub category: Option<String>,
    /// Its title.
    pub title: String,
    /// The answer.
    pub body: String,
}

impl AnswerForm {
    /// Checks the form against the county's category codes.
    pub fn validate(&self, categories: &[&str]) -> Result<NewAnswer, FieldErrors> {
        let mut c = Check::new();
        let category = match self.category.trim() {
            "" => Some(None),
            code => c.choice("category", code, |v| {
                categories.contains(&v).then(|| Some(v.to_owned()))
            }),
        };
        let title = c.name("title", &self.title, 2, 60);
        let body = c.text("body", &self.body, 10, 2000);
        c.done(category.map(|category| NewAnswer {
            category,
            title,
            body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::FieldError;

    #[test]
    fn answers_are_checked_field_by_field() {
        let good = AnswerForm {
            category: "gongre".into(),
            title: " 供暖温度标准 ".into(),
            body: "按规定，供暖期间居室温度不低于18℃。如室温不达标，可拨打热线反映。".into(),
        };
        let a = good.validate(&["gongre"]).expect("good");
        assert_eq!(
            (a.category.as_deref(), a.title.as_str()),
            (Some("gongre"), "供暖温度标准")
        );
        let any = AnswerForm {
            category: String::new(),
            ..good.clone()
        };
        assert_eq!(any.validate(&[]).expect("any").category, None);
        let bad = AnswerForm {
            category: "nonsense".into(),
            title: "a".into(),
            body: "太短".into(),
        };
        let errors = bad.validate(&["gongre"]).expect_err("bad").0;
        assert_eq!(
            errors,
            vec![
                ("category", FieldError::UnknownChoice),
                ("title", FieldError::TooShort(2)),
                ("body", FieldError::TooShort(10)),
            ]
        );
    }
}
