//! The checks the county's registers share (meetings, contacts, reception days, field
//! visits, screening, mediation, consultations): a text within bounds, a day, a time,
//! a choice, an id among the known ones. Each records its field's error and returns
//! what it read, so a form is checked in one pass and every error is said at once.

use chrono::{Datelike, NaiveDate, NaiveTime};

use crate::intake::{FieldError, FieldErrors, clean_name, clean_text};

/// A form being checked: the errors found so far.
#[derive(Debug, Default)]
pub struct Check(pub FieldErrors);

impl Check {
    /// A new check.
    pub fn new() -> Check {
        Check::default()
    }

    fn fail(&mut self, field: &'static str, error: FieldError) {
        self.0.0.push((field, error));
    }

    fn bounded(&mut self, field: &'static str, text: String, min: usize, max: usize) -> String {
        let n = text.chars().count();
        if n == 0 && min > 0 {
            self.fail(field, FieldError::Required);
        } else if n > 0 && n < min {
            self.fail(field, FieldError::TooShort(min));
        } else if n > max {
            self.fail(field, FieldError::TooLong(max));
        }
        text
    }

    /// A free text (paragraphs kept) of `min` to `max` characters; `min` 0: optional.
    pub fn text(&mut self, field: &'static str, value: &str, min: usize, max: usize) -> String {
        self.bounded(field, clean_text(value), min, max)
    }

    /// A one-line name or title of `min` to `max` characters.
    pub fn name(&mut self, field: &'static str, value: &str, min: usize, max: usize) -> String {
        self.bounded(field, clean_name(value), min, max)
    }

    /// A day, `YYYY-MM-DD`, in 2000–2099.
    pub fn day(&mut self, field: &'static str, value: &str) -> Option<NaiveDate> {
        let day = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (2000..=2099).contains(&d.year()));
        if day.is_none() {
            self.fail(field, FieldError::Date);
        }
        day
    }

    /// A day, or nothing when left empty.
    pub fn optional_day(&mut self, field: &'static str, value: &str) -> Option<NaiveDate> {
        if value.trim().is_empty() {
            None
        } else {
            self.day(field, value)
        }
    }

    /// A time of day, `HH:MM`.
    pub fn time(&mut self, field: &'static str, value: &str) -> Option<NaiveTime> {
        let time = NaiveTime::parse_from_str(value.trim(), "%H:%M").ok();
        if time.is_none() {
            self.fail(field, FieldError::Time);
        }
        time
    }

    /// One of a fixed set, by its code.
    pub fn choice<T>(
        &mut self,
        field: &'static str,
        value: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let chosen = parse(value.trim());
        if chosen.is_none() {
            self.fail(field, FieldError::UnknownChoice);
        }
        chosen
    }

    /// The id of one of `known`.
    pub fn one_of(&mut self, field: &'static str, value: &str, known: &[i64]) -> Option<i64> {
        self.choice(field, value, |v| {
            v.parse::<i64>().ok().filter(|id| known.contains(id))
        })
    }

    /// Says that `field` is wrong as `error`, for a rule between fields.
    pub fn refuse(&mut self, field: &'static str, error: FieldError) {
        self.fail(field, error);
    }

    /// Whether nothing was found wrong.
    pub fn ok(&self) -> bool {
        self.0.0.is_empty()
    }

    /// The errors found, or `value` when there are none.
    pub fn done<T>(self, value: Option<T>) -> Result<T, FieldErrors> {
        match value {
            Some(v) if self.ok() => Ok(v),
            _ => Err(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_said_at_once_and_good_values_come_back() {
        let mut c = Check::new();
        assert_eq!(c.name("title", "  供暖  联席会 ", 2, 100), "供暖 联席会");
        assert_eq!(c.text("note", "", 0, 10), "");
        assert_eq!(c.day("on", "2026-12-01").map(|d| d.day()), Some(1));
        assert_eq!(c.one_of("unit", "7", &[7, 8]), Some(7));
        assert!(c.ok());
        assert_eq!(c.done(Some(1)), Ok(1));

        let mut c = Check::new();
        c.name("title", "", 2, 100);
        c.name("place", "甲", 2, 100);
        c.text("note", &"字".repeat(11), 0, 10);
        c.day("on", "2026-13-01");
        c.day("then", "1999-01-01");
        c.time("from", "25:00");
        c.one_of("unit", "9", &[7, 8]);
        c.choice("risk", "extreme", |_| None::<u8>);
        let errors = c.done(Some(())).expect_err("errors");
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "title", "place", "note", "on", "then", "from", "unit", "risk"
            ]
        );
    }
}
