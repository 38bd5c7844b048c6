//! Clocks and calendars: statutory limits in calendar days, hotline limits in working
//! days on a calendar of public holidays and make-up working days loaded from data.
//!
//! Conventions (see docs/workflow.md):
//! - N working days after a start date is the N-th working day after it; the start
//!   day itself is never counted, whether or not it is a working day.
//! - N calendar days after a start date is the date N days later.
//! - A limit ends at the end of its due date in China Standard Time (23:59:59 +08:00).
//! - A year the calendar does not declare counts Monday to Friday as working days, and
//!   the answer says it is not covered.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Explain, Lang};
use crate::table::LineError;

/// The calendar shipped with Minsheng (2025 and 2026).
pub const DEFAULT_CALENDAR: &str = include_str!("../data/cn-workdays.txt");

/// China Standard Time, in which deadlines fall.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The calendar day of an instant in China.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// The last instant of a day in China, as UTC: when a limit that falls due that day ends.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let end = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    china()
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// What a day is on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Special {
    Holiday(String),
    Workday(String),
}

/// Public holidays and make-up working days for the years it declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeSet<i32>,
    days: BTreeMap<NaiveDate, Special>,
}

/// A problem in a calendar file, with its line number (from 1).
pub type CalendarError = LineError<CalendarProblem>;

/// What can be wrong in a calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarProblem {
    /// The first word is not `year`, `holiday` or `workday`.
    #[error("unknown entry {0:?}: use year, holiday or workday")]
    UnknownEntry(String),
    /// A date does not parse.
    #[error("{0:?} is not a date (YYYY-MM-DD)")]
    BadDate(String),
    /// A year does not parse.
    #[error("{0:?} is not a year")]
    BadYear(String),
    /// A range ends before it starts, or is implausibly long.
    #[error("the range {0} must run forwards and span at most 15 days")]
    BadRange(String),
    /// A date in a year not declared with `year` first.
    #[error("{0} lies in a year not declared with a `year` line above it")]
    UndeclaredYear(NaiveDate),
    /// A make-up working day that is not a Saturday or Sunday.
    #[error("{0} is a weekday: a make-up working day is a Saturday or Sunday")]
    WorkdayOnWeekday(NaiveDate),
    /// A day listed twice.
    #[error("{0} is listed twice")]
    Duplicate(NaiveDate),
    /// A year declared twice.
    #[error("the year {0} is declared twice")]
    DuplicateYear(i32),
    /// A year declared without a single holiday: it would replace that year's holidays
    /// with none.
    #[error("the year {0} lists no holiday; a year's file lists all its holidays")]
    NoHolidays(i32),
    /// A declaration without any name.
    #[error("a holiday or make-up day needs a name after the date")]
    MissingName,
}

impl Explain for CalendarProblem {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                CalendarProblem::UnknownEntry(w) => {
                    format!("无法识别的条目“{w}”，应为 year、holiday 或 workday")
                }
                CalendarProblem::BadDate(d) => format!("“{d}”不是日期（应为 YYYY-MM-DD）"),
                CalendarProblem::BadYear(y) => format!("“{y}”不是年份"),
                CalendarProblem::BadRange(r) => format!("日期范围 {r} 应从前往后且不超过15天"),
                CalendarProblem::UndeclaredYear(d) => {
                    format!("{d} 所在年份未在上方用 year 声明")
                }
                CalendarProblem::WorkdayOnWeekday(d) => {
                    format!("{d} 是工作日：调休上班日应为周六或周日")
                }
                CalendarProblem::Duplicate(d) => format!("{d} 重复出现"),
                CalendarProblem::MissingName => "日期后面需要写明节日名称".into(),
                CalendarProblem::DuplicateYear(y) => format!("{y} 年重复声明"),
                CalendarProblem::NoHolidays(y) => {
                    format!("{y} 年没有列出任何假日：一年的文件应列出该年全部假日")
                }
            },
        }
    }
}

fn date(s: &str) -> Result<NaiveDate, CalendarProblem> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| CalendarProblem::BadDate(s.to_owned()))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// The calendar shipped with Minsheng.
    pub fn shipped() -> Calendar {
        Calendar::parse(DEFAULT_CALENDAR).expect("the shipped calendar is checked by its tests")
    }

    /// Parses a calendar file; every error names its line.
    pub fn parse(text: &str) -> Result<Calendar, CalendarError> {
        let mut cal = Calendar::default();
        let mut declared: BTreeMap<i32, usize> = BTreeMap::new();
        let text = text.trim_start_matches('\u{feff}');
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |problem| CalendarError { line, problem };
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let mut words = content.split_whitespace();
            let entry = words.next().unwrap_or("");
            let what = words.next().unwrap_or("");
            let name = words.collect::<Vec<_>>().join(" ");
            match entry {
                "year" => {
                    let y: i32 = what
                        .parse()
                        .ok()
                        .filter(|y| (1949..=2200).contains(y))
                        .ok_or_else(|| err(CalendarProblem::BadYear(what.to_owned())))?;
                    if declared.insert(y, line).is_some() {
                        return Err(err(CalendarProblem::DuplicateYear(y)));
                    }
                    cal.years.insert(y);
                }
                "holiday" | "workday" => {
                    if name.is_empty() {
                        return Err(err(CalendarProblem::MissingName));
                    }
                    let (from, to) = match what.split_once("..") {
                        Some((a, b)) => (date(a).map_err(err)?, date(b).map_err(err)?),
                        None => {
                            let d = date(what).map_err(err)?;
                            (d, d)
                        }
                    };
                    let span = (to - from).num_days();
                    if !(0..15).contains(&span) || (entry == "workday" && span != 0) {
                        return Err(err(CalendarProblem::BadRange(what.to_owned())));
                    }
                    for d in from.iter_days().take_while(|d| *d <= to) {
                        if !cal.years.contains(&d.year()) {
                            return Err(err(CalendarProblem::UndeclaredYear(d)));
                        }
                        if entry == "workday" && !is_weekend(d) {
                            return Err(err(CalendarProblem::WorkdayOnWeekday(d)));
                        }
                        let special = if entry == "holiday" {
                            Special::Holiday(name.clone())
                        } else {
                            Special::Workday(name.clone())
                        };
                        if cal.days.insert(d, special).is_some() {
                            return Err(err(CalendarProblem::Duplicate(d)));
                        }
                    }
                }
                other => return Err(err(CalendarProblem::UnknownEntry(other.to_owned()))),
            }
        }
        for (year, line) in declared {
            let holidays = cal
                .days
                .range(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)..)
                .take_while(|(d, _)| d.year() == year)
                .any(|(_, s)| matches!(s, Special::Holiday(_)));
            if !holidays {
                return Err(CalendarError {
                    line,
                    problem: CalendarProblem::NoHolidays(year),
                });
            }
        }
        Ok(cal)
    }

    /// Adds another calendar's years (a later file overrides the days it declares).
    pub fn merge(mut self, other: Calendar) -> Calendar {
        for y in &other.years {
            self.days.retain(|d, _| d.year() != *y);
        }
        self.years.extend(other.years);
        self.days.extend(other.days);
        self
    }

    /// The years the calendar declares.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether the calendar has data for the year of `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.years.contains(&day.year())
    }

    /// Whether people work on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.days.get(&day) {
            Some(Special::Holiday(_)) => false,
            Some(Special::Workday(_)) => true,
            None => !is_weekend(day),
        }
    }

    /// Counts holidays and make-up days (for `calendar check`).
    pub fn counts(&self) -> (usize, usize) {
        let holidays = self
            .days
            .values()
            .filter(|s| matches!(s, Special::Holiday(_)))
            .count();
        (holidays, self.days.len() - holidays)
    }

    /// The last day working-day arithmetic answers for: the end of the year after the
    /// last declared year (that year is counted Monday to Friday and said to be not
    /// covered). Without any declared year, the end of 9999.
    pub fn horizon(&self) -> NaiveDate {
        let year = self.years.last().map_or(9999, |y| y + 1);
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
    }

    /// Whether every year from `from`'s to `to`'s is declared. O(declared years).
    fn covers_span(&self, from: NaiveDate, to: NaiveDate) -> bool {
        let (a, b) = (from.year(), to.year());
        b >= a && self.years.range(a..=b).count() == usize::try_from(b - a + 1).unwrap_or(0)
    }

    /// The `n`-th working day after `start` (the start day is not counted); `n = 0` is
    /// `start` itself. Returns whether every day passed was covered by the calendar.
    ///
    /// Bounded work whatever `n` is: whole weeks are skipped arithmetically and only
    /// the declared special days in the span are visited, so an absurd `n` costs
    /// microseconds, not minutes. Past the last representable date it saturates.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Due {
        if n == 0 {
            return Due {
                date: start,
                covered: self.covers(start),
            };
        }
        // Every 7 days hold at least 5 weekdays, and holidays are at most a few weeks a
        // year: twice the span plus a month is a safe upper bound for the search.
        let span = u64::from(n) * 2 + 31;
        let mut lo = start;
        let mut hi = start
            .checked_add_days(Days::new(span))
            .unwrap_or(NaiveDate::MAX);
        if self.working_days_between(start, hi) < n {
            return Due {
                date: NaiveDate::MAX,
                covered: false,
            };
        }
        // The smallest day with n working days in (start, day]: a binary search over
        // a count that is monotone in the day.
        while lo < hi {
            let mid = lo + Days::new(u64::try_from((hi - lo).num_days() / 2).unwrap_or(0));
            if self.working_days_between(start, mid) >= n {
                hi = mid;
            } else {
                lo = mid.succ_opt().unwrap_or(mid);
            }
        }
        Due {
            date: hi,
            covered: self.covers_span(start, hi),
        }
    }

    /// Like [`Calendar::add_working_days`], but a due date past [`Calendar::horizon`]
    /// is an error: a limit that far beyond the calendar's years cannot be promised.
    pub fn due_within(&self, start: NaiveDate, n: u32) -> Result<Due, BeyondCalendar> {
        let due = self.add_working_days(start, n);
        if due.date > self.horizon() {
            Err(BeyondCalendar {
                horizon: self.horizon(),
            })
        } else {
            Ok(due)
        }
    }

    /// Working days strictly after `from` up to and including `to` (0 if `to <= from`).
    /// O(1) for the weekdays, plus one visit per declared special day in the span.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let mut n = weekdays_between(from, to);
        let after_from = from.succ_opt().unwrap_or(from);
        for (d, special) in self.days.range(after_from..=to) {
            match special {
                Special::Holiday(_) if !is_weekend(*d) => n -= 1,
                Special::Workday(_) if is_weekend(*d) => n += 1,
                _ => {}
            }
        }
        u32::try_from(n.max(0)).unwrap_or(u32::MAX)
    }
}

/// Monday-to-Friday days strictly after `from` up to and including `to`, in O(1).
fn weekdays_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let days = (to - from).num_days();
    if days <= 0 {
        return 0;
    }
    let (weeks, rest) = (days / 7, days % 7);
    // Whole weeks hold five weekdays each; the remaining days are counted one by one
    // from the weekday after `from` (at most six of them).
    let first = i64::from(from.weekday().num_days_from_monday());
    let tail = (1..=rest).filter(|k| (first + k).rem_euclid(7) < 5).count();
    weeks * 5 + i64::try_from(tail).unwrap_or(0)
}

/// A working-day limit that ends past the calendar's horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the limit ends after {horizon}, beyond the holiday calendar's years")]
pub struct BeyondCalendar {
    /// The last day the calendar answers for.
    pub horizon: NaiveDate,
}

impl Explain for BeyondCalendar {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!("期限超出节假日日历覆盖的年份（最晚到 {}）", self.horizon),
        }
    }
}

/// A due date and whether the calendar covered every day counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// The due date.
    pub date: NaiveDate,
    /// False when a year without calendar data was counted as Monday–Friday.
    pub covered: bool,
}

/// How a limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Limit {
    /// Calendar days (statutory limits).
    CalendarDays(u32),
    /// Working days on the calendar (hotline limits).
    WorkingDays(u32),
}

impl Limit {
    /// The due date of a limit started on `start`, after `paused` days on hold (counted
    /// in the limit's own unit), so a pause moves the deadline later by its length.
    pub fn due(self, start: NaiveDate, paused: u32, calendar: &Calendar) -> Due {
        match self {
            Limit::CalendarDays(n) => Due {
                date: start
                    .checked_add_days(Days::new(u64::from(n) + u64::from(paused)))
                    .unwrap_or(NaiveDate::MAX),
                covered: true,
            },
            Limit::WorkingDays(n) => calendar.add_working_days(start, n.saturating_add(paused)),
        }
    }

    /// Days of this limit's unit between two days (for measuring pauses).
    pub fn days_between(self, from: NaiveDate, to: NaiveDate, calendar: &Calendar) -> u32 {
        match self {
            Limit::CalendarDays(_) => u32::try_from((to - from).num_days().max(0)).unwrap_or(0),
            Limit::WorkingDays(_) => calendar.working_days_between(from, to),
        }
    }
}

/// The traffic light of a running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Light {
    /// Time in hand.
    Green,
    /// Most of the time used (by default 80%).
    Yellow,
    /// Past the deadline.
    Red,
}

impl Light {
    /// The light at `now` for a clock from `start` to `due`; yellow once `yellow_share`
    /// of the time is used.
    pub fn at(
        start: DateTime<Utc>,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        yellow_share: f64,
    ) -> Light {
        if now > due {
            return Light::Red;
        }
        if now >= Light::turns_yellow(start, due, yellow_share) {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// When a clock from `start` to `due` turns yellow: once `yellow_share` of its time
    /// is used.
    pub fn turns_yellow(
        start: DateTime<Utc>,
        due: DateTime<Utc>,
        yellow_share: f64,
    ) -> DateTime<Utc> {
        let total = (due - start).num_seconds().max(1) as f64;
        start + chrono::Duration::seconds((total * yellow_share).ceil() as i64)
    }

    /// The stable identifier, also a CSS class.
    pub fn code(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    /// The label in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Light::Green => crate::i18n::pick(lang, "正常", "on time"),
            Light::Yellow => crate::i18n::pick(lang, "临期", "due soon"),
            Light::Red => crate::i18n::pick(lang, "超期", "overdue"),
        }
    }
}

/// Working hours for sign-for limits: a span of each working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    /// When the working day starts (local time).
    pub open: NaiveTime,
    /// When it ends.
    pub close: NaiveTime,
}

impl Default for WorkingHours {
    fn default() -> WorkingHours {
        WorkingHours {
            open: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or_default(),
            close: NaiveTime::from_hms_opt(17, 30, 0).unwrap_or_default(),
        }
    }
}

impl WorkingHours {
    /// The instant `hours` working hours after `start`, counting only the open span of
    /// working days.
    pub fn add(&self, start: DateTime<Utc>, hours: u32, calendar: &Calendar) -> DateTime<Utc> {
        let tz = china();
        let local = start.with_timezone(&tz).naive_local();
        let mut day = local.date();
        let mut time = local.time().clamp(self.open, self.close);
        let mut left = chrono::Duration::hours(i64::from(hours));
        loop {
            if calendar.is_working_day(day) {
                let room = self.close - time;
                if left <= room {
                    let at = day.and_time(time) + left;
                    return tz
                        .from_local_datetime(&at)
                        .single()
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(start);
                }
                left -= room;
            }
            day = day.succ_opt().unwrap_or(day);
            time = self.open;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_declared_once_and_lists_its_holidays() {
        let dup =
            Calendar::parse("year 2030\nholiday 2030-01-01 元旦\nyear 2030\n").expect_err("twice");
        assert_eq!(
            (dup.line, dup.problem),
            (3, CalendarProblem::DuplicateYear(2030))
        );
        let empty = Calendar::parse("# next year\nyear 2031\nworkday 2031-01-04 调休\n")
            .expect_err("no holiday");
        assert_eq!(
            (empty.line, empty.problem),
            (2, CalendarProblem::NoHolidays(2031))
        );
        // A byte-order mark (Windows Notepad) is not an entry.
        let c = Calendar::parse("\u{feff}year 2031\nholiday 2031-01-01 元旦\n").expect("BOM");
        assert_eq!(c.years().collect::<Vec<_>>(), [2031]);
    }
    use proptest::prelude::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[rstest]
    // An ordinary week: Monday + 1 is Tuesday, Friday + 1 is the next Monday.
    #[case("2026-03-02", 1, "2026-03-03")]
    #[case("2026-03-06", 1, "2026-03-09")]
    #[case("2026-03-07", 1, "2026-03-09")] // from a Saturday the start day is not counted
    #[case("2026-03-02", 0, "2026-03-02")]
    // Spring Festival: 02-15..02-23 off, 02-14 (Sat) and 02-28 (Sat) worked.
    #[case("2026-02-13", 1, "2026-02-14")]
    #[case("2026-02-14", 1, "2026-02-24")]
    #[case("2026-02-12", 3, "2026-02-24")]
    #[case("2026-02-13", 5, "2026-02-27")]
    #[case("2026-02-26", 2, "2026-02-28")]
    #[case("2026-02-26", 3, "2026-03-02")]
    #[case("2026-02-10", 15, "2026-03-09")]
    // National Day: 09-20 (Sun) worked, 09-25..27 and 10-01..07 off, 10-10 (Sat) worked.
    #[case("2026-09-18", 1, "2026-09-20")]
    #[case("2026-09-24", 1, "2026-09-28")]
    #[case("2026-09-30", 1, "2026-10-08")]
    #[case("2026-09-30", 3, "2026-10-10")]
    #[case("2026-09-29", 5, "2026-10-12")]
    // New Year: 01-01..03 off, 01-04 (Sun) worked.
    #[case("2025-12-31", 1, "2026-01-04")]
    fn working_days_on_the_2026_calendar(#[case] from: &str, #[case] n: u32, #[case] due: &str) {
        let due_on = Calendar::shipped().add_working_days(d(from), n);
        assert_eq!(
            due_on,
            Due {
                date: d(due),
                covered: true
            }
        );
    }

    #[test]
    fn an_undeclared_year_counts_weekdays_and_says_so() {
        let due = Calendar::shipped().add_working_days(d("2027-01-01"), 1);
        assert_eq!(
            due,
            Due {
                date: d("2027-01-04"),
                covered: false
            }
        );
    }

    #[rstest]
    #[case(Limit::CalendarDays(15), 0, "2026-01-20", "2026-02-04")]
    #[case(Limit::CalendarDays(60), 0, "2026-09-01", "2026-10-31")]
    #[case(Limit::CalendarDays(60), 10, "2026-09-01", "2026-11-10")]
    #[case(Limit::WorkingDays(5), 0, "2026-09-30", "2026-10-13")]
    #[case(Limit::WorkingDays(5), 2, "2026-09-30", "2026-10-15")]
    fn limits_and_pauses(
        #[case] limit: Limit,
        #[case] paused: u32,
        #[case] start: &str,
        #[case] due: &str,
    ) {
        assert_eq!(
            limit.due(d(start), paused, &Calendar::shipped()).date,
            d(due)
        );
    }

    #[rstest]
    #[case("bogus 2026", 1)]
    #[case("year 2026\nholiday 2026-13-01 x", 2)]
    #[case("year 2026\nholiday 2026-02-10..2026-02-01 x", 2)]
    #[case("year 2026\n\nholiday 2026-01-01..2026-03-01 x", 3)]
    #[case("holiday 2026-01-01 元旦", 1)]
    #[case("year 2026\nworkday 2026-01-05 周一", 2)]
    #[case("year 2026\nholiday 2026-01-01 a\nholiday 2026-01-01 b", 3)]
    #[case("year 2026\nholiday 2026-01-01", 2)]
    #[case("year twenty", 1)]
    fn bad_calendar_files_name_the_line(#[case] text: &str, #[case] line: usize) {
        let e = Calendar::parse(text).expect_err("must be refused");
        assert_eq!(e.line, line, "{e}");
        assert!(e.explain(Lang::Zh).starts_with(&format!("第 {line} 行")));
    }

    #[test]
    fn a_later_file_replaces_the_years_it_declares() {
        let extra = Calendar::parse(
            "year 2026\nholiday 2026-03-03 测试\nyear 2027\nholiday 2027-01-01 元旦",
        )
        .expect("valid");
        let cal = Calendar::shipped().merge(extra);
        assert!(!cal.is_working_day(d("2026-03-03")));
        assert!(
            cal.is_working_day(d("2026-02-16")),
            "2026 as the new file says"
        );
        assert!(!cal.is_working_day(d("2027-01-01")));
        assert!(!cal.is_working_day(d("2025-01-28")), "2025 untouched");
        assert_eq!(cal.years().collect::<Vec<_>>(), [2025, 2026, 2027]);
    }

    #[test]
    fn the_shipped_calendar_holds_2025_and_2026() {
        let cal = Calendar::shipped();
        assert_eq!(cal.years().collect::<Vec<_>>(), [2025, 2026]);
        // 2025: 28 days off, 5 make-up days; 2026: 33 days off, 6 make-up days.
        assert_eq!(cal.counts(), (61, 11));
        assert!(!cal.is_working_day(d("2026-02-23")));
        assert!(cal.is_working_day(d("2026-02-28")));
    }

    #[test]
    fn working_hours_skip_nights_weekends_and_holidays() {
        let cal = Calendar::shipped();
        let wh = WorkingHours::default();
        let at = |s: &str| {
            china()
                .from_local_datetime(
                    &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("t"),
                )
                .single()
                .expect("t")
                .with_timezone(&Utc)
        };
        assert_eq!(
            wh.add(at("2026-03-02 09:00"), 2, &cal),
            at("2026-03-02 11:00")
        );
        assert_eq!(
            wh.add(at("2026-03-02 16:30"), 2, &cal),
            at("2026-03-03 09:30")
        );
        assert_eq!(
            wh.add(at("2026-03-06 20:00"), 1, &cal),
            at("2026-03-09 09:30")
        );
        assert_eq!(
            wh.add(at("2026-09-30 17:00"), 4, &cal),
            at("2026-10-08 12:00")
        );
    }

    #[test]
    fn lights() {
        let start = end_of_day(d("2026-03-01"));
        let due = end_of_day(d("2026-03-11"));
        assert_eq!(
            Light::at(start, due, end_of_day(d("2026-03-05")), 0.8),
            Light::Green
        );
        assert_eq!(
            Light::at(start, due, end_of_day(d("2026-03-09")), 0.8),
            Light::Yellow
        );
        assert_eq!(
            Light::at(start, due, end_of_day(d("2026-03-12")), 0.8),
            Light::Red
        );
    }

    /// The obvious day-by-day count, kept only to check the fast one against.
    fn naive_add(cal: &Calendar, start: NaiveDate, n: u32) -> NaiveDate {
        let (mut day, mut left) = (start, n);
        while left > 0 {
            day = day.succ_opt().expect("in range");
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    #[test]
    fn absurd_limits_saturate_instead_of_counting_day_by_day() {
        let cal = Calendar::shipped();
        let due = cal.add_working_days(d("2026-03-02"), u32::MAX);
        assert_eq!(due.date, NaiveDate::MAX);
        assert!(!due.covered);
        assert!(cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX) > 100_000_000);
        let far = Limit::CalendarDays(u32::MAX).due(d("2026-03-02"), u32::MAX, &cal);
        assert_eq!(far.date, NaiveDate::MAX);
    }

    #[test]
    fn limits_past_the_year_after_the_calendar_are_refused() {
        let cal = Calendar::shipped();
        assert_eq!(cal.horizon(), d("2027-12-31"));
        let ok = cal
            .due_within(d("2026-12-20"), 15)
            .expect("2027 is within reach");
        assert!(!ok.covered, "2027 is counted Monday to Friday");
        let err = cal
            .due_within(d("2026-12-20"), 400)
            .expect_err("2028 is not");
        assert_eq!(err.horizon, d("2027-12-31"));
        assert!(err.explain(Lang::Zh).contains("2027-12-31"));
    }

    proptest! {
        #[test]
        fn fast_counting_agrees_with_day_by_day(offset in 0u64..900, n in 0u32..400) {
            let cal = Calendar::shipped();
            let start = d("2024-11-01") + Days::new(offset);
            let fast = cal.add_working_days(start, n);
            prop_assert_eq!(fast.date, naive_add(&cal, start, n));
            let covered = start.iter_days().take_while(|x| *x <= fast.date).all(|x| cal.covers(x));
            prop_assert_eq!(fast.covered, covered);
        }

        #[test]
        fn more_working_days_never_end_earlier_and_always_land_on_a_working_day(
            offset in 0u64..700, n in 1u32..40
        ) {
            let cal = Calendar::shipped();
            let start = d("2025-01-01") + Days::new(offset);
            let a = cal.add_working_days(start, n);
            let b = cal.add_working_days(start, n + 1);
            prop_assert!(a.date > start);
            prop_assert!(b.date > a.date);
            prop_assert!(cal.is_working_day(a.date));
            prop_assert_eq!(cal.working_days_between(start, a.date), n);
        }
    }
}
