//! Intake: a form as typed becomes a checked [`NewAppeal`], or a list of field errors
//! that a page can show beside each field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::appeal::{AppealKind, Attachment, Channel};
use crate::appellant::{Appellant, IdNumber, IdNumberError, Phone, PhoneError};
use crate::category::Category;
use crate::i18n::{Explain, Lang};
use crate::region::RegionCode;

/// Longest appeal text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Longest title, in characters; a missing title is cut from the text at this length.
pub const MAX_TITLE_CHARS: usize = 60;
const MAX_NAME_CHARS: usize = 40;
const MAX_ADDRESS_CHARS: usize = 200;

/// An appeal form exactly as typed: every field a string, all optional. Its `Debug`
/// masks the personal fields.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppealForm {
    /// Channel code (staff forms only; the portal is `web`).
    pub channel: String,
    /// Kind code.
    pub kind: String,
    /// Category code.
    pub category: String,
    /// Township code (only used to check the village).
    pub township: String,
    /// Village code.
    pub village: String,
    /// Where exactly, e.g. a street address.
    pub address: String,
    /// Short title; cut from the text when empty.
    pub title: String,
    /// What the person says.
    pub text: String,
    /// Appellant's name.
    pub name: String,
    /// Appellant's phone.
    pub phone: String,
    /// Appellant's ID number.
    pub id_number: String,
    /// Appellant's home address.
    pub home_address: String,
    /// `on` when the person stays anonymous.
    pub anonymous: String,
    /// How many people, for a group appeal.
    pub headcount: String,
    /// A one-time key that makes a double-clicked post land once.
    pub submission_key: String,
    /// Answers to the category's extra fields: (field code, values).
    pub answers: Vec<(String, Vec<String>)>,
    /// "on" when the appellant agrees that the reply may be published (without
    /// personal data).
    pub publish: String,
}

impl std::fmt::Debug for AppealForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppealForm")
            .field("channel", &self.channel)
            .field("kind", &self.kind)
            .field("category", &self.category)
            .field("village", &self.village)
            .field("name", &crate::mask::name(&self.name))
            .field("phone", &crate::mask::phone(&self.phone))
            .field("id_number", &crate::mask::id_number(&self.id_number))
            .field("home_address", &crate::mask::address(&self.home_address))
            .finish_non_exhaustive()
    }
}

/// A checked appeal, ready to be numbered and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAppeal {
    /// How it reached us.
    pub channel: Channel,
    /// What is asked.
    pub kind: AppealKind,
    /// Category code.
    pub category: String,
    /// Short title.
    pub title: String,
    /// Full text, stored as typed (HTML is escaped on output, never stripped).
    pub text: String,
    /// Village or community.
    pub region: RegionCode,
    /// Where exactly, if given.
    pub address: Option<String>,
    /// Coordinates, if given.
    pub location: Option<(f64, f64)>,
    /// Who raised it.
    pub appellant: Appellant,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Attached files' metadata.
    pub attachments: Vec<Attachment>,
    /// One-time key against double posts.
    pub submission_key: Option<SubmissionKey>,
    /// Answers to the category's extra fields.
    pub answers: Vec<crate::category::Answer>,
    /// Whether the appellant agreed that the reply may be published (公开答复),
    /// without personal data.
    pub publish_consent: bool,
}

impl NewAppeal {
    /// What makes two posts of one form the same appeal: every field the person gave,
    /// canonically encoded (length-prefixed, so no two different contents encode
    /// alike), but not the time of receipt, which differs between two clicks. The
    /// store keeps a keyed hash of this beside the submission key: a repeated key with
    /// the same content is the same appeal, with other content it is refused.
    pub fn repeat_fingerprint(&self) -> String {
        let who = &self.appellant;
        let location = self.location.map(|(a, b)| format!("{a},{b}"));
        let headcount = who.headcount.to_string();
        let representatives = who
            .representatives
            .iter()
            .map(|r| format!("{}:{}", r.len(), r))
            .collect::<String>();
        let answers = self
            .answers
            .iter()
            .map(|a| {
                let values: String = a
                    .values
                    .iter()
                    .map(|v| format!("{}:{v}", v.len()))
                    .collect();
                format!("{}:{}{}:{values}", a.code.len(), a.code, values.len())
            })
            .collect::<String>();
        let parts: [Option<&str>; 15] = [
            Some(self.channel.code()),
            Some(self.kind.code()),
            Some(&self.category),
            Some(&self.title),
            Some(&self.text),
            Some(self.region.as_str()),
            self.address.as_deref(),
            location.as_deref(),
            who.name.as_deref(),
            who.phone.as_ref().map(Phone::as_str),
            who.id_number.as_ref().map(IdNumber::as_str),
            who.address.as_deref(),
            Some(&headcount),
            Some(&representatives),
            (!answers.is_empty()).then_some(answers.as_str()),
        ];
        let mut fingerprint: String = parts
            .iter()
            .map(|p| match p {
                Some(v) => format!("{}:{v};", v.len()),
                None => "-;".to_owned(),
            })
            .collect();
        // Files only when there are any, so appeals stored before files were taken
        // keep their fingerprint. A hash is 64 characters: no length prefix needed.
        for file in &self.attachments {
            fingerprint.push_str(&format!("f:{};", file.sha256));
        }
        fingerprint
    }
}

/// A form's one-time key against double posts: 8 to 64 ASCII letters, digits, `-` or
/// `_` (the forms make 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubmissionKey(String);

impl SubmissionKey {
    /// Checks a key as posted.
    pub fn parse(s: &str) -> Result<SubmissionKey, FieldError> {
        let s = s.trim();
        let ok = (8..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(SubmissionKey(s.to_owned()))
        } else {
            Err(FieldError::SubmissionKey)
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    /// Empty but needed.
    #[error("this field is required")]
    Required,
    /// Longer than allowed.
    #[error("too long: at most {0} characters")]
    TooLong(usize),
    /// Shorter than needed.
    #[error("too short: at least {0} characters")]
    TooShort(usize),
    /// Not one of the allowed values.
    #[error("please choose a value from the list")]
    UnknownChoice,
    /// The village does not exist in the county.
    #[error("no such village or community in this county")]
    UnknownVillage,
    /// The village lies in another township.
    #[error("this village belongs to another township")]
    VillageNotInTownship,
    /// A bad phone number.
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// A bad ID number.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    /// A file that cannot be attached.
    #[error(transparent)]
    File(#[from] crate::attachment::FileError),
    /// A bad headcount.
    #[error("the number of people is a whole number from 1 to 10000")]
    Headcount,
    /// A time later than now (an appeal cannot be received in the future).
    #[error("this time is in the future")]
    InFuture,
    /// A time too far back to be an appeal's (before 2000).
    #[error("this time is too early: appeals are received from 2000 on")]
    TooEarly,
    /// Coordinates out of range, or only one of the two.
    #[error("latitude −90..90 and longitude −180..180, both or neither")]
    Coordinates,
    /// Already taken (a login name).
    #[error("this is already taken")]
    Taken,
    /// A login name that is not allowed.
    #[error(transparent)]
    Username(#[from] crate::staff::UsernameError),
    /// A password that is not good enough.
    #[error(transparent)]
    Password(#[from] crate::staff::PasswordError),
    /// The two new passwords differ.
    #[error("the two passwords differ")]
    PasswordMismatch,
    /// The current password is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// A choice outside what this administrator may manage.
    #[error("outside the area you administer")]
    OutsideArea,
    /// A key or code that is not 1 to 40 lowercase letters, digits, `-` or `_`.
    #[error("use 1 to 40 lowercase letters, digits, '-' or '_', starting with a letter or digit")]
    Code,
    /// A parent that would put something under itself.
    #[error("it cannot be placed under itself or under one of its own sub-units")]
    ParentLoop,
    /// Categories have two levels.
    #[error(
        "categories have two levels: the parent must be a top-level category, and a category \
         with sub-categories cannot be put under another"
    )]
    TwoLevels,
    /// A region named in a list that does not exist (or is retired).
    #[error("no such region in this county: {0}")]
    UnknownRegion(String),
    /// An administrator removing their own administrator role.
    #[error(
        "you cannot remove your own administrator role or move yourself to another unit; ask another administrator"
    )]
    OwnAdminRole,
    /// The county itself cannot be retired.
    #[error("the county itself cannot be retired")]
    CountyStays,
    /// A region that was retired.
    #[error("{0} has been retired and takes no new work")]
    RetiredRegion(String),
    /// A name that fits several regions.
    #[error("{0} names several regions; use the 12-digit code")]
    AmbiguousRegion(String),
    /// The file's header has no column for a needed field.
    #[error("the header has no column for this")]
    NoColumn,
    /// A contact phone that is not a phone number.
    #[error("a phone number has 3 to 20 digits (with '-', spaces, '+' or brackets)")]
    ContactPhone,
    /// An answer given to an extra field the category does not have.
    #[error("this category has no field {0:?}")]
    AttributeUnknown(String),
    /// A required extra field left empty.
    #[error("the field {0:?} is required for this category")]
    AttributeMissing(String),
    /// An answer that does not fit its field (not a number, not one of the choices).
    #[error(
        "the value of {0:?} does not fit the field (a number, an ISO 8601 time, or one of its choices)"
    )]
    AttributeValue(String),
    /// Not a plain web address.
    #[error("a web address starting with http:// or https:// and a host, at most 500 characters")]
    Url,
    /// A line of the extra fields that does not read `code | label | type | required | choices`.
    #[error("extra field line {0} should read: code | label | type | required | choices (a/b/c)")]
    ExtraField(usize),
    /// The form's one-time key is malformed (the page was altered or is broken).
    #[error("this form is no longer valid; please check what you typed and submit again")]
    SubmissionKey,
    /// The form's one-time key was already used for a different appeal.
    #[error(
        "this form was already submitted with different content; nothing new was stored. \
         Check what you typed and submit again to register it as a new appeal"
    )]
    SubmissionKeyReused,
    /// Not a date.
    #[error("a date is written like 2026-12-01, in a year from 2000 to 2099")]
    Date,
    /// Not a time of day.
    #[error("a time is written like 09:30")]
    Time,
    /// An end before its start.
    #[error("the end must come after the start")]
    EndBeforeStart,
    /// Not open now (a reception day not under way, a consultation closed).
    #[error("this is not open at this time")]
    NotOpen,
    /// A whole number outside its range.
    #[error("a whole number from {0} to {1}")]
    Range(i64, i64),
    /// Already done: it cannot be done again.
    #[error("this is already done")]
    AlreadyDone,
    /// A deadline past the holiday calendar's years.
    #[error(
        "the deadline would lie beyond the holiday calendar's years; upload the next year's calendar first"
    )]
    BeyondCalendar,
    /// Answered on the spot though not a consultation, or not by the call centre.
    #[error("only a consultation can be answered on the spot, by the call centre")]
    AnswerNow,
    /// Not a label staff may put.
    #[error(
        "a label has no blanks and is not one of the system's own (sign:, contest:, escalated:, reception:, import)"
    )]
    Label,
    /// Not an e-mail address.
    #[error("an e-mail address such as name@example.gov.cn, at most 120 characters")]
    Email,
    /// E-mail chosen without an address.
    #[error("give an e-mail address to get notices by e-mail")]
    EmailNeeded,
    /// An SMS template that cannot be used.
    #[error(transparent)]
    Template(#[from] crate::notify::TemplateError),
}

impl Explain for FieldError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (FieldError::Phone(e), _) => e.explain(lang),
            (FieldError::Username(e), _) => e.explain(lang),
            (FieldError::Password(e), _) => e.explain(lang),
            (FieldError::IdNumber(e), _) => e.explain(lang),
            (FieldError::File(e), _) => e.explain(lang),
            (FieldError::Template(e), _) => e.explain(lang),
            (e, Lang::En) => e.to_string(),
            (FieldError::Email, Lang::Zh) => {
                "邮箱地址应形如 name@example.gov.cn，最多120个字符".into()
            }
                        (FieldError::EmailNeeded, Lang::Zh) => "要用邮件接收通知，请先填写邮箱".into(),
                        (FieldError::AnswerNow, Lang::Zh) => "只有咨询类诉求可由话务员当场解答办结".into(),
            (FieldError::Label, Lang::Zh) => {
                "标签不能含空格，也不能是系统标签（sign:、contest:、escalated:、reception:、import）".into()
            }
            (FieldError::Required, Lang::Zh) => "此项必填".into(),
            (FieldError::Date, Lang::Zh) => "日期格式应为 2026-12-01，年份在2000至2099之间".into(),
            (FieldError::Time, Lang::Zh) => "时间格式应为 09:30".into(),
            (FieldError::EndBeforeStart, Lang::Zh) => "结束应晚于开始".into(),
            (FieldError::NotOpen, Lang::Zh) => "目前不在开放时间内".into(),
            (FieldError::AlreadyDone, Lang::Zh) => "此项已办结，不能重复办理".into(),
            (FieldError::Range(a, b), Lang::Zh) => format!("应为{a}至{b}的整数"),
            (FieldError::BeyondCalendar, Lang::Zh) => {
                "期限超出节假日日历的年份，请先上传下一年的日历".into()
            }
            (FieldError::TooLong(n), Lang::Zh) => format!("内容过长，最多{n}个字"),
            (FieldError::TooShort(n), Lang::Zh) => format!("内容过短，至少{n}个字"),
            (FieldError::UnknownChoice, Lang::Zh) => "请从列表中选择".into(),
            (FieldError::UnknownVillage, Lang::Zh) => "本县没有这个村（社区）".into(),
            (FieldError::VillageNotInTownship, Lang::Zh) => "该村（社区）不属于所选乡镇".into(),
            (FieldError::Headcount, Lang::Zh) => "人数应为1至10000的整数".into(),
            (FieldError::InFuture, Lang::Zh) => "时间不能晚于现在".into(),
            (FieldError::TooEarly, Lang::Zh) => "时间过早：受理时间应不早于2000年".into(),
            (FieldError::Coordinates, Lang::Zh) => {
                "纬度应在−90至90、经度在−180至180之间，且须同时给出".into()
            }
            (FieldError::Taken, Lang::Zh) => "已被占用".into(),
            (FieldError::PasswordMismatch, Lang::Zh) => "两次输入的新密码不一致".into(),
            (FieldError::WrongPassword, Lang::Zh) => "当前密码不正确".into(),
            (FieldError::OutsideArea, Lang::Zh) => "超出您管理的范围".into(),
            (FieldError::Code, Lang::Zh) => {
                "请用1至40个小写字母、数字、“-”或“_”，以字母或数字开头".into()
            }
            (FieldError::ParentLoop, Lang::Zh) => "不能把它放在自身或其下级之下".into(),
            (FieldError::TwoLevels, Lang::Zh) => {
                "类别只有两级：上级须是一级类别，已有子类别的类别不能再挂到其他类别下".into()
            }
            (FieldError::UnknownRegion(r), Lang::Zh) => format!("本县没有地区“{r}”"),
            (FieldError::RetiredRegion(r), Lang::Zh) => format!("地区“{r}”已停用"),
            (FieldError::OwnAdminRole, Lang::Zh) => {
                "不能取消自己的管理员角色或更改自己的所属单位，请由其他管理员操作".into()
            }
            (FieldError::CountyStays, Lang::Zh) => "不能停用本县".into(),
            (FieldError::AmbiguousRegion(r), Lang::Zh) => {
                format!("“{r}”对应多个地区，请填写12位代码")
            }
            (FieldError::NoColumn, Lang::Zh) => "表头缺少这一列".into(),
            (FieldError::ContactPhone, Lang::Zh) => {
                "电话应为3至20位数字（可含“-”、空格、“+”或括号）".into()
            }
            (FieldError::ExtraField(n), Lang::Zh) => {
                format!("附加字段第 {n} 行应写成：编码 | 名称 | 类型 | 是否必填 | 选项（以/分隔）")
            }
            (FieldError::AttributeUnknown(c), Lang::Zh) => format!("该类别没有字段“{c}”"),
            (FieldError::AttributeMissing(c), Lang::Zh) => format!("该类别须填写字段“{c}”"),
            (FieldError::AttributeValue(c), Lang::Zh) => {
                format!("字段“{c}”的值不符合要求（数字、ISO 8601 时间或其选项之一）")
            }
            (FieldError::Url, Lang::Zh) => {
                "应为以 http:// 或 https:// 开头、带主机名的网址，最多500个字符".into()
            }
            (FieldError::SubmissionKey, Lang::Zh) => "表单已失效，请核对内容后重新提交".into(),
            (FieldError::SubmissionKeyReused, Lang::Zh) => {
                "此表单已提交过另一份不同的诉求，本次内容未保存。请核对后再次提交，将作为新诉求登记"
                    .into()
            }
        }
    }
}

/// Labels the system puts on cases itself; staff may not put them by hand.
pub const SYSTEM_LABELS: [&str; 5] = ["sign:", "contest:", "escalated:", "reception:", "import"];

/// Checks a label staff put on cases: 1 to 40 characters, no blanks, and none of the
/// system's own ([`SYSTEM_LABELS`]).
pub fn check_label(text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::Required);
    }
    if text.chars().count() > 40 {
        return Err(FieldError::TooLong(40));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control())
        || SYSTEM_LABELS.iter().any(|p| text.starts_with(p))
    {
        return Err(FieldError::Label);
    }
    Ok(text.to_owned())
}

/// Checks a web address someone gives (a picture's `media_url`): http or https, a
/// host without a user or password, no blanks, at most 500 characters.
pub fn check_url(url: &str) -> Result<String, FieldError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(FieldError::Url)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let ok = url.chars().count() <= 500
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if ok {
        Ok(url.to_owned())
    } else {
        Err(FieldError::Url)
    }
}

/// Checks a key or code (a unit's key, a category's code): 1 to 40 lowercase ASCII
/// letters, digits, `-` or `_`, starting with a letter or digit.
pub fn check_code(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(FieldError::Code)
    }
}

/// All that is wrong with a form, field by field, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, FieldError)>);

impl FieldErrors {
    /// The error of one field, if any.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, e)| e)
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the form is checked against: the county's categories and villages.
pub struct Catalog<'a> {
    /// Categories that may be chosen.
    pub categories: &'a [Category],
    /// Villages and communities that exist.
    pub villages: &'a [RegionCode],
    /// Whether the channel asks the category's extra fields (Open311 and the JSON API
    /// do): then a required one must be answered. Answers given are always checked.
    pub asks_extra_fields: bool,
    /// The county, when an appeal may come without a place (Open311: it is then left
    /// to the dispatch centre to place).
    pub unplaced_in: Option<&'a RegionCode>,
}

/// Where the form came from, which fixes what is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The public portal: channel `web`, kind chosen by us (`help` unless given).
    Portal,
    /// A staff member registering a call, visit or letter: channel and kind required.
    Staff,
    /// An Open311 client (a city's app): channel `api`, kind `complaint` unless
    /// given, and only the categories citizens are offered.
    Open311,
}

/// The earliest time an appeal may have been received (2000-01-01, UTC): nothing
/// reaches a county's desk from before its records began, and a year outside 0–9999
/// would make no appeal number.
pub fn earliest_receipt() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A point as sent (latitude, longitude): both or neither, each a finite number in
/// range.
pub fn check_point(lat: Option<f64>, long: Option<f64>) -> Result<Option<(f64, f64)>, FieldError> {
    match (lat, long) {
        (None, None) => Ok(None),
        (Some(a), Some(b))
            if a.is_finite()
                && b.is_finite()
                && (-90.0..=90.0).contains(&a)
                && (-180.0..=180.0).contains(&b) =>
        {
            Ok(Some((a, b)))
        }
        _ => Err(FieldError::Coordinates),
    }
}

/// Text as people meant it: line breaks made `\n`, control characters (NUL and the
/// like) and invisible direction overrides (which can make a text display other than
/// it reads) removed, surrounding blanks trimmed. Tabs and line breaks are kept.
pub fn clean_text(s: &str) -> String {
    let unified = s.replace("\r\n", "\n").replace('\r', "\n");
    unified
        .chars()
        .filter(|c| {
            let control = c.is_control() && !matches!(c, '\n' | '\t');
            let direction = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            // Noncharacters (U+FFFE, U+FFFF, U+FDD0…) are no text: XML cannot carry
            // them. Zero-width spaces and byte-order marks only hide what is typed.
            let nonchar = matches!(c, '\u{fdd0}'..='\u{fdef}') || (*c as u32 & 0xfffe) == 0xfffe;
            let invisible = matches!(c, '\u{200b}' | '\u{2060}' | '\u{feff}');
            !control && !direction && !nonchar && !invisible
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A name or label on one line: [`clean_text`], with every run of blanks (tabs and
/// line breaks included) made one space.
pub fn clean_name(s: &str) -> String {
    clean_text(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn trimmed(s: &str) -> Option<String> {
    let t = clean_text(s);
    (!t.is_empty()).then_some(t)
}

fn at_most(
    errors: &mut FieldErrors,
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    match value {
        Some(v) if v.chars().count() > max => {
            errors.0.push((field, FieldError::TooLong(max)));
            None
        }
        v => v,
    }
}

impl AppealForm {
    /// Checks the form; every problem is reported, not just the first.
    pub fn validate(
        &self,
        origin: Origin,
        catalog: &Catalog<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<NewAppeal, FieldErrors> {
        if origin == Origin::Portal {
            // The portal asks only for what it shows; anything else posted is ignored.
            let shown = AppealForm {
                id_number: String::new(),
                home_address: String::new(),
                headcount: String::new(),
                title: String::new(),
                kind: String::new(),
                channel: String::new(),
                ..self.clone()
            };
            return shown.check(origin, catalog, received_at);
        }
        self.check(origin, catalog, received_at)
    }

    fn check(
        &self,
        origin: Origin,
        catalog: &Catalog<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<NewAppeal, FieldErrors> {
        let mut errors = FieldErrors::default();
        let channel = match origin {
            Origin::Portal => Some(Channel::Web),
            Origin::Staff => Channel::from_code(self.channel.trim()),
            Origin::Open311 => Some(Channel::Api),
        };
        if channel.is_none() {
            errors.0.push(("channel", FieldError::UnknownChoice));
        }
        let kind = match (origin, self.kind.trim()) {
            (Origin::Portal, "") => Some(AppealKind::Help),
            (Origin::Open311, "") => Some(AppealKind::Complaint),
            (_, k) => AppealKind::from_code(k),
        };
        if kind.is_none() {
            errors.0.push(("kind", FieldError::UnknownChoice));
        }
        let category = self.category.trim();
        let mut answers = Vec::new();
        if category.is_empty() {
            errors.0.push(("category", FieldError::Required));
        } else {
            match catalog.categories.iter().find(|c| {
                c.code == category
                    && (origin == Origin::Staff || c.offered_publicly(catalog.categories))
            }) {
                None => errors.0.push(("category", FieldError::UnknownChoice)),
                Some(c) => match crate::category::check_answers(
                    &c.fields,
                    &self.answers,
                    catalog.asks_extra_fields,
                ) {
                    Ok(a) => answers = a,
                    Err(e) => errors.0.push(("attribute", e)),
                },
            }
        }
        let region = self.check_village(catalog, &mut errors);
        let address = at_most(
            &mut errors,
            "address",
            trimmed(&self.address),
            MAX_ADDRESS_CHARS,
        );
        let text = trimmed(&self.text);
        if text.is_none() {
            errors.0.push(("text", FieldError::Required));
        }
        let text = at_most(&mut errors, "text", text, MAX_TEXT_CHARS);
        let title = at_most(&mut errors, "title", trimmed(&self.title), MAX_TITLE_CHARS);
        let appellant = self.check_appellant(&mut errors);
        // Every form page carries a key; a post without one did not come from a page
        // (or lost it) and could land twice, so it is refused like a bad key.
        let submission_key = SubmissionKey::parse(&self.submission_key)
            .map_err(|e| errors.0.push(("submission_key", e)))
            .ok();
        match (channel, kind, region, text, appellant, submission_key) {
            (Some(channel), Some(kind), Some(region), Some(text), Some(appellant), Some(key))
                if errors.is_empty() =>
            {
                let title = title.unwrap_or_else(|| title_from(&text));
                Ok(NewAppeal {
                    channel,
                    kind,
                    category: category.to_owned(),
                    title,
                    text,
                    region,
                    address,
                    location: None,
                    appellant,
                    received_at,
                    attachments: Vec::new(),
                    submission_key: Some(key),
                    answers,
                    publish_consent: self.publish == "on",
                })
            }
            _ => Err(errors),
        }
    }

    fn check_village(&self, catalog: &Catalog<'_>, errors: &mut FieldErrors) -> Option<RegionCode> {
        if self.village.trim().is_empty() {
            errors.0.push(("village", FieldError::Required));
            return None;
        }
        let Some(village) = RegionCode::parse(&self.village)
            .ok()
            .filter(|v| catalog.villages.contains(v) || catalog.unplaced_in == Some(v))
        else {
            errors.0.push(("village", FieldError::UnknownVillage));
            return None;
        };
        if let Ok(town) = RegionCode::parse(&self.township)
            && !village.is_within(&town)
        {
            errors.0.push(("village", FieldError::VillageNotInTownship));
            return None;
        }
        Some(village)
    }

    fn check_appellant(&self, errors: &mut FieldErrors) -> Option<Appellant> {
        let before = errors.0.len();
        let headcount = match self.headcount.trim() {
            "" => 1,
            h => match h.parse::<u32>() {
                Ok(n @ 1..=10_000) => n,
                _ => {
                    errors.0.push(("headcount", FieldError::Headcount));
                    1
                }
            },
        };
        if matches!(self.anonymous.trim(), "on" | "true" | "1") {
            return (errors.0.len() == before).then(|| Appellant {
                headcount,
                ..Appellant::anonymous()
            });
        }
        let name = at_most(errors, "name", trimmed(&self.name), MAX_NAME_CHARS);
        if trimmed(&self.name).is_none() {
            errors.0.push(("name", FieldError::Required));
        }
        let phone = match trimmed(&self.phone) {
            None => {
                errors.0.push(("phone", FieldError::Required));
                None
            }
            Some(p) => Phone::parse(&p)
                .map_err(|e| errors.0.push(("phone", e.into())))
                .ok(),
        };
        let id_number = trimmed(&self.id_number).and_then(|i| {
            IdNumber::parse(&i)
                .map_err(|e| errors.0.push(("id_number", e.into())))
                .ok()
        });
        let home_address = at_most(
            errors,
            "home_address",
            trimmed(&self.home_address),
            MAX_ADDRESS_CHARS,
        );
        (errors.0.len() == before).then_some(Appellant {
            name,
            phone,
            id_number,
            address: home_address,
            headcount,
            representatives: Vec::new(),
        })
    }
}

/// A title cut from the first line of the text.
pub(crate) fn title_from(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or(text);
    let mut title: String = first_line.chars().take(MAX_TITLE_CHARS.min(30)).collect();
    if first_line.chars().count() > title.chars().count() {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {

    #[test]
    fn points_are_both_or_neither_and_in_range() {
        assert_eq!(check_point(None, None), Ok(None));
        assert_eq!(
            check_point(Some(35.1), Some(117.2)),
            Ok(Some((35.1, 117.2)))
        );
        for (lat, long) in [
            (Some(35.1), None),
            (None, Some(117.2)),
            (Some(91.0), Some(0.0)),
            (Some(0.0), Some(-180.5)),
            (Some(f64::NAN), Some(0.0)),
            (Some(0.0), Some(f64::INFINITY)),
        ] {
            assert_eq!(
                check_point(lat, long),
                Err(FieldError::Coordinates),
                "{lat:?} {long:?}"
            );
        }
    }

    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rstest::rstest;

    fn catalog_data() -> (Vec<Category>, Vec<RegionCode>) {
        let cats = vec![Category::heating()];
        let villages = vec![
            RegionCode::parse("370999001001").expect("valid"),
            RegionCode::parse("370999002001").expect("valid"),
        ];
        (cats, villages)
    }

    fn good_form() -> AppealForm {
        AppealForm {
            category: "gongre".into(),
            township: "370999001000".into(),
            village: "370999001001".into(),
            text: "暖气不热，室内只有12度".into(),
            name: "张三丰".into(),
            phone: "13800138000".into(),
            submission_key: "0123456789abcdef".into(),
            ..AppealForm::default()
        }
    }

    /// The portal's check.
    fn check(form: &AppealForm) -> Result<NewAppeal, FieldErrors> {
        check_as(Origin::Portal, form)
    }

    /// A call-taker's check of the same form, registered as a hotline call.
    fn staff_check(form: &AppealForm) -> Result<NewAppeal, FieldErrors> {
        let form = AppealForm {
            channel: "hotline".into(),
            kind: "complaint".into(),
            ..form.clone()
        };
        check_as(Origin::Staff, &form)
    }

    fn check_as(origin: Origin, form: &AppealForm) -> Result<NewAppeal, FieldErrors> {
        let (cats, villages) = catalog_data();
        let catalog = Catalog {
            categories: &cats,
            villages: &villages,
            asks_extra_fields: true,
            unplaced_in: None,
        };
        let at = Utc
            .with_ymd_and_hms(2026, 11, 29, 8, 0, 0)
            .single()
            .expect("time");
        form.validate(origin, &catalog, at)
    }

    #[test]
    fn control_characters_and_direction_overrides_are_removed() {
        assert_eq!(clean_text(" a\u{0}b\r\nc\u{202e}d\te\u{7} "), "ab\ncd\te");
        assert!(check_url("https://img.example.cn/a.jpg?x=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://user:pw@evil.example/",
            "ftp://x/y",
            "http://a b/",
        ] {
            assert_eq!(check_url(bad), Err(FieldError::Url), "{bad}");
        }
        // Noncharacters and invisible spaces go; emoji joiners stay.
        assert_eq!(
            clean_text("x\u{fffe}y\u{ffff}z\u{fdd0}\u{1fffe}1\u{200b}3\u{feff}👩\u{200d}👧"),
            "xyz13👩\u{200d}👧"
        );
        let form = AppealForm {
            text: "暖气\u{0}不热\u{202e}".into(),
            ..good_form()
        };
        assert_eq!(check(&form).expect("valid").text, "暖气不热");
    }

    #[test]
    fn a_good_portal_form_becomes_a_web_appeal_with_a_title() {
        let a = check(&good_form()).expect("valid");
        assert_eq!(a.channel, Channel::Web);
        assert_eq!(a.kind, AppealKind::Help);
        assert_eq!(a.title, "暖气不热，室内只有12度");
        assert_eq!(
            a.appellant.phone.map(|p| p.masked()),
            Some("138****8000".into())
        );
    }

    #[rstest]
    #[case::empty_text(AppealForm { text: "  ".into(), ..good_form() }, "text", FieldError::Required)]
    #[case::long_text(AppealForm { text: "字".repeat(5001), ..good_form() }, "text", FieldError::TooLong(5000))]
    #[case::bad_phone(AppealForm { phone: "12345".into(), ..good_form() }, "phone", FieldError::Phone(PhoneError))]
    #[case::bad_id(AppealForm { id_number: "110105194912310021".into(), ..good_form() }, "id_number", FieldError::IdNumber(IdNumberError::CheckDigit))]
    #[case::unknown_village(AppealForm { village: "370999001099".into(), ..good_form() }, "village", FieldError::UnknownVillage)]
    #[case::wrong_township(AppealForm { village: "370999002001".into(), ..good_form() }, "village", FieldError::VillageNotInTownship)]
    #[case::unknown_category(AppealForm { category: "xx".into(), ..good_form() }, "category", FieldError::UnknownChoice)]
    #[case::no_name(AppealForm { name: "".into(), ..good_form() }, "name", FieldError::Required)]
    #[case::bad_headcount(AppealForm { headcount: "0".into(), ..good_form() }, "headcount", FieldError::Headcount)]
    #[case::no_key(AppealForm { submission_key: " ".into(), ..good_form() }, "submission_key", FieldError::SubmissionKey)]
    #[case::short_key(AppealForm { submission_key: "k-1".into(), ..good_form() }, "submission_key", FieldError::SubmissionKey)]
    fn bad_input_names_the_field(
        #[case] form: AppealForm,
        #[case] field: &str,
        #[case] error: FieldError,
    ) {
        let errors = staff_check(&form).expect_err("must be refused");
        assert_eq!(errors.get(field), Some(&error), "{errors:?}");
        if !matches!(field, "id_number" | "headcount") {
            let errors = check(&form).expect_err("the portal refuses it too");
            assert_eq!(errors.get(field), Some(&error), "{errors:?}");
        }
        assert!(!error.explain(Lang::Zh).is_empty());
    }

    #[test]
    fn exactly_5000_characters_and_html_are_accepted_as_text() {
        let html = format!("<script>alert(1)</script>{}", "字".repeat(4975));
        let a = check(&AppealForm {
            text: html.clone(),
            ..good_form()
        })
        .expect("valid");
        assert_eq!(a.text, html);
    }

    #[test]
    fn the_portal_ignores_fields_it_does_not_show() {
        let form = AppealForm {
            id_number: "1101051949123100é".into(),
            headcount: "x".into(),
            home_address: "somewhere".into(),
            ..good_form()
        };
        let a = check(&form).expect("valid");
        assert_eq!(a.appellant.id_number, None);
        assert_eq!(a.appellant.address, None);
        assert!(!format!("{form:?}").contains("13800138000"));
    }

    #[test]
    fn anonymous_drops_name_and_phone_even_if_typed_badly() {
        let form = AppealForm {
            anonymous: "on".into(),
            phone: "bad".into(),
            ..good_form()
        };
        let a = check(&form).expect("valid");
        assert!(a.appellant.is_anonymous());
    }

    proptest! {
        #[test]
        fn any_nonblank_text_up_to_the_limit_is_kept_verbatim_after_trimming(text in "\\PC{1,300}") {
            let form = AppealForm { text: text.clone(), ..good_form() };
            match check(&form) {
                Ok(a) => {
                    prop_assert_eq!(a.text, text.trim());
                    prop_assert!(a.title.chars().count() <= 31);
                }
                Err(e) => prop_assert_eq!(e.get("text"), Some(&FieldError::Required)),
            }
        }
    }
}
