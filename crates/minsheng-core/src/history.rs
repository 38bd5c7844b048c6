//! Importing a county's historical appeals from the table another system exports:
//! which column holds which field (by the standard field names, common Chinese
//! headers, or a mapping file), and what each row means. Every problem names its line;
//! nothing here touches storage.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use thiserror::Error;

use crate::appeal::{AppealKind, Channel};
use crate::appellant::{Appellant, IdNumber, IdNumberError, Phone, PhoneError};
use crate::category::Category;
use crate::clock::china;
use crate::i18n::{Explain, Lang};
use crate::intake::{MAX_TEXT_CHARS, MAX_TITLE_CHARS, NewAppeal, clean_text, title_from};
use crate::region::{Region, RegionCode, RegionLevel};
use crate::table::{LineError, Row, Table};
use crate::workflow::State;

/// The fields an import row may carry, by their standard names (the JSON API uses the
/// same names).
pub const FIELDS: [&str; 20] = [
    "external_id",
    "received_at",
    "channel",
    "kind",
    "category",
    "township",
    "village",
    "region",
    "lat",
    "long",
    "address",
    "title",
    "text",
    "headcount",
    "name",
    "phone",
    "id_number",
    "status",
    "closed_at",
    "home_address",
];

/// Headers other systems commonly use, for each field.
const ALIASES: [(&str, &[&str]); 20] = [
    (
        "external_id",
        &["编号", "工单号", "工单编号", "外部编号", "原编号", "id"],
    ),
    (
        "received_at",
        &["受理时间", "来电时间", "登记时间", "收件时间", "反映时间"],
    ),
    ("channel", &["渠道", "来源", "来源渠道", "反映渠道"]),
    ("kind", &["性质", "诉求性质", "类型"]),
    ("category", &["类别", "诉求类别", "分类", "问题类别"]),
    (
        "township",
        &["乡镇", "所属乡镇", "乡镇街道", "乡镇（街道）", "街道"],
    ),
    (
        "village",
        &["村", "社区", "村社区", "村（社区）", "所属村居", "村居"],
    ),
    ("region", &["区划代码", "地区代码"]),
    ("lat", &["纬度", "latitude"]),
    ("long", &["经度", "lng", "lon", "longitude"]),
    ("address", &["地址", "地点", "具体地点", "事发地址"]),
    ("title", &["标题", "主题"]),
    (
        "text",
        &["内容", "诉求内容", "来电内容", "反映内容", "问题描述"],
    ),
    ("headcount", &["人数"]),
    ("name", &["姓名", "诉求人", "来电人", "反映人"]),
    ("phone", &["电话", "联系电话", "来电号码", "手机"]),
    ("id_number", &["身份证号", "身份证号码", "证件号码"]),
    ("status", &["状态", "办理状态", "办结状态"]),
    ("closed_at", &["办结时间", "结案时间"]),
    ("home_address", &["家庭住址", "住址"]),
];

/// Which column holds which field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap(HashMap<&'static str, usize>);

/// A problem with one line of the file (line 1 is the header).
pub type ImportError = LineError<ImportProblem>;

/// What can be wrong in an import file.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ImportProblem {
    /// A needed column is missing.
    #[error("no column for {0}")]
    MissingColumn(&'static str),
    /// The mapping file names a field that does not exist.
    #[error("the mapping names an unknown field {0:?}")]
    UnknownField(String),
    /// A mapping line is not `header=field`.
    #[error("a mapping line reads `header=field`, not {0:?}")]
    BadMapping(String),
    /// A required cell is empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// A time that does not parse.
    #[error("{0:?} is not a time (use ISO 8601 with a zone, or YYYY-MM-DD HH:MM in China time)")]
    BadTime(String),
    /// A time in the future.
    #[error("{0} lies in the future")]
    Future(String),
    /// Closed before it was received.
    #[error("closed before it was received")]
    ClosedBeforeReceived,
    /// Not one of the known values.
    #[error("{field}: unknown value {value:?}")]
    Unknown {
        /// Which field.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// The place cannot be found.
    #[error("no such place: {0}")]
    UnknownPlace(String),
    /// Too long.
    #[error("{0} is longer than {1} characters")]
    TooLong(&'static str, usize),
    /// A bad phone number.
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// A bad ID number.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    /// A bad number.
    #[error("{0}: {1:?} is not a number in range")]
    BadNumber(&'static str, String),
    /// The same external id twice in the file.
    #[error("external id {id:?} is used again (first on line {first_line})")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where it was first.
        first_line: usize,
    },
}

impl Explain for ImportProblem {
    fn explain(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            ImportProblem::MissingColumn(f) => format!("缺少“{f}”列"),
            ImportProblem::UnknownField(f) => format!("映射文件中的字段“{f}”不存在"),
            ImportProblem::BadMapping(l) => format!("映射应写成“表头=字段”，而不是“{l}”"),
            ImportProblem::Empty(f) => format!("“{f}”为空"),
            ImportProblem::BadTime(t) => {
                format!("“{t}”不是时间（请用带时区的 ISO 8601，或北京时间 YYYY-MM-DD HH:MM）")
            }
            ImportProblem::Future(t) => format!("{t} 晚于现在"),
            ImportProblem::ClosedBeforeReceived => "办结时间早于受理时间".into(),
            ImportProblem::Unknown { field, value } => format!("“{field}”的值“{value}”无法识别"),
            ImportProblem::UnknownPlace(p) => format!("找不到地点“{p}”"),
            ImportProblem::TooLong(f, n) => format!("“{f}”超过{n}个字"),
            ImportProblem::Phone(e) => e.explain(Lang::Zh),
            ImportProblem::IdNumber(e) => e.explain(Lang::Zh),
            ImportProblem::BadNumber(f, v) => format!("“{f}”的值“{v}”不是有效数字"),
            ImportProblem::DuplicateId { id, first_line } => {
                format!("编号“{id}”重复（首次出现在第 {first_line} 行）")
            }
        }
    }
}

fn norm(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

impl ColumnMap {
    /// Finds the columns of a table: a mapping (`header=field` lines) first, then the
    /// standard field names, then common Chinese headers. `text`, `received_at`,
    /// `category` and a place (`region`, or `village`) are required.
    pub fn new(table: &Table, mapping: Option<&str>) -> Result<ColumnMap, Vec<ImportError>> {
        let mut errors = Vec::new();
        let mut names: HashMap<String, &'static str> = HashMap::new();
        for (field, aliases) in ALIASES {
            names.insert(norm(field), field);
            for a in aliases {
                names.insert(norm(a), field);
            }
        }
        for (i, line) in mapping.unwrap_or("").lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |problem| ImportError {
                line: i + 1,
                problem,
            };
            let Some((header, field)) = line.split_once('=') else {
                errors.push(err(ImportProblem::BadMapping(line.to_owned())));
                continue;
            };
            match FIELDS.iter().find(|f| **f == field.trim()) {
                Some(f) => {
                    names.insert(norm(header), f);
                }
                None => errors.push(err(ImportProblem::UnknownField(field.trim().to_owned()))),
            }
        }
        let mut map = HashMap::new();
        for (i, h) in table.header.iter().enumerate() {
            if let Some(field) = names.get(&norm(h)) {
                map.entry(*field).or_insert(i);
            }
        }
        let map = ColumnMap(map);
        for required in ["text", "received_at", "category"] {
            if map.col(required).is_none() {
                errors.push(ImportError {
                    line: 1,
                    problem: ImportProblem::MissingColumn(required),
                });
            }
        }
        if map.col("region").is_none() && map.col("village").is_none() {
            errors.push(ImportError {
                line: 1,
                problem: ImportProblem::MissingColumn("region / village"),
            });
        }
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    fn col(&self, field: &str) -> Option<usize> {
        self.0.get(field).copied()
    }

    fn get<'r>(&self, row: &'r Row, field: &str) -> &'r str {
        row.cell(self.col(field)).trim()
    }
}

/// How a historical appeal ended in the system it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Still open: it is opened and routed like a new one (its clocks ran from receipt).
    Open,
    /// Ended in this state at this time.
    Ended(State, DateTime<Utc>),
}

/// One historical appeal, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Historic {
    /// The line it came from.
    pub line: usize,
    /// Its id in the earlier system (or one made from the file and line).
    pub external_id: String,
    /// The appeal.
    pub appeal: NewAppeal,
    /// How it ended, if it did.
    pub ending: Ending,
}

/// What rows are checked against.
pub struct Known<'a> {
    /// Categories that exist.
    pub categories: &'a [Category],
    /// Townships and villages that take appeals.
    pub regions: &'a [Region],
    /// Now: nothing may be received later.
    pub now: DateTime<Utc>,
    /// An id for rows without an external id (`<prefix>:<line>`), e.g. the file's hash.
    pub id_prefix: &'a str,
}

/// Parses a time: ISO 8601 / RFC 3339 with a zone; a date and time without one, in
/// China time (`2026-03-02 09:15[:00]`, with `-` or `/`); a date alone (its start);
/// or an Excel serial day number.
/// Times before [`crate::intake::earliest_receipt`] are refused (a mistake, and a year
/// outside 0–9999 makes no appeal number).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    any_time(s).filter(|t| *t >= crate::intake::earliest_receipt())
}

fn any_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = |n: NaiveDateTime| {
        china()
            .from_local_datetime(&n)
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n);
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return local(d.and_hms_opt(0, 0, 0)?);
        }
    }
    // Excel keeps dates as days since 1899-12-30; a workbook cell may arrive so.
    let serial: f64 = s.parse().ok()?;
    if !(20_000.0..80_000.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let day = base.checked_add_days(Days::new(serial.trunc() as u64))?;
    let seconds = (serial.fract() * 86_400.0).round() as i64;
    local(day + chrono::Duration::seconds(seconds))
}

fn status_of(s: &str) -> Option<Option<State>> {
    let s = norm(s);
    Some(match s.as_str() {
        "" | "open" | "在办" | "办理中" | "待办" | "处理中" | "registered" | "handling" => {
            None
        }
        "closed" | "已办结" | "办结" | "已结案" | "结案" | "已完成" => {
            Some(State::Closed)
        }
        "declined" | "不予受理" => Some(State::Declined),
        "transferred" | "已转送" | "转送" => Some(State::Transferred),
        "legal_advised" | "导入法律途径" | "涉法涉诉" => Some(State::LegalAdvised),
        "final" | "已复核" | "复核终结" => Some(State::Final),
        _ => return None,
    })
}

fn channel_of(s: &str) -> Option<Channel> {
    let s = s.trim();
    if s.is_empty() || s == "12345" {
        return Some(Channel::Hotline);
    }
    Channel::ALL.iter().copied().find(|c| {
        c.code() == s.to_lowercase()
            || c.label(Lang::Zh) == s
            || c.label(Lang::En) == s.to_lowercase()
    })
}

/// The county's places, indexed by code and by name, built once per file (or per
/// directory version, for intake).
#[derive(Debug, Default)]
pub struct Places {
    codes: std::collections::HashSet<RegionCode>,
    townships: HashMap<String, RegionCode>,
    villages: HashMap<String, Vec<RegionCode>>,
}

impl Places {
    /// Indexes `regions`.
    pub fn new(regions: &[Region]) -> Places {
        let mut places = Places {
            codes: regions.iter().map(|r| r.code.clone()).collect(),
            townships: HashMap::new(),
            villages: HashMap::new(),
        };
        for r in regions {
            match r.level() {
                RegionLevel::Township => {
                    places.townships.insert(r.name.clone(), r.code.clone());
                }
                RegionLevel::Village => places
                    .villages
                    .entry(r.name.clone())
                    .or_default()
                    .push(r.code.clone()),
                _ => {}
            }
        }
        places
    }
}

/// Reads one row into a historical appeal; every problem of the row is reported.
fn read_row(
    row: &Row,
    map: &ColumnMap,
    known: &Known<'_>,
    places: &Places,
) -> Result<Historic, Vec<ImportError>> {
    let mut problems = Vec::new();
    let get = |f: &str| map.get(row, f);
    let received_at = match get("received_at") {
        "" => {
            problems.push(ImportProblem::Empty("received_at"));
            None
        }
        t => match parse_time(t) {
            None => {
                problems.push(ImportProblem::BadTime(t.to_owned()));
                None
            }
            Some(at) if at > known.now => {
                problems.push(ImportProblem::Future(t.to_owned()));
                None
            }
            Some(at) => Some(at),
        },
    };
    let text = clean_text(get("text"));
    if text.is_empty() {
        problems.push(ImportProblem::Empty("text"));
    } else if text.chars().count() > MAX_TEXT_CHARS {
        problems.push(ImportProblem::TooLong("text", MAX_TEXT_CHARS));
    }
    let title = match clean_text(get("title")) {
        t if t.is_empty() => title_from(&text),
        t if t.chars().count() > MAX_TITLE_CHARS => {
            problems.push(ImportProblem::TooLong("title", MAX_TITLE_CHARS));
            t
        }
        t => t,
    };
    let category = {
        let c = get("category");
        let found = known
            .categories
            .iter()
            .find(|k| k.code == c || k.name == c || k.name_en.eq_ignore_ascii_case(c));
        match (c, found) {
            ("", _) => {
                problems.push(ImportProblem::Empty("category"));
                None
            }
            (_, Some(k)) => Some(k.code.clone()),
            (c, None) => {
                problems.push(ImportProblem::Unknown {
                    field: "category",
                    value: c.to_owned(),
                });
                None
            }
        }
    };
    let region = place(get("region"), get("township"), get("village"), places)
        .map_err(|p| problems.push(p))
        .ok();
    let channel = channel_of(get("channel"))
        .ok_or_else(|| {
            problems.push(ImportProblem::Unknown {
                field: "channel",
                value: get("channel").to_owned(),
            })
        })
        .ok();
    let kind = match get("kind") {
        "" => Some(AppealKind::Help),
        k => AppealKind::from_name(k).or_else(|| {
            problems.push(ImportProblem::Unknown {
                field: "kind",
                value: k.to_owned(),
            });
            None
        }),
    };
    let ending = match status_of(get("status")) {
        None => {
            problems.push(ImportProblem::Unknown {
                field: "status",
                value: get("status").to_owned(),
            });
            None
        }
        Some(None) => Some(Ending::Open),
        Some(Some(state)) => match get("closed_at") {
            "" => Some(Ending::Ended(state, received_at.unwrap_or(known.now))),
            t => match parse_time(t) {
                None => {
                    problems.push(ImportProblem::BadTime(t.to_owned()));
                    None
                }
                Some(at) if received_at.is_some_and(|r| at < r) => {
                    problems.push(ImportProblem::ClosedBeforeReceived);
                    None
                }
                Some(at) if at > known.now => {
                    problems.push(ImportProblem::Future(t.to_owned()));
                    None
                }
                Some(at) => Some(Ending::Ended(state, at)),
            },
        },
    };
    let location = match (get("lat"), get("long")) {
        ("", "") => None,
        (a, b) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) => {
                Some((a, b))
            }
            _ => {
                problems.push(ImportProblem::BadNumber("lat/long", format!("{a},{b}")));
                None
            }
        },
    };
    let appellant = appellant(row, map).map_err(|p| problems.extend(p)).ok();
    let external_id = match get("external_id") {
        "" => format!("{}:{}", known.id_prefix, row.line),
        id if id.chars().count() > 100 => {
            problems.push(ImportProblem::TooLong("external_id", 100));
            String::new()
        }
        id => id.to_owned(),
    };
    let address = Some(clean_text(get("address"))).filter(|a| !a.is_empty());
    match (
        received_at,
        category,
        region,
        channel,
        kind,
        ending,
        appellant,
    ) {
        (
            Some(received_at),
            Some(category),
            Some(region),
            Some(channel),
            Some(kind),
            Some(ending),
            Some(appellant),
        ) if problems.is_empty() => Ok(Historic {
            line: row.line,
            external_id,
            appeal: NewAppeal {
                channel,
                kind,
                category,
                title,
                text,
                region,
                address,
                location,
                appellant,
                received_at,
                attachments: Vec::new(),
                answers: Vec::new(),
                publish_consent: false,
                submission_key: None,
            },
            ending,
        }),
        _ => Err(problems
            .into_iter()
            .map(|problem| ImportError {
                line: row.line,
                problem,
            })
            .collect()),
    }
}

fn appellant(row: &Row, map: &ColumnMap) -> Result<Appellant, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let get = |f: &str| map.get(row, f);
    let name = Some(clean_text(get("name"))).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 40) {
        problems.push(ImportProblem::TooLong("name", 40));
    }
    let phone = match get("phone") {
        "" => None,
        p => Phone::parse(p).map_err(|e| problems.push(e.into())).ok(),
    };
    let id_number = match get("id_number") {
        "" => None,
        i => IdNumber::parse(i).map_err(|e| problems.push(e.into())).ok(),
    };
    let headcount = match get("headcount") {
        "" => 1,
        h => match h.parse::<u32>() {
            Ok(n @ 1..=10_000) => n,
            _ => {
                problems.push(ImportProblem::BadNumber("headcount", h.to_owned()));
                1
            }
        },
    };
    let address = Some(clean_text(get("home_address"))).filter(|a| !a.is_empty());
    if problems.is_empty() {
        Ok(Appellant {
            name,
            phone,
            id_number,
            address,
            headcount,
            representatives: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

/// The village (or township) an appeal happened in: a region code, or a village name
/// (with its township's name when village names repeat).
pub fn place(
    code: &str,
    township: &str,
    village: &str,
    places: &Places,
) -> Result<RegionCode, ImportProblem> {
    if !code.is_empty() {
        return RegionCode::parse(code)
            .ok()
            .filter(|c| places.codes.contains(c))
            .ok_or_else(|| ImportProblem::UnknownPlace(code.to_owned()));
    }
    let unknown = || ImportProblem::UnknownPlace(format!("{township} {village}").trim().to_owned());
    if village.is_empty() {
        return Err(ImportProblem::Empty("village"));
    }
    let town = match township {
        "" => None,
        t => Some(places.townships.get(t).ok_or_else(unknown)?),
    };
    let mut candidates = places
        .villages
        .get(village)
        .into_iter()
        .flatten()
        .filter(|v| town.is_none_or(|t| v.is_within(t)));
    match (candidates.next(), candidates.next()) {
        (Some(v), None) => Ok(v.clone()),
        _ => Err(unknown()),
    }
}

/// Reads every row; returns the appeals, or every problem of every row (and duplicate
/// external ids within the file).
pub fn read_all(
    table: &Table,
    map: &ColumnMap,
    known: &Known<'_>,
) -> Result<Vec<Historic>, Vec<ImportError>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let places = Places::new(known.regions);
    for row in &table.rows {
        match read_row(row, map, known, &places) {
            Ok(h) => {
                if let Some(first_line) = seen.get(&h.external_id) {
                    errors.push(ImportError {
                        line: row.line,
                        problem: ImportProblem::DuplicateId {
                            id: h.external_id.clone(),
                            first_line: *first_line,
                        },
                    });
                } else {
                    seen.insert(h.external_id.clone(), row.line);
                    out.push(h);
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
